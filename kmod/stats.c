// SPDX-License-Identifier: GPL-2.0
#include <linux/string.h>

#include "context.h"
#include "netns.h"
#include "stats.h"

struct coapsec_stats __percpu *coapsec_stats_alloc(gfp_t gfp)
{
	struct coapsec_stats __percpu *stats;
	int cpu;

	stats = alloc_percpu_gfp(struct coapsec_stats, gfp);
	if (!stats)
		return NULL;
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(stats, cpu)->syncp);
	return stats;
}

void coapsec_stats_free(struct coapsec_stats __percpu *stats)
{
	free_percpu(stats);
}

static void coapsec_stats_sum(struct coapsec_stats __percpu *stats,
			      u64 sum[COAPSEC_STAT_NUM])
{
	u64 v[COAPSEC_STAT_NUM];
	unsigned int start;
	int cpu, i;

	for_each_possible_cpu(cpu) {
		const struct coapsec_stats *s = per_cpu_ptr(stats, cpu);

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			for (i = 0; i < COAPSEC_STAT_NUM; i++)
				v[i] = u64_stats_read(&s->cnt[i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		for (i = 0; i < COAPSEC_STAT_NUM; i++)
			sum[i] += v[i];
	}
}

void coapsec_stats_read(struct coapsec_stats __percpu *stats,
			const u64 base[COAPSEC_STAT_NUM],
			u64 sum[COAPSEC_STAT_NUM])
{
	u64 now[COAPSEC_STAT_NUM] = {};
	int i;

	coapsec_stats_sum(stats, now);
	for (i = 0; i < COAPSEC_STAT_NUM; i++)
		sum[i] += now[i] - base[i];
}

/*
 * Only each CPU's packet path writes its counters (one writer per
 * seqcount, as u64_stats requires); a reset just remembers where they
 * stood.
 */
void coapsec_stats_reset(struct coapsec_stats __percpu *stats,
			 u64 base[COAPSEC_STAT_NUM])
{
	memset(base, 0, sizeof(u64) * COAPSEC_STAT_NUM);
	coapsec_stats_sum(stats, base);
}

void coapsec_count(struct coapsec_net *cn, struct coapsec_context *ctx,
		   enum coapsec_stat which)
{
	coapsec_stats_inc(cn->stats, which);
	if (ctx)
		coapsec_stats_inc(ctx->stats, which);
}
