// Drives RequestParser the way the proxy's read loop does (parse, drop
// consumed(), reset, repeat) over the same input cut into different chunks;
// the request parser tests require the same commands every time. In the
// checked mode every parse() call gets the unconsumed bytes in a fresh heap
// block of exactly that size, so under ASan a read past `len` or through a
// pointer kept from an earlier call fails the test.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "ringproxy/resp/request_parser.hpp"
#include "stream_test_util.hpp"

namespace ringproxy::parser_test {

using test_util::bytewise;
using test_util::cat;
using test_util::escape;

using Status = RequestParser::Status;
using namespace std::string_literals;

using Args = std::vector<std::string>;

// (Built with append: GCC 12 gives a false -Wrestrict on "lit" + string&&.)
inline std::string multibulk(const Args& args) {
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

inline std::ostream& operator<<(std::ostream& os, const Outcome& o) {
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
inline void check_raw_round_trip(const Cmd& c, const ParserLimits& limits) {
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
inline Outcome drive(std::string_view input, const std::vector<size_t>& cuts,
                     ParserLimits limits = {}, bool copy = true) {
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

inline Outcome whole(std::string_view input, ParserLimits limits = {}) {
  return drive(input, {input.size()}, limits);
}

// The outcome must not depend on how the input is split: one cut at every
// position, and byte by byte.
inline void expect_split_invariant(std::string_view input, ParserLimits limits = {}) {
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

inline One parse_one(std::string_view input, ParserLimits limits = {}) {
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

// Valid requests of every shape, for splitting, pipelining and fuzzing.
inline const std::vector<std::string>& valid_requests() {
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

}  // namespace ringproxy::parser_test
