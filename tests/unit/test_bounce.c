/*
 * test_bounce.c — the bounce parser on small messages of each format
 * (written for these tests), and on hostile input generated here: a 50 MB
 * message, MIME nested 1,000 and 100 deep, broken boundaries, unknown
 * charsets, too many header fields, bare-CR line endings.
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

/* Parse a NUL-terminated message into r; returns bounce_parse's code. */
static int
parse(const char *msg, struct bounce_result *r, char *err, size_t errlen)
{
	bounce_result_init(r);
	return bounce_parse(msg, strlen(msg), r, err, errlen);
}

static const char postfix_dsn[] =
    "Return-Path: <>\n"
    "From: MAILER-DAEMON@mx.sender.example (Mail Delivery System)\n"
    "To: bounces+c7.k42.ab12cd@sender.example\n"
    "Subject: Undelivered Mail Returned to Sender\n"
    "Auto-Submitted: auto-replied\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status;\n"
    "\tboundary=\"B1\"\n"
    "\n"
    "--B1\n"
    "Content-Type: text/plain\n"
    "\n"
    "This is the mail system at host mx.sender.example.\n"
    "\n"
    "<ann@dest.example>: host mx.dest.example[192.0.2.7] said: 550 5.1.1\n"
    "    <ann@dest.example>: Recipient address rejected: User unknown in\n"
    "    local recipient table (in reply to RCPT TO command)\n"
    "\n"
    "--B1\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "Reporting-MTA: dns; mx.sender.example\n"
    "\n"
    "Final-Recipient: rfc822; ann@dest.example\n"
    "Original-Recipient: rfc822;ann@dest.example\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "Remote-MTA: dns; mx.dest.example\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <ann@dest.example>: Recipient address\n"
    "    rejected: User unknown in local recipient table\n"
    "\n"
    "Final-Recipient: rfc822; bob@dest.example\n"
    "Action: failed\n"
    "Status: 5.2.2\n"
    "Diagnostic-Code: smtp; 552 5.2.2 <bob@dest.example>: mailbox full\n"
    "\n"
    "--B1\n"
    "Content-Type: text/rfc822-headers\n"
    "\n"
    "Return-Path: <bounces+c7.k42.ab12cd@sender.example>\n"
    "From: news@sender.example\n"
    "To: ann@dest.example\n"
    "Message-ID: <c7.k42@sender.example>\n"
    "Subject: Our news\n"
    "\n"
    "--B1--\n";

/* RFC 3464: two recipients, their fields, classes and the VERP token. */
static void
test_rfc3464(void **state)
{
	struct bounce_result r;
	char err[256];

	(void)state;
	assert_int_equal(parse(postfix_dsn, &r, err, sizeof(err)), 0);
	assert_int_equal(r.kind, BOUNCE_KIND_BOUNCE);
	assert_string_equal(r.format, "rfc3464");
	assert_int_equal(r.nrcpts, 2);
	assert_string_equal(r.rcpts[0].address, "ann@dest.example");
	assert_string_equal(r.rcpts[0].action, "failed");
	assert_string_equal(r.rcpts[0].status, "5.1.1");
	assert_int_equal(r.rcpts[0].reply_code, 550);
	assert_string_equal(r.rcpts[0].remote_mta, "mx.dest.example");
	assert_non_null(strstr(r.rcpts[0].diagnostic, "User unknown"));
	assert_int_equal(r.rcpts[0].cls, BOUNCE_CLASS_HARD);
	assert_int_equal(r.rcpts[0].reason, BOUNCE_REASON_USER_UNKNOWN);
	assert_string_equal(r.rcpts[1].address, "bob@dest.example");
	assert_int_equal(r.rcpts[1].reply_code, 552);
	assert_int_equal(r.rcpts[1].cls, BOUNCE_CLASS_SOFT);
	assert_int_equal(r.rcpts[1].reason, BOUNCE_REASON_MAILBOX_FULL);
	assert_string_equal(r.token, "c7.k42.ab12cd");
	assert_string_equal(r.verp_address,
	                    "bounces+c7.k42.ab12cd@sender.example");
	assert_string_equal(r.original_message_id, "c7.k42@sender.example");
	bounce_result_fini(&r);
}

/* Exim's text bounce: X-Failed-Recipients and indented recipient lines;
 * each diagnostic stops at the next recipient. */
static void
test_exim(void **state)
{
	static const char msg[] =
	    "From: Mail Delivery System <Mailer-Daemon@mx.sender.example>\n"
	    "To: news@sender.example\n"
	    "Subject: Mail delivery failed: returning message to sender\n"
	    "X-Failed-Recipients: carl@dest.example, dora@nowhere.example\n"
	    "\n"
	    "This message was created automatically by mail delivery "
	    "software.\n"
	    "\n"
	    "A message that you sent could not be delivered to one or more "
	    "of its\nrecipients. This is a permanent error. The following "
	    "address(es) failed:\n"
	    "\n"
	    "  carl@dest.example\n"
	    "    SMTP error from remote mail server after RCPT "
	    "TO:<carl@dest.example>:\n"
	    "    host mx.dest.example [192.0.2.9]: 550 5.2.2 mailbox is full\n"
	    "  dora@nowhere.example\n"
	    "    Unrouteable address\n"
	    "\n"
	    "------ This is a copy of the message, including all the headers."
	    " ------\n"
	    "\n"
	    "From: news@sender.example\n"
	    "To: carl@dest.example\n"
	    "Subject: hello\n"
	    "\n"
	    "body\n";
	struct bounce_result r;
	char err[256];

	(void)state;
	assert_int_equal(parse(msg, &r, err, sizeof(err)), 0);
	assert_int_equal(r.kind, BOUNCE_KIND_BOUNCE);
	assert_int_equal(r.nrcpts, 2);
	assert_string_equal(r.rcpts[0].address, "carl@dest.example");
	assert_string_equal(r.rcpts[0].status, "5.2.2");
	assert_int_equal(r.rcpts[0].reply_code, 550);
	assert_int_equal(r.rcpts[0].cls, BOUNCE_CLASS_SOFT);
	assert_null(strstr(r.rcpts[0].diagnostic, "Unrouteable"));
	assert_string_equal(r.rcpts[1].address, "dora@nowhere.example");
	assert_int_equal(r.rcpts[1].cls, BOUNCE_CLASS_HARD);
	bounce_result_fini(&r);
}

/* qmail: "<address>:" then the remote reply, bare CR line endings. */
static void
test_qmail_cr(void **state)
{
	static const char msg[] =
	    "From: MAILER-DAEMON@mail.sender.example\r"
	    "To: news@sender.example\r"
	    "Subject: failure notice\r"
	    "\r"
	    "Hi. This is the qmail-send program at mail.sender.example.\r"
	    "I'm afraid I wasn't able to deliver your message to the "
	    "following addresses.\r"
	    "This is a permanent error; I've given up. Sorry it didn't work "
	    "out.\r"
	    "\r"
	    "<eve@dest.example>:\r"
	    "192.0.2.3 does not like recipient.\r"
	    "Remote host said: 550 sorry, no mailbox here by that name. "
	    "(#5.1.1)\r"
	    "Giving up on 192.0.2.3.\r"
	    "\r"
	    "--- Below this line is a copy of the message.\r"
	    "\r"
	    "From: news@sender.example\r"
	    "To: eve@dest.example\r"
	    "\r"
	    "hi\r";
	struct bounce_result r;
	char err[256];

	(void)state;
	assert_int_equal(parse(msg, &r, err, sizeof(err)), 0);
	assert_int_equal(r.kind, BOUNCE_KIND_BOUNCE);
	assert_int_equal(r.nrcpts, 1);
	assert_string_equal(r.rcpts[0].address, "eve@dest.example");
	assert_string_equal(r.rcpts[0].status, "5.1.1");
	assert_int_equal(r.rcpts[0].reply_code, 550);
	assert_int_equal(r.rcpts[0].cls, BOUNCE_CLASS_HARD);
	bounce_result_fini(&r);
}

/* RFC 5965 ARF: a complaint about the recipient of the original. */
static void
test_arf(void **state)
{
	static const char msg[] =
	    "From: feedback@isp.example\n"
	    "To: abuse@sender.example\n"
	    "Subject: FW: Our news\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=feedback-report;\n"
	    "    boundary=\"A\"\n"
	    "\n"
	    "--A\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "This is an email abuse report.\n"
	    "--A\n"
	    "Content-Type: message/feedback-report\n"
	    "\n"
	    "Feedback-Type: abuse\n"
	    "User-Agent: isp-fbl/1.0\n"
	    "Version: 1\n"
	    "--A\n"
	    "Content-Type: message/rfc822\n"
	    "\n"
	    "Return-Path: <bounces+tok9@sender.example>\n"
	    "From: news@sender.example\n"
	    "To: Fay <fay@isp.example>\n"
	    "Subject: Our news\n"
	    "\n"
	    "news\n"
	    "--A--\n";
	struct bounce_result r;
	char err[256];

	(void)state;
	assert_int_equal(parse(msg, &r, err, sizeof(err)), 0);
	assert_int_equal(r.kind, BOUNCE_KIND_COMPLAINT);
	assert_string_equal(r.feedback_type, "abuse");
	assert_int_equal(r.nrcpts, 1);
	assert_string_equal(r.rcpts[0].address, "fay@isp.example");
	assert_int_equal(r.rcpts[0].cls, BOUNCE_CLASS_COMPLAINT);
	assert_string_equal(r.token, "tok9");
	bounce_result_fini(&r);
}

/* RFC 3834 auto-reply, and ordinary mail. */
static void
test_autoreply_and_ordinary(void **state)
{
	static const char vacation[] = "From: Gus <gus@dest.example>\n"
	                               "To: bounces+t1@sender.example\n"
	                               "Subject: Out of Office: Our news\n"
	                               "Auto-Submitted: auto-replied\n"
	                               "\n"
	                               "I am away until Monday.\n";
	static const char ordinary[] =
	    "From: Hal <hal@dest.example>\n"
	    "To: news@sender.example\n"
	    "Subject: question about your newsletter\n"
	    "\n"
	    "Hello, can ivy@dest.example subscribe too?\n";
	struct bounce_result r;
	char err[256];

	(void)state;
	assert_int_equal(parse(vacation, &r, err, sizeof(err)), 0);
	assert_int_equal(r.kind, BOUNCE_KIND_AUTO_REPLY);
	assert_int_equal(r.nrcpts, 1);
	assert_string_equal(r.rcpts[0].address, "gus@dest.example");
	assert_int_equal(r.rcpts[0].cls, BOUNCE_CLASS_AUTO_REPLY);
	bounce_result_fini(&r);
	assert_int_equal(parse(ordinary, &r, err, sizeof(err)), 0);
	assert_int_equal(r.kind, BOUNCE_KIND_NOT_BOUNCE);
	assert_int_equal(r.nrcpts, 0);
	bounce_result_fini(&r);
}

/* The reason table: text decides over a misleading code. */
static void
test_classify(void **state)
{
	(void)state;
	assert_int_equal(
	    bounce_classify_reason("550 5.1.1 mailbox full", "5.1.1", 550),
	    BOUNCE_REASON_MAILBOX_FULL);
	assert_int_equal(bounce_classify_reason("553 5.1.8 Domain of sender "
	                                        "address x@y.example does not "
	                                        "exist",
	                                        "5.1.8", 553),
	                 BOUNCE_REASON_REJECTED);
	assert_int_equal(bounce_classify_reason("", "5.1.2", 550),
	                 BOUNCE_REASON_HOST_UNKNOWN);
	assert_int_equal(bounce_classify_reason(NULL, "4.4.7", 0),
	                 BOUNCE_REASON_EXPIRED);
	assert_int_equal(
	    bounce_reason_class(BOUNCE_REASON_USER_UNKNOWN, "5.1.1", "failed"),
	    BOUNCE_CLASS_HARD);
	assert_int_equal(
	    bounce_reason_class(BOUNCE_REASON_DELIVERED, "2.0.0", "delivered"),
	    BOUNCE_CLASS_NOT_BOUNCE);
	assert_string_equal(bounce_class_name(BOUNCE_CLASS_SOFT), "soft");
	assert_string_equal(bounce_kind_name(BOUNCE_KIND_AUTO_REPLY),
	                    "auto-reply");
}

/* A 50 MB message is refused before it is read, with the limit named. */
static void
test_hostile_size(void **state)
{
	size_t n = 50u * 1024 * 1024;
	char *big = malloc(n);
	struct bounce_result r;
	char err[256];

	(void)state;
	assert_non_null(big);
	memset(big, 'a', n);
	memcpy(big, "Subject: x\n\n", 12);
	bounce_result_init(&r);
	assert_int_equal(bounce_parse(big, n, &r, err, sizeof(err)), MC_ELIMIT);
	assert_non_null(strstr(err, "limit"));
	assert_int_equal(r.nrcpts, 0);
	free(big);
	bounce_result_fini(&r);
}

/* multipart nested depth levels deep, each with its own boundary. */
static void
nested(struct buf *b, int depth)
{
	buf_puts(b, "From: a@b.example\nSubject: deep\nMIME-Version: 1.0\n");
	for (int i = 0; i < depth; i++)
		buf_printf(b,
		           "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n"
		           "--b%d\n",
		           i, i);
	buf_puts(b, "Content-Type: text/plain\n\nbottom\n");
	for (int i = depth - 1; i >= 0; i--)
		buf_printf(b, "--b%d--\n", i);
}

/* MIME nested 1,000 deep (too many parts) and 100 deep (too deep). */
static void
test_hostile_nesting(void **state)
{
	struct bounce_result r;
	struct buf b;
	char err[256];

	(void)state;
	buf_init(&b);
	nested(&b, 1000);
	bounce_result_init(&r);
	assert_int_equal(
	    bounce_parse(buf_data(&b), buf_len(&b), &r, err, sizeof(err)),
	    MC_ELIMIT);
	assert_non_null(strstr(err, "MIME parts"));
	buf_reset(&b);
	nested(&b, 100);
	assert_int_equal(
	    bounce_parse(buf_data(&b), buf_len(&b), &r, err, sizeof(err)),
	    MC_ELIMIT);
	assert_non_null(strstr(err, "nesting deeper than"));
	buf_reset(&b);
	nested(&b, 10);
	assert_int_equal(
	    bounce_parse(buf_data(&b), buf_len(&b), &r, err, sizeof(err)), 0);
	assert_int_equal(r.kind, BOUNCE_KIND_NOT_BOUNCE);
	buf_fini(&b);
	bounce_result_fini(&r);
}

/* Broken boundaries, unknown charsets, junk: parsed, bounded, no crash. */
static void
test_hostile_broken(void **state)
{
	static const char broken[] =
	    "From: MAILER-DAEMON@x.example\n"
	    "Subject: Undelivered Mail Returned to Sender\n"
	    "Content-Type: multipart/report; boundary=\"never-closed\"\n"
	    "\n"
	    "--never-closed\n"
	    "Content-Type: text/plain; charset=x-no-such-charset\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n"
	    "!!!! not base64 at all \xff\xfe\n"
	    "--never-closed\n"
	    "Content-Type: message/delivery-status\n"
	    "\n"
	    "Final-Recipient: rfc822; jo@dest.example\n"
	    "Action: failed\n"
	    "Status: 5.1.1\n"
	    "Diagnostic-Code: smtp; 550 \xc3\x28 bad utf-8 \x01\n";
	struct bounce_result r;
	char err[256];

	(void)state;
	assert_int_equal(parse(broken, &r, err, sizeof(err)), 0);
	assert_int_equal(r.kind, BOUNCE_KIND_BOUNCE);
	assert_int_equal(r.nrcpts, 1);
	assert_string_equal(r.rcpts[0].address, "jo@dest.example");
	/* Invalid UTF-8 and control bytes are replaced, not passed on. */
	assert_null(strchr(r.rcpts[0].diagnostic, '\x01'));
	assert_null(strstr(r.rcpts[0].diagnostic, "\xc3\x28"));
	bounce_result_fini(&r);
	assert_int_equal(parse("\n\n\n", &r, err, sizeof(err)), 0);
	assert_int_equal(r.kind, BOUNCE_KIND_NOT_BOUNCE);
	bounce_result_fini(&r);
	bounce_result_init(&r);
	assert_int_equal(bounce_parse("", 0, &r, err, sizeof(err)), MC_EDATA);
	bounce_result_fini(&r);
}

/* More header fields than BOUNCE_MAX_HEADERS. */
static void
test_hostile_headers(void **state)
{
	struct bounce_result r;
	struct buf b;
	char err[256];

	(void)state;
	buf_init(&b);
	for (int i = 0; i < BOUNCE_MAX_HEADERS + 5; i++)
		buf_printf(&b, "X-H%d: v\n", i);
	buf_puts(&b, "\nbody\n");
	bounce_result_init(&r);
	assert_int_equal(
	    bounce_parse(buf_data(&b), buf_len(&b), &r, err, sizeof(err)),
	    MC_ELIMIT);
	assert_non_null(strstr(err, "header fields"));
	buf_fini(&b);
	bounce_result_fini(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc3464),
	    cmocka_unit_test(test_exim),
	    cmocka_unit_test(test_qmail_cr),
	    cmocka_unit_test(test_arf),
	    cmocka_unit_test(test_autoreply_and_ordinary),
	    cmocka_unit_test(test_classify),
	    cmocka_unit_test(test_hostile_size),
	    cmocka_unit_test(test_hostile_nesting),
	    cmocka_unit_test(test_hostile_broken),
	    cmocka_unit_test(test_hostile_headers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
