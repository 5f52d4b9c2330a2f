// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "tools/lib/util.h"

uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

void hex_encode(const uint8_t *b, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = 0;
}

static int nib(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_decode(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s);

	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = nib(s[2 * i]), lo = nib(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(n / 2);
}

unsigned int backoff_next(struct backoff *b)
{
	unsigned int wait = b->cur_ms ? b->cur_ms : b->first_ms;

	b->cur_ms = wait > b->max_ms / 2 ? b->max_ms : wait * 2;
	return wait;
}

void backoff_reset(struct backoff *b)
{
	b->cur_ms = 0;
}

int parse_prefix(const char *s, uint8_t *family, uint8_t addr[16],
		 uint8_t *plen)
{
	char host[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned int max, v;
	unsigned long l;
	char *end;

	if (n >= sizeof(host))
		return -1;
	memcpy(host, s, n);
	host[n] = 0;
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, host, addr) == 1) {
		*family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, addr) == 1) {
		*family = AF_INET6;
		max = 128;
	} else {
		return -1;
	}
	v = max;
	if (slash) {
		/* Decimal digits only: no sign, no space, no "0x". */
		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		errno = 0;
		l = strtoul(slash + 1, &end, 10);
		if (errno || *end || l > max)
			return -1;
		v = (unsigned int)l;
	}
	*plen = (uint8_t)v;
	for (unsigned int bit = v; bit < max; bit++)
		if (addr[bit / 8] & (0x80 >> (bit % 8)))
			return -2;
	return 0;
}
