// See value_codecs.hpp.
#include "ringproxy/options/value_codecs.hpp"

#include "ringproxy/common/log.hpp"

namespace ringproxy {

// HOST:PORT or [IPV6]:PORT -> listen_host, listen_port.
OptionCodec listen_codec() {
  OptionCodec c;
  c.value_name = "HOST:PORT";
  c.set = [](Config& config, std::string_view value) {
    std::string_view host;
    std::string_view port;
    if (!value.empty() && value[0] == '[') {
      const size_t close = value.find(']');
      if (close == std::string_view::npos || close + 1 >= value.size() || value[close + 1] != ':') {
        throw OptionValueError("expected HOST:PORT or [IPV6]:PORT");
      }
      host = value.substr(1, close - 1);
      port = value.substr(close + 2);
    } else {
      const size_t colon = value.rfind(':');
      if (colon == std::string_view::npos || colon == 0) {
        throw OptionValueError("expected HOST:PORT");
      }
      host = value.substr(0, colon);
      port = value.substr(colon + 1);
    }
    int64_t p = 0;
    try {
      p = parse_number(port, Unit::kNone, 1, 65535);
    } catch (const OptionValueError& e) {
      throw OptionValueError("port '" + printable(port) + "': " + e.what());
    }
    config.listen_host = std::string(host);
    config.listen_port = static_cast<uint16_t>(p);
  };
  c.get = [](const Config& config) {
    const bool v6 = config.listen_host.find(':') != std::string::npos;
    return (v6 ? "[" + config.listen_host + "]" : config.listen_host) + ":" +
           std::to_string(config.listen_port);
  };
  return c;
}

// twemproxy's server string, one backend per use.
OptionCodec backend_codec() {
  OptionCodec c;
  c.value_name = "SPEC";
  c.set = [](Config& config, std::string_view value) {
    try {
      config.backends.push_back(parse_backend_spec(value));
    } catch (const std::invalid_argument& e) {
      throw OptionValueError(e.what());
    }
  };
  c.get = [](const Config& config) {
    std::string out;
    for (const BackendSpec& b : config.backends) {
      out.append(out.empty() ? "" : "\n").append(b.address());
      out.append(":").append(std::to_string(b.weight));
      if (!b.name.empty()) out.append(" ").append(b.name);
    }
    return out;
  };
  c.clear = [](Config& config) { config.backends.clear(); };
  return c;
}

OptionCodec hash_codec() {
  OptionCodec c;
  c.value_name = "NAME";
  c.set = [](Config& config, std::string_view value) {
    const auto h = parse_hash_name(value);
    if (!h) {
      std::string names;
      for (std::string_view n : hash_names()) names.append(names.empty() ? "" : " ").append(n);
      throw OptionValueError("unknown hash (one of: " + names + ")");
    }
    config.hash = *h;
  };
  c.get = [](const Config& config) { return std::string(hash_name(config.hash)); };
  return c;
}

OptionCodec hash_tag_codec() {
  OptionCodec c = text(&ConfigFields::hash_tag, "XY");
  c.set = [](Config& config, std::string_view value) {
    if (!value.empty() && value.size() != 2) {
      throw OptionValueError("must be exactly two characters, e.g. {}");
    }
    config.hash_tag = std::string(value);
  };
  return c;
}

OptionCodec distribution_codec() {
  OptionCodec c;
  c.value_name = "NAME";
  c.set = [](Config& config, std::string_view value) {
    const auto d = parse_distribution_name(value);
    if (!d) throw OptionValueError("one of ketama, modula, rendezvous, jump, maglev");
    config.distribution = *d;
  };
  c.get = [](const Config& config) { return std::string(distribution_name(config.distribution)); };
  return c;
}

// A file name: empty would read as "not given".
OptionCodec file_codec(std::string ConfigFields::*field) {
  OptionCodec c = text(field, "FILE");
  c.set = [field](Config& config, std::string_view value) {
    if (value.empty()) throw OptionValueError("empty file name");
    config.*field = std::string(value);
  };
  return c;
}

// A file the proxy writes (log, pid): empty means none, as --check-config
// prints an unset one.
OptionCodec output_file_codec(std::string ConfigFields::*field) {
  return text(field, "FILE");
}

// URL[,URL...] ("" = off): each entry non-empty, http(s):// or no scheme (the etcd
// client checks the rest when the proxy starts).
OptionCodec etcd_endpoints_codec() {
  OptionCodec c = text(&ConfigFields::etcd, "URL[,URL...]");
  c.set = [](Config& config, std::string_view value) {
    size_t start = 0;
    while (!value.empty() && start <= value.size()) {
      size_t comma = value.find(',', start);
      if (comma == std::string_view::npos) comma = value.size();
      const std::string_view url = value.substr(start, comma - start);
      if (url.empty()) throw OptionValueError("empty endpoint in the list");
      const size_t scheme = url.find("://");
      if (scheme != std::string_view::npos && url.substr(0, scheme) != "http" &&
          url.substr(0, scheme) != "https") {
        throw OptionValueError("endpoint '" + printable(url) + "': expected http:// or https://");
      }
      start = comma + 1;
    }
    config.etcd = std::string(value);
  };
  return c;
}

namespace {

// nutcracker's -v N (0 emerg ... 5 notice, its default, 6 info, 7 debug and
// more verbose up to 11) onto the four levels here, so that a command line
// carried over from twemproxy keeps its meaning.
bool nutcracker_log_level(std::string_view value, LogLevel& out) {
  if (value.empty() || value.size() > 2) return false;
  int n = 0;
  for (char ch : value) {
    if (ch < '0' || ch > '9') return false;
    n = n * 10 + (ch - '0');
  }
  if (n > 11) return false;
  out = n <= 3   ? LogLevel::kError
        : n == 4 ? LogLevel::kWarn
        : n <= 6 ? LogLevel::kInfo
                 : LogLevel::kDebug;
  return true;
}

}  // namespace

OptionCodec log_level_codec() {
  OptionCodec c = text(&ConfigFields::log_level, "LEVEL");
  c.set = [](Config& config, std::string_view value) {
    LogLevel level;
    if (!parse_log_level(value, level) && !nutcracker_log_level(value, level)) {
      throw OptionValueError(
          "expected error, warn, info or debug (or nutcracker's -v level, 0 to 11)");
    }
    // Stored by name, so that CONFIG GET and --check-config show what it means.
    config.log_level = std::string(log_level_name(level));
  };
  return c;
}

}  // namespace ringproxy
