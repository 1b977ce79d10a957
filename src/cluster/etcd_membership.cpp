// See etcd_membership.hpp.
#include "ringproxy/cluster/etcd_membership.hpp"

#include <stdexcept>

#include "ringproxy/common/log.hpp"

namespace ringproxy {
namespace {

bool same_spec(const BackendSpec& a, const BackendSpec& b) {
  return a.host == b.host && a.port == b.port && a.weight == b.weight && a.name == b.name &&
         a.ring_name == b.ring_name;
}

bool same_list(const std::vector<BackendSpec>& a, const std::vector<BackendSpec>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!same_spec(a[i], b[i])) return false;
  }
  return true;
}

std::string write_error(const EtcdError& e) {
  return "etcd: " + std::string(etcd_error_kind_name(e.kind)) + ": " + e.message;
}

}  // namespace

EtcdMembership::EtcdMembership(uv_loop_t* loop, EtcdOptions options, std::string prefix,
                               Apply apply)
    : loop_(loop),
      prefix_(normalize_etcd_prefix(prefix)),
      apply_(std::move(apply)),
      client_(std::make_unique<EtcdClient>(loop, std::move(options))) {
  mirror_ = std::make_unique<PrefixMirror>(
      *client_, backends_key_prefix(prefix_),
      [this](const PrefixMirror::Snapshot& kvs, int64_t revision) { on_change(kvs, revision); });
}

EtcdMembership::~EtcdMembership() {
  mirror_.reset();
  client_.reset();
}

void EtcdMembership::start() {
  mirror_->start();
}

bool EtcdMembership::wait_first_read() {
  deliver_ = false;
  while (!mirror_->synced() && !mirror_->read_failing()) uv_run(loop_, UV_RUN_ONCE);
  deliver_ = true;
  return mirror_->synced();
}

void EtcdMembership::on_change(const PrefixMirror::Snapshot& kvs, int64_t revision) {
  Membership m = decode_membership(prefix_, kvs);
  log_membership_errors(m);
  if (m.backends.empty()) {
    if (!warned_empty_) {
      log(LogLevel::kWarn, "etcd: no backends under ", backends_key_prefix(prefix_),
          " at revision ", revision, "; keeping the last ring");
    }
    warned_empty_ = true;
    return;
  }
  warned_empty_ = false;
  if (same_list(m.backends, members_)) return;
  members_ = m.backends;
  if (!deliver_) return;
  ++delivered_;
  log(LogLevel::kInfo, "etcd: ", members_.size(), " backends at revision ", revision);
  if (apply_) apply_(m.backends, source(revision));
}

std::string EtcdMembership::source(int64_t revision) const {
  return "etcd " + prefix_ + " revision " + std::to_string(revision);
}

std::optional<std::pair<std::string, BackendSpec>> EtcdMembership::find(
    std::string_view name_or_address) const {
  for (const auto& [key, kv] : mirror_->kvs()) {
    BackendSpec spec;
    try {
      spec = decode_backend(prefix_, kv);
    } catch (const std::invalid_argument&) {
      continue;
    }
    if (spec.name == name_or_address || spec.address() == name_or_address) {
      return std::make_pair(key, spec);
    }
  }
  return std::nullopt;
}

void EtcdMembership::add(const BackendSpec& spec, WriteDone done) {
  const std::string name = spec.name.empty() ? spec.address() : spec.name;
  try {
    check_backend_name(name);
  } catch (const std::invalid_argument& e) {
    done(std::string("bad backend name: ") + e.what());
    return;
  }
  if (auto other = find(spec.address()); other && other->second.name != name) {
    done("backend " + spec.address() + " is already a member as " + other->second.name);
    return;
  }
  client_->put(backend_key(prefix_, name), encode_backend_value(spec), 0,
               [done = std::move(done)](EtcdResult<PutResult> r) {
                 done(r.ok() ? std::string() : write_error(*r.error));
               });
}

void EtcdMembership::remove(std::string_view name_or_address, WriteDone done) {
  auto found = find(name_or_address);
  if (!found) {
    done("no backend " + std::string(name_or_address) + " under " + backends_key_prefix(prefix_));
    return;
  }
  client_->delete_range(found->first, "", [done = std::move(done)](EtcdResult<DeleteResult> r) {
    done(r.ok() ? std::string() : write_error(*r.error));
  });
}

void EtcdMembership::reweight(std::string_view name_or_address, uint32_t weight, WriteDone done) {
  auto found = find(name_or_address);
  if (!found) {
    done("no backend " + std::string(name_or_address) + " under " + backends_key_prefix(prefix_));
    return;
  }
  if (weight == 0) {
    done("weight must be at least 1");
    return;
  }
  BackendSpec spec = found->second;
  spec.weight = weight;
  // The key keeps its lease (a registered backend stays ephemeral).
  const int64_t lease = mirror_->kvs().at(found->first).lease;
  client_->put(found->first, encode_backend_value(spec), lease,
               [done = std::move(done)](EtcdResult<PutResult> r) {
                 done(r.ok() ? std::string() : write_error(*r.error));
               });
}

std::vector<std::pair<std::string, std::string>> EtcdMembership::info_fields() const {
  auto fields = client_->info_fields();
  fields.emplace_back("etcd_prefix", prefix_);
  fields.emplace_back("etcd_watching", mirror_->watching() ? "1" : "0");
  fields.emplace_back("etcd_members", std::to_string(members_.size()));
  fields.emplace_back("etcd_membership_revision", std::to_string(mirror_->revision()));
  return fields;
}

}  // namespace ringproxy
