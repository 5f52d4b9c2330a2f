/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Filling a namespace with pairwise contexts, as an agent would for N
 * members: the fixture bench/ctxfill and selftests/control_scale share.
 */
#ifndef COAPSEC_SELFTESTS_CTXFILL_H
#define COAPSEC_SELFTESTS_CTXFILL_H

#include "coapsec_nl.h"

/* CLOCK_MONOTONIC in seconds. */
double ctxfill_now(void);

/*
 * Adds @n contexts: AES-CCM-16-64-128, a 4-byte ID context @first,
 * @first + 1, ... (big-endian), sender ID 00, recipient ID 01, keys that
 * differ by ID context.  Stops at the first error.  Returns 0 or the
 * error of the context that failed (coapsec_nl_errmsg() says why);
 * *@added is how many were added either way.
 */
int ctxfill(struct coapsec_nl *nl, unsigned long first, unsigned long n,
	    unsigned long *added);

#endif
