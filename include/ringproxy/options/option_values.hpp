// Option values as text: numbers with units, booleans, and the text helpers
// the option parsers and documentation writers share.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ringproxy {

// Why a value is not acceptable, without the option or the place: the parser
// that knows both adds them ("FILE:LINE: invalid value 'V' for option 'N': why").
class OptionValueError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The unit of a number option. A plain number is in the base unit (bytes,
// milliseconds); the accepted suffixes are listed by unit_names().
enum class Unit : uint8_t {
  kNone,    // a count: no suffix
  kBytes,   // b, k/kb (1024), m/mb, g/gb, any case
  kMillis,  // ms
};

// "512mb" -> 536870912, in [min, max]. Throws OptionValueError naming the
// accepted units for a suffix that is not one ("12tb", "5s").
int64_t parse_number(std::string_view text, Unit unit, int64_t min, int64_t max);
// The value as a config file would say it: bytes in the largest unit that
// divides them exactly (536870912 -> "512mb"), other units as plain numbers.
std::string format_number(int64_t value, Unit unit);
// For messages and docs: "b, k, kb, m, mb, g, gb" ... ("" for kNone).
std::string_view unit_names(Unit unit);

// true/yes/on/1 and false/no/off/0. Throws OptionValueError.
bool parse_bool(std::string_view text);

// A value from a file or the environment made safe for a one-line message:
// control and high bytes escaped, long values cut.
std::string printable(std::string_view text);

// Words of `text` in lines of at most `width` columns (a longer word gets a
// line of its own).
std::vector<std::string> wrap(std::string_view text, size_t width);

// Edit distance, for "did you mean" hints on misspelt option names.
size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace ringproxy
