/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Outstanding requests (RFC 8613 §8.2, §8.3: a response is bound to its
 * request).  An entry is keyed by role, peer address, peer port and token,
 * and remembers the context (by ID and generation) and the request's
 * binding.  Each namespace has its own table, so nothing one namespace
 * sends can evict or expose another's entries.
 *
 *   client role: a request this host (or gateway) protected; the peer's
 *                protected response is verified with the binding.  A
 *                request to a multicast address is recorded without a
 *                peer address: every member of the group may answer it.
 *   server role: a request this host verified; the local response to it
 *                is protected with the binding.
 *
 * The one-nonce-one-message rule for responses lives here: the request's
 * nonce may protect one answer, claimed under the bucket lock by
 * coapsec_exchange_answer(); every other answer to that request carries
 * the server's own Partial IV.
 *
 * The table is fixed in size (no allocation per packet): a set of ways
 * per bucket, entries expire after EXCHANGE_LIFETIME (RFC 7252 §4.8.2)
 * and a full bucket evicts its oldest entry, counted as an eviction.  An
 * observation lives on while notifications come, each one extending it
 * by EXCHANGE_LIFETIME plus the notification's Max-Age.
 */
#ifndef COAPSEC_EXCHANGE_H
#define COAPSEC_EXCHANGE_H

#include <linux/in6.h>
#include <linux/types.h>

#include "codec/oscore.h"

struct coapsec_context;
struct coapsec_net;
struct net;

enum coapsec_exchange_role {
	COAPSEC_EXCHANGE_CLIENT = 1,
	COAPSEC_EXCHANGE_SERVER,
};

/* RFC 7252 §4.8.2, in seconds. */
#define COAPSEC_EXCHANGE_LIFETIME	247
/* RFC 7252 §5.10.5: Max-Age when a notification carries none. */
#define COAPSEC_DEFAULT_MAX_AGE		60

/*
 * A group request: any number of answers, each with its Partial IV (and
 * so none with the request's nonce); pending until it expires.
 */
#define COAPSEC_EXCHANGE_F_KEEP		BIT(0)
/* An Observe registration: notifications until one ends it. */
#define COAPSEC_EXCHANGE_F_OBSERVE	BIT(1)
/*
 * Server: an answer took the request's nonce, or can no longer.  Client,
 * group request: its one answer without a Partial IV came.
 */
#define COAPSEC_EXCHANGE_F_NONCE_SPENT	BIT(2)
/* Client: @notification holds the freshest notification's Partial IV. */
#define COAPSEC_EXCHANGE_F_NOTIFIED	BIT(3)
/* Server: a plain request that a verify policy let through. */
#define COAPSEC_EXCHANGE_F_PLAIN	BIT(4)
/*
 * Server: no answer takes the request's nonce (its window started afresh
 * under a sender key that answered before: rcp->answer_own_piv).
 */
#define COAPSEC_EXCHANGE_F_OWN_PIV	BIT(5)

struct coapsec_exchange {
	/* The key */
	u8 role;
	u8 family;
	u8 token_len;
	u8 token[COAP_MAX_TOKEN_LEN];
	__be16 port;			/* the peer's */
	__be16 lport;			/* this side's: one socket's exchange */
	struct in6_addr peer;
	u32 hash;			/* the key's; the table sets it */
	/* What it binds */
	unsigned long expires;		/* jiffies; 0: free */
	u8 flags;			/* COAPSEC_EXCHANGE_F_* */
	u32 ctx_id;
	u64 ctx_gen;			/* the context's generation */
	union {
		u64 notification;	/* client: RFC 8613 §7.4.1 number */
		/*
		 * Server: the context's id_since.  An entry under its ID
		 * of an older generation was a deleted context's.
		 */
		u64 id_since;
	};
	struct oscore_binding binding;
};

/*
 * A namespace's table, made with its first context and kept until the
 * namespace goes (so the packet path needs no reference on it).
 */
int coapsec_exchange_table_create(struct coapsec_net *cn);
void coapsec_exchange_table_destroy(struct coapsec_net *cn);

/* The bucket of @ex's key in @cn's table: the selftest fills one. */
u32 coapsec_exchange_bucket_of(struct coapsec_net *cn,
			       const struct coapsec_exchange *ex);

/*
 * The packet path's calls below run in softirq or with BHs off.  A
 * @token is a whole token array (COAP_MAX_TOKEN_LEN bytes, read in one
 * load), of which @token_len count.
 *
 * Records @ex in @cn's table.  A client entry replaces one with the same
 * key.  A server entry replaces only one of the same context ID's line
 * (its swaps included, not a context deleted and made again under the
 * ID: @ex's id_since; 0 for plain requests): a request that another
 * context verified, or a plain one, while an exchange with the same
 * address, port and token lives gets -EEXIST, so that a peer spoofing
 * another cannot take over its answer (nor a retransmission of it).  A full bucket gives
 * up an answered or expired entry first; protected exchanges that wait
 * hold at most three of its four ways, so a fourth evicts the oldest of
 * them even beside a free way, which stays for plain requests.  0,
 * -EEXIST, -ENOENT (no table), -ENOSPC (a plain request finds no way it
 * may take), or 1 when a live entry had to be evicted.
 */
int coapsec_exchange_add(struct coapsec_net *cn,
			 const struct coapsec_exchange *ex);

/*
 * Finds the exchange for @role with the peer @peer/@port, this side's
 * port @lport (so that two sockets' exchanges never mix) and @token, and
 * copies it to @ex.  0 or -ENOENT.
 */
int coapsec_exchange_find(struct coapsec_net *cn, u8 role, u8 family,
			  const struct in6_addr *peer, __be16 port,
			  __be16 lport, const u8 *token, u8 token_len,
			  struct coapsec_exchange *ex);

/*
 * The client exchange that a response from @peer/@port answers: its
 * unicast request's, else its group request's.  As coapsec_exchange_find().
 */
int coapsec_exchange_find_request(struct coapsec_net *cn, u8 family,
				  const struct in6_addr *peer, __be16 port,
				  __be16 lport, const u8 *token, u8 token_len,
				  struct coapsec_exchange *ex);

/*
 * Server side, about to protect an answer to @peer/@port with @token: the
 * request's exchange in @ex, and in *@reuse_nonce whether this answer may
 * take the request's nonce.  Only the first answer may, and only if it is
 * no notification; whatever the answer, the nonce is spent from here on.
 * A notification extends the exchange by @extend seconds.  0 or -ENOENT.
 */
int coapsec_exchange_answer(struct coapsec_net *cn, u8 family,
			    const struct in6_addr *peer, __be16 port,
			    __be16 lport, const u8 *token, u8 token_len,
			    bool notification,
			    u32 extend, struct coapsec_exchange *ex,
			    bool *reuse_nonce);

/*
 * Seconds a notification @m keeps its observation alive: its Max-Age
 * (RFC 7641 §3.2), and EXCHANGE_LIFETIME on top for the next one.
 */
u32 coapsec_notification_life(const struct coap_msg *m);

/* Whether request @m registers an observation (Observe 0, RFC 7641). */
bool coapsec_registers(const struct coap_msg *m);

/* What a verified response to a client exchange is to do. */
struct coapsec_answer {
	bool notification;		/* it carries Observe, success class */
	bool has_piv;
	u64 seq;			/* its Partial IV's, if has_piv */
	u32 extend;			/* seconds a notification extends by */
};

/*
 * Client side, after a response verified under @ex's binding (@ex as
 * coapsec_exchange_find_request() copied it): consumes what it answers.
 * A unicast request's entry goes with its one answer; an observation's
 * stays while notifications come, each with a Partial IV above the last
 * (RFC 8613 §7.4.1), and goes with an answer that ends it (no Observe, or
 * an error).  A group request's entry stays; its answers carry Partial
 * IVs that the members' replay windows guard, and at most one may come
 * without.  0, or -EALREADY for an answer that is a replay or older than
 * the freshest notification.
 */
int coapsec_exchange_answered(struct coapsec_net *cn,
			      const struct coapsec_exchange *ex,
			      const struct coapsec_answer *answer);

/*
 * Server side: @ex (as coapsec_exchange_answer() copied it) can never be
 * answered, no context of its line being left: its entry goes, so that
 * the application's notifications do not keep it for ever, holding its
 * token from a context made again under the ID.
 */
void coapsec_exchange_forget(struct coapsec_net *cn,
			     const struct coapsec_exchange *ex);

/*
 * The context @ex was recorded with, if it still lives: current under its
 * ID, the previous one during a rekey's grace period, or one being
 * published (its recipients open before its ID points at it); matched by
 * generation, never by address.  Under rcu_read_lock().
 */
struct coapsec_context *coapsec_exchange_context(struct coapsec_net *cn,
						 const struct coapsec_exchange *ex);

/* Whether @net has ever had a context (and so may have exchanges). */
bool coapsec_exchange_in_use(struct coapsec_net *cn);

/*
 * Whether @cn's table holds a live exchange that binds protection (not a
 * plain one): its answers still need the hooks.  Under cn->lock.
 */
bool coapsec_exchange_bound_live(struct coapsec_net *cn);

#endif /* COAPSEC_EXCHANGE_H */
