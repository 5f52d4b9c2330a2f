// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * OSCORE message processing, RFC 8613 §4 (option classes), §5 (nonce,
 * AAD) and §8 (protecting and verifying requests and responses).
 */
#include "oscore.h"
#include "cbor.h"
#include "codec_err.h"

#define OSCORE_VERSION		1
/* external_aad without the variable parts: the array, version, alg. */
#define OSCORE_EXT_AAD_MAX	(OSCORE_MAX_AAD_LEN - 16)

/*
 * Class U only (§4.1; Hop-Limit RFC 8768, EDHOC RFC 9668): kept outside,
 * never encrypted.  Every other option, unknown ones included, is Class E.
 * Proxy-Uri (§4.1.3.3) would be split between the classes; coapsec does
 * not support it.
 */
static bool oscore_opt_outer_only(u16 number)
{
	switch (number) {
	case COAP_OPT_URI_HOST:
	case COAP_OPT_URI_PORT:
	case COAP_OPT_OSCORE:
	case COAP_OPT_HOP_LIMIT:
	case COAP_OPT_EDHOC:
	case COAP_OPT_PROXY_SCHEME:
		return true;
	}
	return false;
}

/* oscore_ctx_check(), in line where every message checks its context. */
static inline int oscore_ctx_valid(const struct oscore_ctx *ctx)
{
	const struct oscore_alg *alg = ctx->alg;

	if (!alg || !ctx->ops || !ctx->ops->encrypt || !ctx->ops->decrypt ||
	    alg->nonce_len > OSCORE_MAX_NONCE_LEN || alg->nonce_len < 7 ||
	    alg->tag_len > OSCORE_MAX_TAG_LEN ||
	    ctx->sender_id_len > alg->nonce_len - 6 ||
	    ctx->recipient_id_len > alg->nonce_len - 6 ||
	    ctx->id_context_len > OSCORE_MAX_ID_CONTEXT_LEN ||
	    (ctx->id_context_len && !ctx->id_context))
		return -CODEC_ECTX;
	return 0;
}

int oscore_ctx_check(const struct oscore_ctx *ctx)
{
	return oscore_ctx_valid(ctx);
}

void oscore_nonce(const struct oscore_ctx *ctx, const u8 *id, size_t id_len,
		  const u8 *piv, size_t piv_len, u8 *nonce)
{
	size_t n = ctx->alg->nonce_len, i;
	u8 *at;

	/*
	 * S, ID_PIV left-padded to nonce_len - 6, Partial IV padded to 5,
	 * XORed into the Common IV: the usual lengths copied as constants,
	 * the ID and Partial IV (a few bytes) byte by byte.
	 */
	if (n == 13)
		memcpy(nonce, ctx->common_iv, 13);
	else if (n == 12)
		memcpy(nonce, ctx->common_iv, 12);
	else
		for (i = 0; i < n; i++)
			nonce[i] = ctx->common_iv[i];
	nonce[0] ^= id_len;
	at = nonce + n - OSCORE_PIV_MAX_LEN - id_len;
	for (i = 0; i < id_len; i++)
		at[i] ^= id[i];
	at = nonce + n - piv_len;
	for (i = 0; i < piv_len; i++)
		at[i] ^= piv[i];
}

/*
 * The AAD for what every OSCORE message has (an ID and a Partial IV of a
 * few bytes, an algorithm of one or two CBOR bytes), written straight:
 * the general writer costs a call per item on every packet.  The same
 * bytes as below; 0 when they do not fit this shape.
 */
static int oscore_aad_short(const struct oscore_alg *alg, const u8 *kid,
			    size_t kid_len, const u8 *piv, size_t piv_len,
			    u8 *aad, size_t cap)
{
	static const u8 enc0[] = { 0x83, 0x68, 'E', 'n', 'c', 'r', 'y', 'p',
				   't', '0', 0x40 };
	size_t ext = sizeof(enc0) + 1, pos, i;

	if (alg->cose_id < 0 || alg->cose_id > 0xff || kid_len > 23 ||
	    piv_len > 23)
		return 0;
	/* [1, [alg], kid, piv, h''] after the bstr head of its length */
	pos = ext + 7 + (alg->cose_id > 23) + kid_len + piv_len;
	if (pos - ext > 23 || pos > cap)
		return 0;
	memcpy(aad, enc0, sizeof(enc0));
	aad[ext - 1] = (CBOR_BSTR << 5) | (pos - ext);
	pos = ext;
	aad[pos++] = (CBOR_ARRAY << 5) | 5;
	aad[pos++] = OSCORE_VERSION;
	aad[pos++] = (CBOR_ARRAY << 5) | 1;
	if (alg->cose_id > 23)
		aad[pos++] = 24;
	aad[pos++] = alg->cose_id;
	/* A few bytes each: copied in line, not by a call per item. */
	aad[pos++] = (CBOR_BSTR << 5) | kid_len;
	for (i = 0; i < kid_len; i++)
		aad[pos++] = kid[i];
	aad[pos++] = (CBOR_BSTR << 5) | piv_len;
	for (i = 0; i < piv_len; i++)
		aad[pos++] = piv[i];
	aad[pos++] = CBOR_BSTR << 5;	/* no Class I options */
	return pos;
}

int oscore_aad(const struct oscore_alg *alg, const u8 *request_kid,
	       size_t kid_len, const u8 *request_piv, size_t piv_len,
	       u8 *aad, size_t cap)
{
	/* Not cleared per packet: the short form returns before it is used. */
	u8 ext[OSCORE_EXT_AAD_MAX] __uninitialized;
	struct cbor_writer w;
	int len;

	len = oscore_aad_short(alg, request_kid, kid_len, request_piv, piv_len,
			       aad, cap);
	if (len)
		return len;
	/* external_aad = [version, [alg], request_kid, request_piv, I] */
	cbor_init(&w, ext, sizeof(ext));
	cbor_put_array(&w, 5);
	cbor_put_uint(&w, OSCORE_VERSION);
	cbor_put_array(&w, 1);
	cbor_put_int(&w, alg->cose_id);
	cbor_put_bstr(&w, request_kid, kid_len);
	cbor_put_bstr(&w, request_piv, piv_len);
	cbor_put_bstr(&w, NULL, 0);	/* no Class I options */
	len = cbor_len(&w);
	if (len < 0)
		return len;

	/* Enc_structure = ["Encrypt0", h'', external_aad] */
	cbor_init(&w, aad, cap);
	cbor_put_array(&w, 3);
	cbor_put_tstr(&w, "Encrypt0");
	cbor_put_bstr(&w, NULL, 0);
	cbor_put_bstr(&w, ext, len);
	return cbor_len(&w);
}

static int oscore_req_crypto(const struct oscore_ctx *ctx,
			     struct oscore_aead_req *req, void *key,
			     const struct oscore_binding *bound)
{
	int len;

	req->alg = ctx->alg;
	req->key = key;
	len = oscore_aad(ctx->alg, bound->kid, bound->kid_len, bound->piv,
			 bound->piv_len, req->aad, sizeof(req->aad));
	if (len < 0)
		return len;
	req->aad_len = len;
	return 0;
}

/* Writes the OSCORE option between the outer options, in number order. */
static int oscore_write_outer(const struct coap_msg *m, const u8 *oscore_val, size_t oscore_len,
			      u8 *out, size_t cap, size_t *pos)
{
	bool done = false;
	unsigned int i;
	u16 prev = 0;
	int err;

	for (i = 0; i <= m->num_opts; i++) {
		const struct coap_option *o = i < m->num_opts ? &m->opts[i] : NULL;

		if (!done && (!o || o->number > COAP_OPT_OSCORE)) {
			err = coap_write_option(out, cap, pos, &prev,
						COAP_OPT_OSCORE, oscore_val,
						oscore_len);
			if (err)
				return err;
			done = true;
		}
		if (!o)
			break;
		/* Observe is both: the outer copy is for proxies (§4.1.3.5). */
		if (!oscore_opt_outer_only(o->number) &&
		    o->number != COAP_OPT_OBSERVE)
			continue;
		err = coap_write_option(out, cap, pos, &prev, o->number,
					o->value, o->len);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The plaintext: code, Class E options, payload.  Without @payload only
 * its marker is written: the caller places the payload behind it.
 */
static int oscore_write_inner(const struct coap_msg *m, bool is_request,
			      bool payload, u8 *out, size_t cap, size_t *pos)
{
	unsigned int i;
	u16 prev = 0;
	int err;

	out[(*pos)++] = m->code;
	for (i = 0; i < m->num_opts; i++) {
		const struct coap_option *o = &m->opts[i];

		if (oscore_opt_outer_only(o->number) ||
		    (o->number == COAP_OPT_OBSERVE && !is_request))
			continue;
		err = coap_write_option(out, cap, pos, &prev, o->number,
					o->value, o->len);
		if (err)
			return err;
	}
	if (m->payload_len) {
		if (cap - *pos < 1 + (payload ? m->payload_len : 0))
			return -CODEC_ENOSPC;
		out[(*pos)++] = COAP_PAYLOAD_MARKER;
		if (!payload)
			return 0;
		memcpy(out + *pos, m->payload, m->payload_len);
		*pos += m->payload_len;
	}
	return 0;
}

/*
 * oscore_protect_layout(), and with !@payload the same up to the inner
 * payload marker: then returns that head's length, and l->len still
 * counts the payload.
 */
static int oscore_layout(const struct oscore_ctx *ctx,
			 const struct coap_msg *m, u64 seq,
			 const struct oscore_binding *request, bool group,
			 size_t trailer, bool payload, u8 *out, size_t cap,
			 struct oscore_layout *l)
{
	struct oscore_option *opt = &l->opt;
	unsigned int i, outer;
	bool observe;
	size_t pos;
	int err;

	err = oscore_ctx_valid(ctx);
	if (err)
		return err;
	if (COAP_CODE_CLASS(m->code) == 0 && m->code != COAP_CODE_EMPTY)
		l->is_request = true;
	else if (COAP_CODE_CLASS(m->code) == 2 ||
		 COAP_CODE_CLASS(m->code) == 4 || COAP_CODE_CLASS(m->code) == 5)
		l->is_request = false;
	else
		return -CODEC_ECODE;
	if (m->token_len > COAP_MAX_TOKEN_LEN)
		return -CODEC_ETKL;
	if (m->num_opts > COAP_MAX_OPTIONS)
		return -CODEC_ETOOMANY;
	observe = false;
	for (i = 0, outer = 1; i < m->num_opts; i++) {
		if (m->opts[i].number == COAP_OPT_OBSERVE)
			observe = true;
		if (oscore_opt_outer_only(m->opts[i].number) ||
		    m->opts[i].number == COAP_OPT_OBSERVE)
			outer++;
		if (m->opts[i].number == COAP_OPT_OSCORE)
			return -CODEC_EPROTECTED;
		if (m->opts[i].number == COAP_OPT_PROXY_URI)
			return -CODEC_EUNSUPPORTED;
		if (i && m->opts[i].number < m->opts[i - 1].number)
			return -CODEC_EORDER;
	}
	/* The outer message must stay within what the receiver parses */
	if (outer > COAP_MAX_OPTIONS)
		return -CODEC_ETOOMANY;
	if (l->is_request && seq == OSCORE_SEQ_NONE)
		return -CODEC_ESEQ;
	if (l->is_request && request)
		return -CODEC_ENOBINDING;
	if (!l->is_request && !request)
		return -CODEC_ENOBINDING;
	if (seq != OSCORE_SEQ_NONE && seq > OSCORE_SEQ_MAX)
		return -CODEC_ESEQ;

	memset(opt, 0, sizeof(*opt));
	memset(&l->own, 0, sizeof(l->own));
	opt->group = group;
	if (seq != OSCORE_SEQ_NONE) {
		oscore_piv_from_seq(seq, opt->piv, &opt->piv_len);
		oscore_nonce(ctx, ctx->sender_id, ctx->sender_id_len, opt->piv,
			     opt->piv_len, l->nonce);
	} else {
		memcpy(l->nonce, request->nonce, ctx->alg->nonce_len);
	}
	if (l->is_request || (ctx->flags & OSCORE_CTX_GROUP)) {
		opt->has_kid = true;
		opt->kid = ctx->sender_id;
		opt->kid_len = ctx->sender_id_len;
	}
	if (l->is_request &&
	    (ctx->flags & (OSCORE_CTX_GROUP | OSCORE_CTX_SEND_KID_CONTEXT))) {
		opt->has_kid_context = true;
		opt->kid_context = ctx->id_context;
		opt->kid_context_len = ctx->id_context_len;
	}
	l->opt_len = oscore_option_encode(opt, l->optval, sizeof(l->optval));
	if (l->opt_len < 0)
		return l->opt_len;

	if (l->is_request) {
		memcpy(l->own.kid, ctx->sender_id, ctx->sender_id_len);
		l->own.kid_len = ctx->sender_id_len;
		memcpy(l->own.piv, opt->piv, opt->piv_len);
		l->own.piv_len = opt->piv_len;
		memcpy(l->own.nonce, l->nonce, ctx->alg->nonce_len);
		request = &l->own;
	}
	l->bound = request;

	/* Outer header: POST / 2.04, FETCH / 2.05 with Observe (§4.2) */
	pos = COAP_HDR_LEN + m->token_len;
	if (cap < pos)
		return -CODEC_ENOSPC;
	out[0] = (COAP_VERSION << 6) | ((m->type & 0x03) << 4) | m->token_len;
	if (l->is_request)
		out[1] = observe ? COAP_CODE_FETCH : COAP_CODE_POST;
	else
		out[1] = observe ? COAP_CODE_CONTENT : COAP_CODE_CHANGED;
	out[2] = m->mid >> 8;
	out[3] = m->mid & 0xff;
	memcpy(out + COAP_HDR_LEN, m->token, m->token_len);
	err = oscore_write_outer(m, l->optval, l->opt_len, out, cap, &pos);
	if (err)
		return err;
	/* Marker and the code byte; the plaintext starts after the marker */
	if (cap - pos < 2)
		return -CODEC_ENOSPC;
	out[pos++] = COAP_PAYLOAD_MARKER;
	l->start = pos;
	err = oscore_write_inner(m, l->is_request, payload, out, cap, &pos);
	if (err)
		return err;
	if (!payload) {
		l->len = pos - l->start + m->payload_len;
		return pos;
	}
	if (cap - pos < trailer)
		return -CODEC_ENOSPC;
	l->len = pos - l->start;
	return pos + trailer;
}

int oscore_protect_layout(const struct oscore_ctx *ctx,
			  const struct coap_msg *m, u64 seq,
			  const struct oscore_binding *request, bool group,
			  size_t trailer, u8 *out, size_t cap,
			  struct oscore_layout *l)
{
	return oscore_layout(ctx, m, seq, request, group, trailer, true, out,
			     cap, l);
}

/* The request for what oscore_layout() wrote at @out. */
static int oscore_protect_req(const struct oscore_ctx *ctx,
			      const struct oscore_layout *l, u8 *out,
			      struct oscore_aead_req *req,
			      struct oscore_binding *binding)
{
	int err;

	/* The whole array: constant length, and the tail is the nonce's. */
	memcpy(req->nonce, l->nonce, sizeof(req->nonce));
	err = oscore_req_crypto(ctx, req, ctx->sender_key, l->bound);
	if (err)
		return err;
	req->buf = out + l->start;
	req->len = l->len;
	if (binding && l->is_request)
		*binding = l->own;
	return 0;
}

int oscore_protect_begin(const struct oscore_ctx *ctx, const struct coap_msg *m,
			 u64 seq, const struct oscore_binding *request,
			 u8 *out, size_t cap, struct oscore_aead_req *req,
			 struct oscore_binding *binding)
{
	struct oscore_layout l;
	int len, err;

	len = oscore_layout(ctx, m, seq, request, false,
			    ctx->alg ? ctx->alg->tag_len : 0, true, out, cap,
			    &l);
	if (len < 0)
		return len;
	err = oscore_protect_req(ctx, &l, out, req, binding);
	return err ? err : len;
}

int oscore_protect_head(const struct oscore_ctx *ctx, const struct coap_msg *m,
			u64 seq, const struct oscore_binding *request,
			u8 *out, size_t cap, struct oscore_aead_req *req,
			struct oscore_binding *binding, struct oscore_layout *l)
{
	int len, err;

	len = oscore_layout(ctx, m, seq, request, false, 0, false, out, cap,
			    l);
	if (len < 0)
		return len;
	err = oscore_protect_req(ctx, l, out, req, binding);
	return err ? err : len;
}

int oscore_protect(const struct oscore_ctx *ctx, const struct coap_msg *m,
		   u64 seq, const struct oscore_binding *request,
		   u8 *out, size_t cap, struct oscore_aead_req *req,
		   struct oscore_binding *binding)
{
	int len, err;

	len = oscore_protect_begin(ctx, m, seq, request, out, cap, req,
				   binding);
	if (len < 0)
		return len;
	err = ctx->ops->encrypt(req);
	return err ? err : len;
}

int oscore_unprotect_parse(u8 *pkt, size_t len, struct oscore_rx *rx)
{
	int err;

	err = coap_parse(pkt, len, &rx->outer);
	if (err)
		return err;
	return oscore_unprotect_outer(rx);
}

int oscore_unprotect_outer(struct oscore_rx *rx)
{
	const struct coap_option *oscore = NULL;
	unsigned int i;
	int err;

	for (i = 0; i < rx->outer.num_opts; i++) {
		const struct coap_option *o = &rx->outer.opts[i];

		switch (o->number) {
		case COAP_OPT_OSCORE:
			if (oscore)
				return -CODEC_EOSC_DUP;
			oscore = o;
			break;
		/* Reassembly of outer Block and Proxy-Uri are not done here */
		case COAP_OPT_BLOCK1:
		case COAP_OPT_BLOCK2:
		case COAP_OPT_PROXY_URI:
			return -CODEC_EUNSUPPORTED;
		}
	}
	if (!oscore)
		return -CODEC_EOSC_MISSING;
	err = oscore_option_decode(oscore->value, oscore->len, &rx->opt);
	if (err)
		return err;
	switch (COAP_CODE_CLASS(rx->outer.code)) {
	case 0:
		rx->is_request = true;
		break;
	case 2:
	case 4:
	case 5:
		rx->is_request = false;
		break;
	default:
		return -CODEC_ECODE;
	}
	rx->seq = oscore_piv_to_seq(rx->opt.piv, rx->opt.piv_len);
	return 0;
}

/* IDs of a few bytes: compared here, not with a call per message. */
static bool oscore_bytes_eq(const u8 *a, size_t alen, const u8 *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return false;
	for (i = 0; i < alen; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

int oscore_unprotect_begin(const struct oscore_ctx *ctx,
			   const struct oscore_binding *request,
			   struct oscore_rx *rx)
{
	const struct oscore_option *o = &rx->opt;
	struct oscore_aead_req *req = &rx->req;
	size_t tag_len;
	int err;

	err = oscore_ctx_valid(ctx);
	if (err)
		return err;
	/* Group mode carries a countersignature this path cannot check. */
	if (o->group)
		return -CODEC_EGROUP;
	if (o->has_kid &&
	    !oscore_bytes_eq(o->kid, o->kid_len, ctx->recipient_id,
			     ctx->recipient_id_len))
		return -CODEC_EKID;
	if (o->has_kid_context &&
	    !oscore_bytes_eq(o->kid_context, o->kid_context_len,
			     ctx->id_context, ctx->id_context_len))
		return -CODEC_EKIDCTX;
	if (rx->is_request) {
		if (request)
			return -CODEC_ENOBINDING;
		if (!o->piv_len)
			return -CODEC_ENOPIV;
		if (!o->has_kid)
			return -CODEC_ENOKID;
		if ((ctx->flags & OSCORE_CTX_GROUP) && !o->has_kid_context)
			return -CODEC_ENOKIDCTX;
	} else {
		if (!request)
			return -CODEC_ENOBINDING;
		if ((ctx->flags & OSCORE_CTX_GROUP) && !o->has_kid)
			return -CODEC_ENOKID;
	}
	tag_len = ctx->alg->tag_len;
	if (rx->outer.payload_len < tag_len + 1)
		return -CODEC_ESHORT;

	if (o->piv_len)
		oscore_nonce(ctx, ctx->recipient_id, ctx->recipient_id_len,
			     o->piv, o->piv_len, req->nonce);
	else
		memcpy(req->nonce, request->nonce, ctx->alg->nonce_len);
	if (rx->is_request) {
		struct oscore_binding *b = &rx->binding;

		memset(b, 0, sizeof(*b));
		memcpy(b->kid, ctx->recipient_id, ctx->recipient_id_len);
		b->kid_len = ctx->recipient_id_len;
		memcpy(b->piv, o->piv, o->piv_len);
		b->piv_len = o->piv_len;
		memcpy(b->nonce, req->nonce, ctx->alg->nonce_len);
		request = b;
	}
	err = oscore_req_crypto(ctx, req, ctx->recipient_key, request);
	if (err)
		return err;
	/* The payload lies in the caller's writable packet buffer. */
	req->buf = (u8 *)rx->outer.payload;
	req->len = rx->outer.payload_len - tag_len;
	return 0;
}

/* Inserts @o after the options numbered up to its own number. */
static int oscore_insert_option(struct coap_msg *m,
				const struct coap_option *o)
{
	unsigned int i;

	if (m->num_opts >= COAP_MAX_OPTIONS)
		return -CODEC_ETOOMANY;
	i = m->num_opts;
	while (i > 0 && m->opts[i - 1].number > o->number) {
		m->opts[i] = m->opts[i - 1];
		i--;
	}
	m->opts[i] = *o;
	m->num_opts++;
	return 0;
}

int oscore_unprotect_finish(struct oscore_rx *rx, int err,
			    struct coap_msg *out)
{
	const struct coap_msg *outer = &rx->outer;
	bool inner_observe = false;
	unsigned int i;

	if (err == -EBADMSG)
		return -CODEC_EAUTH;
	if (err)
		return err;
	out->type = outer->type;
	out->mid = outer->mid;
	out->token_len = outer->token_len;
	memcpy(out->token, outer->token, outer->token_len);
	out->code = rx->req.buf[0];
	out->num_opts = 0;
	err = coap_parse_options(rx->req.buf + 1, rx->req.len - 1, out->opts,
				 COAP_MAX_OPTIONS, &out->num_opts,
				 &out->payload, &out->payload_len);
	if (err)
		return err;
	rx->inner_opts = out->num_opts;
	/* The inner code is of the outer's kind: a request in a request. */
	if (out->code == COAP_CODE_EMPTY ||
	    rx->is_request != (COAP_CODE_CLASS(out->code) == 0) ||
	    (!rx->is_request && COAP_CODE_CLASS(out->code) != 2 &&
	     COAP_CODE_CLASS(out->code) != 4 &&
	     COAP_CODE_CLASS(out->code) != 5))
		return -CODEC_ECODE;
	for (i = 0; i < out->num_opts; i++) {
		u16 n = out->opts[i].number;

		if (oscore_opt_outer_only(n) || n == COAP_OPT_PROXY_URI)
			return -CODEC_EINNER;
		if (n == COAP_OPT_OBSERVE)
			inner_observe = true;
	}
	/*
	 * Outer Class U options join the inner ones; outer Class E options
	 * are an intermediary's and are dropped (§4.1).  A response's
	 * Observe is outer only; a request's inner copy is the one used.
	 */
	for (i = 0; i < outer->num_opts; i++) {
		const struct coap_option *o = &outer->opts[i];

		if (o->number == COAP_OPT_OSCORE)
			continue;
		if (!oscore_opt_outer_only(o->number) &&
		    (o->number != COAP_OPT_OBSERVE || inner_observe ||
		     rx->is_request))
			continue;
		err = oscore_insert_option(out, o);
		if (err)
			return err;
	}
	return 0;
}

int oscore_unprotect(const struct oscore_ctx *ctx, u8 *pkt, size_t len,
		     const struct oscore_binding *request, struct oscore_rx *rx,
		     struct coap_msg *out)
{
	int err;

	err = oscore_unprotect_parse(pkt, len, rx);
	if (err)
		return err;
	err = oscore_unprotect_begin(ctx, request, rx);
	if (err)
		return err;
	return oscore_unprotect_finish(rx, ctx->ops->decrypt(&rx->req), out);
}
