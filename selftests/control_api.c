// SPDX-License-Identifier: GPL-2.0
/*
 * The control plane through libcoapsec, as the agent uses it: contexts and
 * policies round-trip, swap keeps the previous context for its grace
 * period, counters, flush, events, keys never come back (raw bytes
 * checked), and a bad-input matrix: every attribute missing, of the wrong
 * type, oversized or out of range is refused with the right errno and an
 * extack message naming it.  Expects coapsec to be loaded; run in a fresh
 * network namespace (control_api.sh does both).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "harness.h"
#include "coapsec_nl.h"
#include "uapi/linux/coapsec.h"

static const uint8_t idctx[4] = { 0x37, 0xcb, 0xf3, 0x21 };
/* The recipients of the context being built (requests only). */
static struct coapsec_recipient_info ctx_rcp[COAPSEC_MAX_RECIPIENTS];

/* A valid AES-CCM context: sender 00, one recipient @kid, keys marked. */
static void ctx_init(struct coapsec_context_info *c, uint32_t id, uint8_t kid)
{
	memset(c, 0, sizeof(*c));
	memset(ctx_rcp, 0, sizeof(ctx_rcp));
	c->recipients = ctx_rcp;
	c->id = id;
	c->alg = 10;
	c->sender_id_len = 1;
	c->sender_key_len = 16;
	memset(c->sender_key, 0xa5, 16);
	c->sender_key[15] = kid;
	c->common_iv_len = 13;
	memset(c->common_iv, 0x5c, 13);
	c->has_id_context = true;
	c->id_context_len = sizeof(idctx);
	memcpy(c->id_context, idctx, sizeof(idctx));
	c->n_recipients = 1;
	c->recipients[0].id_len = 1;
	c->recipients[0].id[0] = kid;
	c->recipients[0].key_len = 16;
	memset(c->recipients[0].key, 0x3c, 16);
	c->recipients[0].key[15] = kid;
}

/* A module parameter's value, or -1 where it cannot be read. */
static long long param(const char *name)
{
	char path[128];
	long long v;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/sys/module/coapsec/parameters/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fscanf(f, "%lld", &v);
	fclose(f);
	return n == 1 ? v : -1;
}

FIXTURE(api) {
	struct coapsec_nl *nl;
	struct coapsec_context_info c, got;
};

FIXTURE_SETUP(api)
{
	self->nl = coapsec_nl_open();
	ASSERT_NE(NULL, self->nl) TH_LOG("open: %s", strerror(errno));
	ASSERT_EQ(0, coapsec_nl_flush(self->nl));
}

FIXTURE_TEARDOWN(api)
{
	coapsec_nl_flush(self->nl);
	coapsec_nl_close(self->nl);
}

#define NL_OK(expr) ASSERT_EQ(0, (expr)) TH_LOG("%s", coapsec_nl_errmsg(self->nl))

TEST_F(api, context_round_trip)
{
	struct coapsec_context_info *c = &self->c, *g = &self->got;
	uint32_t id = 0, id2 = 0;

	ctx_init(c, 0, 1);
	c->seq_start = 5;
	c->seq_soft_limit = 1000;
	c->seq_hard_limit = 2000;
	c->lifetime = 3600;
	c->flags = COAPSEC_CONTEXT_F_GROUP;
	c->recipients[0].replay_window = 256;
	NL_OK(coapsec_nl_context_new(self->nl, c, &id));
	ASSERT_NE(0, id);

	NL_OK(coapsec_nl_context_get(self->nl, id, g));
	EXPECT_EQ(id, g->id);
	EXPECT_EQ(10, g->alg);
	EXPECT_EQ(COAPSEC_CONTEXT_STATE_CURRENT, g->state);
	EXPECT_EQ(1, g->sender_id_len);
	EXPECT_EQ(0, g->sender_id[0]);
	EXPECT_TRUE(g->has_id_context);
	EXPECT_EQ(0, memcmp(g->id_context, idctx, sizeof(idctx)));
	EXPECT_EQ(5, g->seq);
	EXPECT_EQ(1000, g->seq_soft_limit);
	EXPECT_EQ(2000, g->seq_hard_limit);
	EXPECT_EQ(3600, g->lifetime);
	EXPECT_TRUE(g->has_expires);
	EXPECT_LE(g->expires, 3600);
	EXPECT_GE(g->expires, 3600 - 120);	/* a loaded emulated guest is slow */
	EXPECT_EQ(COAPSEC_CONTEXT_F_GROUP, g->flags);
	ASSERT_EQ(1, g->n_recipients);
	EXPECT_EQ(1, g->recipients[0].id[0]);
	EXPECT_EQ(256, g->recipients[0].replay_window);
	EXPECT_EQ(0, g->sender_key_len);
	EXPECT_EQ(0, g->common_iv_len);

	/* Explicit ID, defaults. */
	ctx_init(c, 77, 2);
	c->has_id_context = false;
	NL_OK(coapsec_nl_context_new(self->nl, c, &id2));
	EXPECT_EQ(77, id2);
	NL_OK(coapsec_nl_context_get(self->nl, 77, g));
	EXPECT_FALSE(g->has_id_context);
	EXPECT_EQ(COAPSEC_SEQ_MAX, g->seq_hard_limit);
	EXPECT_EQ(COAPSEC_SEQ_MAX - 65536, g->seq_soft_limit);
	EXPECT_EQ(COAPSEC_DEFAULT_REPLAY_WINDOW, g->recipients[0].replay_window);
	EXPECT_FALSE(g->has_expires);

	/* The same ID twice; the same (ID context, kid) twice. */
	EXPECT_EQ(-EEXIST, coapsec_nl_context_new(self->nl, c, NULL));
	EXPECT_NE(NULL, strstr(coapsec_nl_errmsg(self->nl), "context.id"));
	ctx_init(c, 0, 1);
	EXPECT_EQ(-EEXIST, coapsec_nl_context_new(self->nl, c, NULL));
	EXPECT_NE(NULL, strstr(coapsec_nl_errmsg(self->nl), "recipient"));

	NL_OK(coapsec_nl_context_del(self->nl, id));
	EXPECT_EQ(-ENOENT, coapsec_nl_context_get(self->nl, id, g));
	EXPECT_EQ(-ENOENT, coapsec_nl_context_del(self->nl, id));
	EXPECT_NE(NULL, strstr(coapsec_nl_errmsg(self->nl), "no such context"));
}

struct seen {
	unsigned int n, current, previous;
	uint32_t ids[8];
};

static int seen_cb(const struct coapsec_context_info *c, void *data)
{
	struct seen *s = data;

	if (s->n < 8)
		s->ids[s->n] = c->id;
	s->n++;
	if (c->state == COAPSEC_CONTEXT_STATE_CURRENT)
		s->current++;
	if (c->state == COAPSEC_CONTEXT_STATE_PREVIOUS)
		s->previous++;
	return 0;
}

/*
 * A deleted context's ID is not handed out again: a key manager still
 * holding it (events, ceilings, deletes by ID) never reaches another
 * context through it.  Explicit IDs stay the caller's to choose.
 */
TEST_F(api, context_ids_not_reused)
{
	struct coapsec_context_info *c = &self->c;
	uint32_t first = 0, second = 0, third = 0;

	ctx_init(c, 0, 1);
	NL_OK(coapsec_nl_context_new(self->nl, c, &first));
	NL_OK(coapsec_nl_context_del(self->nl, first));
	ctx_init(c, 0, 2);
	NL_OK(coapsec_nl_context_new(self->nl, c, &second));
	EXPECT_NE(first, second);
	NL_OK(coapsec_nl_context_del(self->nl, second));
	ASSERT_EQ(0, coapsec_nl_flush(self->nl));
	ctx_init(c, 0, 3);
	NL_OK(coapsec_nl_context_new(self->nl, c, &third));
	EXPECT_NE(first, third);
	EXPECT_NE(second, third);
	/* The freed ID may still be asked for by name. */
	ctx_init(c, first, 4);
	NL_OK(coapsec_nl_context_new(self->nl, c, &second));
	EXPECT_EQ(first, second);
}

TEST_F(api, swap_keeps_previous_for_grace)
{
	struct coapsec_context_info *c = &self->c, *g = &self->got;
	struct seen s = { 0 };

	ctx_init(c, 10, 1);
	NL_OK(coapsec_nl_context_new(self->nl, c, NULL));

	/* Swapping a missing context fails; grace only with swap. */
	ctx_init(c, 11, 1);
	EXPECT_EQ(-ENOENT, coapsec_nl_context_swap(self->nl, c));
	ctx_init(c, 0, 9);
	c->has_grace = true;
	c->grace = 1;
	EXPECT_EQ(0, coapsec_nl_context_new(self->nl, c, NULL));

	/* New keys, same kid: allowed, the old one becomes previous. */
	ctx_init(c, 10, 1);
	c->sender_key[0] = 0x11;
	c->has_grace = true;
	c->grace = 2;
	NL_OK(coapsec_nl_context_swap(self->nl, c));
	NL_OK(coapsec_nl_context_get(self->nl, 10, g));
	EXPECT_EQ(COAPSEC_CONTEXT_STATE_CURRENT, g->state);
	NL_OK(coapsec_nl_context_dump(self->nl, seen_cb, &s));
	EXPECT_EQ(3, s.n);
	EXPECT_EQ(1, s.previous);

	/* A second swap drops the first previous at once. */
	NL_OK(coapsec_nl_context_swap(self->nl, c));
	memset(&s, 0, sizeof(s));
	NL_OK(coapsec_nl_context_dump(self->nl, seen_cb, &s));
	EXPECT_EQ(3, s.n);
	EXPECT_EQ(1, s.previous);

	/* After the grace period the previous context is gone. */
	sleep(4);
	memset(&s, 0, sizeof(s));
	NL_OK(coapsec_nl_context_dump(self->nl, seen_cb, &s));
	EXPECT_EQ(2, s.n);
	EXPECT_EQ(0, s.previous);
}

static int count_policy(const struct coapsec_policy_info *p, void *data)
{
	uint32_t *order = data;

	order[++order[0]] = p->id;
	return 0;
}

/*
 * The seq-persisted ceiling: given, returned, raised by CONTEXT_SET, never
 * lowered (EINVAL naming the attribute), ENOENT for a context that is
 * not there, and kept by a swap that keeps the sender key.
 */
TEST_F(api, seq_persisted_ceiling)
{
	struct coapsec_context_info *c = &self->c, *g = &self->got;
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	/* Sender keys no other test used: the namespace remembers those. */
	ctx_init(c, 30, 9);
	c->seq_start = 4;
	c->has_seq_persisted = true;
	c->seq_persisted = 10;
	NL_OK(coapsec_nl_context_new(self->nl, c, NULL));
	NL_OK(coapsec_nl_context_get(self->nl, 30, g));
	EXPECT_TRUE(g->has_seq_persisted);
	EXPECT_EQ(10, g->seq_persisted);
	EXPECT_EQ(4, g->seq);

	NL_OK(coapsec_nl_context_set_persisted(self->nl, 30, 20));
	NL_OK(coapsec_nl_context_get(self->nl, 30, g));
	EXPECT_EQ(20, g->seq_persisted);
	EXPECT_EQ(4, g->seq);
	/* Equal is no change, and no error. */
	NL_OK(coapsec_nl_context_set_persisted(self->nl, 30, 20));

	EXPECT_EQ(-EINVAL, coapsec_nl_context_set_persisted(self->nl, 30, 19));
	EXPECT_NE(NULL, strstr(coapsec_nl_errmsg(self->nl),
			       "context.seq-persisted: below"));
	EXPECT_STREQ("context.seq-persisted", coapsec_nl_err_attr(self->nl));
	NL_OK(coapsec_nl_context_get(self->nl, 30, g));
	EXPECT_EQ(20, g->seq_persisted);

	EXPECT_EQ(-ENOENT, coapsec_nl_context_set_persisted(self->nl, 4242, 5));
	EXPECT_NE(NULL, strstr(coapsec_nl_errmsg(self->nl), "no such context"));
	/* Past 2^40 - 1: the policy's range. */
	EXPECT_EQ(-ERANGE, coapsec_nl_context_set_persisted(self->nl, 30,
							     COAPSEC_SEQ_MAX + 1));
	EXPECT_STREQ("context.seq-persisted", coapsec_nl_err_attr(self->nl));

	/* CONTEXT_SET needs the value. */
	nlh = coapsec_nl_req_start(self->nl, COAPSEC_CMD_CONTEXT_SET, 0);
	nest = mnl_attr_nest_start(nlh, COAPSEC_A_CONTEXT);
	mnl_attr_put_u32(nlh, COAPSEC_A_CONTEXT_ID, 30);
	mnl_attr_nest_end(nlh, nest);
	EXPECT_EQ(-EINVAL, coapsec_nl_req_run(self->nl, nlh, NULL, NULL));
	EXPECT_NE(NULL, strstr(coapsec_nl_errmsg(self->nl),
			       "context.seq-persisted: missing"));

	/* A swap keeping the sender key keeps the ceiling, or takes one. */
	c->has_seq_persisted = false;
	NL_OK(coapsec_nl_context_swap(self->nl, c));
	NL_OK(coapsec_nl_context_get(self->nl, 30, g));
	EXPECT_TRUE(g->has_seq_persisted);
	EXPECT_EQ(20, g->seq_persisted);
	c->has_seq_persisted = true;
	c->seq_persisted = 50;
	NL_OK(coapsec_nl_context_swap(self->nl, c));
	NL_OK(coapsec_nl_context_get(self->nl, 30, g));
	EXPECT_EQ(50, g->seq_persisted);

	/* Without one there is none; CONTEXT_SET then sets one. */
	ctx_init(c, 31, 10);
	NL_OK(coapsec_nl_context_new(self->nl, c, NULL));
	NL_OK(coapsec_nl_context_get(self->nl, 31, g));
	EXPECT_FALSE(g->has_seq_persisted);
	NL_OK(coapsec_nl_context_set_persisted(self->nl, 31, 7));
	NL_OK(coapsec_nl_context_get(self->nl, 31, g));
	EXPECT_TRUE(g->has_seq_persisted);
	EXPECT_EQ(7, g->seq_persisted);
}

/* The instance ID: present, and the same for the same namespace state. */
TEST_F(api, features_instance_id)
{
	struct coapsec_features f1, f2;

	NL_OK(coapsec_nl_features_get(self->nl, &f1));
	NL_OK(coapsec_nl_features_get(self->nl, &f2));
	/* 0 is as likely as any other value: 2^-64. */
	EXPECT_NE(0, f1.instance_id);
	EXPECT_EQ(f1.instance_id, f2.instance_id);
}

TEST_F(api, policy_round_trip)
{
	struct coapsec_context_info *c = &self->c;
	struct coapsec_policy_info p = { 0 }, g;
	uint32_t id1, id2, id3, order[8] = { 0 };

	ctx_init(c, 5, 1);
	NL_OK(coapsec_nl_context_new(self->nl, c, NULL));

	p.family = AF_INET;
	p.direction = COAPSEC_DIR_OUT;
	p.action = COAPSEC_ACTION_PROTECT;
	p.context_id = 5;
	p.priority = 20;
	p.has_dst = true;
	p.dst[0] = 192;
	p.dst[2] = 2;
	p.dst_plen = 24;
	NL_OK(coapsec_nl_policy_new(self->nl, &p, &id1));

	memset(&p, 0, sizeof(p));
	p.family = AF_INET6;
	p.direction = COAPSEC_DIR_IN;
	p.action = COAPSEC_ACTION_VERIFY;
	p.priority = 10;
	p.has_dport = true;
	p.dport = 0;
	p.has_mark = true;
	p.mark = 0x10;
	p.mark_mask = 0xf0;
	p.ifindex = 1;
	NL_OK(coapsec_nl_policy_new(self->nl, &p, &id2));

	p.priority = 20;
	p.action = COAPSEC_ACTION_BYPASS;
	p.has_mark = false;
	p.ifindex = 0;
	NL_OK(coapsec_nl_policy_new(self->nl, &p, &id3));

	NL_OK(coapsec_nl_policy_get(self->nl, id1, &g));
	EXPECT_EQ(AF_INET, g.family);
	EXPECT_EQ(COAPSEC_DIR_OUT, g.direction);
	EXPECT_EQ(COAPSEC_ACTION_PROTECT, g.action);
	EXPECT_EQ(5, g.context_id);
	EXPECT_EQ(5683, g.dport);
	EXPECT_TRUE(g.has_dst);
	EXPECT_EQ(24, g.dst_plen);
	EXPECT_EQ(192, g.dst[0]);
	EXPECT_FALSE(g.has_src);

	NL_OK(coapsec_nl_policy_get(self->nl, id2, &g));
	EXPECT_EQ(0, g.dport);
	EXPECT_TRUE(g.has_mark);
	EXPECT_EQ(0x10, g.mark);
	EXPECT_EQ(0xf0, g.mark_mask);
	EXPECT_EQ(1, g.ifindex);

	/* Match order: priority, then insertion. */
	NL_OK(coapsec_nl_policy_dump(self->nl, count_policy, order));
	ASSERT_EQ(3, order[0]);
	EXPECT_EQ(id2, order[1]);
	EXPECT_EQ(id1, order[2]);
	EXPECT_EQ(id3, order[3]);

	/* A protected context cannot go; an unknown one cannot be used. */
	EXPECT_EQ(-EBUSY, coapsec_nl_context_del(self->nl, 5));
	EXPECT_NE(NULL, strstr(coapsec_nl_errmsg(self->nl), "policy"));
	memset(&p, 0, sizeof(p));
	p.family = AF_INET;
	p.direction = COAPSEC_DIR_FWD;
	p.action = COAPSEC_ACTION_PROTECT;
	p.context_id = 999;
	EXPECT_EQ(-ENOENT, coapsec_nl_policy_new(self->nl, &p, NULL));
	EXPECT_NE(NULL, strstr(coapsec_nl_errmsg(self->nl), "context-id"));

	NL_OK(coapsec_nl_policy_del(self->nl, id1));
	EXPECT_EQ(-ENOENT, coapsec_nl_policy_get(self->nl, id1, &g));
	NL_OK(coapsec_nl_context_del(self->nl, 5));
}

TEST_F(api, stats_and_flush)
{
	struct coapsec_context_info *c = &self->c;
	struct coapsec_policy_info p = { 0 };
	struct coapsec_stats_info s;
	unsigned int i;

	ctx_init(c, 0, 1);
	NL_OK(coapsec_nl_context_new(self->nl, c, NULL));
	ctx_init(c, 0, 2);
	NL_OK(coapsec_nl_context_new(self->nl, c, &c->id));
	p.family = AF_INET;
	p.direction = COAPSEC_DIR_IN;
	p.action = COAPSEC_ACTION_REQUIRE;
	NL_OK(coapsec_nl_policy_new(self->nl, &p, NULL));

	NL_OK(coapsec_nl_stats_get(self->nl, 0, &s));
	EXPECT_EQ(2, s.contexts);
	EXPECT_EQ(1, s.policies);
	EXPECT_GE(s.contexts_all, 2);
	for (i = 0; i < COAPSEC_NL_NUM_COUNTERS; i++)
		EXPECT_EQ(0, s.counters[i]);
	/*
	 * Both contexts' 4 materials are reserved or, from earlier tests
	 * with the same keys, remembered; the namespace is the initial user
	 * namespace's, bounded by retired_keys.
	 */
	EXPECT_TRUE(s.has_retired);
	EXPECT_GE(s.retired_keys + s.retired_reserved, 4);
	EXPECT_EQ(param("retired_keys"), s.retired_keys_max);
	NL_OK(coapsec_nl_stats_get(self->nl, c->id, &s));
	EXPECT_EQ(c->id, s.context_id);
	EXPECT_FALSE(s.has_retired);	/* the namespace's, not a context's */
	EXPECT_EQ(-ENOENT, coapsec_nl_stats_get(self->nl, 12345, &s));
	NL_OK(coapsec_nl_stats_reset(self->nl, 0));
	NL_OK(coapsec_nl_stats_reset(self->nl, c->id));

	NL_OK(coapsec_nl_flush(self->nl));
	NL_OK(coapsec_nl_stats_get(self->nl, 0, &s));
	EXPECT_EQ(0, s.contexts);
	EXPECT_EQ(0, s.policies);
	EXPECT_GE(s.retired_keys, 4);	/* remembered, none reserved */
	EXPECT_EQ(0, s.retired_reserved);
}

TEST_F(api, expiry_event)
{
	struct coapsec_context_info *c = &self->c;
	struct coapsec_nl *mon = coapsec_nl_open();
	struct coapsec_event ev;
	uint32_t id;

	ASSERT_NE(NULL, mon);
	ASSERT_EQ(0, coapsec_nl_events_subscribe(mon));
	ctx_init(c, 0, 1);
	c->lifetime = 1;
	NL_OK(coapsec_nl_context_new(self->nl, c, &id));
	ASSERT_EQ(1, coapsec_nl_event_recv(mon, &ev, 5000));
	EXPECT_EQ(COAPSEC_EVENT_EXPIRED, ev.type);
	EXPECT_EQ(id, ev.context_id);
	EXPECT_EQ(-ENOENT, coapsec_nl_context_get(self->nl, id, &self->got));
	coapsec_nl_close(mon);
}

/* Every reply byte of a dump and a get, searched for key material. */
struct raw_scan {
	const uint8_t *needles[3];
	size_t lens[3];
	unsigned int found, msgs;
};

static int raw_cb(const struct nlmsghdr *nlh, void *data)
{
	struct raw_scan *r = data;
	unsigned int i;

	r->msgs++;
	for (i = 0; i < 3; i++)
		if (memmem(nlh, nlh->nlmsg_len, r->needles[i], r->lens[i]))
			r->found++;
	return MNL_CB_OK;
}

TEST_F(api, keys_never_returned)
{
	struct coapsec_context_info *c = &self->c;
	struct raw_scan r = { 0 };
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	uint32_t id;

	ctx_init(c, 0, 1);
	memcpy(c->sender_key, "SENDERKEY-SECRET", 16);
	memcpy(c->recipients[0].key, "RECIPKEY-SECRET!", 16);
	memcpy(c->common_iv, "COMMON-IV-13b", 13);
	NL_OK(coapsec_nl_context_new(self->nl, c, &id));
	r.needles[0] = (const uint8_t *)"SENDERKEY-SECRET";
	r.needles[1] = (const uint8_t *)"RECIPKEY-SECRET!";
	r.needles[2] = (const uint8_t *)"COMMON-IV-13b";
	r.lens[0] = r.lens[1] = 16;
	r.lens[2] = 13;

	nlh = coapsec_nl_req_start(self->nl, COAPSEC_CMD_CONTEXT_GET,
				   NLM_F_DUMP);
	NL_OK(coapsec_nl_req_run(self->nl, nlh, raw_cb, &r));
	nlh = coapsec_nl_req_start(self->nl, COAPSEC_CMD_CONTEXT_GET, 0);
	nest = mnl_attr_nest_start(nlh, COAPSEC_A_CONTEXT);
	mnl_attr_put_u32(nlh, COAPSEC_A_CONTEXT_ID, id);
	mnl_attr_nest_end(nlh, nest);
	NL_OK(coapsec_nl_req_run(self->nl, nlh, raw_cb, &r));
	EXPECT_GE(r.msgs, 2);
	EXPECT_EQ(0, r.found);
}

/* ---- bad input matrix ---- */

enum how { OMIT, REPLACE, ADD };

struct bad_case {
	const char *what;
	uint8_t cmd;
	enum how how;
	int nest_level;		/* 0: in context/policy, 1: in recipient */
	uint16_t type;
	const void *data;
	uint16_t len;
	int err;
	const char *attr;	/* expected in the error message */
};

static const uint8_t k16[16], k32[32], iv13[13], b8[8], b40[40], b5[5];
static const uint32_t u32_0, u32_big = 5000, u32_11 = 11, u32_255 = 255;
static const uint64_t u64_big = 1ULL << 40;
static const uint16_t u16_1 = 1;
static const uint8_t u8_9 = 9, u8_99 = 99, u8_200 = 200;

#define CTX COAPSEC_CMD_CONTEXT_NEW
#define POL COAPSEC_CMD_POLICY_NEW
#define D(x) &(x), sizeof(x)

static const struct bad_case cases[] = {
	/* context-new: missing */
	{ "ctx: alg missing", CTX, OMIT, 0, COAPSEC_A_CONTEXT_ALG, NULL, 0, EINVAL, "context.alg" },
	{ "ctx: sender-id missing", CTX, OMIT, 0, COAPSEC_A_CONTEXT_SENDER_ID, NULL, 0, EINVAL, "context.sender-id" },
	{ "ctx: sender-key missing", CTX, OMIT, 0, COAPSEC_A_CONTEXT_SENDER_KEY, NULL, 0, EINVAL, "context.sender-key" },
	{ "ctx: common-iv missing", CTX, OMIT, 0, COAPSEC_A_CONTEXT_COMMON_IV, NULL, 0, EINVAL, "context.common-iv" },
	{ "ctx: recipient missing", CTX, OMIT, 0, COAPSEC_A_CONTEXT_RECIPIENT, NULL, 0, EINVAL, "context.recipient" },
	{ "ctx: recipient.id missing", CTX, OMIT, 1, COAPSEC_A_RECIPIENT_ID, NULL, 0, EINVAL, "context.recipient.id" },
	{ "ctx: recipient.key missing", CTX, OMIT, 1, COAPSEC_A_RECIPIENT_KEY, NULL, 0, EINVAL, "context.recipient.key" },
	/* wrong type (length of a fixed-size type) */
	{ "ctx: id as u16", CTX, REPLACE, 0, COAPSEC_A_CONTEXT_ID, D(u16_1), EINVAL, "context.id" },
	{ "ctx: alg as u8", CTX, REPLACE, 0, COAPSEC_A_CONTEXT_ALG, D(u8_9), EINVAL, "context.alg" },
	{ "ctx: seq-start as u32", CTX, REPLACE, 0, COAPSEC_A_CONTEXT_SEQ_START, D(u32_11), EINVAL, "context.seq-start" },
	{ "ctx: seq-soft-limit as u32", CTX, REPLACE, 0, COAPSEC_A_CONTEXT_SEQ_SOFT_LIMIT, D(u32_11), EINVAL, "context.seq-soft-limit" },
	{ "ctx: seq-hard-limit as u32", CTX, REPLACE, 0, COAPSEC_A_CONTEXT_SEQ_HARD_LIMIT, D(u32_11), EINVAL, "context.seq-hard-limit" },
	{ "ctx: lifetime as u8", CTX, REPLACE, 0, COAPSEC_A_CONTEXT_LIFETIME, D(u8_9), EINVAL, "context.lifetime" },
	{ "ctx: flags as u64", CTX, REPLACE, 0, COAPSEC_A_CONTEXT_FLAGS, D(u64_big), EINVAL, "context.flags" },
	{ "ctx: recipient not nested", CTX, REPLACE, 0, COAPSEC_A_CONTEXT_RECIPIENT, D(u32_11), EINVAL, "context.recipient" },
	{ "ctx: replay-window as u8", CTX, REPLACE, 1, COAPSEC_A_RECIPIENT_REPLAY_WINDOW, D(u8_9), EINVAL, "context.recipient.replay-window" },
	/* oversized */
	{ "ctx: sender-id 8 bytes", CTX, REPLACE, 0, COAPSEC_A_CONTEXT_SENDER_ID, D(b8), ERANGE, "context.sender-id" },
	{ "ctx: sender-key 40 bytes", CTX, REPLACE, 0, COAPSEC_A_CONTEXT_SENDER_KEY, D(b40), ERANGE, "context.sender-key" },
	{ "ctx: common-iv 40 bytes", CTX, REPLACE, 0, COAPSEC_A_CONTEXT_COMMON_IV, D(b40), ERANGE, "context.common-iv" },
	{ "ctx: id-context 40 bytes", CTX, REPLACE, 0, COAPSEC_A_CONTEXT_ID_CONTEXT, D(b40), ERANGE, "context.id-context" },
	{ "ctx: recipient.id 8 bytes", CTX, REPLACE, 1, COAPSEC_A_RECIPIENT_ID, D(b8), ERANGE, "context.recipient.id" },
	{ "ctx: recipient.key 40 bytes", CTX, REPLACE, 1, COAPSEC_A_RECIPIENT_KEY, D(b40), ERANGE, "context.recipient.key" },
	/* lengths per algorithm, checked by the handler */
	{ "ctx: sender-key 32 bytes for CCM", CTX, REPLACE, 0, COAPSEC_A_CONTEXT_SENDER_KEY, D(k32), EINVAL, "context.sender-key" },
	{ "ctx: recipient.key 32 bytes for CCM", CTX, REPLACE, 1, COAPSEC_A_RECIPIENT_KEY, D(k32), EINVAL, "context.recipient.key" },
	{ "ctx: common-iv 8 bytes for CCM", CTX, REPLACE, 0, COAPSEC_A_CONTEXT_COMMON_IV, D(b8), EINVAL, "context.common-iv" },
	{ "ctx: sender-key 5 bytes", CTX, REPLACE, 0, COAPSEC_A_CONTEXT_SENDER_KEY, D(b5), ERANGE, "context.sender-key" },
	/* out of range */
	{ "ctx: id 0", CTX, REPLACE, 0, COAPSEC_A_CONTEXT_ID, D(u32_0), ERANGE, "context.id" },
	{ "ctx: alg 11", CTX, REPLACE, 0, COAPSEC_A_CONTEXT_ALG, D(u32_11), EINVAL, "context.alg" },
	{ "ctx: seq-start 2^40", CTX, REPLACE, 0, COAPSEC_A_CONTEXT_SEQ_START, D(u64_big), ERANGE, "context.seq-start" },
	{ "ctx: seq-hard-limit 2^40", CTX, REPLACE, 0, COAPSEC_A_CONTEXT_SEQ_HARD_LIMIT, D(u64_big), ERANGE, "context.seq-hard-limit" },
	{ "ctx: flags unknown bit", CTX, REPLACE, 0, COAPSEC_A_CONTEXT_FLAGS, D(u32_255), EINVAL, "context.flags" },
	{ "ctx: grace without swap", CTX, ADD, 0, COAPSEC_A_CONTEXT_GRACE, D(u32_11), EINVAL, "context.grace" },
	{ "ctx: grace 5000", CTX, ADD, 0, COAPSEC_A_CONTEXT_GRACE, D(u32_big), ERANGE, "context.grace" },
	{ "ctx: replay-window 0", CTX, REPLACE, 1, COAPSEC_A_RECIPIENT_REPLAY_WINDOW, D(u32_0), ERANGE, "context.recipient.replay-window" },
	{ "ctx: replay-window 5000", CTX, REPLACE, 1, COAPSEC_A_RECIPIENT_REPLAY_WINDOW, D(u32_big), ERANGE, "context.recipient.replay-window" },
	/* read-only and unknown attributes */
	{ "ctx: state is read-only", CTX, ADD, 0, COAPSEC_A_CONTEXT_STATE, D(u8_9), EINVAL, "context.state" },
	{ "ctx: seq is read-only", CTX, ADD, 0, COAPSEC_A_CONTEXT_SEQ, D(u64_big), EINVAL, "context.seq" },
	{ "ctx: unknown attribute", CTX, ADD, 0, COAPSEC_A_CONTEXT_MAX + 1, D(u32_11), EINVAL, "context.attr" },
	{ "ctx: unknown recipient attribute", CTX, ADD, 1, COAPSEC_A_RECIPIENT_MAX + 1, D(u32_11), EINVAL, "context.recipient.attr" },
	/* policy-new */
	{ "pol: family missing", POL, OMIT, 0, COAPSEC_A_POLICY_FAMILY, NULL, 0, EINVAL, "policy.family" },
	{ "pol: direction missing", POL, OMIT, 0, COAPSEC_A_POLICY_DIRECTION, NULL, 0, EINVAL, "policy.direction" },
	{ "pol: action missing", POL, OMIT, 0, COAPSEC_A_POLICY_ACTION, NULL, 0, EINVAL, "policy.action" },
	{ "pol: family 99", POL, REPLACE, 0, COAPSEC_A_POLICY_FAMILY, D(u8_99), EAFNOSUPPORT, "policy.family" },
	{ "pol: family as u32", POL, REPLACE, 0, COAPSEC_A_POLICY_FAMILY, D(u32_11), EINVAL, "policy.family" },
	{ "pol: direction 9", POL, REPLACE, 0, COAPSEC_A_POLICY_DIRECTION, D(u8_9), ERANGE, "policy.direction" },
	{ "pol: action 9", POL, REPLACE, 0, COAPSEC_A_POLICY_ACTION, D(u8_9), ERANGE, "policy.action" },
	{ "pol: dport as u32", POL, ADD, 0, COAPSEC_A_POLICY_DPORT, D(u32_11), EINVAL, "policy.dport" },
	{ "pol: src 5 bytes for inet", POL, ADD, 0, COAPSEC_A_POLICY_SRC, D(b5), EINVAL, "policy.src" },
	{ "pol: dst 40 bytes", POL, ADD, 0, COAPSEC_A_POLICY_DST, D(b40), ERANGE, "policy.dst" },
	{ "pol: src-prefixlen 200", POL, ADD, 0, COAPSEC_A_POLICY_SRC_PREFIXLEN, D(u8_200), ERANGE, "policy.src-prefixlen" },
	{ "pol: prefixlen without address", POL, ADD, 0, COAPSEC_A_POLICY_DST_PREFIXLEN, D(u8_9), EINVAL, "policy.dst-prefixlen" },
	{ "pol: ifindex 0", POL, ADD, 0, COAPSEC_A_POLICY_IFINDEX, D(u32_0), ERANGE, "policy.ifindex" },
	{ "pol: mark-mask without mark", POL, ADD, 0, COAPSEC_A_POLICY_MARK_MASK, D(u32_11), EINVAL, "policy.mark-mask" },
	{ "pol: context-id with bypass", POL, ADD, 0, COAPSEC_A_POLICY_CONTEXT_ID, D(u32_11), EINVAL, "policy.context-id" },
	{ "pol: unknown attribute", POL, ADD, 0, COAPSEC_A_POLICY_MAX + 1, D(u32_11), EINVAL, "policy.attr" },
};

static void put_or(struct nlmsghdr *nlh, const struct bad_case *bc, int level,
		   uint16_t type, size_t len, const void *data)
{
	if (bc->nest_level == level && bc->type == type) {
		if (bc->how == REPLACE)
			mnl_attr_put(nlh, type, bc->len, bc->data);
		return;		/* OMIT, or ADD of an existing type */
	}
	mnl_attr_put(nlh, type, len, data);
}

static struct nlmsghdr *bad_request(struct coapsec_nl *nl,
				    const struct bad_case *bc)
{
	static const uint32_t alg = 10, id = 42;
	static const uint8_t sid[1] = { 0 }, rid[1] = { 1 };
	static const uint8_t fam = AF_INET, dir = COAPSEC_DIR_IN;
	static const uint8_t act = COAPSEC_ACTION_BYPASS;
	struct nlmsghdr *nlh = coapsec_nl_req_start(nl, bc->cmd, 0);
	struct nlattr *nest, *rn;

	if (bc->cmd == CTX) {
		nest = mnl_attr_nest_start(nlh, COAPSEC_A_CONTEXT);
		put_or(nlh, bc, 0, COAPSEC_A_CONTEXT_ID, 4, &id);
		put_or(nlh, bc, 0, COAPSEC_A_CONTEXT_ALG, 4, &alg);
		put_or(nlh, bc, 0, COAPSEC_A_CONTEXT_SENDER_ID, 1, sid);
		put_or(nlh, bc, 0, COAPSEC_A_CONTEXT_SENDER_KEY, 16, k16);
		put_or(nlh, bc, 0, COAPSEC_A_CONTEXT_COMMON_IV, 13, iv13);
		if (bc->nest_level == 0 && bc->type == COAPSEC_A_CONTEXT_RECIPIENT) {
			if (bc->how == REPLACE)
				mnl_attr_put(nlh, bc->type, bc->len, bc->data);
		} else {
			rn = mnl_attr_nest_start(nlh, COAPSEC_A_CONTEXT_RECIPIENT);
			put_or(nlh, bc, 1, COAPSEC_A_RECIPIENT_ID, 1, rid);
			put_or(nlh, bc, 1, COAPSEC_A_RECIPIENT_KEY, 16, k16);
			if (bc->nest_level == 1 && bc->how != OMIT &&
			    bc->type != COAPSEC_A_RECIPIENT_ID &&
			    bc->type != COAPSEC_A_RECIPIENT_KEY)
				mnl_attr_put(nlh, bc->type, bc->len, bc->data);
			mnl_attr_nest_end(nlh, rn);
		}
		/* Attributes the base request does not have are added here. */
		if (bc->nest_level == 0 && bc->how != OMIT &&
		    bc->type != COAPSEC_A_CONTEXT_ID &&
		    bc->type != COAPSEC_A_CONTEXT_ALG &&
		    bc->type != COAPSEC_A_CONTEXT_SENDER_ID &&
		    bc->type != COAPSEC_A_CONTEXT_SENDER_KEY &&
		    bc->type != COAPSEC_A_CONTEXT_COMMON_IV &&
		    bc->type != COAPSEC_A_CONTEXT_RECIPIENT)
			mnl_attr_put(nlh, bc->type, bc->len, bc->data);
	} else {
		nest = mnl_attr_nest_start(nlh, COAPSEC_A_POLICY);
		put_or(nlh, bc, 0, COAPSEC_A_POLICY_FAMILY, 1, &fam);
		put_or(nlh, bc, 0, COAPSEC_A_POLICY_DIRECTION, 1, &dir);
		put_or(nlh, bc, 0, COAPSEC_A_POLICY_ACTION, 1, &act);
		if (bc->how == ADD)
			mnl_attr_put(nlh, bc->type, bc->len, bc->data);
	}
	mnl_attr_nest_end(nlh, nest);
	return nlh;
}

TEST_F(api, bad_input_matrix)
{
	unsigned int i, failed = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bad_case *bc = &cases[i];
		struct nlmsghdr *nlh = bad_request(self->nl, bc);
		int err = coapsec_nl_req_run(self->nl, nlh, NULL, NULL);
		const char *msg = coapsec_nl_errmsg(self->nl);
		bool ok = err == -bc->err && strstr(msg, bc->attr);

		if (!ok) {
			failed++;
			TH_LOG("%s: got %d '%s', want %d naming %s", bc->what,
			       err, msg, -bc->err, bc->attr);
		} else {
			TH_LOG("%s: %s", bc->what, msg);
		}
		/* Nothing was created by a refused request. */
		if (err == 0)
			coapsec_nl_flush(self->nl);
	}
	EXPECT_EQ(0, failed);
}

TEST_F(api, unknown_top_level_attribute_and_command)
{
	struct nlmsghdr *nlh;
	int err;

	nlh = coapsec_nl_req_start(self->nl, COAPSEC_CMD_FLUSH, 0);
	mnl_attr_put_u32(nlh, COAPSEC_A_MAX + 1, 1);
	err = coapsec_nl_req_run(self->nl, nlh, NULL, NULL);
	EXPECT_EQ(-EINVAL, err);
	EXPECT_NE(0, coapsec_nl_errmsg(self->nl)[0]);

	/* A nest a command does not take is refused, not ignored. */
	nlh = coapsec_nl_req_start(self->nl, COAPSEC_CMD_FLUSH, 0);
	mnl_attr_nest_end(nlh, mnl_attr_nest_start(nlh, COAPSEC_A_CONTEXT));
	EXPECT_EQ(-EINVAL, coapsec_nl_req_run(self->nl, nlh, NULL, NULL));

	/* context-del takes only the ID. */
	nlh = coapsec_nl_req_start(self->nl, COAPSEC_CMD_CONTEXT_DEL, 0);
	{
		struct nlattr *n = mnl_attr_nest_start(nlh, COAPSEC_A_CONTEXT);

		mnl_attr_put_u32(nlh, COAPSEC_A_CONTEXT_ID, 1);
		mnl_attr_put(nlh, COAPSEC_A_CONTEXT_SENDER_KEY, 16, k16);
		mnl_attr_nest_end(nlh, n);
	}
	EXPECT_EQ(-EINVAL, coapsec_nl_req_run(self->nl, nlh, NULL, NULL));
	TH_LOG("context-del with a key: %s", coapsec_nl_errmsg(self->nl));

	nlh = coapsec_nl_req_start(self->nl, COAPSEC_CMD_MAX + 1, 0);
	EXPECT_EQ(-EOPNOTSUPP, coapsec_nl_req_run(self->nl, nlh, NULL, NULL));

	/* Missing nests. */
	nlh = coapsec_nl_req_start(self->nl, COAPSEC_CMD_CONTEXT_NEW, 0);
	EXPECT_EQ(-EINVAL, coapsec_nl_req_run(self->nl, nlh, NULL, NULL));
	EXPECT_NE(NULL, strstr(coapsec_nl_errmsg(self->nl), "context"));
	nlh = coapsec_nl_req_start(self->nl, COAPSEC_CMD_POLICY_DEL, 0);
	EXPECT_EQ(-EINVAL, coapsec_nl_req_run(self->nl, nlh, NULL, NULL));
	EXPECT_NE(NULL, strstr(coapsec_nl_errmsg(self->nl), "policy"));
}

/* What a dump shows of context @id: once, with all its recipients. */
struct big_seen {
	uint32_t id;
	unsigned int seen, n, last;
};

static int big_cb(const struct coapsec_context_info *c, void *data)
{
	struct big_seen *b = data;

	if (c->id != b->id)
		return 0;
	b->seen++;
	b->n = c->n_recipients;
	if (c->n_recipients && c->recipients[c->n_recipients - 1].id_len == 3)
		b->last = c->recipients[c->n_recipients - 1].id[1] << 8 |
			  c->recipients[c->n_recipients - 1].id[2];
	return 0;
}

/* Rejections that need more than one attribute to be wrong together. */
TEST_F(api, more_rejections)
{
	struct coapsec_context_info *c = &self->c;
	struct coapsec_policy_info p = { 0 };
	struct coapsec_stats_info st;
	struct nlmsghdr *nlh;
	unsigned int i;
	uint32_t id = 0;

	/* swap names the context it replaces */
	ctx_init(c, 0, 1);
	EXPECT_EQ(-EINVAL, coapsec_nl_context_swap(self->nl, c));
	EXPECT_NE(NULL, strstr(coapsec_nl_errmsg(self->nl), "context.id"));

	/* del and get need the ID inside the nest */
	nlh = coapsec_nl_req_start(self->nl, COAPSEC_CMD_CONTEXT_DEL, 0);
	mnl_attr_nest_end(nlh, mnl_attr_nest_start(nlh, COAPSEC_A_CONTEXT));
	EXPECT_EQ(-EINVAL, coapsec_nl_req_run(self->nl, nlh, NULL, NULL));
	EXPECT_NE(NULL, strstr(coapsec_nl_errmsg(self->nl), "context.id"));
	nlh = coapsec_nl_req_start(self->nl, COAPSEC_CMD_POLICY_GET, 0);
	mnl_attr_nest_end(nlh, mnl_attr_nest_start(nlh, COAPSEC_A_POLICY));
	EXPECT_EQ(-EINVAL, coapsec_nl_req_run(self->nl, nlh, NULL, NULL));
	EXPECT_NE(NULL, strstr(coapsec_nl_errmsg(self->nl), "policy.id"));

	/* the same recipient ID twice in one context */
	ctx_init(c, 0, 1);
	c->n_recipients = 2;
	c->recipients[1] = c->recipients[0];
	EXPECT_EQ(-EINVAL, coapsec_nl_context_new(self->nl, c, NULL));
	EXPECT_NE(NULL, strstr(coapsec_nl_errmsg(self->nl),
			       "context.recipient.id"));

	/* COAPSEC_MAX_RECIPIENTS, then more */
	ctx_init(c, 0, 1);
	for (i = 0; i < COAPSEC_MAX_RECIPIENTS; i++) {
		c->recipients[i] = c->recipients[0];
		c->recipients[i].id_len = 3;
		c->recipients[i].id[1] = i >> 8;
		c->recipients[i].id[2] = i;
	}
	c->n_recipients = COAPSEC_MAX_RECIPIENTS;
	EXPECT_EQ(0, coapsec_nl_context_new(self->nl, c, &id))
		TH_LOG("%s", coapsec_nl_errmsg(self->nl));
	/* It comes back whole: a GET reply, and a dump in several parts. */
	NL_OK(coapsec_nl_context_get(self->nl, id, &self->got));
	EXPECT_EQ(COAPSEC_MAX_RECIPIENTS, self->got.n_recipients);
	EXPECT_EQ(0, memcmp(self->got.recipients[COAPSEC_MAX_RECIPIENTS - 1].id,
			    c->recipients[COAPSEC_MAX_RECIPIENTS - 1].id, 3));
	{
		struct big_seen b = { .id = id };

		NL_OK(coapsec_nl_context_dump(self->nl, big_cb, &b));
		EXPECT_EQ(1, b.seen);
		EXPECT_EQ(COAPSEC_MAX_RECIPIENTS, b.n);
		EXPECT_EQ(COAPSEC_MAX_RECIPIENTS - 1, b.last);
	}
	EXPECT_EQ(0, coapsec_nl_context_del(self->nl, id));
	nlh = coapsec_nl_req_start(self->nl, COAPSEC_CMD_CONTEXT_NEW, 0);
	{
		static const uint8_t k[16], iv[13], sid[1];
		struct nlattr *n = mnl_attr_nest_start(nlh, COAPSEC_A_CONTEXT);

		mnl_attr_put_u32(nlh, COAPSEC_A_CONTEXT_ALG, 10);
		mnl_attr_put(nlh, COAPSEC_A_CONTEXT_SENDER_ID, 1, sid);
		mnl_attr_put(nlh, COAPSEC_A_CONTEXT_SENDER_KEY, 16, k);
		mnl_attr_put(nlh, COAPSEC_A_CONTEXT_COMMON_IV, 13, iv);
		/* A nest holds 64 KiB: the rest at the top level. */
		for (i = 0; i <= COAPSEC_MAX_RECIPIENTS; i++) {
			struct nlattr *r;
			uint8_t rid[3] = { 0x77, i >> 8, i };

			if (i == 1000)
				mnl_attr_nest_end(nlh, n);
			r = mnl_attr_nest_start(nlh, i < 1000 ?
						COAPSEC_A_CONTEXT_RECIPIENT :
						COAPSEC_A_RECIPIENT);
			mnl_attr_put(nlh, COAPSEC_A_RECIPIENT_ID, 3, rid);
			mnl_attr_put(nlh, COAPSEC_A_RECIPIENT_KEY, 16, k);
			mnl_attr_nest_end(nlh, r);
		}
	}
	EXPECT_EQ(-E2BIG, coapsec_nl_req_run(self->nl, nlh, NULL, NULL));
	EXPECT_NE(NULL, strstr(coapsec_nl_errmsg(self->nl), "context.recipient"));
	/* The extack points at the recipient past the limit. */
	EXPECT_STREQ("recipient", coapsec_nl_err_attr(self->nl));

	/* soft limit above the hard limit */
	ctx_init(c, 0, 3);
	c->seq_soft_limit = 100;
	c->seq_hard_limit = 50;
	EXPECT_EQ(-ERANGE, coapsec_nl_context_new(self->nl, c, NULL));
	EXPECT_NE(NULL, strstr(coapsec_nl_errmsg(self->nl), "seq-soft-limit"));

	/* a 12-byte IV and 32-byte keys are right for ChaCha20/Poly1305 only */
	ctx_init(c, 0, 3);
	c->alg = 24;
	c->common_iv_len = 12;
	c->sender_key_len = 32;
	c->recipients[0].key_len = 32;
	EXPECT_EQ(0, coapsec_nl_context_new(self->nl, c, NULL))
		TH_LOG("%s", coapsec_nl_errmsg(self->nl));
	/* and a 7-byte kid is too long for its 12-byte nonce */
	ctx_init(c, 0, 4);
	c->alg = 24;
	c->common_iv_len = 12;
	c->sender_key_len = 32;
	c->recipients[0].key_len = 32;
	c->recipients[0].id_len = 7;
	EXPECT_EQ(-EINVAL, coapsec_nl_context_new(self->nl, c, NULL));
	EXPECT_NE(NULL, strstr(coapsec_nl_errmsg(self->nl),
			       "context.recipient.id"));

	/* protect is for out and fwd; host bits beyond the prefix */
	p.family = AF_INET;
	p.direction = COAPSEC_DIR_IN;
	p.action = COAPSEC_ACTION_PROTECT;
	p.context_id = 1;
	EXPECT_EQ(-EINVAL, coapsec_nl_policy_new(self->nl, &p, NULL));
	EXPECT_NE(NULL, strstr(coapsec_nl_errmsg(self->nl), "policy.action"));
	memset(&p, 0, sizeof(p));
	p.family = AF_INET;
	p.direction = COAPSEC_DIR_IN;
	p.action = COAPSEC_ACTION_VERIFY;
	p.has_src = true;
	p.src[0] = 10;
	p.src[3] = 1;
	p.src_plen = 8;
	EXPECT_EQ(-EINVAL, coapsec_nl_policy_new(self->nl, &p, NULL));
	EXPECT_NE(NULL, strstr(coapsec_nl_errmsg(self->nl), "policy.src"));
	p.has_mark = true;
	p.src[3] = 0;
	p.mark = 0x100;
	p.mark_mask = 0xff;
	EXPECT_EQ(-EINVAL, coapsec_nl_policy_new(self->nl, &p, NULL));
	EXPECT_NE(NULL, strstr(coapsec_nl_errmsg(self->nl), "policy.mark"));
	p.has_mark = false;
	p.id = 9;
	EXPECT_EQ(0, coapsec_nl_policy_new(self->nl, &p, NULL));
	EXPECT_EQ(-EEXIST, coapsec_nl_policy_new(self->nl, &p, NULL));
	EXPECT_NE(NULL, strstr(coapsec_nl_errmsg(self->nl), "policy.id"));

	/* stats of context 0 is not "the namespace" */
	nlh = coapsec_nl_req_start(self->nl, COAPSEC_CMD_STATS_GET, 0);
	{
		struct nlattr *n = mnl_attr_nest_start(nlh, COAPSEC_A_STATS);

		mnl_attr_put_u32(nlh, COAPSEC_A_STATS_CONTEXT_ID, 0);
		mnl_attr_nest_end(nlh, n);
	}
	EXPECT_EQ(-ERANGE, coapsec_nl_req_run(self->nl, nlh, NULL, NULL));
	EXPECT_NE(NULL, strstr(coapsec_nl_errmsg(self->nl), "stats.context-id"));
	EXPECT_EQ(0, coapsec_nl_stats_get(self->nl, 0, &st));
}

/*
 * Action queue: queue-num required with it and only with it, 0..65535,
 * each refusal naming policy.queue-num; the number comes back.
 */
TEST_F(api, policy_queue)
{
	struct coapsec_policy_info p = { 0 }, g;
	uint32_t id = 0;

	p.family = AF_INET;
	p.direction = COAPSEC_DIR_OUT;
	p.action = COAPSEC_ACTION_QUEUE;
	EXPECT_EQ(-EINVAL, coapsec_nl_policy_new(self->nl, &p, NULL));
	EXPECT_STREQ("policy.queue-num: required with action queue",
		     coapsec_nl_errmsg(self->nl));
	EXPECT_STREQ("policy.queue-num", coapsec_nl_err_attr(self->nl));

	p.has_queue_num = true;
	p.queue_num = COAPSEC_MAX_QUEUE_NUM + 1;
	EXPECT_EQ(-ERANGE, coapsec_nl_policy_new(self->nl, &p, NULL));
	EXPECT_NE(NULL, strstr(coapsec_nl_errmsg(self->nl), "policy.queue-num"))
		TH_LOG("%s", coapsec_nl_errmsg(self->nl));
	EXPECT_STREQ("policy.queue-num", coapsec_nl_err_attr(self->nl));

	p.action = COAPSEC_ACTION_BYPASS;
	p.queue_num = 1;
	EXPECT_EQ(-EINVAL, coapsec_nl_policy_new(self->nl, &p, NULL));
	EXPECT_STREQ("policy.queue-num: only with action queue",
		     coapsec_nl_errmsg(self->nl));
	EXPECT_STREQ("policy.queue-num", coapsec_nl_err_attr(self->nl));

	p.action = COAPSEC_ACTION_QUEUE;
	p.queue_num = COAPSEC_MAX_QUEUE_NUM;
	NL_OK(coapsec_nl_policy_new(self->nl, &p, &id));
	NL_OK(coapsec_nl_policy_get(self->nl, id, &g));
	EXPECT_EQ(COAPSEC_ACTION_QUEUE, g.action);
	EXPECT_TRUE(g.has_queue_num);
	EXPECT_EQ(COAPSEC_MAX_QUEUE_NUM, g.queue_num);
	EXPECT_STREQ("queue", coapsec_nl_action_name(g.action));
	/* Queue 0 is a queue: it comes back too. */
	p.direction = COAPSEC_DIR_IN;
	p.queue_num = 0;
	NL_OK(coapsec_nl_policy_new(self->nl, &p, &id));
	NL_OK(coapsec_nl_policy_get(self->nl, id, &g));
	EXPECT_TRUE(g.has_queue_num);
	EXPECT_EQ(0, g.queue_num);
}

/*
 * agent-register: one socket per queue, the same one again is fine, the
 * registration ends with the socket (NETLINK_URELEASE).
 */
TEST_F(api, agent_register)
{
	struct coapsec_nl *a = coapsec_nl_open(), *b = coapsec_nl_open();

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	EXPECT_EQ(0, coapsec_nl_agent_register(a, 7))
		TH_LOG("%s", coapsec_nl_errmsg(a));
	EXPECT_EQ(0, coapsec_nl_agent_register(a, 7));
	EXPECT_EQ(0, coapsec_nl_agent_register(a, 8));
	EXPECT_EQ(-EBUSY, coapsec_nl_agent_register(b, 7));
	EXPECT_STREQ("agent.queue-num: another socket is this queue's agent",
		     coapsec_nl_errmsg(b));
	EXPECT_EQ(-ERANGE, coapsec_nl_agent_register(b, 65536));
	EXPECT_STREQ("agent.queue-num", coapsec_nl_err_attr(b));
	/* Closing a frees both of its queues for b. */
	coapsec_nl_close(a);
	EXPECT_EQ(0, coapsec_nl_agent_register(b, 7))
		TH_LOG("%s", coapsec_nl_errmsg(b));
	EXPECT_EQ(0, coapsec_nl_agent_register(b, 8))
		TH_LOG("%s", coapsec_nl_errmsg(b));
	EXPECT_EQ(-EBUSY, coapsec_nl_agent_register(self->nl, 8));
	coapsec_nl_close(b);
	EXPECT_EQ(0, coapsec_nl_agent_register(self->nl, 8))
		TH_LOG("%s", coapsec_nl_errmsg(self->nl));
}

TEST_HARNESS_MAIN
