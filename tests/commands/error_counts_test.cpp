// ErrorCounts: error replies by their code, as Redis's INFO errorstats names them.
#include <gtest/gtest.h>

#include "ringproxy/commands/context.hpp"

namespace ringproxy {
namespace {

TEST(ErrorCounts, CountsByTheLeadingCapitalWordElseErr) {
  ErrorCounts e;
  e.add("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  e.add("WRONGTYPE again");
  e.add("ERR unknown command 'x'");
  e.add("-NOAUTH Authentication required.\r\n");
  e.add("-no capitals here\r\n");
  e.add("");
  using Counts = std::vector<std::pair<std::string, uint64_t>>;
  EXPECT_EQ(e.counts, (Counts{{"WRONGTYPE", 2}, {"ERR", 3}, {"NOAUTH", 1}}));
}

}  // namespace
}  // namespace ringproxy
