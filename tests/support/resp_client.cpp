// Talking RESP to a server: Reply, the hiredis Client and RawConnection.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "harness_internal.hpp"

namespace ringproxy::testing {

namespace fs = std::filesystem;
using namespace internal;

// ---------------------------------------------------------------------------
// RESP

std::string_view type_name(Reply::Type type) {
  switch (type) {
    case Reply::Type::kNil:
      return "nil";
    case Reply::Type::kStatus:
      return "status";
    case Reply::Type::kError:
      return "error";
    case Reply::Type::kInteger:
      return "integer";
    case Reply::Type::kString:
      return "string";
    case Reply::Type::kArray:
      return "array";
  }
  return "?";
}

Reply Reply::from_hiredis(const redisReply& r) {
  Reply out;
  auto elements = [&] {
    for (size_t i = 0; i < r.elements; ++i) out.elements.push_back(from_hiredis(*r.element[i]));
  };
  switch (r.type) {
    case REDIS_REPLY_STATUS:
      out.type = Type::kStatus;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Type::kError;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Type::kInteger;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_STRING:
      out.type = Type::kString;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Type::kArray;
      elements();
      break;
#ifdef REDIS_REPLY_DOUBLE  // hiredis >= 1.0 (RESP3)
    case REDIS_REPLY_DOUBLE:
    case REDIS_REPLY_VERB:
    case REDIS_REPLY_BIGNUM:
      out.type = Type::kString;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_BOOL:
      out.type = Type::kInteger;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_MAP:
    case REDIS_REPLY_SET:
    case REDIS_REPLY_PUSH:
    case REDIS_REPLY_ATTR:
      out.type = Type::kArray;
      elements();
      break;
#endif
    default:  // REDIS_REPLY_NIL
      break;
  }
  return out;
}

std::string Reply::to_string() const {
  switch (type) {
    case Type::kNil:
      return "(nil)";
    case Type::kStatus:
      return str;
    case Type::kError:
      return "(error) " + str;
    case Type::kInteger:
      return "(integer) " + std::to_string(integer);
    case Type::kString:
      return "\"" + escape(str) + "\"";
    case Type::kArray: {
      std::string s = "[";
      for (size_t i = 0; i < elements.size(); ++i) {
        if (i > 0) s += ", ";
        if (i == 50) {
          s += "... " + std::to_string(elements.size()) + " elements";
          break;
        }
        s += elements[i].to_string();
      }
      return s + "]";
    }
  }
  return "?";
}

std::ostream& operator<<(std::ostream& os, const Reply& reply) {
  return os << reply.to_string();
}

std::string encode_command(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) {
    out += "$" + std::to_string(a.size()) + "\r\n";
    out += a;
    out += "\r\n";
  }
  return out;
}

namespace {

constexpr size_t kIncomplete = std::string_view::npos;

// Parses the reply starting at `pos` into `out` (when not null) and returns its
// end offset, or kIncomplete. RESP3 types map onto the nearest RESP2 type so
// tests can also talk to redis-server directly after HELLO 3.
size_t parse_frame(std::string_view b, size_t pos, int depth, Reply* out) {
  if (depth > 64) throw HarnessError("RESP nesting too deep");
  if (pos >= b.size()) return kIncomplete;
  size_t eol = b.find("\r\n", pos + 1);
  if (eol == std::string_view::npos) return kIncomplete;
  size_t after_line = eol + 2;
  char type = b[pos];
  std::string_view line = b.substr(pos + 1, eol - pos - 1);
  auto number = [&] {
    long long n = 0;
    auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), n);
    if (ec != std::errc() || ptr != line.data() + line.size()) {
      throw HarnessError("malformed RESP number: \"" + escape(b.substr(pos, eol - pos)) + "\"");
    }
    return n;
  };
  auto set = [&](Reply::Type t, std::string_view text = {}) {
    if (out != nullptr) {
      out->type = t;
      out->str = text;
    }
  };
  switch (type) {
    case '+':
      set(Reply::Type::kStatus, line);
      return after_line;
    case '-':
      set(Reply::Type::kError, line);
      return after_line;
    case ',':  // double
    case '(':
      set(Reply::Type::kString, line);
      return after_line;  // big number
    case '_':
      set(Reply::Type::kNil);
      return after_line;
    case ':':
      set(Reply::Type::kInteger);
      if (out != nullptr) out->integer = number();
      return after_line;
    case '#':  // boolean
      if (line != "t" && line != "f") throw HarnessError("malformed RESP boolean");
      set(Reply::Type::kInteger);
      if (out != nullptr) out->integer = line == "t" ? 1 : 0;
      return after_line;
    case '$':
    case '=':
    case '!': {  // bulk string, verbatim string, bulk error
      long long len = number();
      if (len < 0) {
        set(Reply::Type::kNil);
        return after_line;
      }
      size_t end = after_line + static_cast<size_t>(len) + 2;
      if (end > b.size()) return kIncomplete;
      std::string_view text = b.substr(after_line, static_cast<size_t>(len));
      if (type == '=' && text.size() >= 4) text.remove_prefix(4);  // "txt:"
      set(type == '!' ? Reply::Type::kError : Reply::Type::kString, text);
      return end;
    }
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {  // array, set, push, map (flattened), attribute (skipped)
      long long n = number();
      if (n < 0) {
        set(Reply::Type::kNil);
        return after_line;
      }
      if (type == '%' || type == '|') n *= 2;
      Reply* sink = type == '|' ? nullptr : out;
      if (sink != nullptr) {
        sink->type = Reply::Type::kArray;
        sink->elements.clear();
      }
      size_t p = after_line;
      for (long long i = 0; i < n; ++i) {
        Reply element;
        p = parse_frame(b, p, depth + 1, sink != nullptr ? &element : nullptr);
        if (p == kIncomplete) return kIncomplete;
        if (sink != nullptr) sink->elements.push_back(std::move(element));
      }
      return type == '|' ? parse_frame(b, p, depth + 1, out) : p;  // the attributed value
    }
    default:
      throw HarnessError("malformed RESP type byte in \"" + escape(b.substr(pos, 80)) + "\"");
  }
}

struct ReplyFree {
  void operator()(void* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyFree>;

}  // namespace

size_t resp_frame_length(std::string_view bytes) {
  size_t end = parse_frame(bytes, 0, 0, nullptr);
  return end == kIncomplete ? 0 : end;
}

Reply parse_reply(std::string_view bytes) {
  Reply reply;
  size_t end = parse_frame(bytes, 0, 0, &reply);
  if (end == kIncomplete) throw HarnessError("incomplete reply \"" + escape(bytes) + "\"");
  if (end != bytes.size()) {
    throw HarnessError("trailing bytes after the reply in \"" + escape(bytes) + "\"");
  }
  return reply;
}

// ---------------------------------------------------------------------------
// Client

Client::Client(uint16_t port, Duration timeout, const std::string& host)
    : host_(host), port_(port), timeout_(timeout) {
  ignore_sigpipe();
  connect();
}

void Client::connect() {
  pending_ = 0;
  ctx_.reset(redisConnectWithTimeout(host_.c_str(), port_, to_timeval(timeout_)));
  if (!ctx_) throw IoError("redisConnectWithTimeout: out of memory");
  if (ctx_->err != 0) {
    throw IoError("connect to " + host_ + ":" + std::to_string(port_) + ": " + ctx_->errstr);
  }
  redisSetTimeout(ctx_.get(), to_timeval(timeout_));
  ::fcntl(ctx_->fd, F_SETFD, FD_CLOEXEC);
}

void Client::reconnect() {
  connect();
}

bool Client::usable() const {
  return ctx_ && ctx_->err == 0;
}

int Client::fd() const {
  return ctx_ ? ctx_->fd : -1;
}

void Client::set_timeout(Duration timeout) {
  timeout_ = timeout;
  if (usable()) redisSetTimeout(ctx_.get(), to_timeval(timeout_));
}

void Client::fail(std::string_view what) {
  int err = errno;
  std::string where = std::string(what) + " on " + host_ + ":" + std::to_string(port_) + ": ";
  if (!ctx_) throw IoError(where + "not connected");
  std::string text = ctx_->errstr[0] != '\0' ? ctx_->errstr : "unknown error";
  bool timeout = ctx_->err == REDIS_ERR_IO && (err == EAGAIN || err == EWOULDBLOCK);
#ifdef REDIS_ERR_TIMEOUT
  timeout = timeout || ctx_->err == REDIS_ERR_TIMEOUT;
#endif
  if (timeout)
    throw TimeoutError(where + "no reply within " + std::to_string(timeout_.count()) + " ms");
  throw IoError(where + text);
}

Reply Client::command(const std::vector<std::string>& args) {
  if (!usable())
    throw IoError("client to port " + std::to_string(port_) + " is broken; reconnect()");
  if (pending_ != 0) throw HarnessError("command() while appended replies are pending");
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  errno = 0;
  ReplyPtr reply(static_cast<redisReply*>(
      redisCommandArgv(ctx_.get(), static_cast<int>(args.size()), argv.data(), lens.data())));
  if (!reply) fail(args.empty() ? "command" : args[0]);
  return Reply::from_hiredis(*reply);
}

void Client::append(const std::vector<std::string>& args) {
  if (!usable())
    throw IoError("client to port " + std::to_string(port_) + " is broken; reconnect()");
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  if (redisAppendCommandArgv(ctx_.get(), static_cast<int>(args.size()), argv.data(), lens.data()) !=
      REDIS_OK) {
    fail("append");
  }
  ++pending_;
}

Reply Client::get_reply() {
  if (!usable())
    throw IoError("client to port " + std::to_string(port_) + " is broken; reconnect()");
  if (pending_ == 0) throw HarnessError("get_reply() without a pending command");
  void* raw = nullptr;
  errno = 0;
  if (redisGetReply(ctx_.get(), &raw) != REDIS_OK || raw == nullptr) fail("get_reply");
  ReplyPtr reply(static_cast<redisReply*>(raw));
  --pending_;
  return Reply::from_hiredis(*reply);
}

std::vector<Reply> Client::pipeline(const std::vector<std::vector<std::string>>& commands) {
  if (!usable())
    throw IoError("client to port " + std::to_string(port_) + " is broken; reconnect()");
  if (pending_ != 0) throw HarnessError("pipeline() while appended replies are pending");
  std::string out;
  for (const auto& c : commands) out += encode_command(c);
  std::vector<Reply> replies;
  replies.reserve(commands.size());
  // Uses the context's own fd and reader (both idle between synchronous calls),
  // so the client stays usable afterwards.
  int fd = ctx_->fd;
  redisReader* reader = ctx_->reader;
  size_t written = 0;
  auto deadline = Clock::now() + timeout_;
  auto broken = [&](const std::string& why) -> IoError {
    std::string msg = "pipeline on port " + std::to_string(port_) + ": " + why + " after " +
                      std::to_string(replies.size()) + " of " + std::to_string(commands.size()) +
                      " replies";
    ctx_.reset();  // state unknown: force reconnect()
    return IoError(msg);
  };
  char buf[65536];
  while (replies.size() < commands.size()) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader, &raw) != REDIS_OK) throw broken("protocol error");
    if (raw != nullptr) {
      ReplyPtr reply(static_cast<redisReply*>(raw));
      replies.push_back(Reply::from_hiredis(*reply));
      continue;
    }
    int wait_ms = remaining_ms(deadline);
    if (wait_ms == 0) {
      std::string msg = "no progress within " + std::to_string(timeout_.count()) + " ms after " +
                        std::to_string(replies.size()) + " of " + std::to_string(commands.size()) +
                        " replies";
      ctx_.reset();
      throw TimeoutError("pipeline on port " + std::to_string(port_) + ": " + msg);
    }
    pollfd p{fd, static_cast<short>(POLLIN | (written < out.size() ? POLLOUT : 0)), 0};
    int n = ::poll(&p, 1, wait_ms);
    if (n < 0 && errno != EINTR) throw broken("poll: " + errno_text(errno));
    if (n <= 0) continue;
    if ((p.revents & POLLOUT) != 0 && written < out.size()) {
      size_t chunk = std::min<size_t>(out.size() - written, 1 << 16);
      ssize_t w = ::send(fd, out.data() + written, chunk, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (w > 0) {
        written += static_cast<size_t>(w);
        deadline = Clock::now() + timeout_;
      } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
        // The peer may have closed after replying; read what is left first.
        written = out.size();
      }
    }
    if ((p.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      ssize_t r = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (r > 0) {
        redisReaderFeed(reader, buf, static_cast<size_t>(r));
        deadline = Clock::now() + timeout_;
      } else if (r == 0) {
        throw broken("connection closed");
      } else if (errno != EAGAIN && errno != EINTR) {
        throw broken(errno_text(errno));
      }
    }
  }
  return replies;
}

// ---------------------------------------------------------------------------
// RawConnection

RawConnection::RawConnection(uint16_t port, Duration timeout, const std::string& host)
    : timeout_(timeout) {
  ignore_sigpipe();
  fd_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd_) throw_errno("socket");
  // Every send() leaves as its own segment, so split-frame tests really split.
  int one = 1;
  ::setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    throw HarnessError("bad IPv4 address " + host);
  }
  std::string where = host + ":" + std::to_string(port);
  if (::connect(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINPROGRESS) throw IoError("connect to " + where + ": " + errno_text(errno));
    pollfd p{fd_.get(), POLLOUT, 0};
    int n;
    do {
      n = ::poll(&p, 1, static_cast<int>(timeout.count()));
    } while (n < 0 && errno == EINTR);
    if (n == 0) throw TimeoutError("connect to " + where + " timed out");
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) throw IoError("connect to " + where + ": " + errno_text(err));
  }
}

void RawConnection::send(std::string_view bytes) {
  auto deadline = Clock::now() + timeout_;
  while (!bytes.empty()) {
    ssize_t w = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (w > 0) {
      bytes.remove_prefix(static_cast<size_t>(w));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) throw IoError("send: " + errno_text(errno));
    pollfd p{fd_.get(), POLLOUT, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) == 0) {
      throw TimeoutError("send: peer not reading; " + std::to_string(bytes.size()) +
                         " bytes unsent after " + std::to_string(timeout_.count()) + " ms");
    }
  }
}

bool RawConnection::fill(Clock::time_point deadline) {
  if (closed_) return false;
  char buf[65536];
  while (true) {
    ssize_t r = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (r > 0) {
      buffer_.append(buf, static_cast<size_t>(r));
      return true;
    }
    if (r == 0 || (errno != EAGAIN && errno != EINTR)) {  // EOF or reset
      closed_ = true;
      return false;
    }
    if (errno == EINTR) continue;
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) == 0) {
      throw TimeoutError("no data within " + std::to_string(timeout_.count()) +
                         " ms; buffered: \"" + escape(buffer_) + "\"");
    }
  }
}

std::string RawConnection::read_reply_bytes() {
  auto deadline = Clock::now() + timeout_;
  while (true) {
    if (size_t n = resp_frame_length(buffer_); n > 0) {
      std::string reply = buffer_.substr(0, n);
      buffer_.erase(0, n);
      return reply;
    }
    if (!fill(deadline)) {
      throw IoError("connection closed before a complete reply; buffered: \"" + escape(buffer_) +
                    "\"");
    }
  }
}

std::string RawConnection::read_replies_bytes(size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) out += read_reply_bytes();
  return out;
}

Reply RawConnection::read_reply() {
  return parse_reply(read_reply_bytes());
}

std::string RawConnection::read_until_closed() {
  auto deadline = Clock::now() + timeout_;
  while (fill(deadline)) {
  }
  return std::exchange(buffer_, {});
}

bool RawConnection::wait_closed(Duration timeout) {
  auto deadline = Clock::now() + timeout;
  try {
    while (fill(deadline)) {
    }
    return true;
  } catch (const TimeoutError&) {
    return false;
  }
}

std::string RawConnection::read_available(Duration timeout) {
  auto deadline = Clock::now() + timeout;
  try {
    while (fill(deadline)) {
    }
  } catch (const TimeoutError&) {
  }
  return std::exchange(buffer_, {});
}

void RawConnection::shutdown_write() {
  ::shutdown(fd_.get(), SHUT_WR);
}

}  // namespace ringproxy::testing
