// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <unistd.h>

#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>

#include "agent/agent.h"
#include "agent/log.h"

static void queue_waiting(struct agent *a);
static void queue_one(struct agent *a, size_t i);

static int watch(struct agent *a, int kind, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &a->ev[kind] };

	a->ev[kind].a = a;
	a->ev[kind].kind = kind;
	return epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev);
}

int agent_random(struct agent *a, uint8_t *b, size_t n)
{
	return mbedtls_ctr_drbg_random(&a->drbg, b, n) ? -1 : 0;
}

/*
 * "coapsecd:ROLE:ID", the owner tag of what this agent puts into the
 * kernel; an ID a tag cannot hold (spaces, UTF-8, long) by a digest.
 */
static void owner_tag(const struct agent_config *cfg, char *out, size_t len)
{
	const char *id = cfg->id;
	bool plain = strlen(id) <= 64;
	uint8_t h[32];
	char hex[17];

	for (const char *s = id; plain && *s; s++)
		plain = *s > 0x20 && *s < 0x7f && *s != '/';
	if (plain) {
		snprintf(out, len, "coapsecd:%s:%s", role_name(cfg->role), id);
		return;
	}
	mbedtls_sha256_ret((const uint8_t *)id, strlen(id), h, 0);
	hex_encode(h, 8, hex);
	snprintf(out, len, "coapsecd:%s:#%s", role_name(cfg->role), hex);
}

/*
 * The server keeps its checkpoints in its registry (flow_server.c opens
 * them with it).  Not with a PostgreSQL registry: every server instance
 * sharing it restores every member's pairwise keys into its own kernel,
 * so two kernels would send under one key, and no checkpoint keeps two
 * senders' sequence numbers apart.
 */
/*
 * DB.kernel-lock, named from the file's real path: another spelling of
 * it (a symbolic link, "..") is the same lock.
 */
static void kernel_lock_path(const char *db, char *out, size_t len)
{
	char dir[PATH_MAX], *real = realpath(db, NULL);
	const char *base = strrchr(db, '/');

	if (real) {
		snprintf(out, len, "%s.kernel-lock", real);
		free(real);
		return;
	}
	/* Not made yet: its folder's real path, and its name. */
	snprintf(dir, sizeof(dir), "%.*s", base ? (int)(base - db) : 1,
		 base ? db : ".");
	real = realpath(dir[0] ? dir : "/", NULL);
	if (snprintf(out, len, "%s/%s.kernel-lock", real ? real : dir,
		     base ? base + 1 : db) >= (int)len)
		snprintf(out, len, "%s.kernel-lock", db);
	free(real);
}

static int check_kernel_registry(struct agent *a, char *err, size_t errlen)
{
	char lock[PATH_MAX + 32];

	if (a->cfg.role != ROLE_SERVER)
		return 0;
	/*
	 * An SQLite registry may be shared by server processes on one
	 * host, but only one of them may push its keys into a kernel: a
	 * lock beside the file, held while it runs, says which.
	 */
	if (a->cfg.registry == REG_SQLITE) {
		kernel_lock_path(a->cfg.db, lock, sizeof(lock));
		a->kernel_lock = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (a->kernel_lock < 0) {
			snprintf(err, errlen, "%s: cannot open %s: %s",
				 a->cfg.path, lock, strerror(errno));
			return -1;
		}
		if (!flock(a->kernel_lock, LOCK_EX | LOCK_NB))
			return 0;
		snprintf(err, errlen,
			 "%s: kernel: another coapsecd server with \"kernel\": true uses the registry %s (%s is locked): the two would push the same pairwise keys into two kernels, and their nonces would collide",
			 a->cfg.path, a->cfg.db, lock);
		return -1;
	}
	if (a->cfg.registry != REG_POSTGRESQL)
		return 0;
	snprintf(err, errlen,
		 "%s: kernel: expected false with a PostgreSQL registry (every server instance sharing it would push the same pairwise keys into its own kernel, and their sequence numbers, so their nonces, would collide)",
		 a->cfg.path);
	return -1;
}

int agent_init(struct agent *a, struct agent_config *cfg, int epfd, char *err,
	       size_t errlen)
{
	static const char pers[] = "coapsecd";

	memset(a, 0, sizeof(*a));
	a->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	a->epfd = epfd;
	a->kernel_lock = -1;
	a->start_ms = now_ms();
	a->role = a->cfg.role == ROLE_SERVER ? &server_role :
		  a->cfg.role == ROLE_GATEWAY ? &gateway_role : &device_role;
	mbedtls_entropy_init(&a->entropy);
	mbedtls_ctr_drbg_init(&a->drbg);
	if (mbedtls_ctr_drbg_seed(&a->drbg, mbedtls_entropy_func, &a->entropy,
				  (const uint8_t *)pers, sizeof(pers) - 1)) {
		snprintf(err, errlen, "random: cannot seed the DRBG");
		return -1;
	}
	if (a->cfg.kernel) {
		char owner[COAPSEC_MAX_OWNER_LEN + 1];

		if (check_kernel_registry(a, err, errlen))
			return -1;
		owner_tag(&a->cfg, owner, sizeof(owner));
		a->kp = keypush_open(owner, a->cfg.queue_num, err, errlen);
		if (!a->kp)
			return -1;
		if (keypush_event_fd(a->kp) >= 0 &&
		    watch(a, EV_KERNEL, keypush_event_fd(a->kp))) {
			snprintf(err, errlen, "epoll_ctl: kernel events: %s",
				 strerror(errno));
			return -1;
		}
	}
	if (a->cfg.signing) {
		a->sg = sgroups_open(a->cfg.sign_key_file,
				     a->cfg.sign_state_file, a->cfg.id,
				     a->cfg.sign_window, a->cfg.grace_s, err,
				     errlen);
		if (!a->sg)
			return -1;
	}
	if (a->cfg.signing && a->kp) {
		/* Served before its queue policies go in. */
		a->nfq = sgq_open(a, a->cfg.queue_num, err, errlen);
		if (!a->nfq)
			return -1;
		if (watch(a, EV_NFQUEUE, sgq_fd(a->nfq))) {
			snprintf(err, errlen, "epoll_ctl: nfqueue: %s",
				 strerror(errno));
			return -1;
		}
	}
	if (a->cfg.kernel) {
		/*
		 * In the configuration's order, one pass: the kernel puts a
		 * policy after those of its priority already in, so a protect
		 * policy listed before a bypass of the same priority must go
		 * in first, as queue until its context is in.
		 */
		for (size_t i = 0; i < a->cfg.n_policies; i++) {
			if (a->cfg.policies[i].context[0]) {
				queue_one(a, i);
				continue;
			}
			if (keypush_policy(a->kp, &a->cfg.policies[i], i, 0)) {
				snprintf(err, errlen, "kernel: policies[%zu] refused", i);
				return -1;
			}
		}
		keypush_sweep_open(a->kp);
		/* Leftovers taken over in place keep their old places. */
		keypush_order(a->kp, a->cfg.policies, a->cfg.n_policies);
	}
	if (a->cfg.has_listen) {
		a->srv_ep = coap_ep_new(a->role->server_routes,
					a->role->server_hooks, a);
		a->srv = dtls_server_new(&a->cfg.listen, a->cfg.max_peers,
					 a->cfg.handshake_timeout_ms,
					 a->cfg.idle_timeout_s, &a->drbg,
					 &coap_ep_dtls_ops, a->srv_ep, err, errlen);
		if (!a->srv)
			return -1;
		if (watch(a, EV_SERVER, dtls_server_fd(a->srv))) {
			snprintf(err, errlen, "epoll_ctl: %s: %s",
				 a->cfg.listen.text, strerror(errno));
			return -1;
		}
		log_info("listening on %s (coaps, DTLS-PSK)", a->cfg.listen.text);
	}
	/* The role's state first: the upstream session may come up at once. */
	if (a->role->init(a, err, errlen))
		return -1;
	if (a->cfg.has_upstream) {
		a->up_ep = coap_ep_new(a->role->upstream_routes,
				       a->role->upstream_hooks, a);
		a->up = dtls_client_new(&a->cfg.upstream, &a->cfg.upstream_cred,
					a->cfg.handshake_timeout_ms, &a->drbg,
					&coap_ep_dtls_ops, a->up_ep, err, errlen);
		if (!a->up)
			return -1;
		if (a->cfg.n_upstream_alt)
			dtls_client_set_fallbacks(a->up, a->cfg.upstream_alt,
						  a->cfg.n_upstream_alt);
		a->up_fd = dtls_client_fd(a->up);
		if (watch(a, EV_UPSTREAM, a->up_fd)) {
			snprintf(err, errlen, "epoll_ctl: %s: %s",
				 a->cfg.upstream.text, strerror(errno));
			return -1;
		}
	}
	a->started = true;
	a->resynced = now_ms();
	return 0;
}

static struct actx *by_kernel_id(struct agent *a, uint32_t id)
{
	for (size_t i = 0; i < a->ctxs.n; i++)
		if (a->ctxs.v[i].kernel_id == id)
			return &a->ctxs.v[i];
	return NULL;
}

static void seq_limit(void *arg, uint32_t id)
{
	struct agent *a = arg;
	struct actx *c = by_kernel_id(a, id);

	if (c && a->role->seq_limit)
		a->role->seq_limit(a, c);
}

/*
 * Keeps @seq as where @c, re-created, must start; @kept (when not NULL):
 * the value now kept (at least @seq), the ceiling the kernel may be given.
 * 0, or -1 (counted, logged, @kept untouched).
 */
static int keep_checkpoint(struct agent *a, const struct actx *c, uint64_t seq,
			   uint64_t *kept)
{
	if (!a->seq || !c->info.seq_checkpoint)
		return 0;
	if (!seqstate_keep(a->seq, c, seq, c->info.flags &
			   COAPSEC_CONTEXT_F_REPLAY_UNKNOWN, kept))
		return 0;
	a->ckpt_failed++;
	/* Tried again each second while the registry is down: logged at
	 * most once a minute. */
	if (!a->ckpt_logged || now_ms() - a->ckpt_logged >= 60000) {
		a->ckpt_logged = now_ms();
		log_err("registry %s: cannot keep the sequence checkpoint of %s%s (%llu failures so far; retried each second)",
			seqstate_describe(a->seq), c->name,
			kept ? ": its sequence ceiling is not raised (the kernel stops sending with it there)" : "",
			(unsigned long long)a->ckpt_failed);
	}
	return -1;
}

/* The ceiling the kernel is given for a kept @kept: at most SEQ_MAX. */
static uint64_t ceiling_of(uint64_t kept)
{
	return kept < COAPSEC_SEQ_MAX ? kept : COAPSEC_SEQ_MAX;
}

/*
 * Persists @seq for @c, then (only then) raises its kernel ceiling to
 * what is kept (RFC 8613 B.1.1 enforced: no number the registry does not
 * cover is ever used).
 */
static void persist_and_raise(struct agent *a, struct actx *c, uint64_t seq)
{
	uint64_t kept, ceiling;
	int rc;

	if (!a->seq || !c->info.seq_checkpoint || !c->kernel_id)
		return;
	/*
	 * Fail closed: until both steps went through, the ceiling stays
	 * where it was (the kernel stops there) and the value is tried
	 * again each second (retry_persist): the kernel names a ceiling
	 * once only.
	 */
	if (seq > c->persist_pending)
		c->persist_pending = seq;
	if (keep_checkpoint(a, c, seq, &kept))
		return;
	ceiling = ceiling_of(kept);
	rc = ceiling > c->info.seq_persisted ?
	     keypush_set_ceiling(a->kp, c, ceiling) : 0;
	if (rc) {
		a->ceil_failed++;
		if (rc == -ENOENT) {	/* gone: made again (agent_tick) */
			c->persist_pending = 0;
			a->resync_due = true;
		}
		return;
	}
	c->persist_pending = 0;
	if (ceiling > c->info.seq_persisted)
		c->info.seq_persisted = ceiling;
}

static void checkpoint(void *arg, uint32_t id, uint64_t seq)
{
	struct agent *a = arg;
	struct actx *c = by_kernel_id(a, id);

	if (c)
		persist_and_raise(a, c, seq);
}

/*
 * Events were lost: a checkpoint among them would leave a context stopped
 * at its ceiling.  Each owned context's sequence number is read back and
 * persisted two intervals ahead, as its next checkpoint would have been.
 */
static void events_lost(void *arg)
{
	struct agent *a = arg;

	a->events_lost++;
	for (size_t i = 0; i < a->ctxs.n; i++) {
		struct actx *c = &a->ctxs.v[i];
		uint64_t seq, ceiling;

		if (!c->kernel_id || !c->info.seq_checkpoint ||
		    keypush_seq(a->kp, c, &seq, &ceiling))
			continue;
		persist_and_raise(a, c, seq + 2ULL * c->info.seq_checkpoint);
	}
}

#define PERSIST_RETRY_MS	1000

/* Checkpoints the registry refused, tried again once a second. */
static void retry_persist(struct agent *a, uint64_t now)
{
	if (!a->kp || now - a->persist_tried < PERSIST_RETRY_MS)
		return;
	a->persist_tried = now;
	for (size_t i = 0; i < a->ctxs.n; i++)
		if (a->ctxs.v[i].persist_pending)
			persist_and_raise(a, &a->ctxs.v[i],
					  a->ctxs.v[i].persist_pending);
}

static const struct keypush_event_ops kernel_events = {
	.seq_limit = seq_limit,
	.checkpoint = checkpoint,
	.lost = events_lost,
};

void agent_event(struct agent_evsrc *src, uint32_t events)
{
	struct agent *a = src->a;

	(void)events;
	switch (src->kind) {
	case EV_SERVER:
		dtls_server_input(a->srv);
		break;
	case EV_UPSTREAM:
		dtls_client_input(a->up);
		break;
	case EV_KERNEL:
		keypush_events(a->kp, &kernel_events, a);
		break;
	case EV_NFQUEUE:
		sgq_input(a->nfq);
		break;
	}
}

static void retry_pushes(struct agent *a, uint64_t now);
static uint64_t next_retry(const struct agent *a);
static void resync(struct agent *a);

#define RESYNC_MS	30000

void agent_upstream_timeout(void *arg, struct dtls_peer *p)
{
	struct agent *a = arg;

	if (p == a->up && dtls_peer_up(p))
		a->restart_up = true;
}

void agent_tick(struct agent *a, uint64_t now)
{
	if (now - a->last_tick < 20)
		return;
	a->last_tick = now;
	if (a->srv) {
		dtls_server_tick(a->srv, now);
		coap_ep_tick(a->srv_ep, now);
	}
	if (a->up) {
		dtls_client_tick(a->up, now);
		coap_ep_tick(a->up_ep, now);
		if (a->restart_up) {
			a->restart_up = false;
			log_warn("%s: no answer; starting the session over",
				 dtls_peer_name(a->up));
			dtls_client_restart(a->up);
		}
		/* A new attempt comes from a new socket (closing the old one
		 * took it out of the epoll set). */
		if (dtls_client_fd(a->up) != a->up_fd) {
			a->up_fd = dtls_client_fd(a->up);
			if (watch(a, EV_UPSTREAM, a->up_fd))
				log_err("epoll_ctl: %s: %s; its answers go unheard",
					a->cfg.upstream.text, strerror(errno));
		}
	}
	if (a->role->tick)
		a->role->tick(a, now);
	sgroups_tick(a->sg, now);
	/* A reload that failed (the registry was busy) is tried again. */
	if (a->reload_at && now >= a->reload_at)
		agent_reload(a);
	retry_pushes(a, now);
	retry_persist(a, now);
	/* The kernel does not say when someone deletes: looked at now and
	 * then, and at once when a call found something gone. */
	if (a->kp && a->started &&
	    (a->resync_due || now - a->resynced >= RESYNC_MS)) {
		a->resync_due = false;
		a->resynced = now;
		resync(a);
	}
	/* A policy added back outside a resync (a context's new keys). */
	if (a->kp && a->started && keypush_order_due(a->kp))
		keypush_order(a->kp, a->cfg.policies, a->cfg.n_policies);
	if (a->ctx_dirty && now - a->ctx_written >= 100) {
		a->ctx_written = now;
		agent_write_contexts(a);
	}
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

uint64_t agent_next(struct agent *a)
{
	uint64_t next = UINT64_MAX;

	if (a->srv)
		next = min_u64(next, dtls_server_next(a->srv));
	if (a->srv_ep)
		next = min_u64(next, coap_ep_next(a->srv_ep));
	if (a->up)
		next = min_u64(next, dtls_client_next(a->up));
	if (a->up_ep)
		next = min_u64(next, coap_ep_next(a->up_ep));
	if (a->role->next)
		next = min_u64(next, a->role->next(a));
	if (a->ctx_dirty)
		next = min_u64(next, a->ctx_written + 100);
	next = min_u64(next, next_retry(a));
	for (size_t i = 0; a->kp && i < a->ctxs.n; i++)
		if (a->ctxs.v[i].persist_pending)
			next = min_u64(next, a->persist_tried + PERSIST_RETRY_MS);
	if (a->reload_at)
		next = min_u64(next, a->reload_at);
	if (a->resync_due || (a->started && keypush_order_due(a->kp)))
		next = 0;
	if (a->kp && a->started)
		next = min_u64(next, a->resynced + RESYNC_MS);
	/* Ticks are at least 20 ms apart (agent_tick). */
	return next == UINT64_MAX ? next : next > a->last_tick + 20 ? next :
	       a->last_tick + 20;
}

static int policy_switch(struct agent *a, size_t i, bool queue,
			 uint32_t ctx_id);

/*
 * Before the keys go, each protect policy turns into a queue policy to
 * this agent's queue, in place: once the agent is gone the kernel drops
 * what it matches (queue_no_agent), where deleting it would let the
 * same messages leave in clear.  The next start sets it back in place
 * (keypush_policy()).  A signed group's queue policies stay as they
 * are.  One the kernel refuses to turn keeps protecting, and so its
 * context stays (the delete is refused): kept keys over clear.
 */
static void stop_protecting(struct agent *a)
{
	for (size_t i = 0; i < a->cfg.n_policies; i++) {
		struct cfg_policy *p = &a->cfg.policies[i];

		if (p->action != COAPSEC_ACTION_PROTECT || p->queued ||
		    !p->kernel_id)
			continue;
		if (policy_switch(a, i, true, 0))
			log_warn("policy %u: cannot turn to queue at stop: it keeps protecting with its context",
				 p->kernel_id);
	}
}

void agent_fini(struct agent *a)
{
	/*
	 * Pending requests fail first (their callbacks may answer device
	 * sessions), then sessions go (their close hooks reach the role),
	 * then the role.
	 */
	coap_ep_free(a->up_ep);
	if (a->up)
		dtls_client_free(a->up);
	dtls_server_free(a->srv);
	coap_ep_free(a->srv_ep);
	if (a->role && a->role->fini)
		a->role->fini(a);
	/*
	 * A stop takes the keys out of the kernel and leaves require and
	 * verify policies: plain CoAP stays out while no agent runs.  A
	 * start that failed deletes nothing (coapsecd(8), "What the agent
	 * owns in the kernel").
	 */
	if (a->kp && a->started) {
		stop_protecting(a);
		for (size_t i = 0; i < a->ctxs.n; i++)
			keypush_delete(a->kp, &a->ctxs.v[i]);
	}
	keypush_close(a->kp, a->started);
	sgq_close(a->nfq);
	sgroups_close(a->sg);
	seqstate_close(a->seq);
	ctxset_free(&a->ctxs);
	if (a->kernel_lock >= 0)
		close(a->kernel_lock);
	config_free(&a->cfg);
	mbedtls_ctr_drbg_free(&a->drbg);
	mbedtls_entropy_free(&a->entropy);
}

void agent_write_contexts(struct agent *a)
{
	a->ctx_dirty = false;
	if (a->cfg.contexts_file[0] &&
	    ctxset_write(&a->ctxs, a->cfg.contexts_file, role_name(a->cfg.role),
			 a->cfg.id))
		log_warn("%s: contexts_file: cannot write %s: %s", a->cfg.path,
			 a->cfg.contexts_file, strerror(errno));
}

/* Whether policy @p protects with context @c. */
static bool policy_uses(const struct cfg_policy *p, const struct actx *c)
{
	return !strcmp(p->context, c->name) ||
	       (!strcmp(p->context, "pairwise") && c->kind == ACTX_PAIRWISE);
}

/*
 * Moves policies[@i] to its kernel form: protect with context @ctx_id,
 * or (@queue) hand to this agent.  A copy in the kernel is replaced in
 * place (POLICY_SET): a packet meets the old form or the new, never
 * neither, in the policy's own place in the match order and with no
 * room needed under ns_policies.  A refusal leaves the old form (the
 * next resync tries again); a copy found gone is made anew.
 */
static int policy_switch(struct agent *a, size_t i, bool queue,
			 uint32_t ctx_id)
{
	struct cfg_policy *p = &a->cfg.policies[i];
	uint8_t action = p->action;
	int rc = -ENOENT;

	if (queue) {
		p->action = COAPSEC_ACTION_QUEUE;
		p->queue_num = a->cfg.queue_num;
	}
	if (p->kernel_id)
		rc = keypush_policy_set(a->kp, p, i, ctx_id);
	/* ENOENT may name the context instead: gone only if not ours. */
	if (rc == -ENOENT && !keypush_policy_present(a->kp, p, i)) {
		p->kernel_id = 0;
		rc = keypush_policy(a->kp, p, i, ctx_id);
	}
	p->action = action;
	if (rc)
		return -1;
	p->queued = queue;
	p->kernel_ctx = ctx_id;
	return 0;
}

/*
 * Whether policy @p protects with another context it may use, one the
 * kernel holds now: "pairwise" fits every pairwise context, and stays
 * with the first one it got.
 */
static bool bound_elsewhere(const struct agent *a, const struct cfg_policy *p,
			    const struct actx *c)
{
	for (size_t i = 0; p->kernel_ctx && i < a->ctxs.n; i++) {
		const struct actx *o = &a->ctxs.v[i];

		if (o != c && o->kernel_id == p->kernel_ctx && !o->sg &&
		    policy_uses(p, o))
			return true;
	}
	return false;
}

/*
 * Brings the policies that use @c to what @c is now: protect with its
 * kernel context, or, for a signed group, queue to this agent.  A queue
 * policy fails closed whatever the agent knows: with no signed state
 * for the group the agent drops what it queues (no_group), and with no
 * agent on the queue the kernel does (queue_no_agent).  0, or -1 when
 * one stays as it was.
 */
static int sync_policies(struct agent *a, const struct actx *c)
{
	bool queue = c->sg != NULL;
	uint32_t ctx_id = queue ? 0 : c->kernel_id;
	int rc = 0;

	if (!a->kp || (!queue && !ctx_id))
		return 0;	/* no kernel context yet: what is there stays */
	for (size_t i = 0; i < a->cfg.n_policies; i++) {
		struct cfg_policy *p = &a->cfg.policies[i];

		if (!p->context[0] || !policy_uses(p, c) ||
		    (p->kernel_id && p->queued == queue &&
		     (p->kernel_ctx == ctx_id || bound_elsewhere(a, p, c))))
			continue;
		if (policy_switch(a, i, queue, ctx_id))
			rc = -1;
	}
	return rc;
}

/*
 * A protect policy whose context is not in the kernel (not yet, or no
 * longer) queues to this agent meanwhile, in place of what an earlier
 * instance left for the same messages (keypush_policy()): the kernel
 * drops what it matches (queue_no_agent; a signing agent's own queue
 * drops it too, no_group), never sending it in clear, until
 * sync_policies() sets it to protect in place.  One the kernel refuses
 * is logged and tried again at the next resync; what an earlier
 * instance left that overlaps it stays meanwhile (keypush: held).
 */
static void queue_one(struct agent *a, size_t i)
{
	const struct cfg_policy *p = &a->cfg.policies[i];

	if (p->context[0] && !p->kernel_id && policy_switch(a, i, true, 0))
		log_warn("policies[%zu]: cannot install it to queue until its context %s is in: what it matches is not held back by it",
			 i, log_safe(p->context));
}

static void queue_waiting(struct agent *a)
{
	for (size_t i = 0; a->kp && i < a->cfg.n_policies; i++)
		queue_one(a, i);
}

/*
 * A signed group's policies queue to this agent, then the group
 * authentication context it may have had goes: the previous epoch's
 * group key must not stay usable (a member the change removed holds
 * it).  While a protect policy stays (refused, retried at resync) the
 * context stays with it.
 */
static void settle_signed(struct agent *a, struct actx *c)
{
	if (!a->kp || sync_policies(a, c) || !c->kernel_id)
		return;
	log_info("context %s: group authentication context %u deleted", c->name,
		 c->kernel_id);
	keypush_delete(a->kp, c);
}

/*
 * A signed group's epoch goes to the agent's own state (sgroup.h), not
 * into the kernel.  A group that was group authentication until now
 * loses its kernel context and protect policies, even when its signed
 * state cannot go in (its messages are then dropped: fail closed); the
 * other way round, its signed state goes and its queue policies stay
 * until the kernel context that replaces them is in (sync_policies()).
 */
static int push_mode(struct agent *a, struct actx *c, bool *done)
{
	const char *name = c->name + strlen("group:");
	int rc = 0;

	*done = false;
	if (c->kind != ACTX_GROUP)
		return 0;
	if (!c->sg) {
		if (a->sg && sgroups_remove(a->sg, name))
			log_info("context %s: group authentication from now on",
				 c->name);
		return 0;
	}
	*done = true;
	if (!a->sg) {
		log_err("context %s: the server made this group signed, but this agent has no group_signing (key pair and queue): its messages are dropped",
			c->name);
		rc = -1;
	} else if (sgroups_install(a->sg, name, c->epoch, c->sg,
				   c->info.seq_soft_limit)) {
		/*
		 * The signed epoch it had goes too: a member this rekey
		 * removed holds its keys, and its credential is in it.
		 */
		sgroups_remove(a->sg, name);
		log_err("context %s: epoch %u not installed: its messages are dropped until new keys",
			c->name, c->epoch);
		rc = -1;
	}
	settle_signed(a, c);
	return rc;
}

#define RETRY_FIRST_MS	1000
#define RETRY_MAX_MS	30000

/*
 * Pushes @c once (keypush_install: -EAGAIN when its kernel copy is gone;
 * c->lost: pushing again after that).  Keys that outlive the agent start above their last checkpoint, with
 * replay-unknown where their windows are lost (RFC 8613 B.1.1, B.1.2); a
 * checkpoint two intervals ahead is kept before the kernel may use the
 * keys, and is their ceiling (SEQ_PERSISTED): the kernel never uses a
 * number the registry does not cover.
 */
static int push_once(struct agent *a, struct actx *c)
{
	bool lost = c->lost;
	uint32_t k = c->info.seq_checkpoint;
	uint64_t seq = 0, kept = 0, base = c->info.seq_start;
	bool ru = false;

	int found = 0;

	if (a->seq && k && !c->kernel_id)
		found = seqstate_lookup(a->seq, c, &seq, &ru);
	/* Not knowing where a lost context stopped: nothing is made. */
	if (found < 0 || (lost && k && a->seq && !found)) {
		log_err("context %s: %s in the registry %s; not installed",
			c->name, found < 0 ? "cannot read its checkpoint" :
			"its kernel copy is lost and no checkpoint is kept",
			seqstate_describe(a->seq));
		return -1;
	}
	/* These keys' kernel copy is gone, and its windows with it. */
	if (ru || lost)
		c->info.flags |= COAPSEC_CONTEXT_F_REPLAY_UNKNOWN;
	if (found) {
		if (seq > c->info.seq_start)
			c->info.seq_start = seq;
		log_info("context %s: kept keys: sequence from %llu%s", c->name,
			 (unsigned long long)c->info.seq_start,
			 c->info.flags & COAPSEC_CONTEXT_F_REPLAY_UNKNOWN ?
			 ", replay windows unknown (requests refused until new keys)" : "");
	}
	/*
	 * What is kept is at least what a swap of the same keys continues
	 * from (the kernel never passed the ceiling, and every ceiling was
	 * kept first), so the swap carries it too; a context an earlier
	 * instance left may be further on than any checkpoint (one without
	 * ceilings): kept from where it could have got.
	 */
	if (k && !c->kernel_id)
		base = max_u64(c->info.seq_start,
			       keypush_leftover_reach(a->kp, c));
	if (k && keep_checkpoint(a, c, base + 2ULL * k, &kept))
		return -1;	/* never keys whose sequence is not kept */
	c->info.has_seq_persisted = k && a->seq;
	c->info.seq_persisted = c->info.has_seq_persisted ? ceiling_of(kept) : 0;
	return keypush_install(a->kp, c, a->cfg.grace_s);
}

/* Pushes @c; a kernel copy found gone is made again, once. */
static int push(struct agent *a, struct actx *c)
{
	uint32_t k = c->info.seq_checkpoint;
	int rc;

	/* Known gone before anything is kept under its keys. */
	if (c->kernel_id && k && !keypush_present(a->kp, c)) {
		log_warn("context %s: context %u is gone from the kernel; making it again above its checkpoint",
			 c->name, c->kernel_id);
		c->kernel_id = 0;
		c->lost = true;
	}
	rc = push_once(a, c);
	if (rc == -EAGAIN) {
		c->lost = true;
		rc = push_once(a, c);
	}
	if (rc)
		return -1;
	c->lost = false;
	/* Made again under another ID: sync_policies() moves its policies. */
	if (c->adopted_seq) {
		a->adopted++;
		/*
		 * The dead instance's numbers were not all checkpointed (one
		 * without ceilings): kept, then the ceiling follows.
		 */
		if (k && c->adopted_seq + 2ULL * k > c->info.seq_persisted)
			persist_and_raise(a, c, c->adopted_seq + 2ULL * k);
	}
	return 0;
}

static void push_failed(struct agent *a, struct actx *c, uint64_t now)
{
	uint64_t wait = RETRY_FIRST_MS;

	for (unsigned int i = 0; i < c->push_tries && wait < RETRY_MAX_MS; i++)
		wait *= 2;
	if (wait > RETRY_MAX_MS)
		wait = RETRY_MAX_MS;
	c->push_tries++;
	c->push_failed = true;
	c->retry_at = now + wait;
	a->push_failed++;
	log_err("context %s: the kernel refused it (attempt %u); retrying in %llu ms",
		c->name, c->push_tries, (unsigned long long)wait);
}

int agent_install(struct agent *a, const struct actx *c)
{
	struct actx *slot = ctxset_put(&a->ctxs, c);
	bool done;

	if (!slot)
		return -1;
	a->installs++;
	a->ctx_dirty = true;
	if (push_mode(a, slot, &done)) {
		/* Not retried: only new keys from the server can help. */
		return -1;
	}
	if (done) {
		log_info("context %s: epoch %u, signed (in coapsecd)", slot->name,
			 slot->epoch);
		return 0;
	}
	if (a->kp) {
		if (push(a, slot)) {
			push_failed(a, slot, now_ms());
			return -1;
		}
		sync_policies(a, slot);
	}
	log_info("context %s: epoch %u, %u recipient(s)", slot->name,
		 slot->epoch, slot->info.n_recipients);
	return 0;
}

static size_t pending_pushes(const struct agent *a)
{
	size_t n = 0;

	for (size_t i = 0; i < a->ctxs.n; i++)
		n += a->ctxs.v[i].push_failed;
	return n;
}

static void retry_pushes(struct agent *a, uint64_t now)
{
	bool done = false;

	for (size_t i = 0; a->kp && i < a->ctxs.n; i++) {
		struct actx *c = &a->ctxs.v[i];

		if (!c->push_failed || now < c->retry_at)
			continue;
		if (push(a, c)) {
			push_failed(a, c, now);
			continue;
		}
		log_info("context %s: installed after %u refused attempt(s)",
			 c->name, c->push_tries);
		c->push_failed = false;
		c->push_tries = 0;
		a->ctx_dirty = true;
		sync_policies(a, c);
		done = true;
	}
	if (done && a->ready_waits && !pending_pushes(a))
		agent_ready(a);
}

static uint64_t next_retry(const struct agent *a)
{
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < a->ctxs.n; i++)
		if (a->ctxs.v[i].push_failed && a->ctxs.v[i].retry_at < next)
			next = a->ctxs.v[i].retry_at;
	return next;
}

/*
 * The kernel refused to set policies[@i] to queue in place (POLICY_SET
 * fails only for want of memory or of the namespace's netfilter hooks):
 * a queue policy with its selectors and priority goes in first, then the
 * protect one goes, so what it matches is queued, never in clear.  Equal
 * priorities match in order of insertion, so the copy comes after the
 * policies of its priority added since the old one; the caller puts
 * those listed after it back after it (keypush_order()).  No test
 * provokes this without fault injection (a refused POLICY_SET with room
 * for a new policy).  0 or -1.
 */
static int queue_beside(struct agent *a, size_t i)
{
	struct cfg_policy *p = &a->cfg.policies[i];
	uint8_t action = p->action;
	int rc;

	p->action = COAPSEC_ACTION_QUEUE;
	p->queue_num = a->cfg.queue_num;
	rc = keypush_policy_beside(a->kp, p, i, 0);
	p->action = action;
	if (rc)
		return -1;
	p->queued = true;
	p->kernel_ctx = 0;
	return 0;
}

bool agent_remove(struct agent *a, const char *name)
{
	struct actx *c = ctxset_find(&a->ctxs, name);
	uint32_t id;

	if (!c)
		return false;
	if (a->kp) {
		/*
		 * Policies first: the kernel keeps a context one protects
		 * with.  They queue (queue_waiting()), in place, never in
		 * clear, or through a queue copy beside them
		 * (queue_beside()); one that neither works for is deleted,
		 * so that the keys go.
		 */
		for (size_t i = 0; i < a->cfg.n_policies; i++) {
			struct cfg_policy *p = &a->cfg.policies[i];

			if (!p->kernel_id || !p->context[0] || !policy_uses(p, c) ||
			    p->queued || bound_elsewhere(a, p, c))
				continue;
			if (policy_switch(a, i, true, 0) && queue_beside(a, i)) {
				log_err("policy %zu: cannot turn to queue, nor add a queue policy beside it; deleted with context %s: what it matched is in clear until the next resync adds it again",
					i, c->name);
				keypush_policy_delete(a->kp, p, i);
			}
		}
		/*
		 * A copy that went in above (beside, or made anew) came after
		 * those listed after it; the old copies beside go after that,
		 * or turn to queue in place, before the context they protect
		 * with.  One that can do neither yet keeps the context: the
		 * kernel refuses its delete, tried again at each resync.
		 */
		if (keypush_order_due(a->kp))
			keypush_order(a->kp, a->cfg.policies, a->cfg.n_policies);
		id = c->kernel_id;
		if (id && !keypush_delete(a->kp, c))
			log_info("context %s: deleted from the kernel (context %u)",
				 c->name, id);
	}
	/* Its queue policies stay: this agent drops what they match (no_group). */
	if (a->sg)
		sgroups_remove(a->sg, name + (strncmp(name, "group:", 6) ? 0 : 6));
	if (a->seq && seqstate_forget(a->seq, name))
		log_warn("registry %s: cannot forget the checkpoint of %s",
			 seqstate_describe(a->seq), name);
	ctxset_del(&a->ctxs, name);
	a->ctx_dirty = true;
	return true;
}

int agent_seq_known(struct agent *a, const struct actx *c)
{
	uint64_t seq;
	bool ru;
	int rc;

	if (!a->kp || !c->info.seq_checkpoint)
		return 1;
	rc = a->seq ? seqstate_lookup(a->seq, c, &seq, &ru) : 0;
	return rc ? rc : keypush_holds(a->kp, c);
}

/*
 * What was deleted behind the agent's back (coapsec flush, context del,
 * policy del) comes back: a reload repairs the kernel.  Keys with
 * checkpoints are pushed again above them (push: -EAGAIN path); keys
 * without have an unknown sequence, so the role gets fresh ones instead
 * (a device joins again, a gateway fetches a new epoch): the same sender
 * key never starts over.  Policies follow.
 */
static void resync(struct agent *a)
{
	for (size_t i = 0; a->kp && i < a->cfg.n_policies; i++)
		if (!keypush_policy_present(a->kp, &a->cfg.policies[i], i))
			a->cfg.policies[i].kernel_id = 0;
	for (size_t i = 0; a->kp && i < a->ctxs.n; i++) {
		struct actx *c = &a->ctxs.v[i];

		/* A signed group's kernel context is on its way out. */
		if (!c->kernel_id || c->push_failed || c->sg ||
		    keypush_present(a->kp, c))
			continue;
		a->ctx_lost++;
		log_warn("context %s: context %u is gone from the kernel", c->name,
			 c->kernel_id);
		if (!c->info.seq_checkpoint && a->role->keys_lost) {
			c->kernel_id = 0;
			a->role->keys_lost(a, c);
			continue;
		}
		if (push(a, c)) {
			push_failed(a, c, now_ms());
			continue;
		}
		a->ctx_dirty = true;
	}
	/* What went, back in the configuration's order (agent_init()). */
	for (size_t i = 0; a->kp && i < a->cfg.n_policies; i++) {
		if (a->cfg.policies[i].kernel_id)
			continue;
		if (a->cfg.policies[i].context[0])
			queue_one(a, i);
		else
			keypush_policy(a->kp, &a->cfg.policies[i], i, 0);
	}
	for (size_t i = 0; a->kp && i < a->ctxs.n; i++) {
		if (a->ctxs.v[i].sg)
			settle_signed(a, &a->ctxs.v[i]);
		else
			sync_policies(a, &a->ctxs.v[i]);
	}
	queue_waiting(a);
	/* One added back above went after those listed after it. */
	if (a->kp)
		keypush_order(a->kp, a->cfg.policies, a->cfg.n_policies);
	/* What the kernel refused to delete, after the policies moved. */
	if (a->kp && keypush_retry(a->kp, now_ms()))
		log_warn("keypush: %zu kernel object(s) still to delete",
			 keypush_stale(a->kp));
}

bool agent_seq_spent(struct agent *a, const struct actx *c)
{
	uint64_t seq;
	bool ru;

	return a->kp && c->info.seq_checkpoint && a->seq &&
	       seqstate_get(a->seq, c, &seq, &ru) && seq >= COAPSEC_SEQ_MAX;
}

#define RELOAD_RETRY_FIRST_MS	1000
#define RELOAD_RETRY_MAX_MS	60000

static int reload_config(struct agent *a)
{
	struct agent_config cfg;
	char err[CFG_ERR_LEN];
	uint64_t wait = RELOAD_RETRY_FIRST_MS;

	a->reload_at = 0;
	if (config_load(a->cfg.path, &cfg, err, sizeof(err))) {
		log_err("reload refused, keeping the running configuration: %s", err);
		a->reload_tries = 0;
		return -1;
	}
	if (cfg.role != a->cfg.role) {
		log_err("reload refused: %s: role: expected \"%s\" (a restart changes the role)",
			a->cfg.path, role_name(a->cfg.role));
		config_free(&cfg);
		a->reload_tries = 0;
		return -1;
	}
	err[0] = 0;
	if (a->role->reload && a->role->reload(a, &cfg, err, sizeof(err))) {
		for (unsigned int i = 0; i < a->reload_tries &&
		     wait < RELOAD_RETRY_MAX_MS; i++)
			wait *= 2;
		if (wait > RELOAD_RETRY_MAX_MS)
			wait = RELOAD_RETRY_MAX_MS;
		a->reload_tries++;
		a->reload_failed++;
		a->reload_at = now_ms() + wait;
		log_err("reload failed: %s; keeping the running configuration, trying again in %llu ms (attempt %u)",
			err[0] ? err : "the role refused it",
			(unsigned long long)wait, a->reload_tries);
		config_free(&cfg);
		return -1;
	}
	if (a->reload_tries)
		log_info("configuration reloaded after %u failed attempt(s)",
			 a->reload_tries);
	else
		log_info("configuration reloaded");
	a->reload_tries = 0;
	config_free(&cfg);
	return 0;
}

/* A reload that is refused still repairs the kernel. */
int agent_reload(struct agent *a)
{
	int rc = reload_config(a);

	a->resync_due = false;
	resync(a);
	return rc;
}

void agent_sweep(struct agent *a)
{
	keypush_sweep(a->kp);
}

void agent_ready(struct agent *a)
{
	size_t pending = pending_pushes(a);

	agent_write_contexts(a);
	if (a->ready)
		return;
	if (pending) {
		if (!a->ready_waits)
			log_err("contexts not installed: the kernel refused %zu of %zu; retrying",
				pending, a->ctxs.n);
		a->ready_waits = true;
		return;
	}
	a->ready = true;
	a->ready_waits = false;
	/* What an earlier instance left and this one did not take over. */
	agent_sweep(a);
	log_info("contexts installed: %zu, %llu ms after start", a->ctxs.n,
		 (unsigned long long)(now_ms() - a->start_ms));
	/* Every context the agent was given is in: a policy still waiting
	 * names one it never receives (a group it is not a member of). */
	for (size_t i = 0; i < a->cfg.n_policies; i++) {
		const struct cfg_policy *p = &a->cfg.policies[i];
		bool held = false;

		for (size_t j = 0; p->context[0] && j < a->ctxs.n; j++)
			held |= policy_uses(p, &a->ctxs.v[j]);
		if (p->context[0] && !held)
			log_warn("%s: policies[%zu].context: \"%s\" names no context this agent was given; the policy stays a queue policy (what it matches is dropped)",
				 a->cfg.path, i, log_safe(p->context));
	}
}

void agent_stats(struct agent *a, json_t *o)
{
	const struct dtls_stats *d = a->srv ? dtls_server_stats(a->srv) :
				     a->up ? dtls_client_stats(a->up) : NULL;
	const struct coap_ep_stats *c = a->srv_ep ? coap_ep_stats(a->srv_ep) : NULL;

	if (d)
		json_object_set_new(o, "dtls", json_pack(
			"{sI sI sI sI sI sI sI sI sI si si}",
			"handshakes", (json_int_t)d->handshakes,
			"hs_failed", (json_int_t)d->hs_failed,
			"unknown_identity", (json_int_t)d->unknown_identity,
			"auth_failed", (json_int_t)d->auth_failed,
			"hello_verify", (json_int_t)d->hello_verify,
			"dropped_not_hello", (json_int_t)d->dropped_not_hello,
			"dropped_full", (json_int_t)d->dropped_full,
			"hs_timeouts", (json_int_t)d->hs_timeouts,
			"idle_closed", (json_int_t)d->idle_closed,
			"peers", (int)d->peers, "contexts", (int)d->contexts));
	if (c)
		json_object_set_new(o, "coap", json_pack(
			"{sI sI sI sI}", "requests", (json_int_t)c->requests,
			"responses", (json_int_t)c->responses,
			"bad_messages", (json_int_t)c->bad_messages,
			"duplicates", (json_int_t)c->duplicates));
	json_object_set_new(o, "contexts", json_integer((json_int_t)a->ctxs.n));
	if (a->kp)
		json_object_set_new(o, "kernel", json_pack(
			"{sI sI sI sI sI sI sI sI sI}", "push_failed", (json_int_t)a->push_failed,
			"push_pending", (json_int_t)pending_pushes(a),
			"adopted", (json_int_t)a->adopted,
			"leftovers", (json_int_t)keypush_leftovers(a->kp),
			"delete_pending", (json_int_t)keypush_stale(a->kp),
			"checkpoint_failed", (json_int_t)a->ckpt_failed,
			"ceiling_failed", (json_int_t)a->ceil_failed,
			"events_lost", (json_int_t)a->events_lost,
			"lost", (json_int_t)a->ctx_lost));
	json_object_set_new(o, "reload_failed", json_integer((json_int_t)a->reload_failed));
	if (a->sg)
		sgroups_stats(a->sg, o);
	if (a->nfq)
		sgq_stats(a->nfq, o);
	if (a->role->stats)
		a->role->stats(a, o);
}
