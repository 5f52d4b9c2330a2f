/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Argument parsing for coapsec(8), kept free of netlink so that the host
 * unit tests can check it.  Every parser returns 0 or -EINVAL and never
 * prints; the caller says what was wrong.
 */
#ifndef COAPSEC_CLI_ARGS_H
#define COAPSEC_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* At least this many bytes of master secret (RFC 8613 C.1-C.3 use 16). */
#define MASTER_SECRET_MIN 16

/*
 * One word of a command line.  Aliases ("del", "delete") share @id;
 * @preferred marks the harmless one (show) that a prefix fitting several
 * words selects, as "ip x s" does.
 */
struct cli_word {
	const char *name;
	int id;
	bool preferred;
};
#define CLI_WORD(n, i)		{ .name = (n), .id = (i) }
#define CLI_WORD_PREFERRED(n, i) { .name = (n), .id = (i), .preferred = true }

/*
 * @word is a word of @words or a unique prefix of one.  Returns the id
 * (0 or more) it names: an exact name's; else that of the words it is a
 * prefix of, when they all share one id or exactly one id among them is
 * preferred.  -ENOENT: no word fits; -ENOTUNIQ: several do.
 */
int match_word(const char *word, const struct cli_word *words, size_t n);
/*
 * @key given once more: when @key is exactly a word of @keys (at most 64
 * ids), its id is marked in @seen; -EEXIST when it already was.  Keys not
 * in @keys (repeatable or unknown ones) return 0 and are the caller's.
 */
int note_once(const char *key, const struct cli_word *keys, size_t n,
	      uint64_t *seen);

/* Hex string (even length, "" allowed, optional "0x") into @buf. */
int parse_hex(const char *s, uint8_t *buf, size_t max, size_t *len);
/* Decimal or 0x hex, whole string, within [min, max]. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v);
int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *v);
/* "10", "AES-CCM-16-64-128", "ccm", "a128gcm", "chacha20-poly1305"... */
int parse_alg(const char *s, uint32_t *alg);
/* "out", "fwd", "in" -> COAPSEC_DIR_* */
int parse_dir(const char *s, uint8_t *dir);
/*
 * "192.0.2.0/24", "2001:db8::/32", or an address alone (full length).
 * @family is AF_INET or AF_INET6 on return; @addr holds 4 or 16 bytes.
 */
int parse_prefix(const char *s, uint8_t *family, uint8_t addr[16],
		 uint8_t *plen);
/* "MARK" or "MARK/MASK" */
int parse_mark(const char *s, uint32_t *mark, uint32_t *mask);

/*
 * Master secret (and salt, if the file has one) from @path ("-": stdin).
 * The file holds either one hex line (the secret) or lines "secret HEX"
 * and "salt HEX"; '#' starts a comment.  A file readable or writable by
 * anyone but its owner is refused (-EPERM), like ssh does with keys.
 * On error @why says what was wrong.
 */
struct master_secret {
	uint8_t secret[64];
	size_t secret_len;
	bool has_salt;
	uint8_t salt[32];
	size_t salt_len;
};

int read_master_secret(const char *path, struct master_secret *ms,
		       char *why, size_t why_len);
/* Wipes @len bytes so that the compiler cannot skip it. */
void wipe(void *p, size_t len);

#endif /* COAPSEC_CLI_ARGS_H */
