// SPDX-License-Identifier: GPL-2.0
#include <linux/string.h>

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

void coapsec_stats_read(struct coapsec_stats __percpu *stats,
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

/*
 * A reset racing with the packet path may lose an increment on the CPU
 * being zeroed; counters are for people, that is acceptable.
 */
void coapsec_stats_reset(struct coapsec_stats __percpu *stats)
{
	int cpu, i;

	for_each_possible_cpu(cpu) {
		struct coapsec_stats *s = per_cpu_ptr(stats, cpu);

		local_bh_disable();
		u64_stats_update_begin(&s->syncp);
		for (i = 0; i < COAPSEC_STAT_NUM; i++)
			u64_stats_set(&s->cnt[i], 0);
		u64_stats_update_end(&s->syncp);
		local_bh_enable();
	}
}
