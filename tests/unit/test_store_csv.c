/*
 * test_store_csv.c — the streaming CSV reader: good rows, every kind of bad
 * row reported by line with its reason, and recovery to the next row.
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
#include "base/utf8.h"
#include "store/csv_read.h"

/* What a reader made of an input: one line per row or error. */
static char *
run(const char *in, size_t len)
{
	FILE *fp = fmemopen((void *)in, len, "rb");
	static char out[8192];
	struct csv_reader *r;
	struct csv_row row;
	size_t o = 0;
	int rc;

	assert_non_null(fp);
	r = csv_reader_new(fp);
	out[0] = '\0';
	while ((rc = csv_reader_next(r, &row)) != 1) {
		if (rc == 0) {
			o += (size_t)snprintf(out + o, sizeof(out) - o,
			                      "%lu:", row.line);
			for (size_t i = 0; i < row.nfields; i++)
				o += (size_t)snprintf(out + o, sizeof(out) - o,
				                      "[%s]", row.fields[i]);
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\n");
		} else {
			o += (size_t)snprintf(out + o, sizeof(out) - o,
			                      "E %s\n", csv_reader_error(r));
			if (rc != MC_EDATA)
				break;
		}
	}
	csv_reader_free(r);
	fclose(fp);
	return out;
}

#define RUN(s) run((s), sizeof(s) - 1)

static void
test_good(void **state)
{
	(void)state;
	assert_string_equal(
	    RUN("email,name\r\na@b.c,\"Smith, J\"\r\n\r\n"
	        "x@y.z,\"say \"\"hi\"\"\nthere\"\nlast@x.y,end"),
	    "1:[email][name]\n2:[a@b.c][Smith, J]\n"
	    "4:[x@y.z][say \"hi\"\nthere]\n6:[last@x.y][end]\n");
	/* A BOM is skipped; a lone CR ends a line. */
	assert_string_equal(RUN("\xef\xbb\xbf"
	                        "e\ra@b\r"),
	                    "1:[e]\n2:[a@b]\n");
	assert_string_equal(RUN(""), "");
}

static void
test_bad_rows(void **state)
{
	char *out;

	(void)state;
	out = RUN("a,b\n1,2,3\n4,5\n");
	assert_string_equal(out, "1:[a][b]\n"
	                         "E line 2: 3 fields where 2 were expected\n"
	                         "3:[4][5]\n");
	/* Invalid UTF-8 and a NUL byte. */
	out = RUN("a,b\nx,caf\xe9\ny,z\nq\0r,s\nt,u\n");
	assert_string_equal(
	    out, "1:[a][b]\n"
	         "E line 2: invalid UTF-8 in field 2 (byte 0xE9 at offset 3); "
	         "the file must be UTF-8\n"
	         "3:[y][z]\nE line 4: NUL byte in field 1\n5:[t][u]\n");
	/* An unbalanced quote costs one line, mid-file or at the end. */
	out = RUN("a,b\n1,\"oops\n2,3\n4,5\n6,\"q\"\n7,\"open\n");
	assert_string_equal(
	    out,
	    "1:[a][b]\n"
	    "E line 2: malformed quoting (a quote inside an unquoted field, "
	    "or text after a closing quote)\n"
	    "3:[2][3]\n4:[4][5]\n5:[6][q]\n"
	    "E line 6: unbalanced quote: a quoted field opened here is never "
	    "closed\n");
	/* A quote inside an unquoted field: odd, then even. */
	out = RUN("a,b\n5\" disk,x\n1,2\n3,a\"b\"c\n4,5\n");
	assert_string_equal(out, "1:[a][b]\n"
	                         "E line 2: unbalanced quote: a quoted field "
	                         "opened here is never closed\n"
	                         "3:[1][2]\n"
	                         "E line 4: malformed quoting (a quote inside "
	                         "an unquoted field, or text after a closing "
	                         "quote)\n"
	                         "5:[4][5]\n");
}

static void
test_limits(void **state)
{
	size_t big = 1000 * 1000;
	char *in = malloc(big + 64), *out;
	size_t n = 0;

	(void)state;
	n += (size_t)sprintf(in, "a,b\n1,\"");
	memset(in + n, 'x', big);
	n += big;
	n += (size_t)sprintf(in + n, "\"\n2,3\n");
	out = run(in, n);
	assert_string_equal(
	    out,
	    "1:[a][b]\n"
	    "E line 2: record longer than 262144 bytes (an unbalanced quote, "
	    "or a huge field)\n"
	    "3:[2][3]\n");
	/* A field over the field limit in a record within the record limit. */
	n = (size_t)sprintf(in, "a,b\n1,");
	memset(in + n, 'y', CSV_READER_FIELD_MAX + 1);
	n += CSV_READER_FIELD_MAX + 1;
	n += (size_t)sprintf(in + n, "\n2,3");
	out = run(in, n);
	assert_string_equal(out, "1:[a][b]\n"
	                         "E line 2: field 2 is 65537 bytes, over the "
	                         "limit of 65536\n"
	                         "3:[2][3]\n");
	free(in);
	/* UTF-16 is refused outright. */
	out = RUN("\xff\xfe"
	          "a\0,\0b\0");
	assert_string_equal(out, "E line 1: the file is UTF-16; save it as "
	                         "UTF-8 and try again\n");
}

static void
test_utf8(void **state)
{
	(void)state;
	assert_int_equal(utf8_check("h\xc3\xa9llo", 6), 6);
	assert_int_equal(utf8_check("\xf0\x9f\x98\x80", 4), 4);
	assert_int_equal(utf8_check("a\xc0\x80", 3), 1);        /* overlong */
	assert_int_equal(utf8_check("\xed\xa0\x80", 3), 0);     /* surrogate */
	assert_int_equal(utf8_check("\xf4\x90\x80\x80", 4), 0); /* > 10FFFF */
	assert_int_equal(utf8_check("ab\xe2\x82", 4), 2);       /* truncated */
	/* Long ASCII runs are checked eight bytes at a time: a bad byte at
	 * every offset of a 40-byte line, and a good one after them. */
	for (size_t at = 0; at < 40; at++) {
		char line[41];

		memset(line, 'a', 40);
		line[40] = '\0';
		line[at] = (char)0xff;
		assert_int_equal(utf8_check(line, 40), at);
		line[at] = 'b';
		assert_int_equal(utf8_check(line, 40), 40);
	}
	assert_int_equal(
	    utf8_check("0123456789abcdef\xc3\xa9 and more ascii text\x80", 39),
	    38);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good),
	    cmocka_unit_test(test_bad_rows),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
