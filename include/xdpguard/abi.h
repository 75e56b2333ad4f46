/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xdpguard ABI: every type and constant that crosses the kernel/user
 * boundary. Included by bpf/xdpguard.bpf.c and by the C++ controller, so it
 * uses only UAPI integer types. Changing a struct here changes the layout of
 * pinned maps: bump XG_LAYOUT_VERSION so that a controller never reinterprets
 * maps pinned by another layout.
 */
#ifndef XDPGUARD_ABI_H
#define XDPGUARD_ABI_H

#include <linux/types.h>

#define XG_LAYOUT_VERSION 6

/* Map names (BPF object names are truncated at 15 characters). */
#define XG_MAP_ALLOW_V4 xg_allow_v4
#define XG_MAP_ALLOW_V6 xg_allow_v6
#define XG_MAP_RULE_CNT xg_rule_cnt
#define XG_MAP_STATS xg_stats
#define XG_MAP_CONFIG xg_config
#define XG_MAP_DENIED_SRC xg_denied_src
#define XG_MAP_ORIGINS xg_origins
#define XG_MAP_PREFILTER xg_prefilter
#define XG_MAP_BLOCK_HOSTS xg_block_hosts
#define XG_MAP_RULE_IDS xg_rule_ids
#define XG_MAP_DROP_FEED xg_drop_feed
#define XG_MAP_FEED_BUDGET xg_feed_budget

/* Default capacity of the allowlist (both families share the rule ids);
 * the controller may raise it before the maps are first created. */
#define XG_DEFAULT_MAX_RULES 65536

/* Allowlist keys, laid out as the kernel's LPM trie expects: a prefix
 * length in host order followed by the address in network order. */
struct xg_lpm_v4 {
	__u32 prefixlen;
	__be32 addr;
};

struct xg_lpm_v6 {
	__u32 prefixlen;
	__u8 addr[16];
};

/* Trie value: the rule id, an index into the per-CPU rule counter array.
 * Counters live outside the trie so that reading them never races with a
 * trie update, and a re-added prefix gets a zeroed slot. */
struct xg_rule {
	__u32 id;
};

struct xg_rule_counter {
	__u64 allowed_syns;
};

/* Why a packet was counted in xg_stats. */
enum xg_reason {
	XG_REASON_DENIED_V4 = 0,  /* SYN to a protected port, v4 source not allowed */
	XG_REASON_DENIED_V6 = 1,  /* same for IPv6 */
	XG_REASON_TINY_FRAG = 2,  /* TCP first fragment shorter than a TCP header */
	XG_REASON_LONG_CHAIN = 3, /* IPv6 extension chain longer than the walk limit */
	XG_REASON_COUNT = 4,
};

/* What was done about it: dropped when enforcing, passed in monitor mode. */
enum xg_action {
	XG_ACTION_DROPPED = 0,
	XG_ACTION_MONITORED = 1,
	XG_ACTION_COUNT = 2,
};

/* xg_stats is a per-CPU array indexed by XG_STAT_INDEX(reason, action). */
#define XG_STAT_INDEX(reason, action) \
	((__u32)(reason) * (__u32)XG_ACTION_COUNT + (__u32)(action))
#define XG_STATS_ENTRIES ((__u32)XG_REASON_COUNT * (__u32)XG_ACTION_COUNT)

struct xg_stat_counter {
	__u64 packets;
};

/* The prefilter keeps the LPM walk off the flood path (DPDK's DIR-24-8
 * idea): one bit per /24 of the top 24 address bits, set when some
 * allowlist prefix overlaps that block. A clear bit proves that no allowed
 * prefix can cover the source, so the SYN is denied without touching the
 * trie; a set bit sends it to the trie. IPv6 uses its top 24 bits the same
 * way. The controller keeps the bits a superset of the tries: it sets them
 * before inserting a prefix and clears them only after deleting one. */
#define XG_PREFILTER_BITS 24
#define XG_PREFILTER_WORDS (1U << (XG_PREFILTER_BITS - 6)) /* per family */
#define XG_PREFILTER_V4_BASE 0
#define XG_PREFILTER_V6_BASE XG_PREFILTER_WORDS

/* Above it, in the same array, a summary: one bit per top-16-bit network
 * per family, set while any of its 256 block bits is set. A flood from
 * random sources reads the 2 MiB block bitmap at random, a cache and TLB
 * miss per SYN; the 8 KiB summary stays in cache, and with a real list
 * (tens to thousands of prefixes) it alone answers almost every such SYN.
 * The controller sets a summary bit before any block bit under it and
 * clears it only after the last one. */
#define XG_PREFILTER_SUMMARY_BITS 16
#define XG_PREFILTER_SUMMARY_WORDS (1U << (XG_PREFILTER_SUMMARY_BITS - 6)) /* per family */
#define XG_PREFILTER_SUMMARY_V4_BASE (2 * XG_PREFILTER_WORDS)
#define XG_PREFILTER_SUMMARY_V6_BASE (XG_PREFILTER_SUMMARY_V4_BASE + XG_PREFILTER_SUMMARY_WORDS)
#define XG_PREFILTER_ENTRIES (2 * (XG_PREFILTER_WORDS + XG_PREFILTER_SUMMARY_WORDS))

/* The prefilter's second level, for /24 blocks that only prefixes longer
 * than /24 cover (a gateway's /28 inside a hosting provider's /24; a mail
 * provider's /36 or /48 inside an IPv6 /24 that dozens of other networks
 * share): 256 bits per block, one for each value of the address's bits
 * 24-31, set when an allowlist prefix overlaps it. In IPv4 that is one bit
 * per address of the block; in IPv6 one bit per /32. A clear bit denies
 * the SYN without the trie walk; a set bit, or a block without an entry,
 * goes to the trie. Blocks a prefix of /24 or shorter covers have no entry.
 *
 * An array of slots, each block in one of two slots its hashes name (a
 * lookup is an inlined array load, where a hash map cost as much as the
 * trie walk it saves). Each 8-byte word holds 32 of the block's bits
 * under a tag naming its block, and the controller writes words with
 * single atomic stores through mmap(), so the one word the program loads
 * is never torn between two blocks or two versions: a word of another
 * block (a collision, an empty slot) sends the SYN to the trie. The
 * controller keeps each block's bits a superset of the tries: it adds
 * bits (or clears the slot) before a prefix enters the tries, and removes
 * bits only after one left. */
/* A block's key: its top 24 bits, bit 24 set for IPv6. Divided by 64 it
 * is the index of the block's XG_MAP_PREFILTER word. */
#define XG_BLOCK_KEY(ipv6, top32) (((__u32)(top32) >> 8) | ((__u32)(ipv6) << 24))
/* The array has the power of two of slots next to twice the allowlist
 * capacity, within: */
#define XG_BLOCK_SLOTS_MIN 1024U
#define XG_BLOCK_SLOTS_MAX (1U << 22)
/* A block may sit in one of two slots (two multiplicative hashes, shifted
 * by xg_config.block_slot_shift = 32 - log2(slots)), so that a collision
 * rarely leaves it without one. An unset shift (0) almost never names a
 * slot, and the tag check refuses what it finds there. */
#define XG_BLOCK_HASH(key, way) ((__u32)((key) * ((way) ? 0x85EBCA6BU : 0x9E3779B1U)))
#define XG_BLOCK_SLOT(key, way, shift) (XG_BLOCK_HASH(key, way) >> (shift))
#define XG_BLOCK_TAG(key) ((__u32)(key) | 0x80000000U) /* 0: empty */

/* A third level for IPv6, in the same array: for each /32 whose bit is
 * set in an existing block entry and that only prefixes longer than /32
 * overlap (a provider's /36 or /48 inside its own /32), 256 bits, one per
 * /40 (address bits 32-39), set where an allowlist prefix overlaps it.
 * The program reads it only under a set bit of an existing block entry,
 * and the controller writes a /32's entry before the bit that exposes it.
 * Its key is the /32's 32 bits, more than a tag holds beside its marks,
 * so the slot carries the rest: both hashes are bijections of 32 bits,
 * the slot is a hash's top bits and the tag keeps its `shift` low bits,
 * the way, and bit 30, which no block tag has. */
#define XG_SLASH32_TAG(key, way, shift)                                           \
	(0xC0000000U | ((__u32)(way) << 29) |                                     \
	 (XG_BLOCK_HASH(key, way) & ((1U << (shift)) - 1)))
#define XG_BLOCK_WORDS 8 /* word i: bits 32i..32i+31 in bits 0-31, tag in 32-63 */
struct xg_block_hosts {
	__u64 words[XG_BLOCK_WORDS];
};

/* Denied source networks, for "who is knocking": a per-CPU direct-mapped
 * table of XG_SRC_SLOTS slots, indexed by a hash of the source's /24
 * (IPv4) or /48 (IPv6). Its size is fixed however many sources attack, and
 * its lookup is one inlined array load: a hash map (LRU) cost more than
 * the rest of the denied path. A slot belongs to one network; another
 * network hashing to it first wears its count down by one per SYN and takes
 * the slot when the count reaches zero, so heavy sources keep their slots
 * and light ones pass through (counts of colliding networks are lower
 * bounds). Userspace sums each network's slots over the CPUs. */
#define XG_SRC_SLOTS 4096
#define XG_DENIED_V4_PREFIX 24
#define XG_DENIED_V6_PREFIX 48

#define XG_FAMILY_V4 4
#define XG_FAMILY_V6 6

/* key: family in the top byte, then the network's bytes (3 for a /24, 6 for
 * a /48) left-aligned below it; 0 marks an empty slot. */
#define XG_SRC_KEY_FAMILY_SHIFT 56

struct xg_src_slot {
	__u64 key;
	__u64 denied_syns;
	__u64 last_seen_ns; /* bpf_ktime_get_coarse_ns() (CLOCK_MONOTONIC_COARSE) */
};

/* Which rule ids are taken: one bit per id, in u64 words (controller only).
 * Set before a prefix enters a trie and cleared after it left, so an id is
 * never handed out twice, even beside a prefix whose origin record a killed
 * controller never wrote. */
#define XG_RULE_ID_WORDS(max_rules) (((max_rules) + 63) / 64)

/* Provenance of allowlist prefixes, kept beside the tries so that it
 * survives controller restarts with the rest of the pinned state. The data
 * plane never reads it. A prefix is in a trie exactly while at least one
 * source lists it: "manual", "file:NAME" or "spf:DOMAIN". */
#define XG_SOURCE_NAME_MAX 128
#define XG_ORIGINS_PER_RULE 2 /* origin map capacity = this x allowlist capacity */

struct xg_origin_key {
	__u32 family; /* XG_FAMILY_V4 or XG_FAMILY_V6 */
	__u32 prefixlen;
	__u8 addr[16];			    /* network order */
	char source[XG_SOURCE_NAME_MAX];    /* NUL-padded */
};

struct xg_origin {
	__u64 added_unix; /* when the source first listed the prefix */
	__u32 rule_id;	  /* the prefix's rule id, so commands need no trie walk */
	__u32 reserved;
};

/* The live drop feed (`xdpguard watch`, the daemon's drop log): one event
 * per denied SYN through a ring buffer, at most xg_config.feed_rate events
 * per second per CPU so that a flood cannot flood the log. */
#define XG_DROP_FEED_BYTES (256 * 1024)
#define XG_DEFAULT_FEED_RATE 10

struct xg_drop_event {
	__u64 time_ns;	/* bpf_ktime_get_coarse_ns() (CLOCK_MONOTONIC_COARSE) */
	__u32 ifindex;	/* receiving interface */
	__u16 sport;	/* host order */
	__u16 dport;	/* host order */
	__u16 vlan;	/* outer VLAN id, 0 if untagged */
	__u8 family;	/* XG_FAMILY_V4 or XG_FAMILY_V6 */
	__u8 action;	/* enum xg_action */
	__u8 saddr[16]; /* network order; IPv4 in the first 4 bytes */
};

/* Per-CPU token bucket of the feed: `used` events since `window_start_ns`.
 * Beside it, the CPU's cached CLOCK_MONOTONIC_COARSE: the coarse clock moves
 * only at a timer tick, so the program reads it (a helper call) only when
 * bpf_jiffies64() (an inlined load) shows a new tick, and otherwise uses
 * `clock_ns`. A flood from scattered sources needs a time at nearly every
 * SYN, for each new holder of a denied-source slot. */
struct xg_feed_budget {
	__u64 window_start_ns;
	__u32 used;
	__u32 reserved;
	__u64 clock_jiffies; /* bpf_jiffies64() when clock_ns was read */
	__u64 clock_ns;	     /* bpf_ktime_get_coarse_ns() at that tick */
};

/* Run-time configuration: one element of a single-slot array map, read once
 * per SYN, so mode and ports change without reloading the program. */
#define XG_CFG_ENFORCE (1U << 0)
/* Break glass: every packet passes and nothing is counted. Checked only where
 * a verdict other than pass could follow, so other traffic pays nothing. A
 * program that predates the bit sees neither flag: monitor, still safe. */
#define XG_CFG_BYPASS (1U << 1)

#define XG_PORT_WORDS (65536 / 64)

struct xg_config {
	__u32 layout_version; /* XG_LAYOUT_VERSION of the controller that wrote it */
	__u32 flags;	      /* XG_CFG_* */
	__u32 feed_rate;      /* drop-feed events per second per CPU; 0 = off */
	__u32 block_slot_shift; /* see XG_BLOCK_SLOT; set from the array's size */
	__u64 ports[XG_PORT_WORDS]; /* bit p set: destination port p is protected */
};

#endif /* XDPGUARD_ABI_H */
