// Server strings, parsed from the right as twemproxy's conf_add_server does:
// the last blank splits off the optional name, then the last ':' is the weight
// and the next one the port, and the host is whatever is left. ringproxy makes
// the weight optional, so a string with a single ':' is "host:port".
//
// The ring name is built from the *literal* config text (no resolution, no
// normalisation; "localhost:6379" and "127.0.0.1:6379" are different nodes),
// exactly as twemproxy builds it, so existing twemproxy rings carry over.
#include "ringproxy/placement/backend_spec.hpp"

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ringproxy {
namespace {

constexpr uint16_t kLibmemcachedPort = 11211;  // ring name omits the port for it
constexpr uint64_t kMaxWeight = 2147483647;    // twemproxy parses weights into an int

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

[[noreturn]] void fail(std::string_view text, std::string_view reason) {
  throw std::invalid_argument("backend \"" + std::string(text) + "\": " + std::string(reason) +
                              " (expected host:port[:weight] [name])");
}

// Decimal digits only (no sign, no blanks), at most `max`; `ok` reports success.
uint64_t parse_decimal(std::string_view s, uint64_t max, bool& ok) {
  ok = !s.empty() && s.size() <= 12;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      ok = false;
      break;
    }
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > max) ok = false;
  return v;
}

}  // namespace

std::string BackendSpec::address() const {
  const std::string port_text = std::to_string(port);
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + port_text;
  return host + ":" + port_text;
}

BackendSpec parse_backend_spec(std::string_view text) {
  std::string_view s = text;
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  if (s.empty()) fail(text, "empty server string");

  BackendSpec spec;
  std::string_view addr = s;
  if (const size_t blank = s.find_last_of(" \t"); blank != std::string_view::npos) {
    spec.name = std::string(s.substr(blank + 1));
    addr = s.substr(0, blank);
    while (!addr.empty() && is_blank(addr.back())) addr.remove_suffix(1);
    if (addr.find_first_of(" \t") != std::string_view::npos) {
      fail(text, "blank inside the address (only one name may follow it)");
    }
  }
  if (addr.empty()) fail(text, "missing address");
  if (addr.front() == '/') fail(text, "unix socket backends are not supported");

  // Split "hostpart:port[:weight]"; `host_text` keeps the literal spelling.
  std::string_view host_text, port_text, weight_text;
  if (addr.front() == '[') {
    const size_t close = addr.find(']');
    if (close == std::string_view::npos) fail(text, "missing ']' after IPv6 address");
    host_text = addr.substr(0, close + 1);
    spec.host = std::string(addr.substr(1, close - 1));
    std::string_view rest = addr.substr(close + 1);
    if (rest.empty() || rest.front() != ':') fail(text, "missing port");
    rest.remove_prefix(1);
    const size_t colon = rest.find(':');
    port_text = rest.substr(0, colon);
    if (colon != std::string_view::npos) weight_text = rest.substr(colon + 1);
    if (weight_text.find(':') != std::string_view::npos) fail(text, "too many ':' fields");
    if (colon != std::string_view::npos && weight_text.empty()) fail(text, "empty weight");
  } else {
    const size_t last = addr.rfind(':');
    if (last == std::string_view::npos) fail(text, "missing port");
    const size_t prev = last == 0 ? std::string_view::npos : addr.rfind(':', last - 1);
    if (prev == std::string_view::npos) {
      host_text = addr.substr(0, last);
      port_text = addr.substr(last + 1);
    } else {
      host_text = addr.substr(0, prev);
      port_text = addr.substr(prev + 1, last - prev - 1);
      weight_text = addr.substr(last + 1);
      if (weight_text.empty()) fail(text, "empty weight");
    }
    spec.host = std::string(host_text);
  }
  if (spec.host.empty()) fail(text, "missing host");

  bool ok = false;
  const uint64_t port = parse_decimal(port_text, 65535, ok);
  if (!ok || port == 0) fail(text, "invalid port '" + std::string(port_text) + "' (1..65535)");
  spec.port = static_cast<uint16_t>(port);

  if (!weight_text.empty()) {
    const uint64_t weight = parse_decimal(weight_text, kMaxWeight, ok);
    if (!ok) fail(text, "invalid weight '" + std::string(weight_text) + "' (1..2147483647)");
    if (weight == 0) fail(text, "weight must be greater than 0");
    spec.weight = static_cast<uint32_t>(weight);
  }

  if (!spec.name.empty()) {
    spec.ring_name = spec.name;
  } else if (spec.port == kLibmemcachedPort) {
    spec.ring_name = std::string(host_text);
  } else {
    spec.ring_name = std::string(host_text) + ":" + std::string(port_text);
  }
  return spec;
}

bool twemproxy_name_less(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return a.size() < b.size();
  return a < b;  // char_traits<char>::compare is memcmp-like (unsigned bytes)
}

std::vector<size_t> twemproxy_pool_order(const std::vector<BackendSpec>& backends) {
  std::vector<size_t> order(backends.size());
  std::iota(order.begin(), order.end(), size_t{0});
  // Stable, so duplicate names (rejected by validation) keep config order.
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    return twemproxy_name_less(backends[x].ring_name, backends[y].ring_name);
  });
  return order;
}

}  // namespace ringproxy
