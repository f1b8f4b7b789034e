/*
 * test_bounce_policy.c — the one bounce policy, as a table: what a refusal
 * (its reply code, enhanced status and text, as a server would send it)
 * makes mailcast do.  The same table runs through bounce_policy_reply()
 * (the engine's path) and, as parsed verdicts, bounce_policy_action() (the
 * poller's path).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bounce/policy.h"

struct row {
	int code;
	const char *status;
	const char *text;
	enum bounce_action want;
};

static const struct row rows[] = {
    /* the address is bad */
    {550, "5.1.1",
     "<bob@example.net>: Recipient address rejected: User unknown",
     BOUNCE_ACTION_SUPPRESS},
    {550, "5.1.1", "No such user here", BOUNCE_ACTION_SUPPRESS},
    {550, "5.1.2", "Host or domain name not found", BOUNCE_ACTION_SUPPRESS},
    {550, "5.1.6", "mailbox has moved", BOUNCE_ACTION_SUPPRESS},
    {550, "", "user unknown", BOUNCE_ACTION_SUPPRESS},
    /* ... but only when it is permanent */
    {450, "4.1.1", "Recipient address rejected: User unknown in local table",
     BOUNCE_ACTION_COUNT_SOFT},
    /* a 5.1.1 that says the mailbox is full is not a bad address */
    {550, "5.1.1", "mailbox full", BOUNCE_ACTION_COUNT_SOFT},
    {552, "5.2.2", "Mailbox full: quota exceeded", BOUNCE_ACTION_COUNT_SOFT},
    {452, "4.2.2", "Over quota", BOUNCE_ACTION_COUNT_SOFT},
    {550, "5.2.1", "mailbox disabled, not accepting messages",
     BOUNCE_ACTION_COUNT_SOFT},
    /* sender-side codes never suppress the recipient */
    {553, "5.1.7", "Sender address rejected: invalid sender syntax",
     BOUNCE_ACTION_RECORD},
    {550, "5.1.8", "Sender address rejected: Domain not found",
     BOUNCE_ACTION_RECORD},
    {550, "5.1.8", "Bad sender's system address: user unknown",
     BOUNCE_ACTION_RECORD},
    {550, "5.7.1", "Message rejected due to local policy",
     BOUNCE_ACTION_RECORD},
    {550, "5.7.26",
     "Unauthenticated email from example.org is not accepted "
     "due to domain's DMARC policy",
     BOUNCE_ACTION_RECORD},
    {554, "5.7.1",
     "Service unavailable; Client host blocked using "
     "zen.spamhaus.org",
     BOUNCE_ACTION_RECORD},
    {550, "5.7.1", "Recipient address rejected: user unknown",
     BOUNCE_ACTION_COUNT_SOFT},
    /* the message, not the address */
    {552, "5.3.4", "Message size exceeds fixed limit", BOUNCE_ACTION_RECORD},
    {554, "5.7.1", "Message content rejected as spam", BOUNCE_ACTION_RECORD},
    {421, "4.7.0", "Too many messages, try again later", BOUNCE_ACTION_RECORD},
    /* passing trouble */
    {451, "4.3.0", "Temporary local problem", BOUNCE_ACTION_COUNT_SOFT},
    {554, "", "Transaction failed", BOUNCE_ACTION_COUNT_SOFT},
};

/* The engine's path: a reply seen while sending. */
static void
test_reply_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct bounce_verdict v;
		enum bounce_action a = bounce_policy_reply(
		    rows[i].code, rows[i].status, rows[i].text, &v);

		if (a != rows[i].want)
			fail_msg("row %zu (%d %s %s): %s, want %s", i,
			         rows[i].code, rows[i].status, rows[i].text,
			         bounce_action_name(a),
			         bounce_action_name(rows[i].want));
	}
}

/* The poller's path: a parsed verdict gives the same action. */
static void
test_verdict_same_as_reply(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct bounce_verdict v = {
		    .reason = bounce_classify_reason(
		        rows[i].text, rows[i].status, rows[i].code),
		    .status = rows[i].status,
		    .reply_code = rows[i].code,
		};

		v.cls = bounce_reason_class(v.reason, v.status, "failed");
		assert_int_equal(bounce_policy_action(&v), rows[i].want);
	}
}

/* Complaints, auto-replies and delivery notices. */
static void
test_kinds(void **state)
{
	struct bounce_verdict v = {0};

	(void)state;
	v.cls = BOUNCE_CLASS_COMPLAINT;
	v.reason = BOUNCE_REASON_FEEDBACK;
	assert_int_equal(bounce_policy_action(&v), BOUNCE_ACTION_COMPLAINT);
	v.cls = BOUNCE_CLASS_AUTO_REPLY;
	v.reason = BOUNCE_REASON_VACATION;
	assert_int_equal(bounce_policy_action(&v), BOUNCE_ACTION_IGNORE);
	v.cls = BOUNCE_CLASS_NOT_BOUNCE;
	v.reason = BOUNCE_REASON_DELIVERED;
	assert_int_equal(bounce_policy_action(&v), BOUNCE_ACTION_IGNORE);
	/* a DSN that says "failed" and gives no code is permanent */
	v.cls = BOUNCE_CLASS_UNKNOWN;
	v.reason = BOUNCE_REASON_USER_UNKNOWN;
	assert_int_equal(bounce_policy_action(&v), BOUNCE_ACTION_SUPPRESS);
	/* the same with a DSN action: only "failed" acts */
	v.status = "5.1.1";
	v.dsn_action = "failed";
	assert_int_equal(bounce_policy_action(&v), BOUNCE_ACTION_SUPPRESS);
	v.dsn_action = "delayed";
	assert_int_equal(bounce_policy_action(&v), BOUNCE_ACTION_IGNORE);
	v.dsn_action = "delivered";
	assert_int_equal(bounce_policy_action(&v), BOUNCE_ACTION_IGNORE);
}

static void
test_names_and_threshold(void **state)
{
	struct bounce_policy_soft p = {.limit = 3, .days = 30};

	(void)state;
	for (int i = 0; i < BOUNCE_ACTION__COUNT; i++)
		assert_int_equal(bounce_action_parse(bounce_action_name(i)), i);
	assert_null(bounce_action_name(BOUNCE_ACTION__COUNT));
	assert_int_equal(bounce_action_parse("nope"), -1);
	assert_false(bounce_policy_soft_exceeded(&p, 2));
	assert_true(bounce_policy_soft_exceeded(&p, 3));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reply_table),
	    cmocka_unit_test(test_verdict_same_as_reply),
	    cmocka_unit_test(test_kinds),
	    cmocka_unit_test(test_names_and_threshold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
