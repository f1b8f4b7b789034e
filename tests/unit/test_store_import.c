/*
 * test_store_import.c — CSV import into a real SQLite store: each kind of
 * bad row reported by line with its reason and handed to the reject
 * callback, the good rows kept, a fatal file leaving the store untouched,
 * re-import changing nothing, --dry-run writing nothing, suppressions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/error.h"
#include "store/store.h"
#include "store/store_import.h"

#define T0 1700000000

struct fixture {
	char dir[64];
	struct store *s;
	char rejects[8192];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char url[128], err[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/mc-import-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(url, sizeof(url), "sqlite:%s/t.db", f->dir);
	if ((f->s = store_open(url, err, sizeof(err))) == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	store_close(f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	free(f);
	return system(cmd) == 0 ? 0 : -1;
}

/* Reject callback: "reason|raw\n" per row. */
static void
on_reject(void *arg, unsigned long line, const char *reason, const char *raw,
          size_t rawlen)
{
	char *out = arg;
	size_t o = strlen(out);

	(void)line;
	snprintf(out + o, 8192 - o, "%s|%.*s\n", reason,
	         (int)(rawlen > 40 ? 40 : rawlen), raw);
}

/* Import in[0..n) into list "news". */
static int
import(struct fixture *f, const char *in, size_t n, int dry,
       struct store_import_stats *st)
{
	struct store_import_opts o = {
	    .list = "news",
	    .dry_run = dry,
	    .reject = on_reject,
	    .reject_arg = f->rejects,
	    .now = T0,
	};
	FILE *fp = fmemopen((void *)in, n, "rb");
	int err;

	f->rejects[0] = '\0';
	err = store_import_contacts(f->s, fp, &o, st);
	fclose(fp);
	return err;
}

static int
dump(void *arg, const struct store_contact *c)
{
	strcat(arg, c->address);
	strcat(arg, " ");
	strcat(arg, c->attrs);
	strcat(arg, "\n");
	return 0;
}

/* Every contact as "address attrs" lines. */
static char *
contents(struct fixture *f)
{
	static char out[8192];

	out[0] = '\0';
	assert_int_equal(store_contact_each(f->s, 0, dump, out), 0);
	return out;
}

static const char bad_csv[] =
    "Name,E-Mail,City\r\n"
    "Ann,ann@example.com,Paris\r\n"        /* 2 ok */
    "Bob,\"bob@example.com,Oslo\r\n"       /* 3 unbalanced quote */
    "Cy,cy@example.com\r\n"                /* 4 wrong count */
    "D\xe9,d@example.com,Rome\r\n"         /* 5 invalid UTF-8 */
    "E\0e,e@example.com,Nice\r\n"          /* 6 NUL */
    "Fay,not-an-address,Bern\r\n"          /* 7 invalid address */
    "Gus,GUS@Example.COM,\"Lyon, FR\"\r\n" /* 8 ok */
    "Ann2,ann@example.com,Paris\r\n";      /* 9 duplicate */

static void
test_bad_rows(void **state)
{
	struct fixture *f = *state;
	struct store_import_stats st;

	assert_int_equal(import(f, bad_csv, sizeof(bad_csv) - 1, 0, &st), 0);
	assert_string_equal(
	    f->rejects,
	    "line 3: unbalanced quote: a quoted field opened here is never "
	    "closed|Bob,\"bob@example.com,Oslo\n"
	    "line 4: 2 fields where 3 were expected|Cy,cy@example.com\n"
	    "line 5: invalid UTF-8 in field 1 (byte 0xE9 at offset 1); the "
	    "file must be UTF-8|D\xe9,d@example.com,Rome\n"
	    "line 6: NUL byte in field 1|E\n"
	    "line 7: invalid address: 'not-an-address' is not an address "
	    "(local@domain)|Fay,not-an-address,Bern\n");
	assert_int_equal(st.rows, 4);
	assert_int_equal(st.added, 2);
	assert_int_equal(st.rejected, 5);
	assert_int_equal(st.duplicates, 1);
	assert_int_equal(st.joined, 2);
	assert_string_equal(
	    contents(f),
	    "ann@example.com {\"Name\":\"Ann\",\"City\":\"Paris\"}\n"
	    "gus@example.com {\"Name\":\"Gus\",\"City\":\"Lyon, FR\"}\n");

	/* Again: nothing changes. */
	assert_int_equal(import(f, bad_csv, sizeof(bad_csv) - 1, 0, &st), 0);
	assert_int_equal(st.added, 0);
	assert_int_equal(st.updated, 0);
	assert_int_equal(st.unchanged, 2);
	assert_int_equal(st.joined, 0);
}

static void
test_huge_field(void **state)
{
	struct fixture *f = *state;
	struct store_import_stats st;
	size_t big = 1024 * 1024, n = 0;
	char *in = malloc(big + 256);

	n += (size_t)sprintf(in, "email,note\na@x.example,\"");
	memset(in + n, 'z', big);
	n += big;
	n += (size_t)sprintf(in + n, "\"\nb@x.example,short\n");
	assert_int_equal(import(f, in, n, 0, &st), 0);
	free(in);
	assert_non_null(strstr(f->rejects, "line 2: record longer than"));
	assert_int_equal(st.rejected, 1);
	assert_int_equal(st.added, 1);
	assert_string_equal(contents(f), "b@x.example {\"note\":\"short\"}\n");
}

static void
test_fatal_leaves_store_untouched(void **state)
{
	struct fixture *f = *state;
	struct store_import_stats st;
	static const char utf16[] = "\xff\xfe"
	                            "e\0m\0";
	static const char nocol[] = "name,city\nAnn,Paris\n";
	static const char good[] = "email\nz@z.example\n";
	static const char badhead[] = "email,\"x\"y\nemail,y\nw@z.example,1\n";

	assert_int_equal(import(f, good, sizeof(good) - 1, 0, &st), 0);
	assert_int_equal(import(f, utf16, sizeof(utf16) - 1, 0, &st),
	                 MC_EUNSUPP);
	assert_non_null(strstr(store_error(f->s), "UTF-16"));
	assert_int_equal(import(f, nocol, sizeof(nocol) - 1, 0, &st), MC_EDATA);
	assert_string_equal(
	    store_error(f->s),
	    "line 1: no address column found in the header ('name', "
	    "'city'); name it with --email-column");
	/* a bad header row ends it: the next row is never the header */
	assert_int_equal(import(f, badhead, sizeof(badhead) - 1, 0, &st),
	                 MC_EDATA);
	assert_string_equal(
	    store_error(f->s),
	    "the header row: line 1: malformed quoting (a quote "
	    "inside an unquoted field, or text after a closing "
	    "quote)");
	assert_string_equal(contents(f), "z@z.example {}\n");
}

static void
test_dry_run_and_update(void **state)
{
	struct fixture *f = *state;
	struct store_import_stats st;
	static const char v1[] = "email,plan\na@x.example,free\n";
	static const char v2[] = "email,plan\na@x.example,pro\nb@x.example,\n";
	unsigned long n;

	assert_int_equal(import(f, v1, sizeof(v1) - 1, 1, &st), 0);
	assert_int_equal(st.added, 1);
	assert_string_equal(contents(f), "");
	assert_int_equal(import(f, v1, sizeof(v1) - 1, 0, &st), 0);
	assert_int_equal(import(f, v2, sizeof(v2) - 1, 0, &st), 0);
	assert_int_equal(st.updated, 1);
	assert_int_equal(st.added, 1);
	assert_string_equal(contents(f), "a@x.example {\"plan\":\"pro\"}\n"
	                                 "b@x.example {}\n");
	assert_int_equal(store_contact_count(f->s, 0, &n), 0);
	assert_int_equal(n, 2);
}

static void
test_suppressions(void **state)
{
	struct fixture *f = *state;
	struct store_import_opts o = {
	    .reject = on_reject, .reject_arg = f->rejects, .now = T0};
	static const char in[] = "address,why\n"
	                         "a@x.example,x\n"
	                         "@Spam.Example\n"
	                         "junk\n"
	                         "a@x.example\n";
	struct store_import_stats st;
	struct store_suppression hit;
	FILE *fp = fmemopen((void *)in, sizeof(in) - 1, "rb");

	f->rejects[0] = '\0';
	assert_int_equal(store_import_suppressions(f->s, fp, SUPP_COMPLAINT,
	                                           "file", &o, &st),
	                 0);
	fclose(fp);
	assert_int_equal(st.added, 2);
	assert_int_equal(st.unchanged, 1);
	assert_int_equal(st.rejected, 1);
	assert_string_equal(f->rejects, "line 4: invalid address: 'junk' is "
	                                "not an address (local@domain)|junk\n");
	assert_int_equal(store_supp_check(f->s, "q@spam.example", &hit), 0);
	assert_string_equal(hit.entry, "@spam.example");
	assert_int_equal(hit.reason, SUPP_COMPLAINT);
}

static void
test_json_string(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	store_json_string(&b, "a\"b\\c\n\x01", 7);
	assert_string_equal(buf_cstr(&b), "\"a\\\"b\\\\c\\n\\u0001\"");
	buf_reset(&b);
	store_json_string(&b, "", 0);
	store_json_string(&b, "\t\r", 2);
	store_json_string(&b, "caf\xc3\xa9\x7f end\"", 11);
	assert_string_equal(buf_cstr(&b),
	                    "\"\"\"\\t\\r\"\"caf\xc3\xa9\x7f end\\\"\"");
	buf_fini(&b);
}

/* contact_each callback: the attrs of "u7@d.example" into arg. */
static int
attrs_of_u7(void *arg, const struct store_contact *c)
{
	if (strcmp(c->address, "u7@d.example") == 0)
		snprintf(arg, 64, "%s", c->attrs);
	return 0;
}

/* Many rows go to the store in batches (by count, and by bytes for wide
 * rows): every row counted once, duplicates and rejects across batch
 * boundaries, re-import unchanged, one changed row updated. */
static void
test_many_rows(void **state)
{
	struct fixture *f = *state;
	struct store_import_stats st;
	char *big = malloc(60001), *csv = malloc(8 << 20), got[64] = "";
	size_t n = 0;
	unsigned long members = 0;
	int64_t list;

	memset(big, 'x', 60000);
	big[60000] = '\0';
	n += (size_t)sprintf(csv + n, "email,note\n");
	for (int i = 0; i < 700; i++) {
		if (i % 100 == 99) /* a duplicate of the row before */
			n += (size_t)sprintf(csv + n, "u%d@d.example,dup\n",
			                     i - 1);
		else if (i % 100 == 42)
			n += (size_t)sprintf(csv + n, "bad-%d,x\n", i);
		else
			n += (size_t)sprintf(csv + n, "u%d@d.example,%s\n", i,
			                     i % 10 == 3 ? big : "n");
	}
	assert_int_equal(import(f, csv, n, 0, &st), 0);
	assert_int_equal(st.rows, 700);
	assert_int_equal(st.duplicates, 7);
	assert_int_equal(st.rejected, 7);
	assert_int_equal(st.added, 686);
	assert_int_equal(st.joined, 686);
	assert_int_equal(store_list_find(f->s, "news", &list), 0);
	assert_int_equal(store_contact_count(f->s, list, &members), 0);
	assert_int_equal(members, 686);
	assert_int_equal(import(f, csv, n, 0, &st), 0);
	assert_int_equal(st.added, 0);
	assert_int_equal(st.updated, 0);
	assert_int_equal(st.unchanged, 686);
	assert_int_equal(st.joined, 0);
	/* Change row u7's note: one update, the rest unchanged. */
	memcpy(strstr(csv, "u7@d.example,n") + 13, "N", 1);
	assert_int_equal(import(f, csv, n, 0, &st), 0);
	assert_int_equal(st.updated, 1);
	assert_int_equal(st.unchanged, 685);
	assert_int_equal(store_contact_each(f->s, 0, attrs_of_u7, got), 0);
	assert_string_equal(got, "{\"note\":\"N\"}");
	free(big);
	free(csv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_bad_rows, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_huge_field, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fatal_leaves_store_untouched,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dry_run_and_update, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_suppressions, setup, teardown),
	    cmocka_unit_test(test_json_string),
	    cmocka_unit_test_setup_teardown(test_many_rows, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
