/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pushes the agent's contexts into the kernel through libcoapsec: a new
 * context with CONTEXT_NEW, a rekeyed one with CONTEXT_SWAP (the kernel
 * keeps the previous keys verifying for the grace period, so nothing in
 * flight is lost), and listens for the kernel's events (sequence soft
 * limit: the agent asks for a rekey; sequence checkpoints: the agent
 * persists them).
 *
 * Everything it installs carries an owner tag (context.owner,
 * policy.owner): "coapsecd:ROLE:ID/NAME", NAME the agent's name for the
 * object ("pairwise:dev-1", "group:lights", "policy:0").  At open it
 * lists what an earlier instance of the same agent left in the kernel
 * (a stop, a kill -9, a crash): a context is adopted (swapped in place,
 * so its sequence number carries on) when the new instance installs one
 * of the same name; an identical policy is kept, one with the same
 * selectors and priority in another form or under another tag is set in
 * place; whatever is left when the agent has its contexts is deleted
 * (keypush_sweep), but for policies held because one that matches the
 * same messages could not go in.  Objects of other owners are never
 * touched.
 */
#ifndef COAPSECD_KEYPUSH_H
#define COAPSECD_KEYPUSH_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/contexts.h"

struct keypush;

/*
 * Opens the kernel family and lists what @owner ("coapsecd:ROLE:ID")
 * left there.  NULL with @err set when the kernel family is not there.
 */
struct keypush *keypush_open(const char *owner, uint16_t queue_num,
			     char *err, size_t errlen);
/*
 * Closes.  @stopping (a clean stop of a started agent): first sets this
 * owner's protect policies left in the kernel to queue to @queue_num
 * (keypush_open()) in place and deletes its contexts, keeping every
 * policy, so that plain CoAP neither gets in nor goes out while no agent
 * runs.  Otherwise (a start that failed) deletes nothing.
 */
void keypush_close(struct keypush *kp, bool stopping);
/* Whether an earlier instance left a context of @c's name to adopt. */
bool keypush_holds(struct keypush *kp, const struct actx *c);

/*
 * Installs or swaps @c (by c->kernel_id; a context an earlier instance
 * left under c's name is swapped); sets c->kernel_id and
 * c->adopted_seq (the adopted context's sequence number, 0: new).
 * 0 or -errno.  -EAGAIN: the kernel's copy is gone (deleted behind the
 * agent's back, or a leftover that could not be taken over and was
 * deleted, the leftover policies protecting with it turned to queue
 * first): nothing was made; c->kernel_id is 0 and c->info.seq_start is
 * at least where the old copy stopped (when the kernel said).  The
 * caller makes it again above its checkpoint, never at the old start;
 * keys without one rely on the kernel's memory of retired key material
 * (kmod/retired.c) for their sequence and windows.
 */
int keypush_install(struct keypush *kp, struct actx *c, unsigned int grace_s);
/*
 * Deletes @c's kernel copy and clears c->kernel_id.  One the kernel
 * refuses (other than "not there") stays known and is deleted again at
 * keypush_retry(): 0 or -errno, logged.
 */
int keypush_delete(struct keypush *kp, struct actx *c);

/*
 * Installs @p, policies[@index], protecting with context @context_id (or
 * 0), or keeps the identical one an earlier instance left, or sets one
 * it left for the same messages in place.  Refused: what an earlier
 * instance left as protect or queue that overlaps @p (some message
 * matches both) stays, as queue, until no refused policy overlaps it.
 */
int keypush_policy(struct keypush *kp, struct cfg_policy *p, size_t index,
		   uint32_t context_id);
/*
 * Replaces @p's kernel copy (p->kernel_id) in place by what @p asks now,
 * protecting with @context_id (or 0): one step, its place in the match
 * order kept (COAPSEC_CMD_POLICY_SET).  0 or -errno (logged); -ENOENT:
 * the copy is gone, or its ID holds another owner's policy now (never
 * replaced).
 */
int keypush_policy_set(struct keypush *kp, const struct cfg_policy *p,
		       size_t index, uint32_t context_id);
/*
 * Adds what @p asks now (protecting with @context_id, or 0) as a new
 * kernel policy beside @p's kernel copy, for when the kernel refuses to
 * replace it in place; the old copy goes at the next keypush_order(),
 * which the caller runs, once those listed after the new one are after
 * it.  p->kernel_id is the new one's.  0 or -errno (logged): the old
 * copy stays.
 */
int keypush_policy_beside(struct keypush *kp, struct cfg_policy *p,
			  size_t index, uint32_t context_id);
/*
 * Deletes the kernel copy of @p, policies[@index] (p->kernel_id,
 * cleared), as keypush_delete(); an ID that no longer carries the
 * policy's owner tag is left alone.
 */
int keypush_policy_delete(struct keypush *kp, struct cfg_policy *p,
			  size_t index);
/*
 * Puts @pols (n of them, the configuration's) back in its order where
 * the kernel matches them out of it: of two policies of one priority
 * that some message matches both, the one listed first must match first
 * (the kernel puts a new one after those of its priority already in, so
 * one added back at a resync, or an earlier instance's taken over in
 * place, may sit before one listed before it).  One out of order goes to
 * the end of its priority, a copy added before the old one goes, but
 * one that keeps plain messages out never passes there another owner's
 * policy that lets some of them through (it stays first: fail closed;
 * logged once).  Then each old copy keypush_policy_beside() kept goes
 * where what it matches meets its copy next, else takes the copy's
 * action and context in place (the copy goes), else stays in its place
 * until the next call.  0, or -1 when one stays out of order (logged;
 * the next resync tries again).
 */
int keypush_order(struct keypush *kp, struct cfg_policy *pols, size_t n);
/* Whether a configured policy got a kernel copy since keypush_order(). */
bool keypush_order_due(const struct keypush *kp);
/*
 * Deletes again what the kernel refused to delete, at @now (now_ms())
 * or later: after a try that leaves some, not before 1 s, doubling up to
 * 30 s while they stay (resync() may come every second, and each
 * refusal is logged).  How many remain; 0 when too soon to try.
 */
size_t keypush_retry(struct keypush *kp, uint64_t now);
/* How many refused deletes wait for keypush_retry(). */
size_t keypush_stale(const struct keypush *kp);

/* Deletes what an earlier instance left and this one did not adopt. */
void keypush_sweep(struct keypush *kp);
/*
 * Deletes at once the leftover policies that let plain messages through
 * (bypass, verify) and that no configured policy adopted: one could sit
 * before a protect policy of the same priority that went in after it,
 * and send what both match in clear until keypush_sweep(), which waits
 * for the agent's contexts (a device's, for its gateway).
 */
void keypush_sweep_open(struct keypush *kp);
/* Contexts and policies still waiting to be adopted or swept. */
size_t keypush_leftovers(const struct keypush *kp);

/* The events socket, for the event loop; -1 when not subscribed. */
int keypush_event_fd(const struct keypush *kp);

struct keypush_event_ops {
	/* A context near (or at) its sequence limit. */
	void (*seq_limit)(void *arg, uint32_t id);
	/* A re-created context must start at @seq or above (RFC 8613 B.1.1). */
	void (*checkpoint)(void *arg, uint32_t id, uint64_t seq);
	/* Events were lost (ENOBUFS): what they would have said is unknown. */
	void (*lost)(void *arg);
};

/* The kernel's coapsec instance ID (new at every module load). */
uint64_t keypush_instance_id(const struct keypush *kp);
/*
 * Raises @c's sequence ceiling (SEQ_PERSISTED) to @ceiling, a value
 * already kept durably.  0 or -errno (logged).
 */
int keypush_set_ceiling(struct keypush *kp, const struct actx *c,
			uint64_t ceiling);
/* How far the context an earlier instance left under @c's name may have
 * gone (its ceiling, else its sequence number); 0: none. */
uint64_t keypush_leftover_reach(struct keypush *kp, const struct actx *c);
/*
 * Whether @c's kernel copy is there: its ID holds a context with @c's
 * owner tag.  1, 0 (gone), or -errno (cannot tell).
 */
int keypush_present(struct keypush *kp, const struct actx *c);
/* The same for policies[@index] of the configuration, @p. */
int keypush_policy_present(struct keypush *kp, const struct cfg_policy *p,
			   size_t index);
/* @c's sender sequence number and ceiling (UINT64_MAX: none).  0 or -errno. */
int keypush_seq(struct keypush *kp, const struct actx *c, uint64_t *seq,
		uint64_t *ceiling);

/* Reads pending events. */
void keypush_events(struct keypush *kp, const struct keypush_event_ops *ops,
		    void *arg);

#endif /* COAPSECD_KEYPUSH_H */
