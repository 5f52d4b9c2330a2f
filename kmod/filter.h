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
#include <linux/rcupdate.h>
#include <linux/types.h>

struct coapsec_net;
struct coapsec_pkt;
struct coapsec_policy;
struct sk_buff;

#define COAPSEC_FILTER_PORTS	8	/* more: every port */
#define COAPSEC_FILTER_PLENS	4	/* more prefix lengths: every address */
#define COAPSEC_FILTER_BITS	256	/* per address set, hashed */

/* Addresses of one side (source or destination) some policies name. */
struct coapsec_addr_set {
	u8 n_plen;
	u8 plen[COAPSEC_FILTER_PLENS];
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
	u64 port_hint;			/* bit (port % 64) of each port */
	__be16 port[COAPSEC_FILTER_PORTS];
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

#endif /* COAPSEC_FILTER_H */
