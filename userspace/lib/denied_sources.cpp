#include "denied_sources.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <map>

#include "abi.hpp"
#include "coarse_clock.hpp"
#include "error.hpp"

namespace xdpguard {
namespace {

Prefix networkOf(uint64_t key) {
    const bool v6 = (key >> XG_SRC_KEY_FAMILY_SHIFT) == XG_FAMILY_V6;
    xg_lpm_v6 lpm{};
    lpm.prefixlen = v6 ? XG_DENIED_V6_PREFIX : XG_DENIED_V4_PREFIX;
    for (unsigned i = 0; i < lpm.prefixlen / 8; ++i)
        lpm.addr[i] = static_cast<uint8_t>(key >> (XG_SRC_KEY_FAMILY_SHIFT - 8 * (i + 1)));
    if (v6) return Prefix::fromKey(lpm);
    xg_lpm_v4 v4{};
    v4.prefixlen = lpm.prefixlen;
    std::memcpy(&v4.addr, lpm.addr, sizeof v4.addr);
    return Prefix::fromKey(v4);
}

}  // namespace

std::vector<DeniedSource> topDeniedSources(const MapSet& maps, size_t limit) {
    const int fd = maps.deniedSources.get();
    std::vector<xg_src_slot> perCpu(static_cast<size_t>(libbpf_num_possible_cpus()));
    // A network may hold a slot on several CPUs: sum them.
    std::map<uint64_t, xg_src_slot> byNetwork;
    for (uint32_t index = 0; index < XG_SRC_SLOTS; ++index) {
        if (bpf_map_lookup_elem(fd, &index, perCpu.data()))
            failErrno(errno, "read the denied-source table");
        for (const xg_src_slot& slot : perCpu) {
            if (slot.key == 0 || slot.denied_syns == 0) continue;
            xg_src_slot& total = byNetwork[slot.key];
            total.denied_syns += slot.denied_syns;
            total.last_seen_ns = std::max(total.last_seen_ns, slot.last_seen_ns);
        }
    }
    std::vector<DeniedSource> sources;
    for (const auto& [key, total] : byNetwork)
        sources.push_back({networkOf(key), total.denied_syns, coarseMonotonicToUnix(total.last_seen_ns)});
    std::sort(sources.begin(), sources.end(), [](const DeniedSource& a, const DeniedSource& b) {
        if (a.deniedSyns != b.deniedSyns) return a.deniedSyns > b.deniedSyns;
        return a.lastSeenUnix > b.lastSeenUnix;
    });
    if (sources.size() > limit) sources.erase(sources.begin() + static_cast<long>(limit), sources.end());
    return sources;
}

}  // namespace xdpguard
