// SPDX-License-Identifier: GPL-2.0
/*
 * Two transforms per key.  On x86 the AES-NI AEADs are registered through
 * crypto/simd.c: an asynchronous wrapper that runs the real ("internal")
 * algorithm inline while the FPU is usable and hands the request to cryptd
 * when not.  A synchronous-only request (the old way here) gets neither,
 * but slow generic compositions, e.g. ccm_base(ctr(aes-aesni),...) which
 * calls the one-block cipher 16 bytes at a time.  So, as crypto/simd.c
 * itself does, the packet path takes a SIMD transform while
 * crypto_simd_usable() and a synchronous one when not (crypto_aead.c).
 *
 * The SIMD transform is, in this order:
 *  - the internal algorithm itself ("__gcm(aes)" for "gcm(aes)",
 *    CRYPTO_ALG_INTERNAL, synchronous): what the wrapper would call;
 *  - for CCM, which has no AES-NI AEAD of its own, ccm_base over the
 *    wrapped "ctr-aes-aesni" (ccm_base takes only a "ctr(" cipher, so not
 *    its internal "__ctr(aes)").  That instance is flagged asynchronous
 *    because of the wrapper, but called only while crypto_simd_usable()
 *    the wrapper runs its internal child inline: it defers only when SIMD
 *    is unusable or its own cryptd queue holds requests, and each
 *    transform has its own queue, which nothing here ever fills.  So it
 *    never returns -EINPROGRESS; only names listed here are taken so.
 */
#include <crypto/aead.h>
#include <linux/err.h>
#include <linux/mutex.h>
#include <linux/string.h>

#include "codec/oscore_alg.h"
#include "crypto.h"
#include "crypto_aead.h"

/* Compositions whose only asynchronous parts are crypto/simd.c wrappers. */
static const struct {
	const char *name;
	const char *driver;
} coapsec_simd_wrapped[] = {
	{ "ccm(aes)", "ccm_base(ctr-aes-aesni,cbcmac(aes-aesni))" },
};

/* The request lives in the per-CPU scratch: it must fit there. */
static struct crypto_aead *coapsec_aead_fit(struct crypto_aead *tfm)
{
	if (!IS_ERR(tfm) && crypto_aead_reqsize(tfm) > COAPSEC_AEAD_REQ_ROOM) {
		crypto_free_aead(tfm);
		return ERR_PTR(-ENOMEM);
	}
	return tfm;
}

/* Synchronous only: runs in any context. */
static struct crypto_aead *coapsec_aead_alloc_sync(const struct oscore_alg *alg)
{
	return coapsec_aead_fit(crypto_alloc_aead(alg->crypto_name, 0,
						  CRYPTO_ALG_ASYNC));
}

/*
 * Each alg's SIMD driver, found once: a name the crypto API does not know
 * costs a request_module() (a modprobe run) on every look-up.  FEATURES
 * looks again, so that a module loaded later (aesni_intel) is found.
 */
static DEFINE_MUTEX(coapsec_simd_lock);
static struct {
	int cose_id;
	bool resolved;
	u32 type;			/* CRYPTO_ALG_INTERNAL or 0 */
	char driver[CRYPTO_MAX_ALG_NAME];	/* "": none */
} coapsec_simd_drivers[8];

/* The SIMD transform by one name, NULL where there is none. */
static struct crypto_aead *coapsec_aead_try(const char *name, u32 type)
{
	struct crypto_aead *tfm;

	/* Internal ones must be synchronous; the wrapped ones: see above. */
	tfm = crypto_alloc_aead(name, type, type ? type | CRYPTO_ALG_ASYNC : 0);
	tfm = coapsec_aead_fit(tfm);
	return IS_ERR(tfm) ? NULL : tfm;
}

static struct crypto_aead *coapsec_aead_find_simd(const struct oscore_alg *alg,
						  u32 *type)
{
	char name[CRYPTO_MAX_ALG_NAME];
	struct crypto_aead *tfm;
	unsigned int i;

	*type = CRYPTO_ALG_INTERNAL;
	if (snprintf(name, sizeof(name), "__%s", alg->crypto_name) <
	    sizeof(name)) {
		tfm = coapsec_aead_try(name, *type);
		if (tfm)
			return tfm;
	}
	*type = 0;
	for (i = 0; i < ARRAY_SIZE(coapsec_simd_wrapped); i++) {
		if (strcmp(alg->crypto_name, coapsec_simd_wrapped[i].name))
			continue;
		tfm = coapsec_aead_try(coapsec_simd_wrapped[i].driver, 0);
		if (tfm)
			return tfm;
	}
	return NULL;
}

/* The SIMD transform for @alg, or NULL where there is none. */
static struct crypto_aead *coapsec_aead_alloc_simd(const struct oscore_alg *alg,
						   bool again)
{
	struct crypto_aead *tfm = NULL;
	unsigned int i;
	u32 type;

	mutex_lock(&coapsec_simd_lock);
	for (i = 0; i < ARRAY_SIZE(coapsec_simd_drivers); i++)
		if (!coapsec_simd_drivers[i].cose_id ||
		    coapsec_simd_drivers[i].cose_id == alg->cose_id)
			break;
	if (WARN_ON_ONCE(i == ARRAY_SIZE(coapsec_simd_drivers)))
		goto out;
	coapsec_simd_drivers[i].cose_id = alg->cose_id;
	if (coapsec_simd_drivers[i].resolved && !again) {
		char driver[CRYPTO_MAX_ALG_NAME];

		strscpy(driver, coapsec_simd_drivers[i].driver, sizeof(driver));
		type = coapsec_simd_drivers[i].type;
		mutex_unlock(&coapsec_simd_lock);
		return driver[0] ? coapsec_aead_try(driver, type) : NULL;
	}
	tfm = coapsec_aead_find_simd(alg, &type);
	coapsec_simd_drivers[i].resolved = true;
	coapsec_simd_drivers[i].type = type;
	strscpy(coapsec_simd_drivers[i].driver, tfm ?
		crypto_tfm_alg_driver_name(crypto_aead_tfm(tfm)) : "",
		sizeof(coapsec_simd_drivers[i].driver));
out:
	mutex_unlock(&coapsec_simd_lock);
	return tfm;
}

static int coapsec_aead_check(struct crypto_aead *tfm,
			      const struct oscore_alg *alg, const u8 *key)
{
	int err = key ? crypto_aead_setkey(tfm, key, alg->key_len) : 0;

	/* A transform that cannot take this key or tag length is no use. */
	if (!err)
		err = crypto_aead_setauthsize(tfm, alg->tag_len);
	if (!err && crypto_aead_ivsize(tfm) < alg->nonce_len)
		err = -EINVAL;
	return err;
}

void coapsec_aead_free(struct coapsec_aead *aead)
{
	/* Both take NULL. */
	crypto_free_aead(aead->simd);
	crypto_free_aead(aead->sync);
	aead->simd = NULL;
	aead->sync = NULL;
}

/* Both transforms, checked against @alg and keyed with @key (may be NULL). */
static int coapsec_aead_setup(struct coapsec_aead *aead,
			      const struct oscore_alg *alg, const u8 *key,
			      bool again)
{
	int err;

	aead->simd = NULL;
	aead->sync = coapsec_aead_alloc_sync(alg);
	if (IS_ERR(aead->sync)) {
		err = PTR_ERR(aead->sync);
		aead->sync = NULL;
		return err;
	}
	err = coapsec_aead_check(aead->sync, alg, key);
	if (err)
		goto err;
	aead->simd = coapsec_aead_alloc_simd(alg, again);
	if (!aead->simd)
		return 0;
	/* The same driver twice (no wrapper here): one is enough. */
	if (!strcmp(crypto_tfm_alg_driver_name(crypto_aead_tfm(aead->simd)),
		    crypto_tfm_alg_driver_name(crypto_aead_tfm(aead->sync)))) {
		crypto_free_aead(aead->simd);
		aead->simd = NULL;
		return 0;
	}
	err = coapsec_aead_check(aead->simd, alg, key);
	if (err)
		goto err;
	return 0;
err:
	coapsec_aead_free(aead);
	return err;
}

int coapsec_aead_probe(const struct oscore_alg *alg, char *driver,
		       size_t driver_len)
{
	struct coapsec_aead aead;
	int err;

	err = coapsec_aead_setup(&aead, alg, NULL, true);
	if (err)
		return err;
	strscpy(driver, crypto_tfm_alg_driver_name(crypto_aead_tfm(aead.simd ?:
								   aead.sync)),
		driver_len);
	coapsec_aead_free(&aead);
	return 0;
}

int coapsec_aead_new(struct coapsec_aead *aead, const struct oscore_alg *alg,
		     const u8 *key)
{
	return coapsec_aead_setup(aead, alg, key, false);
}
