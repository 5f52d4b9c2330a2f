// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * mbedTLS AEADs behind struct oscore_aead_ops.  All three mbedTLS modes
 * accept the same buffer as input and output, which the codec's in-place
 * layout relies on.  Always synchronous.
 */
#include <errno.h>

#include <mbedtls/platform_util.h>

#include "oscore_mbedtls.h"

int oscore_mbedtls_key_init(struct oscore_mbedtls_key *k,
			    const struct oscore_alg *alg, const u8 *key,
			    size_t key_len)
{
	int ret;

	memset(k, 0, sizeof(*k));
	if (!alg || key_len != alg->key_len)
		return -EINVAL;
	k->alg = alg;
	switch (alg->cose_id) {
	case OSCORE_ALG_AES_CCM_16_64_128:
		mbedtls_ccm_init(&k->u.ccm);
		ret = mbedtls_ccm_setkey(&k->u.ccm, MBEDTLS_CIPHER_ID_AES, key,
					 key_len * 8);
		break;
	case OSCORE_ALG_A128GCM:
	case OSCORE_ALG_A256GCM:
		mbedtls_gcm_init(&k->u.gcm);
		ret = mbedtls_gcm_setkey(&k->u.gcm, MBEDTLS_CIPHER_ID_AES, key,
					 key_len * 8);
		break;
	case OSCORE_ALG_CHACHA20_POLY1305:
		mbedtls_chachapoly_init(&k->u.chachapoly);
		ret = mbedtls_chachapoly_setkey(&k->u.chachapoly, key);
		break;
	default:
		k->alg = NULL;
		return -EINVAL;
	}
	if (ret) {
		oscore_mbedtls_key_free(k);
		return -EIO;
	}
	return 0;
}

void oscore_mbedtls_key_free(struct oscore_mbedtls_key *k)
{
	if (k->alg) {
		switch (k->alg->cose_id) {
		case OSCORE_ALG_AES_CCM_16_64_128:
			mbedtls_ccm_free(&k->u.ccm);
			break;
		case OSCORE_ALG_A128GCM:
		case OSCORE_ALG_A256GCM:
			mbedtls_gcm_free(&k->u.gcm);
			break;
		case OSCORE_ALG_CHACHA20_POLY1305:
			mbedtls_chachapoly_free(&k->u.chachapoly);
			break;
		}
	}
	mbedtls_platform_zeroize(k, sizeof(*k));
}

int oscore_mbedtls_aead(struct oscore_mbedtls_key *k, bool encrypt,
			const u8 *nonce, const u8 *aad, size_t aad_len,
			u8 *buf, size_t len)
{
	const struct oscore_alg *alg = k ? k->alg : NULL;
	u8 *tag = buf + len;
	int ret, fail;

	if (!alg)
		return -EINVAL;
	switch (alg->cose_id) {
	case OSCORE_ALG_AES_CCM_16_64_128:
		fail = MBEDTLS_ERR_CCM_AUTH_FAILED;
		if (encrypt)
			ret = mbedtls_ccm_encrypt_and_tag(&k->u.ccm, len, nonce,
							  alg->nonce_len, aad,
							  aad_len, buf, buf,
							  tag, alg->tag_len);
		else
			ret = mbedtls_ccm_auth_decrypt(&k->u.ccm, len, nonce,
						       alg->nonce_len, aad,
						       aad_len, buf, buf, tag,
						       alg->tag_len);
		break;
	case OSCORE_ALG_A128GCM:
	case OSCORE_ALG_A256GCM:
		fail = MBEDTLS_ERR_GCM_AUTH_FAILED;
		if (encrypt)
			ret = mbedtls_gcm_crypt_and_tag(&k->u.gcm,
							MBEDTLS_GCM_ENCRYPT,
							len, nonce,
							alg->nonce_len, aad,
							aad_len, buf, buf,
							alg->tag_len, tag);
		else
			ret = mbedtls_gcm_auth_decrypt(&k->u.gcm, len, nonce,
						       alg->nonce_len, aad,
						       aad_len, tag,
						       alg->tag_len, buf, buf);
		break;
	case OSCORE_ALG_CHACHA20_POLY1305:
		fail = MBEDTLS_ERR_CHACHAPOLY_AUTH_FAILED;
		if (encrypt)
			ret = mbedtls_chachapoly_encrypt_and_tag(&k->u.chachapoly,
								 len, nonce,
								 aad, aad_len,
								 buf, buf, tag);
		else
			ret = mbedtls_chachapoly_auth_decrypt(&k->u.chachapoly,
							      len, nonce, aad,
							      aad_len, tag,
							      buf, buf);
		break;
	default:
		return -EINVAL;
	}
	if (!encrypt && ret == fail)
		return -EBADMSG;
	return ret ? -EIO : 0;
}

static int oscore_mbedtls_encrypt(struct oscore_aead_req *req)
{
	struct oscore_mbedtls_key *k = req->key;

	if (!k || k->alg != req->alg)
		return -EINVAL;
	return oscore_mbedtls_aead(k, true, req->nonce, req->aad, req->aad_len,
				   req->buf, req->len);
}

static int oscore_mbedtls_decrypt(struct oscore_aead_req *req)
{
	struct oscore_mbedtls_key *k = req->key;

	if (!k || k->alg != req->alg)
		return -EINVAL;
	return oscore_mbedtls_aead(k, false, req->nonce, req->aad,
				   req->aad_len, req->buf, req->len);
}

const struct oscore_aead_ops oscore_mbedtls_ops = {
	.encrypt = oscore_mbedtls_encrypt,
	.decrypt = oscore_mbedtls_decrypt,
};
