/*
 * test_utf8.c — base/utf8: a table of valid and invalid sequences (RFC 3629
 * and the Unicode standard's Table 3-7 of well-formed byte sequences), the
 * buffer check, and display widths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "base/utf8.h"

struct seq {
	const char *bytes;
	size_t n;    /* bytes given */
	size_t len;  /* what utf8_decode returns: 0 = invalid */
	uint32_t cp; /* when valid */
	const char *why;
};

static const struct seq seqs[] = {
    /* Valid: the first and last scalar of each length. */
    {"\x00", 1, 1, 0x00, "NUL is ASCII"},
    {"A", 1, 1, 0x41, "ASCII"},
    {"\x7f", 1, 1, 0x7f, "last ASCII"},
    {"\xc2\x80", 2, 2, 0x80, "first two-byte"},
    {"\xc3\xa9", 2, 2, 0xe9, "e acute"},
    {"\xdf\xbf", 2, 2, 0x7ff, "last two-byte"},
    {"\xe0\xa0\x80", 3, 3, 0x800, "first three-byte"},
    {"\xe2\x82\xac", 3, 3, 0x20ac, "euro sign"},
    {"\xed\x9f\xbf", 3, 3, 0xd7ff, "just below the surrogates"},
    {"\xee\x80\x80", 3, 3, 0xe000, "just above the surrogates"},
    {"\xef\xbf\xbd", 3, 3, 0xfffd, "replacement character"},
    {"\xef\xbf\xbf", 3, 3, 0xffff, "last three-byte"},
    {"\xf0\x90\x80\x80", 4, 4, 0x10000, "first four-byte"},
    {"\xf0\x9f\x98\x80", 4, 4, 0x1f600, "emoji"},
    {"\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff, "last scalar"},
    {"\xc3\xa9zz", 4, 2, 0xe9, "only the first sequence"},
    /* Invalid. */
    {"", 0, 0, 0, "nothing"},
    {"\x80", 1, 0, 0, "lone continuation byte"},
    {"\xbf", 1, 0, 0, "lone continuation byte (last)"},
    {"\xc0\x80", 2, 0, 0, "overlong NUL (C0)"},
    {"\xc1\xbf", 2, 0, 0, "overlong 0x7F (C1)"},
    {"\xe0\x80\x80", 3, 0, 0, "overlong three-byte NUL"},
    {"\xe0\x9f\xbf", 3, 0, 0, "overlong 0x7FF"},
    {"\xf0\x80\x80\x80", 4, 0, 0, "overlong four-byte NUL"},
    {"\xf0\x8f\xbf\xbf", 4, 0, 0, "overlong 0xFFFF"},
    {"\xed\xa0\x80", 3, 0, 0, "first surrogate"},
    {"\xed\xbf\xbf", 3, 0, 0, "last surrogate"},
    {"\xf4\x90\x80\x80", 4, 0, 0, "past U+10FFFF"},
    {"\xf5\x80\x80\x80", 4, 0, 0, "lead F5"},
    {"\xff", 1, 0, 0, "lead FF"},
    {"\xfe", 1, 0, 0, "lead FE"},
    {"\xc3", 1, 0, 0, "cut after the lead"},
    {"\xe2\x82", 2, 0, 0, "cut three-byte"},
    {"\xf0\x9f\x98", 3, 0, 0, "cut four-byte"},
    {"\xc3\x41", 2, 0, 0, "ASCII where a continuation belongs"},
    {"\xe2\x82\xc3", 3, 0, 0, "lead where a continuation belongs"},
    {"\xc3\xa9", 1, 0, 0, "n cuts a valid sequence"},
};

/* Every row of the table. */
static void
test_decode_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		const struct seq *t = &seqs[i];
		uint32_t cp = 0xdeadbeef;
		size_t len = utf8_decode(t->bytes, t->n, &cp);

		if (len != t->len)
			fail_msg("%s: length %zu, expected %zu", t->why, len,
			         t->len);
		if (len && cp != t->cp)
			fail_msg("%s: U+%04X, expected U+%04X", t->why,
			         (unsigned)cp, (unsigned)t->cp);
		if (!len && cp != 0xdeadbeef)
			fail_msg("%s: *cp written for an invalid sequence",
			         t->why);
		/* The check agrees: offset 0 for a bad start. */
		if (t->n > 0 && t->len == t->n &&
		    utf8_check(t->bytes, t->n) != t->n)
			fail_msg("%s: utf8_check rejects it", t->why);
		if (t->n > 0 && t->len == 0 && utf8_check(t->bytes, t->n) != 0)
			fail_msg("%s: utf8_check accepts it", t->why);
	}
	assert_int_equal(utf8_decode("\xc3\xa9", 2, NULL), 2); /* cp NULL */
}

/* Every scalar value round trips; every surrogate is refused. */
static void
test_decode_all(void **state)
{
	(void)state;
	for (uint32_t v = 0; v <= 0x10ffff; v++) {
		unsigned char b[4];
		size_t n;
		uint32_t cp;

		if (v < 0x80) {
			b[0] = (unsigned char)v, n = 1;
		} else if (v < 0x800) {
			b[0] = (unsigned char)(0xc0 | v >> 6);
			b[1] = (unsigned char)(0x80 | (v & 0x3f)), n = 2;
		} else if (v < 0x10000) {
			b[0] = (unsigned char)(0xe0 | v >> 12);
			b[1] = (unsigned char)(0x80 | ((v >> 6) & 0x3f));
			b[2] = (unsigned char)(0x80 | (v & 0x3f)), n = 3;
		} else {
			b[0] = (unsigned char)(0xf0 | v >> 18);
			b[1] = (unsigned char)(0x80 | ((v >> 12) & 0x3f));
			b[2] = (unsigned char)(0x80 | ((v >> 6) & 0x3f));
			b[3] = (unsigned char)(0x80 | (v & 0x3f)), n = 4;
		}
		size_t len = utf8_decode(b, n, &cp);
		if (v >= 0xd800 && v <= 0xdfff) {
			if (len != 0)
				fail_msg("surrogate U+%04X accepted",
				         (unsigned)v);
		} else if (len != n || cp != v) {
			fail_msg("U+%04X: length %zu", (unsigned)v, len);
		}
	}
}

/* The offset of the first bad byte, also past long ASCII runs. */
static void
test_check(void **state)
{
	char line[64];

	(void)state;
	assert_int_equal(utf8_check("", 0), 0);
	assert_int_equal(utf8_check("h\xc3\xa9llo", 6), 6);
	assert_int_equal(utf8_check("ab\xe2\x82", 4), 2);
	assert_int_equal(utf8_check("abc\xed\xa0\x80xyz", 9), 3);
	for (size_t at = 0; at < 40; at++) {
		memset(line, 'a', 40);
		line[at] = (char)0xff;
		assert_int_equal(utf8_check(line, 40), at);
		/* The same place with a valid two-byte sequence: all good. */
		line[at] = (char)0xc3;
		line[at + 1] = (char)0xa9;
		assert_int_equal(utf8_check(line, at + 2 > 40 ? 41 : 40),
		                 at + 2 > 40 ? 41 : 40);
	}
}

/* Columns: ASCII 1, combining 0, East Asian wide 2, invalid byte 1. */
static void
test_width(void **state)
{
	(void)state;
	assert_int_equal(utf8_width("", 0), 0);
	assert_int_equal(utf8_width("abc", 3), 3);
	assert_int_equal(utf8_width("caf\xc3\xa9", 5),
	                 4); /* café, é one char */
	assert_int_equal(utf8_width("cafe\xcc\x81", 6), 4); /* e + U+0301 */
	assert_int_equal(utf8_width("\xe6\x97\xa5\xe6\x9c\xac", 6),
	                 4);                                /* 日本 */
	assert_int_equal(utf8_width("\xed\x95\x9c", 3), 2); /* Hangul 한 */
	assert_int_equal(utf8_width("\xef\xbc\xa1", 3), 2); /* fullwidth A */
	assert_int_equal(utf8_width("\xf0\x9f\x98\x80", 4), 2); /* emoji */
	assert_int_equal(utf8_width("\xe2\x80\x8b", 3), 0);     /* ZWSP */
	assert_int_equal(utf8_width("a\xffz", 3), 3);           /* U+FFFD */
	assert_int_equal(utf8_width("\xe2\x82", 2), 2); /* cut: two U+FFFD */
	assert_int_equal(utf8_cp_width(0x0a), 0);
	assert_int_equal(utf8_cp_width(0x85), 0);
	assert_int_equal(utf8_cp_width(0xa0), 1);
	assert_int_equal(utf8_cp_width(0x0300), 0);
	assert_int_equal(utf8_cp_width(0x036f), 0);
	assert_int_equal(utf8_cp_width(0x0370), 1);
	assert_int_equal(utf8_cp_width(0x4e00), 2);
	assert_int_equal(utf8_cp_width(0x9fff), 2);
	assert_int_equal(utf8_cp_width(0xa4d0), 1);
	assert_int_equal(utf8_cp_width(0x3fffd), 2);
	assert_int_equal(utf8_cp_width(0xe0100), 0);
	assert_int_equal(utf8_cp_width(0x10ffff), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode_table),
	    cmocka_unit_test(test_decode_all),
	    cmocka_unit_test(test_check),
	    cmocka_unit_test(test_width),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
