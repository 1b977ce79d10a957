// Small text helpers shared by the protocol code and the command handlers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ringproxy {

// Integer parsing with Redis's string2ll acceptance: optional '-', no '+', no
// spaces, no leading zeros, no "-0", must fit in int64.
bool parse_int64(const char* p, size_t n, int64_t* out);
// Unsigned decimal (SCAN cursors): digits only, must fit in uint64.
bool parse_u64(std::string_view s, uint64_t& out);
std::string lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
// The value of `field` in a Redis INFO text ("" when absent or empty).
std::string_view info_value(std::string_view info, std::string_view field);

}  // namespace ringproxy
