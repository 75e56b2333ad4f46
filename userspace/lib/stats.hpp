// Reading the filter's counters: per-CPU values summed over every possible CPU.
#pragma once

#include <cstdint>
#include <vector>

#include "map_set.hpp"
#include "abi.hpp"

namespace xdpguard {

struct FilterStats {
    uint64_t packets[XG_REASON_COUNT][XG_ACTION_COUNT] = {};

    uint64_t get(xg_reason reason, xg_action action) const {
        return packets[reason][action];
    }
    uint64_t deniedTotal() const;
};

FilterStats readStats(const MapSet& maps);

// Sums one element of a per-CPU map whose value is a single __u64 counter.
uint64_t sumPerCpuCounter(int mapFd, uint32_t index);

// Sets every CPU's slot of a per-CPU __u64 counter to zero.
void zeroPerCpuCounter(int mapFd, uint32_t index);

// Sums elements [0, count) of a per-CPU __u64 counter array with batched
// lookups (a few system calls for any size).
std::vector<uint64_t> sumPerCpuCounters(int mapFd, uint32_t count);

// Zeroes the given indexes of a per-CPU __u64 counter array in one batch.
void zeroPerCpuCounterList(int mapFd, const std::vector<uint32_t>& indexes);
template <typename IndexMap>
void zeroPerCpuCounters(int mapFd, const IndexMap& indexes) {
    std::vector<uint32_t> keys;
    for (const auto& [name, index] : indexes) keys.push_back(index);
    zeroPerCpuCounterList(mapFd, keys);
}

}  // namespace xdpguard
