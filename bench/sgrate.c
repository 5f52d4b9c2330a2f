// SPDX-License-Identifier: GPL-2.0
/*
 * sgrate: group commands per guest-second, signed (Group OSCORE group
 * mode, coapsecd's NFQUEUE path) or not, at the gateway and at a device,
 * timed with the guest's CLOCK_MONOTONIC (instructions, under qemu
 * -icount).  For bench/run.sh, BENCH_ONLY=sgroup.
 *
 *   sgrate send IFACE SRC-ADDR MARK COMMANDS
 *       The gateway: COMMANDS Non-confirmable POSTs to 224.0.1.187:5683
 *       from SRC-ADDR with fwmark MARK, sent in this namespace as fast as
 *       the socket takes them; the time runs until IFACE's tx_packets
 *       counter has grown by COMMANDS (polled every 2 ms of guest time
 *       once the sends are done).  So the figure holds everything the
 *       gateway does for a command: the application's send, the kernel's
 *       (and coapsec's) path, the trip through NFQUEUE to the agent and
 *       back, the signature, the device.
 *   sgrate record FROM-NS SRC-ADDR TO-NS IF-ADDR MARK COMMANDS
 *       The same commands sent from FROM-NS with fwmark MARK (which a
 *       protect policy there names), received in TO-NS on a socket joined
 *       to 224.0.1.187 on IF-ADDR's interface; prints each UDP payload
 *       received (the protected message), hex, one a line.  Not timed.
 *   sgrate replay FROM-NS SRC-ADDR TO-NS IF-ADDR COMMANDS [FILE]
 *       The device: COMMANDS messages, FILE's hex lines (the protected
 *       messages record or sgroup_tool made) or without FILE the command
 *       in clear, sent from FROM-NS (no fwmark) and received in TO-NS as
 *       above, at most 32 on their way at once; the time runs from the
 *       first send to the last receive.  A message received that is not
 *       the command in clear (same length, NON POST) counts as bad.
 *
 * One JSON object on standard output for send and replay; exit status 1
 * when fewer than COMMANDS made it (send: left the device; replay:
 * received) within 30 guest-seconds of the last one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench/command.h"
#include "bench/netns.h"

#define WINDOW		32
#define MAX_MSG		1024
#define STALL_S		30.0

/* The sending socket: from @src, multicast out of @src's interface. */
static int tx_socket(const char *ns, const char *src, int mark)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd;

	if (ns)
		enter(ns);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (ns)
		enter(NULL);
	if (fd < 0 || inet_pton(AF_INET, src, &a.sin_addr) != 1 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &a.sin_addr,
		       sizeof(a.sin_addr)))
		die("sending socket");
	return fd;
}

/* The receiving socket in @ns: port 5683, joined to the group on @ifaddr. */
static int rx_socket(const char *ns, const char *ifaddr)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(5683) };
	struct ip_mreq m = { 0 };
	struct timeval tv = { .tv_sec = (time_t)STALL_S };
	int fd, buf = 8 << 20;

	enter(ns);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	enter(NULL);
	inet_pton(AF_INET, GROUP_ADDR, &a.sin_addr);
	inet_pton(AF_INET, GROUP_ADDR, &m.imr_multiaddr);
	if (fd < 0 || inet_pton(AF_INET, ifaddr, &m.imr_interface) != 1 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		die("receiving socket");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	return fd;
}

static struct sockaddr_in group(void)
{
	struct sockaddr_in dst = { .sin_family = AF_INET,
				   .sin_port = htons(5683) };

	inet_pton(AF_INET, GROUP_ADDR, &dst.sin_addr);
	return dst;
}

static unsigned long long tx_packets(int fd)
{
	char b[32];
	ssize_t n = pread(fd, b, sizeof(b) - 1, 0);

	if (n <= 0)
		die("tx_packets");
	b[n] = 0;
	return strtoull(b, NULL, 10);
}

static int send_mode(int argc, char **argv)
{
	struct sockaddr_in dst = group();
	struct timespec tick = { .tv_nsec = 2000000 };
	unsigned long long base, wire, last;
	unsigned long n, i, sent = 0;
	double t0, t1, progress;
	char path[256];
	int fd, cfd;

	if (argc != 6)
		return 2;
	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/tx_packets",
		 argv[2]);
	cfd = open(path, O_RDONLY | O_CLOEXEC);
	if (cfd < 0)
		die(path);
	fd = tx_socket(NULL, argv[3], atoi(argv[4]));
	n = strtoul(argv[5], NULL, 0);
	base = tx_packets(cfd);
	t0 = now();
	for (i = 0; i < n; i++)
		sent += sendto(fd, command, sizeof(command), 0,
			       (struct sockaddr *)&dst, sizeof(dst)) > 0;
	last = base;
	progress = now();
	for (;;) {
		wire = tx_packets(cfd) - base;
		if (wire >= n)
			break;
		if (wire != last) {
			last = wire;
			progress = now();
		} else if (now() - progress > STALL_S) {
			break;
		}
		nanosleep(&tick, NULL);
	}
	t1 = now();
	printf("{\"mode\": \"send\", \"mark\": %d, \"commands\": %lu, "
	       "\"sent\": %lu, \"wire\": %llu, \"seconds\": %.9f, "
	       "\"rate\": %.1f}\n", atoi(argv[4]), n, sent, wire, t1 - t0,
	       n / (t1 - t0));
	return sent == n && wire >= n ? 0 : 1;
}

struct msgs {
	unsigned char (*b)[MAX_MSG];
	size_t *len;
	unsigned long n;
};

static void load(const char *file, unsigned long n, struct msgs *m)
{
	char line[2 * MAX_MSG + 2];
	unsigned long i = 0;
	FILE *f = NULL;

	m->b = calloc(n, sizeof(*m->b));
	m->len = calloc(n, sizeof(*m->len));
	m->n = n;
	if (!m->b || !m->len)
		die("calloc");
	if (file && !(f = fopen(file, "r")))
		die(file);
	for (i = 0; i < n; i++) {
		size_t l = 0;

		if (!f) {
			memcpy(m->b[i], command, sizeof(command));
			m->len[i] = sizeof(command);
			continue;
		}
		if (!fgets(line, sizeof(line), f)) {
			fprintf(stderr, "sgrate: %s: %lu messages, %lu wanted\n",
				file, i, n);
			exit(1);
		}
		while (l < MAX_MSG && sscanf(line + 2 * l, "%2hhx",
					     &m->b[i][l]) == 1)
			l++;
		m->len[i] = l;
	}
	if (f)
		fclose(f);
}

/*
 * Sends @m from @tx, at most WINDOW ahead of what @rx received; with @out,
 * prints each payload received there.  The number received, *@bad those
 * not the command in clear, the time in *@secs.
 */
static unsigned long flow(int tx, int rx, const struct msgs *m, FILE *out,
			  unsigned long *bad, double *secs)
{
	struct sockaddr_in dst = group();
	unsigned char b[MAX_MSG];
	unsigned long sent = 0, got = 0;
	double t0 = now();

	*bad = 0;
	while (got < m->n) {
		if (sent < m->n && sent - got < WINDOW) {
			if (sendto(tx, m->b[sent], m->len[sent], 0,
				   (struct sockaddr *)&dst, sizeof(dst)) < 0)
				die("sendto");
			sent++;
			continue;
		}
		ssize_t r = recv(rx, b, sizeof(b), 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;		/* nothing for STALL_S */
		}
		got++;
		if (out) {
			for (ssize_t j = 0; j < r; j++)
				fprintf(out, "%02x", b[j]);
			fputc('\n', out);
		} else if ((size_t)r != sizeof(command) ||
			   memcmp(b, command, 2)) {
			(*bad)++;
		}
	}
	*secs = now() - t0;
	return got;
}

static int record_mode(int argc, char **argv)
{
	unsigned long n, got, bad;
	struct msgs m;
	double secs;
	int tx, rx;

	if (argc != 8)
		return 2;
	n = strtoul(argv[7], NULL, 0);
	load(NULL, n, &m);
	tx = tx_socket(argv[2], argv[3], atoi(argv[6]));
	rx = rx_socket(argv[4], argv[5]);
	got = flow(tx, rx, &m, stdout, &bad, &secs);
	if (got != n) {
		fprintf(stderr, "sgrate: record: %lu of %lu received\n", got, n);
		return 1;
	}
	return 0;
}

static int replay_mode(int argc, char **argv)
{
	unsigned long n, got, bad;
	struct msgs m;
	double secs;
	int tx, rx;

	if (argc != 7 && argc != 8)
		return 2;
	n = strtoul(argv[6], NULL, 0);
	load(argc == 8 ? argv[7] : NULL, n, &m);
	tx = tx_socket(argv[2], argv[3], 0);
	rx = rx_socket(argv[4], argv[5]);
	got = flow(tx, rx, &m, NULL, &bad, &secs);
	printf("{\"mode\": \"replay\", \"commands\": %lu, \"received\": %lu, "
	       "\"bad\": %lu, \"seconds\": %.9f, \"rate\": %.1f}\n",
	       n, got, bad, secs, got / secs);
	return got == n && !bad ? 0 : 1;
}

int main(int argc, char **argv)
{
	int r = 2;

	netns_init();
	if (argc > 1 && !strcmp(argv[1], "send"))
		r = send_mode(argc, argv);
	else if (argc > 1 && !strcmp(argv[1], "record"))
		r = record_mode(argc, argv);
	else if (argc > 1 && !strcmp(argv[1], "replay"))
		r = replay_mode(argc, argv);
	if (r == 2)
		fprintf(stderr,
			"usage: sgrate send IFACE SRC-ADDR MARK COMMANDS\n"
			"       sgrate record FROM-NS SRC-ADDR TO-NS IF-ADDR MARK COMMANDS\n"
			"       sgrate replay FROM-NS SRC-ADDR TO-NS IF-ADDR COMMANDS [FILE]\n");
	return r;
}
