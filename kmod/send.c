// SPDX-License-Identifier: GPL-2.0
/*
 * Protect (RFC 8613 §8.1, §8.3).  The CoAP message is copied out of the
 * skb into this CPU's scratch, protected there by the codec and written
 * back; the skb grows by the OSCORE overhead.  A request leaves an entry
 * in the exchange table so that its response can be verified.
 */
#include <linux/atomic.h>
#include <linux/netfilter.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <net/dst.h>
#include <net/icmp.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "cipher.h"
#include "codec/codec_err.h"
#include "context.h"
#include "events.h"
#include "exchange.h"
#include "hooks.h"
#include "policy.h"
#include "send.h"
#include "skb.h"

#define COAPSEC_NOTIFIED_SOFT	0x1
#define COAPSEC_NOTIFIED_HARD	0x2

/* The next sequence number, or OSCORE_SEQ_NONE past the hard limit. */
static u64 coapsec_next_seq(struct coapsec_context *ctx)
{
	u64 seq = atomic64_fetch_inc(&ctx->seq);

	if (seq >= ctx->seq_hard || seq > OSCORE_SEQ_MAX) {
		/* Keep the counter at the limit rather than let it run. */
		atomic64_set(&ctx->seq, ctx->seq_hard);
		if (!(atomic_fetch_or(COAPSEC_NOTIFIED_HARD,
				      &ctx->soft_notified) &
		      COAPSEC_NOTIFIED_HARD))
			coapsec_event_context(ctx, COAPSEC_EVENT_SEQ_HARD);
		return OSCORE_SEQ_NONE;
	}
	if (seq >= ctx->seq_soft &&
	    !(atomic_fetch_or(COAPSEC_NOTIFIED_SOFT, &ctx->soft_notified) &
	      COAPSEC_NOTIFIED_SOFT))
		coapsec_event_context(ctx, COAPSEC_EVENT_SEQ_SOFT);
	return seq;
}

/*
 * Whether growing the message to @len bytes makes a packet that the stack
 * would have to fragment but may not: forwarded with DF (IPv6 always),
 * or sent locally with DF by a socket that wants no fragmentation.
 */
static bool coapsec_too_big(const struct sk_buff *skb,
			    const struct coapsec_pkt *pkt, unsigned int len)
{
	const struct dst_entry *dst = skb_dst(skb);
	bool df;

	if (!dst || skb->len - pkt->len + len <= dst_mtu(dst))
		return false;
	df = pkt->family == AF_INET6 ||
	     (ip_hdr(skb)->frag_off & htons(IP_DF));
	if (pkt->dir == COAPSEC_DIR_FWD)
		return df;
	return pkt->family == AF_INET && df && !skb->ignore_df;
}

/*
 * Whether a require policy covers requests from the peer this response
 * goes to: every request it sent was then protected, and so must the
 * answer be.  One whose request left the exchange table (expired or
 * evicted) is dropped rather than sent in clear.
 */
static bool coapsec_peer_requires(const struct coapsec_pkt *pkt)
{
	struct coapsec_context *unused;
	u8 dir = pkt->dir == COAPSEC_DIR_FWD ? COAPSEC_DIR_FWD : COAPSEC_DIR_IN;

	return coapsec_policy_match(pkt->net, pkt->family, dir, &pkt->daddr,
				    &pkt->saddr, pkt->sport, pkt->ifindex,
				    pkt->mark, &unused) ==
	       COAPSEC_ACTION_REQUIRE;
}

/*
 * Refuses a message that protection made too big for the path, as the
 * stack refuses one that is too big already: a local sender gets
 * EMSGSIZE; the sender of a forwarded one an ICMP "fragmentation needed"
 * (RFC 1191) or "packet too big" (RFC 8201) giving the room left once
 * protected, so that path MTU discovery finds a size that fits.
 */
static unsigned int coapsec_refuse_too_big(struct sk_buff *skb,
					   const struct coapsec_pkt *pkt,
					   unsigned int growth)
{
	unsigned int mtu = dst_mtu(skb_dst(skb));

	if (pkt->dir != COAPSEC_DIR_FWD)
		return NF_DROP_ERR(-EMSGSIZE);
	mtu = mtu > growth ? mtu - growth : 0;
	if (pkt->family == AF_INET)
		icmp_send(skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, htonl(mtu));
	else
		icmpv6_send(skb, ICMPV6_PKT_TOOBIG, 0, max(mtu, IPV6_MIN_MTU));
	return NF_DROP;
}

/* The counter for a message that oscore_protect() refused. */
static enum coapsec_stat coapsec_protect_failure(int err)
{
	switch (err) {
	case -CODEC_EUNSUPPORTED:
		return COAPSEC_STAT_POLICY_DROPS;
	case -CODEC_ENOSPC:
		return COAPSEC_STAT_TOO_BIG;
	case -ENOMEM:
	case -EIO:
		return COAPSEC_STAT_ERRORS;
	default:
		return COAPSEC_STAT_MALFORMED;
	}
}

unsigned int coapsec_send(struct sk_buff *skb, struct coapsec_pkt *pkt,
			  int action, struct coapsec_context *ctx)
{
	struct coapsec_net *cn = coapsec_net(pkt->net);
	struct coapsec_scratch *s = coapsec_scratch();
	const struct oscore_binding *request = NULL;
	bool protect = action == COAPSEC_ACTION_PROTECT;
	u64 seq = OSCORE_SEQ_NONE;
	struct oscore_binding binding;
	struct coapsec_exchange ex;
	bool is_request;
	int len;

	if (pkt->len > COAPSEC_MAX_MSG) {
		if (!protect)
			return NF_ACCEPT;
		coapsec_count(cn, ctx, COAPSEC_STAT_TOO_BIG);
		return pkt->dir == COAPSEC_DIR_OUT ? NF_DROP_ERR(-EMSGSIZE) :
						     NF_DROP;
	}
	if (skb_copy_bits(skb, pkt->udp_off + sizeof(struct udphdr), s->in,
			  pkt->len) ||
	    coap_parse(s->in, pkt->len, &s->msg)) {
		if (!protect)
			return NF_ACCEPT;
		coapsec_count(cn, ctx, COAPSEC_STAT_MALFORMED);
		return NF_DROP;
	}
	/* Empty messages (ACK, RST, ping) are never protected (§4.2). */
	if (s->msg.code == COAP_CODE_EMPTY)
		return NF_ACCEPT;

	is_request = COAP_CODE_CLASS(s->msg.code) == 0;
	if (is_request) {
		if (!protect)
			return NF_ACCEPT;
		if (!ctx) {
			coapsec_count(cn, NULL, COAPSEC_STAT_NO_CONTEXT);
			return NF_DROP;
		}
	} else {
		/* A response is protected when its request was verified. */
		if (coapsec_exchange_find(pkt->net, COAPSEC_EXCHANGE_SERVER,
					  pkt->family, &pkt->daddr, pkt->dport,
					  s->msg.token, s->msg.token_len,
					  false, &ex)) {
			if (!protect && !coapsec_peer_requires(pkt))
				return NF_ACCEPT;
			coapsec_count(cn, ctx, COAPSEC_STAT_NO_CONTEXT);
			return NF_DROP;
		}
		ctx = coapsec_exchange_context(pkt->net, &ex);
		if (!ctx) {
			coapsec_count(cn, NULL, COAPSEC_STAT_NO_CONTEXT);
			return NF_DROP;
		}
		request = &ex.binding;
	}

	/*
	 * Requests carry their own Partial IV; so do group responses, since
	 * every member answering would otherwise reuse the request's nonce.
	 */
	if (is_request || (ctx->flags & COAPSEC_CONTEXT_F_GROUP)) {
		seq = coapsec_next_seq(ctx);
		if (seq == OSCORE_SEQ_NONE) {
			coapsec_count(cn, ctx, COAPSEC_STAT_SEQ_EXHAUSTED);
			return NF_DROP;
		}
	}

	coapsec_oscore_ctx(&s->octx, ctx,
			   ctx->n_recipients ? &ctx->recipients[0] : NULL);
	s->req.priv = s;
	len = oscore_protect(&s->octx, &s->msg, seq, request, s->out,
			     sizeof(s->out), &s->req, &binding);
	if (len == -CODEC_EPROTECTED) {
		/* The application speaks OSCORE itself: leave it alone. */
		return NF_ACCEPT;
	}
	if (len < 0) {
		coapsec_count(cn, ctx, coapsec_protect_failure(len));
		return NF_DROP;
	}

	if (coapsec_too_big(skb, pkt, len)) {
		coapsec_count(cn, ctx, COAPSEC_STAT_TOO_BIG);
		return coapsec_refuse_too_big(skb, pkt, len - pkt->len);
	}

	if (is_request) {
		memset(&ex, 0, sizeof(ex));
		ex.binding = binding;
		ex.net_cookie = pkt->net->net_cookie;
		ex.role = COAPSEC_EXCHANGE_CLIENT;
		ex.family = pkt->family;
		ex.token_len = s->msg.token_len;
		memcpy(ex.token, s->msg.token, s->msg.token_len);
		ex.port = pkt->dport;
		/* Every member may answer a group request: no peer address. */
		if (!pkt->multicast)
			ex.peer = pkt->daddr;
		ex.keep = pkt->multicast ||
			  (ctx->flags & COAPSEC_CONTEXT_F_GROUP);
		ex.ctx_id = ctx->id;
		ex.ctx = ctx;
		if (coapsec_exchange_add(&ex))
			coapsec_count(cn, ctx, COAPSEC_STAT_EVICTIONS);
	}

	if (coapsec_skb_set_payload(skb, pkt, s->out, len)) {
		coapsec_count(cn, ctx, COAPSEC_STAT_ERRORS);
		return NF_DROP;
	}
	coapsec_count(cn, ctx, COAPSEC_STAT_PROTECTED);
	return NF_ACCEPT;
}
