// The real twemproxy (Debian's nutcracker 0.5.0) beside ringproxy, for the
// tests that compare the two: where keys land, and the stats document.
//
// Tests skip (not fail) when no nutcracker binary is found: $NUTCRACKER, else
// PATH, else /usr/sbin/nutcracker.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "harness.hpp"

namespace ringproxy::testing {

// "" when not installed.
std::string nutcracker_binary();

// A key or value made printable for failure messages.
std::string show(std::string_view s);

// The keys placement is checked with: ASCII, random binary with high bytes
// (and NUL, CR, LF), hash-tag shapes, long keys, and the empty key.
std::vector<std::string> make_keys(size_t count, uint32_t seed);

// nutcracker on a free listen port and a free loopback stats port, running
// the YAML that `make_yaml(listen_port)` returns (a file of several pools
// picks the other pools' ports itself). Ready (its first pool answers PING)
// when the constructor returns; stopped by the destructor. `extra_args` go
// to nutcracker (e.g. {"-i", "100"}).
class Nutcracker {
 public:
  Nutcracker(const std::filesystem::path& dir,
             const std::function<std::string(uint16_t)>& make_yaml,
             const std::vector<std::string>& extra_args = {});
  ~Nutcracker() { process_.stop(); }
  Nutcracker(const Nutcracker&) = delete;
  Nutcracker& operator=(const Nutcracker&) = delete;

  uint16_t port() const { return port_; }
  uint16_t stats_port() const { return stats_port_; }
  const std::filesystem::path& yaml_path() const { return yaml_path_; }
  std::string log() const { return tail_lines(read_file(log_path_), 20); }

 private:
  std::filesystem::path yaml_path_;
  std::filesystem::path log_path_;
  uint16_t port_ = 0;
  uint16_t stats_port_ = 0;
  ChildProcess process_;
};

}  // namespace ringproxy::testing
