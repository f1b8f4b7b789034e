/*
 * sqlite_vfs.h — "mailcast-gather", SQLite's default (unix) VFS with the
 * writes of each WAL commit gathered into one write.
 *
 * SQLite writes a WAL frame as two writes (its 24-byte header, then the
 * page), so a commit of n pages costs 2n system calls.  This VFS keeps
 * the contiguous writes to a WAL file in a buffer and writes them with one
 * call before anything else touches the file or its database's shared
 * memory, so before a commit is published (sqlite_vfs.c says why that is
 * enough).  Everything else is the unix VFS's own.
 */
#ifndef MC_STORE_SQLITE_VFS_H
#define MC_STORE_SQLITE_VFS_H

#include <stddef.h>

/* The VFS's name for sqlite3_open_v2(), registered on first use; NULL
 * when SQLite has no default VFS to wrap (open with the default then). */
const char *sqlite_gather_vfs(void);

/* Writes the gathering VFS made to WAL files (each one system call) and
 * the writes SQLite asked for, since the process started: for tests. */
void sqlite_gather_counts(unsigned long *writes, unsigned long *asked);

#endif
