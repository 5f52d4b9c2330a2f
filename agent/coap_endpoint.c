// SPDX-License-Identifier: GPL-2.0
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>

#include "agent/coap_endpoint.h"
#include "agent/log.h"

/* Outstanding requests per session (the gateway relays for many devices). */
#define OUT_MAX		4096
#define ACK_TIMEOUT_MS	2000
#define MAX_RETRANSMIT	4
/* A signed group's credentials travel with its keys: room for a few. */
#define MSG_MAX		4096

struct coap_out {
	struct coap_out *next;
	bool acked;
	uint8_t token[4];
	uint16_t mid;
	uint8_t *bytes;
	size_t len;
	uint64_t next_tx, deadline;
	unsigned int tries;
	coap_resp_fn cb;
	void *arg;
};

/* CoAP state of one DTLS session. */
struct coap_peer {
	struct coap_ep *ep;
	struct dtls_peer *p;
	uint16_t next_mid;
	struct coap_out *out;		/* outstanding requests */
	unsigned int nout;
	/* last CON request received: deduplication (RFC 7252 §4.5) */
	bool has_last, last_pending;
	uint16_t last_mid;
	uint8_t last_resp[MSG_MAX];
	size_t last_len;
	struct coap_peer *prev, *next;
};

struct coap_ep {
	const struct coap_route *routes;
	const struct coap_ep_hooks *hooks;
	void *arg;
	uint32_t next_token;
	struct coap_peer *peers;
	struct coap_ep_stats stats;
};

const char *coap_code_str(int code)
{
	static char b[16];

	if (code < 0)
		return "timeout";
	snprintf(b, sizeof(b), "%d.%02d", code >> 5, code & 31);
	return b;
}

static struct coap_peer *cpeer(struct coap_ep *ep, struct dtls_peer *p)
{
	struct coap_peer *c = dtls_peer_app(p);

	if (c)
		return c;
	/* Not calloc: last_resp is written before it is read. */
	c = malloc(sizeof(*c));
	if (!c)
		return NULL;
	memset(c, 0, offsetof(struct coap_peer, last_resp));
	c->last_len = 0;
	c->prev = NULL;
	c->ep = ep;
	c->p = p;
	c->next_mid = (uint16_t)(ep->next_token * 2654435761u >> 16);
	c->next = ep->peers;
	if (ep->peers)
		ep->peers->prev = c;
	ep->peers = c;
	dtls_peer_set_app(p, c);
	return c;
}

static void cpeer_free(struct coap_ep *ep, struct coap_peer *c)
{
	while (c->out) {
		struct coap_out *o = c->out;

		c->out = o->next;
		c->nout--;
		o->cb(o->arg, -1, NULL, NULL, 0);
		free(o->bytes);
		free(o);
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		ep->peers = c->next;
	if (c->next)
		c->next->prev = c->prev;
	mbedtls_platform_zeroize(c->last_resp, c->last_len);
	free(c);
}

static int send_msg(struct dtls_peer *p, const struct coap_msg *m, uint8_t *buf,
		    size_t cap)
{
	int n = coap_serialize(m, buf, cap);

	if (n < 0)
		return -1;
	return dtls_peer_send(p, buf, (size_t)n) ? -1 : n;
}

static void send_empty(struct dtls_peer *p, uint8_t type, uint16_t mid)
{
	struct coap_msg m = { .type = type, .code = COAP_CODE_EMPTY, .mid = mid };
	uint8_t b[8];

	send_msg(p, &m, b, sizeof(b));
}

/* Content-Format and payload from a JSON body. */
static char *fill_body(struct coap_msg *m, json_t *body, uint8_t cf[2])
{
	char *text;

	if (!body)
		return NULL;
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!text)
		return NULL;
	cf[0] = COAP_CF_JSON;
	m->opts[m->num_opts++] = (struct coap_option){
		.number = COAP_OPT_CONTENT_FORMAT, .len = 1, .value = cf };
	m->payload = (const uint8_t *)text;
	m->payload_len = strlen(text);
	return text;
}

static int respond(struct coap_peer *c, uint8_t req_type, uint16_t mid,
		   const uint8_t *token, uint8_t tkl, uint8_t code, json_t *body,
		   const char *raw, uint16_t raw_cf)
{
	struct coap_msg m = { .code = code, .token_len = tkl };
	uint8_t cf[2] = { 0 }, buf[MSG_MAX];
	char *text = NULL;
	int n;

	if (req_type == COAP_TYPE_CON) {
		m.type = COAP_TYPE_ACK;
		m.mid = mid;
	} else {
		m.type = COAP_TYPE_NON;
		m.mid = c->next_mid++;
	}
	memcpy(m.token, token, tkl);
	if (raw) {
		cf[0] = (uint8_t)raw_cf;
		m.opts[m.num_opts++] = (struct coap_option){
			.number = COAP_OPT_CONTENT_FORMAT,
			.len = raw_cf ? 1 : 0, .value = cf };
		m.payload = (const uint8_t *)raw;
		m.payload_len = strlen(raw);
	} else {
		text = fill_body(&m, body, cf);
	}
	n = send_msg(c->p, &m, buf, sizeof(buf));
	if (text) {
		mbedtls_platform_zeroize(text, strlen(text));
		free(text);
	}
	if (n < 0) {
		mbedtls_platform_zeroize(buf, sizeof(buf));
		log_warn("coap: %s: response %s too large or not sent",
			 dtls_peer_name(c->p), coap_code_str(code));
		return -1;
	}
	c->ep->stats.responses++;
	if (req_type == COAP_TYPE_CON && c->has_last && c->last_mid == mid) {
		memcpy(c->last_resp, buf, (size_t)n);
		c->last_len = (size_t)n;
		c->last_pending = false;
	}
	mbedtls_platform_zeroize(buf, (size_t)n);
	return 0;
}

void coap_defer(const struct coap_req *req, struct coap_deferred *d)
{
	d->ep = req->ep;
	d->peer = req->peer;
	d->gen = dtls_peer_gen(req->peer);
	d->type = req->msg->type;
	d->mid = req->msg->mid;
	d->token_len = req->msg->token_len;
	memcpy(d->token, req->msg->token, d->token_len);
}

int coap_respond(const struct coap_deferred *d, uint8_t code, json_t *body)
{
	struct coap_peer *c;

	if (!d->peer || dtls_peer_gen(d->peer) != d->gen ||
	    !dtls_peer_up(d->peer) || !(c = dtls_peer_app(d->peer))) {
		json_decref(body);
		return -1;
	}
	return respond(c, d->type, d->mid, d->token, d->token_len, code, body,
		       NULL, 0);
}

/* Options a server must understand (critical, RFC 7252 §5.4.1). */
static bool option_known(uint16_t num)
{
	switch (num) {
	case COAP_OPT_URI_HOST: case COAP_OPT_URI_PORT: case COAP_OPT_URI_PATH:
	case COAP_OPT_URI_QUERY: case COAP_OPT_ACCEPT: case COAP_OPT_BLOCK2:
	case COAP_OPT_BLOCK1: case COAP_OPT_SIZE1: case COAP_OPT_SIZE2:
	case COAP_OPT_CONTENT_FORMAT: case COAP_OPT_IF_MATCH:
		return true;
	}
	return !(num & 1);
}

static void well_known(struct coap_ep *ep, char *out, size_t cap)
{
	size_t pos = 0;

	out[0] = 0;
	for (const struct coap_route *r = ep->routes; r->path; r++)
		pos += (size_t)snprintf(out + pos, cap - pos, "%s<%s>;ct=50",
					pos ? "," : "", r->path);
}

static void handle_request(struct coap_ep *ep, struct coap_peer *c,
			   const struct coap_msg *m)
{
	struct coap_req req = { .ep = ep, .peer = c->p, .msg = m };
	const struct coap_route *r;
	bool path_found = false;
	json_t *resp = NULL;
	size_t pos = 0;
	uint8_t code;

	ep->stats.requests++;
	if (m->type == COAP_TYPE_CON) {
		if (c->has_last && c->last_mid == m->mid) {
			ep->stats.duplicates++;
			if (!c->last_pending)
				dtls_peer_send(c->p, c->last_resp, c->last_len);
			return;
		}
		c->has_last = true;
		c->last_pending = true;
		c->last_mid = m->mid;
	}
	for (unsigned int i = 0; i < m->num_opts; i++) {
		const struct coap_option *o = &m->opts[i];

		if (!option_known(o->number)) {
			respond(c, m->type, m->mid, m->token, m->token_len,
				COAP_BAD_OPTION, NULL, "", 0);
			return;
		}
		if (o->number != COAP_OPT_URI_PATH)
			continue;
		if (pos + 1 + o->len >= sizeof(req.path)) {
			respond(c, m->type, m->mid, m->token, m->token_len,
				COAP_NOT_FOUND, NULL, "", 0);
			return;
		}
		req.path[pos++] = '/';
		memcpy(req.path + pos, o->value, o->len);
		pos += o->len;
	}
	req.path[pos] = 0;
	if (!pos)
		strcpy(req.path, "/");
	if (!strcmp(req.path, "/.well-known/core") && m->code == COAP_METHOD_GET) {
		char links[512];

		well_known(ep, links, sizeof(links));
		respond(c, m->type, m->mid, m->token, m->token_len,
			COAP_CODE_CONTENT, NULL, links, COAP_CF_LINK);
		return;
	}
	for (r = ep->routes; r->path; r++) {
		if (strcmp(r->path, req.path))
			continue;
		path_found = true;
		if (r->method == m->code)
			break;
	}
	if (!r->path) {
		respond(c, m->type, m->mid, m->token, m->token_len,
			path_found ? COAP_NOT_ALLOWED : COAP_NOT_FOUND, NULL, "", 0);
		return;
	}
	if (m->payload_len) {
		json_error_t je;

		req.body = json_loadb((const char *)m->payload, m->payload_len,
				      JSON_REJECT_DUPLICATES, &je);
		if (!req.body || !json_is_object(req.body)) {
			json_decref(req.body);
			respond(c, m->type, m->mid, m->token, m->token_len,
				COAP_BAD_REQUEST, json_pack("{s:s}", "error",
							    "expected a JSON object"),
				NULL, 0);
			return;
		}
	}
	code = r->fn(ep->arg, &req, &resp);
	json_decref(req.body);
	if (code != COAP_DEFERRED)
		respond(c, m->type, m->mid, m->token, m->token_len, code, resp,
			NULL, 0);
}

static void handle_response(struct coap_ep *ep, struct coap_peer *c,
			    const struct coap_msg *m)
{
	json_t *body = NULL;

	if (m->type == COAP_TYPE_CON)
		send_empty(c->p, COAP_TYPE_ACK, m->mid);
	for (struct coap_out **pp = &c->out; *pp; pp = &(*pp)->next) {
		struct coap_out *o = *pp;

		if (m->token_len != sizeof(o->token) ||
		    memcmp(m->token, o->token, sizeof(o->token)))
			continue;
		*pp = o->next;
		c->nout--;
		if (m->payload_len)
			body = json_loadb((const char *)m->payload,
					  m->payload_len, 0, NULL);
		o->cb(o->arg, m->code, body, m->payload, m->payload_len);
		json_decref(body);
		free(o->bytes);
		free(o);
		return;
	}
	ep->stats.duplicates++;
}

static void ep_record(void *arg, struct dtls_peer *p, uint8_t *buf, size_t len)
{
	struct coap_ep *ep = arg;
	struct coap_peer *c = cpeer(ep, p);
	struct coap_msg m;

	if (!c)
		return;
	if (coap_parse(buf, len, &m)) {
		ep->stats.bad_messages++;
		return;
	}
	if (m.code == COAP_CODE_EMPTY) {
		for (struct coap_out **pp = &c->out; *pp; pp = &(*pp)->next) {
			struct coap_out *o = *pp;

			if (o->mid != m.mid)
				continue;
			if (m.type == COAP_TYPE_ACK) {
				o->acked = true;
			} else if (m.type == COAP_TYPE_RST) {
				*pp = o->next;
				c->nout--;
				o->cb(o->arg, -1, NULL, NULL, 0);
				free(o->bytes);
				free(o);
			}
			break;
		}
		if (m.type == COAP_TYPE_CON)	/* CoAP ping */
			send_empty(p, COAP_TYPE_RST, m.mid);
		return;
	}
	if (COAP_CODE_CLASS(m.code) == 0)
		handle_request(ep, c, &m);
	else if (COAP_CODE_CLASS(m.code) >= 2)
		handle_response(ep, c, &m);
	else
		ep->stats.bad_messages++;
}

static const struct psk_cred *ep_psk(void *arg, const char *identity)
{
	struct coap_ep *ep = arg;

	return ep->hooks->psk ? ep->hooks->psk(ep->arg, identity) : NULL;
}

static void ep_established(void *arg, struct dtls_peer *p)
{
	struct coap_ep *ep = arg;

	if (ep->hooks->established)
		ep->hooks->established(ep->arg, p);
}

static void ep_closed(void *arg, struct dtls_peer *p)
{
	struct coap_ep *ep = arg;
	struct coap_peer *c = dtls_peer_app(p);

	if (ep->hooks->closed)
		ep->hooks->closed(ep->arg, p);
	if (c) {
		dtls_peer_set_app(p, NULL);
		cpeer_free(ep, c);
	}
}

const struct dtls_ops coap_ep_dtls_ops = {
	.psk = ep_psk,
	.established = ep_established,
	.record = ep_record,
	.closed = ep_closed,
};

int coap_request(struct coap_ep *ep, struct dtls_peer *p, uint8_t method,
		 const char *path, json_t *body, coap_resp_fn cb, void *arg)
{
	struct coap_peer *c = dtls_peer_up(p) ? cpeer(ep, p) : NULL;
	struct coap_msg m = { .type = COAP_TYPE_CON, .code = method,
			      .token_len = 4 };
	struct coap_out *o = NULL;
	uint8_t cf[2] = { 0 }, buf[MSG_MAX];
	char segs[96], *save, *seg, *text;
	uint64_t now = now_ms();
	int n;

	if (c && c->nout < OUT_MAX)
		o = calloc(1, sizeof(*o));
	if (!o) {
		json_decref(body);
		cb(arg, -1, NULL, NULL, 0);
		return -1;
	}
	snprintf(segs, sizeof(segs), "%s", path);
	for (seg = strtok_r(segs, "/", &save); seg && m.num_opts < 8;
	     seg = strtok_r(NULL, "/", &save))
		m.opts[m.num_opts++] = (struct coap_option){
			.number = COAP_OPT_URI_PATH, .len = (uint32_t)strlen(seg),
			.value = (const uint8_t *)seg };
	text = fill_body(&m, body, cf);
	m.mid = c->next_mid++;
	ep->next_token++;
	memcpy(m.token, &ep->next_token, 4);
	n = coap_serialize(&m, buf, sizeof(buf));
	if (text) {
		mbedtls_platform_zeroize(text, strlen(text));
		free(text);
	}
	if (n < 0 || !(o->bytes = malloc((size_t)n))) {
		free(o);
		cb(arg, -1, NULL, NULL, 0);
		return -1;
	}
	memcpy(o->bytes, buf, (size_t)n);
	mbedtls_platform_zeroize(buf, sizeof(buf));
	o->len = (size_t)n;
	o->next = c->out;
	c->out = o;
	c->nout++;
	o->mid = m.mid;
	memcpy(o->token, m.token, 4);
	o->tries = 0;
	o->next_tx = now + ACK_TIMEOUT_MS;
	/*
	 * Two transmissions, then the session is presumed dead (the peer
	 * restarted and lost it): the caller hears -1 and DTLS starts over.
	 */
	o->deadline = now + 3 * ACK_TIMEOUT_MS;
	o->cb = cb;
	o->arg = arg;
	dtls_peer_send(p, o->bytes, o->len);
	return 0;
}

uint64_t coap_ep_next(const struct coap_ep *ep)
{
	uint64_t next = UINT64_MAX;

	for (const struct coap_peer *c = ep->peers; c; c = c->next)
		for (const struct coap_out *o = c->out; o; o = o->next) {
			if (o->deadline < next)
				next = o->deadline;
			if (!o->acked && o->next_tx < next)
				next = o->next_tx;
		}
	return next;
}

void coap_ep_tick(struct coap_ep *ep, uint64_t now)
{
	for (struct coap_peer *c = ep->peers; c; c = c->next) {
		struct coap_out **pp = &c->out;

		while (*pp) {
			struct coap_out *o = *pp;

			if (now >= o->deadline ||
			    (!o->acked && o->tries >= MAX_RETRANSMIT &&
			     now >= o->next_tx)) {
				ep->stats.timeouts++;
				*pp = o->next;
				c->nout--;
				o->cb(o->arg, -1, NULL, NULL, 0);
				free(o->bytes);
				free(o);
				if (ep->hooks->timeout)
					ep->hooks->timeout(ep->arg, c->p);
				continue;
			}
			pp = &o->next;
			if (!o->acked && now >= o->next_tx) {
				ep->stats.retransmits++;
				o->tries++;
				o->next_tx = now + ((uint64_t)ACK_TIMEOUT_MS << o->tries);
				dtls_peer_send(c->p, o->bytes, o->len);
			}
		}
	}
}

struct coap_ep *coap_ep_new(const struct coap_route *routes,
			    const struct coap_ep_hooks *hooks, void *arg)
{
	struct coap_ep *ep = calloc(1, sizeof(*ep));

	if (!ep)
		return NULL;
	ep->routes = routes;
	ep->hooks = hooks;
	ep->arg = arg;
	ep->next_token = (uint32_t)now_ms() * 2654435761u;
	return ep;
}

void coap_ep_free(struct coap_ep *ep)
{
	if (!ep)
		return;
	while (ep->peers) {
		struct coap_peer *c = ep->peers;

		dtls_peer_set_app(c->p, NULL);
		cpeer_free(ep, c);
	}
	free(ep);
}

const struct coap_ep_stats *coap_ep_stats(const struct coap_ep *ep)
{
	return &ep->stats;
}
