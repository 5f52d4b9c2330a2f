// SPDX-License-Identifier: GPL-2.0
/*
 * The server role (TR-0012 Entity C, IN-CSE): answers the gateway's outer
 * authentication report with a fresh Rand and derives each member's Ksx,
 * verifies members' Service Requests under Ksx, and issues group keying
 * material (to members end to end, to gateways over their sessions).
 * Keeps everything in the registry.
 *
 * Resources (coaps, JSON bodies; only gateways have credentials here):
 *   POST /ga/report   {"gateway", "members": [IdAx...]}
 *                  -> {"rand", "members": [{"id","ksid","group"}], "refused"}
 *   POST /ga/sr       {"id", "oscore": hex}  -> {"oscore": hex}
 *   POST /ga/group    {"name", "restart"}    -> group material, members' IDs
 *   POST /ga/rekey-request {"group"}
 *   GET  /status
 * and to gateways: POST /ga/group-update {"name", "epoch"}.
 */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>

#include "agent/agent.h"
#include "agent/e2e.h"
#include "agent/log.h"
#include "agent/registry.h"

#define REPORT_MAX	16

struct server_flow {
	struct registry *reg;
	uint64_t next_rekey;
	uint64_t reports, issued, sr_ok, sr_failed, sr_replays, rekeys,
		 refused;
	size_t pending_n;
	char (*pending)[CFG_MAX_ID_LEN];	/* groups to announce */
};

static const struct cfg_gateway *gw_by_identity(struct agent *a,
						const char *identity)
{
	for (size_t i = 0; i < a->cfg.n_gateways; i++)
		if (!strcmp(a->cfg.gateways[i].cred.identity, identity))
			return &a->cfg.gateways[i];
	return NULL;
}

static const struct cfg_member *member_cfg(struct agent *a, const char *id)
{
	for (size_t i = 0; i < a->cfg.n_members; i++)
		if (!strcmp(a->cfg.members[i].id, id))
			return &a->cfg.members[i];
	return NULL;
}

static const struct psk_cred *srv_psk(void *arg, const char *identity)
{
	const struct cfg_gateway *g = gw_by_identity(arg, identity);

	return g ? &g->cred : NULL;
}

static json_t *error(const char *msg)
{
	return json_pack("{s:s}", "error", msg);
}

static void ignore_answer(void *arg, int code, json_t *body,
			  const uint8_t *payload, size_t len)
{
	(void)arg; (void)body; (void)payload; (void)len;
	if (code < 0)
		log_debug("server: group update not acknowledged");
}

/* Tells every connected gateway that @group has new keying material. */
static void announce(struct agent *a, const char *group)
{
	struct server_flow *f = a->flow;
	struct reg_group g;

	if (registry_group_get(f->reg, group, &g))
		return;
	for (size_t i = 0; i < a->cfg.n_gateways; i++) {
		struct dtls_peer *p = dtls_server_find(a->srv,
						       a->cfg.gateways[i].cred.identity);

		if (p)
			coap_request(a->srv_ep, p, COAP_METHOD_POST,
				     "/ga/group-update",
				     json_pack("{s:s s:i}", "name", group,
					       "epoch", (int)g.epoch),
				     ignore_answer, NULL);
	}
	mbedtls_platform_zeroize(&g, sizeof(g));
}

static void rekeyed(void *arg, const char *group)
{
	struct agent *a = arg;
	struct server_flow *f = a->flow;

	f->rekeys++;
	announce(a, group);
}

static int rekey(struct agent *a, const char *group)
{
	struct server_flow *f = a->flow;

	if (registry_group_rekey(f->reg, group, &a->drbg, a->cfg.grace_s))
		return -1;
	rekeyed(a, group);
	return 0;
}

static uint8_t h_report(void *arg, const struct coap_req *req, json_t **resp)
{
	struct agent *a = arg;
	struct server_flow *f = a->flow;
	const struct cfg_gateway *gw = gw_by_identity(a, dtls_peer_identity(req->peer));
	json_t *ids = json_object_get(req->body, "members"), *v;
	json_t *ok = json_array(), *refused = json_array();
	uint8_t rand[KS_RAND_LEN], ks[KS_LEN];
	char hex[2 * KS_RAND_LEN + 1];
	size_t i;

	if (!gw || !json_is_array(ids) || !json_array_size(ids) ||
	    json_array_size(ids) > REPORT_MAX) {
		json_decref(ok);
		json_decref(refused);
		*resp = error("expected \"members\": an array of 1 to 16 member IDs");
		return COAP_BAD_REQUEST;
	}
	/* A fresh Rand for every report: never a Ks from an old Rand. */
	if (agent_random(a, rand, sizeof(rand)) || registry_begin(f->reg)) {
		json_decref(ok);
		json_decref(refused);
		return COAP_INTERNAL;
	}
	f->reports++;
	json_array_foreach(ids, i, v) {
		const char *id = json_string_value(v);
		const struct cfg_member *cm = id ? member_cfg(a, id) : NULL;
		struct reg_member m;
		struct actx c;

		if (!cm || registry_member_get(f->reg, id, &m) ||
		    ks_derive(cm->cred.key, cm->cred.key_len, id, rand, ks) ||
		    registry_member_issue(f->reg, id, gw->id, rand, ks)) {
			f->refused++;
			log_warn("server: gateway %s reported unknown member \"%s\"",
				 log_safe(gw->id), log_safe(id));
			json_array_append_new(refused, json_string(id ? id : ""));
			continue;
		}
		if (!actx_pairwise(&c, id, ks, m.ksid, true, a->cfg.seq_soft_limit))
			agent_install(a, &c);
		actx_wipe(&c);
		f->issued++;
		json_array_append_new(ok, json_pack("{s:s s:s s:s}", "id", id,
						    "ksid", m.ksid, "group",
						    m.group));
		mbedtls_platform_zeroize(&m, sizeof(m));
	}
	registry_commit(f->reg);
	mbedtls_platform_zeroize(ks, sizeof(ks));
	hex_encode(rand, sizeof(rand), hex);
	*resp = json_pack("{s:s s:o s:o}", "rand", hex, "members", ok,
			  "refused", refused);
	log_info("server: gateway %s authenticated %zu member(s), %zu refused",
		 log_safe(gw->id), json_array_size(ok), json_array_size(refused));
	return COAP_CODE_CHANGED;
}

static uint8_t h_sr(void *arg, const struct coap_req *req, json_t **resp)
{
	struct agent *a = arg;
	struct server_flow *f = a->flow;
	const struct cfg_gateway *gw = gw_by_identity(a, dtls_peer_identity(req->peer));
	const char *id = json_string_value(json_object_get(req->body, "id"));
	const char *hexmsg = json_string_value(json_object_get(req->body, "oscore"));
	uint8_t pkt[E2E_MAX_MSG], out[E2E_MAX_MSG];
	char path[32], outhex[2 * E2E_MAX_MSG + 1], *text;
	const uint8_t *pl;
	struct oscore_binding b;
	struct reg_member m;
	struct reg_group g;
	struct group_msg gm;
	struct e2e e;
	json_t *inner;
	uint64_t seq;
	size_t plen;
	int n, rc;

	if (!gw || !id || !hexmsg) {
		*resp = error("expected \"id\" and \"oscore\"");
		return COAP_BAD_REQUEST;
	}
	if (registry_member_get(f->reg, id, &m) || !m.issued ||
	    strcmp(m.gateway, gw->id)) {
		f->sr_failed++;
		log_warn("server: service request for \"%s\" via %s: no Ks issued through this gateway",
			 log_safe(id), log_safe(gw->id));
		*resp = error("no Ks issued to this member through this gateway");
		return COAP_FORBIDDEN;
	}
	n = hex_decode(hexmsg, pkt, sizeof(pkt));
	if (n <= 0 || e2e_init(&e, m.ks, m.ksid, true)) {
		mbedtls_platform_zeroize(&m, sizeof(m));
		*resp = error("expected an OSCORE message as hex");
		return COAP_BAD_REQUEST;
	}
	rc = e2e_unprotect_request(&e, pkt, (size_t)n, m.sr_seq, &b, &seq, path,
				   sizeof(path), &pl, &plen);
	inner = rc ? NULL : json_loadb((const char *)pl, plen, 0, NULL);
	if (rc || strcmp(path, "/sr") || !inner ||
	    !json_string_value(json_object_get(inner, "id")) ||
	    strcmp(json_string_value(json_object_get(inner, "id")), id)) {
		if (rc == -2)
			f->sr_replays++;
		else
			f->sr_failed++;
		log_warn("server: service request of \"%s\" %s", log_safe(id),
			 rc == -2 ? "replayed" : "did not verify");
		json_decref(inner);
		e2e_free(&e);
		mbedtls_platform_zeroize(&m, sizeof(m));
		*resp = error(rc == -2 ? "replay" : "service request did not verify");
		return COAP_UNAUTHORIZED;
	}
	json_decref(inner);
	registry_begin(f->reg);
	registry_member_set_sr_seq(f->reg, id, (int64_t)seq);
	registry_group_get(f->reg, m.group, &g);
	if (m.issued_epoch && m.issued_epoch == g.epoch) {
		/*
		 * It had this epoch's keys already: it restarted, and its
		 * sender sequence with them.  New keys, not a reused nonce.
		 */
		registry_group_rekey(f->reg, m.group, &a->drbg, a->cfg.grace_s);
		registry_group_get(f->reg, m.group, &g);
		f->rekeys++;
		f->pending = realloc(f->pending, (f->pending_n + 1) * sizeof(*f->pending));
		if (f->pending)
			snprintf(f->pending[f->pending_n++], CFG_MAX_ID_LEN, "%s", m.group);
	}
	registry_member_set_issued_epoch(f->reg, id, g.epoch);
	registry_commit(f->reg);

	memset(&gm, 0, sizeof(gm));
	snprintf(gm.name, sizeof(gm.name), "%s", g.name);
	gm.epoch = g.epoch;
	gm.alg = g.alg;
	memcpy(gm.gid, g.gid, GID_LEN);
	memcpy(gm.secret, g.secret, g.secret_len);
	gm.secret_len = g.secret_len;
	memcpy(gm.salt, g.salt, SALT_LEN);
	memcpy(gm.sid, m.sid, m.sid_len);
	gm.sid_len = m.sid_len;
	inner = json_pack("{s:[o]}", "groups", group_msg_to_json(&gm));
	text = json_dumps(inner, JSON_COMPACT);
	json_decref(inner);
	n = text ? e2e_protect_response(&e, &b, COAP_CODE_CHANGED, text, out,
					sizeof(out)) : -1;
	if (text) {
		mbedtls_platform_zeroize(text, strlen(text));
		free(text);
	}
	e2e_free(&e);
	group_msg_wipe(&gm);
	mbedtls_platform_zeroize(&g, sizeof(g));
	mbedtls_platform_zeroize(&m, sizeof(m));
	if (n < 0)
		return COAP_INTERNAL;
	hex_encode(out, (size_t)n, outhex);
	f->sr_ok++;
	*resp = json_pack("{s:s}", "oscore", outhex);
	log_info("server: service request of \"%s\" verified; group keys sent end to end",
		 log_safe(id));
	if (f->sr_ok >= a->cfg.n_members)
		agent_ready(a);
	return COAP_CODE_CHANGED;
}

struct collect {
	struct group_msg *gm;
	size_t total;
};

static int collect_sid(void *arg, const struct reg_member *m)
{
	struct collect *c = arg;

	c->total++;
	if (c->gm->n_members < COAPSEC_MAX_RECIPIENTS) {
		memcpy(c->gm->member_sid[c->gm->n_members], m->sid, m->sid_len);
		c->gm->member_sid_len[c->gm->n_members++] = m->sid_len;
	}
	return 0;
}

static uint8_t h_group(void *arg, const struct coap_req *req, json_t **resp)
{
	struct agent *a = arg;
	struct server_flow *f = a->flow;
	const struct cfg_gateway *gw = gw_by_identity(a, dtls_peer_identity(req->peer));
	const char *name = json_string_value(json_object_get(req->body, "name"));
	bool restart = json_is_true(json_object_get(req->body, "restart"));
	struct group_msg gm;
	struct collect c = { .gm = &gm };
	struct reg_group g;

	if (!gw || !name) {
		*resp = error("expected \"name\"");
		return COAP_BAD_REQUEST;
	}
	if (registry_group_get(f->reg, name, &g)) {
		*resp = error("no such group");
		return COAP_NOT_FOUND;
	}
	/* A restarted gateway's sender sequence starts over: new keys. */
	if (restart && registry_served_epoch(f->reg, gw->id, name) == g.epoch) {
		rekey(a, name);
		registry_group_get(f->reg, name, &g);
	}
	memset(&gm, 0, sizeof(gm));
	snprintf(gm.name, sizeof(gm.name), "%s", g.name);
	gm.epoch = g.epoch;
	gm.alg = g.alg;
	memcpy(gm.gid, g.gid, GID_LEN);
	memcpy(gm.secret, g.secret, g.secret_len);
	gm.secret_len = g.secret_len;
	memcpy(gm.salt, g.salt, SALT_LEN);
	registry_group_members(f->reg, name, collect_sid, &c);
	if (c.total > COAPSEC_MAX_RECIPIENTS)
		log_warn("server: group %s has %zu members; the gateway's context verifies the first %d",
			 name, c.total, COAPSEC_MAX_RECIPIENTS);
	registry_set_served_epoch(f->reg, gw->id, name, g.epoch);
	*resp = c.total ? group_msg_to_json(&gm) : NULL;
	group_msg_wipe(&gm);
	mbedtls_platform_zeroize(&g, sizeof(g));
	if (!*resp) {
		*resp = error("group has no members");
		return COAP_NOT_FOUND;
	}
	return COAP_CODE_CONTENT;
}

static uint8_t h_rekey_request(void *arg, const struct coap_req *req,
			       json_t **resp)
{
	struct agent *a = arg;
	const char *name = json_string_value(json_object_get(req->body, "group"));
	struct reg_group g;

	(void)resp;
	if (!name || registry_group_get(((struct server_flow *)a->flow)->reg,
					name, &g))
		return COAP_NOT_FOUND;
	mbedtls_platform_zeroize(&g, sizeof(g));
	log_info("server: rekey of %s requested by %s", log_safe(name),
		 dtls_peer_name(req->peer));
	return rekey(a, name) ? COAP_INTERNAL : COAP_CODE_CHANGED;
}

static uint8_t h_status(void *arg, const struct coap_req *req, json_t **resp)
{
	struct agent *a = arg;

	(void)req;
	*resp = json_pack("{s:s s:s}", "role", "server", "id", a->cfg.id);
	return COAP_CODE_CONTENT;
}

static const struct coap_route routes[] = {
	{ COAP_METHOD_POST, "/ga/report", h_report },
	{ COAP_METHOD_POST, "/ga/sr", h_sr },
	{ COAP_METHOD_POST, "/ga/group", h_group },
	{ COAP_METHOD_POST, "/ga/rekey-request", h_rekey_request },
	{ COAP_METHOD_GET, "/status", h_status },
	{ 0 }
};

static const struct coap_ep_hooks hooks = { .psk = srv_psk };

static int server_init(struct agent *a, char *err, size_t errlen)
{
	struct server_flow *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	a->flow = f;
	f->reg = registry_open(a->cfg.db, err, errlen);
	if (!f->reg)
		return -1;
	if (registry_sync(f->reg, &a->cfg, &a->drbg, NULL, NULL)) {
		snprintf(err, errlen, "%s: registry update failed", a->cfg.db);
		return -1;
	}
	if (a->cfg.rekey_interval_s)
		f->next_rekey = now_ms() + 1000ull * a->cfg.rekey_interval_s;
	log_info("server: registry %s: %d member(s)", a->cfg.db,
		 registry_member_count(f->reg));
	return 0;
}

static int rekey_one(void *arg, const struct reg_group *g)
{
	struct agent *a = arg;
	struct server_flow *f = a->flow;

	f->pending = realloc(f->pending, (f->pending_n + 1) * sizeof(*f->pending));
	if (f->pending)
		snprintf(f->pending[f->pending_n++], CFG_MAX_ID_LEN, "%s", g->name);
	return 0;
}

static void server_tick(struct agent *a, uint64_t now)
{
	struct server_flow *f = a->flow;

	if (f->next_rekey && now >= f->next_rekey) {
		f->next_rekey = now + 1000ull * a->cfg.rekey_interval_s;
		log_info("server: timed rekey of every group");
		registry_groups(f->reg, rekey_one, a);
		for (size_t i = 0; i < f->pending_n; i++) {
			registry_group_rekey(f->reg, f->pending[i], &a->drbg,
					     a->cfg.grace_s);
			f->rekeys++;
		}
	}
	/* Announcements after the handler that rekeyed has answered. */
	for (size_t i = 0; i < f->pending_n; i++)
		announce(a, f->pending[i]);
	f->pending_n = 0;
}

static void server_reload(struct agent *a, struct agent_config *cfg)
{
	struct server_flow *f = a->flow;
	struct agent_config old = a->cfg;

	/* Members, gateways and groups follow the file; endpoints do not. */
	a->cfg.members = cfg->members;
	a->cfg.n_members = cfg->n_members;
	a->cfg.gateways = cfg->gateways;
	a->cfg.n_gateways = cfg->n_gateways;
	a->cfg.groups = cfg->groups;
	a->cfg.n_groups = cfg->n_groups;
	cfg->members = old.members;
	cfg->n_members = old.n_members;
	cfg->gateways = old.gateways;
	cfg->n_gateways = old.n_gateways;
	cfg->groups = old.groups;
	cfg->n_groups = old.n_groups;
	if (registry_sync(f->reg, &a->cfg, &a->drbg, rekeyed, a))
		log_err("server: registry update failed");
}

static void server_stats(struct agent *a, json_t *o)
{
	struct server_flow *f = a->flow;

	json_object_set_new(o, "server", json_pack(
		"{si sI sI sI sI sI sI sI}",
		"members", registry_member_count(f->reg),
		"reports", (json_int_t)f->reports, "issued", (json_int_t)f->issued,
		"refused", (json_int_t)f->refused, "sr_ok", (json_int_t)f->sr_ok,
		"sr_failed", (json_int_t)f->sr_failed,
		"sr_replays", (json_int_t)f->sr_replays,
		"rekeys", (json_int_t)f->rekeys));
}

static void server_fini(struct agent *a)
{
	struct server_flow *f = a->flow;

	if (!f)
		return;
	registry_close(f->reg);
	free(f->pending);
	free(f);
	a->flow = NULL;
}

const struct role_ops server_role = {
	.server_routes = routes,
	.server_hooks = &hooks,
	.init = server_init,
	.tick = server_tick,
	.reload = server_reload,
	.stats = server_stats,
	.fini = server_fini,
};
