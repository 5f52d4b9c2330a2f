// SPDX-License-Identifier: GPL-2.0
/*
 * Protect (RFC 8613 §8.1, §8.3).  The CoAP message is parsed and
 * encrypted where it lies in the skb: only its head (outer header and
 * options, the OSCORE option, the inner code and options) is built in
 * this CPU's scratch and written in front of the payload; the skb grows
 * by the OSCORE overhead.  A request leaves an entry in the exchange
 * table so that its response can be verified.
 */
#include <linux/atomic.h>
#include <linux/netfilter.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <net/dst.h>
#include <net/icmp.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "codec/codec_err.h"
#include "context.h"
#include "crypto_aead.h"
#include "events.h"
#include "exchange.h"
#include "hooks.h"
#include "netns.h"
#include "policy.h"
#include "send.h"
#include "skb.h"
#include "stats.h"

/*
 * A message wants a number at @ctx's seq-persisted @ceiling: refused.
 * Once per ceiling, a checkpoint event says what to persist next, for a
 * key manager that lost the one sent when the number was K before.
 */
static void coapsec_seq_unpersisted(struct coapsec_context *ctx, u64 ceiling)
{
	s64 told = (s64)ceiling;

	if (atomic64_read(&ctx->seq_ceiling_told) != told &&
	    atomic64_xchg(&ctx->seq_ceiling_told, told) != told)
		coapsec_event_checkpoint(ctx,
					 ceiling + 2ULL * ctx->seq_checkpoint);
}

/*
 * The next sequence number into *@seq: -ERANGE at the hard limit, -EAGAIN
 * at the seq-persisted ceiling.  Taken by cmpxchg, never past either, so
 * that each number goes to one message whatever else moves: a ceiling
 * raised meanwhile (read again each try, it only rises) or a swap taking
 * the counter on (coapsec_context_retire_sender() sets it to the limit).
 */
int coapsec_next_seq(struct coapsec_context *ctx, u64 *seq)
{
	u64 ceiling;
	s64 cur;

	/* Its sequence and ceiling as the swap that published it left them. */
	coapsec_context_wait_settled(ctx);
	cur = atomic64_read(&ctx->seq);

	do {
		if ((u64)cur >= ctx->seq_hard || (u64)cur > OSCORE_SEQ_MAX) {
			if (!(atomic_fetch_or(COAPSEC_NOTIFIED_HARD,
					      &ctx->limits_notified) &
			      COAPSEC_NOTIFIED_HARD))
				coapsec_event_context(ctx,
						      COAPSEC_EVENT_SEQ_HARD);
			return -ERANGE;
		}
		ceiling = READ_ONCE(ctx->seq_persisted);
		if ((u64)cur >= ceiling) {
			coapsec_seq_unpersisted(ctx, ceiling);
			return -EAGAIN;
		}
	} while (!atomic64_try_cmpxchg(&ctx->seq, &cur, cur + 1));
	*seq = cur;

	if (*seq >= ctx->seq_soft &&
	    !(atomic_fetch_or(COAPSEC_NOTIFIED_SOFT, &ctx->limits_notified) &
	      COAPSEC_NOTIFIED_SOFT))
		coapsec_event_context(ctx, COAPSEC_EVENT_SEQ_SOFT);
	/*
	 * RFC 8613 B.1.1: where a re-created context must start.  One block
	 * ahead, so that a value persisted while this block is in use still
	 * lies above every number used before the next one is; and at a
	 * start between checkpoints, whose first block no event named.
	 */
	if (ctx->seq_checkpoint &&
	    (!(*seq % ctx->seq_checkpoint) ||
	     *seq == READ_ONCE(ctx->seq_first)))
		coapsec_event_checkpoint(ctx, *seq + 2ULL * ctx->seq_checkpoint);
	return 0;
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
	/*
	 * Reassembled on the way in (ignore_df set, and IPv4's frag_max_size
	 * cleared: coapsec_skb_fwd4_reassembled()), or a socket's or
	 * tunnel's DF to ignore: fragmented on the way out.
	 */
	if (pkt->family == AF_INET ? skb->ignore_df :
				     IP6CB(skb)->frag_max_size)
		return false;
	df = pkt->family == AF_INET6 ||
	     (ip_hdr(skb)->frag_off & htons(IP_DF));
	if (pkt->dir == COAPSEC_DIR_FWD)
		return df;
	return pkt->family == AF_INET && df;
}

bool coapsec_peer_guarded(const struct coapsec_pkt *pkt)
{
	u8 dir = pkt->dir == COAPSEC_DIR_FWD ? COAPSEC_DIR_FWD : COAPSEC_DIR_IN;

	return coapsec_policy_guards(pkt->cn, pkt->family, dir, &pkt->daddr,
				     &pkt->saddr, pkt->sport);
}

bool coapsec_request_guarded(const struct coapsec_pkt *pkt)
{
	u8 dir = pkt->dir == COAPSEC_DIR_FWD ? COAPSEC_DIR_FWD : COAPSEC_DIR_IN;

	return coapsec_policy_guards(pkt->cn, pkt->family, dir, &pkt->saddr,
				     &pkt->daddr, pkt->dport);
}

bool coapsec_answer_protected(const struct coapsec_pkt *pkt)
{
	u8 dir = pkt->dir == COAPSEC_DIR_FWD ? COAPSEC_DIR_FWD : COAPSEC_DIR_OUT;

	return coapsec_policy_protects(pkt->cn, pkt->family, dir, &pkt->daddr,
				       &pkt->saddr, pkt->sport);
}

/*
 * coapsec_bound_answer() for an answer, in a frame of its own: requests
 * do not pay for clearing @ex on the stack.
 */
static noinline bool coapsec_answer_bound(const struct coapsec_pkt *pkt,
					  const struct coapsec_head *head)
{
	struct coapsec_exchange ex;

	if (pkt->dir != COAPSEC_DIR_IN &&
	    (!coapsec_exchange_find(pkt->cn, COAPSEC_EXCHANGE_SERVER,
				    pkt->family, &pkt->daddr, pkt->dport,
				    pkt->sport, head->token, head->token_len,
				    &ex) ||
	     coapsec_peer_guarded(pkt)))
		return true;
	if (pkt->dir == COAPSEC_DIR_OUT)
		return false;
	/* A plain request's answer is the application's, whatever it is. */
	if (!coapsec_exchange_find_request(pkt->cn, pkt->family, &pkt->saddr,
					   pkt->sport, pkt->dport, head->token,
					   head->token_len, &ex))
		return !(ex.flags & COAPSEC_EXCHANGE_F_PLAIN);
	return coapsec_answer_protected(pkt);
}

/* coapsec_answer_bound() for an answer parsed into @m. */
static bool coapsec_msg_bound(const struct coapsec_pkt *pkt,
			      const struct coap_msg *m)
{
	struct coapsec_head head;

	BUILD_BUG_ON(sizeof(head.token) != sizeof(m->token));
	head.code = m->code;
	head.token_len = m->token_len;
	memcpy(head.token, m->token, sizeof(head.token));
	return coapsec_answer_bound(pkt, &head);
}

bool coapsec_bound_answer(const struct sk_buff *skb,
			  const struct coapsec_pkt *pkt)
{
	struct coapsec_head head;

	if (coapsec_pkt_head(skb, pkt, &head) || !COAP_CODE_CLASS(head.code))
		return false;
	return coapsec_answer_bound(pkt, &head);
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

/* The counter for a message that the codec or the encryption refused. */
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

/* Whether a response is an Observe notification (RFC 7641 §4.2). */
static bool coapsec_is_notification(const struct coap_msg *m)
{
	return COAP_CODE_CLASS(m->code) == 2 &&
	       coap_has_option(m, COAP_OPT_OBSERVE);
}

/*
 * The context being published under @id where it continues the sender of
 * generation @gen: a swap publishes it and settles its sequence, taking
 * the replaced context's over (that one sends nothing more), in one step
 * with interrupts off; settled, it sends from then on although the ID
 * points at it only later.
 */
static struct coapsec_context *coapsec_publishing_sender(struct coapsec_net *cn,
							 u32 id, u64 gen)
{
	struct coapsec_context *pub = rcu_dereference(cn->publishing);

	/* Settled (acquire): its sequence and line of senders are set. */
	if (pub && pub->id == id && !smp_load_acquire(&pub->settling) &&
	    coapsec_context_sends_for(pub, gen))
		return pub;
	/* Pairs with coapsec_context_published(): cleared, the ID is set. */
	smp_rmb();
	return NULL;
}

/*
 * The context that continues @ctx's sender since a swap took its sequence
 * over (being published, or already under the ID), or NULL.
 */
static struct coapsec_context *coapsec_sender_successor(struct coapsec_net *cn,
							struct coapsec_context *ctx)
{
	struct coapsec_context *cur;

	/*
	 * Found retired: the swap that retired it published its successor
	 * first (the xchg in coapsec_context_retire_sender() orders them).
	 */
	smp_rmb();
	cur = rcu_dereference(cn->publishing);
	if (cur)
		coapsec_context_wait_settled(cur);
	cur = coapsec_publishing_sender(cn, ctx->id, ctx->gen) ?:
	      coapsec_context_lookup(cn, ctx->id);
	return cur && cur != ctx && coapsec_context_sends_for(cur, ctx->gen) ?
	       cur : NULL;
}

/*
 * The context an answer goes out under: the one its request was verified
 * with, unless a swap that kept its sender key replaced it (it protects
 * nothing more; the successor continues its sequence).  Then the newest
 * context of its ID whose line of senders reaches back to it: the one
 * being published, else the one the ID points at.  That one also answers
 * what a context two or more swaps back verified, released by now: the
 * sender key is the same.
 */
static struct coapsec_context *
coapsec_answer_context(struct coapsec_net *cn, const struct coapsec_exchange *ex)
{
	struct coapsec_context *ctx, *cur;

	cur = coapsec_publishing_sender(cn, ex->ctx_id, ex->ctx_gen);
	if (cur)
		return cur;
	ctx = coapsec_exchange_context(cn, ex);
	if (ctx && READ_ONCE(ctx->state) == COAPSEC_CONTEXT_STATE_CURRENT)
		return ctx;
	cur = coapsec_context_lookup(cn, ex->ctx_id);
	if (cur && coapsec_context_sends_for(cur, ex->ctx_gen))
		return cur;
	return ctx;
}

/* A request's exchange, filled while @m still points into the skb. */
static void coapsec_request_exchange(struct coapsec_exchange *ex,
				     const struct coapsec_pkt *pkt,
				     const struct coap_msg *m,
				     struct coapsec_context *ctx,
				     const struct oscore_binding *binding)
{
	memset(ex, 0, sizeof(*ex));
	ex->binding = *binding;
	ex->role = COAPSEC_EXCHANGE_CLIENT;
	ex->family = pkt->family;
	ex->token_len = m->token_len;
	memcpy(ex->token, m->token, m->token_len);
	ex->port = pkt->dport;
	ex->lport = pkt->sport;
	/* Every member may answer a group request: no peer address. */
	if (!pkt->multicast)
		ex->peer = pkt->daddr;
	if (pkt->multicast || (ctx->flags & COAPSEC_CONTEXT_F_GROUP))
		ex->flags |= COAPSEC_EXCHANGE_F_KEEP;
	if (coapsec_registers(m))
		ex->flags |= COAPSEC_EXCHANGE_F_OBSERVE;
	ex->ctx_id = ctx->id;
	ex->ctx_gen = ctx->gen;
}

unsigned int coapsec_send_plain_request(const struct coapsec_pkt *pkt,
					const u8 *token, u8 token_len)
{
	struct coapsec_exchange ex;
	int err;

	/* Group members answer from addresses no group policy names. */
	if (!pkt->multicast &&
	    !coapsec_policy_protects(pkt->cn, pkt->family, pkt->dir,
				     &pkt->saddr, &pkt->daddr, pkt->dport))
		return NF_ACCEPT;
	memset(&ex, 0, sizeof(ex));
	ex.role = COAPSEC_EXCHANGE_CLIENT;
	ex.family = pkt->family;
	ex.token_len = token_len;
	memcpy(ex.token, token, token_len);
	ex.port = pkt->dport;
	ex.lport = pkt->sport;
	if (!pkt->multicast)
		ex.peer = pkt->daddr;
	/* Its options are not read: any answer to it may notify. */
	ex.flags = COAPSEC_EXCHANGE_F_PLAIN | COAPSEC_EXCHANGE_F_OBSERVE;
	err = coapsec_exchange_add(pkt->cn, &ex);
	if (err > 0)
		coapsec_count(pkt->cn, NULL,
			      COAPSEC_STAT_EVICTIONS);
	if (err == -EEXIST || err == -ENOSPC) {
		coapsec_count(pkt->cn, NULL,
			      COAPSEC_STAT_POLICY_DROPS);
		return NF_DROP;
	}
	return NF_ACCEPT;
}

/*
 * The sequence number *@ctxp's message takes: OSCORE_SEQ_NONE where it
 * reuses its request's nonce (@reuse_nonce: coapsec_exchange_answer()
 * granted it).  Where a swap took the sequence over, *@ctxp becomes the
 * successor that sends.  -ERANGE past the hard limit, -EAGAIN at the
 * seq-persisted ceiling, each counted: the message is dropped, never sent
 * in clear.
 */
static int coapsec_send_seq(struct coapsec_net *cn,
			    struct coapsec_context **ctxp, bool reuse_nonce,
			    u64 *seq)
{
	struct coapsec_context *ctx = *ctxp, *next;
	int err;

	*seq = OSCORE_SEQ_NONE;
	/* Group answers always carry their own: every member answers. */
	if (reuse_nonce && !(ctx->flags & COAPSEC_CONTEXT_F_GROUP))
		return 0;
	err = coapsec_next_seq(ctx, seq);
	/*
	 * A swap took the sequence over after @ctx was chosen: its successor
	 * sends (each one newer; none: dropped).
	 */
	while (err == -ERANGE && (next = coapsec_sender_successor(cn, ctx))) {
		*ctxp = ctx = next;
		err = coapsec_next_seq(ctx, seq);
	}
	if (err) {
		*seq = OSCORE_SEQ_NONE;
		coapsec_count(cn, ctx, err == -EAGAIN ?
				       COAPSEC_STAT_SEQ_UNPERSISTED :
				       COAPSEC_STAT_SEQ_EXHAUSTED);
	}
	return err;
}

/*
 * Protects s->msg under @ctx where it lies in @skb: the protected head
 * (outer header and options, code, inner options) is built in scratch
 * and written in front of the payload, which does not move, and the
 * plaintext is encrypted in place.  @request: the binding of the request
 * an answer goes to; NULL for a request, which records its exchange once
 * it is protected.
 */
static unsigned int coapsec_protect(struct sk_buff *skb,
				    struct coapsec_pkt *pkt,
				    struct coapsec_scratch *s,
				    struct coapsec_context *ctx,
				    const struct oscore_binding *request,
				    bool reuse_nonce, bool bound)
{
	struct coapsec_net *cn = pkt->cn;
	const struct coap_msg *m = &s->msg;
	unsigned int tag = ctx->alg->tag_len, keep;
	const struct oscore_ctx *octx;
	struct coapsec_exchange *ex = &s->ex;
	/* Written by oscore_protect_head() for a request, read for one only. */
	struct oscore_binding binding __uninitialized;
	int head, len, err;
	u64 seq;

	if (coapsec_send_seq(cn, &ctx, reuse_nonce, &seq))
		return NF_DROP;

	octx = coapsec_oscore_ctx(&s->octx, ctx, NULL);
	s->req.priv = s;
	head = oscore_protect_head(octx, m, seq, request, s->out,
				   sizeof(s->out), &s->req, &binding,
				   &s->layout);
	if (head == -CODEC_EPROTECTED && !bound) {
		/*
		 * The application speaks OSCORE itself: leave it alone, and
		 * its answer too (a plain entry: not this host's to verify).
		 */
		return request ? NF_ACCEPT :
				 coapsec_send_plain_request(pkt, m->token,
							    m->token_len);
	}
	if (head < 0) {
		coapsec_count(cn, ctx, coapsec_protect_failure(head));
		return NF_DROP;
	}
	len = head + m->payload_len + tag;
	if (coapsec_too_big(skb, pkt, len)) {
		coapsec_count(cn, ctx, COAPSEC_STAT_TOO_BIG);
		return coapsec_refuse_too_big(skb, pkt, len - pkt->len);
	}

	if (!request)
		coapsec_request_exchange(ex, pkt, m, ctx, &binding);
	keep = m->payload_len ? m->payload - coapsec_pkt_msg(skb, pkt) :
				pkt->len;
	if (coapsec_skb_rewrite(skb, pkt, s->out, head, keep, m->payload_len,
				tag, s->in)) {
		coapsec_count(cn, ctx, COAPSEC_STAT_ERRORS);
		return NF_DROP;
	}
	/* The plaintext is in the skb now: encrypted, or dropped with it. */
	s->req.buf = coapsec_pkt_msg(skb, pkt) + s->layout.start;
	err = octx->ops->encrypt(&s->req);
	if (err) {
		coapsec_count(cn, ctx, coapsec_protect_failure(err));
		return NF_DROP;
	}
	coapsec_skb_fix_lengths(skb, pkt);
	if (!request && coapsec_exchange_add(pkt->cn, ex) > 0)
		coapsec_count(cn, ctx, COAPSEC_STAT_EVICTIONS);
	coapsec_count(cn, ctx, COAPSEC_STAT_PROTECTED);
	return NF_ACCEPT;
}

/* A request takes the next sequence number of the policy's context. */
static unsigned int coapsec_send_request(struct sk_buff *skb,
					 struct coapsec_pkt *pkt,
					 struct coapsec_scratch *s,
					 bool protect, bool bound,
					 struct coapsec_context *ctx)
{
	if (!protect)
		return coapsec_send_plain_request(pkt, s->msg.token,
						  s->msg.token_len);
	if (!ctx) {
		coapsec_count(pkt->cn, NULL,
			      COAPSEC_STAT_NO_CONTEXT);
		return NF_DROP;
	}
	/*
	 * A swap took its sequence over since the policy found it: the
	 * successor sends, being published or already under the ID.
	 */
	if (unlikely(atomic64_read(&ctx->seq) >= ctx->seq_hard))
		ctx = coapsec_sender_successor(pkt->cn, ctx) ?: ctx;
	return coapsec_protect(skb, pkt, s, ctx, NULL, false, bound);
}

/*
 * An answer to a request this host verified goes out under that
 * request's context; it may take the request's nonce only if
 * coapsec_exchange_answer() grants it (the first answer, no notification,
 * pairwise), else it carries its own Partial IV.  @ctx is the policy's,
 * counted against only when the answer has no exchange.
 */
static unsigned int coapsec_send_answer(struct sk_buff *skb,
					struct coapsec_pkt *pkt,
					struct coapsec_scratch *s,
					bool protect, bool bound,
					struct coapsec_context *ctx)
{
	struct coapsec_net *cn = pkt->cn;
	bool notification = coapsec_is_notification(&s->msg);
	bool reuse_nonce = false;
	struct coapsec_exchange ex;

	if (coapsec_exchange_answer(pkt->cn, pkt->family, &pkt->daddr,
				    pkt->dport, pkt->sport, s->msg.token,
				    s->msg.token_len, notification,
				    coapsec_notification_life(&s->msg),
				    &ex, &reuse_nonce)) {
		if (!protect && !bound)
			return NF_ACCEPT;
		coapsec_count(cn, ctx, COAPSEC_STAT_NO_CONTEXT);
		return NF_DROP;
	}
	/*
	 * The answer to a plain request that a verify policy let in;
	 * a notification is one only if that request registered.
	 */
	if (ex.flags & COAPSEC_EXCHANGE_F_PLAIN) {
		if (!notification || (ex.flags & COAPSEC_EXCHANGE_F_OBSERVE))
			return NF_ACCEPT;
		coapsec_count(cn, NULL, COAPSEC_STAT_NO_CONTEXT);
		return NF_DROP;
	}
	ctx = coapsec_answer_context(pkt->cn, &ex);
	if (!ctx) {
		coapsec_exchange_forget(pkt->cn, &ex);
		coapsec_count(cn, NULL, COAPSEC_STAT_NO_CONTEXT);
		return NF_DROP;
	}
	return coapsec_protect(skb, pkt, s, ctx, &ex.binding, reuse_nonce,
			       bound);
}

/*
 * Protects @skb's message: a request under the policy's context, an
 * answer under its request's.  Only coapsec_send_seq() chooses between a
 * new sequence number and the request's nonce: one nonce, one message.
 */
unsigned int coapsec_send(struct sk_buff *skb, struct coapsec_pkt *pkt,
			  int action, struct coapsec_context *ctx)
{
	struct coapsec_net *cn = pkt->cn;
	struct coapsec_scratch *s = coapsec_scratch();
	bool protect = action == COAPSEC_ACTION_PROTECT;
	bool bound;
	u8 *msg;

	msg = coapsec_skb_msg(skb, pkt);
	if (!msg || coap_parse(msg, pkt->len, &s->msg)) {
		/* Decided on the header and token alone, as they lie. */
		if (!protect && !coapsec_bound_answer(skb, pkt))
			return NF_ACCEPT;
		coapsec_count(cn, ctx, COAPSEC_STAT_MALFORMED);
		return NF_DROP;
	}
	/* Empty messages (ACK, RST, ping) are never protected (§4.2). */
	if (s->msg.code == COAP_CODE_EMPTY)
		return NF_ACCEPT;
	/*
	 * As coapsec_bound_answer() decides on the skb's header and token,
	 * which the parse read: no request is bound, an answer by its
	 * exchange.  Decided before anything else can fail.
	 */
	bound = COAP_CODE_CLASS(s->msg.code) && coapsec_msg_bound(pkt, &s->msg);
	/* Forwarded and damaged in transit: not made whole by protecting. */
	if (!coapsec_skb_csum_ok(skb, pkt)) {
		if (!protect && !bound)
			return NF_ACCEPT;
		coapsec_count(cn, ctx, COAPSEC_STAT_MALFORMED);
		return NF_DROP;
	}

	if (COAP_CODE_CLASS(s->msg.code) == 0)
		return coapsec_send_request(skb, pkt, s, protect, bound, ctx);
	return coapsec_send_answer(skb, pkt, s, protect, bound, ctx);
}
