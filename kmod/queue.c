// SPDX-License-Identifier: GPL-2.0
/*
 * Agents of NFQUEUE queues (queue.h).  An agent registers the generic
 * netlink socket it keeps open; the registration ends when that socket
 * is released, as nfnetlink_queue unbinds a queue whose listener goes.
 * NFQUEUE on its own drops without a listener (no bypass flag is ever
 * set), so the registration is what makes those drops counted, and
 * exactly: a message finds no agent here, or is queued.
 */
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/xarray.h>
#include <net/netlink.h>

#include "netns.h"
#include "queue.h"
#include "stats.h"

int coapsec_queue_register(struct coapsec_net *cn, u16 queue, u32 portid,
			   struct netlink_ext_ack *extack)
{
	void *old;
	int err = 0;

	mutex_lock(&cn->lock);
	old = xa_load(&cn->agents, queue);
	if (!old) {
		err = xa_err(xa_store(&cn->agents, queue, xa_mk_value(portid),
				      GFP_KERNEL_ACCOUNT));
	} else if (xa_to_value(old) != portid) {
		NL_SET_ERR_MSG(extack,
			       "agent.queue-num: another socket is this queue's agent");
		err = -EBUSY;
	}
	mutex_unlock(&cn->lock);
	return err;
}

unsigned int coapsec_queue_verdict(struct coapsec_net *cn, u16 queue)
{
	if (!xa_load(&cn->agents, queue)) {
		coapsec_count(cn, NULL, COAPSEC_STAT_QUEUE_NO_AGENT);
		return NF_DROP;
	}
	coapsec_count(cn, NULL, COAPSEC_STAT_QUEUED);
	return NF_QUEUE_NR(queue);
}

/* Socket @portid of @cn's namespace is gone: so are its queues. */
static void coapsec_queue_release(struct coapsec_net *cn, u32 portid)
{
	unsigned long queue;
	void *entry;

	mutex_lock(&cn->lock);
	xa_for_each(&cn->agents, queue, entry)
		if (xa_to_value(entry) == portid)
			xa_erase(&cn->agents, queue);
	mutex_unlock(&cn->lock);
}

static int coapsec_queue_netlink_event(struct notifier_block *nb,
				       unsigned long event, void *ptr)
{
	struct netlink_notify *n = ptr;
	struct coapsec_net *cn;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC)
		return NOTIFY_DONE;
	/* A user socket holds its namespace: the state is still there. */
	cn = coapsec_net(n->net);
	if (!xa_empty(&cn->agents))
		coapsec_queue_release(cn, n->portid);
	return NOTIFY_DONE;
}

static struct notifier_block coapsec_queue_notifier = {
	.notifier_call = coapsec_queue_netlink_event,
};

int __init coapsec_queue_init(void)
{
	return netlink_register_notifier(&coapsec_queue_notifier);
}

void coapsec_queue_exit(void)
{
	netlink_unregister_notifier(&coapsec_queue_notifier);
}
