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

static void usage_add(FILE *f, bool swap)
{
	const char *verb = swap ? "swap" : "add";

	fprintf(f,
		"Usage: coapsec context %s %sALG secret FILE|- sender-id HEX\n"
		"           recipient-id HEX [recipient-id HEX...]\n"
		"           [salt HEX] [id-context HEX] [window N]\n"
		"           [seq-start N] [soft-limit N] [hard-limit N]\n"
		"           [checkpoint K] [seq-persisted N] [lifetime SEC]\n"
		"           [no-kid-context] [group] [replay-unknown]\n"
		"           [owner TAG]%s\n\n"
		"Derives the sender key, one recipient key per recipient ID and\n"
		"the Common IV from the master secret (HKDF-SHA-256, RFC 8613\n"
		"3.2) and installs them in the kernel.\n\n"
		"  alg ALG        10 or AES-CCM-16-64-128 (default), 1 A128GCM,\n"
		"                 3 A256GCM, 24 ChaCha20/Poly1305\n"
		"  secret FILE    the master secret, at least 16 bytes: a file\n"
		"                 of mode 0600 holding one hex line, or lines\n"
		"                 'secret HEX' and 'salt HEX'; '-' reads it from\n"
		"                 stdin\n"
		"  salt HEX       master salt (unless the file has one)\n"
		"  id-context HEX ID context (kid context)\n"
		"  sender-id HEX, recipient-id HEX   IDs, may be empty (\"\");\n"
		"                 no recipient ID may be the sender ID\n"
		"  window N       replay window per recipient (1..1024, 32)\n"
		"  seq-start N    first sequence number (0..2^40-1)\n"
		"  soft-limit N   sequence number raising a seq-soft event\n"
		"  hard-limit N   sequence number at which protection stops\n"
		"                 (both 1..2^40-1)\n"
		"  checkpoint K   a seq-checkpoint event every K numbers, naming\n"
		"                 the seq-start a re-created context must use\n"
		"                 (RFC 8613 B.1.1; after a re-creation give\n"
		"                 seq-start the last event's value)\n"
		"  seq-persisted N  ceiling: no sequence number at or above N\n"
		"                 is used, such messages are dropped (raise it\n"
		"                 with 'context set'); default none\n"
		"  lifetime SEC   the context expires after SEC seconds\n"
		"  no-kid-context do not send the ID context (RFC 8613 peers)\n"
		"  group          group context (kid in every message)\n"
		"  replay-unknown the recipient keys were used before and their\n"
		"                 replay state is lost: requests are refused\n"
		"                 (RFC 8613 B.1.2), answers verified\n"
		"  owner TAG      who installed it: 1..128 printable ASCII\n"
		"                 characters, no space (coapsecd writes\n"
		"                 coapsecd:ROLE:ID/NAME); a swap naming another\n"
		"                 owner than the context's is refused\n%s%s",
		verb, swap ? "ID alg " : "[id ID] alg ",
		swap ? " [grace SEC]" : "",
		swap ?
		"  grace SEC      how long the replaced keys keep verifying\n"
		"                 (default 30, at most 3600)\n" : "",
		"Every argument but recipient-id is given at most once.\n");
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: coapsec [-j] context add ARGS...   (context add --help)\n"
		"       coapsec [-j] context swap ID ARGS... (context swap --help)\n"
		"       coapsec context del ID\n"
		"       coapsec context set ID seq-persisted N\n"
		"       coapsec [-j] context [show [ID]]\n\n"
		"'context set' raises the ceiling below which the context's\n"
		"sequence numbers stay (0..2^40-1; it may only rise).\n"
		"'context' alone shows every context.  A unique prefix of a\n"
		"command will do ('c s' is 'context show').\n");
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
	/* info.recipients, derived (a group's thousands: on the heap). */
	struct coapsec_recipient_info rcp[COAPSEC_MAX_RECIPIENTS];
};

static int bad(const char *what, const char *arg)
{
	return cli_err(EXIT_USAGE, "context: invalid %s '%s'", what, arg);
}

static int bad_range(const char *what, const char *arg,
		     unsigned long long min, unsigned long long max)
{
	return cli_err(EXIT_USAGE, "context: invalid %s '%s' (%llu..%llu)",
		       what, arg, min, max);
}

/* The arguments that take one value, or none, and so come once. */
enum {
	K_ID, K_ALG, K_SECRET, K_SALT, K_ID_CONTEXT, K_SENDER_ID, K_WINDOW,
	K_SEQ_START, K_SOFT_LIMIT, K_HARD_LIMIT, K_LIFETIME, K_GRACE,
	K_NO_KID_CONTEXT, K_GROUP, K_CHECKPOINT, K_REPLAY_UNKNOWN, K_OWNER,
	K_SEQ_PERSISTED,
};

static const struct cli_word once_keys[] = {
	CLI_WORD("id", K_ID), CLI_WORD("alg", K_ALG),
	CLI_WORD("secret", K_SECRET), CLI_WORD("salt", K_SALT),
	CLI_WORD("id-context", K_ID_CONTEXT),
	CLI_WORD("sender-id", K_SENDER_ID), CLI_WORD("window", K_WINDOW),
	CLI_WORD("seq-start", K_SEQ_START),
	CLI_WORD("soft-limit", K_SOFT_LIMIT),
	CLI_WORD("hard-limit", K_HARD_LIMIT),
	CLI_WORD("lifetime", K_LIFETIME), CLI_WORD("grace", K_GRACE),
	CLI_WORD("no-kid-context", K_NO_KID_CONTEXT),
	CLI_WORD("group", K_GROUP), CLI_WORD("checkpoint", K_CHECKPOINT),
	CLI_WORD("replay-unknown", K_REPLAY_UNKNOWN),
	CLI_WORD("owner", K_OWNER), CLI_WORD("seq-persisted", K_SEQ_PERSISTED),
};

/* @len bytes as hex, or "" (in quotes) for an empty ID. */
static const char *id_str(const uint8_t *b, size_t len, char *buf,
			  size_t size)
{
	size_t i;

	if (!len)
		return "\"\"";
	for (i = 0; i < len && 2 * i + 2 < size; i++)
		snprintf(buf + 2 * i, 3, "%02x", b[i]);
	return buf;
}

/* No recipient ID may be the sender ID, or another recipient's. */
static int check_ids(const struct ctx_args *a)
{
	const struct coapsec_context_info *c = &a->info;
	char buf[2 * COAPSEC_NL_MAX_ID_LEN + 1];
	unsigned int i, j;

	for (i = 0; i < a->n_rid; i++) {
		const char *s = id_str(a->rid[i].id, a->rid[i].len, buf,
				       sizeof(buf));

		if (a->rid[i].len == c->sender_id_len &&
		    !memcmp(a->rid[i].id, c->sender_id, c->sender_id_len))
			return cli_err(EXIT_USAGE,
				       "context: recipient-id %s is also the sender-id: both directions would use one key and nonce space, and a message could be replayed back to its sender",
				       s);
		for (j = 0; j < i; j++)
			if (a->rid[i].len == a->rid[j].len &&
			    !memcmp(a->rid[i].id, a->rid[j].id, a->rid[i].len))
				return cli_err(EXIT_USAGE,
					       "context: recipient-id %s given twice",
					       s);
	}
	return 0;
}

/*
 * Parses add/swap/derive arguments (argv[0] is the verb).  Returns 0, or
 * an exit code after printing why.
 */
static int parse_ctx_args(int argc, char **argv, bool swap,
			  struct ctx_args *a)
{
	struct coapsec_context_info *c = &a->info;
	uint64_t seen = 0;
	char why[256];
	size_t len;
	int i = 1;

	memset(a, 0, sizeof(*a));
	c->alg = 10;
	if (swap) {
		if (argc < 2 || parse_u32(argv[1], 1, UINT32_MAX, &c->id))
			return argc < 2 ? cli_err(EXIT_USAGE,
						  "context swap: which context (ID)?") :
			       bad_range("context ID", argv[1], 1, UINT32_MAX);
		i = 2;
	}
	for (; i < argc; i++) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (note_once(k, once_keys, ARRAY_SIZE(once_keys), &seen))
			return cli_err(EXIT_USAGE,
				       "context: '%s' given twice (it is given once, or left out)",
				       k);
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
				return bad_range("id", v, 1, UINT32_MAX);
		} else if (!strcmp(k, "alg")) {
			if (parse_alg(v, &c->alg))
				return bad("algorithm (10, 1, 3, 24 or a COSE name)",
					   v);
		} else if (!strcmp(k, "secret")) {
			if (read_master_secret(v, &a->ms, why, sizeof(why)))
				return cli_err(EXIT_USAGE, "context: %s", why);
			a->has_secret = true;
			if (a->ms.secret_len < MASTER_SECRET_MIN)
				return cli_err(EXIT_USAGE,
					       "context: the master secret %s%s%s is %zu bytes: at least %d random bytes are needed, as 'openssl rand -hex %d' makes",
					       strcmp(v, "-") ? "in '" : "from stdin",
					       strcmp(v, "-") ? v : "",
					       strcmp(v, "-") ? "'" : "",
					       a->ms.secret_len,
					       MASTER_SECRET_MIN,
					       MASTER_SECRET_MIN);
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
				return bad_range("window", v, 1,
						 COAPSEC_MAX_REPLAY_WINDOW);
		} else if (!strcmp(k, "seq-start")) {
			if (parse_u64(v, 0, COAPSEC_SEQ_MAX, &c->seq_start))
				return bad_range("seq-start", v, 0,
						 COAPSEC_SEQ_MAX);
		} else if (!strcmp(k, "soft-limit")) {
			if (parse_u64(v, 1, COAPSEC_SEQ_MAX,
				      &c->seq_soft_limit))
				return bad_range("soft-limit", v, 1,
						 COAPSEC_SEQ_MAX);
		} else if (!strcmp(k, "hard-limit")) {
			if (parse_u64(v, 1, COAPSEC_SEQ_MAX,
				      &c->seq_hard_limit))
				return bad_range("hard-limit", v, 1,
						 COAPSEC_SEQ_MAX);
		} else if (!strcmp(k, "checkpoint")) {
			if (parse_u32(v, 1, UINT32_MAX, &c->seq_checkpoint))
				return bad_range("checkpoint", v, 1,
						 UINT32_MAX);
		} else if (!strcmp(k, "seq-persisted")) {
			if (parse_u64(v, 0, COAPSEC_SEQ_MAX, &c->seq_persisted))
				return bad_range("seq-persisted", v, 0,
						 COAPSEC_SEQ_MAX);
			c->has_seq_persisted = true;
		} else if (!strcmp(k, "lifetime")) {
			if (parse_u32(v, 0, UINT32_MAX, &c->lifetime))
				return bad_range("lifetime (seconds)", v, 0,
						 UINT32_MAX);
		} else if (!strcmp(k, "owner")) {
			/* The kernel says what it accepts (extack). */
			if (!*v || strlen(v) >= sizeof(c->owner))
				return bad("owner (1..128 characters)", v);
			strcpy(c->owner, v);
		} else if (!strcmp(k, "grace") && swap) {
			if (parse_u32(v, 0, COAPSEC_MAX_GRACE, &c->grace))
				return bad_range("grace (seconds)", v, 0,
						 COAPSEC_MAX_GRACE);
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
	return check_ids(a);
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
	c->recipients = a->rcp;
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
	c->recipients = a->rcp;
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
		usage_add(stdout, swap);
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
		cli_json_print(json_pack("{s:I}", "id", (json_int_t)id));
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
		json_array_append_new(r, json_pack("{s:o, s:I}", "id",
				      cli_json_hex(c->recipients[i].id,
						   c->recipients[i].id_len),
				      "replay_window",
				      (json_int_t)c->recipients[i].replay_window));
	if (c->flags & COAPSEC_CONTEXT_F_NO_KID_CONTEXT)
		json_array_append_new(flags, json_string("no-kid-context"));
	if (c->flags & COAPSEC_CONTEXT_F_GROUP)
		json_array_append_new(flags, json_string("group"));
	if (c->flags & COAPSEC_CONTEXT_F_REPLAY_UNKNOWN)
		json_array_append_new(flags, json_string("replay-unknown"));
	o = json_pack("{s:I, s:s, s:I, s:s, s:o, s:I, s:I, s:I, s:I, s:o, s:o}",
		      "id", (json_int_t)c->id,
		      "state", coapsec_nl_state_name(c->state),
		      "alg", (json_int_t)c->alg, "alg_name", alg_name(c->alg),
		      "sender_id", cli_json_hex(c->sender_id, c->sender_id_len),
		      "seq", (json_int_t)c->seq,
		      "seq_soft_limit", (json_int_t)c->seq_soft_limit,
		      "seq_hard_limit", (json_int_t)c->seq_hard_limit,
		      "lifetime", (json_int_t)c->lifetime,
		      "flags", flags, "recipients", r);
	json_object_set_new(o, "id_context", c->has_id_context ?
			    cli_json_hex(c->id_context, c->id_context_len) :
			    json_null());
	if (c->has_expires)
		json_object_set_new(o, "expires", json_integer(c->expires));
	json_object_set_new(o, "checkpoint", json_integer(c->seq_checkpoint));
	if (c->owner[0])
		json_object_set_new(o, "owner", json_string(c->owner));
	json_object_set_new(o, "seq_persisted", c->has_seq_persisted ?
			    json_integer((json_int_t)c->seq_persisted) :
			    json_null());
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
	if (c->has_seq_persisted)
		printf(" seq-persisted %llu",
		       (unsigned long long)c->seq_persisted);
	if (c->flags & COAPSEC_CONTEXT_F_GROUP)
		printf(" group");
	if (c->flags & COAPSEC_CONTEXT_F_REPLAY_UNKNOWN)
		printf(" replay-unknown");
	if (c->owner[0])
		printf(" owner %s", c->owner);
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
	c = calloc(1, sizeof(*c));	/* recipients: the handle's */
	err = c ? coapsec_nl_context_get(nl, id, c) : -ENOMEM;
	if (!err)
		show_cb(c, arr);
	free(c);
	return err;
}

/* coapsec context set ID seq-persisted N */
static int cmd_set(int argc, char **argv)
{
	struct coapsec_nl *nl;
	uint64_t ceiling;
	uint32_t id;
	int err;

	if (argc != 4)
		return cli_err(EXIT_USAGE,
			       "context set: expected 'ID seq-persisted N'");
	if (parse_u32(argv[1], 1, UINT32_MAX, &id))
		return bad_range("context ID", argv[1], 1, UINT32_MAX);
	if (strcmp(argv[2], "seq-persisted"))
		return cli_err(EXIT_USAGE,
			       "context set: unknown argument '%s' (seq-persisted)",
			       argv[2]);
	if (parse_u64(argv[3], 0, COAPSEC_SEQ_MAX, &ceiling))
		return bad_range("seq-persisted", argv[3], 0, COAPSEC_SEQ_MAX);
	nl = cli_open();
	if (!nl)
		return EXIT_RUNTIME;
	err = coapsec_nl_context_set_persisted(nl, id, ceiling);
	if (err)
		err = cli_nl_err(nl, "context set", err);
	coapsec_nl_close(nl);
	return err;
}

enum { V_ADD, V_SWAP, V_DEL, V_SHOW, V_SET, V_HELP };

static const struct cli_word verbs[] = {
	CLI_WORD("add", V_ADD), CLI_WORD("swap", V_SWAP),
	CLI_WORD("del", V_DEL), CLI_WORD("delete", V_DEL),
	CLI_WORD("set", V_SET),
	CLI_WORD_PREFERRED("show", V_SHOW), CLI_WORD_PREFERRED("list", V_SHOW),
	CLI_WORD("help", V_HELP),
};

int cmd_context(int argc, char **argv)
{
	static char show[] = "show";
	char *show_all[] = { show, NULL };
	int verb;

	if (argc < 2)	/* "coapsec context" alone lists, as ip xfrm state */
		return cli_show_by_id(1, show_all, "context", fetch);
	argc--;
	argv++;
	if (!strcmp(argv[0], "-h") || !strcmp(argv[0], "--help")) {
		usage(stdout);
		return 0;
	}
	verb = cli_match("context", argv[0], verbs, ARRAY_SIZE(verbs));
	if (verb < 0)
		return EXIT_USAGE;
	if (verb == V_ADD || verb == V_SWAP)
		return cmd_add_or_swap(argc, argv, verb == V_SWAP);
	if (verb == V_HELP || cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	if (verb == V_DEL)
		return cli_del_by_id(argc, argv, "context",
				     coapsec_nl_context_del);
	if (verb == V_SET)
		return cmd_set(argc, argv);
	return cli_show_by_id(argc, argv, "context", fetch);
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
		cli_json_print(json_pack("{s:I, s:o, s:o, s:o, s:o}",
					 "alg", (json_int_t)c->alg,
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
