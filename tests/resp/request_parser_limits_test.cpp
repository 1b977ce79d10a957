// RequestParser: error texts (Redis's), limits, and Redis's limits before AUTH.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "request_parser_driver.hpp"
#include "ringproxy/resp/request_parser.hpp"

namespace ringproxy {
namespace {

using namespace parser_test;
using test_util::StreamFuzzer;

// ---------------------------------------------------------------------------
// Errors

TEST(RequestParser, ErrorTextsMatchRedis) {
  const std::string big = std::string(70000, '1');
  struct Case {
    std::string in;
    std::string error;
  };
  const std::string mb = "ERR Protocol error: invalid multibulk length";
  const std::string bl = "ERR Protocol error: invalid bulk length";
  const std::vector<Case> cases = {
      {"*abc\r\n", mb},
      {"*\r\n", mb},
      {"*01\r\n", mb},
      {"*+1\r\n", mb},
      {"*-0\r\n", mb},
      {"* 1\r\n", mb},
      {"*1 \r\n", mb},
      {"*99999999999999999999\r\n", mb},  // overflows int64
      {"*1048577\r\n", mb},               // above default max_args
      {"*20000000\r\n", mb},
      {"*1\rX", mb},  // Redis skips any byte after '\r'; we require '\n'
      {"*1\r\n$-1\r\n", bl},
      {"*1\r\n$abc\r\n", bl},
      {"*1\r\n$\r\n", bl},
      {"*1\r\n$01\r\nx\r\n", bl},
      {"*1\r\n$+1\r\nx\r\n", bl},
      {"*1\r\n$536870913\r\n", bl},  // above default max_bulk_len (512 MB)
      {"*1\r\n$3\rXabc\r\n", bl},
      {"*1\r\n$3\r\nabcXY", bl},  // Redis skips 2 bytes after the payload; we require "\r\n"
      {"*1\r\n$3\r\nabc\rX", bl},
      {"*1\r\n$3\r\nabc\n\r", bl},
      {"*1\r\nfoo\r\n", "ERR Protocol error: expected '$', got 'f'"},
      {"*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n", "ERR Protocol error: expected '$', got 'f'"},
      {"*2\r\n$1\r\na\r\n:1\r\n", "ERR Protocol error: expected '$', got ':'"},
      {"*1\r\n\r\n", "ERR Protocol error: expected '$', got ' '"},  // CR/LF blanked
      {"*1\r\n\n", "ERR Protocol error: expected '$', got ' '"},
      {cat({"*", big}), "ERR Protocol error: too big mbulk count string"},
      {cat({"*", big, "\r\n"}), "ERR Protocol error: too big mbulk count string"},
      {cat({"*1\r\n$", big}), "ERR Protocol error: too big bulk count string"},
      {std::string(70000, 'a'), "ERR Protocol error: too big inline request"},
      {cat({std::string(70000, 'a'), "\r\n"}), "ERR Protocol error: too big inline request"},
      {"SET k \"v\r\n", "ERR Protocol error: unbalanced quotes in request"},
  };
  for (const auto& c : cases) {
    const One r = parse_one(c.in);
    ASSERT_EQ(r.status, Status::kError) << escape(c.in.substr(0, 40));
    EXPECT_EQ(r.error, c.error) << escape(c.in.substr(0, 40));
    if (c.in.size() < 100) expect_split_invariant(c.in);
  }
}

TEST(RequestParser, ErrorIsSticky) {
  RequestParser p;
  const std::string in = "*x\r\n*1\r\n$4\r\nPING\r\n";
  ASSERT_EQ(p.parse(in.data(), in.size()), Status::kError);
  EXPECT_EQ(p.parse(in.data(), in.size()), Status::kError);
  EXPECT_EQ(p.error(), "ERR Protocol error: invalid multibulk length");
}

TEST(RequestParser, ErrorsAfterGoodRequestsInAPipeline) {
  const std::string in = "*1\r\n$4\r\nPING\r\nGET a\r\n*1\r\n$3\r\nabcXY*1\r\n$4\r\nPING\r\n";
  const Outcome o = whole(in);
  EXPECT_EQ(o.args(), (std::vector<Args>{{"PING"}, {"GET", "a"}}));
  EXPECT_EQ(o.error, "ERR Protocol error: invalid bulk length");
  expect_split_invariant(in);
}

// ---------------------------------------------------------------------------
// Limits

TEST(RequestParser, MaxArgs) {
  ParserLimits limits;
  limits.max_args = 3;
  EXPECT_EQ(parse_one(multibulk({"a", "b", "c"}), limits).status, Status::kComplete);
  // Rejected on the count alone, before any argument arrives.
  const One r = parse_one("*4\r\n", limits);
  ASSERT_EQ(r.status, Status::kError);
  EXPECT_EQ(r.error, "ERR Protocol error: invalid multibulk length");
  // The limit holds for inline requests too.
  EXPECT_EQ(parse_one("a b c\r\n", limits).status, Status::kComplete);
  EXPECT_EQ(parse_one("a b c d\r\n", limits).error, "ERR Protocol error: invalid multibulk length");
}

TEST(RequestParser, MaxBulkLen) {
  ParserLimits limits;
  limits.max_bulk_len = 10;
  EXPECT_EQ(parse_one(multibulk({"SET", "k", std::string(10, 'v')}), limits).status,
            Status::kComplete);
  const One r = parse_one("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$11\r\n", limits);
  ASSERT_EQ(r.status, Status::kError);  // before the payload arrives
  EXPECT_EQ(r.error, "ERR Protocol error: invalid bulk length");
  // The limit holds for inline requests too.
  EXPECT_EQ(parse_one("SET k 0123456789\r\n", limits).status, Status::kComplete);
  EXPECT_EQ(parse_one("SET k 0123456789a\r\n", limits).error,
            "ERR Protocol error: invalid bulk length");
}

TEST(RequestParser, MaxInlineLen) {
  ParserLimits limits;
  limits.max_inline_len = 16;
  // At most max_inline_len bytes before the '\n' (a '\r' counts).
  EXPECT_EQ(parse_one(cat({std::string(15, 'a'), "\r\n"}), limits).status, Status::kComplete);
  EXPECT_EQ(parse_one(cat({std::string(16, 'a'), "\n"}), limits).status, Status::kComplete);
  EXPECT_EQ(parse_one(cat({std::string(16, 'a'), "\r\n"}), limits).error,
            "ERR Protocol error: too big inline request");
  EXPECT_EQ(parse_one(cat({std::string(17, 'a'), "\n"}), limits).error,
            "ERR Protocol error: too big inline request");
  // Without a newline: need more up to the limit, an error past it.
  EXPECT_EQ(parse_one(std::string(16, 'a'), limits).status, Status::kNeedMore);
  EXPECT_EQ(parse_one(std::string(17, 'a'), limits).error,
            "ERR Protocol error: too big inline request");
  // Header lines share the limit (Redis's PROTO_INLINE_MAX_SIZE).
  EXPECT_EQ(parse_one(cat({"*", std::string(16, '1')}), limits).error,
            "ERR Protocol error: too big mbulk count string");
  EXPECT_EQ(parse_one(cat({"*1\r\n$", std::string(16, '1')}), limits).error,
            "ERR Protocol error: too big bulk count string");
  EXPECT_EQ(parse_one(cat({"*1\r\n$", std::string(15, '1')}), limits).status, Status::kNeedMore);
  for (const std::string& in : {cat({std::string(16, 'a'), "\r\n"}), std::string(17, 'a'),
                                cat({std::string(15, 'a'), "\r\n", std::string(17, 'b')})}) {
    expect_split_invariant(in, limits);
  }
}

TEST(RequestParser, UnlimitedLimits) {
  ParserLimits limits;
  limits.max_inline_len = std::numeric_limits<size_t>::max();
  limits.max_bulk_len = std::numeric_limits<size_t>::max();
  limits.max_args = std::numeric_limits<size_t>::max();
  EXPECT_EQ(parse_one("GET k\r\n", limits).args, (Args{"GET", "k"}));
  EXPECT_EQ(parse_one(multibulk({"GET", "k"}), limits).args, (Args{"GET", "k"}));
  EXPECT_EQ(parse_one("GET k", limits).status, Status::kNeedMore);
  EXPECT_EQ(parse_one("*1\r\n$99", limits).status, Status::kNeedMore);
}

// Issue 15, defect 4: before AUTH, Redis's own limits (10 arguments, 16 KB
// bulks), checked on the headers, before any payload is buffered.
RequestParser::Status parse_unauthenticated(RequestParser& p, std::string_view in) {
  p.set_unauthenticated(true);
  return p.parse(in.data(), in.size());
}

TEST(RequestParserUnauthenticated, RefusesMoreThanTenArguments) {
  RequestParser p;
  EXPECT_EQ(parse_unauthenticated(p, "*11\r\n"), RequestParser::Status::kError);
  EXPECT_EQ(p.error(), "ERR Protocol error: unauthenticated multibulk length");
  RequestParser ok;
  std::string ten = "*10\r\n";
  for (int i = 0; i < 10; ++i) ten += "$1\r\nx\r\n";
  EXPECT_EQ(parse_unauthenticated(ok, ten), RequestParser::Status::kComplete);
}

TEST(RequestParserUnauthenticated, RefusesABulkOver16KbFromItsHeader) {
  RequestParser p;
  EXPECT_EQ(parse_unauthenticated(p, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$16385\r\n"),
            RequestParser::Status::kError);
  EXPECT_EQ(p.error(), "ERR Protocol error: unauthenticated bulk length");
  RequestParser ok;
  std::string at_limit = "*2\r\n$4\r\nAUTH\r\n$16384\r\n" + std::string(16384, 'p') + "\r\n";
  EXPECT_EQ(parse_unauthenticated(ok, at_limit), RequestParser::Status::kComplete);
}

TEST(RequestParserUnauthenticated, RedisOwnErrorsComeFirstAndAuthLiftsTheLimits) {
  RequestParser p;
  EXPECT_EQ(parse_unauthenticated(p, "*-5\r\n"), RequestParser::Status::kComplete);  // ignored
  p.reset();
  EXPECT_EQ(parse_unauthenticated(p, "*1\r\n$x\r\n"), RequestParser::Status::kError);
  EXPECT_EQ(p.error(), "ERR Protocol error: invalid bulk length");
  RequestParser authed;
  authed.set_unauthenticated(false);
  std::string big = "*2\r\n$3\r\nGET\r\n$20000\r\n" + std::string(20000, 'k') + "\r\n";
  EXPECT_EQ(authed.parse(big.data(), big.size()), RequestParser::Status::kComplete);
}

}  // namespace
}  // namespace ringproxy
