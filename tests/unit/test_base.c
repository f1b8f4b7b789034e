/*
 * test_base.c — buffers, base64, error names and mc_fail, the fake clock,
 * str helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sysexits.h>

#include "base/base64.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/str.h"

static void
test_buf_fifo(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	assert_int_equal(buf_len(&b), 0);
	assert_string_equal(buf_cstr(&b), "");
	buf_puts(&b, "hello ");
	buf_printf(&b, "%s %d", "world", 42);
	assert_string_equal(buf_cstr(&b), "hello world 42");
	buf_consume(&b, 6);
	assert_string_equal(buf_cstr(&b), "world 42");
	/* Appending after a consume reclaims the front without losing bytes. */
	for (int i = 0; i < 1000; i++)
		buf_putc(&b, 'x');
	assert_int_equal(buf_len(&b), 8 + 1000);
	assert_memory_equal(buf_data(&b), "world 42xxx", 11);
	buf_consume(&b, buf_len(&b));
	assert_int_equal(buf_len(&b), 0);
	buf_puts(&b, "abc");
	size_t len;
	char *s = buf_steal(&b, &len);
	assert_string_equal(s, "abc");
	assert_int_equal(len, 3);
	assert_int_equal(buf_len(&b), 0);
	free(s);
	/* printf: what fits the free space in one pass, what does not in
	 * two, and the empty text; the NUL always follows */
	char big[3000];
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_printf(&b, "<%s>", "a");
	buf_printf(&b, "%s", "");
	buf_printf(&b, "[%s]", big);
	assert_int_equal(buf_len(&b), 3 + sizeof(big) + 1);
	assert_memory_equal(buf_data(&b), "<a>[yyy", 7);
	assert_string_equal(buf_cstr(&b) + buf_len(&b) - 4, "yyy]");
	buf_printf(&b, "%d", 7);
	assert_string_equal(buf_cstr(&b) + buf_len(&b) - 5, "yyy]7");
	buf_fini(&b);
}

static void
test_base64(void **state)
{
	static const struct {
		const char *plain, *enc;
	} v[] = {
	    {"", ""},
	    {"f", "Zg=="},
	    {"fo", "Zm8="},
	    {"foo", "Zm9v"},
	    {"foob", "Zm9vYg=="},
	    {"fooba", "Zm9vYmE="},
	    {"foobar", "Zm9vYmFy"},
	};
	struct buf b;

	(void)state;
	buf_init(&b);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		buf_reset(&b);
		base64_encode(&b, v[i].plain, strlen(v[i].plain));
		assert_string_equal(buf_cstr(&b), v[i].enc);
		buf_reset(&b);
		assert_int_equal(
		    base64_decode(&b, v[i].enc, strlen(v[i].enc), 0), 0);
		assert_string_equal(buf_cstr(&b), v[i].plain);
	}
	buf_reset(&b);
	assert_int_equal(
	    base64_decode(&b, "Zm9v\r\nYmFy", 10, BASE64_SKIP_SPACE), 0);
	assert_string_equal(buf_cstr(&b), "foobar");
	buf_reset(&b);
	assert_int_equal(base64_decode(&b, "Zm9v\r\nYmFy", 10, 0), MC_EDATA);
	buf_reset(&b);
	assert_int_equal(base64_decode(&b, "Zm=v", 4, 0), MC_EDATA);
	buf_reset(&b);
	assert_int_equal(base64_decode(&b, "Zh==", 4, 0),
	                 MC_EDATA); /* stray bits */
	buf_reset(&b);
	assert_int_equal(base64_decode(&b, "Zg=", 3, 0), MC_EDATA);
	/* Lenient: junk skipped, '=' ends a group, output capped. */
	buf_reset(&b);
	base64_decode_lenient(&b, "Zm9v!!\r\nYm\tFy", 13, 100);
	assert_string_equal(buf_cstr(&b), "foobar");
	buf_reset(&b);
	base64_decode_lenient(&b, "Zg==Zm9v", 8, 100);
	assert_string_equal(buf_cstr(&b), "ffoo");
	buf_reset(&b);
	base64_decode_lenient(&b, "Zm9vYmFy", 8, 4);
	assert_string_equal(buf_cstr(&b), "foob");
	buf_fini(&b);
}

static void
test_errors(void **state)
{
	(void)state;
	assert_string_equal(mc_errname(MC_ETIMEDOUT), "MC_ETIMEDOUT");
	assert_string_equal(mc_strerror(MC_ETIMEDOUT), "timed out");
	assert_int_equal(mc_exit_code(MC_ETIMEDOUT), EX_TEMPFAIL);
	assert_int_equal(mc_exit_code(MC_ENOHOST), EX_NOHOST);
	assert_int_equal(mc_exit_code(MC_OK), EX_OK);
	assert_string_equal(mc_errname(-999), "MC_E?");
	assert_int_equal(mc_exit_code(-999), EX_SOFTWARE);
}

/* mc_fail: the reason in the caller's buffer (cut to fit), the code back. */
static void
test_mc_fail(void **state)
{
	char err[16];

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(
	    mc_fail(MC_EDATA, err, sizeof(err), "bad %s %d", "octet", 7),
	    MC_EDATA);
	assert_string_equal(err, "bad octet 7");
	assert_int_equal(mc_fail(MC_ELIMIT, err, sizeof(err),
	                         "line %d longer than %d octets", 12, 998),
	                 MC_ELIMIT);
	assert_string_equal(err, "line 12 longer ");
	/* No buffer: the code alone, nothing written. */
	assert_int_equal(mc_fail(MC_EINVAL, NULL, 0, "x"), MC_EINVAL);
	err[0] = 'k';
	assert_int_equal(mc_fail(MC_EIO, err, 0, "y"), MC_EIO);
	assert_int_equal(err[0], 'k');
}

static void
test_fake_clock(void **state)
{
	struct mc_clock c;

	(void)state;
	mc_clock_fake_init(&c, 1000);
	assert_int_equal(mc_clock_mono_ms(&c), 0);
	mc_clock_fake_advance(&c, 2500);
	assert_int_equal(mc_clock_mono_ms(&c), 2500);
	assert_int_equal(mc_clock_wall(&c), 1002);
	assert_true(mc_clock_mono_ms(mc_clock_system()) > 0);
}

static void
test_str(void **state)
{
	unsigned long long v;
	char small[4];

	(void)state;
	assert_true(mc_istarts("STARTTLS x", 10, "starttls"));
	assert_false(mc_istarts("START", 5, "starttls"));
	assert_true(mc_ieq("Auth", 4, "AUTH"));
	assert_false(mc_ieq("Auth", 3, "AUTH"));
	assert_true(mc_parse_uint("12345", 5, 99999, &v));
	assert_int_equal(v, 12345);
	assert_false(mc_parse_uint("123456", 6, 99999, &v));
	assert_false(mc_parse_uint("12a", 3, 999, &v));
	assert_false(mc_parse_uint("", 0, 999, &v));
	assert_false(mc_parse_uint("99999999999999999999999", 23, ~0ULL, &v));
	assert_int_equal(mc_strlcpy(small, "abcdef", sizeof(small)), 6);
	assert_string_equal(small, "abc");
}

/* Durations: units, a bare number in the option's unit, garbage refused. */
static void
test_duration(void **state)
{
	uint64_t ms = 0;

	(void)state;
	assert_int_equal(mc_duration_parse("30s", 1000, &ms), 0);
	assert_int_equal(ms, 30000);
	assert_int_equal(mc_duration_parse("500ms", 1000, &ms), 0);
	assert_int_equal(ms, 500);
	assert_int_equal(mc_duration_parse("2m", 1000, &ms), 0);
	assert_int_equal(ms, 120000);
	assert_int_equal(mc_duration_parse("1d", 1, &ms), 0);
	assert_int_equal(ms, 86400000);
	assert_int_equal(mc_duration_parse("45", 1000, &ms), 0);
	assert_int_equal(ms, 45000);
	assert_int_equal(mc_duration_parse("45", 1, &ms), 0);
	assert_int_equal(ms, 45);
	assert_int_equal(mc_duration_parse("", 1000, &ms), MC_EINVAL);
	assert_int_equal(mc_duration_parse("-5s", 1000, &ms), MC_EINVAL);
	assert_int_equal(mc_duration_parse("5 s", 1000, &ms), MC_EINVAL);
	assert_int_equal(mc_duration_parse("5sec", 1000, &ms), MC_EINVAL);
	assert_int_equal(mc_duration_parse("1.5s", 1000, &ms), MC_EINVAL);
	assert_int_equal(mc_duration_parse("100000001", 1, &ms), MC_EINVAL);
	assert_int_equal(mc_duration_parse(NULL, 1, &ms), MC_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_buf_fifo),   cmocka_unit_test(test_base64),
	    cmocka_unit_test(test_errors),     cmocka_unit_test(test_mc_fail),
	    cmocka_unit_test(test_fake_clock), cmocka_unit_test(test_str),
	    cmocka_unit_test(test_duration),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
