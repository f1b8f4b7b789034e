/*
 * csv_read.c — record framing, error recovery and checks around libcsv.
 *
 * libcsv parses fields well but, once it has seen an error, has no notion of
 * "the next row", and it would happily buffer a whole file behind one stray
 * quote.  So we frame records ourselves first: a record ends at CR or LF
 * outside quotes (quotes are counted, which matches RFC 4180 for every
 * well-formed record), is at most CSV_READER_RECORD_MAX bytes, and only then
 * goes through libcsv in strict mode.  Because a record is still in the
 * input window when it is judged, a quoting error can rewind to the line
 * after the one where the record started.
 */
#include <assert.h>
#include <csv.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/utf8.h"
#include "base/xmalloc.h"
#include "store/csv_read.h"

#define CSV_READER_CHUNK (64 * 1024)

struct csv_reader {
	FILE *fp;
	struct csv_parser p;
	char *in; /* input window in[start..end) */
	size_t start, end, cap;
	size_t scan; /* framing position, >= start */
	int inq;     /* inside quotes at scan */
	int eof;
	int bom_checked;
	int skipping;       /* discarding up to the next LF */
	int fatal;          /* sticky MC_EIO / MC_EUNSUPP */
	unsigned long line; /* line number of in[start] */
	unsigned long row_line;
	size_t ncols;
	/* the row being built by the libcsv callbacks */
	struct buf data;
	size_t *offs;
	size_t *lens;
	char **fields;
	size_t nf;
	size_t nrows;
	size_t big_field; /* 1-based index of a field too long */
	size_t big_len;
	int too_many;
	const char *raw;
	size_t rawlen;
	char err[CSV_READER_ERROR_MAX];
};

static const unsigned char CSV_OPTS = CSV_STRICT;

/* libcsv field callback: keep the field in the row arena. */
static void
on_field(void *s, size_t len, void *arg)
{
	struct csv_reader *r = arg;

	if (r->nf >= CSV_READER_FIELDS_MAX) {
		r->too_many = 1;
		return;
	}
	if (len > CSV_READER_FIELD_MAX && r->big_field == 0) {
		r->big_field = r->nf + 1;
		r->big_len = len;
	}
	r->offs[r->nf] = buf_len(&r->data);
	r->lens[r->nf] = len;
	if (len > 0)
		buf_append(&r->data, s, len);
	buf_putc(&r->data, '\0');
	r->nf++;
}

/* libcsv row callback: count rows (a framed record holds exactly one). */
static void
on_row(int c, void *arg)
{
	struct csv_reader *r = arg;

	(void)c;
	r->nrows++;
}

/* Create a reader borrowing fp. */
struct csv_reader *
csv_reader_new(FILE *fp)
{
	struct csv_reader *r = xcalloc(1, sizeof(*r));

	r->fp = fp;
	if (csv_init(&r->p, CSV_OPTS) != 0)
		abort(); /* only fails on allocation */
	r->cap = CSV_READER_RECORD_MAX + CSV_READER_CHUNK + 1;
	r->in = xmalloc(r->cap);
	r->line = 1;
	buf_init(&r->data);
	r->offs = xcalloc(CSV_READER_FIELDS_MAX, sizeof(*r->offs));
	r->lens = xcalloc(CSV_READER_FIELDS_MAX, sizeof(*r->lens));
	r->fields = xcalloc(CSV_READER_FIELDS_MAX, sizeof(*r->fields));
	return r;
}

/* Free the reader (not its FILE). */
void
csv_reader_free(struct csv_reader *r)
{
	if (r == NULL)
		return;
	csv_free(&r->p);
	free(r->in);
	buf_fini(&r->data);
	free(r->offs);
	free(r->lens);
	free(r->fields);
	free(r);
}

/* Last error text. */
const char *
csv_reader_error(const struct csv_reader *r)
{
	return r->err;
}

/* Line of the last row or rejected record. */
unsigned long
csv_reader_line(const struct csv_reader *r)
{
	return r->row_line;
}

/* Raw bytes of the last row or rejected record. */
const char *
csv_reader_raw(const struct csv_reader *r, size_t *lenp)
{
	*lenp = r->rawlen;
	return r->raw != NULL ? r->raw : "";
}

/* Fix the expected number of columns. */
void
csv_reader_set_columns(struct csv_reader *r, size_t n)
{
	r->ncols = n;
}

/* Set the error text, prefixed with the line; returns MC_EDATA. */
static int __attribute__((format(printf, 3, 4)))
fail(struct csv_reader *r, unsigned long line, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(r->err, sizeof(r->err), "line %lu: ", line);
	va_start(ap, fmt);
	vsnprintf(r->err + n, sizeof(r->err) - (size_t)n, fmt, ap);
	va_end(ap);
	return MC_EDATA;
}

/* Read more input into the window; compacts it first. */
static int
fill(struct csv_reader *r)
{
	size_t got;

	if (r->start > 0) {
		memmove(r->in, r->in + r->start, r->end - r->start);
		r->end -= r->start;
		r->scan -= r->start;
		r->start = 0;
	}
	assert(r->cap - 1 - r->end >= CSV_READER_CHUNK);
	got = fread(r->in + r->end, 1, r->cap - 1 - r->end, r->fp);
	r->end += got;
	if (got == 0) {
		if (ferror(r->fp)) {
			snprintf(r->err, sizeof(r->err), "line %lu: read error",
			         r->line);
			r->fatal = MC_EIO;
			return MC_EIO;
		}
		r->eof = 1;
	}
	return 0;
}

/* Look at the first bytes: skip a UTF-8 BOM, refuse UTF-16/32. */
static int
check_bom(struct csv_reader *r)
{
	const unsigned char *u = (const unsigned char *)r->in;
	size_t n = r->end - r->start;
	const char *enc = NULL;

	while (n < 4 && !r->eof) {
		if (fill(r) < 0)
			return r->fatal;
		n = r->end - r->start;
	}
	r->bom_checked = 1;
	if (n >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf) {
		r->start = r->scan = 3;
		return 0;
	}
	if (n >= 4 &&
	    ((u[0] == 0 && u[1] == 0 && u[2] == 0xfe && u[3] == 0xff) ||
	     (u[0] == 0xff && u[1] == 0xfe && u[2] == 0 && u[3] == 0)))
		enc = "UTF-32";
	else if (n >= 2 && ((u[0] == 0xff && u[1] == 0xfe) ||
	                    (u[0] == 0xfe && u[1] == 0xff)))
		enc = "UTF-16";
	if (enc != NULL) {
		snprintf(
		    r->err, sizeof(r->err),
		    "line 1: the file is %s; save it as UTF-8 and try again",
		    enc);
		r->fatal = MC_EUNSUPP;
		return MC_EUNSUPP;
	}
	return 0;
}

/* Skip the rest of the record's first line: the next call reads the line
 * after it.  rec is the index where the record started. */
static void
resume_next_line(struct csv_reader *r, size_t rec, unsigned long line)
{
	const char *lf = memchr(r->in + rec, '\n', r->end - rec);

	r->inq = 0;
	if (lf != NULL) {
		r->start = r->scan = (size_t)(lf - r->in) + 1;
		r->line = line + 1;
		r->raw = r->in + rec;
		r->rawlen = (size_t)(lf - (r->in + rec));
		if (r->rawlen > 0 && r->raw[r->rawlen - 1] == '\r')
			r->rawlen--;
	} else {
		/* The line goes on past the window: drop up to its end. */
		r->raw = r->in + rec;
		r->rawlen = r->end - rec;
		r->start = r->scan = r->end;
		r->line = line;
		r->skipping = 1;
	}
}

/* Discard input up to and including the next LF. */
static int
skip_line(struct csv_reader *r)
{
	while (r->skipping) {
		const char *lf =
		    memchr(r->in + r->start, '\n', r->end - r->start);

		if (lf != NULL) {
			r->start = r->scan = (size_t)(lf - r->in) + 1;
			r->line++;
			r->skipping = 0;
		} else {
			r->start = r->scan = r->end;
			if (r->eof) {
				r->skipping = 0;
				break;
			}
			if (fill(r) < 0)
				return r->fatal;
		}
	}
	return 0;
}

/* Does s[0..n) hold only spaces and tabs? */
static int
blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

/* Run libcsv over one framed record and check the row. */
static int
parse_record(struct csv_reader *r, size_t rec, size_t len, int multiline,
             struct csv_row *row)
{
	const char *s = r->in + rec;
	size_t i, bad;
	int err;

	buf_reset(&r->data);
	r->nf = r->nrows = 0;
	r->big_field = r->big_len = 0;
	r->too_many = 0;
	r->raw = s;
	r->rawlen = len;
	if (csv_parse(&r->p, s, len, on_field, on_row, r) != len ||
	    csv_fini(&r->p, on_field, on_row, r) != 0) {
		/* libcsv keeps its error state: start it afresh. */
		csv_free(&r->p);
		if (csv_init(&r->p, CSV_OPTS) != 0)
			abort();
		err = fail(
		    r, r->row_line,
		    "malformed quoting (a quote inside an unquoted field, or "
		    "text after a closing quote)");
		if (multiline)
			resume_next_line(r, rec, r->row_line);
		return err;
	}
	if (r->too_many)
		return fail(r, r->row_line, "more than %d fields",
		            CSV_READER_FIELDS_MAX);
	if (r->big_field)
		return fail(r, r->row_line,
		            "field %zu is %zu bytes, over the limit of %d",
		            r->big_field, r->big_len, CSV_READER_FIELD_MAX);
	for (i = 0; i < r->nf; i++) {
		const char *f = (const char *)buf_data(&r->data) + r->offs[i];

		if (memchr(f, '\0', r->lens[i]) != NULL)
			return fail(r, r->row_line, "NUL byte in field %zu",
			            i + 1);
		if ((bad = utf8_check(f, r->lens[i])) != r->lens[i])
			return fail(
			    r, r->row_line,
			    "invalid UTF-8 in field %zu (byte 0x%02X at offset "
			    "%zu); the file must be UTF-8",
			    i + 1, (unsigned char)f[bad], bad);
	}
	if (r->ncols == 0)
		r->ncols = r->nf;
	if (r->nf != r->ncols) {
		err = fail(
		    r, r->row_line, "%zu fields where %zu were expected%s",
		    r->nf, r->ncols,
		    multiline ? " (an unbalanced quote joined lines?)" : "");
		if (multiline)
			resume_next_line(r, rec, r->row_line);
		return err;
	}
	for (i = 0; i < r->nf; i++)
		r->fields[i] = (char *)buf_data(&r->data) + r->offs[i];
	row->nfields = r->nf;
	row->fields = r->fields;
	row->lens = r->lens;
	row->line = r->row_line;
	return 0;
}

/* Advance from scan to the first CR or LF outside quotes (or to end),
 * tracking *inq; returns the new position.  A quoted stretch is skipped
 * with memchr, an unquoted one byte by byte against three values. */
static size_t
frame_scan(const char *in, size_t scan, size_t end, int *inq)
{
	while (scan < end) {
		if (*inq) {
			const char *q = memchr(in + scan, '"', end - scan);

			if (q == NULL)
				return end;
			scan = (size_t)(q - in) + 1;
			*inq = 0;
			continue;
		}
		while (scan < end && in[scan] != '"' && in[scan] != '\n' &&
		       in[scan] != '\r')
			scan++;
		if (scan == end || in[scan] != '"')
			return scan;
		*inq = 1;
		scan++;
	}
	return scan;
}

/* Next row, see csv_read.h. */
int
csv_reader_next(struct csv_reader *r, struct csv_row *row)
{
	int err;

	r->err[0] = '\0';
	r->raw = NULL;
	r->rawlen = 0;
	if (r->fatal)
		return r->fatal;
	if (!r->bom_checked && (err = check_bom(r)) < 0)
		return err;
	for (;;) {
		size_t rec, len, nl = 0;
		int term = 0, multiline;

		if (r->skipping && (err = skip_line(r)) < 0)
			return err;
		r->scan = frame_scan(r->in, r->scan, r->end, &r->inq);
		if (r->scan - r->start > CSV_READER_RECORD_MAX) {
			r->row_line = r->line;
			err = fail(
			    r, r->line, "record longer than %d bytes%s",
			    CSV_READER_RECORD_MAX,
			    r->inq ? " (an unbalanced quote, or a huge field)"
			           : "");
			resume_next_line(r, r->start, r->line);
			if (r->rawlen > CSV_READER_RECORD_MAX)
				r->rawlen = CSV_READER_RECORD_MAX;
			return err;
		} else if (r->scan < r->end) {
			term = r->in[r->scan];
			/* A CR at the window's end: is an LF next? */
			if (term == '\r' && r->scan + 1 == r->end && !r->eof) {
				if ((err = fill(r)) < 0)
					return err;
				continue;
			}
		} else if (!r->eof) {
			if ((err = fill(r)) < 0)
				return err;
			continue;
		} else if (r->start == r->end) {
			return 1;
		} else if (r->inq) {
			r->row_line = r->line;
			err = fail(
			    r, r->line,
			    "unbalanced quote: a quoted field opened here is "
			    "never closed");
			resume_next_line(r, r->start, r->line);
			return err;
		}
		/* The record is in[start..scan). */
		rec = r->start;
		len = r->scan - rec;
		for (const char *p = r->in + rec, *e = p + len;
		     (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
			nl++;
		multiline = nl > 0;
		r->row_line = r->line;
		r->line += nl;
		r->start = r->scan;
		if (term) {
			r->start++;
			if (term == '\n')
				r->line++;
			else if (r->start < r->end && r->in[r->start] == '\n') {
				r->start++;
				r->line++;
			} else
				r->line++; /* a lone CR ends a line too */
		}
		r->scan = r->start;
		r->inq = 0;
		if (blank(r->in + rec, len))
			continue;
		return parse_record(r, rec, len, multiline, row);
	}
}
