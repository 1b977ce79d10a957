// See config_reload.hpp.
#include "ringproxy/proxy/config_reload.hpp"

#include <algorithm>
#include <exception>

#include "ringproxy/common/log.hpp"
#include "ringproxy/options/option_table.hpp"
#include "ringproxy/proxy/ring_control.hpp"

namespace ringproxy {

namespace {

bool same_spec(const BackendSpec& a, const BackendSpec& b) {
  return a.ring_name == b.ring_name && a.host == b.host && a.port == b.port && a.weight == b.weight;
}

const BackendSpec* named(const std::vector<BackendSpec>& list, const std::string& ring_name) {
  for (const BackendSpec& b : list) {
    if (b.ring_name == ring_name) return &b;
  }
  return nullptr;
}

std::string join(const std::vector<std::string>& names) {
  std::string s;
  for (const std::string& n : names) {
    if (!s.empty()) s += ", ";
    s += n;
  }
  return s;
}

// Options a running proxy takes a new value of at once.
bool applied_live(std::string_view name) {
  return name == "log-level";
}

}  // namespace

std::vector<BackendSpec> reload_membership(const std::vector<BackendSpec>& current,
                                           const std::vector<BackendSpec>& old_file,
                                           const std::vector<BackendSpec>& new_file) {
  if (std::equal(current.begin(), current.end(), old_file.begin(), old_file.end(), same_spec)) {
    return new_file;
  }
  std::vector<BackendSpec> out = current;
  for (const BackendSpec& o : old_file) {
    if (named(new_file, o.ring_name) == nullptr) {
      std::erase_if(out, [&](const BackendSpec& b) { return b.ring_name == o.ring_name; });
    }
  }
  for (const BackendSpec& n : new_file) {
    const BackendSpec* o = named(old_file, n.ring_name);
    if (o != nullptr && same_spec(*o, n)) continue;  // unchanged in the file
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const BackendSpec& b) { return b.ring_name == n.ring_name; });
    if (it != out.end()) {
      *it = n;
    } else if (o == nullptr) {
      out.push_back(n);  // new in the file
    }
    // else: changed in the file but removed at run time: it stays removed.
  }
  return out;
}

OptionChanges option_changes(const Config& before, const Config& after) {
  OptionChanges out;
  for (const OptionSpec* spec : changed_options(before, after)) {
    const std::string_view name = spec->name;
    if (name == "backend") continue;
    if (spec->runtime == Runtime::kLive && applied_live(name)) {
      out.applied.emplace_back(name);
    } else {
      out.need_restart.emplace_back(name);
    }
  }
  return out;
}

void reload_configuration(const std::vector<std::string>& args, Config& loaded, Config& running,
                          RingControl& ring, bool membership_from_etcd,
                          std::string_view log_prefix) {
  if (args.empty()) {
    log(LogLevel::kWarn, log_prefix,
        "reload: the proxy was not given its command line; nothing reloaded");
    return;
  }
  CommandLine cl;
  try {
    cl = parse_command_line(args);
  } catch (const std::exception& e) {
    log(LogLevel::kError, log_prefix,
        "reload failed, the running configuration is unchanged: ", e.what());
    return;
  }
  Config& next = cl.config;
  const OptionChanges options = option_changes(loaded, next);
  // Membership: what changed in the file since it was last loaded; with
  // --etcd it comes from etcd alone.
  const bool from_etcd = membership_from_etcd;
  const bool membership_changed =
      !from_etcd &&
      !std::equal(loaded.backends.begin(), loaded.backends.end(), next.backends.begin(),
                  next.backends.end(), [](const BackendSpec& a, const BackendSpec& b) {
                    return a.ring_name == b.ring_name && a.host == b.host && a.port == b.port &&
                           a.weight == b.weight;
                  });
  if (membership_changed) {
    std::vector<BackendSpec> members =
        reload_membership(ring.wanted(), loaded.backends, next.backends);
    const std::string error = ring.apply(std::move(members), "SIGHUP");
    if (!error.empty()) {
      log(LogLevel::kError, log_prefix,
          "reload failed, the running configuration is unchanged: ", error);
      return;
    }
  }
  if (!from_etcd) ring.set_config_members(next.backends);
  for (const std::string& name : options.applied) {
    if (name == "log-level") {
      LogLevel level = LogLevel::kInfo;
      if (parse_log_level(next.log_level, level)) set_log_level(level);
      running.log_level = next.log_level;
    }
  }
  log(LogLevel::kInfo, log_prefix, "reload: backends ",
      from_etcd ? "come from etcd (--etcd): not reloaded"
                : (membership_changed ? "changed" : "unchanged"),
      options.applied.empty() ? "" : "; applied: ", join(options.applied),
      options.need_restart.empty() ? "" : "; changed but need a restart to take effect: ",
      join(options.need_restart));
  for (const std::string& w : cl.warnings) log(LogLevel::kWarn, w);
  loaded = std::move(next);
}

}  // namespace ringproxy
