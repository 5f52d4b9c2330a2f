/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TR-0012 clause 8.2.1 group authentication key:
 *
 *   Ksx = HMAC-SHA-256(Kpsaxi, label || NFKC(UTF-8(IdAx)) || Rand)
 *
 * label = "oneM2M Group Secure Connection Key derivation", plain byte
 * concatenation.  KsxId = KpsaxiId.
 */
#ifndef COAPSECD_KS_H
#define COAPSECD_KS_H

#include <stddef.h>
#include <stdint.h>

#define KS_LABEL	"oneM2M Group Secure Connection Key derivation"
#define KS_LEN		32
#define KS_RAND_LEN	32

/*
 * NFKC of the UTF-8 string @id (libunistring) into @out of room @cap,
 * NUL-terminated.  Its length, or -1 for invalid UTF-8 or no room.
 */
int ks_normalize_id(const char *id, char *out, size_t cap);

/* Derives Ksx into @ks.  0, or -1 (invalid member ID, mbedTLS error). */
int ks_derive(const uint8_t *kpsa, size_t kpsa_len, const char *member_id,
	      const uint8_t rand[KS_RAND_LEN], uint8_t ks[KS_LEN]);

#endif /* COAPSECD_KS_H */
