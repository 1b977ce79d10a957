// Hash tags: the part of a key that is hashed, as twemproxy defines it.
#pragma once

#include <string_view>

namespace ringproxy {

// With a two-character tag such as "{}": find the first tag[0] in the key, then
// the first tag[1] after it; if both exist with at least one byte between them,
// only those bytes are hashed, otherwise the whole key. An empty tag (or any
// tag that is not exactly two characters) disables the rule.
std::string_view apply_hash_tag(std::string_view key, std::string_view tag);

}  // namespace ringproxy
