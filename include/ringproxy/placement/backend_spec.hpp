// A backend as written in a config: twemproxy's server string
// "host:port[:weight] [name]".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringproxy {

struct BackendSpec {
  std::string host;
  uint16_t port = 0;
  uint32_t weight = 1;
  std::string name;  // optional; empty when not given
  // The identity string that goes on the ketama ring, by twemproxy's rules:
  // the name if given, else the host alone for port 11211, else the literal
  // "host:port" text from the config (no DNS, no normalisation).
  std::string ring_name;

  // "host:port" for logs and INFO ("[v6]:port" when the host contains ':').
  std::string address() const;
};

// Parses "host:port[:weight] [name]" from the right like twemproxy does.
// Throws std::invalid_argument with a one-line reason on bad input
// (missing port, port out of range, weight 0 or not a number, ...).
//
// Details:
// - Surrounding whitespace is ignored; the name is the text after the last
//   space or tab.
// - With two or more ':' the last field is the weight and the one before it
//   the port; the host is everything left of that (twemproxy's rule, so an
//   IPv6 literal is written "::1:6379:1"). With one ':' the weight defaults
//   to 1 (twemproxy requires it; ringproxy accepts both).
// - "[v6addr]:port[:weight] [name]" is also accepted (a ringproxy extension);
//   host is then the address without brackets, ring_name keeps the brackets.
// - Weight: decimal, 1 .. 2147483647 (twemproxy's int range). Port: 1..65535.
// - Unix socket paths ("/path:weight") are rejected: ringproxy connects over
//   TCP only.
BackendSpec parse_backend_spec(std::string_view text);

// twemproxy's pool order (conf_validate_server sorts the server array with
// string_compare on each server's ring name): shorter ring names first, equal
// lengths by bytes (memcmp). Ring names are unique, so the order is total.
// This order drives modula slots, ketama tie-breaks and stats order.
bool twemproxy_name_less(std::string_view a, std::string_view b);

// Indexes into `backends`, in twemproxy pool order (see above).
std::vector<size_t> twemproxy_pool_order(const std::vector<BackendSpec>& backends);

}  // namespace ringproxy
