// libFuzzer target: ReplyScanner (where each reply of a backend's byte stream
// ends) and the merge helpers parse_reply() / split_array_elements(), on
// arbitrary backend byte streams. The stream is scanned reply after reply as
// one buffer and again in pieces of random sizes with the buffer moved between
// calls (the scanner may keep only offsets); both must find the same replies
// and the same error. Every reply found must satisfy the merge helpers: it
// parses, its array elements tile it exactly and are replies themselves, and
// wanted() never overstated its length. The helpers also get the raw input.
// Bulk length limit: the default, and a small one chosen from the input's hash.
#include "ringproxy/resp/reply_scanner.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"

namespace {

using ringproxy::ReplyScanner;
using ringproxy::ReplyView;
using namespace ringproxy::fuzz;

struct Event {
  bool error = false;
  size_t length = 0;
  char type = 0;
  std::string text;

  bool operator==(const Event&) const = default;
};

// Checks a complete reply's bytes with the merge helpers; nested arrays are
// followed down to `depth` levels (each level re-scans its subtree).
void check_reply(std::string_view bytes, int depth) {
  ReplyView v;
  FUZZ_CHECK(ringproxy::parse_reply(bytes, v));
  FUZZ_CHECK(v.raw.data() == bytes.data() && v.raw.size() == bytes.size());
  FUZZ_CHECK(v.type == bytes[0]);
  if (v.type == '$' && v.integer >= 0) {
    FUZZ_CHECK(v.line.size() == static_cast<size_t>(v.integer));
    FUZZ_CHECK(v.line.data() + v.line.size() + 2 == bytes.data() + bytes.size());
  }
  std::vector<std::string_view> elements;
  const bool split = ringproxy::split_array_elements(bytes, elements);
  FUZZ_CHECK(split == (v.type == '*'));
  if (!split) return;
  FUZZ_CHECK(v.integer >= -1);
  FUZZ_CHECK(elements.size() == static_cast<size_t>(v.integer < 0 ? 0 : v.integer));
  // The elements tile the reply after its header line.
  const char* at = bytes.data() + bytes.find('\n') + 1;
  for (std::string_view e : elements) {
    FUZZ_CHECK(e.data() == at && !e.empty());
    at += e.size();
    if (depth > 0) check_reply(e, depth - 1);
  }
  FUZZ_CHECK(at == bytes.data() + bytes.size());
}

Event complete_event(const ReplyScanner& s, const char* data, size_t len) {
  FUZZ_CHECK(s.length() > 0 && s.length() <= len);
  FUZZ_CHECK(s.type() == data[0]);
  check_reply(std::string_view(data, s.length()), 32);
  return {false, s.length(), s.type(), {}};
}

Event error_event(const ReplyScanner& s) {
  FUZZ_CHECK(s.error().starts_with("Protocol error: "));
  return {true, 0, 0, std::string(s.error())};
}

std::vector<Event> scan_whole(std::string_view in, size_t max_bulk) {
  std::vector<Event> events;
  ReplyScanner s(max_bulk);
  size_t off = 0;
  for (;;) {
    const ReplyScanner::Status st = s.scan(in.data() + off, in.size() - off);
    if (st == ReplyScanner::Status::kNeedMore) break;
    if (st == ReplyScanner::Status::kError) {
      events.push_back(error_event(s));
      // An error is sticky until reset().
      FUZZ_CHECK(s.scan(in.data() + off, in.size() - off) == ReplyScanner::Status::kError);
      break;
    }
    events.push_back(complete_event(s, in.data() + off, in.size() - off));
    off += s.length();
  }
  return events;
}

std::vector<Event> scan_pieces(std::string_view in, const std::vector<size_t>& pieces,
                               size_t max_bulk) {
  std::vector<Event> events;
  ReplyScanner s(max_bulk);
  std::string pending;
  size_t wanted = 0;
  size_t at = 0;
  for (size_t piece : pieces) {
    pending.append(in.substr(at, piece));
    at += piece;
    for (;;) {
      const std::string moved(pending);
      const ReplyScanner::Status st = s.scan(moved.data(), moved.size());
      if (st == ReplyScanner::Status::kNeedMore) {
        if (s.wanted() != 0) {
          FUZZ_CHECK(s.wanted() > moved.size());
          wanted = s.wanted();
        }
        break;
      }
      if (st == ReplyScanner::Status::kError) {
        events.push_back(error_event(s));
        return events;
      }
      events.push_back(complete_event(s, moved.data(), moved.size()));
      FUZZ_CHECK(s.length() >= wanted);
      wanted = 0;
      pending.erase(0, s.length());
    }
  }
  return events;
}

void run(std::string_view in, size_t max_bulk, SplitRng& rng) {
  const std::vector<Event> whole = scan_whole(in, max_bulk);
  FUZZ_CHECK(scan_pieces(in, piece_sizes(in.size(), rng), max_bulk) == whole);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  SplitRng rng(input_hash(data, size));
  run(in, std::numeric_limits<size_t>::max(), rng);
  run(in, 1 + rng.below(64), rng);

  // The merge helpers are only handed complete replies, but must be safe on
  // anything: what they accept is a prefix of the input and passes the checks.
  ReplyView v;
  if (ringproxy::parse_reply(in, v)) check_reply(v.raw, 4);
  std::vector<std::string_view> elements;
  if (ringproxy::split_array_elements(in, elements)) {
    for (std::string_view e : elements) {
      FUZZ_CHECK(e.data() >= in.data() && e.data() + e.size() <= in.data() + in.size());
    }
  }
  return 0;
}
