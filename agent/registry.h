/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The server's registry: members (credential identifiers, the issued Ks
 * and KsId and the Rand they came from, group sender IDs) and groups
 * (keying material, Gid, epoch).  It survives restarts.  Two backends
 * behind one interface (registry_db.h): an SQLite file, created mode 0600
 * because it holds keys (the embedded default), and a PostgreSQL
 * database that several server instances share.
 */
#ifndef COAPSECD_REGISTRY_H
#define COAPSECD_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include <mbedtls/ctr_drbg.h>

#include "agent/config.h"
#include "agent/ks.h"

#define GID_LEN		4
#define SALT_LEN	8
#define SID_MAX_LEN	2

struct registry;

struct reg_member {
	char id[CFG_MAX_ID_LEN];
	char ksid[CFG_MAX_ID_LEN];
	/*
	 * One of its groups, with its sender ID and the epoch last sent to
	 * it there, when listed by group (registry_group_members(),
	 * registry_member_groups()); empty from registry_member_get().
	 */
	char group[CFG_MAX_ID_LEN];
	char gateway[CFG_MAX_ID_LEN];	/* who reported it last */
	uint8_t sid[SID_MAX_LEN];	/* sender ID in that group */
	uint8_t sid_len;
	bool issued;			/* holds a Ks */
	uint8_t rand[KS_RAND_LEN];
	uint8_t ks[KS_LEN];
	int64_t sr_seq;			/* last Service Request seq, -1: none */
	uint32_t issued_epoch;		/* that group's epoch last sent to it,
					 * 0: none */
};

struct reg_group {
	char name[CFG_MAX_ID_LEN];
	int alg;
	uint32_t epoch;
	uint8_t gid[GID_LEN];
	uint8_t secret[32];
	uint8_t secret_len;
	uint8_t salt[SALT_LEN];
	/* the previous epoch's Gid, valid until retire_at (unix seconds) */
	uint8_t old_gid[GID_LEN];
	int64_t retire_at;
};

/*
 * Opens the registry in @backend: @target is the SQLite file, or the
 * libpq connection string.  NULL with @err set ("TARGET: why", never a
 * password) on failure.
 */
struct registry *registry_open_backend(enum reg_backend backend,
				       const char *target, char *err,
				       size_t errlen);
/* The SQLite file @path. */
struct registry *registry_open(const char *path, char *err, size_t errlen);
void registry_close(struct registry *r);
/* The registry for logs: the file, or the connection without password. */
const char *registry_describe(struct registry *r);
const char *registry_backend_name(struct registry *r);

/*
 * One transaction.  A commit that fails rolls back; rollback after a
 * failed write undoes every write since begin (no effect outside one).
 * Write transactions are serialized across every process sharing the
 * registry (SQLite's write lock; a PostgreSQL advisory lock), so what a
 * transaction reads stays true until it commits.
 */
int registry_begin(struct registry *r);
int registry_commit(struct registry *r);
void registry_rollback(struct registry *r);

/*
 * Brings the registry in line with the configuration: new groups get
 * keying material, a member gets a sender ID in each of its groups
 * (members[].groups), a member that left a group leaves it (its other
 * groups are untouched), removed members go, each
 * gateway gets a sender ID in every group it serves (members[].gateways),
 * and every group that lost or changed a member or a gateway is rekeyed.
 * A registry of an earlier version (one group per member, in members)
 * is migrated when opened.
 * Members are keyed by NFKC(IdAx) (cfg_member.norm).  Calls
 * @rekeyed(arg, group) for each group rekeyed.  0 or -1.
 */
int registry_sync(struct registry *r, const struct agent_config *cfg,
		  mbedtls_ctr_drbg_context *drbg,
		  void (*rekeyed)(void *arg, const char *group), void *arg);
/*
 * registry_sync(), and after the commit @dropped(arg, id) for each member
 * row it deleted: a member gone from the configuration, or one whose
 * credential (KsxId) or group changed (its row is made again, without a
 * Ks).  Either way the Ks it held is dead: its pairwise context must go.
 */
int registry_sync_ex(struct registry *r, const struct agent_config *cfg,
		     mbedtls_ctr_drbg_context *drbg,
		     void (*rekeyed)(void *arg, const char *group),
		     void (*dropped)(void *arg, const char *id), void *arg);

/*
 * New keying material and Gid, epoch + 1; the old Gid retires after
 * grace.  Called outside a transaction, runs in one of its own.
 */
int registry_group_rekey(struct registry *r, const char *name,
			 mbedtls_ctr_drbg_context *drbg, unsigned int grace_s);

int registry_group_get(struct registry *r, const char *name,
		       struct reg_group *g);
/* Members of @group in sender ID order; @cb returns non-zero to stop. */
int registry_group_members(struct registry *r, const char *group,
			   int (*cb)(void *arg, const struct reg_member *m),
			   void *arg);
/* Every group, in name order; @cb returns non-zero to stop.  0 or -1. */
int registry_groups(struct registry *r,
		    int (*cb)(void *arg, const struct reg_group *g), void *arg);

/*
 * Every group's name and epoch, in name order, without keying material
 * (what another instance sharing the registry may have changed); @cb
 * returns non-zero to stop.  0 or -1.
 */
int registry_group_epochs(struct registry *r,
			  int (*cb)(void *arg, const char *group,
				    uint32_t epoch),
			  void *arg);

/* 0, 1 when there is no such member, -1 on error. */
int registry_member_get(struct registry *r, const char *id,
			struct reg_member *m);
/* Stores a freshly issued Ks (resets the Service Request replay state). */
int registry_member_issue(struct registry *r, const char *id,
			  const char *gateway, const uint8_t rand[KS_RAND_LEN],
			  const uint8_t ks[KS_LEN]);
/*
 * Forgets the Ks issued to @id (its next report gets a new one): a Ks
 * whose sequence numbers are not known must never key anything again.
 */
int registry_member_revoke(struct registry *r, const char *id);
int registry_member_set_sr_seq(struct registry *r, const char *id, int64_t seq);
int registry_member_set_issued_epoch(struct registry *r, const char *id,
				     const char *group, uint32_t epoch);
/* The groups of member @id in name order, one call each; @cb returns
 * non-zero to stop.  0 or -1. */
int registry_member_groups(struct registry *r, const char *id,
			   int (*cb)(void *arg, const struct reg_member *m),
			   void *arg);
int registry_member_count(struct registry *r);

/*
 * The sender ID of @gateway in @group, assigned by registry_sync() to
 * each gateway that serves a member of the group, unique in the group
 * (members included).  0, 1 when it has none there, -1 on error.
 */
int registry_gateway_sid(struct registry *r, const char *gateway,
			 const char *group, uint8_t sid[SID_MAX_LEN],
			 uint8_t *len);
/* The gateways of @group with their sender IDs, in sender ID order. */
int registry_group_gateways(struct registry *r, const char *group,
			    int (*cb)(void *arg, const char *gateway,
				      const uint8_t *sid, uint8_t len),
			    void *arg);

/* The last epoch of @group handed to @gateway (0: never). */
uint32_t registry_served_epoch(struct registry *r, const char *gateway,
			       const char *group);
int registry_set_served_epoch(struct registry *r, const char *gateway,
			      const char *group, uint32_t epoch);

/*
 * Sequence-number checkpoints (RFC 8613 B.1.1) of the contexts whose keys
 * outlive the agent, by context name: where a re-created context must
 * start, for the sender key material whose fingerprint is key_fp, the
 * boot it was written in and whether the replay windows are unknown.
 * No key material.  One per name is enough: a Ks comes from the registry
 * only, which holds one per member and never gives a replaced one back
 * (a restored backup aside: see coapsecd(8)); a kept Ks whose
 * checkpoint names other keys is not installed (agent_seq_known), and
 * within a kernel instance its memory of retired keys (kmod/retired.c)
 * covers a swap back.
 */
struct reg_checkpoint {
	char key_fp[17];
	int64_t seq;
	/* "BOOT_ID/INSTANCE_ID" (instance ID in 16 hex digits); bare
	 * BOOT_ID as earlier versions wrote it. */
	char boot_id[64];
	bool replay_unknown;
};

/* 0, 1 when none is kept for @name, -1 on error. */
int registry_checkpoint_get(struct registry *r, const char *name,
			    struct reg_checkpoint *cp);
/*
 * Replaces @name's checkpoint in a transaction of its own, committed
 * durably (fsync'ed on SQLite, synchronous_commit on PostgreSQL) before
 * it returns 0: only then may the kernel use the numbers below it.
 * Refused (-1) inside a transaction.
 */
int registry_checkpoint_put(struct registry *r, const char *name,
			    const struct reg_checkpoint *cp);
/* Forgets @name's checkpoint (durably).  0 or -1. */
int registry_checkpoint_del(struct registry *r, const char *name);

/*
 * Authentication credentials (CCS, public keys) of members ("member:ID",
 * the NFKC ID) and gateways ("gateway:ID") of signed groups.  get: 0
 * (found, *@len set), 1 (none), -1.  put, del: 0 or -1 (in the caller's
 * transaction, if any).
 */
int registry_cred_get(struct registry *r, const char *holder, uint8_t *ccs,
		      size_t cap, size_t *len);
int registry_cred_put(struct registry *r, const char *holder,
		      const uint8_t *ccs, size_t len);
int registry_cred_del(struct registry *r, const char *holder);

#endif /* COAPSECD_REGISTRY_H */
