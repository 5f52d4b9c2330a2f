// SPDX-License-Identifier: GPL-2.0
/*
 * ctxchurn FIRST N BATCH: adds N contexts with distinct keys (ctxfill.h,
 * ID contexts FIRST, FIRST + 1, ...) BATCH at a time, flushing the
 * namespace (contexts and policies) after each batch: N sender keys
 * retired in the namespace.  Exits 0 when all were added and flushed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctxfill.h"

int main(int argc, char **argv)
{
	unsigned long first, n, batch, done = 0, added;
	struct coapsec_nl *nl;
	double t0;
	int err = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: ctxchurn FIRST N BATCH\n");
		return 2;
	}
	first = strtoul(argv[1], NULL, 0);
	n = strtoul(argv[2], NULL, 0);
	batch = strtoul(argv[3], NULL, 0);
	if (!batch)
		return 2;
	nl = coapsec_nl_open();
	if (!nl) {
		fprintf(stderr, "open: %s\n", strerror(errno));
		return 1;
	}
	t0 = ctxfill_now();
	while (done < n && !err) {
		unsigned long b = n - done < batch ? n - done : batch;

		err = ctxfill(nl, first + done, b, &added);
		done += added;
		if (err)
			fprintf(stderr, "context %lu: %s\n", done + 1,
				coapsec_nl_errmsg(nl));
		if (coapsec_nl_flush(nl)) {
			fprintf(stderr, "flush: %s\n", coapsec_nl_errmsg(nl));
			err = -1;
		}
	}
	printf("# ctxchurn: %lu contexts added and flushed in %.1f s\n", done,
	       ctxfill_now() - t0);
	coapsec_nl_close(nl);
	return err ? 1 : 0;
}
