// SPDX-License-Identifier: GPL-2.0
/*
 * The outstanding-request table: one global array of buckets, each a few
 * ways under its own spinlock, shared by every namespace (the key holds
 * the namespace cookie).  Bindings carry request nonces, which are public,
 * but entries are wiped on removal anyway.
 */
#include <linux/jhash.h>
#include <linux/jiffies.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
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

static struct coapsec_exchange_bucket *coapsec_exchanges;
static u32 coapsec_exchange_seed __read_mostly;

int coapsec_exchange_init(void)
{
	unsigned int i;

	coapsec_exchanges = kvcalloc(COAPSEC_EXCHANGE_BUCKETS,
				     sizeof(*coapsec_exchanges), GFP_KERNEL);
	if (!coapsec_exchanges)
		return -ENOMEM;
	for (i = 0; i < COAPSEC_EXCHANGE_BUCKETS; i++)
		spin_lock_init(&coapsec_exchanges[i].lock);
	coapsec_exchange_seed = get_random_u32();
	return 0;
}

void coapsec_exchange_exit(void)
{
	if (coapsec_exchanges)
		memzero_explicit(coapsec_exchanges, COAPSEC_EXCHANGE_BUCKETS *
				 sizeof(*coapsec_exchanges));
	kvfree(coapsec_exchanges);
	coapsec_exchanges = NULL;
}

static struct coapsec_exchange_bucket *
coapsec_exchange_bucket(u64 cookie, u8 role, const struct in6_addr *peer,
			__be16 port, const u8 *token, u8 token_len)
{
	u32 h;

	h = jhash2((const u32 *)peer, 4, coapsec_exchange_seed);
	h = jhash_3words((u32)cookie, (u32)(cookie >> 32),
			 ((u32)role << 16) | (__force u16)port, h);
	h = jhash(token, token_len, h);
	return &coapsec_exchanges[h % COAPSEC_EXCHANGE_BUCKETS];
}

static bool coapsec_exchange_live(const struct coapsec_exchange *e)
{
	return e->expires && time_before(jiffies, e->expires);
}

static bool coapsec_exchange_same(const struct coapsec_exchange *e, u64 cookie,
				  u8 role, u8 family,
				  const struct in6_addr *peer, __be16 port,
				  const u8 *token, u8 token_len)
{
	return coapsec_exchange_live(e) && e->net_cookie == cookie &&
	       e->role == role && e->family == family && e->port == port &&
	       e->token_len == token_len && ipv6_addr_equal(&e->peer, peer) &&
	       !memcmp(e->token, token, token_len);
}

bool coapsec_exchange_add(const struct coapsec_exchange *ex)
{
	struct coapsec_exchange_bucket *b;
	struct coapsec_exchange *slot = NULL, *e;
	bool evicted = false;
	unsigned int i;

	b = coapsec_exchange_bucket(ex->net_cookie, ex->role, &ex->peer,
				    ex->port, ex->token, ex->token_len);
	spin_lock_bh(&b->lock);
	/* The same exchange again, else a free way, else the oldest. */
	for (i = 0; i < COAPSEC_EXCHANGE_WAYS && !slot; i++) {
		e = &b->way[i];
		if (coapsec_exchange_same(e, ex->net_cookie, ex->role,
					  ex->family, &ex->peer, ex->port,
					  ex->token, ex->token_len))
			slot = e;
	}
	for (i = 0; i < COAPSEC_EXCHANGE_WAYS && !slot; i++)
		if (!coapsec_exchange_live(&b->way[i]))
			slot = &b->way[i];
	if (!slot) {
		slot = &b->way[0];
		for (i = 1; i < COAPSEC_EXCHANGE_WAYS; i++)
			if (time_before(b->way[i].expires, slot->expires))
				slot = &b->way[i];
		evicted = true;
	}
	*slot = *ex;
	slot->expires = jiffies + COAPSEC_EXCHANGE_LIFETIME * HZ ?: 1;
	spin_unlock_bh(&b->lock);
	return evicted;
}

int coapsec_exchange_find(struct net *net, u8 role, u8 family,
			  const struct in6_addr *peer, __be16 port,
			  const u8 *token, u8 token_len, bool consume,
			  struct coapsec_exchange *ex)
{
	u64 cookie = net->net_cookie;
	struct coapsec_exchange_bucket *b;
	unsigned int i;
	int err = -ENOENT;

	b = coapsec_exchange_bucket(cookie, role, peer, port, token,
				    token_len);
	spin_lock_bh(&b->lock);
	for (i = 0; i < COAPSEC_EXCHANGE_WAYS; i++) {
		struct coapsec_exchange *e = &b->way[i];

		if (!coapsec_exchange_same(e, cookie, role, family, peer, port,
					   token, token_len))
			continue;
		*ex = *e;
		if (consume && !e->keep)
			memzero_explicit(e, sizeof(*e));
		err = 0;
		break;
	}
	spin_unlock_bh(&b->lock);
	return err;
}

int coapsec_exchange_find_request(struct net *net, u8 family,
				  const struct in6_addr *peer, __be16 port,
				  const u8 *token, u8 token_len, bool consume,
				  struct coapsec_exchange *ex)
{
	static const struct in6_addr any_member;

	if (!coapsec_exchange_find(net, COAPSEC_EXCHANGE_CLIENT, family, peer,
				   port, token, token_len, consume, ex))
		return 0;
	return coapsec_exchange_find(net, COAPSEC_EXCHANGE_CLIENT, family,
				     &any_member, port, token, token_len,
				     consume, ex);
}

void coapsec_exchange_flush(struct net *net)
{
	u64 cookie = net->net_cookie;
	unsigned int i, j;

	if (!coapsec_exchanges)
		return;
	for (i = 0; i < COAPSEC_EXCHANGE_BUCKETS; i++) {
		struct coapsec_exchange_bucket *b = &coapsec_exchanges[i];

		spin_lock_bh(&b->lock);
		for (j = 0; j < COAPSEC_EXCHANGE_WAYS; j++)
			if (b->way[j].net_cookie == cookie)
				memzero_explicit(&b->way[j], sizeof(b->way[j]));
		spin_unlock_bh(&b->lock);
	}
}

struct coapsec_context *coapsec_exchange_context(struct net *net,
						 const struct coapsec_exchange *ex)
{
	struct coapsec_context *ctx, *prev;

	ctx = coapsec_context_lookup(coapsec_net(net), ex->ctx_id);
	if (!ctx || ctx == ex->ctx)
		return ctx;
	prev = rcu_dereference(ctx->previous);
	return prev == ex->ctx ? prev : NULL;
}
