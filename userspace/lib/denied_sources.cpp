#include "denied_sources.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <map>

#include "abi.hpp"
#include "map_walk.hpp"

namespace xdpguard {
namespace {

// The data plane stamps CLOCK_MONOTONIC_COARSE; people read wall-clock time.
double monotonicNsToUnix(uint64_t stampNs) {
    timespec boot{}, real{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &boot);
    clock_gettime(CLOCK_REALTIME, &real);
    const double nowBoot = double(boot.tv_sec) + double(boot.tv_nsec) / 1e9;
    const double nowReal = double(real.tv_sec) + double(real.tv_nsec) / 1e9;
    return nowReal - (nowBoot - double(stampNs) / 1e9);
}

Prefix networkOf(const xg_src_key& key) {
    if (key.family == XG_FAMILY_V6) {
        xg_lpm_v6 lpm{};
        lpm.prefixlen = XG_DENIED_V6_PREFIX;
        std::memcpy(lpm.addr, key.addr, sizeof lpm.addr);
        return Prefix::fromKey(lpm);
    }
    xg_lpm_v4 lpm{};
    lpm.prefixlen = XG_DENIED_V4_PREFIX;
    std::memcpy(&lpm.addr, key.addr, sizeof lpm.addr);
    return Prefix::fromKey(lpm);
}

}  // namespace

std::vector<DeniedSource> topDeniedSources(const MapSet& maps, size_t limit) {
    const int fd = maps.deniedSources.get();
    std::vector<xg_src_stat> perCpu(static_cast<size_t>(libbpf_num_possible_cpus()));
    // Keyed by network: if the LRU evicts the key we walk from, the kernel
    // restarts the walk at the beginning and entries come again.
    std::map<Prefix, DeniedSource> byNetwork;
    forEachKey<xg_src_key>(
        fd, "the denied-source map",
        [&](const xg_src_key& key) {
            // Skip an entry the LRU evicted between the two calls.
            if (bpf_map_lookup_elem(fd, &key, perCpu.data())) return;
            DeniedSource source{networkOf(key)};
            uint64_t lastSeen = 0;
            for (const xg_src_stat& stat : perCpu) {
                source.deniedSyns += stat.denied_syns;
                lastSeen = std::max<uint64_t>(lastSeen, stat.last_seen_ns);
            }
            source.lastSeenUnix = monotonicNsToUnix(lastSeen);
            byNetwork.insert_or_assign(source.network, source);
        },
        4 * XG_DENIED_SRC_MAX);
    std::vector<DeniedSource> sources;
    for (const auto& [network, source] : byNetwork) sources.push_back(source);
    std::sort(sources.begin(), sources.end(), [](const DeniedSource& a, const DeniedSource& b) {
        if (a.deniedSyns != b.deniedSyns) return a.deniedSyns > b.deniedSyns;
        return a.lastSeenUnix > b.lastSeenUnix;
    });
    if (sources.size() > limit) sources.erase(sources.begin() + static_cast<long>(limit), sources.end());
    return sources;
}

}  // namespace xdpguard
