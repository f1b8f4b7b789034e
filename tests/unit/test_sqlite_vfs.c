/*
 * test_sqlite_vfs.c — the gathering VFS (store/sqlite_vfs.h): a commit's
 * WAL frames go out in one write; a reader on SQLite's own VFS sees every
 * commit whole; a process killed with SIGKILL mid-run leaves a store that
 * passes integrity_check with every reported commit in it and no partial
 * one; a full disk (RLIMIT_FSIZE) is an error SQLite returns, not a stop.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "store/sqlite_vfs.h"

#define ROWS_PER_TXN 7

static char dir[64], path[96];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/mc-vfs.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.db", dir);
	return 0;
}

static int
teardown(void **state)
{
	char p[128];

	(void)state;
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	rmdir(dir);
	return 0;
}

/* A connection on the gathering VFS (gather) or SQLite's default. */
static sqlite3 *
open_db(bool gather)
{
	sqlite3 *db = NULL;
	const char *vfs = gather ? sqlite_gather_vfs() : NULL;

	if (gather)
		assert_non_null(vfs);
	assert_int_equal(
	    sqlite3_open_v2(path, &db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs),
	    SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_exec(db,
	                              "PRAGMA journal_mode = WAL;"
	                              "PRAGMA synchronous = NORMAL;",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	return db;
}

static long
one_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long v = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
integrity_ok(sqlite3 *db)
{
	sqlite3_stmt *st;

	assert_int_equal(
	    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
}

/* One transaction of ROWS_PER_TXN rows of txn n (a ~300-byte value). */
static int
commit_txn(sqlite3 *db, long n)
{
	char sql[160];
	int rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);

	for (int i = 0; rc == SQLITE_OK && i < ROWS_PER_TXN; i++) {
		snprintf(sql, sizeof(sql),
		         "INSERT INTO t(txn, v) VALUES (%ld, randomblob(300))",
		         n);
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static void
make_table(sqlite3 *db)
{
	assert_int_equal(
	    sqlite3_exec(db,
	                 "CREATE TABLE t (id INTEGER PRIMARY KEY, txn "
	                 "INTEGER NOT NULL, v BLOB);"
	                 "CREATE INDEX t_txn ON t(txn);",
	                 NULL, NULL, NULL),
	    SQLITE_OK);
}

/* A commit of many pages: its frames (two writes each, by SQLite) go out
 * in one or two writes; a reader on the default VFS sees the rows. */
static void
test_commit_gathered(void **state)
{
	sqlite3 *db = open_db(true), *rd;
	unsigned long w0, a0, w1, a1;

	(void)state;
	make_table(db);
	sqlite_gather_counts(&w0, &a0);
	assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	                              "WITH RECURSIVE n(i) AS (SELECT 1 "
	                              "UNION ALL SELECT i + 1 FROM n WHERE "
	                              "i < 100) INSERT INTO t(txn, v) SELECT "
	                              "1, randomblob(300) FROM n",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite_gather_counts(&w1, &a1);
	/* 100 rows of 300 bytes: ~9 pages, 18 writes asked for */
	assert_true(a1 - a0 >= 16);
	assert_true(w1 - w0 <= 2);
	rd = open_db(false);
	assert_int_equal(one_int(rd, "SELECT count(*) FROM t"), 100);
	integrity_ok(rd);
	sqlite3_close(rd);
	sqlite3_close(db);
}

/* Every commit is seen whole by a reader on the default VFS, through
 * checkpoints that let the writer start the WAL over. */
static void
test_reader_sees_commits(void **state)
{
	sqlite3 *db = open_db(true), *rd = open_db(false);

	(void)state;
	make_table(db);
	for (long n = 1; n <= 300; n++) {
		assert_int_equal(commit_txn(db, n), SQLITE_OK);
		assert_int_equal(one_int(rd, "SELECT count(*) FROM t"),
		                 n * ROWS_PER_TXN);
		assert_int_equal(one_int(rd, "SELECT max(txn) FROM t"), n);
		if (n % 40 == 0)
			assert_int_equal(
			    sqlite3_exec(rd, "PRAGMA wal_checkpoint(RESTART)",
			                 NULL, NULL, NULL),
			    SQLITE_OK);
	}
	integrity_ok(rd);
	sqlite3_close(rd);
	sqlite3_close(db);
}

/* Killed with SIGKILL at a random point of a run of commits: the store
 * is intact, holds every commit the child reported and no partial one. */
static void
test_kill9(void **state)
{
	(void)state;
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	for (int round = 0; round < 6; round++) {
		int fds[2], status;
		long last = 0, got;
		pid_t pid;
		sqlite3 *db;

		teardown(NULL);
		setup(NULL);
		db = open_db(true);
		make_table(db);
		sqlite3_close(db);
		assert_int_equal(pipe(fds), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			db = open_db(true);
			for (long n = 1; n < 100000; n++) {
				if (commit_txn(db, n) != SQLITE_OK)
					_exit(3);
				if (write(fds[1], &n, sizeof(n)) != sizeof(n))
					_exit(4);
			}
			_exit(0);
		}
		close(fds[1]);
		long want = 50 + random() % 400;
		while (last < want &&
		       read(fds[0], &got, sizeof(got)) == sizeof(got))
			last = got;
		usleep((useconds_t)(random() % 3000));
		kill(pid, SIGKILL);
		while (read(fds[0], &got, sizeof(got)) == sizeof(got))
			last = got; /* reported before it died */
		close(fds[0]);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		db = open_db(false);
		integrity_ok(db);
		long max = one_int(db, "SELECT max(txn) FROM t");
		assert_true(max >= last);
		assert_int_equal(one_int(db, "SELECT count(*) FROM t"),
		                 max * ROWS_PER_TXN);
		assert_int_equal(
		    one_int(db, "SELECT count(DISTINCT txn) FROM t"), max);
		sqlite3_close(db);
	}
}

/* A file size limit (a full disk): the commit that does not fit fails
 * with SQLite's error, the process goes on, the store stays intact. */
static void
test_full_disk(void **state)
{
	sqlite3 *db = open_db(true);
	int status;
	pid_t pid;

	(void)state;
	make_table(db);
	sqlite3_close(db);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = {3u << 20, 3u << 20};
		int rc = SQLITE_OK;
		long n;

		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(5);
		db = open_db(true);
		for (n = 1; n < 100000 && rc == SQLITE_OK; n++)
			rc = commit_txn(db, n);
		sqlite3_close(db);
		/* 0: the error came back to the caller */
		_exit(rc != SQLITE_OK && n < 100000 ? 0 : 6);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	db = open_db(false);
	integrity_ok(db);
	long max = one_int(db, "SELECT max(txn) FROM t");
	assert_true(max > 0);
	assert_int_equal(one_int(db, "SELECT count(*) FROM t"),
	                 max * ROWS_PER_TXN);
	sqlite3_close(db);
}

/* Another connection truncates the WAL (a checkpoint in TRUNCATE mode)
 * after this one reserved its space: the space is asked for again, so a
 * commit that no longer fits (RLIMIT_FSIZE) is SQLite's error, not an
 * abort in xShmBarrier. */
static void
test_truncated_by_another(void **state)
{
	sqlite3 *db = open_db(true);
	int status;
	pid_t pid;

	(void)state;
	make_table(db);
	sqlite3_close(db);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = {64u << 10, 64u << 10};
		sqlite3 *other;
		int rc;

		signal(SIGXFSZ, SIG_IGN);
		db = open_db(true);
		for (long n = 1; n <= 10; n++)
			if (commit_txn(db, n) != SQLITE_OK)
				_exit(7);
		/* the WAL's first MiB is reserved; another truncates it */
		other = open_db(false);
		if (sqlite3_exec(other, "PRAGMA wal_checkpoint(TRUNCATE)", NULL,
		                 NULL, NULL) != SQLITE_OK)
			_exit(8);
		sqlite3_close(other);
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(5);
		/* ~25 pages (~100 KiB of frames): past the limit, within
		 * one gathered buffer */
		rc = sqlite3_exec(db,
		                  "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
		                  "SELECT i + 1 FROM n WHERE i < 25) INSERT "
		                  "INTO t(txn, v) SELECT 11, randomblob(3000) "
		                  "FROM n",
		                  NULL, NULL, NULL);
		sqlite3_close(db);
		_exit(rc != SQLITE_OK ? 0 : 6);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status)); /* not SIGABRT */
	assert_int_equal(WEXITSTATUS(status), 0);
	db = open_db(false);
	integrity_ok(db);
	assert_int_equal(one_int(db, "SELECT max(txn) FROM t"), 10);
	assert_int_equal(one_int(db, "SELECT count(*) FROM t"),
	                 10 * ROWS_PER_TXN);
	sqlite3_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_commit_gathered, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_reader_sees_commits, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_kill9, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_full_disk, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_truncated_by_another, setup,
	                                    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
