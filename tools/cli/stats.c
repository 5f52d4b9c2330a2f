// SPDX-License-Identifier: GPL-2.0
/* coapsec stats [context ID] | coapsec stats reset [context ID] */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: coapsec [-j] stats [context ID]\n"
		"       coapsec stats reset [context ID]\n\n"
		"The namespace's message counters (with the number of contexts\n"
		"and policies, and its memory of retired keys: retired_keys\n"
		"remembered, retired_reserved held by live contexts, and\n"
		"retired_keys_max, the bound on both together), or one\n"
		"context's.  reset zeroes the counters (all contexts' too when\n"
		"no context is named).\n");
}

int cmd_stats(int argc, char **argv)
{
	struct coapsec_stats_info s;
	struct coapsec_nl *nl;
	bool reset = false;
	uint32_t id = 0;
	int i = 1, err;
	unsigned int k;

	if (cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	if (i < argc && !strcmp(argv[i], "reset")) {
		reset = true;
		i++;
	}
	if (i < argc && (!strcmp(argv[i], "context") || !strcmp(argv[i], "ctx"))) {
		if (i + 1 >= argc)
			return cli_err(EXIT_USAGE,
				       "stats: 'context' needs a context ID");
		if (parse_u32(argv[i + 1], 1, UINT32_MAX, &id))
			return cli_err(EXIT_USAGE,
				       "stats: invalid context ID '%s' (1..%u)",
				       argv[i + 1], UINT32_MAX);
		i += 2;
	}
	if (i < argc) {
		usage(stderr);
		return cli_err(EXIT_USAGE, "stats: unexpected '%s'", argv[i]);
	}
	nl = cli_open();
	if (!nl)
		return EXIT_RUNTIME;
	if (reset) {
		err = coapsec_nl_stats_reset(nl, id);
		if (err)
			err = cli_nl_err(nl, "stats reset", err);
		coapsec_nl_close(nl);
		return err;
	}
	err = coapsec_nl_stats_get(nl, id, &s);
	if (err) {
		err = cli_nl_err(nl, "stats", err);
		coapsec_nl_close(nl);
		return err;
	}
	coapsec_nl_close(nl);
	if (cli.json) {
		json_t *o = json_object();

		if (id)
			json_object_set_new(o, "context_id", json_integer(id));
		for (k = 0; k < COAPSEC_NL_NUM_COUNTERS; k++)
			json_object_set_new(o, coapsec_nl_counter_names[k],
					    json_integer(s.counters[k]));
		if (!id) {
			json_object_set_new(o, "contexts",
					    json_integer(s.contexts));
			json_object_set_new(o, "policies",
					    json_integer(s.policies));
		}
		if (s.has_hooks)
			json_object_set_new(o, "hooks",
					    json_boolean(s.hooks));
		if (s.has_all) {
			json_object_set_new(o, "contexts_all_netns",
					    json_integer(s.contexts_all));
			json_object_set_new(o, "policies_all_netns",
					    json_integer(s.policies_all));
		}
		if (s.has_retired) {
			json_object_set_new(o, "retired_keys",
					    json_integer(s.retired_keys));
			json_object_set_new(o, "retired_reserved",
					    json_integer(s.retired_reserved));
			json_object_set_new(o, "retired_keys_max",
					    json_integer(s.retired_keys_max));
		}
		cli_json_print(o);
		return 0;
	}
	if (id)
		printf("context %u\n", id);
	else if (s.has_all)
		printf("contexts %u policies %u (all namespaces: contexts %u policies %u)\n",
		       s.contexts, s.policies, s.contexts_all, s.policies_all);
	else
		printf("contexts %u policies %u\n", s.contexts, s.policies);
	for (k = 0; k < COAPSEC_NL_NUM_COUNTERS; k++)
		printf("%s %llu\n", coapsec_nl_counter_names[k],
		       (unsigned long long)s.counters[k]);
	if (s.has_retired)
		printf("retired_keys %u\nretired_reserved %u\nretired_keys_max %u\n",
		       s.retired_keys, s.retired_reserved, s.retired_keys_max);
	return 0;
}
