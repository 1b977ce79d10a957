// libFuzzer target: the INI-style config file (`--config FILE`: `name = value`
// lines, the same names as the command line). The input is the file's text,
// applied onto the defaults by apply_config_text(), the function --config
// calls, then validated as the command line would. The only acceptable
// failure is a ConfigError with a one-line message; anything else thrown, a
// crash, a leak or undefined behaviour is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "ringproxy/options/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  ringproxy::Config config;
  try {
    ringproxy::apply_config_text(text, "fuzz.conf", config);
    ringproxy::validate(config);
  } catch (const ringproxy::ConfigError& e) {
    FUZZ_CHECK(std::string(e.what()).find('\n') == std::string::npos);
  }
  return 0;
}
