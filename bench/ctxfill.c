// SPDX-License-Identifier: GPL-2.0
/*
 * ctxfill N [FIRST]: installs N more pairwise contexts in the current
 * namespace, as an agent would for N members: AES-CCM-16-64-128, a 4-byte
 * ID context FIRST, FIRST+1, ... (so none collides with a benchmark's own
 * context), sender ID 00, recipient ID 01, distinct keys.  Prints the time
 * it took, as JSON.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "coapsec_nl.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct coapsec_context_info *c = calloc(1, sizeof(*c));
	unsigned long n, first, i;
	struct coapsec_nl *nl;
	double t0;
	int err = 0;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: ctxfill N [FIRST]\n");
		return 2;
	}
	n = strtoul(argv[1], NULL, 0);
	first = argc > 2 ? strtoul(argv[2], NULL, 0) : 0xb0000000;
	nl = coapsec_nl_open();
	if (!nl || !c) {
		fprintf(stderr, "ctxfill: %s\n", strerror(errno));
		return 1;
	}
	c->alg = 10;
	c->sender_id_len = 1;
	c->sender_key_len = 16;
	c->common_iv_len = 13;
	c->has_id_context = true;
	c->id_context_len = 4;
	c->n_recipients = 1;
	c->recipients[0].id_len = 1;
	c->recipients[0].id[0] = 1;
	c->recipients[0].key_len = 16;
	t0 = now();
	for (i = 0; i < n && !err; i++) {
		unsigned long v = first + i;

		c->id_context[0] = v >> 24;
		c->id_context[1] = v >> 16;
		c->id_context[2] = v >> 8;
		c->id_context[3] = v;
		memcpy(c->sender_key, c->id_context, 4);
		memcpy(c->recipients[0].key + 4, c->id_context, 4);
		err = coapsec_nl_context_new(nl, c, NULL);
	}
	if (err)
		fprintf(stderr, "ctxfill: context %lu: %s\n", i,
			coapsec_nl_errmsg(nl));
	printf("{\"added\": %lu, \"seconds\": %.3f}\n", err ? i - 1 : i,
	       now() - t0);
	coapsec_nl_close(nl);
	free(c);
	return err ? 1 : 0;
}
