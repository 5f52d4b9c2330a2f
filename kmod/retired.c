// SPDX-License-Identifier: GPL-2.0
/*
 * Memories of retired key material, by fingerprint (context.h); hash
 * tables for the lookups and a list of all, under cn->lock.  The tables
 * grow as contexts reserve their places (coapsec_retired_reserve()), so
 * that chains stay short at any retired_keys and an insert into them
 * allocates nothing: remembering never fails.
 *
 * Nothing is ever forgotten while the namespace's state lives (a key
 * forgotten would come back at seq-start, reusing nonces, with a fresh
 * window): the room a context's material will take is reserved when the
 * context is made, and a context that would not fit is refused.
 */
#include <linux/bitmap.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/user_namespace.h>

#include "context.h"
#include "netns.h"
#include "retired.h"

struct coapsec_retired {
	struct hlist_node node;		/* cn->retired, by fp */
	struct hlist_node knode;	/* recipient: cn->retired_rkey, by kfp */
	struct list_head all;
	u8 fp[COAPSEC_FP_LEN];
	union {
		/* Sender: with which Common IV and sender ID (sender_nfp). */
		u8 nfp[COAPSEC_FP_LEN];
		/*
		 * Recipient: its key alone, as a sender's (kfp), so that no
		 * context sends under a key the peer sent with.
		 */
		u8 kfp[COAPSEC_FP_LEN];
	};
	u64 seq;	/* sender: next number; recipient: highest accepted */
	bool recipient;
	/* Recipient: seq holds a number it accepted (else none yet). */
	bool seen;
	/*
	 * Recipient: a context with its key said replay-unknown (its window
	 * was lost before this boot); what it accepted then stays unknown,
	 * so every context made again with it says so too.
	 */
	bool unknown;
};

/*
 * Live contexts count (the places they reserve), so the default leaves
 * room for hundreds of thousands of them; each memory is 128 bytes,
 * charged to whoever made its context.
 */
static unsigned int retired_keys = 1 << 20;
module_param(retired_keys, uint, 0644);
MODULE_PARM_DESC(retired_keys,
		 "key materials (1 per sender key + 1 per recipient) a namespace remembers after their contexts are gone, live contexts' included: a context that would not fit is refused (default 1048576)");

/*
 * A namespace whose user namespace is not the initial one may be any
 * user's, who can make many: its memory is bounded lower (besides being
 * charged to the maker's memory cgroup).
 */
static unsigned int user_retired_keys = 65536;
module_param(user_retired_keys, uint, 0644);
MODULE_PARM_DESC(user_retired_keys,
		 "the same bound for a namespace owned by a user namespace other than the initial one, where lower than retired_keys (default 65536)");

/*
 * Buckets per table: few for a namespace that never holds a context; at
 * most 8 MiB a table (2 memories a bucket up to 2 million memories).
 */
#define COAPSEC_RETIRED_MIN_BUCKETS	64U
#define COAPSEC_RETIRED_MAX_BUCKETS	1048576U

static int coapsec_retired_alloc(struct coapsec_net *cn, unsigned int n)
{
	struct hlist_head *by_fp, *by_kfp;
	unsigned int i;

	/* Growing is optional: a refusal leaves longer chains, unlogged. */
	by_fp = kvmalloc_array(n, sizeof(*by_fp),
			       GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	by_kfp = kvmalloc_array(n, sizeof(*by_kfp),
				GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!by_fp || !by_kfp) {
		kvfree(by_fp);
		kvfree(by_kfp);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		INIT_HLIST_HEAD(&by_fp[i]);
		INIT_HLIST_HEAD(&by_kfp[i]);
	}
	kvfree(cn->retired);
	kvfree(cn->retired_rkey);
	cn->retired = by_fp;
	cn->retired_rkey = by_kfp;
	cn->retired_buckets = n;
	return 0;
}

int coapsec_retired_init(struct coapsec_net *cn)
{
	INIT_LIST_HEAD(&cn->retired_all);
	return coapsec_retired_alloc(cn, COAPSEC_RETIRED_MIN_BUCKETS);
}

/* Frees every memory: a million of them take a while. */
static void coapsec_retired_free_all(struct coapsec_net *cn)
{
	struct coapsec_retired *r, *tmp;
	unsigned int n = 0;

	list_for_each_entry_safe(r, tmp, &cn->retired_all, all) {
		kfree_sensitive(r);
		if (!(++n % 1024))
			cond_resched();
	}
	INIT_LIST_HEAD(&cn->retired_all);
	cn->n_retired = 0;
}

void coapsec_retired_destroy(struct coapsec_net *cn)
{
	coapsec_retired_free_all(cn);
	kvfree(cn->retired);
	kvfree(cn->retired_rkey);
	cn->retired = NULL;
	cn->retired_rkey = NULL;
}

int coapsec_retired_forget(struct coapsec_net *cn,
			   struct netlink_ext_ack *extack)
{
	unsigned int i;

	lockdep_assert_held(&cn->lock);
	if (cn->n_contexts || cn->retired_reserved) {
		NL_SET_ERR_MSG(extack,
			       "flush: contexts remain; the retired keys' memory is forgotten only with none");
		return -EBUSY;
	}
	coapsec_retired_free_all(cn);
	for (i = 0; i < cn->retired_buckets; i++) {
		INIT_HLIST_HEAD(&cn->retired[i]);
		INIT_HLIST_HEAD(&cn->retired_rkey[i]);
	}
	/* As after a reboot: key managers see that the kernel forgot. */
	WRITE_ONCE(cn->instance_id, get_random_u64());
	return 0;
}

/*
 * A fingerprint is a salted hash: its first bytes spread well enough.
 * The number of buckets is a power of two.
 */
static struct hlist_head *coapsec_retired_bucket(struct hlist_head *table,
						 unsigned int n, const u8 *fp)
{
	u32 h;

	memcpy(&h, fp, sizeof(h));
	return &table[h & (n - 1)];
}

static struct coapsec_retired *coapsec_retired_find(struct coapsec_net *cn,
						    const u8 *fp)
{
	struct hlist_head *head = coapsec_retired_bucket(cn->retired,
							 cn->retired_buckets,
							 fp);
	struct coapsec_retired *r;

	hlist_for_each_entry(r, head, node)
		if (!memcmp(r->fp, fp, COAPSEC_FP_LEN))
			return r;
	return NULL;
}

static void coapsec_retired_link(struct coapsec_net *cn,
				 struct coapsec_retired *r)
{
	hlist_add_head(&r->node, coapsec_retired_bucket(cn->retired,
							cn->retired_buckets,
							r->fp));
	if (r->recipient)
		hlist_add_head(&r->knode,
			       coapsec_retired_bucket(cn->retired_rkey,
						      cn->retired_buckets,
						      r->kfp));
}

/*
 * Makes the tables fit @n memories, two a bucket on average once grown
 * (grown at four).  Where the memory for that is lacking, the chains
 * just grow longer: lookups stay right.
 */
static void coapsec_retired_fit(struct coapsec_net *cn, unsigned int n)
{
	unsigned int want = cn->retired_buckets;
	struct coapsec_retired *r;
	unsigned int i = 0;

	if (n / 4 <= want || want >= COAPSEC_RETIRED_MAX_BUCKETS)
		return;
	want = min_t(unsigned long, roundup_pow_of_two(n / 2),
		     COAPSEC_RETIRED_MAX_BUCKETS);
	if (coapsec_retired_alloc(cn, want))
		return;
	list_for_each_entry(r, &cn->retired_all, all) {
		coapsec_retired_link(cn, r);
		if (!(++i % 1024))
			cond_resched();
	}
}

/*
 * Remembers @seq (where @seen) and @unknown for @fp in @mem (made when the
 * context was, charged to its maker, so that this needs no allocation),
 * or in an earlier memory of the same material, keeping the larger
 * number and an unknown window unknown.  @nfp is a sender's sender_nfp,
 * @kfp a recipient's kfp (one of them).  Takes @mem; a new memory uses
 * up one of @ctx's reserved places (none left: remembered all the same,
 * beyond the limit, rather than forgotten).
 */
static void coapsec_retired_note(struct coapsec_net *cn,
				 struct coapsec_context *ctx, const u8 *fp,
				 const u8 *nfp, const u8 *kfp, bool seen,
				 u64 seq, bool unknown,
				 struct coapsec_retired *mem)
{
	struct coapsec_retired *r = coapsec_retired_find(cn, fp);

	if (r || !mem) {
		kfree(mem);
		if (r) {
			/* A recipient's kfp follows from its fp. */
			if (nfp)
				memcpy(r->nfp, nfp, COAPSEC_FP_LEN);
			if (seen)
				r->seq = r->seen ? max(r->seq, seq) : seq;
			r->seen |= seen;
			r->unknown |= unknown;
		}
		return;
	}
	if (ctx->retired_slots) {
		ctx->retired_slots--;
		cn->retired_reserved--;
	}
	r = mem;
	memcpy(r->fp, fp, COAPSEC_FP_LEN);
	r->recipient = !!kfp;
	memcpy(r->nfp, nfp ?: kfp, COAPSEC_FP_LEN);
	r->seq = seq;
	r->seen = seen;
	r->unknown = unknown;
	coapsec_retired_link(cn, r);
	list_add_tail(&r->all, &cn->retired_all);
	cn->n_retired++;
}

unsigned int coapsec_retired_limit(const struct coapsec_net *cn, bool *user)
{
	unsigned int limit = READ_ONCE(retired_keys);
	unsigned int ulimit = READ_ONCE(user_retired_keys);

	*user = cn->net->user_ns != &init_user_ns && ulimit < limit;
	return *user ? ulimit : limit;
}

int coapsec_retired_reserve(struct coapsec_net *cn,
			    struct coapsec_context *ctx,
			    struct netlink_ext_ack *extack)
{
	unsigned int i, need = 0, limit;
	bool user;

	lockdep_assert_held(&cn->lock);
	limit = coapsec_retired_limit(cn, &user);
	/* Material remembered already is remembered in place. */
	if (!coapsec_retired_find(cn, ctx->sender_fp))
		need++;
	for (i = 0; i < ctx->n_recipients; i++) {
		if (!coapsec_retired_find(cn, ctx->recipients[i].fp))
			need++;
		if (!(i % 256))
			cond_resched();
	}
	/* Remembered keys only (need 0) go in even over a lowered bound. */
	if (need && (need > limit ||
		     cn->n_retired + cn->retired_reserved > limit - need)) {
		if (user)
			NL_SET_ERR_MSG(extack,
				       "context: the namespace's memory of retired keys is full (module parameter user_retired_keys, the bound for namespaces of user namespaces other than the initial one, which the host's administrator may raise); it keeps every deleted key's sequence and window so that the key cannot reuse nonces or accept replays when added again: 'coapsec flush --forget-retired' once the key manager re-creates its contexts as after a reboot (seq-start from its checkpoints, replay-unknown)");
		else
			NL_SET_ERR_MSG(extack,
				       "context: the namespace's memory of retired keys is full (module parameter retired_keys); it keeps every deleted key's sequence and window so that the key cannot reuse nonces or accept replays when added again: raise retired_keys, or 'coapsec flush --forget-retired' once the key manager re-creates its contexts as after a reboot (seq-start from its checkpoints, replay-unknown)");
		return -ENOSPC;
	}
	ctx->retired_slots = need;
	cn->retired_reserved += need;
	coapsec_retired_fit(cn, cn->n_retired + cn->retired_reserved);
	return 0;
}

void coapsec_retired_unreserve(struct coapsec_net *cn,
			       struct coapsec_context *ctx)
{
	lockdep_assert_held(&cn->lock);
	cn->retired_reserved -= ctx->retired_slots;
	ctx->retired_slots = 0;
}

int coapsec_retired_prepare(struct coapsec_context *ctx)
{
	unsigned int i, n = 1 + ctx->n_recipients;

	ctx->retired_mem = kvcalloc(n, sizeof(*ctx->retired_mem),
				    GFP_KERNEL_ACCOUNT);
	if (!ctx->retired_mem)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		ctx->retired_mem[i] = kzalloc(sizeof(*ctx->retired_mem[i]),
					      GFP_KERNEL_ACCOUNT);
		if (!ctx->retired_mem[i])
			return -ENOMEM;
	}
	return 0;
}

void coapsec_retired_free_unused(struct coapsec_context *ctx)
{
	unsigned int i;

	if (!ctx->retired_mem)
		return;
	for (i = 0; i < 1 + ctx->n_recipients; i++)
		kfree(ctx->retired_mem[i]);
	kvfree(ctx->retired_mem);
	ctx->retired_mem = NULL;
}

/* Takes memory @i of @ctx's (0: the sender's, 1 + i: recipient i's). */
static struct coapsec_retired *coapsec_retired_take(struct coapsec_context *ctx,
						    unsigned int i)
{
	struct coapsec_retired *mem = ctx->retired_mem[i];

	ctx->retired_mem[i] = NULL;
	return mem;
}

void coapsec_retired_add(struct coapsec_net *cn, struct coapsec_context *ctx)
{
	bool any, unknown = ctx->flags & COAPSEC_CONTEXT_F_REPLAY_UNKNOWN;
	unsigned int i;
	u64 max;

	lockdep_assert_held(&cn->lock);
	if (cn->dying || !ctx->retired_mem)
		return;
	/* A successor that took the sequence on remembers it itself. */
	if (!ctx->sender_retired)
		coapsec_retired_note(cn, ctx, ctx->sender_fp, ctx->sender_nfp,
				     NULL, true,
				     coapsec_context_retire_sender(ctx), false,
				     coapsec_retired_take(ctx, 0));
	for (i = 0; i < ctx->n_recipients; i++) {
		struct coapsec_recipient *rcp = &ctx->recipients[i];

		/*
		 * From here on the window accepts nothing.  A message still
		 * in flight commits into an open window of the same key,
		 * should one be made from the memory meanwhile
		 * (coapsec_replay_commit()), or is refused: never accepted
		 * without being in a window or in the memory.
		 */
		spin_lock_bh(&rcp->lock);
		rcp->open = false;
		any = rcp->seen_any;
		max = rcp->max_seq;
		spin_unlock_bh(&rcp->lock);
		/*
		 * Remembered even where it accepted nothing: the peer may
		 * have sent under its key all the same, and no context of
		 * this namespace may send under it.
		 */
		coapsec_retired_note(cn, ctx, rcp->fp, NULL, rcp->kfp, any, max,
				     unknown, coapsec_retired_take(ctx, 1 + i));
		cond_resched();
	}
	/* What it did not use goes back. */
	coapsec_retired_unreserve(cn, ctx);
}

bool coapsec_retired_sender_known(struct coapsec_net *cn, const u8 *fp)
{
	lockdep_assert_held(&cn->lock);
	/* Only senders' memories are found by a key's 'S' fingerprint. */
	return coapsec_retired_find(cn, fp);
}

bool coapsec_retired_rkey_known(struct coapsec_net *cn, const u8 *kfp)
{
	struct coapsec_retired *r;
	struct hlist_head *head;

	lockdep_assert_held(&cn->lock);
	head = coapsec_retired_bucket(cn->retired_rkey, cn->retired_buckets,
				      kfp);
	hlist_for_each_entry(r, head, knode)
		if (!memcmp(r->kfp, kfp, COAPSEC_FP_LEN))
			return true;
	return false;
}

bool coapsec_retired_sender_moved(struct coapsec_net *cn,
				  const struct coapsec_context *ctx)
{
	struct coapsec_retired *r;

	lockdep_assert_held(&cn->lock);
	r = coapsec_retired_find(cn, ctx->sender_fp);
	return r && memcmp(r->nfp, ctx->sender_nfp, COAPSEC_FP_LEN);
}

bool coapsec_retired_apply_seq(struct coapsec_net *cn,
			       struct coapsec_context *ctx)
{
	struct coapsec_retired *r;

	lockdep_assert_held(&cn->lock);
	r = coapsec_retired_find(cn, ctx->sender_fp);
	if (!r)
		return false;
	if (r->seq > atomic64_read(&ctx->seq))
		atomic64_set(&ctx->seq, r->seq);
	return true;
}

bool coapsec_retired_apply_window(struct coapsec_net *cn,
				  struct coapsec_recipient *rcp)
{
	struct coapsec_retired *r;

	lockdep_assert_held(&cn->lock);
	r = coapsec_retired_find(cn, rcp->fp);
	if (!r)
		return false;
	/* Not open yet: no reader takes the flags before it opens. */
	if (r->unknown)
		WRITE_ONCE(rcp->ctx->flags,
			   rcp->ctx->flags | COAPSEC_CONTEXT_F_REPLAY_UNKNOWN);
	if (!r->seen)
		return true;
	spin_lock_bh(&rcp->lock);
	if (!rcp->seen_any || rcp->max_seq < r->seq) {
		/* Everything up to the highest accepted counts as seen. */
		rcp->seen_any = true;
		rcp->max_seq = r->seq;
		bitmap_fill(rcp->bitmap, rcp->window);
	}
	spin_unlock_bh(&rcp->lock);
	return true;
}

unsigned int coapsec_retired_longest_chain(struct coapsec_net *cn,
					   unsigned int buckets)
{
	unsigned int *len, longest = 0, i = 0;
	struct coapsec_retired *r;
	u32 h;

	lockdep_assert_held(&cn->lock);
	buckets = buckets ?: cn->retired_buckets;
	len = kvcalloc(buckets, sizeof(*len), GFP_KERNEL);
	if (!len)
		return UINT_MAX;
	list_for_each_entry(r, &cn->retired_all, all) {
		/* As coapsec_retired_bucket(), modulo any number. */
		memcpy(&h, r->fp, sizeof(h));
		longest = max(longest, ++len[h % buckets]);
		if (!(++i % 1024))
			cond_resched();
	}
	kvfree(len);
	return longest;
}
