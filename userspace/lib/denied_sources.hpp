// Who is knocking: the source networks (/24, /48) whose SYNs were denied,
// as recorded by the data plane in an LRU map.
#pragma once

#include <cstdint>
#include <vector>

#include "map_set.hpp"
#include "prefix.hpp"

namespace xdpguard {

struct DeniedSource {
    Prefix network;
    uint64_t deniedSyns = 0;
    double lastSeenUnix = 0;  // seconds since the epoch
};

// The `limit` networks with the most denied SYNs, most first (ties: the
// most recent first). The LRU map bounds memory whatever the botnet's size.
std::vector<DeniedSource> topDeniedSources(const MapSet& maps, size_t limit);

}  // namespace xdpguard
