/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The group command the bench sends (bench/grouprate.c, sgrate.c; the
 * same as selftests/sgroup_tool makes with SGROUP_TOOL_PATH=door and
 * SGROUP_TOOL_TEXT=unlock), to the All-CoAP-Nodes address, and the
 * guest's clock it is timed with.
 */
#ifndef COAPSEC_BENCH_COMMAND_H
#define COAPSEC_BENCH_COMMAND_H

#include <time.h>

#define GROUP_ADDR	"224.0.1.187"

static const unsigned char command[] = {
	0x51, 0x02, 0x12, 0x34, 0x42,		/* NON POST, MID, token */
	0xb4, 'd', 'o', 'o', 'r',		/* Uri-Path "door" */
	0xff, 'u', 'n', 'l', 'o', 'c', 'k',
};

/* CLOCK_MONOTONIC, in seconds: instructions, under qemu -icount. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif /* COAPSEC_BENCH_COMMAND_H */
