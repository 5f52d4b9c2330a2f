// SPDX-License-Identifier: GPL-2.0 OR MIT
/* CCS authentication credentials with an EC2 P-256 COSE_Key (see the header). */
#include "oscore_cred.h"
#include "cbor.h"
#include "codec_err.h"

#define CWT_SUB		2
#define CWT_CNF		8
#define CNF_COSE_KEY	1
#define COSE_KEY_KTY	1
#define COSE_KEY_ALG	3
#define COSE_KEY_CRV	(-1)
#define COSE_KEY_X	(-2)
#define COSE_KEY_Y	(-3)
#define COSE_KTY_OKP	1
#define COSE_KTY_EC2	2
#define COSE_CRV_P256	1
#define COSE_CRV_ED25519	6
#define COSE_ALG_ES256	(-7)
#define COSE_ALG_EDDSA	(-8)
/* Nesting of claims skipped over: enough for any sane claim. */
#define CCS_MAX_DEPTH	8

int oscore_ccs_build_key(const char *subject, const struct oscore_cred_key *k,
			 u8 *buf, size_t cap)
{
	bool ec2 = k->type == OSCORE_CRED_P256;
	struct cbor_writer w;

	if (strlen(subject) > OSCORE_CCS_SUBJECT_MAX ||
	    (!ec2 && k->type != OSCORE_CRED_ED25519))
		return -CODEC_ECRED;
	cbor_init(&w, buf, cap);
	cbor_put_map(&w, 2);
	cbor_put_int(&w, CWT_SUB);
	cbor_put_tstr(&w, subject);
	cbor_put_int(&w, CWT_CNF);
	cbor_put_map(&w, 1);
	cbor_put_int(&w, CNF_COSE_KEY);
	cbor_put_map(&w, ec2 ? 4 : 3);
	cbor_put_int(&w, COSE_KEY_KTY);
	cbor_put_int(&w, ec2 ? COSE_KTY_EC2 : COSE_KTY_OKP);
	cbor_put_int(&w, COSE_KEY_CRV);
	cbor_put_int(&w, ec2 ? COSE_CRV_P256 : COSE_CRV_ED25519);
	cbor_put_int(&w, COSE_KEY_X);
	cbor_put_bstr(&w, k->x, OSCORE_P256_COORD_LEN);
	if (ec2) {
		cbor_put_int(&w, COSE_KEY_Y);
		cbor_put_bstr(&w, k->y, OSCORE_P256_COORD_LEN);
	}
	return cbor_len(&w);
}

int oscore_ccs_build(const char *subject, const u8 *x, const u8 *y, u8 *buf,
		     size_t cap)
{
	struct oscore_cred_key k = { .type = OSCORE_CRED_P256 };

	memcpy(k.x, x, sizeof(k.x));
	memcpy(k.y, y, sizeof(k.y));
	return oscore_ccs_build_key(subject, &k, buf, cap);
}

/* The map head at the reader's position: its number of pairs. */
static int ccs_map(struct cbor_reader *r, u64 *pairs)
{
	struct cbor_item it;
	int err = cbor_get(r, &it);

	if (err)
		return err;
	if (it.major != CBOR_MAP || it.arg > r->len - r->pos)
		return -CODEC_ECBOR;
	*pairs = it.arg;
	return 0;
}

/* A map label: integers are compared, text labels never match. */
static int ccs_label(struct cbor_reader *r, s64 *label, bool *is_int)
{
	struct cbor_reader peek = *r;
	struct cbor_item it;
	int err;

	err = cbor_get(&peek, &it);
	if (err)
		return err;
	if (it.major == CBOR_UINT || it.major == CBOR_NINT) {
		*is_int = true;
		return cbor_get_int(r, label);
	}
	if (it.major != CBOR_TSTR)
		return -CODEC_ECBOR;
	*is_int = false;
	*r = peek;
	return 0;
}

static int ccs_coord(struct cbor_reader *r, u8 *out)
{
	struct cbor_item it;
	int err = cbor_get(r, &it);

	if (err)
		return err;
	if (it.major != CBOR_BSTR || it.arg != OSCORE_P256_COORD_LEN)
		return -CODEC_ECRED;
	memcpy(out, it.data, OSCORE_P256_COORD_LEN);
	return 0;
}

static int ccs_cose_key(struct cbor_reader *r, struct oscore_cred_key *k)
{
	s64 kty = 0, crv = 0, alg = 0;
	unsigned int seen = 0;
	u64 pairs, i;
	bool is_int;
	s64 label;
	int err, bit;

	err = ccs_map(r, &pairs);
	if (err)
		return err;
	for (i = 0; i < pairs; i++) {
		err = ccs_label(r, &label, &is_int);
		if (err)
			return err;
		bit = !is_int ? -1 :
		      label == COSE_KEY_KTY ? 0 : label == COSE_KEY_CRV ? 1 :
		      label == COSE_KEY_X ? 2 : label == COSE_KEY_Y ? 3 :
		      label == COSE_KEY_ALG ? 4 : -1;
		if (bit >= 0) {
			if (seen & (1u << bit))
				return -CODEC_ECRED;
			seen |= 1u << bit;
		}
		switch (bit) {
		case 0:
			err = cbor_get_int(r, &kty) ? -CODEC_ECRED : 0;
			break;
		case 1:
			err = cbor_get_int(r, &crv) ? -CODEC_ECRED : 0;
			break;
		case 4:
			err = cbor_get_int(r, &alg) ? -CODEC_ECRED : 0;
			break;
		case 2:
			err = ccs_coord(r, k->x);
			break;
		case 3:
			err = ccs_coord(r, k->y);
			break;
		default:
			err = cbor_skip(r, CCS_MAX_DEPTH);
		}
		if (err)
			return err;
	}
	/* EC2 P-256 with x and y, or OKP Ed25519 with x alone; alg optional */
	if (kty == COSE_KTY_EC2 && crv == COSE_CRV_P256 &&
	    (seen & 0xf) == 0xf)
		k->type = OSCORE_CRED_P256;
	else if (kty == COSE_KTY_OKP && crv == COSE_CRV_ED25519 &&
		 (seen & 0xf) == 0x7)
		k->type = OSCORE_CRED_ED25519;
	else
		return -CODEC_ECRED;
	if ((seen & 0x10) &&
	    alg != (k->type == OSCORE_CRED_P256 ? COSE_ALG_ES256 :
					       COSE_ALG_EDDSA))
		return -CODEC_ECRED;
	return 0;
}

int oscore_ccs_parse_key(const u8 *ccs, size_t len, struct oscore_cred_key *k)
{
	bool found = false, is_int;
	struct cbor_reader r;
	u64 pairs, i, n, j;
	s64 label;
	int err;

	memset(k, 0, sizeof(*k));
	cbor_reader_init(&r, ccs, len);
	err = ccs_map(&r, &pairs);
	if (err)
		return err;
	for (i = 0; i < pairs; i++) {
		err = ccs_label(&r, &label, &is_int);
		if (err)
			return err;
		if (!is_int || label != CWT_CNF) {
			err = cbor_skip(&r, CCS_MAX_DEPTH);
			if (err)
				return err;
			continue;
		}
		if (found)
			return -CODEC_ECRED;
		found = true;
		err = ccs_map(&r, &n);
		if (err)
			return err;
		/* cnf holds exactly one confirmation method: a COSE_Key */
		if (n != 1)
			return -CODEC_ECRED;
		for (j = 0; j < n; j++) {
			err = ccs_label(&r, &label, &is_int);
			if (err)
				return err;
			if (!is_int || label != CNF_COSE_KEY)
				return -CODEC_ECRED;
			err = ccs_cose_key(&r, k);
			if (err)
				return err;
		}
	}
	if (r.pos != r.len)
		return -CODEC_ECBOR;
	return found ? 0 : -CODEC_ECRED;
}

int oscore_ccs_parse(const u8 *ccs, size_t len, u8 *x, u8 *y)
{
	struct oscore_cred_key k;
	int err = oscore_ccs_parse_key(ccs, len, &k);

	if (err)
		return err;
	if (k.type != OSCORE_CRED_P256)
		return -CODEC_ECRED;
	memcpy(x, k.x, sizeof(k.x));
	memcpy(y, k.y, sizeof(k.y));
	return 0;
}
