/*
 * csv_read.h — a streaming RFC 4180 reader (libcsv underneath) that keeps
 * going after a bad row.
 *
 * csv_reader_next() returns one row at a time from a FILE, in bounded memory
 * (about CSV_READER_RECORD_MAX plus one read chunk).  A UTF-8 BOM at the
 * start is skipped; a UTF-16/32 BOM is a fatal MC_EUNSUPP.  The first row
 * returned (the header, for callers that have one) fixes the number of
 * columns unless csv_reader_set_columns() said otherwise.  Blank lines are
 * skipped.  A bad row (unbalanced quote, wrong column count, invalid UTF-8, a
 * NUL byte, a field, row or record over its limit) returns MC_EDATA with
 * "line N: reason" in csv_reader_error(); the next call continues with the
 * next row.  After a quoting error, reading resumes at the physical line
 * after the one where the bad record started, so one stray quote costs one
 * line, not the rest of the file.  MC_EIO (read error) and MC_EUNSUPP
 * (encoding) are fatal and sticky.
 *
 * Ownership: the reader borrows fp (the caller closes it).  struct csv_row
 * and csv_reader_raw() point into the reader and are valid until the next
 * call on it.
 */
#ifndef MC_STORE_CSV_READ_H
#define MC_STORE_CSV_READ_H

#include <stddef.h>
#include <stdio.h>

#define CSV_READER_FIELD_MAX  65536        /* bytes in one field */
#define CSV_READER_FIELDS_MAX 256          /* fields in one row */
#define CSV_READER_RECORD_MAX (256 * 1024) /* bytes in one record (line) */
#define CSV_READER_ERROR_MAX  256          /* bytes of csv_reader_error() */

struct csv_reader;

struct csv_row {
	size_t nfields;
	char **fields;      /* each NUL-terminated, valid UTF-8 */
	size_t *lens;       /* lengths without the NUL */
	unsigned long line; /* physical line where the row starts */
};

/* A reader over fp (opened by the caller, binary mode).  Never NULL. */
struct csv_reader *csv_reader_new(FILE *fp);
/* Next row: 0 (row filled), 1 at end of input, MC_EDATA (bad row; call
 * again for the next), MC_EIO or MC_EUNSUPP (fatal). */
int csv_reader_next(struct csv_reader *r, struct csv_row *row);
/* "line 12: unbalanced quote ..." for the last error; "" if none. */
const char *csv_reader_error(const struct csv_reader *r);
/* Physical line where the last row (or rejected record) started. */
unsigned long csv_reader_line(const struct csv_reader *r);
/* The raw bytes of the last row or rejected record, without the line
 * terminator, at most CSV_READER_RECORD_MAX of them. */
const char *csv_reader_raw(const struct csv_reader *r, size_t *lenp);
/* Expect n fields per row (0: as many as the first row has). */
void csv_reader_set_columns(struct csv_reader *r, size_t n);
void csv_reader_free(struct csv_reader *r);

#endif
