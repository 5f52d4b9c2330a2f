// SPDX-License-Identifier: GPL-2.0
/*
 * control_scale [N]: adds N contexts (default 100000) with distinct
 * (ID context, kid), dumps them, checks the count, flushes, and reports
 * time and kernel memory per context (MemAvailable, Slab and Percpu from
 * /proc/meminfo).  Expects coapsec loaded, an empty namespace.  KTAP,
 * from the kernel's kselftest.h; control_scale.sh merges it into its own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest.h"

#include "ctxfill.h"

static long meminfo(const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':')
			v = atol(line + klen + 1);
	fclose(f);
	return v;		/* kB */
}

static int count_cb(const struct coapsec_context_info *c, void *data)
{
	(void)c;
	(*(unsigned long *)data)++;
	return 0;
}

static void settle(void)
{
	/* Let RCU callbacks free what was deleted. */
	sleep(2);
	if (system("echo 3 > /proc/sys/vm/drop_caches 2>/dev/null")) {
		/* best effort */
	}
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 100000;
	long avail0, slab0, pcpu0, avail1, slab1, pcpu1, avail2;
	struct coapsec_stats_info s;
	unsigned long i, dumped = 0;
	struct coapsec_nl *nl;
	double t0, t1, t2;
	int err = 0;

	ksft_print_header();
	ksft_set_plan(5);
	nl = coapsec_nl_open();
	if (!nl)
		ksft_exit_fail_msg("open: %s\n", strerror(errno));
	settle();
	avail0 = meminfo("MemAvailable");
	slab0 = meminfo("Slab");
	pcpu0 = meminfo("Percpu");

	t0 = ctxfill_now();
	err = ctxfill(nl, 0, n, &i);
	t1 = ctxfill_now();
	if (err)
		ksft_print_msg("context %lu: %s\n", i + 1,
			       coapsec_nl_errmsg(nl));
	ksft_test_result(!err, "add contexts\n");
	ksft_print_msg("added %lu contexts in %.1f s (%.0f/s)\n", i, t1 - t0,
	       i / (t1 - t0));

	err = coapsec_nl_context_dump(nl, count_cb, &dumped);
	t2 = ctxfill_now();
	ksft_test_result(!err && dumped == n, "dump returns every context\n");
	ksft_print_msg("dumped %lu contexts in %.2f s\n", dumped, t2 - t1);

	err = coapsec_nl_stats_get(nl, 0, &s);
	ksft_test_result(!err && s.contexts == n, "stats count every context\n");

	avail1 = meminfo("MemAvailable");
	slab1 = meminfo("Slab");
	pcpu1 = meminfo("Percpu");
	if (n) {
		ksft_print_msg("memory per context: %.0f bytes (MemAvailable), slab %.0f bytes, percpu %.0f bytes\n",
		       (avail0 - avail1) * 1024.0 / n,
		       (slab1 - slab0) * 1024.0 / n,
		       (pcpu1 - pcpu0) * 1024.0 / n);
		ksft_print_msg("meminfo kB: MemAvailable %ld -> %ld, Slab %ld -> %ld, Percpu %ld -> %ld\n",
		       avail0, avail1, slab0, slab1, pcpu0, pcpu1);
	}

	t0 = ctxfill_now();
	err = coapsec_nl_flush(nl);
	t1 = ctxfill_now();
	ksft_test_result(!err, "flush\n");
	ksft_print_msg("flushed in %.2f s\n", t1 - t0);
	/* 100,000 RCU callbacks freeing transforms take a while. */
	for (i = 0; i < 60; i++) {
		err = coapsec_nl_stats_get(nl, 0, &s);
		if (err || !s.contexts_all)
			break;
		sleep(1);
	}
	ksft_print_msg("every context freed %lu s after the flush\n", i);
	settle();
	avail2 = meminfo("MemAvailable");
	err = coapsec_nl_stats_get(nl, 0, &s);
	ksft_print_msg("after flush: MemAvailable %ld kB (%+ld kB from start), contexts in all namespaces %u\n",
	       avail2, avail2 - avail0, s.contexts_all);
	ksft_test_result(!err && s.contexts == 0 && s.contexts_all == 0,
			 "flush frees every context\n");
	coapsec_nl_close(nl);
	ksft_finished();
}
