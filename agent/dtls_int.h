/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What dtls.c, dtls_server.c and dtls_client.c share: the session and
 * server state, and helpers.  Not for the layers above (dtls.h).
 */
#ifndef COAPSECD_DTLS_INT_H
#define COAPSECD_DTLS_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cookie.h>
#include <mbedtls/timing.h>

#include "agent/dtls.h"

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
	uint64_t timer_at;		/* retransmission timer fires, 0: off */
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
	struct cfg_addr upstream;	/* the address in use */
	struct cfg_addr addrs[1 + CFG_MAX_FALLBACK];
	size_t n_addrs, cur;		/* tried in turn */
	unsigned int hs_timeout_ms;
	uint64_t retry_at;
	struct backoff backoff;		/* reconnect attempts */
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

/* mbedTLS's text for @rc (a static buffer). */
const char *dtls_mbed_err(int rc);
/* Counts and logs a failed handshake (wrong key, unknown identity...). */
void dtls_hs_failed(struct dtls_stats *st, struct dtls_peer *p, int rc);
/* A non-blocking UDP socket for @a: bound (server) or connected. */
int dtls_bind_udp(const struct cfg_addr *a, bool do_bind, char *err,
		  size_t errlen);
/* The PSK-only DTLS 1.2 configuration both ends use. */
void dtls_conf_common(mbedtls_ssl_config *conf, int endpoint,
		      mbedtls_ctr_drbg_context *drbg, unsigned int hs_timeout_ms);

/* mbedtls_timing_set_delay() that also notes when the timer fires. */
void dtls_timer_set(void *data, uint32_t int_ms, uint32_t fin_ms);

static inline uint64_t dtls_min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

#endif /* COAPSECD_DTLS_INT_H */
