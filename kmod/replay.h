/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Replay protection per recipient (RFC 8613 §7.4): a sliding window of
 * rcp->window sequence numbers below the highest one seen.  The receive
 * path checks before it decrypts and commits after the tag verified; the
 * commit checks again under the lock, so that of two copies of one message
 * verified at once on two CPUs only one passes.
 */
#ifndef COAPSEC_REPLAY_H
#define COAPSEC_REPLAY_H

#include <linux/types.h>

struct coapsec_recipient;

/* With BHs off.  Whether @seq may still be accepted: 0 or -EALREADY. */
int coapsec_replay_check(struct coapsec_recipient *rcp, u64 seq);
/*
 * With BHs off.  Marks @seq seen: 0, or -EALREADY if it was (or fell out)
 * meanwhile.
 */
int coapsec_replay_commit(struct coapsec_recipient *rcp, u64 seq);
/*
 * Gives @dst, not yet visible to the packet path, what @src has seen (a
 * swap that keeps a recipient's key).  Numbers that a larger @dst window
 * covers but @src never tracked count as seen: fail closed.
 */
void coapsec_replay_copy(struct coapsec_recipient *dst,
			 struct coapsec_recipient *src);
/*
 * Marks in @dst, live, every number @src (no longer found by the packet
 * path) accepted: what it took in while @dst was being linked.
 */
void coapsec_replay_merge(struct coapsec_recipient *dst,
			  struct coapsec_recipient *src);

#endif /* COAPSEC_REPLAY_H */
