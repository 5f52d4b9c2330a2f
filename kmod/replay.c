// SPDX-License-Identifier: GPL-2.0
/*
 * The replay window: bit i of rcp->bitmap stands for sequence number
 * max_seq - i.  One spinlock per recipient; the packet path runs with BHs
 * disabled or in softirq, so a plain spin_lock() is enough there (check
 * and commit: callers keep BHs off); the rest runs in process context
 * and takes it with BHs off.
 */
#include <linux/bitmap.h>
#include <linux/spinlock.h>

#include "context.h"
#include "replay.h"

static bool coapsec_replay_ok(const struct coapsec_recipient *rcp, u64 seq)
{
	if (!rcp->seen_any || seq > rcp->max_seq)
		return true;
	if (rcp->max_seq - seq >= rcp->window)
		return false;
	return !test_bit(rcp->max_seq - seq, rcp->bitmap);
}

int coapsec_replay_check(struct coapsec_recipient *rcp, u64 seq)
{
	bool ok;

	lockdep_assert_in_softirq();
	spin_lock(&rcp->lock);
	ok = coapsec_replay_ok(rcp, seq);
	spin_unlock(&rcp->lock);
	return ok ? 0 : -EALREADY;
}

/* Marks @seq seen; under rcp->lock. */
static int __coapsec_replay_commit(struct coapsec_recipient *rcp, u64 seq)
{
	int err = 0;

	/* Retired (retired.c): what it accepts now would be forgotten. */
	if (rcp->retired || !coapsec_replay_ok(rcp, seq)) {
		err = -EALREADY;
	} else if (!rcp->seen_any || seq > rcp->max_seq) {
		u64 shift = rcp->seen_any ? seq - rcp->max_seq : rcp->window;

		if (shift >= rcp->window)
			bitmap_zero(rcp->bitmap, rcp->window);
		else
			bitmap_shift_left(rcp->bitmap, rcp->bitmap, shift,
					  rcp->window);
		__set_bit(0, rcp->bitmap);
		rcp->max_seq = seq;
		rcp->seen_any = true;
	} else {
		__set_bit(rcp->max_seq - seq, rcp->bitmap);
	}
	return err;
}

int coapsec_replay_commit(struct coapsec_recipient *rcp, u64 seq)
{
	int err;

	lockdep_assert_in_softirq();
	spin_lock(&rcp->lock);
	err = __coapsec_replay_commit(rcp, seq);
	spin_unlock(&rcp->lock);
	return err;
}

void coapsec_replay_copy(struct coapsec_recipient *dst,
			 struct coapsec_recipient *src)
{
	unsigned int i, n = min(dst->window, src->window);

	spin_lock_bh(&src->lock);
	dst->seen_any = src->seen_any;
	dst->max_seq = src->max_seq;
	bitmap_zero(dst->bitmap, dst->window);
	for (i = 0; i < n; i++)
		if (test_bit(i, src->bitmap))
			__set_bit(i, dst->bitmap);
	if (src->seen_any)
		for (i = n; i < dst->window; i++)
			__set_bit(i, dst->bitmap);
	spin_unlock_bh(&src->lock);
}

void coapsec_replay_merge(struct coapsec_recipient *dst,
			  struct coapsec_recipient *src)
{
	DECLARE_BITMAP(seen, COAPSEC_MAX_REPLAY_WINDOW);
	unsigned int i, n = min_t(u32, src->window, COAPSEC_MAX_REPLAY_WINDOW);
	bool any;
	u64 max;

	/* A snapshot of @src first: one lock at a time. */
	spin_lock_bh(&src->lock);
	any = src->seen_any;
	max = src->max_seq;
	bitmap_copy(seen, src->bitmap, n);
	spin_unlock_bh(&src->lock);
	if (!any)
		return;
	spin_lock_bh(&dst->lock);
	/* Oldest first, so that the window slides as it did for @src. */
	for (i = n; i-- > 0;)
		if (test_bit(i, seen) && i <= max)
			__coapsec_replay_commit(dst, max - i);
	spin_unlock_bh(&dst->lock);
}
