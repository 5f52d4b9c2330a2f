// SPDX-License-Identifier: GPL-2.0
/*
 * The key lifecycle in one place: a context is created whole (every key
 * installed in its own AEAD transform, so the packet path never allocates
 * or sets a key), replaced by a swap that keeps the old one verifying for a
 * grace period, deleted by command, by expiry or with its namespace.
 */
#include <crypto/aead.h>
#include <linux/bitmap.h>
#include <linux/jiffies.h>
#include <linux/netlink.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "aead.h"
#include "context.h"
#include "events.h"
#include "netns.h"

static const struct rhashtable_params coapsec_kid_params = {
	.key_len = sizeof(struct coapsec_kid_key),
	.key_offset = offsetof(struct coapsec_recipient, key),
	.head_offset = offsetof(struct coapsec_recipient, node),
	.automatic_shrinking = true,
};

int coapsec_context_table_init(struct coapsec_net *cn)
{
	xa_init_flags(&cn->contexts, XA_FLAGS_ALLOC1);
	return rhltable_init(&cn->by_kid, &coapsec_kid_params);
}

void coapsec_context_table_destroy(struct coapsec_net *cn)
{
	rhltable_destroy(&cn->by_kid);
	xa_destroy(&cn->contexts);
}

static void coapsec_context_free_rcu(struct rcu_head *rcu)
{
	struct coapsec_context *ctx = container_of(rcu, struct coapsec_context,
						   rcu);
	unsigned int i;

	for (i = 0; i < ctx->n_recipients; i++) {
		crypto_free_aead(ctx->recipients[i].tfm);
		bitmap_free(ctx->recipients[i].bitmap);
	}
	crypto_free_aead(ctx->sender_tfm);
	coapsec_stats_free(ctx->stats);
	atomic_dec(&coapsec_live_contexts);
	/* The Common IV and IDs go with it; the transforms wipe the keys. */
	kfree_sensitive(ctx);
}

void coapsec_context_put(struct coapsec_context *ctx)
{
	if (ctx && refcount_dec_and_test(&ctx->refcnt))
		call_rcu(&ctx->rcu, coapsec_context_free_rcu);
}

static void coapsec_kid_key_set(struct coapsec_kid_key *key,
				const u8 *id_context, size_t id_context_len,
				const u8 *kid, size_t kid_len)
{
	memset(key, 0, sizeof(*key));
	key->id_context_len = id_context_len;
	key->kid_len = kid_len;
	memcpy(key->id_context, id_context, id_context_len);
	memcpy(key->kid, kid, kid_len);
}

static u64 coapsec_default_soft(u64 hard)
{
	return hard > (1ULL << 17) ? hard - (1ULL << 16) : hard / 4 * 3;
}

/* Builds a context whole, keys installed, linked nowhere yet. */
static struct coapsec_context *
coapsec_context_alloc(struct coapsec_net *cn,
		      const struct coapsec_context_params *p,
		      struct netlink_ext_ack *extack)
{
	struct coapsec_context *ctx;
	unsigned int i;

	ctx = kzalloc(struct_size(ctx, recipients, p->n_recipients),
		      GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return ERR_PTR(-ENOMEM);
	ctx->cn = cn;
	ctx->id = p->id;
	ctx->state = COAPSEC_CONTEXT_STATE_CURRENT;
	ctx->flags = p->flags;
	ctx->alg = p->alg;
	ctx->sender_id_len = p->sender_id_len;
	memcpy(ctx->sender_id, p->sender_id, p->sender_id_len);
	ctx->id_context_len = p->id_context_len;
	memcpy(ctx->id_context, p->id_context, p->id_context_len);
	memcpy(ctx->common_iv, p->common_iv, p->alg->nonce_len);
	atomic64_set(&ctx->seq, p->seq_start);
	ctx->seq_hard = p->seq_hard ?: COAPSEC_SEQ_MAX;
	ctx->seq_soft = p->seq_soft ?: coapsec_default_soft(ctx->seq_hard);
	ctx->lifetime = p->lifetime;
	if (p->lifetime)
		ctx->deadline = ktime_get_boottime_seconds() + p->lifetime;
	refcount_set(&ctx->refcnt, 1);
	ctx->n_recipients = p->n_recipients;
	atomic_inc(&coapsec_live_contexts);

	/* From here on coapsec_context_free_rcu() undoes whatever was done. */
	ctx->stats = coapsec_stats_alloc(GFP_KERNEL_ACCOUNT);
	if (!ctx->stats)
		goto err_nomem;

	ctx->sender_tfm = coapsec_aead_new(p->alg, p->sender_key);
	if (IS_ERR(ctx->sender_tfm)) {
		int err = PTR_ERR(ctx->sender_tfm);

		ctx->sender_tfm = NULL;
		NL_SET_ERR_MSG(extack,
			       "alg: the crypto API cannot run this algorithm");
		coapsec_context_free_rcu(&ctx->rcu);
		return ERR_PTR(err);
	}

	for (i = 0; i < p->n_recipients; i++) {
		struct coapsec_recipient *rcp = &ctx->recipients[i];

		rcp->ctx = ctx;
		coapsec_kid_key_set(&rcp->key, p->id_context,
				    p->id_context_len, p->recipients[i].id,
				    p->recipients[i].id_len);
		spin_lock_init(&rcp->lock);
		rcp->window = p->recipients[i].window;
		rcp->bitmap = bitmap_zalloc(rcp->window, GFP_KERNEL_ACCOUNT);
		if (!rcp->bitmap)
			goto err_nomem;
		rcp->tfm = coapsec_aead_new(p->alg, p->recipients[i].key);
		if (IS_ERR(rcp->tfm)) {
			int err = PTR_ERR(rcp->tfm);

			rcp->tfm = NULL;
			NL_SET_ERR_MSG(extack,
				       "context.recipient.key: the crypto API refused the key");
			coapsec_context_free_rcu(&ctx->rcu);
			return ERR_PTR(err);
		}
	}
	return ctx;

err_nomem:
	coapsec_context_free_rcu(&ctx->rcu);
	return ERR_PTR(-ENOMEM);
}

/* Whether a current context other than @except receives as @key. */
static bool coapsec_kid_taken(struct coapsec_net *cn,
			      const struct coapsec_kid_key *key,
			      const struct coapsec_context *except)
{
	struct coapsec_recipient *rcp;
	struct rhlist_head *list, *pos;
	bool taken = false;

	rcu_read_lock();
	list = rhltable_lookup(&cn->by_kid, key, coapsec_kid_params);
	rhl_for_each_entry_rcu(rcp, pos, list, node) {
		if (rcp->ctx != except &&
		    rcp->ctx->state == COAPSEC_CONTEXT_STATE_CURRENT) {
			taken = true;
			break;
		}
	}
	rcu_read_unlock();
	return taken;
}

static void coapsec_context_unlink_kids(struct coapsec_context *ctx,
					unsigned int n)
{
	while (n--)
		rhltable_remove(&ctx->cn->by_kid, &ctx->recipients[n].node,
				coapsec_kid_params);
}

static int coapsec_context_link_kids(struct coapsec_context *ctx,
				     const struct coapsec_context *except,
				     struct netlink_ext_ack *extack)
{
	unsigned int i;
	int err;

	for (i = 0; i < ctx->n_recipients; i++) {
		if (coapsec_kid_taken(ctx->cn, &ctx->recipients[i].key,
				      except)) {
			NL_SET_ERR_MSG(extack,
				       "context.recipient.id: (id-context, recipient id) already used by another context");
			err = -EEXIST;
			goto err;
		}
		err = rhltable_insert(&ctx->cn->by_kid,
				      &ctx->recipients[i].node,
				      coapsec_kid_params);
		if (err) {
			NL_SET_ERR_MSG(extack, "context: lookup table full");
			goto err;
		}
	}
	return 0;
err:
	coapsec_context_unlink_kids(ctx, i);
	return err;
}

static void coapsec_context_set_deadline(struct coapsec_net *cn,
					 struct coapsec_context *ctx,
					 time64_t deadline)
{
	if (!ctx->deadline && deadline)
		cn->n_timed++;
	else if (ctx->deadline && !deadline)
		cn->n_timed--;
	ctx->deadline = deadline;
	if (deadline)
		schedule_delayed_work(&cn->gc, HZ);
}

/* Unlinks @ctx from the kid table and drops the table's reference. */
static void coapsec_context_release(struct coapsec_net *cn,
				    struct coapsec_context *ctx)
{
	if (!ctx)
		return;
	coapsec_context_unlink_kids(ctx, ctx->n_recipients);
	coapsec_context_set_deadline(cn, ctx, 0);
	cn->n_contexts--;
	coapsec_context_put(ctx);
}

int coapsec_context_new(struct coapsec_net *cn,
			const struct coapsec_context_params *p, u32 *id,
			struct netlink_ext_ack *extack)
{
	struct coapsec_context *ctx;
	time64_t deadline;
	int err;

	lockdep_assert_held(&cn->lock);
	if (cn->n_contexts >= COAPSEC_MAX_CONTEXTS) {
		NL_SET_ERR_MSG(extack, "context: too many contexts");
		return -ENOSPC;
	}
	ctx = coapsec_context_alloc(cn, p, extack);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);

	if (p->id) {
		err = xa_insert(&cn->contexts, p->id, ctx, GFP_KERNEL_ACCOUNT);
		if (err == -EBUSY) {
			NL_SET_ERR_MSG(extack, "context.id: already in use");
			err = -EEXIST;
		}
	} else {
		err = xa_alloc(&cn->contexts, &ctx->id, ctx, xa_limit_32b,
			       GFP_KERNEL_ACCOUNT);
		if (err == -EBUSY)
			err = -ENOSPC;
	}
	if (err)
		goto err_free;

	err = coapsec_context_link_kids(ctx, NULL, extack);
	if (err) {
		xa_erase(&cn->contexts, ctx->id);
		goto err_free;
	}
	cn->n_contexts++;
	deadline = ctx->deadline;
	ctx->deadline = 0;
	coapsec_context_set_deadline(cn, ctx, deadline);
	*id = ctx->id;
	return 0;

err_free:
	/* Never visible to a reader: no grace period needed. */
	coapsec_context_put(ctx);
	return err;
}

int coapsec_context_swap(struct coapsec_net *cn,
			 const struct coapsec_context_params *p,
			 struct netlink_ext_ack *extack)
{
	struct coapsec_context *old, *ctx, *prev;
	time64_t deadline;
	int err;

	lockdep_assert_held(&cn->lock);
	old = xa_load(&cn->contexts, p->id);
	if (!old) {
		NL_SET_ERR_MSG(extack, "context.id: no such context");
		return -ENOENT;
	}
	/* The replaced context lives on through its grace period. */
	if (!rcu_access_pointer(old->previous) &&
	    cn->n_contexts >= COAPSEC_MAX_CONTEXTS) {
		NL_SET_ERR_MSG(extack,
			       "context: too many contexts to keep the replaced one for its grace period");
		return -ENOSPC;
	}
	ctx = coapsec_context_alloc(cn, p, extack);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);

	/* The replaced context's recipients may reappear in its successor. */
	err = coapsec_context_link_kids(ctx, old, extack);
	if (err) {
		coapsec_context_put(ctx);
		return err;
	}
	cn->n_contexts++;

	/* One previous context at most: the older one goes now. */
	prev = rcu_replace_pointer(old->previous, NULL,
				   lockdep_is_held(&cn->lock));
	coapsec_context_release(cn, prev);

	WRITE_ONCE(old->state, COAPSEC_CONTEXT_STATE_PREVIOUS);
	coapsec_context_set_deadline(cn, old, ktime_get_boottime_seconds() +
				     p->grace);
	rcu_assign_pointer(ctx->previous, old);
	deadline = ctx->deadline;
	ctx->deadline = 0;
	coapsec_context_set_deadline(cn, ctx, deadline);
	/* Policies protecting with this ID use the new keys from now on. */
	xa_store(&cn->contexts, p->id, ctx, GFP_KERNEL_ACCOUNT);
	return 0;
}

static void coapsec_context_remove(struct coapsec_net *cn,
				   struct coapsec_context *ctx)
{
	struct coapsec_context *prev;

	xa_erase(&cn->contexts, ctx->id);
	prev = rcu_replace_pointer(ctx->previous, NULL,
				   lockdep_is_held(&cn->lock));
	coapsec_context_release(cn, prev);
	coapsec_context_release(cn, ctx);
}

int coapsec_context_del(struct coapsec_net *cn, u32 id)
{
	struct coapsec_context *ctx;

	lockdep_assert_held(&cn->lock);
	ctx = xa_load(&cn->contexts, id);
	if (!ctx)
		return -ENOENT;
	coapsec_context_remove(cn, ctx);
	return 0;
}

void coapsec_context_flush(struct coapsec_net *cn)
{
	struct coapsec_context *ctx;
	unsigned long id;

	lockdep_assert_held(&cn->lock);
	xa_for_each(&cn->contexts, id, ctx) {
		coapsec_context_remove(cn, ctx);
		cond_resched();
	}
}

bool coapsec_context_gc(struct coapsec_net *cn)
{
	time64_t now = ktime_get_boottime_seconds();
	struct coapsec_context *ctx, *prev;
	unsigned long id;

	lockdep_assert_held(&cn->lock);
	if (!cn->n_timed)
		return false;
	xa_for_each(&cn->contexts, id, ctx) {
		prev = rcu_dereference_protected(ctx->previous,
						 lockdep_is_held(&cn->lock));
		if (prev && prev->deadline <= now) {
			RCU_INIT_POINTER(ctx->previous, NULL);
			coapsec_context_release(cn, prev);
		}
		if (ctx->deadline && ctx->deadline <= now) {
			coapsec_event_context(ctx, COAPSEC_EVENT_EXPIRED);
			coapsec_context_remove(cn, ctx);
		}
	}
	return cn->n_timed;
}

struct coapsec_context *coapsec_context_lookup(struct coapsec_net *cn,
					       u32 id)
{
	return xa_load(&cn->contexts, id);
}

struct coapsec_recipient *
coapsec_context_lookup_kid(struct net *net, const u8 *id_context,
			   size_t id_context_len, const u8 *kid,
			   size_t kid_len)
{
	return __coapsec_context_lookup_kid(coapsec_net(net), id_context,
					    id_context_len, kid, kid_len);
}

struct coapsec_recipient *
__coapsec_context_lookup_kid(struct coapsec_net *cn, const u8 *id_context,
			     size_t id_context_len, const u8 *kid,
			     size_t kid_len)
{
	struct coapsec_kid_key key;
	struct rhlist_head *list;

	if (id_context_len > COAPSEC_MAX_ID_CONTEXT_LEN ||
	    kid_len > COAPSEC_MAX_KID_LEN)
		return NULL;
	coapsec_kid_key_set(&key, id_context, id_context_len, kid, kid_len);
	list = rhltable_lookup(&cn->by_kid, &key, coapsec_kid_params);
	return list ? container_of(list, struct coapsec_recipient, node) : NULL;
}

struct coapsec_recipient *
coapsec_recipient_next_dup(const struct coapsec_recipient *rcp)
{
	struct rhlist_head *next = rcu_dereference(rcp->node.next);

	return next ? container_of(next, struct coapsec_recipient, node) : NULL;
}
