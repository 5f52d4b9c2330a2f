/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-CPU message counters, one set per network namespace and one per
 * context.  The packet path bumps both; netlink sums them over CPUs.
 */
#ifndef COAPSEC_STATS_H
#define COAPSEC_STATS_H

#include <linux/percpu.h>
#include <linux/u64_stats_sync.h>

enum coapsec_stat {
	COAPSEC_STAT_PROTECTED,
	COAPSEC_STAT_VERIFIED,
	COAPSEC_STAT_AUTH_FAILURES,
	COAPSEC_STAT_REPLAYS,
	COAPSEC_STAT_MALFORMED,
	COAPSEC_STAT_NO_CONTEXT,
	COAPSEC_STAT_POLICY_DROPS,
	COAPSEC_STAT_EVICTIONS,
	COAPSEC_STAT_FRAGMENTS,
	COAPSEC_STAT_GSO,
	COAPSEC_STAT_TOO_BIG,
	COAPSEC_STAT_SEQ_EXHAUSTED,
	COAPSEC_STAT_ERRORS,
	COAPSEC_STAT_SEQ_UNPERSISTED,
	COAPSEC_STAT_QUEUED,
	COAPSEC_STAT_QUEUE_NO_AGENT,
	COAPSEC_STAT_SOURCE_ROUTED,

	COAPSEC_STAT_NUM
};

struct coapsec_stats {
	u64_stats_t cnt[COAPSEC_STAT_NUM];
	struct u64_stats_sync syncp;
};

struct coapsec_stats __percpu *coapsec_stats_alloc(gfp_t gfp);
void coapsec_stats_free(struct coapsec_stats __percpu *stats);

/*
 * Adds the per-CPU values since the last reset (@base) into @sum (which
 * the caller zeroes).  @base is the owner's, under the owner's lock.
 */
void coapsec_stats_read(struct coapsec_stats __percpu *stats,
			const u64 base[COAPSEC_STAT_NUM],
			u64 sum[COAPSEC_STAT_NUM]);
/* Makes the values read from now on start at 0. */
void coapsec_stats_reset(struct coapsec_stats __percpu *stats,
			 u64 base[COAPSEC_STAT_NUM]);

struct coapsec_context;
struct coapsec_net;

/*
 * One outcome of the packet path, counted for the namespace and for @ctx
 * (may be NULL).  Softirq or with BHs off.
 */
void coapsec_count(struct coapsec_net *cn, struct coapsec_context *ctx,
		   enum coapsec_stat which);

/* Packet path: softirq or with BHs off. */
static inline void coapsec_stats_inc(struct coapsec_stats __percpu *stats,
				     enum coapsec_stat which)
{
	struct coapsec_stats *s = this_cpu_ptr(stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->cnt[which]);
	u64_stats_update_end(&s->syncp);
}

#endif /* COAPSEC_STATS_H */
