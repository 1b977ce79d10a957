// RequestParser on streams: large values in chunks, no rescanning, no
// allocation per request, random inputs split anywhere, wanted().
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "request_parser_driver.hpp"
#include "ringproxy/resp/request_parser.hpp"

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

using namespace parser_test;
using test_util::StreamFuzzer;

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
