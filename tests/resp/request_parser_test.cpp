// Tests for RequestParser. Most checks drive the parser the way the proxy's
// read loop does (parse, drop consumed(), reset, repeat) over the same input
// cut into different chunks, and require the same commands every time. In the
// checked mode every parse() call gets the unconsumed bytes in a fresh heap
// block of exactly that size, so under ASan a read past `len` or through a
// pointer kept from an earlier call fails the test.
#include "ringproxy/resp/request_parser.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <memory>
#include <new>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "stream_test_util.hpp"

// Allocation counter for the no-allocation test. Weak, so that if another test
// file in the same binary replaces operator new too, the link still succeeds
// (that test then skips itself rather than passing vacuously).
namespace {
thread_local bool g_count_allocs = false;
thread_local size_t g_allocs = 0;
}  // namespace

// Not under AddressSanitizer: its own operator new/delete must stay paired
// (library code mixes the replaced and the sanitizer's variants otherwise).
#if !defined(__SANITIZE_ADDRESS__)
__attribute__((weak)) void* operator new(std::size_t n) {
  if (g_count_allocs) ++g_allocs;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
__attribute__((weak)) void operator delete(void* p) noexcept {
  std::free(p);
}
__attribute__((weak)) void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
#endif

namespace ringproxy {
namespace {

using test_util::bytewise;
using test_util::cat;
using test_util::escape;
using test_util::StreamFuzzer;

using Status = RequestParser::Status;
using namespace std::string_literals;

using Args = std::vector<std::string>;

// (Built with append: GCC 12 gives a false -Wrestrict on "lit" + string&&.)
std::string multibulk(const Args& args) {
  std::string s = "*";
  s.append(std::to_string(args.size())).append("\r\n");
  for (const auto& a : args) {
    s.append("$").append(std::to_string(a.size())).append("\r\n").append(a).append("\r\n");
  }
  return s;
}

struct Cmd {
  Args args;
  std::string raw;
  bool was_inline = false;
  bool operator==(const Cmd&) const = default;
};

struct Outcome {
  std::vector<Cmd> cmds;  // completed requests with argc > 0
  std::string error;      // error() of the failing request, if any
  size_t leftover = 0;    // bytes not consumed at the end (0 after an error,
                          // where it depends on when empty lines were dropped)
  bool operator==(const Outcome&) const = default;

  std::vector<Args> args() const {
    std::vector<Args> out;
    for (const auto& c : cmds) out.push_back(c.args);
    return out;
  }
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  os << "{";
  for (const auto& c : o.cmds) {
    os << (c.was_inline ? "inline[" : "[");
    for (const auto& a : c.args) os << '"' << escape(a) << "\" ";
    os << "] ";
  }
  return os << "error=\"" << o.error << "\" leftover=" << o.leftover << "}";
}

// The raw() of every request is canonical multibulk (the parser accepts no
// other framing) and parses again, within the same argument limits, to the
// same args. (max_inline_len is left out: it also caps header lines.)
void check_raw_round_trip(const Cmd& c, const ParserLimits& limits) {
  EXPECT_EQ(c.raw, multibulk(c.args));
  ParserLimits again;
  again.max_args = limits.max_args;
  again.max_bulk_len = limits.max_bulk_len;
  RequestParser p(again);
  ASSERT_EQ(p.parse(c.raw.data(), c.raw.size()), Status::kComplete);
  EXPECT_EQ(p.consumed(), c.raw.size());
  EXPECT_FALSE(p.was_inline());
  ASSERT_EQ(p.argc(), c.args.size());
  for (size_t i = 0; i < p.argc(); ++i) EXPECT_EQ(p.arg(i), c.args[i]);
}

// Feeds `input` in chunks ending at `cuts` (increasing, last == size).
Outcome drive(std::string_view input, const std::vector<size_t>& cuts, ParserLimits limits = {},
              bool copy = true) {
  RequestParser p(limits);
  Outcome out;
  size_t start = 0;  // first byte not consumed yet
  for (size_t cut : cuts) {
    for (;;) {
      const size_t n = cut - start;
      std::unique_ptr<char[]> block;
      const char* data = input.data() + start;
      if (copy) {
        block.reset(new char[n]);
        if (n > 0) std::memcpy(block.get(), data, n);
        data = block.get();
      }
      const Status st = p.parse(data, n);
      if (st == Status::kNeedMore) break;
      if (st == Status::kError) {
        out.error = std::string(p.error());
        EXPECT_FALSE(out.error.empty());
        return out;
      }
      // kComplete must always make progress, or the caller would spin.
      EXPECT_GT(p.consumed(), 0u);
      EXPECT_LE(p.consumed(), n);
      if (p.consumed() == 0 || p.consumed() > n) return out;
      if (p.argc() > 0) {
        Cmd c;
        for (size_t i = 0; i < p.argc(); ++i) c.args.emplace_back(p.arg(i));
        c.raw = std::string(p.raw());
        c.was_inline = p.was_inline();
        if (!c.was_inline) {
          // Zero copy: multibulk args and raw() are views of the caller's bytes.
          EXPECT_GE(p.raw().data(), data);
          EXPECT_EQ(p.raw().data() + p.raw().size(), data + p.consumed());
        }
        check_raw_round_trip(c, limits);
        out.cmds.push_back(std::move(c));
      }
      start += p.consumed();
      p.reset();
    }
  }
  out.leftover = input.size() - start;
  return out;
}

Outcome whole(std::string_view input, ParserLimits limits = {}) {
  return drive(input, {input.size()}, limits);
}

// The outcome must not depend on how the input is split: one cut at every
// position, and byte by byte.
void expect_split_invariant(std::string_view input, ParserLimits limits = {}) {
  SCOPED_TRACE(cat({"input: \"", escape(input), "\""}));
  const Outcome expected = whole(input, limits);
  for (size_t k = 0; k <= input.size(); ++k) {
    EXPECT_EQ(drive(input, {k, input.size()}, limits), expected) << "split at " << k;
  }
  EXPECT_EQ(drive(input, bytewise(input.size()), limits), expected) << "byte by byte";
}

// A single complete request parsed in one call.
struct One {
  Status status;
  Args args;
  std::string raw;
  size_t consumed = 0;
  bool was_inline = false;
  std::string error;
};

One parse_one(std::string_view input, ParserLimits limits = {}) {
  RequestParser p(limits);
  One r;
  r.status = p.parse(input.data(), input.size());
  if (r.status == Status::kComplete) {
    for (size_t i = 0; i < p.argc(); ++i) r.args.emplace_back(p.arg(i));
    r.raw = std::string(p.raw());
    r.consumed = p.consumed();
    r.was_inline = p.was_inline();
  } else if (r.status == Status::kError) {
    r.error = std::string(p.error());
  }
  return r;
}

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

const std::vector<std::string>& valid_requests() {
  static const std::vector<std::string> reqs = {
      "*1\r\n$4\r\nPING\r\n",
      "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n",
      "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nab\r\ncd\r\n\0\0\r\n"s,
      "*3\r\n$3\r\nSET\r\n$0\r\n\r\n$2\r\n\r\n\r\n",
      "*0\r\n",
      "*-1\r\n",
      "*12\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\nf\r\n$1\r\ng\r\n$"
      "1\r\nh\r\n$1\r\ni\r\n$1\r\nj\r\n$1\r\nk\r\n$1\r\nl\r\n",
      "PING\r\n",
      "PING\n",
      "GET key\r\n",
      "  SET  k   \"v with \\\"quotes\\\" \\x41\\n\"  \r\n",
      "SET 'k\\'s' '\\n'\r\n",
      "\r\n",
      "\n",
      "   \r\n",
      "\r\n\r\nGET a\r\n",
      "\r\n*1\r\n$4\r\nPING\r\n",
      "MSET a 1 b 2 c 3\n",
  };
  return reqs;
}

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

// ---------------------------------------------------------------------------
// Large input, resumability

TEST(RequestParser, HugeValueInChunks) {
  // 20 MB in 64 KB reads: must be O(size), the payload is never rescanned.
  const size_t kSize = 20u << 20;
  std::string value(kSize, 'v');
  for (size_t i = 0; i < kSize; i += 4096) value.replace(i, 4, "\r\n*$");
  const std::string req = cat({"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$", std::to_string(kSize), "\r\n",
                               value, "\r\n*1\r\n$4\r\nPING\r\n"});
  const size_t first_len = req.size() - 14;
  std::string buf;  // grows, so the data moves between calls
  RequestParser p;
  Status st = Status::kNeedMore;
  size_t calls = 0;
  for (size_t off = 0; off < req.size() && st == Status::kNeedMore; off += 65536) {
    buf.append(req, off, 65536);
    st = p.parse(buf.data(), buf.size());
    ++calls;
  }
  ASSERT_EQ(st, Status::kComplete);
  EXPECT_EQ(calls, (first_len + 65535) / 65536);
  EXPECT_EQ(p.consumed(), first_len);
  ASSERT_EQ(p.argc(), 3u);
  EXPECT_EQ(p.arg(1), "key");
  EXPECT_TRUE(p.arg(2) == value);
  EXPECT_EQ(p.raw().data(), buf.data());
  EXPECT_EQ(p.raw().size(), first_len);
}

TEST(RequestParser, LongLinesByteByByteAreNotRescanned) {
  // One parse() call per byte over 2 MB lines: linear if each call resumes
  // the line-end search where the last one stopped, ~10^12 byte reads (the
  // test would hang) if it restarted from the line start.
  ParserLimits limits;
  limits.max_inline_len = 4u << 20;
  const std::string line = cat({"SET k ", std::string(2u << 20, 'x'), "\r\n"});
  const Outcome o = drive(line, bytewise(line.size()), limits, /*copy=*/false);
  ASSERT_EQ(o.cmds.size(), 1u);
  EXPECT_EQ(o.cmds[0].args[2].size(), 2u << 20);

  const std::string header = cat({"*1\r\n$", std::string(2u << 20, '1'), "\r\n"});
  EXPECT_EQ(drive(header, bytewise(header.size()), limits, /*copy=*/false).error,
            "ERR Protocol error: invalid bulk length");

  const std::string body =
      cat({"*2\r\n$5\r\nhello\r\n$100000\r\n", std::string(100000, '\n'), "\r\n"});
  const Outcome o2 = drive(body, bytewise(body.size()), limits, /*copy=*/false);
  ASSERT_EQ(o2.cmds.size(), 1u);
  EXPECT_EQ(o2.leftover, 0u);
}

TEST(RequestParser, NoAllocationPerRequestInSteadyState) {
  g_count_allocs = true;
  g_allocs = 0;
  ::operator delete(::operator new(16));
  const bool counting_works = g_allocs == 1;
  g_count_allocs = false;
  if (!counting_works) GTEST_SKIP() << "operator new is replaced elsewhere in this binary";

  std::string in;
  for (const auto& req : valid_requests()) in += req;
  in += multibulk({"MGET", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j"});
  RequestParser p;
  auto run = [&] {
    size_t start = 0, n = 0;
    while (start < in.size()) {
      if (p.parse(in.data() + start, in.size() - start) != Status::kComplete) return size_t{0};
      start += p.consumed();
      n += p.argc() > 0;
      p.reset();
    }
    return n;
  };
  const size_t warm = run();
  ASSERT_GT(warm, 10u);
  g_allocs = 0;
  g_count_allocs = true;
  size_t total = 0;
  for (int i = 0; i < 100; ++i) total += run();
  g_count_allocs = false;
  EXPECT_EQ(total, 100 * warm);
  EXPECT_EQ(g_allocs, 0u);
}

// ---------------------------------------------------------------------------
// Fuzz: random and mutated inputs must never crash, and the outcome must not
// depend on how the bytes were split.

TEST(RequestParserFuzz, RandomInputsSplitInvariant) {
  StreamFuzzer fuzz(0x5eed, "*$\r\n-+0123456789 \t\"'\\x\0:"s, valid_requests());
  auto pick = [&](size_t n) { return fuzz.pick(n); };
  for (int iter = 0; iter < 10000; ++iter) {
    const std::string in = fuzz.next_input();
    ParserLimits limits;
    if (pick(2) == 0) {
      limits.max_args = 1 + pick(8);
      limits.max_bulk_len = pick(16);
      limits.max_inline_len = 1 + pick(24);
    }
    SCOPED_TRACE(cat({"input: \"", escape(in), "\""}));
    const Outcome expected = whole(in, limits);
    const std::vector<size_t> cuts = fuzz.random_cuts(in.size());
    ASSERT_EQ(drive(in, cuts, limits), expected);
    if (iter % 8 == 0) {
      ASSERT_EQ(drive(in, bytewise(in.size()), limits), expected);
    }
  }
}

TEST(RequestParser, WantedIsTheAnnouncedBulkOnceItsHeaderIsIn) {
  RequestParser p;
  const std::string req =
      "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$70000\r\n" + std::string(70000, 'v') + "\r\n";
  EXPECT_EQ(p.parse(req.data(), 6), RequestParser::Status::kNeedMore);
  EXPECT_EQ(p.wanted(), 0u);  // a bulk header not complete yet: unknown
  EXPECT_EQ(p.parse(req.data(), 10), RequestParser::Status::kNeedMore);
  EXPECT_EQ(p.wanted(), 13u);  // the "SET" bulk: 8 bytes of headers, 3, CRLF
  EXPECT_EQ(p.parse(req.data(), 4000), RequestParser::Status::kNeedMore);
  EXPECT_EQ(p.wanted(), req.size());
  EXPECT_EQ(p.parse(req.data(), req.size()), RequestParser::Status::kComplete);
  EXPECT_EQ(p.wanted(), 0u);
}

}  // namespace
}  // namespace ringproxy

namespace ringproxy {
namespace {

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
