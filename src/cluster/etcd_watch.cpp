// See etcd_watch.hpp.
#include "ringproxy/cluster/etcd_watch.hpp"

#include <utility>

#include "ringproxy/cluster/etcd_client.hpp"
#include "ringproxy/cluster/etcd_json.hpp"
#include "ringproxy/common/log.hpp"
#include "ringproxy/net/uv_handle.hpp"

namespace ringproxy {

EtcdWatch::EtcdWatch(EtcdClient& client, std::string key, std::string range_end,
                     int64_t start_revision, EtcdWatchHandler handler)
    : client_(client),
      key_(std::move(key)),
      range_end_(std::move(range_end)),
      next_revision_(start_revision),
      handler_(std::move(handler)),
      splitter_(client.options().max_response_bytes),
      backoff_(static_cast<uint64_t>(client.options().backoff_initial_ms),
               static_cast<uint64_t>(client.options().backoff_max_ms),
               uv_hrtime() ^ reinterpret_cast<uintptr_t>(this)),
      retry_timer_(std::make_unique<uv_timer_t>()),
      deadline_(std::make_unique<uv_timer_t>()),
      alive_(std::make_shared<char>(0)) {
  uv_timer_init(client_.loop(), retry_timer_.get());
  uv_timer_init(client_.loop(), deadline_.get());
  retry_timer_->data = deadline_->data = this;
  ++client_.watches_;
  connect();
}

EtcdWatch::~EtcdWatch() {
  drop_stream();
  close_handle(retry_timer_);
  close_handle(deadline_);
  --client_.watches_;
}

void EtcdWatch::restart(int64_t start_revision) {
  drop_stream();
  ++generation_;
  next_revision_ = start_revision;
  backoff_.reset();
  token_retried_ = false;
  connect();
}

void EtcdWatch::drop_stream() {
  if (stream_ != 0) client_.http().cancel(stream_);
  stream_ = 0;
  uv_timer_stop(deadline_.get());
  uv_timer_stop(retry_timer_.get());
}

void EtcdWatch::connect() {
  phase_ = Phase::kWaitingToken;
  std::weak_ptr<char> alive = alive_;
  uint64_t generation = generation_;
  client_.with_token([this, alive, generation](const EtcdError* error) {
    if (alive.expired() || generation != generation_) return;
    if (error != nullptr) {
      stream_failed(error->message);
    } else {
      open_stream();
    }
  });
}

void EtcdWatch::open_stream() {
  splitter_.reset();
  abort_ = Abort::kNone;
  abort_reason_.clear();
  endpoint_ = client_.current_endpoint();
  token_used_ = client_.token();
  HttpRequest request;
  request.url = client_.url(endpoint_, "/v3/watch");
  request.body = etcd_json::watch_create_request(key_, range_end_, next_revision_, true);
  request.authorization = token_used_;
  request.connect_timeout_ms = client_.options().connect_timeout_ms;
  uint64_t generation = generation_;
  request.on_data = [this, generation](std::string_view data) {
    if (generation != generation_) return false;
    bool go_on = splitter_.feed(data, [this, generation](std::string_view line) {
      return generation == generation_ && on_message(line);
    });
    if (!go_on && abort_ == Abort::kNone && generation == generation_) {
      abort_ = Abort::kError;
      abort_reason_ = "watch message longer than " +
                      std::to_string(client_.options().max_response_bytes) + " bytes";
    }
    return go_on;
  };
  request.on_done = [this](HttpResponse response) { on_stream_end(response); };
  phase_ = Phase::kConnecting;
  stream_ = client_.http().start(std::move(request));
  arm_deadline(client_.options().request_timeout_ms, "no answer to the watch request");
}

bool EtcdWatch::on_message(std::string_view line) {
  using Kind = etcd_json::WatchMessage::Kind;
  etcd_json::WatchMessage m = etcd_json::decode_watch_message(line);
  switch (m.kind) {
    case Kind::kCreated:
      phase_ = Phase::kWatching;
      backoff_.reset();
      token_retried_ = false;
      client_.note_success(endpoint_, m.header_revision);
      arm_deadline(client_.options().watch_silence_timeout_ms, "no message from etcd");
      set_up(true, {});
      return true;
    case Kind::kProgress:
      client_.note_success(endpoint_, m.header_revision);
      // Only a synced watcher gets these: every event up to the header's
      // revision has been sent before it.
      if (phase_ == Phase::kWatching && m.header_revision >= next_revision_) {
        next_revision_ = m.header_revision + 1;
      }
      arm_deadline(client_.options().watch_silence_timeout_ms, "no message from etcd");
      return true;
    case Kind::kEvents: {
      client_.note_success(endpoint_, m.header_revision);
      arm_deadline(client_.options().watch_silence_timeout_ms, "no message from etcd");
      // Events before the resume point were delivered by an earlier stream.
      std::vector<WatchEvent> fresh;
      fresh.reserve(m.events.size());
      for (auto& e : m.events) {
        if (e.kv.mod_revision >= next_revision_) fresh.push_back(std::move(e));
      }
      if (fresh.empty()) return true;
      next_revision_ = fresh.back().kv.mod_revision + 1;
      if (handler_.on_events) handler_.on_events(fresh);
      return true;
    }
    case Kind::kCanceled:
      if (m.compact_revision > 0) {
        abort_ = Abort::kCompacted;
        compact_revision_ = m.compact_revision;
      } else if (m.reason.find("invalid auth token") != std::string::npos) {
        abort_ = Abort::kTokenRefused;
        abort_reason_ = m.reason;
      } else {
        abort_ = Abort::kError;
        abort_reason_ = "watch canceled by etcd: " +
                        (m.reason.empty() ? std::string("no reason given") : m.reason);
      }
      return false;
    case Kind::kError:
      abort_ = Abort::kError;
      abort_reason_ = m.reason;
      return false;
  }
  return false;
}

void EtcdWatch::on_stream_end(const HttpResponse& response) {
  stream_ = 0;
  uv_timer_stop(deadline_.get());
  Abort abort = std::exchange(abort_, Abort::kNone);
  switch (abort) {
    case Abort::kCompacted:
      phase_ = Phase::kCompacted;
      log(LogLevel::kWarn, "etcd: watch of ", key_, " cannot resume from revision ", next_revision_,
          ": history compacted up to ", compact_revision_, "; the range must be read again");
      set_up(false, "history compacted");
      if (handler_.on_compacted) handler_.on_compacted(compact_revision_);
      return;
    case Abort::kTokenRefused:
      client_.token_refused(token_used_);
      if (!token_retried_) {
        token_retried_ = true;
        connect();
        return;
      }
      stream_failed("etcd refused a fresh token: " + abort_reason_);
      return;
    case Abort::kError:
      stream_failed(abort_reason_);
      return;
    case Abort::kNone:
      stream_failed(response.transport_ok ? "etcd ended the watch stream" : response.error);
      return;
  }
}

void EtcdWatch::stream_failed(std::string reason) {
  client_.note_failure(endpoint_, reason);
  phase_ = Phase::kBackoff;
  uint64_t delay = backoff_.next();
  ++reconnects_;
  log(LogLevel::kDebug, "etcd: watch of ", key_, ": ", reason, "; retrying in ", delay, " ms");
  uv_timer_start(
      retry_timer_.get(), [](uv_timer_t* t) { static_cast<EtcdWatch*>(t->data)->connect(); }, delay,
      0);
  set_up(false, reason);  // last: the handler may restart() the watch
}

void EtcdWatch::arm_deadline(int ms, const char* what) {
  if (ms <= 0) {
    uv_timer_stop(deadline_.get());
    return;
  }
  deadline_what_ = std::string(what) + " within " + std::to_string(ms) + " ms";
  uv_timer_start(
      deadline_.get(),
      [](uv_timer_t* t) {
        auto* self = static_cast<EtcdWatch*>(t->data);
        if (self->stream_ != 0) self->client_.http().cancel(self->stream_);
        self->stream_ = 0;
        self->stream_failed(self->deadline_what_);
      },
      static_cast<uint64_t>(ms), 0);
}

void EtcdWatch::set_up(bool up, std::string_view reason) {
  if (up == reported_up_) return;
  reported_up_ = up;
  if (up) {
    log(LogLevel::kInfo, "etcd: watching ", key_, " from revision ", next_revision_);
  } else {
    log(LogLevel::kWarn, "etcd: watch of ", key_, " down (", reason,
        "); will resume from revision ", next_revision_);
  }
  if (handler_.on_state) handler_.on_state(up, reason);
}

}  // namespace ringproxy
