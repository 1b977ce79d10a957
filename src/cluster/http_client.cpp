// See http_client.hpp. The glue follows libcurl's multi-socket contract:
//  - CURLMOPT_SOCKETFUNCTION says, per socket, "watch IN/OUT/both" or
//    "remove" (called before curl closes the socket, so the uv_poll_t is
//    closed while its descriptor is still valid);
//  - CURLMOPT_TIMERFUNCTION sets (or with -1 clears) one single-shot timer;
//    curl is never called back from inside these callbacks, only from the
//    uv_poll_t / uv_timer_t callbacks;
//  - finished transfers are collected with curl_multi_info_read after each
//    curl_multi_socket_action, and their on_done runs outside curl.
// Work asked for while curl is on the stack (a start or cancel from on_data,
// which runs inside curl's write callback) is queued and done once curl
// returns, because libcurl refuses multi calls from its own callbacks.
#include "ringproxy/cluster/http_client.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "ringproxy/common/assert.hpp"
#include "ringproxy/net/uv_handle.hpp"

namespace ringproxy {
namespace {

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

void global_init() {
  // libcurl's process-wide setup (TLS library, resolver); once per process.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// curl 7.88 sets TCP_KEEPIDLE and TCP_KEEPINTVL but not the probe count.
int set_keepalive_count(void* clientp, curl_socket_t fd, curlsocktype purpose) {
  auto* options = static_cast<const HttpClientOptions*>(clientp);
  if (purpose == CURLSOCKTYPE_IPCXN && options->tcp_keepalive_s > 0) {
    int count = 3;
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
  }
  return CURL_SOCKOPT_OK;
}

}  // namespace

struct HttpClient::Transfer {
  RequestId id = 0;
  HttpRequest request;
  std::unique_ptr<CURL, EasyDeleter> easy;
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  HttpResponse response;
  char error[CURL_ERROR_SIZE] = {};
  bool in_multi = false;
  bool cancelled = false;

  static size_t on_write(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    size_t n = size * count;
    if (t->cancelled) return 0;  // returning short aborts the transfer
    if (t->request.on_data) {
      if (!t->request.on_data(std::string_view(data, n))) {
        t->response.aborted = true;
        return 0;
      }
      return n;
    }
    if (t->response.body.size() + n > t->request.max_body_bytes) {
      t->response.too_large = true;
      return 0;
    }
    t->response.body.append(data, n);
    return n;
  }

  // False (with `error` set) when curl refuses an option.
  bool setup(const HttpClientOptions& options) {
    easy.reset(curl_easy_init());
    if (!easy) return fail("cannot create a curl handle");
    const char* content_type = "Content-Type: application/json";
    curl_slist* list = curl_slist_append(nullptr, content_type);
    headers.reset(list);
    // No "Expect: 100-continue" round trip for bodies over 1 KiB.
    if (list != nullptr) list = curl_slist_append(list, "Expect:");
    std::string auth = "Authorization: " + request.authorization;
    if (list != nullptr && !request.authorization.empty()) {
      list = curl_slist_append(list, auth.c_str());
    }
    if (list == nullptr) return fail("out of memory");
    CURL* e = easy.get();
    bool ok = curl_easy_setopt(e, CURLOPT_URL, request.url.c_str()) == CURLE_OK &&
              curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK;
    if (!ok) return fail("unsupported URL " + request.url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, this);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Transfer::on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, this);
    if (request.timeout_ms > 0) curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, request.timeout_ms);
    if (request.connect_timeout_ms > 0) {
      curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, request.connect_timeout_ms);
    }
    if (options.tcp_keepalive_s > 0) {
      long idle = options.tcp_keepalive_s;
      curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
      curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, idle);
      curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, std::max(1L, idle / 3));
      curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, &set_keepalive_count);
      curl_easy_setopt(e, CURLOPT_SOCKOPTDATA, &options);
    }
    auto file_option = [&](CURLoption opt, const std::string& path) {
      return path.empty() || curl_easy_setopt(e, opt, path.c_str()) == CURLE_OK;
    };
    if (!file_option(CURLOPT_CAINFO, options.ca_file) ||
        !file_option(CURLOPT_SSLCERT, options.cert_file) ||
        !file_option(CURLOPT_SSLKEY, options.key_file)) {
      return fail("TLS options not supported by this libcurl");
    }
    return true;
  }

  bool fail(std::string why) {
    response.error = std::move(why);
    return false;
  }
};

HttpClient::HttpClient(uv_loop_t* loop, HttpClientOptions options)
    : loop_(loop), options_(std::move(options)) {
  global_init();
  multi_.reset(curl_multi_init());
  if (!multi_) throw std::runtime_error("cannot create a curl multi handle");
  curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETFUNCTION, &HttpClient::on_socket);
  curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_.get(), CURLMOPT_TIMERFUNCTION, &HttpClient::on_timer);
  curl_multi_setopt(multi_.get(), CURLMOPT_TIMERDATA, this);
  timer_ = std::make_unique<uv_timer_t>();
  deferred_ = std::make_unique<uv_timer_t>();
  uv_timer_init(loop_, timer_.get());
  uv_timer_init(loop_, deferred_.get());
  timer_->data = deferred_->data = this;
}

HttpClient::~HttpClient() {
  RP_ASSERT(in_curl_ == 0);
  destroying_ = true;
  for (auto& [id, t] : transfers_) {
    if (t->in_multi) curl_multi_remove_handle(multi_.get(), t->easy.get());
  }
  transfers_.clear();
  multi_.reset();  // closes cached connections (their sockets are reported removed)
  for (auto& [fd, handle] : sockets_) close_handle(handle);
  sockets_.clear();
  close_handle(timer_);
  close_handle(deferred_);
}

HttpClient::RequestId HttpClient::start(HttpRequest request) {
  auto t = std::make_unique<Transfer>();
  t->id = next_id_++;
  t->request = std::move(request);
  RequestId id = t->id;
  Transfer& ref = *t;
  transfers_.emplace(id, std::move(t));
  if (!ref.setup(options_)) {
    to_fail_.push_back(id);
    arm_deferred();
  } else if (in_curl_ > 0) {
    to_add_.push_back(id);
    arm_deferred();
  } else if (!add(ref)) {
    to_fail_.push_back(id);
    arm_deferred();
  }
  return id;
}

void HttpClient::cancel(RequestId id) {
  auto it = transfers_.find(id);
  if (it == transfers_.end() || it->second->cancelled) return;
  it->second->cancelled = true;
  if (in_curl_ > 0) {
    to_remove_.push_back(id);
    arm_deferred();
    return;
  }
  remove(*it->second);
  transfers_.erase(it);
}

bool HttpClient::add(Transfer& t) {
  CURLMcode rc = curl_multi_add_handle(multi_.get(), t.easy.get());
  if (rc != CURLM_OK) {
    t.response.error = std::string("cannot start the request: ") + curl_multi_strerror(rc);
    return false;
  }
  t.in_multi = true;
  return true;
}

void HttpClient::remove(Transfer& t) {
  if (!t.in_multi) return;
  t.in_multi = false;
  curl_multi_remove_handle(multi_.get(), t.easy.get());
}

void HttpClient::arm_deferred() {
  if (destroying_) return;
  uv_timer_start(
      deferred_.get(), [](uv_timer_t* h) { static_cast<HttpClient*>(h->data)->run_deferred(); }, 0,
      0);
}

void HttpClient::run_deferred() {
  if (in_curl_ > 0) return;  // drive() runs it once curl returns
  uv_timer_stop(deferred_.get());
  for (RequestId id : std::exchange(to_remove_, {})) {
    auto it = transfers_.find(id);
    if (it == transfers_.end()) continue;
    remove(*it->second);
    transfers_.erase(it);
  }
  for (RequestId id : std::exchange(to_add_, {})) {
    auto it = transfers_.find(id);
    if (it == transfers_.end() || it->second->cancelled) continue;
    if (!add(*it->second)) to_fail_.push_back(id);
  }
  // Requests that never reached curl fail here, outside start().
  for (RequestId id : std::exchange(to_fail_, {})) {
    auto it = transfers_.find(id);
    if (it == transfers_.end()) continue;
    std::unique_ptr<Transfer> t = std::move(it->second);
    transfers_.erase(it);
    if (t->cancelled) continue;
    auto done = std::move(t->request.on_done);
    HttpResponse response = std::move(t->response);
    t.reset();
    if (done) done(std::move(response));
  }
}

void HttpClient::drive(curl_socket_t fd, int flags) {
  int running = 0;
  ++in_curl_;
  curl_multi_socket_action(multi_.get(), fd, flags, &running);
  --in_curl_;
  finish_done();
  if (!to_add_.empty() || !to_remove_.empty() || !to_fail_.empty()) run_deferred();
}

void HttpClient::finish_done() {
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_.get(), &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* easy = msg->easy_handle;
    CURLcode code = msg->data.result;  // msg dies with remove_handle
    Transfer* raw = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, reinterpret_cast<char**>(&raw));
    remove(*raw);
    auto it = transfers_.find(raw->id);
    RP_ASSERT(it != transfers_.end());
    std::unique_ptr<Transfer> t = std::move(it->second);
    transfers_.erase(it);
    if (t->cancelled) continue;
    HttpResponse response = std::move(t->response);
    if (code == CURLE_OK) {
      response.transport_ok = true;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &response.status);
    } else if (response.too_large) {
      response.error =
          "response larger than " + std::to_string(t->request.max_body_bytes) + " bytes";
    } else if (response.error.empty()) {
      response.error = t->error[0] != '\0' ? t->error : curl_easy_strerror(code);
    }
    auto done = std::move(t->request.on_done);
    t.reset();
    if (done) done(std::move(response));
  }
}

int HttpClient::on_socket(CURL*, curl_socket_t fd, int what, void* self_ptr, void*) {
  auto* self = static_cast<HttpClient*>(self_ptr);
  if (what == CURL_POLL_REMOVE) {
    auto it = self->sockets_.find(fd);
    if (it != self->sockets_.end()) {
      close_handle(it->second);
      self->sockets_.erase(it);
    }
    return 0;
  }
  auto& handle = self->sockets_[fd];
  if (!handle) {
    handle = std::make_unique<uv_poll_t>();
    if (uv_poll_init_socket(self->loop_, handle.get(), fd) != 0) {
      handle.reset();
      self->sockets_.erase(fd);
      return -1;  // curl fails the transfers on this socket
    }
    handle->data = self;
  }
  int events = 0;
  if (what & CURL_POLL_IN) events |= UV_READABLE;
  if (what & CURL_POLL_OUT) events |= UV_WRITABLE;
  uv_poll_start(handle.get(), events, [](uv_poll_t* h, int status, int ready) {
    int flags = 0;
    if (status < 0) flags |= CURL_CSELECT_ERR;
    if (ready & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (ready & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
    uv_os_fd_t fd = -1;
    uv_fileno(reinterpret_cast<uv_handle_t*>(h), &fd);
    static_cast<HttpClient*>(h->data)->drive(fd, flags);
  });
  return 0;
}

int HttpClient::on_timer(CURLM*, long timeout_ms, void* self_ptr) {
  auto* self = static_cast<HttpClient*>(self_ptr);
  if (self->destroying_) return 0;
  if (timeout_ms < 0) {
    uv_timer_stop(self->timer_.get());
    return 0;
  }
  uv_timer_start(
      self->timer_.get(),
      [](uv_timer_t* h) { static_cast<HttpClient*>(h->data)->drive(CURL_SOCKET_TIMEOUT, 0); },
      static_cast<uint64_t>(timeout_ms), 0);
  return 0;
}

}  // namespace ringproxy
