// SPDX-License-Identifier: GPL-2.0
/*
 * coapsec(8): inspect and manage the coapsec kernel state.  One file per
 * subcommand, like wg(8).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"

struct cli cli = { .prog = "coapsec" };

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "features", cmd_features, "module version and AEAD algorithms" },
	{ "context", cmd_context, "add, delete, show or swap security contexts" },
	{ "policy", cmd_policy, "add, delete or show policies" },
	{ "stats", cmd_stats, "show or reset counters" },
	{ "monitor", cmd_monitor, "print events as they happen" },
	{ "flush", cmd_flush, "delete every context and policy" },
	{ "derive", cmd_derive, "print the keys context add would derive" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* What a prefix may name: the commands (by index) and "help". */
static const struct cli_word command_words[] = {
	CLI_WORD("features", 0), CLI_WORD("context", 1),
	CLI_WORD("policy", 2), CLI_WORD("stats", 3),
	CLI_WORD("monitor", 4), CLI_WORD("flush", 5), CLI_WORD("derive", 6),
	CLI_WORD("help", N_COMMANDS),
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s [-j [-p]] COMMAND [ARGS...]\n"
		"       %s COMMAND --help\n\n"
		"Options:\n"
		"  -j, --json     JSON output\n"
		"  -p, --pretty   indented JSON (only with -j)\n"
		"  -V, --version  the tools' version\n"
		"  -h, --help     this help\n\n"
		"Commands (a unique prefix will do: 'c s' is 'context show'):\n",
		cli.prog, cli.prog);
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name,
			commands[i].summary);
}

int cli_match(const char *noun, const char *word,
	      const struct cli_word *words, size_t n)
{
	const char *sep = noun ? ": " : "";
	uint64_t listed = 0;
	char list[256];
	size_t i, len = 0;
	int id = match_word(word, words, n);

	if (id >= 0)
		return id;
	if (id == -ENOENT) {
		cli_err(EXIT_USAGE, "%s%sunknown command '%s' (--help lists them)",
			noun ? noun : "", sep, word);
		return -1;
	}
	list[0] = '\0';
	for (i = 0; i < n; i++) {
		if (strncmp(word, words[i].name, strlen(word)) ||
		    listed & 1ULL << words[i].id)
			continue;
		listed |= 1ULL << words[i].id;
		len += snprintf(list + len, sizeof(list) - len, "%s%s",
				len ? ", " : "", words[i].name);
		if (len >= sizeof(list))
			break;
	}
	cli_err(EXIT_USAGE, "%s%sambiguous command '%s': %s", noun ? noun : "",
		sep, word, list);
	return -1;
}

int cli_err(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cli.prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

struct coapsec_nl *cli_open(void)
{
	struct coapsec_nl *nl = coapsec_nl_open();

	if (!nl) {
		if (errno == ENOENT)
			cli_err(EXIT_RUNTIME,
				"the coapsec module is not loaded (generic netlink family \"coapsec\" not found)");
		else
			cli_err(EXIT_RUNTIME, "netlink: %s", strerror(errno));
	}
	return nl;
}

/* The ID argument of "NOUN VERB ID", 1 or more. */
static int parse_id(const char *noun, const char *arg, uint32_t *id)
{
	if (parse_u32(arg, 1, UINT32_MAX, id))
		return cli_err(EXIT_USAGE, "%s: invalid %s ID '%s' (1..%u)",
			       noun, noun, arg, UINT32_MAX);
	return 0;
}

int cli_show_by_id(int argc, char **argv, const char *noun,
		   cli_fetch_fn fetch)
{
	struct coapsec_nl *nl;
	json_t *arr = NULL;
	char what[32];
	uint32_t id = 0;
	int err;

	if (argc > 2)
		return cli_err(EXIT_USAGE, "%s show: unexpected '%s'", noun,
			       argv[2]);
	if (argc == 2 && parse_id(noun, argv[1], &id))
		return EXIT_USAGE;
	nl = cli_open();
	if (!nl)
		return EXIT_RUNTIME;
	if (cli.json)
		arr = json_array();
	err = fetch(nl, id, arr);
	if (err) {
		json_decref(arr);
		snprintf(what, sizeof(what), "%s show", noun);
		err = cli_nl_err(nl, what, err);
	} else if (arr) {
		cli_json_print(arr);
	}
	coapsec_nl_close(nl);
	return err;
}

int cli_del_by_id(int argc, char **argv, const char *noun,
		  int (*del)(struct coapsec_nl *nl, uint32_t id))
{
	struct coapsec_nl *nl;
	char what[32];
	uint32_t id;
	int err;

	if (argc != 2)
		return cli_err(EXIT_USAGE, "%s del: which %s (ID)?", noun, noun);
	if (parse_id(noun, argv[1], &id))
		return EXIT_USAGE;
	nl = cli_open();
	if (!nl)
		return EXIT_RUNTIME;
	err = del(nl, id);
	if (err) {
		snprintf(what, sizeof(what), "%s del", noun);
		err = cli_nl_err(nl, what, err);
	}
	coapsec_nl_close(nl);
	return err;
}

int cli_nl_err(struct coapsec_nl *nl, const char *what, int err)
{
	const char *msg = coapsec_nl_errmsg(nl);

	return cli_err(EXIT_RUNTIME, "%s: %s", what,
		       msg[0] ? msg : strerror(-err));
}

void cli_json_print(json_t *j)
{
	json_dumpf(j, stdout, cli.pretty ? JSON_INDENT(2) : JSON_COMPACT);
	fputc('\n', stdout);
	json_decref(j);
}

json_t *cli_json_hex(const uint8_t *b, size_t len)
{
	char s[2 * 256 + 1];
	size_t i;

	if (len > 256)
		len = 256;
	for (i = 0; i < len; i++)
		snprintf(s + 2 * i, 3, "%02x", b[i]);
	s[2 * len] = '\0';
	return json_string(s);
}

void cli_hex_print(const uint8_t *b, size_t len)
{
	size_t i;

	if (!len)
		fputs("-", stdout);
	for (i = 0; i < len; i++)
		printf("%02x", b[i]);
}

bool cli_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help") ||
		    !strcmp(argv[i], "help"))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	int a = 1, id;

	for (; a < argc && argv[a][0] == '-'; a++) {
		if (!strcmp(argv[a], "-j") || !strcmp(argv[a], "--json")) {
			cli.json = true;
		} else if (!strcmp(argv[a], "-p") ||
			   !strcmp(argv[a], "--pretty")) {
			cli.pretty = true;
		} else if (!strcmp(argv[a], "-jp") || !strcmp(argv[a], "-pj")) {
			cli.json = cli.pretty = true;
		} else if (!strcmp(argv[a], "-h") ||
			   !strcmp(argv[a], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[a], "-V") ||
			   !strcmp(argv[a], "--version")) {
			puts("coapsec " COAPSEC_TOOLS_VERSION);
			return 0;
		} else {
			usage(stderr);
			return cli_err(EXIT_USAGE, "unknown option '%s'",
				       argv[a]);
		}
	}
	if (cli.pretty && !cli.json)
		return cli_err(EXIT_USAGE,
			       "-p (--pretty) indents JSON output: it needs -j (--json)");
	if (a >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	id = cli_match(NULL, argv[a], command_words,
		       sizeof(command_words) / sizeof(command_words[0]));
	if (id < 0)
		return EXIT_USAGE;
	if (id == N_COMMANDS) {
		usage(stdout);
		return 0;
	}
	return commands[id].fn(argc - a, argv + a);
}
