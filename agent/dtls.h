/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DTLS 1.2 PSK (RFC 7925 profile: TLS_PSK_WITH_AES_128_CCM_8) on mbedTLS,
 * non-blocking, driven by the agent's event loop.
 *
 * Server: one UDP socket; sessions demultiplexed by peer address in a
 * bounded table.  A datagram from an unknown address is considered only
 * if it is a ClientHello, and runs through a pooled context that answers
 * with a HelloVerifyRequest cookie and is released at once: a flood of
 * spoofed ClientHellos leaves no per-peer state.  Handshakes have an
 * absolute deadline, sessions an idle timeout.
 *
 * Client: one connected UDP socket per upstream, reconnecting with
 * backoff.  Both ends are a struct dtls_peer to the layers above.
 */
#ifndef COAPSECD_DTLS_H
#define COAPSECD_DTLS_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include <mbedtls/ctr_drbg.h>

#include "agent/config.h"

struct dtls_peer;
struct dtls_server;

struct dtls_ops {
	/* The credential for @identity, or NULL: unknown (server only). */
	const struct psk_cred *(*psk)(void *arg, const char *identity);
	void (*established)(void *arg, struct dtls_peer *p);
	/* One decrypted record; @buf is writable and valid for the call. */
	void (*record)(void *arg, struct dtls_peer *p, uint8_t *buf, size_t len);
	/* Before the peer's state goes (close, timeout, failure). */
	void (*closed)(void *arg, struct dtls_peer *p);
};

struct dtls_stats {
	uint64_t handshakes;		/* completed */
	uint64_t hs_failed;		/* failed after the cookie exchange */
	uint64_t unknown_identity;
	uint64_t auth_failed;		/* wrong key: Finished did not verify */
	uint64_t hello_verify;		/* cookies sent */
	uint64_t dropped_not_hello;	/* unknown address, not a ClientHello */
	uint64_t dropped_full;		/* peer table full */
	uint64_t hs_timeouts;
	uint64_t idle_closed;
	uint64_t records_in, records_out;
	unsigned int peers;		/* current per-peer state */
	unsigned int contexts;		/* allocated mbedTLS contexts (pool) */
};

struct dtls_server *dtls_server_new(const struct cfg_addr *listen,
				    unsigned int max_peers,
				    unsigned int hs_timeout_ms,
				    unsigned int idle_timeout_s,
				    mbedtls_ctr_drbg_context *drbg,
				    const struct dtls_ops *ops, void *arg,
				    char *err, size_t errlen);
void dtls_server_free(struct dtls_server *s);
int dtls_server_fd(const struct dtls_server *s);
/* The socket is readable: drain it. */
void dtls_server_input(struct dtls_server *s);
/* Retransmissions and timeouts, due at dtls_server_next() or later. */
void dtls_server_tick(struct dtls_server *s, uint64_t now_ms);
/* When the next timer is due (now_ms() time), UINT64_MAX: none. */
uint64_t dtls_server_next(const struct dtls_server *s);
const struct dtls_stats *dtls_server_stats(const struct dtls_server *s);
/* The established session whose PSK identity is @identity, or NULL. */
struct dtls_peer *dtls_server_find(struct dtls_server *s, const char *identity);

/* A client session to @addr; connects at once and again after failures. */
struct dtls_peer *dtls_client_new(const struct cfg_addr *addr,
				  const struct psk_cred *cred,
				  unsigned int hs_timeout_ms,
				  mbedtls_ctr_drbg_context *drbg,
				  const struct dtls_ops *ops, void *arg,
				  char *err, size_t errlen);
void dtls_client_free(struct dtls_peer *c);
/* Changes when a new attempt starts from a fresh source port. */
int dtls_client_fd(const struct dtls_peer *c);
void dtls_client_input(struct dtls_peer *c);
void dtls_client_tick(struct dtls_peer *c, uint64_t now_ms);
/* When the next timer is due, UINT64_MAX: none. */
uint64_t dtls_client_next(const struct dtls_peer *c);
const struct dtls_stats *dtls_client_stats(const struct dtls_peer *c);
/* Sends close_notify and starts over (a new handshake, fresh keys). */
void dtls_client_restart(struct dtls_peer *c);
/*
 * Further addresses of the same peer (instances sharing its state): a
 * failed or timed-out handshake, a session that closes and a restart
 * move on to the next address, round robin.
 */
void dtls_client_set_fallbacks(struct dtls_peer *c,
			       const struct cfg_addr *alt, size_t n);

/* One application record.  0 or -1. */
int dtls_peer_send(struct dtls_peer *p, const uint8_t *buf, size_t len);
bool dtls_peer_up(const struct dtls_peer *p);
/* The PSK identity of an established session. */
const char *dtls_peer_identity(const struct dtls_peer *p);
/* "ADDRESS:PORT", for logs. */
const char *dtls_peer_name(const struct dtls_peer *p);
/* Bumped each time the slot is reused: a stale handle's gen differs. */
uint32_t dtls_peer_gen(const struct dtls_peer *p);
void *dtls_peer_app(const struct dtls_peer *p);
void dtls_peer_set_app(struct dtls_peer *p, void *app);
/* Ends a server session now (no effect on a client's). */
void dtls_peer_close(struct dtls_peer *p);

#endif /* COAPSECD_DTLS_H */
