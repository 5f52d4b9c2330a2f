// SPDX-License-Identifier: GPL-2.0
/*
 * The registry in an SQLite file: the embedded default.  Several
 * processes on one host may share the file; BEGIN IMMEDIATE takes
 * SQLite's write lock, so write transactions run one at a time.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <sqlite3.h>

#include "agent/registry_db.h"

struct reg_db {
	sqlite3 *db;
	char path[256];
};

struct reg_stmt {
	sqlite3_stmt *st;
};

static const char pragmas[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=NORMAL;";

static void sl_close(struct reg_db *d)
{
	if (!d)
		return;
	sqlite3_close(d->db);
	free(d);
}

static struct reg_db *sl_open(const char *path, const char *schema,
			      char *err, size_t errlen)
{
	struct reg_db *d = calloc(1, sizeof(*d));
	char *emsg = NULL;
	int fd, rc = SQLITE_OK;

	if (!d) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	snprintf(d->path, sizeof(d->path), "%s", path);
	/* Create it private before SQLite opens it: it holds keys. */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	if (sqlite3_open_v2(path, &d->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
			    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(d->db));
		goto fail;
	}
	sqlite3_busy_timeout(d->db, 2000);
	/*
	 * Switching a new file to WAL takes an exclusive lock that another
	 * process opening it at the same moment may hold: try for a while.
	 */
	for (int tries = 0; tries < 50; tries++) {
		rc = sqlite3_exec(d->db, pragmas, NULL, NULL, &emsg);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(d->db, schema, NULL, NULL, &emsg);
		if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
			break;
		sqlite3_free(emsg);
		emsg = NULL;
		usleep(100 * 1000);
	}
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, emsg ? emsg : "schema");
		sqlite3_free(emsg);
		goto fail;
	}
	return d;
fail:
	sl_close(d);
	return NULL;
}

static const char *sl_describe(struct reg_db *d)
{
	return d->path;
}

static const char *sl_errmsg(struct reg_db *d)
{
	return sqlite3_errmsg(d->db);
}

static int sl_begin(struct reg_db *d)
{
	return sqlite3_exec(d->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
	       SQLITE_OK ? 0 : -1;
}

static int sl_commit(struct reg_db *d)
{
	return sqlite3_exec(d->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ?
	       0 : -1;
}

static bool sl_in_transaction(struct reg_db *d)
{
	return !sqlite3_get_autocommit(d->db);
}

static void sl_rollback(struct reg_db *d)
{
	if (sl_in_transaction(d))
		sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
}

/* WAL with synchronous=NORMAL syncs at checkpoints only; FULL at each commit. */
static int sl_durable(struct reg_db *d, bool on)
{
	return sqlite3_exec(d->db, on ? "PRAGMA synchronous=FULL" :
			    "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) ==
	       SQLITE_OK ? 0 : -1;
}

static struct reg_stmt *sl_prepare(struct reg_db *d, const char *sql)
{
	struct reg_stmt *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (sqlite3_prepare_v3(d->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &s->st, NULL) != SQLITE_OK) {
		free(s);
		return NULL;
	}
	return s;
}

static void sl_finalize(struct reg_stmt *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->st);
	free(s);
}

static void sl_reset(struct reg_stmt *s)
{
	sqlite3_reset(s->st);
	sqlite3_clear_bindings(s->st);
}

static void sl_bind_text(struct reg_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s->st, i, v, -1, SQLITE_TRANSIENT);
}

static void sl_bind_int64(struct reg_stmt *s, int i, int64_t v)
{
	sqlite3_bind_int64(s->st, i, v);
}

static void sl_bind_blob(struct reg_stmt *s, int i, const void *v, size_t n)
{
	sqlite3_bind_blob(s->st, i, v, (int)n, SQLITE_STATIC);
}

static int sl_step(struct reg_stmt *s)
{
	switch (sqlite3_step(s->st)) {
	case SQLITE_ROW:
		return REG_ROW;
	case SQLITE_DONE:
		return REG_DONE;
	default:
		return -1;
	}
}

static const char *sl_col_text(struct reg_stmt *s, int c)
{
	return (const char *)sqlite3_column_text(s->st, c);
}

static int64_t sl_col_int64(struct reg_stmt *s, int c)
{
	return sqlite3_column_int64(s->st, c);
}

static const void *sl_col_blob(struct reg_stmt *s, int c, size_t *n)
{
	const void *b = sqlite3_column_blob(s->st, c);

	*n = b ? (size_t)sqlite3_column_bytes(s->st, c) : 0;
	return b;
}

const struct reg_db_ops reg_sqlite_ops = {
	.name = "sqlite",
	.open = sl_open,
	.close = sl_close,
	.describe = sl_describe,
	.begin = sl_begin,
	.commit = sl_commit,
	.rollback = sl_rollback,
	.in_transaction = sl_in_transaction,
	.durable = sl_durable,
	.errmsg = sl_errmsg,
	.prepare = sl_prepare,
	.finalize = sl_finalize,
	.reset = sl_reset,
	.bind_text = sl_bind_text,
	.bind_int64 = sl_bind_int64,
	.bind_blob = sl_bind_blob,
	.step = sl_step,
	.col_text = sl_col_text,
	.col_int64 = sl_col_int64,
	.col_blob = sl_col_blob,
};
