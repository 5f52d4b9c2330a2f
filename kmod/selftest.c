// SPDX-License-Identifier: GPL-2.0
/*
 * Checks of the lookups the packet path relies on, run at load time when
 * coapsec is loaded with selftest=1 (WireGuard runs its own the same way
 * in debug builds).  Uses a private namespace state, so nothing of it is
 * visible to any real namespace.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <asm/unaligned.h>
#include <linux/hrtimer.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ktime.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/socket.h>

#include "context.h"
#include "crypto_aead.h"
#include "exchange.h"
#include "netns.h"
#include "policy.h"
#include "replay.h"
#include "retired.h"
#include "selftest.h"
#include "send.h"
#include "skb.h"

static const u8 st_key[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
static const u8 st_key2[32] = { 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };
static const u8 st_iv[13] = { 0x46, 0x22, 0xd4, 0xdd };
static const u8 st_idctx[4] = { 0x37, 0xcb, 0xf3, 0x21 };
static const u8 st_kid1[1] = { 1 }, st_kid2[1] = { 2 }, st_sid[1] = { 0 },
	st_sid2[1] = { 9 };

static unsigned int st_pass, st_fail;

#define CHECK(cond) do {						\
	if (cond) {							\
		st_pass++;						\
	} else {							\
		st_fail++;						\
		pr_err("selftest: %s:%d: %s\n", __func__, __LINE__, #cond); \
	}								\
} while (0)

/*
 * The key of a context with ID context @idctx: one key is one sequence
 * (a second context under it is refused whatever its IDs), so each ID
 * context gets its own.
 */
static u8 st_ctx_key[32];

static const u8 *st_key_for(const u8 *idctx, u8 idctx_len)
{
	unsigned int i;

	memcpy(st_ctx_key, st_key, sizeof(st_ctx_key));
	for (i = 0; i < idctx_len; i++)
		st_ctx_key[(10 + i) % 16] ^= idctx[i];
	return st_ctx_key;
}

/*
 * Its recipients' key: never a sender key of the namespace (a mirrored
 * context is refused).
 */
static u8 st_rcp_key[32];

static const u8 *st_rkey_for(const u8 *idctx, u8 idctx_len)
{
	memcpy(st_rcp_key, st_key_for(idctx, idctx_len), sizeof(st_rcp_key));
	st_rcp_key[15] ^= 0x80;	/* within the shortest key (16) */
	return st_rcp_key;
}

static void st_params(struct coapsec_context_params *p, u32 id,
		      const u8 *idctx, u8 idctx_len, const u8 *kid)
{
	const u8 *key = st_key_for(idctx, idctx_len);

	memset(p, 0, struct_size(p, recipients, 1));
	p->id = id;
	p->alg = oscore_alg_find(OSCORE_ALG_AES_CCM_16_64_128);
	p->sender_id = st_sid;
	p->sender_id_len = 1;
	p->sender_key = key;
	p->common_iv = st_iv;
	p->id_context = idctx;
	p->id_context_len = idctx_len;
	p->grace = 30;
	p->n_recipients = 1;
	p->recipients[0].id = kid;
	p->recipients[0].id_len = 1;
	p->recipients[0].key = st_rkey_for(idctx, idctx_len);
	p->recipients[0].window = 32;
}

static void st_contexts(struct coapsec_net *cn, struct coapsec_context_params *p)
{
	struct coapsec_recipient *r, *old;
	struct coapsec_context *ctx;
	u8 key[32];
	u64 gen;
	u32 id;

	st_params(p, 1, st_idctx, 4, st_kid1);
	CHECK(!coapsec_context_new(cn, p, &id, NULL) && id == 1);
	st_params(p, 2, st_idctx, 4, st_kid2);
	/*
	 * The same sender key as context 1 would share its nonces, whatever
	 * the sender ID.
	 */
	CHECK(coapsec_context_new(cn, p, &id, NULL) == -EEXIST);
	p->sender_id = st_sid2;
	CHECK(coapsec_context_new(cn, p, &id, NULL) == -EEXIST);
	p->sender_key = st_key2;
	CHECK(!coapsec_context_new(cn, p, &id, NULL) && id == 2);
	st_params(p, 0, NULL, 0, st_kid1);
	CHECK(!coapsec_context_new(cn, p, &id, NULL) && id == 3);

	rcu_read_lock();
	r = __coapsec_context_lookup_kid(cn, st_idctx, 4, st_kid1, 1);
	CHECK(r && r->ctx->id == 1);
	r = __coapsec_context_lookup_kid(cn, st_idctx, 4, st_kid2, 1);
	CHECK(r && r->ctx->id == 2);
	r = __coapsec_context_lookup_kid(cn, NULL, 0, st_kid1, 1);
	CHECK(r && r->ctx->id == 3);
	CHECK(!__coapsec_context_lookup_kid(cn, st_idctx, 3, st_kid1, 1));
	CHECK(!__coapsec_context_lookup_kid(cn, st_idctx, 4, st_sid, 1));
	CHECK(!__coapsec_context_lookup_kid(cn, st_idctx, 4, st_kid1, 8));
	CHECK(coapsec_context_lookup(cn, 2) &&
	      coapsec_context_lookup(cn, 2)->id == 2);
	CHECK(!coapsec_context_lookup(cn, 4));
	rcu_read_unlock();

	/* The same (ID context, kid) twice among current contexts. */
	st_params(p, 0, st_idctx, 4, st_kid1);
	CHECK(coapsec_context_new(cn, p, &id, NULL) == -EEXIST);

	/* A swap: the new keys first, the previous ones next. */
	st_params(p, 1, st_idctx, 4, st_kid1);
	CHECK(!coapsec_context_swap(cn, p, NULL));
	rcu_read_lock();
	r = __coapsec_context_lookup_kid(cn, st_idctx, 4, st_kid1, 1);
	CHECK(r && r->ctx->state == COAPSEC_CONTEXT_STATE_CURRENT &&
	      r->ctx == coapsec_context_lookup(cn, 1));
	old = r ? coapsec_recipient_next_dup(r) : NULL;
	CHECK(old && old->ctx->state == COAPSEC_CONTEXT_STATE_PREVIOUS &&
	      old->ctx->id == 1 && old->ctx != r->ctx);
	CHECK(old && !coapsec_recipient_next_dup(old));
	rcu_read_unlock();
	CHECK(cn->n_contexts == 4);

	/*
	 * A message checked in the previous window just before the swap
	 * took it over commits in the successor's, once.
	 */
	rcu_read_lock();
	local_bh_disable();	/* as the packet path, its only caller */
	CHECK(old && !coapsec_replay_commit(old, 5));
	CHECK(r && coapsec_replay_commit(r, 5) == -EALREADY);
	CHECK(r && coapsec_replay_check(r, 5) == -EALREADY);
	local_bh_enable();
	rcu_read_unlock();

	/*
	 * Swaps that keep the sender key answer for every context of the ID
	 * since, released ones too; one with another sender key for none.
	 */
	gen = coapsec_context_lookup(cn, 1)->gen;
	CHECK(!coapsec_context_swap(cn, p, NULL));
	CHECK(!coapsec_context_swap(cn, p, NULL));
	ctx = coapsec_context_lookup(cn, 1);
	CHECK(ctx && coapsec_context_sends_for(ctx, gen) &&
	      !coapsec_context_sends_for(ctx, ctx->gen + 1));
	memcpy(key, st_key_for(st_idctx, 4), sizeof(key));
	key[5] ^= 0xff;
	p->sender_key = key;
	CHECK(!coapsec_context_swap(cn, p, NULL));
	ctx = coapsec_context_lookup(cn, 1);
	CHECK(ctx && !coapsec_context_sends_for(ctx, gen) &&
	      !coapsec_context_sends_for(ctx, ctx->gen - 1) &&
	      coapsec_context_sends_for(ctx, ctx->gen));
	CHECK(cn->n_contexts == 4);

	CHECK(!coapsec_context_del(cn, 1));
	rcu_read_lock();
	CHECK(!__coapsec_context_lookup_kid(cn, st_idctx, 4, st_kid1, 1));
	rcu_read_unlock();
	CHECK(cn->n_contexts == 2);
}

/*
 * A counter a swap is still settling gives no number: the sender waits
 * until the swap has set it.  A hard-irq timer plays the settling CPU
 * (a softirq one may be left to ksoftirqd, which the waiting loader
 * never lets run on a single CPU).
 */
static struct coapsec_context *st_settling_ctx;
static u64 st_settled_seq;

static enum hrtimer_restart st_settle(struct hrtimer *t)
{
	atomic64_set(&st_settling_ctx->seq, st_settled_seq);
	/* Its sequence before the end of settling, as the swap orders them. */
	smp_store_release(&st_settling_ctx->settling, false);
	return HRTIMER_NORESTART;
}

static void st_settling(struct coapsec_net *cn)
{
	struct hrtimer timer;
	u64 seq = OSCORE_SEQ_NONE;

	st_settling_ctx = coapsec_context_lookup(cn, 2);
	CHECK(st_settling_ctx);
	if (!st_settling_ctx)
		return;
	st_settled_seq = atomic64_read(&st_settling_ctx->seq) + 1000;
	hrtimer_init_on_stack(&timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	timer.function = st_settle;
	WRITE_ONCE(st_settling_ctx->settling, true);
	hrtimer_start(&timer, ms_to_ktime(20), HRTIMER_MODE_REL_HARD);
	CHECK(!coapsec_next_seq(st_settling_ctx, &seq) &&
	      seq == st_settled_seq);
	hrtimer_cancel(&timer);
	destroy_hrtimer_on_stack(&timer);
	WRITE_ONCE(st_settling_ctx->settling, false);
}

static void st_policies(struct coapsec_net *cn)
{
	struct coapsec_policy pol = {};
	struct coapsec_context *ctx;
	u8 a1[4] = { 192, 0, 2, 1 }, a200[4] = { 192, 0, 2, 200 };
	u8 other[4] = { 198, 51, 100, 1 }, v6[16] = { 0x20, 0x01 };
	u32 id;

	pol.family = AF_INET;
	pol.dir = COAPSEC_DIR_OUT;
	pol.action = COAPSEC_ACTION_PROTECT;
	pol.context_id = 2;
	pol.priority = 10;
	pol.has_dst = true;
	memcpy(pol.dst.s6_addr, a1, 3);
	pol.dst_plen = 24;
	pol.dport = 5683;
	CHECK(!coapsec_policy_new(cn, &pol, &id, NULL));

	pol.action = COAPSEC_ACTION_BYPASS;
	pol.priority = 5;
	pol.dst.s6_addr[3] = 128;
	pol.dst_plen = 25;
	CHECK(!coapsec_policy_new(cn, &pol, &id, NULL));

	memset(&pol, 0, sizeof(pol));
	pol.family = AF_INET6;
	pol.dir = COAPSEC_DIR_IN;
	pol.action = COAPSEC_ACTION_VERIFY;
	pol.has_mark = true;
	pol.mark = 0x10;
	pol.mark_mask = 0xf0;
	pol.ifindex = 7;
	CHECK(!coapsec_policy_new(cn, &pol, &id, NULL));

	rcu_read_lock();
	CHECK(__coapsec_policy_match(cn, AF_INET, COAPSEC_DIR_OUT, other, a1,
				     htons(5683), 1, 0, &ctx) ==
	      COAPSEC_ACTION_PROTECT && ctx && ctx->id == 2);
	CHECK(__coapsec_policy_match(cn, AF_INET, COAPSEC_DIR_OUT, other,
				     a200, htons(5683), 1, 0, &ctx) ==
	      COAPSEC_ACTION_BYPASS && !ctx);
	CHECK(!__coapsec_policy_match(cn, AF_INET, COAPSEC_DIR_OUT, other, a1,
				      htons(5684), 1, 0, &ctx));
	CHECK(!__coapsec_policy_match(cn, AF_INET, COAPSEC_DIR_FWD, other, a1,
				      htons(5683), 1, 0, &ctx));
	CHECK(!__coapsec_policy_match(cn, AF_INET, COAPSEC_DIR_OUT, a1, other,
				      htons(5683), 1, 0, &ctx));
	CHECK(__coapsec_policy_match(cn, AF_INET6, COAPSEC_DIR_IN, v6, v6,
				     htons(1), 7, 0x1f, &ctx) ==
	      COAPSEC_ACTION_VERIFY);
	CHECK(!__coapsec_policy_match(cn, AF_INET6, COAPSEC_DIR_IN, v6, v6,
				      htons(1), 7, 0x20, &ctx));
	CHECK(!__coapsec_policy_match(cn, AF_INET6, COAPSEC_DIR_IN, v6, v6,
				      htons(1), 8, 0x10, &ctx));
	rcu_read_unlock();
	CHECK(coapsec_policy_uses_context(cn, 2));
	CHECK(!coapsec_policy_uses_context(cn, 3));
}

#define ST_GROUP	1000
static const u8 st_gidctx[4] = { 0x9d, 0, 0, 1 };

/* A group of @n recipients, kids 0x00 0x01 .. big-endian 2 bytes + 1. */
static void st_group_params(struct coapsec_context_params *p, u32 id,
			    u8 *kids, unsigned int n)
{
	unsigned int i;

	st_params(p, id, st_gidctx, 4, st_kid1);
	p->flags = COAPSEC_CONTEXT_F_GROUP;
	p->n_recipients = n;
	for (i = 0; i < n; i++) {
		put_unaligned_be16(i + 1, kids + 2 * i);
		p->recipients[i].id = kids + 2 * i;
		p->recipients[i].id_len = 2;
		p->recipients[i].key = st_rkey_for(st_gidctx, 4);
		p->recipients[i].window = 32;
	}
}

/*
 * Groups beyond the old limit of 64: every member found by kid, in its
 * context's index and the namespace's table; a kid given twice refused;
 * a swap keeps each kept member's replay window.
 */
static void st_group(struct coapsec_net *cn)
{
	static const unsigned int probe[] = { 0, 64, ST_GROUP - 1 };
	struct coapsec_context_params *p;
	struct coapsec_recipient *r;
	struct coapsec_context *ctx;
	unsigned int i;
	u8 *kids;
	u32 id;

	p = coapsec_context_params_alloc(ST_GROUP);
	kids = kmalloc_array(ST_GROUP, 2, GFP_KERNEL);
	if (!p || !kids) {
		CHECK(!"memory for the group test");
		goto out;
	}
	st_group_params(p, 50, kids, ST_GROUP);
	/* The last kid equal to the first: refused, nothing left behind. */
	p->recipients[ST_GROUP - 1].id = kids;
	CHECK(coapsec_context_new(cn, p, &id, NULL) == -EINVAL);
	CHECK(!coapsec_context_lookup(cn, 50));
	st_group_params(p, 50, kids, ST_GROUP);
	CHECK(!coapsec_context_new(cn, p, &id, NULL) && id == 50);
	ctx = coapsec_context_lookup(cn, 50);
	CHECK(ctx && ctx->n_recipients == ST_GROUP);
	if (!ctx)
		goto out;
	rcu_read_lock();
	for (i = 0; i < ARRAY_SIZE(probe); i++) {
		const u8 *kid = kids + 2 * probe[i];

		r = coapsec_context_find_recipient(ctx, kid, 2);
		CHECK(r == &ctx->recipients[probe[i]]);
		r = __coapsec_context_lookup_kid(cn, st_gidctx, 4, kid, 2);
		CHECK(r == &ctx->recipients[probe[i]]);
	}
	CHECK(!coapsec_context_find_recipient(ctx, st_kid1, 1));
	rcu_read_unlock();
	for (i = 0; i < ST_GROUP; i++)
		CHECK(coapsec_context_find_recipient(ctx, kids + 2 * i, 2) ==
		      &ctx->recipients[i]);

	/* Member 65 has seen 7; the swap keeps its key: 7 stays seen. */
	local_bh_disable();	/* as the packet path, its only caller */
	CHECK(!coapsec_replay_commit(&ctx->recipients[64], 7));
	local_bh_enable();
	CHECK(!coapsec_context_swap(cn, p, NULL));
	ctx = coapsec_context_lookup(cn, 50);
	CHECK(ctx && ctx->n_recipients == ST_GROUP);
	if (ctx) {
		local_bh_disable();
		CHECK(coapsec_replay_check(&ctx->recipients[64], 7) ==
		      -EALREADY);
		CHECK(!coapsec_replay_check(&ctx->recipients[65], 7));
		local_bh_enable();
	}
	CHECK(!coapsec_context_del(cn, 50));
out:
	kfree(kids);
	kvfree(p);
}

/* Lookup cost with many contexts: one probe per context, averaged. */
static void st_lookup_speed(struct coapsec_net *cn,
			    struct coapsec_context_params *p, unsigned int n)
{
	unsigned int i, found = 0;
	u8 idctx[4];
	ktime_t t0;
	u64 ns;

	for (i = 0; i < n; i++) {
		put_unaligned_be32(i + 1000, idctx);
		st_params(p, 0, idctx, 4, st_kid1);
		if (coapsec_context_new(cn, p, &p->id, NULL))
			break;
		cond_resched();
	}
	CHECK(i == n);
	t0 = ktime_get();
	rcu_read_lock();
	for (i = 0; i < n; i++) {
		put_unaligned_be32(i + 1000, idctx);
		found += !!__coapsec_context_lookup_kid(cn, idctx, 4,
							st_kid1, 1);
	}
	rcu_read_unlock();
	ns = ktime_to_ns(ktime_sub(ktime_get(), t0));
	CHECK(found == n);
	pr_info("selftest: %u lookups by (id context, kid) among %u contexts: %llu ns each\n",
		n, cn->n_contexts, n ? ns / n : 0);
}

/*
 * Retired keys: a context may neither receive with a key this namespace
 * sent with, nor send with one it received with, once that context is
 * gone; and @n contexts churned through (2 memories each) leave chains
 * short enough to walk at every creation.
 */
/*
 * A retired context's keys with the roles turned round, one key at a
 * time, under ID context @idctx_val (new kids): each refused.
 */
static void st_mirrors_refused(struct coapsec_net *cn,
			       struct coapsec_context_params *p, u32 idctx_val,
			       const u8 *skey, const u8 *rkey)
{
	u8 idctx[4];
	u32 id;

	put_unaligned_be32(idctx_val, idctx);
	st_params(p, 0, idctx, 4, st_kid1);
	p->recipients[0].key = skey;
	CHECK(coapsec_context_new(cn, p, &id, NULL) == -EEXIST);
	st_params(p, 0, idctx, 4, st_kid1);
	p->sender_key = rkey;
	CHECK(coapsec_context_new(cn, p, &id, NULL) == -EEXIST);
}

static void st_retired(struct coapsec_net *cn,
		       struct coapsec_context_params *p, unsigned int n)
{
	unsigned int i, before, longest, old_longest;
	u8 idctx[4], skey[32], rkey[32];
	ktime_t t0;
	u64 ns;
	u32 id;

	put_unaligned_be32(0x0fffffff, idctx);
	st_params(p, 0, idctx, 4, st_kid1);
	memcpy(skey, p->sender_key, sizeof(skey));
	memcpy(rkey, p->recipients[0].key, sizeof(rkey));
	CHECK(!coapsec_context_new(cn, p, &id, NULL));
	CHECK(!coapsec_context_del(cn, id));
	st_mirrors_refused(cn, p, 0x0ffffffe, skey, rkey);
	/* Both new: taken. */
	st_params(p, 0, idctx, 4, st_kid1);
	CHECK(!coapsec_context_new(cn, p, &id, NULL));
	CHECK(!coapsec_context_del(cn, id));

	before = cn->n_retired;
	for (i = 0; i < n; i++) {
		put_unaligned_be32(0x10000000 + i, idctx);
		st_params(p, 0, idctx, 4, st_kid1);
		if (coapsec_context_new(cn, p, &id, NULL) ||
		    coapsec_context_del(cn, id))
			break;
		cond_resched();
	}
	CHECK(i == n && cn->n_retired == before + 2 * n);
	/* The first keys are still found once the tables grew past them. */
	st_mirrors_refused(cn, p, 0x0ffffffd, skey, rkey);
	put_unaligned_be32(0x20000000, idctx);
	st_params(p, 0, idctx, 4, st_kid1);
	t0 = ktime_get();
	CHECK(!coapsec_context_new(cn, p, &id, NULL));
	ns = ktime_to_ns(ktime_sub(ktime_get(), t0));
	CHECK(!coapsec_context_del(cn, id));
	longest = coapsec_retired_longest_chain(cn, 0);
	old_longest = coapsec_retired_longest_chain(cn, 512);
	/* Four a bucket on average at most, and a chain of 32 is ~1e-18. */
	CHECK(cn->retired_buckets >= cn->n_retired / 4 && longest <= 32);
	pr_info("selftest: %u retired memories in %u buckets: longest chain %u (%u in 512 buckets); a context made among them in %llu us\n",
		cn->n_retired, cn->retired_buckets, longest, old_longest,
		ns / 1000);
}

/* How coapsec_skb_rewrite() made its room. */
enum st_way { ST_TAIL, ST_FRONT, ST_REALLOC };

/*
 * An IPv4/UDP datagram of @len message bytes, laid out with @head bytes
 * of headroom (if not 0; the tailroom is then ample), else with @tail
 * bytes of tailroom (and ample headroom), an Ethernet header before it
 * when @mac; rewritten with the head @hl bytes
 * long keeping @keep_len bytes from @keep, @extra after them.  The
 * message must come out as head || kept, the headers unchanged, and the
 * room made the @way expected; a clone must keep the original bytes.
 */
static void st_rewrite(unsigned int len, unsigned int head, unsigned int tail,
		       bool mac, bool clone, unsigned int hl,
		       unsigned int keep, unsigned int keep_len,
		       unsigned int extra, enum st_way way)
{
	const unsigned int front = sizeof(struct iphdr) + sizeof(struct udphdr);
	struct coapsec_pkt pkt = { .family = AF_INET, .udp_off = 20,
				   .len = len, .dir = COAPSEC_DIR_IN };
	u8 *save, *orig, *hbuf, *old_head;
	unsigned int i, room, old_headroom;
	struct sk_buff *skb, *c = NULL;
	u8 hdrs[14 + 28];
	int err;

	skb = alloc_skb(1024 + len + head + tail, GFP_KERNEL);
	save = kmalloc(COAPSEC_MAX_MSG, GFP_KERNEL);
	orig = kmalloc(len, GFP_KERNEL);
	hbuf = kmalloc(hl, GFP_KERNEL);
	if (!skb || !save || !orig || !hbuf) {
		CHECK(!"allocation");
		goto out;
	}
	room = skb_tailroom(skb) - front - len - tail;
	skb_reserve(skb, head ? head : room);
	skb_put(skb, front + len);
	skb_reset_network_header(skb);
	skb_set_transport_header(skb, 20);
	if (mac)
		skb_set_mac_header(skb, -14);
	for (i = 0; i < sizeof(hdrs); i++)
		hdrs[i] = 0x40 + i;
	memcpy(skb->data - 14, hdrs, sizeof(hdrs));
	for (i = 0; i < len; i++)
		orig[i] = i * 7 + 1;
	memcpy(skb->data + front, orig, len);
	for (i = 0; i < hl; i++)
		hbuf[i] = 0xa0 + i;
	if (clone)
		c = skb_clone(skb, GFP_KERNEL);
	old_head = skb->head;
	old_headroom = skb_headroom(skb);

	err = coapsec_skb_rewrite(skb, &pkt, hbuf, hl, keep, keep_len, extra,
				  save);
	CHECK(!err);
	if (err)
		goto out;
	CHECK(pkt.len == hl + keep_len + extra);
	CHECK(skb->len == front + pkt.len);
	CHECK(skb_network_header(skb) == skb->data);
	CHECK(skb_transport_header(skb) == skb->data + 20);
	CHECK(!memcmp(skb->data, hdrs + 14, front));
	if (mac)
		CHECK(!memcmp(skb_mac_header(skb), hdrs, 14));
	CHECK(!memcmp(skb->data + front, hbuf, hl));
	CHECK(!memcmp(skb->data + front + hl, orig + keep, keep_len));
	if (way == ST_REALLOC)
		CHECK(skb->head != old_head);
	else
		CHECK(skb->head == old_head &&
		      (int)skb_headroom(skb) == (int)old_headroom +
		      (way == ST_FRONT ? (int)keep - (int)hl : 0));
	if (c)
		CHECK(c->len == front + len &&
		      !memcmp(c->data + front, orig, len));
out:
	kfree_skb(c);
	kfree_skb(skb);
	kfree(hbuf);
	kfree(orig);
	kfree(save);
}

static void st_skb(void)
{
	/* Protect: the head grows, the payload moves into the tailroom. */
	st_rewrite(110, 16, 0, false, false, 30, 10, 100, 8, ST_TAIL);
	/* ... unless there is none: a new head, the old one wiped. */
	st_rewrite(30, 0, 0, false, false, 30, 10, 20, 8, ST_REALLOC);
	st_rewrite(110, 0, 0, false, false, 30, 10, 100, 8, ST_REALLOC);
	st_rewrite(3000, 0, 4, false, false, 40, 10, 2990, 16, ST_REALLOC);
	/* Headroom beyond any reserve (no route here): the headers move. */
	st_rewrite(110, 128, 16, true, false, 30, 10, 100, 8, ST_FRONT);
	/* Verify: the head shrinks; the smaller side moves. */
	st_rewrite(240, 0, 0, true, false, 20, 30, 200, 0, ST_FRONT);
	st_rewrite(50, 0, 0, true, false, 20, 30, 10, 0, ST_TAIL);
	st_rewrite(40, 0, 0, false, false, 12, 40, 0, 0, ST_TAIL);
	/* A clone's data is never written: this one gets its own head. */
	st_rewrite(240, 0, 64, true, true, 20, 30, 200, 0, ST_REALLOC);
}

/*
 * One bucket's ways: while three hold protected exchanges that wait, the
 * fourth stays free for plain requests, whether a new protected exchange
 * comes (it takes the oldest live one, never the lapsed or unused way) or
 * a plain one turns protected.
 */
#define ST_XTOKENS 5

static int st_xadd(struct coapsec_net *cn, struct coapsec_exchange *ex,
		   u64 token, bool plain)
{
	int ret;

	memcpy(ex->token, &token, sizeof(token));
	ex->flags = plain ? COAPSEC_EXCHANGE_F_PLAIN : 0;
	ex->binding.nonce[0] = plain ? 0 : (u8)token + 1;
	local_bh_disable();
	ret = coapsec_exchange_add(cn, ex);
	local_bh_enable();
	return ret;
}

/* 0: protected, 1: plain, -ENOENT: gone. */
static int st_xfind(struct coapsec_net *cn, const struct coapsec_exchange *ex,
		    u64 token)
{
	struct coapsec_exchange found;
	u8 tk[COAP_MAX_TOKEN_LEN] = {};
	int ret;

	memcpy(tk, &token, sizeof(token));
	local_bh_disable();
	ret = coapsec_exchange_find(cn, ex->role, ex->family, &ex->peer,
				    ex->port, ex->lport, tk, ex->token_len,
				    &found);
	local_bh_enable();
	return ret ?: !!(found.flags & COAPSEC_EXCHANGE_F_PLAIN);
}

/* Server: 0: an answer may take the request's nonce, 1: not, -ENOENT. */
static int st_xanswer(struct coapsec_net *cn,
		      const struct coapsec_exchange *ex, u64 token)
{
	struct coapsec_exchange found;
	u8 tk[COAP_MAX_TOKEN_LEN] = {};
	bool reuse = false;
	int ret;

	memcpy(tk, &token, sizeof(token));
	local_bh_disable();
	ret = coapsec_exchange_answer(cn, ex->family, &ex->peer, ex->port,
				      ex->lport, tk, ex->token_len, false, 0,
				      &found, &reuse);
	local_bh_enable();
	return ret ?: !reuse;
}

/* In @tok, @n tokens whose keys (with @ex's peer) fall in @bucket. */
static bool st_xbucket(struct coapsec_net *cn, struct coapsec_exchange *ex,
		       u32 bucket, u64 *tok, unsigned int n)
{
	unsigned int found = 0;
	u64 t = 0;

	while (found < n && ++t < 1000000) {
		memcpy(ex->token, &t, sizeof(t));
		if (coapsec_exchange_bucket_of(cn, ex) == bucket)
			tok[found++] = t;
	}
	CHECK(found == n);
	return found == n;
}

/* A fresh table, and in @tok tokens whose keys share one bucket. */
static bool st_xtokens(struct coapsec_net *cn, struct coapsec_exchange *ex,
		       u64 *tok)
{
	u64 t = 0;

	coapsec_exchange_table_destroy(cn);
	CHECK(!coapsec_exchange_table_create(cn));
	if (!cn->exchanges)
		return false;
	memcpy(ex->token, &t, sizeof(t));
	return st_xbucket(cn, ex, coapsec_exchange_bucket_of(cn, ex), tok,
			  ST_XTOKENS);
}

/*
 * A peer that crowds a bucket pushes out its own oldest exchange, not
 * another peer's older one.
 */
static void st_exchange_own(struct coapsec_net *cn,
			    struct coapsec_exchange *ex)
{
	struct in6_addr p = ex->peer;
	u64 tp[ST_XTOKENS], tq[2];
	u32 bucket;

	if (!st_xtokens(cn, ex, tp))
		return;
	memcpy(ex->token, &tp[0], sizeof(tp[0]));
	bucket = coapsec_exchange_bucket_of(cn, ex);
	/* Another peer: another address, under another context. */
	ex->peer.s6_addr[15] ^= 0x80;
	if (!st_xbucket(cn, ex, bucket, tq, ARRAY_SIZE(tq)))
		goto out;
	ex->ctx_id++;
	CHECK(!st_xadd(cn, ex, tq[0], false));
	CHECK(!st_xadd(cn, ex, tq[1], false));
	ex->ctx_id--;
	ex->peer = p;
	CHECK(!st_xadd(cn, ex, tp[0], false));
	CHECK(st_xadd(cn, ex, tp[1], false) == 1);
	CHECK(st_xfind(cn, ex, tp[0]) == -ENOENT);
	CHECK(!st_xfind(cn, ex, tp[1]));
	ex->peer.s6_addr[15] ^= 0x80;
	CHECK(!st_xfind(cn, ex, tq[0]));
	CHECK(!st_xfind(cn, ex, tq[1]));
out:
	ex->peer = p;
}

/*
 * A member that sends from another's address, under its own context, is
 * still the crowding peer: it pushes out its own exchange, never the
 * one whose address it took.
 */
static void st_exchange_spoof(struct coapsec_net *cn,
			      struct coapsec_exchange *ex)
{
	u64 tok[ST_XTOKENS];

	if (!st_xtokens(cn, ex, tok))
		return;
	CHECK(!st_xadd(cn, ex, tok[0], false));
	CHECK(!st_xadd(cn, ex, tok[1], false));
	ex->ctx_id++;
	CHECK(!st_xadd(cn, ex, tok[2], false));
	CHECK(st_xadd(cn, ex, tok[3], false) == 1);
	CHECK(st_xfind(cn, ex, tok[2]) == -ENOENT);
	CHECK(!st_xfind(cn, ex, tok[3]));
	ex->ctx_id--;
	CHECK(!st_xfind(cn, ex, tok[0]));
	CHECK(!st_xfind(cn, ex, tok[1]));
}

/*
 * Server: a context deleted and made again under its ID is another line
 * (id_since): a request it verifies cannot take over the answer owed to
 * one the deleted context verified.  A swap continues the line.
 */
static void st_exchange_line(struct coapsec_net *cn,
			     struct coapsec_exchange *ex)
{
	u64 gen = ex->ctx_gen, since = ex->id_since;
	u64 tok[ST_XTOKENS];

	if (!st_xtokens(cn, ex, tok))
		return;
	ex->ctx_gen = 10;
	ex->id_since = 10;
	CHECK(!st_xadd(cn, ex, tok[0], false));
	ex->ctx_gen = 12;
	ex->id_since = 12;
	CHECK(st_xadd(cn, ex, tok[0], false) == -EEXIST);
	CHECK(st_xanswer(cn, ex, tok[0]) == 0);
	ex->id_since = 10;
	CHECK(!st_xadd(cn, ex, tok[0], false));
	ex->ctx_gen = gen;
	ex->id_since = since;
}

static void st_exchange(struct coapsec_net *cn)
{
	struct coapsec_exchange ex = {
		.role = COAPSEC_EXCHANGE_CLIENT,
		.family = AF_INET6,
		.token_len = sizeof(u64),
		.port = htons(5683),
		.lport = htons(40000),
		.peer = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } },
		.ctx_id = 1,
		.ctx_gen = 1,
	};
	u64 tok[ST_XTOKENS];

	if (!st_xtokens(cn, &ex, tok))
		return;
	/* Three wait protected and the fourth way was never used. */
	CHECK(!st_xadd(cn, &ex, tok[0], false));
	CHECK(!st_xadd(cn, &ex, tok[1], false));
	CHECK(!st_xadd(cn, &ex, tok[2], false));
	CHECK(st_xadd(cn, &ex, tok[3], false) == 1);
	CHECK(st_xfind(cn, &ex, tok[0]) == -ENOENT);
	CHECK(!st_xfind(cn, &ex, tok[3]));
	CHECK(!st_xadd(cn, &ex, tok[4], true));
	CHECK(st_xfind(cn, &ex, tok[4]) == 1);

	/* A plain exchange beside three protected ones turns protected. */
	if (!st_xtokens(cn, &ex, tok))
		return;
	CHECK(!st_xadd(cn, &ex, tok[0], true));
	CHECK(!st_xadd(cn, &ex, tok[1], false));
	CHECK(!st_xadd(cn, &ex, tok[2], false));
	CHECK(!st_xadd(cn, &ex, tok[3], false));
	CHECK(st_xadd(cn, &ex, tok[0], false) == 1);
	CHECK(st_xfind(cn, &ex, tok[1]) == -ENOENT);
	CHECK(!st_xfind(cn, &ex, tok[0]));
	CHECK(!st_xadd(cn, &ex, tok[4], true));
	CHECK(st_xfind(cn, &ex, tok[4]) == 1);

	st_exchange_own(cn, &ex);
	st_exchange_spoof(cn, &ex);

	/*
	 * Server: an answered request again with its nonce, which stays
	 * spent, waits for nothing: it stays in its way, evicting none.
	 */
	ex.role = COAPSEC_EXCHANGE_SERVER;
	if (!st_xtokens(cn, &ex, tok))
		return;
	CHECK(!st_xadd(cn, &ex, tok[0], false));
	CHECK(!st_xanswer(cn, &ex, tok[0]));
	CHECK(!st_xadd(cn, &ex, tok[1], false));
	CHECK(!st_xadd(cn, &ex, tok[2], false));
	CHECK(!st_xadd(cn, &ex, tok[3], false));
	CHECK(!st_xadd(cn, &ex, tok[0], false));
	CHECK(!st_xfind(cn, &ex, tok[1]));
	CHECK(st_xanswer(cn, &ex, tok[0]) == 1);
	/* A new request under its key waits: it moves, its nonce unspent. */
	ex.binding.nonce[1] = 1;
	CHECK(st_xadd(cn, &ex, tok[0], false) == 1);
	CHECK(st_xfind(cn, &ex, tok[1]) == -ENOENT);
	CHECK(!st_xanswer(cn, &ex, tok[0]));
	CHECK(st_xanswer(cn, &ex, tok[0]) == 1);
	CHECK(!st_xadd(cn, &ex, tok[4], true));
	CHECK(st_xfind(cn, &ex, tok[4]) == 1);

	st_exchange_line(cn, &ex);
}

int coapsec_selftest(unsigned int n_contexts)
{
	struct coapsec_context_params *p;
	struct coapsec_net *cn;
	int err;

	st_pass = 0;
	st_fail = 0;
	cn = kzalloc(sizeof(*cn), GFP_KERNEL);
	p = coapsec_context_params_alloc(1);
	if (!cn || !p) {
		err = -ENOMEM;
		goto out;
	}
	err = coapsec_net_state_init(cn, &init_net);
	if (err)
		goto out;
	mutex_lock(&cn->lock);
	st_contexts(cn, p);
	st_settling(cn);
	st_policies(cn);
	st_group(cn);
	st_exchange(cn);
	st_lookup_speed(cn, p, n_contexts);
	st_retired(cn, p, 32768);
	mutex_unlock(&cn->lock);
	st_skb();
	coapsec_net_state_destroy(cn);
	if (st_fail) {
		pr_err("selftest: %u of %u checks failed\n", st_fail,
		       st_pass + st_fail);
		err = -EINVAL;
	} else {
		pr_info("selftest: all %u checks passed\n", st_pass);
	}
out:
	kvfree(p);
	kfree(cn);
	return err;
}
