/* SPDX-License-Identifier: GPL-2.0 */
/*
 * OSCORE security contexts (RFC 8613 §3) and their lifecycle: new, swap
 * (rekey with a grace period for the previous keys), delete, expiry.
 *
 * Objects are RCU-managed: the packet path looks them up under
 * rcu_read_lock() and takes a reference (coapsec_context_get) only when it
 * must keep one past the read section (asynchronous crypto).  Writers hold
 * coapsec_net.lock.
 */
#ifndef COAPSEC_CONTEXT_H
#define COAPSEC_CONTEXT_H

#include <linux/rhashtable-types.h>
#include <linux/refcount.h>
#include <linux/workqueue.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <uapi/linux/coapsec.h>

#include "codec/oscore.h"
#include "codec/oscore_alg.h"
#include "crypto.h"
#include "stats.h"

struct coapsec_net;
struct coapsec_quota;
struct coapsec_retired;
struct crypto_aead;
struct net;
struct netlink_ext_ack;
struct nlattr;

/* A salted SHA-256 of key material, to compare keys without keeping them. */
#define COAPSEC_FP_LEN		32

/* Longest kid: nonce length - 6 (RFC 8613 §3.3). */
#define COAPSEC_MAX_KID_LEN	(OSCORE_MAX_NONCE_LEN - 6)

/* The receive path's lookup key: zero-padded, compared as bytes. */
struct coapsec_kid_key {
	u8 id_context_len;
	u8 kid_len;
	u8 id_context[COAPSEC_MAX_ID_CONTEXT_LEN];
	u8 kid[COAPSEC_MAX_KID_LEN];
};

struct coapsec_recipient {
	struct rhlist_head node;	/* cn->by_kid */
	struct rhlist_head fp_node;	/* cn->by_rfp */
	struct coapsec_kid_key key;
	struct coapsec_context *ctx;
	/* The next in its context's kid index bucket (kid_index). */
	struct coapsec_recipient *kid_next;
	u8 fp[COAPSEC_FP_LEN];		/* of its key material, as sender_fp */
	/* Of its key alone, as a sender's would be (sender_fp). */
	u8 kfp[COAPSEC_FP_LEN];
	struct rhlist_head kfp_node;	/* cn->by_rkey */
	struct coapsec_aead aead;	/* recipient key set, authsize set */
	/* Replay window (RFC 8613 §7.4): highest seq seen, bitmap below. */
	spinlock_t lock;
	/*
	 * Whether the window may accept a message: not before its context
	 * is published whole, nor once a successor with the same key took
	 * the window over (context.c), nor once retired (retired.c).
	 */
	bool open;
	/*
	 * Its window starts afresh under a sender key that answered before
	 * (kept across a swap): a request nonce it accepts may have been
	 * answered already, so every answer carries its own Partial IV.
	 */
	bool answer_own_piv;
	bool seen_any;
	u64 max_seq;
	u32 window;
	unsigned long *bitmap;
};

/* seq_persisted when the context has no ceiling. */
#define COAPSEC_SEQ_NO_CEILING	U64_MAX

/* Which sequence number limits were reported (limits_notified). */
#define COAPSEC_NOTIFIED_SOFT	0x1
#define COAPSEC_NOTIFIED_HARD	0x2

struct coapsec_context {
	struct coapsec_net *cn;
	u32 id;
	u8 state;			/* COAPSEC_CONTEXT_STATE_* */
	u32 flags;			/* COAPSEC_CONTEXT_F_* */
	const struct oscore_alg *alg;

	u8 sender_id_len;
	u8 sender_id[COAPSEC_MAX_KID_LEN];
	u8 id_context_len;
	u8 id_context[COAPSEC_MAX_ID_CONTEXT_LEN];
	u8 common_iv[OSCORE_MAX_NONCE_LEN];	/* secret-ish: never returned */
	struct coapsec_aead sender_aead;	/* sender key, authsize set */

	atomic64_t seq;			/* next sender sequence number */
	u64 seq_soft, seq_hard;
	u32 seq_checkpoint;		/* K of RFC 8613 B.1.1; 0: none */
	/*
	 * Its seq-start, where it lies between checkpoints and the context
	 * starts there (no predecessor's sequence beyond it): no event
	 * named that block, so its first number sends one.  Else U64_MAX.
	 */
	u64 seq_first;
	/*
	 * Ceiling: no number at or above it is used (context.seq-persisted,
	 * COAPSEC_SEQ_NO_CEILING: none).  Only rises, under cn->lock.
	 */
	u64 seq_persisted;
	/* The ceiling whose refusal was reported; -1: none yet. */
	atomic64_t seq_ceiling_told;
	/* A successor with this sender took the sequence on from here. */
	bool sender_retired;		/* under cn->lock */
	/* Its sender key sent before: the sequence was taken over. */
	bool sender_kept;
	u64 seq_retired;
	atomic_t limits_notified;	/* COAPSEC_NOTIFIED_* */
	/*
	 * Who holds this sender key (alg and key), as a salted digest: a
	 * new context may not share it, a swap that keeps it continues the
	 * sequence.  Never leaves the kernel.
	 */
	u8 sender_fp[COAPSEC_FP_LEN];
	/*
	 * The same with its Common IV and sender ID: what its nonces are
	 * made of.  A sender key is kept (its sequence continued) only with
	 * both: the nonces it used include those its first answers took
	 * from requests, (recipient ID, Partial IV), which another sender
	 * ID or Common IV could meet.
	 */
	u8 sender_nfp[COAPSEC_FP_LEN];
	struct rhlist_head sender_node;
	/* Unique per context ever made; exchanges are bound to it. */
	u64 gen;
	/*
	 * The oldest generation under this ID from which every swap kept
	 * this sender key (its own gen if it took none over): answers to
	 * requests verified under any of them go out under this context,
	 * which continues their sequence (coapsec_context_sends_for()).
	 */
	u64 sender_since;
	/*
	 * The generation that made this ID's line of contexts: swaps keep
	 * it, only a delete ends the line.  An exchange under the ID of an
	 * older generation was a deleted context's, whose answers are not
	 * this one's to take (coapsec_exchange_add()).
	 */
	u64 id_since;
	/*
	 * A swap settles its sequence (coapsec_context_inherit_seq()):
	 * published already, not to be sent with until this is false.
	 * True only with interrupts off on the CPU that settles it.
	 */
	bool settling;
	/*
	 * The codec's view of it with its first recipient (or none), built
	 * once it is whole (coapsec_oscore_ctx()); what it reads never
	 * changes.  Other recipients' views are built per message.
	 */
	struct oscore_ctx octx;

	u32 lifetime;			/* seconds, 0: forever */
	/* Who installed it (context.owner); "": nobody said. */
	char owner[COAPSEC_MAX_OWNER_LEN + 1];
	time64_t deadline;		/* expiry or end of grace; 0: none */

	/* The context this one replaced, verifying until its grace ends. */
	struct coapsec_context __rcu *previous;

	struct coapsec_stats __percpu *stats;
	u64 stats_base[COAPSEC_STAT_NUM];	/* at the last reset; cn->lock */
	struct coapsec_quota *quota;	/* its user's transforms; NULL: host */
	/* What it leaves to remember, made with it (retired.c). */
	struct coapsec_retired **retired_mem;
	/* Places it holds in the namespace's memory for them; cn->lock. */
	unsigned int retired_slots;
	refcount_t refcnt;
	/* Freed after a grace period in process context (free_wq). */
	struct rcu_work free_work;

	/*
	 * Its recipients by kid, built with it and never changed: a
	 * response's kid (and a swap's kept recipients) found in O(1)
	 * however large the group.  kid_mask + 1 buckets.
	 */
	struct coapsec_recipient **kid_index;
	u32 kid_mask;
	unsigned int n_recipients;
	struct coapsec_recipient recipients[];
};

/* What CONTEXT_NEW and CONTEXT_SWAP carry, parsed by netlink.c. */
struct coapsec_context_params {
	u32 id;
	const struct oscore_alg *alg;
	const u8 *sender_id, *sender_key, *common_iv, *id_context;
	u8 sender_id_len, id_context_len;
	u64 seq_start, seq_soft, seq_hard;
	u32 seq_checkpoint;
	bool has_seq_persisted;
	u64 seq_persisted;
	u32 lifetime, flags, grace;
	const char *owner;		/* NULL: none given */
	unsigned int n_recipients;	/* 1..COAPSEC_MAX_RECIPIENTS */
	struct {
		const u8 *id, *key;
		const struct nlattr *id_attr;	/* for extack; may be NULL */
		u8 id_len;
		u32 window;
	} recipients[];
};

/* Parameters for @n recipients, zeroed; free with kvfree(). */
struct coapsec_context_params *coapsec_context_params_alloc(unsigned int n);

/* Module exit, after rcu_barrier(): frees the per-user transform counts. */
void coapsec_context_quota_exit(void);
/*
 * The workqueue contexts are freed on (module init); at exit, after
 * rcu_barrier(), waits for every free and destroys it.
 */
int coapsec_context_free_init(void);
void coapsec_context_free_exit(void);

int coapsec_context_table_init(struct coapsec_net *cn);
void coapsec_context_table_destroy(struct coapsec_net *cn);

/* Lifecycle; all under cn->lock, all may sleep. */
int coapsec_context_new(struct coapsec_net *cn,
			const struct coapsec_context_params *p, u32 *id,
			struct netlink_ext_ack *extack);
int coapsec_context_swap(struct coapsec_net *cn,
			 const struct coapsec_context_params *p,
			 struct netlink_ext_ack *extack);
int coapsec_context_del(struct coapsec_net *cn, u32 id);
/*
 * Raises current context @id's seq-persisted ceiling to @ceiling: -ENOENT
 * without it, -EINVAL below its present ceiling (@attr for extack).
 */
int coapsec_context_set_persisted(struct coapsec_net *cn, u32 id,
				  u64 ceiling, const struct nlattr *attr,
				  struct netlink_ext_ack *extack);
void coapsec_context_flush(struct coapsec_net *cn);
/* Expires lifetimes and ends grace periods; returns whether any remain. */
bool coapsec_context_gc(struct coapsec_net *cn);

/* Whether @ctx sends for generation @gen of its ID (see sender_since). */
static inline bool coapsec_context_sends_for(const struct coapsec_context *ctx,
					     u64 gen)
{
	return ctx->sender_since <= gen && gen <= ctx->gen;
}

/*
 * Waits while a swap settles @ctx's sequence on another CPU: interrupts
 * are off there for a few steps, so this ends, as a seqcount reader's
 * retry does.  Every number a context hands out is taken after this
 * (acquire), so none comes from a counter not yet settled, however the
 * sender found the context.
 */
static inline void coapsec_context_wait_settled(const struct coapsec_context *ctx)
{
	/* Pairs with the release that ends coapsec_context_inherit_seq(). */
	while (unlikely(smp_load_acquire(&ctx->settling)))
		cpu_relax();
}

/* Lookups for the packet path and netlink: under rcu_read_lock(). */
struct coapsec_context *coapsec_context_lookup(struct coapsec_net *cn,
					       u32 id);
/*
 * The newest recipient matching (ID context, kid): a current context's
 * before a previous one's.  coapsec_recipient_next_dup() walks on to the
 * older ones with the same key (during a rekey's grace period).
 */
struct coapsec_recipient *
coapsec_context_lookup_kid(struct net *net, const u8 *id_context,
			   size_t id_context_len, const u8 *kid,
			   size_t kid_len);
struct coapsec_recipient *
coapsec_recipient_next_dup(const struct coapsec_recipient *rcp);
/*
 * The window that judges what @rcp verifies: its own, or once a successor
 * with the same key took it over (a swap), the successor's.  An answer
 * bound to a request of the context a swap replaced is checked there.
 */
struct coapsec_recipient *
coapsec_recipient_window(struct coapsec_recipient *rcp);
/* @ctx's recipient with this kid, or NULL: O(1), any reader. */
struct coapsec_recipient *
coapsec_context_find_recipient(const struct coapsec_context *ctx,
			       const u8 *kid, size_t kid_len);
/* The same on a namespace's state (the module selftest's own). */
struct coapsec_recipient *
__coapsec_context_lookup_kid(struct coapsec_net *cn, const u8 *id_context,
			     size_t id_context_len, const u8 *kid,
			     size_t kid_len);

/*
 * Takes @old's sequence number for a successor with the same sender
 * material (or for the memory of it): @old protects nothing from here on
 * (without a limit event), and each number it handed out stays below the
 * one returned.  Under cn->lock.
 */
u64 coapsec_context_retire_sender(struct coapsec_context *old);

static inline bool coapsec_context_get(struct coapsec_context *ctx)
{
	return refcount_inc_not_zero(&ctx->refcnt);
}

void coapsec_context_put(struct coapsec_context *ctx);

#endif /* COAPSEC_CONTEXT_H */
