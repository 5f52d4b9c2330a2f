// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/log.h"

int log_level = LOG_LVL_INFO;
static char prefix[64] = "coapsecd";

void log_set_prefix(const char *p)
{
	snprintf(prefix, sizeof(prefix), "%s", p);
}

void log_msg(int level, const char *fmt, ...)
{
	char line[1024], *text = line;
	va_list ap, again;
	int n;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	va_copy(again, ap);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0) {
		va_end(again);
		fprintf(stderr, "<%d>%s: (a log message that cannot be formatted: %s)\n",
			level, prefix, fmt);
		return;
	}
	/* Longer than the stack buffer: the whole of it, up to LOG_LINE_MAX. */
	if ((size_t)n >= sizeof(line)) {
		size_t cap = (size_t)n < LOG_LINE_MAX ? (size_t)n + 1 :
			     LOG_LINE_MAX + 1;
		char *big = malloc(cap);

		if (big) {
			vsnprintf(big, cap, fmt, again);
			text = big;
		}
	}
	va_end(again);
	if (text == line && (size_t)n >= sizeof(line))
		/* Out of memory: what fits, said to be cut. */
		fprintf(stderr, "<%d>%s: %s" LOG_CUT_MARK "%d bytes]\n", level,
			prefix, line, n);
	else if ((size_t)n > LOG_LINE_MAX)
		fprintf(stderr, "<%d>%s: %s" LOG_CUT_MARK "%d bytes]\n", level,
			prefix, text, n);
	else
		fprintf(stderr, "<%d>%s: %s\n", level, prefix, text);
	if (text != line)
		free(text);
}

const char *log_safe(const char *s)
{
	static char bufs[4][96];
	static unsigned int n;
	char *b = bufs[n++ % 4];
	size_t i;

	for (i = 0; s && s[i] && i < sizeof(bufs[0]) - 1; i++)
		b[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	b[i] = 0;
	return b;
}
