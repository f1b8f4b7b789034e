/*
 * segment_cross.c — the test tool of segment_pg.sh: each expression
 * given is compiled for both dialects and run, with bound parameters,
 * against a SQLite store (through the store's own op) and a PostgreSQL
 * database holding the same rows (PQexecParams, as a PostgreSQL backend
 * would); it prints "same N EXPR" or "DIFFERENT EXPR" with both address
 * lists, and exits 1 when any differs or fails.
 *
 * usage: segment_cross SQLITE_URL PG_CONNINFO NOW EXPR...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "base/buf.h"
#include "store/segment.h"
#include "store/store.h"

/* Append a contact's address and a space. */
static int
collect(void *arg, const struct store_contact *c)
{
	buf_printf(arg, "%s ", c->address);
	return 0;
}

/* The addresses PostgreSQL gives for seg into out; -1 on an error. */
static int
pg_run(PGconn *pg, const struct segment *seg, time_t now, struct buf *out)
{
	struct segment_sql q;
	const char **vals;
	char **own;
	char *sql;
	PGresult *r;
	int rc = 0;

	segment_compile(seg, SEGMENT_PG, 1, now, &q);
	sql = malloc(strlen(q.where) + 100);
	sprintf(sql,
	        "SELECT c.address FROM contacts c WHERE %s ORDER BY c.address "
	        "COLLATE \"C\"",
	        q.where);
	vals = calloc(q.nparams + 1, sizeof(*vals));
	own = calloc(q.nparams + 1, sizeof(*own));
	for (size_t i = 0; i < q.nparams; i++) {
		own[i] = malloc(64);
		if (q.params[i].type == SEGMENT_P_TEXT)
			vals[i] = q.params[i].text;
		else if (q.params[i].type == SEGMENT_P_INT)
			snprintf(own[i], 64, "%lld", (long long)q.params[i].i),
			    vals[i] = own[i];
		else /* the number as written: numeric, exactly */
			vals[i] = q.params[i].text;
	}
	r = PQexecParams(pg, sql, (int)q.nparams, NULL, vals, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "postgresql: %s\n  %s\n", PQerrorMessage(pg),
		        sql);
		rc = -1;
	} else
		for (int i = 0; i < PQntuples(r); i++)
			buf_printf(out, "%s ", PQgetvalue(r, i, 0));
	PQclear(r);
	for (size_t i = 0; i < q.nparams; i++)
		free(own[i]);
	free(own);
	free(vals);
	free(sql);
	segment_sql_fini(&q);
	return rc;
}

int
main(int argc, char **argv)
{
	struct store *s;
	PGconn *pg;
	char err[512];
	time_t now;
	int bad = 0;

	if (argc < 5) {
		fprintf(stderr, "usage: segment_cross SQLITE_URL PG_CONNINFO "
		                "NOW EXPR...\n");
		return 2;
	}
	now = (time_t)strtoll(argv[3], NULL, 10);
	if ((s = store_open(argv[1], err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	pg = PQconnectdb(argv[2]);
	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "postgresql: %s", PQerrorMessage(pg));
		return 2;
	}
	for (int i = 4; i < argc; i++) {
		struct segment *seg;
		struct buf a, b;
		size_t n = 0;

		if (segment_parse(argv[i], &seg, err, sizeof(err)) != 0) {
			printf("PARSE %s: %s\n", argv[i], err);
			bad = 1;
			continue;
		}
		buf_init(&a);
		buf_init(&b);
		if (store_segment_each(s, 0, seg, now, collect, &a) != 0 ||
		    pg_run(pg, seg, now, &b) != 0) {
			printf("ERROR %s: %s\n", argv[i], store_error(s));
			bad = 1;
		} else if (strcmp(buf_cstr(&a), buf_cstr(&b)) != 0) {
			printf("DIFFERENT %s\n  sqlite:     %s\n  postgresql: "
			       "%s\n",
			       argv[i], buf_cstr(&a), buf_cstr(&b));
			bad = 1;
		} else {
			for (const char *p = buf_cstr(&a); *p; p++)
				n += *p == ' ';
			printf("same %zu %s\n", n, argv[i]);
		}
		buf_fini(&a);
		buf_fini(&b);
		segment_free(seg);
	}
	PQfinish(pg);
	store_close(s);
	return bad;
}
