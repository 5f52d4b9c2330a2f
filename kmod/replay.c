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

/* Marks @seq seen, whether or not @rcp is open; under rcp->lock. */
static int coapsec_replay_mark(struct coapsec_recipient *rcp, u64 seq)
{
	if (!coapsec_replay_ok(rcp, seq))
		return -EALREADY;
	if (!rcp->seen_any || seq > rcp->max_seq) {
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
	return 0;
}

/*
 * Commits @seq in the window open now: @rcp's, or, where a swap took it
 * over since the check (or @rcp is not open yet), the successor's, which
 * holds everything @rcp accepted (coapsec_replay_take() closes one and
 * opens the other under @rcp's lock).  A message checked just before a
 * swap is not refused for it, however many swaps come meanwhile: each
 * step follows a window that was open when it was found and has closed
 * since, under cn->lock, so the walk ends once the swaps pause.  No open
 * window (the key retired, not made again): -ESTALE, refused but not
 * counted as a replay.
 */
int coapsec_replay_commit(struct coapsec_recipient *rcp, u64 seq)
{
	struct coapsec_recipient *next;
	int err;

	lockdep_assert_in_softirq();
	for (;;) {
		spin_lock(&rcp->lock);
		if (rcp->open) {
			err = coapsec_replay_mark(rcp, seq);
			spin_unlock(&rcp->lock);
			return err;
		}
		spin_unlock(&rcp->lock);
		/* Closed under its lock: the successor is open already. */
		next = coapsec_recipient_window(rcp);
		/* Opened since it was found closed: its own window decides. */
		if (next == rcp && !smp_load_acquire(&rcp->open))
			return -ESTALE;
		rcp = next;
	}
}

/* What a window holds, taken whole under its lock. */
struct coapsec_replay_snap {
	bool seen_any;
	u64 max_seq;
	u32 n;
	DECLARE_BITMAP(seen, COAPSEC_MAX_REPLAY_WINDOW);
};

/* Takes @src's window into @snap; under src->lock. */
static void coapsec_replay_snap(const struct coapsec_recipient *src,
				struct coapsec_replay_snap *snap)
{
	snap->n = min_t(u32, src->window, COAPSEC_MAX_REPLAY_WINDOW);
	snap->seen_any = src->seen_any;
	snap->max_seq = src->max_seq;
	bitmap_copy(snap->seen, src->bitmap, snap->n);
}

/*
 * Adds what @snap saw to @dst's window; under dst->lock.  An empty @dst
 * takes it as its own, and numbers that a larger @dst window covers but
 * @snap never tracked count as seen (fail closed).
 */
static void coapsec_replay_add(struct coapsec_recipient *dst,
			       const struct coapsec_replay_snap *snap)
{
	unsigned int i, n = min(dst->window, snap->n);

	if (!snap->seen_any)
		return;
	if (!dst->seen_any) {
		dst->seen_any = true;
		dst->max_seq = snap->max_seq;
		bitmap_zero(dst->bitmap, dst->window);
		for (i = 0; i < n; i++)
			if (test_bit(i, snap->seen))
				__set_bit(i, dst->bitmap);
		for (i = n; i < dst->window; i++)
			__set_bit(i, dst->bitmap);
		return;
	}
	/* Oldest first, so that the window slides as it did for @snap's. */
	for (i = snap->n; i-- > 0;)
		if (test_bit(i, snap->seen) && i <= snap->max_seq)
			coapsec_replay_mark(dst, snap->max_seq - i);
	/* What @snap's window no longer tracked counts as seen too. */
	if (snap->max_seq >= snap->n) {
		u64 top = snap->max_seq - snap->n, seq;

		seq = dst->max_seq >= dst->window ?
		      dst->max_seq - dst->window + 1 : 0;
		for (; seq <= top; seq++)
			coapsec_replay_mark(dst, seq);
	}
}

bool coapsec_replay_take(struct coapsec_recipient *dst,
			 struct coapsec_recipient *src)
{
	struct coapsec_replay_snap snap;
	bool handover;

	spin_lock_bh(&src->lock);
	coapsec_replay_snap(src, &snap);
	handover = src->open;
	if (!handover) {
		/* Closed already: it accepts nothing more. */
		spin_unlock_bh(&src->lock);
		spin_lock_bh(&dst->lock);
		coapsec_replay_add(dst, &snap);
		spin_unlock_bh(&dst->lock);
		return false;
	}
	/*
	 * One step under @src's lock: it closes and @dst opens with what it
	 * saw, so that a message is accepted by exactly one of them and none
	 * finds both shut.  The only place two windows' locks nest: always
	 * the predecessor's first, and only under cn->lock.
	 */
	spin_lock_nested(&dst->lock, SINGLE_DEPTH_NESTING);
	coapsec_replay_add(dst, &snap);
	/*
	 * Commits are serialised by the two locks held here; a lockless
	 * reader that finds it open sees its context's flags and answer
	 * rules, set before (smp_load_acquire() there).
	 */
	smp_store_release(&dst->open, true);
	/*
	 * @dst opens before @src closes: a lockless reader that finds @src
	 * closed finds @dst open (coapsec_recipient_window()'s smp_rmb()).
	 */
	smp_wmb();
	WRITE_ONCE(src->open, false);
	spin_unlock(&dst->lock);
	spin_unlock_bh(&src->lock);
	return true;
}

void coapsec_replay_open(struct coapsec_recipient *rcp)
{
	spin_lock_bh(&rcp->lock);
	/* As in coapsec_replay_take(): the flags before it opens. */
	smp_store_release(&rcp->open, true);
	spin_unlock_bh(&rcp->lock);
}
