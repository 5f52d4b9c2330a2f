/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The security contexts an agent ends up with, derived in userspace
 * (RFC 8613 HKDF through tools/lib/oscore_derive) in the form the kernel
 * takes them, plus the group keying material as agents exchange it.
 *
 *   pairwise (member <-> server): Master Secret Ksx, no salt, ID Context
 *            KsxId, sender IDs server 00, member 01
 *   group:   Master Secret and Salt from the server, ID Context Gid,
 *            a sender ID per member and per gateway, all assigned by the
 *            server and unique in the group: two gateways of one group
 *            never share a nonce space
 */
#ifndef COAPSECD_CONTEXTS_H
#define COAPSECD_CONTEXTS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "agent/ks.h"
#include "agent/registry.h"
#include "agent/sgroup.h"
#include "tools/lib/coapsec_nl.h"

enum actx_kind { ACTX_PAIRWISE, ACTX_GROUP };

struct actx {
	char name[CFG_MAX_ID_LEN + 16];	/* "pairwise:ID", "group:NAME" */
	enum actx_kind kind;
	uint32_t epoch;
	/* Derived keys, IDs; info.recipients is its own (actx_wipe frees). */
	struct coapsec_context_info info;
	unsigned int rcp_cap;		/* recipients allocated */
	uint32_t kernel_id;		/* 0: not in the kernel */
	/* An earlier instance's context taken over: its sequence number. */
	uint64_t adopted_seq;
	/* A checkpoint the registry refused: kept, then raised, on retry. */
	uint64_t persist_pending;
	/* Its kernel copy was lost: made again above its checkpoint,
	 * replay-unknown; until that went in (retries included). */
	bool lost;
	/* The kernel refused it: retried at retry_at (now_ms() time). */
	bool push_failed;
	unsigned int push_tries;
	uint64_t retry_at;
	/*
	 * A signed group's keying material (its own; actx_wipe frees): the
	 * agent protects and verifies its messages (agent/sgroup.h), the
	 * kernel holds no context for it, only queue policies.
	 */
	struct sgroup_keys *sg;
};

/* Gateways serving one group (each a recipient of its members). */
#define GROUP_MAX_GATEWAYS	16

/* Group keying material as the server sends it. */
struct group_msg {
	char name[CFG_MAX_ID_LEN];
	uint32_t epoch;
	int alg;
	uint8_t gid[GID_LEN];
	uint8_t secret[32];
	size_t secret_len;
	uint8_t salt[SALT_LEN];
	uint8_t sid[SID_MAX_LEN];	/* the receiver's (member or gateway) */
	size_t sid_len;
	size_t n_gateways;		/* the group's gateways' sender IDs */
	uint8_t gw_sid[GROUP_MAX_GATEWAYS][SID_MAX_LEN];
	uint8_t gw_sid_len[GROUP_MAX_GATEWAYS];
	size_t n_members;		/* gateway's copy: members' sender IDs */
	uint8_t member_sid[COAPSEC_MAX_RECIPIENTS][SID_MAX_LEN];
	uint8_t member_sid_len[COAPSEC_MAX_RECIPIENTS];
	/*
	 * A signed group (Group OSCORE group mode): its Signature Algorithm,
	 * the Group Manager's credential (none: 0) and the credentials of
	 * the group's gateways and sending members, by sender ID (creds:
	 * heap, group_msg_wipe frees).
	 */
	bool signed_mode;
	int sig_alg;
	uint16_t gm_cred_len;
	uint8_t gm_cred[OSCORE_GROUP_CRED_MAX_LEN];
	size_t n_creds;
	struct sgroup_cred *creds;
};

/* A gateway's sender ID when the server names none (older servers). */
#define GATEWAY_SID	0x00
#define PAIRWISE_SERVER_SID	0x00
#define PAIRWISE_MEMBER_SID	0x01

json_t *group_msg_to_json(const struct group_msg *g);
int group_msg_from_json(json_t *j, struct group_msg *g);
void group_msg_wipe(struct group_msg *g);

/* The pairwise context of a member (@server_side: the server's view). */
int actx_pairwise(struct actx *c, const char *member, const uint8_t ks[KS_LEN],
		  const char *ksid, bool server_side, uint64_t soft_limit);
/*
 * A member's group context: sends with its sender ID, verifies each of
 * the group's gateways.
 */
int actx_group_member(struct actx *c, const struct group_msg *g,
		      uint64_t soft_limit);
/*
 * The gateway's group context: sends with the sender ID the server gave
 * it in this group, verifies every member.
 */
int actx_group_gateway(struct actx *c, const struct group_msg *g,
		       uint64_t soft_limit);
/* Wipes @c's keys and frees its recipients. */
void actx_wipe(struct actx *c);

/* The contexts an agent holds, by name. */
struct ctxset {
	struct actx *v;
	size_t n, cap;
};

/* Adds or replaces (same name) with a copy of @c; the slot, or NULL. */
struct actx *ctxset_put(struct ctxset *s, const struct actx *c);
struct actx *ctxset_find(struct ctxset *s, const char *name);
void ctxset_free(struct ctxset *s);
/*
 * Writes the contexts without keys: IDs and a short SHA-256 fingerprint
 * of each key and IV, enough to compare two agents' views.  Mode 0600,
 * written to PATH.tmp and renamed.  0, or -1 with errno set.
 */
int ctxset_write(const struct ctxset *s, const char *path, const char *role,
		 const char *id);
/* Takes @name out of the set (wiped); whether it was there. */
bool ctxset_del(struct ctxset *s, const char *name);

/*
 * The interval K of seq-checkpoint events (RFC 8613 B.1.1) for a context
 * whose keys outlive the agent (the server's pairwise contexts, from the
 * registry): a sixteenth of the soft limit, 1..65536.
 */
uint32_t actx_checkpoint_interval(uint64_t soft_limit);

/*
 * Sequence-number checkpoints of contexts whose keys outlive the agent,
 * kept in the registry beside the keys (registry_checkpoint_*): a
 * context's name maps to a fingerprint of its sender key material, the
 * sequence number a re-created context must start at, the boot it was
 * written in (/proc/sys/kernel/random/boot_id and the kernel's coapsec
 * instance ID, "BOOT_ID/INSTANCE_ID") and whether its replay windows are
 * unknown.  No key material.
 */
struct seqstate;
struct registry;

/*
 * Checkpoints in @reg.  @sidecar, when not NULL, names the JSON file
 * earlier versions kept them in (DB.seq beside an SQLite registry): if it
 * exists its entries are imported once (the larger sequence number wins)
 * and it is deleted.  NULL with @err set (a sidecar that does not parse
 * stops the agent rather than lose its checkpoints).
 */
struct seqstate *seqstate_open(struct registry *reg, const char *sidecar,
			       char *err, size_t errlen);
/*
 * The kernel's coapsec instance ID (FEATURES_INSTANCE_ID): new at every
 * module load.  Checkpoints written under another instance (or boot, or
 * by versions that did not keep it) have their replay windows unknown.
 */
void seqstate_set_instance(struct seqstate *s, uint64_t instance_id);
/* As seqstate_set_instance, with @boot_id for the host's ("": unreadable). */
void seqstate_identify(struct seqstate *s, const char *boot_id,
		       uint64_t instance_id);
void seqstate_close(struct seqstate *s);
/*
 * What is kept for @c's name and sender key material: the sequence
 * number to start at, and whether the replay windows are unknown (it was
 * written in another boot or kernel instance, or said so).  false: nothing for these keys.
 */
bool seqstate_get(struct seqstate *s, const struct actx *c, uint64_t *seq,
		  bool *replay_unknown);
/* As seqstate_get: 1 (kept), 0 (nothing for these keys), -1 (cannot tell). */
int seqstate_lookup(struct seqstate *s, const struct actx *c, uint64_t *seq,
		    bool *replay_unknown);
/*
 * Keeps @seq (the larger of it and what is kept) for @c, durably before
 * it returns.  0 or -1.
 */
int seqstate_put(struct seqstate *s, const struct actx *c, uint64_t seq,
		 bool replay_unknown);
/* As seqstate_put; @kept (when not NULL): the value now kept, >= @seq. */
int seqstate_keep(struct seqstate *s, const struct actx *c, uint64_t seq,
		  bool replay_unknown, uint64_t *kept);
/* Forgets @name.  0 or -1. */
int seqstate_forget(struct seqstate *s, const char *name);
/* Where they are kept, for logs. */
const char *seqstate_describe(const struct seqstate *s);

#endif /* COAPSECD_CONTEXTS_H */
