// SPDX-License-Identifier: GPL-2.0
/*
 * keypush's selector logic, without a kernel: which leftover policies
 * are held while a configured policy is refused (holds(), overlaps()),
 * which policies move to keep the configuration's order, and the moves
 * themselves against a model of the kernel's policy list (the netlink
 * policy calls are wrapped: agent/agent.mk).  The file is included
 * whole: the functions are static.
 */
#include <arpa/inet.h>

#include "kselftest_harness.h"
#include "agent/keypush.c"

static struct coapsec_policy_info v4(uint8_t action, const char *dst,
				     unsigned int plen)
{
	struct coapsec_policy_info p = {
		.family = AF_INET, .direction = COAPSEC_DIR_OUT,
		.action = action, .has_dst = true, .dst_plen = plen,
		.has_dport = true, .dport = COAPSEC_DEFAULT_PORT,	/* as dumped */
	};

	inet_pton(AF_INET, dst, p.dst);
	return p;
}

#define PROTECT COAPSEC_ACTION_PROTECT
#define QUEUE COAPSEC_ACTION_QUEUE

TEST(widened_prefix_holds_the_narrow_leftover)
{
	struct coapsec_policy_info l = v4(QUEUE, "10.0.5.1", 32);
	struct coapsec_policy_info w = v4(PROTECT, "10.0.5.0", 24);

	EXPECT_TRUE(holds(&l, &w));
	/* Narrowed: the wide leftover holds too (it covers the new one). */
	EXPECT_TRUE(holds(&w, &l));
	w = v4(QUEUE, "10.0.6.0", 24);
	EXPECT_FALSE(holds(&l, &w));
}

TEST(prefix_bits_past_a_byte)
{
	struct coapsec_policy_info a = v4(PROTECT, "10.0.5.128", 25);
	struct coapsec_policy_info b = v4(PROTECT, "10.0.5.0", 25);
	struct coapsec_policy_info c = v4(PROTECT, "10.0.5.192", 26);

	EXPECT_FALSE(overlaps(&a, &b));
	EXPECT_TRUE(overlaps(&a, &c));
	EXPECT_FALSE(overlaps(&b, &c));
	b = v4(PROTECT, "0.0.0.0", 0);
	EXPECT_TRUE(overlaps(&a, &b));
	b.has_dst = false;
	EXPECT_TRUE(overlaps(&a, &b));
}

TEST(ipv6_prefixes)
{
	struct coapsec_policy_info a = v4(PROTECT, "0.0.0.0", 0);
	struct coapsec_policy_info b = a;

	a.family = AF_INET6;
	b.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1", a.dst);
	a.dst_plen = 128;
	inet_pton(AF_INET6, "2001:db8::", b.dst);
	b.dst_plen = 64;
	EXPECT_TRUE(overlaps(&a, &b));
	inet_pton(AF_INET6, "2001:db9::", b.dst);
	EXPECT_FALSE(overlaps(&a, &b));
	b.family = AF_INET;
	EXPECT_FALSE(overlaps(&a, &b));
}

TEST(ports_marks_direction_interface)
{
	struct coapsec_policy_info a = v4(PROTECT, "10.0.5.1", 32);
	struct coapsec_policy_info b = v4(QUEUE, "10.0.5.0", 24);

	/* Absent (configured): the kernel's default port. */
	b.has_dport = false;
	EXPECT_TRUE(overlaps(&a, &b));
	b.has_dport = true;
	b.dport = 5699;
	EXPECT_FALSE(overlaps(&a, &b));
	b.dport = 0;	/* any */
	EXPECT_TRUE(overlaps(&a, &b));
	a.has_mark = true;
	b.has_mark = true;
	a.mark = 0x10;
	a.mark_mask = 0xf0;
	b.mark = 0x01;
	b.mark_mask = 0x0f;
	EXPECT_TRUE(overlaps(&a, &b));
	b.mark = 0x21;
	b.mark_mask = 0xff;
	EXPECT_FALSE(overlaps(&a, &b));
	b.has_mark = false;
	EXPECT_TRUE(overlaps(&a, &b));
	a.ifindex = 2;
	EXPECT_TRUE(overlaps(&a, &b));
	b.ifindex = 3;
	EXPECT_FALSE(overlaps(&a, &b));
	b.ifindex = 2;
	b.direction = COAPSEC_DIR_IN;
	EXPECT_FALSE(overlaps(&a, &b));
}

TEST(actions)
{
	static const struct {
		uint8_t left, want, plen;	/* plen: @want's, @left's 32 */
		bool held;
	} cases[] = {
		/* A bypass keeps nothing from clear: never held for protect. */
		{ COAPSEC_ACTION_BYPASS, PROTECT, 32, false },
		{ PROTECT, QUEUE, 24, true },
		/* A fwd require keeps plain out as protect would: held. */
		{ COAPSEC_ACTION_REQUIRE, PROTECT, 24, true },
		{ COAPSEC_ACTION_VERIFY, PROTECT, 32, false },
		/* Other actions: the same action and the same messages only. */
		{ COAPSEC_ACTION_REQUIRE, COAPSEC_ACTION_REQUIRE, 32, true },
		{ COAPSEC_ACTION_REQUIRE, COAPSEC_ACTION_REQUIRE, 24, false },
		{ COAPSEC_ACTION_BYPASS, COAPSEC_ACTION_REQUIRE, 32, false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct coapsec_policy_info l = v4(cases[i].left, "10.0.5.1", 32);
		struct coapsec_policy_info w = v4(cases[i].want, "10.0.5.1",
						  cases[i].plen);

		EXPECT_EQ(cases[i].held, holds(&l, &w)) TH_LOG("case %zu", i);
	}
}

/*
 * A leftover held for two refused policies stays while either is out
 * (released only once both are in: that path deletes through netlink,
 * not here).
 */
TEST(held_while_any_refused_overlaps)
{
	struct keypush kp = { 0 };
	struct coapsec_policy_info l = v4(QUEUE, "10.0.5.1", 32);
	struct coapsec_policy_info a = v4(PROTECT, "10.0.5.0", 24);
	struct coapsec_policy_info b = v4(PROTECT, "10.0.0.0", 16);

	strcpy(l.owner, "coapsecd:server:s/policy:1");
	strcpy(a.owner, "coapsecd:server:s/policy:1");
	strcpy(b.owner, "coapsecd:server:s/policy:2");
	ASSERT_EQ(0, left_add(&kp.pols, 7, l.owner, &l));
	hold_left(&kp, &a);
	hold_left(&kp, &b);
	hold_left(&kp, &a);	/* refused again: recorded once */
	ASSERT_EQ(1, kp.pols.n);
	EXPECT_TRUE(kp.pols.v[0].held);
	EXPECT_EQ(2, kp.refused.n);
	release_held(&kp, &a, 1);
	ASSERT_EQ(1, kp.pols.n);
	EXPECT_TRUE(kp.pols.v[0].held);
	EXPECT_EQ(1, kp.refused.n);
	EXPECT_STREQ(b.owner, kp.refused.v[0].tag);
	free(kp.pols.v);
	free(kp.refused.v);
}

/*
 * The wait doubles from 1 s while the kernel refuses, and stays under
 * the 30 s resync, so that no resync goes without a try.
 */
TEST(retry_backs_off)
{
	uint64_t wait = 0;
	unsigned int tries;

	EXPECT_EQ(1000, retry_after(0));
	EXPECT_EQ(2000, retry_after(1000));
	EXPECT_EQ(16000, retry_after(8000));
	for (tries = 0; tries < 100; tries++) {
		uint64_t next = retry_after(wait);

		ASSERT_GE(next, wait);
		ASSERT_LT(next, 30000);
		wait = next;
	}
	EXPECT_EQ(RETRY_MAX_MS, wait);
	/* The cap is reached in a handful of tries, not after minutes. */
	EXPECT_EQ(RETRY_MAX_MS, retry_after(retry_after(retry_after(
		  retry_after(retry_after(retry_after(0)))))));
}

/* A refused delete is not tried again before its wait is over. */
TEST(retry_waits)
{
	struct keypush kp = { 0 };

	ASSERT_EQ(0, left_add(&kp.stale_ctxs, 9, "coapsecd:server:s/x", NULL));
	kp.retry_at = 5000;
	kp.retry_wait = RETRY_FIRST_MS;
	EXPECT_EQ(0, keypush_retry(&kp, 4999));
	EXPECT_EQ(1, kp.stale_ctxs.n);
	kp.stale_ctxs.n = 0;
	EXPECT_EQ(0, keypush_retry(&kp, 4999));
	EXPECT_EQ(0, kp.retry_wait);
	free(kp.stale_ctxs.v);
}

/* policies[@index], as the kernel lists it, of priority @prio. */
static struct placed at(size_t index, uint32_t prio, uint8_t action,
			const char *dst, unsigned int plen)
{
	struct placed p = {
		.ours = true, .index = index, .pol = v4(action, dst, plen),
	};

	p.pol.priority = prio;
	return p;
}

#define BYPASS COAPSEC_ACTION_BYPASS

/* A bypass listed after a protect policy it overlaps, matching first. */
TEST(order_bypass_ahead_moves)
{
	struct placed v[] = {
		at(2, 10, BYPASS, "10.0.0.0", 8),
		at(1, 10, PROTECT, "10.1.0.0", 16),
	};

	EXPECT_EQ(1, order_marks(v, 2));
	EXPECT_TRUE(v[0].move);
	EXPECT_FALSE(v[1].move);
}

/* Out of the configuration's order, but no message meets both. */
TEST(order_apart_stays)
{
	struct placed v[] = {
		at(2, 10, BYPASS, "10.2.0.0", 16),
		at(1, 10, PROTECT, "10.1.0.0", 16),
	};

	EXPECT_EQ(0, order_marks(v, 2));
	v[0].pol.dst[1] = 1;
	v[0].pol.direction = COAPSEC_DIR_IN;
	EXPECT_EQ(0, order_marks(v, 2));
}

/* Priorities order themselves: only one priority's policies count. */
TEST(order_other_priority_stays)
{
	struct placed v[] = {
		at(2, 5, BYPASS, "10.0.0.0", 8),
		at(1, 10, PROTECT, "10.1.0.0", 16),
	};

	EXPECT_EQ(0, order_marks(v, 2));
}

/*
 * One that moves to the end goes after one it must match before, which
 * then moves too: policies[2] after [1]; [3], after [2] now, would be
 * before it once [2] moved alone.
 */
TEST(order_moves_what_it_would_pass)
{
	struct placed v[] = {
		at(2, 10, PROTECT, "10.0.0.0", 16),
		at(1, 10, BYPASS, "10.0.5.0", 24),
		at(3, 10, BYPASS, "10.0.0.0", 16),
		at(4, 10, BYPASS, "10.9.0.0", 16),
	};

	EXPECT_EQ(2, order_marks(v, 4));
	EXPECT_TRUE(v[0].move);
	EXPECT_FALSE(v[1].move);
	EXPECT_TRUE(v[2].move);
	EXPECT_FALSE(v[3].move);
}

/* Another owner's policy (ours false) is neither moved nor ordered. */
static struct placed other(uint32_t prio, uint8_t action, const char *dst,
			   unsigned int plen)
{
	struct placed p = at(0, prio, action, dst, plen);

	p.ours = false;
	return p;
}

TEST(order_others_ignored)
{
	struct placed v[] = {
		other(10, PROTECT, "10.0.0.0", 8),
		at(1, 10, BYPASS, "10.0.5.0", 24),
		other(10, PROTECT, "10.0.5.0", 24),
		at(2, 10, PROTECT, "10.0.5.1", 32),
	};

	EXPECT_EQ(0, order_marks(v, 4));
	EXPECT_FALSE(v[0].move);
	EXPECT_FALSE(v[2].move);
}

/*
 * A protect policy that moves would pass another owner's overlapping
 * bypass (added by hand after it): it stays, shadowing the bypass listed
 * before it (fail closed), where moving it would send its messages in
 * clear.  A bypass of ours moves past another's bypass freely.
 */
TEST(order_never_opens_past_another)
{
	struct placed v[] = {
		at(1, 10, PROTECT, "10.0.5.0", 24),
		other(10, BYPASS, "10.0.0.0", 8),
		at(0, 10, BYPASS, "10.0.5.9", 32),
	};

	EXPECT_EQ(0, order_marks(v, 3));
	EXPECT_FALSE(v[0].move);
	EXPECT_TRUE(v[0].stuck);
	/* Another's bypass that overlaps nothing of it: it moves. */
	v[0].stuck = false;
	v[1] = other(10, BYPASS, "10.9.0.0", 16);
	EXPECT_EQ(1, order_marks(v, 3));
	EXPECT_TRUE(v[0].move);
	EXPECT_FALSE(v[0].stuck);
	/* Of another priority: it moves. */
	v[0].move = false;
	v[1] = other(20, BYPASS, "10.0.0.0", 8);
	EXPECT_EQ(1, order_marks(v, 3));
	/* Ours, a bypass out of order, passes another's bypass. */
	struct placed w[] = {
		at(1, 10, BYPASS, "10.0.5.0", 24),
		other(10, BYPASS, "10.0.0.0", 8),
		at(0, 10, PROTECT, "10.0.5.9", 32),
	};

	EXPECT_EQ(1, order_marks(w, 3));
	EXPECT_TRUE(w[0].move);
}

/* @v after keypush_order(): those left, then those moved, in @end. */
static void order_apply(const struct placed *v, size_t n, struct placed *end,
			size_t *pos)
{
	size_t kept = 0;

	for (size_t k = 0; k < n; k++)
		if (!v[k].move) {
			pos[k] = kept;
			end[kept++] = v[k];
		}
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < n; k++)
			if (v[k].move && v[k].index == i) {
				pos[k] = kept;
				end[kept++] = v[k];
			}
}

/*
 * Whether moving opened a way in clear: a policy of ours that keeps
 * plain messages out matched before an overlapping one that lets them
 * through and now matches after it, unless that one is ours and listed
 * first (what the configuration asks).
 */
static bool order_opened(const struct placed *v, size_t n, const size_t *pos)
{
	for (size_t a = 0; a < n; a++)
		for (size_t b = a + 1; b < n; b++)
			if (v[a].ours && !lets_plain(v[a].pol.action) &&
			    lets_plain(v[b].pol.action) && pos[a] > pos[b] &&
			    v[a].pol.priority == v[b].pol.priority &&
			    overlaps(&v[a].pol, &v[b].pol) &&
			    !(v[b].ours && v[b].index < v[a].index))
				return true;
	return false;
}

/*
 * Whatever the kernel's order of up to 7 policies of two priorities,
 * some another owner's: what order_marks() moves never opens a way in
 * clear, a second look moves nothing, and where nothing had to stay,
 * every two of ours of one priority that overlap are in the
 * configuration's order.
 */
TEST(order_any_start_settles)
{
	static const char *const nets[] = { "10.0.0.0", "10.0.5.0", "10.1.0.0",
					    "10.0.5.1", "10.0.0.0" };
	static const unsigned int plens[] = { 8, 24, 16, 32, 16 };
	static const uint8_t actions[] = { BYPASS, PROTECT,
					   COAPSEC_ACTION_VERIFY };

	srand(1);
	for (int round = 0; round < 20000; round++) {
		struct placed v[7], end[7];
		size_t n = 1 + rand() % 7, perm[7], pos[7];
		bool stuck = false;

		for (size_t i = 0; i < n; i++)
			perm[i] = i;
		for (size_t i = n; i > 1; i--) {
			size_t j = rand() % i, t = perm[i - 1];

			perm[i - 1] = perm[j];
			perm[j] = t;
		}
		for (size_t k = 0; k < n; k++) {
			int r = rand() % 5;

			v[k] = at(perm[k], 10 + rand() % 2, actions[rand() % 3],
				  nets[r], plens[r]);
			v[k].ours = round % 2 || rand() % 3;
		}
		order_marks(v, n);
		order_apply(v, n, end, pos);
		ASSERT_FALSE(order_opened(v, n, pos)) {
			TH_LOG("round %d", round);
		}
		for (size_t a = 0; a < n; a++)
			stuck |= v[a].stuck;
		for (size_t a = 0; a < n; a++) {
			for (size_t b = a + 1; b < n && !stuck; b++) {
				ASSERT_FALSE(misplaced(&end[a], &end[b])) {
					TH_LOG("round %d: [%zu] before [%zu]",
					       round, end[a].index, end[b].index);
				}
			}
		}
		ASSERT_EQ(0, order_marks(end, n)) {
			TH_LOG("round %d: moves again", round);
		}
	}
}

/*
 * A model of one namespace's policy list, as kmod/policy.c keeps it: a
 * new policy after those of its priority or a lower one, at most
 * fake_room of them.  After every change, what each probe address's
 * message meets is checked (fake_step()).
 */
static struct coapsec_policy_info fake[32];
static size_t fake_n, fake_room;
static int fake_dump_err;	/* the next dumps fail with it */
static uint32_t fake_next_id;
static unsigned int fake_changes;
static void fake_step(void);

/* As the kernel lists a policy: its port, the default where none was given. */
static void fake_dumped(struct coapsec_policy_info *p)
{
	if (!p->has_dport) {
		p->has_dport = true;
		p->dport = COAPSEC_DEFAULT_PORT;
	}
}

int __wrap_coapsec_nl_policy_new(struct coapsec_nl *nl,
				 const struct coapsec_policy_info *p,
				 uint32_t *id)
{
	size_t at = fake_n;

	if (fake_n >= fake_room)
		return -ENOSPC;
	for (size_t i = 0; i < fake_n; i++)
		if (fake[i].priority > p->priority) {
			at = i;
			break;
		}
	memmove(&fake[at + 1], &fake[at], (fake_n - at) * sizeof(fake[0]));
	fake[at] = *p;
	fake[at].id = *id = ++fake_next_id;
	fake_dumped(&fake[at]);
	fake_n++;
	fake_changes++;
	fake_step();
	return 0;
}

/* In place, as POLICY_SET does; refused while fake_set_err is set. */
static int fake_set_err;

int __wrap_coapsec_nl_policy_set(struct coapsec_nl *nl,
				 const struct coapsec_policy_info *p)
{
	if (fake_set_err)
		return fake_set_err;
	for (size_t i = 0; i < fake_n; i++)
		if (fake[i].id == p->id) {
			fake[i] = *p;
			fake_dumped(&fake[i]);
			fake_changes++;
			fake_step();
			return 0;
		}
	return -ENOENT;
}

int __wrap_coapsec_nl_policy_del(struct coapsec_nl *nl, uint32_t id)
{
	for (size_t i = 0; i < fake_n; i++)
		if (fake[i].id == id) {
			memmove(&fake[i], &fake[i + 1],
				(--fake_n - i) * sizeof(fake[0]));
			fake_changes++;
			fake_step();
			return 0;
		}
	return -ENOENT;
}

int __wrap_coapsec_nl_policy_get(struct coapsec_nl *nl, uint32_t id,
				 struct coapsec_policy_info *p)
{
	for (size_t i = 0; i < fake_n; i++)
		if (fake[i].id == id) {
			*p = fake[i];
			return 0;
		}
	return -ENOENT;
}

int __wrap_coapsec_nl_policy_dump(struct coapsec_nl *nl, coapsec_policy_cb cb,
				  void *data)
{
	if (fake_dump_err)
		return fake_dump_err;
	for (size_t i = 0; i < fake_n; i++)
		if (cb(&fake[i], data))
			break;
	return 0;
}

const char *__wrap_coapsec_nl_errmsg(struct coapsec_nl *nl)
{
	return "refused (model)";
}

/* Probe addresses: one in each prefix the configurations use, and more. */
static const char *const probes[] = { "10.0.0.1", "10.0.5.1", "10.0.5.9",
				      "10.0.5.130", "10.1.0.1", "10.2.0.1" };
#define N_PROBES (sizeof(probes) / sizeof(probes[0]))
static uint8_t verdict_start[N_PROBES], verdict_want[N_PROBES];
static bool opened;

/* The action of the first of @v (@n) that a message to @addr meets; 0: none. */
static uint8_t meets(const struct coapsec_policy_info *v, size_t n,
		     const char *addr)
{
	uint8_t a[4];

	inet_pton(AF_INET, addr, a);
	for (size_t i = 0; i < n; i++)
		if (prefixes_meet(a, 32, v[i].dst, v[i].dst_plen, 32))
			return v[i].action;
	return 0;
}

static bool kept_out(uint8_t action)
{
	return action && !lets_plain(action);
}

/*
 * A step opens a way in clear when a message kept out at the start and
 * by the configuration now meets a policy that lets it through, or none.
 */
static void fake_step(void)
{
	for (size_t i = 0; i < N_PROBES; i++)
		if (kept_out(verdict_start[i]) && kept_out(verdict_want[i]) &&
		    !kept_out(meets(fake, fake_n, probes[i])))
			opened = true;
}

/*
 * Any configuration of up to 7 policies of two priorities, in any order
 * the kernel may hold them: keypush_order() never opens a way in clear
 * on the way, with room for every copy or for none; with room it ends
 * with every message meeting what the configuration says, and a second
 * run changes nothing.
 */
TEST(order_moves_never_open)
{
	static const char *const nets[] = { "10.0.0.0", "10.0.5.0", "10.1.0.0",
					    "10.0.5.1", "10.0.0.0", "10.0.5.128" };
	static const unsigned int plens[] = { 8, 24, 16, 32, 16, 25 };
	static const uint8_t actions[] = { BYPASS, PROTECT, BYPASS,
					   COAPSEC_ACTION_VERIFY,
					   COAPSEC_ACTION_REQUIRE };
	struct keypush kp = { .nl = NULL, .owner = "coapsecd:server:s" };
	int level = log_level;

	log_level = 0;	/* thousands of moves, each logged */
	srand(3);
	for (int round = 0; round < 20000; round++) {
		struct cfg_policy pols[7] = { 0 };
		struct coapsec_policy_info want[7], info;
		size_t n = 2 + rand() % 6, perm[7], nw = 0;
		bool tight = round % 3 == 0;

		for (size_t i = 0; i < n; i++) {
			int r = rand() % 6;

			pols[i].priority = 10 + 10 * (rand() % 2);
			pols[i].family = AF_INET;
			pols[i].direction = COAPSEC_DIR_OUT;
			pols[i].action = actions[rand() % 5];
			pols[i].has_dst = true;
			inet_pton(AF_INET, nets[r], pols[i].dst);
			pols[i].dst_plen = plens[r];
			perm[i] = i;
		}
		/* What the configuration asks: its order within priorities. */
		for (uint32_t prio = 10; prio <= 20; prio += 10)
			for (size_t i = 0; i < n; i++)
				if (pols[i].priority == prio)
					policy_info(&kp, &pols[i], i, 0, &want[nw++]);
		for (size_t i = n; i > 1; i--) {
			size_t j = rand() % i, t = perm[i - 1];

			perm[i - 1] = perm[j];
			perm[j] = t;
		}
		fake_n = 0;
		fake_room = 32;
		for (size_t k = 0; k < n; k++) {
			policy_info(&kp, &pols[perm[k]], perm[k], 0, &info);
			ASSERT_EQ(0, __wrap_coapsec_nl_policy_new(NULL, &info,
						&pols[perm[k]].kernel_id));
		}
		for (size_t i = 0; i < N_PROBES; i++) {
			verdict_start[i] = meets(fake, fake_n, probes[i]);
			verdict_want[i] = meets(want, nw, probes[i]);
		}
		fake_room = tight ? fake_n : 32;
		opened = false;
		keypush_order(&kp, pols, n);
		ASSERT_FALSE(opened) {
			TH_LOG("round %d: a way in clear on the way", round);
		}
		for (size_t i = 0; i < N_PROBES && !tight; i++) {
			ASSERT_EQ(verdict_want[i], meets(fake, fake_n, probes[i])) {
				TH_LOG("round %d: %s", round, probes[i]);
			}
		}
		for (size_t i = 0; i < n; i++) {
			struct coapsec_policy_info got;

			/* Each policy's own copy, under its tag, or none. */
			if (pols[i].kernel_id) {
				ASSERT_EQ(0, __wrap_coapsec_nl_policy_get(NULL,
						pols[i].kernel_id, &got));
				policy_info(&kp, &pols[i], i, 0, &info);
				ASSERT_STREQ(info.owner, got.owner);
			} else {
				ASSERT_TRUE(tight);
			}
		}
		fake_changes = 0;
		if (!tight) {
			keypush_order(&kp, pols, n);
			ASSERT_EQ(0, fake_changes) {
				TH_LOG("round %d: a second run moves", round);
			}
		}
		free(kp.stale_pols.v);
		kp.stale_pols = (struct leftset){ 0 };
	}
	log_level = level;
}

/*
 * A protect policy's copy beside it (keypush_policy_beside()) lands after
 * a bypass listed after it.  While the policies cannot be listed the old
 * copy stays in its place: deleting it would send 10.0.5.1's messages
 * past the bypass in clear.  The next order step that can list them puts
 * the copy in place, and then the old copy goes.
 */
TEST(beside_old_stays_until_ordered)
{
	struct keypush kp = { .nl = NULL, .owner = "coapsecd:server:s" };
	struct cfg_policy pols[2] = { 0 };
	struct coapsec_policy_info info;
	uint32_t old_id;

	for (size_t i = 0; i < 2; i++) {
		pols[i].priority = 10;
		pols[i].family = AF_INET;
		pols[i].direction = COAPSEC_DIR_OUT;
		pols[i].has_dst = true;
	}
	pols[0].action = PROTECT;
	inet_pton(AF_INET, "10.0.5.1", pols[0].dst);
	pols[0].dst_plen = 32;
	pols[1].action = BYPASS;
	inet_pton(AF_INET, "10.0.5.0", pols[1].dst);
	pols[1].dst_plen = 24;
	fake_n = 0;
	fake_room = 32;
	for (size_t i = 0; i < 2; i++) {
		policy_info(&kp, &pols[i], i, 0, &info);
		ASSERT_EQ(0, __wrap_coapsec_nl_policy_new(NULL, &info,
							  &pols[i].kernel_id));
	}
	old_id = pols[0].kernel_id;
	ASSERT_EQ(0, keypush_policy_beside(&kp, &pols[0], 0, 0));
	ASSERT_NE(old_id, pols[0].kernel_id);
	ASSERT_EQ(3, fake_n);

	fake_dump_err = -ENOBUFS;
	EXPECT_EQ(-1, keypush_order(&kp, pols, 2));
	fake_dump_err = 0;
	EXPECT_EQ(PROTECT, meets(fake, fake_n, "10.0.5.1"));
	EXPECT_EQ(0, __wrap_coapsec_nl_policy_get(NULL, old_id, &info));

	EXPECT_EQ(0, keypush_order(&kp, pols, 2));
	EXPECT_EQ(PROTECT, meets(fake, fake_n, "10.0.5.1"));
	EXPECT_EQ(BYPASS, meets(fake, fake_n, "10.0.5.9"));
	EXPECT_EQ(-ENOENT, __wrap_coapsec_nl_policy_get(NULL, old_id, &info));
	EXPECT_EQ(2, fake_n);
	EXPECT_EQ(0, kp.beside_old.n);
	free(kp.beside_old.v);
	free(kp.stale_pols.v);
}

/*
 * Configured policies of priority 10, out, to @dst[i]/@plen[i] with
 * @act[i] and context @ctx[i], put in the model in that order; room for
 * 32.  From here on, whatever a probe's message meets that keeps it out
 * of clear must keep it out (fake_step()).
 */
static int beside_setup(struct keypush *kp, struct cfg_policy *pols, size_t n,
			const uint8_t *act, const char *const *dst,
			const unsigned int *plen, const uint32_t *ctx)
{
	struct coapsec_policy_info info;

	memset(pols, 0, n * sizeof(*pols));
	fake_n = 0;
	fake_room = 32;
	fake_dump_err = fake_set_err = 0;
	for (size_t i = 0; i < n; i++) {
		pols[i].priority = 10;
		pols[i].family = AF_INET;
		pols[i].direction = COAPSEC_DIR_OUT;
		pols[i].has_dst = true;
		pols[i].action = act[i];
		inet_pton(AF_INET, dst[i], pols[i].dst);
		pols[i].dst_plen = plen[i];
		policy_info(kp, &pols[i], i, ctx[i], &info);
		if (__wrap_coapsec_nl_policy_new(NULL, &info,
						 &pols[i].kernel_id))
			return -1;
	}
	return 0;
}

/* From here on, what keeps a probe's message out of clear must keep it out. */
static void verdicts_now(void)
{
	for (size_t k = 0; k < N_PROBES; k++)
		verdict_start[k] = verdict_want[k] = meets(fake, fake_n,
							   probes[k]);
	opened = false;
}

/* Another owner's bypass of 10.0.5.0/24, priority 10, at the end. */
static int admin_bypass(void)
{
	struct coapsec_policy_info other = v4(BYPASS, "10.0.5.0", 24);
	uint32_t id;

	other.priority = 10;
	snprintf(other.owner, sizeof(other.owner), "admin");
	return __wrap_coapsec_nl_policy_new(NULL, &other, &id);
}

/* queue_beside(): policies[@i] as a queue policy beside its old copy. */
static int beside_queue(struct keypush *kp, struct cfg_policy *pols,
			size_t i)
{
	uint8_t action = pols[i].action;
	int rc;

	pols[i].action = QUEUE;
	rc = keypush_policy_beside(kp, &pols[i], i, 0);
	pols[i].action = action;
	verdicts_now();
	return rc;
}

/* Whether some policy of the model protects with context @id. */
static bool fake_uses(uint32_t id)
{
	for (size_t i = 0; i < fake_n; i++)
		if (fake[i].context_id == id)
			return true;
	return false;
}

static void beside_free_all(struct keypush *kp)
{
	free(kp->beside_old.v);
	free(kp->stale_pols.v);
	free(kp->refused.v);
	*kp = (struct keypush){ .owner = "coapsecd:server:s" };
}

/*
 * A full table: the copy of the protect policy listed after the queue
 * copy has no room to move, so it stays between the old copy and the
 * copy.  The old copy takes the queue action in place (its copy goes),
 * so that the removed context 7 is in no policy and can go; the next
 * order step has the room.
 */
TEST(beside_full_table_old_copy_takes_its_place)
{
	static const uint8_t act[] = { PROTECT, BYPASS, PROTECT };
	static const char *const dst[] = { "10.0.5.1", "10.0.5.0", "10.0.0.0" };
	static const unsigned int plen[] = { 32, 24, 8 };
	static const uint32_t ctx[] = { 7, 0, 8 };
	struct keypush kp = { .owner = "coapsecd:server:s" };
	struct cfg_policy pols[3];
	uint32_t old_id;

	ASSERT_EQ(0, beside_setup(&kp, pols, 3, act, dst, plen, ctx));
	fake_room = 4;
	old_id = pols[0].kernel_id;
	ASSERT_EQ(0, beside_queue(&kp, pols, 0));
	EXPECT_EQ(-1, keypush_order(&kp, pols, 3));
	EXPECT_FALSE(opened);
	EXPECT_EQ(old_id, pols[0].kernel_id);
	EXPECT_EQ(0, kp.beside_old.n);
	EXPECT_FALSE(fake_uses(7));
	EXPECT_EQ(QUEUE, meets(fake, fake_n, "10.0.5.1"));
	EXPECT_EQ(0, keypush_order(&kp, pols, 3));
	EXPECT_FALSE(opened);
	EXPECT_EQ(QUEUE, meets(fake, fake_n, "10.0.5.1"));
	EXPECT_EQ(BYPASS, meets(fake, fake_n, "10.0.5.9"));
	EXPECT_EQ(PROTECT, meets(fake, fake_n, "10.1.0.1"));
	EXPECT_EQ(3, fake_n);
	beside_free_all(&kp);
}

/*
 * Another owner's bypass, added after the protect policy, sits between
 * the old copy and the queue copy: the old copy never goes while the
 * kernel refuses it the queue action in place (10.0.5.1 would meet the
 * bypass); it takes it once the kernel lets it.
 */
TEST(beside_another_bypass_between)
{
	static const uint8_t act[] = { PROTECT };
	static const char *const dst[] = { "10.0.5.1" };
	static const unsigned int plen[] = { 32 };
	static const uint32_t ctx[] = { 7 };
	struct keypush kp = { .owner = "coapsecd:server:s" };
	struct cfg_policy pols[1];

	ASSERT_EQ(0, beside_setup(&kp, pols, 1, act, dst, plen, ctx));
	ASSERT_EQ(0, admin_bypass());
	ASSERT_EQ(0, beside_queue(&kp, pols, 0));
	fake_set_err = -ENOMEM;
	EXPECT_EQ(0, keypush_order(&kp, pols, 1));
	EXPECT_FALSE(opened);
	EXPECT_EQ(PROTECT, meets(fake, fake_n, "10.0.5.1"));
	EXPECT_EQ(1, kp.beside_old.n);
	fake_set_err = 0;
	EXPECT_EQ(0, keypush_order(&kp, pols, 1));
	EXPECT_FALSE(opened);
	EXPECT_EQ(QUEUE, meets(fake, fake_n, "10.0.5.1"));
	EXPECT_EQ(0, kp.beside_old.n);
	EXPECT_EQ(2, fake_n);
	beside_free_all(&kp);
}

/*
 * The old copy's ID, kept over a failed listing, is policies[0]'s again
 * after a reload (IDs start over, the same tag): it stays.
 */
TEST(beside_old_id_taken_again)
{
	static const uint8_t act[] = { PROTECT, BYPASS };
	static const char *const dst[] = { "10.0.5.1", "10.0.5.0" };
	static const unsigned int plen[] = { 32, 24 };
	static const uint32_t ctx[] = { 0, 0 };
	struct keypush kp = { .owner = "coapsecd:server:s" };
	struct coapsec_policy_info info;
	struct cfg_policy pols[2];

	fake_next_id = 0;
	ASSERT_EQ(0, beside_setup(&kp, pols, 2, act, dst, plen, ctx));
	ASSERT_EQ(0, beside_queue(&kp, pols, 0));
	fake_dump_err = -ENOBUFS;
	EXPECT_EQ(-1, keypush_order(&kp, pols, 2));
	fake_dump_err = 0;
	EXPECT_EQ(1, kp.beside_old.n);
	fake_n = 0;
	fake_next_id = 0;
	for (size_t i = 0; i < 2; i++) {
		pols[i].kernel_id = 0;
		ASSERT_EQ(0, keypush_policy(&kp, &pols[i], i, 0));
	}
	EXPECT_EQ(0, keypush_order(&kp, pols, 2));
	EXPECT_EQ(0, __wrap_coapsec_nl_policy_get(NULL, pols[0].kernel_id,
						  &info));
	EXPECT_EQ(PROTECT, meets(fake, fake_n, "10.0.5.1"));
	EXPECT_EQ(0, kp.beside_old.n);
	beside_free_all(&kp);
}

/*
 * No room for the bypass's copy: it is deleted and added again after
 * the queue copy, and the step returns -1; the old copy still goes, its
 * messages meeting the copy next.
 */
TEST(beside_tight_table_in_order)
{
	static const uint8_t act[] = { PROTECT, BYPASS };
	static const char *const dst[] = { "10.0.5.1", "10.0.5.0" };
	static const unsigned int plen[] = { 32, 24 };
	static const uint32_t ctx[] = { 7, 0 };
	struct keypush kp = { .owner = "coapsecd:server:s" };
	struct cfg_policy pols[2];

	ASSERT_EQ(0, beside_setup(&kp, pols, 2, act, dst, plen, ctx));
	fake_room = 3;
	ASSERT_EQ(0, beside_queue(&kp, pols, 0));
	EXPECT_EQ(-1, keypush_order(&kp, pols, 2));
	EXPECT_FALSE(opened);
	EXPECT_EQ(2, fake_n);
	EXPECT_EQ(QUEUE, meets(fake, fake_n, "10.0.5.1"));
	EXPECT_EQ(BYPASS, meets(fake, fake_n, "10.0.5.9"));
	EXPECT_FALSE(fake_uses(7));
	EXPECT_EQ(0, kp.beside_old.n);
	beside_free_all(&kp);
}

/*
 * An old copy kept (another owner's bypass between it and its copy, its
 * queue action refused in place) that the stop cannot turn to queue
 * either (left_to_queue()) is a leftover at the next start, listed
 * before the copy that the start adopts: it is no leftover for the
 * sweep but an old copy again, which takes the queue action in place.
 * Before, the sweep deleted it and 10.0.5.1 met the bypass.
 */
TEST(beside_restart_keeps_protecting_old_copy)
{
	static const uint8_t act[] = { PROTECT };
	static const char *const dst[] = { "10.0.5.1" };
	static const unsigned int plen[] = { 32 };
	static const uint32_t ctx[] = { 7 };
	struct keypush kp = { .owner = "coapsecd:server:s" };
	struct keypush stop = { .owner = "coapsecd:server:s" };
	struct keypush kp2 = { .owner = "coapsecd:server:s" };
	struct cfg_policy pols[1];

	ASSERT_EQ(0, beside_setup(&kp, pols, 1, act, dst, plen, ctx));
	ASSERT_EQ(0, admin_bypass());
	ASSERT_EQ(0, beside_queue(&kp, pols, 0));
	fake_set_err = -ENOMEM;
	EXPECT_EQ(0, keypush_order(&kp, pols, 1));
	ASSERT_EQ(1, kp.beside_old.n);
	/* The stop (keypush_close(kp, true)): still refused. */
	ASSERT_EQ(0, __wrap_coapsec_nl_policy_dump(NULL, pol_seen, &stop));
	for (size_t i = 0; i < stop.pols.n; i++)
		if (stop.pols.v[i].pol.action == PROTECT)
			EXPECT_NE(0, left_to_queue(&stop, &stop.pols.v[i],
						   "agent stopping"));
	free(stop.pols.v);
	beside_free_all(&kp);
	/* The next start: policies[0] queues (queue_one()), its member gone. */
	fake_set_err = 0;
	ASSERT_EQ(0, __wrap_coapsec_nl_policy_dump(NULL, pol_seen, &kp2));
	ASSERT_EQ(2, kp2.pols.n);
	pols[0].kernel_id = 0;
	pols[0].action = QUEUE;
	ASSERT_EQ(0, keypush_policy(&kp2, &pols[0], 0, 0));
	keypush_sweep_open(&kp2);
	keypush_order(&kp2, pols, 1);
	keypush_sweep(&kp2);
	EXPECT_FALSE(opened);
	EXPECT_EQ(QUEUE, meets(fake, fake_n, "10.0.5.1"));
	free(kp2.pols.v);
	beside_free_all(&kp2);
}

/*
 * The same, but the stop turned the old copy to queue and the restart's
 * configuration has a policy before it (its tag "policy:0" is
 * "policy:1" now): of the two leftovers policy_take_over() takes the
 * first listed, before the bypass.  Before, it took the copy after the
 * bypass and the sweep deleted the old copy.
 */
TEST(beside_restart_reordered_takes_the_first)
{
	static const uint8_t act[] = { PROTECT };
	static const char *const dst[] = { "10.0.5.1" };
	static const unsigned int plen[] = { 32 };
	static const uint32_t ctx[] = { 7 };
	struct keypush kp = { .owner = "coapsecd:server:s" };
	struct keypush stop = { .owner = "coapsecd:server:s" };
	struct keypush kp2 = { .owner = "coapsecd:server:s" };
	struct cfg_policy pols[1], pols2[2];

	ASSERT_EQ(0, beside_setup(&kp, pols, 1, act, dst, plen, ctx));
	ASSERT_EQ(0, admin_bypass());
	ASSERT_EQ(0, beside_queue(&kp, pols, 0));
	fake_set_err = -ENOMEM;
	EXPECT_EQ(0, keypush_order(&kp, pols, 1));
	ASSERT_EQ(1, kp.beside_old.n);
	/* The stop: the kernel lets the old copy turn to queue now. */
	fake_set_err = 0;
	ASSERT_EQ(0, __wrap_coapsec_nl_policy_dump(NULL, pol_seen, &stop));
	for (size_t i = 0; i < stop.pols.n; i++)
		if (stop.pols.v[i].pol.action == PROTECT)
			EXPECT_EQ(0, left_to_queue(&stop, &stop.pols.v[i],
						   "agent stopping"));
	free(stop.pols.v);
	beside_free_all(&kp);
	EXPECT_EQ(QUEUE, meets(fake, fake_n, "10.0.5.1"));
	/* The next start, one policy more before it (another prefix). */
	memset(pols2, 0, sizeof(pols2));
	pols2[0] = pols[0];
	inet_pton(AF_INET, "10.9.0.0", pols2[0].dst);
	pols2[0].dst_plen = 16;
	pols2[1] = pols[0];
	for (size_t i = 0; i < 2; i++) {
		pols2[i].kernel_id = 0;
		pols2[i].action = QUEUE;
	}
	ASSERT_EQ(0, __wrap_coapsec_nl_policy_dump(NULL, pol_seen, &kp2));
	ASSERT_EQ(2, kp2.pols.n);
	for (size_t i = 0; i < 2; i++)
		ASSERT_EQ(0, keypush_policy(&kp2, &pols2[i], i, 0));
	keypush_sweep_open(&kp2);
	keypush_order(&kp2, pols2, 2);
	keypush_sweep(&kp2);
	EXPECT_FALSE(opened);
	EXPECT_EQ(QUEUE, meets(fake, fake_n, "10.0.5.1"));
	free(kp2.pols.v);
	beside_free_all(&kp2);
}

/*
 * A bypass leftover listed before the one its policy adopts (a crash in
 * order_moves() between adding the moved bypass's copy and deleting the
 * old one, which sat before a protect policy listed before it in the
 * configuration) is no old copy: keypush_sweep_open() deletes it.
 * Tracked by beside_left(), it stayed before the protect policy and
 * 10.0.5.1 met it in clear.
 */
TEST(restart_bypass_leftover_is_swept)
{
	static const uint8_t act[] = { PROTECT, PROTECT, BYPASS };
	static const char *const dst[] = { "10.1.0.0", "10.0.5.0", "10.0.5.1" };
	static const unsigned int plen[] = { 16, 24, 32 };
	static const uint32_t ctx[] = { 0, 0, 0 };
	static const size_t kernel[] = { 0, 2, 1, 2 };	/* Q B0 P B1 */
	struct keypush kp = { .owner = "coapsecd:server:s" };
	struct coapsec_policy_info info;
	struct cfg_policy pols[3];

	ASSERT_EQ(0, beside_setup(&kp, pols, 3, act, dst, plen, ctx));
	fake_n = 0;
	for (size_t k = 0; k < 4; k++) {
		uint32_t id;

		policy_info(&kp, &pols[kernel[k]], kernel[k], 0, &info);
		ASSERT_EQ(0, __wrap_coapsec_nl_policy_new(NULL, &info, &id));
	}
	ASSERT_EQ(BYPASS, meets(fake, fake_n, "10.0.5.1"));
	/* The next start (agent_start()), fake_set_err: POLICY_SET refused. */
	ASSERT_EQ(0, __wrap_coapsec_nl_policy_dump(NULL, pol_seen, &kp));
	for (size_t i = 0; i < 3; i++) {
		pols[i].kernel_id = 0;
		ASSERT_EQ(0, keypush_policy(&kp, &pols[i], i, 0));
	}
	fake_set_err = -ENOMEM;
	keypush_sweep_open(&kp);
	keypush_order(&kp, pols, 3);
	keypush_sweep(&kp);
	EXPECT_EQ(PROTECT, meets(fake, fake_n, "10.0.5.1"));
	/* Resyncs: still refused, it never goes. */
	for (int r = 0; r < 3; r++)
		keypush_order(&kp, pols, 3);
	EXPECT_EQ(PROTECT, meets(fake, fake_n, "10.0.5.1"));
	EXPECT_EQ(0, kp.beside_old.n);
	fake_set_err = 0;
	free(kp.pols.v);
	beside_free_all(&kp);
}

/*
 * After a crash (or a stop that could not turn it to queue),
 * policies[0]'s protect policy is a leftover before another owner's
 * bypass.  At the start policy_take_over() cannot set it to queue in
 * place (refused, as queue_beside() assumes can happen), so the copy is
 * added at the end of the priority, after the bypass; the sweep then
 * deleted the leftover and 10.0.5.1 met the bypass in clear.  Now it is
 * an old copy: it stays, then takes the queue action in place.
 */
TEST(restart_take_over_refused_keeps_old_copy)
{
	static const uint8_t act[] = { PROTECT };
	static const char *const dst[] = { "10.0.5.1" };
	static const unsigned int plen[] = { 32 };
	static const uint32_t ctx[] = { 7 };
	struct keypush kp = { .owner = "coapsecd:server:s" };
	struct cfg_policy pols[1];

	ASSERT_EQ(0, beside_setup(&kp, pols, 1, act, dst, plen, ctx));
	ASSERT_EQ(0, admin_bypass());
	verdicts_now();
	/* The next start: policies[0] queues (queue_one()). */
	ASSERT_EQ(0, __wrap_coapsec_nl_policy_dump(NULL, pol_seen, &kp));
	pols[0].kernel_id = 0;
	pols[0].action = QUEUE;
	fake_set_err = -ENOMEM;
	ASSERT_EQ(0, keypush_policy(&kp, &pols[0], 0, 0));
	keypush_sweep_open(&kp);
	keypush_order(&kp, pols, 1);
	keypush_sweep(&kp);
	EXPECT_FALSE(opened);
	EXPECT_EQ(PROTECT, meets(fake, fake_n, "10.0.5.1"));
	fake_set_err = 0;
	keypush_order(&kp, pols, 1);
	EXPECT_FALSE(opened);
	EXPECT_EQ(QUEUE, meets(fake, fake_n, "10.0.5.1"));
	EXPECT_FALSE(fake_uses(7));
	free(kp.pols.v);
	beside_free_all(&kp);
}

/*
 * A leftover held (hold_left()) while policies[0] is refused sits before
 * another owner's bypass; once policies[0] goes in (at the end of its
 * priority, after the bypass), release_held() deleted the leftover and
 * 10.0.5.1 met the bypass in clear.  Now it stays while the bypass lies
 * between (settle_beside()).
 */
TEST(release_held_past_another_bypass)
{
	struct keypush kp = { .owner = "coapsecd:server:s" };
	struct coapsec_policy_info h = v4(QUEUE, "10.0.5.1", 32);
	struct coapsec_policy_info other = v4(BYPASS, "10.0.5.0", 25);
	struct cfg_policy pols[1] = { 0 };
	uint32_t id;

	fake_n = 0;
	fake_room = 2;
	fake_dump_err = fake_set_err = 0;
	h.priority = other.priority = 10;
	policy_tag(&kp, 3, h.owner);	/* an earlier configuration's */
	snprintf(other.owner, sizeof(other.owner), "admin");
	ASSERT_EQ(0, __wrap_coapsec_nl_policy_new(NULL, &h, &id));
	ASSERT_EQ(0, __wrap_coapsec_nl_policy_new(NULL, &other, &id));
	pols[0].priority = 10;
	pols[0].family = AF_INET;
	pols[0].direction = COAPSEC_DIR_OUT;
	pols[0].has_dst = true;
	pols[0].action = QUEUE;	/* queue_one(): protect once its context is in */
	inet_pton(AF_INET, "10.0.5.0", pols[0].dst);
	pols[0].dst_plen = 24;
	ASSERT_EQ(0, __wrap_coapsec_nl_policy_dump(NULL, pol_seen, &kp));
	EXPECT_NE(0, keypush_policy(&kp, &pols[0], 0, 0));	/* no room */
	keypush_sweep_open(&kp);
	keypush_order(&kp, pols, 1);
	keypush_sweep(&kp);
	ASSERT_EQ(QUEUE, meets(fake, fake_n, "10.0.5.1"));
	verdicts_now();
	/* A resync with room. */
	fake_room = 32;
	ASSERT_EQ(0, keypush_policy(&kp, &pols[0], 0, 0));
	keypush_order(&kp, pols, 1);
	EXPECT_FALSE(opened);
	EXPECT_EQ(QUEUE, meets(fake, fake_n, "10.0.5.1"));
	free(kp.pols.v);
	beside_free_all(&kp);
}

/* In the configuration's order already: nothing moves. */
TEST(order_in_order)
{
	struct placed v[] = {
		at(0, 10, PROTECT, "10.0.5.1", 32),
		at(1, 10, BYPASS, "10.0.5.0", 24),
		at(2, 10, PROTECT, "10.0.0.0", 8),
	};

	EXPECT_EQ(0, order_marks(v, 3));
}

TEST_HARNESS_MAIN
