/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The packet path's entry: netfilter hooks per namespace, IPv4 and IPv6.
 * Protect on LOCAL_OUT, verify on LOCAL_IN, either on FORWARD, as the
 * policies say (send.c, receive.c).
 */
#ifndef COAPSEC_HOOKS_H
#define COAPSEC_HOOKS_H

struct net;

int coapsec_hooks_register(struct net *net);
void coapsec_hooks_unregister(struct net *net);

#endif /* COAPSEC_HOOKS_H */
