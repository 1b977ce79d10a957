// SCAN through the proxy walks the backends one after another, in ascending
// id order, skipping ejected ones. The cursor carries the backend in its low
// bits: cursor = backend_cursor << kScanBackendBits | backend id, so a client
// simply passes back what it got (redis-cli --scan works unchanged). Cursor 0
// starts at the first live backend; the reply's cursor is 0 only after the
// last one.
//
// Unavailable backend: an error (SCAN has no natural miss answer).
#pragma once

#include <cstdint>

#include "ringproxy/commands/handler.hpp"

namespace ringproxy {

inline constexpr unsigned kScanBackendBits = 10;
inline constexpr uint64_t kScanBackendMask = (1u << kScanBackendBits) - 1;

class ScanHandler final : public CommandHandler {
 public:
  constexpr ScanHandler() : CommandHandler({}) {}
  void handle(CommandContext& ctx, const Call& call) const override;
  void merge(CommandContext& ctx, Request& req) const override;
};

namespace handlers {
extern const ScanHandler scan;
}

}  // namespace ringproxy
