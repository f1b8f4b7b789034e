/*
 * sqlite_vfs.c — see sqlite_vfs.h.
 *
 * Every file opened through this VFS is a struct gfile: our methods in
 * front, the unix VFS's file behind (real).  A WAL file (SQLITE_OPEN_WAL)
 * gathers: xWrite appends to a buffer while the writes are contiguous;
 * any other call on the WAL file, or on its database file (which owns the
 * shared memory), first writes the buffer out in one call (gather_flush).
 *
 * Why that is safe.  A WAL commit becomes visible only through the
 * wal-index header in shared memory: the writer stores the header's
 * second copy, calls xShmBarrier on the database file, then stores the
 * first copy, and a reader accepts a header only when both copies agree
 * (SQLite's wal.c).  The flush in xShmBarrier therefore puts every frame
 * of the commit in the file before any reader can accept it.  A sync
 * (synchronous=FULL commits, checkpoints) goes through xSync, a reread of
 * a frame through xRead: both flush first.  A process that dies with
 * frames in the buffer died before writing them, which recovery already
 * handles: a commit whose frames are not all in the file is ignored.
 *
 * Disk full.  xShmBarrier returns nothing, so its flush must not fail:
 * space for the WAL is reserved in GATHER_CHUNK steps before a write that
 * would need it is buffered (fallocate, FALLOC_FL_KEEP_SIZE: the file's
 * size does not change; on a descriptor of our own, which is safe because
 * SQLite takes no locks on a WAL file), and a reservation that fails
 * makes the write an ordinary one, whose error SQLite reports as usual.
 * (The unix VFS's SQLITE_FCNTL_SIZE_HINT would change the size, and
 * Debian's build emulates it with a write per 4 KiB block.)  The buffer then
 * only overwrites reserved space.  Should the flush still fail in xShmBarrier,
 * the process stops (abort) instead of publishing a commit without its frames,
 * which is then a crash recovery handles.
 *
 * A reservation holds only while nobody shrinks the file: any connection,
 * in this process or another, may truncate the WAL (a checkpoint in
 * TRUNCATE mode, journal_size_limit), and it does so holding the WAL's
 * write lock.  So a reservation is forgotten whenever this connection
 * takes the write lock (xShmLock on slot 0, exclusive), and the first
 * buffer of each write transaction asks for its space again (one
 * fallocate per transaction, ~2 us on ext4).
 *
 * A failed flush keeps its bytes: SQLite ignores the result of some calls
 * (walLimitSize's xFileSize and xTruncate), so a flush there that dropped
 * the buffer would let xShmBarrier publish a commit without its frames;
 * kept, the bytes are written by the next flush or the process stops in
 * xShmBarrier.  Bytes still gathered when the write lock is taken or let
 * go belong to a transaction that was never published (the barrier empties
 * the buffer), and are dropped then: once the lock is let go, another
 * writer's frames may go where they would.  Unlocks happen even when a
 * flush fails (SQLite ignores their result and takes the lock as gone).
 */
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "store/sqlite_vfs.h"

#define GATHER_NAME "mailcast-gather"
/* bytes gathered at most: the unix VFS writes at most 128 KiB - 1 in
 * one call (a longer write comes back short, as SQLITE_FULL) */
#define GATHER_BUF   (120 * 1024)
#define GATHER_CHUNK (1024 * 1024) /* the WAL's space is reserved so */

struct gfile {
	sqlite3_file base;
	sqlite3_file *real; /* the unix VFS's file, GFILE_SIZE after */
	struct gfile *wal;  /* a database file: its open WAL file, if any */
	struct gfile *db;   /* a WAL file: its database file */
	bool gather;        /* a WAL file */
	int fd;             /* a WAL file: ours, for fallocate only */
	unsigned char *buf;
	size_t len;
	sqlite3_int64 off;    /* of buf[0] in the file */
	sqlite3_int64 res_lo; /* the file's space is reserved in */
	sqlite3_int64 res_hi; /* [res_lo, res_hi); none when res_hi is 0 */
};

/* SQLite's wal.c: the write lock is shared-memory lock slot 0 */
#define WAL_WRITE_LOCK_SLOT 0

static sqlite3_vfs gather_vfs;
static sqlite3_vfs *unix_vfs;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static unsigned long n_writes, n_asked;

/* where the unix VFS's file begins, after ours */
#define GFILE_SIZE ((sizeof(struct gfile) + 15) / 16 * 16)
#define REAL(f)    (((struct gfile *)(f))->real)

/* Write the gathered bytes out; SQLITE_OK or the unix VFS's error. */
static int
gather_flush(struct gfile *g)
{
	int rc;

	if (g == NULL || g->len == 0)
		return SQLITE_OK;
	rc = g->real->pMethods->xWrite(g->real, g->buf, (int)g->len, g->off);
	__atomic_add_fetch(&n_writes, 1, __ATOMIC_RELAXED);
	if (rc == SQLITE_OK)
		g->len = 0; /* on failure, kept: see the top of the file */
	return rc;
}

/* Flush the file's own buffer, and a database file's WAL's. */
static int
flush_all(sqlite3_file *f)
{
	struct gfile *g = (struct gfile *)f;
	int rc = gather_flush(g);
	int rc2 = gather_flush(g->wal);

	return rc != SQLITE_OK ? rc : rc2;
}

/* Reserve the WAL's space in [off, end), rounded out to GATHER_CHUNK;
 * false when it cannot be (the write is then made at once). */
static bool
reserve(struct gfile *g, sqlite3_int64 off, sqlite3_int64 end)
{
	sqlite3_int64 lo = off / GATHER_CHUNK * GATHER_CHUNK;
	sqlite3_int64 hi =
	    (end + GATHER_CHUNK - 1) / GATHER_CHUNK * GATHER_CHUNK;
	struct rlimit rl;

	if (off >= g->res_lo && end <= g->res_hi)
		return true;
	/* a file size limit is a full disk that fallocate does not see */
	if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (rlim_t)hi > rl.rlim_cur)
		return false;
	if (g->fd < 0 ||
	    fallocate(g->fd, FALLOC_FL_KEEP_SIZE, lo, hi - lo) != 0)
		return false;
	g->res_lo = lo;
	g->res_hi = hi;
	return true;
}

static int
g_write(sqlite3_file *f, const void *p, int amt, sqlite3_int64 off)
{
	struct gfile *g = (struct gfile *)f;
	int rc;

	if (!g->gather)
		return g->real->pMethods->xWrite(g->real, p, amt, off);
	__atomic_add_fetch(&n_asked, 1, __ATOMIC_RELAXED);
	if (g->len > 0 && off == g->off + (sqlite3_int64)g->len &&
	    g->len + (size_t)amt <= GATHER_BUF && off + amt <= g->res_hi) {
		memcpy(g->buf + g->len, p, (size_t)amt);
		g->len += (size_t)amt;
		return SQLITE_OK;
	}
	if ((rc = gather_flush(g)) != SQLITE_OK)
		return rc;
	if ((size_t)amt > GATHER_BUF / 2 || !reserve(g, off, off + amt)) {
		__atomic_add_fetch(&n_writes, 1, __ATOMIC_RELAXED);
		return g->real->pMethods->xWrite(g->real, p, amt, off);
	}
	if (g->buf == NULL && (g->buf = malloc(GATHER_BUF)) == NULL) {
		__atomic_add_fetch(&n_writes, 1, __ATOMIC_RELAXED);
		return g->real->pMethods->xWrite(g->real, p, amt, off);
	}
	memcpy(g->buf, p, (size_t)amt);
	g->len = (size_t)amt;
	g->off = off;
	return SQLITE_OK;
}

static int
g_close(sqlite3_file *f)
{
	struct gfile *g = (struct gfile *)f;
	int rc = gather_flush(g), rc2;

	if (g->db != NULL && g->db->wal == g)
		g->db->wal = NULL;
	if (g->wal != NULL)
		g->wal->db = NULL;
	rc2 = g->real->pMethods->xClose(g->real);
	if (g->gather && g->fd >= 0)
		close(g->fd);
	free(g->buf);
	g->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

static int
g_read(sqlite3_file *f, void *p, int amt, sqlite3_int64 off)
{
	int rc = flush_all(f);

	return rc != SQLITE_OK ? rc
	                       : REAL(f)->pMethods->xRead(REAL(f), p, amt, off);
}

static int
g_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct gfile *g = (struct gfile *)f;
	int rc = flush_all(f);

	g->res_hi = 0; /* the unix VFS rounds sizes: ask again */
	return rc != SQLITE_OK ? rc
	                       : g->real->pMethods->xTruncate(g->real, size);
}

static int
g_sync(sqlite3_file *f, int flags)
{
	int rc = flush_all(f);

	return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int
g_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	int rc = flush_all(f);

	return rc != SQLITE_OK ? rc
	                       : REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int
g_lock(sqlite3_file *f, int lock)
{
	int rc = flush_all(f);

	return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xLock(REAL(f), lock);
}

static int
g_unlock(sqlite3_file *f, int lock)
{
	int rc = flush_all(f);
	/* an unlock always happens: SQLite takes it as done */
	int rc2 = REAL(f)->pMethods->xUnlock(REAL(f), lock);

	return rc != SQLITE_OK ? rc : rc2;
}

static int
g_check_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int
g_file_control(sqlite3_file *f, int op, void *arg)
{
	int rc = flush_all(f);

	if (rc != SQLITE_OK)
		return rc;
	if (op == SQLITE_FCNTL_VFSNAME) {
		/* the name the unix VFS gives, under ours */
		rc = REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
		if (rc == SQLITE_OK && *(char **)arg != NULL) {
			char *n =
			    sqlite3_mprintf(GATHER_NAME "/%z", *(char **)arg);
			*(char **)arg = n;
		}
		return rc;
	}
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int
g_sector_size(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int
g_device_characteristics(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int
g_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
	int rc = flush_all(f);

	return rc != SQLITE_OK
	           ? rc
	           : REAL(f)->pMethods->xShmMap(REAL(f), pg, pgsz, extend, pp);
}

static int
g_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	struct gfile *g = (struct gfile *)f;
	bool write_lock = g->wal != NULL && offset <= WAL_WRITE_LOCK_SLOT &&
	                  offset + n > WAL_WRITE_LOCK_SLOT &&
	                  (flags & SQLITE_SHM_EXCLUSIVE);
	int rc;

	/* Taken or let go, the write lock ends what is gathered: a
	 * transaction that was published was flushed by the barrier, so
	 * what is left was never published, and once the lock is let go
	 * another writer may put its own frames where these would go.
	 * Taken, the WAL may also have been truncated since its space was
	 * reserved (see the top of the file). */
	if (write_lock) {
		g->wal->len = 0;
		g->wal->res_hi = 0;
	}
	rc = flush_all(f);
	if (flags & SQLITE_SHM_UNLOCK) {
		/* an unlock always happens: SQLite takes it as done */
		int rc2 =
		    REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);

		return rc != SQLITE_OK ? rc : rc2;
	}
	return rc != SQLITE_OK
	           ? rc
	           : REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}

/* The commit's publication: every gathered frame goes first (see the
 * top of the file). */
static void
g_shm_barrier(sqlite3_file *f)
{
	if (flush_all(f) != SQLITE_OK) {
		fprintf(stderr, "mailcast: the store's write-ahead log could "
		                "not be written; stopping before the commit "
		                "is published\n");
		abort();
	}
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int
g_shm_unmap(sqlite3_file *f, int del)
{
	int rc = flush_all(f);
	/* always unmapped: SQLite takes it as done */
	int rc2 = REAL(f)->pMethods->xShmUnmap(REAL(f), del);

	return rc != SQLITE_OK ? rc : rc2;
}

static int
g_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **pp)
{
	int rc = flush_all(f);

	return rc != SQLITE_OK
	           ? rc
	           : REAL(f)->pMethods->xFetch(REAL(f), off, amt, pp);
}

static int
g_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static const sqlite3_io_methods gather_io = {
    .iVersion = 3,
    .xClose = g_close,
    .xRead = g_read,
    .xWrite = g_write,
    .xTruncate = g_truncate,
    .xSync = g_sync,
    .xFileSize = g_file_size,
    .xLock = g_lock,
    .xUnlock = g_unlock,
    .xCheckReservedLock = g_check_reserved,
    .xFileControl = g_file_control,
    .xSectorSize = g_sector_size,
    .xDeviceCharacteristics = g_device_characteristics,
    .xShmMap = g_shm_map,
    .xShmLock = g_shm_lock,
    .xShmBarrier = g_shm_barrier,
    .xShmUnmap = g_shm_unmap,
    .xFetch = g_fetch,
    .xUnfetch = g_unfetch,
};

static int
g_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags,
       int *out_flags)
{
	struct gfile *g = (struct gfile *)f;
	int rc;

	(void)vfs;
	memset(g, 0, sizeof(*g));
	g->fd = -1;
	g->real = (sqlite3_file *)((char *)g + GFILE_SIZE);
	rc = unix_vfs->xOpen(unix_vfs, name, g->real, flags, out_flags);
	if (g->real->pMethods == NULL) {
		g->base.pMethods = NULL; /* SQLite calls no xClose then */
		return rc;
	}
	g->base.pMethods = &gather_io;
	if (rc != SQLITE_OK || g->real->pMethods->iVersion < 3)
		return rc;
	if ((flags & SQLITE_OPEN_WAL) && name != NULL) {
		sqlite3_file *db = sqlite3_database_file_object(name);

		/* gather only a WAL whose database file is ours (its
		 * xShmBarrier is the one that flushes) */
		if (db != NULL && db->pMethods == &gather_io) {
			g->gather = true;
			g->fd = open(name, O_RDWR | O_CLOEXEC);
			g->db = (struct gfile *)db;
			g->db->wal = g;
		}
	}
	return SQLITE_OK;
}

#define FWD(name, ...) unix_vfs->name(unix_vfs, __VA_ARGS__)

static int
g_delete(sqlite3_vfs *v, const char *name, int sync)
{
	(void)v;
	return FWD(xDelete, name, sync);
}

static int
g_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	(void)v;
	return FWD(xAccess, name, flags, out);
}

static int
g_full_pathname(sqlite3_vfs *v, const char *name, int n, char *out)
{
	(void)v;
	return FWD(xFullPathname, name, n, out);
}

static void *
g_dlopen(sqlite3_vfs *v, const char *name)
{
	(void)v;
	return FWD(xDlOpen, name);
}

static void
g_dlerror(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	FWD(xDlError, n, out);
}

static void (*g_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
	(void)v;
	return FWD(xDlSym, h, sym);
}

static void
g_dlclose(sqlite3_vfs *v, void *h)
{
	(void)v;
	FWD(xDlClose, h);
}

static int
g_randomness(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return FWD(xRandomness, n, out);
}

static int
g_sleep(sqlite3_vfs *v, int us)
{
	(void)v;
	return FWD(xSleep, us);
}

static int
g_current_time(sqlite3_vfs *v, double *out)
{
	(void)v;
	return FWD(xCurrentTime, out);
}

static int
g_last_error(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return FWD(xGetLastError, n, out);
}

static int
g_current_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	(void)v;
	return FWD(xCurrentTimeInt64, out);
}

static void
gather_register(void)
{
	sqlite3_vfs *u = sqlite3_vfs_find(NULL);

	/* only over a unix VFS of version 2 or more (xCurrentTimeInt64) */
	if (u == NULL || u->iVersion < 2 || u->xCurrentTimeInt64 == NULL)
		return;
	unix_vfs = u;
	gather_vfs = (sqlite3_vfs){
	    .iVersion = 2,
	    .szOsFile = (int)GFILE_SIZE + u->szOsFile,
	    .mxPathname = u->mxPathname,
	    .zName = GATHER_NAME,
	    .xOpen = g_open,
	    .xDelete = g_delete,
	    .xAccess = g_access,
	    .xFullPathname = g_full_pathname,
	    .xDlOpen = g_dlopen,
	    .xDlError = g_dlerror,
	    .xDlSym = g_dlsym,
	    .xDlClose = g_dlclose,
	    .xRandomness = g_randomness,
	    .xSleep = g_sleep,
	    .xCurrentTime = g_current_time,
	    .xGetLastError = g_last_error,
	    .xCurrentTimeInt64 = g_current_time64,
	};
	if (sqlite3_vfs_register(&gather_vfs, 0) != SQLITE_OK)
		unix_vfs = NULL;
}

const char *
sqlite_gather_vfs(void)
{
	pthread_once(&once, gather_register);
	return unix_vfs != NULL ? GATHER_NAME : NULL;
}

void
sqlite_gather_counts(unsigned long *writes, unsigned long *asked)
{
	*writes = __atomic_load_n(&n_writes, __ATOMIC_RELAXED);
	*asked = __atomic_load_n(&n_asked, __ATOMIC_RELAXED);
}
