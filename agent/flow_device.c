// SPDX-License-Identifier: GPL-2.0
/*
 * The device role (TR-0012 Entity Ax, a group member): inner
 * authentication with the gateway (DTLS-PSK, Kpsaxm), then POST /ga/join
 * brings back the server's Rand; the device derives Ksx from Kpsaxi, sends
 * its Service Request protected under Ksx (OSCORE, end to end to the
 * server) and gets its groups' keying material in the protected answer.
 * The gateway's POST /ga/rekey asks it to fetch a newer epoch.
 */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>

#include "agent/agent.h"
#include "agent/e2e.h"
#include "agent/ks.h"
#include "agent/log.h"

#define MAX_GROUPS	8
#define RETRY_MS	2000
#define RETRY_MAX_MS	60000

enum dev_state { DEV_IDLE, DEV_JOINING, DEV_SR, DEV_READY };

struct device_flow {
	enum dev_state state;
	bool has_ks;
	uint8_t ks[KS_LEN];
	struct e2e e;
	uint64_t sr_seq;
	struct oscore_binding b;
	uint64_t retry_at;
	struct backoff retry;		/* doubles while refused */
	size_t ng;
	struct { char name[CFG_MAX_ID_LEN]; uint32_t epoch; } g[MAX_GROUPS];
	/* Groups whose context was lost, up to which epoch: never again
	 * (an answer in flight may still carry it). */
	size_t nlost;
	struct { char name[CFG_MAX_ID_LEN]; uint32_t epoch; } lost[MAX_GROUPS];
	bool sr_again;			/* such an answer came: ask again */
	unsigned int sr_agains;		/* ...in a row */
	uint64_t joins, srs, failures, wrong_gateway;
};

static void join(struct agent *a);
static void send_sr(struct agent *a);

/* The newest lost epoch of group @name (0: none lost). */
static uint32_t lost_epoch(const struct device_flow *f, const char *name)
{
	for (size_t k = 0; k < f->nlost; k++)
		if (!strcmp(f->lost[k].name, name))
			return f->lost[k].epoch;
	return 0;
}

static void later(struct agent *a, const char *why)
{
	struct device_flow *f = a->flow;
	unsigned int wait;

	f->failures++;
	f->state = DEV_IDLE;
	wait = backoff_next(&f->retry);
	f->retry_at = now_ms() + wait;
	log_warn("device: %s; retrying in %u ms", why, wait);
}

static void acked(void *arg, int code, json_t *body, const uint8_t *payload,
		  size_t len)
{
	(void)arg; (void)code; (void)body; (void)payload; (void)len;
}

/* Whether the service request answer @inner names group @name. */
static bool answer_names(json_t *inner, const char *name)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(inner, "groups"), i, v) {
		const char *n = json_string_value(json_object_get(v, "name"));

		if (n && !strcmp(n, name))
			return true;
	}
	return false;
}

static void sr_done(void *arg, int code, json_t *body, const uint8_t *payload,
		    size_t len)
{
	struct agent *a = arg;
	struct device_flow *f = a->flow;
	const char *hex = json_string_value(json_object_get(body, "oscore"));
	uint8_t pkt[E2E_MAX_MSG], icode;
	const uint8_t *pl;
	json_t *inner, *v;
	size_t plen, i;
	int n;

	(void)payload; (void)len;
	if (f->state != DEV_SR)
		return;
	if (code != COAP_CODE_CHANGED || !hex) {
		later(a, code == COAP_UNAUTHORIZED || code == COAP_FORBIDDEN ?
		      "service request refused" : "service request not answered");
		if ((code == COAP_UNAUTHORIZED || code == COAP_FORBIDDEN) &&
		    f->has_ks) {
			/* Start over with a fresh Rand: this Ks is done. */
			e2e_free(&f->e);
			mbedtls_platform_zeroize(f->ks, sizeof(f->ks));
			f->has_ks = false;
		}
		return;
	}
	n = hex_decode(hex, pkt, sizeof(pkt));
	if (n <= 0 || e2e_unprotect_response(&f->e, &f->b, pkt, (size_t)n, &icode,
					     &pl, &plen) ||
	    icode != COAP_CODE_CHANGED ||
	    !(inner = json_loadb((const char *)pl, plen, 0, NULL))) {
		mbedtls_platform_zeroize(pkt, sizeof(pkt));
		later(a, "group keying material did not verify");
		return;
	}
	/*
	 * The server says, under Ksx, which gateway reported this member:
	 * it must be the one configured (TR-0012 NOTE 2), not another
	 * gateway that holds this device's Kpsaxm.
	 */
	if (a->cfg.upstream_id[0]) {
		const char *gw = json_string_value(json_object_get(inner, "gateway"));

		if (!gw || strcmp(gw, a->cfg.upstream_id)) {
			f->wrong_gateway++;
			log_warn("device: the server names gateway \"%s\" as this member's, expected \"%s\" (gateway.id); keys refused",
				 log_safe(gw ? gw : ""), log_safe(a->cfg.upstream_id));
			json_decref(inner);
			mbedtls_platform_zeroize(pkt, sizeof(pkt));
			later(a, "keys came through another gateway than gateway.id");
			return;
		}
	}
	json_array_foreach(json_object_get(inner, "groups"), i, v) {
		struct group_msg gm;
		struct actx c;
		size_t k;

		if (group_msg_from_json(v, &gm)) {
			group_msg_wipe(&gm);
			continue;
		}
		/* Held already: its context keeps running (and its sequence). */
		for (k = 0; k < f->ng && strcmp(f->g[k].name, gm.name); k++)
			;
		if (k < f->ng && f->g[k].epoch == gm.epoch) {
			log_debug("device: group %s epoch %u held already",
				  gm.name, gm.epoch);
			group_msg_wipe(&gm);
			continue;
		}
		if (lost_epoch(f, gm.name) >= gm.epoch) {
			log_warn("device: group %s epoch %u, whose context was lost: not installed; asking again",
				 gm.name, gm.epoch);
			f->sr_again = true;
			group_msg_wipe(&gm);
			continue;
		}
		if (actx_group_member(&c, &gm, a->cfg.seq_soft_limit)) {
			group_msg_wipe(&gm);
			continue;
		}
		if (!agent_install(a, &c))
			/* The gateway sends with it once its members hold it. */
			coap_request(a->up_ep, a->up, COAP_METHOD_POST, "/ga/ack",
				     json_pack("{s:s s:i}", "group", gm.name,
					       "epoch", (int)gm.epoch),
				     acked, NULL);
		for (k = 0; k < f->ng && strcmp(f->g[k].name, gm.name); k++)
			;
		if (k == f->ng && f->ng < MAX_GROUPS)
			snprintf(f->g[f->ng++].name, CFG_MAX_ID_LEN, "%s", gm.name);
		if (k < MAX_GROUPS)
			f->g[k].epoch = gm.epoch;
		log_info("device: group %s epoch %u installed", gm.name, gm.epoch);
		actx_wipe(&c);
		group_msg_wipe(&gm);
	}
	/* A group the answer no longer names: this member left it. */
	for (size_t k = f->ng; k-- > 0;) {
		char name[CFG_MAX_ID_LEN + 16];

		if (answer_names(inner, f->g[k].name))
			continue;
		snprintf(name, sizeof(name), "group:%s", f->g[k].name);
		agent_remove(a, name);
		log_info("device: no longer in group %s: its keys are gone",
			 f->g[k].name);
		f->g[k] = f->g[--f->ng];
	}
	/* Its lost epochs go with it: the removal rekeyed the group. */
	for (size_t k = f->nlost; k-- > 0;)
		if (!answer_names(inner, f->lost[k].name))
			f->lost[k] = f->lost[--f->nlost];
	/* json_loadb copied the plaintext; wipe both copies' sources. */
	json_decref(inner);
	mbedtls_platform_zeroize(pkt, sizeof(pkt));
	f->state = DEV_READY;
	backoff_reset(&f->retry);
	agent_ready(a);
	/* Without the lost group the server rekeys it; once at once, then
	 * with the backoff (no loop with a server that does not). */
	if (!f->sr_again) {
		f->sr_agains = 0;
	} else if (f->sr_agains++) {
		f->sr_again = false;
		later(a, "a lost group epoch was offered again");
	} else {
		f->sr_again = false;
		send_sr(a);
	}
}

static void send_sr(struct agent *a)
{
	struct device_flow *f = a->flow;
	uint8_t out[E2E_MAX_MSG];
	char hex[2 * E2E_MAX_MSG + 1], *text;
	json_t *j = json_pack("{s:s}", "id", a->cfg.id);
	json_t *held = json_object();
	int n;

	/*
	 * The epochs it holds, and keeps sending with: the server rekeys
	 * only the groups whose current epoch it was sent and no longer
	 * holds (it restarted: its sender sequence starts over), not the
	 * others of a member in several groups.
	 */
	for (size_t k = 0; held && k < f->ng; k++)
		json_object_set_new(held, f->g[k].name,
				    json_integer(f->g[k].epoch));
	if (held && f->ng)
		json_object_set(j, "held", held);
	json_decref(held);
	/* Its credential, for signed groups: registered under Ksx. */
	if (a->sg) {
		char ch[2 * OSCORE_GROUP_CRED_MAX_LEN + 1];
		size_t cl;
		const uint8_t *c = sgroups_cred(a->sg, &cl);

		hex_encode(c, cl, ch);
		json_object_set_new(j, "cred", json_string(ch));
	}
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	n = text ? e2e_protect_request(&f->e, f->sr_seq++, "sr", text, out,
				       sizeof(out), &f->b) : -1;
	free(text);
	if (n < 0) {
		later(a, "cannot protect the service request");
		return;
	}
	hex_encode(out, (size_t)n, hex);
	f->state = DEV_SR;
	f->srs++;
	coap_request(a->up_ep, a->up, COAP_METHOD_POST, "/ga/sr",
		     json_pack("{s:s s:s}", "id", a->cfg.id, "oscore", hex),
		     sr_done, a);
}

static void join_done(void *arg, int code, json_t *body, const uint8_t *payload,
		      size_t len)
{
	struct agent *a = arg;
	struct device_flow *f = a->flow;
	const char *rhex = json_string_value(json_object_get(body, "rand"));
	const char *ksid = json_string_value(json_object_get(body, "ksid"));
	const char *gw = json_string_value(json_object_get(body, "gateway"));
	uint8_t rand[KS_RAND_LEN];
	struct actx c;

	(void)payload; (void)len;
	if (f->state != DEV_JOINING)
		return;
	if (code != COAP_CODE_CHANGED || !rhex || !ksid ||
	    hex_decode(rhex, rand, sizeof(rand)) != KS_RAND_LEN) {
		later(a, code < 0 ? "join: no answer" : "join refused");
		return;
	}
	/* The gateway's own word; the server's, under Ksx, comes next. */
	if (a->cfg.upstream_id[0] && (!gw || strcmp(gw, a->cfg.upstream_id))) {
		f->wrong_gateway++;
		log_warn("device: join answered by gateway \"%s\", expected \"%s\" (gateway.id)",
			 log_safe(gw ? gw : ""), log_safe(a->cfg.upstream_id));
		later(a, "join: another gateway than gateway.id answered");
		return;
	}
	/* KsxId = KpsaxiId: the server must mean the key we hold. */
	if (strcmp(ksid, a->cfg.server_cred.identity)) {
		later(a, "join: the server named another credential (KsxId)");
		return;
	}
	if (f->has_ks)
		e2e_free(&f->e);
	f->has_ks = false;
	if (ks_derive(a->cfg.server_cred.key, a->cfg.server_cred.key_len,
		      a->cfg.id, rand, f->ks) ||
	    e2e_init(&f->e, f->ks, ksid, false)) {
		later(a, "cannot derive Ks");
		return;
	}
	f->has_ks = true;
	f->sr_seq = 0;		/* a new Ks: a new sequence space */
	if (!actx_pairwise(&c, a->cfg.id, f->ks, ksid, false, a->cfg.seq_soft_limit))
		agent_install(a, &c);
	actx_wipe(&c);
	log_info("device: Ks derived (KsId \"%s\")", log_safe(ksid));
	send_sr(a);
}

static void join(struct agent *a)
{
	struct device_flow *f = a->flow;

	if (!a->up || !dtls_peer_up(a->up))
		return;
	f->retry_at = 0;
	f->state = DEV_JOINING;
	f->joins++;
	coap_request(a->up_ep, a->up, COAP_METHOD_POST, "/ga/join",
		     json_pack("{s:s}", "id", a->cfg.id), join_done, a);
}

static uint8_t h_rekey(void *arg, const struct coap_req *req, json_t **resp)
{
	struct agent *a = arg;
	struct device_flow *f = a->flow;
	const char *name = json_string_value(json_object_get(req->body, "group"));
	json_t *e = json_object_get(req->body, "epoch");

	(void)resp;
	if (!name || !json_is_integer(e))
		return COAP_BAD_REQUEST;
	for (size_t k = 0; k < f->ng; k++) {
		if (strcmp(f->g[k].name, name))
			continue;
		if (f->g[k].epoch >= (uint32_t)json_integer_value(e))
			return COAP_CODE_CHANGED;	/* has it already */
	}
	/*
	 * Refused and waiting: the next attempt brings it.  Joining at once
	 * would bypass the backoff, and each join of a member that lost its
	 * epoch makes the server rekey the group, which brings the next
	 * notice: a loop.
	 */
	if (f->state == DEV_IDLE && f->retry_at) {
		log_info("device: group %s has a new epoch; asking for it at the next attempt",
			 log_safe(name));
		return COAP_CODE_CHANGED;
	}
	log_info("device: group %s has a new epoch; asking for it", log_safe(name));
	if (f->state == DEV_READY && f->has_ks)
		send_sr(a);
	else if (f->state == DEV_IDLE)
		join(a);
	return COAP_CODE_CHANGED;
}

static void up_established(void *arg, struct dtls_peer *p)
{
	(void)p;
	join(arg);
}

static void up_closed(void *arg, struct dtls_peer *p)
{
	struct agent *a = arg;
	struct device_flow *f = a->flow;

	(void)p;
	if (f->state != DEV_READY)
		f->state = DEV_IDLE;
}

static void rekey_requested(void *arg, int code, json_t *body,
			    const uint8_t *payload, size_t len)
{
	(void)arg; (void)body; (void)payload; (void)len;
	log_info("device: rekey request answered %s", coap_code_str(code));
}

static void dev_seq_limit(struct agent *a, struct actx *c)
{
	log_info("device: %s near its sequence limit: rekeying", c->name);
	if (c->kind == ACTX_PAIRWISE) {
		join(a);	/* a fresh Rand, a fresh Ks */
		return;
	}
	if (a->up && dtls_peer_up(a->up))
		coap_request(a->up_ep, a->up, COAP_METHOD_POST, "/ga/rekey-request",
			     json_pack("{s:s}", "group", c->name + strlen("group:")),
			     rekey_requested, NULL);
}

/*
 * A context of this device is gone from the kernel, its sequence with
 * it: a lost pairwise context means a new Ks (join again, a fresh Rand);
 * a lost group context is no longer "held", so the service request makes
 * the server rekey the group.
 */
static void dev_keys_lost(struct agent *a, struct actx *c)
{
	struct device_flow *f = a->flow;

	if (c->kind == ACTX_PAIRWISE) {
		log_warn("device: %s lost: joining again for a new Ks", c->name);
		if (f->has_ks)
			e2e_free(&f->e);
		mbedtls_platform_zeroize(f->ks, sizeof(f->ks));
		f->has_ks = false;
		if (f->state != DEV_JOINING)
			join(a);
		return;
	}
	const char *name = c->name + strlen("group:");
	size_t k;

	for (k = 0; k < f->nlost && strcmp(f->lost[k].name, name); k++)
		;
	if (k == f->nlost && f->nlost < MAX_GROUPS)
		snprintf(f->lost[f->nlost++].name, CFG_MAX_ID_LEN, "%s", name);
	if (k < MAX_GROUPS && c->epoch > f->lost[k].epoch)
		f->lost[k].epoch = c->epoch;
	for (k = 0; k < f->ng; k++) {
		if (strcmp(f->g[k].name, name))
			continue;
		f->g[k] = f->g[--f->ng];
		break;
	}
	log_warn("device: %s lost: asking for a new epoch", c->name);
	if (f->state == DEV_READY && f->has_ks)
		send_sr(a);
	else if (f->state == DEV_IDLE && !f->retry_at)
		join(a);
}

static const struct coap_route up_routes[] = {
	{ COAP_METHOD_POST, "/ga/rekey", h_rekey },
	{ 0 }
};

static const struct coap_ep_hooks up_hooks = {
	.established = up_established,
	.closed = up_closed,
	.timeout = agent_upstream_timeout,
};

static int device_init(struct agent *a, char *err, size_t errlen)
{
	char norm[CFG_MAX_ID_LEN];
	struct device_flow *f;

	if (ks_normalize_id(a->cfg.id, norm, sizeof(norm)) < 0) {
		snprintf(err, errlen, "%s: id: expected valid UTF-8", a->cfg.path);
		return -1;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	f->retry = (struct backoff){ .first_ms = RETRY_MS, .max_ms = RETRY_MAX_MS };
	a->flow = f;
	if (!a->cfg.upstream_id[0])
		log_info("device: gateway.id is not set: which gateway serves this device is not checked");
	return 0;
}

static void device_tick(struct agent *a, uint64_t now)
{
	struct device_flow *f = a->flow;

	if (f->state == DEV_IDLE && f->retry_at && now >= f->retry_at)
		join(a);
}

static uint64_t device_next(struct agent *a)
{
	struct device_flow *f = a->flow;

	return f->state == DEV_IDLE && f->retry_at ? f->retry_at : UINT64_MAX;
}

static void device_stats(struct agent *a, json_t *o)
{
	struct device_flow *f = a->flow;
	static const char *const names[] = { "idle", "joining", "sr", "ready" };

	json_object_set_new(o, "device", json_pack(
		"{ss sI sI sI sI}", "state", names[f->state],
		"joins", (json_int_t)f->joins, "service_requests", (json_int_t)f->srs,
		"failures", (json_int_t)f->failures,
		"wrong_gateway", (json_int_t)f->wrong_gateway));
}

static void device_fini(struct agent *a)
{
	struct device_flow *f = a->flow;

	if (!f)
		return;
	if (f->has_ks)
		e2e_free(&f->e);
	mbedtls_platform_zeroize(f, sizeof(*f));
	free(f);
	a->flow = NULL;
}

const struct role_ops device_role = {
	.upstream_routes = up_routes,
	.upstream_hooks = &up_hooks,
	.init = device_init,
	.tick = device_tick,
	.next = device_next,
	.seq_limit = dev_seq_limit,
	.keys_lost = dev_keys_lost,
	.stats = device_stats,
	.fini = device_fini,
};
