// SPDX-License-Identifier: GPL-2.0
#include <linux/jiffies.h>
#include <linux/random.h>
#include <net/netfilter/ipv4/nf_defrag_ipv4.h>
#include <net/netfilter/ipv6/nf_defrag_ipv6.h>

#include "context.h"
#include "exchange.h"
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
	mutex_unlock(&cn->lock);
	if (again)
		schedule_delayed_work(&cn->gc, HZ);
}

/*
 * What a namespace needs once it holds contexts: its exchange table, and
 * whole datagrams on FORWARD.  Without reassembly, a gateway could drop a
 * fragmented answer's first fragment but would forward the others, with
 * their plaintext; with it, such a datagram is protected or verified
 * whole and fragmented again on the way out, as conntrack does.
 */
int coapsec_net_use(struct coapsec_net *cn)
{
	int err;

	lockdep_assert_held(&cn->lock);
	if (cn->in_use)
		return 0;
	err = coapsec_exchange_table_create(cn);
	if (err)
		return err;
	err = nf_defrag_ipv4_enable(cn->net);
	if (err)
		return err;
	err = nf_defrag_ipv6_enable(cn->net);
	if (err) {
		nf_defrag_ipv4_disable(cn->net);
		return err;
	}
	cn->in_use = true;
	return 0;
}

int coapsec_net_state_init(struct coapsec_net *cn, struct net *net)
{
	int err;

	cn->net = net;
	cn->instance_id = get_random_u64();
	mutex_init(&cn->lock);
	INIT_LIST_HEAD(&cn->policies);
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
	coapsec_policy_flush(cn);
	coapsec_context_flush(cn);
	mutex_unlock(&cn->lock);
	cancel_delayed_work_sync(&cn->gc);
	coapsec_context_table_destroy(cn);
	coapsec_exchange_table_destroy(cn);
	if (cn->in_use) {
		nf_defrag_ipv6_disable(cn->net);
		nf_defrag_ipv4_disable(cn->net);
		cn->in_use = false;
	}
	/* No packet can reach a namespace being dismantled. */
	coapsec_stats_free(cn->stats);
}

static int __net_init coapsec_netns_init(struct net *net)
{
	struct coapsec_net *cn = coapsec_net(net);
	int err;

	err = coapsec_net_state_init(cn, net);
	if (err)
		return err;
	err = coapsec_hooks_register(net);
	if (err)
		coapsec_net_state_destroy(cn);
	return err;
}

/*
 * Hooks go before the grace period that the namespace core waits between
 * pre_exit and exit: a packet already inside coapsec_hook() on another CPU
 * (module unload under traffic) still uses the state that exit frees.
 */
static void __net_exit coapsec_netns_pre_exit(struct net *net)
{
	coapsec_hooks_unregister(net);
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
