/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COAPSEC_SELFTEST_H
#define COAPSEC_SELFTEST_H

/*
 * Checks of the lookups and the key lifecycle, and the cost of a lookup
 * by (ID context, kid) among @n_contexts contexts; 0 or -EINVAL.
 */
int coapsec_selftest(unsigned int n_contexts);

#endif /* COAPSEC_SELFTEST_H */
