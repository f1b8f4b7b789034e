/*
 * test_app_contacts.c — app/contacts.h on a real SQLite store: the
 * msg/address check an import uses (a display-name form, an address with
 * no domain, white space, case), the import's counts and its reject CSV
 * (the bytes a user opens), --dry-run, suppressions by address and
 * @domain, the export's data rows and their CSV.
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

#include "app/contacts.h"
#include "app/json_text.h"
#include "base/error.h"

struct fixture {
	char dir[64];
	struct store *s;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char url[128], err[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/mc-app-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(url, sizeof(url), "sqlite:%s/t.db", f->dir);
	if (app_store_open(url, STORE_CREATE, &f->s, err, sizeof(err)) != 0)
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

/* The address check: trimmed, lower-cased, RFC 5322 forms refused. */
static void
test_addr_check(void **state)
{
	char norm[300], err[256];
	const char *in = "  Jo.Smith@Example.ORG\t";

	(void)state;
	assert_int_equal(app_addr_check(NULL, in, strlen(in), norm,
	                                sizeof(norm), err, sizeof(err)),
	                 0);
	assert_string_equal(norm, "jo.smith@example.org");
	in = "jo@";
	assert_int_equal(app_addr_check(NULL, in, strlen(in), norm,
	                                sizeof(norm), err, sizeof(err)),
	                 MC_EDATA);
	in = "a..b@example.org";
	assert_true(app_addr_check(NULL, in, strlen(in), norm, sizeof(norm),
	                           err, sizeof(err)) < 0);
	in = "   ";
	assert_int_equal(app_addr_check(NULL, in, strlen(in), norm,
	                                sizeof(norm), err, sizeof(err)),
	                 MC_EDATA);
	assert_string_equal(err, "empty address");
	assert_int_equal(app_supp_entry("@Example.COM", norm, sizeof(norm), err,
	                                sizeof(err)),
	                 0);
	assert_string_equal(norm, "@example.com");
	assert_true(app_supp_entry("@bad..domain", norm, sizeof(norm), err,
	                           sizeof(err)) < 0);
}

static unsigned long nrejected_cb;
static json_t *rejects_json; /* given to the next import, or NULL */

/* The caller's reject callback: counted. */
static void
count_reject(void *arg, unsigned long line, const char *reason, const char *raw,
             size_t rawlen)
{
	(void)arg, (void)line, (void)reason, (void)raw, (void)rawlen;
	nrejected_cb++;
}

/* Import csv into "news" with the reject CSV in *rejects (malloc'd). */
static int
import(struct fixture *f, const char *csv, bool dry, char **rejects,
       struct store_import_stats *st)
{
	size_t rlen;
	FILE *in = fmemopen((void *)csv, strlen(csv), "r");
	FILE *rj = open_memstream(rejects, &rlen);
	struct app_import o = {
	    .list = "news",
	    .dry_run = dry,
	    .rejects = rj,
	    .reject = count_reject,
	    .rejects_json = rejects_json,
	};
	int rc = app_contacts_import(f->s, in, &o, st);

	fclose(in);
	fclose(rj);
	return rc;
}

/* Counts, the reject CSV, and the rows that landed. */
static void
test_import(void **state)
{
	struct fixture *f = *state;
	const char *csv = "email,first_name\r\n"
	                  "Ann@Example.org,Ann\r\n"
	                  "\"Bob <bob@example.org>\",Bob\r\n"
	                  "ann@example.org,Again\r\n"
	                  "nobody,\"x, y\"\r\n"
	                  " carl@example.org ,Carl\r\n";
	struct store_import_stats st;
	unsigned long n;
	int64_t id;
	char *rj;

	nrejected_cb = 0;
	assert_int_equal(import(f, csv, true, &rj, &st), 0);
	free(rj);
	assert_int_equal(st.added, 2);
	assert_int_equal(store_list_find(f->s, "news", &id), MC_ENOTFOUND);

	nrejected_cb = 0;
	rejects_json = json_array();
	assert_int_equal(import(f, csv, false, &rj, &st), 0);
	assert_int_equal(json_array_size(rejects_json), 2);
	assert_int_equal(json_integer_value(json_object_get(
	                     json_array_get(rejects_json, 0), "line")),
	                 3);
	json_decref(rejects_json);
	rejects_json = NULL;
	assert_int_equal(st.rows, 5);
	assert_int_equal(st.added, 2);
	assert_int_equal(st.duplicates, 1);
	assert_int_equal(st.rejected, 2);
	assert_int_equal(nrejected_cb, 2);
	/* Header, then line,reason,record with CSV quoting. */
	assert_non_null(strstr(rj, "line,reason,record\r\n3,"));
	assert_non_null(strstr(rj, "\r\n5,"));
	assert_non_null(strstr(rj, ",\"nobody,\"\"x, y\"\"\"\r\n"));
	free(rj);
	assert_int_equal(store_list_find(f->s, "news", &id), 0);
	assert_int_equal(store_contact_count(f->s, id, &n), 0);
	assert_int_equal(n, 2);
}

/* Export rows: the header, then one row per contact, into CSV. */
static void
test_export(void **state)
{
	struct fixture *f = *state;
	const char *csv = "email,first_name,city\r\n"
	                  "a@example.org,Ann,\"Paris, FR\"\r\n"
	                  "b@example.org,Bob,\r\n";
	struct store_import_stats st;
	char *rj, *out;
	size_t len;
	int64_t id;

	assert_int_equal(import(f, csv, false, &rj, &st), 0);
	free(rj);
	assert_int_equal(store_list_find(f->s, "news", &id), 0);
	FILE *fp = open_memstream(&out, &len);
	assert_int_equal(app_contacts_export(f->s, id, app_csv_write_row, fp),
	                 0);
	fclose(fp);
	assert_non_null(strstr(out, "email,"));
	assert_non_null(strstr(out, "a@example.org,"));
	assert_non_null(strstr(out, "\"Paris, FR\""));
	assert_int_equal(strncmp(out, "email,", 6), 0);
	free(out);
}

/* Suppressions: add twice (kept once), by @domain, remove, import. */
static void
test_suppress(void **state)
{
	struct fixture *f = *state;
	struct store_suppression hit;
	struct store_import_stats st;
	char norm[300], err[256];
	bool added;

	assert_int_equal(app_supp_change(f->s, true, "Jo@Example.org",
	                                 SUPP_MANUAL, "test", &added, norm,
	                                 sizeof(norm), err, sizeof(err)),
	                 0);
	assert_true(added);
	assert_string_equal(norm, "jo@example.org");
	assert_int_equal(app_supp_change(f->s, true, "jo@example.org",
	                                 SUPP_COMPLAINT, "test", &added, norm,
	                                 sizeof(norm), err, sizeof(err)),
	                 0);
	assert_false(added);
	assert_int_equal(app_supp_change(f->s, true, "not an address",
	                                 SUPP_MANUAL, "test", &added, norm,
	                                 sizeof(norm), err, sizeof(err)),
	                 MC_EDATA);
	assert_int_equal(app_supp_change(f->s, true, "@Spam.Example",
	                                 SUPP_MANUAL, "test", &added, norm,
	                                 sizeof(norm), err, sizeof(err)),
	                 0);
	assert_int_equal(store_supp_check(f->s, "x@spam.example", &hit), 0);
	assert_string_equal(hit.entry, "@spam.example");
	assert_int_equal(app_supp_change(f->s, false, "JO@example.org",
	                                 SUPP_MANUAL, "test", &added, norm,
	                                 sizeof(norm), err, sizeof(err)),
	                 0);
	assert_int_equal(store_supp_check(f->s, "jo@example.org", &hit),
	                 MC_ENOTFOUND);

	const char *csv = "a@example.org\n@b.example\nbroken@\n";
	FILE *in = fmemopen((void *)csv, strlen(csv), "r");
	struct app_import o = {.reason = SUPP_HARD_BOUNCE, .source = "t"};
	assert_int_equal(app_supp_import(f->s, in, &o, &st), 0);
	fclose(in);
	assert_int_equal(st.added, 2);
	assert_int_equal(st.rejected, 1);
	assert_int_equal(store_supp_check(f->s, "z@b.example", &hit), 0);
}

/* A JSON value as text by a template: padding by terminal columns, a
 * number, a time, yes/no, nothing for a missing key; an array row by
 * row. */
static void
test_json_text(void **state)
{
	json_t *v = json_pack("[{s:s,s:i,s:i,s:b},{s:s,s:i,s:i,s:b}]", "name",
	                      "Zürich", "n", 7, "t", 0, "b", 1, "name", "ab",
	                      "n", 1234, "t", 86400, "b", 0);
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	(void)state;
	json_text_write(fp, v, "{name:-8}|{n:3}|{t:t}|{b}|{missing}\n");
	fclose(fp);
	assert_string_equal(text, "Zürich  |  7|1970-01-01T00:00:00Z|yes|\n"
	                          "ab      |1234|1970-01-02T00:00:00Z|no|\n");
	free(text);
	json_decref(v);
	/* objects and arrays: compact JSON, or name=value pairs */
	v = json_pack("{s:{s:s,s:[i]},s:{s:i,s:i}}", "a", "city", "Bern", "x",
	              1, "st", "active", 2, "erased", 0);
	fp = open_memstream(&text, &len);
	json_text_write(fp, v, "{a}|{st:kv}|{a:kv}\n");
	fclose(fp);
	assert_string_equal(text, "{\"city\":\"Bern\",\"x\":[1]}| active=2 "
	                          "erased=0| city=Bern x=[1]\n");
	free(text);
	json_decref(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_addr_check),
	    cmocka_unit_test(test_json_text),
	    cmocka_unit_test_setup_teardown(test_import, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_export, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_suppress, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
