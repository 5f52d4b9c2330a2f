// SPDX-License-Identifier: GPL-2.0
/*
 * Makes Group OSCORE group mode messages for selftests/agent_sgroup.sh,
 * with coapsecd's own code (agent/sgroup.h): what a member that holds a
 * signed group's keying material (read from the server's registry by the
 * test) can produce with a key pair, and claiming any sender ID.
 *
 *   sgroup_tool KEYFILE SUBJECT GID SECRET SALT ALG SIGALG KID SEQ N [corrupt]
 *
 * SUBJECT: the subject of the credential the key's holder registered
 * (it is in the AAD: another one makes another message).
 * GID, SECRET, SALT, KID in hex; ALG the Group Encryption Algorithm,
 * SIGALG -7 or -8.  Prints N messages (NON POST /cmd "forged command K"),
 * one hex line each, under Partial IVs SEQ, SEQ+1, ...; with "corrupt",
 * message K has one bit of byte K of its encrypted countersignature
 * flipped (N at most the signature's length).  The environment's
 * SGROUP_TOOL_PATH and SGROUP_TOOL_TEXT, if set, replace the Uri-Path
 * "cmd" (up to 12 bytes) and the payload (make demo forges "unlock").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/sgroup.h"
#include "codec/oscore_group.h"
#include "tools/lib/util.h"

static int unhex(const char *s, uint8_t *out, size_t cap)
{
	int n = hex_decode(s, out, cap);

	if (n <= 0) {
		fprintf(stderr, "sgroup_tool: expected hex, not '%s'\n", s);
		exit(2);
	}
	return n;
}

int main(int argc, char **argv)
{
	char state[] = "/tmp/sgroup-tool-XXXXXX", err[512];
	uint8_t msg[128], out[512];
	char hex[1025];
	struct sgroup_keys *k;
	struct sgroups *s;
	unsigned long long seq;
	const char *subject, *path = getenv("SGROUP_TOOL_PATH");
	const char *text = getenv("SGROUP_TOOL_TEXT");
	bool corrupt, limit;
	int fd, n, len, hl;
	unsigned int i;

	if (argc < 11 || argc > 12) {
		fprintf(stderr, "usage: sgroup_tool KEYFILE SUBJECT GID SECRET SALT ALG SIGALG KID SEQ N [corrupt]\n");
		return 2;
	}
	corrupt = argc == 12 && !strcmp(argv[11], "corrupt");
	subject = argv[2];
	argv++;
	if (!path)
		path = "cmd";
	if (strlen(path) > 12) {
		fprintf(stderr, "sgroup_tool: SGROUP_TOOL_PATH: at most 12 bytes\n");
		return 2;
	}
	fd = mkstemp(state);
	if (fd < 0)
		return 1;
	close(fd);
	unlink(state);		/* a fresh state: no floor yet */
	k = sgroup_keys_new(0);
	if (!k)
		return 1;
	unhex(argv[2], k->gid, GID_LEN);
	k->secret_len = (size_t)unhex(argv[3], k->secret, sizeof(k->secret));
	unhex(argv[4], k->salt, SALT_LEN);
	k->alg = atoi(argv[5]);
	k->sig_alg = atoi(argv[6]);
	k->sid_len = (size_t)unhex(argv[7], k->sid, sizeof(k->sid));
	seq = strtoull(argv[8], NULL, 10);
	n = atoi(argv[9]);
	s = sgroups_open(argv[0], state, subject, 64, 0, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "sgroup_tool: %s\n", err);
		return 1;
	}
	if (sgroups_install(s, "g", 1, k, 0) || sgroups_skip(s, "g", seq))
		return 1;
	for (i = 0; i < (unsigned int)n; i++) {
		int mlen;

		memcpy(msg, (uint8_t[]){ 0x51, 0x02, 0x66, (uint8_t)i, 0x42 }, 5);
		msg[5] = (uint8_t)(0xb0 | strlen(path));
		memcpy(msg + 6, path, strlen(path));
		hl = 6 + (int)strlen(path);
		msg[hl++] = 0xff;
		if (text)
			mlen = snprintf((char *)msg + hl, sizeof(msg) - (size_t)hl,
					"%s", text);
		else
			mlen = snprintf((char *)msg + hl, sizeof(msg) - (size_t)hl,
					"forged command %u", i);
		if (mlen < 0 || (size_t)mlen >= sizeof(msg) - (size_t)hl) {
			fprintf(stderr, "sgroup_tool: SGROUP_TOOL_TEXT: too long\n");
			return 2;
		}
		len = sgroups_protect(s, "g", msg, (size_t)(hl + mlen), out,
				      sizeof(out), &limit);
		if (len < 0) {
			fprintf(stderr, "sgroup_tool: protect: %s\n",
				sgroup_verdict_name(-len));
			return 1;
		}
		if (corrupt && i < OSCORE_GROUP_SIG_MAX_LEN)
			out[len - OSCORE_GROUP_SIG_MAX_LEN + i] ^= 1u << (i % 8);
		hex_encode(out, (size_t)len, hex);
		printf("%s\n", hex);
	}
	sgroups_close(s);
	sgroup_keys_free(k);
	unlink(state);
	return 0;
}
