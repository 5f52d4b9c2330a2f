// SPDX-License-Identifier: GPL-2.0
#include "cli.h"

int cmd_flush(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_err(EXIT_RUNTIME, "flush: not implemented yet");
}
