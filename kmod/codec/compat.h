/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The codec in this directory parses untrusted bytes and is compiled twice:
 * into coapsec.ko and into the userspace tests, fuzzers, CLI and agent.
 * This header is the only place that knows which of the two it is.
 */
#ifndef COAPSEC_CODEC_COMPAT_H
#define COAPSEC_CODEC_COMPAT_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/string.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>

/* The compiler's own names, so that this file reads as kernel C. */
typedef __UINT8_TYPE__ u8;
typedef __UINT16_TYPE__ u16;
typedef __UINT32_TYPE__ u32;
typedef __UINT64_TYPE__ u64;
typedef __INT32_TYPE__ s32;
typedef __INT64_TYPE__ s64;

#ifndef U32_MAX
#define U32_MAX ((u32)~0U)
#endif
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
/* The kernel's: no automatic zeroing of a buffer written before use. */
#ifndef __uninitialized
#define __uninitialized
#endif
#endif /* __KERNEL__ */

#endif /* COAPSEC_CODEC_COMPAT_H */
