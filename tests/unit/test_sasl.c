/*
 * test_sasl.c — the SASL engine against the RFCs' own examples.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/base64.h"
#include "base/error.h"
#include "proto/sasl.h"

static void
test_plain(void **state)
{
	struct sasl_client s;
	struct buf out;

	(void)state;
	buf_init(&out);
	sasl_client_init(&s, SASL_PLAIN, "user", "pass");
	assert_true(sasl_client_initial(&s, &out));
	assert_string_equal(buf_cstr(&out), "AHVzZXIAcGFzcw==");
	sasl_client_fini(&s);
	buf_fini(&out);
}

static void
test_login(void **state)
{
	struct sasl_client s;
	struct buf out;

	(void)state;
	buf_init(&out);
	sasl_client_init(&s, SASL_LOGIN, "user", "pass");
	assert_false(sasl_client_initial(&s, &out));
	assert_int_equal(sasl_client_step(&s, "VXNlcm5hbWU6", 12, &out), 0);
	assert_string_equal(buf_cstr(&out), "dXNlcg==");
	buf_reset(&out);
	assert_int_equal(sasl_client_step(&s, "UGFzc3dvcmQ6", 12, &out), 0);
	assert_string_equal(buf_cstr(&out), "cGFzcw==");
	buf_reset(&out);
	assert_int_equal(sasl_client_step(&s, "UGFzc3dvcmQ6", 12, &out),
	                 MC_EPROTO);
	sasl_client_fini(&s);
	buf_fini(&out);
}

static void
test_cram_md5(void **state)
{
	/* RFC 2195 section 2. */
	const char *ch =
	    "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+";
	struct sasl_client s;
	struct buf out;

	(void)state;
	buf_init(&out);
	sasl_client_init(&s, SASL_CRAM_MD5, "tim", "tanstaaftanstaaf");
	assert_false(sasl_client_initial(&s, &out));
	assert_int_equal(sasl_client_step(&s, ch, strlen(ch), &out), 0);
	assert_string_equal(buf_cstr(&out),
	                    "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
	buf_reset(&out);
	assert_int_equal(sasl_client_step(&s, "bad!", 4, &out), MC_EDATA);
	sasl_client_fini(&s);
	buf_fini(&out);
}

static void
test_xoauth2(void **state)
{
	struct sasl_client s;
	struct buf out, dec;

	(void)state;
	buf_init(&out);
	buf_init(&dec);
	sasl_client_init(&s, SASL_XOAUTH2, "someuser@example.com", "ya29.tok");
	assert_true(sasl_client_initial(&s, &out));
	assert_int_equal(base64_decode(&dec, buf_cstr(&out), buf_len(&out), 0),
	                 0);
	assert_string_equal(
	    buf_cstr(&dec),
	    "user=someuser@example.com\001auth=Bearer ya29.tok\001\001");
	/* An error challenge is answered with an empty response. */
	buf_reset(&out);
	assert_int_equal(
	    sasl_client_step(&s, "eyJzdGF0dXMiOiI0MDEifQ==", 24, &out), 0);
	assert_int_equal(buf_len(&out), 0);
	sasl_client_fini(&s);
	buf_fini(&out);
	buf_fini(&dec);
}

static void
test_choose(void **state)
{
	const char *offer = "LOGIN PLAIN CRAM-MD5";

	(void)state;
	assert_int_equal(sasl_choose(offer, strlen(offer), true, SASL_NONE),
	                 SASL_PLAIN);
	/* Without TLS only CRAM-MD5 keeps the password off the wire. */
	assert_int_equal(sasl_choose(offer, strlen(offer), false, SASL_NONE),
	                 SASL_CRAM_MD5);
	assert_int_equal(sasl_choose("LOGIN PLAIN", 11, false, SASL_NONE),
	                 SASL_NONE);
	assert_int_equal(sasl_choose(offer, strlen(offer), true, SASL_LOGIN),
	                 SASL_LOGIN);
	assert_int_equal(sasl_choose(offer, strlen(offer), true, SASL_XOAUTH2),
	                 SASL_NONE);
	assert_int_equal(sasl_mech_lookup("cram-md5", 8), SASL_CRAM_MD5);
	assert_string_equal(sasl_mech_name(SASL_XOAUTH2), "XOAUTH2");
	assert_true(sasl_mech_is_cleartext(SASL_PLAIN));
	assert_false(sasl_mech_is_cleartext(SASL_CRAM_MD5));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain),    cmocka_unit_test(test_login),
	    cmocka_unit_test(test_cram_md5), cmocka_unit_test(test_xoauth2),
	    cmocka_unit_test(test_choose),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
