/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A minimal CBOR (RFC 8949) encoder for the few fixed structures OSCORE
 * needs: the external_aad and Enc_structure arrays (RFC 8613 §5.4) and
 * the HKDF info array (§3.2.1).  Definite lengths only.  Overflow is
 * sticky: write everything, then check cbor_len() once.
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

/* The encoded length, or -CODEC_ENOSPC if anything did not fit. */
int cbor_len(const struct cbor_writer *w);

#endif /* COAPSEC_CODEC_CBOR_H */
