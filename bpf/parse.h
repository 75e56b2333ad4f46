/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Packet parsers for xdpguard. Each parser reads one header at the cursor,
 * checks its bounds against data_end right beside the read (the verifier
 * needs the check on the same pointer it dereferences), advances the cursor
 * and reports what comes next. They never decide a verdict.
 */
#ifndef XDPGUARD_PARSE_H
#define XDPGUARD_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/* 802.1Q and 802.1ad tags in any combination, as a QinQ provider edge sends
 * them. A third tag is not parsed: such a frame passes untouched. */
#define VLAN_MAX_DEPTH 2

/* Extension headers walked before the upper-layer header. Linux accepts
 * longer chains, so a longer chain is a verdict of its own (dropped), not a
 * pass: otherwise a SYN could hide behind nine headers. */
#define IPV6_EXT_MAX 8

#define IP_MF 0x2000
#define IP_OFFSET 0x1fff
#define IP6_OFFSET_MASK 0xfff8
#define IP6_MF 0x0001

struct cursor {
	void *pos;
	void *end;
};

struct vlan_tag {
	__be16 tci;
	__be16 encap_proto;
};

struct ipv6_ext {
	__u8 nexthdr;
	__u8 hdrlen;
};

struct ipv6_frag {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 identification;
};

/* What the network layer tells the filter about the packet. */
enum l3_result {
	L3_TCP,		   /* cursor at the TCP header of an unfragmented or first fragment */
	L3_TCP_LATER_FRAG, /* TCP fragment with a non-zero offset */
	L3_OTHER,	   /* not TCP, later fragment of something else, or malformed */
	L3_LONG_CHAIN,	   /* IPv6 extension chain longer than IPV6_EXT_MAX */
};

struct l3_info {
	int is_fragment;       /* first fragment of a fragmented datagram */
	__u32 l4_len;	       /* transport bytes by the L3 length fields */
	__u32 frag_offset;     /* in 8-byte units, for later fragments */
	__be32 saddr4;
	const struct in6_addr *saddr6; /* in the frame: read only if judged */
};

/* Returns the EtherType (network order) after at most VLAN_MAX_DEPTH tags,
 * or 0 if the frame ends inside the Ethernet header. */
static __always_inline __be16 parse_ethernet(struct cursor *c)
{
	struct ethhdr *eth = c->pos;
	__be16 proto;
	int i;

	if ((void *)(eth + 1) > c->end)
		return 0;
	proto = eth->h_proto;
	c->pos = eth + 1;

#pragma unroll
	for (i = 0; i < VLAN_MAX_DEPTH; i++) {
		struct vlan_tag *tag = c->pos;

		if (proto != bpf_htons(ETH_P_8021Q) &&
		    proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(tag + 1) > c->end)
			return 0;
		proto = tag->encap_proto;
		c->pos = tag + 1;
	}
	return proto;
}

/* The outer tag's VLAN id, 0 if untagged, for the drop feed. Read again
 * from the frame when an event is reported, so that the judging path does
 * not hold it in a register it needs (parse_ethernet saw the tag whole). */
static __always_inline __u16 outer_vlan_id(struct xdp_md *ctx)
{
	struct ethhdr *eth = (void *)(long)ctx->data;
	struct vlan_tag *tag = (void *)(eth + 1);

	if ((void *)(tag + 1) > (void *)(long)ctx->data_end)
		return 0;
	if (eth->h_proto != bpf_htons(ETH_P_8021Q) && eth->h_proto != bpf_htons(ETH_P_8021AD))
		return 0;
	return bpf_ntohs(tag->tci) & 0x0fff;
}

static __always_inline enum l3_result parse_ipv4(struct cursor *c,
						 struct l3_info *l3)
{
	struct iphdr *iph = c->pos;
	__u32 hdr_len, tot_len;
	__u16 frag;

	if ((void *)(iph + 1) > c->end)
		return L3_OTHER;
	/* IHL < 5 is malformed; the kernel's ip_rcv() drops it. */
	if (iph->version != 4 || iph->ihl < 5)
		return L3_OTHER;
	hdr_len = iph->ihl * 4;
	tot_len = bpf_ntohs(iph->tot_len);
	if (tot_len < hdr_len)
		return L3_OTHER;
	if (c->pos + hdr_len > c->end)
		return L3_OTHER;
	c->pos += hdr_len; /* honour options */

	l3->saddr4 = iph->saddr;
	l3->l4_len = tot_len - hdr_len;
	frag = bpf_ntohs(iph->frag_off);
	l3->frag_offset = frag & IP_OFFSET;
	l3->is_fragment = (frag & (IP_MF | IP_OFFSET)) != 0;

	if (iph->protocol != IPPROTO_TCP)
		return L3_OTHER;
	return l3->frag_offset ? L3_TCP_LATER_FRAG : L3_TCP;
}

static __always_inline int ipv6_is_ext(__u8 nexthdr)
{
	return nexthdr == IPPROTO_HOPOPTS || nexthdr == IPPROTO_ROUTING ||
	       nexthdr == IPPROTO_DSTOPTS || nexthdr == IPPROTO_FRAGMENT ||
	       nexthdr == IPPROTO_AH;
}

/* Walks the extension chain. RFC 8200 section 4.5 and RFC 7112: the first
 * fragment carries the whole header chain, so the upper-layer header is
 * found (or not) in the first fragment; later fragments carry only data. */
static __always_inline enum l3_result parse_ipv6(struct cursor *c,
						 struct l3_info *l3)
{
	struct ipv6hdr *ip6 = c->pos;
	void *payload;
	__u32 hdrs_len;
	__u8 nexthdr;
	int i;

	if ((void *)(ip6 + 1) > c->end)
		return L3_OTHER;
	if (ip6->version != 6)
		return L3_OTHER;
	l3->saddr6 = &ip6->saddr;
	l3->is_fragment = 0;
	l3->frag_offset = 0;
	nexthdr = ip6->nexthdr;
	payload = ip6 + 1;
	c->pos = payload;
	/* The usual case, no extension header: what the walk below would
	 * conclude, without its tests. */
	if (nexthdr == IPPROTO_TCP) {
		l3->l4_len = bpf_ntohs(ip6->payload_len);
		return L3_TCP;
	}

#pragma unroll
	for (i = 0; i < IPV6_EXT_MAX; i++) {
		struct ipv6_ext *ext = c->pos;
		struct ipv6_frag *fh = c->pos;
		__u16 off;

		if (!ipv6_is_ext(nexthdr))
			break;
		if (nexthdr == IPPROTO_FRAGMENT) {
			if ((void *)(fh + 1) > c->end)
				return L3_OTHER;
			off = bpf_ntohs(fh->frag_off);
			l3->is_fragment = 1;
			l3->frag_offset = (off & IP6_OFFSET_MASK) >> 3;
			nexthdr = fh->nexthdr;
			c->pos = fh + 1;
			if (l3->frag_offset)
				return nexthdr == IPPROTO_TCP ? L3_TCP_LATER_FRAG
							      : L3_OTHER;
			continue;
		}
		if ((void *)(ext + 1) > c->end)
			return L3_OTHER;
		/* AH counts its length in 4-byte units minus 2 (RFC 4302),
		 * the others in 8-byte units minus 1 (RFC 8200). */
		if (nexthdr == IPPROTO_AH)
			c->pos += (ext->hdrlen + 2) * 4;
		else
			c->pos += (ext->hdrlen + 1) * 8;
		nexthdr = ext->nexthdr;
	}
	if (ipv6_is_ext(nexthdr))
		return L3_LONG_CHAIN;

	/* The transport length by the IPv6 length field, not the frame:
	 * Ethernet padding must not make a tiny fragment look whole. */
	hdrs_len = c->pos - payload;
	if (ip6->payload_len == 0 && ip6->nexthdr == IPPROTO_HOPOPTS) {
		/* RFC 2675 jumbogram: ip6_rcv_core() keeps the whole frame,
		 * even without a Jumbo option, so measure the frame; passing
		 * it unjudged would let a SYN through. */
		if (c->pos > c->end)
			return L3_OTHER;
		l3->l4_len = c->end - c->pos;
	} else {
		if (bpf_ntohs(ip6->payload_len) < hdrs_len)
			return L3_OTHER; /* malformed: ipv6_rcv() drops it */
		l3->l4_len = bpf_ntohs(ip6->payload_len) - hdrs_len;
	}
	if (nexthdr != IPPROTO_TCP)
		return L3_OTHER;
	return L3_TCP;
}

#endif /* XDPGUARD_PARSE_H */
