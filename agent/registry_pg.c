// SPDX-License-Identifier: GPL-2.0
/*
 * The registry in PostgreSQL (libpq), so that several coapsecd server
 * instances, on several machines, share one registry.
 *
 * Every write transaction takes one transaction-scoped advisory lock
 * (key 0x636f617073656364, "coapsecd") right after BEGIN: writers run one
 * at a time across all instances, exactly as SQLite's BEGIN IMMEDIATE
 * makes them on one host, so a read-modify-write inside a transaction
 * (the next free sender ID, a Service Request's sequence number, a
 * group's epoch) never races.  The unique constraints of the schema
 * (members(grp, sid), the primary keys) stay as a second line.
 *
 * Each session sets lock_timeout (3 s, as SQLite's busy timeout is 2 s:
 * the agent's event loop waits meanwhile, and a stuck instance cannot
 * block the others for ever) and idle_in_transaction_session_timeout.  A connection
 * found dead (the server restarted, the session was terminated) is
 * re-established and the statements prepared again; what was cut off
 * outside a transaction (BEGIN, a read, an idempotent update) is tried
 * once more, a transaction cut off fails and is rolled back.
 *
 * Queries arrive in the shared dialect (registry_db.h): ?N becomes $N
 * and the type BLOB becomes BYTEA.  Results are fetched in binary.
 * The connection string's password never reaches a log or an error.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <mbedtls/platform_util.h>

#include "agent/registry_db.h"

#define PG_MAX_PARAMS	16
#define PG_LOCK		"SELECT pg_advisory_xact_lock(7165052667770004324)"
#define PG_SESSION	"SET lock_timeout = '3s';" \
			"SET idle_in_transaction_session_timeout = '30s';" \
			"SET client_min_messages = warning"

struct reg_stmt {
	struct reg_db *db;
	struct reg_stmt *next;
	char name[24];
	char *sql;
	int nparams;
	const char *val[PG_MAX_PARAMS];
	int len[PG_MAX_PARAMS];
	int fmt[PG_MAX_PARAMS];
	char num[PG_MAX_PARAMS][24];
	PGresult *res;
	int row, nrows;
};

struct reg_db {
	PGconn *conn;
	char desc[512];
	char err[256];
	struct reg_stmt *stmts;
	unsigned int n_stmts;
	bool unprepared;	/* reconnected, statements not all prepared */
};

static void quiet(void *arg, const char *msg)
{
	(void)arg; (void)msg;
}

/* The connection string with every keyword but the password. */
static int describe(const char *conninfo, char *out, size_t cap)
{
	PQconninfoOption *o = PQconninfoParse(conninfo, NULL);
	size_t n = 0;

	if (!o)
		return -1;
	n += (size_t)snprintf(out, cap, "postgresql:");
	for (PQconninfoOption *p = o; p->keyword && n < cap; p++) {
		if (!p->val || strstr(p->keyword, "password"))
			continue;	/* password, sslpassword */
		n += (size_t)snprintf(out + n, cap - n, " %s=%s", p->keyword,
				      p->val);
	}
	PQconninfoFree(o);
	return 0;
}

static void set_err(struct reg_db *d, const char *msg)
{
	size_t n;

	snprintf(d->err, sizeof(d->err), "%s", msg && *msg ? msg : "error");
	/* One line: the first of libpq's (ERROR, then DETAIL, CONTEXT). */
	d->err[strcspn(d->err, "\n")] = 0;
	n = strlen(d->err);
	while (n && (d->err[n - 1] == '\n' || d->err[n - 1] == ' '))
		d->err[--n] = 0;
}

/* Runs @sql (no parameters); 0 when it completed as @want. */
static int run(struct reg_db *d, const char *sql, ExecStatusType want)
{
	PGresult *res = PQexec(d->conn, sql);
	int rc = 0;

	if (PQresultStatus(res) != want) {
		set_err(d, res ? PQresultErrorMessage(res) :
			PQerrorMessage(d->conn));
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/* ?N -> $N, the word BLOB -> BYTEA; counts the parameters. */
static char *dialect(const char *sql, int *nparams)
{
	size_t cap = 2 * strlen(sql) + 1, n = 0;
	char *out = malloc(cap);
	const char *p = sql;

	if (!out)
		return NULL;
	*nparams = 0;
	while (*p) {
		bool word_start = p == sql || !(isalnum((unsigned char)p[-1]) ||
						p[-1] == '_');

		if (*p == '?' && isdigit((unsigned char)p[1])) {
			int v = atoi(p + 1);

			if (v > *nparams)
				*nparams = v;
			out[n++] = '$';
			p++;
		} else if (word_start && !strncmp(p, "BLOB", 4) &&
			   !(isalnum((unsigned char)p[4]) || p[4] == '_')) {
			memcpy(out + n, "BYTEA", 5);
			n += 5;
			p += 4;
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = 0;
	return out;
}

static int prepare_one(struct reg_stmt *s)
{
	PGresult *res = PQprepare(s->db->conn, s->name, s->sql, s->nparams,
				  NULL);
	int rc = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		set_err(s->db, PQresultErrorMessage(res));
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/*
 * A connection that went away comes back (outside a transaction only:
 * a transaction cut off has failed).  0 when the connection is usable.
 */
static int ensure(struct reg_db *d)
{
	if (PQstatus(d->conn) == CONNECTION_OK && !d->unprepared)
		return 0;
	if (PQstatus(d->conn) != CONNECTION_OK) {
		PQreset(d->conn);
		if (PQstatus(d->conn) != CONNECTION_OK) {
			set_err(d, PQerrorMessage(d->conn));
			return -1;
		}
		d->unprepared = true;
		if (run(d, PG_SESSION, PGRES_COMMAND_OK))
			return -1;
	}
	/* None half prepared from an attempt that failed halfway. */
	if (run(d, "DEALLOCATE ALL", PGRES_COMMAND_OK))
		return -1;
	for (struct reg_stmt *s = d->stmts; s; s = s->next)
		if (prepare_one(s))
			return -1;
	d->unprepared = false;
	return 0;
}

/*
 * A connection that libpq finds dead only now (the server restarted,
 * the session was terminated) is re-established, and what failed with it
 * tried once more: only outside a transaction, where nothing was done.
 */
static bool retry(struct reg_db *d)
{
	return PQstatus(d->conn) == CONNECTION_BAD && !ensure(d);
}

static void pg_finalize(struct reg_stmt *s);

static void pg_close(struct reg_db *d)
{
	if (!d)
		return;
	while (d->stmts)
		pg_finalize(d->stmts);
	PQfinish(d->conn);
	free(d);
}

static struct reg_db *pg_open(const char *conninfo, const char *schema,
			      char *err, size_t errlen)
{
	struct reg_db *d = calloc(1, sizeof(*d));
	char *sql = NULL, *ddl;
	int np;

	if (!d) {
		snprintf(err, errlen, "postgresql: out of memory");
		return NULL;
	}
	if (describe(conninfo, d->desc, sizeof(d->desc))) {
		snprintf(err, errlen,
			 "postgresql: expected a libpq connection string (keyword=value pairs or a postgresql:// URI)");
		free(d);
		return NULL;
	}
	d->conn = PQconnectdb(conninfo);
	if (PQstatus(d->conn) != CONNECTION_OK) {
		set_err(d, PQerrorMessage(d->conn));
		goto fail;
	}
	PQsetNoticeProcessor(d->conn, quiet, NULL);
	ddl = dialect(schema, &np);
	if (ddl && asprintf(&sql, "BEGIN; %s; %s COMMIT", PG_LOCK, ddl) < 0)
		sql = NULL;
	free(ddl);
	if (!sql) {
		set_err(d, "out of memory");
		goto fail;
	}
	if (run(d, PG_SESSION, PGRES_COMMAND_OK) ||
	    run(d, sql, PGRES_COMMAND_OK)) {
		if (PQtransactionStatus(d->conn) != PQTRANS_IDLE)
			run(d, "ROLLBACK", PGRES_COMMAND_OK);
		free(sql);
		goto fail;
	}
	free(sql);
	return d;
fail:
	snprintf(err, errlen, "%s: %s", d->desc, d->err);
	pg_close(d);
	return NULL;
}

static const char *pg_describe(struct reg_db *d)
{
	return d->desc;
}

static const char *pg_errmsg(struct reg_db *d)
{
	return d->err;
}

static bool pg_in_transaction(struct reg_db *d)
{
	return PQtransactionStatus(d->conn) != PQTRANS_IDLE &&
	       PQtransactionStatus(d->conn) != PQTRANS_UNKNOWN;
}

static void pg_rollback(struct reg_db *d)
{
	if (pg_in_transaction(d))
		run(d, "ROLLBACK", PGRES_COMMAND_OK);
}

/* Whatever the database's default, these commits wait for the WAL flush. */
static int pg_durable(struct reg_db *d, bool on)
{
	if (ensure(d))
		return -1;
	return run(d, on ? "SET synchronous_commit = on" :
		   "RESET synchronous_commit", PGRES_COMMAND_OK);
}

static int pg_begin(struct reg_db *d)
{
	if (ensure(d))
		return -1;
	if (run(d, "BEGIN", PGRES_COMMAND_OK) &&
	    (!retry(d) || run(d, "BEGIN", PGRES_COMMAND_OK)))
		return -1;
	if (run(d, PG_LOCK, PGRES_TUPLES_OK)) {
		pg_rollback(d);
		return -1;
	}
	return 0;
}

/* COMMIT of a failed transaction answers "ROLLBACK": not committed. */
static int pg_commit(struct reg_db *d)
{
	PGresult *res = PQexec(d->conn, "COMMIT");
	int rc = -1;

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		set_err(d, res ? PQresultErrorMessage(res) :
			PQerrorMessage(d->conn));
	else if (strcmp(PQcmdStatus(res), "COMMIT"))
		set_err(d, "the transaction was rolled back");
	else
		rc = 0;
	PQclear(res);
	return rc;
}

static struct reg_stmt *pg_prepare(struct reg_db *d, const char *sql)
{
	struct reg_stmt *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->db = d;
	s->sql = dialect(sql, &s->nparams);
	snprintf(s->name, sizeof(s->name), "coapsecd_%u", d->n_stmts++);
	if (!s->sql || s->nparams > PG_MAX_PARAMS || prepare_one(s)) {
		if (s->nparams > PG_MAX_PARAMS)
			set_err(d, "too many parameters");
		free(s->sql);
		free(s);
		return NULL;
	}
	s->next = d->stmts;
	d->stmts = s;
	return s;
}

/* Key material passes through results: wiped before they are freed. */
static void clear_result(struct reg_stmt *s)
{
	if (!s->res)
		return;
	for (int r = 0; r < s->nrows; r++)
		for (int c = 0; c < PQnfields(s->res); c++)
			mbedtls_platform_zeroize(PQgetvalue(s->res, r, c),
						 (size_t)PQgetlength(s->res, r, c));
	PQclear(s->res);
	s->res = NULL;
	s->row = s->nrows = 0;
}

static void pg_reset(struct reg_stmt *s)
{
	clear_result(s);
	memset(s->val, 0, sizeof(s->val));
	memset(s->len, 0, sizeof(s->len));
	memset(s->fmt, 0, sizeof(s->fmt));
}

static void pg_finalize(struct reg_stmt *s)
{
	struct reg_stmt **pp;

	if (!s)
		return;
	clear_result(s);
	for (pp = &s->db->stmts; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	free(s->sql);
	free(s);
}

static void pg_bind_text(struct reg_stmt *s, int i, const char *v)
{
	if (i < 1 || i > s->nparams)
		return;
	s->val[i - 1] = v;
	s->fmt[i - 1] = 0;
}

static void pg_bind_int64(struct reg_stmt *s, int i, int64_t v)
{
	if (i < 1 || i > s->nparams)
		return;
	snprintf(s->num[i - 1], sizeof(s->num[i - 1]), "%lld", (long long)v);
	s->val[i - 1] = s->num[i - 1];
	s->fmt[i - 1] = 0;
}

static void pg_bind_blob(struct reg_stmt *s, int i, const void *v, size_t n)
{
	static const char empty[1];

	if (i < 1 || i > s->nparams)
		return;
	s->val[i - 1] = v ? v : empty;
	s->len[i - 1] = (int)n;
	s->fmt[i - 1] = 1;
}

static int pg_step(struct reg_stmt *s)
{
	struct reg_db *d = s->db;

	if (!s->res) {
		bool in_tx = pg_in_transaction(d);
		ExecStatusType st;

		if (!in_tx && ensure(d))
			return -1;
		s->res = PQexecPrepared(d->conn, s->name, s->nparams, s->val,
					s->len, s->fmt, 1);
		st = PQresultStatus(s->res);
		if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && !in_tx) {
			/* Statements outside a transaction are idempotent
			 * (reads, updates to a value): safe to repeat. */
			set_err(d, PQresultErrorMessage(s->res));
			if (retry(d)) {
				PQclear(s->res);
				s->res = PQexecPrepared(d->conn, s->name,
							s->nparams, s->val,
							s->len, s->fmt, 1);
				st = PQresultStatus(s->res);
			}
		}
		if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
			set_err(d, s->res ? PQresultErrorMessage(s->res) :
				PQerrorMessage(d->conn));
			PQclear(s->res);
			s->res = NULL;
			return -1;
		}
		s->nrows = PQntuples(s->res);
		s->row = 0;
	}
	if (s->row >= s->nrows)
		return REG_DONE;
	s->row++;
	return REG_ROW;
}

static const char *pg_col_text(struct reg_stmt *s, int c)
{
	int r = s->row - 1;

	if (!s->res || r < 0 || PQgetisnull(s->res, r, c))
		return NULL;
	return PQgetvalue(s->res, r, c);
}

static int64_t pg_col_int64(struct reg_stmt *s, int c)
{
	const unsigned char *b = (const unsigned char *)pg_col_text(s, c);
	uint64_t v = 0;
	int n;

	if (!b)
		return 0;
	n = PQgetlength(s->res, s->row - 1, c);
	if (n != 2 && n != 4 && n != 8)
		return 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | b[i];
	/* Sign-extend the shorter integer types. */
	if (n < 8 && (b[0] & 0x80))
		v |= ~0ULL << (8 * n);
	return (int64_t)v;
}

static const void *pg_col_blob(struct reg_stmt *s, int c, size_t *n)
{
	const char *b = pg_col_text(s, c);

	*n = b ? (size_t)PQgetlength(s->res, s->row - 1, c) : 0;
	return *n ? b : NULL;
}

const struct reg_db_ops reg_pg_ops = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.describe = pg_describe,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.in_transaction = pg_in_transaction,
	.durable = pg_durable,
	.errmsg = pg_errmsg,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.reset = pg_reset,
	.bind_text = pg_bind_text,
	.bind_int64 = pg_bind_int64,
	.bind_blob = pg_bind_blob,
	.step = pg_step,
	.col_text = pg_col_text,
	.col_int64 = pg_col_int64,
	.col_blob = pg_col_blob,
};
