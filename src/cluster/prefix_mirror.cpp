// See prefix_mirror.hpp.
#include "ringproxy/cluster/prefix_mirror.hpp"

#include "ringproxy/cluster/etcd_json.hpp"
#include "ringproxy/cluster/etcd_watch.hpp"
#include "ringproxy/common/log.hpp"
#include "ringproxy/net/uv_handle.hpp"

namespace ringproxy {

PrefixMirror::PrefixMirror(EtcdClient& client, std::string prefix, ChangeCallback on_change)
    : client_(client),
      prefix_(std::move(prefix)),
      on_change_(std::move(on_change)),
      backoff_(static_cast<uint64_t>(client.options().backoff_initial_ms),
               static_cast<uint64_t>(client.options().backoff_max_ms),
               uv_hrtime() ^ reinterpret_cast<uintptr_t>(this)),
      retry_timer_(std::make_unique<uv_timer_t>()) {
  uv_timer_init(client_.loop(), retry_timer_.get());
  retry_timer_->data = this;
}

PrefixMirror::~PrefixMirror() {
  client_.cancel(read_call_);
  watch_.reset();
  close_handle(retry_timer_);
}

bool PrefixMirror::watching() const {
  return watch_ != nullptr && watch_->up();
}

void PrefixMirror::start() {
  if (read_call_ == 0 && !synced_) read();
}

void PrefixMirror::read() {
  uv_timer_stop(retry_timer_.get());
  read_call_ = client_.range_prefix(prefix_, [this](EtcdResult<RangeResult> r) {
    read_call_ = 0;
    on_read(std::move(r));
  });
}

void PrefixMirror::on_read(EtcdResult<RangeResult> result) {
  if (!result.ok()) {
    uint64_t delay = backoff_.next();
    if (!read_failing_) {
      log(LogLevel::kWarn, "etcd: cannot read ", prefix_, ": ", result.error->message,
          synced_ ? "; keeping the last state" : "", "; retrying");
    }
    read_failing_ = true;
    uv_timer_start(
        retry_timer_.get(), [](uv_timer_t* t) { static_cast<PrefixMirror*>(t->data)->read(); },
        delay, 0);
    return;
  }
  read_failing_ = false;
  backoff_.reset();
  Snapshot fresh;
  for (auto& kv : result.value.kvs) {
    std::string key = kv.key;
    fresh.emplace(std::move(key), std::move(kv));
  }
  bool changed = !synced_ || fresh.size() != kvs_.size();
  if (!changed) {
    for (auto a = fresh.begin(), b = kvs_.begin(); a != fresh.end(); ++a, ++b) {
      if (a->first != b->first || a->second.value != b->second.value ||
          a->second.mod_revision != b->second.mod_revision) {
        changed = true;
        break;
      }
    }
  }
  bool first = !synced_;
  kvs_ = std::move(fresh);
  revision_ = result.value.revision;
  synced_ = true;
  int64_t from = revision_ + 1;
  if (watch_ == nullptr) {
    EtcdWatchHandler handler;
    handler.on_events = [this](const std::vector<WatchEvent>& events) { on_events(events); };
    handler.on_compacted = [this](int64_t) {
      ++rereads_;
      read();
    };
    watch_ = client_.watch(prefix_, prefix_range_end(prefix_), from, std::move(handler));
  } else {
    watch_->restart(from);
  }
  if (!first) {
    log(LogLevel::kInfo, "etcd: read ", prefix_, " again at revision ", revision_, " (",
        kvs_.size(), " keys", changed ? ", changed" : ", unchanged", ")");
  }
  if (changed && on_change_) on_change_(kvs_, revision_);
}

void PrefixMirror::on_events(const std::vector<WatchEvent>& events) {
  for (const auto& e : events) {
    if (e.type == WatchEvent::Type::kPut) {
      kvs_[e.kv.key] = e.kv;
    } else {
      kvs_.erase(e.kv.key);
    }
    revision_ = e.kv.mod_revision;
  }
  if (on_change_) on_change_(kvs_, revision_);
}

}  // namespace ringproxy
