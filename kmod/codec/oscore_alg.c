// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * OSCORE's nonce is as long as the AEAD's, at least 7 bytes (RFC 8613
 * §5.2); the tag lengths are COSE's (RFC 8152 §10, RFC 8439).
 */
#include "oscore_alg.h"

static const struct oscore_alg oscore_algs[] = {
	{ OSCORE_ALG_AES_CCM_16_64_128, "AES-CCM-16-64-128", "ccm(aes)", 16, 13, 8 },
	{ OSCORE_ALG_A128GCM, "A128GCM", "gcm(aes)", 16, 12, 16 },
	{ OSCORE_ALG_A256GCM, "A256GCM", "gcm(aes)", 32, 12, 16 },
	{ OSCORE_ALG_CHACHA20_POLY1305, "ChaCha20/Poly1305",
	  "rfc7539(chacha20,poly1305)", 32, 12, 16 },
};

const struct oscore_alg *oscore_alg_at(unsigned int i)
{
	return i < ARRAY_SIZE(oscore_algs) ? &oscore_algs[i] : NULL;
}

const struct oscore_alg *oscore_alg_find(int cose_id)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(oscore_algs); i++)
		if (oscore_algs[i].cose_id == cose_id)
			return &oscore_algs[i];
	return NULL;
}
