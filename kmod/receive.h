/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Verifying incoming OSCORE: requests found by (kid context, kid),
 * responses by the outstanding request they answer.
 */
#ifndef COAPSEC_RECEIVE_H
#define COAPSEC_RECEIVE_H

#include <linux/skbuff.h>

struct coapsec_pkt;

/*
 * Under rcu_read_lock() with BHs disabled.  @action is the matching
 * policy's (0: none).  On FORWARD (@fwd) a plain response goes on to
 * coapsec_send(), which protects it if it answers a verified request.
 * Returns the netfilter verdict.
 */
unsigned int coapsec_receive(struct sk_buff *skb, struct coapsec_pkt *pkt,
			     int action, bool fwd);

#endif /* COAPSEC_RECEIVE_H */
