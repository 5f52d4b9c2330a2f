/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The packet path's entry: netfilter hooks per namespace, IPv4 and IPv6.
 * Protect on LOCAL_OUT, verify on LOCAL_IN, either on FORWARD, as the
 * policies say (send.c, receive.c).
 */
#ifndef COAPSEC_HOOKS_H
#define COAPSEC_HOOKS_H

#include "context.h"
#include "netns.h"
#include "stats.h"

struct net;

int coapsec_hooks_register(struct net *net);
void coapsec_hooks_unregister(struct net *net);

/*
 * One outcome, counted for the namespace and for @ctx (may be NULL).
 * Drops that are no message's fault (oversized, fragmented or GSO
 * packets, growth past the MTU where fragmenting is not allowed, no
 * memory, sequence numbers exhausted) count as policy drops: the policy
 * could not be applied.
 */
static inline void coapsec_count(struct coapsec_net *cn,
				 struct coapsec_context *ctx,
				 enum coapsec_stat which)
{
	coapsec_stats_inc(cn->stats, which);
	if (ctx)
		coapsec_stats_inc(ctx->stats, which);
}

#endif /* COAPSEC_HOOKS_H */
