// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdpguard: drop TCP SYNs to protected ports (SMTP) from sources outside an
 * allowlist of mail-gateway prefixes; pass everything else untouched.
 *
 * The packet's path, top to bottom:
 *   Ethernet (+ up to two VLAN tags) -> IPv4 / IPv6 (+ extension chain)
 *   -> fragment rules -> TCP flags -> protected port -> allowlist -> verdict
 */
#include "parse.h"
#include "xdpguard/abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, XG_DEFAULT_MAX_RULES);
	__type(key, struct xg_lpm_v4);
	__type(value, struct xg_rule);
} XG_MAP_ALLOW_V4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, XG_DEFAULT_MAX_RULES);
	__type(key, struct xg_lpm_v6);
	__type(value, struct xg_rule);
} XG_MAP_ALLOW_V6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XG_DEFAULT_MAX_RULES);
	__type(key, __u32);
	__type(value, struct xg_rule_counter);
} XG_MAP_RULE_CNT SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XG_STATS_ENTRIES);
	__type(key, __u32);
	__type(value, struct xg_stat_counter);
} XG_MAP_STATS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xg_config);
} XG_MAP_CONFIG SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XG_SRC_SLOTS);
	__type(key, __u32);
	__type(value, struct xg_src_slot);
} XG_MAP_DENIED_SRC SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XG_PREFILTER_ENTRIES);
	__type(key, __u32);
	__type(value, __u64);
} XG_MAP_PREFILTER SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, XG_BLOCK_SLOTS_MIN); /* set from the capacity */
	__type(key, __u32);
	__type(value, struct xg_block_hosts);
} XG_MAP_BLOCK_HOSTS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, XG_DROP_FEED_BYTES);
} XG_MAP_DROP_FEED SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xg_feed_budget);
} XG_MAP_FEED_BUDGET SEC(".maps");

/* Controller-only state pinned with the rest; see abi.h. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XG_RULE_ID_WORDS(XG_DEFAULT_MAX_RULES));
	__type(key, __u32);
	__type(value, __u64);
} XG_MAP_RULE_IDS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, XG_ORIGINS_PER_RULE * XG_DEFAULT_MAX_RULES);
	__type(key, struct xg_origin_key);
	__type(value, struct xg_origin);
} XG_MAP_ORIGINS SEC(".maps");

static __always_inline struct xg_config *load_config(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&XG_MAP_CONFIG, &zero);
}

static __always_inline int bypassed(const struct xg_config *cfg)
{
	return cfg && (cfg->flags & XG_CFG_BYPASS);
}

/* The one place where a special or denied verdict is counted and returned:
 * dropped when enforcing, counted as "would drop" and passed in monitor
 * mode. Without a config (controller never wrote one) nothing is dropped.
 * Callers have ruled out bypass mode. */
static __always_inline int counted_verdict(enum xg_reason reason,
					   const struct xg_config *cfg)
{
	int enforce = cfg && (cfg->flags & XG_CFG_ENFORCE);
	__u32 idx = XG_STAT_INDEX(reason, enforce ? XG_ACTION_DROPPED
						 : XG_ACTION_MONITORED);
	struct xg_stat_counter *cnt = bpf_map_lookup_elem(&XG_MAP_STATS, &idx);

	if (cnt)
		cnt->packets++; /* per-CPU slot: no atomic needed */
	return enforce ? XDP_DROP : XDP_PASS;
}

/* A verdict on a malformed or evasive frame, found before the config was read. */
static __always_inline int verdict(enum xg_reason reason,
				   const struct xg_config *cfg)
{
	if (bypassed(cfg))
		return XDP_PASS;
	return counted_verdict(reason, cfg);
}

static __always_inline int port_protected(const struct xg_config *cfg,
					  __be16 dest)
{
	__u16 port = bpf_ntohs(dest);

	return (cfg->ports[port / 64] >> (port % 64)) & 1;
}

/* The source's top 32 bits, in host order: its IPv4 address, or the /32
 * of its IPv6 one. Both levels of the prefilter look no further. */
static __always_inline __u32 source_top32(int ipv6, struct l3_info *l3)
{
	return bpf_ntohl(ipv6 ? l3->saddr6->in6_u.u6_addr32[0] : l3->saddr4);
}

/* Bit `index` of the prefilter bitmap starting at word `base`. */
static __always_inline int prefilter_bit(__u32 base, __u32 index)
{
	__u32 idx = base + index / 64;
	__u64 *word = bpf_map_lookup_elem(&XG_MAP_PREFILTER, &idx);

	return word && ((*word >> (index % 64)) & 1);
}

/* Is any allowlist prefix overlapping the source's top 24 bits? The array
 * lookups are inlined by the verifier, so a flood from outside the
 * gateways' blocks never walks the trie; one from outside their /16s
 * reads only the summary, which stays in cache (see abi.h). */
static __always_inline int prefilter_hit(int ipv6, __u32 top32)
{
	if (!prefilter_bit(ipv6 ? XG_PREFILTER_SUMMARY_V6_BASE : XG_PREFILTER_SUMMARY_V4_BASE,
			   top32 >> (32 - XG_PREFILTER_SUMMARY_BITS)))
		return 0;
	return prefilter_bit(ipv6 ? XG_PREFILTER_V6_BASE : XG_PREFILTER_V4_BASE, top32 >> (32 - XG_PREFILTER_BITS));
}

/* The bitmap word holding bit `index` of the entry tagged `tag` in slot
 * `slot`, if the slot holds that entry (see xg_block_hosts); 0 otherwise. */
static __always_inline __u64 entry_word(__u32 slot, __u32 tag, __u32 index)
{
	struct xg_block_hosts *bitmap = bpf_map_lookup_elem(&XG_MAP_BLOCK_HOSTS, &slot);
	__u64 word;

	if (!bitmap)
		return 0;
	/* One load: tag and bits come from the same atomic store. */
	word = *(volatile __u64 *)&bitmap->words[(index / 32) & (XG_BLOCK_WORDS - 1)];
	return (__u32)(word >> 32) == tag ? word : 0;
}

enum level_answer {
	LEVEL_DENY,	/* an entry without the source's bit: no prefix covers it */
	LEVEL_TRIE,	/* no entry: the trie decides */
	LEVEL_BIT_SET,	/* an entry with the source's bit */
};

/* Bit `index` of the entry `key` names, looked for in its two slots; the
 * entry's tag in each is `tag0` or `tag1`. */
static __always_inline enum level_answer entry_bit(__u32 key, __u32 tag0, __u32 tag1, __u32 shift,
						   __u32 index)
{
	__u64 word = entry_word(XG_BLOCK_SLOT(key, 0, shift), tag0, index);

	if (!word)
		word = entry_word(XG_BLOCK_SLOT(key, 1, shift), tag1, index);
	if (!word)
		return LEVEL_TRIE;
	return (word >> (index % 32)) & 1 ? LEVEL_BIT_SET : LEVEL_DENY;
}

/* The source's bit (its IPv4 address, its IPv6 /32) in its block's entry. */
static __always_inline enum level_answer block_level(const struct xg_config *cfg, int ipv6, __u32 top32)
{
	__u32 key = XG_BLOCK_KEY(ipv6, top32);

	return entry_bit(key, XG_BLOCK_TAG(key), XG_BLOCK_TAG(key), cfg->block_slot_shift, top32 & 255);
}

/* IPv6: the source's /40 bit in its /32's entry (read only under a set
 * bit of its block's entry: see XG_SLASH32_TAG). */
static __always_inline enum level_answer slash32_level(const struct xg_config *cfg, __u32 top32,
						       const struct in6_addr *saddr)
{
	__u32 shift = cfg->block_slot_shift;

	return entry_bit(top32, XG_SLASH32_TAG(top32, 0, shift), XG_SLASH32_TAG(top32, 1, shift), shift,
			 bpf_ntohl(saddr->in6_u.u6_addr32[1]) >> 24);
}

/* False if the prefilter proves that no allowlist prefix covers the
 * source: its block's bit is clear, or a deeper level's entry lacks it. */
static __always_inline int prefilter_candidate(const struct xg_config *cfg, int ipv6, struct l3_info *l3)
{
	__u32 top32 = source_top32(ipv6, l3);
	enum level_answer answer;

	if (!prefilter_hit(ipv6, top32))
		return 0;
	answer = block_level(cfg, ipv6, top32);
	if (ipv6 && answer == LEVEL_BIT_SET)
		answer = slash32_level(cfg, top32, l3->saddr6);
	return answer != LEVEL_DENY;
}

/* Longest-prefix match of the source; on a hit, credit the matching rule. */
static __always_inline int source_allowed(const struct xg_config *cfg, int ipv6, struct l3_info *l3)
{
	struct xg_rule_counter *cnt;
	struct xg_rule *rule;

	if (!prefilter_candidate(cfg, ipv6, l3))
		return 0;
	if (ipv6) {
		struct xg_lpm_v6 key = { .prefixlen = 128 };

		__builtin_memcpy(key.addr, l3->saddr6, sizeof(key.addr));
		rule = bpf_map_lookup_elem(&XG_MAP_ALLOW_V6, &key);
	} else {
		struct xg_lpm_v4 key = { .prefixlen = 32, .addr = l3->saddr4 };

		rule = bpf_map_lookup_elem(&XG_MAP_ALLOW_V4, &key);
	}
	if (!rule)
		return 0;
	cnt = bpf_map_lookup_elem(&XG_MAP_RULE_CNT, &rule->id);
	if (cnt)
		cnt->allowed_syns++;
	return 1;
}

/* The /24 or /48 as a table key: family in the top byte, the network's
 * bytes left-aligned below it (abi.h). Two loads, no byte loop. */
static __always_inline __u64 source_network_key(int ipv6, struct l3_info *l3)
{
	if (ipv6)
		return ((__u64)XG_FAMILY_V6 << XG_SRC_KEY_FAMILY_SHIFT) |
		       ((__u64)bpf_ntohl(l3->saddr6->in6_u.u6_addr32[0]) << 24) |
		       ((__u64)(bpf_ntohl(l3->saddr6->in6_u.u6_addr32[1]) >> 16) << 8);
	return ((__u64)XG_FAMILY_V4 << XG_SRC_KEY_FAMILY_SHIFT) |
	       ((__u64)(bpf_ntohl(l3->saddr4) >> 8) << 32);
}

/* This CPU's coarse clock, read again only at a new tick (see xg_feed_budget). */
static __always_inline __u64 coarse_now(struct xg_feed_budget *cpu)
{
	__u64 jiffies = bpf_jiffies64();

	if (jiffies != cpu->clock_jiffies) {
		cpu->clock_jiffies = jiffies;
		cpu->clock_ns = bpf_ktime_get_coarse_ns();
	}
	return cpu->clock_ns;
}

/* Credits the denied SYN to its source network (see xg_src_slot in abi.h). */
static __always_inline void record_denied_source(int ipv6, struct l3_info *l3, __u64 now)
{
	__u64 key = source_network_key(ipv6, l3);
	__u32 slot_idx = (__u32)((key * 0x9E3779B97F4A7C15ULL) >> 52) & (XG_SRC_SLOTS - 1);
	struct xg_src_slot *slot = bpf_map_lookup_elem(&XG_MAP_DENIED_SRC, &slot_idx);

	if (!slot)
		return;
	if (slot->key == key) {
		slot->denied_syns++;
		slot->last_seen_ns = now;
	} else if (slot->denied_syns > 1) {
		slot->denied_syns--; /* wear down the holder; see abi.h */
	} else {
		slot->key = key;
		slot->denied_syns = 1;
		slot->last_seen_ns = now;
	}
}

/* Takes a token from this CPU's feed budget (see xg_feed_budget). */
static __always_inline int feed_token(const struct xg_config *cfg, struct xg_feed_budget *cpu, __u64 now)
{
	if (!cfg->feed_rate)
		return 0;
	if (cpu->used >= cfg->feed_rate) {
		if (now - cpu->window_start_ns < 1000000000ULL)
			return 0;
		cpu->window_start_ns = now;
		cpu->used = 0;
	}
	cpu->used++;
	return 1;
}

/* Reports a denied SYN to the drop feed, within the budget. */
static __always_inline void report_denied(struct xdp_md *ctx, const struct xg_config *cfg,
					  struct xg_feed_budget *cpu, __u64 now, int ipv6,
					  struct l3_info *l3, const struct tcphdr *tcp)
{
	struct xg_drop_event event = {};

	if (!feed_token(cfg, cpu, now))
		return;
	event.time_ns = now;
	event.ifindex = ctx->ingress_ifindex;
	event.sport = bpf_ntohs(tcp->source);
	event.dport = bpf_ntohs(tcp->dest);
	event.vlan = outer_vlan_id(ctx);
	event.family = ipv6 ? XG_FAMILY_V6 : XG_FAMILY_V4;
	event.action = (cfg->flags & XG_CFG_ENFORCE) ? XG_ACTION_DROPPED : XG_ACTION_MONITORED;
	if (ipv6)
		__builtin_memcpy(event.saddr, l3->saddr6, sizeof(event.saddr));
	else
		__builtin_memcpy(event.saddr, &l3->saddr4, sizeof(l3->saddr4));
	bpf_ringbuf_output(&XG_MAP_DROP_FEED, &event, sizeof(event), 0);
}

/* A denied SYN (bypass already ruled out): who sent it, the drop feed, then
 * the verdict. */
static __always_inline int deny(struct xdp_md *ctx, const struct xg_config *cfg, int ipv6,
				struct l3_info *l3, const struct tcphdr *tcp)
{
	__u32 zero = 0;
	struct xg_feed_budget *cpu = bpf_map_lookup_elem(&XG_MAP_FEED_BUDGET, &zero);

	if (cpu) {
		__u64 now = coarse_now(cpu);

		record_denied_source(ipv6, l3, now);
		report_denied(ctx, cfg, cpu, now, ipv6, l3, tcp);
	}
	return counted_verdict(ipv6 ? XG_REASON_DENIED_V6 : XG_REASON_DENIED_V4, cfg);
}

/* Everything after the Ethernet header. Inlined once per family with
 * `ipv6` a constant, so each family's path is straight-line code of its
 * own: no re-test of the family, no registers spilled where they merge. */
static __always_inline int filter_l3(struct xdp_md *ctx, struct cursor *c, const int ipv6)
{
	struct l3_info l3; /* each parser sets every field it reports */
	enum l3_result l3r = ipv6 ? parse_ipv6(c, &l3) : parse_ipv4(c, &l3);
	struct xg_config *cfg;
	struct tcphdr *tcp;

	if (l3r == L3_LONG_CHAIN)
		return verdict(XG_REASON_LONG_CHAIN, load_config());
	/* RFC 1858 section 4: a TCP fragment at offset 8 bytes can only
	 * serve to overwrite the first fragment's flags. Linux discards
	 * overlaps, but the filter judged the first fragment alone. */
	if (l3r == L3_TCP_LATER_FRAG && !ipv6 && l3.frag_offset == 1)
		return verdict(XG_REASON_TINY_FRAG, load_config());
	if (l3r != L3_TCP)
		return XDP_PASS; /* not TCP, later fragment, malformed */

	/* RFC 1858 / RFC 7112: a first fragment must carry the whole TCP
	 * header, or the flags and port we judge are not the real ones.
	 * Whatever the source or port: no legitimate stack sends this. */
	if (l3.is_fragment && l3.l4_len < sizeof(struct tcphdr))
		return verdict(XG_REASON_TINY_FRAG, load_config());

	tcp = c->pos;
	if ((void *)(tcp + 1) > c->end)
		return XDP_PASS; /* ends before the flags: the kernel drops it */
	/* A connection attempt: SYN without ACK. ECE, CWR, FIN, PSH, URG
	 * and RST bits do not make a SYN anything else. */
	if (!tcp->syn || tcp->ack)
		return XDP_PASS;

	cfg = load_config();
	if (!cfg || bypassed(cfg) || !port_protected(cfg, tcp->dest))
		return XDP_PASS;
	if (source_allowed(cfg, ipv6, &l3))
		return XDP_PASS;
	return deny(ctx, cfg, ipv6, &l3, tcp);
}

SEC("xdp")
int xdpguard_filter(struct xdp_md *ctx)
{
	struct cursor c = {
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
	};
	__be16 proto = parse_ethernet(&c);

	if (proto == bpf_htons(ETH_P_IP))
		return filter_l3(ctx, &c, 0);
	if (proto == bpf_htons(ETH_P_IPV6))
		return filter_l3(ctx, &c, 1);
	return XDP_PASS; /* ARP, LLDP, truncated Ethernet, ... */
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
