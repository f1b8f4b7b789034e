/*
 * test_app_segments.c — the application's side of `--where`
 * (app/contacts.h): the error a front end prints, counts of a list and of
 * every contact, an export narrowed to a segment (its header from the
 * matching contacts), adding a segment to another list without touching
 * attributes, and what a campaign keeps of the segment it was made of.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "app/campaign.h"
#include "app/contacts.h"
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
	struct app_import o = {.list = "news"};
	struct store_import_stats st;
	const char *csv = "email,city,First Name\n"
	                  "ann@a.example,Zürich,Ann\n"
	                  "bob@b.example,Paris,Bob\n"
	                  "cy@a.example,Zürich,\n";
	FILE *fp = fmemopen((void *)csv, strlen(csv), "r");

	snprintf(f->dir, sizeof(f->dir), "/tmp/mc-appseg-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(url, sizeof(url), "sqlite:%s/t.db", f->dir);
	if (app_store_open(url, STORE_CREATE, &f->s, err, sizeof(err)) != 0)
		return -1;
	if (app_contacts_import(f->s, fp, &o, &st) != 0 || st.added != 3)
		return -1;
	fclose(fp);
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
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* Rows of an export as "a,b;c,d;" (a contact's subscribed_at, the
 * time the fixture ran, as "DATE"). */
static int
rows(void *arg, const char *const *fields, size_t n)
{
	char *out = arg;
	bool head = n > 0 && strcmp(fields[0], "email") == 0;

	for (size_t i = 0; i < n; i++) {
		strcat(out, i ? "," : "");
		strcat(out, i == 2 && !head ? "DATE"
		            : fields[i]     ? fields[i]
		                            : "");
	}
	strcat(out, ";");
	return 0;
}

static void
test_count_and_errors(void **state)
{
	struct fixture *f = *state;
	unsigned long n = 0;
	char err[512];

	assert_int_equal(app_segment_count(f->s, "news", "city = \"Zürich\"",
	                                   &n, err, sizeof(err)),
	                 0);
	assert_int_equal(n, 2);
	assert_int_equal(app_segment_count(f->s, NULL, "city != \"Zürich\"", &n,
	                                   err, sizeof(err)),
	                 0);
	assert_int_equal(n, 1);
	assert_int_equal(app_segment_count(f->s, "news", "city = \"x\" and a =",
	                                   &n, err, sizeof(err)),
	                 MC_EINVAL);
	assert_string_equal(err, "--where: column 19: expected a value after "
	                         "\"=\"");
	assert_int_equal(app_segment_check("(((", err, sizeof(err)), MC_EINVAL);
	assert_int_equal(
	    app_segment_count(f->s, "nope", "a = 1", &n, err, sizeof(err)),
	    MC_ENOTFOUND);
	assert_non_null(strstr(err, "nope"));
}

static void
test_export_and_add(void **state)
{
	struct fixture *f = *state;
	char out[512] = "", err[256];
	unsigned long added = 9, n = 0;
	int64_t news;
	json_t *v;

	assert_int_equal(store_list_find(f->s, "news", &news), 0);
	assert_int_equal(app_contacts_export_where(f->s, news,
	                                           "\"First Name\" is set",
	                                           rows, out, err, sizeof(err)),
	                 0);
	assert_string_equal(out, "email,status,subscribed_at,status_changed_at,"
	                         "city,First Name;"
	                         "ann@a.example,active,DATE,,Zürich,Ann;"
	                         "bob@b.example,active,DATE,,Paris,Bob;");
	assert_int_equal(app_segment_rows(f->s, "news",
	                                  "email starts with "
	                                  "\"cy\"",
	                                  &v, err, sizeof(err)),
	                 0);
	assert_int_equal(json_array_size(v), 1);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(v, 0), "email")),
	    "cy@a.example");
	json_decref(v);

	/* to a new list: members added, attributes kept */
	assert_int_equal(app_list_add_where(f->s, "zh", "news",
	                                    "city = \"Zürich\"", &added, err,
	                                    sizeof(err)),
	                 0);
	assert_int_equal(added, 2);
	assert_int_equal(app_list_add_where(f->s, "zh", NULL,
	                                    "city = \"Zürich\"", &added, err,
	                                    sizeof(err)),
	                 0);
	assert_int_equal(added, 0);
	assert_int_equal(app_segment_count(f->s, "zh",
	                                   "\"First Name\" = \"Ann\"", &n, err,
	                                   sizeof(err)),
	                 0);
	assert_int_equal(n, 1);
}

static void
test_campaign_keeps_it(void **state)
{
	struct fixture *f = *state;
	struct campaign_settings set;
	struct campaign_info ci;
	char tpl[128], err[CAMPAIGN_ERR_MAX], *where = NULL;
	unsigned long matched = 0;
	int64_t id, id2;
	FILE *fp;

	snprintf(tpl, sizeof(tpl), "%s/t.txt", f->dir);
	fp = fopen(tpl, "w");
	fputs("From: n@news.example\nSubject: {{city}}\n\nhi\n", fp);
	fclose(fp);
	campaign_settings_init(&set);
	assert_int_equal(campaign_settings_set(&set, CAMPAIGN_OPT_TEMPLATE, tpl,
	                                       err, sizeof(err)),
	                 0);
	campaign_settings_set(&set, CAMPAIGN_OPT_FROM, "n@news.example", err,
	                      sizeof(err));
	campaign_settings_set(&set, CAMPAIGN_OPT_RELAY, "127.0.0.1:2", err,
	                      sizeof(err));
	assert_int_equal(campaign_create_where(f->s, "c", "news",
	                                       "city = \"Zürich\"", &set, &id,
	                                       &matched, err, sizeof(err)),
	                 0);
	assert_int_equal(matched, 2);
	assert_int_equal(
	    campaign_segment_get(f->s, id, &where, &matched, err, sizeof(err)),
	    0);
	assert_string_equal(where, "city = \"Zürich\"");
	assert_int_equal(matched, 2);
	free(where);
	assert_int_equal(campaign_status_get(f->s, id, &ci, err, sizeof(err)),
	                 0);
	assert_string_equal(ci.where, "city = \"Zürich\"");
	assert_int_equal(ci.states[DLV_PENDING], 2);
	/* a campaign of the whole list has none */
	assert_int_equal(
	    campaign_create(f->s, "all", "news", &set, &id2, err, sizeof(err)),
	    0);
	assert_int_equal(
	    campaign_segment_get(f->s, id2, &where, &matched, err, sizeof(err)),
	    MC_ENOTFOUND);
	assert_int_equal(campaign_status_get(f->s, id2, &ci, err, sizeof(err)),
	                 0);
	assert_string_equal(ci.where, "");
	assert_int_equal(ci.states[DLV_PENDING], 3);
	/* a bad expression makes nothing */
	assert_int_equal(campaign_create_where(f->s, "bad", "news",
	                                       "city ==", &set, &id, &matched,
	                                       err, sizeof(err)),
	                 MC_EINVAL);
	assert_string_equal(err, "--where: column 8: expected a value after "
	                         "\"=\"");
	assert_int_equal(store_campaign_find(f->s, "bad", &id), MC_ENOTFOUND);
	campaign_settings_fini(&set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_count_and_errors, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_export_and_add, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_campaign_keeps_it, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
