// SPDX-License-Identifier: GPL-2.0
/* coapsec policy add|set|del|show */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: coapsec [-j] policy add [id ID] [priority N] dir out|fwd|in\n"
		"           [family inet|inet6] [src PREFIX] [dst PREFIX]\n"
		"           [dport PORT|any] [dev IFNAME] [mark MARK[/MASK]]\n"
		"           action protect CONTEXT-ID|verify|require|bypass|\n"
		"                  queue queue-num N\n"
		"           [owner TAG]\n"
		"       coapsec policy set ID (what add takes, but id)\n"
		"       coapsec policy del ID\n"
		"       coapsec [-j] policy [show [ID]]\n\n"
		"Policies match in priority order (lower first), like nft rules.\n"
		"dport defaults to 5683; the family follows the prefixes when not\n"
		"given.  protect: OSCORE-protect with the context; verify: check\n"
		"OSCORE and strip it; require: drop plain CoAP; bypass: leave it;\n"
		"queue: hand it to the agent registered for NFQUEUE queue N\n"
		"(0..65535; signed group messages), dropped and counted\n"
		"(queue_no_agent) while there is none.\n"
		"id, priority: 0..4294967295 (id from 1).  Each argument comes once.\n"
		"dev binds the policy to the interface's index: an interface\n"
		"deleted and made again under the same name has a new index, which\n"
		"the policy does not match; show marks it '(gone)'.  A protect\n"
		"policy whose context expired or was deleted shows '(gone)' too.\n"
		"owner: who installed it, 1..128 printable ASCII characters, no\n"
		"space.\n"
		"set replaces policy ID in one step, keeping its ID and its place\n"
		"in the match order (priority must stay): a packet meets the old\n"
		"policy or the new one, never neither.\n"
		"'policy' alone shows every policy.\n");
}

static int bad(const char *what, const char *arg)
{
	return cli_err(EXIT_USAGE, "policy: invalid %s '%s'", what, arg);
}

static int bad_range(const char *what, const char *arg, unsigned long min,
		     unsigned long max)
{
	return cli_err(EXIT_USAGE, "policy: invalid %s '%s' (%lu..%lu)", what,
		       arg, min, max);
}

/* Every argument of policy add comes once. */
enum {
	K_ID, K_PRIORITY, K_DIR, K_FAMILY, K_SRC, K_DST, K_DPORT, K_DEV,
	K_MARK, K_ACTION, K_OWNER, K_QUEUE_NUM,
};

static const struct cli_word keys[] = {
	CLI_WORD("id", K_ID),
	CLI_WORD("priority", K_PRIORITY), CLI_WORD("prio", K_PRIORITY),
	CLI_WORD("dir", K_DIR), CLI_WORD("direction", K_DIR),
	CLI_WORD("family", K_FAMILY),
	CLI_WORD("src", K_SRC), CLI_WORD("dst", K_DST),
	CLI_WORD("dport", K_DPORT), CLI_WORD("dev", K_DEV),
	CLI_WORD("mark", K_MARK), CLI_WORD("action", K_ACTION),
	CLI_WORD("owner", K_OWNER), CLI_WORD("queue-num", K_QUEUE_NUM),
};

static int parse_action(const char *s, uint8_t *action)
{
	static const char *const names[] = {
		[COAPSEC_ACTION_PROTECT] = "protect",
		[COAPSEC_ACTION_VERIFY] = "verify",
		[COAPSEC_ACTION_REQUIRE] = "require",
		[COAPSEC_ACTION_BYPASS] = "bypass",
		[COAPSEC_ACTION_QUEUE] = "queue",
	};
	unsigned int i;

	for (i = 1; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i])) {
			*action = i;
			return 0;
		}
	}
	return -EINVAL;
}

/* policy add, or (@set) policy set ID: the same arguments. */
static int cmd_add(int argc, char **argv, bool set)
{
	struct coapsec_policy_info p = { 0 };
	uint8_t fam = 0, f;
	struct coapsec_nl *nl;
	uint32_t id = 0, v;
	uint64_t seen = 0;
	int i = 1, err;

	if (cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	if (set) {
		if (argc < 2)
			return cli_err(EXIT_USAGE, "policy set: which policy? give its ID");
		if (parse_u32(argv[1], 1, UINT32_MAX, &p.id))
			return bad_range("id", argv[1], 1, UINT32_MAX);
		i = 2;
	}
	for (; i < argc; i++) {
		const char *k = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (note_once(k, keys, ARRAY_SIZE(keys), &seen))
			return cli_err(EXIT_USAGE,
				       "policy: '%s' given twice (a policy has one of each)",
				       k);
		if (!val)
			return cli_err(EXIT_USAGE, "policy: '%s' needs a value",
				       k);
		i++;
		if (!strcmp(k, "id")) {
			if (set)
				return cli_err(EXIT_USAGE,
					       "policy set: the ID comes first, and stays");
			if (parse_u32(val, 1, UINT32_MAX, &p.id))
				return bad_range("id", val, 1, UINT32_MAX);
		} else if (!strcmp(k, "priority") || !strcmp(k, "prio")) {
			if (parse_u32(val, 0, UINT32_MAX, &p.priority))
				return bad_range("priority", val, 0,
						 UINT32_MAX);
		} else if (!strcmp(k, "dir") || !strcmp(k, "direction")) {
			if (parse_dir(val, &p.direction))
				return bad("direction (out, fwd, in)", val);
		} else if (!strcmp(k, "family")) {
			if (!strcmp(val, "inet") || !strcmp(val, "ipv4"))
				f = AF_INET;
			else if (!strcmp(val, "inet6") || !strcmp(val, "ipv6"))
				f = AF_INET6;
			else
				return bad("family (inet, inet6)", val);
			if (fam && fam != f)
				return cli_err(EXIT_USAGE,
					       "policy: family does not match the prefixes");
			fam = f;
		} else if (!strcmp(k, "src") || !strcmp(k, "dst")) {
			bool src = k[0] == 's';

			/* Bits after the length: the kernel says so. */
			if (parse_prefix(val, &f, src ? p.src : p.dst,
					 src ? &p.src_plen : &p.dst_plen) == -1)
				return bad("prefix (ADDRESS or ADDRESS/LENGTH, length 0..32 for IPv4, 0..128 for IPv6)",
					   val);
			if (fam && fam != f)
				return cli_err(EXIT_USAGE,
					       "policy: src, dst and family must be of one family");
			fam = f;
			if (src)
				p.has_src = true;
			else
				p.has_dst = true;
		} else if (!strcmp(k, "dport")) {
			p.has_dport = true;
			if (!strcmp(val, "any"))
				p.dport = 0;
			else if (parse_u32(val, 1, 65535, &v))
				return bad("port (1..65535 or any)", val);
			else
				p.dport = v;
		} else if (!strcmp(k, "dev")) {
			p.ifindex = if_nametoindex(val);
			if (!p.ifindex)
				return cli_err(EXIT_USAGE,
					       "policy: no interface '%s'", val);
		} else if (!strcmp(k, "mark")) {
			if (parse_mark(val, &p.mark, &p.mark_mask))
				return bad("mark (MARK or MARK/MASK, each 0..0xffffffff)",
					   val);
			p.has_mark = true;
		} else if (!strcmp(k, "action")) {
			if (parse_action(val, &p.action))
				return bad("action (protect, verify, require, bypass, queue)",
					   val);
			if (p.action == COAPSEC_ACTION_PROTECT) {
				if (i + 1 >= argc)
					return cli_err(EXIT_USAGE,
						       "policy: 'action protect' needs a context ID");
				if (parse_u32(argv[i + 1], 1, UINT32_MAX,
					      &p.context_id))
					return bad_range("context ID",
							 argv[i + 1], 1,
							 UINT32_MAX);
				i++;
			}
		} else if (!strcmp(k, "queue-num")) {
			if (parse_u32(val, 0, COAPSEC_MAX_QUEUE_NUM,
				      &p.queue_num))
				return bad_range("queue-num", val, 0,
						 COAPSEC_MAX_QUEUE_NUM);
			p.has_queue_num = true;
		} else if (!strcmp(k, "owner")) {
			/* The kernel says what it accepts (extack). */
			if (!*val || strlen(val) >= sizeof(p.owner))
				return bad("owner (1..128 characters)", val);
			strcpy(p.owner, val);
		} else {
			return cli_err(EXIT_USAGE, "policy: unknown argument '%s'",
				       k);
		}
	}
	if (!p.direction)
		return cli_err(EXIT_USAGE, "policy: 'dir out|fwd|in' is required");
	if (!p.action)
		return cli_err(EXIT_USAGE, "policy: 'action ...' is required");
	if (!fam)
		return cli_err(EXIT_USAGE,
			       "policy: which family? give 'family inet|inet6' or a prefix");
	p.family = fam;

	nl = cli_open();
	if (!nl)
		return EXIT_RUNTIME;
	if (set) {
		err = coapsec_nl_policy_set(nl, &p);
		id = p.id;
	} else {
		err = coapsec_nl_policy_new(nl, &p, &id);
	}
	if (err)
		err = cli_nl_err(nl, set ? "policy set" : "policy add", err);
	else if (cli.json)
		cli_json_print(json_pack("{s:I}", "id", (json_int_t)id));
	else
		printf("policy %u\n", id);
	coapsec_nl_close(nl);
	return err;
}

static void prefix_str(uint8_t family, const uint8_t *addr, uint8_t plen,
		       char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(family, addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, plen);
}

/* What policy show needs besides the policy: which contexts exist. */
struct show {
	json_t *arr;		/* -j: the array being filled; else NULL */
	uint32_t *ctx_ids;
	size_t n_ctx, max_ctx;
};

static bool context_live(const struct show *sh, uint32_t id)
{
	size_t i;

	for (i = 0; i < sh->n_ctx; i++)
		if (sh->ctx_ids[i] == id)
			return true;
	return false;
}

/*
 * The kernel keeps the interface's index (as nft's iif does); its name is
 * looked up here, in the namespace the policy lives in.  NULL: no
 * interface has that index any longer.
 */
static const char *dev_name(uint32_t ifindex, char ifname[IF_NAMESIZE])
{
	return if_indextoname(ifindex, ifname);
}

static json_t *policy_json(const struct coapsec_policy_info *p,
			   const struct show *sh)
{
	char buf[INET6_ADDRSTRLEN + 8], ifname[IF_NAMESIZE];
	json_t *o;

	o = json_pack("{s:I, s:I, s:s, s:s, s:s, s:I}",
		      "id", (json_int_t)p->id,
		      "priority", (json_int_t)p->priority,
		      "family", p->family == AF_INET ? "inet" : "inet6",
		      "dir", coapsec_nl_dir_name(p->direction),
		      "action", coapsec_nl_action_name(p->action),
		      "dport", (json_int_t)p->dport);
	if (p->has_src) {
		prefix_str(p->family, p->src, p->src_plen, buf, sizeof(buf));
		json_object_set_new(o, "src", json_string(buf));
	}
	if (p->has_dst) {
		prefix_str(p->family, p->dst, p->dst_plen, buf, sizeof(buf));
		json_object_set_new(o, "dst", json_string(buf));
	}
	if (p->ifindex) {
		const char *dev = dev_name(p->ifindex, ifname);

		json_object_set_new(o, "ifindex", json_integer(p->ifindex));
		json_object_set_new(o, "dev", dev ? json_string(dev) :
				    json_null());
		json_object_set_new(o, "dev_state",
				    json_string(dev ? "live" : "gone"));
	}
	if (p->has_mark) {
		json_object_set_new(o, "mark", json_integer(p->mark));
		json_object_set_new(o, "mark_mask",
				    json_integer(p->mark_mask));
	}
	if (p->action == COAPSEC_ACTION_PROTECT) {
		json_object_set_new(o, "context_id",
				    json_integer(p->context_id));
		json_object_set_new(o, "context_state",
				    json_string(context_live(sh, p->context_id) ?
						"live" : "gone"));
	}
	if (p->has_queue_num)
		json_object_set_new(o, "queue_num",
				    json_integer(p->queue_num));
	if (p->owner[0])
		json_object_set_new(o, "owner", json_string(p->owner));
	return o;
}

static void policy_text(const struct coapsec_policy_info *p,
			const struct show *sh)
{
	char buf[INET6_ADDRSTRLEN + 8], ifname[IF_NAMESIZE];

	printf("policy %u priority %u %s dir %s", p->id, p->priority,
	       p->family == AF_INET ? "inet" : "inet6",
	       coapsec_nl_dir_name(p->direction));
	if (p->has_src) {
		prefix_str(p->family, p->src, p->src_plen, buf, sizeof(buf));
		printf(" src %s", buf);
	}
	if (p->has_dst) {
		prefix_str(p->family, p->dst, p->dst_plen, buf, sizeof(buf));
		printf(" dst %s", buf);
	}
	if (p->dport)
		printf(" dport %u", p->dport);
	else
		printf(" dport any");
	if (p->ifindex) {
		const char *dev = dev_name(p->ifindex, ifname);

		if (dev)
			printf(" dev %s", dev);
		else
			printf(" dev ifindex %u (gone)", p->ifindex);
	}
	if (p->has_mark)
		printf(" mark 0x%x/0x%x", p->mark, p->mark_mask);
	printf(" action %s", coapsec_nl_action_name(p->action));
	if (p->action == COAPSEC_ACTION_PROTECT)
		printf(" %u%s", p->context_id,
		       context_live(sh, p->context_id) ? "" : " (gone)");
	if (p->has_queue_num)
		printf(" queue-num %u", p->queue_num);
	if (p->owner[0])
		printf(" owner %s", p->owner);
	putchar('\n');
}

static int show_cb(const struct coapsec_policy_info *p, void *data)
{
	struct show *sh = data;

	if (sh->arr)
		json_array_append_new(sh->arr, policy_json(p, sh));
	else
		policy_text(p, sh);
	return 0;
}

static int context_cb(const struct coapsec_context_info *c, void *data)
{
	struct show *sh = data;
	uint32_t *ids;

	if (sh->n_ctx && sh->ctx_ids[sh->n_ctx - 1] == c->id)
		return 0;	/* its previous context */
	if (sh->n_ctx == sh->max_ctx) {
		sh->max_ctx = sh->max_ctx ? 2 * sh->max_ctx : 64;
		ids = realloc(sh->ctx_ids, sh->max_ctx * sizeof(*ids));
		if (!ids)
			return -ENOMEM;
		sh->ctx_ids = ids;
	}
	sh->ctx_ids[sh->n_ctx++] = c->id;
	return 0;
}

static int fetch(struct coapsec_nl *nl, uint32_t id, json_t *arr)
{
	struct show sh = { .arr = arr };
	struct coapsec_policy_info p;
	int err;

	/* The contexts first: one request at a time on the socket. */
	err = coapsec_nl_context_dump(nl, context_cb, &sh);
	if (!err && !id)
		err = coapsec_nl_policy_dump(nl, show_cb, &sh);
	else if (!err)
		err = coapsec_nl_policy_get(nl, id, &p);
	if (!err && id)
		show_cb(&p, &sh);
	free(sh.ctx_ids);
	return err;
}

enum { V_ADD, V_SET, V_DEL, V_SHOW, V_HELP };

static const struct cli_word verbs[] = {
	CLI_WORD("add", V_ADD), CLI_WORD("set", V_SET),
	CLI_WORD("del", V_DEL), CLI_WORD("delete", V_DEL),
	CLI_WORD_PREFERRED("show", V_SHOW), CLI_WORD_PREFERRED("list", V_SHOW),
	CLI_WORD("help", V_HELP),
};

int cmd_policy(int argc, char **argv)
{
	static char show[] = "show";
	char *show_all[] = { show, NULL };
	int verb;

	if (argc < 2)	/* "coapsec policy" alone lists, as ip xfrm policy */
		return cli_show_by_id(1, show_all, "policy", fetch);
	argc--;
	argv++;
	if (cli_wants_help(argc + 1, argv - 1)) {
		usage(stdout);
		return 0;
	}
	verb = cli_match("policy", argv[0], verbs, ARRAY_SIZE(verbs));
	if (verb < 0)
		return EXIT_USAGE;
	if (verb == V_HELP) {
		usage(stdout);
		return 0;
	}
	if (verb == V_ADD || verb == V_SET)
		return cmd_add(argc, argv, verb == V_SET);
	if (verb == V_DEL)
		return cli_del_by_id(argc, argv, "policy",
				     coapsec_nl_policy_del);
	return cli_show_by_id(argc, argv, "policy", fetch);
}
