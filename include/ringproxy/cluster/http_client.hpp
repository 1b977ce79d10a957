// HTTP requests on the proxy's libuv loop through libcurl's multi interface:
// curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION, one uv_poll_t
// per socket) and when to call it back (CURLMOPT_TIMERFUNCTION, one
// uv_timer_t), and the loop drives every transfer with
// curl_multi_socket_action. Nothing blocks and no thread is started; an idle
// client (no transfer, or only a quiet stream) keeps the loop asleep.
//
// Requests are JSON POSTs (etcd's gateway); a response is either buffered and
// handed over whole, or streamed to on_data chunk by chunk (a watch).
//
// Callbacks: on_done runs from the loop, never inside start(). start() and
// cancel() may be called from any callback, on_data included (they take
// effect once curl has returned). The client must not be destroyed from
// inside one of its callbacks.
#pragma once

#include <curl/curl.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ringproxy {

struct HttpResponse {
  bool transport_ok = false;  // a complete HTTP response arrived
  long status = 0;            // HTTP status, 0 when none
  std::string error;          // transport_ok false: what went wrong
  std::string body;           // buffered requests only
  bool aborted = false;       // on_data returned false
  bool too_large = false;     // the body passed max_body_bytes
};

struct HttpRequest {
  std::string url;
  std::string body;           // POSTed as application/json
  std::string authorization;  // Authorization header; empty: none
  long timeout_ms = 0;        // whole transfer; 0: none (streams)
  long connect_timeout_ms = 0;
  size_t max_body_bytes = 64u << 20;  // buffered requests
  // Set: the body is streamed here and not buffered; return false to abort
  // the transfer (on_done then follows with aborted set).
  std::function<bool(std::string_view)> on_data;
  std::function<void(HttpResponse)> on_done;
};

struct HttpClientOptions {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  int tcp_keepalive_s = 10;  // 0: off
};

class HttpClient {
 public:
  using RequestId = uint64_t;

  // Throws std::runtime_error when curl cannot be set up.
  HttpClient(uv_loop_t* loop, HttpClientOptions options);
  // Abandons every transfer without calling its callbacks.
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  RequestId start(HttpRequest request);
  // The request's callbacks will not run. Unknown or finished ids are ignored.
  void cancel(RequestId id);
  size_t active() const { return transfers_.size(); }
  uv_loop_t* loop() const { return loop_; }

 private:
  struct Transfer;
  struct MultiDeleter {
    void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
  };

  static int on_socket(CURL* easy, curl_socket_t fd, int what, void* self, void* socket_data);
  static int on_timer(CURLM* multi, long timeout_ms, void* self);
  void drive(curl_socket_t fd, int flags);
  void arm_deferred();
  void finish_done();
  void run_deferred();
  bool add(Transfer& t);
  void remove(Transfer& t);

  uv_loop_t* loop_;
  HttpClientOptions options_;
  std::unique_ptr<CURLM, MultiDeleter> multi_;
  std::unique_ptr<uv_timer_t> timer_;     // curl's timeout
  std::unique_ptr<uv_timer_t> deferred_;  // starts/cancels/failures made inside curl
  std::unordered_map<curl_socket_t, std::unique_ptr<uv_poll_t>> sockets_;
  std::unordered_map<RequestId, std::unique_ptr<Transfer>> transfers_;
  std::vector<RequestId> to_add_;     // started while curl was running
  std::vector<RequestId> to_remove_;  // cancelled while curl was running
  std::vector<RequestId> to_fail_;    // could not be handed to curl
  RequestId next_id_ = 1;
  int in_curl_ = 0;  // depth of curl calls on the stack
  bool destroying_ = false;
};

}  // namespace ringproxy
