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
 * Whether this kernel can instantiate @alg now.  On success copies the
 * chosen driver's name into @driver.  Loads crypto modules on demand, so
 * only for process context.
 */
int coapsec_aead_probe(const struct oscore_alg *alg, char *driver,
		       size_t driver_len);

/*
 * A transform for @alg with @key (alg->key_len bytes) and the tag length
 * set, ready for the packet path.  Process context.
 */
struct crypto_aead *coapsec_aead_new(const struct oscore_alg *alg,
				     const u8 *key);

#endif /* COAPSEC_CRYPTO_H */
