// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <mbedtls/platform_util.h>

#include "agent/agent.h"
#include "agent/log.h"

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

int agent_init(struct agent *a, struct agent_config *cfg, int epfd, char *err,
	       size_t errlen)
{
	static const char pers[] = "coapsecd";

	memset(a, 0, sizeof(*a));
	a->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	a->epfd = epfd;
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
		a->kp = keypush_open(err, errlen);
		if (!a->kp)
			return -1;
		if (keypush_event_fd(a->kp) >= 0 &&
		    watch(a, EV_KERNEL, keypush_event_fd(a->kp))) {
			snprintf(err, errlen, "epoll_ctl: kernel events: %s",
				 strerror(errno));
			return -1;
		}
		for (size_t i = 0; i < a->cfg.n_policies; i++)
			if (!a->cfg.policies[i].context[0] &&
			    keypush_policy(a->kp, &a->cfg.policies[i], 0)) {
				snprintf(err, errlen, "kernel: policies[%zu] refused", i);
				return -1;
			}
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
	return 0;
}

static void seq_limit(void *arg, uint32_t id)
{
	struct agent *a = arg;

	for (size_t i = 0; i < a->ctxs.n; i++)
		if (a->ctxs.v[i].kernel_id == id && a->role->seq_limit)
			a->role->seq_limit(a, &a->ctxs.v[i]);
}

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
		keypush_events(a->kp, seq_limit, a);
		break;
	}
}

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
	if (a->ctx_dirty && now - a->ctx_written >= 100) {
		a->ctx_written = now;
		agent_write_contexts(a);
	}
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
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
	/* Ticks are at least 20 ms apart (agent_tick). */
	return next == UINT64_MAX ? next : next > a->last_tick + 20 ? next :
	       a->last_tick + 20;
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
	/* What the agent put into the kernel goes with it. */
	if (a->kp) {
		for (size_t i = 0; i < a->cfg.n_policies; i++)
			keypush_policy_delete(a->kp, &a->cfg.policies[i]);
		for (size_t i = 0; i < a->ctxs.n; i++)
			keypush_delete(a->kp, &a->ctxs.v[i]);
	}
	keypush_close(a->kp);
	ctxset_free(&a->ctxs);
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

int agent_install(struct agent *a, const struct actx *c)
{
	struct actx *slot = ctxset_put(&a->ctxs, c);

	if (!slot)
		return -1;
	a->installs++;
	a->ctx_dirty = true;
	if (a->kp) {
		if (keypush_install(a->kp, slot, a->cfg.grace_s))
			return -1;
		/* Policies follow their context's ID, which a swap keeps. */
		for (size_t i = 0; i < a->cfg.n_policies; i++) {
			struct cfg_policy *p = &a->cfg.policies[i];

			if (!p->kernel_id && p->context[0] && policy_uses(p, slot))
				keypush_policy(a->kp, p, slot->kernel_id);
		}
	}
	log_info("context %s: epoch %u, %u recipient(s)", slot->name,
		 slot->epoch, slot->info.n_recipients);
	return 0;
}

void agent_ready(struct agent *a)
{
	agent_write_contexts(a);
	if (a->ready)
		return;
	a->ready = true;
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
			log_warn("%s: policies[%zu].context: \"%s\" names no context this agent was given; the policy is not installed",
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
	if (a->role->stats)
		a->role->stats(a, o);
}
