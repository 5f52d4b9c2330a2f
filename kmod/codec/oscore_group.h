/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Group OSCORE group mode (draft-ietf-core-oscore-groupcomm-28): the wire
 * structures, without any crypto library.  A message in group mode is an
 * RFC 8613 message with
 *
 *   - the Group Flag set in the OSCORE option (§4.1), the kid in every
 *     message and the kid context (Gid) in every request (§3.2);
 *   - the group external_aad (§3.4), used for the AEAD and the signature:
 *       aad_array = [ 1, [alg_aead, alg_group_enc, alg_signature,
 *                         alg_pairwise_key_agreement],
 *                     request_kid, request_piv, h'' (options),
 *                     request_kid_context, OSCORE_option,
 *                     sender_cred, gm_cred ]
 *   - after the AEAD ciphertext, the countersignature (§3.1; RFC 9338
 *     Countersignature0 version 2) over
 *       ["CounterSignature0", h'', external_aad, ciphertext]
 *     encrypted with a keystream (§4.2):
 *       KEYSTREAM = HKDF(PIV, Signature Encryption Key,
 *                        [id, id_context, is_request, L], L)
 *
 * This file lays messages out and builds those structures; the signature,
 * HKDF and the AEAD run in userspace (tools/lib/oscore_group_sw.h), where
 * ECDSA is available.  The packet path of the module does not use it: it
 * rejects group mode messages (-CODEC_EGROUP in oscore_unprotect_begin()).
 *
 *   protect:  oscore_group_protect_begin() -> AEAD encrypt in place with
 *             tx->aad -> sign tx's Countersign_structure over the
 *             ciphertext -> XOR the keystream -> write at tx->sig
 *   verify:   oscore_unprotect_parse() -> find the context ->
 *             oscore_group_unprotect_begin() -> keystream, decrypt and
 *             verify the signature -> AEAD decrypt -> oscore_unprotect_finish()
 */
#ifndef COAPSEC_CODEC_OSCORE_GROUP_H
#define COAPSEC_CODEC_OSCORE_GROUP_H

#include "oscore.h"

/* "Not set" in the Common Context: null in the algorithms array. */
#define OSCORE_GROUP_ALG_NONE	0
/* Signature Algorithms: ECDSA w/ SHA-256 on P-256, EdDSA on Ed25519. */
#define OSCORE_SIG_ES256	(-7)
#define OSCORE_SIG_ES256_LEN	64
#define OSCORE_SIG_EDDSA	(-8)
#define OSCORE_SIG_EDDSA_LEN	64
#define OSCORE_GROUP_SIG_MAX_LEN	64
/* An authentication credential (CCS) as the group carries it. */
#define OSCORE_GROUP_CRED_MAX_LEN	256
/* The aad_array at its largest: every variable part at its maximum. */
#define OSCORE_GROUP_EXT_AAD_MAX	(48 + 2 * OSCORE_MAX_ID_LEN + \
					 OSCORE_PIV_MAX_LEN + \
					 OSCORE_MAX_ID_CONTEXT_LEN + \
					 OSCORE_OPT_MAX_LEN + \
					 2 * OSCORE_GROUP_CRED_MAX_LEN)
/* Enc_structure and the Countersign_structure's head around it. */
#define OSCORE_GROUP_AAD_MAX		(OSCORE_GROUP_EXT_AAD_MAX + 32)
#define OSCORE_GROUP_KS_INFO_MAX	(16 + OSCORE_MAX_ID_LEN + \
					 OSCORE_MAX_ID_CONTEXT_LEN)

/*
 * A group's Common Context beyond RFC 8613's, and the credentials of this
 * endpoint and of one peer.  base.alg is the Group Encryption Algorithm;
 * base holds the Sender and Recipient Keys derived with it.
 */
struct oscore_group_ctx {
	struct oscore_ctx base;
	int alg_aead;			/* pairwise mode AEAD, or _NONE */
	int alg_signature;		/* COSE id: OSCORE_SIG_ES256, _EDDSA */
	int alg_pairwise_ka;		/* or _NONE */
	const u8 *sender_cred;		/* this endpoint's credential */
	size_t sender_cred_len;
	const u8 *recipient_cred;	/* the peer's, in the Recipient Context */
	size_t recipient_cred_len;
	const u8 *gm_cred;		/* the Group Manager's */
	size_t gm_cred_len;
};

/* What a response to a group request is bound to: RFC 8613's and the Gid. */
struct oscore_group_binding {
	struct oscore_binding b;
	u8 kid_context[OSCORE_MAX_ID_CONTEXT_LEN];
	u8 kid_context_len;
};

/* The countersignature's keystream inputs (§4.2), minus the key. */
struct oscore_group_ks {
	u8 salt[OSCORE_PIV_MAX_LEN];	/* the Partial IV */
	u8 salt_len;
	u8 info[OSCORE_GROUP_KS_INFO_MAX];
	size_t info_len;
};

/* One protected or verified message's crypto inputs. */
struct oscore_group_crypt {
	u8 nonce[OSCORE_MAX_NONCE_LEN];
	u8 ext_aad[OSCORE_GROUP_EXT_AAD_MAX];	/* aad_array */
	size_t ext_aad_len;
	u8 aad[OSCORE_GROUP_AAD_MAX];		/* Enc_structure */
	size_t aad_len;
	struct oscore_group_ks ks;
	u8 *buf;		/* plaintext; ciphertext once encrypted */
	size_t len;		/* without the tag */
	u8 *sig;		/* the encrypted countersignature's place */
	size_t sig_len;
};

struct oscore_group_rx {
	struct oscore_rx rx;
	struct oscore_group_crypt c;
	struct oscore_group_binding binding;	/* requests: for the response */
};

/* Signature length for a COSE signature algorithm, 0 if unsupported. */
size_t oscore_group_sig_len(int alg_signature);

/* 0 when @g can protect and verify in group mode, else -CODEC_ECTX. */
int oscore_group_ctx_check(const struct oscore_group_ctx *g);

/* The aad_array (§3.4) into @buf: its length or -CODEC_ENOSPC. */
int oscore_group_ext_aad(const struct oscore_group_ctx *g,
			 const struct oscore_group_binding *request,
			 const u8 *optval, size_t opt_len,
			 const u8 *sender_cred, size_t sender_cred_len,
			 u8 *buf, size_t cap);

/* Enc_structure ["Encrypt0", h'', external_aad]: length or error. */
int oscore_group_enc_structure(const u8 *ext_aad, size_t ext_aad_len,
			       u8 *buf, size_t cap);

/*
 * The Countersign_structure ["CounterSignature0", h'', external_aad,
 * ciphertext] up to the head of the ciphertext's byte string: the bytes
 * to sign are these followed by the @ct_len ciphertext bytes.
 */
int oscore_group_tbs_head(const u8 *ext_aad, size_t ext_aad_len,
			  size_t ct_len, u8 *buf, size_t cap);

/* The keystream info array [id, id_context, is_request, L] (§4.2). */
int oscore_group_ks_info(const u8 *id, size_t id_len, const u8 *id_context,
			 size_t id_context_len, bool is_request, size_t l,
			 u8 *buf, size_t cap);

/*
 * Lays out @m protected in group mode in @out and fills @c for the AEAD
 * and the signature (Group Flag set, kid always, kid context in
 * requests).  Requests: @request NULL, @seq their Partial IV, @binding
 * (may be NULL) what the response needs.  Responses: @request the
 * binding of the request, @seq their own Partial IV or OSCORE_SEQ_NONE.
 * Returns the final length (tag and signature included) or -CODEC_E*.
 */
int oscore_group_protect_begin(const struct oscore_group_ctx *g,
			       const struct coap_msg *m, u64 seq,
			       const struct oscore_group_binding *request,
			       u8 *out, size_t cap,
			       struct oscore_group_crypt *c,
			       struct oscore_group_binding *binding);

/*
 * After oscore_unprotect_parse(&grx->rx, ...): checks the message
 * against @g (Group Flag set: else -CODEC_ENOTGROUP; kid, kid context)
 * and fills grx->c (ciphertext, encrypted signature, AAD, keystream
 * info) and grx->rx.req.buf/len for oscore_unprotect_finish().
 */
int oscore_group_unprotect_begin(const struct oscore_group_ctx *g,
				 const struct oscore_group_binding *request,
				 struct oscore_group_rx *grx);

#endif /* COAPSEC_CODEC_OSCORE_GROUP_H */
