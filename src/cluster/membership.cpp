// See membership.hpp.
#include "ringproxy/cluster/membership.hpp"

#include <algorithm>
#include <cstdio>
#include <set>
#include <stdexcept>

#include "ringproxy/common/log.hpp"

namespace ringproxy {
namespace {

bool is_blank_or_control(unsigned char c) {
  return c <= ' ' || c == 0x7f;
}

// For log lines: keys and values are arbitrary bytes.
std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace

std::string default_etcd_prefix(std::string_view pool_name) {
  return "/ringproxy/" + std::string(pool_name);
}

std::string normalize_etcd_prefix(std::string_view prefix) {
  while (prefix.size() > 1 && prefix.back() == '/') prefix.remove_suffix(1);
  return std::string(prefix);
}

std::string backends_key_prefix(std::string_view prefix) {
  std::string p = normalize_etcd_prefix(prefix);
  if (p != "/") p += "/";
  return p + "backends/";
}

std::string backend_key(std::string_view prefix, std::string_view name) {
  return backends_key_prefix(prefix) + std::string(name);
}

std::string encode_backend_value(const BackendSpec& spec) {
  return spec.address() + ":" + std::to_string(spec.weight);
}

void check_backend_name(std::string_view name) {
  if (name.empty()) throw std::invalid_argument("empty backend name");
  for (unsigned char c : name) {
    if (c == '/') throw std::invalid_argument("backend name with '/' (nested key)");
    if (is_blank_or_control(c)) {
      throw std::invalid_argument("backend name with a blank or control character");
    }
  }
}

BackendSpec decode_backend(std::string_view prefix, const KeyValue& kv) {
  const std::string dir = backends_key_prefix(prefix);
  if (!std::string_view(kv.key).starts_with(dir)) {
    throw std::invalid_argument("not under " + dir);
  }
  std::string_view name = std::string_view(kv.key).substr(dir.size());
  check_backend_name(name);
  std::string_view value = kv.value;
  if (value.starts_with("{")) {
    throw std::invalid_argument("JSON values are not supported; the value is host:port[:weight]");
  }
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.remove_suffix(1);
  if (value.find_first_of(" \t") != std::string_view::npos) {
    throw std::invalid_argument(
        "value must be host:port[:weight] without a name (the name is the key's last element)");
  }
  for (unsigned char c : value) {
    if (is_blank_or_control(c)) throw std::invalid_argument("control character in the value");
  }
  // The name goes through the same parser as --backend "host:port:weight name",
  // so the ring identity is the one a fresh start with that list gives.
  return parse_backend_spec(std::string(value) + " " + std::string(name));
}

Membership decode_membership(std::string_view prefix, const std::vector<KeyValue>& kvs) {
  std::vector<const KeyValue*> sorted;
  sorted.reserve(kvs.size());
  for (const auto& kv : kvs) sorted.push_back(&kv);
  std::sort(sorted.begin(), sorted.end(),
            [](const KeyValue* a, const KeyValue* b) { return a->key < b->key; });
  Membership m;
  std::set<std::string> addresses;
  for (const KeyValue* kv : sorted) {
    try {
      BackendSpec spec = decode_backend(prefix, *kv);
      if (!addresses.insert(spec.address()).second) {
        m.errors.push_back({kv->key, "address " + spec.address() + " is already another key's"});
        continue;
      }
      m.backends.push_back(std::move(spec));
    } catch (const std::invalid_argument& e) {
      m.errors.push_back({kv->key, e.what()});
    }
  }
  return m;
}

Membership decode_membership(std::string_view prefix, const std::map<std::string, KeyValue>& kvs) {
  std::vector<KeyValue> list;
  list.reserve(kvs.size());
  for (const auto& [key, kv] : kvs) list.push_back(kv);
  return decode_membership(prefix, list);
}

void log_membership_errors(const Membership& membership) {
  for (const auto& e : membership.errors) {
    log(LogLevel::kWarn, "etcd: skipping ", printable(e.key), ": ", printable(e.reason));
  }
}

}  // namespace ringproxy
