/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The OSCORE codec's AEAD ops on mbedTLS, for userspace (CLI, agent,
 * tests): AES-CCM-16-64-128, A128GCM, A256GCM, ChaCha20/Poly1305.
 */
#ifndef COAPSEC_OSCORE_MBEDTLS_H
#define COAPSEC_OSCORE_MBEDTLS_H

#include <mbedtls/ccm.h>
#include <mbedtls/chachapoly.h>
#include <mbedtls/gcm.h>

#include "codec/oscore.h"

/* A key handle: what struct oscore_ctx's sender_key/recipient_key point to. */
struct oscore_mbedtls_key {
	const struct oscore_alg *alg;
	union {
		mbedtls_ccm_context ccm;
		mbedtls_gcm_context gcm;
		mbedtls_chachapoly_context chachapoly;
	} u;
};

extern const struct oscore_aead_ops oscore_mbedtls_ops;

/* 0, -EINVAL for a key of the wrong length or an unknown alg, -EIO. */
int oscore_mbedtls_key_init(struct oscore_mbedtls_key *k,
			    const struct oscore_alg *alg, const u8 *key,
			    size_t key_len);

/*
 * One AEAD operation in place on @len bytes of @buf, the tag after them
 * (as struct oscore_aead_req, for callers whose AAD is longer than the
 * request's: the group mode).  0, -EBADMSG (tag wrong), -EINVAL, -EIO.
 */
int oscore_mbedtls_aead(struct oscore_mbedtls_key *k, bool encrypt,
			const u8 *nonce, const u8 *aad, size_t aad_len,
			u8 *buf, size_t len);

/* Frees and wipes the expanded key. */
void oscore_mbedtls_key_free(struct oscore_mbedtls_key *k);

#endif /* COAPSEC_OSCORE_MBEDTLS_H */
