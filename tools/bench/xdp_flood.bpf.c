// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The live flood's sender. Run by BPF_PROG_TEST_RUN with
 * BPF_F_TEST_XDP_LIVE_FRAMES on the sending veth end (as xdp-trafficgen
 * does), it turns one template SYN (Ethernet, 20-byte IPv4 header, 20-byte
 * TCP header) into a stream of SYNs from `src_count` spoofed sources and
 * transmits each one with XDP_TX.
 *
 * Live-frames mode recycles its page-pool pages without restoring their
 * bytes, so every rewritten field is written whole and both checksums are
 * computed afresh, never updated incrementally from the previous frame.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/* Set through the skeleton before load; host order. Sources are
 * src_base | ((i * KNUTH) & src_span) for i in [0, src_count): multiplying
 * by an odd constant permutes the span, so the sources are distinct and
 * scattered over it (as a botnet's are) when src_count - 1 <= src_span. */
const volatile __u32 src_base = 0;
const volatile __u32 src_span = 0;
const volatile __u32 src_count = 1; /* a power of two */

#define KNUTH 2654435761u
#define TCP_WORDS (sizeof(struct tcphdr) / 2)
#define IP_WORDS (sizeof(struct iphdr) / 2)

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} xg_flood_seq SEC(".maps");

static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* One's complement sums are byte-order neutral: the 16-bit words are added
 * as they lie in memory and the folded result is stored the same way. */
static __always_inline __u32 sum_words(const __u16 *words, int count)
{
	__u32 sum = 0;

#pragma unroll
	for (int i = 0; i < count; i++)
		sum += words[i];
	return sum;
}

SEC("xdp")
int xg_flood(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *tcp = (void *)(ip + 1);
	__u32 zero = 0, i, sum;
	__u64 *seq;

	if ((void *)(tcp + 1) > end)
		return XDP_ABORTED;
	seq = bpf_map_lookup_elem(&xg_flood_seq, &zero);
	if (!seq)
		return XDP_ABORTED;
	i = (__u32)(*seq)++;

	ip->saddr = bpf_htonl(src_base | (((i & (src_count - 1)) * KNUTH) & src_span));
	tcp->source = bpf_htons(32768 | ((i >> 3) & 0x7fff));
	ip->check = 0;
	ip->check = csum_fold(sum_words((__u16 *)ip, IP_WORDS));

	/* RFC 793 pseudo-header: addresses, protocol, TCP length (header only) */
	tcp->check = 0;
	sum = sum_words((__u16 *)&ip->saddr, 4) + bpf_htons(IPPROTO_TCP) +
	      bpf_htons(sizeof(struct tcphdr));
	tcp->check = csum_fold(sum + sum_words((__u16 *)tcp, TCP_WORDS));
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
