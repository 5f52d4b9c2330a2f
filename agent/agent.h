/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One agent instance: its configuration, its DTLS endpoints, the
 * contexts it holds, and its role's flow.  Nothing here is global, so a
 * test or a benchmark can run many agents on one event loop.
 */
#ifndef COAPSECD_AGENT_H
#define COAPSECD_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>

#include "agent/coap_endpoint.h"
#include "agent/config.h"
#include "agent/contexts.h"
#include "agent/dtls.h"
#include "agent/keypush.h"
#include "agent/nfqueue.h"
#include "agent/sgroup.h"

struct agent;

struct agent_evsrc {
	struct agent *a;
	int kind;
};

enum { EV_SERVER, EV_UPSTREAM, EV_KERNEL, EV_NFQUEUE, EV_NUM };

struct role_ops {
	const struct coap_route *server_routes;	/* listen side */
	const struct coap_route *upstream_routes; /* requests from upstream */
	const struct coap_ep_hooks *server_hooks;
	const struct coap_ep_hooks *upstream_hooks;
	int (*init)(struct agent *a, char *err, size_t errlen);
	void (*tick)(struct agent *a, uint64_t now);
	/* When tick has something to do next, UINT64_MAX: nothing. */
	uint64_t (*next)(struct agent *a);
	/*
	 * SIGHUP with a configuration that loaded.  0, or -1 with @err set:
	 * the running configuration stays whole and the reload is tried
	 * again later (agent_reload).
	 */
	int (*reload)(struct agent *a, struct agent_config *cfg, char *err,
		      size_t errlen);
	/* The kernel reports @c near its sequence limit. */
	void (*seq_limit)(struct agent *a, struct actx *c);
	/*
	 * @c (no checkpoints) is gone from the kernel, its sequence with
	 * it: its keys must not be used again; fresh ones are to be asked
	 * for.  c->kernel_id is 0 already.
	 */
	void (*keys_lost)(struct agent *a, struct actx *c);
	void (*stats)(struct agent *a, json_t *o);
	void (*fini)(struct agent *a);
};

extern const struct role_ops device_role, gateway_role, server_role;

struct agent {
	struct agent_config cfg;
	const struct role_ops *role;
	void *flow;			/* the role's state */
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	int epfd;
	struct agent_evsrc ev[EV_NUM];
	struct dtls_server *srv;	/* server, gateway */
	struct coap_ep *srv_ep;
	struct dtls_peer *up;		/* gateway, device */
	struct coap_ep *up_ep;
	int up_fd;			/* the one in the epoll set */
	struct keypush *kp;
	/* Signed groups (group_signing): their state, and the NFQUEUE
	 * queue their messages come through (with a kernel). */
	struct sgroups *sg;
	struct sgq *nfq;
	struct ctxset ctxs;
	/* Checkpoints of contexts whose keys outlive the agent (server). */
	struct seqstate *seq;
	uint64_t start_ms, last_tick;
	bool ready;			/* every expected context installed */
	bool ready_waits;		/* ...but a push failed: retrying */
	bool restart_up;		/* the upstream session looks dead */
	bool ctx_dirty;			/* contexts file to rewrite */
	uint64_t ctx_written;
	uint64_t installs;
	/* Pushes the kernel refused, contexts taken over from an earlier
	 * instance, checkpoints that could not be written. */
	uint64_t push_failed, adopted, ckpt_failed;
	/* Ceilings the kernel refused to raise; event overflows resynced;
	 * contexts found gone from the kernel (deleted behind the agent's
	 * back) and installed again. */
	uint64_t ceil_failed, events_lost, ctx_lost;
	uint64_t persist_tried;		/* now_ms() of the last retry_persist */
	uint64_t ckpt_logged;		/* now_ms() of the last such log line */
	bool resync_due;		/* a context found gone: resync() */
	uint64_t resynced;		/* now_ms() of the last resync() */
	/* Server, SQLite, kernel: the flock on DB.kernel-lock (-1: none). */
	int kernel_lock;
	bool started;			/* agent_init succeeded */
	/* Reloads that failed; the next attempt (0: none), its number. */
	uint64_t reload_failed, reload_at;
	unsigned int reload_tries;
};

/*
 * Sets up @a from @cfg (taken over) on the epoll set @epfd.  0, or -1
 * with @err set.
 */
int agent_init(struct agent *a, struct agent_config *cfg, int epfd, char *err,
	       size_t errlen);
/* One epoll event whose data.ptr is an agent_evsrc. */
void agent_event(struct agent_evsrc *src, uint32_t events);
void agent_tick(struct agent *a, uint64_t now);
/*
 * When agent_tick() has something to do next (now_ms() time), UINT64_MAX:
 * nothing until an event.  The event loop sleeps until then.
 */
uint64_t agent_next(struct agent *a);
void agent_fini(struct agent *a);

/*
 * Stores @c as current (kernel, contexts file); the old keys retire.  A
 * push the kernel refuses is logged, counted (push_failed) and retried
 * with a backoff; until it succeeds agent_ready() does not report the
 * contexts installed.  0, or -1 (refused: retrying).
 */
int agent_install(struct agent *a, const struct actx *c);
/* Deletes context @name from the kernel (with the policies using it) and
 * from the agent.  Whether it was there. */
bool agent_remove(struct agent *a, const char *name);
/* Deletes what an earlier instance left in the kernel and this one did
 * not take over (also done by agent_ready()). */
void agent_sweep(struct agent *a);
/*
 * Whether the sequence numbers of @c's keys are known, so that it may be
 * installed: a context without checkpoints (seq_checkpoint 0), no kernel,
 * a checkpoint kept for these keys, or an earlier instance's context to
 * take over.  Else installing @c would start its sender at 0 again.
 * 1 (known), 0, or -1 (the registry cannot tell).
 */
int agent_seq_known(struct agent *a, const struct actx *c);
/* Whether @c's kept checkpoint leaves its keys no number to send with. */
bool agent_seq_spent(struct agent *a, const struct actx *c);
/*
 * SIGHUP: loads the configuration file again and hands it to the role.
 * A role that fails (the registry busy) keeps the running configuration;
 * it is counted (reload_failed), logged ("reload failed: ...") and tried
 * again from agent_tick() with a backoff (1 s doubling to 60 s) until it
 * works or the next SIGHUP.  0 or -1.
 */
int agent_reload(struct agent *a);
/* Rewrites the contexts file, if configured. */
void agent_write_contexts(struct agent *a);
/* Marks the agent ready (logs the time since start once). */
void agent_ready(struct agent *a);
void agent_stats(struct agent *a, json_t *o);
/* coap_ep_hooks.timeout for the upstream: start the session over. */
void agent_upstream_timeout(void *arg, struct dtls_peer *p);
/* Fills @b from the agent's DRBG.  0 or -1. */
int agent_random(struct agent *a, uint8_t *b, size_t n);

#endif /* COAPSECD_AGENT_H */
