// SPDX-License-Identifier: GPL-2.0
/*
 * The outstanding-request table: per namespace, an array of buckets, each
 * a few ways under its own spinlock.  Bindings carry request nonces, which
 * are public, but entries are wiped on removal anyway.
 */
#include <linux/jhash.h>
#include <linux/jiffies.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <asm/unaligned.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>

#include "context.h"
#include "exchange.h"
#include "netns.h"

#define COAPSEC_EXCHANGE_BUCKETS	1024
#define COAPSEC_EXCHANGE_WAYS		4

struct coapsec_exchange_bucket {
	spinlock_t lock;		/* guards way[] */
	struct coapsec_exchange way[COAPSEC_EXCHANGE_WAYS];
};

struct coapsec_exchange_table {
	u32 seed;
	struct coapsec_exchange_bucket bucket[COAPSEC_EXCHANGE_BUCKETS];
};

int coapsec_exchange_table_create(struct coapsec_net *cn)
{
	struct coapsec_exchange_table *t;
	unsigned int i;

	lockdep_assert_held(&cn->lock);
	if (cn->exchanges)
		return 0;
	/* Charged to whoever makes the namespace's first context. */
	t = kvzalloc(sizeof(*t), GFP_KERNEL_ACCOUNT);
	if (!t)
		return -ENOMEM;
	for (i = 0; i < COAPSEC_EXCHANGE_BUCKETS; i++)
		spin_lock_init(&t->bucket[i].lock);
	t->seed = get_random_u32();
	/* Readers see it initialised or not at all. */
	smp_store_release(&cn->exchanges, t);
	return 0;
}

void coapsec_exchange_table_destroy(struct coapsec_net *cn)
{
	struct coapsec_exchange_table *t = cn->exchanges;

	if (!t)
		return;
	memzero_explicit(t, sizeof(*t));
	kvfree(t);
	cn->exchanges = NULL;
}

static struct coapsec_exchange_table *
coapsec_exchange_table(struct coapsec_net *cn)
{
	/* Pairs with the release in coapsec_exchange_table_create(). */
	return smp_load_acquire(&cn->exchanges);
}

bool coapsec_exchange_in_use(struct coapsec_net *cn)
{
	return READ_ONCE(cn->exchanges);
}

/*
 * The key's hash: the peer address, the ports and the token (at most 8
 * bytes, as two words) under the table's seed.  An IPv4 peer (and a
 * group request's, none) fills the first word of its address only: then
 * the four words that vary go through one jhash2() round; an IPv6 one
 * takes the address in one jhash2() and the rest in one jhash_3words().
 * Each way keeps it, so that a look at a way that holds another exchange
 * mostly ends at one compare.  @token is always a whole token array
 * (COAP_MAX_TOKEN_LEN bytes): read in one load, what lies past
 * @token_len masked off.
 */
static u32 coapsec_exchange_hash(const struct coapsec_exchange_table *t,
				 u8 role, const struct in6_addr *peer,
				 __be16 port, __be16 lport,
				 const u8 token[COAP_MAX_TOKEN_LEN],
				 u8 token_len)
{
	const u32 *a = (__force const u32 *)peer->s6_addr32;
	u32 seed = t->seed ^ (role << 8 | token_len);
	u32 ports = (__force u32)port << 16 | (__force u16)lport;
	u32 k[4];
	u64 tk;

	BUILD_BUG_ON(sizeof(tk) != COAP_MAX_TOKEN_LEN);
	tk = get_unaligned_le64(token);
	if (token_len < sizeof(tk))
		tk &= BIT_ULL(8 * token_len) - 1;
	if (!(a[1] | a[2] | a[3])) {
		k[0] = a[0];
		k[1] = ports;
		k[2] = (u32)tk;
		k[3] = (u32)(tk >> 32);
		return jhash2(k, ARRAY_SIZE(k), seed);
	}
	return jhash_3words(ports, (u32)tk, (u32)(tk >> 32),
			    jhash2(a, 4, seed));
}

static struct coapsec_exchange_bucket *
coapsec_exchange_bucket(struct coapsec_exchange_table *t, u32 hash)
{
	return &t->bucket[hash % COAPSEC_EXCHANGE_BUCKETS];
}

u32 coapsec_exchange_bucket_of(struct coapsec_net *cn,
			       const struct coapsec_exchange *ex)
{
	struct coapsec_exchange_table *t = coapsec_exchange_table(cn);

	return coapsec_exchange_hash(t, ex->role, &ex->peer, ex->port,
				     ex->lport, ex->token, ex->token_len) %
	       COAPSEC_EXCHANGE_BUCKETS;
}

/* Whether @e lives at @now (jiffies, read once for a walk of the ways). */
static bool coapsec_exchange_live_at(const struct coapsec_exchange *e,
				     unsigned long now)
{
	return e->expires && time_before(now, e->expires);
}

static bool coapsec_exchange_live(const struct coapsec_exchange *e)
{
	return coapsec_exchange_live_at(e, jiffies);
}

bool coapsec_exchange_bound_live(struct coapsec_net *cn)
{
	struct coapsec_exchange_table *t = cn->exchanges;
	struct coapsec_exchange_bucket *b;
	unsigned int i, w;
	bool live = false;

	lockdep_assert_held(&cn->lock);
	for (i = 0; t && i < COAPSEC_EXCHANGE_BUCKETS && !live; i++) {
		b = &t->bucket[i];
		spin_lock_bh(&b->lock);
		for (w = 0; w < COAPSEC_EXCHANGE_WAYS; w++)
			if (coapsec_exchange_live(&b->way[w]) &&
			    !(b->way[w].flags & COAPSEC_EXCHANGE_F_PLAIN))
				live = true;
		spin_unlock_bh(&b->lock);
	}
	return live;
}

static bool coapsec_exchange_same(const struct coapsec_exchange *e, u8 role,
				  u8 family, const struct in6_addr *peer,
				  __be16 port, __be16 lport, const u8 *token,
				  u8 token_len)
{
	return coapsec_exchange_live(e) && e->role == role &&
	       e->family == family && e->port == port && e->lport == lport &&
	       e->token_len == token_len && ipv6_addr_equal(&e->peer, peer) &&
	       !memcmp(e->token, token, token_len);
}

/* The live entry with this key (and @hash) in @b, or NULL.  Under b->lock. */
static struct coapsec_exchange *
coapsec_exchange_way(struct coapsec_exchange_bucket *b, u32 hash, u8 role,
		     u8 family, const struct in6_addr *peer, __be16 port,
		     __be16 lport, const u8 *token, u8 token_len)
{
	unsigned int i;

	for (i = 0; i < COAPSEC_EXCHANGE_WAYS; i++)
		if (b->way[i].hash == hash &&
		    coapsec_exchange_same(&b->way[i], role, family, peer, port,
					  lport, token, token_len))
			return &b->way[i];
	return NULL;
}

u32 coapsec_notification_life(const struct coap_msg *m)
{
	const struct coap_option *max_age;
	u32 life;

	max_age = coap_find_option(m, COAP_OPT_MAX_AGE);
	life = max_age ? coap_option_uint(max_age) : COAPSEC_DEFAULT_MAX_AGE;
	return min_t(u32, life, U32_MAX / HZ - COAPSEC_EXCHANGE_LIFETIME) +
	       COAPSEC_EXCHANGE_LIFETIME;
}

bool coapsec_registers(const struct coap_msg *m)
{
	const struct coap_option *obs = coap_find_option(m, COAP_OPT_OBSERVE);

	return obs && !coap_option_uint(obs);
}

/* Whether an exchange of @role with @flags still waits (for answers). */
static bool coapsec_exchange_waits(u8 role, u8 flags)
{
	if (flags & (COAPSEC_EXCHANGE_F_OBSERVE | COAPSEC_EXCHANGE_F_KEEP))
		return true;
	return role == COAPSEC_EXCHANGE_CLIENT ||
	       !(flags & COAPSEC_EXCHANGE_F_NONCE_SPENT);
}

/* An exchange that still waits for an answer, or an observation's. */
static bool coapsec_exchange_pending(const struct coapsec_exchange *e)
{
	return coapsec_exchange_waits(e->role, e->flags);
}

/*
 * What an entry is worth keeping: answered 0, a plain request this host
 * let in 1, a plain request it sent 2 (its answer is believed only while
 * the entry lives), a protected exchange 3.
 */
static unsigned int coapsec_exchange_rank(const struct coapsec_exchange *e)
{
	if (!coapsec_exchange_pending(e))
		return 0;
	if (!(e->flags & COAPSEC_EXCHANGE_F_PLAIN))
		return 3;
	return e->role == COAPSEC_EXCHANGE_CLIENT ? 2 : 1;
}

/* Whether an exchange of @role with @flags is protected and waits. */
static bool coapsec_exchange_waits_protected(u8 role, u8 flags)
{
	return !(flags & COAPSEC_EXCHANGE_F_PLAIN) &&
	       coapsec_exchange_waits(role, flags);
}

/* Whether @e is protected and still waits: rank 3 below. */
static bool coapsec_exchange_rank3(const struct coapsec_exchange *e)
{
	return coapsec_exchange_waits_protected(e->role, e->flags);
}

/*
 * Whether @e was recorded for the peer that @ex's comes from: the same
 * role, context and kid.  The peer is known by what authenticated it,
 * not by its address, which a member could spoof to aim at another.
 * Kids are a few bytes: compared inline, no call per way.
 */
static bool coapsec_exchange_same_peer(const struct coapsec_exchange *e,
				       const struct coapsec_exchange *ex)
{
	unsigned int i;

	if (e->role != ex->role || e->ctx_id != ex->ctx_id ||
	    e->binding.kid_len != ex->binding.kid_len)
		return false;
	for (i = 0; i < ex->binding.kid_len; i++)
		if (e->binding.kid[i] != ex->binding.kid[i])
			return false;
	return true;
}

/*
 * Where a new entry @ex of @rank goes: a free way, else the oldest of the
 * least worth keeping, never one worth more than the new one, so that a
 * flood of plain requests pushes out no protected exchange and no plain
 * request of this host's.  Protected exchanges keep one way free of
 * them, so that plain requests always find room: a protected one, when
 * three ways hold protected exchanges that wait, takes the oldest of
 * its own peer's there (coapsec_exchange_same_peer(): a peer that
 * crowds a bucket pushes out its own first, so that a flood from one
 * authenticated peer costs the others at most one exchange a bucket),
 * else the oldest of those.  NULL: none (the
 * request is dropped); *@evicted: a live entry goes.  The ways are
 * ranked in a second pass only when no free way and no protected one
 * settles it (a full bucket of protected exchanges, the busy case, takes
 * one pass).
 */
static struct coapsec_exchange *
coapsec_exchange_slot(struct coapsec_exchange_bucket *b,
		      const struct coapsec_exchange *ex, unsigned int rank,
		      unsigned long now, bool *evicted)
{
	struct coapsec_exchange *free = NULL, *old3 = NULL, *own = NULL;
	struct coapsec_exchange *victim = NULL, *e;
	unsigned int i, r, vr = 0, n = 0;

	for (i = 0; i < COAPSEC_EXCHANGE_WAYS; i++) {
		e = &b->way[i];
		if (!coapsec_exchange_rank3(e)) {
			if (!free && !coapsec_exchange_live_at(e, now))
				free = e;
			continue;
		}
		if (!coapsec_exchange_live_at(e, now)) {
			if (!free)
				free = e;
			continue;
		}
		n++;
		/* The oldest live one, and its peer's, for a protected one. */
		if (!old3 || time_before(e->expires, old3->expires))
			old3 = e;
		if (rank == 3 && coapsec_exchange_same_peer(e, ex) &&
		    (!own || time_before(e->expires, own->expires)))
			own = e;
	}
	/*
	 * A lapsed way beside three that wait stays free for plain requests
	 * (a never used one counts as a lapsed protected exchange).
	 */
	if (rank == 3 && n >= COAPSEC_EXCHANGE_WAYS - 1) {
		*evicted = true;
		return own ?: old3;
	}
	*evicted = true;
	if (free) {
		*evicted = false;
		return free;
	}
	/* Every way lives: the oldest of the least rank up to the new one's. */
	for (i = 0; i < COAPSEC_EXCHANGE_WAYS; i++) {
		e = &b->way[i];
		r = coapsec_exchange_rank(e);
		if (r <= rank && (!victim || r < vr ||
				  (r == vr &&
				   time_before(e->expires, victim->expires)))) {
			victim = e;
			vr = r;
		}
	}
	return victim;
}

static unsigned long coapsec_exchange_deadline(u32 seconds)
{
	/* time_before() reads at most MAX_JIFFY_OFFSET ahead (32-bit). */
	unsigned long delta = min_t(unsigned long, seconds,
				    MAX_JIFFY_OFFSET / HZ) * HZ;

	return jiffies + delta ?: 1;
}

/*
 * The packet path runs in softirq or with BHs off (the hooks), the only
 * caller of what follows: a plain spin_lock() is enough, and cheaper
 * than disabling BHs again per lookup.  The table's walk from process
 * context (coapsec_exchange_bound_live()) takes the lock with BHs off.
 */
static void coapsec_bucket_lock(struct coapsec_exchange_bucket *b)
	__acquires(&b->lock)
{
	lockdep_assert_in_softirq();
	spin_lock(&b->lock);
}

int coapsec_exchange_add(struct coapsec_net *cn,
			 const struct coapsec_exchange *ex)
{
	struct coapsec_exchange_table *t = coapsec_exchange_table(cn);
	struct coapsec_exchange *slot, *old;
	struct coapsec_exchange_bucket *b;
	unsigned long now;
	bool evicted;
	int ret = 0;
	u32 hash;

	if (!t)
		return -ENOENT;
	hash = coapsec_exchange_hash(t, ex->role, &ex->peer, ex->port,
				     ex->lport, ex->token, ex->token_len);
	b = coapsec_exchange_bucket(t, hash);
	coapsec_bucket_lock(b);
	now = jiffies;
	/* The same exchange again, else a free way, else the oldest. */
	slot = coapsec_exchange_way(b, hash, ex->role, ex->family, &ex->peer,
				    ex->port, ex->lport, ex->token,
				    ex->token_len);
	if (slot && ex->role == COAPSEC_EXCHANGE_SERVER &&
	    (slot->ctx_id != ex->ctx_id || slot->ctx_gen < ex->id_since) &&
	    ((slot->flags & COAPSEC_EXCHANGE_F_PLAIN) ?
	     coapsec_exchange_pending(slot) : true)) {
		ret = -EEXIST;
		goto out;
	}
	/* Nor does a plain request take over a protected one's answer. */
	if (slot && ex->role == COAPSEC_EXCHANGE_CLIENT &&
	    (ex->flags & COAPSEC_EXCHANGE_F_PLAIN) &&
	    !(slot->flags & COAPSEC_EXCHANGE_F_PLAIN)) {
		ret = -EEXIST;
		goto out;
	}
	if (!slot) {
		slot = coapsec_exchange_slot(b, ex, coapsec_exchange_rank(ex),
					     now, &evicted);
		if (!slot) {
			ret = -ENOSPC;
			goto out;
		}
		ret = evicted;
		*slot = *ex;
	} else {
		/*
		 * The same request again (a replay the window let through
		 * would be a bug elsewhere): its nonce stays spent.
		 */
		u8 spent = slot->flags & COAPSEC_EXCHANGE_F_NONCE_SPENT;

		if (memcmp(slot->binding.nonce, ex->binding.nonce,
			   sizeof(ex->binding.nonce)))
			spent = 0;
		/*
		 * A plain or answered exchange turned protected and waiting
		 * (with the nonce it carries over): as a new one would.
		 */
		if (coapsec_exchange_waits_protected(ex->role,
						     ex->flags | spent) &&
		    !coapsec_exchange_rank3(slot)) {
			old = coapsec_exchange_slot(b, ex, 3, now, &evicted);
			if (evicted && coapsec_exchange_rank3(old)) {
				memzero_explicit(slot, sizeof(*slot));
				slot = old;
				ret = 1;
			}
		}
		*slot = *ex;
		slot->flags |= spent;
	}
	slot->hash = hash;
	slot->expires = coapsec_exchange_deadline(COAPSEC_EXCHANGE_LIFETIME);
out:
	spin_unlock(&b->lock);
	return ret;
}

int coapsec_exchange_find(struct coapsec_net *cn, u8 role, u8 family,
			  const struct in6_addr *peer, __be16 port,
			  __be16 lport, const u8 *token, u8 token_len,
			  struct coapsec_exchange *ex)
{
	struct coapsec_exchange_table *t = coapsec_exchange_table(cn);
	struct coapsec_exchange_bucket *b;
	struct coapsec_exchange *e;
	u32 hash;

	if (!t)
		return -ENOENT;
	hash = coapsec_exchange_hash(t, role, peer, port, lport, token,
				     token_len);
	b = coapsec_exchange_bucket(t, hash);
	coapsec_bucket_lock(b);
	e = coapsec_exchange_way(b, hash, role, family, peer, port, lport,
				 token, token_len);
	if (e)
		*ex = *e;
	spin_unlock(&b->lock);
	return e ? 0 : -ENOENT;
}

int coapsec_exchange_find_request(struct coapsec_net *cn, u8 family,
				  const struct in6_addr *peer, __be16 port,
				  __be16 lport, const u8 *token, u8 token_len,
				  struct coapsec_exchange *ex)
{
	static const struct in6_addr any_member;

	if (!coapsec_exchange_find(cn, COAPSEC_EXCHANGE_CLIENT, family, peer,
				   port, lport, token, token_len, ex))
		return 0;
	return coapsec_exchange_find(cn, COAPSEC_EXCHANGE_CLIENT, family,
				     &any_member, port, lport, token,
				     token_len, ex);
}

int coapsec_exchange_answer(struct coapsec_net *cn, u8 family,
			    const struct in6_addr *peer, __be16 port,
			    __be16 lport, const u8 *token, u8 token_len,
			    bool notification,
			    u32 extend, struct coapsec_exchange *ex,
			    bool *reuse_nonce)
{
	struct coapsec_exchange_table *t = coapsec_exchange_table(cn);
	struct coapsec_exchange_bucket *b;
	struct coapsec_exchange *e;
	u32 hash;

	if (!t)
		return -ENOENT;
	hash = coapsec_exchange_hash(t, COAPSEC_EXCHANGE_SERVER, peer, port,
				     lport, token, token_len);
	b = coapsec_exchange_bucket(t, hash);
	coapsec_bucket_lock(b);
	e = coapsec_exchange_way(b, hash, COAPSEC_EXCHANGE_SERVER, family, peer,
				 port, lport, token, token_len);
	if (e) {
		/* The one place that hands out a request's nonce. */
		*reuse_nonce = !notification &&
			       !(e->flags & (COAPSEC_EXCHANGE_F_NONCE_SPENT |
					     COAPSEC_EXCHANGE_F_KEEP |
					     COAPSEC_EXCHANGE_F_OWN_PIV));
		e->flags |= COAPSEC_EXCHANGE_F_NONCE_SPENT;
		if (notification)
			e->expires = coapsec_exchange_deadline(extend);
		*ex = *e;
	}
	spin_unlock(&b->lock);
	return e ? 0 : -ENOENT;
}

/* Whether @e is still the exchange that @ex was copied from. */
static bool coapsec_exchange_is(const struct coapsec_exchange *e,
				const struct coapsec_exchange *ex,
				size_t nonce_len)
{
	return coapsec_exchange_same(e, ex->role, ex->family, &ex->peer,
				     ex->port, ex->lport, ex->token,
				     ex->token_len) &&
	       e->ctx_id == ex->ctx_id && e->ctx_gen == ex->ctx_gen &&
	       !memcmp(e->binding.nonce, ex->binding.nonce, nonce_len);
}

/* What answer @a does to the live entry @e; under its bucket's lock. */
static int coapsec_exchange_consume(struct coapsec_exchange *e,
				    const struct coapsec_answer *a)
{
	/* A plain request's: believed while it lives, an observation on. */
	if (e->flags & COAPSEC_EXCHANGE_F_PLAIN) {
		if (a->notification)
			e->expires = coapsec_exchange_deadline(a->extend);
		return 0;
	}
	if (e->flags & COAPSEC_EXCHANGE_F_KEEP) {
		/* Answers without a Partial IV have no window: one only. */
		if (!a->has_piv) {
			if (e->flags & COAPSEC_EXCHANGE_F_NONCE_SPENT)
				return -EALREADY;
			e->flags |= COAPSEC_EXCHANGE_F_NONCE_SPENT;
		}
		return 0;
	}
	if ((e->flags & COAPSEC_EXCHANGE_F_OBSERVE) && a->notification) {
		/* §4.1.3.5.2: every notification has a Partial IV. */
		if (!a->has_piv)
			return -EALREADY;
		if ((e->flags & COAPSEC_EXCHANGE_F_NOTIFIED) &&
		    a->seq <= e->notification)
			return -EALREADY;
		e->notification = a->seq;
		e->flags |= COAPSEC_EXCHANGE_F_NOTIFIED;
		e->expires = coapsec_exchange_deadline(a->extend);
		return 0;
	}
	/* One answer per request; an observation ends with this one. */
	memzero_explicit(e, sizeof(*e));
	return 0;
}

/*
 * The way of @t that still holds @ex (as a lookup copied it), or NULL;
 * either way with the lock of its bucket, *@bp, held.
 */
static struct coapsec_exchange *
coapsec_exchange_lock_same(struct coapsec_exchange_table *t,
			   const struct coapsec_exchange *ex,
			   struct coapsec_exchange_bucket **bp)
	__acquires(&(*bp)->lock)
{
	struct coapsec_exchange *e;
	unsigned int i;
	u32 hash;

	hash = coapsec_exchange_hash(t, ex->role, &ex->peer, ex->port,
				     ex->lport, ex->token, ex->token_len);
	*bp = coapsec_exchange_bucket(t, hash);
	coapsec_bucket_lock(*bp);
	for (i = 0; i < COAPSEC_EXCHANGE_WAYS; i++) {
		e = &(*bp)->way[i];
		if (e->hash == hash &&
		    coapsec_exchange_is(e, ex, sizeof(e->binding.nonce)))
			return e;
	}
	return NULL;
}

int coapsec_exchange_answered(struct coapsec_net *cn,
			      const struct coapsec_exchange *ex,
			      const struct coapsec_answer *answer)
{
	struct coapsec_exchange_table *t = coapsec_exchange_table(cn);
	struct coapsec_exchange_bucket *b;
	struct coapsec_exchange *e;
	int err = -EALREADY;

	if (!t)
		return err;
	e = coapsec_exchange_lock_same(t, ex, &b);
	if (e)
		err = coapsec_exchange_consume(e, answer);
	spin_unlock(&b->lock);
	return err;
}

void coapsec_exchange_forget(struct coapsec_net *cn,
			     const struct coapsec_exchange *ex)
{
	struct coapsec_exchange_table *t = coapsec_exchange_table(cn);
	struct coapsec_exchange_bucket *b;
	struct coapsec_exchange *e;

	if (!t)
		return;
	e = coapsec_exchange_lock_same(t, ex, &b);
	if (e)
		memzero_explicit(e, sizeof(*e));
	spin_unlock(&b->lock);
}

struct coapsec_context *coapsec_exchange_context(struct coapsec_net *cn,
						 const struct coapsec_exchange *ex)
{
	struct coapsec_context *ctx, *prev;

	/*
	 * Verified by a context whose ID does not point at it yet.  Read
	 * before the ID: once it is cleared, the ID points at that context
	 * (coapsec_context_published()), so that one of the two finds it.
	 */
	ctx = rcu_dereference(cn->publishing);
	if (ctx && ctx->gen == ex->ctx_gen)
		return ctx;
	/* Pairs with the smp_wmb() there. */
	smp_rmb();
	ctx = coapsec_context_lookup(cn, ex->ctx_id);
	if (ctx && ctx->gen == ex->ctx_gen)
		return ctx;
	prev = ctx ? rcu_dereference(ctx->previous) : NULL;
	return prev && prev->gen == ex->ctx_gen ? prev : NULL;
}
