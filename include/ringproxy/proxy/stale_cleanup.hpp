// The background cleaner's I/O: for each member with stale ranges
// (LiveRing::cleaner), SCAN it at --cleanup-rate keys per second in batches
// of --cleanup-batch, and UNLINK the keys the DirtyCleaner selects (copies of
// keys the member no longer owns), until a full pass lets its entries go.
//
// The SCANs and UNLINKs go on the member's ordinary pipelined connection, in
// order with client traffic, as requests of a session of the proxy's own
// (this class): the SCAN reply comes back through the normal reply path to
// deliver(). A member that is not up pauses its cleaner (the pass starts over
// when it is back).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "ringproxy/commands/context.hpp"
#include "ringproxy/commands/session.hpp"
#include "ringproxy/proxy/backend_pool.hpp"
#include "ringproxy/proxy/live_ring.hpp"

namespace ringproxy {

class StaleCleanup final : public Session {
 public:
  StaleCleanup(LiveRing& ring, BackendPool& pool, CommandContext& ctx,
               std::function<uint64_t()> clock);

  // Sends the SCANs that are due (call it from a timer).
  void tick();
  uint64_t keys_unlinked() const { return keys_unlinked_; }
  uint64_t scans() const { return scans_; }

  // Session: only deliver() is used (the replies of its SCANs).
  uint64_t id() const override { return 0; }
  bool authenticated() const override { return true; }
  void set_authenticated() override {}
  std::string_view name() const override { return "stale-cleanup"; }
  void set_name(std::string_view) override {}
  void describe(ClientInfo& out) const override { out.id = 0; }
  void open(Request*) override {}
  void deliver(Request* req, std::string_view bytes) override;
  void complete(Request* req) override { deliver(req, req->reply.view()); }
  Buffer* reply_sink(Request*) override { return nullptr; }
  void reply_moved(Request*) override {}
  Buffer& begin_reply() override { return scratch_; }
  void end_reply() override { scratch_.clear(); }
  void close_after_replies() override {}
  Transaction* transaction() override { return nullptr; }
  Transaction& begin_transaction() override;
  void end_transaction() override {}

 private:
  void scan(uint32_t slot, uint64_t now);
  // False when the reply was not a SCAN reply for the cleaner it was sent for.
  bool on_scan_reply(uint32_t slot, std::string_view bytes, uint64_t now);

  LiveRing& ring_;
  BackendPool& pool_;
  CommandContext& ctx_;
  std::function<uint64_t()> clock_;
  // By slot: the cleaner a SCAN in flight was sent for (null: none in flight).
  std::vector<const DirtyCleaner*> in_flight_;
  std::vector<std::string_view> keys_;
  std::vector<size_t> selected_;
  Buffer scratch_;
  uint64_t keys_unlinked_ = 0;
  uint64_t scans_ = 0;
};

}  // namespace ringproxy
