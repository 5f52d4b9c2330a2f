// SPDX-License-Identifier: GPL-2.0
/*
 * The C side of group_interop.py: Group OSCORE group mode through
 * tools/lib/oscore_group_sw.h, driven from the command line.  Hex in, hex
 * out; "-" is an empty value.
 *
 *   group_tool genkey FILE [SUBJECT [ALG]]  new key in FILE (ALG -7: P-256,
 *                                      -8: Ed25519); prints its CCS
 *   group_tool cred FILE [SUBJECT]     loads FILE; prints its CCS
 *   group_tool protect KEYFILE CTX... SEQ MSG [REQ...]
 *   group_tool verify  KEYFILE CTX... PKT [REQ...]
 *
 * CTX is SECRET SALT GID SID RID OWNCRED PEERCRED GMCRED; SEQ is the
 * Partial IV ("-": a response that reuses its request's nonce); REQ is
 * REQKID REQPIV REQKIDCTX, the request a response answers.  protect prints
 * the protected message; verify the message as unprotected.  Either
 * prints "error CODE TEXT" and exits 1 when the codec refuses (the
 * context included).  GROUP_SIG_ALG in the environment sets the
 * Signature Algorithm of the context (-7, the default, or -8).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec_err.h"
#include "oscore_group_sw.h"

#define MAX_MSG 2048

static int unhex(const char *s, u8 *buf, size_t cap)
{
	size_t n = strlen(s), i;

	if (!strcmp(s, "-"))
		return 0;
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

static void puthex(const u8 *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%02x", b[i]);
	printf("\n");
}

static int die(const char *what)
{
	fprintf(stderr, "group_tool: %s\n", what);
	return 2;
}

struct bufs {
	u8 secret[64], salt[64], gid[64], sid[8], rid[8];
	u8 own[OSCORE_GROUP_CRED_MAX_LEN], peer[OSCORE_GROUP_CRED_MAX_LEN];
	u8 gm[OSCORE_GROUP_CRED_MAX_LEN];
};

/* argv: SECRET SALT GID SID RID OWNCRED PEERCRED GMCRED */
static int parse_ctx(char **argv, struct bufs *b, struct oscore_group_master *gm)
{
	int n[8], i;

	memset(gm, 0, sizeof(*gm));
	n[0] = unhex(argv[0], b->secret, sizeof(b->secret));
	n[1] = unhex(argv[1], b->salt, sizeof(b->salt));
	n[2] = unhex(argv[2], b->gid, sizeof(b->gid));
	n[3] = unhex(argv[3], b->sid, sizeof(b->sid));
	n[4] = unhex(argv[4], b->rid, sizeof(b->rid));
	n[5] = unhex(argv[5], b->own, sizeof(b->own));
	n[6] = unhex(argv[6], b->peer, sizeof(b->peer));
	n[7] = unhex(argv[7], b->gm, sizeof(b->gm));
	for (i = 0; i < 8; i++)
		if (n[i] < 0)
			return -1;
	gm->m.alg = OSCORE_ALG_AES_CCM_16_64_128;
	gm->m.secret = b->secret;
	gm->m.secret_len = n[0];
	gm->m.salt = n[1] ? b->salt : NULL;
	gm->m.salt_len = n[1];
	gm->m.id_context = b->gid;
	gm->m.id_context_len = n[2];
	gm->m.sender_id = b->sid;
	gm->m.sender_id_len = n[3];
	gm->m.recipient_id = b->rid;
	gm->m.recipient_id_len = n[4];
	gm->alg_signature = getenv("GROUP_SIG_ALG") ?
			    atoi(getenv("GROUP_SIG_ALG")) : OSCORE_SIG_ES256;
	gm->sender_cred = b->own;
	gm->sender_cred_len = n[5];
	gm->recipient_cred = b->peer;
	gm->recipient_cred_len = n[6];
	gm->gm_cred = b->gm;
	gm->gm_cred_len = n[7];
	return 0;
}

/* argv: REQKID REQPIV REQKIDCTX */
static int parse_req(const struct oscore_group_sw *s, char **argv,
		     struct oscore_group_binding *b)
{
	int kid, piv, ctx;

	memset(b, 0, sizeof(*b));
	kid = unhex(argv[0], b->b.kid, sizeof(b->b.kid));
	piv = unhex(argv[1], b->b.piv, sizeof(b->b.piv));
	ctx = unhex(argv[2], b->kid_context, sizeof(b->kid_context));
	if (kid < 0 || piv < 0 || ctx < 0)
		return -1;
	b->b.kid_len = kid;
	b->b.piv_len = piv;
	b->kid_context_len = ctx;
	oscore_nonce(&s->g.base, b->b.kid, kid, b->b.piv, piv, b->b.nonce);
	return 0;
}

int main(int argc, char **argv)
{
	static struct oscore_group_rx grx;
	struct oscore_group_binding req, *reqp = NULL;
	struct oscore_group_master gm;
	struct oscore_group_key key;
	u8 msg[MAX_MSG], out[MAX_MSG];
	struct oscore_group_sw s;
	char err[512];
	struct bufs b;
	struct coap_msg m;
	int n, len, ret;
	bool protect;

	if (argc >= 3 && (!strcmp(argv[1], "genkey") || !strcmp(argv[1], "cred"))) {
		const char *subject = argc > 3 ? argv[3] : "";

		if (!strcmp(argv[1], "genkey")) {
			int alg = argc > 4 ? atoi(argv[4]) : OSCORE_SIG_ES256;

			if (oscore_group_key_generate_alg(&key, alg))
				return die("key generation failed");
			if (oscore_group_key_save(&key, argv[2], err, sizeof(err))) {
				oscore_group_key_free(&key);
				return die(err);
			}
		} else if (oscore_group_key_load(&key, argv[2], err, sizeof(err))) {
			return die(err);
		}
		n = oscore_group_key_ccs(&key, subject, out, sizeof(out));
		oscore_group_key_free(&key);
		if (n < 0)
			return die("cannot build the credential");
		puthex(out, n);
		return 0;
	}
	if (argc < 3)
		return die("usage: see the comment at the top of group_tool.c");
	protect = !strcmp(argv[1], "protect");
	if ((protect && argc != 13 && argc != 16) ||
	    (!protect && (strcmp(argv[1], "verify") || (argc != 12 && argc != 15))))
		return die("usage: see the comment at the top of group_tool.c");
	if (parse_ctx(argv + 3, &b, &gm))
		return die("bad hex in the context");
	if (strcmp(argv[2], "-")) {
		if (oscore_group_key_load(&key, argv[2], err, sizeof(err)))
			return die(err);
	} else {
		key.set = false;
	}
	ret = oscore_group_sw_init(&s, &gm, key.set ? &key : NULL);
	if (ret) {
		printf("error %d %s\n", ret, codec_strerror(ret));
		if (key.set)
			oscore_group_key_free(&key);
		return 1;
	}
	if (protect) {
		u64 seq = strcmp(argv[11], "-") ? strtoull(argv[11], NULL, 0) :
			  OSCORE_SEQ_NONE;

		if (argc == 16) {
			if (parse_req(&s, argv + 13, &req))
				return die("bad hex in the request");
			reqp = &req;
		}
		n = unhex(argv[12], msg, sizeof(msg));
		if (n < 0 || coap_parse(msg, n, &m))
			return die("MSG is not a CoAP message");
		len = oscore_group_protect(&s, &m, seq, reqp, out, sizeof(out),
					   NULL);
		if (len < 0) {
			printf("error %d %s\n", len, codec_strerror(len));
			ret = 1;
		} else {
			puthex(out, len);
			ret = 0;
		}
	} else {
		if (argc == 15) {
			if (parse_req(&s, argv + 12, &req))
				return die("bad hex in the request");
			reqp = &req;
		}
		n = unhex(argv[11], msg, sizeof(msg));
		if (n < 0)
			return die("bad hex in PKT");
		ret = oscore_group_verify(&s, msg, n, reqp, &grx, &m);
		if (!ret)
			ret = coap_serialize(&m, out, sizeof(out));
		if (ret < 0) {
			printf("error %d %s\n", ret, codec_strerror(ret));
			ret = 1;
		} else {
			puthex(out, ret);
			ret = 0;
		}
	}
	oscore_group_sw_free(&s);
	if (key.set)
		oscore_group_key_free(&key);
	return ret;
}
