// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
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
	char line[1024];
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "<%d>%s: %s\n", level, prefix, line);
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
