// SPDX-License-Identifier: GPL-2.0
#include "cli.h"

int cmd_policy(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_err(EXIT_RUNTIME, "policy: not implemented yet");
}
