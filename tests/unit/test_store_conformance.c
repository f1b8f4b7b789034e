/*
 * test_store_conformance.c — what every store backend must do, run once per
 * backend in the table below: each row makes a fresh, empty store URL (and
 * drops it after the test); the tests themselves do not change.
 *
 * SQLite always runs.  PostgreSQL runs when MC_TEST_PG_URL names a server
 * (tests/helpers/pg.sh starts a throwaway cluster and sets it; ctest's
 * test_store_conformance_pg does so), each test in a database of its own
 * made with the server's createdb; without it the PostgreSQL row is
 * skipped with a line saying so.  MC_TEST_BACKEND=NAME runs that row only
 * (and the backend-independent tests).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/error.h"
#include "store/segment.h"
#include "store/store.h"

#define T0 1700000000

/* A backend under test: makes the URL of a fresh empty store. */
struct backend {
	const char *name;
	/* Is it available here?  NULL: always. */
	bool (*available)(void);
	/* Fill url and what drop needs in dir; 0, or -1 on failure. */
	int (*fresh)(char *url, size_t n, char *dir, size_t dirn);
	/* Remove what fresh made; 0, or -1. */
	int (*drop)(const char *dir);
};

/* A fresh SQLite file in a new temporary directory. */
static int
sqlite_fresh(char *url, size_t n, char *dir, size_t dirn)
{
	snprintf(dir, dirn, "/tmp/mc-store-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(url, n, "sqlite:%s/t.db", dir);
	return 0;
}

/* Remove the SQLite test directory. */
static int
sqlite_drop(const char *dir)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Is there a test server (tests/helpers/pg.sh)? */
static bool
pg_available(void)
{
	return getenv("MC_TEST_PG_PORT") != NULL &&
	       getenv("MC_TEST_PG_BIN") != NULL;
}

/* A fresh database on the test server: dir gets its name. */
static int
pg_fresh(char *url, size_t n, char *dir, size_t dirn)
{
	static unsigned seq;
	char cmd[512];

	snprintf(dir, dirn, "mc_conf_%ld_%u", (long)getpid(), ++seq);
	snprintf(cmd, sizeof(cmd),
	         "'%s/createdb' -h 127.0.0.1 -p %s -U postgres %s",
	         getenv("MC_TEST_PG_BIN"), getenv("MC_TEST_PG_PORT"), dir);
	if (system(cmd) != 0)
		return -1;
	snprintf(url, n, "postgresql://postgres@127.0.0.1:%s/%s",
	         getenv("MC_TEST_PG_PORT"), dir);
	return 0;
}

/* Drop the test database. */
static int
pg_drop(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
	         "'%s/dropdb' -h 127.0.0.1 -p %s -U postgres %s",
	         getenv("MC_TEST_PG_BIN"), getenv("MC_TEST_PG_PORT"), dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const struct backend backends[] = {
    {"sqlite", NULL, sqlite_fresh, sqlite_drop},
    {"postgresql", pg_available, pg_fresh, pg_drop},
};

struct fixture {
	const struct backend *be;
	char url[512];
	char dir[256];
	struct store *s;
};

static int
setup(void **state)
{
	const struct backend *be = *state;
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	f->be = be;
	if (be->fresh(f->url, sizeof(f->url), f->dir, sizeof(f->dir)) < 0)
		return -1;
	f->s = store_open(f->url, err, sizeof(err));
	if (f->s == NULL) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->s);
	if (f->be->drop(f->dir) < 0)
		return -1;
	free(f);
	return 0;
}

/* Collects addresses from contact_each. */
static int
collect(void *arg, const struct store_contact *c)
{
	char *out = arg;

	strcat(out, c->address);
	strcat(out, "=");
	strcat(out, c->attrs);
	strcat(out, ";");
	return 0;
}

static void
test_contacts_and_lists(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	int64_t news, vip, id;
	int result, joined;
	unsigned long n;
	char out[1024] = "";

	assert_int_equal(store_list_find(s, "news", &id), MC_ENOTFOUND);
	assert_int_equal(store_list_ensure(s, "news", T0, &news), 0);
	assert_int_equal(store_list_ensure(s, "news", T0, &id), 0);
	assert_true(id == news);
	assert_int_equal(store_list_ensure(s, "vip", T0, &vip), 0);
	assert_true(vip != news);

	assert_int_equal(store_contact_upsert(s, "b@x.example", "x.example",
	                                      "{\"n\":\"B\"}", news, T0,
	                                      &result, &joined),
	                 0);
	assert_int_equal(result, 1);
	assert_int_equal(joined, 1);
	assert_int_equal(store_contact_upsert(s, "a@y.example", "y.example",
	                                      "{}", news, T0, &result, &joined),
	                 0);
	/* Same attributes: unchanged, already a member. */
	assert_int_equal(store_contact_upsert(s, "b@x.example", "x.example",
	                                      "{\"n\":\"B\"}", news, T0,
	                                      &result, &joined),
	                 0);
	assert_int_equal(result, 0);
	assert_int_equal(joined, 0);
	/* New attributes: updated; joins a second list. */
	assert_int_equal(store_contact_upsert(s, "b@x.example", "x.example",
	                                      "{\"n\":\"Bee\"}", vip, T0,
	                                      &result, &joined),
	                 0);
	assert_int_equal(result, 2);
	assert_int_equal(joined, 1);

	assert_int_equal(store_contact_count(s, news, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_contact_count(s, vip, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_contact_count(s, 0, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_contact_each(s, news, collect, out), 0);
	assert_string_equal(out, "a@y.example={};b@x.example={\"n\":\"Bee\"};");
	/* the first n in the order they were added, and no more than
	 * there are */
	out[0] = '\0';
	assert_int_equal(store_contact_first(s, news, 1, collect, out), 0);
	assert_string_equal(out, "b@x.example={\"n\":\"Bee\"};");
	out[0] = '\0';
	assert_int_equal(store_contact_first(s, news, 5, collect, out), 0);
	assert_string_equal(out, "b@x.example={\"n\":\"Bee\"};a@y.example={};");

	assert_int_equal(store_member_remove(s, news, "a@y.example"), 0);
	assert_int_equal(store_member_remove(s, news, "a@y.example"),
	                 MC_ENOTFOUND);
	assert_int_equal(store_contact_count(s, news, &n), 0);
	assert_int_equal(n, 1);
	/* Deleting a list keeps its contacts. */
	assert_int_equal(store_list_delete(s, news), 0);
	assert_int_equal(store_list_find(s, "news", &id), MC_ENOTFOUND);
	assert_int_equal(store_contact_count(s, 0, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_member_remove(s, 0, "a@y.example"), 0);
	assert_int_equal(store_contact_count(s, 0, &n), 0);
	assert_int_equal(n, 1);
}

static int
count_supp(void *arg, const struct store_suppression *e)
{
	char *out = arg;

	strcat(out, e->entry);
	strcat(out, "/");
	strcat(out, store_supp_reason_name(e->reason));
	strcat(out, ";");
	return 0;
}

static void
test_suppressions(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	struct store_suppression hit;
	char out[512] = "";
	int added;

	assert_int_equal(store_supp_check(s, "a@x.example", &hit),
	                 MC_ENOTFOUND);
	assert_int_equal(store_supp_add(s, "a@x.example", SUPP_HARD_BOUNCE,
	                                "bounce:1", T0, &added),
	                 0);
	assert_int_equal(added, 1);
	assert_int_equal(
	    store_supp_add(s, "a@x.example", SUPP_MANUAL, "cli", T0, &added),
	    0);
	assert_int_equal(added, 0);
	assert_int_equal(store_supp_add(s, "@spam.example", SUPP_MANUAL, "cli",
	                                T0 + 5, &added),
	                 0);
	assert_int_equal(store_supp_check(s, "a@x.example", &hit), 0);
	assert_string_equal(hit.entry, "a@x.example");
	assert_int_equal(hit.reason, SUPP_HARD_BOUNCE); /* the first kept */
	assert_string_equal(hit.source, "bounce:1");
	assert_int_equal(store_supp_check(s, "zz@spam.example", &hit), 0);
	assert_string_equal(hit.entry, "@spam.example");
	assert_int_equal(hit.created, T0 + 5);
	assert_int_equal(store_supp_check(s, "b@x.example", &hit),
	                 MC_ENOTFOUND);
	assert_int_equal(store_supp_each(s, count_supp, out), 0);
	assert_string_equal(out,
	                    "@spam.example/manual;a@x.example/hard-bounce;");
	assert_int_equal(store_supp_remove(s, "a@x.example"), 0);
	assert_int_equal(store_supp_remove(s, "a@x.example"), MC_ENOTFOUND);
	assert_int_equal(store_supp_check(s, "a@x.example", &hit),
	                 MC_ENOTFOUND);
}

/* supp_check_many's hits as "i=entry/reason;" */
static int
many_hit(void *arg, size_t i, const struct store_suppression *hit)
{
	char *out = arg;

	snprintf(out + strlen(out), 512 - strlen(out), "%zu=%s/%s;", i,
	         hit->entry, store_supp_reason_name(hit->reason));
	return 0;
}

/* Stop at the first hit. */
static int
many_stop(void *arg, size_t i, const struct store_suppression *hit)
{
	(void)hit;
	*(size_t *)arg = i;
	return 7;
}

/* Many addresses in one check: the same answers as supp_check, one per
 * suppressed address (its own entry before its erase entry before its
 * @domain), none for the others, in order. */
static void
test_supp_check_many(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	char out[512] = "", want[512] = "";
	char erased[STORE_ERASE_ENTRY_LEN + 1],
	    erased2[STORE_ERASE_ENTRY_LEN + 1];
	const char *addrs[] = {"ok@x.example",     "a@x.example",
	                       "z@spam.example",   "q\"t@x.example",
	                       "gone@x.example",   "a@spam.example",
	                       "gone@spam.example"};
	size_t stop_at = 99;
	bool erase;
	int added;

	assert_int_equal(store_supp_check_many(s, addrs, 7, many_hit, out), 0);
	assert_string_equal(out, "");
	assert_int_equal(
	    store_supp_add(s, "a@x.example", SUPP_HARD_BOUNCE, "b", T0, &added),
	    0);
	assert_int_equal(
	    store_supp_add(s, "@spam.example", SUPP_MANUAL, "cli", T0, &added),
	    0);
	assert_int_equal(store_supp_add(s, "q\"t@x.example", SUPP_COMPLAINT,
	                                "fbl", T0, &added),
	                 0);
	assert_int_equal(
	    store_supp_add(s, "a@spam.example", SUPP_COMPLAINT, "", T0, &added),
	    0);
	/* erase entries: where the backend has them (not PG so far) */
	erase = store_erase_entry_of(s, "gone@x.example", erased) == 0 &&
	        store_erase_entry_of(s, "gone@spam.example", erased2) == 0;
	if (erase) {
		assert_int_equal(store_supp_add(s, erased, SUPP_UNSUBSCRIBED,
		                                "erase", T0, &added),
		                 0);
		assert_int_equal(store_supp_add(s, erased2, SUPP_HARD_BOUNCE,
		                                "erase", T0, &added),
		                 0);
	}
	assert_int_equal(store_supp_check_many(s, addrs, 7, many_hit, out), 0);
	strcat(want, "1=a@x.example/hard-bounce;2=@spam.example/manual;"
	             "3=q\"t@x.example/complaint;");
	if (erase)
		snprintf(want + strlen(want), sizeof(want) - strlen(want),
		         "4=%s/unsubscribed;", erased);
	strcat(want, "5=a@spam.example/complaint;");
	if (erase)
		snprintf(want + strlen(want), sizeof(want) - strlen(want),
		         "6=%s/hard-bounce;", erased2);
	else
		strcat(want, "6=@spam.example/manual;");
	assert_string_equal(out, want);
	/* the same as one supp_check each */
	for (size_t i = 0; i < 7; i++) {
		struct store_suppression hit;
		char one[512] = "";

		if (store_supp_check(s, addrs[i], &hit) == 0)
			many_hit(one, i, &hit);
		assert_non_null(strstr(out, one));
	}
	/* a callback's non-zero stops and is returned */
	assert_int_equal(
	    store_supp_check_many(s, addrs, 7, many_stop, &stop_at), 7);
	assert_int_equal(stop_at, 1);
	assert_int_equal(
	    store_supp_check_many(s, addrs, 0, many_stop, &stop_at), 0);
}

static struct store_contact_in row_in(const char *address, const char *attrs,
                                      const char *status);

/* s's suppression version once it is no longer old (PostgreSQL tells
 * by a notification that arrives a moment after the commit: polled, at
 * most 5 s; SQLite's answers at once). */
static int64_t
version_after(struct store *s, int64_t old)
{
	int64_t v = old;

	for (int i = 0; i < 500 && v == old; i++) {
		assert_int_equal(store_supp_version(s, &v), 0);
		if (v == old)
			usleep(10000);
	}
	return v;
}

/* supp_version: the version a connection reads changes once another
 * connection adds a suppression (an address, an @domain in a
 * transaction) and once an erase rewrites one; it stays while nothing is
 * written.  (Its own changes may count or not: PostgreSQL ignores its
 * own session's notifications.) */
static void
test_supp_version(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s, *s2;
	struct store_contact_in r = row_in("e@x.example", "{}", NULL);
	struct store_upsert_counts c = {0};
	int64_t v0, v1, v2, v3, id, list;
	char err[256];
	int added;

	s2 = store_open(f->url, err, sizeof(err));
	assert_non_null(s2);
	assert_int_equal(store_supp_version(s2, &v0), 0);
	assert_int_equal(store_supp_version(s2, &v1), 0);
	assert_int_equal(v1, v0);
	assert_int_equal(
	    store_supp_add(s, "v@x.example", SUPP_MANUAL, "cli", T0, &added),
	    0);
	v1 = version_after(s2, v0);
	assert_true(v1 != v0);
	/* an @domain, added by the other session inside a transaction */
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(
	    store_supp_add(s, "@v.example", SUPP_MANUAL, "cli", T0, &added), 0);
	assert_int_equal(store_commit(s), 0);
	v2 = version_after(s2, v1);
	assert_true(v2 != v1);
	/* an erase rewrites the contact's entries */
	assert_int_equal(store_list_ensure(s, "l", T0, &list), 0);
	assert_int_equal(store_contact_upsert_many(s, &r, 1, list, T0, 0, &c),
	                 0);
	assert_int_equal(store_supp_add(s, "e@x.example", SUPP_UNSUBSCRIBED,
	                                "cli", T0, &added),
	                 0);
	v2 = version_after(s2, v2);
	assert_int_equal(store_contact_lookup(s, 0, "e@x.example", &id), 0);
	assert_int_equal(
	    store_contact_remove(s, id, true, SUPP_UNSUBSCRIBED, T0), 0);
	v3 = version_after(s2, v2);
	assert_true(v3 != v2);
	store_close(s2);
}

/* delivery_each: "address=state/text;" per row. */
static int
see_dlv(void *arg, const struct store_dlv_row *r)
{
	char *out = arg;

	snprintf(out + strlen(out), 512 - strlen(out), "%s=%s/%d%s/%s;",
	         r->address, store_dlv_state_name(r->state), r->reply_code,
	         r->relay ? r->relay : "", r->text ? r->text : "");
	return 0;
}

/* contact_remove (delete): the contact's rows not yet sent are settled
 * as suppressed (STORE_DELETED_TEXT, no reply of an earlier attempt), one
 * leased by a run too (whose inflight mark then fails: never sent), one
 * already sent stays sent. */
static void
test_delete_skips_unsent(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	struct store_contact_in r[3] = {row_in("a@x.example", "{}", NULL),
	                                row_in("b@x.example", "{}", NULL),
	                                row_in("c@x.example", "{}", NULL)};
	struct store_upsert_counts c = {0};
	struct store_delivery d[4];
	struct store_outcome o = {.state = DLV_SENT, .reply_code = 250};
	const char *gone[] = {"a@x.example", "b@x.example", "c@x.example"};
	int64_t list, camp, id;
	size_t nd = 0, moved = 99;
	char seen[512] = "";

	assert_int_equal(store_list_ensure(s, "l", T0, &list), 0);
	assert_int_equal(store_contact_upsert_many(s, r, 3, list, T0, 0, &c),
	                 0);
	assert_int_equal(store_campaign_create(s, "c1", list, T0, &camp), 0);
	assert_int_equal(store_lease(s, camp, "run-1", T0, 60, d, 3, &nd), 0);
	assert_int_equal(nd, 3);
	o.id = d[0].id;
	o.owner = "run-1";
	assert_int_equal(store_record(s, &o, 1, T0), 0);
	/* c deferred by a 451: its reply goes with the skip */
	o = (struct store_outcome){.id = d[2].id,
	                           .state = DLV_DEFERRED,
	                           .reply_code = 451,
	                           .enhanced = "4.3.0",
	                           .text = "try later",
	                           .relay = "mx",
	                           .next_attempt = T0 + 60,
	                           .owner = "run-1"};
	assert_int_equal(store_record(s, &o, 1, T0), 0);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(store_contact_lookup(s, 0, gone[i], &id), 0);
		assert_int_equal(
		    store_contact_remove(s, id, false, SUPP_MANUAL, T0 + 1), 0);
	}
	assert_int_equal(
	    store_mark_inflight(s, &d[1].id, 1, "run-1", T0 + 2, &moved), 0);
	assert_int_equal(moved, 0);
	store_deliveries_fini(d, nd);
	assert_int_equal(store_delivery_each(s, camp, -1, see_dlv, seen), 0);
	assert_string_equal(
	    seen, "a@x.example=sent/250/;"
	          "b@x.example=suppressed/0/" STORE_DELETED_TEXT
	          ";c@x.example=suppressed/0/" STORE_DELETED_TEXT ";");
}

/* A list of n contacts c0@d0.example...; returns the list id. */
static int64_t
make_list(struct store *s, int n)
{
	int64_t list;
	int result, joined;
	char addr[64], dom[32];

	assert_int_equal(store_list_ensure(s, "l", T0, &list), 0);
	assert_int_equal(store_begin(s), 0);
	for (int i = 0; i < n; i++) {
		snprintf(dom, sizeof(dom), "d%d.example", i % 3);
		snprintf(addr, sizeof(addr), "c%d@%s", i, dom);
		assert_int_equal(store_contact_upsert(s, addr, dom, "{}", list,
		                                      T0, &result, &joined),
		                 0);
	}
	assert_int_equal(store_commit(s), 0);
	return list;
}

static void
test_campaign_and_lease(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	struct store_delivery d[20], e[20];
	unsigned long counts[DLV__COUNT];
	int64_t list, camp, ids[20];
	size_t n, m, moved;
	int added;

	list = make_list(s, 10);
	/* c1 by address, d2.example (c2, c5, c8) by domain. */
	assert_int_equal(store_supp_add(s, "c1@d1.example", SUPP_UNSUBSCRIBED,
	                                "t", T0, &added),
	                 0);
	assert_int_equal(
	    store_supp_add(s, "@d2.example", SUPP_COMPLAINT, "t", T0, &added),
	    0);
	assert_int_equal(store_campaign_create(s, "c", list, T0, &camp), 0);
	assert_int_equal(store_campaign_create(s, "c", list, T0, &camp),
	                 MC_EINVAL);
	assert_int_equal(store_campaign_find(s, "c", &camp), 0);
	assert_int_equal(store_count_states(s, camp, counts), 0);
	assert_int_equal(counts[DLV_PENDING], 6);
	assert_int_equal(counts[DLV_SUPPRESSED], 4);

	/* Worker A leases 4; worker B gets the other 2, never A's. */
	assert_int_equal(store_lease(s, camp, "A", T0, 600, d, 4, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(store_lease(s, camp, "B", T0 + 1, 60, e, 20, &m), 0);
	assert_int_equal(m, 2);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < m; j++)
			assert_true(d[i].id != e[j].id);
	assert_non_null(strstr(d[0].address, "@d"));
	assert_string_equal(d[0].attrs, "{}");
	assert_int_equal(d[0].state, DLV_PENDING);
	store_deliveries_fini(e, m);
	/* Nothing left to lease until B's lease expires. */
	assert_int_equal(store_lease(s, camp, "C", T0 + 2, 60, e, 20, &m), 0);
	assert_int_equal(m, 0);
	assert_int_equal(store_lease(s, camp, "C", T0 + 61, 3600, e, 20, &m),
	                 0);
	assert_int_equal(m, 2);
	store_deliveries_fini(e, m);

	/* Only the lease owner can mark inflight. */
	for (size_t i = 0; i < n; i++)
		ids[i] = d[i].id;
	assert_int_equal(store_mark_inflight(s, ids, n, "B", T0, &moved), 0);
	assert_int_equal(moved, 0);
	assert_int_equal(store_mark_inflight(s, ids, n, "A", T0, &moved), 0);
	assert_int_equal(moved, 4);
	/* again (handed to a connection again): still A's, still counted */
	assert_int_equal(store_mark_inflight(s, ids, 1, "A", T0, &moved), 0);
	assert_int_equal(moved, 1);
	assert_int_equal(store_mark_inflight(s, ids, 1, "B", T0, &moved), 0);
	assert_int_equal(moved, 0);
	/* a batch of A's rows and B's: only A's move, and are counted */
	ids[4] = e[0].id;
	ids[5] = ids[1];
	ids[1] = e[1].id;
	assert_int_equal(store_mark_inflight(s, ids, 6, "A", T0, &moved), 0);
	assert_int_equal(moved, 4);
	ids[1] = ids[5];
	assert_int_equal(store_count_states(s, camp, counts), 0);
	assert_int_equal(counts[DLV_INFLIGHT], 4);

	/* One batch of outcomes. */
	struct store_outcome o[4] = {
	    {.id = ids[0],
	     .state = DLV_SENT,
	     .reply_code = 250,
	     .enhanced = "2.0.0",
	     .text = "ok",
	     .relay = "mx.d0",
	     .queue_id = "Q1"},
	    {.id = ids[1],
	     .state = DLV_DEFERRED,
	     .reply_code = 451,
	     .enhanced = "4.7.1",
	     .text = "greylisted",
	     .next_attempt = T0 + 300},
	    {.id = ids[2],
	     .state = DLV_FAILED,
	     .reply_code = 550,
	     .enhanced = "5.1.1",
	     .text = "no such user"},
	    {.id = ids[3], .state = DLV_SENT, .reply_code = 250},
	};
	assert_int_equal(store_record(s, o, 4, T0 + 3), 0);
	assert_int_equal(store_count_states(s, camp, counts), 0);
	assert_int_equal(counts[DLV_SENT], 2);
	assert_int_equal(counts[DLV_DEFERRED], 1);
	assert_int_equal(counts[DLV_FAILED], 1);
	assert_int_equal(counts[DLV_INFLIGHT], 0);
	/* A pending/inflight "outcome" is refused; the batch is whole. */
	o[0].state = DLV_PENDING;
	assert_int_equal(store_record(s, o, 1, T0), MC_EINVAL);
	o[0].state = DLV_SENT;
	o[0].id = 999999;
	assert_int_equal(store_record(s, o, 1, T0), MC_ENOTFOUND);

	/* The deferred row comes back when due, with its attempt counted. */
	assert_int_equal(store_lease(s, camp, "A", T0 + 299, 60, e, 20, &m), 0);
	assert_int_equal(m, 0);
	assert_int_equal(store_lease(s, camp, "A", T0 + 300, 60, e, 20, &m), 0);
	assert_int_equal(m, 1);
	assert_true(e[0].id == ids[1]);
	assert_int_equal(e[0].state, DLV_DEFERRED);
	assert_int_equal(e[0].attempts, 1);
	store_deliveries_fini(e, m);
	store_deliveries_fini(d, n);
}

/* Leases go on after the last row leased: a row given back behind it is
 * found again once a lease comes back short (it looks from the start),
 * and no row is ever leased twice. */
static void
test_lease_goes_on(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	struct store_delivery a[2], b[2], c[20];
	int64_t list, camp, back;
	size_t n, m, k, moved;

	list = make_list(s, 10);
	assert_int_equal(store_campaign_create(s, "g", list, T0, &camp), 0);
	assert_int_equal(store_lease(s, camp, "A", T0, 600, a, 2, &n), 0);
	assert_int_equal(n, 2);
	back = a[0].id;
	assert_int_equal(
	    store_release(s, camp, "A", &back, 1, NULL, T0, &moved), 0);
	assert_int_equal(moved, 1);
	/* the next two come after a[1]: not the row given back */
	assert_int_equal(store_lease(s, camp, "A", T0, 600, b, 2, &m), 0);
	assert_int_equal(m, 2);
	for (size_t i = 0; i < m; i++) {
		assert_true(b[i].id > a[1].id);
		assert_true(b[i].id != back);
	}
	/* the rest: short after the key, then from the start: the row given
	 * back is in it, once, and none of the others leased */
	assert_int_equal(store_lease(s, camp, "A", T0, 600, c, 20, &k), 0);
	assert_int_equal(k, 10 - 3); /* all but a[1], b[0], b[1] */
	bool seen = false;
	for (size_t i = 0; i < k; i++) {
		assert_true(c[i].id != a[1].id);
		assert_true(c[i].id != b[0].id && c[i].id != b[1].id);
		for (size_t j = i + 1; j < k; j++)
			assert_true(c[i].id != c[j].id);
		seen |= c[i].id == back;
	}
	assert_true(seen);
	assert_int_equal(store_lease(s, camp, "A", T0, 600, c + k, 4, &m), 0);
	assert_int_equal(m, 0);
	store_deliveries_fini(a, n);
	store_deliveries_fini(b, 2);
	store_deliveries_fini(c, k);
}

static void
test_stale_inflight(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	struct store_delivery d[4];
	unsigned long counts[DLV__COUNT];
	int64_t list, camp, ids[4];
	size_t n, moved, requeued;

	list = make_list(s, 3);
	assert_int_equal(store_campaign_create(s, "c", list, T0, &camp), 0);
	assert_int_equal(store_lease(s, camp, "dead", T0, 30, d, 4, &n), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		ids[i] = d[i].id;
	assert_int_equal(store_mark_inflight(s, ids, 2, "dead", T0, &moved), 0);
	store_deliveries_fini(d, n);
	/* Before expiry nothing moves; after, inflight rows come back. */
	assert_int_equal(store_requeue_stale(s, camp, T0 + 29, &requeued), 0);
	assert_int_equal(requeued, 0);
	assert_int_equal(store_requeue_stale(s, camp, T0 + 30, &requeued), 0);
	assert_int_equal(requeued, 2);
	assert_int_equal(store_count_states(s, camp, counts), 0);
	assert_int_equal(counts[DLV_PENDING], 3);
	assert_int_equal(store_lease(s, camp, "new", T0 + 31, 30, d, 4, &n), 0);
	assert_int_equal(n, 3);
	store_deliveries_fini(d, n);
}

static void
test_transactions_and_log(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	struct store_bounce b = {.address = "x@y.example",
	                         .kind = "hard",
	                         .status = "5.1.1",
	                         .diagnostic = "user unknown",
	                         .received = T0};
	unsigned long n;
	int result, joined;
	char err[256], out[256];

	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_begin(s), MC_EINVAL);
	assert_int_equal(store_contact_upsert(s, "r@b.example", "b.example",
	                                      "{}", 0, T0, &result, &joined),
	                 0);
	assert_int_equal(store_rollback(s), 0);
	assert_int_equal(store_contact_count(s, 0, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_commit(s), MC_EINVAL);
	assert_int_equal(store_bounce_add(s, &b), 0);
	assert_int_equal(store_event_add(s, 0, 0, "note", "hello", T0), 0);
	assert_int_equal(store_check(s, out, sizeof(out)), 0);
	assert_string_equal(out, "ok");

	/* Reopening keeps the data and does not migrate twice. */
	assert_int_equal(store_contact_upsert(s, "k@b.example", "b.example",
	                                      "{}", 0, T0, &result, &joined),
	                 0);
	store_close(s);
	f->s = s = store_open(f->url, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(store_contact_count(s, 0, &n), 0);
	assert_int_equal(n, 1);
}

/* Commits that are durable against a crash only (a campaign's ledger):
 * what they wrote is there after a reopen, and full commits come back. */
static void
test_durable_commits(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	unsigned long n;
	int result, joined;
	char err[256];

	if (s->ops->durable_commits == NULL)
		skip();
	assert_int_equal(store_durable_commits(s, false), 0);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_contact_upsert(s, "d@b.example", "b.example",
	                                      "{}", 0, T0, &result, &joined),
	                 0);
	assert_int_equal(store_commit(s), 0);
	/* Many small commits (SQLite: their WAL checkpoints on a thread of
	 * the store's, the committer's own only when the WAL grows past
	 * 16,000 pages): every row is kept, and the WAL stays bounded. */
	int many = strcmp(f->be->name, "sqlite") == 0 ? 6000 : 20;
	char ck[256];

	for (int i = 0; i < many; i++) {
		char a[64];

		snprintf(a, sizeof(a), "many%d@b.example", i);
		assert_int_equal(store_begin(s), 0);
		assert_int_equal(store_contact_upsert(s, a, "b.example",
		                                      "{\"n\":\"a longer value "
		                                      "to fill the pages\"}",
		                                      0, T0, &result, &joined),
		                 0);
		assert_int_equal(store_commit(s), 0);
	}
	if (strcmp(f->be->name, "sqlite") == 0) {
		char wal[300];
		struct stat sb;

		snprintf(wal, sizeof(wal), "%s/t.db-wal", f->dir);
		assert_int_equal(stat(wal, &sb), 0);
		assert_true(sb.st_size <
		            32000L *
		                4120); /* a soft bound: 16,000 pages and what
		                          commits while a checkpoint runs */
	}
	assert_int_equal(store_durable_commits(s, true), 0);
	store_close(s);
	f->s = s = store_open(f->url, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(store_contact_count(s, 0, &n), 0);
	assert_int_equal(n, 1 + (unsigned long)many);
	assert_int_equal(store_check(s, ck, sizeof(ck)), 0);
}

/* The bounce primitives (record, count, contact lookup and status, the
 * ledger row bounced); and the mailbox memory. */
static void
test_bounce_effects(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	int result, joined, changed, st;
	int64_t list, camp, h, c, id;
	size_t n;
	unsigned long cnt;
	struct store_delivery d[4];
	struct store_bounce_row b = {.kind = STORE_BOUNCE_SOFT,
	                             .address = "s@b.example",
	                             .status = "4.2.2",
	                             .diagnostic = "mailbox full",
	                             .source = "<m1@x>"};

	assert_int_equal(store_list_ensure(s, "l", T0, &list), 0);
	assert_int_equal(store_contact_upsert(s, "h@b.example", "b.example",
	                                      "{}", list, T0, &result, &joined),
	                 0);
	assert_int_equal(store_contact_upsert(s, "c@b.example", "b.example",
	                                      "{}", list, T0, &result, &joined),
	                 0);
	assert_int_equal(store_campaign_create(s, "c1", list, T0, &camp), 0);
	assert_int_equal(store_lease(s, camp, "w", T0, 60, d, 4, &n), 0);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		struct store_outcome o = {
		    .id = d[i].id, .state = DLV_SENT, .reply_code = 250};
		assert_int_equal(store_record(s, &o, 1, T0), 0);
	}
	store_deliveries_fini(d, n);

	/* Lookup: by address; a stale id falls back to the address. */
	assert_int_equal(store_contact_lookup(s, 0, "h@b.example", &h), 0);
	assert_true(h > 0);
	assert_int_equal(store_contact_lookup(s, 99999, "c@b.example", &c), 0);
	assert_true(c > 0 && c != h);
	assert_int_equal(store_contact_lookup(s, h, "c@b.example", &id), 0);
	assert_int_equal(id, h);
	assert_int_equal(store_contact_lookup(s, 0, "n@b.example", &id),
	                 MC_ENOTFOUND);

	/* Counting: per kind and address, from a time on. */
	assert_int_equal(store_bounce_record(s, &b, T0), 0);
	assert_int_equal(store_bounce_record(s, &b, T0 + 86400), 0);
	b.kind = STORE_BOUNCE_POLICY;
	assert_int_equal(store_bounce_record(s, &b, T0 + 86400), 0);
	b.kind = STORE_BOUNCE_SOFT;
	b.address = "o@b.example";
	assert_int_equal(store_bounce_record(s, &b, T0 + 86400), 0);
	assert_int_equal(
	    store_bounce_count(s, "s@b.example", STORE_BOUNCE_SOFT, T0, &cnt),
	    0);
	assert_int_equal(cnt, 2);
	assert_int_equal(store_bounce_count(s, "s@b.example", STORE_BOUNCE_SOFT,
	                                    T0 + 1, &cnt),
	                 0);
	assert_int_equal(cnt, 1);
	assert_int_equal(
	    store_bounce_count(s, "s@b.example", STORE_BOUNCE_POLICY, T0, &cnt),
	    0);
	assert_int_equal(cnt, 1);
	b.kind = (enum store_bounce_kind)99;
	assert_int_equal(store_bounce_record(s, &b, T0), MC_EINVAL);
	b.kind = STORE_BOUNCE_HARD;
	b.address = "";
	assert_int_equal(store_bounce_record(s, &b, T0), MC_EINVAL);

	/* Status: changed once, then not. */
	assert_int_equal(
	    store_contact_set_status(s, h, CONTACT_BOUNCED, T0, &changed), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(
	    store_contact_set_status(s, h, CONTACT_BOUNCED, T0, &changed), 0);
	assert_int_equal(changed, 0);

	/* The ledger row of (campaign, contact) becomes bounced, once. */
	unsigned long counts[DLV__COUNT];
	assert_int_equal(store_delivery_bounced(s, camp, h, T0, &changed), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(store_delivery_bounced(s, camp, h, T0, &changed), 0);
	assert_int_equal(changed, 0);
	assert_int_equal(store_count_states(s, camp, counts), 0);
	assert_int_equal(counts[DLV_BOUNCED], 1);
	assert_int_equal(counts[DLV_SENT], 1);

	/* delivery_sent: the row of a contact that was sent (bounced ones
	 * too), in a campaign or in any; a pending row is not. */
	char addr[STORE_ADDRESS_MAX + 1];
	int64_t camp2, got;
	assert_int_equal(
	    store_delivery_sent(s, camp, h, &got, addr, sizeof(addr)), 0);
	assert_int_equal(got, camp);
	assert_string_equal(addr, "h@b.example");
	assert_int_equal(store_delivery_sent(s, 0, c, &got, addr, sizeof(addr)),
	                 0);
	assert_int_equal(got, camp);
	assert_string_equal(addr, "c@b.example");
	assert_int_equal(store_campaign_create(s, "c2", list, T0, &camp2), 0);
	assert_int_equal(
	    store_delivery_sent(s, camp2, h, &got, addr, sizeof(addr)),
	    MC_ENOTFOUND);
	assert_int_equal(
	    store_delivery_sent(s, camp + camp2, h, &got, addr, sizeof(addr)),
	    MC_ENOTFOUND);
	assert_int_equal(
	    store_delivery_sent(s, camp, 99999, &got, addr, sizeof(addr)),
	    MC_ENOTFOUND);
	assert_int_equal(store_delivery_sent(s, 0, 0, &got, addr, sizeof(addr)),
	                 MC_EINVAL);
	assert_string_equal(store_bounce_kind_name(STORE_BOUNCE_SOFT), "soft");
	assert_int_equal(store_bounce_kind_parse("policy"),
	                 STORE_BOUNCE_POLICY);
	assert_string_equal(store_contact_status_name(CONTACT_COMPLAINED),
	                    "complained");

	/* The mailbox memory only goes up. */
	assert_int_equal(store_mailbox_seen_get(s, "pop3://u@h", "u1", &st),
	                 MC_ENOTFOUND);
	assert_int_equal(store_mailbox_seen_put(s, "pop3://u@h", "u1",
	                                        STORE_SEEN_DONE, "bounce", T0),
	                 0);
	assert_int_equal(store_mailbox_seen_put(s, "pop3://u@h", "u1",
	                                        STORE_SEEN_HANDLED, "bounce",
	                                        T0),
	                 0);
	assert_int_equal(store_mailbox_seen_get(s, "pop3://u@h", "u1", &st), 0);
	assert_int_equal(st, STORE_SEEN_DONE);
	assert_int_equal(store_mailbox_seen_get(s, "pop3://u@h2", "u1", &st),
	                 MC_ENOTFOUND);
}

/* URL schemes: not per backend. */
static void
test_open_errors(void **state)
{
	char err[256];

	(void)state;
	/* Nothing listens on port 1: the reason names the server, never
	 * the password of the URL. */
	assert_null(store_open("postgresql://u:s3cret@127.0.0.1:1/db", err,
	                       sizeof(err)));
	assert_non_null(strstr(err, "postgresql://u:***@127.0.0.1:1/db"));
	assert_non_null(strstr(err, "refused"));
	assert_null(strstr(err, "s3cret"));
	assert_null(
	    store_open("postgres://u@127.0.0.1:1/db", err, sizeof(err)));
	assert_non_null(strstr(err, "127.0.0.1"));
	assert_null(store_open("mysql://x", err, sizeof(err)));
	assert_non_null(strstr(err, "unknown scheme"));
	assert_null(store_open("sqlite:", err, sizeof(err)));
	assert_null(
	    store_open("sqlite:/nonexistent/dir/x.db", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/dir/x.db"));
	assert_string_equal(store_dlv_state_name(DLV_BOUNCED), "bounced");
	assert_int_equal(store_dlv_state_parse("inflight"), DLV_INFLIGHT);
	assert_int_equal(store_supp_reason_parse("hard-bounce"),
	                 SUPP_HARD_BOUNCE);
	assert_int_equal(store_supp_reason_parse("nope"), -1);
}

/* contact_each callback: copy the attrs of the contact named in want. */
static int
find_attrs(void *arg, const struct store_contact *c)
{
	char *want = arg; /* "address" in, "attrs" out */

	if (strcmp(c->address, want) != 0)
		return 0;
	strcpy(want, c->attrs);
	return 1;
}

#define WALK_N 2500 /* more than PostgreSQL's pages of 1,000 rows */

struct walk {
	struct store *s;
	char prev[64];
	unsigned long n;
	unsigned long stop_at; /* 0: never */
};

/* contact_each: strictly increasing addresses; another store op inside
 * the walk; stop at stop_at with 7. */
static int
walk_contact(void *arg, const struct store_contact *c)
{
	struct walk *w = arg;
	struct store_suppression hit;

	assert_true(strcmp(w->prev, c->address) < 0);
	snprintf(w->prev, sizeof(w->prev), "%s", c->address);
	if (++w->n == 1500)
		assert_int_equal(store_supp_check(w->s, c->address, &hit),
		                 MC_ENOTFOUND);
	return w->n == w->stop_at ? 7 : 0;
}

static int
walk_dlv(void *arg, const struct store_dlv_row *r)
{
	struct walk *w = arg;

	(void)r;
	return ++w->n == w->stop_at ? 7 : 0;
}

/* Walks over more rows than a page (PostgreSQL reads them through a
 * cursor): every row once, in order, stopped early with the callback's
 * value, inside a caller's transaction, and the store usable after. */
static void
test_walk_pages(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	static char addr[WALK_N][32];
	static struct store_contact_in rows[WALK_N];
	struct store_upsert_counts c = {0};
	struct walk w = {.s = s};
	int64_t list, camp;
	unsigned long n;

	if (s->ops->contact_upsert_many == NULL)
		skip();
	assert_int_equal(store_list_ensure(s, "walk", T0, &list), 0);
	for (int i = 0; i < WALK_N; i++) {
		snprintf(addr[i], sizeof(addr[i]), "w%05d@walk.example", i);
		rows[i].address = addr[i];
		rows[i].domain = "walk.example";
		rows[i].attrs = "{}";
	}
	for (int i = 0; i < WALK_N; i += 250)
		assert_int_equal(store_contact_upsert_many(s, rows + i, 250,
		                                           list, T0, 0, &c),
		                 0);
	assert_int_equal(store_contact_each(s, list, walk_contact, &w), 0);
	assert_int_equal(w.n, WALK_N);
	assert_string_equal(w.prev, addr[WALK_N - 1]);
	memset(&w, 0, sizeof(w));
	w.s = s;
	w.stop_at = 1700;
	assert_int_equal(store_contact_each(s, list, walk_contact, &w), 7);
	assert_int_equal(w.n, 1700);
	assert_int_equal(store_contact_count(s, list, &n), 0);
	assert_int_equal(n, WALK_N);
	assert_int_equal(store_campaign_create(s, "walk", list, T0, &camp), 0);
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_delivery_each(s, camp, -1, walk_dlv, &w), 0);
	assert_int_equal(w.n, WALK_N);
	memset(&w, 0, sizeof(w));
	w.stop_at = 1001;
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_delivery_each(s, camp, -1, walk_dlv, &w), 7);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(w.n, 1001);
	memset(&w, 0, sizeof(w));
	assert_int_equal(
	    store_delivery_each(s, camp, DLV_PENDING, walk_dlv, &w), 0);
	assert_int_equal(w.n, WALK_N);
}

/* The batch upsert equals contact_upsert row by row: new, changed and
 * unchanged contacts, members and not, in full batches and the rest. */
static void
test_upsert_many(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	struct store_contact_in rows[200] = {{0}};
	struct store_upsert_counts c = {0};
	char addr[200][40], want[64];
	int64_t list, other;
	int result, joined;
	unsigned long n;

	if (s->ops->contact_upsert_many == NULL)
		skip(); /* optional op */
	assert_int_equal(store_list_ensure(s, "big", T0, &list), 0);
	assert_int_equal(store_list_ensure(s, "other", T0, &other), 0);
	for (int i = 0; i < 200; i++) {
		snprintf(addr[i], sizeof(addr[i]), "m%d@d%d.example", i, i % 7);
		rows[i].address = addr[i];
		rows[i].domain = strchr(addr[i], '@') + 1;
		rows[i].attrs = i % 2 ? "{\"v\":\"odd\"}" : "{}";
		/* 100..139, 195, 196 exist ("{}"); 100..119 are members. */
		if ((i >= 100 && i < 140) || i == 195 || i == 196)
			assert_int_equal(
			    store_contact_upsert(s, addr[i], rows[i].domain,
			                         "{}", i < 120 ? list : other,
			                         T0, &result, &joined),
			    0);
	}
	assert_int_equal(
	    store_contact_upsert_many(s, rows, 200, list, T0 + 1, 0, &c), 0);
	assert_int_equal(c.added, 158);
	assert_int_equal(c.updated, 21); /* the odd ones of 100..139, 195 */
	assert_int_equal(c.unchanged, 21);
	assert_int_equal(c.joined, 180);
	assert_int_equal(store_contact_count(s, list, &n), 0);
	assert_int_equal(n, 200);
	assert_int_equal(store_contact_count(s, 0, &n), 0);
	assert_int_equal(n, 200);
	strcpy(want, "m101@d3.example");
	assert_int_equal(store_contact_each(s, list, find_attrs, want), 1);
	assert_string_equal(want, "{\"v\":\"odd\"}");
	strcpy(want, "m3@d3.example");
	assert_int_equal(store_contact_each(s, list, find_attrs, want), 1);
	assert_string_equal(want, "{\"v\":\"odd\"}");
	/* Again: nothing changes. */
	memset(&c, 0, sizeof(c));
	assert_int_equal(
	    store_contact_upsert_many(s, rows, 200, list, T0 + 2, 0, &c), 0);
	assert_int_equal(c.added, 0);
	assert_int_equal(c.updated, 0);
	assert_int_equal(c.unchanged, 200);
	assert_int_equal(c.joined, 0);
	/* Quotes, backslashes, tabs, commas and braces arrive byte for byte,
	 * alone and in a batch (PostgreSQL copies a batch: COPY's escapes). */
	rows[0].address = "q@d0.example";
	rows[0].domain = "d0.example";
	rows[0].attrs = "{\"q\":\"a\\\"b, {c} \\\\ NULL\"}";
	rows[1].address = "t@d0.example";
	rows[1].domain = "d0.example";
	rows[1].attrs = "{\"t\":\"x\\ty\\\\N\\\\.\",\"u\":\"\\\\\"}";
	for (size_t k = 1; k <= 2; k++) {
		memset(&c, 0, sizeof(c));
		rows[0].address = k == 1 ? "q@d0.example" : "q2@d0.example";
		assert_int_equal(
		    store_contact_upsert_many(s, rows, k, list, T0 + 3, 0, &c),
		    0);
		assert_int_equal(c.added, k);
		for (size_t j = 0; j < k; j++) {
			strcpy(want, rows[j].address);
			assert_int_equal(
			    store_contact_each(s, list, find_attrs, want), 1);
			assert_string_equal(want, rows[j].attrs);
		}
	}
}

/* contact_get callback: "status attrs" of the contact into arg. */
static int
get_contact(void *arg, const struct store_contact *c)
{
	snprintf(arg, 256, "%s %s", c->status, c->attrs);
	return 1;
}

/* One row for contact_upsert_many. */
static struct store_contact_in
row_in(const char *address, const char *attrs, const char *status)
{
	return (struct store_contact_in){
	    .address = address,
	    .domain = strchr(address, '@') + 1,
	    .attrs = attrs,
	    .status = status,
	};
}

/* Imports merge attributes (REPLACE replaces); a status applies to new
 * and active contacts only, with its suppression entry; never back to
 * active. */
static void
test_merge_and_statuses(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	struct store_upsert_counts c = {0};
	struct store_suppression hit;
	struct store_contact_in r[3];
	char got[256];
	int64_t list, id;
	int changed;

	assert_int_equal(store_list_ensure(s, "l", T0, &list), 0);
	r[0] = row_in("a@x.example", "{\"a\":\"1\",\"b\":\"2\"}", NULL);
	r[1] = row_in("u@x.example", "{}", "unsubscribed");
	assert_int_equal(store_contact_upsert_many(s, r, 2, list, T0, 0, &c),
	                 0);
	assert_int_equal(c.added, 2);
	r[0] = row_in("a@x.example", "{\"b\":\"3\"}", NULL);
	r[1] = row_in("u@x.example", "{}", "active");
	r[2] = row_in("n@x.example", "{}", "complained"); /* statuses run */
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_contact_upsert_many(s, r, 3, list, T0, 0, &c),
	                 0);
	assert_int_equal(c.added, 1);
	assert_int_equal(c.updated, 1);
	assert_int_equal(c.unchanged, 1);
	assert_int_equal(store_contact_get(s, "a@x.example", get_contact, got),
	                 1);
	assert_string_equal(got, "active {\"a\":\"1\",\"b\":\"3\"}");
	assert_int_equal(store_contact_get(s, "u@x.example", get_contact, got),
	                 1);
	assert_string_equal(got, "unsubscribed {}"); /* never resubscribed */
	assert_int_equal(store_supp_check(s, "u@x.example", &hit), 0);
	assert_int_equal(hit.reason, SUPP_UNSUBSCRIBED);
	assert_string_equal(hit.source, "import");
	r[0] = row_in("a@x.example", "{\"c\":\"4\"}", "blocklisted");
	assert_int_equal(store_contact_upsert_many(s, r, 1, list, T0,
	                                           STORE_UPSERT_REPLACE, &c),
	                 0);
	assert_int_equal(store_contact_get(s, "a@x.example", get_contact, got),
	                 1);
	assert_string_equal(got, "blocklisted {\"c\":\"4\"}");
	assert_int_equal(store_supp_check(s, "a@x.example", &hit), 0);
	assert_int_equal(hit.reason, SUPP_MANUAL);
	/* set_attrs: a merge patch; null removes */
	assert_int_equal(store_contact_lookup(s, 0, "a@x.example", &id), 0);
	assert_int_equal(store_contact_set_attrs(s, id,
	                                         "{\"c\":null,\"d\":\"5\"}",
	                                         T0 + 1, &changed),
	                 0);
	assert_int_equal(changed, 1);
	assert_int_equal(store_contact_get(s, "a@x.example", get_contact, got),
	                 1);
	assert_string_equal(got, "blocklisted {\"d\":\"5\"}");
}

/* Audit rows: who, why, what. */
static int
audit_line(void *arg, const struct store_audit *a)
{
	char *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 1024 - n, "%s|%s|%s;", a->actor, a->action,
	         a->detail ? a->detail : "-");
	return 0;
}

/* Tallies, list copy, delete, erase, the audit trail. */
static void
test_contact_lifecycle(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	struct store_upsert_counts c = {0};
	struct store_suppression hit;
	struct store_contact_in r[3];
	unsigned long counts[CONTACT__COUNT], joined, n;
	char got[1024] = "", entry[STORE_ERASE_ENTRY_LEN + 1];
	int64_t l1, l2, id;
	int changed;

	assert_int_equal(store_list_ensure(s, "l1", T0, &l1), 0);
	assert_int_equal(store_list_ensure(s, "l2", T0, &l2), 0);
	r[0] = row_in("a@x.example", "{}", NULL);
	r[1] = row_in("b@x.example", "{}", "bounced");
	r[2] = row_in("e@x.example", "{\"name\":\"Eve\"}", "unsubscribed");
	assert_int_equal(store_audit_context(s, "tester", "first import"), 0);
	assert_int_equal(store_contact_upsert_many(s, r, 3, l1, T0, 0, &c), 0);
	assert_int_equal(store_contact_tally(s, l1, counts), 0);
	assert_int_equal(counts[CONTACT_ACTIVE], 1);
	assert_int_equal(counts[CONTACT_BOUNCED], 1);
	assert_int_equal(counts[CONTACT_UNSUBSCRIBED], 1);
	assert_int_equal(store_member_copy(s, l2, l1, T0 + 5, &joined), 0);
	assert_int_equal(joined, 3);
	/* delete: hidden, off the lists, history kept */
	assert_int_equal(store_contact_lookup(s, 0, "a@x.example", &id), 0);
	assert_int_equal(store_audit_context(s, "tester", "asked"), 0);
	assert_int_equal(
	    store_contact_remove(s, id, false, SUPP_MANUAL, T0 + 6), 0);
	assert_int_equal(store_contact_get(s, "a@x.example", get_contact, got),
	                 MC_ENOTFOUND);
	assert_int_equal(store_contact_count(s, 0, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_contact_count(s, l2, &n), 0);
	assert_int_equal(n, 2);
	got[0] = '\0';
	assert_int_equal(store_contact_history(s, id, audit_line, got), 0);
	assert_string_equal(got, "tester|added|first import;"
	                         "tester|joined|l2;tester|left|l1;"
	                         "tester|left|l2;tester|deleted|asked;");
	/* erase: the address only as its hash, which still suppresses */
	assert_int_equal(store_contact_lookup(s, 0, "e@x.example", &id), 0);
	assert_int_equal(store_audit_context(s, "tester", "Eve phoned"), 0);
	assert_int_equal(store_contact_set_attrs(s, id, "{\"city\":\"Bern\"}",
	                                         T0 + 6, &changed),
	                 0);
	assert_int_equal(store_audit_context(s, "tester", "art. 17"), 0);
	assert_int_equal(
	    store_contact_remove(s, id, true, SUPP_UNSUBSCRIBED, T0 + 7), 0);
	assert_int_equal(store_erase_entry_of(s, "e@x.example", entry), 0);
	assert_int_equal(strncmp(entry, "sha256:", 7), 0);
	assert_int_equal(strlen(entry), STORE_ERASE_ENTRY_LEN);
	assert_int_equal(store_supp_check(s, "e@x.example", &hit), 0);
	assert_string_equal(hit.entry, entry);
	assert_int_equal(hit.reason, SUPP_UNSUBSCRIBED);
	assert_int_equal(store_supp_check(s, "f@x.example", &hit),
	                 MC_ENOTFOUND);
	assert_int_equal(store_contact_get(s, "e@x.example", get_contact, got),
	                 1);
	assert_string_equal(got, "erased {}");
	/* erased is final */
	assert_int_equal(
	    store_contact_set_status(s, id, CONTACT_ACTIVE, T0 + 8, &changed),
	    0);
	assert_int_equal(changed, 0);
	got[0] = '\0';
	assert_int_equal(store_contact_history(s, id, audit_line, got), 0);
	/* the reasons given for this contact alone are gone, shared ones
	 * (an import's) and the erasure's own stay */
	assert_string_equal(got, "tester|added|first import;"
	                         "tester|joined|l2;tester|attributes|-;"
	                         "tester|left|l1;tester|left|l2;"
	                         "tester|status|unsubscribed -> erased: "
	                         "art. 17;");
	assert_int_equal(store_audit_context(s, NULL, NULL), 0);
}

/* Counts callbacks of the engine's report ops. */
static int
count_owner(void *arg, const char *owner, unsigned long n)
{
	assert_string_equal(owner, "w1");
	*(unsigned long *)arg += n;
	return 0;
}

static int
count_row(void *arg, const struct store_dlv_row *r)
{
	(void)r;
	(*(unsigned long *)arg)++;
	return 0;
}

static int
count_tally(void *arg, const struct store_agg_row *r)
{
	assert_int_equal(r->what, STORE_AGG_REPLIES);
	if (strcmp(r->sub, "failed") == 0)
		assert_string_equal(r->key, "550 5.1.1");
	*(unsigned long *)arg += r->n;
	return 0;
}

static int
count_event(void *arg, const struct store_event *e)
{
	assert_string_equal(e->kind, "inflight-unknown");
	assert_non_null(e->address);
	(*(unsigned long *)arg)++;
	return 0;
}

/* The engine's ops: release, lease_owners, next_due, reports. */
static void
test_engine_ops(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	struct store_delivery d[4];
	struct store_campaign c;
	struct store_outcome o[2];
	int64_t list, camp, ids[4];
	size_t n, moved;
	unsigned long k;
	time_t due;

	list = make_list(s, 3);
	assert_int_equal(store_campaign_create(s, "e", list, T0, &camp), 0);
	assert_int_equal(store_campaign_get(s, camp, &c), 0);
	assert_string_equal(c.name, "e");
	assert_string_equal(c.status, "draft");
	assert_int_equal(store_campaign_set_status(s, camp, "running"), 0);
	assert_int_equal(store_campaign_get(s, camp, &c), 0);
	assert_string_equal(c.status, "running");
	assert_int_equal(store_campaign_get(s, camp + 99, &c), MC_ENOTFOUND);
	assert_int_equal(store_next_due(s, camp, &due), 0);
	assert_int_equal(due, 0);
	assert_int_equal(store_lease(s, camp, "w1", T0, 600, d, 4, &n), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		ids[i] = d[i].id;
	store_deliveries_fini(d, n);
	assert_int_equal(store_mark_inflight(s, ids, 3, "w1", T0, &moved), 0);
	k = 0;
	assert_int_equal(store_lease_owners(s, camp, count_owner, &k), 0);
	assert_int_equal(k, 3);
	/* nothing due while all are in flight */
	assert_int_equal(store_next_due(s, camp, &due), MC_ENOTFOUND);
	/* one sent, one failed; the third given back as fate unknown */
	memset(o, 0, sizeof(o));
	o[0].id = ids[0];
	o[0].state = DLV_SENT;
	o[0].reply_code = 250;
	o[1].id = ids[1];
	o[1].state = DLV_FAILED;
	o[1].reply_code = 550;
	o[1].enhanced = "5.1.1";
	assert_int_equal(store_record(s, o, 2, T0 + 1), 0);
	assert_int_equal(store_release(s, camp, "w2", NULL, 0,
	                               "inflight-unknown", T0 + 2, &moved),
	                 0);
	assert_int_equal(moved, 0); /* another owner's rows stay */
	assert_int_equal(store_release(s, camp, "w1", NULL, 0,
	                               "inflight-unknown", T0 + 2, &moved),
	                 0);
	assert_int_equal(moved, 1);
	assert_int_equal(store_next_due(s, camp, &due), 0);
	k = 0;
	assert_int_equal(
	    store_delivery_each(s, camp, DLV_PENDING, count_row, &k), 0);
	assert_int_equal(k, 1);
	k = 0;
	assert_int_equal(store_delivery_each(s, camp, -1, count_row, &k), 0);
	assert_int_equal(k, 3);
	k = 0;
	assert_int_equal(
	    store_aggregate(s, STORE_AGG_REPLIES, camp, count_tally, &k), 0);
	assert_int_equal(k, 3);
	k = 0;
	assert_int_equal(
	    store_event_each(s, camp, "inflight-unknown", count_event, &k), 0);
	assert_int_equal(k, 1);
}

/* Aggregate rows as "key|sub|at|n;" (at relative to T0's minute for the
 * timelines, to nothing for the others). */
struct agg_seen {
	char text[4096];
	int64_t base;
};

static int
collect_agg(void *arg, const struct store_agg_row *r)
{
	struct agg_seen *a = arg;
	size_t n = strlen(a->text);

	snprintf(a->text + n, sizeof(a->text) - n, "%s|%s|%lld|%lu;",
	         r->key ? r->key : "NULL", r->sub ? r->sub : "NULL",
	         (long long)(r->at - a->base), r->n);
	return 0;
}

/* Aggregate rows as what:key|sub|at|n; (at relative to base on the
 * timeline). */
static int
collect_tagged(void *arg, const struct store_agg_row *r)
{
	struct agg_seen *a = arg;
	size_t n = strlen(a->text);

	snprintf(a->text + n, sizeof(a->text) - n, "%d:%s|%s|%lld|%lu;",
	         (int)r->what, r->key, r->sub,
	         (long long)(r->what == STORE_AGG_DONE_TIME ? r->at - a->base
	                                                    : r->at),
	         r->n);
	return 0;
}

/* STORE_AGG_LEDGER gives the rows of RELAYS, REPLIES, DONE_TIME and
 * UPDATES. */
static void
ledger_is_the_four(struct store *s, int64_t camp, int64_t m0)
{
	static const enum store_agg four[] = {
	    STORE_AGG_RELAYS, STORE_AGG_REPLIES, STORE_AGG_DONE_TIME,
	    STORE_AGG_UPDATES};
	struct agg_seen one = {.base = m0}, each = {.base = m0};

	assert_int_equal(
	    store_aggregate(s, STORE_AGG_LEDGER, camp, collect_tagged, &one),
	    0);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(
		    store_aggregate(s, four[i], camp, collect_tagged, &each),
		    0);
	assert_true(strlen(one.text) > 500);
	assert_string_equal(one.text, each.text);
}

/* The report's aggregates: the relay tally bounded to 20 + others, the
 * slowest relays from the first run-start, the timelines by the minute,
 * bounces by class, the mailbox memory. */
static void
test_report_aggregates(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	struct store_delivery d[24];
	struct store_outcome o[24];
	struct store_bounce_row b = {0};
	char relay[24][24];
	int64_t list, camp, ids[24];
	size_t n, moved;
	struct agg_seen a;
	const int64_t m0 = (T0 + 10) / 60 * 60;

	list = make_list(s, 24);
	assert_int_equal(store_campaign_create(s, "agg", list, T0, &camp), 0);
	assert_int_equal(store_lease(s, camp, "w1", T0, 600, d, 24, &n), 0);
	assert_int_equal(n, 24);
	memset(o, 0, sizeof(o));
	for (size_t i = 0; i < n; i++) {
		static const int codes[4] = {250, 451, 550, 550};

		ids[i] = d[i].id;
		snprintf(relay[i], sizeof(relay[i]), "r%02zu", i);
		o[i].id = ids[i];
		o[i].state = i % 4 == 0   ? DLV_SENT
		             : i % 4 == 1 ? DLV_DEFERRED
		             : i % 4 == 2 ? DLV_FAILED
		                          : DLV_BOUNCED;
		o[i].reply_code = codes[i % 4];
		o[i].relay = i < 2 ? "big" : relay[i];
	}
	store_deliveries_fini(d, n);
	assert_int_equal(store_mark_inflight(s, ids, 24, "w1", T0, &moved), 0);
	assert_int_equal(store_event_add(s, camp, 0, "run-start", NULL, T0 + 5),
	                 0);
	assert_int_equal(store_record(s, o, 12, T0 + 10), 0);
	assert_int_equal(store_record(s, o + 12, 12, T0 + 200), 0);

	/* 23 relays: "big" (2 rows) and r02..r20 by name, r21..r23 others */
	memset(&a, 0, sizeof(a));
	assert_int_equal(
	    store_aggregate(s, STORE_AGG_RELAYS, camp, collect_agg, &a), 0);
	assert_non_null(strstr(a.text, "big|deferred|0|1;big|sent|0|1;"));
	assert_non_null(strstr(a.text, "r20|sent|0|1;"));
	assert_null(strstr(a.text, "r21|deferred"));
	/* the others last; then the slowest: settled at T0+200, from the
	 * run-start at T0+5 */
	assert_non_null(strstr(a.text, "(others)|bounced|0|1;(others)|"
	                               "deferred|0|1;(others)|failed|0|1;r12||"
	                               "195|1;r13||195|1;"));
	assert_non_null(strstr(a.text, "r21||195|1;"));
	assert_null(strstr(a.text, "r22||"));
	assert_null(strstr(a.text, "r11||"));

	/* settled rows by the minute: 3 per state at T0+10 and at T0+200 */
	memset(&a, 0, sizeof(a));
	a.base = m0;
	assert_int_equal(
	    store_aggregate(s, STORE_AGG_DONE_TIME, camp, collect_agg, &a), 0);
	assert_string_equal(a.text, "|bounced|0|3;|deferred|0|3;|failed|0|3;"
	                            "|sent|0|3;|bounced|180|3;|deferred|180|"
	                            "3;|failed|180|3;|sent|180|3;");

	/* by reply: most rows first, then by reply, then by state */
	memset(&a, 0, sizeof(a));
	assert_int_equal(
	    store_aggregate(s, STORE_AGG_REPLIES, camp, collect_agg, &a), 0);
	assert_string_equal(a.text, "250|sent|0|6;451|deferred|0|6;"
	                            "550|bounced|0|6;550|failed|0|6;");

	/* every row by the second of its last update */
	memset(&a, 0, sizeof(a));
	a.base = T0;
	assert_int_equal(
	    store_aggregate(s, STORE_AGG_UPDATES, camp, collect_agg, &a), 0);
	assert_string_equal(a.text, "||10|12;||200|12;");

	/* the four in one call, each row tagged, in the order of the four */
	ledger_is_the_four(s, camp, m0);

	/* bounces by class, and the activity over time */
	b.campaign_id = camp;
	b.address = "c1@d1.example";
	b.kind = STORE_BOUNCE_HARD;
	assert_int_equal(store_bounce_record(s, &b, T0 + 70), 0);
	assert_int_equal(store_bounce_record(s, &b, T0 + 71), 0);
	b.kind = STORE_BOUNCE_COMPLAINT;
	assert_int_equal(store_bounce_record(s, &b, T0 + 72), 0);
	assert_int_equal(
	    store_event_add(s, camp, 0, "unsubscribe", NULL, T0 + 130), 0);
	assert_int_equal(store_track_hit(s, camp, 0, 1, T0 + 130), 0);
	assert_int_equal(store_track_hit(s, camp, 1, 2, T0 + 131), 0);
	assert_int_equal(store_track_hit(s, camp, -1, 2, T0 + 132), 0);
	memset(&a, 0, sizeof(a));
	assert_int_equal(
	    store_aggregate(s, STORE_AGG_BOUNCES, camp, collect_agg, &a), 0);
	assert_string_equal(a.text, "hard||0|2;complaint||0|1;");
	memset(&a, 0, sizeof(a));
	a.base = m0;
	assert_int_equal(
	    store_aggregate(s, STORE_AGG_ACTIVITY, camp, collect_agg, &a), 0);
	assert_string_equal(a.text, "|complaint|60|1;|click|120|2;|open|120|1;"
	                            "|unsubscribe|120|1;");

	/* the mailbox memory: by mailbox, then by what was done */
	assert_int_equal(store_mailbox_seen_put(s, "imap://u@h/INBOX", "1",
	                                        STORE_SEEN_DONE, "hard-bounce",
	                                        T0 + 50),
	                 0);
	assert_int_equal(store_mailbox_seen_put(s, "imap://u@h/INBOX", "2",
	                                        STORE_SEEN_DONE, "hard-bounce",
	                                        T0 + 60),
	                 0);
	assert_int_equal(store_mailbox_seen_put(s, "imap://u@h/INBOX", "3",
	                                        STORE_SEEN_DONE, NULL, T0 + 70),
	                 0);
	assert_int_equal(store_mailbox_seen_put(s, "pop3://u@h", "9",
	                                        STORE_SEEN_HANDLED, "complaint",
	                                        T0 + 80),
	                 0);
	memset(&a, 0, sizeof(a));
	a.base = T0;
	assert_int_equal(
	    store_aggregate(s, STORE_AGG_MAILBOXES, 0, collect_agg, &a), 0);
	assert_string_equal(a.text, "imap://u@h/INBOX||70|1;imap://u@h/INBOX|"
	                            "hard-bounce|60|2;pop3://u@h|complaint|80|"
	                            "1;");
	/* an empty campaign: no rows */
	assert_int_equal(store_campaign_create(s, "none", list, T0, &camp), 0);
	memset(&a, 0, sizeof(a));
	assert_int_equal(
	    store_aggregate(s, STORE_AGG_DONE_TIME, camp, collect_agg, &a), 0);
	assert_int_equal(
	    store_aggregate(s, STORE_AGG_ACTIVITY, camp, collect_agg, &a), 0);
	assert_int_equal(
	    store_aggregate(s, STORE_AGG_BOUNCES, camp, collect_agg, &a), 0);
	assert_string_equal(a.text, "");
}

/* Tallies with unequal counts: most rows first (by key on a tie), each
 * key's states by rows; relays: b 5 sent + 1 failed, a 3 sent, c 3
 * deferred, "" (no relay) 1 failed; all settled 10 s after the
 * campaign was made (no run-start). */
static void
test_report_tally_order(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	struct store_delivery d[13];
	struct store_outcome o[13];
	int64_t list, camp, ids[13];
	size_t n, moved;
	struct agg_seen a;

	list = make_list(s, 13);
	assert_int_equal(store_campaign_create(s, "order", list, T0, &camp), 0);
	assert_int_equal(store_lease(s, camp, "w1", T0, 600, d, 13, &n), 0);
	assert_int_equal(n, 13);
	memset(o, 0, sizeof(o));
	for (size_t i = 0; i < n; i++) {
		ids[i] = d[i].id;
		o[i].id = ids[i];
		o[i].state = i < 8    ? DLV_SENT
		             : i < 11 ? DLV_DEFERRED
		                      : DLV_FAILED;
		o[i].reply_code = i < 8 ? 250 : i < 11 ? 451 : 550;
		o[i].enhanced = i == 11 ? "5.1.1" : NULL;
		o[i].relay = i < 3              ? "a"
		             : i < 8 || i == 11 ? "b"
		             : i < 11           ? "c"
		                                : NULL;
	}
	store_deliveries_fini(d, n);
	assert_int_equal(store_mark_inflight(s, ids, 13, "w1", T0, &moved), 0);
	assert_int_equal(store_record(s, o, 13, T0 + 10), 0);
	memset(&a, 0, sizeof(a));
	assert_int_equal(
	    store_aggregate(s, STORE_AGG_RELAYS, camp, collect_agg, &a), 0);
	assert_string_equal(a.text, "b|sent|0|5;a|sent|0|3;c|deferred|0|3;"
	                            "|failed|0|1;b|failed|0|1;"
	                            "b||10|6;a||10|3;c||10|3;||10|1;");
	memset(&a, 0, sizeof(a));
	assert_int_equal(
	    store_aggregate(s, STORE_AGG_REPLIES, camp, collect_agg, &a), 0);
	assert_string_equal(a.text, "250|sent|0|8;451|deferred|0|3;"
	                            "550|failed|0|1;550 5.1.1|failed|0|1;");
}

/* Fetches as "mailbox|at|outcome|why|messages|summary;". */
static int
collect_fetch(void *arg, const struct store_mailbox_fetch *f)
{
	struct agg_seen *a = arg;
	size_t n = strlen(a->text);

	snprintf(a->text + n, sizeof(a->text) - n, "%s|%lld|%s|%s|%lu|%s;",
	         f->mailbox, (long long)(f->at - a->base), f->outcome, f->why,
	         f->messages, f->summary);
	return 0;
}

/* The mailboxes' last fetches: one row per mailbox, the latest kept,
 * also a fetch that found nothing or failed. */
static void
test_mailbox_fetches(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	struct agg_seen a = {.base = T0};
	struct store_mailbox_fetch x = {.mailbox = "pop3://u@h",
	                                .at = T0 + 5,
	                                .outcome = "ok",
	                                .messages = 2,
	                                .summary = "2 hard bounces"};

	assert_int_equal(store_mailbox_fetch_each(s, collect_fetch, &a), 0);
	assert_string_equal(a.text, "");
	assert_int_equal(store_mailbox_fetch_put(s, &x), 0);
	x.mailbox = "imap://u@h/INBOX;v=7";
	x.at = T0 + 9;
	x.outcome = "login";
	x.why = "535 5.7.8 authentication failed";
	x.messages = 0;
	x.summary = NULL;
	assert_int_equal(store_mailbox_fetch_put(s, &x), 0);
	/* the pop3 mailbox fetched again, nothing new */
	x = (struct store_mailbox_fetch){.mailbox = "pop3://u@h",
	                                 .at = T0 + 60,
	                                 .outcome = "ok",
	                                 .summary = "nothing new"};
	assert_int_equal(store_mailbox_fetch_put(s, &x), 0);
	assert_int_equal(store_mailbox_fetch_each(s, collect_fetch, &a), 0);
	assert_string_equal(a.text,
	                    "imap://u@h/INBOX;v=7|9|login|535 5.7.8 "
	                    "authentication failed|0|;pop3://u@h|60|ok||0|"
	                    "nothing new;");
}

struct keys_seen {
	char text[256];
};

/* Collects "id:hex:signs;" of token_key_each. */
static int
collect_key(void *arg, int64_t id, const char *hex, bool signs, time_t at)
{
	struct keys_seen *k = arg;
	size_t n = strlen(k->text);

	snprintf(k->text + n, sizeof(k->text) - n, "%lld:%s:%d;", (long long)id,
	         hex, signs);
	assert_true(at == T0);
	return 0;
}

/* The token keys: kept, newest first, whether each signs, never twice,
 * after a reopen too; a new SQLite file is 0600. */
static void
test_token_keys(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	struct keys_seen k = {""};
	char err[256], path[300];
	struct stat sb;
	int64_t a, b;

	assert_int_equal(store_token_key_each(s, collect_key, &k), 0);
	assert_string_equal(k.text, "");
	assert_int_equal(store_token_key_add(s, "aa11", true, T0, &a), 0);
	assert_int_equal(store_token_key_add(s, "bb22", false, T0, &b), 0);
	assert_true(b > a);
	assert_int_equal(store_token_key_add(s, "aa11", true, T0, &b), MC_EIO);
	assert_int_equal(store_token_key_add(s, "", true, T0, &b), MC_EINVAL);
	store_close(s);
	f->s = s = store_open(f->url, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(store_token_key_each(s, collect_key, &k), 0);
	snprintf(path, sizeof(path), "%lld:bb22:0;%lld:aa11:1;",
	         (long long)a + 1, (long long)a);
	assert_string_equal(k.text, path);
	if (strcmp(f->be->name, "sqlite") == 0) {
		snprintf(path, sizeof(path), "%s/t.db", f->dir);
		assert_int_equal(stat(path, &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0600);
	}
}

struct holders_seen {
	size_t n;
	char owner[4][32];
	unsigned long rows[4];
	long pid[4];
	unsigned timeout[4];
	time_t heartbeat[4];
};

static int
see_holder(void *arg, const struct store_holder *h)
{
	struct holders_seen *w = arg;

	if (w->n < 4) {
		snprintf(w->owner[w->n], sizeof(w->owner[0]), "%s", h->owner);
		w->rows[w->n] = h->rows;
		w->pid[w->n] = h->pid;
		w->timeout[w->n] = h->timeout;
		w->heartbeat[w->n] = h->heartbeat;
		assert_string_equal(h->host, "h1");
	}
	w->n++;
	return 0;
}

/* Lease holders: heartbeat, takeover of a stale one (its inflight rows
 * resent with an event each), a live one left alone, and a taken-over
 * holder that wakes: its marks and outcomes no longer land. */
static void
test_lease_holders(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	struct store_delivery d[4];
	struct store_holder a = {.owner = "run-a",
	                         .host = "h1",
	                         .pid = 11,
	                         .started = T0,
	                         .heartbeat = T0,
	                         .timeout = 10};
	struct store_holder b = a;
	struct store_outcome o = {.state = DLV_SENT, .reply_code = 250};
	struct holders_seen w;
	unsigned long counts[DLV__COUNT], k;
	int64_t list, camp, ida[2], idb[2];
	size_t n, moved, inflight, pending;

	list = make_list(s, 4);
	assert_int_equal(store_campaign_create(s, "h", list, T0, &camp), 0);
	a.campaign_id = b.campaign_id = camp;
	b.owner = "run-b";
	b.pid = 22;
	b.started = T0 + 1;
	assert_int_equal(store_holder_add(s, &a), 0);
	assert_int_equal(store_holder_add(s, &b), 0);
	assert_true(store_holder_add(s, &a) < 0); /* one record per owner */

	/* two rows each; one of each in flight */
	assert_int_equal(store_lease(s, camp, "run-a", T0, 1800, d, 2, &n), 0);
	assert_int_equal(n, 2);
	ida[0] = d[0].id;
	ida[1] = d[1].id;
	store_deliveries_fini(d, n);
	assert_int_equal(store_lease(s, camp, "run-b", T0, 1800, d, 2, &n), 0);
	assert_int_equal(n, 2);
	idb[0] = d[0].id;
	idb[1] = d[1].id;
	store_deliveries_fini(d, n);
	assert_int_equal(store_mark_inflight(s, ida, 1, "run-a", T0, &moved),
	                 0);
	assert_int_equal(moved, 1);
	assert_int_equal(store_mark_inflight(s, idb, 1, "run-b", T0, &moved),
	                 0);
	assert_int_equal(moved, 1);

	memset(&w, 0, sizeof(w));
	assert_int_equal(store_holder_each(s, camp, see_holder, &w), 0);
	assert_int_equal(w.n, 2);
	assert_string_equal(w.owner[0], "run-a"); /* oldest first */
	assert_int_equal(w.rows[0], 2);
	assert_int_equal(w.pid[0], 11);
	assert_int_equal(w.timeout[0], 10);
	assert_string_equal(w.owner[1], "run-b");
	assert_int_equal(w.rows[1], 2);

	/* a beats; b falls silent */
	assert_int_equal(store_holder_beat(s, "run-a", T0 + 12), 0);
	assert_int_equal(store_holder_beat(s, "nobody", T0 + 12), MC_ENOTFOUND);
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_holder_each(s, camp, see_holder, &w), 0);
	assert_int_equal(w.heartbeat[0], T0 + 12);
	assert_int_equal(w.heartbeat[1], T0 + 1); /* its start */

	/* a live holder is not taken: nothing moves */
	assert_int_equal(store_holder_take(s, camp, "run-a", T0 + 12 - 10,
	                                   T0 + 13, &inflight, &pending),
	                 MC_EAGAIN);
	assert_int_equal(inflight + pending, 0);
	/* the stale one is: its inflight row back to pending with an event,
	 * its pending row freed, its record gone */
	assert_int_equal(store_holder_take(s, camp, "run-b", T0 + 13 - 10,
	                                   T0 + 13, &inflight, &pending),
	                 0);
	assert_int_equal(inflight, 1);
	assert_int_equal(pending, 1);
	assert_int_equal(store_count_states(s, camp, counts), 0);
	assert_int_equal(counts[DLV_INFLIGHT], 1); /* a's */
	assert_int_equal(counts[DLV_PENDING], 3);
	k = 0;
	assert_int_equal(
	    store_event_each(s, camp, "inflight-unknown", count_event, &k), 0);
	assert_int_equal(k, 1);
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_holder_each(s, camp, see_holder, &w), 0);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.owner[0], "run-a");

	/* b's rows are in the pool at once (their 30-minute lease gone) */
	assert_int_equal(store_lease(s, camp, "run-a", T0 + 13, 1800, d, 4, &n),
	                 0);
	assert_int_equal(n, 2);
	assert_true((d[0].id == idb[0] || d[0].id == idb[1]) &&
	            (d[1].id == idb[0] || d[1].id == idb[1]));
	store_deliveries_fini(d, n);

	/* b wakes: its heartbeat finds no record, its marks and outcomes
	 * of the rows it lost do not land */
	assert_int_equal(store_holder_beat(s, "run-b", T0 + 14), MC_ENOTFOUND);
	assert_int_equal(
	    store_mark_inflight(s, idb, 2, "run-b", T0 + 14, &moved), 0);
	assert_int_equal(moved, 0);
	o.id = idb[0];
	o.owner = "run-b";
	assert_int_equal(store_record(s, &o, 1, T0 + 14), 0);
	assert_int_equal(store_count_states(s, camp, counts), 0);
	assert_int_equal(counts[DLV_SENT], 0); /* skipped, not an error */
	o.owner = "run-a";
	assert_int_equal(store_record(s, &o, 1, T0 + 14), 0);
	assert_int_equal(store_count_states(s, camp, counts), 0);
	assert_int_equal(counts[DLV_SENT], 1); /* a's outcome only */

	/* a dead holder is taken whatever its heartbeat (stale_before 0);
	 * a run that ends removes its record */
	assert_int_equal(store_holder_take(s, camp, "run-a", 0, T0 + 15,
	                                   &inflight, &pending),
	                 0);
	assert_int_equal(inflight, 1);
	assert_int_equal(pending, 2); /* its own and one of b's old */
	assert_int_equal(store_holder_add(s, &b), 0);
	assert_int_equal(store_holder_end(s, "run-b"), 0);
	assert_int_equal(store_holder_end(s, "run-b"), 0);
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_holder_each(s, camp, see_holder, &w), 0);
	assert_int_equal(w.n, 0);
}

/* Migrations from the first schema: a store made at schema 1 and filled
 * keeps its rows through each later migration, and what the later
 * schemas added works on it. */
static void
test_migrations(void **state)
{
	struct fixture *f = *state;
	struct store *s;
	struct store_suppression hit;
	struct store_delivery d[4];
	unsigned long n, counts[DLV__COUNT];
	int64_t list, camp, id, key;
	int was = -1, result, joined, added, seen;
	size_t nd;
	char err[256];

	/* The fixture's store is already at the newest schema: reopening
	 * it finds that version and changes nothing. */
	store_close(f->s);
	f->s = store_open_schema(f->url, STORE_SCHEMA_LATEST, &was, err,
	                         sizeof(err));
	assert_non_null(f->s);
	assert_int_equal(was, store_schema_latest());
	assert_int_equal(f->s->schema, store_schema_latest());
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(f->be->drop(f->dir), 0);
	assert_int_equal(
	    f->be->fresh(f->url, sizeof(f->url), f->dir, sizeof(f->dir)), 0);

	/* Schema 1: the tables of the first release, filled. */
	f->s = s = store_open_schema(f->url, 1, &was, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(was, 0);
	assert_int_equal(s->schema, 1);
	assert_int_equal(store_list_ensure(s, "news", T0, &list), 0);
	assert_int_equal(store_contact_upsert(s, "a@x.example", "x.example",
	                                      "{\"n\":\"A\"}", list, T0,
	                                      &result, &joined),
	                 0);
	assert_int_equal(store_contact_upsert(s, "b@y.example", "y.example",
	                                      "{}", list, T0, &result, &joined),
	                 0);
	assert_int_equal(
	    store_supp_add(s, "@y.example", SUPP_MANUAL, "cli", T0, &added), 0);
	assert_int_equal(store_campaign_create(s, "c1", list, T0, &camp), 0);
	assert_int_equal(store_lease(s, camp, "run-1", T0, 60, d, 4, &nd), 0);
	assert_int_equal(nd, 1);
	store_deliveries_fini(d, nd);
	/* schema 1 knows no soft-bounces reason */
	assert_true(store_supp_add(s, "c@z.example", SUPP_SOFT_BOUNCES, "x", T0,
	                           &added) < 0);
	store_close(s);

	/* One step (to 3), then the rest. */
	f->s = s = store_open_schema(f->url, 3, &was, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(was, 1);
	assert_int_equal(s->schema, 3);
	assert_int_equal(store_supp_add(s, "c@z.example", SUPP_SOFT_BOUNCES,
	                                "x", T0, &added),
	                 0);
	assert_int_equal(added, 1);
	store_close(s);
	f->s = s = store_open(f->url, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(s->schema, store_schema_latest());

	/* The rows of schema 1 are all there. */
	assert_int_equal(store_contact_count(s, list, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_campaign_find(s, "c1", &id), 0);
	assert_true(id == camp);
	assert_int_equal(store_count_states(s, camp, counts), 0);
	assert_int_equal(counts[DLV_PENDING], 1);
	assert_int_equal(counts[DLV_SUPPRESSED], 1);
	assert_int_equal(store_supp_check(s, "b@y.example", &hit), 0);
	assert_string_equal(hit.entry, "@y.example");
	assert_int_equal(store_supp_check(s, "c@z.example", &hit), 0);
	assert_int_equal(hit.reason, SUPP_SOFT_BOUNCES);
	/* The lease taken under schema 1 still holds. */
	assert_int_equal(store_lease(s, camp, "run-2", T0 + 1, 60, d, 4, &nd),
	                 0);
	assert_int_equal(nd, 0);

	/* What schemas 3 to 5 added works on the migrated store. */
	assert_int_equal(store_mailbox_seen_put(s, "pop3://u@h", "1",
	                                        STORE_SEEN_DONE, "x", T0),
	                 0);
	assert_int_equal(store_mailbox_seen_get(s, "pop3://u@h", "1", &seen),
	                 0);
	assert_int_equal(seen, STORE_SEEN_DONE);
	assert_int_equal(store_token_key_add(s, "aa11", true, T0, &key), 0);
	struct store_holder h = {.owner = "run-3",
	                         .campaign_id = camp,
	                         .host = "h",
	                         .pid = 1,
	                         .started = T0,
	                         .heartbeat = T0,
	                         .timeout = 30};
	assert_int_equal(store_holder_add(s, &h), 0);
	assert_int_equal(store_holder_beat(s, "run-3", T0 + 1), 0);
}

/*
 * Workers on separate connections at once (a backend for several hosts;
 * SQLite has one writer at a time by design, so it skips): a lease taken
 * inside a transaction not yet committed does not make another worker
 * wait (its lock_timeout of 2 s would fail the lease) and hands it the
 * other rows; the group commit of one worker's outcomes lands whole.
 */
static void
test_concurrent_leases(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s, *s2;
	struct store_delivery d[20], e[20];
	struct store_outcome o[4];
	unsigned long counts[DLV__COUNT];
	int64_t list, camp;
	size_t n, m, moved;
	char url[600], err[256];

	if (strcmp(s->ops->name, "postgresql") != 0)
		skip();
	snprintf(url, sizeof(url), "%s?options=-clock_timeout%%3D2000", f->url);
	s2 = store_open(url, err, sizeof(err));
	assert_non_null(s2);
	list = make_list(s, 10);
	assert_int_equal(store_campaign_create(s, "c", list, T0, &camp), 0);

	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_lease(s, camp, "A", T0, 600, d, 4, &n), 0);
	assert_int_equal(n, 4);
	/* A's transaction is open: B neither waits nor gets A's rows */
	assert_int_equal(store_lease(s2, camp, "B", T0, 600, e, 20, &m), 0);
	assert_int_equal(m, 6);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < m; j++)
			assert_true(d[i].id != e[j].id);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_lease(s2, camp, "C", T0 + 1, 60, e + m, 20, &n),
	                 0);
	assert_int_equal(n, 0);

	/* B's outcomes in one transaction: none is visible to A before the
	 * commit, all of them after */
	int64_t ids[4] = {e[0].id, e[1].id, e[2].id, e[3].id};

	assert_int_equal(store_mark_inflight(s2, ids, 4, "B", T0 + 2, &moved),
	                 0);
	assert_int_equal(moved, 4);
	memset(o, 0, sizeof(o));
	for (int i = 0; i < 4; i++) {
		o[i].id = ids[i];
		o[i].state = DLV_SENT;
		o[i].reply_code = 250;
		o[i].owner = "B";
	}
	assert_int_equal(store_begin(s2), 0);
	assert_int_equal(store_record(s2, o, 2, T0 + 3), 0);
	assert_int_equal(store_record(s2, o + 2, 2, T0 + 3), 0);
	assert_int_equal(store_count_states(s, camp, counts), 0);
	assert_int_equal(counts[DLV_SENT], 0);
	assert_int_equal(counts[DLV_INFLIGHT], 4);
	assert_int_equal(store_commit(s2), 0);
	assert_int_equal(store_count_states(s, camp, counts), 0);
	assert_int_equal(counts[DLV_SENT], 4);
	assert_int_equal(counts[DLV_INFLIGHT], 0);
	store_deliveries_fini(d, 4);
	store_deliveries_fini(e, m);
	store_close(s2);
}

/* slot_each: appends "dest#slot=holder;" to a string. */
static int
see_slot(void *arg, const struct store_slot *sl)
{
	char *out = arg;

	snprintf(out + strlen(out), 256 - strlen(out), "%s#%u=%s/p%u;",
	         sl->dest, sl->slot, sl->holder, sl->penalty);
	return 0;
}

/* Fleet limits: slots under a cap, given back, expired, renewed; the
 * shared slow-down halves the cap and the back-off refuses every slot;
 * the token bucket refills at its rate up to its burst.  On PostgreSQL
 * a second connection sees the first's slots. */
static void
test_fleet_slots(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s, *s2 = s;
	const int64_t t = 1700000000000LL; /* ms */
	unsigned slot = 99, g = 0;
	unsigned long kept = 0;
	char seen[256] = "", err[256];

	if (strcmp(s->ops->name, "postgresql") == 0) {
		s2 = store_open(f->url, err, sizeof(err));
		assert_non_null(s2);
	}
	/* a cap of 2: A takes slot 0, B slot 1, C none */
	assert_int_equal(store_slot_take(s, "mx.a", 2, "A", t, t + 1000, &slot),
	                 0);
	assert_int_equal(slot, 0);
	assert_int_equal(
	    store_slot_take(s2, "mx.a", 2, "B", t, t + 1000, &slot), 0);
	assert_int_equal(slot, 1);
	assert_int_equal(store_slot_take(s, "mx.a", 2, "C", t, t + 1000, &slot),
	                 MC_EAGAIN);
	/* another destination has its own slots */
	assert_int_equal(store_slot_take(s, "mx.b", 1, "C", t, t + 1000, &slot),
	                 0);
	assert_int_equal(slot, 0);
	assert_int_equal(store_slot_each(s2, t, see_slot, seen), 0);
	assert_string_equal(seen, "mx.a#0=A/p0;mx.a#1=B/p0;mx.b#0=C/p0;");
	/* only its holder gives a slot back */
	assert_int_equal(store_slot_give(s, "mx.a", 0, "C"), 0);
	assert_int_equal(store_slot_take(s, "mx.a", 2, "C", t, t + 1000, &slot),
	                 MC_EAGAIN);
	assert_int_equal(store_slot_give(s, "mx.a", 0, "A"), 0);
	assert_int_equal(store_slot_take(s, "mx.a", 2, "C", t, t + 1000, &slot),
	                 0);
	assert_int_equal(slot, 0);
	/* B renews; C does not: at t + 1500 C's slot is free, B's is not */
	assert_int_equal(store_slot_renew(s2, "B", t + 900, t + 2000, &kept),
	                 0);
	assert_int_equal(kept, 1);
	assert_int_equal(
	    store_slot_take(s, "mx.a", 2, "D", t + 1500, t + 3000, &slot), 0);
	assert_int_equal(slot, 0);
	/* a renewal after expiry keeps nothing: C was cut off (both its
	 * slots expired at t + 1000) */
	assert_int_equal(store_slot_renew(s, "C", t + 1600, t + 3000, &kept),
	                 0);
	assert_int_equal(kept, 0);
	/* slowed one step: a cap of 4 is 2, both held (D, B) */
	assert_int_equal(store_dest_slow(s2, "mx.a", 1, 0), 0);
	assert_int_equal(
	    store_slot_take(s, "mx.a", 4, "E", t + 1600, t + 3000, &slot),
	    MC_EAGAIN);
	assert_int_equal(store_dest_slow(s, "mx.a", 0, 0), 0);
	assert_int_equal(
	    store_slot_take(s, "mx.a", 4, "E", t + 1600, t + 3000, &slot), 0);
	assert_int_equal(slot, 2);
	/* backed off until t + 5000: no slot before, one after */
	assert_int_equal(store_slot_give(s, "mx.a", 2, "E"), 0);
	assert_int_equal(store_dest_slow(s2, "mx.a", 0, t + 5000), 0);
	assert_int_equal(store_dest_slow(s, "mx.a", 0, t + 100), 0); /* kept */
	assert_int_equal(
	    store_slot_take(s, "mx.a", 4, "E", t + 4999, t + 9000, &slot),
	    MC_EAGAIN);
	assert_int_equal(
	    store_slot_take(s, "mx.a", 4, "E", t + 5000, t + 9000, &slot), 0);

	/* tokens: 10/s, burst 5: 5 at once, then 1 per 100 ms */
	assert_int_equal(store_dest_tokens(s, "mx.c", 10, 5, 8, t, &g), 0);
	assert_int_equal(g, 5);
	assert_int_equal(store_dest_tokens(s2, "mx.c", 10, 5, 8, t + 50, &g),
	                 0);
	assert_int_equal(g, 0);
	assert_int_equal(store_dest_tokens(s2, "mx.c", 10, 5, 8, t + 350, &g),
	                 0);
	assert_int_equal(g, 3);
	assert_int_equal(store_dest_tokens(s, "mx.c", 10, 5, 8, t + 10000, &g),
	                 0);
	assert_int_equal(g, 5);
	/* slowed one step: half the rate */
	assert_int_equal(store_dest_slow(s, "mx.c", 1, 0), 0);
	assert_int_equal(store_dest_tokens(s, "mx.c", 10, 5, 8, t + 10400, &g),
	                 0);
	assert_int_equal(g, 2);
	if (s2 != s)
		store_close(s2);
}

/* campaign_each: appends "name:status;" to a string. */
static int
see_campaign(void *arg, const struct store_campaign *c)
{
	char *out = arg;

	snprintf(out + strlen(out), 256 - strlen(out), "%s:%s;", c->name,
	         c->status);
	return 0;
}

/* Campaigns by status, in id order (what a worker looks for). */
static void
test_campaign_each(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	int64_t list, a, b, c;
	char out[256] = "";

	list = make_list(s, 2);
	assert_int_equal(store_campaign_each(s, NULL, see_campaign, out), 0);
	assert_string_equal(out, "");
	assert_int_equal(store_campaign_create(s, "zz", list, T0, &a), 0);
	assert_int_equal(store_campaign_create(s, "aa", list, T0, &b), 0);
	assert_int_equal(store_campaign_create(s, "mm", list, T0, &c), 0);
	assert_int_equal(store_campaign_set_status(s, a, "running"), 0);
	assert_int_equal(store_campaign_set_status(s, c, "running"), 0);
	assert_int_equal(store_campaign_set_status(s, b, "paused"), 0);
	assert_int_equal(store_campaign_each(s, "running", see_campaign, out),
	                 0);
	assert_string_equal(out, "zz:running;mm:running;");
	out[0] = '\0';
	assert_int_equal(store_campaign_each(s, NULL, see_campaign, out), 0);
	assert_string_equal(out, "zz:running;aa:paused;mm:running;");
	out[0] = '\0';
	assert_int_equal(store_campaign_each(s, "done", see_campaign, out), 0);
	assert_string_equal(out, "");
}

/* Double opt-in: a pending contact is counted, not taken by a campaign,
 * not suppressed; signup_mark lets one confirmation through per window
 * and address; signup_contact gives a contact's address and status. */
static void
test_signups(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	unsigned long tally[CONTACT__COUNT], counts[DLV__COUNT];
	struct store_suppression hit;
	char addr[STORE_ADDRESS_MAX + 1], st[32];
	int64_t list, id, camp;
	int changed, sent;

	list = make_list(s, 3);
	assert_int_equal(store_contact_lookup(s, 0, "c1@d1.example", &id), 0);
	assert_int_equal(
	    store_contact_set_status(s, id, CONTACT_PENDING, T0, &changed), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(store_contact_tally(s, list, tally), 0);
	assert_int_equal(tally[CONTACT_PENDING], 1);
	assert_int_equal(tally[CONTACT_ACTIVE], 2);
	assert_int_equal(store_supp_check(s, "c1@d1.example", &hit),
	                 MC_ENOTFOUND);
	assert_int_equal(store_campaign_create(s, "c", list, T0, &camp), 0);
	assert_int_equal(store_count_states(s, camp, counts), 0);
	assert_int_equal(counts[DLV_PENDING], 2);
	assert_int_equal(counts[DLV_SUPPRESSED], 0);
	assert_int_equal(
	    store_signup_contact(s, id, addr, sizeof(addr), st, sizeof(st)), 0);
	assert_string_equal(addr, "c1@d1.example");
	assert_string_equal(st, "pending");
	assert_int_equal(store_signup_contact(s, id + 1000, addr, sizeof(addr),
	                                      st, sizeof(st)),
	                 MC_ENOTFOUND);

	assert_int_equal(store_signup_mark(s, "a@x.example", list, "192.0.2.1",
	                                   T0, 86400, &sent),
	                 0);
	assert_int_equal(sent, 1);
	assert_int_equal(store_signup_mark(s, "a@x.example", list, "192.0.2.2",
	                                   T0 + 86399, 86400, &sent),
	                 0);
	assert_int_equal(sent, 0);
	assert_int_equal(store_signup_mark(s, "b@x.example", list, "192.0.2.1",
	                                   T0 + 10, 86400, &sent),
	                 0);
	assert_int_equal(sent, 1);
	assert_int_equal(store_signup_mark(s, "a@x.example", list, "192.0.2.2",
	                                   T0 + 86400, 86400, &sent),
	                 0);
	assert_int_equal(sent, 1);
	assert_int_equal(store_signup_mark(s, "a@x.example", list, "192.0.2.2",
	                                   T0 + 86401, 86400, &sent),
	                 0);
	assert_int_equal(sent, 0);
}

/* A bare path is a SQLite store (per backend only to share the fixture's
 * temporary directory). */
static void
test_bare_path(void **state)
{
	struct fixture *f = *state;
	struct store *s;
	char path[300], err[256];
	int64_t id;

	if (strcmp(f->be->name, "sqlite") != 0)
		skip();
	snprintf(path, sizeof(path), "%s/bare.db", f->dir);
	s = store_open(path, err, sizeof(err));
	assert_non_null(s);
	assert_string_equal(s->ops->name, "sqlite");
	assert_int_equal(store_list_ensure(s, "l", T0, &id), 0);
	store_close(s);
	assert_int_equal(access(path, F_OK), 0);
}

/* Appends a contact's address and a space. */
static int
see_contact(void *arg, const struct store_contact *c)
{
	strcat(arg, c->address);
	strcat(arg, " ");
	return 0;
}

/* The addresses of list (0: every contact) matching text, "a b". */
static const char *
seg_match(struct store *s, int64_t list, const char *text)
{
	static char out[512];
	struct segment *seg;
	char err[256];
	unsigned long n = 99, words = 0;

	if (segment_parse(text, &seg, err, sizeof(err)) != 0)
		fail_msg("%s: %s", text, err);
	out[0] = '\0';
	if (store_segment_each(s, list, seg, T0, see_contact, out) != 0)
		fail_msg("%s: %s", text, store_error(s));
	assert_int_equal(store_segment_count(s, list, seg, T0, &n), 0);
	for (const char *p = out; *p; p++)
		words += *p == ' ';
	if (words != n)
		fail_msg("%s: count %lu, each gave '%s'", text, n, out);
	segment_free(seg);
	if (out[0])
		out[strlen(out) - 1] = '\0';
	return out;
}

/* A contact as "address status lists". */
static int
see_lists(void *arg, const struct store_contact *c)
{
	sprintf(arg, "%s %s %s", c->address, c->status, c->lists);
	return 0;
}

/* A campaign file as "seq:name:len:hex of its bytes;". */
static int
see_file(void *arg, const struct store_campaign_file *f)
{
	char *out = arg;

	sprintf(out + strlen(out), "%d:%s:%zu:", f->seq, f->name, f->len);
	for (size_t i = 0; i < f->len; i++)
		sprintf(out + strlen(out), "%02x",
		        ((const unsigned char *)f->data)[i]);
	strcat(out, ";");
	return 0;
}

/* Segments (count, each, add to a list, a campaign of the matching) and
 * a campaign's frozen files, schedule and deletion. */
static void
test_segments_and_campaign_files(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	struct store_campaign c;
	struct store_campaign_file file;
	struct segment *seg;
	char err[256], got[512] = "";
	int64_t news, vip, copy, id, due;
	unsigned long n;
	int result, joined;

	assert_int_equal(store_list_ensure(s, "news", T0, &news), 0);
	assert_int_equal(store_list_ensure(s, "vip", T0, &vip), 0);
	assert_int_equal(store_list_ensure(s, "copy", T0, &copy), 0);
	assert_int_equal(
	    store_contact_upsert(s, "a@x.example", "x.example",
	                         "{\"city\":\"Zürich\",\"rating\":\"5\"}", news,
	                         T0, &result, &joined),
	    0);
	assert_int_equal(
	    store_contact_upsert(s, "a@x.example", "x.example",
	                         "{\"city\":\"Zürich\",\"rating\":\"5\"}", vip,
	                         T0, &result, &joined),
	    0);
	assert_int_equal(
	    store_contact_upsert(s, "b@x.example", "x.example",
	                         "{\"city\":\"Paris\",\"rating\":\"10\"}", news,
	                         T0, &result, &joined),
	    0);
	assert_int_equal(
	    store_contact_upsert(s, "c@y.example", "y.example",
	                         "{\"city\":\"zürich\",\"rating\":\"n/a\"}",
	                         news, T0, &result, &joined),
	    0);
	assert_int_equal(store_contact_upsert(s, "d@y.example", "y.example",
	                                      "{\"rating\":\"7\"}", 0, T0,
	                                      &result, &joined),
	                 0);

	assert_string_equal(seg_match(s, news, "city = \"Zürich\""),
	                    "a@x.example");
	assert_string_equal(seg_match(s, 0, "rating >= 5"),
	                    "a@x.example b@x.example d@y.example");
	assert_string_equal(seg_match(s, news, "rating >= 5"),
	                    "a@x.example b@x.example");
	assert_string_equal(seg_match(s, news, "not city = \"Zürich\""),
	                    "b@x.example c@y.example");
	assert_string_equal(seg_match(s, news, "city contains \"ÜR\""), "");
	assert_string_equal(seg_match(s, news, "city contains \"üR\""),
	                    "a@x.example c@y.example");
	assert_string_equal(seg_match(s, 0, "in_list(\"vip\")"), "a@x.example");
	assert_string_equal(seg_match(s, 0, "city is not set"), "d@y.example");

	/* the matching members of news join vip (a is one already) */
	assert_int_equal(segment_parse("rating >= 5", &seg, err, sizeof(err)),
	                 0);
	assert_int_equal(store_segment_add_to_list(s, news, seg, T0, vip, &n),
	                 0);
	assert_int_equal(n, 1);
	assert_string_equal(seg_match(s, vip, "rating > 0"),
	                    "a@x.example b@x.example");
	/* every contact matching joins copy */
	assert_int_equal(store_segment_add_to_list(s, 0, seg, T0, copy, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(store_member_copy(s, copy, news, T0, &n), 0);
	assert_int_equal(n, 1); /* c; a and b were there */
	assert_int_equal(
	    store_campaign_create_segment(s, "seg", news, seg, T0, &id, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(
	    store_campaign_create_segment(s, "seg", news, seg, T0, &due, &n),
	    MC_EINVAL);
	segment_free(seg);
	assert_int_equal(store_contact_count(s, copy, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(store_contact_get(s, "b@x.example", see_lists, got),
	                 0);
	assert_string_equal(got,
	                    "b@x.example active [\"copy\",\"news\",\"vip\"]");
	assert_int_equal(store_contact_get(s, "z@x.example", see_lists, got),
	                 MC_ENOTFOUND);
	got[0] = '\0';

	/* frozen files: bytes as given (a NUL, 0xff), a seq replaced */
	file = (struct store_campaign_file){0, "t.txt", "Hi\0\xff", 4};
	assert_int_equal(store_campaign_file_put(s, id, &file), 0);
	file = (struct store_campaign_file){1, "a.bin", "old", 3};
	assert_int_equal(store_campaign_file_put(s, id, &file), 0);
	file = (struct store_campaign_file){1, "b.bin", "", 0};
	assert_int_equal(store_campaign_file_put(s, id, &file), 0);
	assert_int_equal(store_campaign_file_each(s, id, see_file, got), 0);
	assert_string_equal(got, "0:t.txt:4:486900ff;1:b.bin:0:;");

	/* a schedule is claimed once, when due */
	assert_int_equal(store_campaign_schedule(s, id, T0 + 100), 0);
	assert_int_equal(store_campaign_get(s, id, &c), 0);
	assert_int_equal(c.scheduled, T0 + 100);
	assert_int_equal(store_campaign_claim_due(s, T0 + 99, &due),
	                 MC_ENOTFOUND);
	assert_int_equal(store_campaign_claim_due(s, T0 + 100, &due), 0);
	assert_int_equal(due, id);
	assert_int_equal(store_campaign_claim_due(s, T0 + 100, &due),
	                 MC_ENOTFOUND);
	assert_int_equal(store_campaign_get(s, id, &c), 0);
	assert_int_equal(c.scheduled, 0);
	assert_int_equal(store_campaign_schedule(s, id + 1000, T0),
	                 MC_ENOTFOUND);

	/* deleted: the campaign, its rows and files */
	assert_int_equal(store_campaign_delete(s, id), 0);
	assert_int_equal(store_campaign_get(s, id, &c), MC_ENOTFOUND);
	assert_int_equal(store_campaign_delete(s, id), MC_ENOTFOUND);
	got[0] = '\0';
	assert_int_equal(store_campaign_file_each(s, id, see_file, got), 0);
	assert_string_equal(got, "");
}

/* Collects "id:name:scope:hash:revoked;" of api_token_each. */
static int
collect_api_token(void *arg, const struct store_api_token *t)
{
	struct keys_seen *k = arg;
	size_t n = strlen(k->text);

	snprintf(k->text + n, sizeof(k->text) - n, "%lld:%s:%s:%s:%lld;",
	         (long long)t->id, t->name, t->scope, t->hash,
	         (long long)t->revoked);
	assert_true(t->created == T0);
	return 0;
}

/* REST API tokens: added in id order, one by id, revoked once (a second
 * revoke and an unknown id are MC_ENOTFOUND), kept after a reopen. */
static void
test_api_tokens(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	struct store_api_token t = {
	    .scope = "write", .hash = "ab", .created = T0};
	struct keys_seen k = {""};
	char err[256], want[256];
	int64_t a, b;

	assert_int_equal(store_api_token_each(s, 0, collect_api_token, &k), 0);
	assert_string_equal(k.text, "");
	snprintf(t.name, sizeof(t.name), "ci");
	assert_int_equal(store_api_token_add(s, &t, &a), 0);
	snprintf(t.scope, sizeof(t.scope), "read");
	snprintf(t.hash, sizeof(t.hash), "cd");
	t.name[0] = '\0';
	assert_int_equal(store_api_token_add(s, &t, &b), 0);
	assert_true(b > a);
	assert_int_equal(store_api_token_revoke(s, b, T0 + 5), 0);
	assert_int_equal(store_api_token_revoke(s, b, T0 + 6), MC_ENOTFOUND);
	assert_int_equal(store_api_token_revoke(s, b + 100, T0), MC_ENOTFOUND);
	store_close(s);
	f->s = s = store_open(f->url, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(store_api_token_each(s, 0, collect_api_token, &k), 0);
	snprintf(want, sizeof(want), "%lld:ci:write:ab:0;%lld::read:cd:%lld;",
	         (long long)a, (long long)b, (long long)T0 + 5);
	assert_string_equal(k.text, want);
	k.text[0] = '\0';
	assert_int_equal(store_api_token_each(s, a, collect_api_token, &k), 0);
	snprintf(want, sizeof(want), "%lld:ci:write:ab:0;", (long long)a);
	assert_string_equal(k.text, want);
}

/* Collect tracked links as "idx:url:hits:contacts;". */
static int
collect_link(void *arg, int idx, const char *url, int64_t hits,
             int64_t contacts)
{
	char *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 512 - n, "%d:%s:%lld:%lld;", idx, url,
	         (long long)hits, (long long)contacts);
	return 0;
}

/* Click tracking: the link table, hits per link and contact, erasure. */
static void
test_track(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	char got[512] = "";
	int64_t a, b;

	assert_int_equal(store_track_link_put(s, 7, 0, "https://a.example/"),
	                 0);
	assert_int_equal(store_track_link_put(s, 7, 1, "https://b.example/"),
	                 0);
	/* an existing link stays as it was */
	assert_int_equal(store_track_link_put(s, 7, 0, "https://evil/"), 0);
	assert_int_equal(store_track_link_put(s, 7, -1, "x"), MC_EINVAL);
	assert_int_equal(store_track_link_each(s, 7, collect_link, got), 0);
	assert_string_equal(got, "-1::0:0;0:https://a.example/:0:0;"
	                         "1:https://b.example/:0:0;");
	a = 11;
	b = 12;
	assert_int_equal(store_track_hit(s, 7, 0, a, T0), 0);
	assert_int_equal(store_track_hit(s, 7, 0, a, T0), 0);
	assert_int_equal(store_track_hit(s, 7, 0, b, T0), 0);
	assert_int_equal(store_track_hit(s, 7, -1, b, T0), 0);
	assert_int_equal(store_track_hit(s, 8, 1, b, T0), 0);
	got[0] = '\0';
	assert_int_equal(store_track_link_each(s, 7, collect_link, got), 0);
	assert_string_equal(got, "-1::1:1;0:https://a.example/:3:2;"
	                         "1:https://b.example/:0:0;");
	got[0] = '\0';
	assert_int_equal(store_track_link_each(s, 9, collect_link, got), 0);
	assert_string_equal(got, "-1::0:0;");
}

/* Dashboard users: put (insert, then replace with the lock cleared), get,
 * mark; unknown names are MC_ENOTFOUND; kept after a reopen. */
static void
test_users(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	struct store_user u, g;
	char err[256];

	memset(&u, 0, sizeof(u));
	strcpy(u.name, "alice");
	strcpy(u.role, "admin");
	strcpy(u.hash, "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA");
	u.created = T0;
	assert_int_equal(store_user_get(s, "alice", &g), MC_ENOTFOUND);
	assert_int_equal(store_user_put(s, &u), 0);
	assert_int_equal(store_user_get(s, "alice", &g), 0);
	assert_string_equal(g.role, "admin");
	assert_string_equal(g.hash, u.hash);
	assert_int_equal(g.failures, 0);
	assert_true(g.created == T0);
	assert_int_equal(store_user_mark(s, "alice", 5, T0 + 900), 0);
	assert_int_equal(store_user_mark(s, "bob", 1, 0), MC_ENOTFOUND);
	store_close(s);
	f->s = s = store_open(f->url, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(store_user_get(s, "alice", &g), 0);
	assert_int_equal(g.failures, 5);
	assert_true(g.locked_until == T0 + 900);
	strcpy(u.role, "viewer");
	strcpy(u.hash, "$argon2id$other");
	assert_int_equal(store_user_put(s, &u), 0);
	assert_int_equal(store_user_get(s, "alice", &g), 0);
	assert_string_equal(g.role, "viewer");
	assert_string_equal(g.hash, "$argon2id$other");
	assert_int_equal(g.failures, 0);
	assert_true(g.locked_until == 0);
}

/* store_webhook_each / _lease callback: "id:event:state:attempts:since"
 * and the payload's first 60 bytes, per row. */
static int
webhook_line(void *arg, const struct store_webhook *w)
{
	char *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 2048 - n, "%lld:%s:%s:%u:%lld:%s:%s|%.*s;",
	         (long long)w->id, w->event, w->state, w->attempts,
	         (long long)w->since, w->done_to, w->error ? w->error : "-", 60,
	         w->payload);
	return 0;
}

/* Webhooks: nothing written while disarmed; armed, a delivery's outcome,
 * a bounce with a source (not the engine's without), a complaint, an
 * unsubscribe event and a click each write one outbox row in their own
 * statement; leases are exclusive until they expire; settle checks the
 * owner; retry makes failed rows pending; disarmed again, nothing. */
static void
test_webhooks(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	struct store_delivery d[4];
	struct store_outcome o[2];
	int64_t list, camp, ids[4];
	char got[2048] = "";
	unsigned long n;
	size_t k;

	list = make_list(s, 3);
	assert_int_equal(store_campaign_create(s, "w", list, T0, &camp), 0);
	assert_int_equal(store_lease(s, camp, "e", T0, 600, d, 4, &k), 0);
	assert_int_equal(k, 3);
	for (size_t i = 0; i < k; i++)
		ids[i] = d[i].id;
	store_deliveries_fini(d, k);
	memset(o, 0, sizeof(o));
	o[0].id = ids[0];
	o[0].state = DLV_SENT;
	o[0].reply_code = 250;
	assert_int_equal(store_record(s, o, 1, T0 + 1), 0);
	assert_int_equal(store_webhook_each(s, NULL, webhook_line, got), 0);
	assert_string_equal(got, ""); /* not armed: nothing */

	assert_int_equal(store_webhook_arm(s, true), 0);
	assert_int_equal(store_webhook_arm(s, true), 0); /* idempotent */
	o[0].id = ids[1];
	o[0].state = DLV_DEFERRED; /* not an event */
	o[1].id = ids[2];
	o[1].state = DLV_FAILED;
	o[1].reply_code = 550;
	o[1].enhanced = "5.1.1";
	o[1].text = "no such user";
	assert_int_equal(store_record(s, o, 2, T0 + 2), 0);
	o[0].state = DLV_SENT;
	o[0].reply_code = 250;
	assert_int_equal(store_record(s, o, 1, T0 + 3), 0);
	struct store_bounce_row b = {
	    camp,          0,   "x@y.example", STORE_BOUNCE_HARD, "5.1.1",
	    "550 unknown", "m1"};
	assert_int_equal(store_bounce_record(s, &b, T0 + 4), 0);
	b.kind = STORE_BOUNCE_COMPLAINT;
	b.source = "m2";
	assert_int_equal(store_bounce_record(s, &b, T0 + 5), 0);
	b.source = NULL; /* the engine's note of a 5xx: no event */
	b.kind = STORE_BOUNCE_HARD;
	assert_int_equal(store_bounce_record(s, &b, T0 + 5), 0);
	assert_int_equal(
	    store_event_add(s, camp, 0, "unsubscribe", "x", T0 + 6), 0);
	assert_int_equal(store_event_add(s, camp, 0, "other", "x", T0 + 6), 0);
	assert_int_equal(store_track_link_put(s, camp, 0, "https://a.example/"),
	                 0);
	assert_int_equal(store_track_hit(s, camp, 0, 0, T0 + 7), 0);
	assert_int_equal(store_track_hit(s, camp, -1, 0, T0 + 7), 0); /* open */
	got[0] = '\0';
	assert_int_equal(store_webhook_each(s, "pending", webhook_line, got),
	                 0);
	/* six events, in order; JSON key order differs between backends, so
	 * only the events and a field or two are compared */
	assert_non_null(strstr(got, ":failed:pending:0:1700000002::-|"));
	assert_non_null(strstr(got, ":delivered:pending:0:1700000003::-|"));
	assert_non_null(strstr(got, ":bounced:pending:0:1700000004::-|"));
	assert_non_null(strstr(got, ":complained:pending:0:1700000005::-|"));
	assert_non_null(strstr(got, ":unsubscribed:pending:0:1700000006::-|"));
	assert_non_null(strstr(got, ":clicked:pending:0:1700000007::-|"));
	assert_null(strstr(got, ":1700000001:"));
	n = 0;
	for (const char *p = got; (p = strchr(p, ';')) != NULL; p++)
		n++;
	assert_int_equal(n, 6);

	/* leases: w1 takes 4, w2 the other 2, nothing left until expiry */
	got[0] = '\0';
	assert_int_equal(store_webhook_lease(s, "w1", T0 + 10, T0 + 70, 4,
	                                     webhook_line, got),
	                 0);
	assert_int_equal(strlen(got) > 0, 1);
	char w2[2048] = "", w3[2048] = "";
	assert_int_equal(store_webhook_lease(s, "w2", T0 + 10, T0 + 70, 16,
	                                     webhook_line, w2),
	                 0);
	assert_int_equal(store_webhook_lease(s, "w3", T0 + 11, T0 + 70, 16,
	                                     webhook_line, w3),
	                 0);
	assert_string_equal(w3, "");
	int64_t first = strtoll(got, NULL, 10);
	assert_int_equal(
	    store_webhook_settle(s, first, "w2", "done", T0, ",a,", NULL),
	    MC_ENOTFOUND); /* not w2's */
	assert_int_equal(store_webhook_settle(s, first, "w1", "pending",
	                                      T0 + 20, ",a,", "b: HTTP 500"),
	                 0);
	/* after w2's lease ran out, w3 takes its rows over */
	w3[0] = '\0';
	assert_int_equal(store_webhook_lease(s, "w3", T0 + 71, T0 + 140, 16,
	                                     webhook_line, w3),
	                 0);
	n = 0;
	for (const char *p = w3; (p = strchr(p, ';')) != NULL; p++)
		n++;
	assert_int_equal(n, 6); /* every row; first is due again too */
	assert_int_equal(store_webhook_settle(s, first, "w3", "failed", T0,
	                                      ",a,", "b: HTTP 500"),
	                 0);
	got[0] = '\0';
	assert_int_equal(store_webhook_each(s, "failed", webhook_line, got), 0);
	char want[64];
	snprintf(want, sizeof(want), "%lld:", (long long)first);
	assert_int_equal(strncmp(got, want, strlen(want)), 0);
	assert_non_null(strstr(got, ":failed:2:"));
	assert_non_null(strstr(got, ":,a,:b: HTTP 500|"));
	assert_int_equal(store_webhook_retry(s, 0, T0 + 200, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_webhook_retry(s, first, T0 + 200, &n),
	                 MC_ENOTFOUND); /* pending already */
	got[0] = '\0';
	assert_int_equal(store_webhook_lease(s, "w4", T0 + 200, T0 + 300, 16,
	                                     webhook_line, got),
	                 0);
	assert_non_null(strstr(got, ":pending:0:1700000200:,a,:"));
	assert_int_equal(
	    store_webhook_settle(s, first, "w4", "bogus", T0, NULL, NULL),
	    MC_EINVAL);

	/* disarmed: a new outcome writes nothing */
	assert_int_equal(store_webhook_arm(s, false), 0);
	assert_int_equal(store_track_hit(s, camp, 0, 0, T0 + 8), 0);
	got[0] = '\0';
	assert_int_equal(store_webhook_each(s, NULL, webhook_line, got), 0);
	n = 0;
	for (const char *p = got; (p = strchr(p, ';')) != NULL; p++)
		n++;
	assert_int_equal(n, 6);
}

#define PER_BACKEND(fn, be)                                                    \
	cmocka_unit_test_prestate_setup_teardown(fn, setup, teardown,          \
	                                         (void *)(be))

int
main(void)
{
	int failed = 0;

	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		const struct backend *be = &backends[i];
		const char *only = getenv("MC_TEST_BACKEND");

		if (only != NULL && strcmp(only, be->name) != 0)
			continue;
		if (be->available != NULL && !be->available()) {
			fprintf(stderr,
			        "backend %s: skipped (no test server; run "
			        "under tests/helpers/pg.sh)\n",
			        be->name);
			continue;
		}
		const struct CMUnitTest tests[] = {
		    PER_BACKEND(test_contacts_and_lists, be),
		    PER_BACKEND(test_upsert_many, be),
		    PER_BACKEND(test_walk_pages, be),
		    PER_BACKEND(test_merge_and_statuses, be),
		    PER_BACKEND(test_contact_lifecycle, be),
		    PER_BACKEND(test_suppressions, be),
		    PER_BACKEND(test_supp_check_many, be),
		    PER_BACKEND(test_supp_version, be),
		    PER_BACKEND(test_delete_skips_unsent, be),
		    PER_BACKEND(test_campaign_and_lease, be),
		    PER_BACKEND(test_stale_inflight, be),
		    PER_BACKEND(test_engine_ops, be),
		    PER_BACKEND(test_report_aggregates, be),
		    PER_BACKEND(test_report_tally_order, be),
		    PER_BACKEND(test_mailbox_fetches, be),
		    PER_BACKEND(test_lease_holders, be),
		    PER_BACKEND(test_transactions_and_log, be),
		    PER_BACKEND(test_bounce_effects, be),
		    PER_BACKEND(test_durable_commits, be),
		    PER_BACKEND(test_lease_goes_on, be),
		    PER_BACKEND(test_token_keys, be),
		    PER_BACKEND(test_api_tokens, be),
		    PER_BACKEND(test_migrations, be),
		    PER_BACKEND(test_bare_path, be),
		    PER_BACKEND(test_concurrent_leases, be),
		    PER_BACKEND(test_fleet_slots, be),
		    PER_BACKEND(test_campaign_each, be),
		    PER_BACKEND(test_segments_and_campaign_files, be),
		    PER_BACKEND(test_signups, be),
		    PER_BACKEND(test_track, be),
		    PER_BACKEND(test_users, be),
		    PER_BACKEND(test_webhooks, be),
		};

		fprintf(stderr, "backend %s\n", be->name);
		failed +=
		    cmocka_run_group_tests_name(be->name, tests, NULL, NULL);
	}
	const struct CMUnitTest common[] = {
	    cmocka_unit_test(test_open_errors),
	};
	failed += cmocka_run_group_tests(common, NULL, NULL);
	return failed;
}
