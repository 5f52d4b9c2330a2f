// SPDX-License-Identifier: GPL-2.0
/*
 * The gateway role (TR-0012 Entity B, MN-CSE), the group agent in the
 * path: inner authentication of devices (their DTLS-PSK sessions with
 * Kpsaxm), outer authentication with the server (its own session with
 * Kpsami) reporting the authenticated members in batches, relay of the
 * end-to-end Service Requests and their answers (opaque to it), and the
 * group contexts it serves.
 *
 * Resources for devices:
 *   POST /ga/join {"id"}            -> {"rand", "ksid", "gateway"}
 *                                      (answered once the server has)
 *   POST /ga/sr {"id", "oscore"}    -> relayed to the server and back
 *   POST /ga/rekey-request {"group"} -> relayed
 *   POST /ga/ack {"group", "epoch"}  a new epoch is installed
 *   GET  /status
 * for the server: POST /ga/group-update {"name", "epoch"}
 * and to devices: POST /ga/rekey {"group", "epoch"}.
 */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>

#include "agent/agent.h"
#include "agent/ks.h"
#include "agent/log.h"

#define REPORT_BATCH	16

struct gw_member {
	const struct cfg_member *cfg;
	char norm[CFG_MAX_ID_LEN];	/* NFKC of the ID */
	struct dtls_peer *peer;		/* its session, when up */
	uint32_t gen;
	bool want_report, joining, reported;
	struct coap_deferred join;
	/* Its groups, as the server's report answer names them. */
	char groups[CFG_MAX_MEMBER_GROUPS][CFG_MAX_ID_LEN];
	uint8_t n_groups;
};

static bool in_group(const struct gw_member *m, const char *group)
{
	for (size_t k = 0; k < m->n_groups; k++)
		if (!strcmp(m->groups[k], group))
			return true;
	return false;
}

struct gw_group {
	char name[CFG_MAX_ID_LEN];
	uint32_t epoch;			/* installed; 0: none yet */
	uint32_t wanted;		/* announced by the server */
	bool fetching, served_before;
	/*
	 * A new epoch waits here until the members have theirs (or for
	 * SWITCH_MAX_MS): the gateway starts sending with keys its members
	 * can already verify, so no command is lost in a rekey.
	 */
	struct actx *pending;
	unsigned int awaiting;
	uint64_t switch_at;
	/*
	 * Its kernel context was lost (gw_keys_lost): epochs up to
	 * lost_epoch are never installed again (their sequence is gone);
	 * the group is fetched as after a restart until a newer one comes,
	 * tried again at refetch_at.
	 */
	bool lost;
	uint32_t lost_epoch;
	uint64_t refetch_at;
	struct backoff refetch;
};

#define REFETCH_MS	1000
#define REFETCH_MAX_MS	60000

#define SWITCH_MAX_MS	5000

/* The latest epoch this gateway holds, installed or waiting. */
static uint32_t newest(const struct gw_group *g)
{
	return g->pending ? g->pending->epoch : g->epoch;
}

struct gateway_flow {
	struct gw_member *m;
	size_t n;
	struct gw_group *g;
	size_t ng;
	bool report_inflight;
	size_t batch[REPORT_BATCH], nbatch;
	uint64_t reports, relayed, refused, notified;
};

struct relay {
	struct coap_deferred d;
	struct agent *a;
	/* A Service Request's member's groups (none: not one); a copy, as
	 * a reload may replace the member. */
	char groups[CFG_MAX_MEMBER_GROUPS][CFG_MAX_ID_LEN];
	uint8_t n_groups;
};

static void switch_epoch(struct agent *a, struct gw_group *g)
{
	if (!g->pending)
		return;
	if (!agent_install(a, g->pending)) {
		g->epoch = g->pending->epoch;
		log_info("gateway: group %s now sends with epoch %u (%u member(s) not confirmed)",
			 g->name, g->epoch, g->awaiting);
	}
	actx_wipe(g->pending);
	free(g->pending);
	g->pending = NULL;
	g->awaiting = 0;
}

static struct gw_member *by_identity(struct gateway_flow *f, const char *identity)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->m[i].cfg->cred.identity, identity))
			return &f->m[i];
	return NULL;
}

/* IDs are compared after NFKC, as the server compares them. */
static struct gw_member *by_id(struct gateway_flow *f, const char *id)
{
	char norm[CFG_MAX_ID_LEN];

	if (ks_normalize_id(id, norm, sizeof(norm)) < 0)
		return NULL;
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->m[i].norm, norm))
			return &f->m[i];
	return NULL;
}

static struct gw_group *group(struct gateway_flow *f, const char *name,
			      bool create)
{
	struct gw_group *g;

	for (size_t i = 0; i < f->ng; i++)
		if (!strcmp(f->g[i].name, name))
			return &f->g[i];
	if (!create)
		return NULL;
	g = realloc(f->g, (f->ng + 1) * sizeof(*f->g));
	if (!g)
		return NULL;
	f->g = g;
	g = &f->g[f->ng++];
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	return g;
}

static json_t *error(const char *msg)
{
	return json_pack("{s:s}", "error", msg);
}

static const struct psk_cred *gw_psk(void *arg, const char *identity)
{
	struct agent *a = arg;
	struct gw_member *m = by_identity(a->flow, identity);

	return m ? &m->cfg->cred : NULL;
}

static void gw_closed(void *arg, struct dtls_peer *p)
{
	struct agent *a = arg;
	struct gateway_flow *f = a->flow;

	for (size_t i = 0; i < f->n; i++)
		if (f->m[i].peer == p)
			f->m[i].peer = NULL;
}

/* The member whose session @p is, with the ID it claims checked. */
static struct gw_member *session_member(struct agent *a,
					const struct coap_req *req,
					const char **why)
{
	struct gw_member *m = by_identity(a->flow, dtls_peer_identity(req->peer));
	const char *id = json_string_value(json_object_get(req->body, "id"));
	char norm[CFG_MAX_ID_LEN];

	*why = "expected \"id\"";
	if (!m || !id)
		return NULL;
	*why = "the ID does not belong to this session's credential";
	if (ks_normalize_id(id, norm, sizeof(norm)) < 0 || strcmp(norm, m->norm))
		return NULL;
	m->peer = req->peer;
	m->gen = dtls_peer_gen(req->peer);
	return m;
}

static void ready_check(struct agent *a)
{
	struct gateway_flow *f = a->flow;

	for (size_t i = 0; i < f->n; i++) {
		struct gw_group *g;

		if (!f->m[i].reported)
			return;
		for (size_t k = 0; k < f->m[i].n_groups; k++) {
			g = group(f, f->m[i].groups[k], false);
			if (!g || !g->epoch)
				return;
		}
	}
	agent_ready(a);
}

static void notified(void *arg, int code, json_t *body, const uint8_t *p,
		     size_t n)
{
	(void)arg; (void)code; (void)body; (void)p; (void)n;
}

static void group_fetched(void *arg, int code, json_t *body,
			  const uint8_t *payload, size_t len);

static void fetch_group(struct agent *a, struct gw_group *g)
{
	json_t *body;

	if (g->fetching || !dtls_peer_up(a->up))
		return;
	g->fetching = true;
	body = json_pack("{s:s s:b}", "name", g->name, "restart",
			 !g->served_before);
	/* Its credential, for signed groups: the members verify with it. */
	if (body && a->sg) {
		char ch[2 * OSCORE_GROUP_CRED_MAX_LEN + 1];
		size_t cl;
		const uint8_t *c = sgroups_cred(a->sg, &cl);

		hex_encode(c, cl, ch);
		json_object_set_new(body, "cred", json_string(ch));
	}
	coap_request(a->up_ep, a->up, COAP_METHOD_POST, "/ga/group", body,
		     group_fetched, a);
}

static void group_fetched(void *arg, int code, json_t *body,
			  const uint8_t *payload, size_t len)
{
	struct agent *a = arg;
	struct gateway_flow *f = a->flow;
	struct group_msg gm;
	struct gw_group *g;
	struct actx c;
	bool update;

	(void)payload; (void)len;
	if (code != COAP_CODE_CONTENT || !body || group_msg_from_json(body, &gm)) {
		log_warn("gateway: group material: %s", coap_code_str(code));
		for (size_t i = 0; i < f->ng; i++) {
			f->g[i].fetching = false;
			/* Not this gateway's (any more): nothing to ask for. */
			if (code == COAP_FORBIDDEN || code == COAP_NOT_FOUND)
				f->g[i].lost = false;
		}
		return;
	}
	g = group(f, gm.name, true);
	if (!g) {
		group_msg_wipe(&gm);
		return;
	}
	g->fetching = false;
	g->served_before = true;
	if (g->lost && gm.epoch <= g->lost_epoch) {
		/* Not rekeyed (yet): those keys' sequence is gone. */
		log_warn("gateway: group %s: epoch %u again, whose context was lost; asking for a newer one",
			 g->name, gm.epoch);
		g->served_before = false;
		g->refetch_at = now_ms() + backoff_next(&g->refetch);
		group_msg_wipe(&gm);
		return;
	}
	/* After a loss members are told at once: nothing sends meanwhile. */
	update = (g->epoch && gm.epoch != g->epoch) || g->lost;
	if (g->lost)
		g->epoch = 0;
	if (actx_group_gateway(&c, &gm, a->cfg.seq_soft_limit)) {
		/* nothing usable */
	} else if (!g->epoch) {
		if (!agent_install(a, &c)) {
			g->epoch = gm.epoch;
			g->lost = false;	/* only once it went in */
			log_info("gateway: group %s epoch %u installed (%zu members)",
				 g->name, g->epoch, gm.n_members);
		}
	} else if (!update) {
		/* nothing usable */
	} else if (!update) {
		if (!agent_install(a, &c)) {
			g->epoch = gm.epoch;
			log_info("gateway: group %s epoch %u installed (%zu members)",
				 g->name, g->epoch, gm.n_members);
		}
	} else {
		if (g->pending) {
			actx_wipe(g->pending);
			free(g->pending);
		}
		g->pending = malloc(sizeof(*g->pending));
		if (g->pending) {
			/* Moved: the pending copy owns c's recipients now. */
			*g->pending = c;
			memset(&c, 0, sizeof(c));
		}
		g->awaiting = 0;
		g->switch_at = now_ms() + SWITCH_MAX_MS;
		log_info("gateway: group %s epoch %u received; members first",
			 g->name, gm.epoch);
	}
	actx_wipe(&c);
	group_msg_wipe(&gm);
	if (g->wanted > newest(g)) {
		fetch_group(a, g);
		return;
	}
	/* Members get theirs end to end: tell them to ask. */
	for (size_t i = 0; update && i < f->n; i++) {
		struct gw_member *m = &f->m[i];

		if (!m->peer || dtls_peer_gen(m->peer) != m->gen ||
		    !dtls_peer_up(m->peer) || !in_group(m, g->name))
			continue;
		f->notified++;
		g->awaiting++;
		coap_request(a->srv_ep, m->peer, COAP_METHOD_POST, "/ga/rekey",
			     json_pack("{s:s s:i}", "group", g->name, "epoch",
				       (int)newest(g)),
			     notified, NULL);
	}
	if (g->pending && !g->awaiting)
		switch_epoch(a, g);
	ready_check(a);
}

static void try_report(struct agent *a);

static void report_done(void *arg, int code, json_t *body,
			const uint8_t *payload, size_t len)
{
	struct agent *a = arg;
	struct gateway_flow *f = a->flow;
	const char *rand = json_string_value(json_object_get(body, "rand"));
	json_t *ok = json_object_get(body, "members"), *v;
	json_t *refused = json_object_get(body, "refused");
	size_t i;

	(void)payload; (void)len;
	f->report_inflight = false;
	if (code != COAP_CODE_CHANGED || !rand || !json_is_array(ok)) {
		log_warn("gateway: outer authentication report: %s",
			 coap_code_str(code));
		for (i = 0; i < f->nbatch; i++) {
			struct gw_member *m = &f->m[f->batch[i]];

			if (m->joining)
				coap_respond(&m->join, COAP_GATEWAY_TIMEOUT,
					     error("server unavailable"));
			m->joining = false;
		}
		f->nbatch = 0;
		return;
	}
	f->reports++;
	json_array_foreach(ok, i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		const char *ksid = json_string_value(json_object_get(v, "ksid"));
		const char *grp = json_string_value(json_object_get(v, "group"));
		json_t *grps = json_object_get(v, "groups"), *gv;
		struct gw_member *m = id ? by_id(f, id) : NULL;
		size_t k;

		if (!m || !ksid || !grp)
			continue;
		/* "groups": every group of the member; "group" alone: one. */
		m->n_groups = 0;
		json_array_foreach(grps, k, gv)
			if (json_string_value(gv) &&
			    m->n_groups < CFG_MAX_MEMBER_GROUPS)
				snprintf(m->groups[m->n_groups++], CFG_MAX_ID_LEN,
					 "%s", json_string_value(gv));
		if (!m->n_groups)
			snprintf(m->groups[m->n_groups++], CFG_MAX_ID_LEN, "%s",
				 grp);
		m->reported = true;
		if (m->joining)
			coap_respond(&m->join, COAP_CODE_CHANGED,
				     json_pack("{s:s s:s s:s}", "rand", rand,
					       "ksid", ksid, "gateway", a->cfg.id));
		m->joining = false;
		for (k = 0; k < m->n_groups; k++) {
			struct gw_group *g = group(f, m->groups[k], true);

			if (g && !g->epoch)
				fetch_group(a, g);
		}
	}
	json_array_foreach(refused, i, v) {
		struct gw_member *m = json_string_value(v) ?
			by_id(f, json_string_value(v)) : NULL;

		if (!m)
			continue;
		f->refused++;
		if (m->joining)
			coap_respond(&m->join, COAP_FORBIDDEN,
				     error("the server refused this member"));
		m->joining = false;
	}
	f->nbatch = 0;
	ready_check(a);
	try_report(a);
}

/* Outer authentication: report authenticated members, a batch at a time. */
static void try_report(struct agent *a)
{
	struct gateway_flow *f = a->flow;
	json_t *ids;

	if (f->report_inflight || !a->up || !dtls_peer_up(a->up))
		return;
	ids = json_array();
	f->nbatch = 0;
	for (size_t i = 0; i < f->n && f->nbatch < REPORT_BATCH; i++) {
		if (!f->m[i].want_report)
			continue;
		f->m[i].want_report = false;
		f->batch[f->nbatch++] = i;
		json_array_append_new(ids, json_string(f->m[i].cfg->id));
	}
	if (!f->nbatch) {
		json_decref(ids);
		return;
	}
	f->report_inflight = true;
	coap_request(a->up_ep, a->up, COAP_METHOD_POST, "/ga/report",
		     json_pack("{s:s s:o}", "gateway", a->cfg.id, "members", ids),
		     report_done, a);
}

static uint8_t h_join(void *arg, const struct coap_req *req, json_t **resp)
{
	struct agent *a = arg;
	const char *why;
	struct gw_member *m = session_member(a, req, &why);

	if (!m) {
		log_warn("gateway: join from %s refused: %s",
			 dtls_peer_name(req->peer), why);
		*resp = error(why);
		return COAP_FORBIDDEN;
	}
	if (m->joining)		/* a newer request replaces the older */
		coap_respond(&m->join, COAP_UNAVAILABLE, error("superseded"));
	coap_defer(req, &m->join);
	m->joining = true;
	m->want_report = true;
	log_info("gateway: member %s authenticated (inner)", log_safe(m->cfg->id));
	try_report(a);
	return COAP_DEFERRED;
}

static void relayed(void *arg, int code, json_t *body, const uint8_t *payload,
		    size_t len)
{
	struct relay *r = arg;

	(void)payload; (void)len;
	/*
	 * A member refused its keys (a removed one) is not waited for; one
	 * that got them confirms with POST /ga/ack once they are installed.
	 */
	for (size_t k = 0; code != COAP_CODE_CHANGED && k < r->n_groups; k++) {
		struct gw_group *g = group(r->a->flow, r->groups[k], false);

		if (g && g->pending && g->awaiting && !--g->awaiting)
			switch_epoch(r->a, g);
	}
	if (code < 0)
		coap_respond(&r->d, COAP_GATEWAY_TIMEOUT, error("server did not answer"));
	else
		coap_respond(&r->d, (uint8_t)code, json_incref(body));
	free(r);
}

/* Forwards a device's request to the server and its answer back. */
static uint8_t relay(struct agent *a, const struct coap_req *req,
		     struct gw_member *m, const char *path, json_t *body,
		     json_t **resp)
{
	struct relay *r;

	if (!a->up || !dtls_peer_up(a->up) || !(r = calloc(1, sizeof(*r)))) {
		json_decref(body);
		*resp = error("server unavailable");
		return COAP_UNAVAILABLE;
	}
	coap_defer(req, &r->d);
	r->a = a;
	if (m) {
		memcpy(r->groups, m->groups, sizeof(r->groups));
		r->n_groups = m->n_groups;
	}
	((struct gateway_flow *)a->flow)->relayed++;
	coap_request(a->up_ep, a->up, COAP_METHOD_POST, path, body, relayed, r);
	return COAP_DEFERRED;
}

static uint8_t h_sr(void *arg, const struct coap_req *req, json_t **resp)
{
	struct agent *a = arg;
	const char *why, *msg = json_string_value(json_object_get(req->body, "oscore"));
	struct gw_member *m = session_member(a, req, &why);

	if (!m || !msg) {
		*resp = error(m ? "expected \"oscore\"" : why);
		return COAP_FORBIDDEN;
	}
	/* Opaque to the gateway: Ksx protects it end to end. */
	return relay(a, req, m, "/ga/sr",
		     json_pack("{s:s s:s}", "id", m->cfg->id, "oscore", msg), resp);
}

static uint8_t h_rekey_request(void *arg, const struct coap_req *req,
			       json_t **resp)
{
	struct agent *a = arg;
	struct gw_member *m = by_identity(a->flow, dtls_peer_identity(req->peer));
	const char *grp = json_string_value(json_object_get(req->body, "group"));

	if (!m || !grp || !in_group(m, grp)) {
		*resp = error("expected \"group\": one of the member's own groups");
		return COAP_FORBIDDEN;
	}
	return relay(a, req, NULL, "/ga/rekey-request", json_pack("{s:s}", "group", grp),
		     resp);
}

/* A member has installed a new epoch of its group. */
static uint8_t h_ack(void *arg, const struct coap_req *req, json_t **resp)
{
	struct agent *a = arg;
	struct gw_member *m = by_identity(a->flow, dtls_peer_identity(req->peer));
	const char *grp = json_string_value(json_object_get(req->body, "group"));
	json_t *e = json_object_get(req->body, "epoch");
	struct gw_group *g;

	(void)resp;
	if (!m || !grp || !json_is_integer(e) || !in_group(m, grp))
		return COAP_BAD_REQUEST;
	g = group(a->flow, grp, false);
	if (g && g->pending && g->awaiting &&
	    g->pending->epoch == (uint32_t)json_integer_value(e) &&
	    !--g->awaiting)
		switch_epoch(a, g);
	return COAP_CODE_CHANGED;
}

static uint8_t h_status(void *arg, const struct coap_req *req, json_t **resp)
{
	struct agent *a = arg;

	(void)req;
	*resp = json_pack("{s:s s:s s:b}", "role", "gateway", "id", a->cfg.id,
			  "server", a->up && dtls_peer_up(a->up));
	return COAP_CODE_CONTENT;
}

static uint8_t h_group_update(void *arg, const struct coap_req *req,
			      json_t **resp)
{
	struct agent *a = arg;
	const char *name = json_string_value(json_object_get(req->body, "name"));
	json_t *e = json_object_get(req->body, "epoch");
	struct gw_group *g;

	(void)resp;
	if (!name || !json_is_integer(e))
		return COAP_BAD_REQUEST;
	g = group(a->flow, name, false);
	if (!g)
		return COAP_CODE_CHANGED;	/* no member of ours in it */
	g->wanted = (uint32_t)json_integer_value(e);
	if (g->wanted != newest(g))
		fetch_group(a, g);
	return COAP_CODE_CHANGED;
}

static void up_established(void *arg, struct dtls_peer *p)
{
	(void)p;
	try_report(arg);
}

static void rekey_requested(void *arg, int code, json_t *body,
			    const uint8_t *payload, size_t len)
{
	(void)arg; (void)body; (void)payload; (void)len;
	log_info("gateway: rekey request answered %s", coap_code_str(code));
}

static void gw_seq_limit(struct agent *a, struct actx *c)
{
	if (c->kind != ACTX_GROUP || !a->up || !dtls_peer_up(a->up))
		return;
	log_info("gateway: %s near its sequence limit: asking for a rekey", c->name);
	coap_request(a->up_ep, a->up, COAP_METHOD_POST, "/ga/rekey-request",
		     json_pack("{s:s}", "group", c->name + strlen("group:")),
		     rekey_requested, NULL);
}

/*
 * A group context of this gateway is gone from the kernel, its sequence
 * with it: the group is fetched as after a restart, so the server gives
 * it a new epoch.
 */
static void gw_keys_lost(struct agent *a, struct actx *c)
{
	struct gw_group *g = c->kind == ACTX_GROUP ?
			     group(a->flow, c->name + strlen("group:"), false) :
			     NULL;

	if (!g)
		return;
	log_warn("gateway: %s lost: asking for a new epoch", c->name);
	if (g->pending) {		/* older than what comes next */
		actx_wipe(g->pending);
		free(g->pending);
		g->pending = NULL;
		g->awaiting = 0;
	}
	g->lost = true;
	if (c->epoch > g->lost_epoch)
		g->lost_epoch = c->epoch;
	if (g->epoch > g->lost_epoch)
		g->lost_epoch = g->epoch;
	g->served_before = false;
	g->refetch = (struct backoff){ .first_ms = REFETCH_MS,
				       .max_ms = REFETCH_MAX_MS };
	g->refetch_at = now_ms();
	fetch_group(a, g);
}

static const struct coap_route routes[] = {
	{ COAP_METHOD_POST, "/ga/join", h_join },
	{ COAP_METHOD_POST, "/ga/sr", h_sr },
	{ COAP_METHOD_POST, "/ga/rekey-request", h_rekey_request },
	{ COAP_METHOD_POST, "/ga/ack", h_ack },
	{ COAP_METHOD_GET, "/status", h_status },
	{ 0 }
};

static const struct coap_route up_routes[] = {
	{ COAP_METHOD_POST, "/ga/group-update", h_group_update },
	{ 0 }
};

static const struct coap_ep_hooks hooks = { .psk = gw_psk, .closed = gw_closed };
static const struct coap_ep_hooks up_hooks = {
	.established = up_established,
	.timeout = agent_upstream_timeout,
};

static int gateway_init(struct agent *a, char *err, size_t errlen)
{
	struct gateway_flow *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	a->flow = f;
	f->m = calloc(a->cfg.n_members, sizeof(*f->m));
	if (!f->m)
		return -1;
	f->n = a->cfg.n_members;
	for (size_t i = 0; i < f->n; i++) {
		f->m[i].cfg = &a->cfg.members[i];
		if (ks_normalize_id(a->cfg.members[i].id, f->m[i].norm,
				    sizeof(f->m[i].norm)) < 0) {
			snprintf(err, errlen, "%s: members[%zu].id: expected valid UTF-8",
				 a->cfg.path, i);
			return -1;
		}
	}
	return 0;
}

static void gateway_tick(struct agent *a, uint64_t now)
{
	struct gateway_flow *f = a->flow;

	for (size_t i = 0; i < f->ng; i++) {
		if (f->g[i].pending && now >= f->g[i].switch_at)
			switch_epoch(a, &f->g[i]);
		/* A lost group is asked for until a newer epoch came. */
		if (f->g[i].lost && !f->g[i].fetching &&
		    now >= f->g[i].refetch_at) {
			f->g[i].refetch_at = now + backoff_next(&f->g[i].refetch);
			fetch_group(a, &f->g[i]);
		}
	}
	try_report(a);
}

static uint64_t gateway_next(struct agent *a)
{
	struct gateway_flow *f = a->flow;
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < f->ng; i++) {
		if (f->g[i].pending && f->g[i].switch_at < next)
			next = f->g[i].switch_at;
		if (f->g[i].lost && f->g[i].refetch_at < next)
			next = f->g[i].refetch_at;
	}
	/* A report to send as soon as the session allows. */
	if (!f->report_inflight && a->up && dtls_peer_up(a->up))
		for (size_t i = 0; i < f->n; i++)
			if (f->m[i].want_report)
				return 0;
	return next;
}

/*
 * SIGHUP: the members follow the file.  A member kept keeps its session
 * and state; a removed one can no longer join, report or relay (its
 * credential is gone; a join it was waiting on is refused); a new one can
 * join.  Endpoints and the server credential need a restart.
 */
static int gateway_reload(struct agent *a, struct agent_config *cfg,
			  char *err, size_t errlen)
{
	struct gateway_flow *f = a->flow;
	struct gw_member *m = calloc(cfg->n_members ? cfg->n_members : 1,
				     sizeof(*m));
	size_t nb = 0, added = 0, removed = 0;
	struct cfg_member *tmp_members;
	size_t tmp_n;

	if (!m) {
		snprintf(err, errlen, "gateway: out of memory");
		return -1;
	}
	for (size_t i = 0; i < cfg->n_members; i++) {
		if (ks_normalize_id(cfg->members[i].id, m[i].norm,
				    sizeof(m[i].norm)) < 0) {
			snprintf(err, errlen, "%s: members[%zu].id: expected valid UTF-8",
				 cfg->path, i);
			free(m);
			return -1;
		}
	}
	/* A report in flight names members by index: renumber them. */
	for (size_t b = 0; b < f->nbatch; b++) {
		const char *id = f->m[f->batch[b]].cfg->id;

		for (size_t i = 0; i < cfg->n_members; i++)
			if (!strcmp(cfg->members[i].id, id))
				f->batch[nb++] = i;
	}
	f->nbatch = nb;
	for (size_t i = 0; i < cfg->n_members; i++) {
		char norm[CFG_MAX_ID_LEN];

		memcpy(norm, m[i].norm, sizeof(norm));
		for (size_t j = 0; j < f->n; j++) {
			if (!f->m[j].cfg ||
			    strcmp(f->m[j].cfg->id, cfg->members[i].id))
				continue;
			m[i] = f->m[j];
			f->m[j].cfg = NULL;	/* taken */
			break;
		}
		if (!m[i].cfg)
			added++;
		memcpy(m[i].norm, norm, sizeof(norm));
		m[i].cfg = &cfg->members[i];
	}
	for (size_t j = 0; j < f->n; j++) {
		if (!f->m[j].cfg)
			continue;
		removed++;
		log_info("gateway: member %s removed", log_safe(f->m[j].cfg->id));
		if (f->m[j].joining)
			coap_respond(&f->m[j].join, COAP_FORBIDDEN,
				     error("no longer a member of this gateway"));
	}
	free(f->m);
	f->m = m;
	f->n = cfg->n_members;
	/* The agent keeps the new members; @cfg takes the old ones away. */
	tmp_members = a->cfg.members;
	tmp_n = a->cfg.n_members;
	a->cfg.members = cfg->members;
	a->cfg.n_members = cfg->n_members;
	cfg->members = tmp_members;
	cfg->n_members = tmp_n;
	log_info("gateway: members reloaded: %zu (%zu added, %zu removed)",
		 f->n, added, removed);
	try_report(a);
	return 0;
}

static void gateway_stats(struct agent *a, json_t *o)
{
	struct gateway_flow *f = a->flow;
	size_t reported = 0;

	for (size_t i = 0; i < f->n; i++)
		reported += f->m[i].reported;
	json_object_set_new(o, "gateway", json_pack(
		"{sI sI sI sI sI si}", "reports", (json_int_t)f->reports,
		"reported", (json_int_t)reported, "relayed", (json_int_t)f->relayed,
		"refused", (json_int_t)f->refused,
		"notified", (json_int_t)f->notified, "groups", (int)f->ng));
}

static void gateway_fini(struct agent *a)
{
	struct gateway_flow *f = a->flow;

	if (!f)
		return;
	for (size_t i = 0; i < f->ng; i++)
		if (f->g[i].pending) {
			actx_wipe(f->g[i].pending);
			free(f->g[i].pending);
		}
	free(f->m);
	free(f->g);
	free(f);
	a->flow = NULL;
}

const struct role_ops gateway_role = {
	.server_routes = routes,
	.upstream_routes = up_routes,
	.server_hooks = &hooks,
	.upstream_hooks = &up_hooks,
	.init = gateway_init,
	.tick = gateway_tick,
	.next = gateway_next,
	.seq_limit = gw_seq_limit,
	.keys_lost = gw_keys_lost,
	.reload = gateway_reload,
	.stats = gateway_stats,
	.fini = gateway_fini,
};
