/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * CoAP (RFC 7252) message framing: strict parse and serialize.  Parsing
 * never copies: options and payload point into the parsed buffer, which
 * must outlive the struct coap_msg.
 */
#ifndef COAPSEC_CODEC_COAP_H
#define COAPSEC_CODEC_COAP_H

#include "compat.h"

#define COAP_VERSION		1
#define COAP_HDR_LEN		4
#define COAP_MAX_TOKEN_LEN	8
#define COAP_PAYLOAD_MARKER	0xff
/* Bounds the work per message; a request with more options is dropped. */
#define COAP_MAX_OPTIONS	32

enum coap_type {
	COAP_TYPE_CON = 0,
	COAP_TYPE_NON = 1,
	COAP_TYPE_ACK = 2,
	COAP_TYPE_RST = 3,
};

#define COAP_CODE(c, dd)	((u8)(((c) << 5) | (dd)))
#define COAP_CODE_CLASS(code)	((code) >> 5)
#define COAP_CODE_EMPTY		COAP_CODE(0, 0)
#define COAP_CODE_POST		COAP_CODE(0, 2)
#define COAP_CODE_FETCH		COAP_CODE(0, 5)
#define COAP_CODE_CHANGED	COAP_CODE(2, 4)
#define COAP_CODE_CONTENT	COAP_CODE(2, 5)

enum coap_option_num {
	COAP_OPT_IF_MATCH = 1,
	COAP_OPT_URI_HOST = 3,
	COAP_OPT_ETAG = 4,
	COAP_OPT_IF_NONE_MATCH = 5,
	COAP_OPT_OBSERVE = 6,
	COAP_OPT_URI_PORT = 7,
	COAP_OPT_LOCATION_PATH = 8,
	COAP_OPT_OSCORE = 9,
	COAP_OPT_URI_PATH = 11,
	COAP_OPT_CONTENT_FORMAT = 12,
	COAP_OPT_MAX_AGE = 14,
	COAP_OPT_URI_QUERY = 15,
	COAP_OPT_HOP_LIMIT = 16,
	COAP_OPT_ACCEPT = 17,
	COAP_OPT_EDHOC = 21,
	COAP_OPT_LOCATION_QUERY = 20,
	COAP_OPT_BLOCK2 = 23,
	COAP_OPT_BLOCK1 = 27,
	COAP_OPT_SIZE2 = 28,
	COAP_OPT_PROXY_URI = 35,
	COAP_OPT_PROXY_SCHEME = 39,
	COAP_OPT_SIZE1 = 60,
	COAP_OPT_NO_RESPONSE = 258,
};

struct coap_option {
	u16 number;
	u32 len;
	const u8 *value;
};

struct coap_msg {
	u8 type;
	u8 code;
	u16 mid;
	u8 token_len;
	u8 token[COAP_MAX_TOKEN_LEN];
	unsigned int num_opts;
	struct coap_option opts[COAP_MAX_OPTIONS];	/* sorted by number */
	const u8 *payload;
	size_t payload_len;
};

/* Parses a whole message.  0 or -CODEC_E*. */
int coap_parse(const u8 *buf, size_t len, struct coap_msg *m);

/*
 * Parses the options and payload that follow a header and token (or an
 * OSCORE plaintext's code byte).  Appends to @opts, of room @max, from
 * index *@n on; option numbers continue from the last one already there.
 */
int coap_parse_options(const u8 *buf, size_t len, struct coap_option *opts,
		       unsigned int max, unsigned int *n,
		       const u8 **payload, size_t *payload_len);

/* Serializes @m into @buf; the message length or -CODEC_E*. */
int coap_serialize(const struct coap_msg *m, u8 *buf, size_t cap);

/*
 * Serializes @m up to its payload: header, token, options and, when there
 * is a payload, the payload marker.  The payload's m->payload_len bytes
 * belong right after; the caller puts them there (or finds them there
 * already: rebuilding a message in place).  The head's length or
 * -CODEC_E*.
 */
int coap_serialize_head(const struct coap_msg *m, u8 *buf, size_t cap);

/* The header and token of @m alone: their length, or -CODEC_E*. */
int coap_serialize_header(const struct coap_msg *m, u8 *buf, size_t cap);

/*
 * Appends one option, delta-encoded against the previous number *@prev,
 * at @buf + *@pos; advances both.  0 or -CODEC_ENOSPC / -CODEC_EORDER.
 */
int coap_write_option(u8 *buf, size_t cap, size_t *pos, u16 *prev,
		      u16 number, const u8 *value, size_t len);

/* The first option @number of @m, or NULL. */
const struct coap_option *coap_find_option(const struct coap_msg *m,
					   u16 number);

static inline bool coap_has_option(const struct coap_msg *m, u16 number)
{
	return coap_find_option(m, number);
}

/* An option's value as an unsigned integer (RFC 7252 §3.2: uint). */
u32 coap_option_uint(const struct coap_option *o);

/* Whether two parsed messages are the same message, field by field. */
bool coap_msg_equal(const struct coap_msg *a, const struct coap_msg *b);

#endif /* COAPSEC_CODEC_COAP_H */
