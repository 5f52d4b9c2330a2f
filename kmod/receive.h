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

/*
 * A plain request from a peer that a verify or require policy covers
 * (let in by verify, a bypass, or a policy for another interface or mark)
 * is recorded too: an answer with no entry at all is then known for one
 * whose request went, and is not sent in clear; and a plain request
 * cannot take over a protected exchange's answer.  0, or -EEXIST for one
 * that would (the caller drops it).
 */
int coapsec_record_plain_request(const struct coapsec_pkt *pkt,
				 const u8 *token, u8 token_len, bool observe);

#endif /* COAPSEC_RECEIVE_H */
