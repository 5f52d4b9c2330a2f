/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Logging to stderr (journald adds time and unit), one line per event,
 * with sd-daemon style "<N>" priority prefixes.  Never given key material.
 *
 * A message is written whole up to LOG_LINE_MAX bytes (the statistics'
 * JSON is one message); a longer one is cut there and ends in
 * LOG_CUT_MARK with its full length ("... [cut: message of 60000 bytes]"),
 * never cut silently.  journald's default LineMax (48K) keeps such a
 * line one record.
 */
#ifndef COAPSECD_LOG_H
#define COAPSECD_LOG_H

enum { LOG_LVL_ERR = 3, LOG_LVL_WARN = 4, LOG_LVL_INFO = 6, LOG_LVL_DEBUG = 7 };

/* Longest message written whole (bytes, without prefix and newline). */
#define LOG_LINE_MAX	(48 * 1024 - 128)
#define LOG_CUT_MARK	" [cut: message of "

extern int log_level;

void log_set_prefix(const char *prefix);
void log_msg(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)	log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)	do { if (log_level >= LOG_LVL_DEBUG) \
				log_msg(LOG_LVL_DEBUG, __VA_ARGS__); } while (0)

/* An untrusted string made printable (rotating static buffers). */
const char *log_safe(const char *s);

#endif /* COAPSECD_LOG_H */
