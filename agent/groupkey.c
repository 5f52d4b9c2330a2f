// SPDX-License-Identifier: GPL-2.0
/* coapsecd --genkey / --credential (see groupkey.h). */
#include <stdio.h>

#include "agent/groupkey.h"
#include "codec/codec_err.h"
#include "oscore_group_sw.h"

int groupkey_main(const char *genkey, const char *credential,
		  const char *subject, const char *alg)
{
	u8 ccs[OSCORE_GROUP_CRED_MAX_LEN];
	struct oscore_group_key key;
	int n, i, sig_alg;
	char err[512];

	if (!strcmp(alg, "ES256")) {
		sig_alg = OSCORE_SIG_ES256;
	} else if (!strcmp(alg, "EdDSA")) {
		sig_alg = OSCORE_SIG_EDDSA;
	} else {
		fprintf(stderr,
			"coapsecd: --alg: expected ES256 or EdDSA, got \"%s\"\n",
			alg);
		return 2;
	}
	if (genkey) {
		if (oscore_group_key_generate_alg(&key, sig_alg)) {
			fprintf(stderr, "coapsecd: %s: key generation failed\n",
				genkey);
			return 1;
		}
		if (oscore_group_key_save(&key, genkey, err, sizeof(err))) {
			oscore_group_key_free(&key);
			fprintf(stderr, "coapsecd: %s\n", err);
			return 1;
		}
	} else if (oscore_group_key_load(&key, credential, err, sizeof(err))) {
		fprintf(stderr, "coapsecd: %s\n", err);
		return 1;
	}
	n = oscore_group_key_ccs(&key, subject, ccs, sizeof(ccs));
	oscore_group_key_free(&key);
	if (n < 0) {
		fprintf(stderr,
			"coapsecd: --subject: expected at most %d bytes, got %zu\n",
			OSCORE_CCS_SUBJECT_MAX, strlen(subject));
		return 2;
	}
	for (i = 0; i < n; i++)
		printf("%02x", ccs[i]);
	printf("\n");
	return 0;
}
