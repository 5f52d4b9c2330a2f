/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Crypto API AEAD transforms for OSCORE contexts.  Transforms are allocated
 * when a key is installed, never in the packet path.
 */
#ifndef COAPSEC_AEAD_H
#define COAPSEC_AEAD_H

#include <linux/types.h>

struct oscore_alg;

/*
 * Whether this kernel can instantiate @alg now.  On success copies the
 * chosen driver's name into @driver.  Loads crypto modules on demand, so
 * only for process context.
 */
int coapsec_aead_probe(const struct oscore_alg *alg, char *driver,
		       size_t driver_len);

#endif /* COAPSEC_AEAD_H */
