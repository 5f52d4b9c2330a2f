/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the bench's flow programs share (bench/udpflow.c, tcpflow.c,
 * sgrate.c): dying with the program's name and errno, and moving this
 * thread between network namespaces to make sockets there.  One
 * program includes it once; call netns_init() first.
 */
#ifndef COAPSEC_BENCH_NETNS_H
#define COAPSEC_BENCH_NETNS_H

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int root_ns = -1;

static void die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what,
		strerror(errno));
	exit(1);
}

/* Into the namespace /run/netns/@ns, or with NULL back to the first one. */
static void enter(const char *ns)
{
	char path[256];
	int fd = root_ns;

	if (ns) {
		snprintf(path, sizeof(path), "/run/netns/%s", ns);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die(path);
	}
	if (setns(fd, CLONE_NEWNET))
		die("setns");
	if (fd != root_ns)
		close(fd);
}

/* Remembers the namespace the program started in. */
static void netns_init(void)
{
	root_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (root_ns < 0)
		die("/proc/self/ns/net");
}

#endif /* COAPSEC_BENCH_NETNS_H */
