// SPDX-License-Identifier: GPL-2.0
/* coapsec flush: every policy, then every context, of the namespace. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cmd_flush(int argc, char **argv)
{
	bool forget = false;
	struct coapsec_nl *nl;
	int err;

	if (cli_wants_help(argc, argv)) {
		printf("Usage: coapsec flush [--forget-retired]\n\n"
		       "Deletes every policy, then every context, of this network\n"
		       "namespace.  --forget-retired also forgets what deleted keys\n"
		       "used (sequence numbers, replay windows), as a reboot would:\n"
		       "a key added again then reuses nonces and accepts replays\n"
		       "unless its key manager re-creates it from its seq-checkpoint\n"
		       "events with replay-unknown.  Only for a full memory\n"
		       "(context add fails with \"memory of retired keys is full\").\n");
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--forget-retired")) {
		forget = true;
		argc--;
		argv++;
	}
	if (argc > 1)
		return cli_err(EXIT_USAGE, "flush: unexpected '%s'", argv[1]);
	nl = cli_open();
	if (!nl)
		return EXIT_RUNTIME;
	err = coapsec_nl_flush_forget(nl, forget);
	if (err)
		err = cli_nl_err(nl, "flush", err);
	coapsec_nl_close(nl);
	return err;
}
