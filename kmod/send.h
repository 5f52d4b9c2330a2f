/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Protecting outgoing CoAP: requests under the context a policy names,
 * responses under the context that verified their request.
 */
#ifndef COAPSEC_SEND_H
#define COAPSEC_SEND_H

#include <linux/skbuff.h>

struct coapsec_context;
struct coapsec_pkt;

/*
 * Under rcu_read_lock() with BHs disabled.  @action is the matching
 * policy's (0: none), @ctx its context.  Returns the netfilter verdict.
 */
unsigned int coapsec_send(struct sk_buff *skb, struct coapsec_pkt *pkt,
			  int action, struct coapsec_context *ctx);

#endif /* COAPSEC_SEND_H */
