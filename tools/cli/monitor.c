// SPDX-License-Identifier: GPL-2.0
/* coapsec monitor: events from the "events" multicast group, one a line. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: coapsec [-j] monitor [count N] [timeout SEC]\n\n"
		"Prints the kernel's events as they come: seq-soft, seq-hard,\n"
		"expired, replay and auth-fail (the last two rate-limited; count\n"
		"says how many events a report stands for).  Stops after N\n"
		"events or SEC seconds when asked (exit 0), else runs until\n"
		"interrupted.  With -j, one JSON object per line.\n");
}

int cmd_monitor(int argc, char **argv)
{
	uint32_t count = 0, timeout = 0, seen = 0;
	struct coapsec_event ev;
	struct coapsec_nl *nl;
	time_t end = 0;
	int i, err, ms;

	if (cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	for (i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			return cli_err(EXIT_USAGE, "monitor: '%s' needs a value",
				       argv[i]);
		if (!strcmp(argv[i], "count")) {
			if (parse_u32(argv[i + 1], 1, UINT32_MAX, &count))
				return cli_err(EXIT_USAGE,
					       "monitor: invalid count '%s' (1..%u)",
					       argv[i + 1], UINT32_MAX);
		} else if (!strcmp(argv[i], "timeout")) {
			if (parse_u32(argv[i + 1], 1, 86400 * 365, &timeout))
				return cli_err(EXIT_USAGE,
					       "monitor: invalid timeout '%s' (1..%u seconds)",
					       argv[i + 1], 86400 * 365);
		} else {
			return cli_err(EXIT_USAGE, "monitor: unknown argument '%s'",
				       argv[i]);
		}
	}
	nl = cli_open();
	if (!nl)
		return EXIT_RUNTIME;
	err = coapsec_nl_events_subscribe(nl);
	if (err) {
		err = cli_nl_err(nl, "monitor", err);
		goto out;
	}
	if (timeout)
		end = time(NULL) + timeout;
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (!count || seen < count) {
		ms = -1;
		if (end) {
			time_t now = time(NULL);

			if (now >= end)
				break;
			ms = (int)(end - now) * 1000;
		}
		err = coapsec_nl_event_recv(nl, &ev, ms);
		if (err < 0) {
			err = cli_nl_err(nl, "monitor", err);
			goto out;
		}
		if (!err)
			continue;
		seen++;
		if (cli.json) {
			json_t *o = json_pack("{s:s, s:I, s:I}", "event",
					      coapsec_nl_event_name(ev.type),
					      "context_id",
					      (json_int_t)ev.context_id,
					      "seq", (json_int_t)ev.seq);

			if (ev.has_kid)
				json_object_set_new(o, "kid",
						    cli_json_hex(ev.kid,
								 ev.kid_len));
			if (ev.count)
				json_object_set_new(o, "count",
						    json_integer(ev.count));
			cli_json_print(o);
		} else {
			printf("%s context %u seq %llu",
			       coapsec_nl_event_name(ev.type), ev.context_id,
			       (unsigned long long)ev.seq);
			if (ev.has_kid) {
				printf(" kid ");
				cli_hex_print(ev.kid, ev.kid_len);
			}
			if (ev.count)
				printf(" count %u", ev.count);
			putchar('\n');
		}
	}
	err = 0;
out:
	coapsec_nl_close(nl);
	return err;
}
