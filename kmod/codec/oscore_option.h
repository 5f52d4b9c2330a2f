/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The OSCORE option value (RFC 8613 §6.1):
 *
 *   0 1 2 3 4 5 6 7
 *  +-+-+-+-+-+-+-+-+  +-------------+  +-----+-------------+  +------+
 *  |0 0|g|h|k|  n  |  | Partial IV  |  |  s  | kid context |  | kid  |
 *  +-+-+-+-+-+-+-+-+  +-------------+  +-----+-------------+  +------+
 *
 * g is the Group Flag of Group OSCORE (draft-ietf-core-oscore-groupcomm-28
 * §4.1, OSCORE Flag Bits position 2): set on messages protected in group
 * mode, which carry a countersignature.  The decoder reports it; only the
 * group mode code (oscore_group.h) accepts such a message.
 *
 * An all-zero flag byte is sent as an empty value.  Decoding points into
 * the option value; nothing is copied but the Partial IV.
 */
#ifndef COAPSEC_CODEC_OSCORE_OPTION_H
#define COAPSEC_CODEC_OSCORE_OPTION_H

#include "compat.h"

#define OSCORE_PIV_MAX_LEN	5
#define OSCORE_SEQ_MAX		((1ULL << 40) - 1)
#define OSCORE_OPT_MAX_LEN	255

#define OSCORE_FLAG_RESERVED	0xc0
#define OSCORE_FLAG_GROUP	0x20	/* Group Flag: group mode */
#define OSCORE_FLAG_H		0x10	/* kid context present */
#define OSCORE_FLAG_K		0x08	/* kid present */
#define OSCORE_FLAG_N		0x07	/* Partial IV length */

struct oscore_option {
	u8 piv_len;			/* 0: no Partial IV */
	u8 piv[OSCORE_PIV_MAX_LEN];
	bool group;			/* Group Flag */
	bool has_kid;
	bool has_kid_context;
	u8 kid_len;
	u8 kid_context_len;
	const u8 *kid;
	const u8 *kid_context;
};

/* 0 or -CODEC_EOSC_* (or -CODEC_ETRUNC when the value ends early). */
int oscore_option_decode(const u8 *val, size_t len, struct oscore_option *o);

/* The value's length, or -CODEC_ENOSPC / -CODEC_EOSC_FORMAT. */
int oscore_option_encode(const struct oscore_option *o, u8 *buf, size_t cap);

/* Sets the Partial IV to @seq in its minimal encoding (0 is one zero byte). */
void oscore_piv_from_seq(u64 seq, u8 *piv, u8 *piv_len);

/* The sequence number a Partial IV encodes. */
u64 oscore_piv_to_seq(const u8 *piv, u8 piv_len);

#endif /* COAPSEC_CODEC_OSCORE_OPTION_H */
