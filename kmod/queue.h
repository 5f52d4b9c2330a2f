/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hand-off to a userspace agent through NFQUEUE (action queue): what
 * the kernel cannot do itself, Group OSCORE group mode's signatures, is
 * done by the agent registered for the policy's queue.  Without one the
 * message is dropped and counted, never sent or delivered in clear.
 */
#ifndef COAPSEC_QUEUE_H
#define COAPSEC_QUEUE_H

#include <linux/types.h>

struct coapsec_net;
struct netlink_ext_ack;

/*
 * Records netlink socket @portid as the agent of queue @queue in @cn,
 * until that socket closes.  -EBUSY when another socket holds the queue.
 */
int coapsec_queue_register(struct coapsec_net *cn, u16 queue, u32 portid,
			   struct netlink_ext_ack *extack);

/*
 * The verdict for a message a queue policy matched: NF_QUEUE_NR(@queue)
 * (no bypass: with no listener NFQUEUE drops it) when an agent is
 * registered, else NF_DROP, counted as queue-no-agent.  Under
 * rcu_read_lock() with BHs disabled.
 */
unsigned int coapsec_queue_verdict(struct coapsec_net *cn, u16 queue);

/* Follows the closing of agents' sockets (NETLINK_URELEASE). */
int coapsec_queue_init(void);
void coapsec_queue_exit(void);

#endif /* COAPSEC_QUEUE_H */
