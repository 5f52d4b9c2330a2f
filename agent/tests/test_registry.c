// SPDX-License-Identifier: GPL-2.0
/*
 * The server's registry, on each backend: what it keeps survives closing
 * and reopening (a server restart), membership changes rekey the group,
 * a failed write rolls back, and two instances sharing it race safely.
 *
 * The sqlite variant runs on a temporary file.  The postgresql variant
 * runs on the database that COAPSEC_TEST_PG (a libpq connection string)
 * names, emptied before each test; agent/tests/registry_pg.sh starts a
 * throwaway cluster and sets it.  Without it, those tests are skipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <sqlite3.h>

#include "kselftest_harness.h"
#include "agent/contexts.h"
#include "agent/registry.h"

static void member(struct cfg_member *m, const char *id, const char *group)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->id, sizeof(m->id), "%s", id);
	snprintf(m->norm, sizeof(m->norm), "%s", id);	/* ASCII: NFKC itself */
	snprintf(m->groups[0], sizeof(m->groups[0]), "%s", group);
	m->n_groups = 1;
	snprintf(m->cred.identity, sizeof(m->cred.identity), "%s@srv", id);
	m->cred.key_len = 16;
}

struct find_group {
	const char *group;
	struct reg_member *m;
	int found;
};

static int find_group_cb(void *arg, const struct reg_member *m)
{
	struct find_group *fg = arg;

	if (strcmp(m->group, fg->group))
		return 0;
	*fg->m = *m;
	fg->found = 1;
	return 1;
}

/* Member @id as a member of @group (sender ID, epoch): 0, 1: not in it. */
static int member_in(struct registry *r, const char *id, const char *group,
		     struct reg_member *m)
{
	struct find_group fg = { group, m, 0 };

	if (registry_member_groups(r, id, find_group_cb, &fg))
		return -1;
	return fg.found ? 0 : 1;
}

static int count_cb(void *arg, const struct reg_member *m)
{
	(*(int *)arg)++;
	return 0;
}

static char rekeyed_name[64];
static int rekeyed_n;

static void rekeyed(void *arg, const char *group)
{
	snprintf(rekeyed_name, sizeof(rekeyed_name), "%s", group);
	rekeyed_n++;
}

static void quiet(void *arg, const char *msg)
{
}

/* Runs @sql on the registry's database behind the registry's back. */
static int raw_sql(enum reg_backend b, const char *target, const char *sql)
{
	int rc = -1;

	if (b == REG_SQLITE) {
		sqlite3 *db;

		if (sqlite3_open(target, &db) == SQLITE_OK &&
		    sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
			rc = 0;
		sqlite3_close(db);
	} else {
		PGconn *c = PQconnectdb(target);
		PGresult *res;

		PQsetNoticeProcessor(c, quiet, NULL);
		res = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;

		if (PQresultStatus(res) == PGRES_COMMAND_OK ||
		    PQresultStatus(res) == PGRES_TUPLES_OK)
			rc = 0;
		else
			fprintf(stderr, "# %s: %s", sql, c ? PQerrorMessage(c) : "");
		PQclear(res);
		PQfinish(c);
	}
	return rc;
}

FIXTURE(reg)
{
	char dir[64], path[96];
	char target[1024];
	struct agent_config cfg;
	struct cfg_member members[3];
	struct cfg_group groups[2];
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
};

FIXTURE_VARIANT(reg)
{
	enum reg_backend backend;
};

FIXTURE_VARIANT_ADD(reg, sqlite)
{
	.backend = REG_SQLITE,
};

FIXTURE_VARIANT_ADD(reg, postgresql)
{
	.backend = REG_POSTGRESQL,
};

/* The registry of this variant; skips when there is no PostgreSQL. */
#define REG_OPEN(r) do {						\
	char _err[512];							\
									\
	if (!self->target[0])						\
		SKIP(return, "COAPSEC_TEST_PG is not set: no PostgreSQL cluster to test on"); \
	(r) = registry_open_backend(variant->backend, self->target,	\
				    _err, sizeof(_err));		\
	ASSERT_NE(NULL, (r)) TH_LOG("%s", _err);			\
} while (0)

FIXTURE_SETUP(reg)
{
	const char *pg = getenv("COAPSEC_TEST_PG");

	strcpy(self->dir, "/tmp/coapsecd-reg-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/registry.db", self->dir);
	if (variant->backend == REG_SQLITE) {
		snprintf(self->target, sizeof(self->target), "%s", self->path);
	} else if (pg && *pg) {
		snprintf(self->target, sizeof(self->target), "%s", pg);
		/* Every test starts from an empty registry. */
		ASSERT_EQ(0, raw_sql(REG_POSTGRESQL, pg,
				     "DROP TABLE IF EXISTS members, memberships, groups, served, gateway_sids, checkpoints"));
	}
	memset(&self->cfg, 0, sizeof(self->cfg));
	strcpy(self->groups[0].name, "lights");
	strcpy(self->groups[1].name, "doors");
	for (int i = 0; i < 2; i++) {
		self->groups[i].alg = 10;
		self->groups[i].secret_len = 16;
	}
	member(&self->members[0], "dev-1", "lights");
	member(&self->members[1], "dev-2", "lights");
	member(&self->members[2], "dev-3", "doors");
	self->cfg.groups = self->groups;
	self->cfg.n_groups = 2;
	self->cfg.members = self->members;
	self->cfg.n_members = 3;
	self->cfg.grace_s = 30;
	mbedtls_entropy_init(&self->ent);
	mbedtls_ctr_drbg_init(&self->drbg);
	ASSERT_EQ(0, mbedtls_ctr_drbg_seed(&self->drbg, mbedtls_entropy_func,
					   &self->ent, NULL, 0));
}

FIXTURE_TEARDOWN(reg)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	system(cmd);
	mbedtls_ctr_drbg_free(&self->drbg);
	mbedtls_entropy_free(&self->ent);
}

TEST_F(reg, survives_restart)
{
	struct registry *r;
	struct reg_member m1, m2;
	struct reg_group g1, g2;
	uint8_t rand[KS_RAND_LEN] = { 1, 2, 3 }, ks[KS_LEN] = { 9, 8, 7 };
	struct stat st;

	REG_OPEN(r);
	ASSERT_EQ(0, registry_sync(r, &self->cfg, &self->drbg, NULL, NULL));
	EXPECT_EQ(3, registry_member_count(r));
	ASSERT_EQ(0, registry_member_issue(r, "dev-1", "gw1", rand, ks));
	ASSERT_EQ(0, registry_member_set_sr_seq(r, "dev-1", 5));
	ASSERT_EQ(0, registry_member_set_issued_epoch(r, "dev-1", "lights", 1));
	ASSERT_EQ(0, member_in(r, "dev-1", "lights", &m1));
	ASSERT_EQ(0, registry_group_get(r, "lights", &g1));
	EXPECT_EQ(1, g1.epoch);
	EXPECT_EQ(16, g1.secret_len);
	/* Sender IDs are unique in the group; 00 is the gateway's. */
	ASSERT_EQ(0, member_in(r, "dev-2", "lights", &m2));
	EXPECT_EQ(1, m1.sid_len);
	EXPECT_NE(0, m1.sid[0]);
	EXPECT_NE(0, m2.sid[0]);
	EXPECT_NE(m1.sid[0], m2.sid[0]);
	registry_close(r);

	/* The file holds keys: private. */
	if (variant->backend == REG_SQLITE) {
		ASSERT_EQ(0, stat(self->path, &st));
		EXPECT_EQ(0, st.st_mode & 077);
	}

	REG_OPEN(r);
	/* A restart with the same configuration changes nothing. */
	ASSERT_EQ(0, registry_sync(r, &self->cfg, &self->drbg, rekeyed, NULL));
	EXPECT_EQ(0, rekeyed_n);
	ASSERT_EQ(0, member_in(r, "dev-1", "lights", &m2));
	EXPECT_TRUE(m2.issued);
	EXPECT_EQ(0, memcmp(m2.ks, ks, KS_LEN));
	EXPECT_EQ(0, memcmp(m2.rand, rand, KS_RAND_LEN));
	EXPECT_STREQ("dev-1@srv", m2.ksid);
	EXPECT_STREQ("gw1", m2.gateway);
	EXPECT_EQ(5, m2.sr_seq);
	EXPECT_EQ(1, m2.issued_epoch);
	EXPECT_EQ(0, memcmp(m1.sid, m2.sid, m1.sid_len));
	ASSERT_EQ(0, registry_group_get(r, "lights", &g2));
	EXPECT_EQ(0, memcmp(&g1, &g2, sizeof(g1)));
	EXPECT_EQ(1, registry_member_get(r, "nobody", &m2));
	registry_close(r);
}

/*
 * Revoking a Ks (its sequence is unknown) forgets the Ks, not what was
 * sent under the group keys: the member's next Service Request at the
 * same epoch must still rekey its group, or a rebooted device would get
 * the same group key and sender ID and start its sequence at 0 again.
 */
TEST_F(reg, revoke_keeps_issued_epochs)
{
	uint8_t rand[KS_RAND_LEN] = { 1 }, ks[KS_LEN] = { 2 };
	struct registry *r;
	struct reg_member m;

	REG_OPEN(r);
	ASSERT_EQ(0, registry_sync(r, &self->cfg, &self->drbg, NULL, NULL));
	ASSERT_EQ(0, registry_member_issue(r, "dev-1", "gw1", rand, ks));
	ASSERT_EQ(0, registry_member_set_issued_epoch(r, "dev-1", "lights", 1));
	ASSERT_EQ(0, registry_member_revoke(r, "dev-1"));
	ASSERT_EQ(0, member_in(r, "dev-1", "lights", &m));
	EXPECT_FALSE(m.issued);
	EXPECT_EQ(1, m.issued_epoch);
	registry_close(r);
}

TEST_F(reg, removal_rekeys_the_group)
{
	struct registry *r;
	struct reg_group before, after, doors1, doors2;
	struct reg_member m;
	int n = 0;

	REG_OPEN(r);
	ASSERT_EQ(0, registry_sync(r, &self->cfg, &self->drbg, NULL, NULL));
	ASSERT_EQ(0, registry_group_get(r, "lights", &before));
	ASSERT_EQ(0, registry_group_get(r, "doors", &doors1));
	self->cfg.n_members = 1;	/* dev-2 and dev-3 go */
	self->members[0] = self->members[0];
	rekeyed_n = 0;
	ASSERT_EQ(0, registry_sync(r, &self->cfg, &self->drbg, rekeyed, NULL));
	EXPECT_EQ(2, rekeyed_n);
	EXPECT_EQ(1, registry_member_get(r, "dev-2", &m));
	ASSERT_EQ(0, registry_group_get(r, "lights", &after));
	EXPECT_EQ(2, after.epoch);
	EXPECT_NE(0, memcmp(before.gid, after.gid, GID_LEN));
	EXPECT_NE(0, memcmp(before.secret, after.secret, after.secret_len));
	/* The old Gid stays known for the grace period. */
	EXPECT_EQ(0, memcmp(before.gid, after.old_gid, GID_LEN));
	EXPECT_GT(after.retire_at, 0);
	registry_group_members(r, "lights", count_cb, &n);
	EXPECT_EQ(1, n);
	ASSERT_EQ(0, registry_group_get(r, "doors", &doors2));
	EXPECT_EQ(2, doors2.epoch);
	registry_close(r);
}

TEST_F(reg, served_epochs)
{
	struct registry *r;

	REG_OPEN(r);
	EXPECT_EQ(0, registry_served_epoch(r, "gw1", "lights"));
	ASSERT_EQ(0, registry_set_served_epoch(r, "gw1", "lights", 3));
	/* Stored again: an update, not a second row. */
	ASSERT_EQ(0, registry_set_served_epoch(r, "gw1", "lights", 4));
	registry_close(r);
	REG_OPEN(r);
	EXPECT_EQ(4, registry_served_epoch(r, "gw1", "lights"));
	registry_close(r);
}

TEST_F(reg, rollback_undoes_every_write)
{
	struct registry *r;
	struct reg_member m;

	REG_OPEN(r);
	ASSERT_EQ(0, registry_sync(r, &self->cfg, &self->drbg, NULL, NULL));
	ASSERT_EQ(0, registry_begin(r));
	ASSERT_EQ(0, registry_member_set_sr_seq(r, "dev-1", 7));
	ASSERT_EQ(0, registry_set_served_epoch(r, "gw1", "lights", 9));
	registry_rollback(r);
	ASSERT_EQ(0, registry_member_get(r, "dev-1", &m));
	EXPECT_EQ(-1, m.sr_seq);
	EXPECT_EQ(0, registry_served_epoch(r, "gw1", "lights"));
	ASSERT_EQ(0, registry_begin(r));
	ASSERT_EQ(0, registry_member_set_sr_seq(r, "dev-1", 8));
	ASSERT_EQ(0, registry_commit(r));
	ASSERT_EQ(0, registry_member_get(r, "dev-1", &m));
	EXPECT_EQ(8, m.sr_seq);
	registry_close(r);
}

/*
 * A write the database refuses (a trigger stands in for a full disk or a
 * constraint) fails the whole transaction: committing it anyway commits
 * nothing and says so, on every backend.
 */
TEST_F(reg, failed_write_fails_the_commit)
{
	static const char *const trigger[] = {
		[REG_SQLITE] = "CREATE TRIGGER refuse BEFORE UPDATE OF sr_seq ON members"
			" WHEN NEW.sr_seq >= 100 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
		[REG_POSTGRESQL] = "CREATE OR REPLACE FUNCTION coapsec_test_refuse() RETURNS trigger"
			" LANGUAGE plpgsql AS $$BEGIN IF NEW.sr_seq >= 100 THEN"
			" RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END$$;"
			" CREATE TRIGGER refuse BEFORE UPDATE OF sr_seq ON members"
			" FOR EACH ROW EXECUTE FUNCTION coapsec_test_refuse()",
	};
	struct registry *r;
	struct reg_member m;

	REG_OPEN(r);
	ASSERT_EQ(0, registry_sync(r, &self->cfg, &self->drbg, NULL, NULL));
	ASSERT_EQ(0, raw_sql(variant->backend, self->target,
			     trigger[variant->backend]));
	ASSERT_EQ(0, registry_begin(r));
	ASSERT_EQ(0, registry_set_served_epoch(r, "gw1", "lights", 5));
	ASSERT_EQ(0, registry_member_set_sr_seq(r, "dev-2", 3));
	EXPECT_EQ(-1, registry_member_set_sr_seq(r, "dev-1", 100));
	EXPECT_EQ(-1, registry_commit(r));
	EXPECT_EQ(0, registry_served_epoch(r, "gw1", "lights"));
	ASSERT_EQ(0, registry_member_get(r, "dev-2", &m));
	EXPECT_EQ(-1, m.sr_seq);
	/* The next transaction starts clean. */
	ASSERT_EQ(0, registry_begin(r));
	ASSERT_EQ(0, registry_member_set_sr_seq(r, "dev-1", 4));
	ASSERT_EQ(0, registry_commit(r));
	ASSERT_EQ(0, registry_member_get(r, "dev-1", &m));
	EXPECT_EQ(4, m.sr_seq);
	registry_close(r);
}

/*
 * Two server instances: a read-modify-write in one instance's
 * transaction (here a Service Request's sequence number) waits for the
 * other's transaction; no update is lost.
 */
TEST_F(reg, writers_wait_for_each_other)
{
	struct registry *r;
	struct reg_member m;
	int go[2], started[2], status;
	pid_t pid;
	char c;

	if (!self->target[0])
		SKIP(return, "COAPSEC_TEST_PG is not set: no PostgreSQL cluster to test on");
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(started));
	/* The other instance is a process of its own, forked while this one
	 * has no connection open (SQLite's locks do not survive a fork). */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char err[512];
		struct registry *r2;
		struct reg_member m2;
		int rc;

		if (read(go[0], &c, 1) != 1 || write(started[1], "s", 1) != 1)
			_exit(2);
		r2 = registry_open_backend(variant->backend, self->target, err,
					   sizeof(err));
		if (!r2)
			_exit(2);
		rc = registry_begin(r2) ||
		     registry_member_get(r2, "dev-1", &m2) ||
		     registry_member_set_sr_seq(r2, "dev-1", m2.sr_seq + 1) ||
		     registry_commit(r2);
		registry_close(r2);
		_exit(rc ? 1 : 0);
	}
	REG_OPEN(r);
	ASSERT_EQ(0, registry_sync(r, &self->cfg, &self->drbg, NULL, NULL));
	ASSERT_EQ(0, registry_member_set_sr_seq(r, "dev-1", 10));
	ASSERT_EQ(0, registry_begin(r));
	ASSERT_EQ(0, registry_member_get(r, "dev-1", &m));
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(1, read(started[0], &c, 1));
	usleep(300 * 1000);	/* the other instance is waiting to begin */
	ASSERT_EQ(0, registry_member_set_sr_seq(r, "dev-1", m.sr_seq + 1));
	ASSERT_EQ(0, registry_commit(r));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("the other instance: status %#x", status);
	ASSERT_EQ(0, registry_member_get(r, "dev-1", &m));
	EXPECT_EQ(12, m.sr_seq);
	close(go[0]);
	close(go[1]);
	close(started[0]);
	close(started[1]);
	registry_close(r);
}

/*
 * Two instances rekey one group at once (a rekey request on one, the
 * timed rekey on the other): both rekeys count, neither overwrites the
 * other's epoch.
 */
TEST_F(reg, concurrent_rekeys_both_count)
{
	struct registry *r;
	struct reg_group g;
	int go[2], started[2], status;
	pid_t pid;
	char c;

	if (!self->target[0])
		SKIP(return, "COAPSEC_TEST_PG is not set: no PostgreSQL cluster to test on");
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(started));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char err[512];
		struct registry *r2;
		int rc;

		if (mbedtls_ctr_drbg_reseed(&self->drbg,
					    (const unsigned char *)"2", 1))
			_exit(2);
		/* Open (and create the tables) first, then wait. */
		r2 = registry_open_backend(variant->backend, self->target, err,
					   sizeof(err));
		if (!r2 || write(started[1], "s", 1) != 1 ||
		    read(go[0], &c, 1) != 1)
			_exit(2);
		rc = registry_group_rekey(r2, "lights", &self->drbg, 30);
		registry_close(r2);
		_exit(rc ? 1 : 0);
	}
	ASSERT_EQ(1, read(started[0], &c, 1));
	REG_OPEN(r);
	ASSERT_EQ(0, registry_sync(r, &self->cfg, &self->drbg, NULL, NULL));
	ASSERT_EQ(0, registry_begin(r));
	ASSERT_EQ(0, registry_group_rekey(r, "lights", &self->drbg, 30));
	ASSERT_EQ(1, write(go[1], "g", 1));
	usleep(300 * 1000);	/* the other instance is rekeying too */
	ASSERT_EQ(0, registry_commit(r));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("the other instance: status %#x", status);
	ASSERT_EQ(0, registry_group_get(r, "lights", &g));
	EXPECT_EQ(3, g.epoch);
	close(go[0]);
	close(go[1]);
	close(started[0]);
	close(started[1]);
	registry_close(r);
}

/*
 * The database ends the registry's session (a PostgreSQL restart, an
 * administrator's pg_terminate_backend): the registry reconnects.
 */
TEST_F(reg, reconnects_after_the_session_ends)
{
	struct registry *r;
	struct reg_member m;

	if (variant->backend != REG_POSTGRESQL)
		SKIP(return, "a PostgreSQL session");
	REG_OPEN(r);
	ASSERT_EQ(0, registry_sync(r, &self->cfg, &self->drbg, NULL, NULL));
	ASSERT_EQ(0, raw_sql(REG_POSTGRESQL, self->target,
			     "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
			     " WHERE datname = current_database() AND pid <> pg_backend_pid()"));
	EXPECT_EQ(0, registry_member_get(r, "dev-1", &m));
	ASSERT_EQ(0, raw_sql(REG_POSTGRESQL, self->target,
			     "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
			     " WHERE datname = current_database() AND pid <> pg_backend_pid()"));
	ASSERT_EQ(0, registry_begin(r));
	ASSERT_EQ(0, registry_member_set_sr_seq(r, "dev-1", 21));
	ASSERT_EQ(0, registry_commit(r));
	ASSERT_EQ(0, registry_member_get(r, "dev-1", &m));
	EXPECT_EQ(21, m.sr_seq);
	EXPECT_EQ(3, registry_member_count(r));
	registry_close(r);
}

static int sid_cb(void *arg, const struct reg_member *m)
{
	uint8_t *seen = arg;
	unsigned int v = m->sid_len == 1 ? m->sid[0] :
			 (unsigned int)(m->sid[0] << 8 | m->sid[1]);

	seen[v]++;
	return 0;
}

static int gw_cb(void *arg, const char *gateway, const uint8_t *sid,
		 uint8_t len)
{
	char *out = arg;

	snprintf(out + strlen(out), 64, "%s=%02x%s ", gateway, sid[0],
		 len > 1 ? "+" : "");
	return 0;
}

/*
 * Two server instances start at once on an empty registry with the same
 * configuration: both come up, every member is there once, and sender
 * IDs are unique in each group.
 */
TEST_F(reg, two_instances_start_at_once)
{
	enum { N = 60, KIDS = 2 };
	struct cfg_member *mem = calloc(N, sizeof(*mem));
	int ready[2], go[2], status, fails = 0;
	static uint8_t seen[2][65536];
	struct reg_group g1, g2;
	struct registry *r;
	pid_t pid[KIDS];
	char c;

	ASSERT_NE(NULL, mem);
	if (!self->target[0]) {
		free(mem);
		SKIP(return, "COAPSEC_TEST_PG is not set: no PostgreSQL cluster to test on");
	}
	for (int i = 0; i < N; i++) {
		char id[32];

		snprintf(id, sizeof(id), "meter-%02d", i);
		member(&mem[i], id, i % 2 ? "doors" : "lights");
	}
	self->cfg.members = mem;
	self->cfg.n_members = N;
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	for (int k = 0; k < KIDS; k++) {
		pid[k] = fork();
		ASSERT_LE(0, pid[k]);
		if (pid[k] == 0) {
			char err[512];
			struct registry *rk;
			int rc;

			/* Each instance draws its own randomness. */
			if (mbedtls_ctr_drbg_reseed(&self->drbg,
						    (const unsigned char *)&k,
						    sizeof(k)))
				_exit(2);
			rk = registry_open_backend(variant->backend,
						   self->target, err,
						   sizeof(err));
			if (!rk)
				fprintf(stderr, "# instance %d: %s\n", k, err);
			if (!rk || write(ready[1], "r", 1) != 1 ||
			    read(go[0], &c, 1) != 1)
				_exit(2);
			rc = registry_sync(rk, &self->cfg, &self->drbg, NULL,
					   NULL);
			registry_close(rk);
			_exit(rc ? 1 : 0);
		}
	}
	for (int k = 0; k < KIDS; k++)
		ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ(KIDS, write(go[1], "gg", KIDS));
	for (int k = 0; k < KIDS; k++) {
		ASSERT_EQ(pid[k], waitpid(pid[k], &status, 0));
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			fails++;
	}
	EXPECT_EQ(0, fails);
	REG_OPEN(r);
	EXPECT_EQ(N, registry_member_count(r));
	memset(seen, 0, sizeof(seen));
	ASSERT_EQ(0, registry_group_members(r, "lights", sid_cb, seen[0]));
	ASSERT_EQ(0, registry_group_members(r, "doors", sid_cb, seen[1]));
	for (int gi = 0; gi < 2; gi++) {
		int total = 0;

		for (int v = 0; v < 65536; v++) {
			EXPECT_GE(1, seen[gi][v]) TH_LOG("sender ID %d twice", v);
			total += seen[gi][v];
		}
		EXPECT_EQ(N / 2, total);
		EXPECT_EQ(0, seen[gi][0]);	/* the gateway's */
	}
	/* Nobody rekeyed: the groups are at their first epoch. */
	ASSERT_EQ(0, registry_group_get(r, "lights", &g1));
	ASSERT_EQ(0, registry_group_get(r, "doors", &g2));
	EXPECT_EQ(1, g1.epoch);
	EXPECT_EQ(1, g2.epoch);
	registry_close(r);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	free(mem);
}

/*
 * Each gateway serving a member of a group has its own sender ID there,
 * unique with the members' ones, kept across restarts; one that stops
 * serving the group loses it and the group is rekeyed.
 */
TEST_F(reg, gateway_sender_ids)
{
	struct cfg_gateway gws[2] = { { .id = "gw1" }, { .id = "gw2" } };
	char list[256] = "", again[256] = "";
	struct registry *r;
	uint8_t s1[SID_MAX_LEN], s2[SID_MAX_LEN], l1, l2;
	struct reg_member m1, m2;
	struct reg_group before, after;

	REG_OPEN(r);
	self->cfg.gateways = gws;
	self->cfg.n_gateways = 2;
	/* lights: dev-1 through gw1, dev-2 through gw2; doors: gw1 */
	self->members[0].gw[0] = 0;
	self->members[0].n_gw = 1;
	self->members[1].gw[0] = 1;
	self->members[1].n_gw = 1;
	self->members[2].gw[0] = 0;
	self->members[2].n_gw = 1;
	ASSERT_EQ(0, registry_sync(r, &self->cfg, &self->drbg, NULL, NULL));
	ASSERT_EQ(0, registry_gateway_sid(r, "gw1", "lights", s1, &l1));
	ASSERT_EQ(0, registry_gateway_sid(r, "gw2", "lights", s2, &l2));
	EXPECT_EQ(1, registry_gateway_sid(r, "gw2", "doors", s2, &l2));
	ASSERT_EQ(0, registry_gateway_sid(r, "gw2", "lights", s2, &l2));
	ASSERT_EQ(0, member_in(r, "dev-1", "lights", &m1));
	ASSERT_EQ(0, member_in(r, "dev-2", "lights", &m2));
	EXPECT_EQ(1, l1);
	EXPECT_EQ(1, l2);
	EXPECT_NE(s1[0], s2[0]);
	EXPECT_NE(m1.sid[0], s1[0]);
	EXPECT_NE(m1.sid[0], s2[0]);
	EXPECT_NE(m2.sid[0], s1[0]);
	EXPECT_NE(m2.sid[0], s2[0]);
	ASSERT_EQ(0, registry_group_gateways(r, "lights", gw_cb, list));
	TH_LOG("lights: %s", list);
	EXPECT_NE(NULL, strstr(list, "gw1="));
	EXPECT_NE(NULL, strstr(list, "gw2="));
	/* A restart with the same configuration keeps them. */
	registry_close(r);
	REG_OPEN(r);
	rekeyed_n = 0;
	ASSERT_EQ(0, registry_sync(r, &self->cfg, &self->drbg, rekeyed, NULL));
	EXPECT_EQ(0, rekeyed_n);
	ASSERT_EQ(0, registry_group_gateways(r, "lights", gw_cb, again));
	EXPECT_STREQ(list, again);
	/* gw2 no longer serves dev-2: it loses its ID, lights is rekeyed. */
	ASSERT_EQ(0, registry_member_set_issued_epoch(r, "dev-1", "lights", 1));
	ASSERT_EQ(0, registry_group_get(r, "lights", &before));
	self->members[1].gw[0] = 0;
	ASSERT_EQ(0, registry_sync(r, &self->cfg, &self->drbg, rekeyed, NULL));
	EXPECT_EQ(1, registry_gateway_sid(r, "gw2", "lights", s2, &l2));
	ASSERT_EQ(0, registry_group_get(r, "lights", &after));
	EXPECT_EQ(before.epoch + 1, after.epoch);
	EXPECT_STREQ("lights", rekeyed_name);
	registry_close(r);
}

/*
 * Sequence checkpoints live in the registry: kept across a reopen, the
 * larger number wins for the same keys, new keys replace them, a
 * forgotten one is gone.
 */
TEST_F(reg, checkpoints)
{
	struct registry *r;
	struct seqstate *ss;
	struct reg_checkpoint cp;
	uint8_t ks[KS_LEN] = { 1, 2, 3 }, ks2[KS_LEN] = { 4, 5, 6 };
	char err[512];
	struct actx c, c2;
	uint64_t seq = 0;
	bool ru = true;

	ASSERT_EQ(0, actx_pairwise(&c, "dev-1", ks, "dev-1@srv", true, 1 << 20));
	ASSERT_EQ(0, actx_pairwise(&c2, "dev-1", ks2, "dev-1@srv", true, 1 << 20));
	REG_OPEN(r);
	EXPECT_EQ(1, registry_checkpoint_get(r, c.name, &cp));
	ss = seqstate_open(r, NULL, err, sizeof(err));
	ASSERT_NE(NULL, ss) TH_LOG("%s", err);
	EXPECT_FALSE(seqstate_get(ss, &c, &seq, &ru));
	ASSERT_EQ(0, seqstate_put(ss, &c, 5000, false));
	/* A smaller number never lowers it. */
	ASSERT_EQ(0, seqstate_put(ss, &c, 100, false));
	seqstate_close(ss);
	registry_close(r);

	REG_OPEN(r);
	ss = seqstate_open(r, NULL, err, sizeof(err));
	ASSERT_NE(NULL, ss) TH_LOG("%s", err);
	ASSERT_TRUE(seqstate_get(ss, &c, &seq, &ru));
	EXPECT_EQ(5000, seq);
	EXPECT_FALSE(ru);	/* written in this boot */
	/* Other keys under the same name: nothing kept for them. */
	EXPECT_FALSE(seqstate_get(ss, &c2, &seq, &ru));
	ASSERT_EQ(0, registry_checkpoint_get(r, c.name, &cp));
	EXPECT_EQ(5000, cp.seq);
	EXPECT_EQ(16, strlen(cp.key_fp));
	/* Written in another boot: the replay windows are unknown. */
	strcpy(cp.boot_id, "00000000-0000-0000-0000-000000000000");
	ASSERT_EQ(0, registry_checkpoint_put(r, c.name, &cp));
	ASSERT_TRUE(seqstate_get(ss, &c, &seq, &ru));
	EXPECT_TRUE(ru);
	/* Not inside a transaction: it would not be durable before the push. */
	ASSERT_EQ(0, registry_begin(r));
	EXPECT_EQ(-1, registry_checkpoint_put(r, c.name, &cp));
	registry_rollback(r);
	/* New keys replace the entry. */
	ASSERT_EQ(0, seqstate_put(ss, &c2, 7, false));
	EXPECT_FALSE(seqstate_get(ss, &c, &seq, &ru));
	ASSERT_TRUE(seqstate_get(ss, &c2, &seq, &ru));
	EXPECT_EQ(7, seq);
	ASSERT_EQ(0, seqstate_forget(ss, c.name));
	EXPECT_EQ(1, registry_checkpoint_get(r, c.name, &cp));
	EXPECT_EQ(0, seqstate_forget(ss, c.name));
	seqstate_close(ss);
	registry_close(r);
	actx_wipe(&c);
	actx_wipe(&c2);
}

/*
 * A checkpoint remembers the kernel instance it was written under: a
 * module reload in the same boot (another instance ID) loses the replay
 * windows as a reboot does, and so does a checkpoint of a version that
 * kept only the boot ID.  seqstate_keep reports what it kept, the larger
 * number: the ceiling the kernel may be given.
 */
TEST_F(reg, checkpoint_instance_id)
{
	struct registry *r;
	struct seqstate *ss;
	struct reg_checkpoint cp;
	uint8_t ks[KS_LEN] = { 9, 8, 7 };
	char err[512];
	struct actx c;
	uint64_t seq = 0, kept = 0;
	bool ru = true;

	ASSERT_EQ(0, actx_pairwise(&c, "dev-2", ks, "dev-2@srv", true, 1 << 20));
	REG_OPEN(r);
	ss = seqstate_open(r, NULL, err, sizeof(err));
	ASSERT_NE(NULL, ss) TH_LOG("%s", err);
	seqstate_set_instance(ss, 0x1111222233334444ULL);
	ASSERT_EQ(0, seqstate_keep(ss, &c, 4000, false, &kept));
	EXPECT_EQ(4000, kept);
	ASSERT_EQ(0, seqstate_keep(ss, &c, 10, false, &kept));
	EXPECT_EQ(4000, kept);	/* never lower than what is kept */
	ASSERT_EQ(0, registry_checkpoint_get(r, c.name, &cp));
	EXPECT_NE(NULL, strstr(cp.boot_id, "/1111222233334444"));
	ASSERT_TRUE(seqstate_get(ss, &c, &seq, &ru));
	EXPECT_FALSE(ru);	/* same boot, same instance */
	seqstate_close(ss);

	/* The module was reloaded: same boot, another instance. */
	ss = seqstate_open(r, NULL, err, sizeof(err));
	ASSERT_NE(NULL, ss) TH_LOG("%s", err);
	seqstate_set_instance(ss, 0x5555666677778888ULL);
	ASSERT_TRUE(seqstate_get(ss, &c, &seq, &ru));
	EXPECT_EQ(4000, seq);
	EXPECT_TRUE(ru);
	/* Back under the first instance: known again. */
	seqstate_set_instance(ss, 0x1111222233334444ULL);
	ASSERT_TRUE(seqstate_get(ss, &c, &seq, &ru));
	EXPECT_FALSE(ru);
	/* Written by a version that kept the boot ID alone: unknown. */
	*strchr(cp.boot_id, '/') = '\0';
	ASSERT_EQ(0, registry_checkpoint_put(r, c.name, &cp));
	ASSERT_TRUE(seqstate_get(ss, &c, &seq, &ru));
	EXPECT_TRUE(ru);
	seqstate_close(ss);
	registry_close(r);
	actx_wipe(&c);
}

/*
 * What cannot be told is not assumed: with the boot ID unreadable, a
 * checkpoint is never "this boot" (its windows are unknown at every start,
 * whatever the instance ID), and a number past what an int64 holds is kept
 * as the largest one, never as a negative that reads as "none kept".
 */
TEST_F(reg, checkpoint_unknowns_fail_closed)
{
	struct registry *r;
	struct seqstate *ss;
	struct reg_checkpoint cp;
	uint8_t ks[KS_LEN] = { 3, 1, 4 };
	char err[512];
	struct actx c;
	uint64_t seq = 0, kept = 0;
	bool ru = false;

	ASSERT_EQ(0, actx_pairwise(&c, "dev-3", ks, "dev-3@srv", true, 1 << 20));
	REG_OPEN(r);
	ss = seqstate_open(r, NULL, err, sizeof(err));
	ASSERT_NE(NULL, ss) TH_LOG("%s", err);
	seqstate_identify(ss, "", 0);
	ASSERT_EQ(0, seqstate_keep(ss, &c, 300, false, &kept));
	seqstate_close(ss);
	/* The next boot, as unreadable, the same (null) instance. */
	ss = seqstate_open(r, NULL, err, sizeof(err));
	ASSERT_NE(NULL, ss) TH_LOG("%s", err);
	seqstate_identify(ss, "", 0);
	ASSERT_TRUE(seqstate_get(ss, &c, &seq, &ru));
	EXPECT_EQ(300, seq);
	EXPECT_TRUE(ru);
	/* Past INT64_MAX: kept as the largest, still "kept". */
	ASSERT_EQ(0, seqstate_keep(ss, &c, UINT64_MAX, false, &kept));
	EXPECT_EQ((uint64_t)INT64_MAX, kept);
	ASSERT_EQ(0, registry_checkpoint_get(r, c.name, &cp));
	EXPECT_EQ(INT64_MAX, cp.seq);
	ASSERT_TRUE(seqstate_get(ss, &c, &seq, &ru));
	EXPECT_EQ((uint64_t)INT64_MAX, seq);
	seqstate_close(ss);
	registry_close(r);
	actx_wipe(&c);
}

/*
 * The DB.seq file of earlier versions is imported once into the registry
 * (entries as written, the larger number winning) and deleted; one that
 * does not parse stops the agent and stays.
 */
TEST_F(reg, checkpoint_sidecar_imported_once)
{
	struct registry *r;
	struct seqstate *ss;
	struct reg_checkpoint cp;
	uint8_t ks[KS_LEN] = { 7, 7, 7 };
	char err[512], side[128], fp[17];
	struct actx c;
	uint64_t seq = 0;
	bool ru = false;
	FILE *f;

	snprintf(side, sizeof(side), "%s/registry.db.seq", self->dir);
	ASSERT_EQ(0, actx_pairwise(&c, "dev-1", ks, "dev-1@srv", true, 1 << 20));
	/* The fingerprint of c's keys, as the old file holds it. */
	REG_OPEN(r);
	ss = seqstate_open(r, NULL, err, sizeof(err));
	ASSERT_NE(NULL, ss) TH_LOG("%s", err);
	ASSERT_EQ(0, seqstate_put(ss, &c, 1, false));
	ASSERT_EQ(0, registry_checkpoint_get(r, c.name, &cp));
	strcpy(fp, cp.key_fp);
	ASSERT_EQ(0, seqstate_forget(ss, c.name));
	seqstate_close(ss);

	f = fopen(side, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "{\"contexts\": {\"%s\": {\"key_fp\": \"%s\", \"seq_start\": 123456,"
		   " \"boot_id\": \"00000000-0000-0000-0000-000000000000\", \"replay_unknown\": false}}}\n",
		c.name, fp);
	fclose(f);
	ss = seqstate_open(r, side, err, sizeof(err));
	ASSERT_NE(NULL, ss) TH_LOG("%s", err);
	EXPECT_NE(0, access(side, F_OK));
	ASSERT_TRUE(seqstate_get(ss, &c, &seq, &ru));
	EXPECT_EQ(123456, seq);
	EXPECT_TRUE(ru);	/* another boot wrote it */
	/* Moves on; a stale copy of the file put back does not lower it. */
	ASSERT_EQ(0, seqstate_put(ss, &c, 200000, false));
	seqstate_close(ss);
	f = fopen(side, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "{\"contexts\": {\"%s\": {\"key_fp\": \"%s\", \"seq_start\": 123456}}}\n",
		c.name, fp);
	fclose(f);
	ss = seqstate_open(r, side, err, sizeof(err));
	ASSERT_NE(NULL, ss) TH_LOG("%s", err);
	ASSERT_TRUE(seqstate_get(ss, &c, &seq, &ru));
	EXPECT_EQ(200000, seq);
	seqstate_close(ss);
	registry_close(r);

	/* The import survives a reopen (it is in the registry now). */
	REG_OPEN(r);
	ss = seqstate_open(r, side, err, sizeof(err));
	ASSERT_NE(NULL, ss) TH_LOG("%s", err);
	ASSERT_TRUE(seqstate_get(ss, &c, &seq, &ru));
	EXPECT_EQ(200000, seq);
	seqstate_close(ss);

	f = fopen(side, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "{\"contexts\": [1, 2]}\n");
	fclose(f);
	err[0] = 0;
	EXPECT_EQ(NULL, seqstate_open(r, side, err, sizeof(err)));
	TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "registry.db.seq: sequence state: expected"));
	EXPECT_EQ(0, access(side, F_OK));
	registry_close(r);
	actx_wipe(&c);
}

/*
 * A member in two groups: a sender ID in each (unique there), its Ks
 * once; leaving one group rekeys that group only and keeps its Ks, its
 * sender ID and its epoch in the other; a rekey of one group leaves the
 * other alone.
 */
TEST_F(reg, member_in_two_groups)
{
	struct registry *r;
	struct reg_member m, l1, d1, d3, d1b;
	struct reg_group lights1, doors1, lights2, doors2, lights3;
	uint8_t rand[KS_RAND_LEN] = { 1 }, ks[KS_LEN] = { 2 };
	int n = 0;

	/* dev-1 in lights and doors (doors already has dev-3). */
	strcpy(self->members[0].groups[1], "doors");
	self->members[0].n_groups = 2;
	REG_OPEN(r);
	ASSERT_EQ(0, registry_sync(r, &self->cfg, &self->drbg, NULL, NULL));
	EXPECT_EQ(3, registry_member_count(r));
	ASSERT_EQ(0, member_in(r, "dev-1", "lights", &l1));
	ASSERT_EQ(0, member_in(r, "dev-1", "doors", &d1));
	ASSERT_EQ(0, member_in(r, "dev-3", "doors", &d3));
	EXPECT_NE(0, memcmp(d1.sid, d3.sid, 1));
	registry_group_members(r, "doors", count_cb, &n);
	EXPECT_EQ(2, n);
	n = 0;
	registry_member_groups(r, "dev-1", count_cb, &n);
	EXPECT_EQ(2, n);
	ASSERT_EQ(0, registry_member_issue(r, "dev-1", "gw1", rand, ks));
	ASSERT_EQ(0, registry_member_set_issued_epoch(r, "dev-1", "lights", 1));
	ASSERT_EQ(0, registry_member_set_issued_epoch(r, "dev-1", "doors", 1));
	ASSERT_EQ(0, registry_group_get(r, "lights", &lights1));
	ASSERT_EQ(0, registry_group_get(r, "doors", &doors1));

	/* A rekey of doors leaves lights alone. */
	ASSERT_EQ(0, registry_group_rekey(r, "doors", &self->drbg, 30));
	ASSERT_EQ(0, registry_group_get(r, "lights", &lights2));
	ASSERT_EQ(0, registry_group_get(r, "doors", &doors2));
	EXPECT_EQ(0, memcmp(&lights1, &lights2, sizeof(lights1)));
	EXPECT_EQ(doors1.epoch + 1, doors2.epoch);

	/* dev-1 leaves doors: doors is rekeyed, lights is not. */
	self->members[0].n_groups = 1;
	rekeyed_n = 0;
	ASSERT_EQ(0, registry_sync(r, &self->cfg, &self->drbg, rekeyed, NULL));
	EXPECT_EQ(1, rekeyed_n);
	EXPECT_STREQ("doors", rekeyed_name);
	EXPECT_EQ(1, member_in(r, "dev-1", "doors", &m));
	ASSERT_EQ(0, member_in(r, "dev-1", "lights", &m));
	EXPECT_EQ(0, memcmp(l1.sid, m.sid, l1.sid_len));
	EXPECT_EQ(1, m.issued_epoch);
	EXPECT_TRUE(m.issued);
	EXPECT_EQ(0, memcmp(m.ks, ks, KS_LEN));
	ASSERT_EQ(0, registry_group_get(r, "lights", &lights3));
	EXPECT_EQ(0, memcmp(&lights1, &lights3, sizeof(lights1)));
	ASSERT_EQ(0, registry_group_get(r, "doors", &doors1));
	EXPECT_EQ(doors2.epoch + 1, doors1.epoch);
	ASSERT_EQ(0, member_in(r, "dev-3", "doors", &m));

	/* Back into doors: a sender ID there again, no other change. */
	self->members[0].n_groups = 2;
	rekeyed_n = 0;
	ASSERT_EQ(0, registry_sync(r, &self->cfg, &self->drbg, rekeyed, NULL));
	EXPECT_EQ(0, rekeyed_n);
	ASSERT_EQ(0, member_in(r, "dev-1", "doors", &d1b));
	EXPECT_EQ(0, d1b.issued_epoch);
	EXPECT_NE(0, memcmp(d1b.sid, d3.sid, 1));
	registry_close(r);
}

/*
 * A registry written by an earlier version (one group per member, in
 * members) opens: its members keep their Ks, sender ID and epoch, now as
 * one membership, and can join a second group.
 */
TEST_F(reg, old_schema_migrates)
{
	static const char old[] =
		"CREATE TABLE groups("
		" name TEXT PRIMARY KEY, alg BIGINT NOT NULL, epoch BIGINT NOT NULL,"
		" gid BLOB NOT NULL, secret BLOB NOT NULL, salt BLOB NOT NULL,"
		" old_gid BLOB, retire_at BIGINT NOT NULL DEFAULT 0);"
		"CREATE TABLE members("
		" id TEXT PRIMARY KEY, ksid TEXT NOT NULL, grp TEXT NOT NULL,"
		" sid BLOB NOT NULL, gateway TEXT, rand BLOB, ks BLOB,"
		" sr_seq BIGINT NOT NULL DEFAULT -1,"
		" issued_epoch BIGINT NOT NULL DEFAULT 0,"
		" UNIQUE(grp, sid));"
		"CREATE TABLE served("
		" gateway TEXT NOT NULL, grp TEXT NOT NULL, epoch BIGINT NOT NULL,"
		" PRIMARY KEY(gateway, grp));";
	static const char rows_sqlite[] =
		"INSERT INTO groups VALUES('lights', 10, 4, x'01020304', x'00112233445566778899aabbccddeeff', x'0102030405060708', NULL, 0);"
		"INSERT INTO groups VALUES('doors', 10, 1, x'05060708', x'ffeeddccbbaa99887766554433221100', x'0807060504030201', NULL, 0);"
		"INSERT INTO members VALUES('dev-1', 'dev-1@srv', 'lights', x'07', 'gw1', x'0a0b0c0d0e0f101112131415161718190a0b0c0d0e0f10111213141516171819', x'2122232425262728292a2b2c2d2e2f302122232425262728292a2b2c2d2e2f30', 9, 4);"
		"INSERT INTO members VALUES('dev-2', 'dev-2@srv', 'lights', x'02', NULL, NULL, NULL, -1, 0);"
		"INSERT INTO members VALUES('dev-3', 'dev-3@srv', 'doors', x'01', NULL, NULL, NULL, -1, 0);";
	char rows[sizeof(rows_sqlite) + 64], ddl[sizeof(old) + 64], *p;
	struct registry *r;
	struct reg_member m, d;
	struct reg_group g;

	if (variant->backend == REG_POSTGRESQL && !self->target[0])
		SKIP(return, "COAPSEC_TEST_PG is not set: no PostgreSQL cluster to test on");
	/* x'..' is SQLite's blob literal; PostgreSQL's is '\\x..'::bytea. */
	strcpy(rows, rows_sqlite);
	if (variant->backend == REG_POSTGRESQL) {
		char *q, buf[sizeof(rows) * 2];

		for (p = rows, q = buf; *p; p++) {
			if (p[0] == 'x' && p[1] == '\'' && (p == rows || p[-1] == ' ' || p[-1] == ',')) {
				q += sprintf(q, "'\\x");
				p++;
				continue;
			}
			*q++ = *p;
		}
		*q = 0;
		/* and BLOB is BYTEA there */
		for (const char *o = old; *o; o++) {
			if (o == old)
				q = ddl;
			if (!strncmp(o, "BLOB", 4)) {
				q += sprintf(q, "BYTEA");
				o += 3;
				continue;
			}
			*q++ = *o;
		}
		*q = 0;
		ASSERT_EQ(0, raw_sql(variant->backend, self->target,
				     "DROP TABLE IF EXISTS members_v2"));
		ASSERT_EQ(0, raw_sql(variant->backend, self->target, ddl));
		ASSERT_EQ(0, raw_sql(variant->backend, self->target, buf));
	} else {
		ASSERT_EQ(0, raw_sql(variant->backend, self->target, old));
		ASSERT_EQ(0, raw_sql(variant->backend, self->target, rows));
	}

	REG_OPEN(r);
	EXPECT_EQ(3, registry_member_count(r));
	ASSERT_EQ(0, registry_member_get(r, "dev-1", &m));
	EXPECT_TRUE(m.issued);
	EXPECT_EQ(0x21, m.ks[0]);
	EXPECT_EQ(9, m.sr_seq);
	EXPECT_STREQ("gw1", m.gateway);
	ASSERT_EQ(0, member_in(r, "dev-1", "lights", &m));
	EXPECT_EQ(1, m.sid_len);
	EXPECT_EQ(7, m.sid[0]);
	EXPECT_EQ(4, m.issued_epoch);
	/* The same configuration changes nothing: no rekey. */
	rekeyed_n = 0;
	ASSERT_EQ(0, registry_sync(r, &self->cfg, &self->drbg, rekeyed, NULL));
	EXPECT_EQ(0, rekeyed_n);
	ASSERT_EQ(0, registry_group_get(r, "lights", &g));
	EXPECT_EQ(4, g.epoch);
	/* And dev-1 may now join doors too. */
	strcpy(self->members[0].groups[1], "doors");
	self->members[0].n_groups = 2;
	ASSERT_EQ(0, registry_sync(r, &self->cfg, &self->drbg, rekeyed, NULL));
	EXPECT_EQ(0, rekeyed_n);
	ASSERT_EQ(0, member_in(r, "dev-1", "doors", &d));
	EXPECT_NE(1, d.sid[0]);		/* dev-3 holds 01 there */
	registry_close(r);
	/* Opened again: nothing left to migrate. */
	REG_OPEN(r);
	ASSERT_EQ(0, member_in(r, "dev-1", "doors", &d));
	registry_close(r);
}

TEST_HARNESS_MAIN
