// Proxy::apply_membership: the entry point of live ring changes from outside
// the proxy's own admin commands (etcd, reloads). See ring_control.hpp.
#include "ringproxy/common/log.hpp"
#include "ringproxy/proxy/proxy.hpp"

namespace ringproxy {

void Proxy::apply_membership(std::vector<BackendSpec> members, std::string source) {
  if (ring_control_ == nullptr) return;  // stopping
  std::string what = source;
  const std::string error = ring_control_->apply(std::move(members), std::move(source));
  if (!error.empty()) log(LogLevel::kWarn, "ring change from ", what, " refused: ", error);
}

}  // namespace ringproxy
