/*
 * test_segment.c — the `--where` language (store/segment.h): errors that
 * point at the column, the SQL both dialects get (no user text in it,
 * every value a parameter), and what a compiled segment selects in a
 * real SQLite store (count, each, add to a list, a campaign's ledger).
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
#include <sqlite3.h>

#include "base/error.h"
#include "store/segment.h"
#include "store/store.h"

#define T0  1767225600 /* 2026-01-01T00:00:00Z */
#define DAY 86400

/* Parse text and give the error (or "" when it parses). */
static int
parse_err(const char *text, char *err, size_t errsz)
{
	struct segment *seg = NULL;
	int rc;

	err[0] = '\0';
	rc = segment_parse(text, &seg, err, errsz);
	segment_free(seg);
	return rc;
}

static void
test_errors_point_at_the_column(void **state)
{
	static const struct {
		const char *text;
		int rc;
		const char *err;
	} cases[] = {
	    {"city = \"Zürich\" and a =", MC_EINVAL,
	     "column 24: expected a value after \"=\""},
	    {"city =", MC_EINVAL, "column 7: expected a value after \"=\""},
	    {"city = \"x\" and", MC_EINVAL,
	     "column 15: expected a condition (a field, \"not\", \"(\" or a "
	     "function), not the end"},
	    {"city = Zürich and x = 1", MC_EINVAL,
	     "column 8: a text value goes in quotes: \"Zürich\""},
	    {"created >= 30d", MC_EINVAL,
	     "column 12: a duration goes in bounced_within() or sent_within(); "
	     "a date is written 2026-01-01"},
	    {"status = active", MC_EINVAL,
	     "column 10: a text value goes in quotes: \"active\""},
	    {"status = \"gone\"", MC_EINVAL,
	     "column 10: no status \"gone\" (the statuses: active, "
	     "unsubscribed, bounced, complained, blocklisted, erased, "
	     "pending)"},
	    {"(city = \"x\"", MC_EINVAL,
	     "column 12: expected \")\" to close the \"(\" at column 1, not "
	     "the end"},
	    {"city = \"x\")", MC_EINVAL,
	     "column 11: a \")\" without its \"(\""},
	    {"city \"x\"", MC_EINVAL,
	     "column 6: expected an operator (=, !=, <, <=, >, >=, contains, "
	     "like, starts with, ends with, is set, in) after the field, not "
	     "\"\"x\"\""},
	    {"city = \"open", MC_EINVAL,
	     "column 8: a quoted value that never ends (a \" is missing)"},
	    {"First Name = \"A\"", MC_EINVAL,
	     "column 7: expected an operator (=, !=, <, <=, >, >=, contains, "
	     "like, starts with, ends with, is set, in) after the field, not "
	     "\"Name\""},
	    {"created >= \"2026\"", MC_EINVAL,
	     "column 12: created compares with a date: created >= 2026-01-01"},
	    {"signup >= 2026-02-30", MC_EINVAL,
	     "column 11: 2026-02-30 is not a date (YYYY-MM-DD)"},
	    {"bounced_within(90)", MC_EINVAL,
	     "column 16: bounced_within() takes a duration: 90d, 12h or 2w, "
	     "not \"90\""},
	    {"bounced_within(0d)", MC_EINVAL,
	     "column 16: a duration is 1h to "
	     "36500d"},
	    {"clicked_within(30d)", MC_EINVAL,
	     "column 1: clicked_within() is not available yet (mailcast does "
	     "not track clicks or opens)"},
	    {"opened(1d)", MC_EINVAL,
	     "column 1: no function opened() (the functions: in_list, "
	     "bounced_within, sent_within)"},
	    {"in_list(vip)", MC_EINVAL,
	     "column 9: in_list() takes a list name in quotes: "
	     "in_list(\"vip\"), "
	     "not \"vip\""},
	    {"city ; drop table contacts", MC_EINVAL,
	     "column 6: unexpected \";\" (a name with spaces or other "
	     "characters goes in quotes: \"First Name\")"},
	    {"email is set", MC_EINVAL,
	     "column 7: email is always set (\"is set\" is for attributes)"},
	    {"city contains 3", MC_EINVAL,
	     "column 15: \"contains\" takes a quoted value"},
	    {"", MC_EINVAL, "column 1: an empty expression"},
	    {"x = 1 or", MC_EINVAL,
	     "column 9: expected a condition (a field, \"not\", \"(\" or a "
	     "function), not the end"},
	};
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse_err(cases[i].text, err, sizeof(err));
		if (rc != cases[i].rc || strcmp(err, cases[i].err) != 0)
			fail_msg("%s\n  got  %d %s\n  want %d %s",
			         cases[i].text, rc, err, cases[i].rc,
			         cases[i].err);
	}
}

static void
test_limits(void **state)
{
	char text[SEGMENT_TEXT_MAX + 64], err[256];
	size_t k = 0;

	(void)state;
	/* length */
	memset(text, ' ', SEGMENT_TEXT_MAX + 1);
	memcpy(text, "a = 1", 5);
	text[SEGMENT_TEXT_MAX + 1] = '\0';
	assert_int_equal(parse_err(text, err, sizeof(err)), MC_ELIMIT);
	assert_string_equal(err, "longer than 4096 bytes");
	/* depth: 33 parentheses */
	for (int i = 0; i < SEGMENT_DEPTH_MAX + 1; i++)
		text[k++] = '(';
	strcpy(text + k, "a = 1");
	assert_int_equal(parse_err(text, err, sizeof(err)), MC_ELIMIT);
	assert_string_equal(err, "column 33: more than 32 nested parentheses "
	                         "or \"not\"s");
	/* 32 parentheses are fine */
	k = 0;
	for (int i = 0; i < SEGMENT_DEPTH_MAX - 1; i++)
		text[k++] = '(';
	k += (size_t)sprintf(text + k, "a = 1");
	for (int i = 0; i < SEGMENT_DEPTH_MAX - 1; i++)
		text[k++] = ')';
	text[k] = '\0';
	assert_int_equal(parse_err(text, err, sizeof(err)), 0);
	/* 65 conditions */
	k = 0;
	for (int i = 0; i <= SEGMENT_TERMS_MAX; i++)
		k += (size_t)sprintf(text + k, "%sa = %d", i ? " or " : "", i);
	assert_int_equal(parse_err(text, err, sizeof(err)), MC_ELIMIT);
	assert_string_equal(err, "column 631: more than 64 conditions");
	/* a NOT chain as deep as the limit allows, then one more */
	k = 0;
	for (int i = 0; i < SEGMENT_DEPTH_MAX + 1; i++)
		k += (size_t)sprintf(text + k, "not ");
	strcpy(text + k, "a = 1");
	assert_int_equal(parse_err(text, err, sizeof(err)), MC_ELIMIT);
	/* not UTF-8 */
	assert_int_equal(parse_err("a = \"\xff\"", err, sizeof(err)),
	                 MC_EINVAL);
	assert_string_equal(err, "column 6: not UTF-8");
}

/* Compile text for d from parameter first; the SQL and "p1|p2|..." */
static void
compile(const char *text, enum segment_dialect d, int first, char *sql,
        size_t sqlsz, char *params, size_t psz)
{
	struct segment *seg;
	struct segment_sql q;
	char err[256];
	size_t k = 0;

	if (segment_parse(text, &seg, err, sizeof(err)) != 0)
		fail_msg("%s: %s", text, err);
	segment_compile(seg, d, first, T0, &q);
	snprintf(sql, sqlsz, "%s", q.where);
	params[0] = '\0';
	for (size_t i = 0; i < q.nparams; i++) {
		const struct segment_param *p = &q.params[i];
		if (p->type == SEGMENT_P_TEXT)
			k += (size_t)snprintf(params + k, psz - k, "%s%s",
			                      i ? "|" : "", p->text);
		else if (p->type == SEGMENT_P_INT)
			k += (size_t)snprintf(params + k, psz - k, "%s%lld",
			                      i ? "|" : "", (long long)p->i);
		else
			k += (size_t)snprintf(params + k, psz - k, "%s%g",
			                      i ? "|" : "", p->r);
	}
	segment_sql_fini(&q);
	segment_free(seg);
}

static void
test_both_dialects(void **state)
{
	char sql[4096], params[1024];
	const char *ex = "city = \"Zürich\" and created >= 2026-01-01 and "
	                 "not bounced_within(90d)";

	(void)state;
	compile(ex, SEGMENT_SQLITE, 2, sql, sizeof(sql), params,
	        sizeof(params));
	assert_string_equal(
	    sql,
	    "((coalesce(mc_attr(c.attrs, ?2) = ?3, 0) AND "
	    "(c.created_at >= ?4)) AND NOT EXISTS (SELECT 1 FROM bounces "
	    "seg_b WHERE seg_b.address = c.address AND (seg_b.kind = "
	    "'hard' OR seg_b.kind = 'soft') AND seg_b.received_at >= ?5))");
	assert_string_equal(params, "city|Zürich|1767225600|1759449600");
	compile(ex, SEGMENT_PG, 2, sql, sizeof(sql), params, sizeof(params));
	assert_string_equal(
	    sql,
	    "((coalesce((CAST(c.attrs AS jsonb) ->> $2) = $3, false) AND "
	    "(c.created_at >= $4)) AND NOT EXISTS (SELECT 1 FROM bounces "
	    "seg_b WHERE seg_b.address = c.address AND (seg_b.kind = 'hard' "
	    "OR seg_b.kind = 'soft') AND seg_b.received_at >= $5))");
	assert_string_equal(params, "city|Zürich|1767225600|1759449600");

	compile("\"First Name\" starts with \"An_\" or rating > 3 or "
	        "in_list(\"vip\") or email != \"Ann@X.Example\"",
	        SEGMENT_PG, 1, sql, sizeof(sql), params, sizeof(params));
	assert_string_equal(
	    sql,
	    "(((coalesce(translate((CAST(c.attrs AS jsonb) ->> $1), "
	    "'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') LIKE "
	    "translate($2, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
	    "'abcdefghijklmnopqrstuvwxyz') ESCAPE '\\', false) OR "
	    "coalesce(CASE WHEN (CAST(c.attrs AS jsonb) ->> "
	    "$3) ~ '^[ \\t\\n\\r]*-?(0|[1-9][0-9]*)([.][0-9]+)?([eE][+-]?"
	    "[0-9]{1,4})?[ \\t\\n\\r]*$' THEN CAST((CAST(c.attrs AS jsonb) "
	    "->> $3) AS numeric) END > $4, false)) OR EXISTS (SELECT 1 FROM "
	    "list_members seg_m "
	    "JOIN lists seg_l ON seg_l.id = seg_m.list_id WHERE "
	    "seg_m.contact_id = c.id AND seg_l.name = $5)) OR NOT "
	    "coalesce(c.address = $6, false))");
	assert_string_equal(params, "First Name|An\\_%|rating|3|vip|"
	                            "ann@x.example");
	compile("\"First Name\" starts with \"An_\" or rating > 3",
	        SEGMENT_SQLITE, 1, sql, sizeof(sql), params, sizeof(params));
	assert_string_equal(
	    sql, "(coalesce(mc_attr(c.attrs, ?1) LIKE ?2 ESCAPE '\\', 0) "
	         "OR coalesce(mc_num(mc_attr(c.attrs, ?3)) > ?4, 0))");
	assert_string_equal(params, "First Name|An\\_%|rating|3");

	/* whatever the user wrote is a parameter, never SQL text */
	compile("\"x') OR 1=1 --\" = \"'; DROP TABLE contacts; --\" or "
	        "in_list(\"a'b\") or note contains \"%_\\\\\"",
	        SEGMENT_SQLITE, 1, sql, sizeof(sql), params, sizeof(params));
	assert_null(strstr(sql, "DROP"));
	assert_null(strstr(sql, "1=1"));
	assert_null(strstr(sql, "a'b"));
	assert_string_equal(params, "x') OR 1=1 --|'; DROP TABLE "
	                            "contacts; --|a'b|note|%\\%\\_\\\\%");
}

/* segment_attr_find and friends: what json_extract would give. */
static void
test_attr_reading(void **state)
{
	const char *o =
	    " { \"a\" : \"x\" , \"\\u00fcber\":\"\\\"q\\\" \\ud83d\\ude00\","
	    "\"n\": {\"a\": \"no\", \"b\": [1, \"}\"]}, "
	    "\"a\": \"second\", \"num\": -4.5e1 } ";
	const char *v;
	size_t n;
	char out[64];
	bool integral;

	(void)state;
	assert_int_equal(segment_attr_find(o, strlen(o), "a", &v, &n), 1);
	assert_int_equal(n, 3); /* the first "a", quotes and all */
	assert_memory_equal(v, "\"x\"", 3);
	assert_int_equal(segment_attr_find(o, strlen(o), "über", &v, &n), 1);
	n = segment_json_unescape(v + 1, n - 2, out);
	assert_string_equal(out, "\"q\" \xf0\x9f\x98\x80");
	assert_int_equal(segment_attr_find(o, strlen(o), "n", &v, &n), 1);
	assert_memory_equal(v, "{\"a\": \"no\", \"b\": [1, \"}\"]}", n);
	assert_int_equal(segment_attr_find(o, strlen(o), "num", &v, &n), 1);
	assert_true(segment_json_number(v, n, &integral));
	assert_false(integral);
	/* a key inside a nested object is not an attribute */
	assert_int_equal(segment_attr_find(o, strlen(o), "b", &v, &n), 0);
	assert_int_equal(segment_attr_find("{}", 2, "a", &v, &n), 0);
	assert_int_equal(segment_attr_find("[1]", 3, "a", &v, &n), MC_EINVAL);
	assert_int_equal(segment_attr_find("{\"a\" 1}", 7, "a", &v, &n),
	                 MC_EINVAL);
	assert_int_equal(segment_attr_find("{\"a\":\"x", 7, "a", &v, &n),
	                 MC_EINVAL);
	/* numbers as JSON writes them, and only those */
	static const char *const yes[] = {"0",   "-0",   " 5 ",      "4.5",
	                                  "1e2", "1E+2", "-3.25e-1", "\t7\r\n"};
	static const char *const no[] = {"",   " ",   "007",   "+5",
	                                 "5.", ".5",  "1.2.3", "n/a",
	                                 "1e", "- 1", "0x1"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!segment_json_number(yes[i], strlen(yes[i]), &integral))
			fail_msg("'%s' is a number", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (segment_json_number(no[i], strlen(no[i]), &integral))
			fail_msg("'%s' is not a number", no[i]);
}

/* The next of a small deterministic sequence. */
static uint32_t
lcg(uint32_t *r)
{
	*r = *r * 1103515245u + 12345u;
	return *r >> 16;
}

/* segment_attr_find against SQLite's own json_extract on generated
 * objects: keys and values with escapes, UTF-8, blanks, repeats,
 * numbers, literals, nested values. */
static void
test_attr_like_json_extract(void **state)
{
	/* as written in JSON (key: its text inside quotes; name: decoded) */
	/* as written in JSON (key: its text inside quotes; name: decoded);
	 * no escaped keys: SQLite 3.40 compares keys as written, this (as
	 * PostgreSQL and later SQLite) decoded, test_attr_reading has them */
	static const char *const keys[][2] = {
	    {"a", "a"}, {"A", "A"},         {"b c", "b c"},     {"été", "été"},
	    {"😀", "😀"}, {"k\\\"q", "k\"q"}, {"x\\\\y", "x\\y"},
	};
	static const char *const vals[] = {
	    "\"\"",
	    "\"x\"",
	    "\"Z\\u00fcrich\"",
	    "\"Zürich\"",
	    "\"a\\\"b\"",
	    "\"\\\\\"",
	    "\"tab\\there\\nnl\"",
	    "\"\\ud83d\\ude00\"",
	    "\"\\/\"",
	    "0",
	    "-0",
	    "12",
	    "-3.5",
	    "1e2",
	    "1E-2",
	    "12345678901234567890",
	    "true",
	    "false",
	    "null",
	    "\"5\"",
	    "\" 7 \"",
	    "{\"a\": \"in\"}",
	    "[1, \"]\", {\"b\": 2}]",
	};
	static const char *const blanks[] = {"", " ", "\n\t ", "\r"};
	size_t nk = sizeof(keys) / sizeof(keys[0]);
	size_t nv = sizeof(vals) / sizeof(vals[0]);
	uint32_t rnd = 12345;
	sqlite3 *db;
	sqlite3_stmt *st;

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "SELECT json_extract(?1, ?2), "
	                                    "json_type(?1, ?2)",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	for (int round = 0; round < 3000; round++) {
		char obj[2048], path[64];
		size_t o = 0;
		int members =
		    (int)((rnd = rnd * 1103515245u + 12345u) >> 16) % 5;

		o += (size_t)snprintf(obj + o, sizeof(obj) - o, "%s{",
		                      blanks[lcg(&rnd) % 4]);
		for (int m = 0; m < members; m++) {
			size_t k = lcg(&rnd) % nk, v = lcg(&rnd) % nv;
			const char *b1 = blanks[lcg(&rnd) % 4];
			const char *b2 = blanks[lcg(&rnd) % 4];
			const char *b3 = blanks[lcg(&rnd) % 4];
			o += (size_t)snprintf(obj + o, sizeof(obj) - o,
			                      "%s%s\"%s\"%s:%s%s", m ? "," : "",
			                      b1, keys[k][0], b2, b3, vals[v]);
		}
		o += (size_t)snprintf(obj + o, sizeof(obj) - o, "%s}%s",
		                      blanks[lcg(&rnd) % 4],
		                      blanks[lcg(&rnd) % 4]);
		for (size_t k = 0; k < nk; k++) {
			const char *name = keys[k][1], *v;
			size_t n;
			int found = segment_attr_find(obj, o, name, &v, &n);
			const char *type;

			if (strchr(name, '"') || strchr(name, '\\'))
				continue; /* not a path json_extract takes */
			snprintf(path, sizeof(path), "$.\"%s\"", name);
			sqlite3_reset(st);
			sqlite3_bind_text(st, 1, obj, (int)o, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
			assert_int_equal(sqlite3_step(st), SQLITE_ROW);
			type = (const char *)sqlite3_column_text(st, 1);
			assert_true(found >= 0);
			if (type == NULL) {
				if (found)
					fail_msg("%s in %s: json_extract finds "
					         "none, we '%.*s'",
					         name, obj, (int)n, v);
				continue;
			}
			if (!found)
				fail_msg("%s in %s: json_extract finds a %s",
				         name, obj, type);
			if (strcmp(type, "text") == 0) {
				char dec[256];
				assert_int_equal(*v, '"');
				segment_json_unescape(v + 1, n - 2, dec);
				assert_string_equal(
				    dec,
				    (const char *)sqlite3_column_text(st, 0));
			} else if (strcmp(type, "integer") == 0 ||
			           strcmp(type, "real") == 0) {
				bool integral;
				char num[64];
				assert_true(
				    segment_json_number(v, n, &integral));
				snprintf(num, sizeof(num), "%.*s", (int)n, v);
				assert_true(strtod(num, NULL) ==
				            sqlite3_column_double(st, 0));
			} else if (strcmp(type, "true") == 0 ||
			           strcmp(type, "false") == 0 ||
			           strcmp(type, "null") == 0) {
				assert_int_equal(n, strlen(type));
				assert_memory_equal(v, type, n);
			} else { /* object, array: the same first byte */
				assert_int_equal(*v, *type == 'o' ? '{' : '[');
			}
		}
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* --- against a real store ------------------------------------------ */

struct fixture {
	char dir[64];
	struct store *s;
	int64_t news, vip;
};

/* Add a contact created at day d after T0 to list (and vip). */
static void
add(struct fixture *f, const char *addr, const char *attrs, int d, bool vip)
{
	int result, joined;
	const char *dom = strchr(addr, '@') + 1;

	assert_int_equal(store_contact_upsert(f->s, addr, dom, attrs, f->news,
	                                      T0 + d * DAY, &result, &joined),
	                 0);
	if (vip)
		assert_int_equal(store_contact_upsert(f->s, addr, dom, attrs,
		                                      f->vip, T0 + d * DAY,
		                                      &result, &joined),
		                 0);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char url[128], err[256];
	struct store_bounce b = {0};
	int64_t id;
	int changed;

	snprintf(f->dir, sizeof(f->dir), "/tmp/mc-seg-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(url, sizeof(url), "sqlite:%s/t.db", f->dir);
	if ((f->s = store_open(url, err, sizeof(err))) == NULL)
		return -1;
	store_list_ensure(f->s, "news", T0, &f->news);
	store_list_ensure(f->s, "vip", T0, &f->vip);
	add(f, "ann@a.example",
	    "{\"city\":\"Zürich\",\"First Name\":\"Ann\",\"rating\":\"5\","
	    "\"signup_date\":\"2026-02-01\"}",
	    10, true);
	add(f, "bob@b.example",
	    "{\"city\":\"Paris\",\"First Name\":\"Bob\",\"rating\":\"2\","
	    "\"signup_date\":\"2025-12-31 23:00\"}",
	    -10, false);
	add(f, "cy@a.example",
	    "{\"city\":\"Zürich\",\"First Name\":\"\",\"rating\":\"n/a\"}", 40,
	    false);
	add(f, "dee@c.example", "{\"city\":\"zürich\",\"rating\":\"10\"}", 0,
	    true);
	/* cy unsubscribed; dee bounced hard 30 days ago */
	store_contact_lookup(f->s, 0, "cy@a.example", &id);
	store_contact_set_status(f->s, id, CONTACT_UNSUBSCRIBED, T0, &changed);
	b.address = "dee@c.example";
	b.kind = "hard";
	b.received = T0 - 30 * DAY;
	store_bounce_add(f->s, &b);
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

/* Append a contact's local part and a space. */
static int
collect(void *arg, const struct store_contact *c)
{
	char *out = arg;

	strncat(out, c->address, strcspn(c->address, "@"));
	strcat(out, " ");
	return 0;
}

/* The addresses of list (0: all) matching text, "a b c". */
static char *
matches(struct fixture *f, int64_t list, const char *text)
{
	static char out[512];
	struct segment *seg;
	char err[256];
	unsigned long n = 99;

	if (segment_parse(text, &seg, err, sizeof(err)) != 0)
		fail_msg("%s: %s", text, err);
	out[0] = '\0';
	/* each (in address order), then count must agree */
	if (store_segment_each(f->s, list, seg, T0, collect, out) != 0)
		fail_msg("%s: %s", text, store_error(f->s));
	assert_int_equal(store_segment_count(f->s, list, seg, T0, &n), 0);
	{
		unsigned long words = 0;
		for (const char *p = out; *p; p++)
			words += *p == ' ';
		if (words != n)
			fail_msg("%s: count %lu, each gave '%s'", text, n, out);
	}
	segment_free(seg);
	if (out[0])
		out[strlen(out) - 1] = '\0';
	return out;
}

static void
test_store_selects(void **state)
{
	struct fixture *f = *state;

	assert_string_equal(matches(f, 0, "city = \"Zürich\""), "ann cy");
	assert_string_equal(matches(f, 0, "city != \"Zürich\""), "bob dee");
	assert_string_equal(matches(f, 0, "not city = \"Zürich\""), "bob dee");
	assert_string_equal(matches(f, f->vip, "city = \"Zürich\""), "ann");
	assert_string_equal(matches(f, 0, "\"First Name\" is set"), "ann bob");
	assert_string_equal(matches(f, 0, "\"First Name\" is not set"),
	                    "cy dee");
	assert_string_equal(matches(f, 0, "nothing is not set"),
	                    "ann bob cy dee");
	assert_string_equal(matches(f, 0, "rating >= 5"), "ann dee");
	assert_string_equal(matches(f, 0, "rating < 5"), "bob");
	assert_string_equal(matches(f, 0, "rating = 10.0"), "dee");
	assert_string_equal(matches(f, 0, "status = \"active\""),
	                    "ann bob dee");
	assert_string_equal(matches(f, 0, "status != \"active\""), "cy");
	assert_string_equal(matches(f, 0, "in_list(\"vip\")"), "ann dee");
	assert_string_equal(matches(f, 0, "not in_list(\"vip\")"), "bob cy");
	assert_string_equal(matches(f, 0, "in_list(\"nope\")"), "");
	assert_string_equal(matches(f, 0, "created >= 2026-01-01"),
	                    "ann cy dee");
	assert_string_equal(matches(f, 0, "created < 2026-01-01"), "bob");
	assert_string_equal(matches(f, 0, "created = 2026-01-11"), "ann");
	assert_string_equal(matches(f, 0, "created <= 2026-01-11"),
	                    "ann bob dee");
	assert_string_equal(matches(f, 0, "created > 2026-01-11"), "cy");
	assert_string_equal(matches(f, 0, "signup_date >= 2026-01-01"), "ann");
	assert_string_equal(matches(f, 0, "signup_date <= 2025-12-31"), "bob");
	assert_string_equal(matches(f, 0, "bounced_within(90d)"), "dee");
	assert_string_equal(matches(f, 0, "bounced_within(29d)"), "");
	assert_string_equal(matches(f, 0, "domain = \"A.example\""), "ann cy");
	assert_string_equal(matches(f, 0, "email ends with \"@a.example\""),
	                    "ann cy");
	assert_string_equal(matches(f, 0, "email like \"%n@%\""), "ann");
	assert_string_equal(matches(f, 0, "city contains \"AR\""), "bob");
	assert_string_equal(matches(f, 0, "city in (\"Paris\", \"zürich\")"),
	                    "bob dee");
	assert_string_equal(matches(f, 0, "city not in (\"Paris\")"),
	                    "ann cy dee");
	assert_string_equal(matches(f, 0, "city > \"Q\""), "ann cy dee");
	assert_string_equal(
	    matches(f, 0,
	            "city = \"Zürich\" and created >= 2026-01-01 and "
	            "not bounced_within(90d)"),
	    "ann cy");
	assert_string_equal(
	    matches(f, 0,
	            "(city = \"Paris\" or in_list(\"vip\")) and not "
	            "rating > 6"),
	    "ann bob");
	assert_string_equal(matches(f, 0, "sent_within(30d)"), "");
}

/* Attributes written by another hand (escapes, numbers, a repeated key)
 * read as json_extract reads them. */
static void
test_store_reads_any_json(void **state)
{
	struct fixture *f = *state;

	/* JSON another writer may leave: escapes, a number, a repeated key */
	add(f, "eli@e.example",
	    "{ \"c\\u0069ty\" : \"Z\\u00fcrich\", \"rating\": 7, "
	    "\"t\": \"a\\\"\\\\b\", \"n\": 1, \"n\": 2, \"d\": "
	    "\"2026-01-02T10:00\", \"ok\": true}",
	    0, false);
	assert_string_equal(matches(f, 0, "city = \"Zürich\""), "ann cy eli");
	assert_string_equal(matches(f, 0, "rating > 6.5"), "dee eli");
	assert_string_equal(matches(f, 0, "t = 'a\"\\\\b'"), "eli");
	assert_string_equal(matches(f, 0, "n = 1"), "eli");
	assert_string_equal(matches(f, 0, "n = 2"), "");
	assert_string_equal(matches(f, 0, "d = 2026-01-02"), "eli");
	assert_string_equal(matches(f, 0, "ok = 1"), "eli");
}

static void
test_store_list_and_campaign(void **state)
{
	struct fixture *f = *state;
	struct segment *seg;
	unsigned long added, rows, counts[DLV__COUNT] = {0};
	int64_t zur, id;
	char err[256];

	assert_int_equal(
	    segment_parse("city = \"Zürich\"", &seg, err, sizeof(err)), 0);
	assert_int_equal(store_list_ensure(f->s, "zurich", T0, &zur), 0);
	assert_int_equal(
	    store_segment_add_to_list(f->s, f->news, seg, T0, zur, &added), 0);
	assert_int_equal(added, 2);
	assert_int_equal(
	    store_segment_add_to_list(f->s, f->news, seg, T0, zur, &added), 0);
	assert_int_equal(added, 0);
	assert_string_equal(matches(f, zur, "nothing is not set"), "ann cy");

	/* a campaign of news narrowed to Zürich: cy is there, suppressed */
	assert_int_equal(store_campaign_create_segment(f->s, "zc", f->news, seg,
	                                               T0, &id, &rows),
	                 0);
	assert_int_equal(rows, 2);
	assert_int_equal(store_count_states(f->s, id, counts), 0);
	assert_int_equal(counts[DLV_PENDING], 1);
	assert_int_equal(counts[DLV_SUPPRESSED], 1);
	assert_int_equal(store_campaign_create_segment(f->s, "zc", f->news, seg,
	                                               T0, &id, &rows),
	                 MC_EINVAL);
	segment_free(seg);

	/* sent_within sees ann once her row is sent */
	{
		struct store_delivery d[4];
		struct store_outcome o = {0};
		size_t n;
		assert_int_equal(store_lease(f->s, id, "t", T0, 60, d, 4, &n),
		                 0);
		assert_int_equal(n, 1);
		o.id = d[0].id;
		o.state = DLV_SENT;
		o.reply_code = 250;
		assert_int_equal(store_record(f->s, &o, 1, T0 - 5 * DAY), 0);
		store_deliveries_fini(d, n);
	}
	assert_string_equal(matches(f, 0, "sent_within(30d)"), "ann");
	assert_string_equal(matches(f, 0, "sent_within(4d)"), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_errors_point_at_the_column),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_both_dialects),
	    cmocka_unit_test(test_attr_reading),
	    cmocka_unit_test(test_attr_like_json_extract),
	    cmocka_unit_test_setup_teardown(test_store_selects, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_store_reads_any_json, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_store_list_and_campaign, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
