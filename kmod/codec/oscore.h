/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * OSCORE (RFC 8613) protect and unprotect of CoAP messages, independent
 * of any crypto library: the AEAD is reached through struct
 * oscore_aead_ops, which the module fills with the kernel crypto API and
 * userspace with mbedTLS.  Callers own every buffer; nothing allocates.
 *
 * Both directions are split around the AEAD call so that an asynchronous
 * AEAD can return -EINPROGRESS and finish later:
 *
 *   protect:    oscore_protect_begin() -> ops->encrypt()
 *   unprotect:  oscore_unprotect_parse() -> look the context up by the
 *               kid context and kid in rx->opt, check replay of rx->seq ->
 *               oscore_unprotect_begin() -> ops->decrypt() ->
 *               oscore_unprotect_finish(rx, err, ...)
 *
 * oscore_protect() and oscore_unprotect() chain the steps for a
 * synchronous AEAD.  Encryption and decryption run in place: in the
 * output message for protect, in the received buffer for unprotect.
 */
#ifndef COAPSEC_CODEC_OSCORE_H
#define COAPSEC_CODEC_OSCORE_H

#include "compat.h"
#include "coap.h"
#include "oscore_alg.h"
#include "oscore_option.h"

/* Sender and Recipient IDs fit in the nonce: at most nonce_len - 6. */
#define OSCORE_MAX_ID_LEN	(OSCORE_MAX_NONCE_LEN - 6)
#define OSCORE_MAX_ID_CONTEXT_LEN	255
#define OSCORE_MAX_AAD_LEN	64
/*
 * How much protecting grows a message, at most: inner code, OSCORE option,
 * payload marker, tag, and a byte per option for deltas re-encoded when
 * the classes are split.  A request's Observe options are sent both
 * inner and outer and come on top of this.
 */
#define OSCORE_MAX_OVERHEAD	(1 + 3 + OSCORE_OPT_MAX_LEN + 1 + \
				 OSCORE_MAX_TAG_LEN + 2 * COAP_MAX_OPTIONS)
/* oscore_protect_begin(): a response sent without its own Partial IV. */
#define OSCORE_SEQ_NONE		((u64)-1)

/*
 * One AEAD operation.  buf holds len bytes of plaintext and room for the
 * tag after them: encrypt replaces them with the ciphertext and writes
 * the tag at buf + len; decrypt checks the tag there and leaves the
 * plaintext.  Everything the AEAD reads lives here, so the request stays
 * valid until an asynchronous completion runs.
 */
struct oscore_aead_req {
	const struct oscore_alg *alg;
	void *key;			/* the ops' handle for the key */
	u8 nonce[OSCORE_MAX_NONCE_LEN];
	u8 aad[OSCORE_MAX_AAD_LEN];
	size_t aad_len;
	u8 *buf;
	size_t len;
	void *priv;			/* the caller's, for its completion */
};

/*
 * Return 0, -EINPROGRESS when the operation completes asynchronously (the
 * implementation then reports the result to the caller through priv), or
 * a negative errno; decrypt returns -EBADMSG when the tag is wrong.
 */
struct oscore_aead_ops {
	int (*encrypt)(struct oscore_aead_req *req);
	int (*decrypt)(struct oscore_aead_req *req);
};

/* Group mode: kid in every message, kid context in every request. */
#define OSCORE_CTX_GROUP		0x1
/* Send the kid context (ID Context) in requests. */
#define OSCORE_CTX_SEND_KID_CONTEXT	0x2

/*
 * A security context as the codec needs it (RFC 8613 §3): derived keys
 * stay behind the ops' key handles.  The packet path builds one from its
 * own objects for each message; nothing here is written by the codec.
 */
struct oscore_ctx {
	const struct oscore_alg *alg;
	const struct oscore_aead_ops *ops;
	unsigned int flags;
	u8 common_iv[OSCORE_MAX_NONCE_LEN];
	const u8 *id_context;		/* may be NULL when id_context_len 0 */
	size_t id_context_len;
	u8 sender_id[OSCORE_MAX_ID_LEN];
	u8 sender_id_len;
	u8 recipient_id[OSCORE_MAX_ID_LEN];
	u8 recipient_id_len;
	void *sender_key;
	void *recipient_key;
};

/*
 * What a response is bound to (RFC 8613 §5.4, §5.2): the request's kid
 * and Partial IV go into the response's AAD, and the request's nonce is
 * the response's when the response has no Partial IV of its own.  Small
 * and flat, so that the module can keep one per outstanding request.
 */
struct oscore_binding {
	u8 kid[OSCORE_MAX_ID_LEN];
	u8 kid_len;
	u8 piv[OSCORE_PIV_MAX_LEN];
	u8 piv_len;
	u8 nonce[OSCORE_MAX_NONCE_LEN];
};

/* Unprotect state, kept by the caller across an asynchronous decrypt. */
struct oscore_rx {
	struct coap_msg outer;
	struct oscore_option opt;	/* decoded OSCORE option */
	bool is_request;
	u64 seq;			/* the Partial IV's, when opt.piv_len */
	struct oscore_binding binding;	/* requests: for the response */
	struct oscore_aead_req req;
	/*
	 * oscore_unprotect_finish(): how many of out's options the
	 * plaintext carried.  out->num_opts alone: no outer option joined
	 * them, and they lie in the plaintext as out carries them.
	 */
	unsigned int inner_opts;
};

/* 0 when @ctx can protect and unprotect, else -CODEC_ECTX. */
int oscore_ctx_check(const struct oscore_ctx *ctx);

/* The AEAD nonce for @id and @piv (RFC 8613 §5.2). */
void oscore_nonce(const struct oscore_ctx *ctx, const u8 *id, size_t id_len,
		  const u8 *piv, size_t piv_len, u8 *nonce);

/* The AAD, Enc_structure over external_aad (§5.4); its length or error. */
int oscore_aad(const struct oscore_alg *alg, const u8 *request_kid,
	       size_t kid_len, const u8 *request_piv, size_t piv_len,
	       u8 *aad, size_t cap);

/*
 * Lays out the protected form of @m in @out and prepares @req to encrypt
 * it in place.  A request (code class 0) uses @seq as its Partial IV,
 * @request must be NULL, and @binding (may be NULL) receives what its
 * response will need.  A response needs @request and sends @seq as its
 * own Partial IV unless @seq is OSCORE_SEQ_NONE.  Returns the length the
 * message will have once encrypted, or -CODEC_E*.
 */
int oscore_protect_begin(const struct oscore_ctx *ctx, const struct coap_msg *m,
			 u64 seq, const struct oscore_binding *request,
			 u8 *out, size_t cap, struct oscore_aead_req *req,
			 struct oscore_binding *binding);

struct oscore_layout;

/*
 * oscore_protect_begin() without the payload, for a message protected
 * where it lies: writes the protected message up to the inner payload
 * marker (when @m has a payload) to @out and returns that head's length.
 * The caller puts the head where the message ends up, m->payload_len
 * bytes of payload right behind it (where the payload already lies) and
 * room for the tag behind those, points req->buf at the head's byte
 * l->start as placed (req->len counts the payload), and encrypts.  @l is
 * the caller's room for the layout (a packet path keeps it in per-CPU
 * scratch rather than on the stack).
 */
int oscore_protect_head(const struct oscore_ctx *ctx, const struct coap_msg *m,
			u64 seq, const struct oscore_binding *request,
			u8 *out, size_t cap, struct oscore_aead_req *req,
			struct oscore_binding *binding, struct oscore_layout *l);

/*
 * What oscore_protect_layout() wrote: the nonce, the OSCORE option value
 * as sent, the binding the AAD uses and the plaintext's place in @out.
 */
struct oscore_layout {
	bool is_request;
	u8 nonce[OSCORE_MAX_NONCE_LEN];
	struct oscore_option opt;
	u8 optval[OSCORE_OPT_MAX_LEN];
	int opt_len;
	struct oscore_binding own;	/* a request's, for its response */
	const struct oscore_binding *bound;	/* request_kid, request_piv */
	size_t start;			/* plaintext (code, options, payload) */
	size_t len;
};

/*
 * The message part of oscore_protect_begin(), shared with the group mode
 * (oscore_group.h): checks @m, builds the OSCORE option (Group Flag from
 * @group) and the nonce, and writes the outer message and the plaintext
 * to @out, leaving @trailer bytes after it (tag, countersignature).
 * Returns the final length or -CODEC_E*.
 */
int oscore_protect_layout(const struct oscore_ctx *ctx,
			  const struct coap_msg *m, u64 seq,
			  const struct oscore_binding *request, bool group,
			  size_t trailer, u8 *out, size_t cap,
			  struct oscore_layout *l);

/* oscore_protect_begin() and a synchronous encrypt: length or error. */
int oscore_protect(const struct oscore_ctx *ctx, const struct coap_msg *m,
		   u64 seq, const struct oscore_binding *request,
		   u8 *out, size_t cap, struct oscore_aead_req *req,
		   struct oscore_binding *binding);

/*
 * Parses a received message and its OSCORE option into @rx, before any
 * context is known: rx->opt names the context, rx->seq the replay check.
 * @pkt is decrypted in place later, so it must be writable.
 */
int oscore_unprotect_parse(u8 *pkt, size_t len, struct oscore_rx *rx);

/*
 * oscore_unprotect_parse() for a message already parsed into rx->outer
 * (coap_parse() of the writable buffer): the OSCORE option and the
 * outer code, without parsing the message again.
 */
int oscore_unprotect_outer(struct oscore_rx *rx);

/*
 * Checks @rx against @ctx (kid, kid context, Partial IV presence) and
 * prepares rx->req.  A response needs the binding of its @request.
 */
int oscore_unprotect_begin(const struct oscore_ctx *ctx,
			   const struct oscore_binding *request,
			   struct oscore_rx *rx);

/*
 * After the decrypt returned (or completed with) @err: rebuilds the
 * unprotected message in @out, whose options and payload point into the
 * decrypted buffer.  -CODEC_EAUTH when the tag did not verify.
 */
int oscore_unprotect_finish(struct oscore_rx *rx, int err,
			    struct coap_msg *out);

/* All three steps and a synchronous decrypt. */
int oscore_unprotect(const struct oscore_ctx *ctx, u8 *pkt, size_t len,
		     const struct oscore_binding *request, struct oscore_rx *rx,
		     struct coap_msg *out);

#endif /* COAPSEC_CODEC_OSCORE_H */
