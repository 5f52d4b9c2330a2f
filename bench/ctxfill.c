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

#include "ctxfill.h"

int main(int argc, char **argv)
{
	unsigned long n, first, added;
	struct coapsec_nl *nl;
	double t0;
	int err;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: ctxfill N [FIRST]\n");
		return 2;
	}
	n = strtoul(argv[1], NULL, 0);
	first = argc > 2 ? strtoul(argv[2], NULL, 0) : 0xb0000000;
	nl = coapsec_nl_open();
	if (!nl) {
		fprintf(stderr, "ctxfill: %s\n", strerror(errno));
		return 1;
	}
	t0 = ctxfill_now();
	err = ctxfill(nl, first, n, &added);
	if (err)
		fprintf(stderr, "ctxfill: context %lu: %s\n", added + 1,
			coapsec_nl_errmsg(nl));
	printf("{\"added\": %lu, \"seconds\": %.3f}\n", added,
	       ctxfill_now() - t0);
	coapsec_nl_close(nl);
	return err ? 1 : 0;
}
