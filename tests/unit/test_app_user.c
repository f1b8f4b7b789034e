/*
 * test_app_user.c — the dashboard login (app/user.h) on a real SQLite
 * store: an unknown name costs the time of a wrong password (the answer's
 * time names no user), and wrong passwords tried at the same time on
 * several threads each count, so they lock the account as a series does.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/contacts.h"
#include "app/user.h"
#include "base/error.h"

#define NTHREADS USER_LOCK_AFTER

struct fixture {
	char dir[64];
	char url[128];
	struct store *s;
};

/* A fresh store with user "alice" (admin). */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/mc-user-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->url, sizeof(f->url), "sqlite:%s/t.db", f->dir);
	if (app_store_open(f->url, STORE_CREATE, &f->s, err, sizeof(err)) != 0)
		return -1;
	if (user_add(f->s, "alice", "admin", "right-password", time(NULL), err,
	             sizeof(err)) != 0)
		return -1;
	*state = f;
	return 0;
}

/* Close the store and remove its folder. */
static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	store_close(f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* Seconds of the monotonic clock. */
static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds one login of name takes (it must fail). */
static double
login_time(struct store *s, const char *name)
{
	enum user_role role;
	char err[256];
	double t0 = now_s();

	assert_int_equal(user_login(s, name, "wrong-password", time(NULL),
	                            &role, err, sizeof(err)),
	                 MC_EAUTH);
	assert_string_equal(err, "wrong name or password");
	return now_s() - t0;
}

/* An unknown name and a locked account answer no faster than a known
 * name with a wrong password (the fastest of three of each). */
static void
test_unknown_name_takes_as_long(void **state)
{
	struct fixture *f = *state;
	double known = 1e9, unknown = 1e9, bad = 1e9;

	for (int i = 0; i < 3; i++) {
		double k = login_time(f->s, "alice");
		double u = login_time(f->s, "nobody");
		double b = login_time(f->s, "no/such name");

		known = k < known ? k : known;
		unknown = u < unknown ? u : unknown;
		bad = b < bad ? b : bad;
	}
	print_message("known %.3f s, unknown %.3f s, malformed %.3f s\n", known,
	              unknown, bad);
	assert_true(unknown > known / 3);
	assert_true(bad > known / 3);
}

struct attempt {
	const char *url;
	pthread_barrier_t *go;
	int rc;
};

/* One wrong login on a store connection of its own. */
static void *
attempt_run(void *arg)
{
	struct attempt *a = arg;
	struct store *s = NULL;
	enum user_role role;
	char err[256];

	if (app_store_open(a->url, STORE_WRITE, &s, err, sizeof(err)) != 0) {
		a->rc = 1;
		return NULL;
	}
	pthread_barrier_wait(a->go);
	a->rc = user_login(s, "alice", "wrong-password", time(NULL), &role, err,
	                   sizeof(err));
	store_close(s);
	return NULL;
}

/* USER_LOCK_AFTER wrong passwords at once lock the account: then even the
 * right one is refused. */
static void
test_concurrent_failures_lock(void **state)
{
	struct fixture *f = *state;
	struct attempt a[NTHREADS];
	pthread_t t[NTHREADS];
	pthread_barrier_t go;
	enum user_role role;
	char err[256];

	pthread_barrier_init(&go, NULL, NTHREADS);
	for (int i = 0; i < NTHREADS; i++) {
		a[i] = (struct attempt){f->url, &go, 0};
		assert_int_equal(
		    pthread_create(&t[i], NULL, attempt_run, &a[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(a[i].rc, MC_EAUTH);
	}
	pthread_barrier_destroy(&go);
	assert_int_equal(user_login(f->s, "alice", "right-password", time(NULL),
	                            &role, err, sizeof(err)),
	                 MC_EAUTH);
}

/* The right password logs in (and the fixture is sound). */
static void
test_right_password(void **state)
{
	struct fixture *f = *state;
	enum user_role role = USER_VIEWER;
	char err[256];

	assert_int_equal(user_login(f->s, "alice", "right-password", time(NULL),
	                            &role, err, sizeof(err)),
	                 0);
	assert_int_equal(role, USER_ADMIN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_right_password, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_name_takes_as_long,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_failures_lock,
	                                    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
