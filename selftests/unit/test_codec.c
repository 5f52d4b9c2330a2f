// SPDX-License-Identifier: GPL-2.0
/*
 * The OSCORE codec against RFC 8613 Appendix C (selftests/vectors/rfc8613.json),
 * a table of malformed inputs with the error each must get, and the
 * property unprotect(protect(m)) == m over generated messages, for every
 * algorithm and for group mode.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kselftest_harness.h"

#include "codec/cbor.h"
#include "codec/coap.h"
#include "codec/codec_err.h"
#include "codec/oscore.h"
#include "codec/oscore_option.h"
#include "oscore_derive.h"

#ifndef COAPSEC_VECTORS
#define COAPSEC_VECTORS "selftests/vectors"
#endif

#define MAX_MSG 2048

static json_t *vectors(void)
{
	static json_t *root;
	const char *dir = getenv("COAPSEC_VECTORS");
	char path[4096];
	json_error_t err;

	if (root)
		return root;
	snprintf(path, sizeof(path), "%s/rfc8613.json", dir ? dir : COAPSEC_VECTORS);
	root = json_load_file(path, 0, &err);
	if (!root)
		fprintf(stderr, "# %s: %s\n", path, err.text);
	return root;
}

static json_t *vec(const char *section, const char *name)
{
	json_t *root = vectors();

	return root ? json_object_get(json_object_get(root, section), name) : NULL;
}

/* Hex string at @key of @obj into @buf; its length, or -1 when null/absent. */
static int hexval(json_t *obj, const char *key, u8 *buf, size_t cap)
{
	json_t *v = json_object_get(obj, key);
	const char *s;
	size_t n, i;

	if (!v || !json_is_string(v))
		return -1;
	s = json_string_value(v);
	n = strlen(s) / 2;
	if (n > cap)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned int b;

		if (sscanf(s + 2 * i, "%2x", &b) != 1)
			return -1;
		buf[i] = b;
	}
	return n;
}

static void hexdump(const char *what, const u8 *b, size_t n)
{
	size_t i;

	fprintf(stderr, "# %s: ", what);
	for (i = 0; i < n; i++)
		fprintf(stderr, "%02x", b[i]);
	fprintf(stderr, "\n");
}

/* The master material of a C.x context, from the client's or server's side. */
struct master_buf {
	struct oscore_master m;
	u8 secret[64], salt[64], idctx[255], sid[8], rid[8];
};

static int load_master(const char *name, bool server, struct master_buf *b)
{
	json_t *c = vec("contexts", name), *cl;
	int n;

	if (!c)
		return -1;
	cl = json_object_get(c, "client");
	memset(b, 0, sizeof(*b));
	b->m.alg = OSCORE_ALG_AES_CCM_16_64_128;
	n = hexval(c, "master_secret", b->secret, sizeof(b->secret));
	if (n < 0)
		return -1;
	b->m.secret = b->secret;
	b->m.secret_len = n;
	n = hexval(c, "master_salt", b->salt, sizeof(b->salt));
	if (n >= 0) {
		b->m.salt = b->salt;
		b->m.salt_len = n;
	}
	n = hexval(c, "id_context", b->idctx, sizeof(b->idctx));
	if (n >= 0) {
		b->m.id_context = b->idctx;
		b->m.id_context_len = n;
	}
	n = hexval(cl, server ? "recipient_id" : "sender_id", b->sid, sizeof(b->sid));
	if (n < 0)
		return -1;
	b->m.sender_id = b->sid;
	b->m.sender_id_len = n;
	n = hexval(cl, server ? "sender_id" : "recipient_id", b->rid, sizeof(b->rid));
	if (n < 0)
		return -1;
	b->m.recipient_id = b->rid;
	b->m.recipient_id_len = n;
	return 0;
}

static void check_derive(struct __test_metadata *_metadata, const char *name)
{
	json_t *c = vec("contexts", name);
	u8 want[64], info[OSCORE_INFO_MAX_LEN], nonce[OSCORE_MAX_NONCE_LEN];
	struct oscore_sw_ctx sw;
	struct master_buf b;
	struct oscore_keys k;
	int n, len;

	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, load_master(name, false, &b));
	len = oscore_kdf_info(b.m.sender_id, b.m.sender_id_len, b.m.id_context,
			      b.m.id_context_len, b.m.alg, "Key", 16, info,
			      sizeof(info));
	n = hexval(c, "info_sender_key", want, sizeof(want));
	ASSERT_EQ(n, len);
	ASSERT_EQ(0, memcmp(want, info, n));
	len = oscore_kdf_info(b.m.recipient_id, b.m.recipient_id_len,
			      b.m.id_context, b.m.id_context_len, b.m.alg,
			      "Key", 16, info, sizeof(info));
	n = hexval(c, "info_recipient_key", want, sizeof(want));
	ASSERT_EQ(n, len);
	ASSERT_EQ(0, memcmp(want, info, n));
	len = oscore_kdf_info(NULL, 0, b.m.id_context, b.m.id_context_len,
			      b.m.alg, "IV", 13, info, sizeof(info));
	n = hexval(c, "info_common_iv", want, sizeof(want));
	ASSERT_EQ(n, len);
	ASSERT_EQ(0, memcmp(want, info, n));

	ASSERT_EQ(0, oscore_derive(&b.m, &k));
	ASSERT_EQ(16, hexval(c, "client_sender_key", want, sizeof(want)));
	EXPECT_EQ(0, memcmp(want, k.sender_key, 16));
	ASSERT_EQ(16, hexval(c, "client_recipient_key", want, sizeof(want)));
	EXPECT_EQ(0, memcmp(want, k.recipient_key, 16));
	ASSERT_EQ(13, hexval(c, "common_iv", want, sizeof(want)));
	EXPECT_EQ(0, memcmp(want, k.common_iv, 13));
	oscore_keys_wipe(&k);

	ASSERT_EQ(0, oscore_sw_ctx_init(&sw, &b.m, 0));
	oscore_nonce(&sw.ctx, sw.ctx.sender_id, sw.ctx.sender_id_len,
		     (const u8 *)"\0", 1, nonce);
	ASSERT_EQ(13, hexval(c, "client_sender_nonce_piv0", want, sizeof(want)));
	EXPECT_EQ(0, memcmp(want, nonce, 13));
	oscore_nonce(&sw.ctx, sw.ctx.recipient_id, sw.ctx.recipient_id_len,
		     (const u8 *)"\0", 1, nonce);
	ASSERT_EQ(13, hexval(c, "client_recipient_nonce_piv0", want, sizeof(want)));
	EXPECT_EQ(0, memcmp(want, nonce, 13));
	oscore_sw_ctx_free(&sw);
}

TEST(c1_derive) { check_derive(_metadata, "C.1"); }
TEST(c2_derive) { check_derive(_metadata, "C.2"); }
TEST(c3_derive) { check_derive(_metadata, "C.3"); }

static int sw_ctx(const char *name, bool server, unsigned int flags,
		  struct oscore_sw_ctx *sw)
{
	struct master_buf b;

	if (load_master(name, server, &b))
		return -1;
	return oscore_sw_ctx_init(sw, &b.m, flags);
}

static void expect_bytes(struct __test_metadata *_metadata, json_t *v,
			 const char *key, const u8 *got, size_t len)
{
	u8 want[MAX_MSG];
	int n = hexval(v, key, want, sizeof(want));

	ASSERT_LE(0, n);
	if ((size_t)n != len || memcmp(want, got, len)) {
		hexdump(key, want, n);
		hexdump("got", got, len);
	}
	ASSERT_EQ((size_t)n, len);
	ASSERT_EQ(0, memcmp(want, got, len));
}

/*
 * oscore_aad() writes the common shapes without the CBOR writer: its
 * bytes must be the writer's, built here item by item, for every
 * algorithm and every kid and Partial IV length a message can have.
 */
TEST(aad_encoding)
{
	static const int algs[] = { OSCORE_ALG_AES_CCM_16_64_128,
				    OSCORE_ALG_A128GCM, OSCORE_ALG_A256GCM,
				    OSCORE_ALG_CHACHA20_POLY1305 };
	u8 kid[OSCORE_MAX_ID_LEN], piv[OSCORE_PIV_MAX_LEN], ext[64], want[96];
	u8 got[OSCORE_MAX_AAD_LEN];
	unsigned int a, k, p, checked = 0;

	for (a = 0; a < ARRAY_SIZE(algs); a++) {
		const struct oscore_alg *alg = oscore_alg_find(algs[a]);

		ASSERT_NE(NULL, alg);
		for (k = 0; k <= OSCORE_MAX_ID_LEN; k++) {
			for (p = 0; p <= OSCORE_PIV_MAX_LEN; p++) {
				struct cbor_writer w;
				int elen, wlen;

				memset(kid, 0x30 + k, sizeof(kid));
				memset(piv, 0x50 + p, sizeof(piv));
				cbor_init(&w, ext, sizeof(ext));
				cbor_put_array(&w, 5);
				cbor_put_uint(&w, 1);
				cbor_put_array(&w, 1);
				cbor_put_int(&w, alg->cose_id);
				cbor_put_bstr(&w, kid, k);
				cbor_put_bstr(&w, piv, p);
				cbor_put_bstr(&w, NULL, 0);
				elen = cbor_len(&w);
				ASSERT_LT(0, elen);
				cbor_init(&w, want, sizeof(want));
				cbor_put_array(&w, 3);
				cbor_put_tstr(&w, "Encrypt0");
				cbor_put_bstr(&w, NULL, 0);
				cbor_put_bstr(&w, ext, elen);
				wlen = cbor_len(&w);
				ASSERT_EQ(wlen, oscore_aad(alg, kid, k, piv, p,
							   got, sizeof(got)));
				ASSERT_EQ(0, memcmp(want, got, wlen));
				/* One byte short: refused, not truncated */
				ASSERT_GT(0, oscore_aad(alg, kid, k, piv, p,
							got, wlen - 1));
				checked++;
			}
		}
	}
	TH_LOG("%u AADs checked", checked);
}

/*
 * Protects the @n-byte message @msg the way the module does, where it
 * lies: the head from oscore_protect_head() goes right in front of the
 * payload, which does not move, and the encryption runs in place.  The
 * result must be @want, oscore_protect()'s, byte for byte.  The unprotect
 * side likewise: coap_serialize_head() and the payload where it lies
 * must be @msg again.
 */
static void check_in_place(struct __test_metadata *_metadata,
			   const struct oscore_ctx *tx,
			   const struct oscore_ctx *rx_ctx, const u8 *msg,
			   size_t n, u64 seq,
			   const struct oscore_binding *request,
			   const struct oscore_binding *rx_request,
			   const u8 *want, int want_len)
{
	static u8 buf[2 * (MAX_MSG + OSCORE_MAX_OVERHEAD)];
	static u8 head[MAX_MSG + OSCORE_MAX_OVERHEAD];
	size_t at = MAX_MSG + OSCORE_MAX_OVERHEAD, pay, start;
	struct oscore_layout l;
	struct oscore_aead_req req;
	struct oscore_rx rx;
	struct coap_msg m, u;
	u8 *p;
	int hl;

	memset(buf, 0xee, sizeof(buf));
	memcpy(buf + at, msg, n);
	ASSERT_EQ(0, coap_parse(buf + at, n, &m));
	hl = oscore_protect_head(tx, &m, seq, request, head, sizeof(head),
				 &req, NULL, &l);
	ASSERT_LT(0, hl);
	start = l.start;
	pay = m.payload_len ? (size_t)(m.payload - buf) : at + n;
	ASSERT_LE((size_t)hl, pay);
	p = buf + pay - hl;
	memcpy(p, head, hl);
	ASSERT_EQ(head + start, req.buf);
	req.buf = p + start;
	ASSERT_EQ((size_t)hl - start + m.payload_len, req.len);
	ASSERT_EQ(0, tx->ops->encrypt(&req));
	ASSERT_EQ(want_len, hl + (int)m.payload_len + (int)tx->alg->tag_len);
	ASSERT_EQ(0, memcmp(want, p, want_len));

	/* Verified where it lies; the head rebuilt in front of the payload */
	ASSERT_EQ(0, oscore_unprotect(rx_ctx, p, want_len, rx_request, &rx,
				      &u));
	hl = coap_serialize_head(&u, head, sizeof(head));
	ASSERT_LT(0, hl);
	ASSERT_EQ(n, hl + u.payload_len);
	ASSERT_EQ(0, memcmp(msg, head, hl));
	if (u.payload_len) {
		ASSERT_TRUE(u.payload > p && u.payload < p + want_len);
		ASSERT_EQ(0, memcmp(msg + hl, u.payload, u.payload_len));
	}
}

/*
 * Protects a C.x request from the client and checks every intermediate
 * value; the server unprotects it back to the exact original.  Returns
 * the bindings both sides keep for the response.
 */
static void check_request(struct __test_metadata *_metadata, const char *name,
			  struct oscore_binding *client_b,
			  struct oscore_binding *server_b)
{
	json_t *v = vec("messages", name);
	const char *cname = json_string_value(json_object_get(v, "context"));
	unsigned int flags = json_object_get(v, "kid_context") ?
			     OSCORE_CTX_SEND_KID_CONTEXT : 0;
	u8 in[MAX_MSG], out[MAX_MSG], back[MAX_MSG];
	struct oscore_sw_ctx client, server;
	struct oscore_aead_req req;
	struct coap_msg m, u;
	struct oscore_rx rx;
	int n, len, seq;

	ASSERT_NE(NULL, v);
	seq = json_integer_value(json_object_get(v, "sender_sequence_number"));
	ASSERT_EQ(0, sw_ctx(cname, false, flags, &client));
	ASSERT_EQ(0, sw_ctx(cname, true, flags, &server));
	n = hexval(v, "unprotected", in, sizeof(in));
	ASSERT_LT(0, n);
	ASSERT_EQ(0, coap_parse(in, n, &m));

	len = oscore_protect_begin(&client.ctx, &m, seq, NULL, out,
				   sizeof(out), &req, client_b);
	ASSERT_LT(0, len);
	expect_bytes(_metadata, v, "plaintext", req.buf, req.len);
	expect_bytes(_metadata, v, "nonce", req.nonce, 13);
	expect_bytes(_metadata, v, "aad", req.aad, req.aad_len);
	ASSERT_EQ(0, client.ctx.ops->encrypt(&req));
	expect_bytes(_metadata, v, "ciphertext", req.buf, req.len + 8);
	expect_bytes(_metadata, v, "protected", out, len);

	/* The synchronous path gives the same bytes */
	ASSERT_EQ(len, oscore_protect(&client.ctx, &m, seq, NULL, back,
				      sizeof(back), &req, NULL));
	ASSERT_EQ(0, memcmp(out, back, len));
	/* and so does the module's, in place */
	check_in_place(_metadata, &client.ctx, &server.ctx, in, n, seq, NULL,
		       NULL, out, len);

	ASSERT_EQ(0, oscore_unprotect(&server.ctx, out, len, NULL, &rx, &u));
	ASSERT_EQ((u64)seq, rx.seq);
	ASSERT_TRUE(rx.is_request);
	ASSERT_EQ(n, coap_serialize(&u, back, sizeof(back)));
	ASSERT_EQ(0, memcmp(in, back, n));
	ASSERT_TRUE(coap_msg_equal(&m, &u));
	*server_b = rx.binding;
	ASSERT_EQ(0, memcmp(client_b, server_b, sizeof(*client_b)));
	oscore_sw_ctx_free(&client);
	oscore_sw_ctx_free(&server);
}

TEST(c4_request)
{
	struct oscore_binding cb, sb;

	check_request(_metadata, "C.4", &cb, &sb);
}

TEST(c5_request)
{
	struct oscore_binding cb, sb;

	check_request(_metadata, "C.5", &cb, &sb);
}

TEST(c6_request_kid_context)
{
	struct oscore_binding cb, sb;

	check_request(_metadata, "C.6", &cb, &sb);
}

static void check_response(struct __test_metadata *_metadata, const char *name,
			   u64 seq)
{
	json_t *v = vec("messages", name);
	u8 in[MAX_MSG], out[MAX_MSG], back[MAX_MSG];
	struct oscore_binding cb, sb, zero;
	struct oscore_sw_ctx client, server;
	struct oscore_aead_req req;
	struct coap_msg m, u;
	struct oscore_rx rx;
	int n, len;

	ASSERT_NE(NULL, v);
	check_request(_metadata, "C.4", &cb, &sb);
	ASSERT_EQ(0, sw_ctx("C.1", false, 0, &client));
	ASSERT_EQ(0, sw_ctx("C.1", true, 0, &server));
	n = hexval(v, "unprotected", in, sizeof(in));
	ASSERT_LT(0, n);
	ASSERT_EQ(0, coap_parse(in, n, &m));

	len = oscore_protect_begin(&server.ctx, &m, seq, &sb, out, sizeof(out),
				   &req, NULL);
	ASSERT_LT(0, len);
	expect_bytes(_metadata, v, "plaintext", req.buf, req.len);
	expect_bytes(_metadata, v, "nonce", req.nonce, 13);
	expect_bytes(_metadata, v, "aad", req.aad, req.aad_len);
	ASSERT_EQ(0, server.ctx.ops->encrypt(&req));
	expect_bytes(_metadata, v, "ciphertext", req.buf, req.len + 8);
	expect_bytes(_metadata, v, "protected", out, len);
	check_in_place(_metadata, &server.ctx, &client.ctx, in, n, seq, &sb,
		       &cb, out, len);

	/* Responses need their request, and only the right one verifies */
	memcpy(back, out, len);
	ASSERT_EQ(-CODEC_ENOBINDING,
		  oscore_unprotect(&client.ctx, back, len, NULL, &rx, &u));
	memcpy(back, out, len);
	zero = cb;
	zero.piv[0] ^= 1;
	zero.nonce[12] ^= 1;
	ASSERT_EQ(-CODEC_EAUTH,
		  oscore_unprotect(&client.ctx, back, len, &zero, &rx, &u));

	ASSERT_EQ(0, oscore_unprotect(&client.ctx, out, len, &cb, &rx, &u));
	ASSERT_FALSE(rx.is_request);
	ASSERT_EQ(n, coap_serialize(&u, back, sizeof(back)));
	ASSERT_EQ(0, memcmp(in, back, n));
	oscore_sw_ctx_free(&client);
	oscore_sw_ctx_free(&server);
}

TEST(c7_response_no_piv) { check_response(_metadata, "C.7", OSCORE_SEQ_NONE); }
TEST(c8_response_piv) { check_response(_metadata, "C.8", 0); }

/* --- Malformed inputs ------------------------------------------------- */

struct bad_case {
	const char *what;
	const char *hex;
	int err;
};

static int unhex(const char *s, u8 *buf, size_t cap)
{
	size_t n = strlen(s) / 2, i;

	if (n > cap)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned int b;

		if (sscanf(s + 2 * i, "%2x", &b) != 1)
			return -1;
		buf[i] = b;
	}
	return n;
}

static const struct bad_case coap_bad[] = {
	{ "empty buffer", "", -CODEC_ETRUNC },
	{ "3-byte header", "440100", -CODEC_ETRUNC },
	{ "version 0", "04010000", -CODEC_EVERSION },
	{ "version 2", "84010000", -CODEC_EVERSION },
	{ "version 3", "c4010000", -CODEC_EVERSION },
	{ "token length 9", "49010000010203040506070809", -CODEC_ETKL },
	{ "token length 15", "4f010000", -CODEC_ETKL },
	{ "token cut short", "44010000010203", -CODEC_ETRUNC },
	{ "Empty with token", "41000000aa", -CODEC_EEMPTY },
	{ "Empty with payload", "40000000ff01", -CODEC_EEMPTY },
	{ "delta 15 not marker", "40010000f0", -CODEC_EDELTA },
	{ "delta 15 length 1", "40010000f1", -CODEC_EDELTA },
	{ "length 15", "400100001f", -CODEC_ELENGTH },
	{ "length 15 after ext delta", "40010000df00", -CODEC_ELENGTH },
	{ "ext8 delta cut", "40010000d0", -CODEC_ETRUNC },
	{ "ext16 delta cut", "40010000e000", -CODEC_ETRUNC },
	{ "ext8 length cut", "400100001d", -CODEC_ETRUNC },
	{ "ext16 length cut", "400100001e01", -CODEC_ETRUNC },
	{ "value cut", "4001000013aabb", -CODEC_ETRUNC },
	{ "ext16 value cut", "400100001e0000aa", -CODEC_ETRUNC },
	{ "number 65536", "40010000e0fef3", -CODEC_EOPTNUM },
	{ "number over 65535 by sum", "40010000e0fef210", -CODEC_EOPTNUM },
	{ "marker, no payload", "40010000ff", -CODEC_EPAYLOAD },
	{ "options then bare marker", "40010000b161ff", -CODEC_EPAYLOAD },
};

TEST(malformed_coap)
{
	struct coap_msg m;
	unsigned int i;
	u8 buf[64];

	for (i = 0; i < ARRAY_SIZE(coap_bad); i++) {
		int n = unhex(coap_bad[i].hex, buf, sizeof(buf));
		int err = coap_parse(buf, n, &m);

		if (err != coap_bad[i].err)
			TH_LOG("%s: got %d (%s), want %d (%s)", coap_bad[i].what,
			       err, codec_strerror(err), coap_bad[i].err,
			       codec_strerror(coap_bad[i].err));
		EXPECT_EQ(coap_bad[i].err, err);
	}
}

TEST(coap_limits)
{
	u8 buf[4 + 2 * (COAP_MAX_OPTIONS + 1)], out[sizeof(buf)];
	struct coap_msg m;
	unsigned int i;

	/* 65535 is the last option number; ext16 deltas reach it */
	ASSERT_EQ(0, coap_parse((u8 *)"\x40\x01\x00\x00\xe0\xfe\xf2", 7, &m));
	ASSERT_EQ(65535, m.opts[0].number);
	ASSERT_EQ(7, coap_serialize(&m, out, sizeof(out)));
	ASSERT_EQ(0, memcmp(out, "\x40\x01\x00\x00\xe0\xfe\xf2", 7));
	/* Bounded option count */
	memcpy(buf, "\x40\x01\x00\x00", 4);
	for (i = 0; i <= COAP_MAX_OPTIONS; i++) {
		buf[4 + 2 * i] = 0x01;
		buf[5 + 2 * i] = 'a';
	}
	buf[4] = 0xb1;
	ASSERT_EQ(-CODEC_ETOOMANY, coap_parse(buf, sizeof(buf), &m));
	ASSERT_EQ(0, coap_parse(buf, sizeof(buf) - 2, &m));
	ASSERT_EQ(COAP_MAX_OPTIONS, m.num_opts);
	/* Serialize fails cleanly on every short buffer */
	for (i = 0; i < sizeof(buf) - 2; i++)
		ASSERT_EQ(-CODEC_ENOSPC, coap_serialize(&m, out, i));
	ASSERT_EQ(sizeof(buf) - 2, coap_serialize(&m, out, sizeof(out)));
}

static const struct bad_case oscore_opt_bad[] = {
	{ "reserved bit 7", "80", -CODEC_EOSC_RESERVED },
	{ "reserved bit 6", "41aa", -CODEC_EOSC_RESERVED },
	{ "reserved bit 6, Group Flag too", "6100", -CODEC_EOSC_RESERVED },
	{ "Group Flag, Partial IV leading zero", "220014", -CODEC_EOSC_PIV },
	{ "n = 6", "06010203040506", -CODEC_EOSC_RESERVED },
	{ "n = 7", "0701020304050607", -CODEC_EOSC_RESERVED },
	{ "flags all zero, not empty", "00", -CODEC_EOSC_FORMAT },
	{ "Partial IV leading zero", "020014", -CODEC_EOSC_PIV },
	{ "Partial IV cut", "0314", -CODEC_ETRUNC },
	{ "kid context length missing", "1114", -CODEC_ETRUNC },
	{ "kid context cut", "111403aabb", -CODEC_ETRUNC },
	{ "bytes after, no kid flag", "011400", -CODEC_EOSC_FORMAT },
	{ "bytes after kid context", "11140100ee", -CODEC_EOSC_FORMAT },
};

TEST(malformed_oscore_option)
{
	struct oscore_option o;
	unsigned int i;
	u8 buf[64];

	for (i = 0; i < ARRAY_SIZE(oscore_opt_bad); i++) {
		int n = unhex(oscore_opt_bad[i].hex, buf, sizeof(buf));
		int err = oscore_option_decode(buf, n, &o);

		if (err != oscore_opt_bad[i].err)
			TH_LOG("%s: got %d (%s)", oscore_opt_bad[i].what, err,
			       codec_strerror(err));
		EXPECT_EQ(oscore_opt_bad[i].err, err);
	}
}

TEST(oscore_option_good)
{
	struct oscore_option o;
	u8 buf[300] = { 0 }, out[300];
	u64 seqs[] = { 0, 1, 255, 256, 65535, 1ULL << 32, OSCORE_SEQ_MAX };
	unsigned int i;

	ASSERT_EQ(0, oscore_option_decode(buf, 0, &o));
	ASSERT_EQ(0, o.piv_len);
	ASSERT_FALSE(o.has_kid);
	ASSERT_EQ(0, oscore_option_encode(&o, out, sizeof(out)));
	/* C.6's option: Partial IV 0x14, kid context, empty kid */
	ASSERT_EQ(11, unhex("19140837cbf3210017a2d3", buf, sizeof(buf)));
	ASSERT_EQ(0, oscore_option_decode(buf, 11, &o));
	ASSERT_EQ(1, o.piv_len);
	ASSERT_TRUE(o.has_kid);
	ASSERT_EQ(0, o.kid_len);
	ASSERT_EQ(8, o.kid_context_len);
	ASSERT_EQ(11, oscore_option_encode(&o, out, sizeof(out)));
	ASSERT_EQ(0, memcmp(buf, out, 11));
	/* Partial IV 0 is one zero byte; 2^40 - 1 is five bytes */
	for (i = 0; i < ARRAY_SIZE(seqs); i++) {
		u8 piv[5], n;

		oscore_piv_from_seq(seqs[i], piv, &n);
		ASSERT_EQ(seqs[i], oscore_piv_to_seq(piv, n));
		ASSERT_TRUE(n == 1 || piv[0]);
	}
	/* Longest value: 255 bytes */
	memset(buf, 0xab, sizeof(buf));
	buf[0] = 0x18;
	buf[1] = 200;
	ASSERT_EQ(0, oscore_option_decode(buf, 255, &o));
	ASSERT_EQ(53, o.kid_len);
	ASSERT_EQ(-CODEC_EOSC_FORMAT, oscore_option_decode(buf, 256, &o));
}

/* Protects C.4 and lets @mangle break it; unprotect must say @err. */
static void unprotect_err(struct __test_metadata *_metadata,
			  const char *hex_unprot, u64 seq, unsigned int flags,
			  const char *bad_hex, int err)
{
	struct oscore_sw_ctx client, server;
	u8 in[MAX_MSG], out[MAX_MSG];
	struct oscore_aead_req req;
	struct oscore_rx rx;
	struct coap_msg m, u;
	int n, len;

	ASSERT_EQ(0, sw_ctx("C.1", false, flags, &client));
	ASSERT_EQ(0, sw_ctx("C.1", true, flags, &server));
	if (bad_hex) {
		len = unhex(bad_hex, out, sizeof(out));
	} else {
		n = unhex(hex_unprot, in, sizeof(in));
		ASSERT_EQ(0, coap_parse(in, n, &m));
		len = oscore_protect(&client.ctx, &m, seq, NULL, out,
				     sizeof(out), &req, NULL);
		ASSERT_LT(0, len);
		out[len - 1] ^= 0x80;	/* the tag */
	}
	EXPECT_EQ(err, oscore_unprotect(&server.ctx, out, len, NULL, &rx, &u));
	oscore_sw_ctx_free(&client);
	oscore_sw_ctx_free(&server);
}

TEST(malformed_oscore)
{
	const char *c4 = "44015d1f00003974396c6f63616c686f737483747631";

	unprotect_err(_metadata, c4, 20, 0, NULL, -CODEC_EAUTH);
	/* C.4 as sent, then broken one field at a time */
	unprotect_err(_metadata, NULL, 0, 0,
		      "44025d1f00003974396c6f63616c686f7374620914ff612f1092f1776f1c1668b3825e",
		      0);
	unprotect_err(_metadata, NULL, 0, 0,
		      "44025d1f00003974396c6f63616c686f7374ff612f1092f1776f1c1668b3825e",
		      -CODEC_EOSC_MISSING);
	unprotect_err(_metadata, NULL, 0, 0,
		      "44025d1f00003974396c6f63616c686f73746209140100ff612f1092f1776f1c1668b3825e",
		      -CODEC_EOSC_DUP);
	unprotect_err(_metadata, NULL, 0, 0,
		      "44025d1f00003974396c6f63616c686f7374620014ff612f1092f1776f1c1668b3825e",
		      -CODEC_EOSC_FORMAT);
	unprotect_err(_metadata, NULL, 0, 0,
		      "44025d1f00003974396c6f63616c686f737461e4ff612f1092f1776f1c1668b3825e",
		      -CODEC_EOSC_RESERVED);
	/* Group Flag: group mode, never accepted by an RFC 8613 context */
	unprotect_err(_metadata, NULL, 0, 0,
		      "44025d1f00003974396c6f63616c686f7374622914ff612f1092f1776f1c1668b3825e",
		      -CODEC_EGROUP);
	/* no Partial IV in a request; kid of another sender; no kid */
	unprotect_err(_metadata, NULL, 0, 0,
		      "44025d1f00003974396c6f63616c686f73746108ff612f1092f1776f1c1668b3825e",
		      -CODEC_ENOPIV);
	unprotect_err(_metadata, NULL, 0, 0,
		      "44025d1f00003974396c6f63616c686f737463091407ff612f1092f1776f1c1668b3825e",
		      -CODEC_EKID);
	unprotect_err(_metadata, NULL, 0, 0,
		      "44025d1f00003974396c6f63616c686f7374620114ff612f1092f1776f1c1668b3825e",
		      -CODEC_ENOKID);
	/* OSCORE option that ends inside its Partial IV */
	unprotect_err(_metadata, NULL, 0, 0,
		      "44025d1f00003974396c6f63616c686f73746101ff612f1092f1776f1c1668b3825e",
		      -CODEC_ETRUNC);
	/* kid context that is not the context's */
	unprotect_err(_metadata, NULL, 0, 0,
		      "44025d1f00003974396c6f63616c686f73746419140101ff612f1092f1776f1c1668b3825e",
		      -CODEC_EKIDCTX);
	/* ciphertext shorter than the tag plus the code */
	unprotect_err(_metadata, NULL, 0, 0,
		      "44025d1f00003974396c6f63616c686f7374620914ff612f1092f1776f1c",
		      -CODEC_ESHORT);
	unprotect_err(_metadata, NULL, 0, 0,
		      "44025d1f00003974396c6f63616c686f7374620914", -CODEC_ESHORT);
	/* reserved code class 7; outer Proxy-Uri */
	unprotect_err(_metadata, NULL, 0, 0,
		      "44e25d1f00003974396c6f63616c686f7374620914ff612f1092f1776f1c1668b3825e",
		      -CODEC_ECODE);
	unprotect_err(_metadata, NULL, 0, 0,
		      "44025d1f00003974396c6f63616c686f7374620914d10d61ff612f1092f1776f1c1668b3825e",
		      -CODEC_EUNSUPPORTED);
	/* group mode: a request must name its kid context */
	unprotect_err(_metadata, NULL, 0, OSCORE_CTX_GROUP,
		      "44025d1f00003974396c6f63616c686f7374620914ff612f1092f1776f1c1668b3825e",
		      -CODEC_ENOKIDCTX);
}

/*
 * The outer code is not authenticated (RFC 8613 5.4): a request whose
 * outer code an attacker turned into a response code decrypts, under
 * the request's own binding, to a request code.  It must not pass as a
 * response.
 */
TEST(inner_code_matches_outer_class)
{
	const char *c4 = "44025d1f00003974396c6f63616c686f7374620914ff612f1092f1776f1c1668b3825e";
	struct oscore_sw_ctx server;
	struct oscore_binding request;
	u8 pkt[MAX_MSG], copy[MAX_MSG];
	struct oscore_rx rx;
	struct coap_msg u;
	int len;

	ASSERT_EQ(0, sw_ctx("C.1", true, 0, &server));
	len = unhex(c4, pkt, sizeof(pkt));
	memcpy(copy, pkt, len);
	ASSERT_EQ(0, oscore_unprotect(&server.ctx, pkt, len, NULL, &rx, &u));
	ASSERT_EQ(COAP_CODE_CLASS(u.code), 0);
	request = rx.binding;
	copy[1] = 0x44;		/* outer 2.04 Changed */
	EXPECT_EQ(-CODEC_ECODE, oscore_unprotect(&server.ctx, copy, len,
						 &request, &rx, &u));
	oscore_sw_ctx_free(&server);
}

TEST(protect_rejects)
{
	struct oscore_sw_ctx client;
	u8 in[64], out[MAX_MSG];
	struct oscore_aead_req req;
	struct oscore_binding b;
	struct coap_msg m;
	int n;

	ASSERT_EQ(0, sw_ctx("C.1", false, 0, &client));
	n = unhex("44015d1f00003974396c6f63616c686f737483747631", in, sizeof(in));
	ASSERT_EQ(0, coap_parse(in, n, &m));
	EXPECT_EQ(-CODEC_ESEQ, oscore_protect(&client.ctx, &m, 1ULL << 40, NULL,
					      out, sizeof(out), &req, NULL));
	EXPECT_EQ(-CODEC_ESEQ,
		  oscore_protect(&client.ctx, &m, OSCORE_SEQ_NONE, NULL, out,
				 sizeof(out), &req, NULL));
	/* Too small an output buffer, at every size */
	for (n = 0; n < 35; n++)
		EXPECT_EQ(-CODEC_ENOSPC,
			  oscore_protect(&client.ctx, &m, 20, NULL, out, n,
					 &req, NULL));
	EXPECT_EQ(35, oscore_protect(&client.ctx, &m, 20, NULL, out, 35, &req,
				     &b));
	/* Already protected */
	ASSERT_EQ(0, coap_parse(out, 35, &m));
	EXPECT_EQ(-CODEC_EPROTECTED,
		  oscore_protect(&client.ctx, &m, 21, NULL, out, sizeof(out),
				 &req, NULL));
	/* A response needs its request */
	ASSERT_EQ(0, coap_parse((u8 *)"\x60\x45\x00\x01", 4, &m));
	EXPECT_EQ(-CODEC_ENOBINDING,
		  oscore_protect(&client.ctx, &m, 3, NULL, out, sizeof(out),
				 &req, NULL));
	/* Empty and reserved-class codes are not protected */
	ASSERT_EQ(0, coap_parse((u8 *)"\x40\x00\x00\x01", 4, &m));
	EXPECT_EQ(-CODEC_ECODE, oscore_protect(&client.ctx, &m, 3, NULL, out,
					       sizeof(out), &req, NULL));
	/* More outer options than a receiver parses: 32 Observe + OSCORE */
	memset(in, 0, sizeof(in));
	memcpy(in, "\x50\x45\x00\x01\x60", 5);
	ASSERT_EQ(0, coap_parse(in, 4 + COAP_MAX_OPTIONS, &m));
	ASSERT_EQ(COAP_MAX_OPTIONS, m.num_opts);
	EXPECT_EQ(-CODEC_ETOOMANY, oscore_protect(&client.ctx, &m, 3, &b, out,
						  sizeof(out), &req, NULL));
	/* An ID too long for the nonce */
	client.ctx.sender_id_len = 8;
	EXPECT_EQ(-CODEC_ECTX, oscore_protect(&client.ctx, &m, 3, NULL, out,
					      sizeof(out), &req, NULL));
	oscore_sw_ctx_free(&client);
}

/*
 * An asynchronous AEAD: the ops only queue the request and return
 * -EINPROGRESS; the "completion" runs later, as a crypto engine's
 * callback would, and unprotect finishes from it.
 */
static struct oscore_aead_req *queued;

static int async_queue(struct oscore_aead_req *req)
{
	queued = req;
	return -EINPROGRESS;
}

static const struct oscore_aead_ops async_ops = {
	.encrypt = async_queue,
	.decrypt = async_queue,
};

TEST(async_aead)
{
	const char *c4 = "44015d1f00003974396c6f63616c686f737483747631";
	const struct oscore_aead_ops *real;
	struct oscore_sw_ctx client, server;
	u8 in[64], out[MAX_MSG], back[MAX_MSG];
	struct oscore_binding b;
	struct oscore_aead_req req;
	struct oscore_rx rx;
	struct coap_msg m, u;
	int n, len;

	ASSERT_EQ(0, sw_ctx("C.1", false, 0, &client));
	ASSERT_EQ(0, sw_ctx("C.1", true, 0, &server));
	real = client.ctx.ops;
	client.ctx.ops = &async_ops;
	server.ctx.ops = &async_ops;
	n = unhex(c4, in, sizeof(in));
	ASSERT_EQ(0, coap_parse(in, n, &m));
	ASSERT_EQ(-EINPROGRESS, oscore_protect(&client.ctx, &m, 20, NULL, out,
					       sizeof(out), &req, &b));
	ASSERT_EQ(&req, queued);
	ASSERT_EQ(0, real->encrypt(queued));
	len = req.buf - out + req.len + req.alg->tag_len;
	ASSERT_EQ(35, len);
	ASSERT_EQ(0, memcmp(out, "\x44\x02\x5d\x1f\x00\x00\x39\x74", 8));

	ASSERT_EQ(0, oscore_unprotect_parse(out, len, &rx));
	ASSERT_EQ(20, rx.seq);
	ASSERT_EQ(0, oscore_unprotect_begin(&server.ctx, NULL, &rx));
	ASSERT_EQ(-EINPROGRESS, server.ctx.ops->decrypt(&rx.req));
	ASSERT_EQ(&rx.req, queued);
	ASSERT_EQ(0, oscore_unprotect_finish(&rx, real->decrypt(queued), &u));
	ASSERT_EQ(n, coap_serialize(&u, back, sizeof(back)));
	ASSERT_EQ(0, memcmp(in, back, n));
	/* a failed completion reports the tag failure */
	ASSERT_EQ(-CODEC_EAUTH, oscore_unprotect_finish(&rx, -EBADMSG, &u));
	oscore_sw_ctx_free(&client);
	oscore_sw_ctx_free(&server);
}

/* --- Property: unprotect(protect(m)) == m ------------------------------ */

static u64 rng_state = 0x9e3779b97f4a7c15ULL;

static u32 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state >> 16;
}

/* A random message the parser accepts, as bytes. */
static size_t random_msg(u8 *buf, size_t cap, bool request)
{
	static const u16 nums[] = { 1, 3, 4, 5, 6, 7, 8, 11, 12, 14, 15, 16,
				    17, 20, 21, 23, 27, 28, 39, 60, 252, 258,
				    292, 1000, 2049, 65000 };
	static u8 vals[COAP_MAX_OPTIONS][300];
	struct coap_msg m;
	unsigned int i, n;
	static u8 payload[600];

	memset(&m, 0, sizeof(m));
	m.type = rnd() % 4;
	m.code = request ? COAP_CODE(0, 1 + rnd() % 7) :
			   COAP_CODE(2 + (rnd() % 3 ? 0 : 2 + rnd() % 2), rnd() % 32);
	m.mid = rnd();
	m.token_len = rnd() % 9;
	for (i = 0; i < m.token_len; i++)
		m.token[i] = rnd();
	n = rnd() % 12;
	for (i = 0; i < n; i++) {
		unsigned int len = rnd() % 8 ? rnd() % 20 : rnd() % 300;
		unsigned int j;

		m.opts[i].number = nums[rnd() % ARRAY_SIZE(nums)];
		m.opts[i].len = len;
		for (j = 0; j < len; j++)
			vals[i][j] = rnd();
		m.opts[i].value = vals[i];
	}
	/* sort by number; insertion sort keeps repeats in order */
	for (i = 1; i < n; i++) {
		struct coap_option o = m.opts[i];
		unsigned int j = i;

		while (j && m.opts[j - 1].number > o.number) {
			m.opts[j] = m.opts[j - 1];
			j--;
		}
		m.opts[j] = o;
	}
	m.num_opts = n;
	m.payload_len = rnd() % 3 ? rnd() % 600 : 0;
	for (i = 0; i < m.payload_len; i++)
		payload[i] = rnd();
	m.payload = payload;
	return coap_serialize(&m, buf, cap);
}

static void roundtrip(struct __test_metadata *_metadata, int alg,
		      unsigned int flags, unsigned int iters)
{
	static const u8 secret[32] = { 1, 2, 3, 4, 5 };
	static const u8 idctx[] = { 0x37, 0xcb, 0xf3, 0x21 };
	struct oscore_master cm = {
		.alg = alg, .secret = secret, .secret_len = 32,
		.id_context = idctx, .id_context_len = sizeof(idctx),
		.sender_id = (const u8 *)"\x01", .sender_id_len = 1,
		.recipient_id = (const u8 *)"\x00\x07", .recipient_id_len = 2,
	};
	struct oscore_master sm = cm;
	struct oscore_sw_ctx client, server;
	u8 in[MAX_MSG], out[MAX_MSG + OSCORE_MAX_OVERHEAD];
	u8 out2[sizeof(out)], back[MAX_MSG];
	struct oscore_binding cb;
	struct oscore_aead_req req;
	struct coap_msg m, u, r;
	struct oscore_rx rx;
	unsigned int i;

	sm.sender_id = cm.recipient_id;
	sm.sender_id_len = cm.recipient_id_len;
	sm.recipient_id = cm.sender_id;
	sm.recipient_id_len = cm.sender_id_len;
	ASSERT_EQ(0, oscore_sw_ctx_init(&client, &cm, flags));
	ASSERT_EQ(0, oscore_sw_ctx_init(&server, &sm, flags));
	for (i = 0; i < iters; i++) {
		size_t n = random_msg(in, sizeof(in), true), rn;
		u64 seq = rnd() % 4 ? rnd() : (u64)(rnd() & 0x3fffffff) << 10;
		int len;

		ASSERT_EQ(0, coap_parse(in, n, &m));
		len = oscore_protect(&client.ctx, &m, seq, NULL, out,
				     sizeof(out), &req, &cb);
		ASSERT_LT(0, len);
		check_in_place(_metadata, &client.ctx, &server.ctx, in, n, seq,
			       NULL, NULL, out, len);
		ASSERT_EQ(0, oscore_unprotect(&server.ctx, out, len, NULL, &rx,
					      &u));
		ASSERT_EQ(seq, rx.seq);
		ASSERT_EQ(n, (size_t)coap_serialize(&u, back, sizeof(back)));
		ASSERT_EQ(0, memcmp(in, back, n));

		/* and its response, with or without a Partial IV */
		rn = random_msg(in, sizeof(in), false);
		ASSERT_EQ(0, coap_parse(in, rn, &r));
		seq = rnd() % 2 ? OSCORE_SEQ_NONE : rnd();
		len = oscore_protect(&server.ctx, &r, seq, &rx.binding, out2,
				     sizeof(out2), &req, NULL);
		ASSERT_LT(0, len);
		check_in_place(_metadata, &server.ctx, &client.ctx, in, rn,
			       seq, &rx.binding, &cb, out2, len);
		ASSERT_EQ(0, oscore_unprotect(&client.ctx, out2, len, &cb, &rx,
					      &u));
		ASSERT_EQ(rn, (size_t)coap_serialize(&u, back, sizeof(back)));
		ASSERT_EQ(0, memcmp(in, back, rn));
	}
	oscore_sw_ctx_free(&client);
	oscore_sw_ctx_free(&server);
}

TEST(roundtrip_ccm) { roundtrip(_metadata, OSCORE_ALG_AES_CCM_16_64_128, 0, 2000); }
TEST(roundtrip_a128gcm) { roundtrip(_metadata, OSCORE_ALG_A128GCM, 0, 1000); }
TEST(roundtrip_a256gcm) { roundtrip(_metadata, OSCORE_ALG_A256GCM, 0, 1000); }
TEST(roundtrip_chachapoly) { roundtrip(_metadata, OSCORE_ALG_CHACHA20_POLY1305, 0, 1000); }
TEST(roundtrip_kid_context) { roundtrip(_metadata, OSCORE_ALG_AES_CCM_16_64_128, OSCORE_CTX_SEND_KID_CONTEXT, 500); }
TEST(roundtrip_group) { roundtrip(_metadata, OSCORE_ALG_AES_CCM_16_64_128, OSCORE_CTX_GROUP, 1000); }

/* Any bytes the parser accepts survive serialize and the round trip. */
TEST(roundtrip_parsed_bytes)
{
	static const u8 secret[16] = { 9 };
	struct oscore_master cm = {
		.alg = OSCORE_ALG_AES_CCM_16_64_128, .secret = secret,
		.secret_len = 16, .sender_id = (const u8 *)"\x01",
		.sender_id_len = 1, .recipient_id = (const u8 *)"",
	};
	struct oscore_master sm = cm;
	struct oscore_sw_ctx client, server;
	u8 in[128], out[512], back[512];
	struct oscore_binding cb;
	struct oscore_aead_req req;
	struct coap_msg m, u;
	struct oscore_rx rx;
	unsigned int i, accepted = 0, j;

	sm.sender_id = cm.recipient_id;
	sm.sender_id_len = 0;
	sm.recipient_id = cm.sender_id;
	sm.recipient_id_len = 1;
	ASSERT_EQ(0, oscore_sw_ctx_init(&client, &cm, 0));
	ASSERT_EQ(0, oscore_sw_ctx_init(&server, &sm, 0));
	for (i = 0; i < 200000; i++) {
		size_t n = 4 + rnd() % 40;
		int len;

		for (j = 0; j < n; j++)
			in[j] = rnd();
		in[0] = 0x40 | (in[0] & 0x37);
		in[1] &= 0x1f;
		if (coap_parse(in, n, &m))
			continue;
		ASSERT_EQ(n, (size_t)coap_serialize(&m, back, sizeof(back)));
		ASSERT_EQ(0, memcmp(in, back, n));
		len = oscore_protect(&client.ctx, &m, i, NULL, out, sizeof(out),
				     &req, &cb);
		if (len == -CODEC_EPROTECTED || len == -CODEC_EUNSUPPORTED ||
		    len == -CODEC_ETOOMANY || len == -CODEC_ECODE)
			continue;
		ASSERT_LT(0, len);
		ASSERT_EQ(0, oscore_unprotect(&server.ctx, out, len, NULL, &rx, &u));
		ASSERT_TRUE(coap_msg_equal(&m, &u));
		accepted++;
	}
	TH_LOG("%u accepted messages round-tripped", accepted);
	ASSERT_LT(1000, accepted);
	oscore_sw_ctx_free(&client);
	oscore_sw_ctx_free(&server);
}

TEST(vectors_present)
{
	ASSERT_NE(NULL, vectors());
}

TEST_HARNESS_MAIN
