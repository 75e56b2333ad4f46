// The C++ side of include/xdpguard/abi.h: the same header, plus compile-time
// checks that the C++ compiler lays the structs out as the BPF target does.
#pragma once

#include "xdpguard/abi.h"

static_assert(sizeof(xg_lpm_v4) == 8, "LPM key: 4-byte prefixlen + IPv4 address");
static_assert(sizeof(xg_lpm_v6) == 20, "LPM key: 4-byte prefixlen + IPv6 address");
static_assert(sizeof(xg_rule) == 4);
static_assert(sizeof(xg_rule_counter) == 8, "per-CPU values are read as one u64 per CPU");
static_assert(sizeof(xg_stat_counter) == 8, "per-CPU values are read as one u64 per CPU");
static_assert(sizeof(xg_config) == 16 + 8 * XG_PORT_WORDS);
static_assert(sizeof(xg_drop_event) == 40);
static_assert(sizeof(xg_feed_budget) == 32);
static_assert(sizeof(xg_src_slot) == 24);
static_assert(sizeof(xg_origin_key) == 24 + XG_SOURCE_NAME_MAX);
static_assert(sizeof(xg_origin) == 16);
static_assert(XG_PREFILTER_WORDS * 64 == (1u << XG_PREFILTER_BITS));
static_assert(XG_PREFILTER_SUMMARY_WORDS * 64 == (1u << XG_PREFILTER_SUMMARY_BITS));
