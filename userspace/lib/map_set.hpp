// The filter's maps as owned file descriptors, whether they come from a
// freshly loaded skeleton or from the pins of a running filter. Every class
// that reads or changes filter state works on a MapSet.
#pragma once

#include "fd.hpp"

namespace xdpguard {

struct MapSet {
    Fd allowV4;   // LPM trie xg_lpm_v4 -> xg_rule
    Fd allowV6;   // LPM trie xg_lpm_v6 -> xg_rule
    Fd ruleCount; // per-CPU array rule id -> xg_rule_counter
    Fd stats;     // per-CPU array XG_STAT_INDEX -> xg_stat_counter
    Fd config;    // array [0] -> xg_config
};

}  // namespace xdpguard
