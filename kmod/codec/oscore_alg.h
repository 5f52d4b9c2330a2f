/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The AEAD algorithms OSCORE contexts may use (RFC 8613 §3.2, COSE ids),
 * with the sizes every part of coapsec needs to agree on.
 */
#ifndef COAPSEC_OSCORE_ALG_H
#define COAPSEC_OSCORE_ALG_H

#include "compat.h"

enum oscore_cose_alg {
	OSCORE_ALG_A128GCM = 1,
	OSCORE_ALG_A256GCM = 3,
	OSCORE_ALG_AES_CCM_16_64_128 = 10,
	OSCORE_ALG_CHACHA20_POLY1305 = 24,
};

#define OSCORE_MAX_KEY_LEN	32
#define OSCORE_MAX_NONCE_LEN	13
#define OSCORE_MAX_TAG_LEN	16

struct oscore_alg {
	int cose_id;
	const char *name;		/* COSE name */
	const char *crypto_name;	/* Linux crypto API name */
	u8 key_len;
	u8 nonce_len;
	u8 tag_len;
};

/* NULL when @cose_id is not an algorithm coapsec supports. */
const struct oscore_alg *oscore_alg_find(int cose_id);

/* The table, for listing (features query, CLI help). */
const struct oscore_alg *oscore_alg_at(unsigned int i);

#endif /* COAPSEC_OSCORE_ALG_H */
