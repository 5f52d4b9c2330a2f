// SPDX-License-Identifier: GPL-2.0
/*
 * coapsec context add|swap|del|show, and coapsec derive: the keys come from
 * the master secret through HKDF here (tools/lib/oscore_derive), so that a
 * person never handles derived keys, and never from the command line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "oscore_derive.h"

static void usage_add(FILE *f, const char *verb)
{
	fprintf(f,
		"Usage: coapsec context %s %sALG secret FILE|- sender-id HEX\n"
		"           recipient-id HEX [recipient-id HEX...]\n"
		"           [salt HEX] [id-context HEX] [window N]\n"
		"           [seq-start N] [soft-limit N] [hard-limit N]\n"
		"           [checkpoint K] [lifetime SEC] [no-kid-context]\n"
		"           [group] [replay-unknown]%s\n\n"
		"Derives the sender key, one recipient key per recipient ID and\n"
		"the Common IV from the master secret (HKDF-SHA-256, RFC 8613\n"
		"3.2) and installs them in the kernel.\n\n"
		"  alg ALG        10 or AES-CCM-16-64-128 (default), 1 A128GCM,\n"
		"                 3 A256GCM, 24 ChaCha20/Poly1305\n"
		"  secret FILE    the master secret: a file of mode 0600 holding\n"
		"                 one hex line, or lines 'secret HEX' and\n"
		"                 'salt HEX'; '-' reads it from stdin\n"
		"  salt HEX       master salt (unless the file has one)\n"
		"  id-context HEX ID context (kid context)\n"
		"  sender-id HEX, recipient-id HEX   IDs, may be empty (\"\")\n"
		"  window N       replay window per recipient (1..1024, 32)\n"
		"  soft-limit N   sequence number raising a seq-soft event\n"
		"  hard-limit N   sequence number at which protection stops\n"
		"  seq-start N    first sequence number: after a re-creation,\n"
		"                 the last seq-checkpoint event's value\n"
		"  checkpoint K   a seq-checkpoint event every K numbers, naming\n"
		"                 the seq-start a re-created context must use\n"
		"                 (RFC 8613 B.1.1)\n"
		"  lifetime SEC   the context expires after SEC seconds\n"
		"  no-kid-context do not send the ID context (RFC 8613 peers)\n"
		"  group          group context (kid in every message)\n"
		"  replay-unknown the recipient keys were used before and their\n"
		"                 replay state is lost: requests are refused\n"
		"                 (RFC 8613 B.1.2), answers verified\n%s",
		verb, !strcmp(verb, "swap") ? "ID alg " : "[id ID] alg ",
		!strcmp(verb, "swap") ? " [grace SEC]" : "",
		!strcmp(verb, "swap") ?
		"  grace SEC      how long the replaced keys keep verifying\n"
		"                 (default 30, at most 3600)\n" : "");
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: coapsec [-j] context add ARGS...   (context add --help)\n"
		"       coapsec [-j] context swap ID ARGS... (context swap --help)\n"
		"       coapsec context del ID\n"
		"       coapsec [-j] context show [ID]\n");
}

/* What add, swap and derive have in common. */
struct ctx_args {
	struct coapsec_context_info info;
	struct master_secret ms;
	bool has_secret, has_sender, has_salt_arg;
	uint8_t salt[32];
	size_t salt_len;
	struct {
		uint8_t id[COAPSEC_NL_MAX_ID_LEN];
		size_t len;
	} rid[COAPSEC_MAX_RECIPIENTS];
	unsigned int n_rid;
	uint32_t window;
};

static int bad(const char *what, const char *arg)
{
	return cli_err(EXIT_USAGE, "context: invalid %s '%s'", what, arg);
}

/*
 * Parses add/swap/derive arguments (argv[0] is the verb).  Returns 0, or
 * an exit code after printing why.
 */
static int parse_ctx_args(int argc, char **argv, bool swap,
			  struct ctx_args *a)
{
	struct coapsec_context_info *c = &a->info;
	char why[256];
	size_t len;
	int i = 1;

	memset(a, 0, sizeof(*a));
	c->alg = 10;
	if (swap) {
		if (argc < 2 || parse_u32(argv[1], 1, UINT32_MAX, &c->id))
			return argc < 2 ? cli_err(EXIT_USAGE,
						  "context swap: which context (ID)?") :
			       bad("context ID", argv[1]);
		i = 2;
	}
	for (; i < argc; i++) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(k, "no-kid-context")) {
			c->flags |= COAPSEC_CONTEXT_F_NO_KID_CONTEXT;
			continue;
		}
		if (!strcmp(k, "group")) {
			c->flags |= COAPSEC_CONTEXT_F_GROUP;
			continue;
		}
		if (!strcmp(k, "replay-unknown")) {
			c->flags |= COAPSEC_CONTEXT_F_REPLAY_UNKNOWN;
			continue;
		}
		if (!v)
			return cli_err(EXIT_USAGE, "context: '%s' needs a value",
				       k);
		i++;
		if (!strcmp(k, "id") && !swap) {
			if (parse_u32(v, 1, UINT32_MAX, &c->id))
				return bad("id", v);
		} else if (!strcmp(k, "alg")) {
			if (parse_alg(v, &c->alg))
				return bad("algorithm (10, 1, 3, 24 or a COSE name)",
					   v);
		} else if (!strcmp(k, "secret")) {
			if (read_master_secret(v, &a->ms, why, sizeof(why)))
				return cli_err(EXIT_USAGE, "context: %s", why);
			a->has_secret = true;
		} else if (!strcmp(k, "salt")) {
			if (parse_hex(v, a->salt, sizeof(a->salt),
				      &a->salt_len))
				return bad("salt (hex, at most 32 bytes)", v);
			a->has_salt_arg = true;
		} else if (!strcmp(k, "id-context")) {
			if (parse_hex(v, c->id_context, sizeof(c->id_context),
				      &len))
				return bad("id-context (hex, at most 32 bytes)",
					   v);
			c->id_context_len = len;
			c->has_id_context = true;
		} else if (!strcmp(k, "sender-id")) {
			if (parse_hex(v, c->sender_id, sizeof(c->sender_id),
				      &len))
				return bad("sender-id (hex, at most 7 bytes)", v);
			c->sender_id_len = len;
			a->has_sender = true;
		} else if (!strcmp(k, "recipient-id")) {
			if (a->n_rid >= COAPSEC_MAX_RECIPIENTS)
				return cli_err(EXIT_USAGE,
					       "context: at most %d recipients",
					       COAPSEC_MAX_RECIPIENTS);
			if (parse_hex(v, a->rid[a->n_rid].id,
				      sizeof(a->rid[0].id),
				      &a->rid[a->n_rid].len))
				return bad("recipient-id (hex, at most 7 bytes)",
					   v);
			a->n_rid++;
		} else if (!strcmp(k, "window")) {
			if (parse_u32(v, 1, COAPSEC_MAX_REPLAY_WINDOW,
				      &a->window))
				return bad("window (1..1024)", v);
		} else if (!strcmp(k, "seq-start")) {
			if (parse_u64(v, 0, COAPSEC_SEQ_MAX, &c->seq_start))
				return bad("seq-start", v);
		} else if (!strcmp(k, "soft-limit")) {
			if (parse_u64(v, 1, COAPSEC_SEQ_MAX,
				      &c->seq_soft_limit))
				return bad("soft-limit", v);
		} else if (!strcmp(k, "hard-limit")) {
			if (parse_u64(v, 1, COAPSEC_SEQ_MAX,
				      &c->seq_hard_limit))
				return bad("hard-limit", v);
		} else if (!strcmp(k, "checkpoint")) {
			if (parse_u32(v, 1, UINT32_MAX, &c->seq_checkpoint))
				return bad("checkpoint (1..4294967295)", v);
		} else if (!strcmp(k, "lifetime")) {
			if (parse_u32(v, 0, UINT32_MAX, &c->lifetime))
				return bad("lifetime", v);
		} else if (!strcmp(k, "grace") && swap) {
			if (parse_u32(v, 0, COAPSEC_MAX_GRACE, &c->grace))
				return bad("grace (0..3600)", v);
			c->has_grace = true;
		} else {
			return cli_err(EXIT_USAGE, "context: unknown argument '%s'",
				       k);
		}
	}
	if (!a->has_secret)
		return cli_err(EXIT_USAGE,
			       "context: 'secret FILE|-' is required (never on the command line)");
	if (!a->has_sender)
		return cli_err(EXIT_USAGE, "context: 'sender-id HEX' is required");
	if (!a->n_rid)
		return cli_err(EXIT_USAGE,
			       "context: at least one 'recipient-id HEX' is required");
	if (a->has_salt_arg && a->ms.has_salt)
		return cli_err(EXIT_USAGE,
			       "context: salt given both in the secret file and on the command line");
	return 0;
}

/* HKDF for the sender, every recipient and the Common IV. */
static int derive(struct ctx_args *a)
{
	struct coapsec_context_info *c = &a->info;
	struct oscore_master m = {
		.alg = (int)c->alg,
		.secret = a->ms.secret,
		.secret_len = a->ms.secret_len,
		.sender_id = c->sender_id,
		.sender_id_len = c->sender_id_len,
	};
	struct oscore_keys k;
	unsigned int i;
	int err = 0;

	if (a->ms.has_salt) {
		m.salt = a->ms.salt;
		m.salt_len = a->ms.salt_len;
	} else if (a->has_salt_arg) {
		m.salt = a->salt;
		m.salt_len = a->salt_len;
	}
	if (c->has_id_context) {
		m.id_context = c->id_context;
		m.id_context_len = c->id_context_len;
	}
	for (i = 0; i < a->n_rid; i++) {
		m.recipient_id = a->rid[i].id;
		m.recipient_id_len = a->rid[i].len;
		err = oscore_derive(&m, &k);
		if (err)
			break;
		memcpy(c->sender_key, k.sender_key, k.alg->key_len);
		c->sender_key_len = k.alg->key_len;
		memcpy(c->common_iv, k.common_iv, k.alg->nonce_len);
		c->common_iv_len = k.alg->nonce_len;
		memcpy(c->recipients[i].id, a->rid[i].id, a->rid[i].len);
		c->recipients[i].id_len = a->rid[i].len;
		memcpy(c->recipients[i].key, k.recipient_key, k.alg->key_len);
		c->recipients[i].key_len = k.alg->key_len;
		c->recipients[i].replay_window = a->window;
	}
	c->n_recipients = i;
	oscore_keys_wipe(&k);
	wipe(&a->ms, sizeof(a->ms));
	if (err)
		return cli_err(EXIT_USAGE,
			       "context: key derivation failed: %s",
			       err == -EINVAL ?
			       "an ID is too long for the algorithm's nonce" :
			       strerror(-err));
	return 0;
}

static int cmd_add_or_swap(int argc, char **argv, bool swap)
{
	struct coapsec_nl *nl;
	struct ctx_args *a;
	uint32_t id = 0;
	int err;

	if (cli_wants_help(argc, argv)) {
		usage_add(stdout, argv[0]);
		return 0;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return cli_err(EXIT_RUNTIME, "out of memory");
	err = parse_ctx_args(argc, argv, swap, a);
	if (!err)
		err = derive(a);
	if (err)
		goto out;
	nl = cli_open();
	if (!nl) {
		err = EXIT_RUNTIME;
		goto out;
	}
	if (swap) {
		err = coapsec_nl_context_swap(nl, &a->info);
		id = a->info.id;
	} else {
		err = coapsec_nl_context_new(nl, &a->info, &id);
	}
	if (err) {
		err = cli_nl_err(nl, swap ? "context swap" : "context add", err);
	} else if (cli.json) {
		cli_json_print(json_pack("{s:i}", "id", (int)id));
	} else {
		printf("context %u\n", id);
	}
	coapsec_nl_close(nl);
out:
	wipe(a, sizeof(*a));
	free(a);
	return err;
}

static const char *alg_name(uint32_t alg)
{
	switch (alg) {
	case 10: return "AES-CCM-16-64-128";
	case 1: return "A128GCM";
	case 3: return "A256GCM";
	case 24: return "ChaCha20/Poly1305";
	default: return "unknown";
	}
}

static json_t *context_json(const struct coapsec_context_info *c)
{
	json_t *o, *r = json_array(), *flags = json_array();
	unsigned int i;

	for (i = 0; i < c->n_recipients; i++)
		json_array_append_new(r, json_pack("{s:o, s:i}", "id",
				      cli_json_hex(c->recipients[i].id,
						   c->recipients[i].id_len),
				      "replay_window",
				      (int)c->recipients[i].replay_window));
	if (c->flags & COAPSEC_CONTEXT_F_NO_KID_CONTEXT)
		json_array_append_new(flags, json_string("no-kid-context"));
	if (c->flags & COAPSEC_CONTEXT_F_GROUP)
		json_array_append_new(flags, json_string("group"));
	if (c->flags & COAPSEC_CONTEXT_F_REPLAY_UNKNOWN)
		json_array_append_new(flags, json_string("replay-unknown"));
	o = json_pack("{s:i, s:s, s:i, s:s, s:o, s:I, s:I, s:I, s:i, s:o, s:o}",
		      "id", (int)c->id,
		      "state", coapsec_nl_state_name(c->state),
		      "alg", (int)c->alg, "alg_name", alg_name(c->alg),
		      "sender_id", cli_json_hex(c->sender_id, c->sender_id_len),
		      "seq", (json_int_t)c->seq,
		      "seq_soft_limit", (json_int_t)c->seq_soft_limit,
		      "seq_hard_limit", (json_int_t)c->seq_hard_limit,
		      "lifetime", (int)c->lifetime,
		      "flags", flags, "recipients", r);
	json_object_set_new(o, "id_context", c->has_id_context ?
			    cli_json_hex(c->id_context, c->id_context_len) :
			    json_null());
	if (c->has_expires)
		json_object_set_new(o, "expires", json_integer(c->expires));
	json_object_set_new(o, "checkpoint", json_integer(c->seq_checkpoint));
	return o;
}

static void context_text(const struct coapsec_context_info *c)
{
	unsigned int i;

	printf("context %u %s alg %s sender-id ", c->id,
	       coapsec_nl_state_name(c->state), alg_name(c->alg));
	cli_hex_print(c->sender_id, c->sender_id_len);
	if (c->has_id_context) {
		printf(" id-context ");
		cli_hex_print(c->id_context, c->id_context_len);
	}
	printf("\n\tseq %llu soft-limit %llu hard-limit %llu",
	       (unsigned long long)c->seq,
	       (unsigned long long)c->seq_soft_limit,
	       (unsigned long long)c->seq_hard_limit);
	if (c->lifetime)
		printf(" lifetime %u", c->lifetime);
	if (c->has_expires)
		printf(" expires %u", c->expires);
	if (c->flags & COAPSEC_CONTEXT_F_NO_KID_CONTEXT)
		printf(" no-kid-context");
	if (c->seq_checkpoint)
		printf(" checkpoint %u", c->seq_checkpoint);
	if (c->flags & COAPSEC_CONTEXT_F_GROUP)
		printf(" group");
	if (c->flags & COAPSEC_CONTEXT_F_REPLAY_UNKNOWN)
		printf(" replay-unknown");
	putchar('\n');
	for (i = 0; i < c->n_recipients; i++) {
		printf("\trecipient-id ");
		cli_hex_print(c->recipients[i].id, c->recipients[i].id_len);
		printf(" window %u\n", c->recipients[i].replay_window);
	}
}

static int show_cb(const struct coapsec_context_info *c, void *data)
{
	json_t *arr = data;

	if (arr)
		json_array_append_new(arr, context_json(c));
	else
		context_text(c);
	return 0;
}

static int fetch(struct coapsec_nl *nl, uint32_t id, json_t *arr)
{
	struct coapsec_context_info *c;
	int err;

	if (!id)
		return coapsec_nl_context_dump(nl, show_cb, arr);
	c = calloc(1, sizeof(*c));	/* large: room for 64 recipients */
	err = c ? coapsec_nl_context_get(nl, id, c) : -ENOMEM;
	if (!err)
		show_cb(c, arr);
	free(c);
	return err;
}

int cmd_context(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	argc--;
	argv++;
	if (!strcmp(argv[0], "add"))
		return cmd_add_or_swap(argc, argv, false);
	if (!strcmp(argv[0], "swap"))
		return cmd_add_or_swap(argc, argv, true);
	if (!strcmp(argv[0], "-h") || !strcmp(argv[0], "--help") ||
	    !strcmp(argv[0], "help") || cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[0], "del") || !strcmp(argv[0], "delete"))
		return cli_del_by_id(argc, argv, "context",
				     coapsec_nl_context_del);
	if (!strcmp(argv[0], "show") || !strcmp(argv[0], "list"))
		return cli_show_by_id(argc, argv, "context", fetch);
	usage(stderr);
	return cli_err(EXIT_USAGE, "context: unknown command '%s'", argv[0]);
}

/* coapsec derive: the same arguments as context add, keys on stdout. */
int cmd_derive(int argc, char **argv)
{
	struct coapsec_context_info *c;
	struct ctx_args *a;
	unsigned int i;
	int err;

	if (cli_wants_help(argc, argv)) {
		printf("Usage: coapsec [-j] derive alg ALG secret FILE|- sender-id HEX\n"
		       "           recipient-id HEX... [salt HEX] [id-context HEX]\n\n"
		       "Prints the keys 'context add' would install, without the\n"
		       "kernel: for checking a setup against a peer's.  It prints\n"
		       "secrets; mind where the output goes.\n");
		return 0;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return cli_err(EXIT_RUNTIME, "out of memory");
	err = parse_ctx_args(argc, argv, false, a);
	if (!err)
		err = derive(a);
	c = &a->info;
	if (!err && cli.json) {
		json_t *r = json_array();

		for (i = 0; i < c->n_recipients; i++)
			json_array_append_new(r, json_pack("{s:o, s:o}",
					      "id", cli_json_hex(c->recipients[i].id,
								 c->recipients[i].id_len),
					      "key", cli_json_hex(c->recipients[i].key,
								  c->recipients[i].key_len)));
		cli_json_print(json_pack("{s:i, s:o, s:o, s:o, s:o}",
					 "alg", (int)c->alg,
					 "sender_id", cli_json_hex(c->sender_id,
								   c->sender_id_len),
					 "sender_key", cli_json_hex(c->sender_key,
								    c->sender_key_len),
					 "common_iv", cli_json_hex(c->common_iv,
								   c->common_iv_len),
					 "recipients", r));
	} else if (!err) {
		printf("sender-key ");
		cli_hex_print(c->sender_key, c->sender_key_len);
		printf("\ncommon-iv ");
		cli_hex_print(c->common_iv, c->common_iv_len);
		putchar('\n');
		for (i = 0; i < c->n_recipients; i++) {
			printf("recipient-id ");
			cli_hex_print(c->recipients[i].id,
				      c->recipients[i].id_len);
			printf(" key ");
			cli_hex_print(c->recipients[i].key,
				      c->recipients[i].key_len);
			putchar('\n');
		}
	}
	wipe(a, sizeof(*a));
	free(a);
	return err;
}
