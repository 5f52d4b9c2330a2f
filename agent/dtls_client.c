// SPDX-License-Identifier: GPL-2.0
/*
 * The DTLS-PSK client: one session to the upstream peer that reconnects
 * with backoff, each attempt from a fresh source port (see dtls.h).
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

/* With fallbacks, the next attempt goes to the next address. */
static void cli_next_addr(struct dtls_peer *c)
{
	if (c->n_addrs < 2)
		return;
	c->cur = (c->cur + 1) % c->n_addrs;
	c->upstream = c->addrs[c->cur];
	memcpy(&c->addr, &c->upstream.ss, c->upstream.len);
	c->alen = c->upstream.len;
	log_warn("dtls: %s: trying %s next", c->name, c->upstream.text);
	snprintf(c->name, sizeof(c->name), "%s", c->upstream.text);
}

static void cli_down(struct dtls_peer *c, uint64_t now)
{
	if (c->state == PEER_OPEN && c->ops->closed)
		c->ops->closed(c->arg, c);
	c->state = PEER_DOWN;
	c->app = NULL;
	c->retry_at = now + backoff_next(&c->backoff);
	cli_next_addr(c);
}

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
		fd = dtls_bind_udp(&c->upstream, false, err, sizeof(err));
		if (fd >= 0) {
			close(c->fd);
			c->fd = fd;
		}
	}
	rc = mbedtls_ssl_session_reset(&c->ssl);

	if (rc) {
		log_err("dtls: %s: reset: %s", c->name, dtls_mbed_err(rc));
		cli_down(c, now);
		return;
	}
	c->state = PEER_HANDSHAKE;
	c->started = c->last = now;
	c->gen++;
}

static void cli_drive(struct dtls_peer *c)
{
	uint8_t buf[8192];
	uint64_t now = now_ms();
	int rc;

	if (c->state == PEER_HANDSHAKE) {
		rc = mbedtls_ssl_handshake(&c->ssl);
		if (rc == MBEDTLS_ERR_SSL_WANT_READ ||
		    rc == MBEDTLS_ERR_SSL_WANT_WRITE)
			return;
		if (rc) {
			dtls_hs_failed(&c->stats, c, rc);
			cli_down(c, now);
			return;
		}
		c->state = PEER_OPEN;
		c->stats.handshakes++;
		backoff_reset(&c->backoff);
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
				 rc ? dtls_mbed_err(rc) : "close_notify");
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
	c->fd = c->conf ? dtls_bind_udp(addr, false, err, errlen) : -1;
	if (c->fd < 0) {
		free(c->conf);
		free(c);
		return NULL;
	}
	c->ops = ops;
	c->arg = arg;
	c->cred = *cred;
	c->hs_timeout_ms = hs_timeout_ms;
	c->backoff = (struct backoff){ .first_ms = 500, .max_ms = 30000 };
	memcpy(&c->addr, &addr->ss, addr->len);
	c->alen = addr->len;
	c->upstream = *addr;
	snprintf(c->name, sizeof(c->name), "%s", addr->text);
	snprintf(c->identity, sizeof(c->identity), "%s", cred->identity);
	dtls_conf_common(c->conf, MBEDTLS_SSL_IS_CLIENT, drbg, hs_timeout_ms);
	rc = mbedtls_ssl_conf_psk(c->conf, c->cred.key, c->cred.key_len,
				  (const uint8_t *)c->cred.identity,
				  strlen(c->cred.identity));
	mbedtls_ssl_init(&c->ssl);
	if (!rc)
		rc = mbedtls_ssl_setup(&c->ssl, c->conf);
	if (rc) {
		snprintf(err, errlen, "client setup: %s", dtls_mbed_err(rc));
		dtls_client_free(c);
		return NULL;
	}
	mbedtls_ssl_set_timer_cb(&c->ssl, &c->timer, dtls_timer_set,
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

uint64_t dtls_client_next(const struct dtls_peer *c)
{
	if (c->state == PEER_DOWN)
		return c->retry_at;
	if (c->state != PEER_HANDSHAKE)
		return UINT64_MAX;
	return c->timer_at ? dtls_min(c->timer_at, c->started + c->hs_timeout_ms + 1) :
			     c->started + c->hs_timeout_ms + 1;
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
	cli_next_addr(c);
	cli_start(c, now_ms());
	cli_drive(c);
}

void dtls_client_set_fallbacks(struct dtls_peer *c,
			       const struct cfg_addr *alt, size_t n)
{
	if (n > CFG_MAX_FALLBACK)
		n = CFG_MAX_FALLBACK;
	c->addrs[0] = c->upstream;
	for (size_t i = 0; i < n; i++)
		c->addrs[1 + i] = alt[i];
	c->n_addrs = 1 + n;
	c->cur = 0;
}

const struct dtls_stats *dtls_client_stats(const struct dtls_peer *c)
{
	return &c->stats;
}
