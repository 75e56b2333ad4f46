// The filter's maps as owned file descriptors, whether they come from a
// freshly loaded skeleton or from the pins of a running filter. Every class
// that reads or changes filter state works on a MapSet.
#pragma once

#include <array>

#include "fd.hpp"

namespace xdpguard {

struct MapSet {
    Fd allowV4;   // LPM trie xg_lpm_v4 -> xg_rule
    Fd allowV6;   // LPM trie xg_lpm_v6 -> xg_rule
    Fd ruleCount; // per-CPU array rule id -> xg_rule_counter
    Fd stats;     // per-CPU array XG_STAT_INDEX -> xg_stat_counter
    Fd config;    // array [0] -> xg_config
    Fd deniedSources;  // per-CPU array of XG_SRC_SLOTS xg_src_slot
    Fd origins;        // hash xg_origin_key -> xg_origin (controller only)
    Fd prefilter;      // array of u64: one bit per top-24-bit block per family
    Fd blockHosts;     // mmap-able array of XG_BLOCK_SLOTS xg_block_hosts (the prefilter's second level)
    Fd dropFeed;       // ring buffer of xg_drop_event
    Fd feedBudget;     // per-CPU xg_feed_budget
    Fd ruleIds;        // array of u64: bit per rule id in use (controller only)

    static constexpr size_t kCount = 12;
    // The maps in a fixed order, the same as Skeleton::mapHandles().
    std::array<Fd*, kCount> all() {
        return {&allowV4, &allowV6, &ruleCount, &stats, &config, &deniedSources, &origins, &prefilter, &blockHosts, &dropFeed, &feedBudget, &ruleIds};
    }
    std::array<const Fd*, kCount> all() const {
        return {&allowV4, &allowV6, &ruleCount, &stats, &config, &deniedSources, &origins, &prefilter, &blockHosts, &dropFeed, &feedBudget, &ruleIds};
    }
};

}  // namespace xdpguard
