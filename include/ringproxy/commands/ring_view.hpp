// What the command handlers know of placement: which backend owns a key now,
// which one owns it when every backend is up, and which backends are live.
//
// Backends are named by an opaque BackendId. Today it is the backend's
// position in the configuration; a live ring will give backends stable slot
// ids instead, so handlers never treat an id as an index into anything but
// tables of their own sized by id_limit().
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace ringproxy {

using BackendId = uint32_t;
inline constexpr BackendId kNoBackend = UINT32_MAX;

class RingView {
 public:
  virtual ~RingView() = default;

  // The live backend that serves `key`: its home, or the successor standing
  // in while the home is down. kNoBackend when no backend is live.
  virtual BackendId owner(std::string_view key) const = 0;
  // The backend that owns `key` when every backend is up.
  virtual BackendId home(std::string_view key) const = 0;
  // Whether `backend` takes part in placement (not ejected).
  virtual bool live(BackendId backend) const = 0;
  // Whether any backend is ejected: only then can a write land on a successor.
  virtual bool any_down() const = 0;
  // Every backend, live or not, in ascending id order.
  virtual std::span<const BackendId> members() const = 0;
  // Every id is below this.
  virtual uint32_t id_limit() const = 0;
  // Whether `backend` may hold a stale copy of `key` (ownership of the key
  // moved away from it and came back; see placement/dirty_set.hpp): a read
  // of it routed there answers as a miss without asking the backend.
  virtual bool stale(BackendId /*backend*/, std::string_view /*key*/) const { return false; }

  // Migration window (--migration-window-s): whether one is open now, after
  // the last membership change.
  virtual bool window_open() const { return false; }
  // While it is: the backend that was `key`'s home before the change, when
  // the key moved, that backend is live and its copy is current (it held the
  // key until the change); kNoBackend otherwise. A read that misses on the
  // key's new home is asked there; a write or delete also removes the copy
  // there.
  virtual BackendId previous_home(std::string_view /*key*/) const { return kNoBackend; }
  // A number that picks one connection for every window request of `key`
  // (so a removal and a later read of the key reach its previous home in
  // order).
  virtual uint64_t key_lane(std::string_view /*key*/) const { return 0; }
};

}  // namespace ringproxy
