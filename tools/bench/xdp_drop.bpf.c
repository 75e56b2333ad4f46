// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * References for the live flood, each counting what it drops in a per-CPU
 * slot (as xdpguard counts its denied SYNs), so every receiver's rate is
 * read the same way:
 *   xg_drop       drops every frame without reading it: the ceiling.
 *   xg_read_drop  reads the Ethernet, IPv4 and TCP headers a filter must
 *                 judge, then drops: what touching the packet alone costs.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} xg_drop_cnt SEC(".maps");

static __always_inline int count_drop(void)
{
	__u32 zero = 0;
	__u64 *dropped = bpf_map_lookup_elem(&xg_drop_cnt, &zero);

	if (dropped)
		(*dropped)++; /* per-CPU slot: no atomic needed */
	return XDP_DROP;
}

SEC("xdp")
int xg_drop(struct xdp_md *ctx)
{
	(void)ctx;
	return count_drop();
}

SEC("xdp")
int xg_read_drop(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *tcp = (void *)(ip + 1);

	if ((void *)(tcp + 1) > end)
		return XDP_PASS;
	/* A branch on every field a SYN filter reads keeps the loads. */
	if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->protocol != IPPROTO_TCP ||
	    !tcp->syn || tcp->ack || tcp->dest != bpf_htons(25) || ip->saddr == 0)
		return XDP_PASS;
	return count_drop();
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
