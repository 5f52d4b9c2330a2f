/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The AEAD transforms' lifecycle (process context): probed for FEATURES,
 * allocated and keyed when a context is installed, never in the packet
 * path.  Running them per packet is crypto_aead.c's.
 */
#ifndef COAPSEC_CRYPTO_H
#define COAPSEC_CRYPTO_H

#include <linux/types.h>

struct crypto_aead;
struct oscore_alg;

/*
 * One key's transforms, both keyed alike.  @simd uses the CPU's vector
 * unit and may run only while crypto_simd_usable(); it never defers (see
 * crypto.c).  @sync runs anywhere, synchronously.  @simd is NULL where the
 * crypto API offers nothing faster than @sync.
 */
struct coapsec_aead {
	struct crypto_aead *simd;
	struct crypto_aead *sync;
};

/*
 * Whether this kernel can instantiate @alg now.  On success copies the
 * driver the packet path uses into @driver: the SIMD one where there is
 * one, else the synchronous one.  Loads crypto modules on demand, so only
 * for process context.
 */
int coapsec_aead_probe(const struct oscore_alg *alg, char *driver,
		       size_t driver_len);

/*
 * Fills @aead with transforms for @alg keyed with @key (alg->key_len
 * bytes), the tag length set, ready for the packet path.  Process
 * context.  0 or a negative errno (@aead then holds nothing).
 */
int coapsec_aead_new(struct coapsec_aead *aead, const struct oscore_alg *alg,
		     const u8 *key);

/* Frees what coapsec_aead_new() allocated; @aead may be empty. */
void coapsec_aead_free(struct coapsec_aead *aead);

#endif /* COAPSEC_CRYPTO_H */
