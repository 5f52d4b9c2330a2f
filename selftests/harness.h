/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's own kselftest_harness.h, with a per-test timeout that fits
 * emulated debug kernels (make check-debug): the harness's 30 s does not.
 */
#ifndef COAPSEC_SELFTEST_HARNESS_H
#define COAPSEC_SELFTEST_HARNESS_H

#include "kselftest_harness.h"

#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300

#endif /* COAPSEC_SELFTEST_HARNESS_H */
