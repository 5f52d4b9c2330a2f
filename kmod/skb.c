// SPDX-License-Identifier: GPL-2.0
/*
 * skb work for the packet path: finding the UDP payload behind IPv4 or
 * IPv6 (extension headers included) and replacing it in place.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>

#include "skb.h"

static bool coapsec_pkt_parse4(struct sk_buff *skb, struct coapsec_pkt *pkt)
{
	const struct iphdr *iph;

	if (!pskb_may_pull(skb, skb_network_offset(skb) + sizeof(*iph)))
		return false;
	iph = ip_hdr(skb);
	if (iph->protocol != IPPROTO_UDP || iph->ihl < 5)
		return false;
	/* Later fragments carry no UDP header: nothing to look at. */
	if (iph->frag_off & htons(IP_OFFSET))
		return false;
	pkt->fragment = ip_is_fragment(iph);
	pkt->udp_off = skb_network_offset(skb) + iph->ihl * 4;
	memset(&pkt->saddr, 0, sizeof(pkt->saddr));
	memset(&pkt->daddr, 0, sizeof(pkt->daddr));
	pkt->saddr.s6_addr32[0] = iph->saddr;
	pkt->daddr.s6_addr32[0] = iph->daddr;
	pkt->multicast = ipv4_is_multicast(iph->daddr);
	return true;
}

static bool coapsec_pkt_parse6(struct sk_buff *skb, struct coapsec_pkt *pkt)
{
	const struct ipv6hdr *ip6h;
	__be16 frag_off;
	u8 nexthdr;
	int off;

	if (!pskb_may_pull(skb, skb_network_offset(skb) + sizeof(*ip6h)))
		return false;
	ip6h = ipv6_hdr(skb);
	nexthdr = ip6h->nexthdr;
	pkt->saddr = ip6h->saddr;
	pkt->daddr = ip6h->daddr;
	pkt->multicast = ipv6_addr_is_multicast(&ip6h->daddr);
	off = ipv6_skip_exthdr(skb, skb_network_offset(skb) + sizeof(*ip6h),
			       &nexthdr, &frag_off);
	if (off < 0 || nexthdr != IPPROTO_UDP)
		return false;
	if (frag_off & htons(IP6_OFFSET))
		return false;
	/* A first fragment has a fragment header with MF set. */
	pkt->fragment = frag_off != 0;
	pkt->udp_off = off;
	return true;
}

bool coapsec_pkt_parse(struct sk_buff *skb, u8 family, struct coapsec_pkt *pkt)
{
	const struct udphdr *uh;
	unsigned int ulen;

	pkt->family = family;
	if (family == AF_INET ? !coapsec_pkt_parse4(skb, pkt) :
				!coapsec_pkt_parse6(skb, pkt))
		return false;
	if (!pskb_may_pull(skb, pkt->udp_off + sizeof(*uh)))
		return false;
	uh = (const struct udphdr *)(skb->data + pkt->udp_off);
	pkt->sport = uh->source;
	pkt->dport = uh->dest;
	ulen = ntohs(uh->len);
	pkt->mark = skb->mark;
	if (pkt->fragment) {
		pkt->len = 0;
		return true;
	}
	/*
	 * UDP over IPv6 with length 0 is "the rest of the packet", as
	 * udp6_rcv() reads it (jumbograms, RFC 2675): so do we, or such a
	 * datagram would pass every policy unseen.
	 */
	if (!ulen && family == AF_INET6)
		ulen = skb->len - pkt->udp_off;
	/* Inconsistent lengths the stack drops too: not ours. */
	if (ulen < sizeof(*uh) || pkt->udp_off + ulen > skb->len)
		return false;
	pkt->len = ulen - sizeof(*uh);
	return true;
}

int coapsec_pkt_head(const struct sk_buff *skb, const struct coapsec_pkt *pkt,
		     struct coapsec_head *head)
{
	unsigned int off = pkt->udp_off + sizeof(struct udphdr);
	u8 hdr[4];

	if (skb_copy_bits(skb, off, hdr, sizeof(hdr)))
		return -EINVAL;
	head->code = hdr[1];
	head->token_len = hdr[0] & 0x0f;
	if (hdr[0] >> 6 != 1 || head->token_len > sizeof(head->token) ||
	    skb_copy_bits(skb, off + sizeof(hdr), head->token, head->token_len))
		return -EINVAL;
	return 0;
}

u8 *coapsec_skb_msg(struct sk_buff *skb, const struct coapsec_pkt *pkt)
{
	unsigned int off = pkt->udp_off + sizeof(struct udphdr);

	if (skb_ensure_writable(skb, off + pkt->len))
		return NULL;
	return skb->data + off;
}

static void coapsec_fix_lengths(struct sk_buff *skb, struct coapsec_pkt *pkt)
{
	unsigned int ulen = sizeof(struct udphdr) + pkt->len;
	struct udphdr *uh = (struct udphdr *)(skb->data + pkt->udp_off);

	uh->len = htons(ulen);
	if (pkt->family == AF_INET) {
		struct iphdr *iph = ip_hdr(skb);
		bool nocsum = !uh->check && skb->ip_summed != CHECKSUM_PARTIAL;

		iph->tot_len = htons(pkt->udp_off - skb_network_offset(skb) + ulen);
		ip_send_check(iph);
		if (skb->ip_summed == CHECKSUM_PARTIAL) {
			uh->check = ~csum_tcpudp_magic(iph->saddr, iph->daddr,
						       ulen, IPPROTO_UDP, 0);
		} else if (!nocsum) {
			uh->check = 0;
			uh->check = csum_tcpudp_magic(iph->saddr, iph->daddr,
						      ulen, IPPROTO_UDP,
						      skb_checksum(skb,
								   pkt->udp_off,
								   ulen, 0));
			if (!uh->check)
				uh->check = CSUM_MANGLED_0;
			skb->ip_summed = CHECKSUM_NONE;
		} else {
			skb->ip_summed = CHECKSUM_NONE;
		}
	} else {
		struct ipv6hdr *ip6h = ipv6_hdr(skb);

		ip6h->payload_len = htons(pkt->udp_off - skb_network_offset(skb) +
					  ulen - sizeof(*ip6h));
		if (skb->ip_summed == CHECKSUM_PARTIAL) {
			uh->check = ~csum_ipv6_magic(&ip6h->saddr,
						     &ip6h->daddr, ulen,
						     IPPROTO_UDP, 0);
		} else {
			uh->check = 0;
			uh->check = csum_ipv6_magic(&ip6h->saddr, &ip6h->daddr,
						    ulen, IPPROTO_UDP,
						    skb_checksum(skb,
								 pkt->udp_off,
								 ulen, 0));
			if (!uh->check)
				uh->check = CSUM_MANGLED_0;
			skb->ip_summed = CHECKSUM_NONE;
		}
	}
}

int coapsec_skb_set_payload(struct sk_buff *skb, struct coapsec_pkt *pkt,
			    const u8 *msg, unsigned int len)
{
	unsigned int off = pkt->udp_off + sizeof(struct udphdr);
	unsigned int end = off + pkt->len;
	int err;

	/* Whatever follows the UDP datagram (link padding) goes. */
	if (skb->len > end) {
		err = pskb_trim_rcsum(skb, end);
		if (err)
			return err;
	}
	err = skb_linearize_cow(skb);
	if (err)
		return err;
	if (len > pkt->len) {
		unsigned int grow = len - pkt->len;

		if (skb_tailroom(skb) < grow) {
			/*
			 * The old head is freed as it is: leave no plaintext
			 * in it (@msg is a copy, written below).
			 */
			memzero_explicit(skb->data + off, pkt->len);
			err = pskb_expand_head(skb, 0, grow - skb_tailroom(skb),
					       GFP_ATOMIC);
			if (err)
				return err;
		}
		skb_put(skb, grow);
	} else if (len < pkt->len) {
		__skb_trim(skb, off + len);
	}
	memcpy(skb->data + off, msg, len);
	pkt->len = len;
	coapsec_fix_lengths(skb, pkt);
	return 0;
}
