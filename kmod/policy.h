/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Policies: a selector (family, direction, prefixes, port, interface,
 * mark) and an action, matched in priority order like nft rules.  The
 * list is RCU; writers hold coapsec_net.lock.
 */
#ifndef COAPSEC_POLICY_H
#define COAPSEC_POLICY_H

#include <linux/in6.h>
#include <linux/list.h>
#include <linux/types.h>
#include <uapi/linux/coapsec.h>

struct coapsec_net;
struct coapsec_context;
struct net;
struct netlink_ext_ack;

struct coapsec_policy {
	struct list_head list;
	u32 id;
	u32 priority;
	u8 family;			/* AF_INET, AF_INET6 */
	u8 dir;				/* COAPSEC_DIR_* */
	u8 action;			/* COAPSEC_ACTION_* */
	u8 src_plen, dst_plen;
	bool has_src, has_dst, has_mark;
	struct in6_addr src, dst;	/* IPv4 in the first 4 bytes */
	u16 dport;			/* host order, 0: any */
	int ifindex;			/* 0: any */
	u32 mark, mark_mask;
	u32 context_id;			/* with COAPSEC_ACTION_PROTECT */
	u16 queue_num;			/* with COAPSEC_ACTION_QUEUE */
	struct rcu_head rcu;
	/* Who installed it (policy.owner); "": nobody said. */
	char owner[COAPSEC_MAX_OWNER_LEN + 1];
};

/* Validated by netlink.c; the kernel fills id when 0. */
int coapsec_policy_new(struct coapsec_net *cn,
		       const struct coapsec_policy *tmpl, u32 *id,
		       struct netlink_ext_ack *extack);
/* Replaces the policy of tmpl->id in place (same priority). */
int coapsec_policy_replace(struct coapsec_net *cn,
			   const struct coapsec_policy *tmpl,
			   struct netlink_ext_ack *extack);
int coapsec_policy_del(struct coapsec_net *cn, u32 id);
void coapsec_policy_flush(struct coapsec_net *cn);
/* Whether a policy protects with context @id (it may not go then). */
bool coapsec_policy_uses_context(struct coapsec_net *cn, u32 id);
/* Whether @pol's destination prefix is a group (multicast) address. */
bool coapsec_policy_dst_group(const struct coapsec_policy *pol);
/* Under rcu_read_lock() or cn->lock. */
struct coapsec_policy *coapsec_policy_lookup(struct coapsec_net *cn, u32 id);

/*
 * The packet path's question, under rcu_read_lock(): the action of the
 * first policy matching, for COAPSEC_ACTION_PROTECT the current context
 * to protect with (NULL if it is gone: the caller drops and counts), for
 * COAPSEC_ACTION_QUEUE the NFQUEUE queue in @queue.  Returns 0 when no
 * policy matches.  @saddr and @daddr are 4 or 16 bytes as @family says;
 * @dport in network order.
 */
int coapsec_policy_match(struct coapsec_net *cn, u8 family, u8 dir,
			 const void *saddr, const void *daddr, __be16 dport,
			 int ifindex, u32 mark, struct coapsec_context **ctx,
			 u16 *queue);
/*
 * Whether a verify or require policy covers (@saddr, @daddr, @dport) in
 * @dir for some interface and mark: requests from there are recorded in
 * the exchange table, protected or plain, so an answer with no entry is
 * one whose request is gone (its input interface and mark unknown).
 * Under rcu_read_lock().
 */
bool coapsec_policy_guards(struct coapsec_net *cn, u8 family, u8 dir,
			   const void *saddr, const void *daddr, __be16 dport);
/*
 * Whether a protect policy for a unicast destination covers (@saddr,
 * @daddr, @dport) in @dir for some interface and mark: requests that go
 * there leave exchange entries, protected or plain, so an answer from
 * there without one is not to be believed in clear.  Under
 * rcu_read_lock().
 */
bool coapsec_policy_protects(struct coapsec_net *cn, u8 family, u8 dir,
			     const void *saddr, const void *daddr,
			     __be16 dport);
/* The same on a namespace's state, without @queue (the module selftest's). */
int __coapsec_policy_match(struct coapsec_net *cn, u8 family, u8 dir,
			   const void *saddr, const void *daddr,
			   __be16 dport, int ifindex, u32 mark,
			   struct coapsec_context **ctx);

#endif /* COAPSEC_POLICY_H */
