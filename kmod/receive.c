// SPDX-License-Identifier: GPL-2.0
/*
 * Verify (RFC 8613 §8.2, §8.4).  The message is parsed and decrypted
 * where it lies in the skb; only where a rekey's previous context may
 * have to be tried is the ciphertext kept aside first, in this CPU's
 * scratch.  A message refused after its decrypt is wiped before it is
 * dropped.  The unprotected message is rebuilt in place too: only its
 * head is built in scratch and written in front of the payload.  The
 * replay window is checked before the decrypt and committed after the
 * tag verified.  A verified request leaves an entry in the exchange table
 * so that the local response to it gets protected.
 */
#include <linux/netfilter.h>

#include "codec/codec_err.h"
#include "context.h"
#include "crypto_aead.h"
#include "events.h"
#include "exchange.h"
#include "hooks.h"
#include "netns.h"
#include "receive.h"
#include "replay.h"
#include "send.h"
#include "skb.h"
#include "stats.h"

/* A decrypted message that is not delivered leaves no plaintext behind. */
static void coapsec_wipe(struct coapsec_scratch *s)
{
	memzero_explicit(s->rx.req.buf, s->rx.req.len);
}

static bool coapsec_verifies(int action)
{
	return action == COAPSEC_ACTION_VERIFY ||
	       action == COAPSEC_ACTION_REQUIRE;
}

/*
 * Rebuilds the unprotected message in s->msg where it lies: its head is
 * built in scratch and written in front of what stays, which does not
 * move: the header and token in front of the decrypted options, or, where
 * outer Class U options join them, header, token and every option in
 * front of the decrypted payload.
 */
static unsigned int coapsec_deliver(struct sk_buff *skb,
				    struct coapsec_pkt *pkt,
				    struct coapsec_scratch *s,
				    struct coapsec_context *ctx)
{
	struct coapsec_net *cn = pkt->cn;
	const struct coap_msg *m = &s->msg;
	const u8 *msg = coapsec_pkt_msg(skb, pkt);
	unsigned int keep, keep_len;
	int head;

	if (m->num_opts == s->rx.inner_opts) {
		/*
		 * No outer option joined the inner ones: they stay where the
		 * plaintext has them (one encoding per option: as they would
		 * be written again), behind the code byte, which the header
		 * and token replace.
		 */
		head = coap_serialize_header(m, s->out, sizeof(s->out));
		keep = s->rx.req.buf + 1 - msg;
		keep_len = s->rx.req.len - 1;
	} else {
		head = coap_serialize_head(m, s->out, sizeof(s->out));
		keep = m->payload_len ? m->payload - msg :
					s->rx.req.buf + s->rx.req.len - msg;
		keep_len = m->payload_len;
	}
	if (head < 0) {
		coapsec_wipe(s);
		coapsec_count(cn, ctx, COAPSEC_STAT_MALFORMED);
		return NF_DROP;
	}
	if (coapsec_skb_rewrite(skb, pkt, s->out, head, keep, keep_len,
				0, s->in)) {
		coapsec_wipe(s);
		coapsec_count(cn, ctx, COAPSEC_STAT_ERRORS);
		return NF_DROP;
	}
	coapsec_skb_fix_lengths(skb, pkt);
	coapsec_count(cn, ctx, COAPSEC_STAT_VERIFIED);
	return NF_ACCEPT;
}

/*
 * One attempt with @rcp: replay check, decrypt, commit.  The outcome as
 * the counter it goes to: COAPSEC_STAT_VERIFIED, or why not.  A message
 * that the window refuses is still decrypted, so that one under a wrong
 * key counts as the authentication failure it is, not as a replay; it is
 * never delivered.
 */
static enum coapsec_stat coapsec_try(struct coapsec_scratch *s,
				     struct coapsec_recipient *rcp,
				     const struct oscore_binding *request)
{
	struct coapsec_recipient *window = coapsec_recipient_window(rcp);
	struct oscore_rx *rx = &s->rx;
	const struct oscore_ctx *octx;
	bool piv = rx->opt.piv_len;
	bool replay;
	int err;

	replay = piv && coapsec_replay_check(window, rx->seq);
	octx = coapsec_oscore_ctx(&s->octx, rcp->ctx, rcp);
	err = oscore_unprotect_begin(octx, request, rx);
	if (err)
		return COAPSEC_STAT_MALFORMED;
	rx->req.priv = s;
	err = oscore_unprotect_finish(rx, octx->ops->decrypt(&rx->req),
				      &s->msg);
	if (err)
		coapsec_wipe(s);
	if (err == -CODEC_EAUTH)
		return COAPSEC_STAT_AUTH_FAILURES;
	if (err == -ENOMEM || err == -EIO)
		return COAPSEC_STAT_ERRORS;
	if (err)
		return COAPSEC_STAT_MALFORMED;
	if (!replay && piv) {
		err = coapsec_replay_commit(window, rx->seq);
		/* Its key retired since the check, and not made again. */
		if (err == -ESTALE) {
			coapsec_wipe(s);
			return COAPSEC_STAT_NO_CONTEXT;
		}
		replay = err;
	}
	if (replay) {
		coapsec_wipe(s);
		return COAPSEC_STAT_REPLAYS;
	}
	return COAPSEC_STAT_VERIFIED;
}

/* The server entry for a request with @token in @pkt: its key, Observe. */
static void coapsec_server_exchange(struct coapsec_exchange *ex,
				    const struct coapsec_pkt *pkt,
				    const u8 *token, u8 token_len,
				    bool observe)
{
	memset(ex, 0, sizeof(*ex));
	ex->role = COAPSEC_EXCHANGE_SERVER;
	ex->family = pkt->family;
	ex->token_len = token_len;
	memcpy(ex->token, token, token_len);
	ex->port = pkt->sport;
	ex->lport = pkt->dport;
	ex->peer = pkt->saddr;
	if (observe)
		ex->flags |= COAPSEC_EXCHANGE_F_OBSERVE;
}

int coapsec_record_plain_request(const struct coapsec_pkt *pkt,
				 const u8 *token, u8 token_len, bool observe)
{
	struct coapsec_exchange ex;
	int err;

	coapsec_server_exchange(&ex, pkt, token, token_len, observe);
	ex.flags |= COAPSEC_EXCHANGE_F_PLAIN;
	err = coapsec_exchange_add(pkt->cn, &ex);
	if (err > 0)
		coapsec_count(pkt->cn, NULL,
			      COAPSEC_STAT_EVICTIONS);
	/* No table yet (no context ever): nothing to protect either. */
	return err == -EEXIST || err == -ENOSPC ? err : 0;
}

/* A message refused under @rcp: counted, and reported when it says so. */
static void coapsec_report(struct coapsec_net *cn, struct coapsec_recipient *rcp,
			   enum coapsec_stat why)
{
	coapsec_count(cn, rcp->ctx, why);
	if (why == COAPSEC_STAT_REPLAYS)
		coapsec_event_report(rcp, COAPSEC_EVENT_REPLAY);
	else if (why == COAPSEC_STAT_AUTH_FAILURES)
		coapsec_event_report(rcp, COAPSEC_EVENT_AUTH_FAIL);
}

static unsigned int coapsec_receive_request(struct sk_buff *skb,
					    struct coapsec_pkt *pkt,
					    struct coapsec_scratch *s, u8 *msg)
{
	struct coapsec_net *cn = pkt->cn;
	const struct oscore_option *o = &s->rx.opt;
	struct coapsec_recipient *rcp, *first, *last = NULL;
	enum coapsec_stat why = COAPSEC_STAT_NO_CONTEXT;
	struct coapsec_exchange *ex = &s->ex;
	bool saved;
	int err;

	if (!o->has_kid) {
		coapsec_count(cn, NULL, COAPSEC_STAT_MALFORMED);
		return NF_DROP;
	}
	first = __coapsec_context_lookup_kid(cn, o->kid_context,
					     o->has_kid_context ?
					     o->kid_context_len : 0,
					     o->kid, o->kid_len);
	if (!first) {
		coapsec_count(cn, NULL, COAPSEC_STAT_NO_CONTEXT);
		return NF_DROP;
	}
	/* Damaged in transit: nothing is decrypted, nor any number spent. */
	if (!coapsec_skb_csum_ok(skb, pkt)) {
		coapsec_count(cn, first->ctx, COAPSEC_STAT_MALFORMED);
		return NF_DROP;
	}
	/* The decrypt runs in place: keep the ciphertext for a second try. */
	saved = coapsec_recipient_next_dup(first);
	if (saved)
		memcpy(s->in, msg, pkt->len);
	/* The current context first, then the one a rekey replaced. */
	for (rcp = first; rcp; rcp = coapsec_recipient_next_dup(rcp)) {
		struct coapsec_recipient *cur = rcp;

		/* A previous context that came in meanwhile: none kept. */
		if (rcp != first && !saved)
			break;
		/*
		 * Not open yet (skipped: its predecessor still decides), or
		 * taken over meanwhile: then its successor, open by now.
		 * Found open (acquire), its context's flags and answer rules
		 * are the ones set before it opened.
		 */
		if (!smp_load_acquire(&cur->open)) {
			cur = coapsec_recipient_window(rcp);
			/* As above: pairs with coapsec_replay_take(). */
			if (!smp_load_acquire(&cur->open))
				continue;
		}
		if (last)
			memcpy(msg, s->in, pkt->len);
		last = cur;
		/*
		 * A context whose window was lost takes no request, whether it
		 * is tried first or after a rekey replaced it: no Echo here
		 * (the module never speaks CoAP itself), so refuse.
		 */
		if (cur->ctx->flags & COAPSEC_CONTEXT_F_REPLAY_UNKNOWN) {
			why = COAPSEC_STAT_REPLAYS;
			break;
		}
		why = coapsec_try(s, cur, NULL);
		if (why == COAPSEC_STAT_VERIFIED)
			break;
		/*
		 * Only a wrong key sends us on to the previous context: one
		 * that verified the message and says replay has the answer.
		 */
		if (why != COAPSEC_STAT_AUTH_FAILURES)
			break;
	}
	if (!last) {
		coapsec_count(cn, NULL, COAPSEC_STAT_NO_CONTEXT);
		return NF_DROP;
	}
	if (why != COAPSEC_STAT_VERIFIED) {
		coapsec_report(cn, last, why);
		return NF_DROP;
	}
	rcp = last;

	coapsec_server_exchange(ex, pkt, s->msg.token, s->msg.token_len,
				coapsec_registers(&s->msg));
	ex->ctx_id = rcp->ctx->id;
	ex->ctx_gen = rcp->ctx->gen;
	ex->id_since = rcp->ctx->id_since;
	/* Every member answers a group request: none takes its nonce. */
	if (pkt->multicast)
		ex->flags |= COAPSEC_EXCHANGE_F_KEEP;
	/* Its nonce may have been answered under this key already. */
	if (rcp->answer_own_piv)
		ex->flags |= COAPSEC_EXCHANGE_F_OWN_PIV;
	ex->binding = s->rx.binding;
	err = coapsec_exchange_add(pkt->cn, ex);
	if (err < 0) {
		/*
		 * Another context's exchange with this address, port and
		 * token is outstanding: its answer is not ours to take.
		 */
		coapsec_wipe(s);
		coapsec_count(cn, rcp->ctx, COAPSEC_STAT_POLICY_DROPS);
		return NF_DROP;
	}
	if (err > 0)
		coapsec_count(cn, rcp->ctx, COAPSEC_STAT_EVICTIONS);
	return coapsec_deliver(skb, pkt, s, rcp->ctx);
}

static unsigned int coapsec_receive_response(struct sk_buff *skb,
					     struct coapsec_pkt *pkt,
					     struct coapsec_scratch *s,
					     struct coapsec_exchange *ex)
{
	struct coapsec_net *cn = pkt->cn;
	const struct oscore_option *o = &s->rx.opt;
	struct coapsec_recipient *rcp = NULL;
	struct coapsec_answer answer;
	struct coapsec_context *ctx;
	enum coapsec_stat why;

	ctx = coapsec_exchange_context(pkt->cn, ex);
	if (ctx && !o->has_kid && ctx->n_recipients)
		rcp = &ctx->recipients[0];
	else if (ctx && o->has_kid)
		rcp = coapsec_context_find_recipient(ctx, o->kid, o->kid_len);
	if (!rcp) {
		coapsec_count(cn, ctx, COAPSEC_STAT_NO_CONTEXT);
		return NF_DROP;
	}
	if (!coapsec_skb_csum_ok(skb, pkt)) {
		coapsec_count(cn, ctx, COAPSEC_STAT_MALFORMED);
		return NF_DROP;
	}
	why = coapsec_try(s, rcp, &ex->binding);
	if (why != COAPSEC_STAT_VERIFIED) {
		coapsec_report(cn, rcp, why);
		return NF_DROP;
	}
	/*
	 * One response per unicast request, notifications in order while an
	 * observation lasts (coapsec_exchange_answered()): anything else is
	 * a replay.
	 */
	answer.notification = COAP_CODE_CLASS(s->msg.code) == 2 &&
			      coap_has_option(&s->msg, COAP_OPT_OBSERVE);
	answer.has_piv = o->piv_len;
	answer.seq = s->rx.seq;
	answer.extend = coapsec_notification_life(&s->msg);
	if (coapsec_exchange_answered(pkt->cn, ex, &answer)) {
		coapsec_wipe(s);
		coapsec_report(cn, rcp, COAPSEC_STAT_REPLAYS);
		return NF_DROP;
	}
	return coapsec_deliver(skb, pkt, s, ctx);
}

/*
 * Whether a plain answer is a downgrade: one to a protected request, or
 * one from a peer that a protect policy covers with no plain request of
 * this host's waiting for it.  A plain request's entry lives on while
 * notifications come.
 */
static bool coapsec_plain_answer_refused(const struct coapsec_pkt *pkt,
					 const struct coap_msg *m)
{
	struct coapsec_answer answer = {};
	struct coapsec_exchange ex;

	if (coapsec_exchange_find_request(pkt->cn, pkt->family, &pkt->saddr,
					  pkt->sport, pkt->dport, m->token,
					  m->token_len, &ex))
		return coapsec_answer_protected(pkt);
	if (!(ex.flags & COAPSEC_EXCHANGE_F_PLAIN))
		return true;
	answer.notification = COAP_CODE_CLASS(m->code) == 2 &&
			      coap_has_option(m, COAP_OPT_OBSERVE);
	answer.extend = coapsec_notification_life(m);
	coapsec_exchange_answered(pkt->cn, &ex, &answer);
	return false;
}

/* An OSCORE answer: to a request this host protected, or not ours. */
static noinline unsigned int coapsec_receive_answer(struct sk_buff *skb,
						    struct coapsec_pkt *pkt,
						    struct coapsec_scratch *s,
						    bool verify)
{
	const struct coap_msg *m = &s->rx.outer;
	struct coapsec_exchange ex;

	if (coapsec_exchange_find_request(pkt->cn, pkt->family, &pkt->saddr,
					  pkt->sport, pkt->dport, m->token,
					  m->token_len, &ex)) {
		if (!verify)
			return NF_ACCEPT;
		coapsec_count(pkt->cn, NULL,
			      COAPSEC_STAT_NO_CONTEXT);
		return NF_DROP;
	}
	/* The answer to a plain request: the application's to judge. */
	if (ex.flags & COAPSEC_EXCHANGE_F_PLAIN)
		return NF_ACCEPT;
	return coapsec_receive_response(skb, pkt, s, &ex);
}

unsigned int coapsec_receive(struct sk_buff *skb, struct coapsec_pkt *pkt,
			     int action, bool fwd)
{
	struct coapsec_net *cn = pkt->cn;
	struct coapsec_scratch *s = coapsec_scratch();
	bool verify = coapsec_verifies(action);
	const struct coap_msg *m = &s->rx.outer;
	u8 *msg;
	int err;

	/* Decided on the header and token alone, before anything can fail. */
	if (!verify)
		verify = coapsec_bound_answer(skb, pkt);
	/* Parsed once, as the outer message the OSCORE checks read too. */
	msg = coapsec_skb_msg(skb, pkt);
	if (!msg || coap_parse(msg, pkt->len, &s->rx.outer)) {
		if (!verify)
			return NF_ACCEPT;
		coapsec_count(cn, NULL, COAPSEC_STAT_MALFORMED);
		return NF_DROP;
	}

	if (!coap_has_option(m, COAP_OPT_OSCORE)) {
		/* Empty messages are never protected (§4.2). */
		if (m->code == COAP_CODE_EMPTY)
			return NF_ACCEPT;
		if (action == COAPSEC_ACTION_REQUIRE) {
			coapsec_count(cn, NULL, COAPSEC_STAT_POLICY_DROPS);
			return NF_DROP;
		}
		if (COAP_CODE_CLASS(m->code) == 0 &&
		    (action == COAPSEC_ACTION_VERIFY ||
		     (!action && coapsec_request_guarded(pkt))) &&
		    coapsec_record_plain_request(pkt, m->token, m->token_len,
						 coapsec_registers(m))) {
			coapsec_count(cn, NULL, COAPSEC_STAT_POLICY_DROPS);
			return NF_DROP;
		}
		/*
		 * A plain answer to a protected request is a downgrade, and so
		 * is one from a peer that a protect policy covers, once its
		 * request's entry is gone (plain requests to it leave one).
		 */
		if (COAP_CODE_CLASS(m->code) != 0 &&
		    coapsec_plain_answer_refused(pkt, m)) {
			coapsec_count(cn, NULL, COAPSEC_STAT_POLICY_DROPS);
			return NF_DROP;
		}
		return fwd ? coapsec_send(skb, pkt, 0, NULL) : NF_ACCEPT;
	}

	err = oscore_unprotect_outer(&s->rx);
	if (err) {
		if (!verify)
			return NF_ACCEPT;
		coapsec_count(cn, NULL, COAPSEC_STAT_MALFORMED);
		return NF_DROP;
	}
	if (s->rx.is_request)
		return verify ? coapsec_receive_request(skb, pkt, s, msg) :
				NF_ACCEPT;
	return coapsec_receive_answer(skb, pkt, s, verify);
}
