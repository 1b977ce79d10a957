// Redis's @fast category (generated from COMMAND INFO into fast_commands.inc
// by scripts/update-fast-commands.sh), plus the plain string writes stall
// detection treats as fast. See command_table.hpp.
#include <algorithm>
#include <iterator>
#include <span>
#include <string_view>

#include "ringproxy/commands/command_table.hpp"

namespace ringproxy {

namespace {

constexpr std::string_view kFastNames[] = {
#include "fast_commands.inc"
};
// Plain string writes Redis puts in @slow (a value may be big) that still do
// one allocation and copy of a value already received: stall detection
// treats them as fast, or it would be off under any write load, and a probe
// timing out behind one would not count either.
constexpr std::string_view kAlsoFast[] = {"mset", "msetnx", "psetex", "set", "setex"};
template <size_t N>
constexpr bool sorted(const std::string_view (&names)[N]) {
  for (size_t i = 1; i < N; ++i) {
    if (!(names[i - 1] < names[i])) return false;
  }
  return true;
}
static_assert(sorted(kFastNames) && sorted(kAlsoFast));
}  // namespace

bool is_fast_command_name(std::string_view name) {
  return std::binary_search(std::begin(kFastNames), std::end(kFastNames), name) ||
         std::binary_search(std::begin(kAlsoFast), std::end(kAlsoFast), name);
}

std::span<const std::string_view> fast_command_names() {
  return kFastNames;
}

std::span<const std::string_view> also_fast_command_names() {
  return kAlsoFast;
}

}  // namespace ringproxy
