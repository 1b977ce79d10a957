// expected_reply_types: the reply kinds of every forwarded command, keyed on
// its options. A command the proxy forwards with no entry would never have
// its replies checked, so every one must have a row.
#include "ringproxy/commands/expected_reply.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "ringproxy/commands/handlers.hpp"

namespace ringproxy {
namespace {

using namespace resp;  // NOLINT: the kind bits read best unqualified here

ReplyTypes expect(std::vector<std::string_view> argv) {
  const CommandInfo* cmd = lookup_command(argv[0]);
  EXPECT_NE(cmd, nullptr) << argv[0];
  return cmd == nullptr ? 0 : expected_reply_types(*cmd, argv);
}

TEST(ExpectedReply, EveryForwardedCommandHasAnEntry) {
  for (const CommandInfo& c : all_commands()) {
    const bool forwarded = dynamic_cast<const LocalCommand*>(c.handler) == nullptr &&
                           c.handler != &handlers::unsupported && c.handler != &handlers::multi &&
                           c.handler != &handlers::discard;
    if (forwarded) {
      EXPECT_TRUE(has_expected_reply_entry(c.name)) << c.name;
    }
  }
}

TEST(ExpectedReply, PlainCommands) {
  EXPECT_EQ(expect({"get", "k"}), kBulk | kNilBulk);
  EXPECT_EQ(expect({"GET", "k"}), kBulk | kNilBulk);
  EXPECT_EQ(expect({"incr", "k"}), kInteger);
  EXPECT_EQ(expect({"mget", "a", "b"}), kArray);
  EXPECT_EQ(expect({"mset", "a", "1"}), kStatus);
  EXPECT_EQ(expect({"del", "a", "b"}), kInteger);
  EXPECT_EQ(expect({"exec"}), kArray | kNilArray);
  EXPECT_EQ(expect({"type", "k"}), kStatus);
  EXPECT_EQ(expect({"scan", "0"}), kArray);
}

TEST(ExpectedReply, OptionsChangeTheKind) {
  EXPECT_EQ(expect({"set", "k", "v"}), kStatus);
  EXPECT_EQ(expect({"set", "k", "v", "nx"}), kStatus | kNilBulk);
  EXPECT_EQ(expect({"set", "k", "v", "XX", "EX", "10"}), kStatus | kNilBulk);
  EXPECT_EQ(expect({"set", "k", "v", "GET"}), kBulk | kNilBulk);
  EXPECT_EQ(expect({"set", "k", "v", "NX", "GET"}), kBulk | kNilBulk);
  EXPECT_EQ(expect({"lpop", "k"}), kBulk | kNilBulk);
  EXPECT_EQ(expect({"lpop", "k", "3"}), kArray | kNilArray);
  EXPECT_EQ(expect({"srandmember", "k"}), kBulk | kNilBulk);
  EXPECT_EQ(expect({"srandmember", "k", "-5"}), kArray);
  EXPECT_EQ(expect({"lpos", "k", "x"}), kInteger | kNilBulk);
  EXPECT_EQ(expect({"lpos", "k", "x", "COUNT", "0"}), kArray);
  EXPECT_EQ(expect({"zadd", "k", "1", "m"}), kInteger);
  EXPECT_EQ(expect({"zadd", "k", "XX", "INCR", "1", "m"}), kBulk | kNilBulk);
  EXPECT_EQ(expect({"sort", "k"}), kArray);
  EXPECT_EQ(expect({"sort", "k", "STORE", "d"}), kInteger);
  EXPECT_EQ(expect({"lcs", "a", "b"}), kBulk);
  EXPECT_EQ(expect({"lcs", "a", "b", "LEN"}), kInteger);
  EXPECT_EQ(expect({"lcs", "a", "b", "IDX"}), kArray);
  EXPECT_EQ(expect({"script", "load", "return 1"}), kBulk);
  EXPECT_EQ(expect({"script", "exists", "abc"}), kArray);
  EXPECT_EQ(expect({"script", "flush"}), kStatus);
}

TEST(ExpectedReply, ScriptsAndLocalCommandsTakeAnything) {
  EXPECT_EQ(expect({"eval", "return 1", "0"}), kAnyReply);
  EXPECT_EQ(expect({"ping"}), kAnyReply);
  EXPECT_EQ(expect({"info"}), kAnyReply);
}

// The dispatcher keeps one ReplyExpectation per command (its row looked up
// once): it must answer what expected_reply_types() answers, with and
// without the options that change the kind.
TEST(ExpectedReply, TheDispatchersPerCommandFormAgrees) {
  const std::vector<std::vector<std::string_view>> requests = {{"get", "k"},
                                                               {"set", "k", "v"},
                                                               {"set", "k", "v", "NX"},
                                                               {"set", "k", "v", "get"},
                                                               {"lpop", "k"},
                                                               {"lpop", "k", "3"},
                                                               {"zadd", "k", "incr", "1", "m"},
                                                               {"script", "load", "return 1"},
                                                               {"eval", "return 1", "0"},
                                                               {"ping"},
                                                               {"mget", "a", "b"},
                                                               {"sort", "k", "store", "d"}};
  for (const auto& argv : requests) {
    const CommandInfo* cmd = lookup_command(argv[0]);
    ASSERT_NE(cmd, nullptr) << argv[0];
    EXPECT_EQ(ReplyExpectation(*cmd)(argv), expected_reply_types(*cmd, argv)) << argv[0];
  }
  // Every command with 0 to 3 arguments after its name: a rule's options
  // begin at argument 1, 2 or 3, and below that the kinds without options
  // apply.
  for (const CommandInfo& c : all_commands()) {
    std::vector<std::string_view> argv = {c.name};
    for (std::string_view more : {"k", "3", "count"}) {
      EXPECT_EQ(ReplyExpectation(c)(argv), expected_reply_types(c, argv))
          << c.name << " with " << argv.size() << " arguments";
      argv.push_back(more);
    }
    EXPECT_EQ(ReplyExpectation(c)(argv), expected_reply_types(c, argv)) << c.name;
  }
  EXPECT_EQ(ReplyExpectation()({}), kAnyReply);
}

}  // namespace
}  // namespace ringproxy
