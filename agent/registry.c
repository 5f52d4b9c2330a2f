// SPDX-License-Identifier: GPL-2.0
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/platform_util.h>
#include <sqlite3.h>

#include "agent/log.h"
#include "agent/registry.h"

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=NORMAL;"
	"CREATE TABLE IF NOT EXISTS groups("
	" name TEXT PRIMARY KEY, alg INTEGER NOT NULL, epoch INTEGER NOT NULL,"
	" gid BLOB NOT NULL, secret BLOB NOT NULL, salt BLOB NOT NULL,"
	" old_gid BLOB, retire_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS members("
	" id TEXT PRIMARY KEY, ksid TEXT NOT NULL, grp TEXT NOT NULL,"
	" sid BLOB NOT NULL, gateway TEXT, rand BLOB, ks BLOB,"
	" sr_seq INTEGER NOT NULL DEFAULT -1,"
	" issued_epoch INTEGER NOT NULL DEFAULT 0,"
	" UNIQUE(grp, sid));"
	"CREATE TABLE IF NOT EXISTS served("
	" gateway TEXT NOT NULL, grp TEXT NOT NULL, epoch INTEGER NOT NULL,"
	" PRIMARY KEY(gateway, grp));"
	/* Each gateway's sender ID in each group it serves. */
	"CREATE TABLE IF NOT EXISTS gateway_sids("
	" gateway TEXT NOT NULL, grp TEXT NOT NULL, sid BLOB NOT NULL,"
	" PRIMARY KEY(gateway, grp), UNIQUE(grp, sid));";

enum {
	ST_GROUP_GET, ST_GROUP_PUT, ST_GROUP_LIST, ST_MEMBER_GET, ST_MEMBER_PUT,
	ST_MEMBER_ISSUE, ST_MEMBER_SRSEQ, ST_MEMBER_EPOCH, ST_MEMBERS_OF,
	ST_MEMBER_DEL, ST_MEMBER_IDS, ST_MAX_SID, ST_COUNT, ST_SERVED_GET,
	ST_SERVED_SET, ST_GW_SID_GET, ST_GW_SID_PUT, ST_GW_SID_DEL, ST_GW_SIDS_OF,
	ST_GW_SIDS_ALL, ST_NUM
};

static const char *const sql[ST_NUM] = {
	[ST_GROUP_GET] = "SELECT name, alg, epoch, gid, secret, salt, old_gid, retire_at FROM groups WHERE name = ?1",
	[ST_GROUP_PUT] = "INSERT OR REPLACE INTO groups(name, alg, epoch, gid, secret, salt, old_gid, retire_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_GROUP_LIST] = "SELECT name, alg, epoch, gid, secret, salt, old_gid, retire_at FROM groups ORDER BY name",
	[ST_MEMBER_GET] = "SELECT id, ksid, grp, sid, gateway, rand, ks, sr_seq, issued_epoch FROM members WHERE id = ?1",
	[ST_MEMBER_PUT] = "INSERT INTO members(id, ksid, grp, sid) VALUES(?1, ?2, ?3, ?4)",
	[ST_MEMBER_ISSUE] = "UPDATE members SET gateway = ?2, rand = ?3, ks = ?4, sr_seq = -1 WHERE id = ?1",
	[ST_MEMBER_SRSEQ] = "UPDATE members SET sr_seq = ?2 WHERE id = ?1",
	[ST_MEMBER_EPOCH] = "UPDATE members SET issued_epoch = ?2 WHERE id = ?1",
	[ST_MEMBERS_OF] = "SELECT id, ksid, grp, sid, gateway, rand, ks, sr_seq, issued_epoch FROM members WHERE grp = ?1 ORDER BY length(sid), sid",
	[ST_MEMBER_DEL] = "DELETE FROM members WHERE id = ?1",
	[ST_MEMBER_IDS] = "SELECT id, ksid, grp FROM members",
	/* Members and gateways share one sender ID space per group. */
	[ST_MAX_SID] = "SELECT sid FROM members WHERE grp = ?1 UNION ALL SELECT sid FROM gateway_sids WHERE grp = ?1",
	[ST_COUNT] = "SELECT count(*) FROM members",
	[ST_SERVED_GET] = "SELECT epoch FROM served WHERE gateway = ?1 AND grp = ?2",
	[ST_SERVED_SET] = "INSERT OR REPLACE INTO served(gateway, grp, epoch) VALUES(?1, ?2, ?3)",
	[ST_GW_SID_GET] = "SELECT sid FROM gateway_sids WHERE gateway = ?1 AND grp = ?2",
	[ST_GW_SID_PUT] = "INSERT INTO gateway_sids(gateway, grp, sid) VALUES(?1, ?2, ?3)",
	[ST_GW_SID_DEL] = "DELETE FROM gateway_sids WHERE gateway = ?1 AND grp = ?2",
	[ST_GW_SIDS_OF] = "SELECT gateway, sid FROM gateway_sids WHERE grp = ?1 ORDER BY length(sid), sid",
	[ST_GW_SIDS_ALL] = "SELECT gateway, grp FROM gateway_sids",
};

struct registry {
	sqlite3 *db;
	sqlite3_stmt *st[ST_NUM];
};

static sqlite3_stmt *stmt(struct registry *r, int i)
{
	sqlite3_reset(r->st[i]);
	sqlite3_clear_bindings(r->st[i]);
	return r->st[i];
}

static int fail(struct registry *r, const char *what)
{
	log_err("registry: %s: %s", what, sqlite3_errmsg(r->db));
	return -1;
}

struct registry *registry_open(const char *path, char *err, size_t errlen)
{
	struct registry *r = calloc(1, sizeof(*r));
	char *emsg = NULL;
	int fd;

	if (!r)
		return NULL;
	/* Create it private before SQLite opens it: it holds keys. */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
			    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(r->db));
		goto fail;
	}
	sqlite3_busy_timeout(r->db, 2000);
	if (sqlite3_exec(r->db, schema, NULL, NULL, &emsg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, emsg ? emsg : "schema");
		sqlite3_free(emsg);
		goto fail;
	}
	for (int i = 0; i < ST_NUM; i++) {
		if (sqlite3_prepare_v3(r->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &r->st[i], NULL) != SQLITE_OK) {
			snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(r->db));
			goto fail;
		}
	}
	return r;
fail:
	registry_close(r);
	return NULL;
}

void registry_close(struct registry *r)
{
	if (!r)
		return;
	for (int i = 0; i < ST_NUM; i++)
		sqlite3_finalize(r->st[i]);
	sqlite3_close(r->db);
	free(r);
}

int registry_begin(struct registry *r)
{
	return sqlite3_exec(r->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ?
		0 : fail(r, "begin");
}

int registry_commit(struct registry *r)
{
	if (sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	fail(r, "commit");
	registry_rollback(r);
	return -1;
}

void registry_rollback(struct registry *r)
{
	if (!sqlite3_get_autocommit(r->db) &&
	    sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
		fail(r, "rollback");
}

static void copy_blob(sqlite3_stmt *s, int col, uint8_t *out, size_t cap,
		      size_t *len)
{
	size_t n = (size_t)sqlite3_column_bytes(s, col);
	const void *b = sqlite3_column_blob(s, col);

	if (n > cap || !b)
		n = 0;
	if (n)
		memcpy(out, b, n);
	if (len)
		*len = n;
}

static void copy_text(sqlite3_stmt *s, int col, char *out, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(out, cap, "%s", t ? (const char *)t : "");
}

static void row_group(sqlite3_stmt *s, struct reg_group *g)
{
	size_t n;

	memset(g, 0, sizeof(*g));
	copy_text(s, 0, g->name, sizeof(g->name));
	g->alg = sqlite3_column_int(s, 1);
	g->epoch = (uint32_t)sqlite3_column_int64(s, 2);
	copy_blob(s, 3, g->gid, sizeof(g->gid), NULL);
	copy_blob(s, 4, g->secret, sizeof(g->secret), &n);
	g->secret_len = (uint8_t)n;
	copy_blob(s, 5, g->salt, sizeof(g->salt), NULL);
	copy_blob(s, 6, g->old_gid, sizeof(g->old_gid), NULL);
	g->retire_at = sqlite3_column_int64(s, 7);
}

static void row_member(sqlite3_stmt *s, struct reg_member *m)
{
	size_t n;

	memset(m, 0, sizeof(*m));
	copy_text(s, 0, m->id, sizeof(m->id));
	copy_text(s, 1, m->ksid, sizeof(m->ksid));
	copy_text(s, 2, m->group, sizeof(m->group));
	copy_blob(s, 3, m->sid, sizeof(m->sid), &n);
	m->sid_len = (uint8_t)n;
	copy_text(s, 4, m->gateway, sizeof(m->gateway));
	copy_blob(s, 5, m->rand, sizeof(m->rand), &n);
	m->issued = n == KS_RAND_LEN;
	copy_blob(s, 6, m->ks, sizeof(m->ks), &n);
	m->issued &= n == KS_LEN;
	m->sr_seq = sqlite3_column_int64(s, 7);
	m->issued_epoch = (uint32_t)sqlite3_column_int64(s, 8);
}

int registry_group_get(struct registry *r, const char *name, struct reg_group *g)
{
	sqlite3_stmt *s = stmt(r, ST_GROUP_GET);
	int rc;

	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		row_group(s, g);
		sqlite3_reset(s);
		return 0;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 1 : fail(r, "group get");
}

static int group_put(struct registry *r, const struct reg_group *g)
{
	sqlite3_stmt *s = stmt(r, ST_GROUP_PUT);
	int rc;

	sqlite3_bind_text(s, 1, g->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, g->alg);
	sqlite3_bind_int64(s, 3, g->epoch);
	sqlite3_bind_blob(s, 4, g->gid, GID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 5, g->secret, g->secret_len, SQLITE_STATIC);
	sqlite3_bind_blob(s, 6, g->salt, SALT_LEN, SQLITE_STATIC);
	if (g->retire_at)
		sqlite3_bind_blob(s, 7, g->old_gid, GID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 8, g->retire_at);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : fail(r, "group put");
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

int registry_group_rekey(struct registry *r, const char *name,
			 mbedtls_ctr_drbg_context *drbg, unsigned int grace_s)
{
	struct reg_group g;
	int rc;

	if (registry_group_get(r, name, &g))
		return -1;
	memcpy(g.old_gid, g.gid, GID_LEN);
	g.retire_at = (int64_t)time(NULL) + grace_s;
	g.epoch++;
	rc = new_material(&g, drbg) ? -1 : group_put(r, &g);
	if (!rc)
		log_info("registry: group %s rekeyed, epoch %u", name, g.epoch);
	mbedtls_platform_zeroize(&g, sizeof(g));
	return rc;
}

int registry_group_members(struct registry *r, const char *group,
			   int (*cb)(void *arg, const struct reg_member *m),
			   void *arg)
{
	sqlite3_stmt *s = stmt(r, ST_MEMBERS_OF);
	struct reg_member m;
	int rc;

	sqlite3_bind_text(s, 1, group, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		row_member(s, &m);
		if (cb(arg, &m))
			break;
	}
	mbedtls_platform_zeroize(&m, sizeof(m));
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(r, "members of");
}

int registry_groups(struct registry *r,
		    int (*cb)(void *arg, const struct reg_group *g), void *arg)
{
	sqlite3_stmt *s = stmt(r, ST_GROUP_LIST);
	struct reg_group g;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		row_group(s, &g);
		if (cb(arg, &g))
			break;
	}
	mbedtls_platform_zeroize(&g, sizeof(g));
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(r, "groups");
}

int registry_member_get(struct registry *r, const char *id, struct reg_member *m)
{
	sqlite3_stmt *s = stmt(r, ST_MEMBER_GET);
	int rc;

	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		row_member(s, m);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : fail(r, "member get");
}

static int exec_id(struct registry *r, int st, const char *id, int64_t v,
		   const char *what)
{
	sqlite3_stmt *s = stmt(r, st);
	int rc;

	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, v);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : fail(r, what);
}

int registry_member_issue(struct registry *r, const char *id,
			  const char *gateway, const uint8_t rand[KS_RAND_LEN],
			  const uint8_t ks[KS_LEN])
{
	sqlite3_stmt *s = stmt(r, ST_MEMBER_ISSUE);
	int rc;

	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, gateway, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, rand, KS_RAND_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, ks, KS_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : fail(r, "member issue");
}

int registry_member_set_sr_seq(struct registry *r, const char *id, int64_t seq)
{
	return exec_id(r, ST_MEMBER_SRSEQ, id, seq, "member sr_seq");
}

int registry_member_set_issued_epoch(struct registry *r, const char *id,
				     uint32_t epoch)
{
	return exec_id(r, ST_MEMBER_EPOCH, id, epoch, "member epoch");
}

int registry_member_count(struct registry *r)
{
	sqlite3_stmt *s = stmt(r, ST_COUNT);
	int n = -1;

	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
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
	sqlite3_stmt *s = stmt(r, ST_MAX_SID);
	unsigned int v;

	memset(used, 0, sizeof(used));
	sqlite3_bind_text(s, 1, group, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const uint8_t *b = sqlite3_column_blob(s, 0);
		int n = sqlite3_column_bytes(s, 0);

		v = n == 1 ? b[0] : n == 2 ? (unsigned int)(b[0] << 8 | b[1]) : 0;
		used[v / 8] |= (uint8_t)(1 << (v % 8));
	}
	sqlite3_reset(s);
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
	sqlite3_stmt *s = stmt(r, st);
	int rc;

	sqlite3_bind_text(s, 1, gw, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, group, -1, SQLITE_STATIC);
	if (sid)
		sqlite3_bind_blob(s, 3, sid, len, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : fail(r, "gateway sender ID");
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
	sqlite3_stmt *s = stmt(r, ST_GW_SIDS_ALL);
	char (*gone)[2][CFG_MAX_ID_LEN] = NULL;
	size_t ngone = 0;
	int rc = 0;

	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *gw = (const char *)sqlite3_column_text(s, 0);
		const char *grp = (const char *)sqlite3_column_text(s, 1);
		void *p;

		if (cfg_gateway_serves_group(cfg, gw, grp))
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
	sqlite3_reset(s);
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
	sqlite3_stmt *s = stmt(r, ST_GW_SID_GET);
	size_t n = 0;
	int rc;

	sqlite3_bind_text(s, 1, gateway, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, group, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		copy_blob(s, 0, sid, SID_MAX_LEN, &n);
	sqlite3_reset(s);
	*len = (uint8_t)n;
	if (rc == SQLITE_ROW)
		return n ? 0 : -1;
	return rc == SQLITE_DONE ? 1 : fail(r, "gateway sender ID");
}

int registry_group_gateways(struct registry *r, const char *group,
			    int (*cb)(void *arg, const char *gateway,
				      const uint8_t *sid, uint8_t len),
			    void *arg)
{
	sqlite3_stmt *s = stmt(r, ST_GW_SIDS_OF);
	int rc;

	sqlite3_bind_text(s, 1, group, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		uint8_t sid[SID_MAX_LEN];
		size_t n;

		copy_blob(s, 1, sid, sizeof(sid), &n);
		if (n && cb(arg, (const char *)sqlite3_column_text(s, 0), sid,
			    (uint8_t)n))
			break;
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(r, "gateways of");
}

int registry_sync(struct registry *r, const struct agent_config *cfg,
		  mbedtls_ctr_drbg_context *drbg,
		  void (*rekeyed)(void *arg, const char *group), void *arg)
{
	struct changed ch = { 0 };
	sqlite3_stmt *s;
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
	/* Members gone from the configuration, or moved to another group. */
	s = stmt(r, ST_MEMBER_IDS);
	{
		char (*gone)[CFG_MAX_ID_LEN] = NULL;
		size_t ngone = 0;

		while (sqlite3_step(s) == SQLITE_ROW) {
			const char *id = (const char *)sqlite3_column_text(s, 0);
			const char *ksid = (const char *)sqlite3_column_text(s, 1);
			const char *grp = (const char *)sqlite3_column_text(s, 2);
			bool keep = false;

			for (size_t i = 0; i < cfg->n_members && !keep; i++)
				keep = !strcmp(cfg->members[i].norm, id) &&
				       !strcmp(cfg->members[i].group, grp) &&
				       !strcmp(cfg->members[i].cred.identity, ksid);
			if (keep)
				continue;
			void *p = realloc(gone, (ngone + 1) * sizeof(*gone));

			if (!p)
				break;
			gone = p;
			snprintf(gone[ngone++], CFG_MAX_ID_LEN, "%s", id);
			mark(&ch, grp);
		}
		sqlite3_reset(s);
		for (size_t i = 0; i < ngone; i++) {
			s = stmt(r, ST_MEMBER_DEL);
			sqlite3_bind_text(s, 1, gone[i], -1, SQLITE_STATIC);
			if (sqlite3_step(s) != SQLITE_DONE) {
				free(gone);
				fail(r, "member del");
				goto out;
			}
			sqlite3_reset(s);
			log_info("registry: member %s removed", log_safe(gone[i]));
		}
		free(gone);
	}
	for (size_t i = 0; i < cfg->n_members; i++) {
		const struct cfg_member *cm = &cfg->members[i];
		struct reg_member m;
		uint8_t sid[2], sl;

		/* Keyed by NFKC(IdAx): IDs are compared after NFKC. */
		if (registry_member_get(r, cm->norm, &m) == 0)
			continue;
		if (free_sid(r, cm->group, 1, sid, &sl))
			goto out;
		s = stmt(r, ST_MEMBER_PUT);
		sqlite3_bind_text(s, 1, cm->norm, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, cm->cred.identity, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, cm->group, -1, SQLITE_STATIC);
		sqlite3_bind_blob(s, 4, sid, sl, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE) {
			fail(r, "member put");
			goto out;
		}
		sqlite3_reset(s);
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
	if (!rc && rekeyed)
		for (size_t i = 0; i < ch.n; i++)
			rekeyed(arg, ch.names[i]);
out:
	if (rc)
		registry_rollback(r);
	free(ch.names);
	return rc;
}

uint32_t registry_served_epoch(struct registry *r, const char *gateway,
			       const char *group)
{
	sqlite3_stmt *s = stmt(r, ST_SERVED_GET);
	uint32_t e = 0;

	sqlite3_bind_text(s, 1, gateway, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, group, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		e = (uint32_t)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return e;
}

int registry_set_served_epoch(struct registry *r, const char *gateway,
			      const char *group, uint32_t epoch)
{
	sqlite3_stmt *s = stmt(r, ST_SERVED_SET);
	int rc;

	sqlite3_bind_text(s, 1, gateway, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, group, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, epoch);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : fail(r, "served");
}
