/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the packet path needs to know of a UDP datagram (addresses, ports,
 * where the CoAP message lies) and the operations it does on an skb:
 * rewriting the UDP payload in place, with IP and UDP lengths and
 * checksum fixed.
 */
#ifndef COAPSEC_SKB_H
#define COAPSEC_SKB_H

#include <linux/in6.h>
#include <linux/skbuff.h>
#include <linux/types.h>
#include <linux/udp.h>

struct coapsec_net;
struct net;

struct coapsec_pkt {
	struct net *net;
	struct coapsec_net *cn;		/* @net's state, from the hook */
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
 * Fills @pkt from @skb (network header at skb->data).  1; 0 for what is
 * no UDP datagram or whose headers are truncated: not ours; -EBADMSG for
 * a UDP datagram (ports filled) whose length is not its IP payload's.
 */
int coapsec_pkt_parse(struct sk_buff *skb, u8 family, struct coapsec_pkt *pkt);

/*
 * The end of coapsec_pkt_parse(), for a @pkt whose family, addresses,
 * fragment, multicast and udp_off are filled already and whose UDP
 * header lies in the linear part (the filter's first look found it
 * there): ports, mark and the message's length.  As coapsec_pkt_parse().
 */
int coapsec_pkt_udp(struct sk_buff *skb, struct coapsec_pkt *pkt);

/*
 * Whether @skb (@pkt parsed) is source-routed, its route not finished:
 * an IPv4 LSRR or SSRR option, an IPv6 routing header with segments
 * left.  Such a datagram goes on to where the route says, not (only) to
 * the destination in its header, which policies are matched against.
 */
bool coapsec_pkt_source_routed(const struct sk_buff *skb,
			       const struct coapsec_pkt *pkt);

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
 * Rewrites the CoAP message in @skb where it lies: it becomes the
 * @head_len bytes at @head, then the @keep_len bytes that lay at offset
 * @keep of the message (the payload, which is not copied: the headers in
 * front move instead, or it moves within the skb), then @extra bytes for
 * the caller to fill (an AEAD tag).  Headroom is taken only beyond the
 * link layer's reserve and the tailroom only as far as it goes; else the
 * head is reallocated, the old one wiped first (the kept part goes
 * through @save, COAPSEC_MAX_MSG bytes).  Sets pkt->len; the lengths and
 * checksum are the caller's to fix once the bytes are final
 * (coapsec_skb_fix_lengths()).  0, or a negative errno after which the
 * skb must be dropped.
 */
int coapsec_skb_rewrite(struct sk_buff *skb, struct coapsec_pkt *pkt,
			const u8 *head, unsigned int head_len,
			unsigned int keep, unsigned int keep_len,
			unsigned int extra, u8 *save);

/*
 * Whether the UDP checksum of @skb, which came from the wire (LOCAL_IN,
 * FORWARD), holds, before coapsec rewrites the message and computes a new
 * one: a datagram damaged in transit must stay damaged.  Locally made
 * ones (LOCAL_OUT) and those the device already checked pass.  Call after
 * coapsec_skb_msg().
 */
bool coapsec_skb_csum_ok(const struct sk_buff *skb,
			 const struct coapsec_pkt *pkt);

/*
 * Sets the IP total or payload length and the UDP length to pkt->len's,
 * and the checksum: CHECKSUM_PARTIAL kept partial, otherwise recomputed.
 * A forwarded IPv4 datagram also gets a new IP ID.
 */
void coapsec_skb_fix_lengths(struct sk_buff *skb, struct coapsec_pkt *pkt);

/*
 * A forwarded IPv4 datagram to or from a port the policies name that was
 * put together from fragments (coapsec's FORWARD hook or conntrack's
 * PRE_ROUTING) leaves as a new datagram, whatever coapsec then does with
 * it: a fresh IP ID, no DF, whole where it fits the link, else cut at
 * the link's MTU (or, untouched, as its pieces lie where each fits).
 * Else a message coapsec passes unchanged (an Empty one under require)
 * would leave in fragments whose ID and sizes the sender chose, and one
 * lost inside could be replaced with the sender's own.
 * 0 or a negative errno (the header could not be made writable).
 */
int coapsec_skb_fwd4_reassembled(struct sk_buff *skb);

/* The CoAP message in @skb once coapsec_skb_msg() made it linear. */
static inline u8 *coapsec_pkt_msg(const struct sk_buff *skb,
				  const struct coapsec_pkt *pkt)
{
	return skb->data + pkt->udp_off + sizeof(struct udphdr);
}

#endif /* COAPSEC_SKB_H */
