// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * CoAP framing.  Every loop consumes at least one byte of input or
 * produces one option, so the work is bounded by the message length and
 * COAP_MAX_OPTIONS; every read is checked against the end first.
 */
#include "coap.h"
#include "codec_err.h"

#define COAP_OPT_EXT8		13
#define COAP_OPT_EXT16		14
#define COAP_OPT_RESERVED	15
#define COAP_OPT_EXT8_BASE	13
#define COAP_OPT_EXT16_BASE	269
#define COAP_MAX_OPT_NUM	65535

/* Reads an extended delta or length; *@v holds the nibble on entry. */
static int coap_read_ext(const u8 *buf, size_t len, size_t *pos, u32 *v,
			 int reserved_err)
{
	switch (*v) {
	case COAP_OPT_EXT8:
		if (len - *pos < 1)
			return -CODEC_ETRUNC;
		*v = COAP_OPT_EXT8_BASE + buf[*pos];
		*pos += 1;
		break;
	case COAP_OPT_EXT16:
		if (len - *pos < 2)
			return -CODEC_ETRUNC;
		*v = COAP_OPT_EXT16_BASE + ((u32)buf[*pos] << 8) + buf[*pos + 1];
		*pos += 2;
		break;
	case COAP_OPT_RESERVED:
		return -reserved_err;
	}
	return 0;
}

int coap_parse_options(const u8 *buf, size_t len, struct coap_option *opts,
		       unsigned int max, unsigned int *n,
		       const u8 **payload, size_t *payload_len)
{
	u32 number = *n ? opts[*n - 1].number : 0;
	size_t pos = 0;

	*payload = NULL;
	*payload_len = 0;
	while (pos < len) {
		u32 delta, olen;
		int err;

		if (buf[pos] == COAP_PAYLOAD_MARKER) {
			pos++;
			if (pos == len)
				return -CODEC_EPAYLOAD;
			*payload = buf + pos;
			*payload_len = len - pos;
			return 0;
		}
		delta = buf[pos] >> 4;
		olen = buf[pos] & 0x0f;
		pos++;
		/* Most options need neither extension: no call for them. */
		if (delta >= COAP_OPT_EXT8) {
			err = coap_read_ext(buf, len, &pos, &delta,
					    CODEC_EDELTA);
			if (err)
				return err;
		}
		if (olen >= COAP_OPT_EXT8) {
			err = coap_read_ext(buf, len, &pos, &olen,
					    CODEC_ELENGTH);
			if (err)
				return err;
		}
		number += delta;
		if (number > COAP_MAX_OPT_NUM)
			return -CODEC_EOPTNUM;
		if (olen > len - pos)
			return -CODEC_ETRUNC;
		if (*n >= max)
			return -CODEC_ETOOMANY;
		opts[*n].number = number;
		opts[*n].len = olen;
		opts[*n].value = buf + pos;
		(*n)++;
		pos += olen;
	}
	return 0;
}

int coap_parse(const u8 *buf, size_t len, struct coap_msg *m)
{
	u8 tkl, i;

	m->num_opts = 0;
	m->payload = NULL;
	m->payload_len = 0;
	if (len < COAP_HDR_LEN)
		return -CODEC_ETRUNC;
	if (buf[0] >> 6 != COAP_VERSION)
		return -CODEC_EVERSION;
	tkl = buf[0] & 0x0f;
	if (tkl > COAP_MAX_TOKEN_LEN)
		return -CODEC_ETKL;
	m->type = (buf[0] >> 4) & 0x03;
	m->code = buf[1];
	m->mid = ((u16)buf[2] << 8) | buf[3];
	if (len - COAP_HDR_LEN < tkl)
		return -CODEC_ETRUNC;
	m->token_len = tkl;
	/* At most 8 bytes: no call for them. */
	for (i = 0; i < tkl; i++)
		m->token[i] = buf[COAP_HDR_LEN + i];
	if (m->code == COAP_CODE_EMPTY && (tkl || len > COAP_HDR_LEN))
		return -CODEC_EEMPTY;
	return coap_parse_options(buf + COAP_HDR_LEN + tkl,
				  len - COAP_HDR_LEN - tkl, m->opts,
				  COAP_MAX_OPTIONS, &m->num_opts, &m->payload,
				  &m->payload_len);
}

/* The nibble for @v, and how many extension bytes follow it. */
static u8 coap_ext_nibble(u32 v, size_t *ext)
{
	if (v < COAP_OPT_EXT8_BASE) {
		*ext = 0;
		return v;
	}
	if (v < COAP_OPT_EXT16_BASE) {
		*ext = 1;
		return COAP_OPT_EXT8;
	}
	*ext = 2;
	return COAP_OPT_EXT16;
}

static void coap_put_ext(u8 *p, u32 v, size_t ext)
{
	if (ext == 1) {
		p[0] = v - COAP_OPT_EXT8_BASE;
	} else if (ext == 2) {
		v -= COAP_OPT_EXT16_BASE;
		p[0] = v >> 8;
		p[1] = v & 0xff;
	}
}

int coap_write_option(u8 *buf, size_t cap, size_t *pos, u16 *prev,
		      u16 number, const u8 *value, size_t len)
{
	u32 delta;
	size_t dext, lext, need;
	u8 dn, ln;

	if (number < *prev)
		return -CODEC_EORDER;
	if (len > COAP_OPT_EXT16_BASE + 0xffff)
		return -CODEC_ENOSPC;
	delta = number - *prev;
	/* Most options: one byte of delta and length, then the value. */
	if (delta < COAP_OPT_EXT8_BASE && len < COAP_OPT_EXT8_BASE) {
		if (*pos > cap || cap - *pos < 1 + len)
			return -CODEC_ENOSPC;
		buf[*pos] = delta << 4 | len;
		if (len)
			memcpy(buf + *pos + 1, value, len);
		*pos += 1 + len;
		*prev = number;
		return 0;
	}
	dn = coap_ext_nibble(delta, &dext);
	ln = coap_ext_nibble(len, &lext);
	need = 1 + dext + lext + len;
	if (*pos > cap || cap - *pos < need)
		return -CODEC_ENOSPC;
	buf[*pos] = (dn << 4) | ln;
	coap_put_ext(buf + *pos + 1, delta, dext);
	coap_put_ext(buf + *pos + 1 + dext, len, lext);
	if (len)
		memcpy(buf + *pos + 1 + dext + lext, value, len);
	*pos += need;
	*prev = number;
	return 0;
}

int coap_serialize_head(const struct coap_msg *m, u8 *buf, size_t cap)
{
	size_t pos = COAP_HDR_LEN + m->token_len;
	unsigned int i;
	u16 prev = 0;
	int err;

	if (m->token_len > COAP_MAX_TOKEN_LEN)
		return -CODEC_ETKL;
	if (m->num_opts > COAP_MAX_OPTIONS)
		return -CODEC_ETOOMANY;
	if (cap < pos)
		return -CODEC_ENOSPC;
	buf[0] = (COAP_VERSION << 6) | ((m->type & 0x03) << 4) | m->token_len;
	buf[1] = m->code;
	buf[2] = m->mid >> 8;
	buf[3] = m->mid & 0xff;
	memcpy(buf + COAP_HDR_LEN, m->token, m->token_len);
	for (i = 0; i < m->num_opts; i++) {
		err = coap_write_option(buf, cap, &pos, &prev,
					m->opts[i].number, m->opts[i].value,
					m->opts[i].len);
		if (err)
			return err;
	}
	if (m->payload_len) {
		if (cap - pos < 1)
			return -CODEC_ENOSPC;
		buf[pos++] = COAP_PAYLOAD_MARKER;
	}
	return pos;
}

int coap_serialize(const struct coap_msg *m, u8 *buf, size_t cap)
{
	int pos = coap_serialize_head(m, buf, cap);

	if (pos < 0 || !m->payload_len)
		return pos;
	if (cap - pos < m->payload_len)
		return -CODEC_ENOSPC;
	memcpy(buf + pos, m->payload, m->payload_len);
	return pos + m->payload_len;
}

const struct coap_option *coap_find_option(const struct coap_msg *m,
					   u16 number)
{
	unsigned int i;

	for (i = 0; i < m->num_opts; i++)
		if (m->opts[i].number == number)
			return &m->opts[i];
	return NULL;
}

u32 coap_option_uint(const struct coap_option *o)
{
	u32 v = 0;
	unsigned int i;

	/* Longer than 4 bytes is no valid uint option: saturate. */
	if (o->len > 4)
		return U32_MAX;
	for (i = 0; i < o->len; i++)
		v = v << 8 | o->value[i];
	return v;
}

bool coap_msg_equal(const struct coap_msg *a, const struct coap_msg *b)
{
	unsigned int i;

	if (a->type != b->type || a->code != b->code || a->mid != b->mid ||
	    a->token_len != b->token_len || a->num_opts != b->num_opts ||
	    a->payload_len != b->payload_len ||
	    memcmp(a->token, b->token, a->token_len) ||
	    (a->payload_len && memcmp(a->payload, b->payload, a->payload_len)))
		return false;
	for (i = 0; i < a->num_opts; i++) {
		const struct coap_option *x = &a->opts[i], *y = &b->opts[i];

		if (x->number != y->number || x->len != y->len ||
		    (x->len && memcmp(x->value, y->value, x->len)))
			return false;
	}
	return true;
}
