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
	f->cfg = (struct ingest_config){.store = f->s};
	assert_int_equal(token_keyring_add(&f->cfg.keys, &f->key, 1), 0);
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

/*
 * A contact at address on a list of its own and a campaign of that list
 * whose ledger row is sent (sent false: left pending); *camp, *contact.
 */
static void
ledger(struct fx *f, const char *address, bool sent, int64_t *camp,
       int64_t *contact)
{
	char name[128];
	int64_t list;
	int result, joined;
	struct store_delivery d[2];
	size_t n;

	snprintf(name, sizeof(name), "l-%s", address);
	assert_int_equal(store_list_ensure(f->s, name, T0, &list), 0);
	assert_int_equal(store_contact_upsert(f->s, address,
	                                      strchr(address, '@') + 1, "{}",
	                                      list, T0, &result, &joined),
	                 0);
	assert_int_equal(store_contact_lookup(f->s, 0, address, contact), 0);
	snprintf(name, sizeof(name), "c-%s", address);
	assert_int_equal(store_campaign_create(f->s, name, list, T0, camp), 0);
	if (!sent)
		return;
	assert_int_equal(store_lease(f->s, *camp, "w", T0, 60, d, 2, &n), 0);
	assert_int_equal(n, 1);
	struct store_outcome o = {
	    .id = d[0].id, .state = DLV_SENT, .reply_code = 250};
	assert_int_equal(store_record(f->s, &o, 1, T0), 0);
	store_deliveries_fini(d, n);
}

/* The token of (camp, contact) into tok. */
static void
token(struct fx *f, int64_t camp, int64_t contact, char *tok, size_t toksz)
{
	assert_int_equal(token_encode(&f->key, (uint64_t)camp,
	                              (uint64_t)contact, tok, toksz),
	                 0);
}

/* The VERP address of (camp, contact) into out. */
static void
verp(struct fx *f, int64_t camp, int64_t contact, char *out, size_t outsz)
{
	char tok[TOKEN_MAX + 1];

	token(f, camp, contact, tok, sizeof(tok));
	snprintf(out, outsz, "bounces+%s@sender.example", tok);
}

/* contact_each: the status of the contact at want->address. */
static int
status_of(void *arg, const struct store_contact *c)
{
	static char st[32];
	const char **want = arg;

	if (strcmp(c->address, want[0]) == 0) {
		snprintf(st, sizeof(st), "%s", c->status);
		want[1] = st;
	}
	return 0;
}

/* The status of the contact at address ("active", ...). */
static const char *
status(struct fx *f, const char *address)
{
	const char *want[2] = {address, "none"};

	assert_int_equal(store_contact_each(f->s, 0, status_of, want), 0);
	return want[1];
}

/* Ledger rows of camp in state. */
static unsigned long
in_state(struct fx *f, int64_t camp, enum store_dlv_state st)
{
	unsigned long counts[DLV__COUNT];

	assert_int_equal(store_count_states(f->s, camp, counts), 0);
	return counts[st];
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
	int64_t camp, contact;

	/* Unsigned bounces (a mailbox of real bounces only) to sent rows. */
	f->cfg.trust_unsigned = true;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct code_case *c = &cases[i];
		char addr[64], id[16];
		snprintf(addr, sizeof(addr), "c%zu@dest.example", i);
		snprintf(id, sizeof(id), "m%zu", i);
		ledger(f, addr, true, &camp, &contact);
		char *m = dsn(id, addr, "failed", c->status, c->diag, NULL);
		struct ingest_result r = ingest(f, m, T0);
		assert_int_equal(r.kind, INGEST_BOUNCE);
		assert_int_equal(r.verdict, INGEST_APPLIED);
		assert_true(r.dispose);
		assert_int_equal(r.neffects, 1);
		assert_int_equal(r.effects[0].campaign_id, camp);
		assert_int_equal(r.effects[0].contact_id, contact);
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
	int64_t camp, contact;
	char to[200];

	ledger(f, "full@dest.example", true, &camp, &contact);
	verp(f, camp, contact, to, sizeof(to));
	f->cfg.soft = (struct bounce_policy_soft){3, 30};
	for (size_t i = 0; i < 4; i++) {
		char id[16];
		snprintf(id, sizeof(id), "s%zu", i);
		char *m = dsn(id, "full@dest.example", "failed", "5.2.2",
		              "552 5.2.2 Mailbox full, quota exceeded", to);
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
	static const char arf_fmt[] =
	    "From: fbl@isp.example\r\nTo: bounces@sender.example\r\n"
	    "Subject: complaint\r\nMessage-ID: <arf1@isp.example>\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: multipart/report; "
	    "report-type=feedback-report; boundary=\"F\"\r\n\r\n"
	    "--F\r\nContent-Type: text/plain\r\n\r\nA complaint.\r\n"
	    "--F\r\nContent-Type: message/feedback-report\r\n\r\n"
	    "Feedback-Type: abuse\r\nUser-Agent: x/1\r\nVersion: 1\r\n"
	    "Original-Rcpt-To: angry@dest.example\r\n\r\n"
	    "--F\r\nContent-Type: text/rfc822-headers\r\n\r\n"
	    "Return-Path: <%s>\r\n"
	    "From: news@sender.example\r\nTo: angry@dest.example\r\n\r\n"
	    "--F--\r\n";
	static const char unsub_fmt[] =
	    "From: Leaver <leaver@dest.example>\r\n"
	    "To: unsubscribe+%s@sender.example\r\n"
	    "Subject: unsubscribe\r\nMessage-ID: <u1@dest.example>\r\n\r\n"
	    "unsubscribe\r\n";
	char arf[2048], unsub[1024], v[200], tok[TOKEN_MAX + 1];
	int64_t camp, contact;
	static const char away[] =
	    "From: a@dest.example\r\nTo: bounces@sender.example\r\n"
	    "Subject: Out of office\r\nAuto-Submitted: auto-replied\r\n"
	    "Message-ID: <a1@dest.example>\r\n\r\nAway.\r\n";
	static const char lunch[] =
	    "From: f@dest.example\r\nTo: bounces@sender.example\r\n"
	    "Subject: unsubscribe me from your lunches please\r\n"
	    "Message-ID: <l1@dest.example>\r\n\r\nHi.\r\n";
	ledger(f, "angry@dest.example", true, &camp, &contact);
	verp(f, camp, contact, v, sizeof(v));
	snprintf(arf, sizeof(arf), arf_fmt, v);
	ledger(f, "leaver@dest.example", true, &camp, &contact);
	token(f, camp, contact, tok, sizeof(tok));
	snprintf(unsub, sizeof(unsub), unsub_fmt, tok);
	struct ingest_result r = ingest(f, arf, T0);

	assert_int_equal(r.kind, INGEST_COMPLAINT);
	assert_int_equal(r.verdict, INGEST_APPLIED);
	assert_int_equal(r.effects[0].action, BOUNCE_ACTION_COMPLAINT);
	assert_string_equal(supp(f, "angry@dest.example"), "complaint");
	ingest_result_fini(&r);
	r = ingest(f, unsub, T0);
	assert_int_equal(r.kind, INGEST_UNSUBSCRIBE);
	assert_string_equal(r.effects[0].address, "leaver@dest.example");
	assert_string_equal(supp(f, "leaver@dest.example"), "unsubscribed");
	assert_string_equal(status(f, "leaver@dest.example"), "unsubscribed");
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

/* A hard DSN for rcpt to the address to changes nothing: verdict v, rcpt
 * not suppressed, its contact still active. */
static void
forged(struct fx *f, const char *id, const char *rcpt, const char *to,
       enum ingest_verdict v)
{
	char *m =
	    dsn(id, rcpt, "failed", "5.1.1", "550 5.1.1 No such user", to);
	struct ingest_result r = ingest(f, m, T0);

	assert_int_equal(r.kind, INGEST_BOUNCE);
	if (r.verdict != v)
		fail_msg("%s: '%s', want '%s' (%s)", id,
		         ingest_verdict_name(r.verdict), ingest_verdict_name(v),
		         r.note);
	assert_int_equal(r.neffects, 0);
	assert_false(r.dispose);
	assert_string_equal(supp(f, rcpt), "none");
	assert_int_equal(rows(f, rcpt, STORE_BOUNCE_HARD), 0);
	ingest_result_fini(&r);
	free(m);
}

/* Forged bounces: no token, a tampered one, another contact's, a token
 * whose row was never sent, a token from another key: nothing changes. */
static void
test_forged_bounces(void **state)
{
	struct fx *f = *state;
	int64_t camp, e, dcamp, d, pcamp, p;
	char to[200], bad[200], tok[TOKEN_MAX + 1];
	struct token_key other;
	static const unsigned char k2[32] = {9, 9, 9};

	ledger(f, "dana@dest.example", true, &dcamp, &d);
	ledger(f, "erin@dest.example", true, &camp, &e);
	ledger(f, "pat@dest.example", false, &pcamp, &p);
	forged(f, "f1", "dana@dest.example", NULL, INGEST_NO_TOKEN);
	verp(f, dcamp, d, to, sizeof(to));
	/* One character of the MAC changed. */
	snprintf(bad, sizeof(bad), "%s", to);
	char *c = strchr(bad, '@') - 1;
	*c = *c == 'a' ? 'b' : 'a';
	forged(f, "f2", "dana@dest.example", bad, INGEST_BAD_TOKEN);
	/* Erin's valid token on a DSN for Dana: neither is touched. */
	verp(f, camp, e, to, sizeof(to));
	forged(f, "f3", "dana@dest.example", to, INGEST_OTHER_RCPT);
	assert_string_equal(supp(f, "erin@dest.example"), "none");
	assert_string_equal(status(f, "erin@dest.example"), "active");
	assert_string_equal(status(f, "dana@dest.example"), "active");
	assert_int_equal(in_state(f, camp, DLV_SENT), 1);
	assert_int_equal(in_state(f, dcamp, DLV_SENT), 1);
	/* A valid token of a row never sent (pending). */
	verp(f, pcamp, p, to, sizeof(to));
	forged(f, "f4", "pat@dest.example", to, INGEST_NOT_SENT);
	/* A token made with another key. */
	assert_int_equal(token_key_set(&other, k2, sizeof(k2)), 0);
	assert_int_equal(token_encode(&other, (uint64_t)dcamp, (uint64_t)d, tok,
	                              sizeof(tok)),
	                 0);
	snprintf(to, sizeof(to), "bounces+%s@sender.example", tok);
	forged(f, "f5", "dana@dest.example", to, INGEST_BAD_TOKEN);
	/* No key (no --token-key): a token made with the public demo key
	 * (all zero) does not verify. */
	static const unsigned char demo[TOKEN_KEY_MIN];
	assert_int_equal(token_key_set(&other, demo, sizeof(demo)), 0);
	assert_int_equal(token_encode(&other, (uint64_t)dcamp, (uint64_t)d, tok,
	                              sizeof(tok)),
	                 0);
	snprintf(to, sizeof(to), "bounces+%s@sender.example", tok);
	f->cfg.keys.n = 0;
	forged(f, "f5b", "dana@dest.example", to, INGEST_BAD_TOKEN);
	f->cfg.keys.n = 1;
	/* --trust-unsigned still touches only addresses sent to. */
	f->cfg.trust_unsigned = true;
	forged(f, "f6", "stranger@dest.example", NULL, INGEST_NOT_SENT);
	forged(f, "f7", "pat@dest.example", NULL, INGEST_NOT_SENT);
}

/* One DSN naming 256 recipients: only the one the ledger sent to (and
 * whose token it carries) is acted on. */
static void
test_many_recipients(void **state)
{
	struct fx *f = *state;
	size_t cap = 256 * 200 + 4096, n;
	char *m = malloc(cap), to[200], a[64];
	int64_t camp, contact;
	struct ingest_result r;

	ledger(f, "r100@dest.example", true, &camp, &contact);
	verp(f, camp, contact, to, sizeof(to));
	for (int pass = 0; pass < 3; pass++) {
		n = (size_t)snprintf(
		    m, cap,
		    "From: MAILER-DAEMON@mx.dest.example\r\nTo: %s\r\n"
		    "Subject: Undelivered\r\nMessage-ID: <many%d@x>\r\n"
		    "MIME-Version: 1.0\r\nContent-Type: multipart/report; "
		    "report-type=delivery-status; boundary=\"B\"\r\n\r\n"
		    "--B\r\nContent-Type: text/plain\r\n\r\nNo.\r\n"
		    "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
		    "Reporting-MTA: dns; mx.dest.example\r\n",
		    pass == 1 ? "bounces@sender.example" : to, pass);
		for (int i = 0; i < 256; i++)
			n += (size_t)snprintf(
			    m + n, cap - n,
			    "\r\nFinal-Recipient: rfc822; r%d@dest.example\r\n"
			    "Action: failed\r\nStatus: 5.1.1\r\n"
			    "Diagnostic-Code: smtp; 550 5.1.1 No such user\r\n",
			    i);
		snprintf(m + n, cap - n, "\r\n--B--\r\n");
		f->cfg.trust_unsigned = pass == 2;
		r = ingest(f, m, T0);
		assert_int_equal(r.kind, INGEST_BOUNCE);
		assert_int_equal(r.neffects, pass == 1 ? 0 : 1);
		assert_int_equal(r.verdict,
		                 pass == 1 ? INGEST_NO_TOKEN : INGEST_APPLIED);
		ingest_result_fini(&r);
		for (int i = 0; i < 256; i++) {
			snprintf(a, sizeof(a), "r%d@dest.example", i);
			assert_string_equal(supp(f, a), i == 100 && pass != 1
			                                    ? "hard-bounce"
			                                    : "none");
		}
		if (pass == 0)
			assert_int_equal(
			    store_supp_remove(f->s, "r100@dest.example"), 0);
	}
	free(m);
}

/* Unsubscribe requests act on their token's contact, never on From. */
static void
test_forged_unsubscribes(void **state)
{
	struct fx *f = *state;
	int64_t acamp, alice, bcamp, bob;
	char tok[TOKEN_MAX + 1], m[1024];
	struct ingest_result r;

	ledger(f, "alice@dest.example", true, &acamp, &alice);
	ledger(f, "bob@dest.example", true, &bcamp, &bob);
	/* A spoofed From and no token. */
	snprintf(m, sizeof(m),
	         "From: Alice <alice@dest.example>\r\n"
	         "To: unsubscribe@sender.example\r\nSubject: unsubscribe\r\n"
	         "Message-ID: <s1@x>\r\n\r\nunsubscribe\r\n");
	r = ingest(f, m, T0);
	assert_int_equal(r.kind, INGEST_UNSUBSCRIBE);
	assert_int_equal(r.verdict, INGEST_NO_TOKEN);
	assert_int_equal(r.neffects, 0);
	assert_string_equal(supp(f, "alice@dest.example"), "none");
	assert_string_equal(status(f, "alice@dest.example"), "active");
	ingest_result_fini(&r);
	/* A tampered token in the subject. */
	token(f, acamp, alice, tok, sizeof(tok));
	tok[3] = tok[3] == 'a' ? 'b' : 'a';
	snprintf(
	    m, sizeof(m),
	    "From: alice@dest.example\r\nTo: unsubscribe@sender.example\r\n"
	    "Subject: unsubscribe %s\r\nMessage-ID: <s2@x>\r\n\r\nx\r\n",
	    tok);
	r = ingest(f, m, T0);
	assert_int_equal(r.verdict, INGEST_BAD_TOKEN);
	assert_string_equal(supp(f, "alice@dest.example"), "none");
	ingest_result_fini(&r);
	/* Alice's token, sent from Bob's address: Alice leaves, Bob stays. */
	token(f, acamp, alice, tok, sizeof(tok));
	snprintf(m, sizeof(m),
	         "From: Bob <bob@dest.example>\r\n"
	         "To: unsubscribe+%s@sender.example\r\nSubject: unsubscribe\r\n"
	         "Message-ID: <s3@x>\r\n\r\nunsubscribe\r\n",
	         tok);
	r = ingest(f, m, T0);
	assert_int_equal(r.verdict, INGEST_APPLIED);
	assert_int_equal(r.neffects, 1);
	assert_string_equal(r.effects[0].address, "alice@dest.example");
	assert_int_equal(r.effects[0].contact_id, alice);
	assert_string_equal(supp(f, "alice@dest.example"), "unsubscribed");
	assert_string_equal(status(f, "alice@dest.example"), "unsubscribed");
	assert_string_equal(supp(f, "bob@dest.example"), "none");
	assert_string_equal(status(f, "bob@dest.example"), "active");
	ingest_result_fini(&r);
	/* Bob's token in the subject (the mailto's ?subject=) from anyone. */
	token(f, bcamp, bob, tok, sizeof(tok));
	snprintf(
	    m, sizeof(m),
	    "From: mallory@evil.example\r\nTo: unsubscribe@sender.example\r\n"
	    "Subject: unsubscribe %s\r\nMessage-ID: <s4@x>\r\n\r\nx\r\n",
	    tok);
	r = ingest(f, m, T0);
	assert_int_equal(r.verdict, INGEST_APPLIED);
	assert_string_equal(supp(f, "bob@dest.example"), "unsubscribed");
	assert_string_equal(supp(f, "mallory@evil.example"), "none");
	ingest_result_fini(&r);
}

/* A complaint whose report names no recipient (redacted): the token's
 * contact; without a token, nobody. */
static void
test_redacted_complaint(void **state)
{
	struct fx *f = *state;
	static const char fmt[] =
	    "From: fbl@isp.example\r\nTo: abuse@sender.example\r\n"
	    "Subject: complaint\r\nMessage-ID: <%s@isp.example>\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: multipart/report; "
	    "report-type=feedback-report; boundary=\"F\"\r\n\r\n"
	    "--F\r\nContent-Type: text/plain\r\n\r\nA complaint.\r\n"
	    "--F\r\nContent-Type: message/feedback-report\r\n\r\n"
	    "Feedback-Type: abuse\r\nUser-Agent: x/1\r\nVersion: 1\r\n\r\n"
	    "--F\r\nContent-Type: text/rfc822-headers\r\n\r\n"
	    "Return-Path: <%s>\r\nFrom: news@sender.example\r\n"
	    "Subject: News\r\n\r\n--F--\r\n";
	char m[2048], v[200];
	int64_t camp, contact;
	struct ingest_result r;

	ledger(f, "quiet@dest.example", true, &camp, &contact);
	snprintf(m, sizeof(m), fmt, "c0", "bounces@sender.example");
	r = ingest(f, m, T0);
	assert_int_equal(r.kind, INGEST_COMPLAINT);
	assert_int_equal(r.verdict, INGEST_NO_TOKEN);
	ingest_result_fini(&r);
	verp(f, camp, contact, v, sizeof(v));
	snprintf(m, sizeof(m), fmt, "c1", v);
	r = ingest(f, m, T0);
	assert_int_equal(r.kind, INGEST_COMPLAINT);
	assert_int_equal(r.verdict, INGEST_APPLIED);
	assert_int_equal(r.neffects, 1);
	assert_string_equal(r.effects[0].address, "quiet@dest.example");
	assert_string_equal(supp(f, "quiet@dest.example"), "complaint");
	assert_string_equal(status(f, "quiet@dest.example"), "complained");
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
	int64_t camp, contact;

	f->cfg.trust_unsigned = true;
	ledger(f, "once@dest.example", true, &camp, &contact);

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
	    cmocka_unit_test_setup_teardown(test_forged_bounces, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_many_recipients, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_forged_unsubscribes, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_redacted_complaint, setup,
	                                    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
