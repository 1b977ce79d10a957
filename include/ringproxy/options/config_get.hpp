// CONFIG GET through the proxy: the proxy's own options by their names, and
// the Redis parameters clients commonly ask for, with values true of the proxy.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ringproxy/options/config.hpp"

namespace ringproxy {

// The parameters matching any of the glob patterns (Redis's CONFIG GET
// matching, case-insensitive), each once, as (name, value) pairs in table
// order, then the Redis names. Values:
// - ringproxy's options: as a config file would give them ("512mb");
//   a repeated option (backend) joined with ", ".
// - Redis names: Redis's formats (sizes in bytes). maxclients,
//   proto-max-bulk-len, client-query-buffer-limit, tcp-backlog, port and bind
//   come from the matching option; save "" and appendonly "no" (the proxy
//   persists nothing), databases "1" (only SELECT 0), maxmemory "0" (the proxy
//   has no memory cap of its own; each backend has its own), timeout "0" (idle
//   clients are never closed).
// - Passwords (client-password, backend-password, requirepass): "" when
//   none is set, "(hidden)" when one is; never the password.
std::vector<std::pair<std::string, std::string>> config_get(
    const Config& config, std::span<const std::string_view> patterns);
std::vector<std::pair<std::string, std::string>> config_get(const Config& config,
                                                            std::string_view pattern);

}  // namespace ringproxy
