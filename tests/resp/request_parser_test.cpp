// RequestParser: multibulk and inline requests, empty requests, every split
// point and pipelining, inline quoting (request_parser_driver.hpp drives the
// parser).
#include "ringproxy/resp/request_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "request_parser_driver.hpp"

namespace ringproxy {
namespace {

using namespace parser_test;
using test_util::StreamFuzzer;

// ---------------------------------------------------------------------------
// Basics

TEST(RequestParser, MultibulkGet) {
  const std::string in = "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n";
  RequestParser p;
  ASSERT_EQ(p.parse(in.data(), in.size()), Status::kComplete);
  EXPECT_EQ(p.consumed(), in.size());
  ASSERT_EQ(p.argc(), 2u);
  EXPECT_EQ(p.arg(0), "GET");
  EXPECT_EQ(p.arg(1), "key");
  EXPECT_EQ(p.arg(0).data(), in.data() + 8);  // a view of the input, not a copy
  EXPECT_EQ(p.raw(), in);
  EXPECT_EQ(p.raw().data(), in.data());
  EXPECT_FALSE(p.was_inline());
}

TEST(RequestParser, InlineIsReencodedAsMultibulk) {
  const One r = parse_one("SET k \"a b\"\r\nrest");
  ASSERT_EQ(r.status, Status::kComplete);
  EXPECT_EQ(r.args, (Args{"SET", "k", "a b"}));
  EXPECT_EQ(r.consumed, 13u);
  EXPECT_TRUE(r.was_inline);
  EXPECT_EQ(r.raw, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\na b\r\n");
}

TEST(RequestParser, InlineLineMayEndInBareNewline) {
  const One r = parse_one("PING\n");
  ASSERT_EQ(r.status, Status::kComplete);
  EXPECT_EQ(r.args, (Args{"PING"}));
  EXPECT_EQ(r.consumed, 5u);
  EXPECT_EQ(r.raw, "*1\r\n$4\r\nPING\r\n");
}

TEST(RequestParser, IncompleteRequestsNeedMore) {
  for (std::string_view in :
       {"", "*", "*2", "*2\r", "*2\r\n$3\r\nGET\r\n$3\r\nke", "*1\r\n$3\r\nabc",
        "*1\r\n$3\r\nabc\r", "GET k", "GET k\r", "\"unterminated"}) {
    EXPECT_EQ(parse_one(in).status, Status::kNeedMore) << escape(in);
  }
}

TEST(RequestParser, EmptyAndBinaryArguments) {
  std::string all_bytes;
  for (int c = 0; c < 256; ++c) all_bytes.push_back(static_cast<char>(c));
  const Args args = {"SET", "", std::string("a\0b", 3), "\r\n", "x\r\n$3\r\n*1\r\n", all_bytes};
  const std::string in = multibulk(args);
  const One r = parse_one(in);
  ASSERT_EQ(r.status, Status::kComplete);
  EXPECT_EQ(r.args, args);
  EXPECT_EQ(r.raw, in);
  expect_split_invariant(in);
}

TEST(RequestParser, ParseAfterCompleteIsIdempotentUntilReset) {
  const std::string in = "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nECHO\r\n";
  RequestParser p;
  ASSERT_EQ(p.parse(in.data(), in.size()), Status::kComplete);
  ASSERT_EQ(p.parse(in.data(), in.size()), Status::kComplete);
  EXPECT_EQ(p.consumed(), 14u);
  EXPECT_EQ(p.arg(0), "PING");
  p.reset();
  ASSERT_EQ(p.parse(in.data() + 14, in.size() - 14), Status::kComplete);
  EXPECT_EQ(p.arg(0), "ECHO");
}

// ---------------------------------------------------------------------------
// Empty requests

TEST(RequestParser, EmptyMultibulkIsCompleteWithNoArgs) {
  for (std::string_view in : {"*0\r\n", "*-1\r\n", "*-10\r\n"}) {
    const One r = parse_one(in);
    ASSERT_EQ(r.status, Status::kComplete) << in;
    EXPECT_TRUE(r.args.empty());
    EXPECT_EQ(r.consumed, in.size());
  }
  // Redis's own test: "*-10\r\n" then PING still works.
  EXPECT_EQ(whole("*-10\r\n*1\r\n$4\r\nPING\r\n").args(), (std::vector<Args>{{"PING"}}));
}

TEST(RequestParser, EmptyInlineLinesAreSkipped) {
  const One r = parse_one("\r\n\n  \t\r\n\r\n*1\r\n$4\r\nPING\r\n");
  ASSERT_EQ(r.status, Status::kComplete);
  EXPECT_EQ(r.args, (Args{"PING"}));
  EXPECT_EQ(r.consumed, 24u);
  EXPECT_EQ(r.raw, "*1\r\n$4\r\nPING\r\n");  // without the skipped lines
  EXPECT_FALSE(r.was_inline);

  const One r2 = parse_one("\r\nPING\r\n");
  ASSERT_EQ(r2.status, Status::kComplete);
  EXPECT_EQ(r2.args, (Args{"PING"}));
  EXPECT_EQ(r2.consumed, 8u);
  EXPECT_TRUE(r2.was_inline);
}

TEST(RequestParser, SkippedLinesBeforeAnIncompleteRequestAreHandedBack) {
  // So the caller can drop them: kNeedMore never leaves droppable bytes.
  for (std::string_view in : {"\r\n", "\r\n\n", "\r\nPI", "\n*1\r\n$4\r\nPI"}) {
    const One r = parse_one(in);
    ASSERT_EQ(r.status, Status::kComplete) << escape(in);
    EXPECT_TRUE(r.args.empty());
    EXPECT_EQ(r.consumed, in.find_first_not_of("\r\n") == std::string_view::npos
                              ? in.size()
                              : in.find_first_not_of("\r\n"));
    EXPECT_EQ(r.raw, "");
  }
}

TEST(RequestParser, ManyEmptyLinesDoNotAccumulate) {
  // redis-cli --pipe style: a stream of empty lines is dropped as it comes.
  std::string buf;
  RequestParser p;
  for (int i = 0; i < 1000; ++i) {
    buf += "\r\n";
    ASSERT_EQ(p.parse(buf.data(), buf.size()), Status::kComplete);
    ASSERT_EQ(p.argc(), 0u);
    buf.erase(0, p.consumed());
    p.reset();
  }
  EXPECT_TRUE(buf.empty());
}

// ---------------------------------------------------------------------------
// Every split point, byte by byte, pipelining

TEST(RequestParser, EveryRequestAtEverySplitPoint) {
  for (const auto& req : valid_requests()) {
    expect_split_invariant(req);
    const Outcome o = whole(req);
    EXPECT_EQ(o.error, "") << escape(req);
    EXPECT_EQ(o.leftover, 0u) << escape(req);
  }
}

TEST(RequestParser, PipelinedRequestsBackToBack) {
  std::string in;
  for (const auto& req : valid_requests()) in += req;
  const Outcome o = whole(in);
  EXPECT_EQ(o.error, "");
  EXPECT_EQ(o.leftover, 0u);
  const std::vector<Args> expected = {
      {"PING"},
      {"GET", "key"},
      {"SET", "k", std::string("ab\r\ncd\r\n\0\0", 10)},
      {"SET", "", "\r\n"},
      {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"},
      {"PING"},
      {"PING"},
      {"GET", "key"},
      {"SET", "k", "v with \"quotes\" A\n"},
      {"SET", "k's", "\\n"},
      {"GET", "a"},
      {"PING"},
      {"MSET", "a", "1", "b", "2", "c", "3"},
  };
  EXPECT_EQ(o.args(), expected);
  expect_split_invariant(in);
}

TEST(RequestParser, PipelineEndingInPartialRequest) {
  const std::string in = "*1\r\n$4\r\nPING\r\nGET k\r\n*2\r\n$3\r\nGET\r\n$3\r\nke";
  const Outcome o = whole(in);
  EXPECT_EQ(o.args(), (std::vector<Args>{{"PING"}, {"GET", "k"}}));
  EXPECT_EQ(o.leftover, 19u);
  expect_split_invariant(in);
}

// ---------------------------------------------------------------------------
// Inline quoting (sdssplitargs rules)

TEST(RequestParser, InlineQuotingAndEscapes) {
  struct Case {
    std::string line;
    Args args;
  };
  const std::vector<Case> cases = {
      {"GET k", {"GET", "k"}},
      {"  GET \t  k  ", {"GET", "k"}},
      {"SET k \"hello world\"", {"SET", "k", "hello world"}},
      {"\"\\n\\r\\t\\b\\a\\\\\\\"\\q\"", {"\n\r\t\b\a\\\"q"}},
      {"\"\\x41\\x4a\\x4B\\x00z\"", {std::string("AJK\0z", 5)}},
      {"\"\\xZZ\"", {"xZZ"}},  // not hex: \x is just 'x'
      {"\"\\x4\"", {"x4"}},
      {"\"\\x\"", {"x"}},
      {"'it\\'s'", {"it's"}},
      {"'a\\nb\\\"'", {"a\\nb\\\""}},  // no escapes but \' in single quotes
      {"foo\"bar\"", {"foobar"}},      // quotes may start mid-argument
      {"foo'bar' baz", {"foobar", "baz"}},
      {"\"\"", {""}},
      {"GET \"\" ''", {"GET", "", ""}},
      {"\"a\"\vb", {"a", "b"}},   // \v after a closing quote is a separator
      {"a\vb c", {"a\vb", "c"}},  // but does not end an unquoted argument
      {"a\rb", {"a", "b"}},       // a CR inside the line separates
      {"\"a\rb\"", {"a\rb"}},     // unless quoted
      {"\xff\xfe k", {"\xff\xfe", "k"}},
      {"SET \"k\"", {"SET", "k"}},
  };
  for (const auto& c : cases) {
    for (const char* eol : {"\r\n", "\n"}) {
      const std::string in = c.line + eol;
      const One r = parse_one(in);
      ASSERT_EQ(r.status, Status::kComplete) << escape(in) << " " << r.error;
      EXPECT_EQ(r.args, c.args) << escape(in);
      EXPECT_EQ(r.consumed, in.size());
      EXPECT_TRUE(r.was_inline);
      EXPECT_EQ(r.raw, multibulk(c.args));
    }
    expect_split_invariant(c.line + "\r\n");
  }
}

TEST(RequestParser, InlineUnbalancedQuotes) {
  for (std::string_view line : std::initializer_list<std::string_view>{
           "SET k \"v", "SET k 'v", "\"a\"b", "'a'b", "\"a\"'b'", "\"ab\\\"", "\"ab\\", "'\\\\'",
           "\"a", "x \"y\"z w"}) {
    const std::string in = cat({line, "\r\n"});
    const One r = parse_one(in);
    ASSERT_EQ(r.status, Status::kError) << escape(in);
    EXPECT_EQ(r.error, "ERR Protocol error: unbalanced quotes in request");
    expect_split_invariant(in);
  }
}

// A NUL in an inline request hides the '\n' after it, as Redis's strchr()
// does: the line never completes, so nothing runs (before, the text up to the
// NUL ran: "SET k v\0 EX 1000 NX" set k without EX and NX, where Redis runs
// nothing), and only the inline size limit ends the wait, with Redis's error.
// Found by the network fuzz test against redis-server.
TEST(RequestParser, InlineNulHidesTheLineEndLikeRedis) {
  for (const std::string& in : {"GET a\0ignored\r\n"s, "SET k v\0 EX 1000 NX\r\nPING\r\n"s,
                                "\0PING\r\n"s, "PING\r\nGET a\0\n*1\r\n$4\r\nPING\r\n"s}) {
    const Outcome o = whole(in);
    EXPECT_EQ(o.error, "") << escape(in);
    for (const Args& a : o.args()) EXPECT_EQ(a, Args{"PING"}) << escape(in);
    EXPECT_GT(o.leftover, 0u) << escape(in);
    expect_split_invariant(in);
  }
  ParserLimits limits;
  limits.max_inline_len = 16;
  RequestParser p(limits);
  std::string in = "GET a\0b\r\n"s;
  EXPECT_EQ(p.parse(in.data(), in.size()), Status::kNeedMore);
  in += std::string(8, 'x');  // 17 bytes unparsed: one past the limit
  EXPECT_EQ(p.parse(in.data(), in.size()), Status::kError);
  EXPECT_EQ(p.error(), "ERR Protocol error: too big inline request");
}

}  // namespace
}  // namespace ringproxy
