// See failover_log.hpp.
#include "ringproxy/health/failover_log.hpp"

namespace ringproxy {

void FailoverLog::record(uint32_t home, uint32_t successor, std::string_view key) {
  Home& h = homes_[home];
  auto it = h.keys.find(std::string(key));
  if (it != h.keys.end()) {
    it->second = successor;
    return;
  }
  if (h.keys.size() >= limit_) {
    h.untracked++;
    untracked_total_++;
    return;
  }
  h.keys.emplace(std::string(key), successor);
}

std::vector<FailoverLog::Copy> FailoverLog::take(uint32_t home) {
  std::vector<Copy> out;
  Home& h = homes_[home];
  out.reserve(h.keys.size());
  for (auto& [key, successor] : h.keys) out.push_back({successor, key});
  h.keys.clear();
  h.untracked = 0;
  h.lost = false;
  return out;
}

}  // namespace ringproxy
