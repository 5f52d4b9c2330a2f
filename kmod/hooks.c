// SPDX-License-Identifier: GPL-2.0
/*
 * Netfilter hooks for IPv4 and IPv6, registered in a namespace only while
 * it has policies (netns.c, coapsec_net_sync()):
 *
 *   LOCAL_OUT  protect (policies with direction out)
 *   LOCAL_IN   verify  (policies with direction in)
 *   FORWARD    protect or verify (policies with direction fwd)
 *
 * or, in each, hand the message to a userspace agent (action queue,
 * queue.c).
 *
 * Responses need no policy: they follow their request through the
 * exchange table.  Protection runs after the filter table has seen the
 * plaintext going out; verification before it sees what comes in.  What
 * no policy can concern leaves at the first look (filter.c), before any
 * header is pulled.
 */
#include <linux/netfilter.h>
#include <linux/netfilter_bridge.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <net/ip.h>

#include "context.h"
#include "crypto_aead.h"
#include "exchange.h"
#include "filter.h"
#include "hooks.h"
#include "icmp.h"
#include "netns.h"
#include "policy.h"
#include "queue.h"
#include "receive.h"
#include "send.h"
#include "skb.h"
#include "stats.h"

/*
 * Whether a GSO super-packet's later segments may be answers that must
 * not pass in clear: its first segment (a request, say) tells nothing of
 * them, so any segment to or from a peer whose answers are guarded.
 */
static bool coapsec_segments_guarded(const struct sk_buff *skb,
				     const struct coapsec_pkt *pkt)
{
	if (!skb_is_gso(skb))
		return false;
	switch (pkt->dir) {
	case COAPSEC_DIR_IN:
		return coapsec_answer_protected(pkt);
	case COAPSEC_DIR_OUT:
		return coapsec_peer_guarded(pkt);
	default:
		/* A gateway passes answers both ways. */
		return coapsec_peer_guarded(pkt) ||
		       coapsec_answer_protected(pkt);
	}
}

/*
 * What no protect or verify can handle whole: IP fragments, GSO packets,
 * messages longer than COAPSEC_MAX_MSG.  Dropped and counted when a policy
 * names them or when they answer a protected exchange (or, for GSO, may
 * carry such an answer); else not ours.
 */
static unsigned int coapsec_unhandled(struct sk_buff *skb,
				      struct coapsec_pkt *pkt, int action,
				      struct coapsec_context *ctx)
{
	enum coapsec_stat why = COAPSEC_STAT_TOO_BIG;

	if (!action && !coapsec_bound_answer(skb, pkt) &&
	    !coapsec_segments_guarded(skb, pkt))
		return NF_ACCEPT;
	if (pkt->fragment)
		why = COAPSEC_STAT_FRAGMENTS;
	else if (skb_is_gso(skb))
		why = COAPSEC_STAT_GSO;
	coapsec_count(pkt->cn, ctx, why);
	if (why == COAPSEC_STAT_TOO_BIG && pkt->dir == COAPSEC_DIR_OUT)
		return NF_DROP_ERR(-EMSGSIZE);
	return NF_DROP;
}

/*
 * A bypassed request from a peer that a verify or require policy also
 * covers, or to a peer that a protect policy covers, leaves a plain
 * exchange entry, so that its answer is known for plain
 * (coapsec_record_plain_request(), coapsec_send_plain_request()).
 */
static unsigned int coapsec_bypass(struct sk_buff *skb,
				   struct coapsec_pkt *pkt)
{
	struct coapsec_head head;

	if (coapsec_pkt_head(skb, pkt, &head) || COAP_CODE_CLASS(head.code) ||
	    !head.code)
		return NF_ACCEPT;
	/* Its options are not read: any answer to it may notify. */
	if (pkt->dir != COAPSEC_DIR_OUT && coapsec_request_guarded(pkt) &&
	    coapsec_record_plain_request(pkt, head.token, head.token_len,
					 true)) {
		coapsec_count(pkt->cn, NULL,
			      COAPSEC_STAT_POLICY_DROPS);
		return NF_DROP;
	}
	if (pkt->dir != COAPSEC_DIR_IN)
		return coapsec_send_plain_request(pkt, head.token,
						  head.token_len);
	return NF_ACCEPT;
}

/*
 * A message for the agent (action queue), whole, as the packet path
 * would take it: what it cannot handle is dropped and counted here too.
 * An answer bound to an exchange this module protected or verified stays
 * in the kernel, the only one that can verify it.
 */
static unsigned int coapsec_to_agent(struct sk_buff *skb,
				     struct coapsec_pkt *pkt, u16 queue)
{
	if (pkt->fragment || skb_is_gso(skb) || pkt->len > COAPSEC_MAX_MSG)
		return coapsec_unhandled(skb, pkt, COAPSEC_ACTION_QUEUE, NULL);
	return coapsec_queue_verdict(pkt->cn, queue);
}

static unsigned int coapsec_udp(struct sk_buff *skb, struct coapsec_pkt *pkt)
{
	struct coapsec_context *ctx;
	u16 queue = 0;
	int action;

	action = coapsec_policy_match(pkt->cn, pkt->family, pkt->dir,
				      &pkt->saddr, &pkt->daddr, pkt->dport,
				      pkt->ifindex, pkt->mark, &ctx, &queue);
	if (action == COAPSEC_ACTION_QUEUE) {
		if (!coapsec_exchange_in_use(pkt->cn) ||
		    !coapsec_bound_answer(skb, pkt))
			return coapsec_to_agent(skb, pkt, queue);
		action = 0;
	}
	/*
	 * Without a policy only answers to exchanges matter, and there are
	 * none in a namespace that never had a context: most UDP stops here.
	 */
	if (action == COAPSEC_ACTION_BYPASS) {
		/* It exempts requests, never an answer bound to protection. */
		if (!coapsec_exchange_in_use(pkt->cn))
			return NF_ACCEPT;
		if (coapsec_segments_guarded(skb, pkt))
			return coapsec_unhandled(skb, pkt, 0, ctx);
		if (!coapsec_bound_answer(skb, pkt))
			return coapsec_bypass(skb, pkt);
		action = 0;
	} else if (!action && !coapsec_exchange_in_use(pkt->cn)) {
		return NF_ACCEPT;
	}
	if (pkt->fragment || skb_is_gso(skb) || pkt->len > COAPSEC_MAX_MSG)
		return coapsec_unhandled(skb, pkt, action, ctx);
	if (pkt->dir == COAPSEC_DIR_OUT ||
	    (pkt->dir == COAPSEC_DIR_FWD && action == COAPSEC_ACTION_PROTECT))
		return coapsec_send(skb, pkt, action, ctx);
	return coapsec_receive(skb, pkt, action, pkt->dir == COAPSEC_DIR_FWD);
}

/*
 * A datagram to or from a port the policies name that no policy can be
 * matched against (@why): a source-routed one leaving, crossing or (IPv6)
 * arriving, whose header may name a hop rather than where it goes
 * (coapsec_pkt_source_routed()), or one whose UDP length is not its IP
 * payload's, which receivers read in different ways (coapsec_pkt_udp()),
 * or a reassembled one that could not be made a new datagram (errors:
 * coapsec_skb_fwd4_reassembled()).  Dropped and counted rather than let
 * through in clear.
 */
static noinline unsigned int coapsec_unmatchable(struct coapsec_net *cn,
						 u8 dir, enum coapsec_stat why)
{
	local_bh_disable();
	coapsec_count(cn, NULL, why);
	local_bh_enable();
	return dir == COAPSEC_DIR_OUT ? NF_DROP_ERR(-EPERM) : NF_DROP;
}

/*
 * What the first look in coapsec_hook() could not pass: the whole filter
 * where it was unsure (@linear: else the headers it read), then the full
 * path.  Out of line, so that the hooks themselves need no
 * stack frame for what passes.
 */
static noinline unsigned int
coapsec_hook_slow(struct coapsec_net *cn, struct sk_buff *skb,
		  const struct nf_hook_state *state,
		  const struct coapsec_filter *f, u8 dir, bool linear)
{
	u8 family = state->pf == NFPROTO_IPV4 ? AF_INET : AF_INET6;
	const struct net_device *dev;
	/*
	 * Every field is set before it is read (the filter or
	 * coapsec_pkt_parse(), then below): not cleared for every packet.
	 */
	struct coapsec_pkt pkt __uninitialized;
	unsigned int verdict;
	int parsed;

	pkt.dir = dir;
	switch (linear ? coapsec_filter_linear(skb, family == AF_INET6, &pkt) :
			 coapsec_filter_pass(f, skb, state->pf, pkt.dir, &pkt)) {
	case COAPSEC_FILTER_PASS:
		return NF_ACCEPT;
	case COAPSEC_FILTER_MAYBE_FILLED:
		parsed = coapsec_pkt_udp(skb, &pkt);
		break;
	default:
		parsed = coapsec_pkt_parse(skb, family, &pkt);
	}
	if (parsed < 0 && coapsec_filter_names_ports(f, pkt.sport, pkt.dport))
		return coapsec_unmatchable(cn, dir, COAPSEC_STAT_MALFORMED);
	if (parsed <= 0) {
		/*
		 * Errors quoting what may have been decrypted, leaving or
		 * crossing: by this module, or by an agent (action queue)
		 * in a namespace with no kernel context.
		 */
		if (pkt.dir != COAPSEC_DIR_IN &&
		    coapsec_icmp_scrub(skb, family))
			return NF_DROP;
		return NF_ACCEPT;
	}
	/*
	 * IPv4 acts on a source route before LOCAL_IN, so what reaches it
	 * has arrived; IPv6 on a routing header after it.
	 */
	if ((dir != COAPSEC_DIR_IN || family == AF_INET6) &&
	    coapsec_pkt_source_routed(skb, &pkt) &&
	    coapsec_filter_names_ports(f, pkt.sport, pkt.dport))
		return coapsec_unmatchable(cn, dir, COAPSEC_STAT_SOURCE_ROUTED);
	if (family == AF_INET && dir == COAPSEC_DIR_FWD &&
	    IPCB(skb)->frag_max_size &&
	    coapsec_filter_names_ports(f, pkt.sport, pkt.dport) &&
	    coapsec_skb_fwd4_reassembled(skb))
		return coapsec_unmatchable(cn, dir, COAPSEC_STAT_ERRORS);
	pkt.net = state->net;
	pkt.cn = cn;
	dev = pkt.dir == COAPSEC_DIR_IN ? state->in : state->out;
	pkt.ifindex = dev ? dev->ifindex : 0;

	/*
	 * The per-CPU scratch, counters and table locks need BHs off:
	 * LOCAL_IN and FORWARD run in softirq already, LOCAL_OUT mostly not.
	 * nf_hook() holds the RCU read lock the lookups need.
	 */
	if (in_softirq())
		return coapsec_udp(skb, &pkt);
	local_bh_disable();
	verdict = coapsec_udp(skb, &pkt);
	local_bh_enable();
	return verdict;
}

/*
 * One hook per family and direction, so that both are constants in the
 * first look (coapsec_filter_quick()): what it passes costs a few dozen
 * instructions and no call.  @priv is the namespace's state: no
 * net_generic() lookup per packet.
 */
static __always_inline unsigned int
coapsec_hook(void *priv, struct sk_buff *skb, const struct nf_hook_state *state,
	     bool v6, u8 dir)
{
	struct coapsec_net *cn = priv;
	/* nf_hook() holds rcu_read_lock(). */
	const struct coapsec_filter *f = rcu_dereference(cn->filter);
	enum coapsec_quick q;

	if (!f)
		return NF_ACCEPT;
	q = coapsec_filter_quick(f, skb, v6, dir);
	if (q == COAPSEC_QUICK_PASS)
		return NF_ACCEPT;
	return coapsec_hook_slow(cn, skb, state, f, dir,
				 q == COAPSEC_QUICK_LINEAR);
}

static unsigned int coapsec_hook_out4(void *priv, struct sk_buff *skb,
				      const struct nf_hook_state *state)
{
	return coapsec_hook(priv, skb, state, false, COAPSEC_DIR_OUT);
}

static unsigned int coapsec_hook_in4(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state)
{
	return coapsec_hook(priv, skb, state, false, COAPSEC_DIR_IN);
}

/*
 * Multicast routing hands each outgoing interface a copy of every
 * fragment, and a bridge (br_netfilter) each port it floods to: a queue
 * per interface or port, or each copy after the first would be dropped
 * as a duplicate.  The users above the kernel's own are coapsec's; a
 * link-layer multicast or broadcast, and a datagram to a group, draw no
 * reassembly-timeout ICMP error (icmp_send()), which a user other than
 * conntrack's would.
 */
#define COAPSEC_DEFRAG_MCAST	0x40000000U

/* The bridge port a bridged packet leaves by, or 0. */
static int coapsec_bridge_port(const struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_BRIDGE_NETFILTER)
	return nf_bridge_get_physoutif(skb);
#else
	return 0;
#endif
}

static u32 coapsec_defrag_user(const struct sk_buff *skb,
			       const struct nf_hook_state *state)
{
	int ifindex = coapsec_bridge_port(skb);

	if (!ifindex && state->out)
		ifindex = state->out->ifindex;
	if (ifindex && (skb->pkt_type == PACKET_MULTICAST ||
			skb->pkt_type == PACKET_BROADCAST ||
			ipv4_is_multicast(ip_hdr(skb)->daddr)))
		return COAPSEC_DEFRAG_MCAST + (u32)ifindex;
	return IP_DEFRAG_CONNTRACK_IN;
}

/*
 * A forwarded IPv4 fragment, in a namespace that wants whole datagrams
 * (coapsec_net_defrag()): queued, or put together with the others, as
 * nf_defrag_ipv4 would at PRE_ROUTING (same queue, zone 0; multicast:
 * coapsec_defrag_user()).  Here, after ip_forward(), each fragment had
 * its TTL checked and decremented and its MTU checked; the datagram
 * keeps the first fragment's header, options and IPCB (IPSKB_FORWARDED)
 * and the last one's route, and ip_frag_reasm() sets frag_max_size, so
 * ip_finish_output() fragments it again at no more than the sizes that
 * came in (ignore_df: even with DF), unless it is to or from a port the
 * policies name (coapsec_skb_fwd4_reassembled(): a new datagram).
 * Out of line and reached by a tail call: the hook needs no stack frame.
 */
static noinline unsigned int
coapsec_hook_frag4(struct coapsec_net *cn, struct sk_buff *skb,
		   const struct nf_hook_state *state)
{
	int err;

	/* ip_defrag() takes the queues' locks with BHs as they are. */
	local_bh_disable();
	err = ip_defrag(state->net, skb, coapsec_defrag_user(skb, state));
	local_bh_enable();
	if (err)	/* queued, or freed */
		return NF_STOLEN;
	skb->ignore_df = 1;
	return coapsec_hook(cn, skb, state, false, COAPSEC_DIR_FWD);
}

static unsigned int coapsec_hook_fwd4(void *priv, struct sk_buff *skb,
				      const struct nf_hook_state *state)
{
	struct coapsec_net *cn = priv;

	/*
	 * What is no fragment pays these two tests and nothing more.  Every
	 * protocol's fragments: a receiver that keys them without the
	 * protocol (lwIP does) would join another one's to a UDP datagram.
	 */
	if (unlikely(ip_is_fragment(ip_hdr(skb))) && READ_ONCE(cn->defrag4))
		return coapsec_hook_frag4(cn, skb, state);
	return coapsec_hook(cn, skb, state, false, COAPSEC_DIR_FWD);
}

static unsigned int coapsec_hook_out6(void *priv, struct sk_buff *skb,
				      const struct nf_hook_state *state)
{
	return coapsec_hook(priv, skb, state, true, COAPSEC_DIR_OUT);
}

static unsigned int coapsec_hook_in6(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state)
{
	return coapsec_hook(priv, skb, state, true, COAPSEC_DIR_IN);
}

static unsigned int coapsec_hook_fwd6(void *priv, struct sk_buff *skb,
				      const struct nf_hook_state *state)
{
	return coapsec_hook(priv, skb, state, true, COAPSEC_DIR_FWD);
}

#define COAPSEC_HOOK(fn, fam, num, prio) {				\
	.hook = (fn),							\
	.pf = (fam),							\
	.hooknum = (num),						\
	.priority = (prio),						\
}

static const struct nf_hook_ops coapsec_nf_ops[COAPSEC_NF_OPS] = {
	COAPSEC_HOOK(coapsec_hook_out4, NFPROTO_IPV4, NF_INET_LOCAL_OUT,
		     NF_IP_PRI_FILTER + 10),
	COAPSEC_HOOK(coapsec_hook_in4, NFPROTO_IPV4, NF_INET_LOCAL_IN,
		     NF_IP_PRI_FILTER - 10),
	COAPSEC_HOOK(coapsec_hook_fwd4, NFPROTO_IPV4, NF_INET_FORWARD,
		     NF_IP_PRI_FILTER + 10),
	COAPSEC_HOOK(coapsec_hook_out6, NFPROTO_IPV6, NF_INET_LOCAL_OUT,
		     NF_IP6_PRI_FILTER + 10),
	COAPSEC_HOOK(coapsec_hook_in6, NFPROTO_IPV6, NF_INET_LOCAL_IN,
		     NF_IP6_PRI_FILTER - 10),
	COAPSEC_HOOK(coapsec_hook_fwd6, NFPROTO_IPV6, NF_INET_FORWARD,
		     NF_IP6_PRI_FILTER + 10),
};

int coapsec_hooks_register(struct coapsec_net *cn)
{
	unsigned int i;

	for (i = 0; i < COAPSEC_NF_OPS; i++) {
		cn->nf_ops[i] = coapsec_nf_ops[i];
		cn->nf_ops[i].priv = cn;
	}
	return nf_register_net_hooks(cn->net, cn->nf_ops, COAPSEC_NF_OPS);
}

void coapsec_hooks_unregister(struct coapsec_net *cn)
{
	nf_unregister_net_hooks(cn->net, cn->nf_ops, COAPSEC_NF_OPS);
}
