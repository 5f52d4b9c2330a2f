// SPDX-License-Identifier: GPL-2.0
#include <linux/netlink.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <net/ipv6.h>
#include <linux/in.h>
#include <linux/moduleparam.h>
#include <asm/unaligned.h>

#include "context.h"
#include "netns.h"
#include "policy.h"

/*
 * Every packet a hook sees walks its namespace's policy list, so the
 * list is bounded.  Writable at run time: a selftest lowers it to make
 * the kernel refuse a policy.
 */
static unsigned int ns_policies = 4096;
module_param(ns_policies, uint, 0644);
MODULE_PARM_DESC(ns_policies,
		 "policies one network namespace may hold (default 4096)");

static void coapsec_policy_free_rcu(struct rcu_head *rcu)
{
	kfree(container_of(rcu, struct coapsec_policy, rcu));
	atomic_dec(&coapsec_live_policies);
}

struct coapsec_policy *coapsec_policy_lookup(struct coapsec_net *cn, u32 id)
{
	struct coapsec_policy *pol;

	list_for_each_entry_rcu(pol, &cn->policies, list,
				lockdep_is_held(&cn->lock))
		if (pol->id == id)
			return pol;
	return NULL;
}

int coapsec_policy_new(struct coapsec_net *cn,
		       const struct coapsec_policy *tmpl, u32 *id,
		       struct netlink_ext_ack *extack)
{
	struct coapsec_policy *pol, *pos;
	struct list_head *at;
	int err;

	lockdep_assert_held(&cn->lock);
	if (tmpl->id && coapsec_policy_lookup(cn, tmpl->id)) {
		NL_SET_ERR_MSG(extack, "policy.id: already in use");
		return -EEXIST;
	}
	if (cn->n_policies >= READ_ONCE(ns_policies)) {
		NL_SET_ERR_MSG(extack,
			       "policy: this namespace holds as many policies as coapsec allows (module parameter ns_policies)");
		return -ENOSPC;
	}
	pol = kmemdup(tmpl, sizeof(*tmpl), GFP_KERNEL_ACCOUNT);
	if (!pol)
		return -ENOMEM;
	while (!pol->id) {
		pol->id = ++cn->policy_next_id;
		if (pol->id && coapsec_policy_lookup(cn, pol->id))
			pol->id = 0;
	}
	/* Its hooks and filter before it: never a policy without them. */
	err = coapsec_net_sync(cn, pol);
	if (err) {
		NL_SET_ERR_MSG(extack,
			       "policy: could not set up the namespace's netfilter hooks");
		kfree(pol);
		return err;
	}
	/* After every policy of the same or a lower priority. */
	at = &cn->policies;
	list_for_each_entry(pos, &cn->policies, list) {
		if (pos->priority > pol->priority) {
			at = &pos->list;
			break;
		}
	}
	list_add_tail_rcu(&pol->list, at);
	cn->n_policies++;
	cn->change_gen++;
	atomic_inc(&coapsec_live_policies);
	*id = pol->id;
	return 0;
}

/*
 * Puts @tmpl in the place of the policy of its ID, in one step: a packet
 * finds the old policy or the new one, never neither (what a delete
 * then an add would leave between them), and the new one keeps the old
 * one's place in the match order, so it needs no room under
 * ns_policies.  A group turning signed moves its policies from protect
 * to queue this way (coapsecd).
 */
int coapsec_policy_replace(struct coapsec_net *cn,
			   const struct coapsec_policy *tmpl,
			   struct netlink_ext_ack *extack)
{
	struct coapsec_policy *old, *pol;
	int err;

	lockdep_assert_held(&cn->lock);
	old = coapsec_policy_lookup(cn, tmpl->id);
	if (!old) {
		NL_SET_ERR_MSG(extack, "policy.id: no such policy");
		return -ENOENT;
	}
	if (old->priority != tmpl->priority) {
		NL_SET_ERR_MSG(extack,
			       "policy.priority: a policy set in place keeps its priority (delete and add it to move it)");
		return -EINVAL;
	}
	pol = kmemdup(tmpl, sizeof(*tmpl), GFP_KERNEL_ACCOUNT);
	if (!pol)
		return -ENOMEM;
	err = coapsec_net_sync(cn, pol);
	if (err) {
		NL_SET_ERR_MSG(extack,
			       "policy: could not set up the namespace's netfilter hooks");
		kfree(pol);
		return err;
	}
	list_replace_rcu(&old->list, &pol->list);
	cn->change_gen++;
	atomic_inc(&coapsec_live_policies);
	call_rcu(&old->rcu, coapsec_policy_free_rcu);
	/* What only the old one needed goes (ports, hooks). */
	coapsec_net_sync(cn, NULL);
	return 0;
}

static void coapsec_policy_remove(struct coapsec_net *cn,
				  struct coapsec_policy *pol)
{
	list_del_rcu(&pol->list);
	cn->n_policies--;
	cn->change_gen++;
	call_rcu(&pol->rcu, coapsec_policy_free_rcu);
}

int coapsec_policy_del(struct coapsec_net *cn, u32 id)
{
	struct coapsec_policy *pol;

	lockdep_assert_held(&cn->lock);
	pol = coapsec_policy_lookup(cn, id);
	if (!pol)
		return -ENOENT;
	coapsec_policy_remove(cn, pol);
	coapsec_net_sync(cn, NULL);
	return 0;
}

void coapsec_policy_flush(struct coapsec_net *cn)
{
	struct coapsec_policy *pol, *tmp;

	lockdep_assert_held(&cn->lock);
	list_for_each_entry_safe(pol, tmp, &cn->policies, list)
		coapsec_policy_remove(cn, pol);
	coapsec_net_sync(cn, NULL);
}

bool coapsec_policy_uses_context(struct coapsec_net *cn, u32 id)
{
	struct coapsec_policy *pol;

	lockdep_assert_held(&cn->lock);
	list_for_each_entry(pol, &cn->policies, list)
		if (pol->action == COAPSEC_ACTION_PROTECT &&
		    pol->context_id == id)
			return true;
	return false;
}

/*
 * Whether @addr's first @plen bits are @prefix's, a 32-bit word at a
 * time: no more of @addr is read than the prefix covers (4 bytes for
 * IPv4), and no byte loop per packet.
 */
static bool coapsec_prefix_match(const struct in6_addr *prefix, u8 plen,
				 const u8 *addr)
{
	const __be32 *p = prefix->s6_addr32;
	unsigned int i;

	for (i = 0; plen >= 32; i++, plen -= 32)
		if (p[i] != get_unaligned((const __be32 *)addr + i))
			return false;
	if (!plen)
		return true;
	return !((p[i] ^ get_unaligned((const __be32 *)addr + i)) &
		 htonl(~0U << (32 - plen)));
}

static bool coapsec_policy_matches(const struct coapsec_policy *pol,
				   u8 family, u8 dir, const void *saddr,
				   const void *daddr, u16 dport, int ifindex,
				   u32 mark)
{
	return pol->family == family && pol->dir == dir &&
	       (!pol->dport || pol->dport == dport) &&
	       (!pol->ifindex || pol->ifindex == ifindex) &&
	       (!pol->has_mark || (mark & pol->mark_mask) == pol->mark) &&
	       (!pol->has_src ||
		coapsec_prefix_match(&pol->src, pol->src_plen, saddr)) &&
	       (!pol->has_dst ||
		coapsec_prefix_match(&pol->dst, pol->dst_plen, daddr));
}

static int coapsec_policy_decide(struct coapsec_net *cn, u8 family, u8 dir,
				 const void *saddr, const void *daddr,
				 __be16 dport, int ifindex, u32 mark,
				 struct coapsec_context **ctx, u16 *queue)
{
	struct coapsec_policy *pol;
	u16 port = ntohs(dport);

	*ctx = NULL;
	list_for_each_entry_rcu(pol, &cn->policies, list) {
		if (!coapsec_policy_matches(pol, family, dir, saddr, daddr,
					    port, ifindex, mark))
			continue;
		if (pol->action == COAPSEC_ACTION_PROTECT)
			*ctx = coapsec_context_lookup(cn, pol->context_id);
		else if (pol->action == COAPSEC_ACTION_QUEUE && queue)
			*queue = pol->queue_num;
		return pol->action;
	}
	return 0;
}

int coapsec_policy_match(struct coapsec_net *cn, u8 family, u8 dir,
			 const void *saddr, const void *daddr, __be16 dport,
			 int ifindex, u32 mark, struct coapsec_context **ctx,
			 u16 *queue)
{
	return coapsec_policy_decide(cn, family, dir, saddr,
				     daddr, dport, ifindex, mark, ctx, queue);
}

int __coapsec_policy_match(struct coapsec_net *cn, u8 family, u8 dir,
			   const void *saddr, const void *daddr,
			   __be16 dport, int ifindex, u32 mark,
			   struct coapsec_context **ctx)
{
	return coapsec_policy_decide(cn, family, dir, saddr, daddr, dport,
				     ifindex, mark, ctx, NULL);
}

bool coapsec_policy_dst_group(const struct coapsec_policy *pol)
{
	if (!pol->has_dst)
		return false;
	if (pol->family == AF_INET)
		return ipv4_is_multicast(pol->dst.s6_addr32[0]);
	return ipv6_addr_is_multicast(&pol->dst);
}

bool coapsec_policy_protects(struct coapsec_net *cn, u8 family, u8 dir,
			     const void *saddr, const void *daddr,
			     __be16 dport)
{
	struct coapsec_policy *pol;
	u16 port = ntohs(dport);

	list_for_each_entry_rcu(pol, &cn->policies, list) {
		/* Group members answer from addresses it does not name. */
		if (pol->action != COAPSEC_ACTION_PROTECT ||
		    coapsec_policy_dst_group(pol))
			continue;
		if (coapsec_policy_matches(pol, family, dir, saddr, daddr, port,
					   pol->ifindex,
					   pol->mark & pol->mark_mask))
			return true;
	}
	return false;
}

bool coapsec_policy_guards(struct coapsec_net *cn, u8 family, u8 dir,
			   const void *saddr, const void *daddr, __be16 dport)
{
	struct coapsec_policy *pol;
	u16 port = ntohs(dport);

	list_for_each_entry_rcu(pol, &cn->policies, list) {
		if (pol->action != COAPSEC_ACTION_REQUIRE &&
		    pol->action != COAPSEC_ACTION_VERIFY)
			continue;
		/*
		 * A policy for requests to a group: its members answer from
		 * their own addresses, which the group prefix never matches.
		 */
		if (coapsec_policy_matches(pol, family, dir, saddr,
					   coapsec_policy_dst_group(pol) ?
					   pol->dst.s6_addr : daddr, port,
					   pol->ifindex,
					   pol->mark & pol->mark_mask))
			return true;
	}
	return false;
}
