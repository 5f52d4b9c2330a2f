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

/*
 * Reads an extended delta or length at @p (at most 2 bytes before @end);
 * @v is the nibble.  The value, or -1 when the bytes are not there, or
 * -2 for the reserved nibble.  Returned rather than stored through a
 * pointer: the option loop keeps its state in registers.
 */
static inline s32 coap_read_ext(const u8 *p, const u8 *end, u32 v)
{
	switch (v) {
	case COAP_OPT_EXT8:
		if (end - p < 1)
			return -1;
		return COAP_OPT_EXT8_BASE + p[0];
	case COAP_OPT_EXT16:
		if (end - p < 2)
			return -1;
		return COAP_OPT_EXT16_BASE + ((u32)p[0] << 8) + p[1];
	case COAP_OPT_RESERVED:
		return -2;
	}
	return v;
}

/* The extension bytes behind nibble @v. */
static inline unsigned int coap_ext_len(u32 v)
{
	return v == COAP_OPT_EXT8 ? 1 : v == COAP_OPT_EXT16 ? 2 : 0;
}

int coap_parse_options(const u8 *buf, size_t len, struct coap_option *opts,
		       unsigned int max, unsigned int *n,
		       const u8 **payload, size_t *payload_len)
{
	unsigned int count = *n;
	u32 number = count ? opts[count - 1].number : 0;
	const u8 *p = buf, *end = buf + len;

	*payload = NULL;
	*payload_len = 0;
	while (p < end) {
		s32 delta, olen;

		if (*p == COAP_PAYLOAD_MARKER) {
			p++;
			if (p == end)
				return -CODEC_EPAYLOAD;
			*payload = p;
			*payload_len = end - p;
			return 0;
		}
		delta = *p >> 4;
		olen = *p & 0x0f;
		p++;
		/* Most options need neither extension. */
		if (delta >= COAP_OPT_EXT8) {
			s32 v = coap_read_ext(p, end, delta);

			if (v < 0)
				return v == -1 ? -CODEC_ETRUNC : -CODEC_EDELTA;
			p += coap_ext_len(delta);
			delta = v;
		}
		if (olen >= COAP_OPT_EXT8) {
			s32 v = coap_read_ext(p, end, olen);

			if (v < 0)
				return v == -1 ? -CODEC_ETRUNC : -CODEC_ELENGTH;
			p += coap_ext_len(olen);
			olen = v;
		}
		number += delta;
		if (number > COAP_MAX_OPT_NUM)
			return -CODEC_EOPTNUM;
		if (olen > end - p)
			return -CODEC_ETRUNC;
		if (count >= max)
			return -CODEC_ETOOMANY;
		opts[count].number = number;
		opts[count].len = olen;
		opts[count].value = p;
		*n = ++count;
		p += olen;
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

int coap_serialize_header(const struct coap_msg *m, u8 *buf, size_t cap)
{
	size_t pos = COAP_HDR_LEN + m->token_len;
	unsigned int i;

	if (m->token_len > COAP_MAX_TOKEN_LEN)
		return -CODEC_ETKL;
	if (cap < pos)
		return -CODEC_ENOSPC;
	buf[0] = (COAP_VERSION << 6) | ((m->type & 0x03) << 4) | m->token_len;
	buf[1] = m->code;
	buf[2] = m->mid >> 8;
	buf[3] = m->mid & 0xff;
	/* At most 8 bytes: no call for them. */
	for (i = 0; i < m->token_len; i++)
		buf[COAP_HDR_LEN + i] = m->token[i];
	return pos;
}

int coap_serialize_head(const struct coap_msg *m, u8 *buf, size_t cap)
{
	unsigned int i;
	u16 prev = 0;
	size_t pos;
	int err;

	if (m->token_len > COAP_MAX_TOKEN_LEN)
		return -CODEC_ETKL;
	if (m->num_opts > COAP_MAX_OPTIONS)
		return -CODEC_ETOOMANY;
	err = coap_serialize_header(m, buf, cap);
	if (err < 0)
		return err;
	pos = err;
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
