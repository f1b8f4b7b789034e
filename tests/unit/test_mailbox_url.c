/*
 * test_mailbox_url.c — the --mailbox URL parser (app/mailbox_url): the
 * parts it returns, and the refusal of control characters, raw or
 * %-escaped, in every part with the part named (issue 11, defect 6:
 * pop3://user%0d%0aDELE%201@host put a DELE on the POP3 wire).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "app/mailbox_url.h"
#include "base/error.h"

/* A good URL: every part as given, escapes decoded. */
static void
test_parts(void **state)
{
	struct mailbox_url u;
	char err[256] = "";

	(void)state;
	assert_int_equal(mailbox_url_parse("imaps://bounce%40example.org@"
	                                   "mx.example:10993/Junk%20Mail",
	                                   &u, err, sizeof(err)),
	                 0);
	assert_int_equal(u.proto, MAILBOX_IMAP);
	assert_true(u.implicit);
	assert_string_equal(u.user, "bounce@example.org");
	assert_string_equal(u.host, "mx.example");
	assert_int_equal(u.port, 10993);
	assert_string_equal(u.folder, "Junk Mail");
	assert_int_equal(
	    mailbox_url_parse("pop3://u@127.0.0.1", &u, err, sizeof(err)), 0);
	assert_int_equal(u.port, 110);
	assert_string_equal(u.folder, "INBOX");
}

/* Each URL must be refused with MC_EINVAL and words in err. */
static void
refused(const char *url, const char *words)
{
	struct mailbox_url u;
	char err[256] = "";

	assert_int_equal(mailbox_url_parse(url, &u, err, sizeof(err)),
	                 MC_EINVAL);
	if (strstr(err, words) == NULL)
		fail_msg("%s: error \"%s\" lacks \"%s\"", url, err, words);
	/* The hostile URL is not echoed back into a terminal or log. */
	assert_null(strchr(err, '\r'));
	assert_null(strchr(err, '\n'));
}

/* CR, LF, NUL and other controls: escaped or raw, in every part. */
static void
test_control_characters(void **state)
{
	(void)state;
	refused("pop3://user%0d%0aDELE%201@mx.example",
	        "the user contains a control character");
	refused("pop3://user%0aDELE%201@mx.example",
	        "the user contains a control character");
	refused("pop3://user%00admin@mx.example",
	        "the user contains a control character");
	refused("pop3://user%09x@mx.example",
	        "the user contains a control character");
	refused("pop3://user%7f@mx.example",
	        "the user contains a control character");
	refused("pop3://user\r\nDELE 1@mx.example",
	        "the user contains a control character");
	refused("pop3://u:pa%0d%0ass@mx.example",
	        "the password contains a control character");
	refused("pop3://u@mx.exa%0d%0ample", "the host contains a control");
	refused("pop3://u@mx.example\r\n", "the host contains a control");
	refused("pop3://u@mx.exa%00mple:110", "the host contains a control");
	refused("imap://u@mx.example/INBOX%0d%0aA2%20DELETE%20INBOX",
	        "the folder contains a control character");
	refused("imap://u@mx.example/IN%00BOX",
	        "the folder contains a control character");
	refused("imap://u@mx.example/IN\nBOX",
	        "the folder contains a control character");
	/* Not controls: still the old errors. */
	refused("pop3://u:p@mx.example", "no password in the URL");
	refused("pop3://u%zz@mx.example", "a bad %-escape in the user");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parts),
	    cmocka_unit_test(test_control_characters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
