// SPDX-License-Identifier: GPL-2.0
/*
 * udpflow: one flow of CoAP messages from one network namespace to
 * another, sent and received by this one process, timed with the guest's
 * CLOCK_MONOTONIC.  Under qemu -icount that clock counts instructions, so
 * the rate repeats exactly from run to run (docs/vm-notes.md).
 *
 *   udpflow FROM-NS SRC-ADDR TO-NS DST-ADDR PAYLOAD COUNT [BATCH [PORT]]
 *
 * Messages are Non-confirmable POST requests to PORT (5683) with a 2-byte
 * token, Uri-Path "b" and PAYLOAD bytes.  They go out in batches of BATCH
 * (sendmmsg; default and at most 32; 1 makes one system call per message
 * each way) and are drained without waiting (recvmmsg, MSG_DONTWAIT) until
 * as many came as went: on one CPU veth delivers each packet in the
 * sender's softirq, and a timed wait would add idle guest time to the
 * figure.  Prints one JSON object.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench/netns.h"

#define BATCH		32
#define COAP_PORT	5683
#define HDR_LEN		(4 + 2 + 2 + 1)	/* header, token, Uri-Path "b", 0xff */
#define MAX_PAYLOAD	1200

/* A UDP socket living in @ns, bound to @addr:@port. */
static int udp_socket(const char *ns, const char *addr, int port,
		      struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM,
				  .ai_flags = AI_NUMERICHOST };
	struct addrinfo *ai;
	char service[8];
	int fd, buf = 4 << 20;

	snprintf(service, sizeof(service), "%d", port);
	if (getaddrinfo(addr, service, &hints, &ai))
		die(addr);
	enter(ns);
	fd = socket(ai->ai_family, SOCK_DGRAM, 0);
	enter(NULL);
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
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

static uint8_t fill(unsigned int mid)
{
	return 'a' + mid % 26;
}

static void coap_message(uint8_t *m, unsigned long n, size_t payload)
{
	m[0] = 0x52;			/* ver 1, NON, TKL 2 */
	m[1] = 0x02;			/* POST */
	m[2] = n >> 8;			/* message ID */
	m[3] = n;
	m[4] = n >> 8;			/* token */
	m[5] = n;
	m[6] = 0xb1;			/* Uri-Path (11), length 1 */
	m[7] = 'b';
	m[8] = 0xff;
	memset(m + HDR_LEN, fill(n & 0xffff), payload);
}

/* What the receiver must get: the plain message, OSCORE stripped. */
static int plain_coap(const uint8_t *m, size_t got, size_t len)
{
	return got == len && m[0] == 0x52 && m[1] == 0x02 &&
	       m[4] == m[2] && m[5] == m[3] && m[6] == 0xb1 &&
	       m[7] == 'b' && m[8] == 0xff &&
	       (len == HDR_LEN || (m[HDR_LEN] == fill(m[2] << 8 | m[3]) &&
				   m[len - 1] == m[HDR_LEN]));
}

int main(int argc, char **argv)
{
	static uint8_t tx[BATCH][HDR_LEN + MAX_PAYLOAD];
	static uint8_t rx[BATCH][2048];
	struct mmsghdr tmsg[BATCH], rmsg[BATCH];
	struct iovec tiov[BATCH], riov[BATCH];
	struct sockaddr_storage src, dst;
	socklen_t srclen, dstlen;
	unsigned long count, sent = 0, got = 0, bad = 0, batch = BATCH;
	unsigned long port = COAP_PORT;
	size_t payload, len;
	double t0, t_last;
	int s, r, i, n;

	if (argc < 7 || argc > 9) {
		fprintf(stderr, "usage: udpflow FROM-NS SRC-ADDR TO-NS DST-ADDR PAYLOAD COUNT [BATCH [PORT]]\n");
		return 2;
	}
	payload = strtoul(argv[5], NULL, 0);
	count = strtoul(argv[6], NULL, 0);
	if (argc >= 8)
		batch = strtoul(argv[7], NULL, 0);
	if (argc == 9)
		port = strtoul(argv[8], NULL, 0);
	if (payload > MAX_PAYLOAD || !count || !batch || batch > BATCH ||
	    !port || port > 65535) {
		fprintf(stderr, "udpflow: payload at most %d, count > 0, batch 1..%d, port 1..65535\n",
			MAX_PAYLOAD, BATCH);
		return 2;
	}
	len = HDR_LEN + payload;
	netns_init();
	s = udp_socket(argv[1], argv[2], 0, &src, &srclen);
	r = udp_socket(argv[3], argv[4], port, &dst, &dstlen);

	memset(tmsg, 0, sizeof(tmsg));
	memset(rmsg, 0, sizeof(rmsg));
	for (i = 0; i < BATCH; i++) {
		tiov[i] = (struct iovec){ tx[i], len };
		tmsg[i].msg_hdr.msg_iov = &tiov[i];
		tmsg[i].msg_hdr.msg_iovlen = 1;
		tmsg[i].msg_hdr.msg_name = &dst;
		tmsg[i].msg_hdr.msg_namelen = dstlen;
		riov[i] = (struct iovec){ rx[i], sizeof(rx[i]) };
		rmsg[i].msg_hdr.msg_iov = &riov[i];
		rmsg[i].msg_hdr.msg_iovlen = 1;
	}

	t0 = t_last = now();
	while (sent < count) {
		n = count - sent < batch ? count - sent : batch;
		for (i = 0; i < n; i++)
			coap_message(tx[i], sent + i, payload);
		n = sendmmsg(s, tmsg, n, 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == ENOBUFS ||
			    errno == EPERM)
				n = 0;	/* dropped on the way out: counted as lost */
			else
				die("sendmmsg");
		}
		sent += n ? n : 1;
		while (got < sent &&
		       (n = recvmmsg(r, rmsg, BATCH, MSG_DONTWAIT, NULL)) > 0) {
			for (i = 0; i < n; i++)
				bad += !plain_coap(rx[i], rmsg[i].msg_len,
						   len);
			got += n;
			t_last = now();
		}
	}
	printf("{\"payload\": %zu, \"batch\": %lu, \"sent\": %lu, \"received\": %lu, \"bad\": %lu, "
	       "\"seconds\": %.9f, \"rate\": %.1f}\n", payload, batch, sent, got, bad,
	       t_last - t0, got / (t_last - t0));
	return got ? 0 : 1;
}
