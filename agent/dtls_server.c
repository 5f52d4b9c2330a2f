// SPDX-License-Identifier: GPL-2.0
/*
 * The DTLS-PSK server: a bounded peer table with stateless cookies (see
 * dtls.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/ssl.h>

#include "agent/dtls_int.h"
#include "agent/log.h"

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
						 dtls_timer_set,
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
		log_err("dtls: session setup: %s", dtls_mbed_err(rc));
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

/* Runs the session as far as the input allows; may release it. */
static void srv_drive(struct dtls_server *s, struct dtls_peer *p)
{
	uint8_t buf[8192];
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
			dtls_hs_failed(&s->stats, p, rc);
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
					  dtls_mbed_err(rc));
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
	static uint8_t rbuf[8192];

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
	s->fd = dtls_bind_udp(listen, true, err, errlen);
	if (!s->buckets || s->fd < 0) {
		free(s->buckets);
		free(s);
		return NULL;
	}
	dtls_conf_common(&s->conf, MBEDTLS_SSL_IS_SERVER, drbg, hs_timeout_ms);
	mbedtls_ssl_conf_psk_cb(&s->conf, psk_cb, s);
	mbedtls_ssl_cookie_init(&s->cookie);
	rc = mbedtls_ssl_cookie_setup(&s->cookie, mbedtls_ctr_drbg_random, drbg);
	if (rc) {
		snprintf(err, errlen, "cookie setup: %s", dtls_mbed_err(rc));
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

uint64_t dtls_server_next(const struct dtls_server *s)
{
	uint64_t next = UINT64_MAX;

	for (const struct dtls_peer *p = s->active; p; p = p->next) {
		if (p->state == PEER_HANDSHAKE) {
			next = dtls_min(next, p->started + s->hs_timeout_ms + 1);
			if (p->timer_at)
				next = dtls_min(next, p->timer_at);
		} else if (p->state == PEER_OPEN) {
			next = dtls_min(next, p->last +
					1000ull * s->idle_timeout_s + 1);
		}
	}
	return next;
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

void dtls_peer_close(struct dtls_peer *p)
{
	if (!p->srv || p->state == PEER_FREE)
		return;
	if (p->state == PEER_OPEN)
		mbedtls_ssl_close_notify(&p->ssl);
	release(p->srv, p, true);
}
