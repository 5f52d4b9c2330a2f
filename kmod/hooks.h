/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The packet path's entry: netfilter hooks per namespace, IPv4 and IPv6.
 * Protect on LOCAL_OUT, verify on LOCAL_IN, either on FORWARD, as the
 * policies say (send.c, receive.c).
 */
#ifndef COAPSEC_HOOKS_H
#define COAPSEC_HOOKS_H

struct coapsec_net;

/* @cn's own copies of the hooks (their priv is @cn); under cn->lock. */
int coapsec_hooks_register(struct coapsec_net *cn);
void coapsec_hooks_unregister(struct coapsec_net *cn);

#endif /* COAPSEC_HOOKS_H */
