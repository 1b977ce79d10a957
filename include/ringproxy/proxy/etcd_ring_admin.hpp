// The admin commands of a proxy run with --etcd, where the membership lives
// in etcd, shared by every proxy watching the prefix: PROXY ADD, REMOVE and
// WEIGHT write the member keys there (EtcdMembership's write-through) and are
// answered once etcd has acknowledged the write, or with etcd's error. The
// ring itself changes when the watch brings the change back, the same way on
// every proxy (Proxy::apply_membership). PROXY RING is the ring's report with
// where the membership comes from (the prefix) and the last etcd revision.
//
// A change is checked as this proxy would apply it before it is written (an
// address that does not resolve, a duplicate, removing the last member), so a
// mistyped PROXY ADD is an error here, not a list every proxy refuses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ringproxy/cluster/etcd_membership.hpp"
#include "ringproxy/commands/ring_admin.hpp"
#include "ringproxy/proxy/ring_control.hpp"

namespace ringproxy {

class EtcdRingAdmin final : public RingAdmin {
 public:
  EtcdRingAdmin(RingControl& control, EtcdMembership& etcd) : control_(control), etcd_(etcd) {}

  void add_member(BackendSpec spec, std::string who, Done done) override;
  void remove_member(std::string_view name_or_address, std::string who, Done done) override;
  void set_weight(std::string_view name_or_address, uint32_t weight, std::string who,
                  Done done) override;
  void ring_report(RingReport& out) const override;

 private:
  RingControl& control_;
  EtcdMembership& etcd_;
};

}  // namespace ringproxy
