/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Signed groups: Group OSCORE group mode (draft-ietf-core-oscore-groupcomm-28)
 * in coapsecd.  The kernel hands a signed group's messages to the agent
 * through NFQUEUE (policy action queue, agent/nfqueue.c); this file holds
 * what protects and verifies them:
 *
 *   - this endpoint's key pair (group_signing.key_file, mode 0600) and its
 *     authentication credential (a CCS, subject = the agent's ID), which
 *     it registers with the server;
 *   - per group the keying material of the current epoch (and of the
 *     previous one for grace_s seconds, so nothing in flight is lost in a
 *     rekey): Gid, Master Secret and Salt, algorithms, this endpoint's
 *     sender ID, the Group Manager's credential and the credentials of
 *     the other members that send, by kid;
 *   - per sender a replay window (group_signing.replay_window);
 *   - the sender sequence number, never used twice under one key, across
 *     restarts too: a floor ahead of use (2K above the last number
 *     persisted, every K messages) is written durably to
 *     group_signing.state_file before any number under it is used, and
 *     keys found there again start above it, their replay windows
 *     unknown (every message refused until new keys: RFC 8613 B.1.2).
 *
 * Each failure has its named counter (sgroup_stats).
 */
#ifndef COAPSECD_SGROUP_H
#define COAPSECD_SGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "agent/registry.h"
#include "codec/oscore_group.h"

/* One member's (or gateway's) credential in a signed group, by kid. */
struct sgroup_cred {
	uint8_t sid[SID_MAX_LEN];
	uint8_t sid_len;
	uint16_t ccs_len;
	uint8_t ccs[OSCORE_GROUP_CRED_MAX_LEN];
};

/* The keying material of one epoch of a signed group, as distributed. */
struct sgroup_keys {
	int alg;			/* Group Encryption Algorithm */
	int sig_alg;			/* OSCORE_SIG_ES256 or _EDDSA */
	uint8_t gid[GID_LEN];
	uint8_t secret[32];
	size_t secret_len;
	uint8_t salt[SALT_LEN];
	uint8_t sid[SID_MAX_LEN];	/* this endpoint's sender ID */
	size_t sid_len;
	uint16_t gm_cred_len;		/* 0: the Group Manager has none */
	uint8_t gm_cred[OSCORE_GROUP_CRED_MAX_LEN];
	size_t n_creds;
	struct sgroup_cred creds[];
};

struct sgroup_keys *sgroup_keys_new(size_t n_creds);
struct sgroup_keys *sgroup_keys_dup(const struct sgroup_keys *k);
/* Wipes and frees (NULL is fine). */
void sgroup_keys_free(struct sgroup_keys *k);
/* {"sig_alg", "gm_cred", "creds": [{"sid", "ccs"}]}: hex strings. */
int sgroup_creds_to_json(const struct sgroup_cred *c, size_t n, json_t *o);
/* Reads "creds" of @o into a new array (*@out, *@n).  0 or -1. */
int sgroup_creds_from_json(json_t *o, struct sgroup_cred **out, size_t *n);

/* What went wrong with a message: each has its counter. */
enum sgroup_verdict {
	SG_OK = 0,
	SG_SIG_FAIL,		/* countersignature does not verify */
	SG_AUTH_FAIL,		/* signature right, AEAD tag wrong */
	SG_UNSIGNED,		/* plain CoAP, or OSCORE without Group Flag */
	SG_REPLAY,		/* Partial IV seen, too old, or window unknown */
	SG_UNKNOWN_KID,		/* no credential for this sender */
	SG_NO_GROUP,		/* no signed group with this Gid (or none
				 * for an outgoing message) */
	SG_MALFORMED,		/* not parseable, or not IP/UDP */
	SG_UNSUPPORTED,		/* a response, or OSCORE going out */
	SG_SEQ_UNPERSISTED,	/* the floor could not be written */
	SG_BAD_CRED,		/* a credential that cannot be used */
	SG_ERROR,		/* crypto or memory */
	SG_NUM
};

struct sgroup_stats {
	uint64_t protected, verified;
	uint64_t drops[SG_NUM];
	uint64_t floors_written;
};

struct sgroups;

/*
 * Loads the key pair (@key_file, mode 0600) and the floors kept in
 * @state_file (missing: none yet).  @subject: the credential's subject.
 * NULL with @err set (naming the file).
 */
struct sgroups *sgroups_open(const char *key_file, const char *state_file,
			     const char *subject, unsigned int window,
			     unsigned int grace_s, char *err, size_t errlen);
void sgroups_close(struct sgroups *s);

/* This endpoint's credential (the CCS it registers). */
const uint8_t *sgroups_cred(const struct sgroups *s, size_t *len);

/*
 * Installs epoch @epoch of group @name (@k copied); the epoch it replaces
 * keeps verifying for grace_s seconds, only for the senders whose
 * credential @k still holds (a removed member's goes at once).  Its floor
 * is written before the call returns.  0, or -1 (logged).
 */
int sgroups_install(struct sgroups *s, const char *name, uint32_t epoch,
		    const struct sgroup_keys *k, uint64_t soft_limit);
/*
 * Moves group @name's sender forward to @seq (never back), its floor
 * written first.  0 or -1.
 */
int sgroups_skip(struct sgroups *s, const char *name, uint64_t seq);
/* Forgets group @name (both epochs).  Whether it was there. */
bool sgroups_remove(struct sgroups *s, const char *name);
bool sgroups_has(const struct sgroups *s, const char *name);

/*
 * Protects the CoAP request @coap (@len) under group @name into @out:
 * its length, or -(enum sgroup_verdict).  *@at_limit: the sequence
 * number reached the soft limit (the caller asks for a rekey).
 */
int sgroups_protect(struct sgroups *s, const char *name, const uint8_t *coap,
		    size_t len, uint8_t *out, size_t cap, bool *at_limit);
/*
 * Verifies the group mode message @pkt (@len; modified) and writes the
 * plain CoAP message into @out: its length, or -(enum sgroup_verdict).
 */
int sgroups_verify(struct sgroups *s, uint8_t *pkt, size_t len, uint8_t *out,
		   size_t cap);

/* Counts a drop decided outside (the packet was not IP/UDP...). */
void sgroups_count(struct sgroups *s, enum sgroup_verdict v);
const char *sgroup_verdict_name(enum sgroup_verdict v);
void sgroups_stats(const struct sgroups *s, json_t *o);
/* Previous epochs past their grace period go.  Call now and then. */
void sgroups_tick(struct sgroups *s, uint64_t now);

/* Messages per floor written (K): the floor is 2K ahead. */
#define SGROUP_FLOOR_INTERVAL	256

#endif /* COAPSECD_SGROUP_H */
