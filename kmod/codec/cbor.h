/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A minimal CBOR (RFC 8949) encoder for the few fixed structures OSCORE
 * needs: the external_aad and Enc_structure arrays (RFC 8613 §5.4) and
 * the HKDF info array (§3.2.1), and Group OSCORE's Countersign_structure,
 * keystream info and CWT Claims Set credentials.  Definite lengths only.
 * Overflow is sticky: write everything, then check cbor_len() once.
 *
 * The reader below takes apart those credentials, which arrive from the
 * network: definite lengths only, nesting bounded, every length checked.
 */
#ifndef COAPSEC_CODEC_CBOR_H
#define COAPSEC_CODEC_CBOR_H

#include "compat.h"

struct cbor_writer {
	u8 *buf;
	size_t cap;
	size_t len;
	bool overflow;
};

static inline void cbor_init(struct cbor_writer *w, u8 *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->overflow = false;
}

void cbor_put_uint(struct cbor_writer *w, u64 v);
void cbor_put_int(struct cbor_writer *w, s64 v);
void cbor_put_bstr(struct cbor_writer *w, const u8 *data, size_t len);
void cbor_put_tstr(struct cbor_writer *w, const char *str);
void cbor_put_array(struct cbor_writer *w, size_t items);
void cbor_put_null(struct cbor_writer *w);
void cbor_put_bool(struct cbor_writer *w, bool v);
void cbor_put_map(struct cbor_writer *w, size_t pairs);
/* A byte string's head alone: its @len bytes follow elsewhere. */
void cbor_put_bstr_head(struct cbor_writer *w, size_t len);

enum cbor_major {
	CBOR_UINT = 0,
	CBOR_NINT = 1,
	CBOR_BSTR = 2,
	CBOR_TSTR = 3,
	CBOR_ARRAY = 4,
	CBOR_MAP = 5,
	CBOR_TAG = 6,
	CBOR_SIMPLE = 7,
};

struct cbor_reader {
	const u8 *buf;
	size_t len;
	size_t pos;
};

/* One item's head: its major type, and its argument (length, value). */
struct cbor_item {
	u8 major;
	u64 arg;
	const u8 *data;		/* byte and text strings: their bytes */
};

static inline void cbor_reader_init(struct cbor_reader *r, const u8 *buf,
				    size_t len)
{
	r->buf = buf;
	r->len = len;
	r->pos = 0;
}

/*
 * Reads the next item's head (and, for strings, steps over the bytes).
 * 0, or -CODEC_ECBOR for indefinite lengths, reserved values or an item
 * that runs past the end.
 */
int cbor_get(struct cbor_reader *r, struct cbor_item *it);

/* Reads an integer (major 0 or 1) into @v: 0 or -CODEC_ECBOR. */
int cbor_get_int(struct cbor_reader *r, s64 *v);

/* Steps over one whole item, at most @depth levels deep. */
int cbor_skip(struct cbor_reader *r, unsigned int depth);

/* The encoded length, or -CODEC_ENOSPC if anything did not fit. */
int cbor_len(const struct cbor_writer *w);

#endif /* COAPSEC_CODEC_CBOR_H */
