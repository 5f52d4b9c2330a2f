// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "cbor.h"
#include "codec_err.h"

#define CBOR_FALSE	20
#define CBOR_TRUE	21
#define CBOR_NULL	22

static bool cbor_room(struct cbor_writer *w, size_t n)
{
	if (w->overflow || w->cap - w->len < n) {
		w->overflow = true;
		return false;
	}
	return true;
}

/* The initial byte and the shortest argument encoding (RFC 8949 §3). */
static void cbor_put_head(struct cbor_writer *w, u8 major, u64 v)
{
	unsigned int bytes, i;
	u8 ai;

	if (v < 24) {
		bytes = 0;
		ai = v;
	} else if (v <= 0xff) {
		bytes = 1;
		ai = 24;
	} else if (v <= 0xffff) {
		bytes = 2;
		ai = 25;
	} else if (v <= 0xffffffffULL) {
		bytes = 4;
		ai = 26;
	} else {
		bytes = 8;
		ai = 27;
	}
	if (!cbor_room(w, 1 + bytes))
		return;
	w->buf[w->len++] = (major << 5) | ai;
	for (i = bytes; i > 0; i--)
		w->buf[w->len++] = (v >> (8 * (i - 1))) & 0xff;
}

void cbor_put_uint(struct cbor_writer *w, u64 v)
{
	cbor_put_head(w, CBOR_UINT, v);
}

void cbor_put_int(struct cbor_writer *w, s64 v)
{
	if (v >= 0)
		cbor_put_head(w, CBOR_UINT, v);
	else
		cbor_put_head(w, CBOR_NINT, (u64)(-(v + 1)));
}

static void cbor_put_data(struct cbor_writer *w, u8 major, const void *data,
			  size_t len)
{
	cbor_put_head(w, major, len);
	if (!cbor_room(w, len))
		return;
	if (len)
		memcpy(w->buf + w->len, data, len);
	w->len += len;
}

void cbor_put_bstr(struct cbor_writer *w, const u8 *data, size_t len)
{
	cbor_put_data(w, CBOR_BSTR, data, len);
}

void cbor_put_tstr(struct cbor_writer *w, const char *str)
{
	cbor_put_data(w, CBOR_TSTR, str, strlen(str));
}

void cbor_put_array(struct cbor_writer *w, size_t items)
{
	cbor_put_head(w, CBOR_ARRAY, items);
}

void cbor_put_null(struct cbor_writer *w)
{
	cbor_put_head(w, CBOR_SIMPLE, CBOR_NULL);
}

void cbor_put_bool(struct cbor_writer *w, bool v)
{
	cbor_put_head(w, CBOR_SIMPLE, v ? CBOR_TRUE : CBOR_FALSE);
}

void cbor_put_map(struct cbor_writer *w, size_t pairs)
{
	cbor_put_head(w, CBOR_MAP, pairs);
}

void cbor_put_bstr_head(struct cbor_writer *w, size_t len)
{
	cbor_put_head(w, CBOR_BSTR, len);
}

int cbor_get(struct cbor_reader *r, struct cbor_item *it)
{
	unsigned int bytes, i;
	u8 ib, ai;

	if (r->pos >= r->len)
		return -CODEC_ECBOR;
	ib = r->buf[r->pos++];
	it->major = ib >> 5;
	ai = ib & 0x1f;
	it->data = NULL;
	if (ai < 24) {
		bytes = 0;
		it->arg = ai;
	} else if (ai <= 27) {
		bytes = 1u << (ai - 24);
		it->arg = 0;
	} else {
		return -CODEC_ECBOR;	/* reserved, or indefinite length */
	}
	if (r->len - r->pos < bytes)
		return -CODEC_ECBOR;
	for (i = 0; i < bytes; i++)
		it->arg = (it->arg << 8) | r->buf[r->pos++];
	if (it->major == CBOR_BSTR || it->major == CBOR_TSTR) {
		if (it->arg > r->len - r->pos)
			return -CODEC_ECBOR;
		it->data = r->buf + r->pos;
		r->pos += it->arg;
	}
	return 0;
}

int cbor_get_int(struct cbor_reader *r, s64 *v)
{
	struct cbor_item it;
	int err = cbor_get(r, &it);

	if (err)
		return err;
	if ((it.major != CBOR_UINT && it.major != CBOR_NINT) ||
	    it.arg >> 63)
		return -CODEC_ECBOR;
	*v = it.major == CBOR_UINT ? (s64)it.arg : -1 - (s64)it.arg;
	return 0;
}

int cbor_skip(struct cbor_reader *r, unsigned int depth)
{
	struct cbor_item it;
	u64 n, i;
	int err;

	err = cbor_get(r, &it);
	if (err)
		return err;
	switch (it.major) {
	case CBOR_ARRAY:
	case CBOR_MAP:
		if (!depth)
			return -CODEC_ECBOR;
		n = it.arg;
		/* Every item takes a byte at least: bounds the loop. */
		if (n > r->len - r->pos)
			return -CODEC_ECBOR;
		if (it.major == CBOR_MAP)
			n *= 2;
		for (i = 0; i < n; i++) {
			err = cbor_skip(r, depth - 1);
			if (err)
				return err;
		}
		return 0;
	case CBOR_TAG:
		if (!depth)
			return -CODEC_ECBOR;
		return cbor_skip(r, depth - 1);
	case CBOR_SIMPLE:
		/* simple values 0-23 only; floats (25-27) are not used here */
		return it.arg < 24 ? 0 : -CODEC_ECBOR;
	}
	return 0;
}

int cbor_len(const struct cbor_writer *w)
{
	return w->overflow ? -CODEC_ENOSPC : (int)w->len;
}
