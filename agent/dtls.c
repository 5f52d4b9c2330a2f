// SPDX-License-Identifier: GPL-2.0
/*
 * DTLS-PSK sessions on mbedTLS 2.28: the server's bounded peer table with
 * stateless cookies, and the client's reconnecting session.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cookie.h>
#include <mbedtls/timing.h>

#include "agent/dtls.h"
#include "agent/log.h"

static const int psk_suites[] = { MBEDTLS_TLS_PSK_WITH_AES_128_CCM_8, 0 };

enum peer_state { PEER_FREE, PEER_HANDSHAKE, PEER_OPEN, PEER_DOWN };

struct dtls_peer {
	mbedtls_ssl_context ssl;
	mbedtls_timing_delay_context timer;
	struct dtls_server *srv;	/* NULL for a client */
	struct sockaddr_storage addr;
	socklen_t alen;
	enum peer_state state;
	uint32_t gen;
	uint64_t started, last;
	const uint8_t *pend;		/* the datagram being fed (server) */
	size_t pend_len;
	char identity[CFG_MAX_ID_LEN];
	char name[80];
	void *app;
	const struct dtls_ops *ops;
	void *arg;
	struct dtls_peer *hnext;	/* hash chain (server) */
	struct dtls_peer *prev, *next;	/* active list, or free list */

	/* client only */
	int fd;
	mbedtls_ssl_config *conf;
	struct psk_cred cred;
	struct cfg_addr upstream;
	unsigned int hs_timeout_ms;
	uint64_t retry_at;
	unsigned int backoff_ms;
	struct dtls_stats stats;
};

struct dtls_server {
	int fd;
	mbedtls_ssl_config conf;
	mbedtls_ssl_cookie_ctx cookie;
	const struct dtls_ops *ops;
	void *arg;
	unsigned int max_peers, hs_timeout_ms, idle_timeout_s;
	struct dtls_peer **buckets;
	size_t nbuckets;
	struct dtls_peer *active;
	struct dtls_peer *free;
	struct dtls_peer *current;	/* the peer being driven (psk callback) */
	uint64_t now;
	struct dtls_stats stats;
};

uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static const char *mbed_err(int rc)
{
	static char b[128];

	mbedtls_strerror(rc, b, sizeof(b));
	return b;
}

static void addr_name(const struct sockaddr_storage *ss, char *out, size_t n)
{
	char h[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, h, sizeof(h));
		snprintf(out, n, "[%s]:%u", h, ntohs(a->sin6_port));
	} else {
		const struct sockaddr_in *a = (const void *)ss;

		inet_ntop(AF_INET, &a->sin_addr, h, sizeof(h));
		snprintf(out, n, "%s:%u", h, ntohs(a->sin_port));
	}
}

/* The bytes that identify a peer: address and port. */
static size_t addr_key(const struct sockaddr_storage *ss, uint8_t key[18])
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;

		memcpy(key, &a->sin6_addr, 16);
		memcpy(key + 16, &a->sin6_port, 2);
		return 18;
	}
	const struct sockaddr_in *a = (const void *)ss;

	memcpy(key, &a->sin_addr, 4);
	memcpy(key + 4, &a->sin_port, 2);
	return 6;
}

static size_t addr_hash(const struct dtls_server *s,
			const struct sockaddr_storage *ss)
{
	uint8_t k[18];
	size_t n = addr_key(ss, k);
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ k[i]) * 16777619u;
	return h & (s->nbuckets - 1);
}

static bool addr_eq(const struct sockaddr_storage *a,
		    const struct sockaddr_storage *b)
{
	uint8_t ka[18], kb[18];
	size_t na, nb;

	if (a->ss_family != b->ss_family)
		return false;
	na = addr_key(a, ka);
	nb = addr_key(b, kb);
	return na == nb && !memcmp(ka, kb, na);
}

/* ------------------------------------------------------------ server */

static int srv_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct dtls_peer *p = ctx;
	ssize_t r = sendto(p->srv->fd, buf, len, 0,
			   (struct sockaddr *)&p->addr, p->alen);

	if (r < 0)
		return (errno == EAGAIN || errno == EINTR) ?
			MBEDTLS_ERR_SSL_WANT_WRITE : MBEDTLS_ERR_NET_SEND_FAILED;
	return (int)r;
}

static int srv_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct dtls_peer *p = ctx;
	size_t n;

	if (!p->pend)
		return MBEDTLS_ERR_SSL_WANT_READ;
	n = p->pend_len < len ? p->pend_len : len;
	memcpy(buf, p->pend, n);
	p->pend = NULL;
	return (int)n;
}

static int psk_cb(void *arg, mbedtls_ssl_context *ssl,
		  const unsigned char *id, size_t n)
{
	struct dtls_server *s = arg;
	struct dtls_peer *p = s->current;
	const struct psk_cred *c = NULL;

	if (!p || n >= sizeof(p->identity) || memchr(id, 0, n))
		goto unknown;
	memcpy(p->identity, id, n);
	p->identity[n] = 0;
	c = s->ops->psk(s->arg, p->identity);
	if (c)
		return mbedtls_ssl_set_hs_psk(ssl, c->key, c->key_len);
unknown:
	s->stats.unknown_identity++;
	log_warn("dtls: %s: unknown PSK identity \"%s\"", p ? p->name : "?",
		 p ? log_safe(p->identity) : "");
	return -1;
}

static void unhash(struct dtls_server *s, struct dtls_peer *p)
{
	struct dtls_peer **pp = &s->buckets[addr_hash(s, &p->addr)];

	while (*pp && *pp != p)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = p->hnext;
	p->hnext = NULL;
}

static void release(struct dtls_server *s, struct dtls_peer *p, bool notify)
{
	if (p->state == PEER_FREE)
		return;
	if (notify && p->state == PEER_OPEN && s->ops->closed)
		s->ops->closed(s->arg, p);
	unhash(s, p);
	if (p->prev)
		p->prev->next = p->next;
	else
		s->active = p->next;
	if (p->next)
		p->next->prev = p->prev;
	p->state = PEER_FREE;
	p->pend = NULL;
	p->app = NULL;
	p->identity[0] = 0;
	p->next = s->free;
	p->prev = NULL;
	s->free = p;
	s->stats.peers--;
}

static struct dtls_peer *acquire(struct dtls_server *s,
				 const struct sockaddr_storage *ss,
				 socklen_t alen)
{
	struct dtls_peer *p = s->free;
	uint8_t key[18];
	size_t h;
	int rc;

	if (p) {
		s->free = p->next;
		rc = mbedtls_ssl_session_reset(&p->ssl);
	} else {
		p = calloc(1, sizeof(*p));
		if (!p)
			return NULL;
		p->srv = s;
		p->fd = -1;
		mbedtls_ssl_init(&p->ssl);
		rc = mbedtls_ssl_setup(&p->ssl, &s->conf);
		if (!rc) {
			mbedtls_ssl_set_timer_cb(&p->ssl, &p->timer,
						 mbedtls_timing_set_delay,
						 mbedtls_timing_get_delay);
			mbedtls_ssl_set_bio(&p->ssl, p, srv_send, srv_recv,
					    NULL);
		}
		s->stats.contexts++;
	}
	if (!rc)
		rc = mbedtls_ssl_set_client_transport_id(&p->ssl, key,
							 addr_key(ss, key));
	if (rc) {
		log_err("dtls: session setup: %s", mbed_err(rc));
		mbedtls_ssl_free(&p->ssl);
		free(p);
		s->stats.contexts--;
		return NULL;
	}
	memcpy(&p->addr, ss, alen);
	p->alen = alen;
	p->state = PEER_HANDSHAKE;
	p->gen++;
	p->started = p->last = s->now;
	p->ops = s->ops;
	p->arg = s->arg;
	addr_name(ss, p->name, sizeof(p->name));
	h = addr_hash(s, ss);
	p->hnext = s->buckets[h];
	s->buckets[h] = p;
	p->prev = NULL;
	p->next = s->active;
	if (s->active)
		s->active->prev = p;
	s->active = p;
	s->stats.peers++;
	return p;
}

static struct dtls_peer *lookup(struct dtls_server *s,
				const struct sockaddr_storage *ss)
{
	struct dtls_peer *p = s->buckets[addr_hash(s, ss)];

	while (p && !addr_eq(&p->addr, ss))
		p = p->hnext;
	return p;
}

static void hs_failed(struct dtls_stats *st, struct dtls_peer *p, int rc)
{
	st->hs_failed++;
	if (rc == MBEDTLS_ERR_SSL_INVALID_MAC ||
	    rc == MBEDTLS_ERR_SSL_BAD_HS_FINISHED) {
		st->auth_failed++;
		log_warn("dtls: %s: handshake failed for identity \"%s\": wrong key (%s)",
			 p->name, log_safe(p->identity), mbed_err(rc));
	} else if (rc == MBEDTLS_ERR_SSL_UNKNOWN_IDENTITY) {
		/* counted and logged by the psk callback */
	} else {
		log_warn("dtls: %s: handshake failed%s%s%s: %s", p->name,
			 p->identity[0] ? " for identity \"" : "",
			 log_safe(p->identity), p->identity[0] ? "\"" : "",
			 mbed_err(rc));
	}
}

/* Runs the session as far as the input allows; may release it. */
static void srv_drive(struct dtls_server *s, struct dtls_peer *p)
{
	uint8_t buf[2048];
	size_t used = 0;
	int rc;

	s->current = p;
	if (p->state == PEER_HANDSHAKE) {
		rc = mbedtls_ssl_handshake(&p->ssl);
		if (rc == MBEDTLS_ERR_SSL_WANT_READ ||
		    rc == MBEDTLS_ERR_SSL_WANT_WRITE)
			goto out;
		if (rc == MBEDTLS_ERR_SSL_HELLO_VERIFY_REQUIRED) {
			/* Stateless until the client proves its address. */
			s->stats.hello_verify++;
			release(s, p, false);
			goto out;
		}
		if (rc) {
			hs_failed(&s->stats, p, rc);
			release(s, p, false);
			goto out;
		}
		p->state = PEER_OPEN;
		s->stats.handshakes++;
		log_debug("dtls: %s: session up, identity \"%s\"", p->name,
			  log_safe(p->identity));
		if (s->ops->established)
			s->ops->established(s->arg, p);
		if (p->state != PEER_OPEN)
			goto out;
	}
	for (;;) {
		rc = mbedtls_ssl_read(&p->ssl, buf, sizeof(buf));
		if (rc == MBEDTLS_ERR_SSL_WANT_READ ||
		    rc == MBEDTLS_ERR_SSL_WANT_WRITE)
			break;
		if (rc == MBEDTLS_ERR_SSL_CLIENT_RECONNECT) {
			/* Same address, new handshake: the old session ends. */
			if (s->ops->closed)
				s->ops->closed(s->arg, p);
			p->app = NULL;
			p->state = PEER_HANDSHAKE;
			p->started = s->now;
			p->gen++;
			srv_drive(s, p);
			return;
		}
		if (rc <= 0) {
			if (rc != MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY && rc != 0)
				log_debug("dtls: %s: read: %s", p->name,
					  mbed_err(rc));
			release(s, p, true);
			break;
		}
		s->stats.records_in++;
		if ((size_t)rc > used)
			used = (size_t)rc;
		s->ops->record(s->arg, p, buf, (size_t)rc);
		if (p->state != PEER_OPEN)
			break;
	}
out:
	mbedtls_platform_zeroize(buf, used);
	s->current = NULL;
}

/* A first datagram from an unknown address must be a ClientHello. */
static bool is_client_hello(const uint8_t *b, size_t n)
{
	/* record: type 22, version 254.x, epoch 0; handshake type 1 */
	return n >= 13 + 12 && b[0] == 22 && b[1] == 254 && b[3] == 0 &&
	       b[4] == 0 && b[13] == 1;
}

void dtls_server_input(struct dtls_server *s)
{
	static uint8_t rbuf[4096];

	s->now = now_ms();
	for (int budget = 256; budget > 0; budget--) {
		struct sockaddr_storage ss;
		socklen_t alen = sizeof(ss);
		struct dtls_peer *p;
		ssize_t n = recvfrom(s->fd, rbuf, sizeof(rbuf), MSG_DONTWAIT,
				     (struct sockaddr *)&ss, &alen);

		if (n < 0)
			break;
		p = lookup(s, &ss);
		if (!p) {
			if (!is_client_hello(rbuf, (size_t)n)) {
				s->stats.dropped_not_hello++;
				continue;
			}
			if (s->stats.peers >= s->max_peers) {
				s->stats.dropped_full++;
				continue;
			}
			p = acquire(s, &ss, alen);
			if (!p)
				continue;
		}
		p->pend = rbuf;
		p->pend_len = (size_t)n;
		p->last = s->now;
		srv_drive(s, p);
		if (p->state != PEER_FREE)
			p->pend = NULL;
	}
}

void dtls_server_tick(struct dtls_server *s, uint64_t now)
{
	struct dtls_peer *p, *next;

	s->now = now;
	for (p = s->active; p; p = next) {
		next = p->next;
		if (p->state == PEER_HANDSHAKE) {
			if (now - p->started > s->hs_timeout_ms) {
				s->stats.hs_timeouts++;
				log_debug("dtls: %s: handshake timed out", p->name);
				release(s, p, false);
			} else if (mbedtls_timing_get_delay(&p->timer) == 2) {
				srv_drive(s, p);
			}
		} else if (p->state == PEER_OPEN &&
			   now - p->last > 1000ull * s->idle_timeout_s) {
			s->stats.idle_closed++;
			mbedtls_ssl_close_notify(&p->ssl);
			release(s, p, true);
		}
	}
}

static int bind_udp(const struct cfg_addr *a, bool do_bind, char *err,
		    size_t errlen)
{
	int fd = socket(a->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1, sz = 4 << 20;

	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/*
	 * Only a listener may share its port: on a client socket SO_REUSEADDR
	 * lets the kernel hand two sockets the same ephemeral port, and two
	 * sessions the same 4-tuple.
	 */
	if (do_bind)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (do_bind ? bind(fd, (const struct sockaddr *)&a->ss, a->len) :
		      connect(fd, (const struct sockaddr *)&a->ss, a->len)) {
		snprintf(err, errlen, "%s %s: %s", do_bind ? "bind" : "connect",
			 a->text, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void conf_common(mbedtls_ssl_config *conf, int endpoint,
			mbedtls_ctr_drbg_context *drbg, unsigned int hs_timeout_ms)
{
	mbedtls_ssl_config_init(conf);
	mbedtls_ssl_config_defaults(conf, endpoint, MBEDTLS_SSL_TRANSPORT_DATAGRAM,
				    MBEDTLS_SSL_PRESET_DEFAULT);
	mbedtls_ssl_conf_rng(conf, mbedtls_ctr_drbg_random, drbg);
	mbedtls_ssl_conf_ciphersuites(conf, psk_suites);
	/* Retransmission timer doubles from 1 s up to the handshake timeout. */
	mbedtls_ssl_conf_handshake_timeout(conf, 1000,
					   hs_timeout_ms > 1000 ? hs_timeout_ms : 1000);
}

struct dtls_server *dtls_server_new(const struct cfg_addr *listen,
				    unsigned int max_peers,
				    unsigned int hs_timeout_ms,
				    unsigned int idle_timeout_s,
				    mbedtls_ctr_drbg_context *drbg,
				    const struct dtls_ops *ops, void *arg,
				    char *err, size_t errlen)
{
	struct dtls_server *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return NULL;
	s->ops = ops;
	s->arg = arg;
	s->max_peers = max_peers;
	s->hs_timeout_ms = hs_timeout_ms;
	s->idle_timeout_s = idle_timeout_s;
	for (s->nbuckets = 64; s->nbuckets < 2 * max_peers; s->nbuckets *= 2)
		;
	s->buckets = calloc(s->nbuckets, sizeof(*s->buckets));
	s->fd = bind_udp(listen, true, err, errlen);
	if (!s->buckets || s->fd < 0) {
		free(s->buckets);
		free(s);
		return NULL;
	}
	conf_common(&s->conf, MBEDTLS_SSL_IS_SERVER, drbg, hs_timeout_ms);
	mbedtls_ssl_conf_psk_cb(&s->conf, psk_cb, s);
	mbedtls_ssl_cookie_init(&s->cookie);
	rc = mbedtls_ssl_cookie_setup(&s->cookie, mbedtls_ctr_drbg_random, drbg);
	if (rc) {
		snprintf(err, errlen, "cookie setup: %s", mbed_err(rc));
		dtls_server_free(s);
		return NULL;
	}
	mbedtls_ssl_conf_dtls_cookies(&s->conf, mbedtls_ssl_cookie_write,
				      mbedtls_ssl_cookie_check, &s->cookie);
	return s;
}

void dtls_server_free(struct dtls_server *s)
{
	struct dtls_peer *p, *next;

	if (!s)
		return;
	while (s->active)
		release(s, s->active, true);
	for (p = s->free; p; p = next) {
		next = p->next;
		mbedtls_ssl_free(&p->ssl);
		free(p);
	}
	mbedtls_ssl_cookie_free(&s->cookie);
	mbedtls_ssl_config_free(&s->conf);
	if (s->fd >= 0)
		close(s->fd);
	free(s->buckets);
	free(s);
}

int dtls_server_fd(const struct dtls_server *s)
{
	return s->fd;
}

const struct dtls_stats *dtls_server_stats(const struct dtls_server *s)
{
	return &s->stats;
}

struct dtls_peer *dtls_server_find(struct dtls_server *s, const char *identity)
{
	for (struct dtls_peer *p = s->active; p; p = p->next)
		if (p->state == PEER_OPEN && !strcmp(p->identity, identity))
			return p;
	return NULL;
}

/* ------------------------------------------------------------ client */

static int cli_send(void *ctx, const unsigned char *b, size_t n)
{
	struct dtls_peer *c = ctx;
	ssize_t r = send(c->fd, b, n, 0);

	if (r < 0)
		return (errno == EAGAIN || errno == EINTR) ?
			MBEDTLS_ERR_SSL_WANT_WRITE : MBEDTLS_ERR_NET_SEND_FAILED;
	return (int)r;
}

static int cli_recv(void *ctx, unsigned char *b, size_t n)
{
	struct dtls_peer *c = ctx;
	ssize_t r = recv(c->fd, b, n, MSG_DONTWAIT);

	if (r < 0)
		/* ICMP port unreachable: the server is not up yet; retry. */
		return (errno == EAGAIN || errno == EINTR || errno == ECONNREFUSED) ?
			MBEDTLS_ERR_SSL_WANT_READ : MBEDTLS_ERR_NET_RECV_FAILED;
	return (int)r;
}

static void cli_down(struct dtls_peer *c, uint64_t now)
{
	if (c->state == PEER_OPEN && c->ops->closed)
		c->ops->closed(c->arg, c);
	c->state = PEER_DOWN;
	c->app = NULL;
	c->retry_at = now + c->backoff_ms;
	c->backoff_ms = c->backoff_ms * 2 > 30000 ? 30000 : c->backoff_ms * 2;
}

static int bind_udp(const struct cfg_addr *a, bool do_bind, char *err,
		    size_t errlen);

static void cli_start(struct dtls_peer *c, uint64_t now)
{
	char err[128];
	int rc, fd;

	/*
	 * Every attempt after the first from a fresh source port: the server
	 * may still hold the old session for the old address, and the new
	 * handshake then goes through the ordinary stateless cookie path.
	 */
	if (c->gen) {
		fd = bind_udp(&c->upstream, false, err, sizeof(err));
		if (fd >= 0) {
			close(c->fd);
			c->fd = fd;
		}
	}
	rc = mbedtls_ssl_session_reset(&c->ssl);

	if (rc) {
		log_err("dtls: %s: reset: %s", c->name, mbed_err(rc));
		cli_down(c, now);
		return;
	}
	c->state = PEER_HANDSHAKE;
	c->started = c->last = now;
	c->gen++;
}

static void cli_drive(struct dtls_peer *c)
{
	uint8_t buf[2048];
	uint64_t now = now_ms();
	int rc;

	if (c->state == PEER_HANDSHAKE) {
		rc = mbedtls_ssl_handshake(&c->ssl);
		if (rc == MBEDTLS_ERR_SSL_WANT_READ ||
		    rc == MBEDTLS_ERR_SSL_WANT_WRITE)
			return;
		if (rc) {
			hs_failed(&c->stats, c, rc);
			cli_down(c, now);
			return;
		}
		c->state = PEER_OPEN;
		c->stats.handshakes++;
		c->backoff_ms = 500;
		log_info("dtls: %s: session up as \"%s\"", c->name,
			 log_safe(c->identity));
		if (c->ops->established)
			c->ops->established(c->arg, c);
	}
	while (c->state == PEER_OPEN) {
		rc = mbedtls_ssl_read(&c->ssl, buf, sizeof(buf));
		if (rc == MBEDTLS_ERR_SSL_WANT_READ ||
		    rc == MBEDTLS_ERR_SSL_WANT_WRITE)
			break;
		if (rc <= 0) {
			log_info("dtls: %s: session closed: %s", c->name,
				 rc ? mbed_err(rc) : "close_notify");
			cli_down(c, now);
			break;
		}
		c->last = now;
		c->stats.records_in++;
		c->ops->record(c->arg, c, buf, (size_t)rc);
	}
	mbedtls_platform_zeroize(buf, sizeof(buf));
}

struct dtls_peer *dtls_client_new(const struct cfg_addr *addr,
				  const struct psk_cred *cred,
				  unsigned int hs_timeout_ms,
				  mbedtls_ctr_drbg_context *drbg,
				  const struct dtls_ops *ops, void *arg,
				  char *err, size_t errlen)
{
	struct dtls_peer *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return NULL;
	c->conf = calloc(1, sizeof(*c->conf));
	c->fd = c->conf ? bind_udp(addr, false, err, errlen) : -1;
	if (c->fd < 0) {
		free(c->conf);
		free(c);
		return NULL;
	}
	c->ops = ops;
	c->arg = arg;
	c->cred = *cred;
	c->hs_timeout_ms = hs_timeout_ms;
	c->backoff_ms = 500;
	memcpy(&c->addr, &addr->ss, addr->len);
	c->alen = addr->len;
	c->upstream = *addr;
	snprintf(c->name, sizeof(c->name), "%s", addr->text);
	snprintf(c->identity, sizeof(c->identity), "%s", cred->identity);
	conf_common(c->conf, MBEDTLS_SSL_IS_CLIENT, drbg, hs_timeout_ms);
	rc = mbedtls_ssl_conf_psk(c->conf, c->cred.key, c->cred.key_len,
				  (const uint8_t *)c->cred.identity,
				  strlen(c->cred.identity));
	mbedtls_ssl_init(&c->ssl);
	if (!rc)
		rc = mbedtls_ssl_setup(&c->ssl, c->conf);
	if (rc) {
		snprintf(err, errlen, "client setup: %s", mbed_err(rc));
		dtls_client_free(c);
		return NULL;
	}
	mbedtls_ssl_set_timer_cb(&c->ssl, &c->timer, mbedtls_timing_set_delay,
				 mbedtls_timing_get_delay);
	mbedtls_ssl_set_bio(&c->ssl, c, cli_send, cli_recv, NULL);
	/* The first tick starts the handshake, once the caller holds @c. */
	c->state = PEER_DOWN;
	c->retry_at = 0;
	return c;
}

void dtls_client_free(struct dtls_peer *c)
{
	if (!c)
		return;
	if (c->state == PEER_OPEN)
		mbedtls_ssl_close_notify(&c->ssl);
	mbedtls_ssl_free(&c->ssl);
	if (c->conf)
		mbedtls_ssl_config_free(c->conf);
	free(c->conf);
	mbedtls_platform_zeroize(&c->cred, sizeof(c->cred));
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

int dtls_client_fd(const struct dtls_peer *c)
{
	return c->fd;
}

void dtls_client_input(struct dtls_peer *c)
{
	if (c->state == PEER_HANDSHAKE || c->state == PEER_OPEN) {
		cli_drive(c);
	} else {
		uint8_t junk[64];

		while (recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT) >= 0)
			;
	}
}

void dtls_client_tick(struct dtls_peer *c, uint64_t now)
{
	if (c->state == PEER_DOWN && now >= c->retry_at) {
		cli_start(c, now);
		cli_drive(c);
	} else if (c->state == PEER_HANDSHAKE) {
		if (now - c->started > c->hs_timeout_ms) {
			c->stats.hs_timeouts++;
			log_warn("dtls: %s: handshake timed out", c->name);
			cli_down(c, now);
		} else if (mbedtls_timing_get_delay(&c->timer) == 2) {
			cli_drive(c);
		}
	}
}

void dtls_client_restart(struct dtls_peer *c)
{
	if (c->state == PEER_OPEN) {
		mbedtls_ssl_close_notify(&c->ssl);
		if (c->ops->closed)
			c->ops->closed(c->arg, c);
	}
	c->state = PEER_DOWN;
	c->app = NULL;
	cli_start(c, now_ms());
	cli_drive(c);
}

const struct dtls_stats *dtls_client_stats(const struct dtls_peer *c)
{
	return &c->stats;
}

/* ------------------------------------------------------------ both */

int dtls_peer_send(struct dtls_peer *p, const uint8_t *buf, size_t len)
{
	int rc;

	if (p->state != PEER_OPEN)
		return -1;
	rc = mbedtls_ssl_write(&p->ssl, buf, len);
	if (rc < 0 || (size_t)rc != len) {
		log_warn("dtls: %s: write: %s", p->name, rc < 0 ? mbed_err(rc) : "short");
		return -1;
	}
	if (p->srv)
		p->srv->stats.records_out++;
	else
		p->stats.records_out++;
	return 0;
}

bool dtls_peer_up(const struct dtls_peer *p)
{
	return p->state == PEER_OPEN;
}

const char *dtls_peer_identity(const struct dtls_peer *p)
{
	return p->identity;
}

const char *dtls_peer_name(const struct dtls_peer *p)
{
	return p->name;
}

uint32_t dtls_peer_gen(const struct dtls_peer *p)
{
	return p->gen;
}

void *dtls_peer_app(const struct dtls_peer *p)
{
	return p->app;
}

void dtls_peer_set_app(struct dtls_peer *p, void *app)
{
	p->app = app;
}

void dtls_peer_close(struct dtls_peer *p)
{
	if (!p->srv || p->state == PEER_FREE)
		return;
	if (p->state == PEER_OPEN)
		mbedtls_ssl_close_notify(&p->ssl);
	release(p->srv, p, true);
}
