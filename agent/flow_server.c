// SPDX-License-Identifier: GPL-2.0
/*
 * The server role (TR-0012 Entity C, IN-CSE): answers the gateway's outer
 * authentication report with a fresh Rand and derives each member's Ksx,
 * verifies members' Service Requests under Ksx, and issues group keying
 * material (to members end to end, to gateways over their sessions).
 * Keeps everything in the registry.
 *
 * A gateway acts only for the members that members[].gateways binds to it
 * (TR-0012 8.2.1: the server maps each MN to its Entity): its reports of
 * other members, its fetches and rekey requests of groups it serves no
 * member of are refused, logged and counted ("unauthorized").  Member IDs
 * are compared after NFKC, as Ks derivation uses them.
 *
 * Resources (coaps, JSON bodies; only gateways have credentials here):
 *   POST /ga/report   {"gateway", "members": [IdAx...]}
 *                  -> {"rand", "members": [{"id","ksid","group"}], "refused"}
 *   POST /ga/sr       {"id", "oscore": hex}  -> {"oscore": hex}
 *                     (OSCORE under Ksx, ID context KsxId "/sr": e2e.h)
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
#include "agent/ks.h"
#include "agent/log.h"
#include "agent/registry.h"
#include "codec/oscore_cred.h"

#define REPORT_MAX	16
/* How often the registry is read for rekeys made by other instances. */
#define EPOCH_POLL_MS	1000

struct server_flow {
	struct registry *reg;
	uint64_t next_rekey;
	uint64_t reports, issued, sr_ok, sr_failed, sr_replays, rekeys,
		 refused, unauthorized;
	/* Rekey requests folded into one rekey (rekey_min_interval_s). */
	uint64_t rekeys_deferred;
	/* Issued Ks forgotten at start: no checkpoint of their sequence. */
	uint64_t ks_revoked;
	/* Credentials refused at registration (not a usable CCS). */
	uint64_t cred_refused;
	size_t pending_n;
	char (*pending)[CFG_MAX_ID_LEN];	/* groups to announce */
	/* Each group's epoch as last announced (or found) by this instance:
	 * another instance sharing the registry may rekey a group, and
	 * this one then tells its own gateways. */
	struct known_epoch {
		char name[CFG_MAX_ID_LEN];
		uint32_t epoch;
		/* now_ms() when the epoch last changed; a rekey request
		 * before rekey_min_interval_s after it is due then. */
		uint64_t changed_at, rekey_due;
	} *known;
	size_t known_n;
	uint64_t next_poll;
};

/* @group's entry in f->known, added when new; NULL when out of memory. */
static struct known_epoch *known(struct server_flow *f, const char *group)
{
	struct known_epoch *k;

	for (size_t i = 0; i < f->known_n; i++)
		if (!strcmp(f->known[i].name, group))
			return &f->known[i];
	k = realloc(f->known, (f->known_n + 1) * sizeof(*k));
	if (!k)
		return NULL;
	f->known = k;
	k = &f->known[f->known_n++];
	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%s", group);
	return k;
}

static const struct cfg_gateway *gw_by_identity(struct agent *a,
						const char *identity)
{
	for (size_t i = 0; i < a->cfg.n_gateways; i++)
		if (!strcmp(a->cfg.gateways[i].cred.identity, identity))
			return &a->cfg.gateways[i];
	return NULL;
}

/* The configured member whose ID is NFKC-equal to @id; @norm gets NFKC(@id). */
static const struct cfg_member *member_cfg(struct agent *a, const char *id,
					   char norm[CFG_MAX_ID_LEN])
{
	norm[0] = 0;
	if (!id || ks_normalize_id(id, norm, CFG_MAX_ID_LEN) < 0)
		return NULL;
	return cfg_member_by_norm(&a->cfg, norm);
}

/* Logs and counts a request of @gw for what it does not serve. */
static void unauthorized(struct agent *a, const struct cfg_gateway *gw,
			 const char *what, const char *name)
{
	struct server_flow *f = a->flow;

	f->unauthorized++;
	log_warn("server: gateway %s refused: %s \"%s\" is not served by it (members[].gateways)",
		 log_safe(gw->id), what, log_safe(name));
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
	struct known_epoch *k;
	struct reg_group g;

	if (registry_group_get(f->reg, group, &g))
		return;
	k = known(f, group);
	if (k && k->epoch != g.epoch) {
		k->epoch = g.epoch;
		k->changed_at = now_ms();
		k->rekey_due = 0;	/* a request waiting for it is served */
	}
	for (size_t i = 0; i < a->cfg.n_gateways; i++) {
		struct dtls_peer *p;

		/* Only the gateways that serve it hear of it. */
		if (!cfg_gateway_serves_group(&a->cfg, a->cfg.gateways[i].id,
					      group))
			continue;
		p = dtls_server_find(a->srv, a->cfg.gateways[i].cred.identity);
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

/*
 * Queues @group to be announced to the gateways once the handler that
 * rekeyed it has answered.  0, or -1 when out of memory (logged).
 */
static int queue_announce(struct server_flow *f, const char *group)
{
	char (*p)[CFG_MAX_ID_LEN];

	for (size_t i = 0; i < f->pending_n; i++)
		if (!strcmp(f->pending[i], group))
			return 0;
	p = realloc(f->pending, (f->pending_n + 1) * sizeof(*p));
	if (!p) {
		log_err("server: out of memory: the gateways do not hear of group %s's new epoch",
			log_safe(group));
		return -1;
	}
	f->pending = p;
	snprintf(f->pending[f->pending_n++], CFG_MAX_ID_LEN, "%s", group);
	return 0;
}

/* A member's groups, as registry_member_groups() lists them. */
struct member_groups {
	struct reg_member v[CFG_MAX_MEMBER_GROUPS];
	size_t n;
};

static int collect_group(void *arg, const struct reg_member *m)
{
	struct member_groups *mg = arg;

	if (mg->n == CFG_MAX_MEMBER_GROUPS)
		return 1;
	mg->v[mg->n++] = *m;
	return 0;
}

/* The answer to a request whose registry transaction failed. */
static uint8_t registry_failed(json_t **resp)
{
	*resp = error("registry update failed; nothing was changed");
	return COAP_INTERNAL;
}

static uint8_t h_report(void *arg, const struct coap_req *req, json_t **resp)
{
	struct agent *a = arg;
	struct server_flow *f = a->flow;
	const struct cfg_gateway *gw = gw_by_identity(a, dtls_peer_identity(req->peer));
	json_t *ids = json_object_get(req->body, "members"), *v;
	json_t *ok = NULL, *refused = NULL;
	uint8_t rand[KS_RAND_LEN], ks[KS_LEN], code;
	char hex[2 * KS_RAND_LEN + 1], norm[CFG_MAX_ID_LEN];
	struct member_groups mg;
	struct reg_member m;
	json_t *grps;
	bool in_tx = false;
	size_t i;

	memset(&m, 0, sizeof(m));
	memset(ks, 0, sizeof(ks));
	if (!gw || !json_is_array(ids) || !json_array_size(ids) ||
	    json_array_size(ids) > REPORT_MAX) {
		*resp = error("expected \"members\": an array of 1 to 16 member IDs");
		code = COAP_BAD_REQUEST;
		goto out;
	}
	ok = json_array();
	refused = json_array();
	/* A fresh Rand for every report: never a Ks from an old Rand. */
	if (!ok || !refused || agent_random(a, rand, sizeof(rand))) {
		code = COAP_INTERNAL;
		goto out;
	}
	if (registry_begin(f->reg)) {
		code = registry_failed(resp);
		goto out;
	}
	in_tx = true;
	f->reports++;
	json_array_foreach(ids, i, v) {
		const char *id = json_string_value(v);
		const struct cfg_member *cm = member_cfg(a, id, norm);
		int rc = cm ? registry_member_get(f->reg, norm, &m) : 1;

		if (rc > 0) {
			f->refused++;
			log_warn("server: gateway %s reported unknown member \"%s\"",
				 log_safe(gw->id), log_safe(id));
			json_array_append_new(refused, json_string(id ? id : ""));
			continue;
		}
		/* Not its member: no new Rand, the member's Ks stays. */
		if (!rc && !cfg_member_served_by(&a->cfg, cm, gw->id)) {
			f->refused++;
			unauthorized(a, gw, "report of member", id);
			json_array_append_new(refused, json_string(id));
			continue;
		}
		if (rc < 0 || ks_derive(cm->cred.key, cm->cred.key_len, norm, rand, ks) ||
		    registry_member_issue(f->reg, norm, gw->id, rand, ks)) {
			log_err("server: report of gateway %s: cannot issue a Ks to \"%s\"; nothing issued",
				log_safe(gw->id), log_safe(id));
			code = registry_failed(resp);
			goto out;
		}
		/* Its groups: the gateway serves each of their contexts. */
		mg.n = 0;
		if (registry_member_groups(f->reg, norm, collect_group, &mg) ||
		    !mg.n) {
			log_err("server: report of gateway %s: member \"%s\" has no group in the registry; nothing issued",
				log_safe(gw->id), log_safe(id));
			code = registry_failed(resp);
			goto out;
		}
		grps = json_array();
		for (size_t k = 0; grps && k < mg.n; k++)
			json_array_append_new(grps, json_string(mg.v[k].group));
		/* "group": the first, for gateways that know of one only. */
		json_array_append_new(ok, json_pack("{s:s s:s s:s s:o}", "id", id,
						    "ksid", m.ksid, "group",
						    mg.v[0].group, "groups",
						    grps));
	}
	in_tx = false;
	if (registry_commit(f->reg)) {
		code = registry_failed(resp);
		goto out;
	}
	/* The pairwise contexts hold what the registry now holds. */
	json_array_foreach(ok, i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		const struct cfg_member *cm = member_cfg(a, id, norm);
		struct actx c;

		memset(&c, 0, sizeof(c));
		/* Named by NFKC(IdAx), as the registry keys it (config.c
		 * spells policies' "pairwise:ID" the same way). */
		if (cm && !registry_member_get(f->reg, norm, &m) &&
		    !actx_pairwise(&c, norm, m.ks, m.ksid, true,
				   a->cfg.seq_soft_limit))
			agent_install(a, &c);
		actx_wipe(&c);
		f->issued++;
	}
	hex_encode(rand, sizeof(rand), hex);
	*resp = json_pack("{s:s s:O s:O}", "rand", hex, "members", ok,
			  "refused", refused);
	log_info("server: gateway %s authenticated %zu member(s), %zu refused",
		 log_safe(gw->id), json_array_size(ok), json_array_size(refused));
	code = COAP_CODE_CHANGED;
out:
	if (in_tx)
		registry_rollback(f->reg);
	json_decref(ok);
	json_decref(refused);
	mbedtls_platform_zeroize(ks, sizeof(ks));
	mbedtls_platform_zeroize(&m, sizeof(m));
	mbedtls_platform_zeroize(&mg, sizeof(mg));
	return code;
}

/* registry_group_gateways() callback: the group's gateways into @arg. */
static int collect_gw(void *arg, const char *gateway, const uint8_t *sid,
		      uint8_t len)
{
	struct group_msg *gm = arg;

	(void)gateway;
	if (gm->n_gateways == GROUP_MAX_GATEWAYS) {
		log_warn("server: group %s has more than %d gateways; members verify the first %d",
			 log_safe(gm->name), GROUP_MAX_GATEWAYS, GROUP_MAX_GATEWAYS);
		return 1;
	}
	memcpy(gm->gw_sid[gm->n_gateways], sid, len);
	gm->gw_sid_len[gm->n_gateways++] = len;
	return 0;
}


/* ---- signed groups: credentials (Group Manager, agent/sgroup.h) ---- */

static const struct cfg_group *cfg_group_of(const struct agent_config *cfg,
					    const char *name)
{
	for (size_t i = 0; i < cfg->n_groups; i++)
		if (!strcmp(cfg->groups[i].name, name))
			return &cfg->groups[i];
	return NULL;
}

static bool group_signed(const struct agent_config *cfg, const char *name)
{
	const struct cfg_group *g = cfg_group_of(cfg, name);

	return g && g->signed_mode;
}

/*
 * A credential a member or gateway registers: hex of a CCS holding a
 * P-256 or Ed25519 public key.  Its length, 0 (none sent) or -1.
 */
static int cred_of(json_t *o, uint8_t *ccs)
{
	const char *hex = json_string_value(json_object_get(o, "cred"));
	struct oscore_cred_key k;
	int n;

	if (!json_object_get(o, "cred"))
		return 0;
	n = hex ? hex_decode(hex, ccs, OSCORE_GROUP_CRED_MAX_LEN) : -1;
	if (n <= 0 || oscore_ccs_parse_key(ccs, (size_t)n, &k))
		return -1;
	return n;
}

/*
 * Keeps @holder's credential (in the caller's transaction).  1: it is
 * new or another than before, 0: the same, -1: registry error.
 */
static int cred_keep(struct registry *reg, const char *holder,
		     const uint8_t *ccs, size_t len)
{
	uint8_t old[OSCORE_GROUP_CRED_MAX_LEN];
	size_t olen;
	int rc = registry_cred_get(reg, holder, old, sizeof(old), &olen);

	if (rc < 0)
		return -1;
	if (!rc && olen == len && !memcmp(old, ccs, len))
		return 0;
	return registry_cred_put(reg, holder, ccs, len) ? -1 : 1;
}

struct cred_collect {
	struct agent *a;
	struct group_msg *gm;
	size_t cap;
	int rc;
};

/* @holder's credential, if registered and of the group's key type. */
static int add_cred(struct cred_collect *c, const char *holder,
		    const uint8_t *sid, size_t sid_len)
{
	struct server_flow *f = c->a->flow;
	struct sgroup_cred *x;
	struct oscore_cred_key k;
	size_t n;
	int rc;

	if (c->gm->n_creds == c->cap)
		return 1;
	x = &c->gm->creds[c->gm->n_creds];
	rc = registry_cred_get(f->reg, holder, x->ccs, sizeof(x->ccs), &n);
	if (rc < 0) {
		c->rc = -1;
		return 1;
	}
	if (rc)
		return 0;	/* not registered (yet): it cannot be verified */
	if (oscore_ccs_parse_key(x->ccs, n, &k) ||
	    k.type != (c->gm->sig_alg == OSCORE_SIG_EDDSA ?
		       OSCORE_CRED_ED25519 : OSCORE_CRED_P256)) {
		log_warn("server: group %s: the credential of %s is not a %s key; left out",
			 log_safe(c->gm->name), log_safe(holder),
			 c->gm->sig_alg == OSCORE_SIG_EDDSA ? "Ed25519" : "P-256");
		memset(x, 0, sizeof(*x));
		return 0;
	}
	memcpy(x->sid, sid, sid_len);
	x->sid_len = (uint8_t)sid_len;
	x->ccs_len = (uint16_t)n;
	c->gm->n_creds++;
	return 0;
}

static int cred_gateway(void *arg, const char *gateway, const uint8_t *sid,
			uint8_t len)
{
	char holder[CFG_MAX_ID_LEN + 16];

	snprintf(holder, sizeof(holder), "gateway:%s", gateway);
	return add_cred(arg, holder, sid, len);
}

static int cred_member(void *arg, const struct reg_member *m)
{
	struct cred_collect *c = arg;
	const struct cfg_member *cm = cfg_member_by_norm(&c->a->cfg, m->id);
	char holder[CFG_MAX_ID_LEN + 16];

	if (!cm || !cm->sends)
		return 0;
	snprintf(holder, sizeof(holder), "member:%s", m->id);
	return add_cred(c, holder, m->sid, m->sid_len);
}

/*
 * A signed group's part of @gm: its Signature Algorithm and the
 * credentials of its gateways and of its members that send, as
 * registered now (a removed member's is not among them).  0 or -1.
 */
static int signed_part(struct agent *a, struct group_msg *gm,
		       const char *group)
{
	const struct cfg_group *cg = cfg_group_of(&a->cfg, group);
	struct server_flow *f = a->flow;
	struct cred_collect c = { .a = a, .gm = gm };

	if (!cg || !cg->signed_mode)
		return 0;
	gm->signed_mode = true;
	gm->sig_alg = cg->sig_alg;
	c.cap = GROUP_MAX_GATEWAYS;
	for (size_t i = 0; i < a->cfg.n_members; i++)
		c.cap += a->cfg.members[i].sends &&
			 cfg_member_in_group(&a->cfg.members[i], group);
	gm->creds = calloc(c.cap + 1, sizeof(*gm->creds));
	if (!gm->creds)
		return -1;
	if (registry_group_gateways(f->reg, group, cred_gateway, &c) ||
	    registry_group_members(f->reg, group, cred_member, &c))
		return -1;
	return c.rc;
}

/*
 * Stores the Service Request's sequence number and, for each group of
 * the member, the epoch it is sent, rekeying a group first when it was
 * sent that epoch already and does not say it still holds it (@held,
 * {GROUP: EPOCH}: it restarted, and its sender sequence with it: new
 * keys, not a reused nonce).  One transaction; fills @mg with the
 * member's groups (sender IDs) and @g with each group as committed, and
 * sets @rekeyed[i] for each group it rekeyed.  0, -1 (rolled back,
 * nothing changed) or -2: another server instance sharing the registry
 * took this request or a newer one, or issued a new Ks, since @m was
 * read (rolled back: a replay).
 */
static int sr_commit(struct agent *a, const struct reg_member *m,
		     uint64_t seq, json_t *held, const uint8_t *cred,
		     size_t cred_len, bool sends, struct member_groups *mg,
		     struct reg_group g[CFG_MAX_MEMBER_GROUPS],
		     bool rekeyed[CFG_MAX_MEMBER_GROUPS])
{
	struct server_flow *f = a->flow;
	char holder[CFG_MAX_ID_LEN + 16];
	struct reg_member cur;
	int cred_new = 0;
	bool stale;

	memset(rekeyed, 0, CFG_MAX_MEMBER_GROUPS * sizeof(*rekeyed));
	mg->n = 0;
	if (registry_begin(f->reg))
		return -1;
	if (registry_member_get(f->reg, m->id, &cur)) {
		registry_rollback(f->reg);
		return -1;
	}
	stale = cur.sr_seq >= (int64_t)seq || memcmp(cur.ks, m->ks, KS_LEN);
	mbedtls_platform_zeroize(&cur, sizeof(cur));
	if (stale) {
		registry_rollback(f->reg);
		return -2;
	}
	if (registry_member_set_sr_seq(f->reg, m->id, (int64_t)seq) ||
	    registry_member_groups(f->reg, m->id, collect_group, mg))
		goto fail;
	/* Its credential, for its signed groups: kept with the keys. */
	snprintf(holder, sizeof(holder), "member:%s", m->id);
	if (cred_len) {
		cred_new = cred_keep(f->reg, holder, cred, cred_len);
		if (cred_new < 0)
			goto fail;
	}
	for (size_t i = 0; i < mg->n; i++) {
		const struct reg_member *ms = &mg->v[i];
		json_t *h = json_object_get(held, ms->group);

		if (registry_group_get(f->reg, ms->group, &g[i]))
			goto fail;
		/* Not when the member still holds it (it asks for another). */
		if (ms->issued_epoch && ms->issued_epoch == g[i].epoch &&
		    !(json_is_integer(h) &&
		      json_integer_value(h) == (json_int_t)g[i].epoch)) {
			if (registry_group_rekey(f->reg, ms->group, &a->drbg,
						 a->cfg.grace_s) ||
			    registry_group_get(f->reg, ms->group, &g[i]))
				goto fail;
			rekeyed[i] = true;
		}
		/*
		 * A sender's new credential: the group gets new keys, and
		 * with them everyone gets the credential.
		 */
		if (cred_new > 0 && sends && !rekeyed[i] &&
		    group_signed(&a->cfg, ms->group)) {
			if (registry_group_rekey(f->reg, ms->group, &a->drbg,
						 a->cfg.grace_s) ||
			    registry_group_get(f->reg, ms->group, &g[i]))
				goto fail;
			rekeyed[i] = true;
		}
		if (registry_member_set_issued_epoch(f->reg, m->id, ms->group,
						     g[i].epoch))
			goto fail;
	}
	return registry_commit(f->reg);
fail:
	registry_rollback(f->reg);
	return -1;
}

static uint8_t h_sr(void *arg, const struct coap_req *req, json_t **resp)
{
	struct agent *a = arg;
	struct server_flow *f = a->flow;
	const struct cfg_gateway *gw = gw_by_identity(a, dtls_peer_identity(req->peer));
	const char *id = json_string_value(json_object_get(req->body, "id"));
	const char *hexmsg = json_string_value(json_object_get(req->body, "oscore"));
	uint8_t pkt[E2E_MAX_MSG], out[E2E_MAX_MSG], code;
	char path[32], outhex[2 * E2E_MAX_MSG + 1], *text = NULL;
	char norm[CFG_MAX_ID_LEN], inner_norm[CFG_MAX_ID_LEN];
	const struct cfg_member *cm;
	const uint8_t *pl;
	struct oscore_binding b;
	struct reg_member m;
	struct member_groups mg;
	struct reg_group g[CFG_MAX_MEMBER_GROUPS];
	bool rekeyed[CFG_MAX_MEMBER_GROUPS];
	struct group_msg gm;
	struct e2e e;
	json_t *inner = NULL;
	bool have_e2e = false;
	uint8_t cred[OSCORE_GROUP_CRED_MAX_LEN];
	int cred_len;
	uint64_t seq;
	size_t plen;
	int n, rc;

	memset(&m, 0, sizeof(m));
	memset(&mg, 0, sizeof(mg));
	memset(g, 0, sizeof(g));
	memset(&gm, 0, sizeof(gm));
	if (!gw || !id || !hexmsg) {
		*resp = error("expected \"id\" and \"oscore\"");
		code = COAP_BAD_REQUEST;
		goto out;
	}
	cm = member_cfg(a, id, norm);
	if (cm && !cfg_member_served_by(&a->cfg, cm, gw->id)) {
		unauthorized(a, gw, "service request of member", id);
		*resp = error("this gateway does not serve this member");
		code = COAP_FORBIDDEN;
		goto out;
	}
	if (!cm || registry_member_get(f->reg, norm, &m) || !m.issued ||
	    strcmp(m.gateway, gw->id)) {
		f->sr_failed++;
		log_warn("server: service request for \"%s\" via %s: no Ks issued through this gateway",
			 log_safe(id), log_safe(gw->id));
		*resp = error("no Ks issued to this member through this gateway");
		code = COAP_FORBIDDEN;
		goto out;
	}
	n = hex_decode(hexmsg, pkt, sizeof(pkt));
	if (n <= 0 || e2e_init(&e, m.ks, m.ksid, true)) {
		*resp = error("expected an OSCORE message as hex");
		code = COAP_BAD_REQUEST;
		goto out;
	}
	have_e2e = true;
	rc = e2e_unprotect_request(&e, pkt, (size_t)n, m.sr_seq, &b, &seq, path,
				   sizeof(path), &pl, &plen);
	inner = rc ? NULL : json_loadb((const char *)pl, plen, 0, NULL);
	/* The member may spell its ID in any NFKC-equivalent form. */
	if (rc || strcmp(path, "/sr") || !inner ||
	    !json_string_value(json_object_get(inner, "id")) ||
	    ks_normalize_id(json_string_value(json_object_get(inner, "id")),
			    inner_norm, sizeof(inner_norm)) < 0 ||
	    strcmp(inner_norm, norm)) {
		if (rc == -2)
			f->sr_replays++;
		else
			f->sr_failed++;
		log_warn("server: service request of \"%s\" %s", log_safe(id),
			 rc == -2 ? "replayed" : "did not verify");
		*resp = error(rc == -2 ? "replay" : "service request did not verify");
		code = COAP_UNAUTHORIZED;
		goto out;
	}
	cred_len = cred_of(inner, cred);
	if (cred_len < 0) {
		f->cred_refused++;
		log_warn("server: service request of \"%s\": \"cred\": expected a CCS with a P-256 or Ed25519 key, as hex; not registered",
			 log_safe(id));
		cred_len = 0;
	}
	/* Nothing is sent that the registry does not hold. */
	rc = sr_commit(a, &m, seq, json_object_get(inner, "held"), cred,
		       (size_t)cred_len, cm->sends, &mg, g, rekeyed);
	if (rc == -2) {
		f->sr_replays++;
		log_warn("server: service request of \"%s\" replayed (taken by another server instance)",
			 log_safe(id));
		*resp = error("replay");
		code = COAP_UNAUTHORIZED;
		goto out;
	}
	if (rc) {
		f->sr_failed++;
		log_err("server: service request of \"%s\": registry update failed; no keys sent",
			log_safe(id));
		code = registry_failed(resp);
		goto out;
	}
	json_decref(inner);
	/*
	 * The keying material of every group of the member, with which
	 * gateway reported it, under Ksx: the device checks it against the
	 * gateway it was configured with (TR-0012 NOTE 2).
	 */
	for (size_t i = 0; i < mg.n; i++) {
		if (rekeyed[i]) {
			f->rekeys++;
			queue_announce(f, mg.v[i].group);
		}
	}
	inner = json_pack("{s:[] s:s}", "groups", "gateway", m.gateway);
	for (size_t i = 0; inner && i < mg.n; i++) {
		memset(&gm, 0, sizeof(gm));
		memcpy(gm.name, g[i].name, sizeof(gm.name));
		gm.epoch = g[i].epoch;
		gm.alg = g[i].alg;
		memcpy(gm.gid, g[i].gid, GID_LEN);
		memcpy(gm.secret, g[i].secret, g[i].secret_len);
		gm.secret_len = g[i].secret_len;
		memcpy(gm.salt, g[i].salt, SALT_LEN);
		memcpy(gm.sid, mg.v[i].sid, mg.v[i].sid_len);
		gm.sid_len = mg.v[i].sid_len;
		if (registry_group_gateways(f->reg, g[i].name, collect_gw, &gm) ||
		    !gm.n_gateways) {
			log_err("server: group %s has no gateway sender ID; no keys sent to \"%s\"",
				log_safe(g[i].name), log_safe(id));
			code = COAP_INTERNAL;
			goto out;
		}
		if (signed_part(a, &gm, g[i].name)) {
			log_err("server: group %s: cannot read its credentials; no keys sent to \"%s\"",
				log_safe(g[i].name), log_safe(id));
			code = COAP_INTERNAL;
			goto out;
		}
		json_array_append_new(json_object_get(inner, "groups"),
				      group_msg_to_json(&gm));
		group_msg_wipe(&gm);
	}
	text = inner ? json_dumps(inner, JSON_COMPACT) : NULL;
	n = text ? e2e_protect_response(&e, &b, COAP_CODE_CHANGED, text, out,
					sizeof(out)) : -1;
	if (n < 0) {
		log_err("server: service request of \"%s\": the answer for its %zu group(s) does not fit in %d bytes; no keys sent",
			log_safe(id), mg.n, E2E_MAX_MSG);
		code = COAP_INTERNAL;
		goto out;
	}
	hex_encode(out, (size_t)n, outhex);
	f->sr_ok++;
	*resp = json_pack("{s:s}", "oscore", outhex);
	log_info("server: service request of \"%s\" verified; group keys sent end to end",
		 log_safe(id));
	if (f->sr_ok >= a->cfg.n_members)
		agent_ready(a);
	code = COAP_CODE_CHANGED;
out:
	if (text) {
		mbedtls_platform_zeroize(text, strlen(text));
		free(text);
	}
	json_decref(inner);
	if (have_e2e)
		e2e_free(&e);
	group_msg_wipe(&gm);
	mbedtls_platform_zeroize(g, sizeof(g));
	mbedtls_platform_zeroize(&mg, sizeof(mg));
	mbedtls_platform_zeroize(&m, sizeof(m));
	return code;
}

struct collect {
	struct group_msg *gm;
	size_t total;
};

static int collect_sid(void *arg, const struct reg_member *m)
{
	struct collect *c = arg;

	/* The configuration holds no more (cfg_load checks it). */
	if (c->gm->n_members >= COAPSEC_MAX_RECIPIENTS)
		return -1;
	c->total++;
	memcpy(c->gm->member_sid[c->gm->n_members], m->sid, m->sid_len);
	c->gm->member_sid_len[c->gm->n_members++] = m->sid_len;
	return 0;
}

static uint8_t h_group(void *arg, const struct coap_req *req, json_t **resp)
{
	struct agent *a = arg;
	struct server_flow *f = a->flow;
	const struct cfg_gateway *gw = gw_by_identity(a, dtls_peer_identity(req->peer));
	const char *name = json_string_value(json_object_get(req->body, "name"));
	bool restart = json_is_true(json_object_get(req->body, "restart"));
	bool in_tx = false, rekeyed = false;
	uint8_t cred[OSCORE_GROUP_CRED_MAX_LEN];
	char holder[CFG_MAX_ID_LEN + 16];
	int cred_len = cred_of(req->body, cred), cred_new = 0;
	struct group_msg gm;
	struct collect c = { .gm = &gm };
	struct reg_group g;
	uint8_t code;
	int rc;

	memset(&gm, 0, sizeof(gm));
	memset(&g, 0, sizeof(g));
	if (!gw || !name) {
		*resp = error("expected \"name\"");
		code = COAP_BAD_REQUEST;
		goto out;
	}
	/* Keys only for the groups of the members it serves. */
	if (!cfg_gateway_serves_group(&a->cfg, gw->id, name)) {
		unauthorized(a, gw, "group", name);
		*resp = error("this gateway serves no member of this group");
		code = COAP_FORBIDDEN;
		goto out;
	}
	if (cred_len < 0) {
		f->cred_refused++;
		*resp = error("\"cred\": expected a CCS with a P-256 or Ed25519 key, as hex");
		code = COAP_BAD_REQUEST;
		goto out;
	}
	if (registry_begin(f->reg)) {
		code = registry_failed(resp);
		goto out;
	}
	in_tx = true;
	rc = registry_group_get(f->reg, name, &g);
	/* The gateway's credential, which its members verify it with. */
	if (!rc && cred_len && group_signed(&a->cfg, name)) {
		snprintf(holder, sizeof(holder), "gateway:%s", gw->id);
		cred_new = cred_keep(f->reg, holder, cred, (size_t)cred_len);
		if (cred_new < 0)
			rc = -1;
	}
	if (rc > 0) {
		*resp = error("no such group");
		code = COAP_NOT_FOUND;
		goto out;
	}
	if (!rc)
		rc = registry_group_members(f->reg, name, collect_sid, &c);
	/* A restarted gateway's sender sequence starts over: new keys
	 * (not for a group with no member: it is answered 4.04). */
	if (!rc && c.total && (cred_new > 0 || (restart &&
	    registry_served_epoch(f->reg, gw->id, name) == g.epoch))) {
		rc = registry_group_rekey(f->reg, name, &a->drbg,
					  a->cfg.grace_s) ||
		     registry_group_get(f->reg, name, &g);
		rekeyed = !rc;
	}
	/* Its own sender ID in this group: no other gateway's nonces. */
	if (!rc) {
		uint8_t sl = 0;

		rc = registry_gateway_sid(f->reg, gw->id, name, gm.sid, &sl);
		gm.sid_len = sl;
	}
	if (!rc && c.total)
		rc = registry_set_served_epoch(f->reg, gw->id, name, g.epoch);
	in_tx = false;
	if (rc || registry_commit(f->reg)) {
		if (rc)
			registry_rollback(f->reg);
		log_err("server: group %s for gateway %s: registry update failed",
			log_safe(name), log_safe(gw->id));
		code = registry_failed(resp);
		goto out;
	}
	if (rekeyed) {
		f->rekeys++;
		queue_announce(f, name);
	}
	if (!c.total) {
		*resp = error("group has no members");
		code = COAP_NOT_FOUND;
		goto out;
	}
	snprintf(gm.name, sizeof(gm.name), "%s", g.name);
	gm.epoch = g.epoch;
	gm.alg = g.alg;
	memcpy(gm.gid, g.gid, GID_LEN);
	memcpy(gm.secret, g.secret, g.secret_len);
	gm.secret_len = g.secret_len;
	memcpy(gm.salt, g.salt, SALT_LEN);
	if (signed_part(a, &gm, name)) {
		log_err("server: group %s for gateway %s: cannot read its credentials",
			log_safe(name), log_safe(gw->id));
		code = registry_failed(resp);
		goto out;
	}
	*resp = group_msg_to_json(&gm);
	code = *resp ? COAP_CODE_CONTENT : COAP_INTERNAL;
out:
	if (in_tx)
		registry_rollback(f->reg);
	group_msg_wipe(&gm);
	mbedtls_platform_zeroize(&g, sizeof(g));
	return code;
}

/*
 * Requests are not all granted at once: a gateway (or the devices it
 * relays) asking again and again would make every member fetch new keys
 * each time.  Within rekey_min_interval_s of @group's last new epoch a
 * request is due at the end of the interval, and every request until
 * then is folded into that one rekey: none is lost, at most one rekey per
 * interval follows from requests.  Whether it was deferred.
 */
static bool defer_rekey(struct agent *a, const char *group, const char *by)
{
	struct server_flow *f = a->flow;
	uint64_t min = 1000ull * a->cfg.rekey_min_interval_s, now = now_ms();
	struct known_epoch *k = known(f, group);

	if (!k || !min || !k->changed_at || now - k->changed_at >= min)
		return false;
	if (!k->rekey_due)
		k->rekey_due = k->changed_at + min;
	f->rekeys_deferred++;
	log_info("server: rekey of %s requested by %s: due in %llu ms (rekey_min_interval_s)",
		 log_safe(group), by, (unsigned long long)(k->rekey_due - now));
	return true;
}

/* Deferred requests whose time has come. */
static void due_rekeys(struct agent *a, uint64_t now)
{
	struct server_flow *f = a->flow;

	for (size_t i = 0; i < f->known_n; i++) {
		char name[CFG_MAX_ID_LEN];

		if (!f->known[i].rekey_due || now < f->known[i].rekey_due)
			continue;
		f->known[i].rekey_due = 0;
		snprintf(name, sizeof(name), "%s", f->known[i].name);
		log_info("server: deferred rekey of %s", log_safe(name));
		if (rekey(a, name)) {
			struct reg_group g;
			int gone = registry_group_get(f->reg, name, &g);

			mbedtls_platform_zeroize(&g, sizeof(g));
			if (gone > 0) {
				log_info("server: deferred rekey of %s dropped: the group is gone",
					 log_safe(name));
				continue;
			}
			/* Not dropped: the requester was told it comes. */
			log_err("server: deferred rekey of group %s failed; trying again in 5 s",
				log_safe(name));
			f->known[i].rekey_due = now + 5000;
		}
	}
}

static uint8_t h_rekey_request(void *arg, const struct coap_req *req,
			       json_t **resp)
{
	struct agent *a = arg;
	const struct cfg_gateway *gw = gw_by_identity(a, dtls_peer_identity(req->peer));
	const char *name = json_string_value(json_object_get(req->body, "group"));
	struct reg_group g;
	int rc;

	if (!name || !gw)
		return COAP_NOT_FOUND;
	if (!cfg_gateway_serves_group(&a->cfg, gw->id, name)) {
		unauthorized(a, gw, "rekey of group", name);
		*resp = error("this gateway serves no member of this group");
		return COAP_FORBIDDEN;
	}
	rc = registry_group_get(((struct server_flow *)a->flow)->reg, name, &g);
	mbedtls_platform_zeroize(&g, sizeof(g));
	if (rc > 0)
		return COAP_NOT_FOUND;
	if (!rc && defer_rekey(a, name, dtls_peer_name(req->peer)))
		return COAP_CODE_CHANGED;
	log_info("server: rekey of %s requested by %s", log_safe(name),
		 dtls_peer_name(req->peer));
	if (rc || rekey(a, name))
		return registry_failed(resp);
	return COAP_CODE_CHANGED;
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

/*
 * The pairwise contexts of every member holding a Ks, from the registry:
 * its devices keep using them across a restart of the server.  A context
 * an earlier instance left is taken over in place; one re-created starts
 * above its last checkpoint (agent_install).  A Ks with neither (a
 * checkpoint lost, the registry restored from a backup, or written by a
 * version that kept none) would start its sequence at 0 again: it is not
 * installed but forgotten, and the member gets a new one at its next
 * join.  Then what is left goes.
 */
static void restore_pairwise(struct agent *a)
{
	struct server_flow *f = a->flow;
	struct reg_member m;
	size_t n = 0;

	for (size_t i = 0; i < a->cfg.n_members; i++) {
		/* The registry keys members by NFKC(IdAx). */
		const char *id = a->cfg.members[i].norm;
		struct actx c;
		bool spent;
		int known;

		if (registry_member_get(f->reg, id, &m) || !m.issued)
			continue;
		if (actx_pairwise(&c, id, m.ks, m.ksid, true,
				  a->cfg.seq_soft_limit)) {
			actx_wipe(&c);
			continue;
		}
		known = agent_seq_known(a, &c);
		spent = known > 0 && agent_seq_spent(a, &c);
		if (known < 0) {
			log_err("server: member %s: cannot read its sequence checkpoint (%s); not installed, kept",
				log_safe(id), registry_describe(f->reg));
		} else if (!known || spent) {
			const char *why = spent ?
				"has used up its sequence numbers" :
				"has no sequence checkpoint";

			f->ks_revoked++;
			if (registry_member_revoke(f->reg, id))
				log_err("server: member %s: its Ks %s and cannot be forgotten (%s); not installed",
					log_safe(id), why, registry_describe(f->reg));
			else
				log_warn("server: member %s: its Ks %s (%s): forgotten, not installed; the member gets a new Ks when it joins again",
					 log_safe(id), why, registry_describe(f->reg));
		} else if (!agent_install(a, &c)) {
			n++;
		}
		actx_wipe(&c);
	}
	mbedtls_platform_zeroize(&m, sizeof(m));
	if (n)
		log_info("server: %zu pairwise context(s) restored from the registry", n);
	agent_sweep(a);
}

static int server_init(struct agent *a, char *err, size_t errlen)
{
	struct server_flow *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	a->flow = f;
	f->reg = registry_open_backend(a->cfg.registry,
				       a->cfg.registry == REG_POSTGRESQL ?
				       a->cfg.conninfo : a->cfg.db, err, errlen);
	if (!f->reg)
		return -1;
	if (registry_sync(f->reg, &a->cfg, &a->drbg, NULL, NULL)) {
		snprintf(err, errlen, "%s: registry update failed",
			 registry_describe(f->reg));
		return -1;
	}
	if (a->cfg.rekey_interval_s)
		f->next_rekey = now_ms() + 1000ull * a->cfg.rekey_interval_s;
	log_info("server: registry %s: %d member(s)", registry_describe(f->reg),
		 registry_member_count(f->reg));
	if (a->kp) {
		char sidecar[300];

		/* Where earlier versions kept them: imported once. */
		snprintf(sidecar, sizeof(sidecar), "%s.seq", a->cfg.db);
		a->seq = seqstate_open(f->reg, a->cfg.registry == REG_SQLITE ?
				       sidecar : NULL, err, errlen);
		if (!a->seq)
			return -1;
		seqstate_set_instance(a->seq, keypush_instance_id(a->kp));
	}
	/* Without a kernel too: the contexts file says what the agent holds. */
	restore_pairwise(a);
	return 0;
}

static int announce_if_newer(void *arg, const char *group,
					  uint32_t epoch)
{
	struct agent *a = arg;
	struct server_flow *f = a->flow;
	struct known_epoch *k = known(f, group);

	if (!k)
		return 0;
	if (!k->epoch) {
		k->epoch = epoch;	/* first sight: nothing to announce */
	} else if (epoch != k->epoch) {
		log_info("server: group %s is at epoch %u (another instance rekeyed it)",
			 log_safe(group), epoch);
		queue_announce(f, group);
	}
	return 0;
}

static int rekey_one(void *arg, const struct reg_group *g)
{
	struct agent *a = arg;

	queue_announce(a->flow, g->name);
	return 0;
}

static void server_tick(struct agent *a, uint64_t now)
{
	struct server_flow *f = a->flow;

	if (f->next_rekey && now >= f->next_rekey) {
		f->next_rekey = now + 1000ull * a->cfg.rekey_interval_s;
		log_info("server: timed rekey of every group");
		if (registry_groups(f->reg, rekey_one, a))
			log_err("server: timed rekey: cannot list the groups");
		for (size_t i = 0; i < f->pending_n; i++) {
			if (registry_group_rekey(f->reg, f->pending[i], &a->drbg,
						 a->cfg.grace_s))
				log_err("server: timed rekey of group %s failed; it keeps its keys",
					log_safe(f->pending[i]));
			else
				f->rekeys++;
		}
	}
	if (now >= f->next_poll) {
		f->next_poll = now + EPOCH_POLL_MS;
		if (registry_group_epochs(f->reg, announce_if_newer, a))
			log_err("server: cannot read the groups' epochs");
	}
	/* Announcements after the handler that rekeyed has answered. */
	for (size_t i = 0; i < f->pending_n; i++)
		announce(a, f->pending[i]);
	f->pending_n = 0;
	due_rekeys(a, now);
}

static uint64_t server_next(struct agent *a)
{
	struct server_flow *f = a->flow;

	uint64_t next = f->next_poll;

	if (f->pending_n)
		return 0;
	if (f->next_rekey && f->next_rekey < next)
		next = f->next_rekey;
	for (size_t i = 0; i < f->known_n; i++)
		if (f->known[i].rekey_due && f->known[i].rekey_due < next)
			next = f->known[i].rekey_due;
	return next;
}

/* Whether member @id of @group is in @cfg. */
static bool cfg_has_member(const struct agent_config *cfg, const char *id,
			   const char *group)
{
	for (size_t i = 0; i < cfg->n_members; i++)
		if (!strcmp(cfg->members[i].id, id) &&
		    cfg_member_in_group(&cfg->members[i], group))
			return true;
	return false;
}

/*
 * Backward secrecy (rekey_on_join): each group that gained a member in
 * this reload (in a->cfg, not in @old) gets a new epoch, once; a member
 * that joined one more group rekeys that group only.
 */
static void rekey_joined(struct agent *a, const struct agent_config *old)
{
	for (size_t g = 0; g < a->cfg.n_groups; g++) {
		const char *grp = a->cfg.groups[g].name;

		for (size_t i = 0; i < a->cfg.n_members; i++) {
			const struct cfg_member *cm = &a->cfg.members[i];

			if (!cfg_member_in_group(cm, grp) ||
			    cfg_has_member(old, cm->id, grp))
				continue;
			log_info("server: %s joined group %s: rekey (rekey_on_join)",
				 log_safe(cm->id), log_safe(grp));
			if (rekey(a, grp))
				log_err("server: rekey of %s after a join failed",
					log_safe(grp));
			break;
		}
	}
}

/* After registry_sync_ex() committed: member @id's row went, and its Ks. */
static void member_dropped(void *arg, const char *id)
{
	struct agent *a = arg;
	char name[sizeof(((struct actx *)0)->name)];

	snprintf(name, sizeof(name), "member:%s", id);
	if (registry_cred_del(((struct server_flow *)a->flow)->reg, name))
		log_warn("server: member %s: cannot forget its credential",
			 log_safe(id));
	snprintf(name, sizeof(name), "pairwise:%s", id);
	if (agent_remove(a, name))
		log_info("server: member %s removed or its credential or group changed: its pairwise context is gone",
			 log_safe(id));
}

/*
 * The registry first: if it cannot follow the file (busy, unreachable),
 * nothing changes and the reload is tried again (agent_reload).  Then the
 * new members, gateways and groups, and every pairwise context whose Ks
 * the registry dropped goes from the kernel.
 */
static int server_reload(struct agent *a, struct agent_config *cfg,
			 char *err, size_t errlen)
{
	struct server_flow *f = a->flow;
	struct agent_config old = a->cfg, next = a->cfg;

	/* Members, gateways and groups follow the file; endpoints do not. */
	next.members = cfg->members;
	next.n_members = cfg->n_members;
	next.gateways = cfg->gateways;
	next.n_gateways = cfg->n_gateways;
	next.groups = cfg->groups;
	next.n_groups = cfg->n_groups;
	if (registry_sync_ex(f->reg, &next, &a->drbg, rekeyed, member_dropped,
			     a)) {
		snprintf(err, errlen, "%s: registry update failed",
			 registry_describe(f->reg));
		return -1;
	}
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
	/* A member gone from the file whose row another instance sharing
	 * the registry already dropped: its Ks goes from the kernel too. */
	for (size_t i = a->ctxs.n; i-- > 0;) {
		const struct actx *c = &a->ctxs.v[i];
		char name[sizeof(c->name)], norm[CFG_MAX_ID_LEN];

		if (c->kind != ACTX_PAIRWISE ||
		    member_cfg(a, c->name + strlen("pairwise:"), norm))
			continue;
		snprintf(name, sizeof(name), "%s", c->name);
		agent_remove(a, name);
		log_info("server: member %s removed: its pairwise context is gone",
			 log_safe(name + strlen("pairwise:")));
	}
	a->cfg.rekey_on_join = cfg->rekey_on_join;
	a->cfg.rekey_min_interval_s = cfg->rekey_min_interval_s;
	if (a->cfg.rekey_on_join)
		rekey_joined(a, cfg);
	/* A changed interval counts from now. */
	if (cfg->rekey_interval_s != a->cfg.rekey_interval_s) {
		a->cfg.rekey_interval_s = cfg->rekey_interval_s;
		f->next_rekey = a->cfg.rekey_interval_s ?
				now_ms() + 1000ull * a->cfg.rekey_interval_s : 0;
	}
	return 0;
}

static void server_stats(struct agent *a, json_t *o)
{
	struct server_flow *f = a->flow;

	json_object_set_new(o, "server", json_pack(
		"{si sI sI sI sI sI sI sI sI sI sI sI}",
		"members", registry_member_count(f->reg),
		"ks_revoked", (json_int_t)f->ks_revoked,
		"reports", (json_int_t)f->reports, "issued", (json_int_t)f->issued,
		"refused", (json_int_t)f->refused,
		"unauthorized", (json_int_t)f->unauthorized,
		"sr_ok", (json_int_t)f->sr_ok,
		"sr_failed", (json_int_t)f->sr_failed,
		"sr_replays", (json_int_t)f->sr_replays,
		"rekeys", (json_int_t)f->rekeys,
		"rekeys_deferred", (json_int_t)f->rekeys_deferred,
		"cred_refused", (json_int_t)f->cred_refused));
}

static void server_fini(struct agent *a)
{
	struct server_flow *f = a->flow;

	if (!f)
		return;
	/* The checkpoints live in the registry: they go first. */
	seqstate_close(a->seq);
	a->seq = NULL;
	registry_close(f->reg);
	free(f->pending);
	free(f->known);
	free(f);
	a->flow = NULL;
}

const struct role_ops server_role = {
	.server_routes = routes,
	.server_hooks = &hooks,
	.init = server_init,
	.tick = server_tick,
	.next = server_next,
	.reload = server_reload,
	.stats = server_stats,
	.fini = server_fini,
};
