// The ring a configuration builds, as --check-config prints it.
#pragma once

#include <string>

#include "ringproxy/options/config.hpp"

namespace ringproxy {

// Comment lines (so the output stays a valid config file): the distribution,
// hash and hash tag, then one line per member in configuration order with
// its ring name, address, weight and ring points, e.g.
//   # ring: ketama, hash fnv1a_64, hash tag "{}", 2 members, 320 points
//   # member cache-a 127.0.0.1:7001 weight=1 points=160
// Throws std::invalid_argument when the ring cannot be built.
std::string ring_summary(const Config& config);

}  // namespace ringproxy
