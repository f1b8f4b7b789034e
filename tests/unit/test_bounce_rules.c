/*
 * test_bounce_rules.c — the finer rules of the bounce parser: at which SMTP
 * stage an "unknown user" came (hard or filtered), Amazon SES's wrapped
 * replies, and the fast MIME walk, which must read every message the way
 * the GMime walk does (base64 and quoted-printable parts, encoded subjects,
 * unclosed and boundary-less multiparts).  Messages written for these tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/buf.h"
#include "base/error.h"
#include "bounce/bounce.h"
#include "bounce/bounce_impl.h"

/* Parse a NUL-terminated message into r; returns bounce_parse's code. */
static int
parse(const char *msg, struct bounce_result *r)
{
	char err[256];

	bounce_result_init(r);
	return bounce_parse(msg, strlen(msg), r, err, sizeof(err));
}

/* A Postfix DSN whose text names the stage; the DSN part does not. */
static const char postfix_data[] =
    "From: MAILER-DAEMON@mx.sender.example (Mail Delivery System)\n"
    "To: news@sender.example\n"
    "Subject: Undelivered Mail Returned to Sender\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status;\n"
    " boundary=\"P1\"\n"
    "\n"
    "--P1\n"
    "Content-Type: text/plain\n"
    "\n"
    "<amy@dest.example>: host mx.dest.example[192.0.2.9] said: 550\n"
    "    <amy@dest.example>: User unknown (in reply to end of DATA command)\n"
    "\n"
    "--P1\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "Reporting-MTA: dns; mx.sender.example\n"
    "\n"
    "Final-Recipient: rfc822; amy@dest.example\n"
    "Action: failed\n"
    "Status: 5.0.0\n"
    "Diagnostic-Code: smtp; 550 <amy@dest.example>: User unknown\n"
    "\n"
    "--P1--\n";

/* A Sendmail transcript: the RCPT answer read after DATA (pipelining). */
static const char sendmail_pipelined[] =
    "From: Mail Delivery Subsystem <MAILER-DAEMON@relay.sender.example>\n"
    "To: <news@sender.example>\n"
    "Subject: Returned mail: see transcript for details\n"
    "\n"
    "   ----- The following addresses had permanent fatal errors -----\n"
    "<gus@dest.example>\n"
    "    (reason: 550 5.5.0 Invalid recipient)\n"
    "\n"
    "   ----- Transcript of session follows -----\n"
    "... while talking to mx.dest.example.:\n"
    ">>> DATA\n"
    "<<< 550 5.5.0 Invalid recipient\n"
    "550 5.1.1 <gus@dest.example>... User unknown\n"
    "<<< 554 5.5.1 Error: no valid recipients\n";

/* The same transcript where the content was refused. */
static const char sendmail_data[] =
    "From: Mail Delivery Subsystem <MAILER-DAEMON@relay.sender.example>\n"
    "To: <news@sender.example>\n"
    "Subject: Returned mail: see transcript for details\n"
    "\n"
    "   ----- The following addresses had permanent fatal errors -----\n"
    "<gus@dest.example>\n"
    "    (reason: 550 Unknown user gus@dest.example)\n"
    "\n"
    "   ----- Transcript of session follows -----\n"
    "... while talking to mx.dest.example.:\n"
    ">>> DATA\n"
    "<<< 550 Unknown user gus@dest.example\n"
    "554 5.0.0 Service unavailable\n";

/* Amazon SES: its own category around the remote's reply. */
static const char ses_dsn[] =
    "From: MAILER-DAEMON@email-bounces.amazonses.com\n"
    "To: news@sender.example\n"
    "Subject: Delivery Status Notification (Failure)\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status;\n"
    " boundary=\"S1\"\n"
    "\n"
    "--S1\n"
    "Content-Type: text/plain\n"
    "\n"
    "An error occurred while trying to deliver the mail.\n"
    "\n"
    "--S1\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "Reporting-MTA: dns; a1-2.smtp-out.amazonses.com\n"
    "\n"
    "Final-Recipient: rfc822; ivy@dest.example\n"
    "Action: failed\n"
    "Status: 5.0.0 (permanent failure)\n"
    "Diagnostic-Code: smtp; 5.1.0 - Unknown address error 550-'5.7.1\n"
    " <ivy@dest.example>... Access denied' (delivery attempts: 0)\n"
    "\n"
    "--S1--\n";

/* The first recipient of a message, parsed; fails the test if none. */
static struct bounce_rcpt *
first(const char *msg, struct bounce_result *r)
{
	assert_int_equal(parse(msg, r), 0);
	assert_true(r->nrcpts >= 1);
	return &r->rcpts[0];
}

/* "User unknown" after DATA is a filter's verdict, after RCPT it is not. */
static void
test_stage_messages(void **state)
{
	struct bounce_result r;
	struct bounce_rcpt *rc;

	(void)state;
	rc = first(postfix_data, &r);
	assert_string_equal(rc->address, "amy@dest.example");
	assert_int_equal(rc->reason, BOUNCE_REASON_FILTERED);
	assert_int_equal(rc->cls, BOUNCE_CLASS_SOFT);
	bounce_result_fini(&r);

	rc = first(sendmail_pipelined, &r);
	assert_string_equal(rc->address, "gus@dest.example");
	assert_int_equal(rc->reason, BOUNCE_REASON_USER_UNKNOWN);
	assert_int_equal(rc->cls, BOUNCE_CLASS_HARD);
	bounce_result_fini(&r);

	rc = first(sendmail_data, &r);
	assert_int_equal(rc->reason, BOUNCE_REASON_FILTERED);
	assert_int_equal(rc->cls, BOUNCE_CLASS_SOFT);
	bounce_result_fini(&r);
}

/* The stage words of the families, and the refinement table. */
static void
test_stage_rules(void **state)
{
	static const struct {
		const char *text;
		enum bounce_stage stage;
	} stages[] = {
	    {"said: 550 nope (in reply to RCPT TO command)", BOUNCE_STAGE_RCPT},
	    {"SMTP error from remote mail server after RCPT TO:<a@b.example>: "
	     "550 User unknown",
	     BOUNCE_STAGE_RCPT},
	    {"SMTP error from remote mail server after end of data: 550 no",
	     BOUNCE_STAGE_DATA},
	    {"192.0.2.1 does not like recipient. Remote host said: 550 no",
	     BOUNCE_STAGE_RCPT},
	    {"192.0.2.1 failed after I sent the message.", BOUNCE_STAGE_DATA},
	    {">>> RCPT To:<a@b.example>\n<<< 550 User unknown\n",
	     BOUNCE_STAGE_RCPT},
	    {">>> DATA\n<<< 550 User unknown\n554 5.0.0 Service unavailable\n",
	     BOUNCE_STAGE_DATA},
	    {">>> DATA\n<<< 550 User unknown\n550 5.1.1 <a@b.example>... User "
	     "unknown\n",
	     BOUNCE_STAGE_RCPT_PIPELINED},
	    {"550 User unknown", BOUNCE_STAGE_UNKNOWN},
	};
	static const struct {
		const char *diag, *status;
		enum bounce_stage stage;
		enum bounce_reason want;
	} rules[] = {
	    /* X.1.x speaks about the address whatever the stage. */
	    {"550 5.1.1 <a@b.example>... User unknown", "", BOUNCE_STAGE_DATA,
	     BOUNCE_REASON_USER_UNKNOWN},
	    {"550 User unknown", "", BOUNCE_STAGE_DATA, BOUNCE_REASON_FILTERED},
	    {"550 User unknown", "", BOUNCE_STAGE_RCPT,
	     BOUNCE_REASON_USER_UNKNOWN},
	    /* No stage: the status decides. */
	    {"550 5.2.1 <a@b.example>... User Unknown", "",
	     BOUNCE_STAGE_UNKNOWN, BOUNCE_REASON_FILTERED},
	    {"550 User Unknown", "5.7.1", BOUNCE_STAGE_UNKNOWN,
	     BOUNCE_REASON_FILTERED},
	    {"550 <a@b.example>: User unknown", "5.0.0", BOUNCE_STAGE_UNKNOWN,
	     BOUNCE_REASON_USER_UNKNOWN},
	    /* The carrier filter's answer without the address. */
	    {"550 : User unknown", "5.0.0", BOUNCE_STAGE_UNKNOWN,
	     BOUNCE_REASON_FILTERED},
	    /* Yahoo checks recipients at the end of DATA. */
	    {"554 delivery error: dd This user doesn't have a yahoo.com "
	     "account",
	     "", BOUNCE_STAGE_DATA, BOUNCE_REASON_USER_UNKNOWN},
	    /* A pipelined RCPT answer yields to a security status. */
	    {"550 5.7.1 <a@b.example>: Recipient address rejected: User "
	     "unknown",
	     "", BOUNCE_STAGE_RCPT_PIPELINED, BOUNCE_REASON_FILTERED},
	    {"550 5.5.0 Invalid recipient", "", BOUNCE_STAGE_RCPT_PIPELINED,
	     BOUNCE_REASON_USER_UNKNOWN},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++)
		assert_int_equal(
		    bounce_text_stage(stages[i].text, strlen(stages[i].text)),
		    stages[i].stage);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		assert_int_equal(bounce_refine_unknown(rules[i].diag,
		                                       rules[i].status,
		                                       rules[i].stage),
		                 rules[i].want);
	/* InterScan MSS's wording of an unknown user. */
	assert_int_equal(
	    bounce_classify_reason("Unable to deliver message to <a@b.example> "
	                           "(and other recipients in the same domain). "
	                           "Please check if address is correct.",
	                           NULL, 0),
	    BOUNCE_REASON_USER_UNKNOWN);
}

/* SES: the remote's reply and status, not SES's category, decide. */
static void
test_ses_wrapped(void **state)
{
	struct bounce_result r;
	struct bounce_rcpt *rc;

	(void)state;
	rc = first(ses_dsn, &r);
	assert_string_equal(rc->address, "ivy@dest.example");
	assert_string_equal(rc->status, "5.7.1");
	assert_int_equal(rc->reason, BOUNCE_REASON_POLICY);
	assert_int_equal(rc->cls, BOUNCE_CLASS_SOFT);
	bounce_result_fini(&r);
}

/* Encoded parts, an encoded subject, unclosed and boundary-less
 * multiparts: read by the fast walk. */
static const char *const shapes[] = {
    /* base64 text part, quoted-printable status part. */
    "From: MAILER-DAEMON@mx.sender.example\n"
    "To: news@sender.example\n"
    "Subject: =?UTF-8?B?VW5kZWxpdmVyYWJsZQ==?= =?UTF-8?Q?_mail?=\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status;\n"
    "\tboundary=\"=_b64\"\n"
    "\n"
    "preamble\n"
    "--=_b64\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    /* "<kim@dest.example>: 550 5.2.2 mailbox full\n" */
    "PGtpbUBkZXN0LmV4YW1wbGU+OiA1NTAgNS4yLjIgbWFpbGJveCBmdWxsCg==\n"
    "--=_b64\n"
    "Content-Type: message/delivery-status\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "Final-Recipient: rfc822; kim@dest=\n"
    ".example\n"
    "Action: failed\n"
    "Status: 5.2.2\n"
    "Diagnostic-Code: smtp; 552 5.2.2 mailbox =3D full\n"
    "--=_b64\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "From: news@sender.example\n"
    "Message-ID: <m1.c3@sender.example>\n"
    "\n"
    "body\n"
    "--=_b64--\n"
    "epilogue\n",
    /* A multipart never closed. */
    "From: MAILER-DAEMON@mx.sender.example\n"
    "Subject: failure notice\n"
    "Content-Type: multipart/mixed; boundary=open\n"
    "\n"
    "--open\n"
    "\n"
    "<lou@dest.example>:\n"
    "192.0.2.1 does not like recipient.\n"
    "Remote host said: 550 5.1.1 no mailbox here by that name\n",
    /* A multipart whose boundary never appears: all prologue. */
    "From: MAILER-DAEMON@mx.sender.example\n"
    "Subject: Mail delivery failed\n"
    "Content-Type: multipart/report; boundary=\"nowhere\"\n"
    "\n"
    "  max@dest.example\n"
    "    SMTP error from remote mail server after RCPT TO:<max@dest.example>:\n"
    "    550 5.1.1 unknown user\n",
    /* Not MIME at all, with an HTML-only part elsewhere. */
    "From: postmaster@dest.example\n"
    "Subject: Returned mail\n"
    "Content-Type: multipart/alternative; boundary=h\n"
    "\n"
    "--h\n"
    "Content-Type: text/html\n"
    "\n"
    "<p>Delivery to <b>ned@dest.example</b> failed:<br>550 5.1.1 no such "
    "user</p>\n"
    "--h--\n",
    /* Only the encoded subject says it is a bounce; an mbox separator. */
    "From MAILER-DAEMON Mon Jan  1 00:00:00 2024\n"
    "From: Mail System <system@dest.example>\n"
    "Subject: =?iso-8859-1?B?VW5kZWxpdmVyYWJsZTogdGVzdA==?=\n"
    "\n"
    "Your message to oz@dest.example could not be delivered:\n"
    "550 5.1.1 user unknown\n",
};

/* What a result says, as one string. */
static void
describe(const struct bounce_result *r, struct buf *out)
{
	buf_reset(out);
	buf_printf(out, "%d %s %s %s %s|", r->kind, r->format, r->feedback_type,
	           r->token, r->original_message_id);
	for (size_t i = 0; i < r->nrcpts; i++) {
		const struct bounce_rcpt *c = &r->rcpts[i];
		buf_printf(out, "%s %s %s %d %s %d %d %s|", c->address,
		           c->action, c->status, c->reply_code, c->remote_mta,
		           c->reason, c->cls,
		           c->diagnostic ? c->diagnostic : "-");
	}
}

/* The fast walk and GMime agree, and the values are the right ones. */
static void
test_fast_walk(void **state)
{
	struct bounce_result r;
	struct buf a, b;

	(void)state;
	buf_init(&a);
	buf_init(&b);
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		bounce_set_fast_path(true);
		assert_int_equal(parse(shapes[i], &r), 0);
		describe(&r, &a);
		bounce_result_fini(&r);
		bounce_set_fast_path(false);
		assert_int_equal(parse(shapes[i], &r), 0);
		describe(&r, &b);
		bounce_result_fini(&r);
		bounce_set_fast_path(true);
		assert_string_equal(buf_cstr(&a), buf_cstr(&b));
	}
	/* The fast walk read them itself; a first line that is no header
	 * field is left to GMime. */
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		struct bounce_walk w;
		memset(&w, 0, sizeof(w));
		bounce_walk_reset(&w);
		assert_int_equal(
		    mime_fast_walk(shapes[i], strlen(shapes[i]), &w), 0);
		bounce_walk_reset(&w);
		assert_int_equal(
		    mime_fast_walk("no header\nTo: y\n\nhi\n", 20, &w),
		    MC_EAGAIN);
		bounce_walk_reset(&w);
	}
	/* The values themselves. */
	assert_int_equal(parse(shapes[0], &r), 0);
	assert_int_equal(r.kind, BOUNCE_KIND_BOUNCE);
	assert_string_equal(r.format, "rfc3464");
	assert_string_equal(r.original_message_id, "m1.c3@sender.example");
	assert_int_equal(r.nrcpts, 1);
	assert_string_equal(r.rcpts[0].address, "kim@dest.example");
	assert_string_equal(r.rcpts[0].diagnostic, "552 5.2.2 mailbox = full");
	assert_int_equal(r.rcpts[0].cls, BOUNCE_CLASS_SOFT);
	bounce_result_fini(&r);
	for (size_t i = 1; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		assert_int_equal(parse(shapes[i], &r), 0);
		assert_int_equal(r.kind, BOUNCE_KIND_BOUNCE);
		assert_int_equal(r.nrcpts, 1);
		assert_int_equal(r.rcpts[0].cls, BOUNCE_CLASS_HARD);
		bounce_result_fini(&r);
	}
	buf_fini(&a);
	buf_fini(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stage_messages),
	    cmocka_unit_test(test_stage_rules),
	    cmocka_unit_test(test_ses_wrapped),
	    cmocka_unit_test(test_fast_walk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
