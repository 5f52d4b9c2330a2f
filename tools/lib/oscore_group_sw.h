/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Group OSCORE group mode in userspace (draft-ietf-core-oscore-groupcomm-28):
 * the codec's structures (codec/oscore_group.h) with mbedTLS underneath.
 *
 *   keys      Sender/Recipient Keys and Common IV derived with the Group
 *             Encryption Algorithm (§2.3), the Signature Encryption Key
 *             (§2.1.9: info [h'', Gid, alg_group_enc, "SEKey", key length])
 *   sign      ES256 (COSE -7): ECDSA P-256 with SHA-256, deterministic
 *             (RFC 6979), signature r || s in 64 bytes (RFC 9053 §2.1),
 *             with mbedTLS; EdDSA (COSE -8) on Ed25519 (RFC 8032, 64
 *             bytes) with OpenSSL's libcrypto, as mbedTLS 2.28 has none
 *   keystream HKDF-SHA-256 (§4.2)
 *   key pairs P-256, kept in PEM files ("EC PRIVATE KEY", RFC 5915) of
 *             mode 0600; authentication credentials are CCSs
 *             (codec/oscore_cred.h)
 *
 * Debian 12's mbedTLS (2.28) has no Ed25519, so EdDSA is not offered.
 */
#ifndef COAPSEC_OSCORE_GROUP_SW_H
#define COAPSEC_OSCORE_GROUP_SW_H

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>

#include "codec/oscore_cred.h"
#include "codec/oscore_group.h"
#include "oscore_derive.h"

struct evp_pkey_st;

/* A member's own key pair (its private key signs). */
struct oscore_group_key {
	int alg;			/* OSCORE_SIG_ES256 or _EDDSA */
	mbedtls_pk_context pk;		/* ES256 */
	struct evp_pkey_st *ed;		/* EdDSA (OpenSSL) */
	bool set;
};

/* A fresh P-256 key pair from the system's random source: 0 or -EIO. */
int oscore_group_key_generate(struct oscore_group_key *k);

/* A fresh key pair for @alg (OSCORE_SIG_ES256 or _EDDSA): 0, -EINVAL, -EIO. */
int oscore_group_key_generate_alg(struct oscore_group_key *k, int alg);

/*
 * Writes @k's private key as PEM to @path, created with mode 0600; an
 * existing file is never overwritten.  0, or -1 with @err naming the file.
 */
int oscore_group_key_save(const struct oscore_group_key *k, const char *path,
			  char *err, size_t errlen);

/*
 * Loads a private key written by oscore_group_key_save() (PEM or DER,
 * EC P-256 or Ed25519; k->alg says which).  The file must be a regular
 * file of mode 0600 (no access for group or others).  0, or -1 with @err
 * naming the file and what was wrong.
 */
int oscore_group_key_load(struct oscore_group_key *k, const char *path,
			  char *err, size_t errlen);

/* The public key's coordinates, 32 bytes each: 0 or -EINVAL. */
int oscore_group_key_public(const struct oscore_group_key *k, u8 *x, u8 *y);

/* The public key, either type: 0 or -EINVAL. */
int oscore_group_key_public_key(const struct oscore_group_key *k,
				struct oscore_cred_key *pub);

/* The CCS credential for @k's public key and @subject: length or error. */
int oscore_group_key_ccs(const struct oscore_group_key *k,
			 const char *subject, u8 *buf, size_t cap);

/* Frees and wipes. */
void oscore_group_key_free(struct oscore_group_key *k);

/* The inputs of a group mode context. */
struct oscore_group_master {
	struct oscore_master m;		/* m.alg: Group Encryption Algorithm */
	int alg_signature;		/* OSCORE_SIG_ES256 or _EDDSA */
	int alg_aead;			/* OSCORE_GROUP_ALG_NONE: no pairwise */
	int alg_pairwise_ka;		/* OSCORE_GROUP_ALG_NONE */
	const u8 *sender_cred;		/* this endpoint's CCS */
	size_t sender_cred_len;
	const u8 *recipient_cred;	/* the peer's CCS (verifies its messages) */
	size_t recipient_cred_len;
	const u8 *gm_cred;		/* the Group Manager's CCS */
	size_t gm_cred_len;
};

/* One group mode context: this endpoint and one peer of the group. */
struct oscore_group_sw {
	struct oscore_sw_ctx sw;
	struct oscore_group_ctx g;
	u8 sekey[OSCORE_MAX_KEY_LEN];
	u8 sekey_len;
	const struct oscore_group_key *own;	/* NULL: verify only */
	mbedtls_ecp_group grp;
	mbedtls_ecp_point peer;			/* from recipient_cred */
	struct evp_pkey_st *peer_ed;		/* EdDSA: from recipient_cred */
	u8 sender_cred[OSCORE_GROUP_CRED_MAX_LEN];
	u8 recipient_cred[OSCORE_GROUP_CRED_MAX_LEN];
	u8 gm_cred[OSCORE_GROUP_CRED_MAX_LEN];
};

/* The Signature Encryption Key for @m (m->alg the Group Encryption Alg). */
int oscore_group_sekey(const struct oscore_master *m, u8 *out, size_t len);

/*
 * Derives the keys, copies the credentials and reads the peer's public
 * key from its CCS.  @own (kept by reference) signs; it must match
 * sender_cred.  0, -EINVAL, -EIO, or -CODEC_ECRED / -CODEC_ECBOR for a
 * credential that is unusable.
 */
int oscore_group_sw_init(struct oscore_group_sw *s,
			 const struct oscore_group_master *gm,
			 const struct oscore_group_key *own);

void oscore_group_sw_free(struct oscore_group_sw *s);

/*
 * Protects @m in group mode into @out (§7.1, §7.3): encrypt with the
 * Sender Key, sign, encrypt the signature.  Arguments as
 * oscore_group_protect_begin().  Length or a negative error.
 */
int oscore_group_protect(struct oscore_group_sw *s, const struct coap_msg *m,
			 u64 seq, const struct oscore_group_binding *request,
			 u8 *out, size_t cap,
			 struct oscore_group_binding *binding);

/*
 * Verifies @pkt (§7.2, §7.4), in place: decrypts the countersignature,
 * verifies it with the peer's public key over the ciphertext, only then
 * decrypts.  0 and @out, or -CODEC_ENOTGROUP (Group Flag clear),
 * -CODEC_ESIG (signature wrong), -CODEC_EAUTH (AEAD tag wrong), another
 * -CODEC_E* for a malformed message, or a negative errno.
 */
int oscore_group_verify(struct oscore_group_sw *s, u8 *pkt, size_t len,
			const struct oscore_group_binding *request,
			struct oscore_group_rx *grx, struct coap_msg *out);

#endif /* COAPSEC_OSCORE_GROUP_SW_H */
