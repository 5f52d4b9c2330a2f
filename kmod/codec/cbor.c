// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "cbor.h"
#include "codec_err.h"

enum cbor_major {
	CBOR_UINT = 0,
	CBOR_NINT = 1,
	CBOR_BSTR = 2,
	CBOR_TSTR = 3,
	CBOR_ARRAY = 4,
	CBOR_SIMPLE = 7,
};

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

int cbor_len(const struct cbor_writer *w)
{
	return w->overflow ? -CODEC_ENOSPC : (int)w->len;
}
