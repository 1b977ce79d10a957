// See stale_cleanup.hpp.
#include "ringproxy/proxy/stale_cleanup.hpp"

#include <stdexcept>
#include <string>

#include "ringproxy/commands/dispatcher.hpp"
#include "ringproxy/commands/request.hpp"
#include "ringproxy/commands/single_key.hpp"
#include "ringproxy/common/text.hpp"
#include "ringproxy/resp/reply_scanner.hpp"
#include "ringproxy/resp/resp_writer.hpp"

namespace ringproxy {

StaleCleanup::StaleCleanup(LiveRing& ring, BackendPool& pool, CommandContext& ctx,
                           std::function<uint64_t()> clock)
    : ring_(ring), pool_(pool), ctx_(ctx), clock_(std::move(clock)) {}

Transaction& StaleCleanup::begin_transaction() {
  throw std::logic_error("the stale-range cleaner never sends MULTI");
}

void StaleCleanup::tick() {
  if (ring_.dirty_entries() == 0) return;
  const uint64_t now = clock_();
  for (BackendId slot : ring_.members()) scan(slot, now);
}

void StaleCleanup::scan(uint32_t slot, uint64_t now) {
  DirtyCleaner* cleaner = ring_.cleaner(slot);
  if (cleaner == nullptr || cleaner->dirty().empty()) return;
  if (slot < in_flight_.size() && in_flight_[slot] != nullptr) return;
  if (pool_.state(slot) != BackendState::kUp) {
    cleaner->abort_pass();
    return;
  }
  if (!cleaner->ready(now)) return;
  const DirtyCleaner::Batch batch = cleaner->next_batch(now);
  Buffer* out = pool_.begin(slot, 0);
  if (out == nullptr) {
    cleaner->abort_pass();
    return;
  }
  const std::string cursor = std::to_string(batch.cursor);
  const std::string count = std::to_string(batch.count);
  const std::string_view args[] = {"SCAN", cursor, "COUNT", count};
  resp::command(*out, args);
  Request* req = ctx_.requests.acquire();
  req->session = this;
  req->handler = &handlers::single_key;
  // The proxy's own request: its reply counts for the backend, not for a
  // command (the clock is this iteration's: a timer's or a reply's).
  req->command = Dispatcher::internal_command_id();
  req->start_ns = ctx_.now_ns;
  req->fragments.emplace_back().backend = slot;
  req->pending = 1;
  pool_.commit(req, 0, 0);
  if (slot >= in_flight_.size()) in_flight_.resize(slot + 1, nullptr);
  in_flight_[slot] = cleaner;
  ++scans_;
}

void StaleCleanup::deliver(Request* req, std::string_view bytes) {
  const uint32_t slot = req->fragments[0].backend;
  const uint64_t now = clock_();
  const bool ok = on_scan_reply(slot, bytes, now);
  ctx_.requests.release(req);
  // The next batch goes at once if the rate allows it; after a failure, at
  // the next tick.
  if (ok && ring_.is_member_slot(slot)) scan(slot, now);
}

bool StaleCleanup::on_scan_reply(uint32_t slot, std::string_view bytes, uint64_t now) {
  if (slot >= in_flight_.size()) return false;
  const DirtyCleaner* sent_for = in_flight_[slot];
  in_flight_[slot] = nullptr;
  DirtyCleaner* cleaner = ring_.cleaner(slot);
  // The member left (or was flushed and replaced) meanwhile.
  if (cleaner == nullptr || cleaner != sent_for) return false;
  std::vector<std::string_view> parts;
  keys_.clear();
  ReplyView cursor_view;
  uint64_t cursor = 0;
  if (!split_array_elements(bytes, parts) || parts.size() != 2 ||
      !parse_reply(parts[0], cursor_view) || cursor_view.type != '$' ||
      !parse_u64(cursor_view.line, cursor) || !split_array_elements(parts[1], keys_)) {
    cleaner->abort_pass();  // an error reply (connection lost, ...): start over later
    return false;
  }
  for (std::string_view& k : keys_) {
    ReplyView v;
    if (!parse_reply(k, v) || v.type != '$') {
      cleaner->abort_pass();
      return false;
    }
    k = v.line;
  }
  cleaner->select(keys_, now, selected_);
  if (!selected_.empty()) {
    Buffer cmd;
    resp::array_header(cmd, static_cast<int64_t>(selected_.size() + 1));
    resp::bulk(cmd, "UNLINK");
    for (size_t i : selected_) resp::bulk(cmd, keys_[i]);
    if (pool_.send_internal(slot, cmd.view())) keys_unlinked_ += selected_.size();
  }
  if (cleaner->finish_batch(cursor, keys_.size(), now) > 0) ring_.entries_changed();
  return true;
}

}  // namespace ringproxy
