/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Events on the "events" multicast group: sequence limits, expiry, and
 * rate-limited replay and authentication-failure reports.
 */
#ifndef COAPSEC_EVENTS_H
#define COAPSEC_EVENTS_H

#include <linux/types.h>
#include <uapi/linux/coapsec.h>

struct coapsec_context;
struct coapsec_recipient;

/* Limits and expiry: sent every time (the sender makes them rare). */
void coapsec_event_context(struct coapsec_context *ctx,
			   enum coapsec_event_type type);
/*
 * RFC 8613 B.1.1: a context re-created with these keys must start at
 * @start.  Every seq_checkpoint numbers; any context.
 */
void coapsec_event_checkpoint(struct coapsec_context *ctx, u64 start);
/*
 * Replay or authentication failure on @rcp: at most
 * COAPSEC_REPORTS_PER_SEC per namespace, the rest counted into the next
 * report.  Any context (softirq included).
 */
void coapsec_event_report(struct coapsec_recipient *rcp,
			  enum coapsec_event_type type);

#define COAPSEC_REPORTS_PER_SEC	10

#endif /* COAPSEC_EVENTS_H */
