/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * OSCORE key derivation (RFC 8613 §3.2.1) on mbedTLS HKDF-SHA-256:
 *
 *   info = [id, id_context / nil, alg_aead, "Key" / "IV", L]
 *   output = HKDF(Master Salt, Master Secret, info, L)
 *
 * Userspace only: the kernel receives the derived keys and never derives.
 */
#ifndef COAPSEC_OSCORE_DERIVE_H
#define COAPSEC_OSCORE_DERIVE_H

#include "codec/oscore.h"
#include "oscore_mbedtls.h"

/* Longest info array: 5 short items, a 7-byte id and a 255-byte context. */
#define OSCORE_INFO_MAX_LEN	(16 + OSCORE_MAX_ID_LEN + 2 + \
				 OSCORE_MAX_ID_CONTEXT_LEN)

/* The input of a derivation; salt and id_context may be absent (NULL). */
struct oscore_master {
	int alg;			/* COSE id */
	const u8 *secret;
	size_t secret_len;
	const u8 *salt;			/* NULL: empty */
	size_t salt_len;
	const u8 *id_context;		/* NULL: nil in the info array */
	size_t id_context_len;
	const u8 *sender_id;
	size_t sender_id_len;
	const u8 *recipient_id;
	size_t recipient_id_len;
};

struct oscore_keys {
	const struct oscore_alg *alg;
	u8 sender_key[OSCORE_MAX_KEY_LEN];
	u8 recipient_key[OSCORE_MAX_KEY_LEN];
	u8 common_iv[OSCORE_MAX_NONCE_LEN];
};

/*
 * The CBOR info array for @id ("Key", L = key length) or the Common IV
 * (@type "IV", @id empty, L = nonce length).  Its length or -CODEC_E*.
 */
int oscore_kdf_info(const u8 *id, size_t id_len, const u8 *id_context,
		    size_t id_context_len, int alg, const char *type,
		    size_t out_len, u8 *buf, size_t cap);

/* 0, -EINVAL (unknown alg, ID too long for the nonce), or -EIO. */
int oscore_derive(const struct oscore_master *m, struct oscore_keys *k);

/* Wipes derived keys. */
void oscore_keys_wipe(struct oscore_keys *k);

/*
 * A complete userspace security context: derived keys loaded into
 * mbedTLS and a struct oscore_ctx pointing at them, ready for
 * oscore_protect() / oscore_unprotect().
 */
struct oscore_sw_ctx {
	struct oscore_ctx ctx;
	struct oscore_mbedtls_key sender;
	struct oscore_mbedtls_key recipient;
	u8 id_context[OSCORE_MAX_ID_CONTEXT_LEN];
};

/* Derives and installs; @flags are OSCORE_CTX_*.  0 or negative errno. */
int oscore_sw_ctx_init(struct oscore_sw_ctx *c, const struct oscore_master *m,
		       unsigned int flags);

/* Frees and wipes. */
void oscore_sw_ctx_free(struct oscore_sw_ctx *c);

#endif /* COAPSEC_OSCORE_DERIVE_H */
