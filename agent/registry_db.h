/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The registry's storage backends, behind one table of operations.
 * registry.c holds every query and all of the registry's logic, written
 * once in the SQL that SQLite and PostgreSQL share (parameters ?1..?N,
 * types TEXT, BIGINT and BLOB, INSERT ... ON CONFLICT); a backend only
 * opens, runs statements and hands back rows.  A new query is one more
 * line in registry.c's table, for every backend at once.
 *
 * Statements follow SQLite's model: bind, step until REG_DONE, reset.
 * Bound text and blobs must stay valid until the first step.  Columns are
 * valid until the next step or reset.
 */
#ifndef COAPSECD_REGISTRY_DB_H
#define COAPSECD_REGISTRY_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REG_ROW		1
#define REG_DONE	0

struct reg_db;
struct reg_stmt;

struct reg_db_ops {
	const char *name;
	/*
	 * Opens @target (a file, a conninfo string) and creates @schema's
	 * tables, if missing, under the backend's write lock.  On failure
	 * @err holds "TARGET: why", the target without any password.
	 */
	struct reg_db *(*open)(const char *target, const char *schema,
			       char *err, size_t errlen);
	void (*close)(struct reg_db *db);
	/* What to call the registry in logs: never a password. */
	const char *(*describe)(struct reg_db *db);
	/*
	 * A write transaction, serialized against every other writer of
	 * the same registry (other processes, other machines).  0 or -1.
	 * commit returns -1 when the transaction did not commit.
	 */
	int (*begin)(struct reg_db *db);
	int (*commit)(struct reg_db *db);
	void (*rollback)(struct reg_db *db);
	bool (*in_transaction)(struct reg_db *db);
	/*
	 * @on: the commits that follow are durable when they return (a
	 * power cut keeps them), whatever the registry's usual trade-off;
	 * off: back to it.  Outside a transaction.  0 or -1.
	 */
	int (*durable)(struct reg_db *db, bool on);
	const char *(*errmsg)(struct reg_db *db);

	struct reg_stmt *(*prepare)(struct reg_db *db, const char *sql);
	void (*finalize)(struct reg_stmt *s);
	/* Ends the statement's run and clears its bindings. */
	void (*reset)(struct reg_stmt *s);
	void (*bind_text)(struct reg_stmt *s, int i, const char *v);
	void (*bind_int64)(struct reg_stmt *s, int i, int64_t v);
	void (*bind_blob)(struct reg_stmt *s, int i, const void *v, size_t n);
	/* REG_ROW, REG_DONE or -1 (errmsg says why). */
	int (*step)(struct reg_stmt *s);
	/* NULL for SQL NULL. */
	const char *(*col_text)(struct reg_stmt *s, int c);
	int64_t (*col_int64)(struct reg_stmt *s, int c);
	/* NULL and *n = 0 for SQL NULL or an empty blob. */
	const void *(*col_blob)(struct reg_stmt *s, int c, size_t *n);
};

extern const struct reg_db_ops reg_sqlite_ops;
extern const struct reg_db_ops reg_pg_ops;

#endif /* COAPSECD_REGISTRY_DB_H */
