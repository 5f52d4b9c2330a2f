// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Group OSCORE group mode structures, draft-ietf-core-oscore-groupcomm-28
 * §3 (COSE object: countersignature, kid, nonce, external_aad), §4 (Group
 * Flag, keystream) and §7 (message processing in group mode).
 */
#include "oscore_group.h"
#include "cbor.h"
#include "codec_err.h"

#define OSCORE_VERSION		1

size_t oscore_group_sig_len(int alg_signature)
{
	switch (alg_signature) {
	case OSCORE_SIG_ES256:
		return OSCORE_SIG_ES256_LEN;
	case OSCORE_SIG_EDDSA:
		return OSCORE_SIG_EDDSA_LEN;
	}
	return 0;
}

int oscore_group_ctx_check(const struct oscore_group_ctx *g)
{
	int err = oscore_ctx_check(&g->base);

	if (err)
		return err;
	if (!(g->base.flags & OSCORE_CTX_GROUP) ||
	    !oscore_group_sig_len(g->alg_signature) ||
	    !g->sender_cred || !g->sender_cred_len ||
	    g->sender_cred_len > OSCORE_GROUP_CRED_MAX_LEN ||
	    g->recipient_cred_len > OSCORE_GROUP_CRED_MAX_LEN ||
	    (g->recipient_cred_len && !g->recipient_cred) ||
	    g->gm_cred_len > OSCORE_GROUP_CRED_MAX_LEN ||
	    (g->gm_cred_len && !g->gm_cred))
		return -CODEC_ECTX;
	return 0;
}

static void oscore_group_put_alg(struct cbor_writer *w, int alg)
{
	if (alg == OSCORE_GROUP_ALG_NONE)
		cbor_put_null(w);
	else
		cbor_put_int(w, alg);
}

int oscore_group_ext_aad(const struct oscore_group_ctx *g,
			 const struct oscore_group_binding *request,
			 const u8 *optval, size_t opt_len,
			 const u8 *sender_cred, size_t sender_cred_len,
			 u8 *buf, size_t cap)
{
	struct cbor_writer w;

	cbor_init(&w, buf, cap);
	cbor_put_array(&w, 9);
	cbor_put_uint(&w, OSCORE_VERSION);
	cbor_put_array(&w, 4);
	oscore_group_put_alg(&w, g->alg_aead);
	oscore_group_put_alg(&w, g->base.alg->cose_id);
	oscore_group_put_alg(&w, g->alg_signature);
	oscore_group_put_alg(&w, g->alg_pairwise_ka);
	cbor_put_bstr(&w, request->b.kid, request->b.kid_len);
	cbor_put_bstr(&w, request->b.piv, request->b.piv_len);
	cbor_put_bstr(&w, NULL, 0);	/* no Class I options */
	cbor_put_bstr(&w, request->kid_context, request->kid_context_len);
	cbor_put_bstr(&w, optval, opt_len);
	cbor_put_bstr(&w, sender_cred, sender_cred_len);
	cbor_put_bstr(&w, g->gm_cred, g->gm_cred_len);
	return cbor_len(&w);
}

int oscore_group_enc_structure(const u8 *ext_aad, size_t ext_aad_len,
			       u8 *buf, size_t cap)
{
	struct cbor_writer w;

	cbor_init(&w, buf, cap);
	cbor_put_array(&w, 3);
	cbor_put_tstr(&w, "Encrypt0");
	cbor_put_bstr(&w, NULL, 0);
	cbor_put_bstr(&w, ext_aad, ext_aad_len);
	return cbor_len(&w);
}

int oscore_group_tbs_head(const u8 *ext_aad, size_t ext_aad_len,
			  size_t ct_len, u8 *buf, size_t cap)
{
	struct cbor_writer w;

	/* RFC 9338 §3.3: no sign_protected for Countersignature0, and no
	 * other_fields for a COSE_Encrypt0 (two byte strings only).
	 */
	cbor_init(&w, buf, cap);
	cbor_put_array(&w, 4);
	cbor_put_tstr(&w, "CounterSignature0");
	cbor_put_bstr(&w, NULL, 0);
	cbor_put_bstr(&w, ext_aad, ext_aad_len);
	cbor_put_bstr_head(&w, ct_len);
	return cbor_len(&w);
}

int oscore_group_ks_info(const u8 *id, size_t id_len, const u8 *id_context,
			 size_t id_context_len, bool is_request, size_t l,
			 u8 *buf, size_t cap)
{
	struct cbor_writer w;

	cbor_init(&w, buf, cap);
	cbor_put_array(&w, 4);
	cbor_put_bstr(&w, id, id_len);
	cbor_put_bstr(&w, id_context, id_context_len);
	cbor_put_bool(&w, is_request);
	cbor_put_uint(&w, l);
	return cbor_len(&w);
}

/* The AAD and the keystream inputs, once the OSCORE option is known. */
static int oscore_group_crypt_init(const struct oscore_group_ctx *g,
				   const struct oscore_group_binding *request,
				   const u8 *optval, size_t opt_len,
				   const u8 *sender_cred, size_t sender_cred_len,
				   const u8 *piv_id, size_t piv_id_len,
				   const u8 *piv, size_t piv_len,
				   bool is_request, struct oscore_group_crypt *c)
{
	int len;

	len = oscore_group_ext_aad(g, request, optval, opt_len, sender_cred,
				   sender_cred_len, c->ext_aad,
				   sizeof(c->ext_aad));
	if (len < 0)
		return len;
	c->ext_aad_len = len;
	len = oscore_group_enc_structure(c->ext_aad, c->ext_aad_len, c->aad,
					 sizeof(c->aad));
	if (len < 0)
		return len;
	c->aad_len = len;
	/* salt: the PIV of the nonce; id: whoever generated that PIV */
	memcpy(c->ks.salt, piv, piv_len);
	c->ks.salt_len = piv_len;
	len = oscore_group_ks_info(piv_id, piv_id_len, g->base.id_context,
				   g->base.id_context_len, is_request,
				   c->sig_len, c->ks.info, sizeof(c->ks.info));
	if (len < 0)
		return len;
	c->ks.info_len = len;
	return 0;
}

int oscore_group_protect_begin(const struct oscore_group_ctx *g,
			       const struct coap_msg *m, u64 seq,
			       const struct oscore_group_binding *request,
			       u8 *out, size_t cap,
			       struct oscore_group_crypt *c,
			       struct oscore_group_binding *binding)
{
	const struct oscore_ctx *ctx = &g->base;
	struct oscore_group_binding own;
	const struct oscore_binding *pb;
	struct oscore_layout l;
	int len, err;

	err = oscore_group_ctx_check(g);
	if (err)
		return err;
	c->sig_len = oscore_group_sig_len(g->alg_signature);
	len = oscore_protect_layout(ctx, m, seq, request ? &request->b : NULL,
				    true, ctx->alg->tag_len + c->sig_len, out,
				    cap, &l);
	if (len < 0)
		return len;
	if (l.is_request) {
		memset(&own, 0, sizeof(own));
		own.b = l.own;
		memcpy(own.kid_context, ctx->id_context, ctx->id_context_len);
		own.kid_context_len = ctx->id_context_len;
		request = &own;
	}
	/* The nonce's PIV: this message's own, or the request's. */
	pb = l.opt.piv_len ? NULL : &request->b;
	err = oscore_group_crypt_init(g, request, l.optval, l.opt_len,
				      g->sender_cred, g->sender_cred_len,
				      pb ? pb->kid : ctx->sender_id,
				      pb ? pb->kid_len : ctx->sender_id_len,
				      pb ? pb->piv : l.opt.piv,
				      pb ? pb->piv_len : l.opt.piv_len,
				      l.is_request, c);
	if (err)
		return err;
	memcpy(c->nonce, l.nonce, ctx->alg->nonce_len);
	c->buf = out + l.start;
	c->len = l.len;
	c->sig = c->buf + c->len + ctx->alg->tag_len;
	if (binding && l.is_request)
		*binding = own;
	return len;
}

static bool oscore_group_eq(const u8 *a, size_t alen, const u8 *b,
			    size_t blen)
{
	return alen == blen && (!alen || !memcmp(a, b, alen));
}

int oscore_group_unprotect_begin(const struct oscore_group_ctx *g,
				 const struct oscore_group_binding *request,
				 struct oscore_group_rx *grx)
{
	const struct oscore_ctx *ctx = &g->base;
	struct oscore_rx *rx = &grx->rx;
	const struct oscore_option *o = &rx->opt;
	struct oscore_group_crypt *c = &grx->c;
	const struct coap_option *optval = NULL;
	const struct oscore_binding *pb;
	size_t tag_len, i;
	int err;

	err = oscore_group_ctx_check(g);
	if (err)
		return err;
	if (!g->recipient_cred_len)
		return -CODEC_ECRED;
	/* Unsigned where group mode is required: never accepted (§6). */
	if (!o->group)
		return -CODEC_ENOTGROUP;
	/* §3.2: kid in every message, kid context in every request */
	if (!o->has_kid)
		return -CODEC_ENOKID;
	if (!oscore_group_eq(o->kid, o->kid_len, ctx->recipient_id,
			     ctx->recipient_id_len))
		return -CODEC_EKID;
	if (o->has_kid_context &&
	    !oscore_group_eq(o->kid_context, o->kid_context_len,
			     ctx->id_context, ctx->id_context_len))
		return -CODEC_EKIDCTX;
	if (rx->is_request) {
		if (request)
			return -CODEC_ENOBINDING;
		if (!o->piv_len)
			return -CODEC_ENOPIV;
		if (!o->has_kid_context)
			return -CODEC_ENOKIDCTX;
	} else if (!request) {
		return -CODEC_ENOBINDING;
	}
	c->sig_len = oscore_group_sig_len(g->alg_signature);
	tag_len = ctx->alg->tag_len;
	if (rx->outer.payload_len < 1 + tag_len + c->sig_len)
		return -CODEC_ESHORT;
	/* The option's bytes as received go into the AAD. */
	for (i = 0; i < rx->outer.num_opts; i++)
		if (rx->outer.opts[i].number == COAP_OPT_OSCORE)
			optval = &rx->outer.opts[i];
	if (!optval)
		return -CODEC_EOSC_MISSING;

	if (o->piv_len)
		oscore_nonce(ctx, ctx->recipient_id, ctx->recipient_id_len,
			     o->piv, o->piv_len, c->nonce);
	else
		memcpy(c->nonce, request->b.nonce, ctx->alg->nonce_len);
	if (rx->is_request) {
		struct oscore_group_binding *b = &grx->binding;

		memset(b, 0, sizeof(*b));
		memcpy(b->b.kid, ctx->recipient_id, ctx->recipient_id_len);
		b->b.kid_len = ctx->recipient_id_len;
		memcpy(b->b.piv, o->piv, o->piv_len);
		b->b.piv_len = o->piv_len;
		memcpy(b->b.nonce, c->nonce, ctx->alg->nonce_len);
		memcpy(b->kid_context, o->kid_context, o->kid_context_len);
		b->kid_context_len = o->kid_context_len;
		request = b;
	}
	pb = o->piv_len ? NULL : &request->b;
	err = oscore_group_crypt_init(g, request, optval->value, optval->len,
				      g->recipient_cred, g->recipient_cred_len,
				      pb ? pb->kid : ctx->recipient_id,
				      pb ? pb->kid_len : ctx->recipient_id_len,
				      pb ? pb->piv : o->piv,
				      pb ? pb->piv_len : o->piv_len,
				      rx->is_request, c);
	if (err)
		return err;
	/* The payload lies in the caller's writable packet buffer. */
	c->buf = (u8 *)rx->outer.payload;
	c->len = rx->outer.payload_len - c->sig_len - tag_len;
	c->sig = c->buf + c->len + tag_len;
	rx->req.alg = ctx->alg;
	rx->req.buf = c->buf;
	rx->req.len = c->len;
	return 0;
}
