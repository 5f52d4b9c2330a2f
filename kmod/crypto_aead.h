/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per packet: the codec's AEAD operations over the kernel crypto API, and
 * the per-CPU scratch space the packet path works in: the message being
 * built, the codec's state and the crypto request, so that no packet
 * allocates.  The transforms' lifecycle is crypto.c's.
 */
#ifndef COAPSEC_CRYPTO_AEAD_H
#define COAPSEC_CRYPTO_AEAD_H

#include <crypto/aead.h>
#include <linux/scatterlist.h>

#include "codec/oscore.h"
#include "exchange.h"

struct coapsec_context;
struct coapsec_recipient;

/* Longest CoAP message handled; longer ones are counted and dropped. */
#define COAPSEC_MAX_MSG		4096
/*
 * Room for the crypto API's request context behind struct aead_request;
 * checked when a key is installed.  rfc7539(chacha20,poly1305) needs
 * more than 512 bytes.
 */
#define COAPSEC_AEAD_REQ_ROOM	2048

struct coapsec_scratch {
	/* A ciphertext kept aside for a second try (receive.c). */
	u8 in[COAPSEC_MAX_MSG];
	u8 out[COAPSEC_MAX_MSG + OSCORE_MAX_OVERHEAD];
	struct coap_msg msg;
	struct oscore_rx rx;
	struct oscore_aead_req req;
	struct oscore_layout layout;	/* protect's (send.c) */
	struct coapsec_exchange ex;	/* the entry a message records */
	struct oscore_ctx octx;
	struct scatterlist sg[2];
	u8 iv[16];
	u8 areq[sizeof(struct aead_request) + COAPSEC_AEAD_REQ_ROOM]
		__aligned(CRYPTO_MINALIGN);
};

int coapsec_cipher_init(void);
void coapsec_cipher_exit(void);

/* This CPU's scratch space; with BHs disabled only. */
struct coapsec_scratch *coapsec_scratch(void);

/*
 * Fills the codec's view of @ctx in @octx, with @rcp (may be NULL for a
 * sender-only use) as the recipient.
 */
void coapsec_oscore_ctx_build(struct oscore_ctx *octx,
			      struct coapsec_context *ctx,
			      struct coapsec_recipient *rcp);

/*
 * The codec's view of @ctx with @rcp (NULL: its first, or none): the one
 * built with the context where it fits, else one built in @scratch.
 */
const struct oscore_ctx *coapsec_oscore_ctx(struct oscore_ctx *scratch,
					    struct coapsec_context *ctx,
					    struct coapsec_recipient *rcp);

#endif /* COAPSEC_CRYPTO_AEAD_H */
