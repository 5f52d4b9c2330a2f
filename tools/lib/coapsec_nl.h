/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * libcoapsec: the userspace client of the coapsec generic netlink family,
 * on libmnl.  Used by the CLI, the agent and the selftests alike.
 *
 * Every call returns 0 or a negative errno; on failure the handle's errmsg
 * holds the kernel's extack message when it sent one, else a local reason.
 */
#ifndef COAPSEC_NL_H
#define COAPSEC_NL_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

struct coapsec_nl;

struct coapsec_nl *coapsec_nl_open(void);
void coapsec_nl_close(struct coapsec_nl *nl);
/* The last error's message ("" if none). */
const char *coapsec_nl_errmsg(const struct coapsec_nl *nl);

#define COAPSEC_MAX_ALGS	8
#define COAPSEC_NAME_LEN	64

struct coapsec_alg_info {
	uint32_t id;
	char name[COAPSEC_NAME_LEN];
	char crypto_name[COAPSEC_NAME_LEN];
	char driver[COAPSEC_NAME_LEN * 2];
	uint32_t key_len, nonce_len, tag_len;
	bool available;
};

struct coapsec_features {
	char version[32];
	uint32_t api_version;
	unsigned int n_algs;
	struct coapsec_alg_info algs[COAPSEC_MAX_ALGS];
};

int coapsec_nl_features_get(struct coapsec_nl *nl, struct coapsec_features *f);

#endif /* COAPSEC_NL_H */
