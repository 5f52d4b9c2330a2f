// SPDX-License-Identifier: GPL-2.0
/*
 * ICMP errors never carry plaintext that coapsec made.  A verified request
 * to a port where nothing listens, or a verified answer whose socket has
 * closed, makes the stack quote the decrypted message in its "port
 * unreachable"; so could any other error about a datagram that coapsec
 * decrypted, here or on a host behind a gateway.  In a namespace that uses
 * coapsec, every ICMP or ICMPv6 error leaving or crossing the host that
 * quotes a UDP datagram has the quote cut after the UDP header: what RFC
 * 792 asks for at least, and all that path MTU discovery and the sockets
 * that receive such errors need to find their flow.  The quoted UDP
 * checksum, a sum over the whole plaintext that an outsider could have
 * on demand, is zeroed (a quote's checksum is never checked).
 */
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>

#include "icmp.h"

static bool coapsec_icmp4_quotes(u8 type)
{
	return type == ICMP_DEST_UNREACH || type == ICMP_SOURCE_QUENCH ||
	       type == ICMP_REDIRECT || type == ICMP_TIME_EXCEEDED ||
	       type == ICMP_PARAMETERPROB;
}

/*
 * Where the quote of a UDP datagram's payload starts, or 0: nothing to
 * cut; and in @csum_off where the quoted UDP checksum lies, or 0.  A
 * later fragment quoted, whatever protocol it names, is cut right after
 * its IP header (IPv6: its fragment header): all of it may be payload.
 */
static unsigned int coapsec_icmp4_cut(struct sk_buff *skb, unsigned int off,
				      unsigned int *csum_off)
{
	struct icmphdr _ih, *ih;
	struct iphdr _inner, *inner;

	ih = skb_header_pointer(skb, off, sizeof(_ih), &_ih);
	if (!ih || !coapsec_icmp4_quotes(ih->type))
		return 0;
	off += sizeof(*ih);
	inner = skb_header_pointer(skb, off, sizeof(_inner), &_inner);
	if (!inner || inner->ihl < 5)
		return 0;
	off += inner->ihl * 4;
	if (inner->frag_off & htons(IP_OFFSET))
		return off;
	if (inner->protocol != IPPROTO_UDP)
		return 0;
	*csum_off = off + offsetof(struct udphdr, check);
	return off + sizeof(struct udphdr);
}

static unsigned int coapsec_icmp6_cut(struct sk_buff *skb, unsigned int off,
				      unsigned int *csum_off)
{
	struct icmp6hdr _ih, *ih;
	__be16 frag_off;
	u8 nexthdr;
	int udp;

	ih = skb_header_pointer(skb, off, sizeof(_ih), &_ih);
	/* Types below 128 are errors, all quoting the offending packet. */
	if (!ih || ih->icmp6_type >= 128)
		return 0;
	off += sizeof(*ih);
	if (skb_copy_bits(skb, off + offsetof(struct ipv6hdr, nexthdr),
			  &nexthdr, 1))
		return 0;
	udp = ipv6_skip_exthdr(skb, off + sizeof(struct ipv6hdr), &nexthdr,
			       &frag_off);
	if (udp < 0)
		return 0;
	/*
	 * A later fragment: ipv6_skip_exthdr() stops at its fragment header,
	 * whose next header may name an extension header (AH, say) that a
	 * UDP header followed.  IPv6 sends errors about later fragments too
	 * (an address unreachable for each one queued).
	 */
	if (frag_off & htons(IP6_OFFSET))
		return udp + sizeof(struct frag_hdr);
	if (nexthdr != IPPROTO_UDP)
		return 0;
	*csum_off = udp + offsetof(struct udphdr, check);
	return udp + sizeof(struct udphdr);
}

/* Whether the quote holds a UDP checksum other than 0. */
static bool coapsec_icmp_quotes_csum(const struct sk_buff *skb,
				     unsigned int csum_off)
{
	__be16 _check, *check;

	if (!csum_off)
		return false;
	check = skb_header_pointer(skb, csum_off, sizeof(_check), &_check);
	return check && *check;
}

/*
 * Cuts @skb at @end, zeroes the quoted UDP checksum at @csum_off (if 0:
 * none), and mends the lengths and the ICMP checksum, which starts at
 * @icmp_off.
 */
static int coapsec_icmp_trim(struct sk_buff *skb, u8 family,
			     unsigned int icmp_off, unsigned int end,
			     unsigned int csum_off)
{
	__wsum csum;
	int err;

	/* Cut first: only what stays is made writable (copied if shared). */
	err = skb->len > end ? pskb_trim(skb, end) : 0;
	if (!err)
		err = skb_ensure_writable(skb, skb->len);
	if (err)
		return err;
	if (csum_off)
		*(__be16 *)(skb->data + csum_off) = 0;
	if (family == AF_INET) {
		struct iphdr *iph = ip_hdr(skb);
		struct icmphdr *ih;

		iph->tot_len = htons(skb->len - skb_network_offset(skb));
		ip_send_check(iph);
		ih = (struct icmphdr *)(skb->data + icmp_off);
		ih->checksum = 0;
		ih->checksum = csum_fold(skb_checksum(skb, icmp_off,
						      skb->len - icmp_off, 0));
	} else {
		struct ipv6hdr *ip6h = ipv6_hdr(skb);
		struct icmp6hdr *ih;

		ip6h->payload_len = htons(skb->len - skb_network_offset(skb) -
					  sizeof(*ip6h));
		ih = (struct icmp6hdr *)(skb->data + icmp_off);
		ih->icmp6_cksum = 0;
		csum = skb_checksum(skb, icmp_off, skb->len - icmp_off, 0);
		ih->icmp6_cksum = csum_ipv6_magic(&ip6h->saddr, &ip6h->daddr,
						  skb->len - icmp_off,
						  IPPROTO_ICMPV6, csum);
	}
	skb->ip_summed = CHECKSUM_NONE;
	return 0;
}

int coapsec_icmp_scrub(struct sk_buff *skb, u8 family)
{
	unsigned int icmp_off, end, csum_off = 0;
	__be16 frag_off;
	u8 nexthdr;
	int off;

	if (family == AF_INET) {
		if (ip_hdr(skb)->protocol != IPPROTO_ICMP ||
		    ip_is_fragment(ip_hdr(skb)))
			return 0;
		icmp_off = skb_network_offset(skb) + ip_hdrlen(skb);
		end = coapsec_icmp4_cut(skb, icmp_off, &csum_off);
	} else {
		nexthdr = ipv6_hdr(skb)->nexthdr;
		off = ipv6_skip_exthdr(skb, skb_network_offset(skb) +
				       sizeof(struct ipv6hdr), &nexthdr,
				       &frag_off);
		if (off < 0 || nexthdr != IPPROTO_ICMPV6 || frag_off)
			return 0;
		icmp_off = off;
		end = coapsec_icmp6_cut(skb, icmp_off, &csum_off);
	}
	/* What a quote that ends within the UDP checksum holds of it goes. */
	if (csum_off && skb->len > csum_off && skb->len < end) {
		end = csum_off;
		csum_off = 0;
	}
	if (!end || skb->len < end ||
	    (skb->len == end && !coapsec_icmp_quotes_csum(skb, csum_off)))
		return 0;
	/*
	 * Behind extension headers (a routing header may change the
	 * checksum's destination) the error is dropped.
	 */
	if (family == AF_INET6 &&
	    icmp_off != skb_network_offset(skb) + sizeof(struct ipv6hdr))
		return -EPROTO;
	return coapsec_icmp_trim(skb, family, icmp_off, end, csum_off);
}
