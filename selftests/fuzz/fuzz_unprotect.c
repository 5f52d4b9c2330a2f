// SPDX-License-Identifier: GPL-2.0
/*
 * Unprotect with a fixed context (C.1's server side) through the split
 * API, as the packet path calls it.  Input: one byte of mode (bit 0:
 * group mode), then the received message.  A response is bound to C.4.
 * The null AEAD makes the "ciphertext" the plaintext, so any inner
 * options and payload reach the parser, and the kernel's in-place
 * delivery (kmod/receive.c, coapsec_deliver()) is checked against the
 * message serialized anew.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

static const u8 common_iv[] = {
	0x46, 0x22, 0xd4, 0xdd, 0x6d, 0x94, 0x41, 0x68, 0xee, 0xfb, 0x54,
	0x98, 0x7c,
};

/*
 * Where no outer option joined the inner ones, the kernel writes the
 * header and token in front of the plaintext's options as they lie:
 * those bytes must be the message as coap_serialize() writes it.
 */
static void check_in_place(const struct oscore_rx *rx,
			   const struct coap_msg *m, const u8 *whole, int len)
{
	static u8 in_place[FUZZ_MAX_MSG + COAP_HDR_LEN + COAP_MAX_TOKEN_LEN];
	int head;

	if (m->num_opts != rx->inner_opts)
		return;
	head = coap_serialize_header(m, in_place, sizeof(in_place));
	FUZZ_CHECK(head > 0);
	FUZZ_CHECK(rx->req.len >= 1 &&
		   head + rx->req.len - 1 <= sizeof(in_place));
	memcpy(in_place + head, rx->req.buf + 1, rx->req.len - 1);
	FUZZ_CHECK((size_t)len == head + rx->req.len - 1);
	FUZZ_CHECK(!memcmp(in_place, whole, len));
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static u8 pkt[FUZZ_MAX_MSG], out[FUZZ_MAX_MSG];
	static struct oscore_rx rx;
	static struct coap_msg m;
	struct oscore_binding bind = {
		.kid_len = 0, .piv = { 0x14 }, .piv_len = 1,
	};
	struct oscore_ctx ctx = {
		.ops = &fuzz_null_ops,
		.sender_id = { 0x01 }, .sender_id_len = 1,
		.recipient_id_len = 0,
	};
	int err, len;

	if (size < 1 || size > FUZZ_MAX_MSG)
		return 0;
	ctx.alg = oscore_alg_find(OSCORE_ALG_AES_CCM_16_64_128);
	ctx.flags = data[0] & 1 ? OSCORE_CTX_GROUP : 0;
	memcpy(ctx.common_iv, common_iv, sizeof(common_iv));
	oscore_nonce(&ctx, NULL, 0, bind.piv, 1, bind.nonce);
	/* a copy, both to decrypt in place and to catch over-reads */
	memcpy(pkt, data + 1, size - 1);
	err = oscore_unprotect_parse(pkt, size - 1, &rx);
	if (err)
		return 0;
	err = oscore_unprotect_begin(&ctx, rx.is_request ? NULL : &bind, &rx);
	if (err)
		return 0;
	err = oscore_unprotect_finish(&rx, ctx.ops->decrypt(&rx.req), &m);
	if (err)
		return 0;
	FUZZ_CHECK(m.code != COAP_CODE_EMPTY);
	len = coap_serialize(&m, out, sizeof(out));
	FUZZ_CHECK(len > 0);
	check_in_place(&rx, &m, out, len);
	return 0;
}
