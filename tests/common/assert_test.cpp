#include "ringproxy/common/assert.hpp"

#include <gtest/gtest.h>

namespace ringproxy {
namespace {

TEST(Assert, HoldsSilently) {
  int evaluated = 0;
  RP_ASSERT(++evaluated == 1 || true);
#if defined(RINGPROXY_ASSERTIONS)
  EXPECT_EQ(evaluated, 1);
#else
  EXPECT_EQ(evaluated, 0);  // not evaluated in release builds
#endif
}

#if defined(RINGPROXY_ASSERTIONS)
TEST(AssertDeathTest, FailureAbortsNamingTheCondition) {
  EXPECT_DEATH(RP_ASSERT(1 + 1 == 3), "assertion failed: 1 \\+ 1 == 3");
}
#endif

}  // namespace
}  // namespace ringproxy
