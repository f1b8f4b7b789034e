/*
 * test_ingest.c — app/ingest.h on hand-made messages: what each returned
 * message does to the store (rows, suppressions, contact status, the
 * ledger row), the policy's actions per code (5.1.1 user unknown
 * suppresses, 5.1.1 "mailbox full" counts soft, 5.1.7/5.1.8/5.7.1 only
 * record, a delayed DSN does nothing), the soft threshold, complaints and
 * unsubscribe requests, the VERP token, and the mailbox memory (a message
 * handled once).
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

#include "app/ingest.h"
#include "base/error.h"

#define T0 1767225600 /* 2026-01-01 */

struct fx {
	char dir[64];
	struct store *s;
	struct token_key key;
	struct ingest_config cfg;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char url[128], err[256];
	static const unsigned char k[32] = {1, 2, 3};

	snprintf(f->dir, sizeof(f->dir), "/tmp/mc-ingest-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(url, sizeof(url), "sqlite:%s/t.db", f->dir);
	f->s = store_open(url, err, sizeof(err));
	assert_non_null(f->s);
	assert_int_equal(token_key_set(&f->key, k, sizeof(k)), 0);
	f->cfg = (struct ingest_config){.store = f->s, .key = &f->key};
	*state = f;
	return 0;
}

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

/* An RFC 3464 report for one recipient; id makes the Message-ID. */
static char *
dsn(const char *id, const char *rcpt, const char *action, const char *status,
    const char *diag, const char *to)
{
	char *m = malloc(4096);

	snprintf(m, 4096,
	         "From: MAILER-DAEMON@mx.dest.example\r\n"
	         "To: %s\r\n"
	         "Subject: Undelivered Mail Returned to Sender\r\n"
	         "Message-ID: <%s@mx.dest.example>\r\n"
	         "MIME-Version: 1.0\r\n"
	         "Content-Type: multipart/report; "
	         "report-type=delivery-status; boundary=\"B\"\r\n\r\n"
	         "--B\r\nContent-Type: text/plain\r\n\r\nNot delivered.\r\n"
	         "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
	         "Reporting-MTA: dns; mx.dest.example\r\n\r\n"
	         "Final-Recipient: rfc822; %s\r\nAction: %s\r\n"
	         "Status: %s\r\nDiagnostic-Code: smtp; %s\r\n\r\n"
	         "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
	         "From: news@sender.example\r\nTo: %s\r\nSubject: News\r\n"
	         "\r\n--B--\r\n",
	         to ? to : "bounces@sender.example", id, rcpt, action, status,
	         diag, rcpt);
	return m;
}

/* Ingest msg; returns the result (fini by the caller). */
static struct ingest_result
ingest(struct fx *f, const char *msg, time_t now)
{
	struct ingest_result r;

	assert_int_equal(
	    ingest_message(&f->cfg, msg, strlen(msg), "test", NULL, now, &r),
	    0);
	return r;
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

/* Rows of kind for address since T0. */
static unsigned long
rows(struct fx *f, const char *address, enum store_bounce_kind kind)
{
	unsigned long n;

	assert_int_equal(store_bounce_count(f->s, address, kind, 0, &n), 0);
	return n;
}

/* One code, one expected action, row and suppression. */
struct code_case {
	const char *status, *diag;
	enum bounce_action action;
	enum store_bounce_kind kind;
	const char *supp;
};

static void
test_codes(void **state)
{
	static const struct code_case cases[] = {
	    {"5.1.1", "550 5.1.1 <a@dest.example>: User unknown",
	     BOUNCE_ACTION_SUPPRESS, STORE_BOUNCE_HARD, "hard-bounce"},
	    {"5.1.1", "550 5.1.1 mailbox full", BOUNCE_ACTION_COUNT_SOFT,
	     STORE_BOUNCE_SOFT, "none"},
	    {"5.1.7", "553 5.1.7 Sender address rejected: invalid sender",
	     BOUNCE_ACTION_RECORD, STORE_BOUNCE_POLICY, "none"},
	    {"5.1.8", "550 5.1.8 Sender address rejected: Domain not found",
	     BOUNCE_ACTION_RECORD, STORE_BOUNCE_POLICY, "none"},
	    {"5.7.1", "550 5.7.1 Message rejected due to local policy",
	     BOUNCE_ACTION_RECORD, STORE_BOUNCE_POLICY, "none"},
	};
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct code_case *c = &cases[i];
		char addr[64], id[16];
		snprintf(addr, sizeof(addr), "c%zu@dest.example", i);
		snprintf(id, sizeof(id), "m%zu", i);
		char *m = dsn(id, addr, "failed", c->status, c->diag, NULL);
		struct ingest_result r = ingest(f, m, T0);
		assert_int_equal(r.kind, INGEST_BOUNCE);
		assert_true(r.dispose);
		assert_int_equal(r.neffects, 1);
		assert_string_equal(r.effects[0].address, addr);
		if (r.effects[0].action != c->action)
			fail_msg("%s %s: %s, want %s", c->status, c->diag,
			         bounce_action_name(r.effects[0].action),
			         bounce_action_name(c->action));
		assert_int_equal(r.effects[0].kind, c->kind);
		assert_int_equal(rows(f, addr, c->kind), 1);
		assert_string_equal(supp(f, addr), c->supp);
		assert_int_equal(r.effects[0].suppressed,
		                 strcmp(c->supp, "none") != 0);
		ingest_result_fini(&r);
		free(m);
	}
}

/* A delayed DSN is not a failure: nothing written. */
static void
test_delayed(void **state)
{
	struct fx *f = *state;
	char *m = dsn("d1", "late@dest.example", "delayed", "4.4.7",
	              "451 4.4.7 try again later", NULL);
	struct ingest_result r = ingest(f, m, T0);

	assert_int_equal(r.kind, INGEST_BOUNCE);
	assert_int_equal(r.neffects, 0);
	assert_int_equal(rows(f, "late@dest.example", STORE_BOUNCE_SOFT), 0);
	assert_int_equal(rows(f, "late@dest.example", STORE_BOUNCE_POLICY), 0);
	ingest_result_fini(&r);
	free(m);
}

/* Soft bounces: the third within the window suppresses; older ones do
 * not count. */
static void
test_soft_threshold(void **state)
{
	struct fx *f = *state;
	time_t at[] = {T0, T0 + 40 * 86400, T0 + 41 * 86400, T0 + 42 * 86400};
	const char *want[] = {"none", "none", "none", "soft-bounces"};

	f->cfg.soft = (struct bounce_policy_soft){3, 30};
	for (size_t i = 0; i < 4; i++) {
		char id[16];
		snprintf(id, sizeof(id), "s%zu", i);
		char *m = dsn(id, "full@dest.example", "failed", "5.2.2",
		              "552 5.2.2 Mailbox full, quota exceeded", NULL);
		struct ingest_result r = ingest(f, m, at[i]);
		assert_int_equal(r.effects[0].action, BOUNCE_ACTION_COUNT_SOFT);
		assert_string_equal(supp(f, "full@dest.example"), want[i]);
		assert_int_equal(r.effects[0].suppressed, i == 3);
		ingest_result_fini(&r);
		free(m);
	}
}

/* The token names the campaign and contact: the contact becomes bounced
 * and the ledger row bounced. */
static void
test_token(void **state)
{
	struct fx *f = *state;
	int64_t list, camp, contact;
	int result, joined;
	struct store_delivery d[2];
	size_t n;
	unsigned long counts[DLV__COUNT];
	char tok[128], to[200];

	assert_int_equal(store_list_ensure(f->s, "l", T0, &list), 0);
	assert_int_equal(store_contact_upsert(f->s, "bob@dest.example",
	                                      "dest.example", "{}", list, T0,
	                                      &result, &joined),
	                 0);
	assert_int_equal(
	    store_contact_lookup(f->s, 0, "bob@dest.example", &contact), 0);
	assert_int_equal(store_campaign_create(f->s, "c", list, T0, &camp), 0);
	assert_int_equal(store_lease(f->s, camp, "w", T0, 60, d, 2, &n), 0);
	struct store_outcome o = {
	    .id = d[0].id, .state = DLV_SENT, .reply_code = 250};
	assert_int_equal(store_record(f->s, &o, 1, T0), 0);
	store_deliveries_fini(d, n);
	assert_int_equal(token_encode(&f->key, (uint64_t)camp,
	                              (uint64_t)contact, tok, sizeof(tok)),
	                 0);
	snprintf(to, sizeof(to), "bounces+%s@sender.example", tok);
	char *m = dsn("t1", "bob@dest.example", "failed", "5.1.1",
	              "550 5.1.1 No such user", to);
	struct ingest_result r = ingest(f, m, T0);
	assert_int_equal(r.effects[0].campaign_id, camp);
	assert_int_equal(r.effects[0].contact_id, contact);
	assert_int_equal(store_count_states(f->s, camp, counts), 0);
	assert_int_equal(counts[DLV_BOUNCED], 1);
	assert_string_equal(supp(f, "bob@dest.example"), "hard-bounce");
	ingest_result_fini(&r);
	free(m);
}

/* A complaint, an unsubscribe request, an auto-reply, ordinary mail. */
static void
test_kinds(void **state)
{
	struct fx *f = *state;
	static const char arf[] =
	    "From: fbl@isp.example\r\nTo: bounces@sender.example\r\n"
	    "Subject: complaint\r\nMessage-ID: <arf1@isp.example>\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: multipart/report; "
	    "report-type=feedback-report; boundary=\"F\"\r\n\r\n"
	    "--F\r\nContent-Type: text/plain\r\n\r\nA complaint.\r\n"
	    "--F\r\nContent-Type: message/feedback-report\r\n\r\n"
	    "Feedback-Type: abuse\r\nUser-Agent: x/1\r\nVersion: 1\r\n"
	    "Original-Rcpt-To: angry@dest.example\r\n\r\n"
	    "--F\r\nContent-Type: text/rfc822-headers\r\n\r\n"
	    "From: news@sender.example\r\nTo: angry@dest.example\r\n\r\n"
	    "--F--\r\n";
	static const char unsub[] =
	    "From: Leaver <leaver@dest.example>\r\nTo: u@sender.example\r\n"
	    "Subject: unsubscribe\r\nMessage-ID: <u1@dest.example>\r\n\r\n"
	    "unsubscribe\r\n";
	static const char away[] =
	    "From: a@dest.example\r\nTo: bounces@sender.example\r\n"
	    "Subject: Out of office\r\nAuto-Submitted: auto-replied\r\n"
	    "Message-ID: <a1@dest.example>\r\n\r\nAway.\r\n";
	static const char lunch[] =
	    "From: f@dest.example\r\nTo: bounces@sender.example\r\n"
	    "Subject: unsubscribe me from your lunches please\r\n"
	    "Message-ID: <l1@dest.example>\r\n\r\nHi.\r\n";
	struct ingest_result r = ingest(f, arf, T0);

	assert_int_equal(r.kind, INGEST_COMPLAINT);
	assert_int_equal(r.effects[0].action, BOUNCE_ACTION_COMPLAINT);
	assert_string_equal(supp(f, "angry@dest.example"), "complaint");
	ingest_result_fini(&r);
	r = ingest(f, unsub, T0);
	assert_int_equal(r.kind, INGEST_UNSUBSCRIBE);
	assert_string_equal(r.effects[0].address, "leaver@dest.example");
	assert_string_equal(supp(f, "leaver@dest.example"), "unsubscribed");
	ingest_result_fini(&r);
	r = ingest(f, away, T0);
	assert_int_equal(r.kind, INGEST_AUTO_REPLY);
	assert_false(r.dispose);
	assert_int_equal(r.neffects, 0);
	ingest_result_fini(&r);
	r = ingest(f, lunch, T0);
	assert_int_equal(r.kind, INGEST_NOT_BOUNCE);
	assert_string_equal(supp(f, "f@dest.example"), "none");
	ingest_result_fini(&r);
}

/* Once: ingest_once by Message-ID; the memory is in the same
 * transaction as the effects. */
static void
test_once(void **state)
{
	struct fx *f = *state;
	char *m = dsn("o1", "once@dest.example", "failed", "5.2.2",
	              "552 5.2.2 Mailbox full", NULL);
	struct ingest_result r;
	struct ingest_tally t = {0};
	char text[400];

	assert_int_equal(ingest_once(&f->cfg, m, strlen(m), "ingest", T0, &r),
	                 0);
	assert_int_equal(r.kind, INGEST_BOUNCE);
	ingest_tally_add(&t, &r);
	ingest_result_fini(&r);
	assert_int_equal(ingest_once(&f->cfg, m, strlen(m), "ingest", T0, &r),
	                 0);
	assert_int_equal(r.kind, INGEST_ALREADY);
	ingest_tally_add(&t, &r);
	ingest_result_fini(&r);
	assert_int_equal(rows(f, "once@dest.example", STORE_BOUNCE_SOFT), 1);
	ingest_tally_text(&t, text, sizeof(text));
	assert_non_null(strstr(text, "1 bounces (0 hard, 1 soft recipients)"));
	assert_non_null(strstr(text, "1 already handled"));
	free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_codes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delayed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_soft_threshold, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_token, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kinds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_once, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
