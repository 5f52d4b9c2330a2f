/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per network namespace state: the context tables, the policy list and
 * the namespace's counters.  Deleting a namespace frees all of it.
 */
#ifndef COAPSEC_NETNS_H
#define COAPSEC_NETNS_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/netfilter.h>
#include <linux/rhashtable.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "stats.h"

/* IPv4 and IPv6 LOCAL_OUT, LOCAL_IN, FORWARD */
#define COAPSEC_NF_OPS	6

struct coapsec_exchange_table;
struct coapsec_filter;
struct coapsec_policy;

struct coapsec_net {
	struct net *net;
	/*
	 * Random, drawn with this state (features.instance-id): another
	 * value tells a key manager that windows and sequences are gone.
	 */
	u64 instance_id;
	/* Serialises every change to contexts and policies (netlink, gc). */
	struct mutex lock;

	/* Current contexts by ID; a previous one hangs off its successor. */
	struct xarray contexts;
	u32 context_next_id;		/* xa_alloc_cyclic's; lock */
	/*
	 * The context being published, from its recipients' opening to its
	 * ID's store: answers to requests it verified meanwhile find it
	 * here (coapsec_exchange_context()).  Written under lock.
	 */
	struct coapsec_context __rcu *publishing;
	/* Recipients of current and previous contexts by (ID context, kid). */
	struct rhltable by_kid;
	/* The same recipients by key fingerprint (key, Common IV, ID). */
	struct rhltable by_rfp;
	/* Current and previous contexts by sender key fingerprint. */
	struct rhltable by_sender;
	/*
	 * The same recipients by their key alone, fingerprinted as a
	 * sender's (kfp): a key is never one context's sender key and
	 * another's recipient key.
	 */
	struct rhltable by_rkey;
	/*
	 * What key material no longer held used (retired.c), by fingerprint
	 * and (recipients) by key; lock.
	 */
	struct hlist_head *retired;
	struct hlist_head *retired_rkey;
	unsigned int retired_buckets;	/* of each, a power of two */
	struct list_head retired_all;
	unsigned int n_retired;
	/* Places contexts hold for what they will leave (retired.c). */
	unsigned int retired_reserved;
	bool dying;			/* being dismantled: nothing to remember */
	unsigned int n_contexts;	/* current and previous, under lock */
	unsigned int n_timed;		/* of which with a deadline */
	/* Bumped by every change: a dump that spans one says NLM_F_DUMP_INTR. */
	u32 change_gen;

	/* Policies in match order (priority, then insertion); RCU. */
	struct list_head policies;
	unsigned int n_policies;
	u32 policy_next_id;

	struct coapsec_stats __percpu *stats;
	u64 stats_base[COAPSEC_STAT_NUM];	/* at the last reset; lock */

	/*
	 * Agents consuming the NFQUEUE queues of queue policies (queue.c):
	 * queue number to xa_mk_value(netlink portid).  Written under lock,
	 * read by the packet path under RCU.
	 */
	struct xarray agents;

	/* Outstanding requests (exchange.c); from the first context on. */
	struct coapsec_exchange_table *exchanges;

	/*
	 * What the packet path costs this namespace, only while its policies
	 * (or protected exchanges made under deleted ones) need it: the hooks,
	 * their filter, IP defragmentation.  coapsec_net_sync(); lock.
	 */
	struct coapsec_filter __rcu *filter;
	struct nf_hook_ops nf_ops[COAPSEC_NF_OPS];	/* hooks.c */
	bool hooks;			/* registered */
	/*
	 * Whole datagrams (coapsec_net_defrag()): IPv4 reassembled by the
	 * FORWARD hook itself, which reads defrag4 (WRITE_ONCE here), IPv6
	 * by nf_defrag_ipv6_enable().
	 */
	bool defrag4, defrag6;
	bool lingering;			/* kept for exchanges: the gc retries */
	bool closing;			/* pre_exit ran: nothing new */

	/* Lifetimes and grace periods; runs every second while needed. */
	struct delayed_work gc;

	/* Rate limit of replay and authentication-failure reports. */
	spinlock_t report_lock;
	unsigned long report_window;
	unsigned int report_sent;
	unsigned int report_suppressed;
};

extern unsigned int coapsec_net_id;

static inline struct coapsec_net *coapsec_net(const struct net *net)
{
	return net_generic(net, coapsec_net_id);
}

int coapsec_netns_register(void);
/* Set up and tear down one namespace's state (pernet ops, selftest). */
int coapsec_net_state_init(struct coapsec_net *cn, struct net *net);
void coapsec_net_state_destroy(struct coapsec_net *cn);
/* Under cn->lock, before the first context: see netns.c. */
int coapsec_net_use(struct coapsec_net *cn);
/*
 * Under cn->lock: makes the hooks, their filter and defragmentation
 * follow the policies, and @extra, one about to be published (then
 * before it is).  0 or a negative errno (with @extra only).
 */
int coapsec_net_sync(struct coapsec_net *cn,
		     const struct coapsec_policy *extra);
void coapsec_netns_unregister(void);

/* Objects alive in every namespace together. */
extern atomic_t coapsec_live_contexts;
extern atomic_t coapsec_live_policies;

#endif /* COAPSEC_NETNS_H */
