// RP_ASSERT: runtime invariants that must fail loudly in debug and sanitizer
// builds (RINGPROXY_ASSERTIONS, set by CMake for Debug and RINGPROXY_SANITIZE)
// and cost nothing in release builds, like Redis's serverAssert and
// twemproxy's ASSERT. A failed assertion logs the condition and its place, then
// aborts, so the sanitizer and the test harness report it as a crash.
#pragma once

namespace ringproxy::detail {
[[noreturn]] void assertion_failed(const char* condition, const char* file, int line);
}  // namespace ringproxy::detail

#if defined(RINGPROXY_ASSERTIONS)
#define RP_ASSERT(cond) \
  ((cond) ? static_cast<void>(0) : ::ringproxy::detail::assertion_failed(#cond, __FILE__, __LINE__))
#else
#define RP_ASSERT(cond) static_cast<void>(sizeof(static_cast<bool>(cond)))
#endif
