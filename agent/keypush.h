/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pushes the agent's contexts into the kernel through libcoapsec: a new
 * context with CONTEXT_NEW, a rekeyed one with CONTEXT_SWAP (the kernel
 * keeps the previous keys verifying for the grace period, so nothing in
 * flight is lost), and listens for the kernel's events (sequence soft
 * limit: the agent asks for a rekey).
 */
#ifndef COAPSECD_KEYPUSH_H
#define COAPSECD_KEYPUSH_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/contexts.h"

struct keypush;

/* NULL with @err set when the kernel family is not there. */
struct keypush *keypush_open(char *err, size_t errlen);
void keypush_close(struct keypush *kp);

/* Installs or swaps @c (by c->kernel_id); sets c->kernel_id.  0 or -errno. */
int keypush_install(struct keypush *kp, struct actx *c, unsigned int grace_s);
int keypush_delete(struct keypush *kp, struct actx *c);

/* Installs @p (protecting with kernel context @context_id, or 0). */
int keypush_policy(struct keypush *kp, struct cfg_policy *p,
		   uint32_t context_id);
void keypush_policy_delete(struct keypush *kp, struct cfg_policy *p);

/* The events socket, for the event loop; -1 when not subscribed. */
int keypush_event_fd(const struct keypush *kp);
/* Reads pending events: @soft(arg, context_id) for each soft limit. */
void keypush_events(struct keypush *kp, void (*soft)(void *arg, uint32_t id),
		    void *arg);

#endif /* COAPSECD_KEYPUSH_H */
