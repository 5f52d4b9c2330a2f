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
 * With BHs off.  Marks @seq seen in the window open now (@rcp's or its
 * successor's): 0, -EALREADY if it was (or fell out) meanwhile, or
 * -ESTALE where no window of its key is open (retired since the check).
 */
int coapsec_replay_commit(struct coapsec_recipient *rcp, u64 seq);
/*
 * Hands the window of @src (a recipient with the same key, Common IV and
 * ID, whose context a new one replaces) to @dst (linked, not yet open):
 * from here on @src accepts nothing, so that no message passes both.
 * Where @src was open, @dst opens in the same step, so that none finds
 * both shut.  Returns whether it did.
 */
bool coapsec_replay_take(struct coapsec_recipient *dst,
			 struct coapsec_recipient *src);
/* From now on @rcp's window may accept (its context is published). */
void coapsec_replay_open(struct coapsec_recipient *rcp);

#endif /* COAPSEC_REPLAY_H */
