// SPDX-License-Identifier: GPL-2.0
/*
 * dtls_probe: a DTLS-PSK load and abuse client for coapsecd's tests and
 * benchmark (mbedTLS, loopback only).
 *
 *   dtls_probe flood PORT N
 *       N ClientHellos, each from a fresh source port that never answers
 *       the HelloVerifyRequest (what a spoofed flood looks like to the
 *       server).
 *   dtls_probe bench PORT SLOTS SECONDS IDENTITY KEYHEX
 *       SLOTS concurrent clients, each: full handshake, CoAP GET /status,
 *       the 2.05 answer, close_notify; again from a fresh port.  Prints
 *       "ok=N err=N secs=S hs_per_s=R".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/timing.h>

static const int suites[] = { MBEDTLS_TLS_PSK_WITH_AES_128_CCM_8, 0 };
static mbedtls_entropy_context ent;
static mbedtls_ctr_drbg_context drbg;
static mbedtls_ssl_config conf;
static struct sockaddr_in srv;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

struct slot {
	mbedtls_ssl_context ssl;
	mbedtls_timing_delay_context tm;
	int fd, state;
	double start;
};

static int c_send(void *ctx, const unsigned char *b, size_t n)
{
	struct slot *s = ctx;
	ssize_t r = send(s->fd, b, n, 0);

	if (r < 0)
		return errno == EAGAIN ? MBEDTLS_ERR_SSL_WANT_WRITE :
					 MBEDTLS_ERR_NET_SEND_FAILED;
	return (int)r;
}

static int c_recv(void *ctx, unsigned char *b, size_t n)
{
	struct slot *s = ctx;
	ssize_t r = recv(s->fd, b, n, MSG_DONTWAIT);

	if (r < 0)
		return (errno == EAGAIN || errno == ECONNREFUSED) ?
			MBEDTLS_ERR_SSL_WANT_READ : MBEDTLS_ERR_NET_RECV_FAILED;
	return (int)r;
}

/* A spoofed source never sees the server's answer. */
static int c_deaf(void *ctx, unsigned char *b, size_t n)
{
	(void)ctx; (void)b; (void)n;
	return MBEDTLS_ERR_SSL_WANT_READ;
}

static int new_sock(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&srv, sizeof(srv))) {
		perror("socket");
		exit(1);
	}
	return fd;
}

static void setup(int port, const char *id, const unsigned char *key,
		  size_t klen)
{
	srv.sin_family = AF_INET;
	srv.sin_port = htons((uint16_t)port);
	srv.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	mbedtls_entropy_init(&ent);
	mbedtls_ctr_drbg_init(&drbg);
	mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, NULL, 0);
	mbedtls_ssl_config_init(&conf);
	mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT,
				    MBEDTLS_SSL_TRANSPORT_DATAGRAM,
				    MBEDTLS_SSL_PRESET_DEFAULT);
	mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
	mbedtls_ssl_conf_ciphersuites(&conf, suites);
	mbedtls_ssl_conf_handshake_timeout(&conf, 1000, 8000);
	mbedtls_ssl_conf_psk(&conf, key, klen, (const unsigned char *)id,
			     strlen(id));
}

static void slot_init(struct slot *s)
{
	mbedtls_ssl_init(&s->ssl);
	if (mbedtls_ssl_setup(&s->ssl, &conf))
		exit(1);
	mbedtls_ssl_set_timer_cb(&s->ssl, &s->tm, mbedtls_timing_set_delay,
				 mbedtls_timing_get_delay);
	mbedtls_ssl_set_bio(&s->ssl, s, c_send, c_recv, NULL);
	s->fd = -1;
}

static int flood(int port, int n)
{
	static const unsigned char key[16];
	struct slot s;

	setup(port, "flood", key, sizeof(key));
	slot_init(&s);
	mbedtls_ssl_set_bio(&s.ssl, &s, c_send, c_deaf, NULL);
	for (int i = 0; i < n; i++) {
		s.fd = new_sock();
		mbedtls_ssl_session_reset(&s.ssl);
		mbedtls_ssl_handshake(&s.ssl);	/* sends the ClientHello */
		close(s.fd);			/* and never answers */
	}
	printf("sent=%d\n", n);
	return 0;
}

/* The CoAP request: CON GET /status, token 1 byte. */
static const unsigned char coap_get[] = {
	0x41, 0x01, 0x12, 0x34, 0x7a, 0xb6, 's', 't', 'a', 't', 'u', 's'
};

static unsigned long ok, err;

static void restart(struct slot *s, int ep, int idx)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)idx };

	if (s->fd >= 0)
		close(s->fd);
	s->fd = new_sock();
	epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev);
	mbedtls_ssl_session_reset(&s->ssl);
	s->state = 0;
	s->start = now();
}

/* 1 when the slot is done (ok or failed). */
static int step(struct slot *s)
{
	unsigned char b[512];
	int r;

	if (s->state == 0) {
		r = mbedtls_ssl_handshake(&s->ssl);
		if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE)
			return 0;
		if (r) {
			err++;
			return 1;
		}
		if (mbedtls_ssl_write(&s->ssl, coap_get, sizeof(coap_get)) !=
		    (int)sizeof(coap_get)) {
			err++;
			return 1;
		}
		s->state = 1;
	}
	r = mbedtls_ssl_read(&s->ssl, b, sizeof(b));
	if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE)
		return 0;
	/* ACK, 2.05 Content, our message ID */
	if (r >= 4 && (b[0] & 0x30) == 0x20 && b[1] == 0x45 && b[2] == 0x12 &&
	    b[3] == 0x34)
		ok++;
	else
		err++;
	mbedtls_ssl_close_notify(&s->ssl);
	return 1;
}

static int bench(int nslots, double secs)
{
	struct slot *slots = calloc((size_t)nslots, sizeof(*slots));
	int ep = epoll_create1(0);
	double t0 = now(), last = t0;

	for (int i = 0; i < nslots; i++) {
		slot_init(&slots[i]);
		restart(&slots[i], ep, i);
		while (step(&slots[i]))
			restart(&slots[i], ep, i);
	}
	while (now() - t0 < secs) {
		struct epoll_event ev[64];
		int n = epoll_wait(ep, ev, 64, 10);
		double t = now();

		for (int k = 0; k < n; k++) {
			int i = (int)ev[k].data.u32;

			while (step(&slots[i]))
				restart(&slots[i], ep, i);
		}
		if (t - last < 0.05)
			continue;
		last = t;
		for (int i = 0; i < nslots; i++) {
			struct slot *s = &slots[i];

			if (t - s->start > 5) {
				err++;
				restart(s, ep, i);
			}
			if (mbedtls_timing_get_delay(&s->tm) == 2)
				while (step(s))
					restart(s, ep, i);
		}
	}
	printf("ok=%lu err=%lu secs=%.3f hs_per_s=%.1f\n", ok, err, now() - t0,
	       ok / (now() - t0));
	return 0;
}

int main(int argc, char **argv)
{
	unsigned char key[64];
	size_t klen = 0;

	if (argc >= 4 && !strcmp(argv[1], "flood")) {
		return flood(atoi(argv[2]), atoi(argv[3]));
	}
	if (argc == 7 && !strcmp(argv[1], "bench")) {
		for (const char *h = argv[6]; h[0] && h[1] && klen < sizeof(key); h += 2)
			sscanf(h, "%2hhx", &key[klen++]);
		setup(atoi(argv[2]), argv[5], key, klen);
		return bench(atoi(argv[3]), atof(argv[4]));
	}
	fprintf(stderr, "usage: dtls_probe flood PORT N | bench PORT SLOTS SECONDS IDENTITY KEYHEX\n");
	return 2;
}
