// SPDX-License-Identifier: GPL-2.0
/*
 * The key lifecycle in one place: a context is created whole (every key
 * installed in its own AEAD transform, so the packet path never allocates
 * or sets a key), replaced by a swap that keeps the old one verifying for a
 * grace period, deleted by command, by expiry or with its namespace.
 */
#include <crypto/aead.h>
#include <crypto/sha2.h>
#include <linux/bitmap.h>
#include <linux/hashtable.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/user_namespace.h>
#include <linux/jiffies.h>
#include <linux/netlink.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "context.h"
#include "crypto.h"
#include "crypto_aead.h"
#include "events.h"
#include "exchange.h"
#include "netns.h"
#include "replay.h"
#include "retired.h"

/*
 * The kid index hashes and compares the bytes a key uses, not the whole
 * zero-padded key: a lookup per received request.
 */
static u32 coapsec_kid_key_hash(const struct coapsec_kid_key *k, u32 seed)
{
	seed ^= k->kid_len << 8 | k->id_context_len;
	return jhash(k->id_context, k->id_context_len,
		     jhash(k->kid, k->kid_len, seed));
}

static u32 coapsec_kid_hashfn(const void *data, u32 len, u32 seed)
{
	return coapsec_kid_key_hash(data, seed);
}

static u32 coapsec_kid_obj_hashfn(const void *data, u32 len, u32 seed)
{
	const struct coapsec_recipient *rcp = data;

	return coapsec_kid_key_hash(&rcp->key, seed);
}

static int coapsec_kid_cmpfn(struct rhashtable_compare_arg *arg,
			     const void *obj)
{
	const struct coapsec_kid_key *a = arg->key;
	const struct coapsec_kid_key *b =
		&((const struct coapsec_recipient *)obj)->key;

	return a->kid_len != b->kid_len ||
	       a->id_context_len != b->id_context_len ||
	       memcmp(a->kid, b->kid, a->kid_len) ||
	       memcmp(a->id_context, b->id_context, a->id_context_len);
}

static const struct rhashtable_params coapsec_kid_params = {
	.key_len = sizeof(struct coapsec_kid_key),
	.key_offset = offsetof(struct coapsec_recipient, key),
	.head_offset = offsetof(struct coapsec_recipient, node),
	.automatic_shrinking = true,
	.hashfn = coapsec_kid_hashfn,
	.obj_hashfn = coapsec_kid_obj_hashfn,
	.obj_cmpfn = coapsec_kid_cmpfn,
};

static const struct rhashtable_params coapsec_rfp_params = {
	.key_len = COAPSEC_FP_LEN,
	.key_offset = offsetof(struct coapsec_recipient, fp),
	.head_offset = offsetof(struct coapsec_recipient, fp_node),
	.automatic_shrinking = true,
};

static const struct rhashtable_params coapsec_rkey_params = {
	.key_len = COAPSEC_FP_LEN,
	.key_offset = offsetof(struct coapsec_recipient, kfp),
	.head_offset = offsetof(struct coapsec_recipient, kfp_node),
	.automatic_shrinking = true,
};

static const struct rhashtable_params coapsec_sender_params = {
	.key_len = COAPSEC_FP_LEN,
	.key_offset = offsetof(struct coapsec_context, sender_fp),
	.head_offset = offsetof(struct coapsec_context, sender_node),
	.automatic_shrinking = true,
};

/* Generations start at 1: an exchange with 0 matches nothing. */
static atomic64_t coapsec_context_gens = ATOMIC64_INIT(0);
static u8 coapsec_fp_salt[32];

int coapsec_context_table_init(struct coapsec_net *cn)
{
	int err;

	xa_init_flags(&cn->contexts, XA_FLAGS_ALLOC1);
	err = rhltable_init(&cn->by_kid, &coapsec_kid_params);
	if (err)
		return err;
	err = rhltable_init(&cn->by_rfp, &coapsec_rfp_params);
	if (err)
		goto err_kid;
	err = rhltable_init(&cn->by_sender, &coapsec_sender_params);
	if (err)
		goto err_rfp;
	err = rhltable_init(&cn->by_rkey, &coapsec_rkey_params);
	if (err)
		goto err_sender;
	err = coapsec_retired_init(cn);
	if (err)
		goto err_rkey;
	return 0;
err_rkey:
	rhltable_destroy(&cn->by_rkey);
err_sender:
	rhltable_destroy(&cn->by_sender);
err_rfp:
	rhltable_destroy(&cn->by_rfp);
err_kid:
	rhltable_destroy(&cn->by_kid);
	return err;
}

void coapsec_context_table_destroy(struct coapsec_net *cn)
{
	coapsec_retired_destroy(cn);
	rhltable_destroy(&cn->by_rkey);
	rhltable_destroy(&cn->by_sender);
	rhltable_destroy(&cn->by_rfp);
	rhltable_destroy(&cn->by_kid);
	xa_destroy(&cn->contexts);
}

/*
 * The fingerprint of one direction's key material, salted per boot.  A
 * sender's is its alg and key alone: two contexts sending under one key
 * could meet on a nonce whatever their Common IVs and IDs, so one key is
 * one sequence.  A recipient's adds what else decides whether a message
 * verifies, the Common IV and its ID (the ID context enters neither the
 * nonce nor the AAD, so it is left out: a message accepted under one ID
 * context is a replay under another).
 */
static void coapsec_key_fp(u8 role, const struct oscore_alg *alg,
			   const u8 *key, const u8 *common_iv, const u8 *id,
			   u8 id_len, u8 *fp)
{
	struct sha256_state st;
	u32 alg_id = alg->cose_id;

	get_random_once(coapsec_fp_salt, sizeof(coapsec_fp_salt));
	sha256_init(&st);
	sha256_update(&st, coapsec_fp_salt, sizeof(coapsec_fp_salt));
	/* A sender's and a recipient's memories never mix. */
	sha256_update(&st, &role, 1);
	sha256_update(&st, (const u8 *)&alg_id, sizeof(alg_id));
	sha256_update(&st, key, alg->key_len);
	if (common_iv) {
		sha256_update(&st, common_iv, alg->nonce_len);
		sha256_update(&st, &id_len, 1);
		sha256_update(&st, id, id_len);
	}
	sha256_final(&st, fp);
}

/*
 * Crypto transforms are not charged to any memory cgroup, so they are
 * counted per tenant instead: the outermost user namespace below the
 * initial one stands for its owner (a uid of the host), whose count
 * spans all of that user's namespaces, so that making more gains
 * nothing; or, where the host's root owns it (a container runtime makes
 * one per container), for itself.  Namespaces of the initial user
 * namespace are the host administrator's and are not capped.
 */
static unsigned int user_transforms = 4096;
module_param(user_transforms, uint, 0644);
MODULE_PARM_DESC(user_transforms,
		 "crypto transforms (1 per context + 1 per recipient) the contexts of one unprivileged user's namespaces, or of one user namespace root made, may hold (default 4096)");

struct coapsec_quota {
	struct hlist_node node;
	kuid_t uid;
	/* Root's user namespace counted on its own; NULL: all of uid's. */
	struct user_namespace *ns;
	unsigned int transforms;	/* under coapsec_quota_lock */
};

static DEFINE_HASHTABLE(coapsec_quotas, 6);
/* Guards coapsec_quotas and the counts (process context only). */
static DEFINE_SPINLOCK(coapsec_quota_lock);

/* A count back at 0 goes: its tenant holds no context. */
static void coapsec_quota_drop_empty(struct coapsec_quota *q)
{
	lockdep_assert_held(&coapsec_quota_lock);
	if (!q->transforms) {
		hash_del(&q->node);
		if (q->ns)
			put_user_ns(q->ns);
		kfree(q);
	}
}

/*
 * The count of @ns (the outermost below the initial one), made with
 * @fresh where there is none yet (*@fresh then NULL).  Under
 * coapsec_quota_lock.
 */
static struct coapsec_quota *
coapsec_quota_find(struct user_namespace *ns, struct coapsec_quota **fresh)
{
	struct user_namespace *key =
		uid_eq(ns->owner, GLOBAL_ROOT_UID) ? ns : NULL;
	unsigned long hkey = __kuid_val(ns->owner) ^ (unsigned long)key;
	struct coapsec_quota *q;

	hash_for_each_possible(coapsec_quotas, q, node, hkey)
		if (uid_eq(q->uid, ns->owner) && q->ns == key)
			return q;
	q = *fresh;
	*fresh = NULL;
	if (q) {
		q->uid = ns->owner;
		/* Held, so that its address is not another's meanwhile. */
		q->ns = key ? get_user_ns(key) : NULL;
		hash_add(coapsec_quotas, &q->node, hkey);
	}
	return q;
}

/* Charges @n transforms to @net's tenant: 0, -ENOMEM or -EDQUOT. */
static int coapsec_quota_charge(struct net *net, unsigned int n,
				struct coapsec_quota **quota,
				struct netlink_ext_ack *extack)
{
	struct user_namespace *ns = net->user_ns;
	struct coapsec_quota *q, *fresh;
	int err = 0;

	*quota = NULL;
	if (ns == &init_user_ns)
		return 0;
	while (ns->parent != &init_user_ns)
		ns = ns->parent;
	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL);
	spin_lock(&coapsec_quota_lock);
	q = coapsec_quota_find(ns, &fresh);
	if (!q) {
		err = -ENOMEM;
	} else if ((u64)q->transforms + n > READ_ONCE(user_transforms)) {
		coapsec_quota_drop_empty(q);
		err = -EDQUOT;
	} else {
		q->transforms += n;
		*quota = q;
	}
	spin_unlock(&coapsec_quota_lock);
	kfree(fresh);
	if (err == -EDQUOT)
		NL_SET_ERR_MSG(extack,
			       "context: this user's namespaces hold as many crypto transforms as coapsec allows (module parameter user_transforms)");
	return err;
}

static void coapsec_quota_uncharge(struct coapsec_quota *q, unsigned int n)
{
	if (!q)
		return;
	spin_lock(&coapsec_quota_lock);
	q->transforms -= n;
	coapsec_quota_drop_empty(q);
	spin_unlock(&coapsec_quota_lock);
}

void coapsec_context_quota_exit(void)
{
	struct hlist_node *tmp;
	struct coapsec_quota *q;
	unsigned int bkt;

	hash_for_each_safe(coapsec_quotas, bkt, tmp, q, node) {
		hash_del(&q->node);
		if (q->ns)
			put_user_ns(q->ns);
		kfree(q);
	}
}

/*
 * Freeing a context frees a transform, a window and a memory per
 * recipient: thousands for a large group.  That runs in process context
 * (an RCU callback in softirq would hold the CPU that long), yielding
 * between recipients.
 */
static struct workqueue_struct *coapsec_free_wq;

/* Process context: a context's free, or one never published. */
static void coapsec_context_free(struct coapsec_context *ctx)
{
	unsigned int i;

	for (i = 0; i < ctx->n_recipients; i++) {
		coapsec_aead_free(&ctx->recipients[i].aead);
		bitmap_free(ctx->recipients[i].bitmap);
		cond_resched();
	}
	coapsec_aead_free(&ctx->sender_aead);
	coapsec_retired_free_unused(ctx);
	coapsec_quota_uncharge(ctx->quota, 1 + ctx->n_recipients);
	coapsec_stats_free(ctx->stats);
	kvfree(ctx->kid_index);
	atomic_dec(&coapsec_live_contexts);
	/* The Common IV and IDs go with it; the transforms wipe the keys. */
	kvfree_sensitive(ctx, struct_size(ctx, recipients, ctx->n_recipients));
}

static void coapsec_context_free_work(struct work_struct *work)
{
	coapsec_context_free(container_of(to_rcu_work(work),
					  struct coapsec_context, free_work));
}

void coapsec_context_put(struct coapsec_context *ctx)
{
	if (ctx && refcount_dec_and_test(&ctx->refcnt)) {
		INIT_RCU_WORK(&ctx->free_work, coapsec_context_free_work);
		queue_rcu_work(coapsec_free_wq, &ctx->free_work);
	}
}

int coapsec_context_free_init(void)
{
	coapsec_free_wq = alloc_workqueue("coapsec_free", WQ_UNBOUND, 0);
	return coapsec_free_wq ? 0 : -ENOMEM;
}

void coapsec_context_free_exit(void)
{
	/* rcu_barrier() has queued every free: this waits for them. */
	destroy_workqueue(coapsec_free_wq);
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

struct coapsec_context_params *coapsec_context_params_alloc(unsigned int n)
{
	struct coapsec_context_params *p;

	return kvzalloc(struct_size(p, recipients, n), GFP_KERNEL_ACCOUNT);
}

static u32 coapsec_kid_hash(const struct coapsec_context *ctx, const u8 *kid,
			    size_t kid_len)
{
	return jhash(kid, kid_len, kid_len) & ctx->kid_mask;
}

/*
 * Indexes @ctx's recipients by kid (their keys are set from @p first):
 * one bucket per recipient or more, so a lookup visits about one.  A kid
 * given twice is refused here, in O(n) for the whole context.
 */
static int coapsec_context_index_kids(struct coapsec_context *ctx,
				      const struct coapsec_context_params *p,
				      struct netlink_ext_ack *extack)
{
	unsigned int i, buckets = roundup_pow_of_two(max(p->n_recipients, 1U));

	ctx->kid_index = kvcalloc(buckets, sizeof(*ctx->kid_index),
				  GFP_KERNEL_ACCOUNT);
	if (!ctx->kid_index)
		return -ENOMEM;
	ctx->kid_mask = buckets - 1;
	for (i = 0; i < p->n_recipients; i++) {
		struct coapsec_recipient *rcp = &ctx->recipients[i];
		const u8 *kid = p->recipients[i].id;
		u8 kid_len = p->recipients[i].id_len;
		u32 h = coapsec_kid_hash(ctx, kid, kid_len);

		if (coapsec_context_find_recipient(ctx, kid, kid_len)) {
			NL_SET_ERR_MSG_ATTR(extack, p->recipients[i].id_attr,
					    "context.recipient.id: duplicate recipient id in this context");
			return -EINVAL;
		}
		rcp->key.kid_len = kid_len;
		memcpy(rcp->key.kid, kid, kid_len);
		rcp->kid_next = ctx->kid_index[h];
		ctx->kid_index[h] = rcp;
	}
	return 0;
}

struct coapsec_recipient *
coapsec_context_find_recipient(const struct coapsec_context *ctx,
			       const u8 *kid, size_t kid_len)
{
	struct coapsec_recipient *rcp;

	if (kid_len > COAPSEC_MAX_KID_LEN)
		return NULL;
	rcp = ctx->kid_index[coapsec_kid_hash(ctx, kid, kid_len)];
	for (; rcp; rcp = rcp->kid_next)
		if (rcp->key.kid_len == kid_len &&
		    !memcmp(rcp->key.kid, kid, kid_len))
			return rcp;
	return NULL;
}

/* Builds a context whole, keys installed, linked nowhere yet. */
static struct coapsec_context *
coapsec_context_alloc(struct coapsec_net *cn,
		      const struct coapsec_context_params *p,
		      struct netlink_ext_ack *extack)
{
	struct coapsec_context *ctx;
	struct coapsec_quota *quota;
	unsigned int i;
	int err;

	err = coapsec_quota_charge(cn->net, 1 + p->n_recipients, &quota,
				   extack);
	if (err)
		return ERR_PTR(err);
	/* A group of thousands is several pages: kvzalloc. */
	ctx = kvzalloc(struct_size(ctx, recipients, p->n_recipients),
		       GFP_KERNEL_ACCOUNT);
	if (!ctx) {
		coapsec_quota_uncharge(quota, 1 + p->n_recipients);
		return ERR_PTR(-ENOMEM);
	}
	ctx->quota = quota;
	ctx->cn = cn;
	ctx->id = p->id;
	ctx->gen = atomic64_inc_return(&coapsec_context_gens);
	ctx->sender_since = ctx->gen;
	ctx->id_since = ctx->gen;
	coapsec_key_fp('S', p->alg, p->sender_key, NULL, NULL, 0,
		       ctx->sender_fp);
	coapsec_key_fp('N', p->alg, p->sender_key, p->common_iv,
		       p->sender_id, p->sender_id_len, ctx->sender_nfp);
	ctx->seq_checkpoint = p->seq_checkpoint;
	ctx->seq_persisted = p->has_seq_persisted ? p->seq_persisted :
						    COAPSEC_SEQ_NO_CEILING;
	atomic64_set(&ctx->seq_ceiling_told, -1);
	ctx->state = COAPSEC_CONTEXT_STATE_CURRENT;
	ctx->flags = p->flags;
	ctx->alg = p->alg;
	ctx->sender_id_len = p->sender_id_len;
	memcpy(ctx->sender_id, p->sender_id, p->sender_id_len);
	ctx->id_context_len = p->id_context_len;
	memcpy(ctx->id_context, p->id_context, p->id_context_len);
	memcpy(ctx->common_iv, p->common_iv, p->alg->nonce_len);
	atomic64_set(&ctx->seq, p->seq_start);
	/* Settled in coapsec_context_open(). */
	ctx->seq_first = p->seq_start;
	ctx->seq_hard = p->seq_hard ?: COAPSEC_SEQ_MAX;
	ctx->seq_soft = p->seq_soft ?: coapsec_default_soft(ctx->seq_hard);
	ctx->lifetime = p->lifetime;
	if (p->owner)
		strscpy(ctx->owner, p->owner, sizeof(ctx->owner));
	if (p->lifetime)
		ctx->deadline = ktime_get_boottime_seconds() + p->lifetime;
	refcount_set(&ctx->refcnt, 1);
	ctx->n_recipients = p->n_recipients;
	atomic_inc(&coapsec_live_contexts);

	/* From here on coapsec_context_free() undoes whatever was done. */
	ctx->stats = coapsec_stats_alloc(GFP_KERNEL_ACCOUNT);
	if (!ctx->stats || coapsec_retired_prepare(ctx))
		goto err_nomem;
	err = coapsec_context_index_kids(ctx, p, extack);
	if (err) {
		coapsec_context_free(ctx);
		return ERR_PTR(err);
	}

	err = coapsec_aead_new(&ctx->sender_aead, p->alg, p->sender_key);
	if (err) {
		NL_SET_ERR_MSG(extack,
			       "alg: the crypto API cannot run this algorithm");
		coapsec_context_free(ctx);
		return ERR_PTR(err);
	}

	for (i = 0; i < p->n_recipients; i++) {
		struct coapsec_recipient *rcp = &ctx->recipients[i];

		rcp->ctx = ctx;
		coapsec_key_fp('R', p->alg, p->recipients[i].key, p->common_iv,
			       p->recipients[i].id, p->recipients[i].id_len,
			       rcp->fp);
		coapsec_key_fp('S', p->alg, p->recipients[i].key, NULL, NULL,
			       0, rcp->kfp);
		coapsec_kid_key_set(&rcp->key, p->id_context,
				    p->id_context_len, p->recipients[i].id,
				    p->recipients[i].id_len);
		spin_lock_init(&rcp->lock);
		rcp->window = p->recipients[i].window;
		rcp->bitmap = bitmap_zalloc(rcp->window, GFP_KERNEL_ACCOUNT);
		if (!rcp->bitmap)
			goto err_nomem;
		err = coapsec_aead_new(&rcp->aead, p->alg,
				       p->recipients[i].key);
		if (err) {
			NL_SET_ERR_MSG(extack,
				       "context.recipient.key: the crypto API refused the key");
			coapsec_context_free(ctx);
			return ERR_PTR(err);
		}
	}
	coapsec_oscore_ctx_build(&ctx->octx, ctx, ctx->n_recipients ?
				 &ctx->recipients[0] : NULL);
	return ctx;

err_nomem:
	coapsec_context_free(ctx);
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

/*
 * Whether a current context other than @except receives with the key
 * material @fp (under another ID context: the same one is a kid clash).
 */
static bool coapsec_rfp_taken(struct coapsec_net *cn, const u8 *fp,
			      const struct coapsec_context *except)
{
	struct coapsec_recipient *rcp;
	struct rhlist_head *list, *pos;
	bool taken = false;

	rcu_read_lock();
	list = rhltable_lookup(&cn->by_rfp, fp, coapsec_rfp_params);
	rhl_for_each_entry_rcu(rcp, pos, list, fp_node) {
		if (rcp->ctx != except &&
		    rcp->ctx->state == COAPSEC_CONTEXT_STATE_CURRENT) {
			taken = true;
			break;
		}
	}
	rcu_read_unlock();
	return taken;
}

/* Whether a context of @cn receives with the key whose sender_fp is @fp. */
static bool coapsec_rkey_taken(struct coapsec_net *cn, const u8 *fp)
{
	bool taken;

	rcu_read_lock();
	taken = rhltable_lookup(&cn->by_rkey, fp, coapsec_rkey_params);
	rcu_read_unlock();
	return taken;
}

static void coapsec_context_unlink_kids(struct coapsec_context *ctx,
					unsigned int n)
{
	while (n--) {
		rhltable_remove(&ctx->cn->by_rkey, &ctx->recipients[n].kfp_node,
				coapsec_rkey_params);
		rhltable_remove(&ctx->cn->by_rfp, &ctx->recipients[n].fp_node,
				coapsec_rfp_params);
		rhltable_remove(&ctx->cn->by_kid, &ctx->recipients[n].node,
				coapsec_kid_params);
	}
}

static int coapsec_recipient_link(struct coapsec_recipient *rcp)
{
	int err;

	err = rhltable_insert(&rcp->ctx->cn->by_kid, &rcp->node,
			      coapsec_kid_params);
	if (err)
		return err;
	err = rhltable_insert(&rcp->ctx->cn->by_rfp, &rcp->fp_node,
			      coapsec_rfp_params);
	if (err)
		goto err_kid;
	err = rhltable_insert(&rcp->ctx->cn->by_rkey, &rcp->kfp_node,
			      coapsec_rkey_params);
	if (err)
		goto err_rfp;
	return 0;
err_rfp:
	rhltable_remove(&rcp->ctx->cn->by_rfp, &rcp->fp_node,
			coapsec_rfp_params);
err_kid:
	rhltable_remove(&rcp->ctx->cn->by_kid, &rcp->node, coapsec_kid_params);
	return err;
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
		err = coapsec_recipient_link(&ctx->recipients[i]);
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

/* The context of @cn holding sender key material @fp, or NULL. */
static struct coapsec_context *coapsec_sender_holder(struct coapsec_net *cn,
						     const u8 *fp)
{
	struct rhlist_head *list;

	rcu_read_lock();
	list = rhltable_lookup(&cn->by_sender, fp, coapsec_sender_params);
	rcu_read_unlock();
	/* Under cn->lock: whatever is listed stays until we release it. */
	return list ? container_of(list, struct coapsec_context, sender_node) :
		      NULL;
}

/*
 * Whether a context of @cn holds @ctx's sender key with another Common IV
 * or sender ID (sender_nfp).
 */
static bool coapsec_sender_moved(struct coapsec_net *cn,
				 const struct coapsec_context *ctx)
{
	struct coapsec_context *holder;
	struct rhlist_head *list, *pos;
	bool moved = false;

	rcu_read_lock();
	list = rhltable_lookup(&cn->by_sender, ctx->sender_fp,
			       coapsec_sender_params);
	rhl_for_each_entry_rcu(holder, pos, list, sender_node)
		if (memcmp(holder->sender_nfp, ctx->sender_nfp,
			   COAPSEC_FP_LEN))
			moved = true;
	rcu_read_unlock();
	return moved;
}

u64 coapsec_context_retire_sender(struct coapsec_context *old)
{
	/* Retired once; a later swap asks again for the same number. */
	if (!old->sender_retired) {
		atomic_or(COAPSEC_NOTIFIED_HARD, &old->limits_notified);
		old->seq_retired = atomic64_xchg(&old->seq, old->seq_hard);
		old->sender_retired = true;
	}
	return old->seq_retired;
}

/*
 * A swap keeps what belongs to unchanged key material.  The sequence
 * number of the same sender (from @old or the @prev it replaced): taken
 * once @ctx is linked, before it is published under its ID, since the
 * packet path sends only with what the ID finds.  A swap that names no
 * seq-persisted keeps the newest such sender's ceiling with its sequence.
 */
static void coapsec_context_inherit_seq(struct coapsec_net *cn,
					struct coapsec_context *ctx,
					struct coapsec_context *old,
					struct coapsec_context *prev)
{
	bool ceiling = ctx->seq_persisted == COAPSEC_SEQ_NO_CEILING;
	struct coapsec_context *from[] = { old, prev };
	u64 next = atomic64_read(&ctx->seq);
	unsigned long flags;
	unsigned int i;

	/*
	 * The successor is found (cn->publishing) before the old counter is
	 * retired, and settles with interrupts off: a sender that finds the
	 * old counter retired finds it, and waits at most these few steps
	 * for it on another CPU (coapsec_sender_successor()).
	 */
	local_irq_save(flags);
	WRITE_ONCE(ctx->settling, true);
	rcu_assign_pointer(cn->publishing, ctx);
	for (i = 0; i < ARRAY_SIZE(from); i++) {
		if (!from[i] || memcmp(from[i]->sender_fp, ctx->sender_fp,
				       COAPSEC_FP_LEN))
			continue;
		next = max(next, coapsec_context_retire_sender(from[i]));
		ctx->sender_kept = true;
		/* The line of this ID's senders goes on unbroken. */
		if (from[i] == old)
			ctx->sender_since = old->sender_since;
		if (ceiling) {
			ctx->seq_persisted = from[i]->seq_persisted;
			ceiling = false;
		}
	}
	atomic64_set(&ctx->seq, next);
	/* Its sequence and line of senders before it is sent with. */
	smp_store_release(&ctx->settling, false);
	local_irq_restore(flags);
}

/*
 * Whether the request nonces @rcp's predecessors (other linked recipients
 * with its key, Common IV and ID: the swapped context's, a previous
 * context's still in its grace period, or another context's under another
 * ID context, which is in neither the nonce nor the AAD) let answers take
 * are all in the window @rcp takes over: one of them answered with this
 * context's sender key and reused request nonces only with a window
 * it had from the start.  A window lost there stays lost here.
 */
static bool coapsec_recipient_answers_known(struct coapsec_recipient *rcp)
{
	struct rhlist_head *list, *pos;
	struct coapsec_recipient *was;
	bool known = false;

	rcu_read_lock();
	list = rhltable_lookup(&rcp->ctx->cn->by_rfp, rcp->fp,
			       coapsec_rfp_params);
	rhl_for_each_entry_rcu(was, pos, list, fp_node) {
		if (was == rcp)
			continue;
		if (was->ctx->flags & COAPSEC_CONTEXT_F_REPLAY_UNKNOWN)
			WRITE_ONCE(rcp->ctx->flags, rcp->ctx->flags |
				   COAPSEC_CONTEXT_F_REPLAY_UNKNOWN);
		if (!was->answer_own_piv &&
		    !memcmp(was->ctx->sender_fp, rcp->ctx->sender_fp,
			    COAPSEC_FP_LEN))
			known = true;
	}
	rcu_read_unlock();
	return known;
}

/*
 * Takes the windows of @rcp's predecessors into it and closes theirs;
 * @rcp (linked, not open) opens in the same step as the one that was
 * open, or after all of them.
 */
static void coapsec_recipient_take_windows(struct coapsec_recipient *rcp)
{
	struct rhlist_head *list, *pos;
	struct coapsec_recipient *was;
	bool opened = false;

	rcu_read_lock();
	list = rhltable_lookup(&rcp->ctx->cn->by_rfp, rcp->fp,
			       coapsec_rfp_params);
	rhl_for_each_entry_rcu(was, pos, list, fp_node)
		if (was != rcp)
			opened |= coapsec_replay_take(rcp, was);
	rcu_read_unlock();
	if (!opened)
		coapsec_replay_open(rcp);
}

struct coapsec_recipient *
coapsec_recipient_window(struct coapsec_recipient *rcp)
{
	struct rhlist_head *list, *pos;
	struct coapsec_recipient *now;

	/* Open: its flags are set (coapsec_replay_take()'s release). */
	if (smp_load_acquire(&rcp->open))
		return rcp;
	/* Pairs with coapsec_replay_take(): the successor opened first. */
	smp_rmb();
	list = rhltable_lookup(&rcp->ctx->cn->by_rfp, rcp->fp,
			       coapsec_rfp_params);
	rhl_for_each_entry_rcu(now, pos, list, fp_node)
		/* As above: open, with its flags. */
		if (smp_load_acquire(&now->open))
			return now;
	return rcp;
}

/*
 * Opens linked @ctx to the packet path, once nothing can fail anymore:
 * answers to what it verifies find it (cn->publishing) until its ID
 * points at it.  First what retired keys had accepted and the
 * predecessors' lost state, so that nothing opens before the context's
 * flags and answer rules are final; then each recipient takes its
 * predecessors' windows and opens.  Its sending sequence must be settled
 * before this.
 */
static void coapsec_context_open(struct coapsec_net *cn,
				 struct coapsec_context *ctx)
{
	u64 first = atomic64_read(&ctx->seq);
	unsigned int i;

	if (!ctx->seq_checkpoint || first != ctx->seq_first ||
	    !(first % ctx->seq_checkpoint))
		WRITE_ONCE(ctx->seq_first, U64_MAX);
	rcu_assign_pointer(cn->publishing, ctx);
	for (i = 0; i < ctx->n_recipients; i++) {
		struct coapsec_recipient *rcp = &ctx->recipients[i];
		bool known;

		/*
		 * A retired memory keeps what the window accepted, not which
		 * sender key answered it: it never makes answers known.
		 */
		coapsec_retired_apply_window(cn, rcp);
		known = coapsec_recipient_answers_known(rcp);
		rcp->answer_own_piv = ctx->sender_kept && !known;
	}
	for (i = 0; i < ctx->n_recipients; i++)
		coapsec_recipient_take_windows(&ctx->recipients[i]);
}

/*
 * @ctx's ID points at it: cn->publishing is no longer needed.  Cleared
 * after the ID is stored, so that a reader that finds it cleared finds
 * the ID pointing at it (the smp_rmb() in coapsec_exchange_context() and
 * coapsec_answer_context()).
 */
static void coapsec_context_published(struct coapsec_net *cn)
{
	/* The ID is stored before it is cleared. */
	smp_wmb();
	RCU_INIT_POINTER(cn->publishing, NULL);
}

/* Unlinks @ctx from the lookup tables and drops their reference. */
static void coapsec_context_release(struct coapsec_net *cn,
				    struct coapsec_context *ctx)
{
	if (!ctx)
		return;
	coapsec_retired_add(cn, ctx);
	rhltable_remove(&cn->by_sender, &ctx->sender_node,
			coapsec_sender_params);
	coapsec_context_unlink_kids(ctx, ctx->n_recipients);
	coapsec_context_set_deadline(cn, ctx, 0);
	cn->n_contexts--;
	cn->change_gen++;
	coapsec_context_put(ctx);
}

/* The checks that need no table change: what would clash with @cn. */
static int coapsec_context_clashes(struct coapsec_net *cn,
				   const struct coapsec_context *ctx,
				   const struct coapsec_context *old,
				   const struct coapsec_context *prev,
				   struct netlink_ext_ack *extack)
{
	struct coapsec_context *holder;
	unsigned int i;

	for (i = 0; i < ctx->n_recipients; i++) {
		if (coapsec_kid_taken(cn, &ctx->recipients[i].key, old)) {
			NL_SET_ERR_MSG(extack,
				       "context.recipient.id: (id-context, recipient id) already used by another context");
			return -EEXIST;
		}
	}
	for (i = 0; i < ctx->n_recipients; i++) {
		if (coapsec_rfp_taken(cn, ctx->recipients[i].fp, old)) {
			NL_SET_ERR_MSG(extack,
				       "context.recipient.key: this recipient key (with its Common IV and ID) is in use by another context, under another ID context: a message accepted under one would pass again under the other");
			return -EEXIST;
		}
	}
	/*
	 * A mirror (the same keys with the roles turned round, as the peer
	 * holds them) would take this host's own messages back as the
	 * peer's, and send under the peer's key and nonces.
	 */
	for (i = 0; i < ctx->n_recipients; i++) {
		if (coapsec_sender_holder(cn, ctx->recipients[i].kfp)) {
			NL_SET_ERR_MSG(extack,
				       "context.recipient.key: this key is another context's sender key: messages sent under it would verify here (a mirrored context?)");
			return -EEXIST;
		}
		/* Also once it is gone: what it sent would verify here. */
		if (coapsec_retired_sender_known(cn, ctx->recipients[i].kfp)) {
			NL_SET_ERR_MSG(extack,
				       "context.recipient.key: this key was a sender key of this namespace: messages sent under it would verify here (a mirrored context?)");
			return -EEXIST;
		}
	}
	if (coapsec_rkey_taken(cn, ctx->sender_fp)) {
		NL_SET_ERR_MSG(extack,
			       "context.sender-key: this key is another context's recipient key: messages sent under it would verify there (a mirrored context?)");
		return -EEXIST;
	}
	/* Also once it is gone: the peer sent under it, with its nonces. */
	if (coapsec_retired_rkey_known(cn, ctx->sender_fp)) {
		NL_SET_ERR_MSG(extack,
			       "context.sender-key: this key was a recipient key of this namespace: the peer sent under it, and messages sent here under it could take the nonces its messages took (a mirrored context?)");
		return -EEXIST;
	}
	holder = coapsec_sender_holder(cn, ctx->sender_fp);
	if (holder && holder != old && holder != prev) {
		NL_SET_ERR_MSG(extack,
			       "context.sender-key: this sender key is in use by another context: two contexts would share nonces; swap that context instead");
		return -EEXIST;
	}
	/* Kept from @old or @prev, or remembered: only with its nonces. */
	if (coapsec_sender_moved(cn, ctx) ||
	    coapsec_retired_sender_moved(cn, ctx)) {
		NL_SET_ERR_MSG(extack,
			       "context.sender-key: this sender key was used with another Common IV or sender ID: continuing its sequence under other nonces could repeat one its answers took; derive a new sender key");
		return -EINVAL;
	}
	return 0;
}

/* Links @ctx's recipients and sender material; the receive path sees it. */
static int coapsec_context_link(struct coapsec_context *ctx,
				const struct coapsec_context *old,
				struct netlink_ext_ack *extack)
{
	int err;

	err = coapsec_context_link_kids(ctx, old, extack);
	if (err)
		return err;
	err = rhltable_insert(&ctx->cn->by_sender, &ctx->sender_node,
			      coapsec_sender_params);
	if (err) {
		NL_SET_ERR_MSG(extack, "context: lookup table full");
		coapsec_context_unlink_kids(ctx, ctx->n_recipients);
	}
	return err;
}

/*
 * A context is built whole, checked against the namespace, and only then
 * published: its ID is reserved empty, its recipients linked, and last
 * the ID made to point at it, from which the send path takes it.
 */
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
	err = coapsec_net_use(cn);
	if (err) {
		NL_SET_ERR_MSG(extack,
			       "context: cannot set up the namespace (exchange table, IP defragmentation)");
		return err;
	}
	ctx = coapsec_context_alloc(cn, p, extack);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	if (p->id) {
		err = xa_insert(&cn->contexts, p->id, NULL, GFP_KERNEL_ACCOUNT);
		if (err == -EBUSY) {
			NL_SET_ERR_MSG(extack, "context.id: already in use");
			err = -EEXIST;
		}
	} else {
		/*
		 * Cyclic: an ID is not handed out again until the space
		 * wraps, so a key manager holding a deleted context's ID
		 * never reaches (or raises the ceiling of) another one.
		 */
		err = xa_alloc_cyclic(&cn->contexts, &ctx->id, NULL,
				      xa_limit_32b, &cn->context_next_id,
				      GFP_KERNEL_ACCOUNT);
		if (err == -EBUSY)
			err = -ENOSPC;
		else if (err > 0)
			err = 0;	/* wrapped */
	}
	if (err)
		goto err_free;

	err = coapsec_context_clashes(cn, ctx, NULL, NULL, extack);
	if (!err)
		err = coapsec_retired_reserve(cn, ctx, extack);
	if (!err) {
		ctx->sender_kept = coapsec_retired_apply_seq(cn, ctx);
		err = coapsec_context_link(ctx, NULL, extack);
		if (err)
			coapsec_retired_unreserve(cn, ctx);
	}
	if (err) {
		xa_release(&cn->contexts, ctx->id);
		goto err_free;
	}
	cn->n_contexts++;
	cn->change_gen++;
	coapsec_context_open(cn, ctx);
	deadline = ctx->deadline;
	ctx->deadline = 0;
	coapsec_context_set_deadline(cn, ctx, deadline);
	/* The slot is reserved: storing into it cannot fail. */
	xa_store(&cn->contexts, ctx->id, ctx, GFP_KERNEL_ACCOUNT);
	coapsec_context_published(cn);
	*id = ctx->id;
	return 0;

err_free:
	/* Never published: no reader holds it. */
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
	/* One key manager cannot take over another's context by mistake. */
	if (p->owner && old->owner[0] && strcmp(p->owner, old->owner)) {
		NL_SET_ERR_MSG(extack,
			       "context.owner: the context has another owner");
		return -EPERM;
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
	prev = rcu_dereference_protected(old->previous,
					 lockdep_is_held(&cn->lock));
	/* The replaced context's recipients may reappear in its successor. */
	err = coapsec_context_clashes(cn, ctx, old, prev, extack);
	if (!err)
		err = coapsec_retired_reserve(cn, ctx, extack);
	if (err) {
		coapsec_context_put(ctx);
		return err;
	}
	if (!p->owner)
		memcpy(ctx->owner, old->owner, sizeof(ctx->owner));
	ctx->id_since = old->id_since;
	ctx->sender_kept = coapsec_retired_apply_seq(cn, ctx);
	err = coapsec_context_link(ctx, old, extack);
	if (err) {
		coapsec_retired_unreserve(cn, ctx);
		coapsec_context_put(ctx);
		return err;
	}
	cn->n_contexts++;
	cn->change_gen++;
	/* Before it can answer: from here on the old one sends no more. */
	coapsec_context_inherit_seq(cn, ctx, old, prev);
	coapsec_context_open(cn, ctx);

	/* One previous context at most: the older one goes now. */
	RCU_INIT_POINTER(old->previous, NULL);
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
	coapsec_context_published(cn);
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

int coapsec_context_set_persisted(struct coapsec_net *cn, u32 id,
				  u64 ceiling, const struct nlattr *attr,
				  struct netlink_ext_ack *extack)
{
	struct coapsec_context *ctx;

	lockdep_assert_held(&cn->lock);
	ctx = xa_load(&cn->contexts, id);
	if (!ctx) {
		NL_SET_ERR_MSG(extack, "context.id: no such context");
		return -ENOENT;
	}
	/* A context without a ceiling takes one: that never loosens. */
	if (ctx->seq_persisted != COAPSEC_SEQ_NO_CEILING &&
	    ceiling < ctx->seq_persisted) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "context.seq-persisted: below the context's present ceiling (it may only rise)");
		return -EINVAL;
	}
	/* The packet path reads it locklessly; see coapsec_next_seq(). */
	WRITE_ONCE(ctx->seq_persisted, ceiling);
	return 0;
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
