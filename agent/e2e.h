/* SPDX-License-Identifier: GPL-2.0 */
/*
 * End-to-end messages between a member and the server under a context
 * derived from the member's Ksx with an ID context of its own (KsxId ||
 * "/sr", docs/operator-guide.md): the Service Request and
 * the group keying material that answers it.  They are OSCORE messages (RFC 8613,
 * the project's codec on mbedTLS AES-CCM), carried hex-encoded inside the
 * JSON bodies the gateway relays, so the gateway can neither read nor
 * alter them.
 */
#ifndef COAPSECD_E2E_H
#define COAPSECD_E2E_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/ks.h"
#include "tools/lib/oscore_derive.h"

#define E2E_MAX_MSG	1900

/*
 * The end-to-end exchange's ID context is KsxId || "/sr": Ksx also keys
 * the pairwise context in the kernel (ID context KsxId, the same sender
 * IDs), and the two must never share a (key, nonce).
 */
#define E2E_ID_CONTEXT_SUFFIX	"/sr"

/* KsxId || E2E_ID_CONTEXT_SUFFIX into @out: its length, or -1. */
int e2e_id_context(const char *ksid, uint8_t *out, size_t cap);

struct e2e {
	struct oscore_sw_ctx sw;
};

int e2e_init(struct e2e *e, const uint8_t ks[KS_LEN], const char *ksid,
	     bool server_side);
void e2e_free(struct e2e *e);

/* A POST to @path with a JSON payload, Partial IV @seq.  Length or -1. */
int e2e_protect_request(struct e2e *e, uint64_t seq, const char *path,
			const char *json, uint8_t *out, size_t cap,
			struct oscore_binding *b);

/*
 * Verifies a request in place.  @last_seq is the highest sequence number
 * accepted so far (-1: none): an older one is a replay and refused before
 * decryption.  On success fills @b (for the response), @seq, @path and
 * the payload (pointing into @pkt).  0, -1 (malformed, wrong context,
 * authentication failure) or -2 (replay).
 */
int e2e_unprotect_request(struct e2e *e, uint8_t *pkt, size_t len,
			  int64_t last_seq, struct oscore_binding *b,
			  uint64_t *seq, char *path, size_t path_cap,
			  const uint8_t **payload, size_t *plen);

/* The response to the request bound in @b.  Length or -1. */
int e2e_protect_response(struct e2e *e, const struct oscore_binding *b,
			 uint8_t code, const char *json, uint8_t *out,
			 size_t cap);

int e2e_unprotect_response(struct e2e *e, const struct oscore_binding *b,
			   uint8_t *pkt, size_t len, uint8_t *code,
			   const uint8_t **payload, size_t *plen);

#endif /* COAPSECD_E2E_H */
