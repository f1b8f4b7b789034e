/*
 * store_pg.h — the PostgreSQL backend of store.h (libpq), for several
 * workers on several hosts sharing one database.
 *
 * One connection per handle; statements prepared on first use and kept;
 * a schema_version table and forward migrations applied at open under an
 * advisory lock, so two workers starting together migrate once.  The
 * schema versions are the SQLite backend's (1 to STORE_PG_SCHEMA mean the
 * same tables), and a database newer than this code is refused with the
 * reason.  Leases take rows with FOR UPDATE SKIP LOCKED, so two workers
 * never lease one row and never wait for each other.  libpq is used in
 * store_pg.c only.  Callers reach it through store_open("postgresql://...")
 * or store_open_schema(); errors as in store.h.
 */
#ifndef MC_STORE_STORE_PG_H
#define MC_STORE_STORE_PG_H

#include <stddef.h>

#include "store/store.h"

/* Newest schema version this code writes (the SQLite backend's too). */
#define STORE_PG_SCHEMA 20

/*
 * Connect to url (a libpq URI, "postgresql://user@host:port/db?...") into
 * *out and bring its schema to version target (STORE_SCHEMA_LATEST: the
 * newest); *was (if not NULL) gets the version found.  STORE_READ never
 * migrates (a schema other than this code's is refused) and makes the
 * session's transactions read-only.  0, or MC_EIO / MC_ECONFIG /
 * MC_ENOTFOUND with err (no password is ever written into err).
 */
int store_pg_open(const char *url, enum store_mode mode, int target, int *was,
                  struct store **out, char *err, size_t errsz);

#endif
