// SPDX-License-Identifier: GPL-2.0
/*
 * Netfilter hooks, registered in every namespace for IPv4 and IPv6:
 *
 *   LOCAL_OUT  protect (policies with direction out)
 *   LOCAL_IN   verify  (policies with direction in)
 *   FORWARD    protect or verify (policies with direction fwd)
 *
 * Responses need no policy: they follow their request through the
 * exchange table.  Protection runs after the filter table has seen the
 * plaintext going out; verification before it sees what comes in.
 */
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>

#include "hooks.h"
#include "policy.h"
#include "receive.h"
#include "send.h"
#include "skb.h"

static unsigned int coapsec_hook(void *priv, struct sk_buff *skb,
				 const struct nf_hook_state *state)
{
	u8 dir = (unsigned long)priv;
	struct coapsec_context *ctx;
	struct coapsec_pkt pkt;
	const struct net_device *dev;
	unsigned int verdict;
	int action;

	if (!coapsec_pkt_parse(skb, state->pf == NFPROTO_IPV4 ? AF_INET :
			       AF_INET6, &pkt))
		return NF_ACCEPT;
	pkt.net = state->net;
	pkt.dir = dir;
	dev = dir == COAPSEC_DIR_IN ? state->in : state->out;
	pkt.ifindex = dev ? dev->ifindex : 0;

	rcu_read_lock();
	action = coapsec_policy_match(pkt.net, pkt.family, dir, &pkt.saddr,
				      &pkt.daddr, pkt.dport, pkt.ifindex,
				      pkt.mark, &ctx);
	/*
	 * Without a policy only responses to exchanges matter, and there
	 * are none in a namespace without contexts: most UDP stops here.
	 */
	if (action == COAPSEC_ACTION_BYPASS ||
	    (!action && !READ_ONCE(coapsec_net(pkt.net)->n_contexts))) {
		rcu_read_unlock();
		return NF_ACCEPT;
	}
	/* Never half-process what cannot be seen whole. */
	if (pkt.fragment || skb_is_gso(skb)) {
		verdict = NF_ACCEPT;
		if (action) {
			local_bh_disable();
			coapsec_count(coapsec_net(pkt.net), ctx,
				      pkt.fragment ? COAPSEC_STAT_FRAGMENTS :
				      COAPSEC_STAT_GSO);
			local_bh_enable();
			verdict = NF_DROP;
		}
		rcu_read_unlock();
		return verdict;
	}

	/* The per-CPU scratch and counters need BHs off. */
	local_bh_disable();
	if (dir == COAPSEC_DIR_OUT ||
	    (dir == COAPSEC_DIR_FWD && action == COAPSEC_ACTION_PROTECT))
		verdict = coapsec_send(skb, &pkt, action, ctx);
	else
		verdict = coapsec_receive(skb, &pkt, action,
					  dir == COAPSEC_DIR_FWD);
	local_bh_enable();
	rcu_read_unlock();
	return verdict;
}

#define COAPSEC_HOOK(fam, num, prio, dir) {				\
	.hook = coapsec_hook,						\
	.pf = (fam),							\
	.hooknum = (num),						\
	.priority = (prio),						\
	.priv = (void *)(unsigned long)(dir),				\
}

static const struct nf_hook_ops coapsec_nf_ops[] = {
	COAPSEC_HOOK(NFPROTO_IPV4, NF_INET_LOCAL_OUT, NF_IP_PRI_FILTER + 10,
		     COAPSEC_DIR_OUT),
	COAPSEC_HOOK(NFPROTO_IPV4, NF_INET_LOCAL_IN, NF_IP_PRI_FILTER - 10,
		     COAPSEC_DIR_IN),
	COAPSEC_HOOK(NFPROTO_IPV4, NF_INET_FORWARD, NF_IP_PRI_FILTER + 10,
		     COAPSEC_DIR_FWD),
	COAPSEC_HOOK(NFPROTO_IPV6, NF_INET_LOCAL_OUT, NF_IP6_PRI_FILTER + 10,
		     COAPSEC_DIR_OUT),
	COAPSEC_HOOK(NFPROTO_IPV6, NF_INET_LOCAL_IN, NF_IP6_PRI_FILTER - 10,
		     COAPSEC_DIR_IN),
	COAPSEC_HOOK(NFPROTO_IPV6, NF_INET_FORWARD, NF_IP6_PRI_FILTER + 10,
		     COAPSEC_DIR_FWD),
};

int coapsec_hooks_register(struct net *net)
{
	return nf_register_net_hooks(net, coapsec_nf_ops,
				     ARRAY_SIZE(coapsec_nf_ops));
}

void coapsec_hooks_unregister(struct net *net)
{
	nf_unregister_net_hooks(net, coapsec_nf_ops,
				ARRAY_SIZE(coapsec_nf_ops));
}
