// See ring_summary.hpp.
#include "ringproxy/app/ring_summary.hpp"

#include <vector>

#include "ringproxy/placement/router.hpp"

namespace ringproxy {

std::string ring_summary(const Config& config) {
  std::vector<RingNode> nodes;
  for (const BackendSpec& b : config.backends) nodes.push_back({b.ring_name, b.weight});
  const Router router(config.hash, config.hash_tag, config.distribution, nodes);
  const std::vector<uint32_t> points = router.distribution().points_per_node();
  uint64_t total = 0;
  for (uint32_t p : points) total += p;
  std::string text =
      "# ring: " + std::string(distribution_name(config.distribution)) + ", hash " +
      std::string(hash_name(config.hash)) + ", hash tag " +
      (config.hash_tag.empty() ? std::string("none") : "\"" + config.hash_tag + "\"") + ", " +
      std::to_string(nodes.size()) + " members, " + std::to_string(total) + " points\n";
  for (size_t i = 0; i < config.backends.size(); ++i) {
    const BackendSpec& b = config.backends[i];
    text += "# member " + b.ring_name + " " + b.address() + " weight=" + std::to_string(b.weight) +
            " points=" + std::to_string(i < points.size() ? points[i] : 0) + "\n";
  }
  return text;
}

}  // namespace ringproxy
