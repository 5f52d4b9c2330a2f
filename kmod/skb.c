// SPDX-License-Identifier: GPL-2.0
/*
 * skb work for the packet path: finding the UDP payload behind IPv4 or
 * IPv6 (extension headers included) and rewriting it in place: only the
 * message's head is written, its payload stays where it lies and the
 * smaller side moves (the headers, or the payload into the tailroom).
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/random.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/dst.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>

#include <uapi/linux/coapsec.h>

#include "crypto_aead.h"
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

int coapsec_pkt_parse(struct sk_buff *skb, u8 family, struct coapsec_pkt *pkt)
{
	pkt->family = family;
	if (family == AF_INET ? !coapsec_pkt_parse4(skb, pkt) :
				!coapsec_pkt_parse6(skb, pkt))
		return 0;
	if (!pskb_may_pull(skb, pkt->udp_off + sizeof(struct udphdr)))
		return 0;
	return coapsec_pkt_udp(skb, pkt);
}

/*
 * An unfinished LSRR or SSRR route in IPv4 options (linear, behind the
 * header, as the UDP header is): a route option with its pointer within
 * it.  Options the stack could not have parsed count as one: where such
 * a datagram goes cannot be told.
 */
static bool coapsec_ip4_source_routed(const struct iphdr *iph)
{
	unsigned int left = iph->ihl * 4 - sizeof(*iph);
	const u8 *opt = (const u8 *)(iph + 1);

	while (left && opt[0] != IPOPT_END) {
		if (opt[0] == IPOPT_NOOP) {
			opt++;
			left--;
			continue;
		}
		if (left < 2 || opt[1] < 2 || opt[1] > left)
			return true;
		if (opt[0] == IPOPT_LSRR || opt[0] == IPOPT_SSRR)
			return opt[1] < 3 || opt[2] <= opt[1];
		left -= opt[1];
		opt += opt[1];
	}
	return false;
}

/*
 * A routing header with segments left, any of them (the kernel does not
 * turn down a second one behind one with none left), or a chain that
 * cannot be walked.
 */
static bool coapsec_ip6_source_routed(const struct sk_buff *skb)
{
	int flags = IP6_FH_F_SKIP_RH;
	unsigned int off = 0;

	return ipv6_hdr(skb)->nexthdr != IPPROTO_UDP &&
	       ipv6_find_hdr(skb, &off, NEXTHDR_ROUTING, NULL,
			     &flags) != -ENOENT;
}

bool coapsec_pkt_source_routed(const struct sk_buff *skb,
			       const struct coapsec_pkt *pkt)
{
	if (pkt->family == AF_INET6)
		return coapsec_ip6_source_routed(skb);
	return ip_hdr(skb)->ihl > 5 && coapsec_ip4_source_routed(ip_hdr(skb));
}

int coapsec_pkt_udp(struct sk_buff *skb, struct coapsec_pkt *pkt)
{
	const struct udphdr *uh;
	unsigned int ulen;

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
	if (!ulen && pkt->family == AF_INET6)
		ulen = skb->len - pkt->udp_off;
	/*
	 * A UDP length other than the IP payload's: Linux drops a datagram
	 * longer than its packet and trims the packet to a shorter one, but
	 * other stacks (lwIP) read the IP payload whatever the UDP length
	 * says, so what we would judge is not what such a receiver reads.
	 */
	if (ulen != skb->len - pkt->udp_off)
		return -EBADMSG;
	pkt->len = ulen - sizeof(*uh);
	return 1;
}

int coapsec_pkt_head(const struct sk_buff *skb, const struct coapsec_pkt *pkt,
		     struct coapsec_head *head)
{
	unsigned int off = pkt->udp_off + sizeof(struct udphdr);
	const u8 *hdr, *token;
	u8 _hdr[4];

	/* Read in place where the skb is linear there: no call. */
	hdr = skb_header_pointer(skb, off, sizeof(_hdr), _hdr);
	if (!hdr)
		return -EINVAL;
	head->code = hdr[1];
	head->token_len = hdr[0] & 0x0f;
	if (hdr[0] >> 6 != 1 || head->token_len > sizeof(head->token))
		return -EINVAL;
	token = skb_header_pointer(skb, off + sizeof(_hdr), head->token_len,
				   head->token);
	if (!token)
		return -EINVAL;
	if (token != head->token)
		memcpy(head->token, token, head->token_len);
	return 0;
}

u8 *coapsec_skb_msg(struct sk_buff *skb, const struct coapsec_pkt *pkt)
{
	unsigned int off = pkt->udp_off + sizeof(struct udphdr);

	if (skb_ensure_writable(skb, off + pkt->len))
		return NULL;
	return skb->data + off;
}

bool coapsec_skb_csum_ok(const struct sk_buff *skb,
			 const struct coapsec_pkt *pkt)
{
	unsigned int ulen = sizeof(struct udphdr) + pkt->len;
	const struct udphdr *uh;
	__wsum sum;

	if (pkt->dir == COAPSEC_DIR_OUT || skb_csum_unnecessary(skb))
		return true;
	uh = (const struct udphdr *)(skb->data + pkt->udp_off);
	/* No checksum: allowed for UDP over IPv4 only (RFC 8200 §8.1). */
	if (!uh->check)
		return pkt->family == AF_INET;
	sum = skb_checksum(skb, pkt->udp_off, ulen, 0);
	if (pkt->family == AF_INET)
		return !csum_tcpudp_magic(ip_hdr(skb)->saddr, ip_hdr(skb)->daddr,
					  ulen, IPPROTO_UDP, sum);
	return !csum_ipv6_magic(&ipv6_hdr(skb)->saddr, &ipv6_hdr(skb)->daddr,
				ulen, IPPROTO_UDP, sum);
}

/*
 * A forwarded IPv4 datagram coapsec rewrote is a new one: a fresh,
 * unpredictable IP ID, and (coapsec_skb_fix_lengths()) a UDP checksum
 * even where the sender sent none.  Kept, the sender's ID and a zero
 * checksum would let an on-path attacker who chose the fragments that
 * came in (their size, their ID) complete the plaintext with fragments
 * of its own wherever one of those that leave is lost.
 */
static void coapsec_fwd4_new_datagram(struct iphdr *iph)
{
	__be16 id = (__force __be16)get_random_u16();

	csum_replace2(&iph->check, iph->id, id);
	iph->id = id;
}

int coapsec_skb_fwd4_reassembled(struct sk_buff *skb)
{
	struct iphdr *iph;
	__be16 frag_off;
	int err;

	err = skb_ensure_writable(skb, skb_network_offset(skb) +
				  sizeof(struct iphdr));
	if (err)
		return err;
	iph = ip_hdr(skb);
	coapsec_fwd4_new_datagram(iph);
	/*
	 * ip_finish_output() then cuts at the link's MTU, if at all.  The DF
	 * that ip_frag_reasm() kept from DF fragments goes: whole, it would
	 * cross a later, smaller link only as a "fragmentation needed" for a
	 * size the sender never sent.
	 */
	IPCB(skb)->frag_max_size = 0;
	IPCB(skb)->flags &= ~IPSKB_FRAG_PMTU;
	frag_off = iph->frag_off & ~htons(IP_DF);
	csum_replace2(&iph->check, iph->frag_off, frag_off);
	iph->frag_off = frag_off;
	return 0;
}

void coapsec_skb_fix_lengths(struct sk_buff *skb, struct coapsec_pkt *pkt)
{
	unsigned int ulen = sizeof(struct udphdr) + pkt->len;
	struct udphdr *uh = (struct udphdr *)(skb->data + pkt->udp_off);

	uh->len = htons(ulen);
	if (pkt->family == AF_INET) {
		struct iphdr *iph = ip_hdr(skb);
		/* Forwarded, it leaves with one (coapsec_fwd4_new_datagram()). */
		bool nocsum = !uh->check && skb->ip_summed != CHECKSUM_PARTIAL &&
			      pkt->dir != COAPSEC_DIR_FWD;
		__be16 tot_len = htons(pkt->udp_off - skb_network_offset(skb) +
				       ulen);

		/*
		 * The header checksum is valid here (set by the stack before
		 * LOCAL_OUT, verified before LOCAL_IN and FORWARD): updated
		 * for the fields that change, as NAT does.
		 */
		csum_replace2(&iph->check, iph->tot_len, tot_len);
		iph->tot_len = tot_len;
		if (pkt->dir == COAPSEC_DIR_FWD)
			coapsec_fwd4_new_datagram(iph);
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

/*
 * The bytes in front of the UDP payload that move with it when the front
 * moves: the headers from skb->data, and the link-layer header before
 * them where one was set (LOCAL_IN, FORWARD).
 */
static unsigned int coapsec_skb_mac_len(const struct sk_buff *skb)
{
	if (!skb_mac_header_was_set(skb) ||
	    skb->mac_header > skb->network_header ||
	    skb_network_offset(skb))
		return 0;
	return skb->network_header - skb->mac_header;
}

/* Moves everything in front of the message by @shift bytes (< 0: toward the head). */
static void coapsec_skb_move_front(struct sk_buff *skb, unsigned int front,
				   unsigned int mac, int shift)
{
	u8 *from = skb->data - mac;
	/* A link-layer header set with no length (tun, ipip) moves too. */
	bool move_mac = skb_mac_header_was_set(skb) &&
			skb->mac_header + mac == skb->network_header;

	memmove(from + shift, from, mac + front);
	if (shift < 0)
		__skb_push(skb, -shift);
	else
		__skb_pull(skb, shift);
	skb->network_header += shift;
	skb->transport_header += shift;
	if (move_mac)
		skb->mac_header += shift;
	if (skb->ip_summed == CHECKSUM_PARTIAL)
		skb->csum_start += shift;
}

int coapsec_skb_rewrite(struct sk_buff *skb, struct coapsec_pkt *pkt,
			const u8 *head, unsigned int head_len,
			unsigned int keep, unsigned int keep_len,
			unsigned int extra, u8 *save)
{
	unsigned int off = pkt->udp_off + sizeof(struct udphdr);
	unsigned int len = head_len + keep_len + extra;
	int shift = (int)head_len - (int)keep;
	const struct dst_entry *dst = skb_dst(skb);
	unsigned int mac, reserve = 0;
	bool front;
	int tail, err;
	u8 *msg;

	if (WARN_ON_ONCE(keep + keep_len > pkt->len ||
			 keep_len > COAPSEC_MAX_MSG))
		return -EINVAL;
	/* Whatever follows the UDP datagram (link padding) goes. */
	if (skb->len > off + pkt->len) {
		err = pskb_trim_rcsum(skb, off + pkt->len);
		if (err)
			return err;
	}
	if (skb_is_nonlinear(skb)) {
		err = skb_linearize(skb);
		if (err)
			return err;
	}
	/*
	 * Move the smaller side: the headers in front, or what is kept
	 * behind.  Growing in front takes headroom only where the link
	 * layer's reserve stays free (the socket left no more than that:
	 * usually the kept part moves into the tailroom).
	 */
	mac = coapsec_skb_mac_len(skb);
	if (shift > 0 && dst && pkt->dir != COAPSEC_DIR_IN)
		reserve = LL_RESERVED_SPACE(dst->dev);
	front = off + mac < keep_len &&
		(shift <= 0 || skb_headroom(skb) >= mac + shift + reserve);
	tail = (int)(off + len) - (int)skb->len - (front ? shift : 0);
	if (tail > (int)skb_tailroom(skb) || skb_cloned(skb)) {
		int grow = max(tail - (int)skb_tailroom(skb), 0);
		bool saved = !skb_cloned(skb);

		/*
		 * The old head is freed as it is (unless a clone holds it):
		 * leave no plaintext in it.  Only the kept part needs saving,
		 * @head is the caller's; the rare path, the only copy.
		 */
		msg = skb->data + off;
		if (saved) {
			memcpy(save, msg + keep, keep_len);
			memzero_explicit(msg, pkt->len);
		}
		err = pskb_expand_head(skb, 0, grow, GFP_ATOMIC);
		msg = skb->data + off;
		if (saved)
			memcpy(msg + keep, save, keep_len);
		if (err)
			return err;
	}

	msg = skb->data + off;
	if (front && shift) {
		coapsec_skb_move_front(skb, off, mac, -shift);
		msg = skb->data + off;
	} else if (shift) {
		memmove(msg + head_len, msg + keep, keep_len);
	}
	memcpy(msg, head, head_len);
	if (skb->len > off + len)
		__skb_trim(skb, off + len);
	else
		__skb_put(skb, off + len - skb->len);
	pkt->len = len;
	return 0;
}
