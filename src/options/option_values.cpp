// Numbers are read as signed 64-bit and range-checked here, because unsigned
// parsing would silently wrap "-1".
#include "ringproxy/options/option_values.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <span>

namespace ringproxy {

namespace {

struct Suffix {
  std::string_view name;
  int64_t multiplier;
};

// Longest first is not needed: a suffix is compared whole.
constexpr Suffix kByteSuffixes[] = {
    {"b", 1},          {"k", 1LL << 10}, {"kb", 1LL << 10}, {"m", 1LL << 20},
    {"mb", 1LL << 20}, {"g", 1LL << 30}, {"gb", 1LL << 30},
};
constexpr Suffix kMillisSuffixes[] = {{"ms", 1}};

std::string_view base_unit_words(Unit unit) {
  switch (unit) {
    case Unit::kBytes:
      return "a plain number is bytes";
    case Unit::kMillis:
      return "a plain number is milliseconds";
    case Unit::kNone:
      break;
  }
  return "";
}

}  // namespace

std::string_view unit_names(Unit unit) {
  switch (unit) {
    case Unit::kBytes:
      return "b, k, kb, m, mb, g, gb";
    case Unit::kMillis:
      return "ms";
    case Unit::kNone:
      break;
  }
  return "";
}

int64_t parse_number(std::string_view text, Unit unit, int64_t min, int64_t max) {
  size_t digits_end = 0;
  if (digits_end < text.size() && text[digits_end] == '-') ++digits_end;
  while (digits_end < text.size() && std::isdigit(static_cast<unsigned char>(text[digits_end]))) {
    ++digits_end;
  }
  const std::string_view digits = text.substr(0, digits_end);
  if (digits.empty() || digits == "-") {
    throw OptionValueError(text.empty() ? "empty value; expected a number" : "not a number");
  }
  std::string suffix;
  for (char c : text.substr(digits_end)) {
    suffix.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  int64_t multiplier = 1;
  if (!suffix.empty()) {
    std::span<const Suffix> accepted;
    if (unit == Unit::kBytes) accepted = kByteSuffixes;
    if (unit == Unit::kMillis) accepted = kMillisSuffixes;
    const auto hit = std::find_if(accepted.begin(), accepted.end(),
                                  [&](const Suffix& s) { return s.name == suffix; });
    if (hit == accepted.end()) {
      if (unit == Unit::kNone) throw OptionValueError("not a number (no unit is accepted here)");
      throw OptionValueError("unit '" + printable(text.substr(digits_end)) +
                             "' is not accepted (units: " + std::string(unit_names(unit)) + "; " +
                             std::string(base_unit_words(unit)) + ")");
    }
    multiplier = hit->multiplier;
  }
  int64_t v = 0;
  auto r = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  const bool overflow =
      r.ec != std::errc() || v > INT64_MAX / multiplier || v < INT64_MIN / multiplier;
  if (!overflow) v *= multiplier;
  if (overflow || v < min || v > max) {
    throw OptionValueError("out of range [" + format_number(min, unit) + ", " +
                           format_number(max, unit) + "]");
  }
  return v;
}

std::string format_number(int64_t value, Unit unit) {
  if (unit == Unit::kBytes && value > 0) {
    for (auto [name, m] :
         {Suffix{"gb", 1LL << 30}, Suffix{"mb", 1LL << 20}, Suffix{"kb", 1LL << 10}}) {
      if (value % m == 0) return std::to_string(value / m) + std::string(name);
    }
  }
  return std::to_string(value);
}

bool parse_bool(std::string_view text) {
  if (text == "true" || text == "yes" || text == "on" || text == "1") return true;
  if (text == "false" || text == "no" || text == "off" || text == "0") return false;
  throw OptionValueError("expected true or false");
}

std::string printable(std::string_view text) {
  constexpr size_t kMax = 200;
  std::string out;
  for (size_t i = 0; i < text.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (text.size() > kMax) out += "...";
  return out;
}

std::vector<std::string> wrap(std::string_view text, size_t width) {
  std::vector<std::string> lines;
  std::string line;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    size_t end = text.find(' ', i);
    if (end == std::string_view::npos) end = text.size();
    if (end == i) break;
    const std::string_view word = text.substr(i, end - i);
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      lines.push_back(std::move(line));
      line.clear();
    }
    if (!line.empty()) line.push_back(' ');
    line.append(word);
    i = end;
  }
  if (!line.empty()) lines.push_back(std::move(line));
  return lines;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1);
  std::vector<size_t> cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace ringproxy
