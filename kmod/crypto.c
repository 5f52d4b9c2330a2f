// SPDX-License-Identifier: GPL-2.0
#include <crypto/aead.h>
#include <linux/err.h>
#include <linux/string.h>

#include "codec/oscore_alg.h"
#include "crypto.h"
#include "crypto_aead.h"

/*
 * Synchronous only for now: the packet path runs the AEAD in a per-CPU
 * request and cannot yet finish on -EINPROGRESS.  The probe asks the same
 * way, so that FEATURES names the driver contexts really get.
 */
static struct crypto_aead *coapsec_aead_alloc(const struct oscore_alg *alg)
{
	struct crypto_aead *tfm;

	tfm = crypto_alloc_aead(alg->crypto_name, 0, CRYPTO_ALG_ASYNC);
	if (IS_ERR(tfm))
		return tfm;
	/* The request lives in the per-CPU scratch: it must fit there. */
	if (crypto_aead_reqsize(tfm) > COAPSEC_AEAD_REQ_ROOM) {
		crypto_free_aead(tfm);
		return ERR_PTR(-ENOMEM);
	}
	return tfm;
}

int coapsec_aead_probe(const struct oscore_alg *alg, char *driver,
		       size_t driver_len)
{
	struct crypto_aead *tfm;
	int err;

	tfm = coapsec_aead_alloc(alg);
	if (IS_ERR(tfm))
		return PTR_ERR(tfm);

	/* A transform that cannot take this key or tag length is no use. */
	err = crypto_aead_setauthsize(tfm, alg->tag_len);
	if (!err && crypto_aead_ivsize(tfm) < alg->nonce_len)
		err = -EINVAL;
	if (!err)
		strscpy(driver, crypto_tfm_alg_driver_name(crypto_aead_tfm(tfm)),
			driver_len);
	crypto_free_aead(tfm);
	return err;
}

struct crypto_aead *coapsec_aead_new(const struct oscore_alg *alg,
				     const u8 *key)
{
	struct crypto_aead *tfm;
	int err;

	tfm = coapsec_aead_alloc(alg);
	if (IS_ERR(tfm))
		return tfm;
	err = crypto_aead_setkey(tfm, key, alg->key_len);
	if (!err)
		err = crypto_aead_setauthsize(tfm, alg->tag_len);
	if (err) {
		crypto_free_aead(tfm);
		return ERR_PTR(err);
	}
	return tfm;
}
