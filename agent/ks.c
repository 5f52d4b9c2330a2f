// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>

#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>
#include <uninorm.h>
#include <unistr.h>

#include "agent/ks.h"

int ks_normalize_id(const char *id, char *out, size_t cap)
{
	size_t in_len = strlen(id), n = cap > 0 ? cap - 1 : 0;
	uint8_t *r;

	if (!cap || u8_check((const uint8_t *)id, in_len))
		return -1;
	/* Writes into @out when the result fits, else allocates. */
	r = u8_normalize(UNINORM_NFKC, (const uint8_t *)id, in_len,
			 (uint8_t *)out, &n);
	if (!r)
		return -1;
	if (r != (uint8_t *)out) {
		free(r);
		return -1;
	}
	if (n >= cap)
		return -1;
	out[n] = 0;
	return (int)n;
}

int ks_derive(const uint8_t *kpsa, size_t kpsa_len, const char *member_id,
	      const uint8_t rand[KS_RAND_LEN], uint8_t ks[KS_LEN])
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	mbedtls_md_context_t ctx;
	char id[512];
	int n, rc;

	n = ks_normalize_id(member_id, id, sizeof(id));
	if (n < 0)
		return -1;
	mbedtls_md_init(&ctx);
	rc = mbedtls_md_setup(&ctx, md, 1) ||
	     mbedtls_md_hmac_starts(&ctx, kpsa, kpsa_len) ||
	     mbedtls_md_hmac_update(&ctx, (const uint8_t *)KS_LABEL,
				    strlen(KS_LABEL)) ||
	     mbedtls_md_hmac_update(&ctx, (const uint8_t *)id, (size_t)n) ||
	     mbedtls_md_hmac_update(&ctx, rand, KS_RAND_LEN) ||
	     mbedtls_md_hmac_finish(&ctx, ks);
	mbedtls_md_free(&ctx);
	return rc ? -1 : 0;
}
