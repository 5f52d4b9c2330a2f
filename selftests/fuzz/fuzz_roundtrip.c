// SPDX-License-Identifier: GPL-2.0
/*
 * For any message the parser accepts: unprotect(protect(m)) == m, with
 * the real AEAD (mbedTLS AES-CCM) on both sides.  Requests go client to
 * server; responses server to client, bound to a fixed request.  Input:
 * one byte of mode (bit 0: group, bit 1: send kid context, bit 2: the
 * response carries its own Partial IV), then the message.
 */
#include "fuzz_common.h"
#include "oscore_derive.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

static struct oscore_sw_ctx client[8], server[8];

static void fuzz_init(void)
{
	static const u8 secret[16] = {
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	};
	static const u8 idctx[] = { 0x37, 0xcb, 0xf3, 0x21 };
	struct oscore_master cm = {
		.alg = OSCORE_ALG_AES_CCM_16_64_128,
		.secret = secret, .secret_len = sizeof(secret),
		.id_context = idctx, .id_context_len = sizeof(idctx),
		.sender_id = (const u8 *)"\x01", .sender_id_len = 1,
		.recipient_id = (const u8 *)"", .recipient_id_len = 0,
	};
	struct oscore_master sm = cm;
	unsigned int f;

	sm.sender_id = cm.recipient_id;
	sm.sender_id_len = cm.recipient_id_len;
	sm.recipient_id = cm.sender_id;
	sm.recipient_id_len = cm.sender_id_len;
	for (f = 0; f < 4; f++) {
		FUZZ_CHECK(!oscore_sw_ctx_init(&client[f], &cm, f));
		FUZZ_CHECK(!oscore_sw_ctx_init(&server[f], &sm, f));
	}
}

static bool has_observe(const struct coap_msg *m)
{
	unsigned int i;

	for (i = 0; i < m->num_opts; i++)
		if (m->opts[i].number == COAP_OPT_OBSERVE)
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	/* Observe options are sent twice: room for a message twice over */
	static u8 out[2 * FUZZ_MAX_MSG + OSCORE_MAX_OVERHEAD];
	static struct coap_msg m, u, req_msg;
	static struct oscore_rx rx;
	static bool ready;
	static const u8 get[] = { 0x44, 0x01, 0x12, 0x34, 1, 2, 3, 4 };
	struct oscore_binding cb, sb;
	struct oscore_aead_req req;
	unsigned int f;
	int len, err;
	u64 seq;

	if (!ready) {
		fuzz_init();
		ready = true;
	}
	if (size < 1 || size > FUZZ_MAX_MSG)
		return 0;
	f = data[0] & 3;
	if (coap_parse(data + 1, size - 1, &m))
		return 0;
	seq = size * 7919;
	if (COAP_CODE_CLASS(m.code) == 0) {
		len = oscore_protect(&client[f].ctx, &m, seq, NULL, out,
				     sizeof(out), &req, &cb);
		if (len == -CODEC_EPROTECTED || len == -CODEC_EUNSUPPORTED ||
		    len == -CODEC_ETOOMANY ||
		    len == -CODEC_ECODE)
			return 0;
		FUZZ_CHECK(len > 0);
		FUZZ_CHECK(has_observe(&m) ||
			   (size_t)len <= size - 1 + OSCORE_MAX_OVERHEAD);
		err = oscore_unprotect(&server[f].ctx, out, len, NULL, &rx, &u);
		FUZZ_CHECK(!err);
		FUZZ_CHECK(rx.seq == seq && rx.is_request);
		FUZZ_CHECK(!memcmp(&cb, &rx.binding, sizeof(cb)));
		FUZZ_CHECK(coap_msg_equal(&m, &u));
		return 0;
	}
	/* A response: first the request it answers */
	FUZZ_CHECK(!coap_parse(get, sizeof(get), &req_msg));
	len = oscore_protect(&client[f].ctx, &req_msg, 20, NULL, out,
			     sizeof(out), &req, &cb);
	FUZZ_CHECK(len > 0);
	FUZZ_CHECK(!oscore_unprotect(&server[f].ctx, out, len, NULL, &rx, &u));
	sb = rx.binding;
	len = oscore_protect(&server[f].ctx, &m,
			     data[0] & 4 ? seq : OSCORE_SEQ_NONE, &sb, out,
			     sizeof(out), &req, NULL);
	if (len == -CODEC_EPROTECTED || len == -CODEC_EUNSUPPORTED ||
	    len == -CODEC_ETOOMANY || len == -CODEC_ECODE)
		return 0;
	FUZZ_CHECK(len > 0);
	FUZZ_CHECK((size_t)len <= size - 1 + OSCORE_MAX_OVERHEAD);
	err = oscore_unprotect(&client[f].ctx, out, len, &cb, &rx, &u);
	FUZZ_CHECK(!err);
	FUZZ_CHECK(coap_msg_equal(&m, &u));
	return 0;
}
