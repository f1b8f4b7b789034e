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
#define STORE_SQLITE_SCHEMA 6

/* Open (creating and migrating) the database at path; NULL and err. */
struct store *store_sqlite_open(const char *path, char *err, size_t errsz);

#endif
