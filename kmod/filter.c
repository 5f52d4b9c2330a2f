// SPDX-License-Identifier: GPL-2.0
/*
 * The hooks' first look at a packet (filter.h).  Why a packet the filter
 * passes is one the full path would pass untouched:
 *
 * - Every policy, exchange and answer check keys on a UDP port a policy
 *   named: a request matches a policy on its destination port, its
 *   exchange remembers that port, its answers come from it.  Ports of
 *   deleted policies stay in the filter while protected exchanges live
 *   (netns.c).  Only ICMP errors matter beyond UDP (icmp.c).
 * - A CoAP request (not an answer, which may belong to an exchange) is
 *   acted on only when a policy of its direction matches it, or when it
 *   goes to a group (a plain entry).  A policy matches only packets whose
 *   address, masked to the policy's prefix length, is the policy's: the
 *   hashed sets below have no false negatives.  Interface and mark are
 *   left out: the filter only ever says "maybe" more often.
 */
#include <linux/hash.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/log2.h>
#include <linux/netfilter.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "filter.h"
#include "netns.h"
#include "policy.h"
#include "skb.h"

static __be32 coapsec_mask4(u8 plen)
{
	return plen ? htonl(~0U << (32 - plen)) : 0;
}

static u32 coapsec_addr_hash6(const struct in6_addr *addr, u8 plen)
{
	struct in6_addr p;

	ipv6_addr_prefix(&p, addr, plen);
	return hash_32((__force u32)(p.s6_addr32[0] ^ p.s6_addr32[1] ^
				     p.s6_addr32[2] ^ p.s6_addr32[3]) ^ plen,
		       ilog2(COAPSEC_FILTER_BITS));
}

/* Returns false when @s cannot take another prefix length. */
static bool coapsec_addr_set_add(struct coapsec_addr_set *s,
				 const struct in6_addr *addr, bool v6, u8 plen)
{
	unsigned int i;

	for (i = 0; i < s->n_plen && s->plen[i] != plen; i++)
		;
	if (i == s->n_plen) {
		if (i == COAPSEC_FILTER_PLENS)
			return false;
		s->plen[i] = plen;
		s->mask4[i] = v6 ? 0 : coapsec_mask4(plen);
		s->n_plen++;
	}
	if (v6)
		__set_bit(coapsec_addr_hash6(addr, plen), s->bloom);
	else
		__set_bit(coapsec_addr_hash4(addr->s6_addr32[0] & s->mask4[i],
					     plen), s->bloom);
	return true;
}

bool coapsec_addr_set_has6(const struct coapsec_addr_set *s,
			   const struct in6_addr *addr)
{
	unsigned int i;

	for (i = 0; i < s->n_plen; i++)
		if (test_bit(coapsec_addr_hash6(addr, s->plen[i]), s->bloom))
			return true;
	return false;
}

static bool coapsec_filter_port_named(const struct coapsec_filter *f,
				      __be16 port)
{
	unsigned int i;

	if (!coapsec_filter_port_hit(f, port))
		return false;
	for (i = 0; i < f->n_ports; i++)
		if (f->port[i] == port)
			return true;
	return false;
}

static void coapsec_filter_add_port(struct coapsec_filter *f, u16 port)
{
	unsigned int i;

	if (port) {
		for (i = 0; i < f->n_ports; i++)
			if (f->port[i] == htons(port))
				return;
	}
	if (!port || f->n_ports == COAPSEC_FILTER_PORTS) {
		f->any_port = true;
		bitmap_fill(f->port_bits, COAPSEC_FILTER_PORT_BITS);
		return;
	}
	f->port[f->n_ports++] = htons(port);
	__set_bit((__force u16)htons(port) % COAPSEC_FILTER_PORT_BITS,
		  f->port_bits);
}

static void coapsec_filter_add(struct coapsec_filter *f,
			       const struct coapsec_policy *pol)
{
	bool v6 = pol->family == AF_INET6;
	struct coapsec_dir_filter *df = &f->dir[v6][pol->dir - 1];

	coapsec_filter_add_port(f, pol->dport);
	/*
	 * Keyed on the destination, unless it is a group: a policy for
	 * requests to a group covers its members' answers whatever their
	 * addresses (coapsec_policy_guards()).
	 */
	if (pol->has_dst && !coapsec_policy_dst_group(pol)) {
		if (coapsec_addr_set_add(&df->dst, &pol->dst, v6, pol->dst_plen))
			return;
	} else if (pol->has_src) {
		if (coapsec_addr_set_add(&df->src, &pol->src, v6, pol->src_plen))
			return;
	}
	df->any = true;
}

struct coapsec_filter *coapsec_filter_build(struct coapsec_net *cn,
					    const struct coapsec_policy *extra,
					    const struct coapsec_filter *keep)
{
	const struct coapsec_policy *pol;
	struct coapsec_filter *f;
	unsigned int i;

	lockdep_assert_held(&cn->lock);
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return NULL;
	list_for_each_entry(pol, &cn->policies, list)
		coapsec_filter_add(f, pol);
	if (extra)
		coapsec_filter_add(f, extra);
	if (keep) {
		if (keep->any_port)
			coapsec_filter_add_port(f, 0);
		for (i = 0; i < keep->n_ports; i++)
			coapsec_filter_add_port(f, ntohs(keep->port[i]));
	}
	return f;
}

bool coapsec_filter_names_ports(const struct coapsec_filter *f, __be16 sport,
				__be16 dport)
{
	return f->any_port || coapsec_filter_port_named(f, dport) ||
	       coapsec_filter_port_named(f, sport);
}

bool coapsec_filter_ports_cover(const struct coapsec_filter *a,
				const struct coapsec_filter *b)
{
	unsigned int i;

	if (a->any_port)
		return true;
	if (b->any_port)
		return false;
	for (i = 0; i < b->n_ports; i++)
		if (!coapsec_filter_port_named(a, b->port[i]))
			return false;
	return true;
}

/*
 * @pkt's IP part as coapsec_pkt_parse() fills it, from headers read
 * here: only where the UDP header lies in the linear part, as
 * coapsec_pkt_udp() wants.  The verdict for a packet that goes on.
 */
static enum coapsec_filter_verdict
coapsec_filter_fill(const struct sk_buff *skb, const struct udphdr *uh,
		    const struct udphdr *copy, bool v6, const __be32 *saddr,
		    const __be32 *daddr, bool first_fragment, bool multicast,
		    unsigned int off, struct coapsec_pkt *pkt)
{
	if (uh == copy)
		return COAPSEC_FILTER_MAYBE;
	pkt->fragment = first_fragment;
	pkt->multicast = multicast;
	pkt->udp_off = off;
	if (v6) {
		pkt->family = AF_INET6;
		memcpy(&pkt->saddr, saddr, sizeof(pkt->saddr));
		memcpy(&pkt->daddr, daddr, sizeof(pkt->daddr));
	} else {
		pkt->family = AF_INET;
		memset(&pkt->saddr, 0, sizeof(pkt->saddr));
		memset(&pkt->daddr, 0, sizeof(pkt->daddr));
		pkt->saddr.s6_addr32[0] = *saddr;
		pkt->daddr.s6_addr32[0] = *daddr;
	}
	return COAPSEC_FILTER_MAYBE_FILLED;
}

enum coapsec_filter_verdict coapsec_filter_linear(const struct sk_buff *skb,
						  bool v6,
						  struct coapsec_pkt *pkt)
{
	const unsigned char *nh = skb_network_header(skb);
	const struct ipv6hdr *ip6h;
	const struct iphdr *iph;
	unsigned int off;

	if (v6) {
		ip6h = (const struct ipv6hdr *)nh;
		off = skb_network_offset(skb) + sizeof(*ip6h);
		return coapsec_filter_fill(skb, (const struct udphdr *)(nh +
								   sizeof(*ip6h)),
					   NULL, true, ip6h->saddr.s6_addr32,
					   ip6h->daddr.s6_addr32, false,
					   ipv6_addr_is_multicast(&ip6h->daddr),
					   off, pkt);
	}
	iph = (const struct iphdr *)nh;
	/* What coapsec_pkt_parse() turns down: not ours. */
	if (iph->ihl < 5 || (iph->frag_off & htons(IP_OFFSET)))
		return COAPSEC_FILTER_PASS;
	off = skb_network_offset(skb) + iph->ihl * 4;
	return coapsec_filter_fill(skb, (const struct udphdr *)(nh + iph->ihl * 4),
				   NULL, false, &iph->saddr, &iph->daddr,
				   iph->frag_off & htons(IP_MF),
				   ipv4_is_multicast(iph->daddr), off, pkt);
}

enum coapsec_filter_verdict coapsec_filter_pass(const struct coapsec_filter *f,
						const struct sk_buff *skb,
						u8 pf, u8 dir,
						struct coapsec_pkt *pkt)
{
	/* Copies of headers skb_header_pointer() may need: not cleared. */
	union {
		struct iphdr v4;
		struct ipv6hdr v6;
	} _ip __uninitialized;
	const struct coapsec_dir_filter *df;
	const struct ipv6hdr *ip6h;
	const struct iphdr *iph;
	const __be32 *saddr, *daddr;
	const struct udphdr *uh;
	struct udphdr _uh __uninitialized;
	bool v6 = pf == NFPROTO_IPV6, first_fragment, multicast;
	unsigned int off;
	const u8 *coap;
	u8 _coap[2] __uninitialized;

	if (!v6) {
		iph = skb_header_pointer(skb, skb_network_offset(skb),
					 sizeof(*iph), &_ip.v4);
		if (!iph)
			return COAPSEC_FILTER_MAYBE;
		if (iph->protocol != IPPROTO_UDP)
			return iph->protocol != IPPROTO_ICMP ||
			       dir == COAPSEC_DIR_IN ? COAPSEC_FILTER_PASS :
						       COAPSEC_FILTER_MAYBE;
		/* What coapsec_pkt_parse() turns down: not ours. */
		if (iph->ihl < 5 || (iph->frag_off & htons(IP_OFFSET)))
			return COAPSEC_FILTER_PASS;
		first_fragment = iph->frag_off & htons(IP_MF);
		off = skb_network_offset(skb) + iph->ihl * 4;
		saddr = &iph->saddr;
		daddr = &iph->daddr;
		multicast = ipv4_is_multicast(iph->daddr);
	} else {
		ip6h = skb_header_pointer(skb, skb_network_offset(skb),
					  sizeof(*ip6h), &_ip.v6);
		if (!ip6h)
			return COAPSEC_FILTER_MAYBE;
		if (ip6h->nexthdr != IPPROTO_UDP) {
			/* UDP may hide behind extension headers. */
			if (ipv6_ext_hdr(ip6h->nexthdr))
				return COAPSEC_FILTER_MAYBE;
			return ip6h->nexthdr != IPPROTO_ICMPV6 ||
			       dir == COAPSEC_DIR_IN ? COAPSEC_FILTER_PASS :
						       COAPSEC_FILTER_MAYBE;
		}
		first_fragment = false;
		off = skb_network_offset(skb) + sizeof(*ip6h);
		saddr = ip6h->saddr.s6_addr32;
		daddr = ip6h->daddr.s6_addr32;
		multicast = ipv6_addr_is_multicast(&ip6h->daddr);
	}
	uh = skb_header_pointer(skb, off, sizeof(*uh), &_uh);
	if (!uh)
		return COAPSEC_FILTER_MAYBE;
	if (!coapsec_filter_names_ports(f, uh->source, uh->dest))
		return COAPSEC_FILTER_PASS;
	/*
	 * Only a request, whole, to one host, goes on from here; and not a
	 * source-routed one leaving or crossing: its header may not name
	 * where it goes (coapsec_pkt_source_routed()).
	 */
	if (first_fragment || skb_is_gso(skb) || multicast ||
	    (!v6 && dir != COAPSEC_DIR_IN && iph->ihl > 5))
		goto maybe;
	coap = skb_header_pointer(skb, off + sizeof(*uh), sizeof(_coap), _coap);
	/* Version 1, a token of at most 8 bytes, code 0.01 to 0.31. */
	if (!coap || coap[0] >> 6 != 1 || (coap[0] & 0x0f) > 8 ||
	    !coap[1] || coap[1] >> 5)
		goto maybe;
	df = &f->dir[v6][dir - 1];
	if (df->any || coapsec_addr_set_has(&df->dst, daddr, v6) ||
	    coapsec_addr_set_has(&df->src, saddr, v6))
		goto maybe;
	return COAPSEC_FILTER_PASS;
maybe:
	return coapsec_filter_fill(skb, uh, &_uh, v6, saddr, daddr,
				   first_fragment, multicast, off, pkt);
}
