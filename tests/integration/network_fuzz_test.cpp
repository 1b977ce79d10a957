// Network-level fuzzing with an oracle (issue 15, "hard to reintroduce"): random
// mutations of valid pipelines (split anywhere, garbage bytes, truncated and
// mislabelled bulks, huge counts, inline requests, a mix of commands) are sent
// to the proxy, running with small --max-pipeline, --query-buffer-limit and
// --client-output-limit, and the same bytes in the same pieces to a plain
// redis-server. Every reply of the proxy must be byte for byte what Redis
// answered, except where the proxy is documented to differ:
//   - it requires "\r\n" after every header line and bulk payload, where Redis
//     skips two bytes unread, and checks a bulk header's '$' on its first byte;
//     it also allows --max-args (default 1048576) arguments where Redis allows
//     INT_MAX. At the first request the strict rules reject (strict_failure()
//     below, written from the RESP rules, not from the proxy's parser) the
//     proxy answers a protocol error and closes, after Redis's replies to the
//     requests before it;
//   - with input paused by the limits, "-ERR Protocol error: query buffer limit
//     exceeded" may end the stream, after a prefix of Redis's replies.
// Each case half-closes both connections after sending, so both answer what
// they got and close. After each case a fresh connection must get PONG and the
// proxy must still run (under ASan, a memory error ends it).
//
// Deterministic: case i uses seed RINGPROXY_NET_FUZZ_SEED (default below) + i,
// printed with the request bytes on failure. RINGPROXY_NET_FUZZ_SECONDS bounds
// each configuration's run (default 8), RINGPROXY_NET_FUZZ_CASES its cases
// (default 400); to replay one case: RINGPROXY_NET_FUZZ_SEED=<its seed>
// RINGPROXY_NET_FUZZ_CASES=1.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "harness.hpp"

namespace ringproxy::testing {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::string_view_literals;

constexpr uint64_t kDefaultSeed = 20261215;
constexpr int64_t kMaxArgs = 1048576;              // the proxy's --max-args default
constexpr int64_t kMaxBulk = 512ll * 1024 * 1024;  // both sides' default bulk limit
constexpr std::string_view kQueryBufferError = "-ERR Protocol error: query buffer limit exceeded";

uint64_t env_u64(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

std::string printable(std::string_view s, size_t max = 600) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (s.size() > max) out += "...(" + std::to_string(s.size()) + " bytes)";
  return out;
}

// ---------------------------------------------------------------------------
// Where the proxy's strict framing rejects a stream that Redis may accept.

// Redis's string2ll: optional '-', then "0" or a digit string without a
// leading zero, within int64.
bool string2ll(std::string_view s, int64_t& out) {
  if (s == "0") {
    out = 0;
    return true;
  }
  bool neg = false;
  if (!s.empty() && s[0] == '-') {
    neg = true;
    s.remove_prefix(1);
  }
  if (s.empty() || s.size() > 19 || s[0] < '1' || s[0] > '9') return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (neg ? v > (uint64_t{1} << 63) : v > static_cast<uint64_t>(INT64_MAX)) return false;
  out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

bool inline_is_blank(std::string_view line) {
  if (size_t z = line.find('\0'); z != std::string_view::npos) line = line.substr(0, z);
  for (char c : line) {
    if (c != ' ' && (c < '\t' || c > '\r')) return false;
  }
  return true;
}

// The number of replied-to requests before the first request that strict
// RESP framing rejects: a header line whose '\r' is not followed by '\n', a
// bulk payload not followed by "\r\n", a bulk header not starting with '$'
// (judged on its first byte), a bad count or length, more than kMaxArgs
// arguments. nullopt when the stream has no such request (it may end in an
// incomplete one).
std::optional<size_t> strict_failure(std::string_view s) {
  size_t pos = 0;
  size_t replies = 0;
  while (pos < s.size()) {
    if (s[pos] != '*') {
      const size_t nl = s.find('\n', pos);
      if (nl == std::string_view::npos) return std::nullopt;
      std::string_view line = s.substr(pos, nl - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!inline_is_blank(line)) ++replies;
      pos = nl + 1;
      continue;
    }
    size_t cr = s.find('\r', pos);
    if (cr == std::string_view::npos || cr + 1 >= s.size()) return std::nullopt;
    int64_t count = 0;
    if (s[cr + 1] != '\n' || !string2ll(s.substr(pos + 1, cr - pos - 1), count) ||
        count > kMaxArgs) {
      return replies;
    }
    pos = cr + 2;
    if (count <= 0) continue;
    for (int64_t i = 0; i < count; ++i) {
      if (pos >= s.size()) return std::nullopt;
      if (s[pos] != '$') return replies;
      cr = s.find('\r', pos);
      if (cr == std::string_view::npos || cr + 1 >= s.size()) return std::nullopt;
      int64_t len = 0;
      if (s[cr + 1] != '\n' || !string2ll(s.substr(pos + 1, cr - pos - 1), len) || len < 0 ||
          len > kMaxBulk) {
        return replies;
      }
      pos = cr + 2;
      if (s.size() - pos < static_cast<size_t>(len) + 2) return std::nullopt;
      if (s[pos + len] != '\r' || s[pos + len + 1] != '\n') return replies;
      pos += static_cast<size_t>(len) + 2;
    }
    ++replies;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// Generating cases

using Args = std::vector<std::string>;

class CaseGenerator {
 public:
  CaseGenerator(uint64_t seed, std::string prefix) : rng_(seed), prefix_(std::move(prefix)) {}

  // The request stream and the pieces it is sent in.
  std::pair<std::string, std::vector<std::string>> make() {
    std::string stream;
    const size_t requests = 1 + below(40);
    for (size_t i = 0; i < requests; ++i) stream += encode(command());
    mutate(stream);
    return {stream, split(stream)};
  }

 private:
  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(rng_() % n); }
  bool chance(size_t percent) { return below(100) < percent; }

  std::string key() { return prefix_ + std::string(1, static_cast<char>('a' + below(5))); }
  std::string word() {
    static constexpr std::string_view kChars = "abcxyz0123456789-_:";
    std::string s;
    for (size_t n = 1 + below(8); n > 0; --n) s.push_back(kChars[below(kChars.size())]);
    return s;
  }
  std::string value() {
    switch (below(4)) {
      case 0:
        return word();
      case 1:
        return std::to_string(static_cast<int64_t>(below(2000)) - 1000);
      case 2: {  // binary, CRLFs included
        std::string s;
        for (size_t n = below(40); n > 0; --n) s.push_back(static_cast<char>(below(256)));
        return s;
      }
      default:
        return std::string(below(1500), static_cast<char>('A' + below(26)));
    }
  }

  Args command() {
    switch (below(30)) {
      case 0:
        return {"SET", key(), value()};
      case 1:
        return {"SET", key(), value(), "EX", "1000", chance(50) ? "NX" : "XX"};
      case 2:
        return {"SET", key(), value(), "GET"};
      case 3:
      case 4:
        return {"GET", key()};
      case 5:
        return {"MGET", key(), key(), key()};
      case 6:
        return {"MSET", key(), value(), key(), value()};
      case 7:
        return {"DEL", key(), key()};
      case 8:
        return {"EXISTS", key(), key(), key()};
      case 9:
        return {"INCR", key()};
      case 10:
        return {"INCRBY", key(), std::to_string(below(100))};
      case 11:
        return {"APPEND", key(), value()};
      case 12:
        return {"STRLEN", key()};
      case 13:
        return {"GETRANGE", key(), "0", std::to_string(below(10))};
      case 14:
        return {"RPUSH", key(), word(), word()};
      case 15:
        return {"LRANGE", key(), "0", "-1"};
      case 16:
        return {"LLEN", key()};
      case 17:
        return {"HSET", key(), word(), value()};
      case 18:
        return {"HGET", key(), word()};
      case 19:
        return {"SADD", key(), word()};
      case 20:
        return {"SCARD", key()};
      case 21:
        return {"ZADD", key(), std::to_string(below(50)), word()};
      case 22:
        return {"ZRANGE", key(), "0", "-1", "WITHSCORES"};
      case 23:
        return {"TYPE", key()};
      case 24:
        return {"ECHO", value()};
      case 25:
        return chance(50) ? Args{"PING"} : Args{"PING", word()};
      case 26:
        return {"GET"};  // wrong arity
      case 27:
        return {"NOSUCHCOMMAND", word()};
      case 28:
        return {"EXPIRE", key(), "1000"};
      default:
        return {"PERSIST", key()};
    }
  }

  static bool inline_safe(const Args& args) {
    for (const std::string& a : args) {
      if (a.empty()) return false;
      for (char c : a) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ':')) {
          return false;
        }
      }
    }
    return true;
  }

  std::string encode(const Args& args) {
    if (inline_safe(args) && chance(25)) {
      std::string line;
      for (const std::string& a : args) {
        if (!line.empty()) line += chance(10) ? "  " : " ";
        line += chance(10) ? "\"" + a + "\"" : a;
      }
      return line + (chance(80) ? "\r\n" : "\n");
    }
    return encode_command(args);
  }

  void mutate(std::string& s) {
    const size_t kind = below(100);
    if (kind < 30) return;  // a valid pipeline
    if (kind < 48) {        // garbage bytes somewhere
      static constexpr std::string_view kGarbage = "*$\r\n \"'\\-0123456789xX\0\xff:+"sv;
      std::string g;
      for (size_t n = 1 + below(6); n > 0; --n) g.push_back(kGarbage[below(kGarbage.size())]);
      s.insert(below(s.size() + 1), g);
    } else if (kind < 60) {  // truncated (maybe inside a bulk)
      s.resize(below(s.size() + 1));
    } else if (kind < 70) {  // a bulk length off by a little
      const size_t at = s.find('$', below(s.size()));
      if (at != std::string::npos) {
        const size_t cr = s.find('\r', at);
        int64_t n = 0;
        if (cr != std::string::npos && string2ll(s.substr(at + 1, cr - at - 1), n)) {
          const int64_t delta = static_cast<int64_t>(below(5)) - 2;
          s.replace(at + 1, cr - at - 1, std::to_string(n + (delta == 0 ? 1 : delta)));
        }
      }
    } else if (kind < 78) {  // one byte changed
      if (!s.empty()) s[below(s.size())] = static_cast<char>(below(256));
    } else if (kind < 88) {  // huge counts and lengths, alone or before more requests
      static const std::vector<std::string> kHuge = {
          "*2147483648\r\n",
          "*1048577\r\n$3\r\nGET\r\n",
          "*9223372036854775808\r\n",
          "*100000\r\n$3\r\nSET\r\n",
          "*2\r\n$536870913\r\n",
          "*2\r\n$-2\r\n",
          "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1000000\r\nshort",
          "*-5\r\n",
          "*0\r\n",
      };
      s.insert(chance(50) ? s.size() : 0, kHuge[below(kHuge.size())]);
    } else if (kind < 94) {  // a slice repeated
      if (!s.empty()) {
        const size_t from = below(s.size());
        s.insert(below(s.size() + 1), s.substr(from, 1 + below(40)));
      }
    } else {  // blank lines and empty multibulks between requests
      s.insert(0, chance(50) ? "\r\n  \r\n" : "*0\r\n");
    }
  }

  std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> pieces;
    size_t at = 0;
    const size_t mode = below(3);
    while (at < s.size()) {
      size_t n = mode == 0 ? s.size() : mode == 1 ? 1 + below(8) : 1 + below(512);
      n = std::min(n, s.size() - at);
      pieces.push_back(s.substr(at, n));
      at += n;
    }
    return pieces;
  }

  std::mt19937_64 rng_;
  std::string prefix_;
};

// ---------------------------------------------------------------------------
// Sending a case

// Sends `pieces` (one write each, TCP_NODELAY) while reading whatever comes
// back, then half-closes and reads until the peer closes. Never blocks on a
// peer that stops reading: writes and reads are interleaved with poll().
std::string exchange(uint16_t port, const std::vector<std::string>& pieces, Duration timeout) {
  RawConnection conn(port, timeout);
  const int fd = conn.fd();
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  const auto deadline = Clock::now() + timeout;
  std::string in;
  bool peer_closed = false;
  bool can_write = true;
  auto wait = [&](short events) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) throw TimeoutError("network fuzz: no progress within the timeout");
    pollfd p{fd, events, 0};
    ::poll(&p, 1, static_cast<int>(left));
    return p.revents;
  };
  auto read_some = [&] {
    char buf[65536];
    for (;;) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n > 0) {
        in.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) peer_closed = true;
      return;
    }
  };
  for (const std::string& piece : pieces) {
    size_t off = 0;
    while (off < piece.size() && can_write && !peer_closed) {
      const short ev = wait(POLLIN | POLLOUT);
      if (ev & (POLLIN | POLLHUP | POLLERR)) read_some();
      if (ev & POLLOUT) {
        const ssize_t n = ::send(fd, piece.data() + off, piece.size() - off, MSG_NOSIGNAL);
        if (n > 0) {
          off += static_cast<size_t>(n);
        } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          can_write = false;  // the peer closed (after a protocol error)
        }
      }
    }
  }
  ::shutdown(fd, SHUT_WR);
  while (!peer_closed) {
    wait(POLLIN);
    read_some();
  }
  return in;
}

// The stream split into replies; a trailing incomplete reply is kept as the
// last element and makes the comparison fail.
std::vector<std::string> split_replies(const std::string& bytes, bool& incomplete) {
  std::vector<std::string> out;
  size_t at = 0;
  incomplete = false;
  while (at < bytes.size()) {
    const size_t n = resp_frame_length(std::string_view(bytes).substr(at));
    if (n == 0) {
      out.push_back(bytes.substr(at));
      incomplete = true;
      break;
    }
    out.push_back(bytes.substr(at, n));
    at += n;
  }
  return out;
}

// Empty when the proxy's replies are acceptable, else why not.
std::string judge(const std::vector<std::string>& proxy, const std::vector<std::string>& redis,
                  std::optional<size_t> strict, bool small_query_buffer) {
  const size_t n = proxy.size();
  for (size_t i = 0; i + 1 < n; ++i) {
    if (i >= redis.size() || proxy[i] != redis[i]) {
      return "reply " + std::to_string(i) + " differs";
    }
  }
  if (n == 0) return redis.empty() ? "" : "the proxy answered nothing";
  const std::string& last = proxy[n - 1];
  if (n - 1 < redis.size() && last == redis[n - 1]) {
    return n == redis.size() ? "" : "the proxy stopped after reply " + std::to_string(n - 1);
  }
  if (small_query_buffer && last.starts_with(kQueryBufferError)) return "";
  if (last.starts_with("-ERR Protocol error:") && strict && *strict == n - 1) return "";
  return "reply " + std::to_string(n - 1) + " differs" +
         (strict ? " (strict framing fails at request " + std::to_string(*strict) + ")"
                 : std::string(" (strict framing accepts the stream)"));
}

// ---------------------------------------------------------------------------

class NetworkFuzz : public ClusterTest {
 protected:
  bool start_proxy_in_setup() const override { return false; }

  void run_cases(const std::vector<std::string>& limits, uint64_t seed_offset) {
    start_proxy(limits);
    RedisServer oracle;
    const uint64_t base = env_u64("RINGPROXY_NET_FUZZ_SEED", kDefaultSeed) + seed_offset;
    const uint64_t max_cases = env_u64("RINGPROXY_NET_FUZZ_CASES", 400);
    const auto budget = std::chrono::seconds(env_u64("RINGPROXY_NET_FUZZ_SECONDS", 8));
    const auto start = Clock::now();
    std::string options;
    for (const std::string& a : limits) options += a + " ";
    const bool small_query_buffer = options.find("--query-buffer-limit") != std::string::npos;
    uint64_t cases = 0;
    uint64_t proxy_errors = 0;
    uint64_t oracle_cut = 0;
    for (; cases < max_cases && Clock::now() - start < budget; ++cases) {
      const uint64_t seed = base + cases;
      CaseGenerator gen(seed, "nf" + std::to_string(seed) + ":");
      const auto [stream, pieces] = gen.make();
      const std::string context = "seed " + std::to_string(seed) +
                                  " (rerun: " + "RINGPROXY_NET_FUZZ_SEED=" + std::to_string(seed) +
                                  " RINGPROXY_NET_FUZZ_CASES=1), proxy options " + options +
                                  "\n  request: " + printable(stream);
      std::string from_proxy;
      std::string from_redis;
      try {
        from_proxy = exchange(proxy().port(), pieces, Duration(10000));
        from_redis = exchange(oracle.port(), pieces, Duration(10000));
      } catch (const HarnessError& e) {
        FAIL() << e.what() << "\n  " << context;
      }
      bool proxy_incomplete = false;
      bool redis_incomplete = false;
      const auto p = split_replies(from_proxy, proxy_incomplete);
      const auto r = split_replies(from_redis, redis_incomplete);
      ASSERT_FALSE(proxy_incomplete) << "the proxy sent an incomplete reply\n  " << context
                                     << "\n  proxy: " << printable(from_proxy);
      if (redis_incomplete) {
        ++oracle_cut;  // Redis may drop unsent output when it sees EOF
      } else {
        const std::string why = judge(p, r, strict_failure(stream), small_query_buffer);
        ASSERT_TRUE(why.empty()) << why << "\n  " << context
                                 << "\n  proxy: " << printable(from_proxy)
                                 << "\n  redis: " << printable(from_redis);
      }
      if (!p.empty() && p.back().starts_with("-ERR Protocol error")) ++proxy_errors;
      ASSERT_FALSE(proxy().unexpected_exit()) << "the proxy died\n  " << context;
      try {
        Client fresh = proxy_client(Duration(5000));
        ASSERT_EQ(fresh.command({"PING"}), Reply::make_status("PONG")) << context;
      } catch (const HarnessError& e) {
        FAIL() << "PING on a fresh connection after the case: " << e.what() << "\n  " << context;
      }
    }
    std::cout << "[ network fuzz ] " << options << ": " << cases << " cases from seed " << base
              << ", " << proxy_errors << " ended in a protocol error, " << oracle_cut
              << " not judged (Redis's output was cut short)\n";
    EXPECT_GT(cases, 0u);
  }
};

TEST_F(NetworkFuzz, TinyPipelineAndQueryBuffer) {
  run_cases({"--max-pipeline", "1", "--query-buffer-limit", "1000", "--client-output-limit", "64"},
            0);
}

TEST_F(NetworkFuzz, SmallLimits) {
  run_cases({"--max-pipeline", "3", "--query-buffer-limit", "16kb", "--client-output-limit", "1kb"},
            1000000);
}

TEST_F(NetworkFuzz, DefaultLimits) {
  run_cases({}, 2000000);
}

}  // namespace
}  // namespace ringproxy::testing
