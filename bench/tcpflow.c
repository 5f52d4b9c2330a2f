// SPDX-License-Identifier: GPL-2.0
/*
 * tcpflow: one TCP stream from one network namespace to another, written
 * and read by this one process, timed with the guest's CLOCK_MONOTONIC
 * (under qemu -icount an instruction count, as bench/udpflow's).
 *
 *   tcpflow FROM-NS SRC-ADDR TO-NS DST-ADDR BYTES [PORT]
 *
 * Writes BYTES in 64 KiB chunks to PORT (9001) without blocking and
 * drains the other end between writes: on one CPU veth delivers in the
 * sender's softirq, so neither side waits on a timer.  Prints one JSON
 * object; "rate" is bytes per guest-second.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench/netns.h"

#define CHUNK		(64 * 1024)

/* A TCP socket living in @ns, bound to @addr:@port. */
static int tcp_socket(const char *ns, const char *addr, int port,
		      struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST };
	struct addrinfo *ai;
	char service[8];
	int fd, one = 1;

	snprintf(service, sizeof(service), "%d", port);
	if (getaddrinfo(addr, service, &hints, &ai))
		die(addr);
	enter(ns);
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	enter(NULL);
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen))
		die("bind");
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sslen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return fd;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static char tx[CHUNK], rx[CHUNK];
	struct sockaddr_storage src, dst;
	socklen_t srclen, dstlen;
	unsigned long long total, sent = 0, got = 0;
	unsigned long port = 9001;
	int l, s, r, one = 1;
	double t0, t1;
	ssize_t n;

	if (argc != 6 && argc != 7) {
		fprintf(stderr, "usage: tcpflow FROM-NS SRC-ADDR TO-NS DST-ADDR BYTES [PORT]\n");
		return 2;
	}
	total = strtoull(argv[5], NULL, 0);
	if (argc == 7)
		port = strtoul(argv[6], NULL, 0);
	if (!total || !port || port > 65535) {
		fprintf(stderr, "tcpflow: bytes > 0, port 1..65535\n");
		return 2;
	}
	netns_init();
	l = tcp_socket(argv[3], argv[4], port, &dst, &dstlen);
	if (listen(l, 1))
		die("listen");
	s = tcp_socket(argv[1], argv[2], 0, &src, &srclen);
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(s, (struct sockaddr *)&dst, dstlen))
		die("connect");
	r = accept(l, NULL, NULL);
	if (r < 0)
		die("accept");
	memset(tx, 'c', sizeof(tx));

	t0 = now();
	while (got < total) {
		if (sent < total) {
			size_t want = total - sent < CHUNK ? total - sent : CHUNK;

			n = send(s, tx, want, MSG_DONTWAIT);
			if (n < 0 && errno != EAGAIN)
				die("send");
			if (n > 0)
				sent += n;
		}
		while ((n = recv(r, rx, sizeof(rx), MSG_DONTWAIT)) > 0)
			got += n;
		if (n < 0 && errno != EAGAIN)
			die("recv");
		if (!n)
			break;
	}
	t1 = now();
	printf("{\"bytes\": %llu, \"sent\": %llu, \"received\": %llu, "
	       "\"seconds\": %.9f, \"rate\": %.1f}\n", total, sent, got,
	       t1 - t0, got / (t1 - t0));
	return got == total ? 0 : 1;
}
