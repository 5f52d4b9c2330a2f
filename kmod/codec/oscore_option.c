// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "oscore_option.h"
#include "codec_err.h"

int oscore_option_decode(const u8 *val, size_t len, struct oscore_option *o)
{
	size_t pos = 1;
	u8 flags, n;

	memset(o, 0, sizeof(*o));
	if (len == 0)
		return 0;
	if (len > OSCORE_OPT_MAX_LEN)
		return -CODEC_EOSC_FORMAT;
	flags = val[0];
	n = flags & OSCORE_FLAG_N;
	if ((flags & OSCORE_FLAG_RESERVED) || n > OSCORE_PIV_MAX_LEN)
		return -CODEC_EOSC_RESERVED;
	/* All flags clear is sent as the empty value, never as 0x00. */
	if (!flags)
		return -CODEC_EOSC_FORMAT;
	if (len - pos < n)
		return -CODEC_ETRUNC;
	if (n > 1 && val[pos] == 0)
		return -CODEC_EOSC_PIV;
	memcpy(o->piv, val + pos, n);
	o->piv_len = n;
	o->group = flags & OSCORE_FLAG_GROUP;
	pos += n;
	if (flags & OSCORE_FLAG_H) {
		if (len - pos < 1)
			return -CODEC_ETRUNC;
		o->kid_context_len = val[pos++];
		if (len - pos < o->kid_context_len)
			return -CODEC_ETRUNC;
		o->has_kid_context = true;
		o->kid_context = val + pos;
		pos += o->kid_context_len;
	}
	if (flags & OSCORE_FLAG_K) {
		o->has_kid = true;
		o->kid = val + pos;
		o->kid_len = len - pos;
	} else if (pos != len) {
		return -CODEC_EOSC_FORMAT;
	}
	return 0;
}

int oscore_option_encode(const struct oscore_option *o, u8 *buf, size_t cap)
{
	size_t need = 0;
	u8 flags = 0;

	if (o->piv_len > OSCORE_PIV_MAX_LEN ||
	    (o->piv_len > 1 && o->piv[0] == 0))
		return -CODEC_EOSC_PIV;
	flags |= o->piv_len;
	need += o->piv_len;
	if (o->group)
		flags |= OSCORE_FLAG_GROUP;
	if (o->has_kid_context) {
		flags |= OSCORE_FLAG_H;
		need += 1 + o->kid_context_len;
	}
	if (o->has_kid) {
		flags |= OSCORE_FLAG_K;
		need += o->kid_len;
	}
	if (!flags)
		return 0;
	need += 1;
	if (need > OSCORE_OPT_MAX_LEN)
		return -CODEC_EOSC_FORMAT;
	if (need > cap)
		return -CODEC_ENOSPC;
	buf[0] = flags;
	memcpy(buf + 1, o->piv, o->piv_len);	/* an array: never NULL */
	need = 1 + o->piv_len;
	if (o->has_kid_context) {
		buf[need++] = o->kid_context_len;
		if (o->kid_context_len)
			memcpy(buf + need, o->kid_context, o->kid_context_len);
		need += o->kid_context_len;
	}
	if (o->has_kid && o->kid_len) {
		memcpy(buf + need, o->kid, o->kid_len);
		need += o->kid_len;
	}
	return need;
}

void oscore_piv_from_seq(u64 seq, u8 *piv, u8 *piv_len)
{
	unsigned int n = 1, i;

	while (n < OSCORE_PIV_MAX_LEN && (seq >> (8 * n)))
		n++;
	for (i = 0; i < n; i++)
		piv[i] = (seq >> (8 * (n - 1 - i))) & 0xff;
	*piv_len = n;
}

u64 oscore_piv_to_seq(const u8 *piv, u8 piv_len)
{
	u64 seq = 0;
	unsigned int i;

	for (i = 0; i < piv_len && i < OSCORE_PIV_MAX_LEN; i++)
		seq = (seq << 8) | piv[i];
	return seq;
}
