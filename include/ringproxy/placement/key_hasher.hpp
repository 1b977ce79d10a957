// The key -> hash step of placement, resolved once: hash tag, then the hash
// function; the empty (tag-reduced) key hashes to 0 like twemproxy.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ringproxy/placement/hash.hpp"
#include "ringproxy/placement/hash_tag.hpp"

namespace ringproxy {

class KeyHasher {
 public:
  KeyHasher(HashKind hash, std::string hash_tag)
      : fn_(hash_function(hash)), tag_(std::move(hash_tag)) {}

  uint32_t operator()(std::string_view key) const {
    if (!tag_.empty()) key = apply_hash_tag(key, tag_);
    return key.empty() ? 0 : fn_(key);
  }

 private:
  HashFn fn_;
  std::string tag_;
};

}  // namespace ringproxy
