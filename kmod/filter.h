/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the hooks check before anything else: a namespace's policies
 * boiled down to the UDP ports they name and, per family and direction,
 * the addresses they name.  A packet the filter lets pass is one the full
 * packet path would accept untouched; anything it is unsure of goes the
 * full path.  Built by netns.c on every policy change, read under RCU.
 */
#ifndef COAPSEC_FILTER_H
#define COAPSEC_FILTER_H

#include <linux/bitmap.h>
#include <linux/hash.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/log2.h>
#include <linux/rcupdate.h>
#include <linux/skbuff.h>
#include <linux/types.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <uapi/linux/coapsec.h>

struct coapsec_net;
struct coapsec_pkt;
struct coapsec_policy;
struct sk_buff;

#define COAPSEC_FILTER_PORTS	8	/* more: every port */
#define COAPSEC_FILTER_PLENS	4	/* more prefix lengths: every address */
#define COAPSEC_FILTER_BITS	256	/* per address set, hashed */
#define COAPSEC_FILTER_PORT_BITS 1024	/* ports, by their low bits */

/* Addresses of one side (source or destination) some policies name. */
struct coapsec_addr_set {
	u8 n_plen;
	u8 plen[COAPSEC_FILTER_PLENS];
	__be32 mask4[COAPSEC_FILTER_PLENS];	/* IPv4: plen[i] as a mask */
	DECLARE_BITMAP(bloom, COAPSEC_FILTER_BITS);
};

/* The policies of one family and direction. */
struct coapsec_dir_filter {
	bool any;			/* one names no address: all match */
	struct coapsec_addr_set dst, src;
};

struct coapsec_filter {
	struct rcu_head rcu;
	bool any_port;			/* a policy for every port */
	u8 n_ports;
	__be16 port[COAPSEC_FILTER_PORTS];
	/*
	 * Bit (port in network byte order % COAPSEC_FILTER_PORT_BITS) of
	 * each port, every bit with any_port: a clear one rules a port out.
	 */
	DECLARE_BITMAP(port_bits, COAPSEC_FILTER_PORT_BITS);
	/* [IPv4, IPv6][COAPSEC_DIR_* - 1] */
	struct coapsec_dir_filter dir[2][3];
};

/*
 * Builds the filter of @cn's policies and @extra (one about to be
 * published, or NULL), with the ports of @keep (the filter being
 * replaced, or NULL) on top.  Under cn->lock; NULL without memory.
 */
struct coapsec_filter *coapsec_filter_build(struct coapsec_net *cn,
					    const struct coapsec_policy *extra,
					    const struct coapsec_filter *keep);

/* Whether @f names @sport or @dport exactly (any port included). */
bool coapsec_filter_names_ports(const struct coapsec_filter *f, __be16 sport,
				__be16 dport);

/* Whether @a's ports include @b's (both built). */
bool coapsec_filter_ports_cover(const struct coapsec_filter *a,
				const struct coapsec_filter *b);

/* What the filter says of a packet. */
enum coapsec_filter_verdict {
	COAPSEC_FILTER_PASS,		/* untouched, without looking further */
	COAPSEC_FILTER_MAYBE,		/* the full path decides */
	/* The same, with @pkt's IP part filled (coapsec_pkt_udp() next). */
	COAPSEC_FILTER_MAYBE_FILLED,
};

/*
 * Whether the packet path may let @skb pass untouched without looking
 * further: no UDP datagram, or one neither of whose ports a policy
 * names, or a CoAP request that no policy of @dir could match.  @pf is
 * NFPROTO_IPV4 or NFPROTO_IPV6.  Reads headers without pulling them.
 * Where the IP and UDP headers lie in the linear part and no IPv6
 * extension header comes first, a packet that goes on has @pkt's family,
 * addresses, fragment, multicast and udp_off filled as
 * coapsec_pkt_parse() would fill them (COAPSEC_FILTER_MAYBE_FILLED), so
 * that the headers are read once.
 */
enum coapsec_filter_verdict coapsec_filter_pass(const struct coapsec_filter *f,
						const struct sk_buff *skb,
						u8 pf, u8 dir,
						struct coapsec_pkt *pkt);

/*
 * What coapsec_filter_pass() says of a packet that coapsec_filter_quick()
 * sent on as COAPSEC_QUICK_LINEAR, from the headers it read:
 * COAPSEC_FILTER_MAYBE_FILLED, or COAPSEC_FILTER_PASS for what is no
 * UDP datagram whatever its "ports" (an IPv4 header shorter than 20
 * bytes, a later fragment).  A port that only the filter's bitmap names
 * goes on too: the full path passes it untouched.
 */
enum coapsec_filter_verdict coapsec_filter_linear(const struct sk_buff *skb,
						  bool v6,
						  struct coapsec_pkt *pkt);

/* The bit of coapsec_addr_set's bloom for IPv4 @addr, masked already. */
static inline u32 coapsec_addr_hash4(__be32 addr, u8 plen)
{
	return hash_32((__force u32)addr ^ plen, ilog2(COAPSEC_FILTER_BITS));
}

bool coapsec_addr_set_has6(const struct coapsec_addr_set *s,
			   const struct in6_addr *addr);

static __always_inline bool
coapsec_addr_set_has(const struct coapsec_addr_set *s, const void *addr,
		     bool v6)
{
	__be32 a4;
	unsigned int i;

	if (v6)
		return s->n_plen && coapsec_addr_set_has6(s, addr);
	a4 = *(const __be32 *)addr;
	for (i = 0; i < s->n_plen; i++)
		if (test_bit(coapsec_addr_hash4(a4 & s->mask4[i], s->plen[i]),
			     s->bloom))
			return true;
	return false;
}

static __always_inline bool coapsec_filter_port_hit(const struct coapsec_filter *f,
						    __be16 port)
{
	return test_bit((__force u16)port % COAPSEC_FILTER_PORT_BITS,
			f->port_bits);
}

/* ipv6_ext_hdr() without the call. */
static __always_inline bool coapsec_ipv6_ext_hdr(u8 nexthdr)
{
	return nexthdr == NEXTHDR_HOP || nexthdr == NEXTHDR_ROUTING ||
	       nexthdr == NEXTHDR_FRAGMENT || nexthdr == NEXTHDR_AUTH ||
	       nexthdr == NEXTHDR_NONE || nexthdr == NEXTHDR_DEST;
}

/* What the hooks' first look says of a packet. */
enum coapsec_quick {
	COAPSEC_QUICK_PASS,		/* untouched */
	COAPSEC_QUICK_UNSURE,		/* coapsec_filter_pass() decides */
	/*
	 * The full path: UDP right behind the IP header, both in the
	 * linear part, a port the filter may name, and not a request that
	 * no policy of the direction could match (coapsec_filter_linear()).
	 */
	COAPSEC_QUICK_LINEAR,
};

/*
 * The hooks' first look, inlined in each with its family and direction
 * constant (@v6, @dir): COAPSEC_QUICK_PASS for a packet that
 * coapsec_filter_pass() passes, decided from the headers in the linear
 * part alone, with no call and no copy.  The same tests in the same
 * order, less what needs anything but the linear part (fragments, IPv6
 * extension headers, headers and the first two bytes of the UDP payload
 * beyond the linear part, IPv6 addresses with a prefix length to hash):
 * where one of those is left, UNSURE.  Where
 * the tests it made send the packet on, LINEAR: the full filter would
 * only read the same headers again (its exact port list aside, which
 * the policy match reads anyway).
 */
static __always_inline enum coapsec_quick
coapsec_filter_quick(const struct coapsec_filter *f, const struct sk_buff *skb,
		     bool v6, u8 dir)
{
	const unsigned char *nh = skb_network_header(skb);
	/* What the linear part holds from the network header on. */
	unsigned int avail = skb_tail_pointer(skb) - nh;
	const struct coapsec_dir_filter *df;
	const void *saddr, *daddr;
	const struct udphdr *uh;
	unsigned int off;
	const u8 *coap;
	u8 proto;

	if (!v6) {
		const struct iphdr *iph = (const struct iphdr *)nh;

		if (unlikely(avail < sizeof(*iph)))
			return COAPSEC_QUICK_UNSURE;
		proto = iph->protocol;
		if (proto != IPPROTO_UDP)
			return proto != IPPROTO_ICMP || dir == COAPSEC_DIR_IN ?
			       COAPSEC_QUICK_PASS : COAPSEC_QUICK_UNSURE;
		/*
		 * coapsec_filter_pass() passes a header shorter than 20
		 * bytes and a later fragment whatever follows: any answer
		 * is right for them, their "ports" are any bytes.
		 */
		off = iph->ihl * 4;
		saddr = &iph->saddr;
		daddr = &iph->daddr;
	} else {
		const struct ipv6hdr *ip6h = (const struct ipv6hdr *)nh;

		if (unlikely(avail < sizeof(*ip6h)))
			return COAPSEC_QUICK_UNSURE;
		proto = ip6h->nexthdr;
		if (proto != IPPROTO_UDP)
			return !coapsec_ipv6_ext_hdr(proto) &&
			       (proto != IPPROTO_ICMPV6 ||
				dir == COAPSEC_DIR_IN) ?
			       COAPSEC_QUICK_PASS : COAPSEC_QUICK_UNSURE;
		off = sizeof(*ip6h);
		saddr = &ip6h->saddr;
		daddr = &ip6h->daddr;
	}
	/*
	 * The UDP header and the two bytes that tell a request, in one
	 * test: a datagram with less in the linear part is rare enough to
	 * leave to coapsec_filter_pass().
	 */
	if (unlikely(avail < off + sizeof(*uh) + 2))
		return COAPSEC_QUICK_UNSURE;
	uh = (const struct udphdr *)(nh + off);
	if (!coapsec_filter_port_hit(f, uh->dest) &&
	    !coapsec_filter_port_hit(f, uh->source))
		return COAPSEC_QUICK_PASS;
	/*
	 * A whole request to one host; not one with IPv4 options leaving or
	 * crossing, which may route it elsewhere than its header says.
	 */
	if (skb_is_gso(skb) ||
	    (v6 ? ipv6_addr_is_multicast(daddr) :
		  (ipv4_is_multicast(*(const __be32 *)daddr) ||
		   (((const struct iphdr *)nh)->frag_off &
		    htons(IP_MF | IP_OFFSET)) ||
		   (dir != COAPSEC_DIR_IN && off > sizeof(struct iphdr)))))
		return COAPSEC_QUICK_LINEAR;
	coap = (const u8 *)(uh + 1);
	/*
	 * Version 1, a token of at most 8 bytes (the type's two bits left
	 * out), code 0.01 to 0.31.
	 */
	if ((u8)((coap[0] & 0xcf) - 0x40) > 8 || (u8)(coap[1] - 1) > 30)
		return COAPSEC_QUICK_LINEAR;
	df = &f->dir[v6][dir - 1];
	return !df->any && !coapsec_addr_set_has(&df->dst, daddr, v6) &&
	       !coapsec_addr_set_has(&df->src, saddr, v6) ?
	       COAPSEC_QUICK_PASS : COAPSEC_QUICK_LINEAR;
}

#endif /* COAPSEC_FILTER_H */
