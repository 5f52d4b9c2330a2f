/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Outstanding requests (RFC 8613 §8.2, §8.3: a response is bound to its
 * request).  An entry is keyed by namespace, role, peer address, peer port
 * and token, and remembers the context and the request's binding.
 *
 *   client role: a request this host (or gateway) protected; the peer's
 *                protected response is verified with the binding.  A
 *                request to a multicast address is recorded without a
 *                peer address: every member of the group may answer it.
 *   server role: a request this host verified; the local response to it
 *                is protected with the binding.
 *
 * The table is fixed in size (no allocation per packet): a set of ways
 * per bucket, entries expire after EXCHANGE_LIFETIME (RFC 7252 §4.8.2)
 * and a full bucket evicts its oldest entry, counted as an eviction.
 */
#ifndef COAPSEC_EXCHANGE_H
#define COAPSEC_EXCHANGE_H

#include <linux/in6.h>
#include <linux/types.h>

#include "codec/oscore.h"

struct coapsec_context;
struct coapsec_pkt;

enum coapsec_exchange_role {
	COAPSEC_EXCHANGE_CLIENT = 1,
	COAPSEC_EXCHANGE_SERVER,
};

/* RFC 7252 §4.8.2, in seconds. */
#define COAPSEC_EXCHANGE_LIFETIME	247

struct coapsec_exchange {
	/* The key */
	u64 net_cookie;
	u8 role;
	u8 family;
	u8 token_len;
	u8 token[COAP_MAX_TOKEN_LEN];
	__be16 port;
	struct in6_addr peer;
	/* What it binds */
	unsigned long expires;		/* jiffies; 0: free */
	bool keep;			/* group request: many responses */
	u32 ctx_id;
	/* Compared with a live context found by ctx_id, never dereferenced. */
	const struct coapsec_context *ctx;
	struct oscore_binding binding;
};

int coapsec_exchange_init(void);
void coapsec_exchange_exit(void);

/*
 * Records an exchange (overwriting one with the same key).  Returns
 * whether a live entry had to be evicted for it.
 */
bool coapsec_exchange_add(const struct coapsec_exchange *ex);

/*
 * Finds the exchange for @role with the peer @peer/@port and @token and
 * copies it to @ex.  With @consume, a matching entry that is not marked
 * keep is removed.  0 or -ENOENT.
 */
int coapsec_exchange_find(struct net *net, u8 role, u8 family,
			  const struct in6_addr *peer, __be16 port,
			  const u8 *token, u8 token_len, bool consume,
			  struct coapsec_exchange *ex);

/*
 * The client exchange that a response from @peer/@port answers: its
 * unicast request's, else its group request's.  As coapsec_exchange_find().
 */
int coapsec_exchange_find_request(struct net *net, u8 family,
				  const struct in6_addr *peer, __be16 port,
				  const u8 *token, u8 token_len, bool consume,
				  struct coapsec_exchange *ex);

/*
 * The context @ex was recorded with, if it still lives: current under
 * its ID, or the previous one during a rekey's grace period.  Under
 * rcu_read_lock().
 */
struct coapsec_context *coapsec_exchange_context(struct net *net,
						 const struct coapsec_exchange *ex);

/* Forgets every exchange of @net (namespace exit). */
void coapsec_exchange_flush(struct net *net);

#endif /* COAPSEC_EXCHANGE_H */
