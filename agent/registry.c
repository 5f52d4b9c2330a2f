// SPDX-License-Identifier: GPL-2.0
/*
 * The registry's logic and every query it runs, once for all backends
 * (registry_db.h): SQLite (registry_sqlite.c), PostgreSQL (registry_pg.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/platform_util.h>

#include "agent/log.h"
#include "agent/registry.h"
#include "agent/registry_db.h"

/* A member: its credential identifier and the Ks issued to it. */
#define MEMBERS_TABLE(name)						\
	"CREATE TABLE IF NOT EXISTS " name "("				\
	" id TEXT PRIMARY KEY, ksid TEXT NOT NULL, gateway TEXT, rand BLOB,"	\
	" ks BLOB, sr_seq BIGINT NOT NULL DEFAULT -1);"

/* The dialect both backends take: TEXT, BIGINT, BLOB. */
static const char schema[] =
	"CREATE TABLE IF NOT EXISTS groups("
	" name TEXT PRIMARY KEY, alg BIGINT NOT NULL, epoch BIGINT NOT NULL,"
	" gid BLOB NOT NULL, secret BLOB NOT NULL, salt BLOB NOT NULL,"
	" old_gid BLOB, retire_at BIGINT NOT NULL DEFAULT 0);"
	MEMBERS_TABLE("members")
	/* A member's groups, its sender ID and last epoch sent in each. */
	"CREATE TABLE IF NOT EXISTS memberships("
	" member TEXT NOT NULL, grp TEXT NOT NULL, sid BLOB NOT NULL,"
	" issued_epoch BIGINT NOT NULL DEFAULT 0,"
	" PRIMARY KEY(member, grp), UNIQUE(grp, sid));"
	"CREATE TABLE IF NOT EXISTS served("
	" gateway TEXT NOT NULL, grp TEXT NOT NULL, epoch BIGINT NOT NULL,"
	" PRIMARY KEY(gateway, grp));"
	/* Each gateway's sender ID in each group it serves. */
	"CREATE TABLE IF NOT EXISTS gateway_sids("
	" gateway TEXT NOT NULL, grp TEXT NOT NULL, sid BLOB NOT NULL,"
	" PRIMARY KEY(gateway, grp), UNIQUE(grp, sid));"
	/*
	 * Sequence-number checkpoints (RFC 8613 B.1.1) of the contexts whose
	 * keys outlive the agent, by context name: no key material, a
	 * fingerprint of the sender key material they belong to.
	 */
	"CREATE TABLE IF NOT EXISTS checkpoints("
	" name TEXT PRIMARY KEY, key_fp TEXT NOT NULL, seq BIGINT NOT NULL,"
	" boot_id TEXT NOT NULL, replay_unknown BIGINT NOT NULL);"
	/*
	 * Authentication credentials (CCS) of members and gateways of signed
	 * groups, as they registered them: "member:ID" (NFKC), "gateway:ID".
	 * Public keys only.
	 */
	"CREATE TABLE IF NOT EXISTS credentials("
	" holder TEXT PRIMARY KEY, ccs BLOB NOT NULL);";

enum {
	ST_GROUP_GET, ST_GROUP_PUT, ST_GROUP_LIST, ST_MEMBER_GET, ST_MEMBER_PUT,
	ST_MEMBER_ISSUE, ST_MEMBER_SRSEQ, ST_MEMBER_EPOCH, ST_MEMBERS_OF,
	ST_MEMBER_DEL, ST_MEMBER_IDS, ST_MAX_SID, ST_COUNT, ST_SERVED_GET,
	ST_SERVED_SET, ST_GROUP_EPOCHS, ST_GW_SID_GET, ST_GW_SID_PUT,
	ST_GW_SID_DEL, ST_GW_SIDS_OF, ST_GW_SIDS_ALL, ST_CKPT_GET, ST_CKPT_PUT,
	ST_CKPT_DEL, ST_GROUPS_OF, ST_MSHIP_GET, ST_MSHIP_PUT, ST_MSHIP_DEL,
	ST_MSHIPS_ALL, ST_MSHIPS_DEL, ST_MEMBER_REVOKE, ST_CRED_GET,
	ST_CRED_PUT, ST_CRED_DEL, ST_NUM
};

#define MEMBER_COLS "m.id, m.ksid, s.grp, s.sid, m.gateway, m.rand, m.ks, m.sr_seq, s.issued_epoch"
#define MEMBER_JOIN " FROM memberships s JOIN members m ON m.id = s.member"

static const char *const sql[ST_NUM] = {
	[ST_GROUP_GET] = "SELECT name, alg, epoch, gid, secret, salt, old_gid, retire_at FROM groups WHERE name = ?1",
	[ST_GROUP_PUT] = "INSERT INTO groups(name, alg, epoch, gid, secret, salt, old_gid, retire_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
		" ON CONFLICT(name) DO UPDATE SET alg = excluded.alg, epoch = excluded.epoch, gid = excluded.gid, secret = excluded.secret,"
		" salt = excluded.salt, old_gid = excluded.old_gid, retire_at = excluded.retire_at",
	[ST_GROUP_LIST] = "SELECT name, alg, epoch, gid, secret, salt, old_gid, retire_at FROM groups ORDER BY name",
	/* A member without a group: no group, sender ID or epoch. */
	[ST_MEMBER_GET] = "SELECT id, ksid, NULL, NULL, gateway, rand, ks, sr_seq, 0 FROM members WHERE id = ?1",
	[ST_MEMBER_PUT] = "INSERT INTO members(id, ksid) VALUES(?1, ?2)",
	[ST_MEMBER_ISSUE] = "UPDATE members SET gateway = ?2, rand = ?3, ks = ?4, sr_seq = -1 WHERE id = ?1",
	[ST_MEMBER_SRSEQ] = "UPDATE members SET sr_seq = ?2 WHERE id = ?1",
	[ST_MEMBER_EPOCH] = "UPDATE memberships SET issued_epoch = ?3 WHERE member = ?1 AND grp = ?2",
	[ST_MEMBERS_OF] = "SELECT " MEMBER_COLS MEMBER_JOIN " WHERE s.grp = ?1 ORDER BY length(s.sid), s.sid",
	[ST_MEMBER_DEL] = "DELETE FROM members WHERE id = ?1",
	[ST_MEMBER_IDS] = "SELECT id, ksid FROM members",
	/* Members and gateways share one sender ID space per group. */
	[ST_MAX_SID] = "SELECT sid FROM memberships WHERE grp = ?1 UNION ALL SELECT sid FROM gateway_sids WHERE grp = ?1",
	[ST_COUNT] = "SELECT count(*) FROM members",
	[ST_SERVED_GET] = "SELECT epoch FROM served WHERE gateway = ?1 AND grp = ?2",
	[ST_SERVED_SET] = "INSERT INTO served(gateway, grp, epoch) VALUES(?1, ?2, ?3)"
		" ON CONFLICT(gateway, grp) DO UPDATE SET epoch = excluded.epoch",
	[ST_GROUP_EPOCHS] = "SELECT name, epoch FROM groups ORDER BY name",
	[ST_GW_SID_GET] = "SELECT sid FROM gateway_sids WHERE gateway = ?1 AND grp = ?2",
	[ST_GW_SID_PUT] = "INSERT INTO gateway_sids(gateway, grp, sid) VALUES(?1, ?2, ?3)",
	[ST_GW_SID_DEL] = "DELETE FROM gateway_sids WHERE gateway = ?1 AND grp = ?2",
	[ST_GW_SIDS_OF] = "SELECT gateway, sid FROM gateway_sids WHERE grp = ?1 ORDER BY length(sid), sid",
	[ST_GW_SIDS_ALL] = "SELECT gateway, grp FROM gateway_sids",
	[ST_CKPT_GET] = "SELECT key_fp, seq, boot_id, replay_unknown FROM checkpoints WHERE name = ?1",
	[ST_CKPT_PUT] = "INSERT INTO checkpoints(name, key_fp, seq, boot_id, replay_unknown) VALUES(?1, ?2, ?3, ?4, ?5)"
		" ON CONFLICT(name) DO UPDATE SET key_fp = excluded.key_fp, seq = excluded.seq,"
		" boot_id = excluded.boot_id, replay_unknown = excluded.replay_unknown",
	[ST_CKPT_DEL] = "DELETE FROM checkpoints WHERE name = ?1",
	[ST_GROUPS_OF] = "SELECT " MEMBER_COLS MEMBER_JOIN " WHERE s.member = ?1 ORDER BY s.grp",
	[ST_MSHIP_GET] = "SELECT sid FROM memberships WHERE member = ?1 AND grp = ?2",
	[ST_MSHIP_PUT] = "INSERT INTO memberships(member, grp, sid) VALUES(?1, ?2, ?3)",
	[ST_MSHIP_DEL] = "DELETE FROM memberships WHERE member = ?1 AND grp = ?2",
	[ST_MSHIPS_ALL] = "SELECT s.member, s.grp, m.ksid FROM memberships s LEFT JOIN members m ON m.id = s.member",
	[ST_MSHIPS_DEL] = "DELETE FROM memberships WHERE member = ?1",
	[ST_MEMBER_REVOKE] = "UPDATE members SET rand = NULL, ks = NULL, sr_seq = -1 WHERE id = ?1",
	[ST_CRED_GET] = "SELECT ccs FROM credentials WHERE holder = ?1",
	[ST_CRED_PUT] = "INSERT INTO credentials(holder, ccs) VALUES(?1, ?2)"
		" ON CONFLICT(holder) DO UPDATE SET ccs = excluded.ccs",
	[ST_CRED_DEL] = "DELETE FROM credentials WHERE holder = ?1",
};

struct registry {
	const struct reg_db_ops *ops;
	struct reg_db *db;
	struct reg_stmt *st[ST_NUM];
	bool tx_failed;		/* a write of this transaction failed */
};

static struct reg_stmt *stmt(struct registry *r, int i)
{
	r->ops->reset(r->st[i]);
	return r->st[i];
}

/* Shorthands for the backend's statement operations. */
#define reset(r, s)		((r)->ops->reset(s))
#define step(r, s)		((r)->ops->step(s))
#define bind_text(r, s, i, v)	((r)->ops->bind_text((s), (i), (v)))
#define bind_int64(r, s, i, v)	((r)->ops->bind_int64((s), (i), (v)))
#define bind_blob(r, s, i, v, n) ((r)->ops->bind_blob((s), (i), (v), (n)))
#define col_text(r, s, c)	((r)->ops->col_text((s), (c)))
#define col_int64(r, s, c)	((r)->ops->col_int64((s), (c)))

static int fail(struct registry *r, const char *what)
{
	log_err("registry: %s: %s", what, r->ops->errmsg(r->db));
	if (r->ops->in_transaction(r->db))
		r->tx_failed = true;
	return -1;
}

/* Runs @q (no parameters, no rows).  0 or -1. */
static int exec_sql(struct registry *r, const char *q)
{
	struct reg_stmt *s = r->ops->prepare(r->db, q);
	int rc;

	if (!s)
		return -1;
	rc = (r->ops->step)(s) == REG_DONE ? 0 : -1;
	r->ops->finalize(s);
	return rc;
}

/* Whether @q, a query, is valid on this registry's tables. */
static bool valid_query(struct registry *r, const char *q)
{
	struct reg_stmt *s = r->ops->prepare(r->db, q);

	if (s)
		r->ops->finalize(s);
	return s;
}

/*
 * Registries of earlier versions kept one group per member in members
 * (grp, sid, issued_epoch): those move to memberships, and members is
 * rebuilt without them.  One transaction under the write lock; a second
 * instance that started at the same moment finds the work done.
 */
static const char *const migrate_members[] = {
	"INSERT INTO memberships(member, grp, sid, issued_epoch)"
	" SELECT id, grp, sid, issued_epoch FROM members",
	MEMBERS_TABLE("members_v2"),
	"INSERT INTO members_v2(id, ksid, gateway, rand, ks, sr_seq)"
	" SELECT id, ksid, gateway, rand, ks, sr_seq FROM members",
	"DROP TABLE members",
	"ALTER TABLE members_v2 RENAME TO members",
};

static int migrate(struct registry *r, char *err, size_t errlen)
{
	static const char old[] = "SELECT grp FROM members";
	size_t i = 0;

	for (int tries = 0; tries < 2 && valid_query(r, old); tries++) {
		if (r->ops->begin(r->db))
			continue;
		for (i = 0; i < sizeof(migrate_members) / sizeof(*migrate_members); i++)
			if (exec_sql(r, migrate_members[i]))
				break;
		if (i == sizeof(migrate_members) / sizeof(*migrate_members) &&
		    !r->ops->commit(r->db)) {
			log_info("registry %s: members moved to one row per group (memberships)",
				 r->ops->describe(r->db));
			return 0;
		}
		r->ops->rollback(r->db);
	}
	if (!valid_query(r, old))
		return 0;
	snprintf(err, errlen, "%s: cannot move members to one row per group: %s",
		 r->ops->describe(r->db), r->ops->errmsg(r->db));
	return -1;
}

struct registry *registry_open_backend(enum reg_backend backend,
				       const char *target, char *err,
				       size_t errlen)
{
	struct registry *r = calloc(1, sizeof(*r));

	if (!r) {
		snprintf(err, errlen, "%s: out of memory", target);
		return NULL;
	}
	switch (backend) {
	case REG_SQLITE:
		r->ops = &reg_sqlite_ops;
		break;
	case REG_POSTGRESQL:
		r->ops = &reg_pg_ops;
		break;
	default:
		snprintf(err, errlen, "registry backend %d: unknown", backend);
		free(r);
		return NULL;
	}
	r->db = r->ops->open(target, schema, err, errlen);
	if (!r->db || migrate(r, err, errlen))
		goto fail;
	for (int i = 0; i < ST_NUM; i++) {
		r->st[i] = r->ops->prepare(r->db, sql[i]);
		if (!r->st[i]) {
			snprintf(err, errlen, "%s: %s", r->ops->describe(r->db),
				 r->ops->errmsg(r->db));
			goto fail;
		}
	}
	return r;
fail:
	registry_close(r);
	return NULL;
}

struct registry *registry_open(const char *path, char *err, size_t errlen)
{
	return registry_open_backend(REG_SQLITE, path, err, errlen);
}

void registry_close(struct registry *r)
{
	if (!r)
		return;
	for (int i = 0; i < ST_NUM; i++)
		if (r->st[i])
			r->ops->finalize(r->st[i]);
	if (r->db)
		r->ops->close(r->db);
	free(r);
}

const char *registry_describe(struct registry *r)
{
	return r->ops->describe(r->db);
}

const char *registry_backend_name(struct registry *r)
{
	return r->ops->name;
}

int registry_begin(struct registry *r)
{
	if (r->ops->begin(r->db))
		return fail(r, "begin");
	r->tx_failed = false;
	return 0;
}

/* A transaction in which a statement failed never commits. */
int registry_commit(struct registry *r)
{
	if (r->tx_failed) {
		log_err("registry: commit: a write of this transaction failed; rolled back");
		registry_rollback(r);
		return -1;
	}
	if (!r->ops->commit(r->db))
		return 0;
	fail(r, "commit");
	registry_rollback(r);
	return -1;
}

void registry_rollback(struct registry *r)
{
	if (r->ops->in_transaction(r->db)) {
		r->ops->rollback(r->db);
		if (r->ops->in_transaction(r->db))
			fail(r, "rollback");
	}
}

static void copy_blob(struct registry *r, struct reg_stmt *s, int col,
		      uint8_t *out, size_t cap, size_t *len)
{
	size_t n;
	const void *b = r->ops->col_blob(s, col, &n);

	if (n > cap || !b)
		n = 0;
	if (n)
		memcpy(out, b, n);
	if (len)
		*len = n;
}

static void copy_text(struct registry *r, struct reg_stmt *s, int col,
		      char *out, size_t cap)
{
	const char *t = col_text(r, s, col);

	snprintf(out, cap, "%s", t ? t : "");
}

static void row_group(struct registry *r, struct reg_stmt *s,
		      struct reg_group *g)
{
	size_t n;

	memset(g, 0, sizeof(*g));
	copy_text(r, s, 0, g->name, sizeof(g->name));
	g->alg = (int)col_int64(r, s, 1);
	g->epoch = (uint32_t)col_int64(r, s, 2);
	copy_blob(r, s, 3, g->gid, sizeof(g->gid), NULL);
	copy_blob(r, s, 4, g->secret, sizeof(g->secret), &n);
	g->secret_len = (uint8_t)n;
	copy_blob(r, s, 5, g->salt, sizeof(g->salt), NULL);
	copy_blob(r, s, 6, g->old_gid, sizeof(g->old_gid), NULL);
	g->retire_at = col_int64(r, s, 7);
}

static void row_member(struct registry *r, struct reg_stmt *s,
		       struct reg_member *m)
{
	size_t n;

	memset(m, 0, sizeof(*m));
	copy_text(r, s, 0, m->id, sizeof(m->id));
	copy_text(r, s, 1, m->ksid, sizeof(m->ksid));
	copy_text(r, s, 2, m->group, sizeof(m->group));
	copy_blob(r, s, 3, m->sid, sizeof(m->sid), &n);
	m->sid_len = (uint8_t)n;
	copy_text(r, s, 4, m->gateway, sizeof(m->gateway));
	copy_blob(r, s, 5, m->rand, sizeof(m->rand), &n);
	m->issued = n == KS_RAND_LEN;
	copy_blob(r, s, 6, m->ks, sizeof(m->ks), &n);
	m->issued &= n == KS_LEN;
	m->sr_seq = col_int64(r, s, 7);
	m->issued_epoch = (uint32_t)col_int64(r, s, 8);
}

int registry_group_get(struct registry *r, const char *name, struct reg_group *g)
{
	struct reg_stmt *s = stmt(r, ST_GROUP_GET);
	int rc;

	bind_text(r, s, 1, name);
	rc = step(r, s);
	if (rc == REG_ROW) {
		row_group(r, s, g);
		reset(r, s);
		return 0;
	}
	reset(r, s);
	return rc == REG_DONE ? 1 : fail(r, "group get");
}

static int group_put(struct registry *r, const struct reg_group *g)
{
	struct reg_stmt *s = stmt(r, ST_GROUP_PUT);
	int rc;

	bind_text(r, s, 1, g->name);
	bind_int64(r, s, 2, g->alg);
	bind_int64(r, s, 3, g->epoch);
	bind_blob(r, s, 4, g->gid, GID_LEN);
	bind_blob(r, s, 5, g->secret, g->secret_len);
	bind_blob(r, s, 6, g->salt, SALT_LEN);
	if (g->retire_at)
		bind_blob(r, s, 7, g->old_gid, GID_LEN);
	bind_int64(r, s, 8, g->retire_at);
	rc = step(r, s);
	reset(r, s);
	return rc == REG_DONE ? 0 : fail(r, "group put");
}

/* Fresh secret, salt and a Gid different from the current one. */
static int new_material(struct reg_group *g, mbedtls_ctr_drbg_context *drbg)
{
	uint8_t gid[GID_LEN];

	do {
		if (mbedtls_ctr_drbg_random(drbg, gid, sizeof(gid)))
			return -1;
	} while (!memcmp(gid, g->gid, GID_LEN));
	memcpy(g->gid, gid, GID_LEN);
	return mbedtls_ctr_drbg_random(drbg, g->secret, g->secret_len) ||
	       mbedtls_ctr_drbg_random(drbg, g->salt, SALT_LEN) ? -1 : 0;
}

/* Outside a transaction, one of its own: epoch + 1 never races. */
int registry_group_rekey(struct registry *r, const char *name,
			 mbedtls_ctr_drbg_context *drbg, unsigned int grace_s)
{
	bool own = !r->ops->in_transaction(r->db);
	struct reg_group g;
	int rc;

	if (own && registry_begin(r))
		return -1;
	rc = registry_group_get(r, name, &g) ? -1 : 0;
	if (!rc) {
		memcpy(g.old_gid, g.gid, GID_LEN);
		g.retire_at = (int64_t)time(NULL) + grace_s;
		g.epoch++;
		rc = new_material(&g, drbg) ? -1 : group_put(r, &g);
	}
	if (own && rc)
		registry_rollback(r);
	else if (own)
		rc = registry_commit(r);
	if (!rc)
		log_info("registry: group %s rekeyed, epoch %u", name, g.epoch);
	mbedtls_platform_zeroize(&g, sizeof(g));
	return rc;
}

/*
 * @cb for each membership row statement @st selects by @key (a group or a
 * member), until it returns non-zero; the row's keys wiped after.
 */
static int each_membership(struct registry *r, int st, const char *key,
			   int (*cb)(void *arg, const struct reg_member *m),
			   void *arg, const char *what)
{
	struct reg_stmt *s = stmt(r, st);
	struct reg_member m;
	int rc;

	memset(&m, 0, sizeof(m));
	bind_text(r, s, 1, key);
	while ((rc = step(r, s)) == REG_ROW) {
		row_member(r, s, &m);
		if (cb(arg, &m))
			break;
	}
	mbedtls_platform_zeroize(&m, sizeof(m));
	reset(r, s);
	return rc == REG_ROW || rc == REG_DONE ? 0 : fail(r, what);
}

int registry_group_members(struct registry *r, const char *group,
			   int (*cb)(void *arg, const struct reg_member *m),
			   void *arg)
{
	return each_membership(r, ST_MEMBERS_OF, group, cb, arg, "members of");
}

int registry_groups(struct registry *r,
		    int (*cb)(void *arg, const struct reg_group *g), void *arg)
{
	struct reg_stmt *s = stmt(r, ST_GROUP_LIST);
	struct reg_group g;
	int rc;

	while ((rc = step(r, s)) == REG_ROW) {
		row_group(r, s, &g);
		if (cb(arg, &g))
			break;
	}
	mbedtls_platform_zeroize(&g, sizeof(g));
	reset(r, s);
	return rc == REG_ROW || rc == REG_DONE ? 0 : fail(r, "groups");
}

int registry_member_get(struct registry *r, const char *id, struct reg_member *m)
{
	struct reg_stmt *s = stmt(r, ST_MEMBER_GET);
	int rc;

	bind_text(r, s, 1, id);
	rc = step(r, s);
	if (rc == REG_ROW)
		row_member(r, s, m);
	reset(r, s);
	if (rc == REG_ROW)
		return 0;
	return rc == REG_DONE ? 1 : fail(r, "member get");
}

static int exec_id(struct registry *r, int st, const char *id, int64_t v,
		   const char *what)
{
	struct reg_stmt *s = stmt(r, st);
	int rc;

	bind_text(r, s, 1, id);
	bind_int64(r, s, 2, v);
	rc = step(r, s);
	reset(r, s);
	return rc == REG_DONE ? 0 : fail(r, what);
}

int registry_member_issue(struct registry *r, const char *id,
			  const char *gateway, const uint8_t rand[KS_RAND_LEN],
			  const uint8_t ks[KS_LEN])
{
	struct reg_stmt *s = stmt(r, ST_MEMBER_ISSUE);
	int rc;

	bind_text(r, s, 1, id);
	bind_text(r, s, 2, gateway);
	bind_blob(r, s, 3, rand, KS_RAND_LEN);
	bind_blob(r, s, 4, ks, KS_LEN);
	rc = step(r, s);
	reset(r, s);
	return rc == REG_DONE ? 0 : fail(r, "member issue");
}

/*
 * The Ks only.  What was issued under the group keys stays: the
 * member's next Service Request at an epoch it was sent rekeys the group.
 */
int registry_member_revoke(struct registry *r, const char *id)
{
	struct reg_stmt *s = stmt(r, ST_MEMBER_REVOKE);
	int rc;

	bind_text(r, s, 1, id);
	rc = step(r, s);
	reset(r, s);
	return rc == REG_DONE ? 0 : fail(r, "member revoke");
}

int registry_member_set_sr_seq(struct registry *r, const char *id, int64_t seq)
{
	return exec_id(r, ST_MEMBER_SRSEQ, id, seq, "member sr_seq");
}

int registry_member_set_issued_epoch(struct registry *r, const char *id,
				     const char *group, uint32_t epoch)
{
	struct reg_stmt *s = stmt(r, ST_MEMBER_EPOCH);
	int rc;

	bind_text(r, s, 1, id);
	bind_text(r, s, 2, group);
	bind_int64(r, s, 3, epoch);
	rc = step(r, s);
	reset(r, s);
	return rc == REG_DONE ? 0 : fail(r, "member epoch");
}

int registry_member_groups(struct registry *r, const char *id,
			   int (*cb)(void *arg, const struct reg_member *m),
			   void *arg)
{
	return each_membership(r, ST_GROUPS_OF, id, cb, arg, "groups of");
}

int registry_member_count(struct registry *r)
{
	struct reg_stmt *s = stmt(r, ST_COUNT);
	int n = -1;

	if (step(r, s) == REG_ROW)
		n = (int)col_int64(r, s, 0);
	reset(r, s);
	return n;
}

/*
 * The lowest sender ID from @first not used in @group by a member or a
 * gateway: one byte up to 255, then two.  Members start at 1, gateways
 * at 0 (the first gateway keeps 00, as before gateways had their own).
 */
static int free_sid(struct registry *r, const char *group, unsigned int first,
		    uint8_t sid[2], uint8_t *len)
{
	static uint8_t used[65536 / 8];
	struct reg_stmt *s = stmt(r, ST_MAX_SID);
	unsigned int v;
	int rc;

	memset(used, 0, sizeof(used));
	bind_text(r, s, 1, group);
	while ((rc = step(r, s)) == REG_ROW) {
		size_t n;
		const uint8_t *b = r->ops->col_blob(s, 0, &n);

		v = !b ? 0 : n == 1 ? b[0] :
		    n == 2 ? (unsigned int)(b[0] << 8 | b[1]) : 0;
		used[v / 8] |= (uint8_t)(1 << (v % 8));
	}
	reset(r, s);
	if (rc < 0)
		return fail(r, "sender IDs");
	for (v = first; v < 65536; v++)
		if (!(used[v / 8] & (1 << (v % 8))))
			break;
	if (v == 65536)
		return -1;
	if (v < 256) {
		sid[0] = (uint8_t)v;
		*len = 1;
	} else {
		sid[0] = (uint8_t)(v >> 8);
		sid[1] = (uint8_t)v;
		*len = 2;
	}
	return 0;
}

struct changed {
	char (*names)[CFG_MAX_ID_LEN];
	size_t n, cap;
};

static void mark(struct changed *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->names[i], name))
			return;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 8;
		void *p = realloc(c->names, cap * sizeof(*c->names));

		if (!p)
			return;
		c->names = p;
		c->cap = cap;
	}
	snprintf(c->names[c->n++], CFG_MAX_ID_LEN, "%s", name);
}

static int any_keyed(void *arg, const struct reg_member *m)
{
	*(bool *)arg |= m->issued_epoch != 0;
	return *(bool *)arg;
}

static int gw_sid_exec(struct registry *r, int st, const char *gw,
		       const char *group, const uint8_t *sid, uint8_t len)
{
	struct reg_stmt *s = stmt(r, st);
	int rc;

	bind_text(r, s, 1, gw);
	bind_text(r, s, 2, group);
	if (sid)
		bind_blob(r, s, 3, sid, len);
	rc = step(r, s);
	reset(r, s);
	return rc == REG_DONE ? 0 : fail(r, "gateway sender ID");
}

/*
 * Each gateway that serves a member of a group gets its own sender ID
 * there, so two gateways never share a nonce space; one that no longer
 * serves the group loses it.  A group whose set of gateways changed
 * after it had keys is rekeyed (its members learn the new set; a gateway
 * that left no longer holds the current keys).
 */
static int sync_gateway_sids(struct registry *r, const struct agent_config *cfg,
			     struct changed *ch)
{
	struct reg_stmt *s = stmt(r, ST_GW_SIDS_ALL);
	char (*gone)[2][CFG_MAX_ID_LEN] = NULL;
	size_t ngone = 0;
	int rc = 0, src;

	while ((src = step(r, s)) == REG_ROW) {
		const char *gw = col_text(r, s, 0);
		const char *grp = col_text(r, s, 1);
		void *p;

		if (!gw || !grp || cfg_gateway_serves_group(cfg, gw, grp))
			continue;
		p = realloc(gone, (ngone + 1) * sizeof(*gone));
		if (!p) {
			rc = -1;
			break;
		}
		gone = p;
		snprintf(gone[ngone][0], CFG_MAX_ID_LEN, "%s", gw);
		snprintf(gone[ngone++][1], CFG_MAX_ID_LEN, "%s", grp);
	}
	reset(r, s);
	if (src < 0)
		rc = fail(r, "gateway sender IDs");
	for (size_t i = 0; !rc && i < ngone; i++) {
		rc = gw_sid_exec(r, ST_GW_SID_DEL, gone[i][0], gone[i][1], NULL, 0);
		mark(ch, gone[i][1]);
		log_info("registry: gateway %s no longer serves group %s",
			 log_safe(gone[i][0]), log_safe(gone[i][1]));
	}
	free(gone);
	for (size_t g = 0; !rc && g < cfg->n_groups; g++) {
		const char *grp = cfg->groups[g].name;

		for (size_t k = 0; !rc && k < cfg->n_gateways; k++) {
			const char *gw = cfg->gateways[k].id;
			uint8_t sid[SID_MAX_LEN], sl;
			char hex[2 * SID_MAX_LEN + 1];
			bool keyed = false;

			if (!cfg_gateway_serves_group(cfg, gw, grp) ||
			    !registry_gateway_sid(r, gw, grp, sid, &sl))
				continue;
			rc = free_sid(r, grp, 0, sid, &sl) ||
			     gw_sid_exec(r, ST_GW_SID_PUT, gw, grp, sid, sl);
			if (rc)
				break;
			hex_encode(sid, sl, hex);
			log_info("registry: gateway %s has sender ID %s in group %s",
				 log_safe(gw), hex, log_safe(grp));
			/* Members already keyed learn of it with new keys. */
			rc = registry_group_members(r, grp, any_keyed, &keyed);
			if (keyed)
				mark(ch, grp);
		}
	}
	return rc ? -1 : 0;
}

int registry_gateway_sid(struct registry *r, const char *gateway,
			 const char *group, uint8_t sid[SID_MAX_LEN],
			 uint8_t *len)
{
	struct reg_stmt *s = stmt(r, ST_GW_SID_GET);
	size_t n = 0;
	int rc;

	bind_text(r, s, 1, gateway);
	bind_text(r, s, 2, group);
	rc = step(r, s);
	if (rc == REG_ROW)
		copy_blob(r, s, 0, sid, SID_MAX_LEN, &n);
	reset(r, s);
	*len = (uint8_t)n;
	if (rc == REG_ROW)
		return n ? 0 : -1;
	return rc == REG_DONE ? 1 : fail(r, "gateway sender ID");
}

int registry_group_gateways(struct registry *r, const char *group,
			    int (*cb)(void *arg, const char *gateway,
				      const uint8_t *sid, uint8_t len),
			    void *arg)
{
	struct reg_stmt *s = stmt(r, ST_GW_SIDS_OF);
	int rc;

	bind_text(r, s, 1, group);
	while ((rc = step(r, s)) == REG_ROW) {
		uint8_t sid[SID_MAX_LEN];
		const char *gw = col_text(r, s, 0);
		size_t n;

		copy_blob(r, s, 1, sid, sizeof(sid), &n);
		if (n && gw && cb(arg, gw, sid, (uint8_t)n))
			break;
	}
	reset(r, s);
	return rc == REG_ROW || rc == REG_DONE ? 0 : fail(r, "gateways of");
}

/* Whether @cfg has member @id (NFKC) with identity @ksid in @group. */
static bool cfg_keeps(const struct agent_config *cfg, const char *id,
		      const char *ksid, const char *group)
{
	const struct cfg_member *cm = cfg_member_by_norm(cfg, id);

	return cm && !strcmp(cm->cred.identity, ksid) &&
	       (!group || cfg_member_in_group(cm, group));
}

/* Rows of two names: what to delete once the listing is done. */
struct pairs {
	char (*v)[2][CFG_MAX_ID_LEN];
	size_t n;
};

static int pairs_add(struct pairs *p, const char *a, const char *b)
{
	void *q = realloc(p->v, (p->n + 1) * sizeof(*p->v));

	if (!q)
		return -1;
	p->v = q;
	snprintf(p->v[p->n][0], CFG_MAX_ID_LEN, "%s", a);
	snprintf(p->v[p->n++][1], CFG_MAX_ID_LEN, "%s", b ? b : "");
	return 0;
}

static int exec2(struct registry *r, int st, const char *a, const char *b,
		 const char *what)
{
	struct reg_stmt *s = stmt(r, st);
	int rc;

	bind_text(r, s, 1, a);
	if (b)
		bind_text(r, s, 2, b);
	rc = step(r, s);
	reset(r, s);
	return rc == REG_DONE ? 0 : fail(r, what);
}

static int sync_memberships(struct registry *r, const struct agent_config *cfg,
			    struct changed *ch)
{
	struct reg_stmt *s = stmt(r, ST_MSHIPS_ALL);
	struct pairs gone = { 0 };
	int rc = 0, src;

	while ((src = step(r, s)) == REG_ROW) {
		const char *id = col_text(r, s, 0);
		const char *grp = col_text(r, s, 1);
		const char *ksid = col_text(r, s, 2);

		if (!id || !grp)
			continue;
		if (ksid && cfg_keeps(cfg, id, ksid, grp))
			continue;
		if (pairs_add(&gone, id, grp)) {
			rc = -1;
			break;
		}
	}
	reset(r, s);
	if (src < 0)
		rc = fail(r, "memberships");
	for (size_t i = 0; !rc && i < gone.n; i++) {
		rc = exec2(r, ST_MSHIP_DEL, gone.v[i][0], gone.v[i][1],
			   "membership del");
		mark(ch, gone.v[i][1]);
		log_info("registry: member %s left group %s",
			 log_safe(gone.v[i][0]), log_safe(gone.v[i][1]));
	}
	free(gone.v);
	return rc;
}

static int sync_drop_members(struct registry *r, const struct agent_config *cfg,
			     struct pairs *gone_out)
{
	struct reg_stmt *s = stmt(r, ST_MEMBER_IDS);
	struct pairs gone = { 0 };
	int rc = 0, src;

	while ((src = step(r, s)) == REG_ROW) {
		const char *id = col_text(r, s, 0);
		const char *ksid = col_text(r, s, 1);

		if (!id || !ksid || cfg_keeps(cfg, id, ksid, NULL))
			continue;
		if (pairs_add(&gone, id, NULL)) {
			rc = -1;
			break;
		}
	}
	reset(r, s);
	if (src < 0)
		rc = fail(r, "member list");
	for (size_t i = 0; !rc && i < gone.n; i++) {
		/* A new credential: out of its groups too (rekeyed). */
		rc = exec2(r, ST_MSHIPS_DEL, gone.v[i][0], NULL, "member del") ||
		     exec2(r, ST_MEMBER_DEL, gone.v[i][0], NULL, "member del");
		log_info("registry: member %s removed", log_safe(gone.v[i][0]));
	}
	*gone_out = gone;
	return rc ? -1 : 0;
}

/* @id in @group with a sender ID of its own there, unless it is. */
static int membership_add(struct registry *r, const char *id, const char *group)
{
	struct reg_stmt *s = stmt(r, ST_MSHIP_GET);
	uint8_t sid[2], sl = 0;
	int rc;

	bind_text(r, s, 1, id);
	bind_text(r, s, 2, group);
	rc = step(r, s);
	reset(r, s);
	if (rc == REG_ROW)
		return 0;
	if (rc < 0)
		return fail(r, "membership get");
	if (free_sid(r, group, 1, sid, &sl))
		return -1;
	s = stmt(r, ST_MSHIP_PUT);
	bind_text(r, s, 1, id);
	bind_text(r, s, 2, group);
	bind_blob(r, s, 3, sid, sl);
	rc = step(r, s);
	reset(r, s);
	return rc == REG_DONE ? 0 : fail(r, "membership put");
}

int registry_sync(struct registry *r, const struct agent_config *cfg,
		  mbedtls_ctr_drbg_context *drbg,
		  void (*rekeyed)(void *arg, const char *group), void *arg)
{
	return registry_sync_ex(r, cfg, drbg, rekeyed, NULL, arg);
}

int registry_sync_ex(struct registry *r, const struct agent_config *cfg,
		     mbedtls_ctr_drbg_context *drbg,
		     void (*rekeyed)(void *arg, const char *group),
		     void (*dropped)(void *arg, const char *id), void *arg)
{
	struct pairs gone = { 0 };
	struct changed ch = { 0 };
	struct reg_stmt *s;
	int rc = -1;

	if (registry_begin(r))
		return -1;
	for (size_t i = 0; i < cfg->n_groups; i++) {
		const struct cfg_group *cg = &cfg->groups[i];
		struct reg_group g;

		if (registry_group_get(r, cg->name, &g) == 0)
			continue;
		memset(&g, 0, sizeof(g));
		snprintf(g.name, sizeof(g.name), "%s", cg->name);
		g.alg = cg->alg;
		g.epoch = 1;
		g.secret_len = (uint8_t)cg->secret_len;
		if (new_material(&g, drbg) || group_put(r, &g))
			goto out;
		mbedtls_platform_zeroize(&g, sizeof(g));
		log_info("registry: group %s created", cg->name);
	}
	/*
	 * Memberships gone from the configuration (a member left a group,
	 * or left altogether, or has a new credential): their groups are
	 * rekeyed; the member's other groups are untouched.
	 */
	if (sync_memberships(r, cfg, &ch))
		goto out;
	/* Members gone, or with a new credential (they start over). */
	if (sync_drop_members(r, cfg, &gone))
		goto out;
	for (size_t i = 0; i < cfg->n_members; i++) {
		const struct cfg_member *cm = &cfg->members[i];
		struct reg_member m;

		/* Keyed by NFKC(IdAx): IDs are compared after NFKC. */
		if (registry_member_get(r, cm->norm, &m)) {
			s = stmt(r, ST_MEMBER_PUT);
			bind_text(r, s, 1, cm->norm);
			bind_text(r, s, 2, cm->cred.identity);
			if (step(r, s) != REG_DONE) {
				reset(r, s);
				fail(r, "member put");
				goto out;
			}
			reset(r, s);
		}
		mbedtls_platform_zeroize(&m, sizeof(m));
		for (size_t k = 0; k < cm->n_groups; k++)
			if (membership_add(r, cm->norm, cm->groups[k]))
				goto out;
	}
	if (sync_gateway_sids(r, cfg, &ch))
		goto out;
	for (size_t i = 0; i < ch.n; i++) {
		struct reg_group g;

		if (registry_group_get(r, ch.names[i], &g))
			continue;	/* the group went too */
		if (registry_group_rekey(r, ch.names[i], drbg, cfg->grace_s))
			goto out;
	}
	rc = registry_commit(r);
	if (!rc && dropped)
		for (size_t i = 0; i < gone.n; i++)
			dropped(arg, gone.v[i][0]);
	if (!rc && rekeyed)
		for (size_t i = 0; i < ch.n; i++)
			rekeyed(arg, ch.names[i]);
out:
	if (rc)
		registry_rollback(r);
	free(gone.v);
	free(ch.names);
	return rc;
}

uint32_t registry_served_epoch(struct registry *r, const char *gateway,
			       const char *group)
{
	struct reg_stmt *s = stmt(r, ST_SERVED_GET);
	uint32_t e = 0;

	bind_text(r, s, 1, gateway);
	bind_text(r, s, 2, group);
	if (step(r, s) == REG_ROW)
		e = (uint32_t)col_int64(r, s, 0);
	reset(r, s);
	return e;
}

int registry_set_served_epoch(struct registry *r, const char *gateway,
			      const char *group, uint32_t epoch)
{
	struct reg_stmt *s = stmt(r, ST_SERVED_SET);
	int rc;

	bind_text(r, s, 1, gateway);
	bind_text(r, s, 2, group);
	bind_int64(r, s, 3, epoch);
	rc = step(r, s);
	reset(r, s);
	return rc == REG_DONE ? 0 : fail(r, "served");
}

int registry_group_epochs(struct registry *r,
			  int (*cb)(void *arg, const char *group,
				    uint32_t epoch),
			  void *arg)
{
	struct reg_stmt *s = stmt(r, ST_GROUP_EPOCHS);
	int rc;

	while ((rc = step(r, s)) == REG_ROW) {
		const char *name = col_text(r, s, 0);

		if (name && cb(arg, name, (uint32_t)col_int64(r, s, 1)))
			break;
	}
	reset(r, s);
	return rc == REG_ROW || rc == REG_DONE ? 0 : fail(r, "group epochs");
}

int registry_checkpoint_get(struct registry *r, const char *name,
			    struct reg_checkpoint *cp)
{
	struct reg_stmt *s = stmt(r, ST_CKPT_GET);
	int rc;

	memset(cp, 0, sizeof(*cp));
	bind_text(r, s, 1, name);
	rc = step(r, s);
	if (rc == REG_ROW) {
		copy_text(r, s, 0, cp->key_fp, sizeof(cp->key_fp));
		cp->seq = col_int64(r, s, 1);
		copy_text(r, s, 2, cp->boot_id, sizeof(cp->boot_id));
		cp->replay_unknown = col_int64(r, s, 3) != 0;
	}
	reset(r, s);
	if (rc == REG_ROW)
		return 0;
	return rc == REG_DONE ? 1 : fail(r, "checkpoint get");
}

/*
 * A transaction of its own, committed durably (the backend's durable
 * commit: fsync'ed, whatever the registry's usual setting), so that the
 * caller may let the kernel use numbers up to the checkpoint once this
 * returns 0.
 */
static int durable_exec(struct registry *r, struct reg_stmt *s,
			const char *what)
{
	int rc;

	if (r->ops->in_transaction(r->db)) {
		log_err("registry: %s: inside a transaction (not durable before it commits)",
			what);
		reset(r, s);
		return -1;
	}
	if (r->ops->durable(r->db, true)) {
		reset(r, s);
		return fail(r, what);
	}
	if (registry_begin(r)) {
		reset(r, s);
		r->ops->durable(r->db, false);
		return -1;
	}
	rc = step(r, s);
	reset(r, s);
	if (rc != REG_DONE) {
		fail(r, what);
		registry_rollback(r);
		rc = -1;
	} else {
		rc = registry_commit(r);
	}
	r->ops->durable(r->db, false);
	return rc;
}

int registry_checkpoint_put(struct registry *r, const char *name,
			    const struct reg_checkpoint *cp)
{
	struct reg_stmt *s = stmt(r, ST_CKPT_PUT);

	bind_text(r, s, 1, name);
	bind_text(r, s, 2, cp->key_fp);
	bind_int64(r, s, 3, cp->seq);
	bind_text(r, s, 4, cp->boot_id);
	bind_int64(r, s, 5, cp->replay_unknown);
	return durable_exec(r, s, "checkpoint put");
}

int registry_checkpoint_del(struct registry *r, const char *name)
{
	struct reg_stmt *s = stmt(r, ST_CKPT_DEL);

	bind_text(r, s, 1, name);
	return durable_exec(r, s, "checkpoint del");
}

int registry_cred_get(struct registry *r, const char *holder, uint8_t *ccs,
		      size_t cap, size_t *len)
{
	struct reg_stmt *s = stmt(r, ST_CRED_GET);
	const void *b;
	size_t n = 0;
	int rc;

	*len = 0;
	bind_text(r, s, 1, holder);
	rc = step(r, s);
	if (rc == REG_ROW) {
		b = r->ops->col_blob(s, 0, &n);
		if (b && n && n <= cap) {
			memcpy(ccs, b, n);
			*len = n;
		}
	}
	reset(r, s);
	if (rc == REG_ROW)
		return *len ? 0 : 1;
	return rc == REG_DONE ? 1 : fail(r, "credential get");
}

int registry_cred_put(struct registry *r, const char *holder,
		      const uint8_t *ccs, size_t len)
{
	struct reg_stmt *s = stmt(r, ST_CRED_PUT);
	int rc;

	bind_text(r, s, 1, holder);
	bind_blob(r, s, 2, ccs, len);
	rc = step(r, s);
	reset(r, s);
	return rc == REG_DONE ? 0 : fail(r, "credential put");
}

int registry_cred_del(struct registry *r, const char *holder)
{
	struct reg_stmt *s = stmt(r, ST_CRED_DEL);
	int rc;

	bind_text(r, s, 1, holder);
	rc = step(r, s);
	reset(r, s);
	return rc == REG_DONE ? 0 : fail(r, "credential del");
}
