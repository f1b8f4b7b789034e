/*
 * store_sqlite.h — the SQLite backend of store.h (the default).
 *
 * One file, WAL journal, foreign keys on, prepared statements cached for the
 * life of the handle, a schema_version table and forward migrations applied
 * at open.  Callers reach it through store_open("sqlite:PATH"); this header
 * is for store.c and tests that need the raw handle.
 */
#ifndef MC_STORE_STORE_SQLITE_H
#define MC_STORE_STORE_SQLITE_H

#include <stddef.h>

#include "store/store.h"

/* Newest schema version this code writes. */
#define STORE_SQLITE_SCHEMA 20

/*
 * Open the database at path in mode (store_open_mode() in store.h) into
 * *out; a writing mode migrates it to version target (STORE_SCHEMA_LATEST:
 * the newest).  *was (if not NULL) gets the version found.
 */
int store_sqlite_open_mode(const char *path, enum store_mode mode, int target,
                           int *was, struct store **out, char *err,
                           size_t errsz);

#endif
