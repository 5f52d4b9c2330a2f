/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the packet path needs to know of a UDP datagram (addresses, ports,
 * where the CoAP message lies) and the one operation it does on an skb:
 * replacing the UDP payload, with IP and UDP lengths and checksum fixed.
 */
#ifndef COAPSEC_SKB_H
#define COAPSEC_SKB_H

#include <linux/in6.h>
#include <linux/skbuff.h>
#include <linux/types.h>
#include <linux/udp.h>

struct net;

struct coapsec_pkt {
	struct net *net;
	u8 family;			/* AF_INET, AF_INET6 */
	u8 dir;				/* COAPSEC_DIR_* */
	bool fragment;			/* an IP fragment (ports: first only) */
	bool multicast;			/* destination is a group address */
	unsigned int udp_off;		/* UDP header, from skb->data */
	unsigned int len;		/* the CoAP message (UDP payload) */
	struct in6_addr saddr, daddr;	/* IPv4 in the first 4 bytes */
	__be16 sport, dport;
	int ifindex;
	u32 mark;
};

/*
 * Fills @pkt from @skb (network header at skb->data).  Returns false for
 * what is no UDP datagram or whose headers are truncated: not ours.
 */
bool coapsec_pkt_parse(struct sk_buff *skb, u8 family, struct coapsec_pkt *pkt);

/* The CoAP header's code and the token: what binds an answer to its request. */
struct coapsec_head {
	u8 code;
	u8 token_len;
	u8 token[8];
};

/*
 * Reads the CoAP code and token straight from @skb (a first fragment or a
 * GSO packet too): nothing beyond them is parsed, so this decides whether
 * a message belongs to a protected exchange before anything can fail.
 * 0, or -EINVAL when they are not there.
 */
int coapsec_pkt_head(const struct sk_buff *skb, const struct coapsec_pkt *pkt,
		     struct coapsec_head *head);

/*
 * The CoAP message in @skb, made writable and linear in place, so that it
 * is parsed and decrypted where it lies; NULL when that fails (no memory).
 * Pointers into it last until the skb's head changes.
 */
u8 *coapsec_skb_msg(struct sk_buff *skb, const struct coapsec_pkt *pkt);

/*
 * Replaces the UDP payload with the @len bytes at @msg: makes the skb
 * writable and linear, grows or trims it, fixes the IP total or payload
 * length, the UDP length and the checksum (CHECKSUM_PARTIAL kept partial,
 * otherwise recomputed).  0 or a negative errno; the skb is intact on
 * failure and must be dropped.
 */
int coapsec_skb_set_payload(struct sk_buff *skb, struct coapsec_pkt *pkt,
			    const u8 *msg, unsigned int len);

#endif /* COAPSEC_SKB_H */
