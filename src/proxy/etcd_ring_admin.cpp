// See etcd_ring_admin.hpp.
#include "ringproxy/proxy/etcd_ring_admin.hpp"

#include <utility>
#include <vector>

#include "ringproxy/common/log.hpp"

namespace ringproxy {

namespace {

// The write's outcome as the client's reply text, and one log line for a
// change that was stored.
EtcdMembership::WriteDone reply_when_written(std::string who, RingAdmin::Done done) {
  return [who = std::move(who), done = std::move(done)](std::string error) {
    if (!error.empty()) {
      log(LogLevel::kWarn, who, ": not written to etcd: ", error);
      done("ERR ringproxy: " + error);
      return;
    }
    log(LogLevel::kInfo, who, ": written to etcd; the ring changes when the watch brings it");
    done("");
  };
}

bool names(const BackendSpec& b, std::string_view what) {
  return b.ring_name == what || (!b.name.empty() && b.name == what) || b.address() == what;
}

}  // namespace

void EtcdRingAdmin::add_member(BackendSpec spec, std::string who, Done done) {
  std::vector<BackendSpec> next = etcd_.members();
  for (const BackendSpec& b : next) {
    if (b.ring_name == spec.ring_name || (b.host == spec.host && b.port == spec.port)) {
      done("ERR ringproxy: backend " + b.ring_name + " (" + b.address() + ") is already a member");
      return;
    }
  }
  next.push_back(spec);
  if (std::string error = control_.check(next); !error.empty()) {
    done(std::move(error));
    return;
  }
  etcd_.add(spec, reply_when_written(std::move(who), std::move(done)));
}

void EtcdRingAdmin::remove_member(std::string_view name_or_address, std::string who, Done done) {
  const std::vector<BackendSpec>& members = etcd_.members();
  size_t matching = 0;
  for (const BackendSpec& b : members) matching += names(b, name_or_address) ? 1 : 0;
  // An empty membership is never applied (a ring needs a backend): removing
  // the last one would only leave etcd and the rings disagreeing.
  if (matching > 0 && members.size() == 1) {
    done("ERR ringproxy: cannot remove the last backend");
    return;
  }
  etcd_.remove(name_or_address, reply_when_written(std::move(who), std::move(done)));
}

void EtcdRingAdmin::set_weight(std::string_view name_or_address, uint32_t weight, std::string who,
                               Done done) {
  std::vector<BackendSpec> next = etcd_.members();
  for (BackendSpec& b : next) {
    if (names(b, name_or_address)) b.weight = weight;
  }
  if (std::string error = control_.check(next); !error.empty()) {
    done(std::move(error));
    return;
  }
  etcd_.reweight(name_or_address, weight, reply_when_written(std::move(who), std::move(done)));
}

void EtcdRingAdmin::ring_report(RingReport& out) const {
  control_.ring_report(out);
  out.membership_from = "etcd " + etcd_.prefix();
  out.etcd_revision = etcd_.revision();
  // The configuration's backends are only a fallback for a start with etcd
  // down: the ring is not expected to match them.
  out.differs_from_config = false;
}

}  // namespace ringproxy
