/* SPDX-License-Identifier: GPL-2.0 */
/*
 * coapsec(8): shared declarations of the subcommands.
 *
 * Exit codes: 0 success, 1 kernel or runtime error (the kernel's extack
 * text is printed), 2 usage error.
 */
#ifndef COAPSEC_CLI_H
#define COAPSEC_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "coapsec_nl.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define EXIT_RUNTIME	1
#define EXIT_USAGE	2

struct cli {
	bool json;		/* -j: one JSON document on stdout */
	bool pretty;		/* -p: indented JSON */
	const char *prog;
};

extern struct cli cli;

/* Print "coapsec: <what>: <msg>" on stderr; return @code for exit. */
int cli_err(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Open the family or print why not (module not loaded, ...). */
struct coapsec_nl *cli_open(void);
/* Report a failed library call (kernel extack text when present). */
int cli_nl_err(struct coapsec_nl *nl, const char *what, int err);

/* Print @j on stdout as the command's JSON output and free it. */
void cli_json_print(json_t *j);
/* Lower-case hex of @len bytes as a JSON string ("" for none). */
json_t *cli_json_hex(const uint8_t *b, size_t len);
void cli_hex_print(const uint8_t *b, size_t len);

/*
 * "NOUN show [ID]": @fetch reports one object (@id) or all (@id 0) to
 * show_cb-style printing, adding to @arr under -j (NULL otherwise).
 */
typedef int (*cli_fetch_fn)(struct coapsec_nl *nl, uint32_t id, json_t *arr);
int cli_show_by_id(int argc, char **argv, const char *noun,
		   cli_fetch_fn fetch);
/* "NOUN del ID" through @del. */
int cli_del_by_id(int argc, char **argv, const char *noun,
		  int (*del)(struct coapsec_nl *nl, uint32_t id));

struct cli_word;
/*
 * The id that @word names in @words (match_word()), or -1 after printing
 * "[NOUN: ]unknown command" or "ambiguous command 'W': CANDIDATES".
 */
int cli_match(const char *noun, const char *word,
	      const struct cli_word *words, size_t n);

/* True when argv holds -h or --help; the caller then prints its usage. */
bool cli_wants_help(int argc, char **argv);

int cmd_features(int argc, char **argv);
int cmd_context(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_flush(int argc, char **argv);
int cmd_derive(int argc, char **argv);

#endif /* COAPSEC_CLI_H */
