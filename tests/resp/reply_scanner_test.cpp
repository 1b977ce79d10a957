// Tests for ReplyScanner, parse_reply and split_array_elements. As for the
// request parser, the central check feeds the same bytes cut in different ways
// (every split point, byte by byte, random chunks) and requires the same
// replies; in the checked mode each scan() call gets the unconsumed bytes in a
// fresh heap block of exactly that size, so ASan catches reads past `len` and
// pointers kept across calls.
#include "ringproxy/resp/reply_scanner.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "stream_test_util.hpp"

namespace ringproxy {
namespace {

using test_util::bytewise;
using test_util::cat;
using test_util::escape;
using test_util::StreamFuzzer;

using Status = ReplyScanner::Status;
using namespace std::string_literals;

// (Built with append: GCC 12 gives a false -Wrestrict on "lit" + string&&.)
std::string bulk(std::string_view s) {
  std::string out = "$";
  out.append(std::to_string(s.size())).append("\r\n").append(s).append("\r\n");
  return out;
}

struct ScanOutcome {
  std::vector<std::string> replies;  // each complete reply's bytes
  std::string error;
  size_t leftover = 0;  // bytes not consumed at the end (0 after an error)
  bool operator==(const ScanOutcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const ScanOutcome& o) {
  os << "{";
  for (const auto& r : o.replies) os << '"' << escape(r) << "\" ";
  return os << "error=\"" << o.error << "\" leftover=" << o.leftover << "}";
}

// Feeds `input` in chunks ending at `cuts` (increasing, last == size), the way
// the proxy's backend read loop would.
ScanOutcome drive(std::string_view input, const std::vector<size_t>& cuts,
                  size_t max_bulk = 1024 * 1024, bool copy = true) {
  ReplyScanner sc(max_bulk);
  ScanOutcome out;
  size_t start = 0;
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
      const Status st = sc.scan(data, n);
      if (st == Status::kNeedMore) break;
      if (st == Status::kError) {
        out.error = std::string(sc.error());
        EXPECT_FALSE(out.error.empty());
        return out;
      }
      EXPECT_GT(sc.length(), 0u);
      EXPECT_LE(sc.length(), n);
      if (sc.length() == 0 || sc.length() > n) return out;
      const std::string_view reply(data, sc.length());
      EXPECT_EQ(sc.type(), reply[0]);
      ReplyView v;
      EXPECT_TRUE(parse_reply(reply, v)) << escape(reply);
      EXPECT_EQ(v.raw, reply);
      EXPECT_EQ(v.type, reply[0]);
      out.replies.emplace_back(reply);
      start += sc.length();  // the scanner resets itself after kComplete
    }
  }
  out.leftover = input.size() - start;
  return out;
}

void expect_split_invariant(std::string_view input, size_t max_bulk = 1024 * 1024) {
  SCOPED_TRACE(cat({"input: \"", escape(input), "\""}));
  const ScanOutcome expected = drive(input, {input.size()}, max_bulk);
  for (size_t k = 0; k <= input.size(); ++k) {
    EXPECT_EQ(drive(input, {k, input.size()}, max_bulk), expected) << "split at " << k;
  }
  EXPECT_EQ(drive(input, bytewise(input.size()), max_bulk), expected) << "byte by byte";
}

const std::vector<std::string>& valid_replies() {
  static const std::vector<std::string> replies = {
      "+OK\r\n",
      "+\r\n",
      "-ERR unknown command 'foo'\r\n",
      "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
      ":0\r\n",
      ":12345\r\n",
      ":-9223372036854775808\r\n",
      ":9223372036854775807\r\n",
      "$0\r\n\r\n",
      "$3\r\nfoo\r\n",
      "$-1\r\n",
      "$8\r\n\r\n\r\n*1\r\n\r\n"s,
      "$5\r\na\0b\0c\r\n"s,
      "*-1\r\n",
      "*0\r\n",
      "*2\r\n$1\r\na\r\n$-1\r\n",
      "*3\r\n:1\r\n+two\r\n-three\r\n",
      "*2\r\n*2\r\n+a\r\n*0\r\n*1\r\n*-1\r\n",
      "*3\r\n*1\r\n*1\r\n$2\r\nhi\r\n$0\r\n\r\n*2\r\n:1\r\n*1\r\n:2\r\n",
  };
  return replies;
}

// ---------------------------------------------------------------------------
// Basics

TEST(ReplyScanner, EachReplyIsDelimitedExactly) {
  for (const auto& r : valid_replies()) {
    const std::string in = r + "+NEXT\r\n";
    ReplyScanner sc;
    ASSERT_EQ(sc.scan(in.data(), in.size()), Status::kComplete) << escape(r) << " " << sc.error();
    EXPECT_EQ(sc.length(), r.size()) << escape(r);
    EXPECT_EQ(sc.type(), r[0]);
  }
}

TEST(ReplyScanner, EveryProperPrefixNeedsMore) {
  for (const auto& r : valid_replies()) {
    for (size_t k = 0; k < r.size(); ++k) {
      ReplyScanner sc;
      const std::unique_ptr<char[]> block(new char[k]);
      std::memcpy(block.get(), r.data(), k);
      EXPECT_EQ(sc.scan(block.get(), k), Status::kNeedMore) << escape(r) << " at " << k;
    }
  }
}

TEST(ReplyScanner, EveryReplyAtEverySplitPoint) {
  for (const auto& r : valid_replies()) {
    expect_split_invariant(r);
    const ScanOutcome o = drive(r, {r.size()});
    EXPECT_EQ(o.replies, std::vector<std::string>{r});
    EXPECT_EQ(o.leftover, 0u);
  }
}

TEST(ReplyScanner, PipelinedRepliesBackToBack) {
  std::string in;
  for (const auto& r : valid_replies()) in += r;
  in += "*2\r\n$3\r\nfo";  // a partial one at the end
  const ScanOutcome o = drive(in, {in.size()});
  EXPECT_EQ(o.replies, valid_replies());
  EXPECT_EQ(o.error, "");
  EXPECT_EQ(o.leftover, 10u);
  expect_split_invariant(in);
}

TEST(ReplyScanner, ResetsItselfAfterComplete) {
  const std::string in = "*2\r\n:1\r\n:2\r\n+OK\r\n";
  ReplyScanner sc;
  ASSERT_EQ(sc.scan(in.data(), in.size()), Status::kComplete);
  EXPECT_EQ(sc.length(), 12u);
  EXPECT_EQ(sc.type(), '*');
  ASSERT_EQ(sc.scan(in.data() + 12, in.size() - 12), Status::kComplete);
  EXPECT_EQ(sc.length(), 5u);
  EXPECT_EQ(sc.type(), '+');
}

TEST(ReplyScanner, DeepNesting) {
  // No recursion: nesting depth only costs one counter per level.
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "*1\r\n";
  deep += ":1\r\n";
  ReplyScanner sc;
  ASSERT_EQ(sc.scan(deep.data(), deep.size()), Status::kComplete);
  EXPECT_EQ(sc.length(), deep.size());

  std::string nested;
  for (int i = 0; i < 8; ++i) nested += "*2\r\n+x\r\n";
  nested += "*0\r\n";
  expect_split_invariant(nested);
}

// ---------------------------------------------------------------------------
// Errors

TEST(ReplyScanner, MalformedReplies) {
  struct Case {
    std::string in;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"?", "Protocol error: invalid reply type byte '?'"},
      {"\r\n", "Protocol error: invalid reply type byte 0x0d"},
      {"\x80", "Protocol error: invalid reply type byte 0x80"},
      {"%1\r\n+a\r\n+b\r\n", "Protocol error: invalid reply type byte '%'"},  // RESP3 map
      {"_\r\n", "Protocol error: invalid reply type byte '_'"},
      {"#t\r\n", "Protocol error: invalid reply type byte '#'"},
      {",1.5\r\n", "Protocol error: invalid reply type byte ','"},
      {"*2\r\n:1\r\n!3\r\nerr\r\n", "Protocol error: invalid reply type byte '!'"},
      {"$-2\r\n", "Protocol error: invalid bulk length"},
      {"$abc\r\n", "Protocol error: invalid bulk length"},
      {"$01\r\nx\r\n", "Protocol error: invalid bulk length"},
      {"$+1\r\nx\r\n", "Protocol error: invalid bulk length"},
      {"$\r\n", "Protocol error: invalid bulk length"},
      {"$1025\r\n", "Protocol error: invalid bulk length"},  // above max_bulk (1024 here)
      {"*-2\r\n", "Protocol error: invalid multibulk length"},
      {"*x\r\n", "Protocol error: invalid multibulk length"},
      {"*99999999999999999999\r\n", "Protocol error: invalid multibulk length"},
      {":abc\r\n", "Protocol error: invalid integer"},
      {":\r\n", "Protocol error: invalid integer"},
      {":-0\r\n", "Protocol error: invalid integer"},
      {":9223372036854775808\r\n", "Protocol error: invalid integer"},
      {"+OK\rX", "Protocol error: reply line not terminated by CRLF"},
      {"$3\r\nfoo\rX", "Protocol error: bulk payload not terminated by CRLF"},
      {"$3\r\nfooXY", "Protocol error: bulk payload not terminated by CRLF"},
      {"$3\r\nfoo\n\r", "Protocol error: bulk payload not terminated by CRLF"},
      {cat({":", std::string(40, '1')}), "Protocol error: reply line too long"},
      {cat({"$", std::string(33, '1'), "\r\n"}), "Protocol error: reply line too long"},
      {cat({"+", std::string(1025, 'x')}), "Protocol error: reply line too long"},
  };
  for (const auto& c : cases) {
    ReplyScanner sc(1024);
    ASSERT_EQ(sc.scan(c.in.data(), c.in.size()), Status::kError) << escape(c.in);
    EXPECT_EQ(sc.error(), c.error) << escape(c.in);
    if (c.in.size() < 100) expect_split_invariant(c.in, 1024);
  }
}

TEST(ReplyScanner, LimitsAreInclusive) {
  ReplyScanner sc(1024);
  const std::string b = bulk(std::string(1024, 'x'));
  ASSERT_EQ(sc.scan(b.data(), b.size()), Status::kComplete);
  const std::string line = cat({"+", std::string(1024, 'x'), "\r\n"});
  ASSERT_EQ(sc.scan(line.data(), line.size()), Status::kComplete);
  const std::string min = ":-9223372036854775808\r\n";
  ASSERT_EQ(sc.scan(min.data(), min.size()), Status::kComplete);
  const std::string num = ":-9223372036854775809\r\n";
  ASSERT_EQ(sc.scan(num.data(), num.size()), Status::kError);
  EXPECT_EQ(sc.error(), "Protocol error: invalid integer");
}

TEST(ReplyScanner, ErrorIsStickyUntilReset) {
  ReplyScanner sc;
  const std::string bad = "?x\r\n";
  const std::string good = "+OK\r\n";
  ASSERT_EQ(sc.scan(bad.data(), bad.size()), Status::kError);
  EXPECT_EQ(sc.scan(good.data(), good.size()), Status::kError);
  sc.reset();
  EXPECT_EQ(sc.error(), "");
  ASSERT_EQ(sc.scan(good.data(), good.size()), Status::kComplete);
  EXPECT_EQ(sc.length(), 5u);
}

TEST(ReplyScanner, ResetDiscardsAPartialReply) {
  ReplyScanner sc;
  const std::string partial = "*3\r\n$5\r\nab";
  ASSERT_EQ(sc.scan(partial.data(), partial.size()), Status::kNeedMore);
  sc.reset();
  const std::string good = ":7\r\n";
  ASSERT_EQ(sc.scan(good.data(), good.size()), Status::kComplete);
  EXPECT_EQ(sc.length(), 4u);
  EXPECT_EQ(sc.type(), ':');
}

// ---------------------------------------------------------------------------
// Large replies, resumability

TEST(ReplyScanner, HugeBulkInChunks) {
  // 30 MB in 64 KB reads: the payload is skipped by length, never scanned.
  const size_t kSize = 30u << 20;
  std::string payload(kSize, 'p');
  for (size_t i = 0; i < kSize; i += 4096) payload.replace(i, 4, "\r\n$*");
  const std::string reply = bulk(payload);
  const std::string in = reply + "+OK\r\n";
  std::string buf;  // grows, so the data moves between calls
  ReplyScanner sc;
  Status st = Status::kNeedMore;
  size_t calls = 0;
  for (size_t off = 0; off < in.size() && st == Status::kNeedMore; off += 65536) {
    buf.append(in, off, 65536);
    st = sc.scan(buf.data(), buf.size());
    ++calls;
  }
  ASSERT_EQ(st, Status::kComplete);
  EXPECT_EQ(sc.length(), reply.size());
  EXPECT_EQ(calls, (reply.size() + 65535) / 65536);
}

TEST(ReplyScanner, HugeArrayInChunks) {
  // 100,000 elements arriving in 64 KB reads: each element is scanned once.
  std::string reply = "*100000\r\n";
  for (int i = 0; i < 100000; ++i) {
    const std::string n = std::to_string(i);
    reply += (i % 3 == 0) ? bulk(cat({"value-", n}))
                          : (i % 3 == 1 ? cat({":", n, "\r\n"}) : "*1\r\n$-1\r\n");
  }
  const std::string in = reply + ":1\r\n";
  std::string buf;
  ReplyScanner sc;
  Status st = Status::kNeedMore;
  for (size_t off = 0; off < in.size() && st == Status::kNeedMore; off += 65536) {
    buf.append(in, off, 65536);
    st = sc.scan(buf.data(), buf.size());
  }
  ASSERT_EQ(st, Status::kComplete);
  EXPECT_EQ(sc.length(), reply.size());
  std::vector<std::string_view> elems;
  ASSERT_TRUE(split_array_elements(std::string_view(buf).substr(0, reply.size()), elems));
  ASSERT_EQ(elems.size(), 100000u);
  EXPECT_EQ(elems[0], bulk("value-0"));
  EXPECT_EQ(elems[99997], ":99997\r\n");
  EXPECT_EQ(elems[99998], "*1\r\n$-1\r\n");
  EXPECT_EQ(elems[99999], bulk(cat({"value-", "99999"})));
}

TEST(ReplyScanner, LongLinesByteByByteAreNotRescanned) {
  // One scan() call per byte over a 2 MB line: linear if each call resumes
  // the line-end search, ~10^12 byte reads (the test would hang) if not.
  const std::string line = cat({"-ERR ", std::string(2u << 20, 'e'), "\r\n"});
  const ScanOutcome o = drive(line, bytewise(line.size()), 4u << 20, /*copy=*/false);
  EXPECT_EQ(o.replies.size(), 1u);
  EXPECT_EQ(o.leftover, 0u);
  std::string arr = "*1000\r\n";
  for (int i = 0; i < 1000; ++i) arr += bulk("\r\n\r\n");
  const ScanOutcome o2 = drive(arr, bytewise(arr.size()), 1 << 20, /*copy=*/false);
  EXPECT_EQ(o2.replies, std::vector<std::string>{arr});
}

// ---------------------------------------------------------------------------
// parse_reply

TEST(ParseReply, Fields) {
  ReplyView v;
  ASSERT_TRUE(parse_reply("+OK\r\n", v));
  EXPECT_EQ(v.type, '+');
  EXPECT_EQ(v.line, "OK");
  EXPECT_EQ(v.raw, "+OK\r\n");

  ASSERT_TRUE(parse_reply("-ERR bad thing\r\n", v));
  EXPECT_EQ(v.type, '-');
  EXPECT_EQ(v.line, "ERR bad thing");

  ASSERT_TRUE(parse_reply(":-42\r\n", v));
  EXPECT_EQ(v.type, ':');
  EXPECT_EQ(v.integer, -42);
  EXPECT_EQ(v.line, "-42");

  ASSERT_TRUE(parse_reply("$4\r\na\r\nb\r\n", v));
  EXPECT_EQ(v.type, '$');
  EXPECT_EQ(v.integer, 4);
  EXPECT_EQ(v.line, "a\r\nb");

  ASSERT_TRUE(parse_reply("$0\r\n\r\n", v));
  EXPECT_EQ(v.integer, 0);
  EXPECT_EQ(v.line, "");

  ASSERT_TRUE(parse_reply("$-1\r\n", v));
  EXPECT_EQ(v.type, '$');
  EXPECT_EQ(v.integer, -1);
  EXPECT_EQ(v.line.data(), nullptr);

  ASSERT_TRUE(parse_reply("*2\r\n:1\r\n:2\r\n", v));
  EXPECT_EQ(v.type, '*');
  EXPECT_EQ(v.integer, 2);
  EXPECT_EQ(v.raw, "*2\r\n:1\r\n:2\r\n");

  ASSERT_TRUE(parse_reply("*-1\r\n", v));
  EXPECT_EQ(v.integer, -1);
}

TEST(ParseReply, TrailingBytesAreNotPartOfTheReply) {
  ReplyView v;
  ASSERT_TRUE(parse_reply("$3\r\nfoo\r\n+NEXT\r\n", v));
  EXPECT_EQ(v.raw, "$3\r\nfoo\r\n");
  EXPECT_EQ(v.line, "foo");
}

TEST(ParseReply, MalformedOrIncomplete) {
  for (std::string_view s : {"", "+OK", "+OK\r", "$3\r\nfo", "*2\r\n:1\r\n", "?\r\n", ":x\r\n",
                             "$3\r\nfooXY", "*-2\r\n"}) {
    ReplyView v;
    v.type = 'z';
    EXPECT_FALSE(parse_reply(s, v)) << escape(s);
    EXPECT_EQ(v.type, 'z') << "output left alone on failure";
  }
}

// ---------------------------------------------------------------------------
// split_array_elements

TEST(SplitArrayElements, Elements) {
  const std::string e0 = bulk("v1");
  const std::string e1 = "$-1\r\n";
  const std::string e2 = "*2\r\n:1\r\n*1\r\n+x\r\n";
  const std::string e3 = "-ERR x\r\n";
  const std::string arr = "*4\r\n" + e0 + e1 + e2 + e3;
  std::vector<std::string_view> out = {"keep"};
  ASSERT_TRUE(split_array_elements(arr, out));
  EXPECT_EQ(out, (std::vector<std::string_view>{"keep", e0, e1, e2, e3}));  // appended
  EXPECT_EQ(out[1].data(), arr.data() + 4);                                 // views of the input
}

TEST(SplitArrayElements, EmptyAndNilArrays) {
  std::vector<std::string_view> out;
  EXPECT_TRUE(split_array_elements("*0\r\n", out));
  EXPECT_TRUE(split_array_elements("*-1\r\n", out));
  EXPECT_TRUE(out.empty());
}

TEST(SplitArrayElements, RejectsNonArraysAndMalformed) {
  for (std::string_view s : {"+OK\r\n", "$2\r\nab\r\n", ":1\r\n", "*2\r\n:1\r\n", "*1\r\n?\r\n", "",
                             "*1\r\n$3\r\nabcXY"}) {
    std::vector<std::string_view> out = {"keep"};
    EXPECT_FALSE(split_array_elements(s, out)) << escape(s);
    EXPECT_EQ(out, std::vector<std::string_view>{"keep"});
  }
}

// ---------------------------------------------------------------------------
// Fuzz

TEST(ReplyScannerFuzz, RandomInputsSplitInvariant) {
  StreamFuzzer fuzz(0xbeef, "+-:$*\r\n-0123456789 ab\0%_"s, valid_replies());
  auto pick = [&](size_t n) { return fuzz.pick(n); };
  for (int iter = 0; iter < 10000; ++iter) {
    const std::string in = fuzz.next_input();
    const size_t max_bulk = pick(2) == 0 ? 1 + pick(16) : 1 << 20;
    SCOPED_TRACE(cat({"input: \"", escape(in), "\""}));
    const ScanOutcome expected = drive(in, {in.size()}, max_bulk);
    const std::vector<size_t> cuts = fuzz.random_cuts(in.size());
    ASSERT_EQ(drive(in, cuts, max_bulk), expected);
    if (iter % 8 == 0) {
      ASSERT_EQ(drive(in, bytewise(in.size()), max_bulk), expected);
    }
    // The helpers must be safe on arbitrary bytes too.
    ReplyView v;
    std::vector<std::string_view> elems;
    if (parse_reply(in, v)) {
      if (max_bulk == 1 << 20) {  // parse_reply has no bulk limit
        EXPECT_EQ(v.raw, expected.replies.empty() ? "" : expected.replies[0]);
      }
      if (v.type == '*') {
        EXPECT_TRUE(split_array_elements(in, elems));
        EXPECT_EQ(elems.size(), static_cast<size_t>(std::max<int64_t>(v.integer, 0)));
      }
    } else {
      EXPECT_FALSE(split_array_elements(in, elems));
    }
  }
}

TEST(ReplyScanner, WantedIsTheAnnouncedBulkOnceItsHeaderIsIn) {
  ReplyScanner s;
  const std::string reply = "$100000\r\n" + std::string(100000, 'v') + "\r\n";
  EXPECT_EQ(s.scan(reply.data(), 4), ReplyScanner::Status::kNeedMore);
  EXPECT_EQ(s.wanted(), 0u);  // header not complete: unknown
  EXPECT_EQ(s.scan(reply.data(), 5000), ReplyScanner::Status::kNeedMore);
  EXPECT_EQ(s.wanted(), reply.size());
  EXPECT_EQ(s.scan(reply.data(), reply.size()), ReplyScanner::Status::kComplete);
  EXPECT_EQ(s.wanted(), 0u);
  // In an array, the element being read (a lower bound for the whole).
  const std::string arr = "*2\r\n$3\r\nabc\r\n$50000\r\n" + std::string(50000, 'w') + "\r\n";
  EXPECT_EQ(s.scan(arr.data(), 30), ReplyScanner::Status::kNeedMore);
  EXPECT_EQ(s.wanted(), arr.size());
}

}  // namespace
}  // namespace ringproxy
