#include "stats.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>

#include "error.hpp"

namespace xdpguard {
namespace {

size_t possibleCpus() {
    static const int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0) failErrno(cpus, "count the possible CPUs");
    return static_cast<size_t>(cpus);
}

}  // namespace

uint64_t sumPerCpuCounter(int mapFd, uint32_t index) {
    std::vector<uint64_t> perCpu(possibleCpus());
    if (bpf_map_lookup_elem(mapFd, &index, perCpu.data()))
        failErrno(errno, "read counter " + std::to_string(index));
    uint64_t total = 0;
    for (uint64_t value : perCpu) total += value;
    return total;
}

void zeroPerCpuCounter(int mapFd, uint32_t index) {
    std::vector<uint64_t> zeros(possibleCpus(), 0);
    if (bpf_map_update_elem(mapFd, &index, zeros.data(), BPF_ANY))
        failErrno(errno, "reset counter " + std::to_string(index));
}

std::vector<uint64_t> sumPerCpuCounters(int mapFd, uint32_t count) {
    constexpr uint32_t kBatch = 8192;
    const size_t cpus = possibleCpus();
    std::vector<uint64_t> sums(count, 0);
    std::vector<uint32_t> keys(kBatch);
    std::vector<uint64_t> values(kBatch * cpus);
    uint32_t token = 0;
    void* in = nullptr;
    for (;;) {
        uint32_t got = kBatch;
        const int rc = bpf_map_lookup_batch(mapFd, in, &token, keys.data(), values.data(), &got, nullptr);
        if (rc && errno != ENOENT) failErrno(errno, "read the rule counters");
        for (uint32_t i = 0; i < got; ++i)
            if (keys[i] < count)
                for (size_t cpu = 0; cpu < cpus; ++cpu) sums[keys[i]] += values[i * cpus + cpu];
        if (rc) return sums;
        in = &token;
    }
}

void zeroPerCpuCounterList(int mapFd, const std::vector<uint32_t>& indexes) {
    if (indexes.empty()) return;
    std::vector<uint32_t> keys = indexes;
    std::vector<uint64_t> zeros(keys.size() * possibleCpus(), 0);
    uint32_t count = static_cast<uint32_t>(keys.size());
    if (bpf_map_update_batch(mapFd, keys.data(), zeros.data(), &count, nullptr))
        failErrno(errno, "reset rule counters");
}

uint64_t FilterStats::deniedTotal() const {
    uint64_t total = 0;
    for (auto reason : {XG_REASON_DENIED_V4, XG_REASON_DENIED_V6})
        for (auto action : {XG_ACTION_DROPPED, XG_ACTION_MONITORED})
            total += packets[reason][action];
    return total;
}

FilterStats readStats(const MapSet& maps) {
    FilterStats stats;
    for (uint32_t reason = 0; reason < XG_REASON_COUNT; ++reason)
        for (uint32_t action = 0; action < XG_ACTION_COUNT; ++action)
            stats.packets[reason][action] =
                sumPerCpuCounter(maps.stats.get(), XG_STAT_INDEX(reason, action));
    return stats;
}

}  // namespace xdpguard
