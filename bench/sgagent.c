// SPDX-License-Identifier: GPL-2.0
/*
 * sgagent: coapsecd's NFQUEUE worker for signed groups (agent/nfqueue.c,
 * agent/sgroup.c, the very objects coapsecd links) serving one queue with
 * keys given on the command line instead of a Group Manager's, for make
 * bench (bench/run.sh, BENCH_ONLY=sgroup).
 *
 *   sgagent sign QUEUE KEYFILE SUBJECT STATEFILE GID SECRET SALT SID MARK
 *   sgagent verify QUEUE KEYFILE SUBJECT STATEFILE GID SECRET SALT SID \
 *           PEER-SID PEER-CCS
 *
 * GID, SECRET, SALT, SID, PEER-SID and PEER-CCS in hex; the Signature
 * Algorithm is the key's (ES256 or EdDSA), the Group Encryption
 * Algorithm AES-CCM-16-64-128.  "sign": the group's out policy is
 * 224.0.1.187/32 port 5683 with fwmark MARK, as coapsecd's configuration
 * would have it; "verify": the sender PEER-SID's credential is PEER-CCS.
 *
 * Registers with coapsec for QUEUE and binds it (sgq_open(), as coapsecd
 * does at start), prints "ready" and serves the queue with sgq_input()
 * whenever its socket is readable, as coapsecd's epoll loop does
 * (agent_event(), EV_NFQUEUE): the per-packet work is coapsecd's.  What
 * coapsecd adds and this leaves out is the Group Manager's distribution
 * of the keys, once per epoch.  On SIGTERM or SIGINT it prints its
 * counters (coapsecd's "sgroup" and "nfqueue" stats objects) as one JSON
 * line and exits.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>

#include "agent/agent.h"
#include "agent/nfqueue.h"
#include "agent/sgroup.h"
#include "codec/oscore_cred.h"
#include "codec/oscore_group.h"
#include "tools/lib/util.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static size_t unhex(const char *what, const char *s, uint8_t *out,
		    size_t cap, size_t want)
{
	int n = hex_decode(s, out, cap);

	if (n <= 0 || (want && (size_t)n != want)) {
		fprintf(stderr, "sgagent: %s: expected hex (%zu bytes), not '%s'\n",
			what, want, s);
		exit(2);
	}
	return (size_t)n;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: sgagent sign QUEUE KEYFILE SUBJECT STATEFILE GID SECRET SALT SID MARK\n"
		"       sgagent verify QUEUE KEYFILE SUBJECT STATEFILE GID SECRET SALT SID PEER-SID PEER-CCS\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct cfg_policy pol = { 0 };
	struct oscore_cred_key key;
	const uint8_t *cred;
	size_t cred_len;
	struct sgroup_keys *k;
	struct pollfd pfd;
	struct agent *a;
	bool sign;
	char err[512];
	json_t *o;
	char *s;

	if (argc < 2)
		usage();
	sign = !strcmp(argv[1], "sign");
	if (!(sign && argc == 11) &&
	    !(!strcmp(argv[1], "verify") && argc == 12))
		usage();
	a = calloc(1, sizeof(*a));
	k = sgroup_keys_new(sign ? 0 : 1);
	if (!a || !k)
		return 1;
	a->sg = sgroups_open(argv[3], argv[5], argv[4], 64, 0, err,
			     sizeof(err));
	if (!a->sg) {
		fprintf(stderr, "sgagent: %s\n", err);
		return 1;
	}
	unhex("GID", argv[6], k->gid, GID_LEN, GID_LEN);
	k->secret_len = unhex("SECRET", argv[7], k->secret,
			      sizeof(k->secret), 0);
	unhex("SALT", argv[8], k->salt, SALT_LEN, SALT_LEN);
	k->sid_len = unhex("SID", argv[9], k->sid, sizeof(k->sid), 0);
	k->alg = 10;	/* AES-CCM-16-64-128 */
	/* The Signature Algorithm is the key's: its credential says which. */
	cred = sgroups_cred(a->sg, &cred_len);
	if (oscore_ccs_parse_key(cred, cred_len, &key))
		return 1;
	k->sig_alg = key.type == OSCORE_CRED_ED25519 ? OSCORE_SIG_EDDSA :
						       OSCORE_SIG_ES256;
	if (!sign) {
		k->n_creds = 1;
		k->creds[0].sid_len = (uint8_t)unhex("PEER-SID", argv[10],
						     k->creds[0].sid,
						     sizeof(k->creds[0].sid), 0);
		k->creds[0].ccs_len = (uint16_t)unhex("PEER-CCS", argv[11],
						      k->creds[0].ccs,
						      sizeof(k->creds[0].ccs), 0);
	}
	if (sgroups_install(a->sg, "g", 1, k, 0))
		return 1;
	sgroup_keys_free(k);

	/* The policy coapsecd installs as a queue policy for group:g. */
	snprintf(pol.context, sizeof(pol.context), "group:g");
	pol.family = AF_INET;
	pol.direction = COAPSEC_DIR_OUT;
	pol.action = COAPSEC_ACTION_PROTECT;
	pol.has_dst = true;
	memcpy(pol.dst, (uint8_t[]){ 224, 0, 1, 187 }, 4);
	pol.dst_plen = 32;
	pol.queued = true;
	pol.queue_num = (uint16_t)atoi(argv[2]);
	if (sign) {
		pol.has_mark = true;
		pol.mark = (uint32_t)strtoul(argv[10], NULL, 0);
		pol.mark_mask = 0xffffffff;
	}
	a->cfg.policies = &pol;
	a->cfg.n_policies = 1;

	a->nfq = sgq_open(a, (uint16_t)atoi(argv[2]), err, sizeof(err));
	if (!a->nfq) {
		fprintf(stderr, "sgagent: %s\n", err);
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	pfd.fd = sgq_fd(a->nfq);
	pfd.events = POLLIN;
	while (!stop) {
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("sgagent: poll");
			return 1;
		}
		sgq_input(a->nfq);
	}
	o = json_object();
	sgroups_stats(a->sg, o);
	sgq_stats(a->nfq, o);
	s = json_dumps(o, JSON_COMPACT);
	printf("%s\n", s);
	free(s);
	json_decref(o);
	sgq_close(a->nfq);
	sgroups_close(a->sg);
	free(a);
	return 0;
}
