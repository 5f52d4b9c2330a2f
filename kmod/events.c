// SPDX-License-Identifier: GPL-2.0
#include <linux/jiffies.h>
#include <net/genetlink.h>

#include "context.h"
#include "events.h"
#include "netlink.h"
#include "netns.h"

static void coapsec_event_send(struct coapsec_net *cn,
			       const struct coapsec_context *ctx,
			       enum coapsec_event_type type,
			       const struct coapsec_recipient *rcp,
			       u32 count, u64 seq)
{
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;

	if (!coapsec_genl_has_listeners(cn->net))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_ATOMIC);
	if (!msg)
		return;
	hdr = coapsec_genl_put_event(msg);
	if (!hdr)
		goto err;
	nest = nla_nest_start(msg, COAPSEC_A_EVENT);
	if (!nest ||
	    nla_put_u8(msg, COAPSEC_A_EVENT_TYPE, type) ||
	    nla_put_u32(msg, COAPSEC_A_EVENT_CONTEXT_ID, ctx->id) ||
	    nla_put_u64_64bit(msg, COAPSEC_A_EVENT_SEQ, seq,
			      COAPSEC_A_EVENT_PAD) ||
	    (rcp && nla_put(msg, COAPSEC_A_EVENT_KID, rcp->key.kid_len,
			    rcp->key.kid)) ||
	    (count && nla_put_u32(msg, COAPSEC_A_EVENT_COUNT, count)))
		goto err;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	coapsec_genl_multicast(cn->net, msg);
	return;
err:
	nlmsg_free(msg);
}

void coapsec_event_context(struct coapsec_context *ctx,
			   enum coapsec_event_type type)
{
	coapsec_event_send(ctx->cn, ctx, type, NULL, 0,
			   atomic64_read(&ctx->seq));
}

void coapsec_event_checkpoint(struct coapsec_context *ctx, u64 start)
{
	coapsec_event_send(ctx->cn, ctx, COAPSEC_EVENT_SEQ_CHECKPOINT, NULL, 0,
			   start);
}

void coapsec_event_report(struct coapsec_recipient *rcp,
			  enum coapsec_event_type type)
{
	struct coapsec_net *cn = rcp->ctx->cn;
	unsigned long flags;
	u32 count = 0;

	spin_lock_irqsave(&cn->report_lock, flags);
	if (time_after(jiffies, cn->report_window + HZ)) {
		cn->report_window = jiffies;
		cn->report_sent = 0;
	}
	if (cn->report_sent < COAPSEC_REPORTS_PER_SEC) {
		cn->report_sent++;
		count = cn->report_suppressed + 1;
		cn->report_suppressed = 0;
	} else {
		cn->report_suppressed++;
	}
	spin_unlock_irqrestore(&cn->report_lock, flags);
	if (count)
		coapsec_event_send(cn, rcp->ctx, type, rcp, count,
				   atomic64_read(&rcp->ctx->seq));
}
