/*
 * test_unsubscribe.c — app/unsubscribe.c: the link's path and the route's
 * are one, tokens are acted on only when they verify and name a recipient
 * the ledger shows sent, the effects (suppression, status, one event) and
 * their idempotence, the group commit, and the create-time warning.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/unsubscribe.h"
#include "base/error.h"

#define T0 1700000000

struct fx {
	char dir[64];
	struct store *s;
	struct token_key key;
	struct token_keyring ring;
};

/* A fresh store with one key in the ring. */
static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char url[128], err[256];
	static const unsigned char k[32] = {9, 8, 7};

	snprintf(f->dir, sizeof(f->dir), "/tmp/mc-unsub-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(url, sizeof(url), "sqlite:%s/t.db", f->dir);
	f->s = store_open(url, err, sizeof(err));
	assert_non_null(f->s);
	assert_int_equal(token_key_set(&f->key, k, sizeof(k)), 0);
	assert_int_equal(token_keyring_add(&f->ring, &f->key, 1), 0);
	*state = f;
	return 0;
}

/* Close and remove the store. */
static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	store_close(f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* A contact on a list and a campaign whose row for it is sent (or left
 * pending); the token of (campaign, contact) into tok. */
static void
sent_to(struct fx *f, const char *address, bool sent, char *tok, size_t toksz)
{
	char name[128];
	int64_t list, camp, contact;
	int result, joined;
	struct store_delivery d[2];
	size_t n;

	snprintf(name, sizeof(name), "l-%s", address);
	assert_int_equal(store_list_ensure(f->s, name, T0, &list), 0);
	assert_int_equal(store_contact_upsert(f->s, address,
	                                      strchr(address, '@') + 1, "{}",
	                                      list, T0, &result, &joined),
	                 0);
	assert_int_equal(store_contact_lookup(f->s, 0, address, &contact), 0);
	snprintf(name, sizeof(name), "c-%s", address);
	assert_int_equal(store_campaign_create(f->s, name, list, T0, &camp), 0);
	assert_int_equal(token_encode(&f->key, (uint64_t)camp,
	                              (uint64_t)contact, tok, toksz),
	                 0);
	if (!sent)
		return;
	assert_int_equal(store_lease(f->s, camp, "w", T0, 60, d, 2, &n), 0);
	assert_int_equal(n, 1);
	struct store_outcome o = {
	    .id = d[0].id, .state = DLV_SENT, .reply_code = 250};
	assert_int_equal(store_record(f->s, &o, 1, T0), 0);
	store_deliveries_fini(d, n);
}

/* Events of kind "unsubscribe" in all campaigns. */
static int
count_event(void *arg, const struct store_event *e)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

/* The unsubscribe events of campaign 1..9. */
static int
events(struct fx *f)
{
	int n = 0;

	for (int64_t c = 1; c < 10; c++)
		store_event_each(f->s, c, "unsubscribe", count_event, &n);
	return n;
}

/* The suppression reason of address, or "none". */
static const char *
supp(struct fx *f, const char *address)
{
	struct store_suppression hit;

	if (store_supp_check(f->s, address, &hit) != 0)
		return "none";
	return store_supp_reason_name(hit.reason);
}

/* The link a template makes and the route the server parses agree. */
static void
test_path(void **state)
{
	char *u = unsub_url_prefix("https://lists.example.org/");

	(void)state;
	assert_string_equal(u, "https://lists.example.org" TMPL_UNSUB_PATH);
	free(u);
	u = unsub_url_prefix("https://l.example");
	assert_string_equal(u, "https://l.example/unsubscribe/");
	free(u);
	assert_null(unsub_url_prefix(NULL));
	assert_null(unsub_url_prefix(""));
	assert_string_equal(unsub_path_token("/unsubscribe/abc123"), "abc123");
	assert_null(unsub_path_token("/unsubscribe/"));
	assert_null(unsub_path_token("/unsubscribe/abc/def"));
	assert_null(unsub_path_token("/unsubscribe/../etc"));
	assert_null(unsub_path_token("/unsubscribe/abc%20"));
	assert_null(unsub_path_token("/unsubscribe"));
	assert_null(unsub_path_token("/x/unsubscribe/abc"));
	char longtok[TOKEN_MAX + 20];
	memset(longtok, 'a', sizeof(longtok));
	memcpy(longtok, "/unsubscribe/", 13);
	longtok[13 + TOKEN_MAX] = '\0';
	assert_non_null(unsub_path_token(longtok));
	longtok[13 + TOKEN_MAX] = 'a';
	longtok[14 + TOKEN_MAX] = '\0';
	assert_null(unsub_path_token(longtok));
}

/* A sent-to recipient: lookup changes nothing; apply unsubscribes once. */
static void
test_apply(void **state)
{
	struct fx *f = *state;
	struct unsub_result r;
	char tok[TOKEN_MAX + 1], err[256];

	sent_to(f, "a@x.example", true, tok, sizeof(tok));
	assert_int_equal(
	    unsub_lookup(f->s, &f->ring, tok, &r, err, sizeof(err)), 0);
	assert_string_equal(r.address, "a@x.example");
	assert_false(r.already);
	assert_string_equal(supp(f, "a@x.example"), "none");
	assert_int_equal(unsub_apply(f->s, &f->ring, tok, "one-click 1.2.3.4",
	                             T0, &r, err, sizeof(err)),
	                 0);
	assert_true(r.changed);
	assert_string_equal(supp(f, "a@x.example"), "unsubscribed");
	assert_int_equal(events(f), 1);
	/* Again: nothing written. */
	assert_int_equal(unsub_apply(f->s, &f->ring, tok, "one-click 1.2.3.4",
	                             T0, &r, err, sizeof(err)),
	                 0);
	assert_true(r.already);
	assert_false(r.changed);
	assert_int_equal(events(f), 1);
}

/* Forged, tampered, another key's, never sent: one answer, no change. */
static void
test_refused(void **state)
{
	struct fx *f = *state;
	struct unsub_result r;
	char tok[TOKEN_MAX + 1], pend[TOKEN_MAX + 1], err[256];
	struct token_key other;
	static const unsigned char k2[32] = {5, 5, 5};

	sent_to(f, "b@x.example", true, tok, sizeof(tok));
	sent_to(f, "p@x.example", false, pend, sizeof(pend));
	tok[strlen(tok) - 1] = tok[strlen(tok) - 1] == 'a' ? 'b' : 'a';
	assert_int_equal(
	    unsub_apply(f->s, &f->ring, tok, NULL, T0, &r, err, sizeof(err)),
	    MC_ENOTFOUND);
	assert_int_equal(unsub_apply(f->s, &f->ring, "aaaaaaaaaaaaaaaaaaaaa",
	                             NULL, T0, &r, err, sizeof(err)),
	                 MC_ENOTFOUND);
	/* a campaign that never sent to p: its token is genuine */
	assert_int_equal(
	    unsub_apply(f->s, &f->ring, pend, NULL, T0, &r, err, sizeof(err)),
	    MC_ENOTFOUND);
	assert_int_equal(token_key_set(&other, k2, sizeof(k2)), 0);
	assert_int_equal(token_encode(&other, 1, 1, tok, sizeof(tok)), 0);
	assert_int_equal(
	    unsub_apply(f->s, &f->ring, tok, NULL, T0, &r, err, sizeof(err)),
	    MC_ENOTFOUND);
	assert_string_equal(supp(f, "b@x.example"), "none");
	assert_string_equal(supp(f, "p@x.example"), "none");
	assert_int_equal(events(f), 0);
}

/* The group commit: several at once, each once. */
static void
test_many(void **state)
{
	struct fx *f = *state;
	struct unsub_result r[3];
	const char *src[3] = {"s1", "s2", "s3"};
	char tok[3][TOKEN_MAX + 1], err[256];
	const char *addr[3] = {"c@x.example", "d@x.example", "e@x.example"};

	for (int i = 0; i < 3; i++) {
		sent_to(f, addr[i], true, tok[i], sizeof(tok[i]));
		assert_int_equal(unsub_lookup(f->s, &f->ring, tok[i], &r[i],
		                              err, sizeof(err)),
		                 0);
	}
	r[2] = r[1]; /* the same one twice in a batch */
	assert_int_equal(
	    unsub_apply_many(f->s, r, src, 3, T0, err, sizeof(err)), 0);
	assert_true(r[0].changed && r[1].changed);
	assert_false(r[2].changed);
	assert_string_equal(supp(f, "c@x.example"), "unsubscribed");
	assert_string_equal(supp(f, "d@x.example"), "unsubscribed");
	assert_string_equal(supp(f, "e@x.example"), "none");
	assert_int_equal(events(f), 2);
}

/* campaign create's warning. */
static void
test_served(void **state)
{
	char w[600];

	(void)state;
	assert_false(unsub_served(NULL, NULL, w, sizeof(w)));
	assert_non_null(strstr(w, "no server is configured"));
	assert_true(unsub_served(NULL, "https://l.example", w, sizeof(w)));
	assert_true(unsub_served("https://l.example/unsubscribe/",
	                         "https://l.example/", w, sizeof(w)));
	assert_false(unsub_served("https://other.example/u/",
	                          "https://l.example", w, sizeof(w)));
	assert_non_null(strstr(w, "https://other.example/u/"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_path),
	    cmocka_unit_test_setup_teardown(test_apply, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many, setup, teardown),
	    cmocka_unit_test(test_served),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
