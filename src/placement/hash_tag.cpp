// twemproxy's hash_tag rule (server_pool_idx): the first opener anywhere in the
// key, then the first closer after it; a non-empty span between them is hashed,
// anything else (no opener, no closer, "{}" adjacent) hashes the whole key.
// Opener and closer may be the same character ("$$").
#include "ringproxy/placement/hash_tag.hpp"

#include <string_view>

namespace ringproxy {

std::string_view apply_hash_tag(std::string_view key, std::string_view tag) {
  // Config validation guarantees exactly two characters; anything else means
  // "no tag" here rather than undefined behaviour.
  if (tag.size() != 2) return key;
  const size_t open = key.find(tag[0]);
  if (open == std::string_view::npos) return key;
  const size_t close = key.find(tag[1], open + 1);
  if (close == std::string_view::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

}  // namespace ringproxy
