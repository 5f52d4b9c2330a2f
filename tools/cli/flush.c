// SPDX-License-Identifier: GPL-2.0
/* coapsec flush: every policy, then every context, of the namespace. */
#include <stdio.h>

#include "cli.h"

int cmd_flush(int argc, char **argv)
{
	struct coapsec_nl *nl;
	int err;

	if (cli_wants_help(argc, argv)) {
		printf("Usage: coapsec flush\n\n"
		       "Deletes every policy, then every context, of this network\n"
		       "namespace.\n");
		return 0;
	}
	if (argc > 1)
		return cli_err(EXIT_USAGE, "flush: unexpected '%s'", argv[1]);
	nl = cli_open();
	if (!nl)
		return EXIT_RUNTIME;
	err = coapsec_nl_flush(nl);
	if (err)
		err = cli_nl_err(nl, "flush", err);
	coapsec_nl_close(nl);
	return err;
}
