/*
 * test_address.c — RFC 5321 mailbox parsing: limits, quoting, IDN, errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/error.h"
#include "msg/address.h"

/* Parse s and return the normalised form (static buffer) or the error. */
static const char *
norm(const char *s, int *rc)
{
	static char out[ADDR_PATH_MAX + 1], err[128];
	struct addr a;

	*rc = addr_parse(s, strlen(s), &a, err, sizeof(err));
	if (*rc != 0)
		return err;
	addr_format(&a, out, sizeof(out));
	return out;
}

static void
test_valid(void **state)
{
	static const struct {
		const char *in, *out;
	} v[] = {
	    {"alice@example.org", "alice@example.org"},
	    {"Alice.Smith@EXAMPLE.Org", "Alice.Smith@example.org"},
	    {"a+tag@sub.example.co.uk", "a+tag@sub.example.co.uk"},
	    {"\"a\\\"b\"@example.org", "\"a\\\"b\"@example.org"},
	    /* one mailbox, one form: quotes and escapes only where needed */
	    {"\"jo.e\"@example.org", "jo.e@example.org"},
	    {"\"j\\o.e\"@example.org", "jo.e@example.org"},
	    {"\"a..b\"@example.org", "\"a..b\"@example.org"},
	    {"\".a\"@example.org", "\".a\"@example.org"},
	    {"\"a@b\"@example.org", "\"a@b\"@example.org"},
	    {"\"a\\@b\"@example.org", "\"a@b\"@example.org"},
	    {"\"a\\\\b\"@example.org", "\"a\\\\b\"@example.org"},
	    {"x@[192.0.2.1]", "x@[192.0.2.1]"},
	    {"x@[IPv6:2001:DB8::1]", "x@[IPv6:2001:db8::1]"},
	    {"user@bücher.example", "user@xn--bcher-kva.example"},
	    {"user@BÜCHER.example", "user@xn--bcher-kva.example"},
	    {"!#$%&'*+-/=?^_`{|}~@example.org",
	     "!#$%&'*+-/=?^_`{|}~@example.org"},
	};
	int rc;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const char *got = norm(v[i].in, &rc);
		if (rc != 0)
			fail_msg("%s: %s", v[i].in, got);
		assert_string_equal(got, v[i].out);
	}
}

static void
test_utf8_local(void **state)
{
	struct addr a;
	char err[128];
	const char *s = "jöran@example.org";

	(void)state;
	assert_int_equal(addr_parse(s, strlen(s), &a, err, sizeof(err)), 0);
	assert_true(a.utf8);
	assert_string_equal(a.local, "jöran");
	assert_int_equal(addr_parse("a@b.org", 7, &a, err, sizeof(err)), 0);
	assert_false(a.utf8);
}

static void
test_invalid(void **state)
{
	static const struct {
		const char *in, *why;
	} v[] = {
	    {"", "empty address"},
	    {"alice.example.org", "no '@' in address"},
	    {"@example.org", "empty local part"},
	    {"alice@", "empty domain"},
	    {".alice@example.org", "starts or ends with '.'"},
	    {"al..ice@example.org", "two dots"},
	    {"al ice@example.org", "space in local part"},
	    {"al\rice@example.org", "control character in local part"},
	    {"a(b)@example.org", "needs quoting"},
	    {"\"abc@example.org", "unterminated"},
	    {"alice@exa mple.org", "space in domain"},
	    {"alice@-example.org", "not a host name"},
	    {"alice@example..org", "empty label"},
	    {"alice@example.org.", "ends with '.'"},
	    {"alice@192.0.2.1", "not a host name"},
	    {"alice@[300.1.1.1]", "bad IPv4"},
	    {"al\xff@example.org", "invalid UTF-8"},
	    {"al\xc0\xaf@example.org", "invalid UTF-8"},
	    {"a@b@example.org", "more than one '@'"},
	    {"a@b@c", "more than one '@'"},
	    {"alice.@example.org", "starts or ends with '.'"},
	    {"@route:a@b.example", "source route"},
	    {"@r1,@r2:a@b.example", "source route"},
	    /* one rule for import, send and the engine: the SMTP client
	     * puts no space or <> in a command */
	    {"\"john doe\"@example.org", "' ' in a quoted local part"},
	    {"\"a<b\"@example.org", "'<' in a quoted local part"},
	};
	int rc;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const char *got = norm(v[i].in, &rc);
		if (rc != MC_EDATA || strstr(got, v[i].why) == NULL)
			fail_msg("'%s': rc %d, '%s', want '%s'", v[i].in, rc,
			         got, v[i].why);
	}
}

static void
test_limits(void **state)
{
	char s[600], err[128];
	struct addr a;

	(void)state;
	/* 64 octets of local part is fine, 65 is not. */
	memset(s, 'a', 64);
	strcpy(s + 64, "@example.org");
	assert_int_equal(addr_parse(s, strlen(s), &a, err, sizeof(err)), 0);
	memset(s, 'a', 65);
	strcpy(s + 65, "@example.org");
	assert_int_equal(addr_parse(s, strlen(s), &a, err, sizeof(err)),
	                 MC_EDATA);
	assert_string_equal(err, "local part longer than 64 octets");
	/* A 64-octet label is too long. */
	strcpy(s, "a@");
	memset(s + 2, 'b', 64);
	strcpy(s + 66, ".org");
	assert_int_equal(addr_parse(s, strlen(s), &a, err, sizeof(err)),
	                 MC_EDATA);
	assert_non_null(strstr(err, "label longer than 63"));
	/* A 63-octet label is fine. */
	strcpy(s, "a@");
	memset(s + 2, 'b', 63);
	strcpy(s + 65, ".org");
	assert_int_equal(addr_parse(s, strlen(s), &a, err, sizeof(err)), 0);
	/* A domain of 256 octets (labels of 63) is too long. */
	strcpy(s, "a@");
	for (int i = 0; i < 4; i++) {
		memset(s + 2 + 64 * i, 'c', 63);
		s[2 + 64 * i + 63] = '.';
	}
	strcpy(s + 2 + 256, "");
	s[2 + 255] = 'd';
	assert_int_equal(strlen(s) - 2, 256);
	assert_int_equal(addr_parse(s, strlen(s), &a, err, sizeof(err)),
	                 MC_EDATA);
	assert_non_null(strstr(err, "domain longer than 255"));
	/* 64 + 1 + 189 = 254 octets: the longest address. */
	size_t o = 0;
	memset(s, 'l', 64);
	o = 64;
	s[o++] = '@';
	while (o < 254) {
		size_t n = 254 - o > 50 ? 49 : 254 - o;
		memset(s + o, 'd', n);
		o += n;
		if (o < 254)
			s[o++] = '.';
	}
	s[o] = '\0';
	assert_int_equal(strlen(s), 254);
	assert_int_equal(addr_parse(s, strlen(s), &a, err, sizeof(err)), 0);
	memmove(s + 65, s + 64, 191);
	s[64] = 'l';
	assert_int_equal(strlen(s), 255);
	assert_int_equal(addr_parse(s, strlen(s), &a, err, sizeof(err)),
	                 MC_EDATA);
	assert_non_null(strstr(err, "longer than"));
}

static void
test_mailbox(void **state)
{
	struct addr a;
	char name[ADDR_NAME_MAX + 1], err[128];
	const char *s = " \"Smith, Jo \\\"J\\\"\" <jo@Example.ORG> ";

	(void)state;
	assert_int_equal(addr_parse_mailbox(s, strlen(s), &a, name,
	                                    sizeof(name), err, sizeof(err)),
	                 0);
	assert_string_equal(name, "Smith, Jo \"J\"");
	assert_string_equal(a.domain, "example.org");
	s = "Zoë <z@example.org>";
	assert_int_equal(addr_parse_mailbox(s, strlen(s), &a, name,
	                                    sizeof(name), err, sizeof(err)),
	                 0);
	assert_string_equal(name, "Zoë");
	s = "plain@example.org";
	assert_int_equal(addr_parse_mailbox(s, strlen(s), &a, name,
	                                    sizeof(name), err, sizeof(err)),
	                 0);
	assert_string_equal(name, "");
	s = "Evil\r\nBcc: x@y.org <a@example.org>";
	assert_int_equal(addr_parse_mailbox(s, strlen(s), &a, name,
	                                    sizeof(name), err, sizeof(err)),
	                 MC_EDATA);
	assert_non_null(strstr(err, "control character"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),   cmocka_unit_test(test_utf8_local),
	    cmocka_unit_test(test_invalid), cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_mailbox),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
