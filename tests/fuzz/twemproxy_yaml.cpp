// libFuzzer target: the twemproxy (nutcracker) YAML loader. The input is the
// file's text, loaded by load_twemproxy_config_text() (what
// --twemproxy-config FILE calls) once for the only pool and once for a pool
// named "alpha", then validated as the command line would. The only
// acceptable failure is a ConfigError with a one-line message; anything else
// thrown (a yaml-cpp exception escaping), a crash (deep nesting overflowing
// the parser's stack), a leak, undefined behaviour or a stall is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "ringproxy/options/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const char* pool : {"", "alpha"}) {
    ringproxy::Config config;
    try {
      ringproxy::load_twemproxy_config_text(text, "fuzz.yml", pool, config);
      ringproxy::validate(config);
    } catch (const ringproxy::ConfigError& e) {
      FUZZ_CHECK(std::string(e.what()).find('\n') == std::string::npos);
    }
  }
  return 0;
}
