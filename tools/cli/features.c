// SPDX-License-Identifier: GPL-2.0
/* coapsec features: the module version and the AEADs this kernel can run. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: coapsec [-j] features\n\n"
		"Shows the module version, the netlink API version, the\n"
		"namespace's instance ID and, for each OSCORE AEAD algorithm,\n"
		"its sizes and whether (and by which driver) this kernel's\n"
		"crypto API can run it.  The instance ID (16 hex digits) is\n"
		"drawn anew at every module load and in every new namespace:\n"
		"another one than before means the kernel's replay windows and\n"
		"sequence numbers are gone.\n");
}

static json_t *features_json(const struct coapsec_features *f)
{
	json_t *algs = json_array();
	char id[17];
	unsigned int i;

	for (i = 0; i < f->n_algs; i++) {
		const struct coapsec_alg_info *a = &f->algs[i];
		json_t *o = json_pack("{s:I, s:s, s:s, s:I, s:I, s:I, s:b}",
				      "id", (json_int_t)a->id, "name", a->name,
				      "crypto_name", a->crypto_name,
				      "key_len", (json_int_t)a->key_len,
				      "nonce_len", (json_int_t)a->nonce_len,
				      "tag_len", (json_int_t)a->tag_len,
				      "available", a->available);

		if (a->available)
			json_object_set_new(o, "driver", json_string(a->driver));
		json_array_append_new(algs, o);
	}
	snprintf(id, sizeof(id), "%016llx", (unsigned long long)f->instance_id);
	return json_pack("{s:s, s:I, s:s, s:o}", "version", f->version,
			 "api_version", (json_int_t)f->api_version,
			 "instance_id", id, "algs", algs);
}

int cmd_features(int argc, char **argv)
{
	struct coapsec_features f;
	struct coapsec_nl *nl;
	unsigned int i;
	int err;

	if (cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	if (argc > 1) {
		usage(stderr);
		return cli_err(EXIT_USAGE, "features: unexpected argument '%s'",
			       argv[1]);
	}
	nl = cli_open();
	if (!nl)
		return EXIT_RUNTIME;
	err = coapsec_nl_features_get(nl, &f);
	if (err) {
		err = cli_nl_err(nl, "features", err);
		coapsec_nl_close(nl);
		return err;
	}
	coapsec_nl_close(nl);

	if (cli.json) {
		cli_json_print(features_json(&f));
		return 0;
	}
	printf("version %s api %u instance-id %016llx\n", f.version,
	       f.api_version, (unsigned long long)f.instance_id);
	for (i = 0; i < f.n_algs; i++) {
		const struct coapsec_alg_info *a = &f.algs[i];

		printf("alg %u %s crypto %s key %u nonce %u tag %u %s%s\n",
		       a->id, a->name, a->crypto_name, a->key_len,
		       a->nonce_len, a->tag_len,
		       a->available ? "driver " : "unavailable",
		       a->available ? a->driver : "");
	}
	return 0;
}
