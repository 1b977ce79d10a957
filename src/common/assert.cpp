// See assert.hpp.
#include "ringproxy/common/assert.hpp"

#include <cstdlib>
#include <string>

#include "ringproxy/common/log.hpp"

namespace ringproxy::detail {

void assertion_failed(const char* condition, const char* file, int line) {
  log_line(LogLevel::kError, std::string("assertion failed: ") + condition + " at " + file + ":" +
                                 std::to_string(line));
  std::abort();
}

}  // namespace ringproxy::detail
