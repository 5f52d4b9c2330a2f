/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the agent and the CLI: the monotonic clock,
 * hex, retry backoff and address prefixes.  No I/O, no logging.
 */
#ifndef COAPSEC_UTIL_H
#define COAPSEC_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t now_ms(void);

/* Lowercase hex of @n bytes into @out (room for 2n+1). */
void hex_encode(const uint8_t *b, size_t n, char *out);
/* Even-length hex (either case) into @out of room @cap: the length, or -1. */
int hex_decode(const char *s, uint8_t *out, size_t cap);

/*
 * Retries that back off: the first wait is @first_ms, each further one
 * twice the last, at most @max_ms; a success starts over.
 */
struct backoff {
	unsigned int first_ms, max_ms, cur_ms;
};

/* The wait before the next attempt, after a failure. */
unsigned int backoff_next(struct backoff *b);
/* After a success: the next failure waits @first_ms again. */
void backoff_reset(struct backoff *b);

/*
 * "192.0.2.0/24", "2001:db8::/32", or an address alone (full length).
 * @family is AF_INET or AF_INET6 on return; @addr holds 4 or 16 bytes
 * (the rest zero).  0, -1: not an address or prefix length out of range,
 * -2: bits set after the prefix length ("192.0.2.1/24").
 */
int parse_prefix(const char *s, uint8_t *family, uint8_t addr[16],
		 uint8_t *plen);

#endif /* COAPSEC_UTIL_H */
