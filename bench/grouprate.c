// SPDX-License-Identifier: GPL-2.0
/*
 * grouprate: the gateway's cost of one group command, two ways, timed with
 * the guest's CLOCK_MONOTONIC (instructions, under qemu -icount).
 *
 *   grouprate mcast SRC-ADDR MARK COMMANDS
 *       COMMANDS Non-confirmable POSTs to 224.0.1.187:5683 from SRC-ADDR
 *       with fwmark MARK: with a coapsec protect policy for that mark, one
 *       OSCORE-protected multicast per command.
 *   grouprate dtls SRC-ADDR DST-PREFIX RECORDS N...
 *       DTLS 1.2 PSK (TLS_PSK_WITH_AES_128_CCM_8, mbedTLS, as coapsecd
 *       uses) sessions with max(N) members, handshaken in this process
 *       over memory, then, for each N, the same command written once per
 *       member to N sessions, as UDP to DST-PREFIX.(i/256).(i%256):5684,
 *       RECORDS records in all per N.
 *
 * Run it in a namespace whose routes send both to a dummy device: the
 * figure is the sender's work (CoAP, OSCORE or DTLS record, UDP/IP, the
 * device), which is what bounds a gateway's command rate.  One JSON
 * object per measurement.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ssl.h>
#include <mbedtls/timing.h>

#include "bench/command.h"

#define MAX_DGRAM	2048
#define QUEUE_LEN	16

static void die(const char *what, int err)
{
	fprintf(stderr, "grouprate: %s: %d (%s)\n", what, err, strerror(errno));
	exit(1);
}

static int udp_socket(const char *src)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || inet_pton(AF_INET, src, &a.sin_addr) != 1 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)))
		die("socket", fd);
	return fd;
}

static int mcast(int argc, char **argv)
{
	struct sockaddr_in dst = { .sin_family = AF_INET,
				   .sin_port = htons(5683) };
	struct in_addr src;
	unsigned long n, i, sent = 0;
	int fd, mark;
	double t0, t1;

	if (argc != 5)
		return 2;
	fd = udp_socket(argv[2]);
	mark = atoi(argv[3]);
	n = strtoul(argv[4], NULL, 0);
	inet_pton(AF_INET, GROUP_ADDR, &dst.sin_addr);
	inet_pton(AF_INET, argv[2], &src);
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &src, sizeof(src)))
		die("setsockopt", -1);
	t0 = now();
	for (i = 0; i < n; i++)
		sent += sendto(fd, command, sizeof(command), 0,
			       (struct sockaddr *)&dst, sizeof(dst)) > 0;
	t1 = now();
	printf("{\"mode\": \"mcast\", \"mark\": %d, \"commands\": %lu, "
	       "\"sent\": %lu, \"seconds\": %.9f, \"rate\": %.1f}\n",
	       mark, n, sent, t1 - t0, n / (t1 - t0));
	return sent == n ? 0 : 1;
}

/* ---- DTLS: a client (member) and a server (gateway) per session ---- */

struct queue {
	unsigned char buf[QUEUE_LEN][MAX_DGRAM];
	size_t len[QUEUE_LEN];
	unsigned int head, n;
};

struct session {
	mbedtls_ssl_context cli, srv;
	mbedtls_timing_delay_context tcli, tsrv;
	struct queue c2s, s2c;
	struct sockaddr_in addr;	/* the member, once established */
};

static int udp_fd;

static int q_push(struct queue *q, const unsigned char *b, size_t len)
{
	if (q->n == QUEUE_LEN || len > MAX_DGRAM)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	memcpy(q->buf[(q->head + q->n) % QUEUE_LEN], b, len);
	q->len[(q->head + q->n) % QUEUE_LEN] = len;
	q->n++;
	return (int)len;
}

static int q_pop(struct queue *q, unsigned char *b, size_t len)
{
	size_t l;

	if (!q->n)
		return MBEDTLS_ERR_SSL_WANT_READ;
	l = q->len[q->head];
	if (l > len)
		l = len;
	memcpy(b, q->buf[q->head], l);
	q->head = (q->head + 1) % QUEUE_LEN;
	q->n--;
	return (int)l;
}

static int cli_send(void *p, const unsigned char *b, size_t l)
{
	return q_push(&((struct session *)p)->c2s, b, l);
}

static int cli_recv(void *p, unsigned char *b, size_t l)
{
	return q_pop(&((struct session *)p)->s2c, b, l);
}

static int srv_send(void *p, const unsigned char *b, size_t l)
{
	return q_push(&((struct session *)p)->s2c, b, l);
}

static int srv_recv(void *p, unsigned char *b, size_t l)
{
	return q_pop(&((struct session *)p)->c2s, b, l);
}

/* Established: the gateway's records go out on the wire. */
static int srv_send_udp(void *p, const unsigned char *b, size_t l)
{
	struct session *s = p;
	ssize_t r = sendto(udp_fd, b, l, 0, (struct sockaddr *)&s->addr,
			   sizeof(s->addr));

	return r < 0 ? MBEDTLS_ERR_NET_SEND_FAILED : (int)r;
}

static int pending(int r)
{
	return r == MBEDTLS_ERR_SSL_WANT_READ ||
	       r == MBEDTLS_ERR_SSL_WANT_WRITE;
}

static int dtls(int argc, char **argv)
{
	static const int suites[] = { MBEDTLS_TLS_PSK_WITH_AES_128_CCM_8, 0 };
	static const unsigned char psk[16] = { 1, 2, 3, 4, 5, 6, 7, 8,
					       9, 10, 11, 12, 13, 14, 15, 16 };
	static const char id[] = "member@mn-cse-1";
	mbedtls_ssl_config ccfg, scfg;
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
	struct session *s;
	struct in_addr prefix;
	unsigned long records, max = 0, i;
	double t0, t1;
	int a, r;

	if (argc < 6)
		return 2;
	udp_fd = udp_socket(argv[2]);
	if (inet_pton(AF_INET, argv[3], &prefix) != 1)
		die("prefix", -1);
	records = strtoul(argv[4], NULL, 0);
	for (a = 5; a < argc; a++)
		if (strtoul(argv[a], NULL, 0) > max)
			max = strtoul(argv[a], NULL, 0);
	s = calloc(max, sizeof(*s));
	if (!s || max > 65536)
		die("sessions", (int)max);

	mbedtls_entropy_init(&ent);
	mbedtls_ctr_drbg_init(&drbg);
	r = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, NULL, 0);
	if (r)
		die("drbg", r);
	mbedtls_ssl_config_init(&ccfg);
	mbedtls_ssl_config_init(&scfg);
	if (mbedtls_ssl_config_defaults(&ccfg, MBEDTLS_SSL_IS_CLIENT,
					MBEDTLS_SSL_TRANSPORT_DATAGRAM,
					MBEDTLS_SSL_PRESET_DEFAULT) ||
	    mbedtls_ssl_config_defaults(&scfg, MBEDTLS_SSL_IS_SERVER,
					MBEDTLS_SSL_TRANSPORT_DATAGRAM,
					MBEDTLS_SSL_PRESET_DEFAULT))
		die("config", -1);
	mbedtls_ssl_conf_rng(&ccfg, mbedtls_ctr_drbg_random, &drbg);
	mbedtls_ssl_conf_rng(&scfg, mbedtls_ctr_drbg_random, &drbg);
	mbedtls_ssl_conf_ciphersuites(&ccfg, suites);
	mbedtls_ssl_conf_ciphersuites(&scfg, suites);
	/* Memory transport: nothing is lost, so no retransmission. */
	mbedtls_ssl_conf_handshake_timeout(&ccfg, 60000, 60000);
	mbedtls_ssl_conf_handshake_timeout(&scfg, 60000, 60000);
	/* Cookies only change the handshake, which is not measured. */
	mbedtls_ssl_conf_dtls_cookies(&scfg, NULL, NULL, NULL);
	if (mbedtls_ssl_conf_psk(&ccfg, psk, sizeof(psk),
				 (const unsigned char *)id, strlen(id)) ||
	    mbedtls_ssl_conf_psk(&scfg, psk, sizeof(psk),
				 (const unsigned char *)id, strlen(id)))
		die("psk", -1);

	t0 = now();
	for (i = 0; i < max; i++) {
		struct session *x = &s[i];
		int cdone = 0, sdone = 0, rounds = 0;

		mbedtls_ssl_init(&x->cli);
		mbedtls_ssl_init(&x->srv);
		if (mbedtls_ssl_setup(&x->cli, &ccfg) ||
		    mbedtls_ssl_setup(&x->srv, &scfg))
			die("ssl_setup", (int)i);
		mbedtls_ssl_set_bio(&x->cli, x, cli_send, cli_recv, NULL);
		mbedtls_ssl_set_bio(&x->srv, x, srv_send, srv_recv, NULL);
		mbedtls_ssl_set_timer_cb(&x->cli, &x->tcli,
					 mbedtls_timing_set_delay,
					 mbedtls_timing_get_delay);
		mbedtls_ssl_set_timer_cb(&x->srv, &x->tsrv,
					 mbedtls_timing_set_delay,
					 mbedtls_timing_get_delay);
		while (!(cdone && sdone)) {
			if (++rounds > 1000)
				die("handshake stalled", (int)i);
			if (!cdone) {
				r = mbedtls_ssl_handshake(&x->cli);
				if (!r)
					cdone = 1;
				else if (!pending(r))
					die("client handshake", r);
			}
			if (!sdone) {
				r = mbedtls_ssl_handshake(&x->srv);
				if (!r)
					sdone = 1;
				else if (!pending(r))
					die("server handshake", r);
			}
		}
		/* Only the gateway's side is needed from here on. */
		mbedtls_ssl_free(&x->cli);
		x->addr.sin_family = AF_INET;
		x->addr.sin_port = htons(5684);
		x->addr.sin_addr.s_addr = htonl(ntohl(prefix.s_addr) +
						 (uint32_t)i + 1);
		mbedtls_ssl_set_bio(&x->srv, x, srv_send_udp, NULL, NULL);
	}
	t1 = now();
	fprintf(stderr, "grouprate: %lu DTLS-PSK handshakes in %.2f guest-s\n",
		max, t1 - t0);

	for (a = 5; a < argc; a++) {
		unsigned long n = strtoul(argv[a], NULL, 0);
		unsigned long cmds = records / n ? records / n : 1, c, sent = 0;

		t0 = now();
		for (c = 0; c < cmds; c++)
			for (i = 0; i < n; i++)
				sent += mbedtls_ssl_write(&s[i].srv, command,
							  sizeof(command)) > 0;
		t1 = now();
		printf("{\"mode\": \"dtls\", \"members\": %lu, \"commands\": %lu, "
		       "\"records\": %lu, \"seconds\": %.9f, \"rate\": %.1f}\n",
		       n, cmds, sent, t1 - t0, cmds / (t1 - t0));
		fflush(stdout);
		if (sent != cmds * n)
			die("records lost", (int)(cmds * n - sent));
	}
	return 0;
}

int main(int argc, char **argv)
{
	int r = 2;

	if (argc > 1 && !strcmp(argv[1], "mcast"))
		r = mcast(argc, argv);
	else if (argc > 1 && !strcmp(argv[1], "dtls"))
		r = dtls(argc, argv);
	if (r == 2)
		fprintf(stderr, "usage: grouprate mcast SRC-ADDR MARK COMMANDS\n"
			"       grouprate dtls SRC-ADDR DST-PREFIX RECORDS N...\n");
	return r;
}
