// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "uapi/linux/coapsec.h"
#include "args.h"

void wipe(void *p, size_t len)
{
	volatile uint8_t *b = p;

	while (len--)
		*b++ = 0;
}

int match_word(const char *word, const struct cli_word *words, size_t n)
{
	size_t len = strlen(word), i;
	int found = -1, preferred = -1;
	bool several = false, several_preferred = false;

	if (!len)
		return -ENOENT;
	for (i = 0; i < n; i++)
		if (!strcmp(word, words[i].name))
			return words[i].id;
	for (i = 0; i < n; i++) {
		if (strncmp(word, words[i].name, len))
			continue;
		if (found < 0)
			found = i;
		else if (words[found].id != words[i].id)
			several = true;
		if (!words[i].preferred)
			continue;
		if (preferred < 0)
			preferred = i;
		else if (words[preferred].id != words[i].id)
			several_preferred = true;
	}
	if (found < 0)
		return -ENOENT;
	if (!several)
		return words[found].id;
	if (preferred < 0 || several_preferred)
		return -ENOTUNIQ;
	return words[preferred].id;
}

int note_once(const char *key, const struct cli_word *keys, size_t n,
	      uint64_t *seen)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(key, keys[i].name))
			continue;
		if (*seen & 1ULL << keys[i].id)
			return -EEXIST;
		*seen |= 1ULL << keys[i].id;
		return 0;
	}
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int parse_hex(const char *s, uint8_t *buf, size_t max, size_t *len)
{
	size_t n, i;

	if (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2))
		s += 2;
	n = strlen(s);
	if (n % 2 || n / 2 > max)
		return -EINVAL;
	for (i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		buf[i] = hi << 4 | lo;
	}
	*len = n / 2;
	return 0;
}

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	unsigned long long x;
	char *end;

	if (!*s || *s == '-' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || *end || x < min || x > max)
		return -EINVAL;
	*v = x;
	return 0;
}

int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *v)
{
	uint64_t x;

	if (parse_u64(s, min, max, &x))
		return -EINVAL;
	*v = x;
	return 0;
}

int parse_alg(const char *s, uint32_t *alg)
{
	static const struct {
		const char *name;
		uint32_t id;
	} names[] = {
		{ "AES-CCM-16-64-128", 10 }, { "ccm", 10 },
		{ "A128GCM", 1 }, { "A256GCM", 3 },
		{ "ChaCha20/Poly1305", 24 }, { "chacha20-poly1305", 24 },
	};
	uint32_t id;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcasecmp(s, names[i].name)) {
			*alg = names[i].id;
			return 0;
		}
	}
	if (parse_u32(s, 0, UINT32_MAX, &id))
		return -EINVAL;
	if (id != 10 && id != 1 && id != 3 && id != 24)
		return -EINVAL;
	*alg = id;
	return 0;
}

int parse_dir(const char *s, uint8_t *dir)
{
	if (!strcmp(s, "out"))
		*dir = COAPSEC_DIR_OUT;
	else if (!strcmp(s, "fwd"))
		*dir = COAPSEC_DIR_FWD;
	else if (!strcmp(s, "in"))
		*dir = COAPSEC_DIR_IN;
	else
		return -EINVAL;
	return 0;
}

int parse_prefix(const char *s, uint8_t *family, uint8_t addr[16],
		 uint8_t *plen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;
	uint32_t len;
	unsigned int max;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1) {
		*family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, addr) == 1) {
		*family = AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	len = max;
	if (slash && parse_u32(slash, 0, max, &len))
		return -EINVAL;
	*plen = len;
	return 0;
}

int parse_mark(const char *s, uint32_t *mark, uint32_t *mask)
{
	char buf[64];
	char *slash;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (parse_u32(buf, 0, UINT32_MAX, mark))
		return -EINVAL;
	*mask = UINT32_MAX;
	if (slash && parse_u32(slash, 0, UINT32_MAX, mask))
		return -EINVAL;
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int read_master_secret(const char *path, struct master_secret *ms,
		       char *why, size_t why_len)
{
	char text[1024];
	char *line, *save = NULL;
	struct stat st;
	size_t n = 0;
	ssize_t r;
	int fd, err = 0;

	memset(ms, 0, sizeof(*ms));
	if (!strcmp(path, "-")) {
		fd = STDIN_FILENO;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			snprintf(why, why_len, "%s: %s", path, strerror(errno));
			return -errno;
		}
		if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
			snprintf(why, why_len, "%s: not a regular file", path);
			close(fd);
			return -EINVAL;
		}
		if (st.st_mode & 077) {
			snprintf(why, why_len,
				 "%s: mode %04o, must be 0600 (no access for group or others)",
				 path, (unsigned int)(st.st_mode & 07777));
			close(fd);
			return -EPERM;
		}
	}
	while (n < sizeof(text) - 1 &&
	       (r = read(fd, text + n, sizeof(text) - 1 - n)) > 0)
		n += r;
	if (fd != STDIN_FILENO)
		close(fd);
	text[n] = '\0';

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *hash = strchr(line, '#'), *l, *val;

		if (hash)
			*hash = '\0';
		l = trim(line);
		if (!*l)
			continue;
		if (!strncmp(l, "secret", 6) && isspace((unsigned char)l[6])) {
			val = trim(l + 6);
			err = parse_hex(val, ms->secret, sizeof(ms->secret),
					&ms->secret_len);
		} else if (!strncmp(l, "salt", 4) &&
			   isspace((unsigned char)l[4])) {
			val = trim(l + 4);
			err = parse_hex(val, ms->salt, sizeof(ms->salt),
					&ms->salt_len);
			ms->has_salt = !err;
		} else if (!ms->secret_len) {
			err = parse_hex(l, ms->secret, sizeof(ms->secret),
					&ms->secret_len);
		} else {
			err = -EINVAL;
		}
		if (err) {
			snprintf(why, why_len,
				 "%s: expected a hex line, or lines 'secret HEX' and 'salt HEX'",
				 path);
			break;
		}
	}
	wipe(text, sizeof(text));
	if (!err && !ms->secret_len) {
		snprintf(why, why_len, "%s: no master secret", path);
		err = -EINVAL;
	}
	if (err)
		wipe(ms, sizeof(*ms));
	return err;
}
