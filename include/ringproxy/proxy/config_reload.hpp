// Configuration reload (SIGHUP): the proxy re-reads the files it was started
// with (--config, --twemproxy-config, by parsing its original command line
// again) and applies what changed in them since they were last loaded:
//
// - backends added, removed or changed in the file are added, removed or
//   changed in the ring; changes made at run time (PROXY ADD ...) stay, so a
//   reload of an unchanged file (a logrotate hook) changes nothing;
// - options that can change at run time are applied, the others are logged
//   as needing a restart;
// - a file with an error changes nothing and logs one line naming the file,
//   the line and the problem.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ringproxy/options/config.hpp"
#include "ringproxy/placement/backend_spec.hpp"

namespace ringproxy {

// The membership after a reload: `current` (the ring's members now, runtime
// changes included) with the changes between `old_file` (the file's backends
// as last loaded) and `new_file` applied, matched by ring name. When
// `current` is exactly `old_file`, the result is `new_file` as it is (its
// order too: placement then equals a fresh start's).
std::vector<BackendSpec> reload_membership(const std::vector<BackendSpec>& current,
                                           const std::vector<BackendSpec>& old_file,
                                           const std::vector<BackendSpec>& new_file);

// What a reload changes besides membership: the names of the changed options
// (excluding backends) that are applied at run time, and of those that need
// a restart.
struct OptionChanges {
  std::vector<std::string> applied;
  std::vector<std::string> need_restart;
};
OptionChanges option_changes(const Config& before, const Config& after);

class RingControl;

// The reload itself: parses `args` (the proxy's original command line) again,
// applies the membership change to `ring` (unless it comes from etcd) and the
// options that change at run time to `running`, logs the rest, and makes the
// result the configuration as last loaded (`loaded`). A parse error changes
// nothing. `log_prefix` starts each log line ("pool NAME: " for a pool of
// several in one process).
void reload_configuration(const std::vector<std::string>& args, Config& loaded, Config& running,
                          RingControl& ring, bool membership_from_etcd,
                          std::string_view log_prefix = {});

}  // namespace ringproxy
