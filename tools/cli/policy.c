// SPDX-License-Identifier: GPL-2.0
/* coapsec policy add|del|show */
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
		"           action protect CONTEXT-ID|verify|require|bypass\n"
		"       coapsec policy del ID\n"
		"       coapsec [-j] policy show [ID]\n\n"
		"Policies match in priority order (lower first), like nft rules.\n"
		"dport defaults to 5683; the family follows the prefixes when not\n"
		"given.  protect: OSCORE-protect with the context; verify: check\n"
		"OSCORE and strip it; require: drop plain CoAP; bypass: leave it.\n");
}

static int bad(const char *what, const char *arg)
{
	return cli_err(EXIT_USAGE, "policy: invalid %s '%s'", what, arg);
}

static int parse_action(const char *s, uint8_t *action)
{
	static const char *const names[] = {
		[COAPSEC_ACTION_PROTECT] = "protect",
		[COAPSEC_ACTION_VERIFY] = "verify",
		[COAPSEC_ACTION_REQUIRE] = "require",
		[COAPSEC_ACTION_BYPASS] = "bypass",
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

static int cmd_add(int argc, char **argv)
{
	struct coapsec_policy_info p = { 0 };
	uint8_t fam = 0, f;
	struct coapsec_nl *nl;
	uint32_t id = 0, v;
	int i, err;

	if (cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		const char *k = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!val)
			return cli_err(EXIT_USAGE, "policy: '%s' needs a value",
				       k);
		i++;
		if (!strcmp(k, "id")) {
			if (parse_u32(val, 1, UINT32_MAX, &p.id))
				return bad("id", val);
		} else if (!strcmp(k, "priority") || !strcmp(k, "prio")) {
			if (parse_u32(val, 0, UINT32_MAX, &p.priority))
				return bad("priority", val);
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
				return bad("prefix", val);
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
				return bad("mark (MARK or MARK/MASK)", val);
			p.has_mark = true;
		} else if (!strcmp(k, "action")) {
			if (parse_action(val, &p.action))
				return bad("action (protect, verify, require, bypass)",
					   val);
			if (p.action == COAPSEC_ACTION_PROTECT) {
				if (i + 1 >= argc ||
				    parse_u32(argv[i + 1], 1, UINT32_MAX,
					      &p.context_id))
					return cli_err(EXIT_USAGE,
						       "policy: 'action protect' needs a context ID");
				i++;
			}
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
	err = coapsec_nl_policy_new(nl, &p, &id);
	if (err)
		err = cli_nl_err(nl, "policy add", err);
	else if (cli.json)
		cli_json_print(json_pack("{s:i}", "id", (int)id));
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

static json_t *policy_json(const struct coapsec_policy_info *p)
{
	char buf[INET6_ADDRSTRLEN + 8], ifname[IF_NAMESIZE];
	json_t *o;

	o = json_pack("{s:i, s:i, s:s, s:s, s:s, s:i}",
		      "id", (int)p->id, "priority", (int)p->priority,
		      "family", p->family == AF_INET ? "inet" : "inet6",
		      "dir", coapsec_nl_dir_name(p->direction),
		      "action", coapsec_nl_action_name(p->action),
		      "dport", (int)p->dport);
	if (p->has_src) {
		prefix_str(p->family, p->src, p->src_plen, buf, sizeof(buf));
		json_object_set_new(o, "src", json_string(buf));
	}
	if (p->has_dst) {
		prefix_str(p->family, p->dst, p->dst_plen, buf, sizeof(buf));
		json_object_set_new(o, "dst", json_string(buf));
	}
	if (p->ifindex) {
		json_object_set_new(o, "ifindex", json_integer(p->ifindex));
		if (if_indextoname(p->ifindex, ifname))
			json_object_set_new(o, "dev", json_string(ifname));
	}
	if (p->has_mark) {
		json_object_set_new(o, "mark", json_integer(p->mark));
		json_object_set_new(o, "mark_mask",
				    json_integer(p->mark_mask));
	}
	if (p->action == COAPSEC_ACTION_PROTECT)
		json_object_set_new(o, "context_id",
				    json_integer(p->context_id));
	return o;
}

static void policy_text(const struct coapsec_policy_info *p)
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
	if (p->ifindex)
		printf(" dev %s", if_indextoname(p->ifindex, ifname) ?
		       ifname : "?");
	if (p->has_mark)
		printf(" mark 0x%x/0x%x", p->mark, p->mark_mask);
	printf(" action %s", coapsec_nl_action_name(p->action));
	if (p->action == COAPSEC_ACTION_PROTECT)
		printf(" %u", p->context_id);
	putchar('\n');
}

static int show_cb(const struct coapsec_policy_info *p, void *data)
{
	json_t *arr = data;

	if (arr)
		json_array_append_new(arr, policy_json(p));
	else
		policy_text(p);
	return 0;
}

static int fetch(struct coapsec_nl *nl, uint32_t id, json_t *arr)
{
	struct coapsec_policy_info p;
	int err;

	if (!id)
		return coapsec_nl_policy_dump(nl, show_cb, arr);
	err = coapsec_nl_policy_get(nl, id, &p);
	if (!err)
		show_cb(&p, arr);
	return err;
}

int cmd_policy(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	argc--;
	argv++;
	if (cli_wants_help(argc + 1, argv - 1)) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[0], "add"))
		return cmd_add(argc, argv);
	if (!strcmp(argv[0], "del") || !strcmp(argv[0], "delete"))
		return cli_del_by_id(argc, argv, "policy",
				     coapsec_nl_policy_del);
	if (!strcmp(argv[0], "show") || !strcmp(argv[0], "list"))
		return cli_show_by_id(argc, argv, "policy", fetch);
	usage(stderr);
	return cli_err(EXIT_USAGE, "policy: unknown command '%s'", argv[0]);
}
