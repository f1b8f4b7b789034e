/*
 * test_smtp_reply.c — SMTP reply framing and enhanced status codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/error.h"
#include "proto/smtp_reply.h"

/* Parse all of s; return the number of replies, the last one in *last. */
static int
parse_all(struct smtp_reply_parser *p, const char *s, int *code, char *enh,
          char *text, size_t textsz)
{
	size_t len = strlen(s), off = 0;
	int n = 0;

	while (off < len) {
		const struct smtp_reply *r;
		size_t used;
		int rc = smtp_reply_parse(p, s + off, len - off, &used, &r);
		off += used;
		if (rc < 0)
			return rc;
		if (rc == 1) {
			n++;
			*code = r->code;
			strcpy(enh, r->enh);
			snprintf(text, textsz, "%s", r->text);
		}
		if (rc == 0)
			break;
	}
	return n;
}

static void
test_single_and_multi(void **state)
{
	struct smtp_reply_parser p;
	int code = 0;
	char enh[16], text[512];

	(void)state;
	smtp_reply_parser_init(&p);
	assert_int_equal(parse_all(&p, "220 mx.example ESMTP\r\n", &code, enh,
	                           text, sizeof(text)),
	                 1);
	assert_int_equal(code, 220);
	assert_string_equal(enh, "");
	assert_string_equal(text, "mx.example ESMTP");
	assert_int_equal(
	    parse_all(&p, "250-mx.example\r\n250-PIPELINING\r\n250 SIZE 100\n",
	              &code, enh, text, sizeof(text)),
	    1);
	assert_int_equal(code, 250);
	assert_string_equal(text, "mx.example\nPIPELINING\nSIZE 100");
	/* Bare "250" ends a reply too; enhanced code found and checked. */
	assert_int_equal(parse_all(&p, "250\r\n550 5.1.1 no such user\r\n",
	                           &code, enh, text, sizeof(text)),
	                 2);
	assert_int_equal(code, 550);
	assert_string_equal(enh, "5.1.1");
	/* A class that disagrees with the code is not an enhanced code. */
	assert_int_equal(
	    parse_all(&p, "550 2.0.0 odd\r\n", &code, enh, text, sizeof(text)),
	    1);
	assert_string_equal(enh, "");
	assert_false(smtp_reply_parser_busy(&p));
	smtp_reply_parser_fini(&p);
}

static void
test_partial(void **state)
{
	struct smtp_reply_parser p;
	const struct smtp_reply *r;
	size_t used;
	const char *s = "451-4.3.0 first\r\n451 4.3.0 second\r\n";

	(void)state;
	smtp_reply_parser_init(&p);
	for (size_t i = 0; i + 1 < strlen(s); i++) {
		assert_int_equal(smtp_reply_parse(&p, s + i, 1, &used, &r), 0);
		assert_int_equal(used, 1);
		assert_true(smtp_reply_parser_busy(&p));
	}
	assert_int_equal(smtp_reply_parse(&p, s + strlen(s) - 1, 1, &used, &r),
	                 1);
	assert_int_equal(r->code, 451);
	assert_string_equal(r->enh, "4.3.0");
	assert_string_equal(r->text, "4.3.0 first\n4.3.0 second");
	assert_int_equal(r->nlines, 2);
	smtp_reply_parser_fini(&p);
}

static void
test_errors(void **state)
{
	static const char *const garbage[] = {
	    "HTTP/1.1 400 Bad Request\r\n",
	    "25\r\n",
	    "250x\r\n",
	    "250-a\r\n251 b\r\n",
	    "\x16\x03\x01\x02\x05\x01\r\n",
	    "\r\n",
	};
	struct smtp_reply_parser p;
	const struct smtp_reply *r;
	size_t used;

	(void)state;
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		smtp_reply_parser_init(&p);
		size_t len = strlen(garbage[i]) ? strlen(garbage[i]) : 1;
		int rc = 0, off = 0;
		while (rc >= 0 && (size_t)off < len) {
			rc = smtp_reply_parse(&p, garbage[i] + off, len - off,
			                      &used, &r);
			off += (int)used;
			if (rc == 0)
				break;
		}
		assert_int_equal(rc, MC_EPROTO);
		assert_non_null(strstr(p.last_error, "reply"));
		/* Once failed, it stays failed. */
		assert_int_equal(
		    smtp_reply_parse(&p, "250 ok\r\n", 8, &used, &r),
		    MC_EPROTO);
		smtp_reply_parser_fini(&p);
	}
	assert_non_null(strstr(garbage[0], "HTTP"));
}

static void
test_limits(void **state)
{
	struct smtp_reply_parser p;
	const struct smtp_reply *r;
	size_t used, total = 0;
	char *big = malloc(1 << 20);
	int rc = 0;

	(void)state;
	memset(big, 'a', 1 << 20);
	memcpy(big, "250 ", 4);
	smtp_reply_parser_init(&p);
	/* A 10 MB line fed in 1 MiB pieces fails at the line limit and never
	 * holds more than the limit. */
	for (int i = 0; i < 10 && rc == 0; i++) {
		rc = smtp_reply_parse(&p, big, 1 << 20, &used, &r);
		total += used;
		assert_true(p.line.cap <= 2 * SMTP_REPLY_LINE_MAX + 64);
	}
	assert_int_equal(rc, MC_ELIMIT);
	assert_non_null(strstr(p.last_error, "longer than 4096"));
	smtp_reply_parser_fini(&p);

	/* Too many lines. */
	smtp_reply_parser_init(&p);
	rc = 0;
	for (int i = 0; i < SMTP_REPLY_LINES_MAX + 5 && rc == 0; i++)
		rc = smtp_reply_parse(&p, "250-x\r\n", 7, &used, &r);
	assert_int_equal(rc, MC_ELIMIT);
	smtp_reply_parser_fini(&p);
	free(big);
	assert_true(total > 0);
}

static void
test_enhanced(void **state)
{
	char enh[16];

	(void)state;
	assert_int_equal(smtp_enhanced_code("5.1.1 user", 10, enh), 6);
	assert_string_equal(enh, "5.1.1");
	assert_int_equal(smtp_enhanced_code("4.7.123 x", 9, enh), 8);
	assert_string_equal(enh, "4.7.123");
	assert_int_equal(smtp_enhanced_code("2.0.0", 5, enh), 5);
	assert_int_equal(smtp_enhanced_code("3.0.0 x", 7, enh), 0);
	assert_int_equal(smtp_enhanced_code("5.1 x", 5, enh), 0);
	assert_int_equal(smtp_enhanced_code("5.1.1234 x", 10, enh), 0);
	assert_int_equal(smtp_enhanced_code("55.1.1 x", 8, enh), 0);
	assert_int_equal(smtp_enhanced_code("5.1.1x", 6, enh), 0);
	assert_int_equal(smtp_enhanced_code("Ok", 2, enh), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_single_and_multi),
	    cmocka_unit_test(test_partial),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_enhanced),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
