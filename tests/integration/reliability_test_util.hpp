// Helpers for the connection-level reliability tests (issue 15): a cluster
// whose backends are FakeBackends, raw request bytes, INFO fields.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fake_backend.hpp"
#include "harness.hpp"

namespace ringproxy::testing {

inline std::string get_cmd(std::string_view key) {
  return encode_command({"GET", std::string(key)});
}

inline uint64_t info_number(Client& c, const std::string& field) {
  Reply info = c.command({"INFO", "all"});
  std::string v = info_field(info.str, field);
  if (v.empty()) {
    ADD_FAILURE() << "INFO has no " << field;
    return 0;
  }
  return std::stoull(v);
}

// The "field=value" of INFO's backend<i> line.
inline std::string backend_field(Client& c, size_t backend, const std::string& field) {
  Reply info = c.command({"INFO", "all"});
  std::string line = info_field(info.str, "backend" + std::to_string(backend));
  size_t at = ("," + line).find("," + field + "=");
  if (at == std::string::npos) return "";
  std::string rest = line.substr(at + field.size() + 1);
  return rest.substr(0, rest.find(','));
}

// A cluster whose backends are FakeBackends the test creates before
// start_proxy() (plus `backend_count()` real redis-servers after them). The
// fakes are the test's locals: the proxy outlives them (it logs their loss).
class FakeBackendTest : public ClusterTest {
 protected:
  size_t backend_count() const override { return 0; }
  bool start_proxy_in_setup() const override { return false; }
  void customize_proxy(ProxyOptions& options) const override {
    std::vector<BackendAddress> all;
    for (const FakeBackend* f : fakes_) all.push_back(f->backend());
    all.insert(all.end(), options.backends.begin(), options.backends.end());
    options.backends = all;
  }
  std::vector<FakeBackend*> fakes_;
};

}  // namespace ringproxy::testing
