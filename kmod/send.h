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

/*
 * Whether a verify or require policy covers requests from the peer that
 * the answer in @pkt goes to: each of its requests, protected or plain,
 * left an exchange entry, so an answer without one must not leave in
 * clear (its request was evicted, or expired).
 */
bool coapsec_peer_guarded(const struct coapsec_pkt *pkt);
/* The same for the request in @pkt, coming in or crossing. */
bool coapsec_request_guarded(const struct coapsec_pkt *pkt);
/*
 * Whether a protect policy covers requests to the peer that the answer in
 * @pkt (coming in or crossing) comes from: a plain answer from there is a
 * downgrade unless a plain request left an entry.
 */
bool coapsec_answer_protected(const struct coapsec_pkt *pkt);
/*
 * A plain request (a bypass let it out, or no policy took it) to a peer
 * that a protect policy covers for another interface or mark leaves a
 * plain entry, so that its answer is told from a downgraded one.  The
 * verdict: dropped when no entry can be made for it.
 */
unsigned int coapsec_send_plain_request(const struct coapsec_pkt *pkt,
					const u8 *token, u8 token_len);

/*
 * Whether @skb is an answer that may never pass in clear: to a request
 * this host verified (out), protected (in), or for a peer that a require
 * policy covers.  From the CoAP header and token alone.  Under
 * rcu_read_lock().
 */
bool coapsec_bound_answer(const struct sk_buff *skb,
			  const struct coapsec_pkt *pkt);

/*
 * The next sequence number @ctx sends with into *@seq; -ERANGE at the hard
 * limit, -EAGAIN at the seq-persisted ceiling.  Exposed for the module's
 * load-time selftest.
 */
int coapsec_next_seq(struct coapsec_context *ctx, u64 *seq);

#endif /* COAPSEC_SEND_H */
