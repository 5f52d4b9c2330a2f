// SPDX-License-Identifier: GPL-2.0
#include <linux/jiffies.h>
#include <linux/random.h>
#include <net/netfilter/ipv6/nf_defrag_ipv6.h>

#include "context.h"
#include "exchange.h"
#include "filter.h"
#include "hooks.h"
#include "netns.h"
#include "policy.h"
#include "stats.h"

unsigned int coapsec_net_id __read_mostly;
atomic_t coapsec_live_contexts = ATOMIC_INIT(0);
atomic_t coapsec_live_policies = ATOMIC_INIT(0);

static void coapsec_netns_gc(struct work_struct *work)
{
	struct coapsec_net *cn = container_of(to_delayed_work(work),
					      struct coapsec_net, gc);
	bool again;

	mutex_lock(&cn->lock);
	again = coapsec_context_gc(cn);
	if (cn->lingering)
		coapsec_net_sync(cn, NULL);
	mutex_unlock(&cn->lock);
	if (again)
		schedule_delayed_work(&cn->gc, HZ);
}

/* What a namespace needs once it holds contexts: its exchange table. */
int coapsec_net_use(struct coapsec_net *cn)
{
	lockdep_assert_held(&cn->lock);
	return coapsec_exchange_table_create(cn);
}

/*
 * Whole datagrams: without reassembly a gateway could drop a fragmented
 * answer's first fragment but would forward the others, with their
 * plaintext; with it, such a datagram is protected or verified whole and
 * fragmented again on the way out, as conntrack does.  IPv4 reassembles
 * before LOCAL_IN by itself, IPv6 only after it: so IPv4 for forwarding
 * policies, IPv6 for any.  IPv4 reassembles in coapsec's FORWARD hook
 * itself, which reads the flag (coapsec_hook_fwd4()): nf_defrag_ipv4
 * would cost every IPv4 packet one more hook, and would show the
 * namespace's FORWARD rules whole datagrams only.  Only IPv6 can fail.
 */
static int coapsec_net_defrag(struct coapsec_net *cn, bool want4, bool want6)
{
	int err;

	if (want4 && !cn->defrag4)
		WRITE_ONCE(cn->defrag4, true);
	if (want6 && !cn->defrag6) {
		err = nf_defrag_ipv6_enable(cn->net);
		if (err)
			return err;
		cn->defrag6 = true;
	}
	if (!want4 && cn->defrag4)
		WRITE_ONCE(cn->defrag4, false);
	if (!want6 && cn->defrag6) {
		nf_defrag_ipv6_disable(cn->net);
		cn->defrag6 = false;
	}
	return 0;
}

static void coapsec_net_wants(const struct coapsec_policy *pol, bool *want4,
			      bool *want6)
{
	if (pol->family == AF_INET6)
		*want6 = true;
	else if (pol->dir == COAPSEC_DIR_FWD)
		*want4 = true;
}

/*
 * Grows at once, before a new policy is published; shrinks after one is
 * gone, but only once no protected exchange lives: an answer to a
 * request made under a deleted policy is still protected or verified, as
 * it was with hooks everywhere (the gc retries every second).
 */
int coapsec_net_sync(struct coapsec_net *cn, const struct coapsec_policy *extra)
{
	bool want_hooks, want4 = false, want6 = false, linger = false;
	struct coapsec_filter *old, *f = NULL;
	const struct coapsec_policy *pol;
	int err = 0;

	lockdep_assert_held(&cn->lock);
	/* The module selftest's own state has no hooks to follow it. */
	if (coapsec_net(cn->net) != cn)
		return 0;
	old = rcu_dereference_protected(cn->filter, lockdep_is_held(&cn->lock));
	want_hooks = !cn->closing && (cn->n_policies || extra);
	if (want_hooks) {
		list_for_each_entry(pol, &cn->policies, list)
			coapsec_net_wants(pol, &want4, &want6);
		if (extra)
			coapsec_net_wants(extra, &want4, &want6);
		f = coapsec_filter_build(cn, extra, NULL);
		if (!f)
			goto nomem;
	}
	if (!cn->closing &&
	    ((cn->hooks && !want_hooks) || (cn->defrag4 && !want4) ||
	     (cn->defrag6 && !want6) ||
	     (old && (!f || !coapsec_filter_ports_cover(f, old)))) &&
	    coapsec_exchange_bound_live(cn)) {
		linger = true;
		want_hooks |= cn->hooks;
		want4 |= cn->defrag4;
		want6 |= cn->defrag6;
		kfree(f);
		f = coapsec_filter_build(cn, extra, old);
		if (!f)
			goto nomem;
	}

	/* Growing: filter, defragmentation, then hooks. */
	if (f) {
		rcu_assign_pointer(cn->filter, f);
		if (old)
			kfree_rcu(old, rcu);
		old = NULL;
	}
	err = coapsec_net_defrag(cn, want4 || cn->defrag4,
				 want6 || cn->defrag6);
	if (!err && want_hooks && !cn->hooks) {
		err = coapsec_hooks_register(cn);
		cn->hooks = !err;
	}
	if (err) {
		/* Back to what the published policies need. */
		if (extra)
			coapsec_net_sync(cn, NULL);
		return err;
	}

	/* Shrinking: hooks (no packet in them after), then the rest. */
	if (!want_hooks && cn->hooks) {
		coapsec_hooks_unregister(cn);
		cn->hooks = false;
	}
	if (!want_hooks && old) {
		RCU_INIT_POINTER(cn->filter, NULL);
		kfree_rcu(old, rcu);
	}
	coapsec_net_defrag(cn, want4, want6);
	cn->lingering = linger;
	if (linger)
		schedule_delayed_work(&cn->gc, HZ);
	return 0;

nomem:
	if (extra)
		return -ENOMEM;
	/* What is in place is a superset of what is needed: try again. */
	cn->lingering = true;
	schedule_delayed_work(&cn->gc, HZ);
	return 0;
}

int coapsec_net_state_init(struct coapsec_net *cn, struct net *net)
{
	int err;

	cn->net = net;
	cn->instance_id = get_random_u64();
	mutex_init(&cn->lock);
	INIT_LIST_HEAD(&cn->policies);
	xa_init(&cn->agents);
	INIT_DELAYED_WORK(&cn->gc, coapsec_netns_gc);
	spin_lock_init(&cn->report_lock);
	cn->report_window = jiffies;
	cn->stats = coapsec_stats_alloc(GFP_KERNEL);
	if (!cn->stats)
		return -ENOMEM;
	err = coapsec_context_table_init(cn);
	if (err)
		coapsec_stats_free(cn->stats);
	return err;
}

void coapsec_net_state_destroy(struct coapsec_net *cn)
{
	/* The gc may rearm itself once more: take the lock in between. */
	cancel_delayed_work_sync(&cn->gc);
	mutex_lock(&cn->lock);
	cn->dying = true;
	cn->closing = true;
	coapsec_policy_flush(cn);
	coapsec_context_flush(cn);
	mutex_unlock(&cn->lock);
	cancel_delayed_work_sync(&cn->gc);
	/* Values, not pointers: nothing to free but the tree. */
	xa_destroy(&cn->agents);
	coapsec_context_table_destroy(cn);
	coapsec_exchange_table_destroy(cn);
	/* No packet can reach a namespace being dismantled. */
	coapsec_stats_free(cn->stats);
}

/* No hooks yet: the first policy registers them (coapsec_net_sync()). */
static int __net_init coapsec_netns_init(struct net *net)
{
	return coapsec_net_state_init(coapsec_net(net), net);
}

/*
 * Hooks go before the grace period that the namespace core waits between
 * pre_exit and exit: a packet already inside coapsec_hook() on another CPU
 * (module unload under traffic) still uses the state that exit frees.
 * The lock orders this after any netlink request or gc run in progress;
 * none registers them again once closing is set.
 */
static void __net_exit coapsec_netns_pre_exit(struct net *net)
{
	struct coapsec_net *cn = coapsec_net(net);

	mutex_lock(&cn->lock);
	cn->closing = true;
	coapsec_net_sync(cn, NULL);
	mutex_unlock(&cn->lock);
}

static void __net_exit coapsec_netns_exit(struct net *net)
{
	coapsec_net_state_destroy(coapsec_net(net));
}

static struct pernet_operations coapsec_net_ops = {
	.init = coapsec_netns_init,
	.pre_exit = coapsec_netns_pre_exit,
	.exit = coapsec_netns_exit,
	.id = &coapsec_net_id,
	.size = sizeof(struct coapsec_net),
};

int __init coapsec_netns_register(void)
{
	return register_pernet_subsys(&coapsec_net_ops);
}

void coapsec_netns_unregister(void)
{
	unregister_pernet_subsys(&coapsec_net_ops);
}
