// libFuzzer target: RequestParser (multibulk and inline requests) on arbitrary
// client byte streams. The input is what a client sends; it is parsed the way
// ClientConnection does (parse from the current request's start, drop
// consumed() bytes, reset) three ways: as one buffer, in pieces of random
// sizes with the buffer moved in memory between calls (the parser may keep
// only offsets), and one byte at a time. All three must see the same requests
// and the same protocol error; each request's raw() must re-parse to the same
// arguments; limits must hold; wanted() must never overstate what a request
// needs. Limits: the defaults, and a small set chosen from the input's hash so
// every limit's error path is reached.
#include "ringproxy/resp/request_parser.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"

namespace {

using ringproxy::ParserLimits;
using ringproxy::RequestParser;
using namespace ringproxy::fuzz;

struct Event {
  bool error = false;
  std::vector<std::string> args;  // a request with argc > 0
  std::string text;               // the error message

  bool operator==(const Event&) const = default;
};

// Checks one kComplete result on data[0..len) and returns its event (argc 0:
// an empty request, which the caller skips).
Event check_request(const RequestParser& p, const char* data, size_t len,
                    const ParserLimits& limits) {
  FUZZ_CHECK(p.consumed() > 0);
  FUZZ_CHECK(p.consumed() <= len);
  FUZZ_CHECK(p.argc() <= limits.max_args);
  Event e;
  for (size_t i = 0; i < p.argc(); ++i) {
    const std::string_view a = p.arg(i);
    FUZZ_CHECK(a.size() <= limits.max_bulk_len);
    e.args.emplace_back(a);
  }
  if (p.argc() == 0) return e;
  const std::string_view raw = p.raw();
  if (!p.was_inline()) {
    // The client's own bytes, ending where the request ends.
    FUZZ_CHECK(raw.data() >= data && raw.data() + raw.size() == data + p.consumed());
  }
  // What is forwarded is one well-formed multibulk request with the same
  // arguments, whatever the client sent.
  RequestParser again;
  FUZZ_CHECK(again.parse(raw.data(), raw.size()) == RequestParser::Status::kComplete);
  FUZZ_CHECK(again.consumed() == raw.size());
  FUZZ_CHECK(!again.was_inline());
  FUZZ_CHECK(again.argc() == p.argc());
  for (size_t i = 0; i < p.argc(); ++i) FUZZ_CHECK(again.arg(i) == p.arg(i));
  return e;
}

Event error_event(const RequestParser& p) {
  const std::string_view msg = p.error();
  FUZZ_CHECK(msg.starts_with("ERR Protocol error: "));
  FUZZ_CHECK(msg.find_first_of("\r\n") == std::string_view::npos);
  return {true, {}, std::string(msg)};
}

// The whole input in one buffer.
std::vector<Event> parse_whole(std::string_view in, const ParserLimits& limits) {
  std::vector<Event> events;
  RequestParser p(limits);
  size_t off = 0;
  for (;;) {
    const char* data = in.data() + off;
    const size_t len = in.size() - off;
    const RequestParser::Status st = p.parse(data, len);
    if (st == RequestParser::Status::kNeedMore) break;
    if (st == RequestParser::Status::kError) {
      events.push_back(error_event(p));
      break;
    }
    Event e = check_request(p, data, len, limits);
    if (!e.args.empty()) events.push_back(std::move(e));
    off += p.consumed();
    p.reset();
  }
  return events;
}

// The input arriving in pieces. With `move`, the unconsumed bytes are copied
// to a fresh allocation before every call, so a pointer kept from an earlier
// call would read freed memory (ASan reports it).
std::vector<Event> parse_pieces(std::string_view in, const std::vector<size_t>& pieces,
                                const ParserLimits& limits, bool move) {
  std::vector<Event> events;
  RequestParser p(limits);
  std::string pending;
  size_t wanted = 0;  // the last wanted() of the request being parsed
  size_t at = 0;
  for (size_t piece : pieces) {
    pending.append(in.substr(at, piece));
    at += piece;
    for (;;) {
      const std::string copy = move ? pending : std::string();
      const std::string_view moved = move ? std::string_view(copy) : std::string_view(pending);
      const RequestParser::Status st = p.parse(moved.data(), moved.size());
      if (st == RequestParser::Status::kNeedMore) {
        // Nothing can be dropped yet, and wanted() is a lower bound.
        if (p.wanted() != 0) {
          FUZZ_CHECK(p.wanted() > moved.size());
          wanted = p.wanted();
        }
        break;
      }
      if (st == RequestParser::Status::kError) {
        events.push_back(error_event(p));
        return events;
      }
      Event e = check_request(p, moved.data(), moved.size(), limits);
      if (!e.args.empty()) {
        FUZZ_CHECK(p.consumed() >= wanted);
        events.push_back(std::move(e));
      }
      wanted = 0;
      pending.erase(0, p.consumed());
      p.reset();
    }
  }
  return events;
}

void run(std::string_view in, const ParserLimits& limits, SplitRng& rng) {
  const std::vector<Event> whole = parse_whole(in, limits);
  FUZZ_CHECK(parse_pieces(in, piece_sizes(in.size(), rng), limits, true) == whole);
  FUZZ_CHECK(parse_pieces(in, std::vector<size_t>(in.size(), 1), limits, false) == whole);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  SplitRng rng(input_hash(data, size));
  run(in, ParserLimits{}, rng);
  // Small limits, so that every limit's error path is reached with short inputs.
  ParserLimits small;
  small.max_bulk_len = 1 + rng.below(64);
  small.max_args = 1 + rng.below(8);
  small.max_inline_len = 1 + rng.below(64);
  run(in, small, rng);
  return 0;
}
