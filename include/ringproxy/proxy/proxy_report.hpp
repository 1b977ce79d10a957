// What the local commands (INFO, CLIENT LIST, CONFIG GET, PROXY NODES) learn
// of the whole proxy: its ProxyIntrospection, over the Proxy's clients,
// counters, configuration and backends.
#pragma once

#include "ringproxy/commands/introspection.hpp"

namespace ringproxy {

class Proxy;

class ProxyReport final : public ProxyIntrospection {
 public:
  explicit ProxyReport(Proxy& proxy) : proxy_(proxy) {}

  uint64_t now_ms() const override;
  void facts(ProxyFacts& out) const override;
  void backends(std::vector<BackendReport>& out) const override;
  void for_each_session(const std::function<void(const Session&)>& fn) const override;
  void config_get(std::span<const std::string_view> patterns,
                  std::vector<std::pair<std::string, std::string>>& out) const override;
  bool kill_client(uint64_t id) override;
  void place(std::string_view key, KeyPlacement& out) const override;
  void info_section(std::string_view section, std::string& out) const override;
  void slowlog(int64_t count, std::vector<SlowlogEntry>& out) const override;
  uint64_t slowlog_len() const override;
  void slowlog_reset() override;
  void hot_keys(size_t count, std::vector<HotKeyEntry>& out) const override;

 private:
  Proxy& proxy_;
};

}  // namespace ringproxy
