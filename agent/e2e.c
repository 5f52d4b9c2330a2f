// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include <mbedtls/platform_util.h>

#include "agent/contexts.h"
#include "agent/e2e.h"
#include "codec/coap.h"
#include "codec/oscore_alg.h"

int e2e_id_context(const char *ksid, uint8_t *out, size_t cap)
{
	size_t n = strlen(ksid), sl = strlen(E2E_ID_CONTEXT_SUFFIX);

	if (n + sl > cap || n + sl > OSCORE_MAX_ID_CONTEXT_LEN)
		return -1;
	memcpy(out, ksid, n);
	memcpy(out + n, E2E_ID_CONTEXT_SUFFIX, sl);
	return (int)(n + sl);
}

int e2e_init(struct e2e *e, const uint8_t ks[KS_LEN], const char *ksid,
	     bool server_side)
{
	const uint8_t srv = PAIRWISE_SERVER_SID, mem = PAIRWISE_MEMBER_SID;
	uint8_t idc[OSCORE_MAX_ID_CONTEXT_LEN];
	int n = e2e_id_context(ksid, idc, sizeof(idc));
	/*
	 * Ksx keys the kernel's pairwise context too, with KsxId as its ID
	 * context and the same sender IDs, from sequence number 0: the
	 * exchange gets a key space of its own (ID context KsxId || "/sr",
	 * so other keys and another Common IV), or a Service Request and a
	 * pairwise message would share a (key, nonce).
	 */
	struct oscore_master m = {
		.alg = OSCORE_ALG_AES_CCM_16_64_128, .secret = ks, .secret_len = KS_LEN,
		.id_context = idc, .id_context_len = n < 0 ? 0 : (size_t)n,
		.sender_id = server_side ? &srv : &mem, .sender_id_len = 1,
		.recipient_id = server_side ? &mem : &srv, .recipient_id_len = 1,
	};

	if (n < 0)
		return -1;
	return oscore_sw_ctx_init(&e->sw, &m, OSCORE_CTX_SEND_KID_CONTEXT) ? -1 : 0;
}

void e2e_free(struct e2e *e)
{
	oscore_sw_ctx_free(&e->sw);
}

static void inner(struct coap_msg *m, uint8_t type, uint8_t code,
		  const char *path, const char *json, uint8_t *cf)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->code = code;
	if (path) {
		m->opts[m->num_opts++] = (struct coap_option){
			.number = COAP_OPT_URI_PATH, .len = (u32)strlen(path),
			.value = (const u8 *)path };
	}
	*cf = 50;
	m->opts[m->num_opts++] = (struct coap_option){
		.number = COAP_OPT_CONTENT_FORMAT, .len = 1, .value = cf };
	m->payload = (const u8 *)json;
	m->payload_len = strlen(json);
}

int e2e_protect_request(struct e2e *e, uint64_t seq, const char *path,
			const char *json, uint8_t *out, size_t cap,
			struct oscore_binding *b)
{
	struct oscore_aead_req req;
	struct coap_msg m;
	uint8_t cf;
	int n;

	inner(&m, COAP_TYPE_CON, COAP_CODE_POST, path, json, &cf);
	m.token_len = 1;
	m.token[0] = (uint8_t)seq;
	n = oscore_protect(&e->sw.ctx, &m, seq, NULL, out, cap, &req, b);
	mbedtls_platform_zeroize(&req, sizeof(req));
	return n < 0 ? -1 : n;
}

int e2e_unprotect_request(struct e2e *e, uint8_t *pkt, size_t len,
			  int64_t last_seq, struct oscore_binding *b,
			  uint64_t *seq, char *path, size_t path_cap,
			  const uint8_t **payload, size_t *plen)
{
	struct oscore_rx rx;
	struct coap_msg m;
	size_t pos = 0;
	int err;

	if (oscore_unprotect_parse(pkt, len, &rx) || !rx.is_request ||
	    !rx.opt.piv_len)
		return -1;
	/* Replay: checked before decrypting, committed by the caller after. */
	if (last_seq >= 0 && rx.seq <= (uint64_t)last_seq)
		return -2;
	if (oscore_unprotect_begin(&e->sw.ctx, NULL, &rx))
		return -1;
	err = e->sw.ctx.ops->decrypt(&rx.req);
	if (oscore_unprotect_finish(&rx, err, &m))
		return -1;
	path[0] = 0;
	for (unsigned int i = 0; i < m.num_opts; i++) {
		const struct coap_option *o = &m.opts[i];

		if (o->number != COAP_OPT_URI_PATH)
			continue;
		if (pos + 1 + o->len >= path_cap)
			return -1;
		path[pos++] = '/';
		memcpy(path + pos, o->value, o->len);
		pos += o->len;
		path[pos] = 0;
	}
	*b = rx.binding;
	*seq = rx.seq;
	*payload = m.payload;
	*plen = m.payload_len;
	return m.code == COAP_CODE_POST ? 0 : -1;
}

int e2e_protect_response(struct e2e *e, const struct oscore_binding *b,
			 uint8_t code, const char *json, uint8_t *out,
			 size_t cap)
{
	struct oscore_aead_req req;
	struct coap_msg m;
	uint8_t cf;
	int n;

	inner(&m, COAP_TYPE_ACK, code, NULL, json, &cf);
	n = oscore_protect(&e->sw.ctx, &m, OSCORE_SEQ_NONE, b, out, cap, &req,
			   NULL);
	mbedtls_platform_zeroize(&req, sizeof(req));
	return n < 0 ? -1 : n;
}

int e2e_unprotect_response(struct e2e *e, const struct oscore_binding *b,
			   uint8_t *pkt, size_t len, uint8_t *code,
			   const uint8_t **payload, size_t *plen)
{
	struct oscore_rx rx;
	struct coap_msg m;

	if (oscore_unprotect(&e->sw.ctx, pkt, len, b, &rx, &m))
		return -1;
	*code = m.code;
	*payload = m.payload;
	*plen = m.payload_len;
	return 0;
}
