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

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
#endif /* __KERNEL__ */

#endif /* COAPSEC_CODEC_COMPAT_H */
