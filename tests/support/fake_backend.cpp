// See fake_backend.hpp.
#include "fake_backend.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

namespace ringproxy::testing {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

}  // namespace

void FakeBackend::Session::send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

FakeBackend::FakeBackend(Handler handler) : handler_(std::move(handler)) {
  listener_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener_) throw HarnessError("fake backend: socket: " + std::string(strerror(errno)));
  int on = 1;
  setsockopt(listener_.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(free_port());
  if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 ||
      ::listen(listener_.get(), 64) < 0) {
    throw HarnessError("fake backend: bind/listen: " + std::string(strerror(errno)));
  }
  socklen_t len = sizeof addr;
  getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

FakeBackend::~FakeBackend() {
  stopping_ = true;
  ::shutdown(listener_.get(), SHUT_RDWR);
  acceptor_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  for (std::thread& t : threads_) t.join();
}

void FakeBackend::accept_loop() {
  while (!stopping_) {
    pollfd p{listener_.get(), POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      ::close(fd);
      break;
    }
    open_fds_.push_back(fd);
    size_t id = accepted_++;
    threads_.emplace_back([this, fd, id] { serve(fd, id); });
  }
}

namespace {

// Multibulk requests from a byte stream, resumed where the last call stopped
// (a 200 MB argument is not rescanned read after read).
class RequestReader {
 public:
  void feed(const char* p, size_t n) { in_.append(p, n); }
  // 1: `argv` holds the next request; 0: more bytes needed; -1: not RESP.
  int next(std::vector<std::string>& argv) {
    if (want_args_ < 0) {
      size_t line = 0;
      if (!header('*', &line)) return in_.size() > pos_ && in_[pos_] != '*' ? -1 : 0;
      want_args_ = static_cast<int64_t>(line);
      args_.clear();
    }
    while (static_cast<int64_t>(args_.size()) < want_args_) {
      if (bulk_ < 0) {
        size_t len = 0;
        if (!header('$', &len)) return in_.size() > pos_ && in_[pos_] != '$' ? -1 : 0;
        bulk_ = static_cast<int64_t>(len);
      }
      const size_t n = static_cast<size_t>(bulk_);
      if (in_.size() - pos_ < n + 2) return 0;
      args_.emplace_back(in_, pos_, n);
      pos_ += n + 2;
      bulk_ = -1;
    }
    argv = std::move(args_);
    args_.clear();
    in_.erase(0, pos_);
    pos_ = 0;
    want_args_ = -1;
    return 1;
  }

 private:
  // Reads "<type><number>\r\n" at pos_; false while incomplete or wrong.
  bool header(char type, size_t* value) {
    if (pos_ >= in_.size() || in_[pos_] != type) return false;
    size_t cr = in_.find("\r\n", pos_);
    if (cr == std::string::npos) return false;
    *value = static_cast<size_t>(std::stoll(in_.substr(pos_ + 1, cr - pos_ - 1)));
    pos_ = cr + 2;
    return true;
  }

  std::string in_;
  size_t pos_ = 0;
  int64_t want_args_ = -1;
  int64_t bulk_ = -1;
  std::vector<std::string> args_;
};

}  // namespace

void FakeBackend::serve(int fd, size_t id) {
  Session session(fd, id);
  RequestReader reader;
  std::vector<char> buf(1 << 20);
  std::vector<std::string> argv;
  bool broken = false;
  while (!stopping_ && !broken) {
    ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    reader.feed(buf.data(), static_cast<size_t>(n));
    for (;;) {
      int got = reader.next(argv);
      if (got == 0) break;
      if (got < 0) {
        broken = true;
        break;
      }
      if (argv.empty()) continue;
      {
        std::lock_guard<std::mutex> lock(mu_);
        seen_[lower(argv[0])]++;
      }
      handler_(session, argv);
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
  ::close(fd);
}

size_t FakeBackend::requests_named(std::string_view name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = seen_.find(lower(std::string(name)));
  return it == seen_.end() ? 0 : it->second;
}

std::string FakeBackend::basic_reply(const std::vector<std::string>& argv) {
  std::string cmd = lower(argv[0]);
  // Values are shared, immutable strings: the lock covers the map only, so a
  // big value is copied into its reply without holding up other connections.
  std::shared_ptr<const std::string> value;
  if (cmd == "set" && argv.size() >= 3) value = std::make_shared<const std::string>(argv[2]);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (cmd == "set" && argv.size() >= 3) {
      store_[argv[1]] = std::move(value);
      return "+OK\r\n";
    }
    if ((cmd == "get" || cmd == "strlen") && argv.size() == 2) {
      auto it = store_.find(argv[1]);
      if (it != store_.end()) value = it->second;
    }
    if (cmd == "incr" && argv.size() == 2) {
      auto& v = store_[argv[1]];
      long long n = (v ? std::stoll(*v) : 0) + 1;
      v = std::make_shared<const std::string>(std::to_string(n));
      return ":" + *v + "\r\n";
    }
    if ((cmd == "del" || cmd == "exists") && argv.size() >= 2) {
      long long n = 0;
      for (size_t i = 1; i < argv.size(); ++i) {
        auto it = store_.find(argv[i]);
        if (it == store_.end()) continue;
        ++n;
        if (cmd == "del") store_.erase(it);
      }
      return ":" + std::to_string(n) + "\r\n";
    }
    if (cmd == "dbsize") return ":" + std::to_string(store_.size()) + "\r\n";
  }
  if (cmd == "ping") return argv.size() > 1 ? bulk(argv[1]) : "+PONG\r\n";
  if (cmd == "echo" && argv.size() == 2) return bulk(argv[1]);
  if (cmd == "auth" || cmd == "select" || cmd == "flushdb" || cmd == "flushall") return "+OK\r\n";
  if (cmd == "get" && argv.size() == 2) return value ? bulk(*value) : "$-1\r\n";
  if (cmd == "strlen" && argv.size() == 2) {
    return ":" + std::to_string(value ? value->size() : 0) + "\r\n";
  }
  return "-ERR fake backend: unsupported command '" + argv[0] + "'\r\n";
}

}  // namespace ringproxy::testing
