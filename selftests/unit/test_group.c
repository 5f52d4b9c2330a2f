// SPDX-License-Identifier: GPL-2.0
/*
 * Group OSCORE group mode (kmod/codec/oscore_group.h, oscore_cred.h,
 * tools/lib/oscore_group_sw.h), in process: the draft's header
 * compression examples (selftests/vectors/oscore-groupcomm.json), the
 * structures' layout, CCS credentials well-formed and malformed, round
 * trips, a message changed at every byte, every short output buffer;
 * ES256 and EdDSA.
 * group_interop.py checks the cryptography against a second
 * implementation.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kselftest_harness.h"

#include "codec/cbor.h"
#include "codec/codec_err.h"
#include "codec/oscore_cred.h"
#include "codec/oscore_group.h"
#include "oscore_group_sw.h"

#ifndef COAPSEC_VECTORS
#define COAPSEC_VECTORS "selftests/vectors"
#endif

#define MAX_MSG 2048

static int unhex(const char *s, u8 *buf, size_t cap)
{
	size_t n = strlen(s), i;

	if (n % 2 || n / 2 > cap)
		return -1;
	for (i = 0; i < n / 2; i++) {
		unsigned int v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		buf[i] = v;
	}
	return n / 2;
}

static json_t *vectors(void)
{
	static json_t *root;
	const char *dir = getenv("COAPSEC_VECTORS");
	char path[4096];
	json_error_t err;

	if (root)
		return root;
	snprintf(path, sizeof(path), "%s/oscore-groupcomm.json",
		 dir ? dir : COAPSEC_VECTORS);
	root = json_load_file(path, 0, &err);
	if (!root)
		fprintf(stderr, "# %s: %s\n", path, err.text);
	return root;
}

/* The field @key of example @which ("request"/"response") in group mode. */
static int vec_hex(const char *which, const char *key, u8 *buf, size_t cap)
{
	json_t *v = json_object_get(json_object_get(json_object_get(vectors(),
				    "group_mode"), which), key);

	return json_is_string(v) ? unhex(json_string_value(v), buf, cap) : -1;
}

/* §4.3.1: both examples encode, and decode, as the draft prints them. */
TEST(draft_option_examples)
{
	static const char *const which[] = { "request", "response" };
	u8 kid[8], piv[8], ctx[8], want[32], out[32];
	struct oscore_option o, d;
	unsigned int i;
	int n, len;

	ASSERT_NE(NULL, vectors());
	for (i = 0; i < ARRAY_SIZE(which); i++) {
		memset(&o, 0, sizeof(o));
		o.group = true;
		n = vec_hex(which[i], "kid", kid, sizeof(kid));
		ASSERT_LT(0, n);
		o.has_kid = true;
		o.kid = kid;
		o.kid_len = n;
		n = vec_hex(which[i], "piv", piv, sizeof(piv));
		if (n > 0) {
			memcpy(o.piv, piv, n);
			o.piv_len = n;
		}
		n = vec_hex(which[i], "kid_context", ctx, sizeof(ctx));
		if (n >= 0) {
			o.has_kid_context = true;
			o.kid_context = ctx;
			o.kid_context_len = n;
		}
		len = vec_hex(which[i], "option_value", want, sizeof(want));
		ASSERT_LT(0, len);
		ASSERT_EQ(len, oscore_option_encode(&o, out, sizeof(out)));
		EXPECT_EQ(0, memcmp(out, want, len));
		ASSERT_EQ(0, oscore_option_decode(want, len, &d));
		EXPECT_TRUE(d.group);
		EXPECT_EQ(o.piv_len, d.piv_len);
		EXPECT_EQ(o.has_kid_context, d.has_kid_context);
		EXPECT_EQ(o.kid_len, d.kid_len);
		EXPECT_EQ(0, memcmp(d.kid, kid, d.kid_len));
	}
}

/* The Signature Algorithm of the keys and pairs below (a TEST is a fork). */
static int sig_alg = OSCORE_SIG_ES256;

static void gen_cred(struct __test_metadata *_metadata,
		     struct oscore_group_key *k, const char *subject, u8 *cred,
		     size_t *len)
{
	int n;

	ASSERT_EQ(0, oscore_group_key_generate_alg(k, sig_alg));
	n = oscore_group_key_ccs(k, subject, cred, OSCORE_GROUP_CRED_MAX_LEN);
	ASSERT_LT(0, n);
	*len = n;
}

TEST(ccs_build_and_parse)
{
	u8 x[32], y[32], px[32], py[32], cred[OSCORE_GROUP_CRED_MAX_LEN];
	char subject[OSCORE_CCS_SUBJECT_MAX + 2];
	int len, i;

	for (i = 0; i < 32; i++) {
		x[i] = i;
		y[i] = 0xff - i;
	}
	len = oscore_ccs_build("gw", x, y, cred, sizeof(cred));
	/* {2: "gw", 8: {1: {1: 2, -1: 1, -2: x, -3: y}}} */
	ASSERT_EQ(2 + 3 + 1 + 2 + 1 + 4 + 3 + 32 + 3 + 32, len);
	EXPECT_EQ(0, memcmp(cred, "\xa2\x02\x62gw\x08\xa1\x01\xa4\x01\x02\x20\x01\x21\x58\x20", 17));
	ASSERT_EQ(0, oscore_ccs_parse(cred, len, px, py));
	EXPECT_EQ(0, memcmp(px, x, 32));
	EXPECT_EQ(0, memcmp(py, y, 32));
	/* every truncation and one byte too many are refused */
	for (i = 0; i < len; i++)
		EXPECT_GT(0, oscore_ccs_parse(cred, i, px, py));
	cred[len] = 0;
	EXPECT_EQ(-CODEC_ECBOR, oscore_ccs_parse(cred, len + 1, px, py));
	/* every short output buffer fails cleanly */
	for (i = 0; i < len; i++)
		EXPECT_EQ(-CODEC_ENOSPC, oscore_ccs_build("gw", x, y, cred, i));
	memset(subject, 'a', sizeof(subject) - 1);
	subject[sizeof(subject) - 1] = 0;
	EXPECT_EQ(-CODEC_ECRED, oscore_ccs_build(subject, x, y, cred,
						 sizeof(cred)));
}

struct ccs_case {
	const char *what;
	const char *hex;	/* X and Y stand for 32-byte coordinates */
	int err;
};

static const struct ccs_case ccs_cases[] = {
	{ "other claims and key parameters skipped",
	  "a301626973181a0008a101a5010220010258" "20X" "215820X" "225820X", 0 },
	{ "alg ES256 accepted", "a108a101a501022001215820X225820X0326", 0 },
	{ "Ed25519 is not a P-256 key", "a108a101a301012006215820X", -CODEC_ECRED },
	{ "OKP with a y", "a108a101a401012006215820X225820X", -CODEC_ECRED },
	{ "text labels skipped", "a2636e6f7481f608a101a4010220012158" "20X"
	  "225820X", 0 },
	{ "not a map", "8108", -CODEC_ECBOR },
	{ "no cnf", "a10262", -CODEC_ECBOR },
	{ "no cnf, well-formed", "a1026161", -CODEC_ECRED },
	{ "kty OKP", "a108a101a4010120012158" "20X225820X", -CODEC_ECRED },
	{ "crv P-384", "a108a101a4010220022158" "20X225820X", -CODEC_ECRED },
	{ "alg EdDSA", "a108a101a501022001215820X225820X0327", -CODEC_ECRED },
	{ "y missing", "a108a101a30102200121" "5820X", -CODEC_ECRED },
	{ "x 31 bytes", "a108a101a40102200121581f" "000000000000000000000000000000000000000000000000000000000000" "00225820X", -CODEC_ECRED },
	{ "x twice", "a108a101a501022001215820X215820X225820X", -CODEC_ECRED },
	{ "cnf twice", "a208a101a4010220012158" "20X225820X08a0", -CODEC_ECRED },
	{ "cnf with two methods", "a108a201a4010220012158" "20X225820X03a0", -CODEC_ECRED },
	{ "cnf method not COSE_Key", "a108a102a0", -CODEC_ECRED },
	{ "indefinite map", "bf08a0ff", -CODEC_ECBOR },
	{ "float claim", "a201f93c0008a0", -CODEC_ECBOR },
	{ "array claiming more than its bytes", "a2019a7fffffff08a0", -CODEC_ECBOR },
	{ "nesting too deep", "a20181818181818181818101" "08a0", -CODEC_ECBOR },
};

/* Expands X to 32 bytes of 0x11 (valid or not as a point: not checked here). */
static int ccs_hex(const char *tmpl, u8 *buf, size_t cap)
{
	char hex[1024] = "";
	const char *p;

	for (p = tmpl; *p; p++) {
		if (*p == 'X') {
			strcat(hex, "1111111111111111111111111111111111111111111111111111111111111111");
		} else {
			size_t l = strlen(hex);

			hex[l] = *p;
			hex[l + 1] = 0;
		}
	}
	return unhex(hex, buf, cap);
}

TEST(ccs_parse_cases)
{
	u8 buf[512], x[32], y[32];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ccs_cases); i++) {
		int n = ccs_hex(ccs_cases[i].hex, buf, sizeof(buf));
		int err;

		ASSERT_LT(0, n) TH_LOG("%s: bad test hex", ccs_cases[i].what);
		err = oscore_ccs_parse(buf, n, x, y);
		if (err != ccs_cases[i].err)
			TH_LOG("%s: got %d (%s), want %d", ccs_cases[i].what,
			       err, codec_strerror(err), ccs_cases[i].err);
		EXPECT_EQ(ccs_cases[i].err, err);
	}
}

/* Two members of one group: @a sends (kid 0a), @b receives (kid 01). */
struct pair {
	struct oscore_group_key ka, kb;
	u8 ca[OSCORE_GROUP_CRED_MAX_LEN], cb[OSCORE_GROUP_CRED_MAX_LEN];
	size_t la, lb;
	struct oscore_group_sw a, b;
};

static const u8 secret[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
			       14, 15, 16 };
static const u8 salt[8] = { 0x9e, 0x7c, 0xa9, 0x22, 0x23, 0x78, 0x63, 0x40 };
static const u8 gid[4] = { 0x37, 0xcb, 0xf3, 0xb1 };
static const u8 id_a[1] = { 0x0a }, id_b[1] = { 0x01 };

static int pair_ctx(struct oscore_group_sw *s, const u8 *sid, const u8 *rid,
		    const u8 *own, size_t own_len, const u8 *peer,
		    size_t peer_len, const struct oscore_group_key *key)
{
	struct oscore_group_master gm = {
		.m = {
			.alg = OSCORE_ALG_AES_CCM_16_64_128,
			.secret = secret, .secret_len = sizeof(secret),
			.salt = salt, .salt_len = sizeof(salt),
			.id_context = gid, .id_context_len = sizeof(gid),
			.sender_id = sid, .sender_id_len = 1,
			.recipient_id = rid, .recipient_id_len = 1,
		},
		.alg_signature = sig_alg,
		.sender_cred = own, .sender_cred_len = own_len,
		.recipient_cred = peer, .recipient_cred_len = peer_len,
	};

	return oscore_group_sw_init(s, &gm, key);
}

static void pair_init(struct __test_metadata *_metadata, struct pair *p)
{
	gen_cred(_metadata, &p->ka, "a", p->ca, &p->la);
	gen_cred(_metadata, &p->kb, "b", p->cb, &p->lb);
	ASSERT_EQ(0, pair_ctx(&p->a, id_a, id_b, p->ca, p->la, p->cb, p->lb,
			      &p->ka));
	ASSERT_EQ(0, pair_ctx(&p->b, id_b, id_a, p->cb, p->lb, p->ca, p->la,
			      &p->kb));
}

static void pair_free(struct pair *p)
{
	oscore_group_sw_free(&p->a);
	oscore_group_sw_free(&p->b);
	oscore_group_key_free(&p->ka);
	oscore_group_key_free(&p->kb);
}

/* NON POST /doors "unlock", and the answer 2.04 "done". */
static const char cmd_hex[] = "5202abcd7a10b5646f6f727310ff756e6c6f636b";
static const char ans_hex[] = "5244abce7a10ff646f6e65";

static void roundtrip(struct __test_metadata *_metadata)
{
	static struct oscore_group_rx grx;
	struct oscore_group_binding bind;
	u8 in[MAX_MSG], out[MAX_MSG], again[MAX_MSG];
	struct coap_msg m, u;
	struct pair p;
	int n, len;
	u64 seqs[] = { 0, 1, 255, 65536, OSCORE_SEQ_MAX };
	unsigned int i;

	pair_init(_metadata, &p);
	n = unhex(cmd_hex, in, sizeof(in));
	ASSERT_EQ(0, coap_parse(in, n, &m));
	for (i = 0; i < ARRAY_SIZE(seqs); i++) {
		len = oscore_group_protect(&p.a, &m, seqs[i], NULL, out,
					   sizeof(out), &bind);
		ASSERT_LT(0, len);
		/* the outer OSCORE option has the Group Flag */
		ASSERT_EQ(0, oscore_unprotect_parse(out, len, &grx.rx));
		EXPECT_TRUE(grx.rx.opt.group);
		EXPECT_EQ(0, oscore_group_verify(&p.b, out, len, NULL, &grx,
						 &u));
		ASSERT_EQ(n, coap_serialize(&u, again, sizeof(again)));
		EXPECT_EQ(0, memcmp(in, again, n));
	}
	/* the answer, without and with its own Partial IV */
	n = unhex(ans_hex, in, sizeof(in));
	ASSERT_EQ(0, coap_parse(in, n, &m));
	len = oscore_group_protect(&p.b, &m, OSCORE_SEQ_NONE, &grx.binding,
				   out, sizeof(out), NULL);
	ASSERT_LT(0, len);
	EXPECT_EQ(0, oscore_group_verify(&p.a, out, len, &bind, &grx, &u));
	ASSERT_EQ(n, coap_serialize(&u, again, sizeof(again)));
	EXPECT_EQ(0, memcmp(in, again, n));
	len = oscore_group_protect(&p.b, &m, 3, &grx.binding, out, sizeof(out),
				   NULL);
	ASSERT_LT(0, len);
	EXPECT_EQ(0, oscore_group_verify(&p.a, out, len, &bind, &grx, &u));
	/* a response needs its request; a request must not have one */
	EXPECT_EQ(-CODEC_ENOBINDING, oscore_group_verify(&p.a, out, len, NULL,
							 &grx, &u));
	pair_free(&p);
}

TEST(roundtrip_request_response) { roundtrip(_metadata); }

TEST(roundtrip_eddsa)
{
	sig_alg = OSCORE_SIG_EDDSA;
	roundtrip(_metadata);
}

/* Any changed byte of the protected part makes verification fail. */
static void every_byte(struct __test_metadata *_metadata)
{
	static struct oscore_group_rx grx;
	u8 in[MAX_MSG], out[MAX_MSG], bad[MAX_MSG];
	struct coap_msg m, u;
	struct pair p;
	int n, len, i, err, sig_fail = 0;
	size_t start;

	pair_init(_metadata, &p);
	n = unhex(cmd_hex, in, sizeof(in));
	ASSERT_EQ(0, coap_parse(in, n, &m));
	len = oscore_group_protect(&p.a, &m, 42, NULL, out, sizeof(out), NULL);
	ASSERT_LT(0, len);
	/* from the OSCORE option on: header, MID and token are not protected */
	start = 4 + 2;
	/* one bit a byte, a different one each time (a verify is costly) */
	for (i = start; i < len; i++) {
		memcpy(bad, out, len);
		bad[i] ^= 1u << (i % 8);
		err = oscore_group_verify(&p.b, bad, len, NULL, &grx, &u);
		if (!err)
			TH_LOG("byte %d bit %d: accepted", i, i % 8);
		EXPECT_NE(0, err);
		if (i >= len - OSCORE_SIG_ES256_LEN) {
			EXPECT_EQ(-CODEC_ESIG, err);
			sig_fail += err == -CODEC_ESIG;
		}
	}
	EXPECT_EQ(OSCORE_SIG_ES256_LEN, sig_fail);
	/* and cut short at every length */
	for (i = 0; i < len; i++) {
		memcpy(bad, out, len);
		EXPECT_NE(0, oscore_group_verify(&p.b, bad, i, NULL, &grx, &u));
	}
	pair_free(&p);
}

TEST(every_byte_changed_fails) { every_byte(_metadata); }

TEST(every_byte_changed_fails_eddsa)
{
	sig_alg = OSCORE_SIG_EDDSA;
	every_byte(_metadata);
}

static void wrong_cred(struct __test_metadata *_metadata)
{
	static struct oscore_group_rx grx;
	struct oscore_group_key kc;
	u8 cc[OSCORE_GROUP_CRED_MAX_LEN], in[MAX_MSG], out[MAX_MSG];
	struct oscore_group_sw wrong, forger;
	struct coap_msg m, u;
	struct pair p;
	size_t lc;
	int n, len;

	pair_init(_metadata, &p);
	gen_cred(_metadata, &kc, "c", cc, &lc);
	n = unhex(cmd_hex, in, sizeof(in));
	ASSERT_EQ(0, coap_parse(in, n, &m));
	/* b holds c's credential for a: a's message does not verify */
	ASSERT_EQ(0, pair_ctx(&wrong, id_b, id_a, p.cb, p.lb, cc, lc, &p.kb));
	len = oscore_group_protect(&p.a, &m, 1, NULL, out, sizeof(out), NULL);
	ASSERT_LT(0, len);
	EXPECT_EQ(-CODEC_ESIG, oscore_group_verify(&wrong, out, len, NULL,
						   &grx, &u));
	/* c has the group's keys and sends as a: b refuses it */
	ASSERT_EQ(0, pair_ctx(&forger, id_a, id_b, cc, lc, p.cb, p.lb, &kc));
	len = oscore_group_protect(&forger, &m, 2, NULL, out, sizeof(out),
				   NULL);
	ASSERT_LT(0, len);
	EXPECT_EQ(-CODEC_ESIG, oscore_group_verify(&p.b, out, len, NULL, &grx,
						   &u));
	oscore_group_sw_free(&forger);
	/* a key that is not the sender credential's cannot even be set up */
	EXPECT_EQ(-CODEC_ECRED, pair_ctx(&forger, id_a, id_b, p.ca, p.la,
					 p.cb, p.lb, &kc));
	/* a verify-only context signs nothing */
	oscore_group_sw_free(&wrong);
	ASSERT_EQ(0, pair_ctx(&wrong, id_b, id_a, p.cb, p.lb, p.ca, p.la,
			      NULL));
	EXPECT_EQ(-CODEC_ECRED, oscore_group_protect(&wrong, &m, 3, NULL, out,
						     sizeof(out), NULL));
	/* a credential that is not a CCS is refused at set-up */
	EXPECT_EQ(-CODEC_ECBOR, pair_ctx(&forger, id_b, id_a, p.cb, p.lb,
					 (const u8 *)"\xff", 1, &p.kb));
	oscore_group_sw_free(&wrong);
	oscore_group_key_free(&kc);
	pair_free(&p);
}

TEST(wrong_credential_and_forgery) { wrong_cred(_metadata); }

TEST(wrong_credential_and_forgery_eddsa)
{
	sig_alg = OSCORE_SIG_EDDSA;
	wrong_cred(_metadata);
}

/* A credential of the other key type than the group's is refused. */
TEST(credential_of_other_type)
{
	struct oscore_group_key kp, ke;
	u8 cp[OSCORE_GROUP_CRED_MAX_LEN], ce[OSCORE_GROUP_CRED_MAX_LEN];
	struct oscore_cred_key k;
	struct oscore_group_sw s;
	size_t lp, le;
	u8 x[32], y[32];

	gen_cred(_metadata, &kp, "p", cp, &lp);
	sig_alg = OSCORE_SIG_EDDSA;
	gen_cred(_metadata, &ke, "e", ce, &le);
	/* {2: "e", 8: {1: {1: 1, -1: 6, -2: x}}} */
	ASSERT_EQ(1 + 1 + 2 + 1 + 1 + 1 + 1 + 2 + 2 + 3 + 32, le);
	ASSERT_EQ(0, oscore_ccs_parse_key(ce, le, &k));
	EXPECT_EQ(OSCORE_CRED_ED25519, k.type);
	EXPECT_EQ(-CODEC_ECRED, oscore_ccs_parse(ce, le, x, y));
	/* EdDSA group: a P-256 peer, or a P-256 own key, is refused */
	EXPECT_EQ(-CODEC_ECRED, pair_ctx(&s, id_b, id_a, ce, le, cp, lp, &ke));
	EXPECT_EQ(-CODEC_ECRED, pair_ctx(&s, id_a, id_b, cp, lp, ce, le, &kp));
	sig_alg = OSCORE_SIG_ES256;
	EXPECT_EQ(-CODEC_ECRED, pair_ctx(&s, id_b, id_a, cp, lp, ce, le, &kp));
	/* an unknown Signature Algorithm is no group mode at all */
	sig_alg = -35;
	EXPECT_EQ(-EINVAL, pair_ctx(&s, id_b, id_a, cp, lp, cp, lp, &kp));
	oscore_group_key_free(&kp);
	oscore_group_key_free(&ke);
}

/* RFC 8613 messages under the same keys are not accepted as group mode. */
TEST(unsigned_refused)
{
	static struct oscore_group_rx grx;
	u8 in[MAX_MSG], out[MAX_MSG];
	struct oscore_aead_req req;
	struct oscore_rx rx;
	struct coap_msg m, u;
	struct pair p;
	int n, len;

	pair_init(_metadata, &p);
	n = unhex(cmd_hex, in, sizeof(in));
	ASSERT_EQ(0, coap_parse(in, n, &m));
	len = oscore_protect(&p.a.sw.ctx, &m, 5, NULL, out, sizeof(out), &req,
			     NULL);
	ASSERT_LT(0, len);
	EXPECT_EQ(-CODEC_ENOTGROUP, oscore_group_verify(&p.b, out, len, NULL,
							&grx, &u));
	/* and a group mode message is not accepted by the RFC 8613 path */
	len = oscore_group_protect(&p.a, &m, 6, NULL, out, sizeof(out), NULL);
	ASSERT_LT(0, len);
	EXPECT_EQ(-CODEC_EGROUP, oscore_unprotect(&p.b.sw.ctx, out, len, NULL,
						  &rx, &u));
	pair_free(&p);
}

TEST(protect_short_buffers)
{
	u8 in[MAX_MSG], out[MAX_MSG];
	struct coap_msg m;
	struct pair p;
	int n, len, i;

	pair_init(_metadata, &p);
	n = unhex(cmd_hex, in, sizeof(in));
	ASSERT_EQ(0, coap_parse(in, n, &m));
	len = oscore_group_protect(&p.a, &m, 7, NULL, out, sizeof(out), NULL);
	ASSERT_LT(0, len);
	/* option (1 + 8), marker, code; tag and signature are counted in */
	EXPECT_EQ(n + 9 + 1 + 1 + 8 + 64, len);
	for (i = 0; i < len; i++)
		EXPECT_EQ(-CODEC_ENOSPC, oscore_group_protect(&p.a, &m, 7, NULL,
							      out, i, NULL));
	pair_free(&p);
}

/* The aad_array's layout (§3.4), byte for byte, for a response. */
TEST(external_aad_layout)
{
	struct oscore_group_ctx g;
	struct oscore_group_binding req;
	u8 buf[OSCORE_GROUP_EXT_AAD_MAX];
	static const u8 want[] = {
		0x89, 0x01, 0x84, 0xf6, 0x0a, 0x26, 0xf6,
		0x41, 0x25, 0x41, 0x05, 0x40, 0x43, 0x44, 0x61, 0x6c,
		0x42, 0x28, 0x52, 0x42, 0xa0, 0xa1, 0x41, 0xa2,
	};
	int len, i;

	memset(&g, 0, sizeof(g));
	memset(&req, 0, sizeof(req));
	g.base.alg = oscore_alg_find(OSCORE_ALG_AES_CCM_16_64_128);
	g.alg_signature = OSCORE_SIG_ES256;
	g.gm_cred = (const u8 *)"\xa2";
	g.gm_cred_len = 1;
	req.b.kid[0] = 0x25;
	req.b.kid_len = 1;
	req.b.piv[0] = 0x05;
	req.b.piv_len = 1;
	memcpy(req.kid_context, "Dal", 3);
	req.kid_context_len = 3;
	len = oscore_group_ext_aad(&g, &req, (const u8 *)"\x28\x52", 2,
				   (const u8 *)"\xa0\xa1", 2, buf, sizeof(buf));
	ASSERT_EQ(sizeof(want), len);
	EXPECT_EQ(0, memcmp(buf, want, len));
	for (i = 0; i < len; i++)
		EXPECT_EQ(-CODEC_ENOSPC, oscore_group_ext_aad(&g, &req,
				(const u8 *)"\x28\x52", 2, (const u8 *)"\xa0\xa1",
				2, buf, i));
	/* keystream info: [h'0a', h'37cbf3b1', true, 64] */
	len = oscore_group_ks_info(id_a, 1, gid, 4, true, 64, buf, sizeof(buf));
	ASSERT_EQ(11, len);
	EXPECT_EQ(0, memcmp(buf, "\x84\x41\x0a\x44\x37\xcb\xf3\xb1\xf5\x18\x40", 11));
}

TEST_HARNESS_MAIN
