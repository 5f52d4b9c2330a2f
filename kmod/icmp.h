/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ICMP and ICMPv6 errors that quote a UDP datagram lose the quoted
 * payload: it may be plaintext that coapsec decrypted.
 */
#ifndef COAPSEC_ICMP_H
#define COAPSEC_ICMP_H

#include <linux/skbuff.h>

/*
 * If @skb (network header at skb->data, pulled) is an ICMP error quoting
 * UDP, cuts the quote after the UDP header.  0, or a negative errno when
 * the skb could not be made writable: the caller drops it.
 */
int coapsec_icmp_scrub(struct sk_buff *skb, u8 family);

#endif /* COAPSEC_ICMP_H */
