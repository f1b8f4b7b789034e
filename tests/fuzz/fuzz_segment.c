/*
 * fuzz_segment.c — the `--where` language: parsing any bytes must never
 * crash, loop or leak; an error names a column; what parses compiles, in
 * both dialects, to SQL that holds no byte of the input's values (only
 * fixed text and numbered parameters, each used), and SQLite prepares and
 * runs it against a real (empty) store.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "store/segment.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store *db;
static char dir[64];

/* Remove the store's directory at exit. */
static void
cleanup(void)
{
	char cmd[128];

	store_close(db);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_segment: could not remove %s\n", dir);
}

/* An empty store, made once per process. */
static struct store *
store_get(void)
{
	char url[128], err[256];

	if (db != NULL)
		return db;
	snprintf(dir, sizeof(dir), "/tmp/mc-fuzz-seg-XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(url, sizeof(url), "sqlite:%s/f.db", dir);
	if ((db = store_open(url, err, sizeof(err))) == NULL)
		abort();
	atexit(cleanup);
	return db;
}

/* The SQL's checks: ASCII only, every parameter used, none beyond. */
static void
check_sql(const struct segment_sql *q, char mark)
{
	for (const char *p = q->where; *p; p++)
		if ((unsigned char)*p >= 0x80)
			abort(); /* user text (non-ASCII) leaked into SQL */
	for (size_t i = 0; i < q->nparams; i++) {
		char ph[24];
		snprintf(ph, sizeof(ph), "%c%d", mark, q->first + (int)i);
		if (strstr(q->where, ph) == NULL)
			abort();
	}
	{
		char ph[24];
		snprintf(ph, sizeof(ph), "%c%d", mark,
		         q->first + (int)q->nparams);
		if (strstr(q->where, ph) != NULL)
			abort();
	}
}

/* One input: parse, and for what parses compile and run. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct segment *seg = NULL;
	struct segment_sql q;
	char *text, err[512];
	unsigned long n;
	int rc;

	if (size > SEGMENT_TEXT_MAX + 16 || memchr(data, 0, size) != NULL)
		return 0;
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	rc = segment_parse(text, &seg, err, sizeof(err));
	if (rc < 0) {
		if (seg != NULL || (rc != MC_EINVAL && rc != MC_ELIMIT))
			abort();
		if (strncmp(err, "column ", 7) != 0 &&
		    strcmp(err, "longer than 4096 bytes") != 0)
			abort();
		free(text);
		return 0;
	}
	if (segment_terms(seg) == 0 || segment_terms(seg) > SEGMENT_TERMS_MAX ||
	    strcmp(segment_text(seg), text) != 0)
		abort();
	segment_compile(seg, SEGMENT_SQLITE, 2, 1767225600, &q);
	check_sql(&q, '?');
	segment_sql_fini(&q);
	segment_compile(seg, SEGMENT_PG, 1, 1767225600, &q);
	check_sql(&q, '$');
	segment_sql_fini(&q);
	if (store_segment_count(store_get(), 0, seg, 1767225600, &n) != 0 ||
	    n != 0)
		abort(); /* the SQL did not prepare or run */
	segment_free(seg);
	free(text);
	return 0;
}
