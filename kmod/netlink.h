/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COAPSEC_NETLINK_H
#define COAPSEC_NETLINK_H

#include <linux/types.h>

struct net;
struct sk_buff;

int coapsec_genl_register(void);
void coapsec_genl_unregister(void);

/* For events.c: the "events" multicast group of the family. */
bool coapsec_genl_has_listeners(struct net *net);
void *coapsec_genl_put_event(struct sk_buff *msg);
void coapsec_genl_multicast(struct net *net, struct sk_buff *msg);

#endif /* COAPSEC_NETLINK_H */
