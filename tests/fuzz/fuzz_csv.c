/*
 * fuzz_csv.c — CSV ingest: the reader must never crash, loop, or hand out a
 * field that breaks its promises (valid UTF-8, no NUL, within the limits,
 * the same column count on every row).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/utf8.h"
#include "store/csv_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One input through the reader, checking every row. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_reader *r;
	struct csv_row row;
	size_t ncols = 0, calls = 0;
	unsigned long last = 0;
	FILE *fp;
	int rc;

	if (size == 0)
		return 0;
	fp = fmemopen((void *)data, size, "rb");
	if (fp == NULL)
		return 0;
	r = csv_reader_new(fp);
	while ((rc = csv_reader_next(r, &row)) != 1) {
		/* Every call consumes at least one byte or ends. */
		if (++calls > size + 2)
			abort();
		if (rc < 0) {
			if (strncmp(csv_reader_error(r), "line ", 5) != 0)
				abort();
			if (rc != MC_EDATA)
				break;
			continue;
		}
		if (row.line < last || row.nfields == 0 ||
		    row.nfields > CSV_READER_FIELDS_MAX)
			abort();
		last = row.line;
		if (ncols == 0)
			ncols = row.nfields;
		if (row.nfields != ncols)
			abort();
		for (size_t i = 0; i < row.nfields; i++) {
			if (row.lens[i] > CSV_READER_FIELD_MAX ||
			    strlen(row.fields[i]) != row.lens[i] ||
			    utf8_check(row.fields[i], row.lens[i]) !=
			        row.lens[i])
				abort();
		}
	}
	csv_reader_free(r);
	fclose(fp);
	return 0;
}
