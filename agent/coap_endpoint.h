/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CoAP over DTLS (coaps) between agents, with JSON bodies (content-format
 * 50).  Messages are framed by the project's codec (kmod/codec/coap.h);
 * this layer adds routing by Uri-Path, message deduplication, piggybacked
 * responses that a handler may give later (the gateway's relay), and
 * client requests with retransmission (RFC 7252 §4.2 timing).
 */
#ifndef COAPSECD_COAP_ENDPOINT_H
#define COAPSECD_COAP_ENDPOINT_H

#include <stdint.h>

#include <jansson.h>

#include "agent/dtls.h"
#include "codec/coap.h"

#define COAP_CF_TEXT		0
#define COAP_CF_LINK		40
#define COAP_CF_OSCORE		10001
#define COAP_CF_JSON		50

#define COAP_METHOD_GET		COAP_CODE(0, 1)
#define COAP_METHOD_POST	COAP_CODE(0, 2)

#define COAP_CREATED		COAP_CODE(2, 1)
#define COAP_BAD_REQUEST	COAP_CODE(4, 0)
#define COAP_UNAUTHORIZED	COAP_CODE(4, 1)
#define COAP_BAD_OPTION		COAP_CODE(4, 2)
#define COAP_FORBIDDEN		COAP_CODE(4, 3)
#define COAP_NOT_FOUND		COAP_CODE(4, 4)
#define COAP_NOT_ALLOWED	COAP_CODE(4, 5)
#define COAP_UNSUPPORTED_CF	COAP_CODE(4, 15)
#define COAP_INTERNAL		COAP_CODE(5, 0)
#define COAP_UNAVAILABLE	COAP_CODE(5, 3)
#define COAP_GATEWAY_TIMEOUT	COAP_CODE(5, 4)

/* Returned by a handler that will answer later through coap_respond(). */
#define COAP_DEFERRED		0

struct coap_ep;

struct coap_req {
	struct coap_ep *ep;
	struct dtls_peer *peer;
	const struct coap_msg *msg;
	char path[96];			/* "/a/b" */
	json_t *body;			/* the parsed JSON payload, or NULL */
};

/* A request to answer later; stale once its session is gone. */
struct coap_deferred {
	struct coap_ep *ep;
	struct dtls_peer *peer;
	uint32_t gen;
	uint8_t type;
	uint16_t mid;
	uint8_t token_len;
	uint8_t token[COAP_MAX_TOKEN_LEN];
};

/*
 * A handler returns the response code and sets *@resp (owned by the
 * endpoint afterwards) or returns COAP_DEFERRED after coap_defer().
 */
typedef uint8_t (*coap_handler_fn)(void *arg, const struct coap_req *req,
				   json_t **resp);

struct coap_route {
	uint8_t method;
	const char *path;
	coap_handler_fn fn;
};

/*
 * The answer to a request: @code < 0 when none came (timeout, closed);
 * @body is the payload parsed as JSON (NULL if it is not), @payload raw.
 */
typedef void (*coap_resp_fn)(void *arg, int code, json_t *body,
			     const uint8_t *payload, size_t len);

struct coap_ep_hooks {
	const struct psk_cred *(*psk)(void *arg, const char *identity);
	void (*established)(void *arg, struct dtls_peer *p);
	void (*closed)(void *arg, struct dtls_peer *p);
	/* A request to @p got no answer: the session may be dead. */
	void (*timeout)(void *arg, struct dtls_peer *p);
};

struct coap_ep *coap_ep_new(const struct coap_route *routes,
			    const struct coap_ep_hooks *hooks, void *arg);
void coap_ep_free(struct coap_ep *ep);

/* The DTLS callbacks that feed this endpoint (arg: the endpoint). */
extern const struct dtls_ops coap_ep_dtls_ops;

void coap_defer(const struct coap_req *req, struct coap_deferred *d);
/* Sends the late response; @body is consumed.  0, or -1 when stale. */
int coap_respond(const struct coap_deferred *d, uint8_t code, json_t *body);

/* Sends a CON request; @body is consumed; @cb runs exactly once. */
int coap_request(struct coap_ep *ep, struct dtls_peer *p, uint8_t method,
		 const char *path, json_t *body, coap_resp_fn cb, void *arg);

/* Retransmissions and timeouts of requests. */
void coap_ep_tick(struct coap_ep *ep, uint64_t now);
/* When coap_ep_tick() has something to do, UINT64_MAX: nothing. */
uint64_t coap_ep_next(const struct coap_ep *ep);

struct coap_ep_stats {
	uint64_t requests, responses, bad_messages, duplicates, retransmits,
		 timeouts;
};
const struct coap_ep_stats *coap_ep_stats(const struct coap_ep *ep);

/* "2.05" */
const char *coap_code_str(int code);

#endif /* COAPSECD_COAP_ENDPOINT_H */
