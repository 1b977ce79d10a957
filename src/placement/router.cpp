// See router.hpp.
#include "ringproxy/placement/router.hpp"

#include "ringproxy/placement/hash_tag.hpp"

namespace ringproxy {

Router::Router(HashKind hash, std::string hash_tag, DistributionKind distribution,
               const std::vector<RingNode>& nodes)
    : hash_(hash),
      hash_tag_(std::move(hash_tag)),
      distribution_(make_distribution(distribution, nodes)),
      home_(make_distribution(distribution, nodes)),
      size_(nodes.size()) {}

uint32_t Router::key_hash(std::string_view key) const {
  if (!hash_tag_.empty()) key = apply_hash_tag(key, hash_tag_);
  return key.empty() ? 0 : hash_key(hash_, key);
}

}  // namespace ringproxy
