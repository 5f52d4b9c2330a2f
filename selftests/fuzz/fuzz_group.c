// SPDX-License-Identifier: GPL-2.0
/*
 * Group OSCORE group mode, the codec side: input byte 0 chooses.  Bit 0
 * set: the rest is an authentication credential for oscore_ccs_parse().
 * Clear: the rest is a received message, verified as far as the codec
 * goes (parse, group checks, external_aad, keystream info) with a fixed
 * context whose peer key is P-256's generator; bit 1 binds a response to
 * a request (kid 01, Partial IV 05).  The stand-in AEAD lets the plaintext
 * parsing be reached; the signature is not checked here (no crypto).
 */
#include "fuzz_common.h"
#include "codec/oscore_cred.h"
#include "codec/oscore_group.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

static const u8 common_iv[] = {
	0x46, 0x22, 0xd4, 0xdd, 0x6d, 0x94, 0x41, 0x68, 0xee, 0xfb, 0x54,
	0x98, 0x7c,
};
static const u8 gid[] = { 0x37, 0xcb, 0xf3, 0xb1 };
/* {8: {1: {1: 2, -1: 1, -2: x, -3: y}}}, (x, y) the generator of P-256 */
static const u8 peer_cred[] = {
	0xa1, 0x08, 0xa1, 0x01, 0xa4, 0x01, 0x02, 0x20, 0x01, 0x21, 0x58, 0x20,
	0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5,
	0x63, 0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0,
	0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96, 0x22, 0x58, 0x20, 0x4f,
	0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c,
	0x0f, 0x9e, 0x16, 0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb,
	0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5,
};

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static u8 pkt[FUZZ_MAX_MSG], out[FUZZ_MAX_MSG];
	static struct oscore_group_rx grx;
	static struct coap_msg m;
	struct oscore_group_binding bind = {
		.b = { .kid = { 0x01 }, .kid_len = 1, .piv = { 0x05 },
		       .piv_len = 1 },
		.kid_context_len = sizeof(gid),
	};
	struct oscore_group_ctx g = {
		.base = {
			.ops = &fuzz_null_ops, .flags = OSCORE_CTX_GROUP,
			.sender_id = { 0x01 }, .sender_id_len = 1,
			.recipient_id = { 0x0a }, .recipient_id_len = 1,
			.id_context = gid, .id_context_len = sizeof(gid),
		},
		.alg_signature = OSCORE_SIG_ES256,
		.sender_cred = peer_cred, .sender_cred_len = sizeof(peer_cred),
		.recipient_cred = peer_cred,
		.recipient_cred_len = sizeof(peer_cred),
	};
	u8 x[32], y[32];
	int err, len;

	if (size < 1 || size > FUZZ_MAX_MSG)
		return 0;
	memcpy(pkt, data + 1, size - 1);
	if (data[0] & 1) {
		err = oscore_ccs_parse(pkt, size - 1, x, y);
		if (!err)
			FUZZ_CHECK(oscore_ccs_build("", x, y, out, sizeof(out)) > 0);
		return 0;
	}
	g.base.alg = oscore_alg_find(OSCORE_ALG_AES_CCM_16_64_128);
	memcpy(g.base.common_iv, common_iv, sizeof(common_iv));
	memcpy(bind.kid_context, gid, sizeof(gid));
	oscore_nonce(&g.base, bind.b.kid, 1, bind.b.piv, 1, bind.b.nonce);
	err = oscore_unprotect_parse(pkt, size - 1, &grx.rx);
	if (err)
		return 0;
	err = oscore_group_unprotect_begin(&g, data[0] & 2 ? &bind : NULL,
					   &grx);
	if (err)
		return 0;
	FUZZ_CHECK(grx.rx.opt.group);
	FUZZ_CHECK(grx.c.sig == grx.c.buf + grx.c.len + g.base.alg->tag_len);
	FUZZ_CHECK(grx.c.ext_aad_len > 0 && grx.c.aad_len > grx.c.ext_aad_len);
	grx.rx.req.key = NULL;
	err = oscore_unprotect_finish(&grx.rx, fuzz_null_ops.decrypt(&grx.rx.req),
				      &m);
	if (err)
		return 0;
	len = coap_serialize(&m, out, sizeof(out));
	FUZZ_CHECK(len > 0);
	return 0;
}
