/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Authentication credentials of Group OSCORE members
 * (draft-ietf-core-oscore-groupcomm-28 §2.4): coapsec uses CWT Claims Sets
 * (CCS, RFC 8392) whose confirmation claim (cnf, RFC 8747) holds a COSE_Key
 * of type EC2 on P-256 (RFC 9053 §7.1), as the draft's own examples and
 * implementations do:
 *
 *   {                            / CCS /
 *     2: "subject",              / sub /
 *     8: {                       / cnf /
 *       1: {                     / COSE_Key /
 *         1: 2,                  / kty: EC2 /
 *        -1: 1,                  / crv: P-256 /
 *        -2: h'x (32 bytes)',
 *        -3: h'y (32 bytes)'
 *       }
 *     }
 *   }
 *
 * or, for EdDSA, a COSE_Key of type OKP on Ed25519 (RFC 9053 §7.2):
 *
 *       1: { 1: 1, -1: 6, -2: h'x (32 bytes)' }
 *
 * The credential is opaque in the AAD: the bytes as distributed are the
 * bytes signed over.  oscore_ccs_build() writes the deterministic encoding
 * above; oscore_ccs_parse() reads any well-formed untagged CCS that carries
 * such a key (other claims and key parameters are skipped).
 */
#ifndef COAPSEC_CODEC_OSCORE_CRED_H
#define COAPSEC_CODEC_OSCORE_CRED_H

#include "compat.h"

#define OSCORE_P256_COORD_LEN	32
#define OSCORE_ED25519_KEY_LEN	32

/* The public keys a credential may hold, and their signature algorithm. */
enum oscore_cred_type {
	OSCORE_CRED_P256 = 1,		/* EC2, P-256: ES256 (COSE -7) */
	OSCORE_CRED_ED25519 = 2,	/* OKP, Ed25519: EdDSA (COSE -8) */
};

struct oscore_cred_key {
	enum oscore_cred_type type;
	u8 x[32];
	u8 y[32];			/* P-256 only */
};

/* The longest subject oscore_ccs_build() accepts. */
#define OSCORE_CCS_SUBJECT_MAX	128

/*
 * The CCS for the P-256 public key @x, @y (32 bytes each) and @subject
 * (UTF-8, may be empty): its length, -CODEC_ENOSPC or -CODEC_ECRED.
 */
int oscore_ccs_build(const char *subject, const u8 *x, const u8 *y, u8 *buf,
		     size_t cap);

/*
 * The P-256 key in a CCS: 0 and @x, @y (32 bytes each), or -CODEC_ECBOR
 * (not well-formed CBOR, or not a map where one is needed) or -CODEC_ECRED
 * (no cnf/COSE_Key, key type or curve not EC2/P-256, alg not ES256,
 * an Ed25519 key (see oscore_ccs_parse_key()),
 * coordinates missing or of the wrong length, repeated labels).
 */
int oscore_ccs_parse(const u8 *ccs, size_t len, u8 *x, u8 *y);

/* Either key type: oscore_ccs_build() and oscore_ccs_parse() for both. */
int oscore_ccs_build_key(const char *subject, const struct oscore_cred_key *k,
			 u8 *buf, size_t cap);
int oscore_ccs_parse_key(const u8 *ccs, size_t len, struct oscore_cred_key *k);

#endif /* COAPSEC_CODEC_OSCORE_CRED_H */
