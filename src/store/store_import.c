/*
 * store_import.c — CSV contacts and suppressions into any store backend.
 *
 * Backend-neutral: it only calls store_ops.  The whole import is one
 * transaction (see store_import.h for why).  Duplicates within the file are
 * found with a set of 64-bit hashes of the normalised addresses; a false
 * match needs two different addresses with the same 64-bit hash in one file
 * (odds about 1 in 10^7 for a billion-row file's worth of pairs), and would
 * only count a row as a duplicate.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "store/csv_read.h"
#include "store/store.h"
#include "store/store_import.h"

#define IMPORT_ERR_MAX 512
#define IMPORT_BATCH   256 /* rows per contact_upsert_many call */
/* ... or fewer, once their text reaches this: wide rows stay bounded. */
#define IMPORT_BATCH_BYTES (1024 * 1024)

/* Header names taken for the address column, in order of preference. */
static const char *const email_names[] = {
    "email",
    "e-mail",
    "email address",
    "e-mail address",
    "email_address",
    "emailaddress",
    "mail",
    "address",
    "courriel",
    "correo",
    NULL,
};

/* An open-addressing set of 64-bit hashes (0 marks an empty slot). */
struct hashset {
	uint64_t *slot;
	size_t cap; /* a power of two */
	size_t n;
};

/* 64-bit FNV-1a, then a finaliser so low bits mix well. */
static uint64_t
hash64(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h != 0 ? h : 1;
}

/* Insert h; returns 1 if it was already there. */
static int
hashset_add(struct hashset *hs, uint64_t h)
{
	size_t i;

	if ((hs->n + 1) * 2 > hs->cap) {
		struct hashset big = {
		    .cap = hs->cap ? hs->cap * 2 : 1024,
		};

		big.slot = xcalloc(big.cap, sizeof(*big.slot));
		for (i = 0; i < hs->cap; i++)
			if (hs->slot[i] != 0)
				hashset_add(&big, hs->slot[i]);
		free(hs->slot);
		*hs = big;
	}
	for (i = h & (hs->cap - 1); hs->slot[i] != 0;
	     i = (i + 1) & (hs->cap - 1))
		if (hs->slot[i] == h)
			return 1;
	hs->slot[i] = h;
	hs->n++;
	return 0;
}

/* Append s[0..n) as a JSON string.  Runs of plain bytes are copied in
 * one go: an import calls this for every field of every row. */
void
store_json_string(struct buf *out, const char *s, size_t n)
{
	unsigned char *p = buf_reserve(out, n + 2), *start = p;
	size_t i = 0;

	*p++ = '"';
	for (;;) {
		size_t run = i;
		unsigned char c;

		while (run < n && (unsigned char)s[run] >= 0x20 &&
		       s[run] != '"' && s[run] != '\\')
			run++;
		memcpy(p, s + i, run - i);
		p += run - i;
		if ((i = run) == n)
			break;
		/* An escape: commit, then append it with room to spare. */
		buf_commit(out, (size_t)(p - start));
		c = (unsigned char)s[i++];
		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};

			buf_append(out, esc, 2);
		} else if (c == '\n')
			buf_puts(out, "\\n");
		else if (c == '\r')
			buf_puts(out, "\\r");
		else if (c == '\t')
			buf_puts(out, "\\t");
		else
			buf_printf(out, "\\u%04x", c);
		p = start = buf_reserve(out, n - i + 1);
	}
	*p++ = '"';
	buf_commit(out, (size_t)(p - start));
}

/* Minimal check: trimmed, one '@' with text on both sides, lower-cased. */
int
store_addr_check_basic(void *arg, const char *in, size_t len, char *norm,
                       size_t normsz, char *err, size_t errsz)
{
	const char *at;

	(void)arg;
	mc_trim(&in, &len);
	at = memchr(in, '@', len);
	if (len == 0) {
		snprintf(err, errsz, "empty address");
		return MC_EDATA;
	}
	if (at == NULL || at == in || at == in + len - 1 ||
	    memchr(at + 1, '@', len - (size_t)(at - in) - 1) != NULL) {
		snprintf(err, errsz, "'%.*s' is not an address (local@domain)",
		         (int)(len > 80 ? 80 : len), in);
		return MC_EDATA;
	}
	if (len >= normsz || len > STORE_ADDRESS_MAX) {
		snprintf(err, errsz, "address longer than %d octets",
		         STORE_ADDRESS_MAX);
		return MC_EDATA;
	}
	for (size_t i = 0; i < len; i++)
		norm[i] = (char)tolower((unsigned char)in[i]);
	norm[len] = '\0';
	return 0;
}

/* Trimmed, case-insensitive equality of a header cell and a name. */
static int
header_is(const char *cell, size_t n, const char *name)
{
	mc_trim(&cell, &n);
	return mc_ieq(cell, n, name);
}

struct import_run {
	struct store *s;
	const struct store_import_opts *o;
	struct store_import_stats *st;
	char err[IMPORT_ERR_MAX];
};

/* Report a rejected row. */
static void
reject(struct import_run *r, unsigned long line, const char *reason,
       const char *raw, size_t rawlen)
{
	r->st->rejected++;
	if (r->o->reject != NULL)
		r->o->reject(r->o->reject_arg, line, reason, raw, rawlen);
}

/* Check the address in field; 0 and norm filled, or the row rejected. */
static int
check_address(struct import_run *r, struct csv_reader *cr, const char *f,
              size_t n, char *norm, size_t normsz)
{
	store_addr_check_fn *check =
	    r->o->check != NULL ? r->o->check : store_addr_check_basic;
	char why[256], reason[IMPORT_ERR_MAX];
	const char *raw;
	size_t rawlen;

	if (check(r->o->check_arg, f, n, norm, normsz, why, sizeof(why)) == 0)
		return 0;
	snprintf(reason, sizeof(reason), "line %lu: invalid address: %s",
	         csv_reader_line(cr), why);
	raw = csv_reader_raw(cr, &rawlen);
	reject(r, csv_reader_line(cr), reason, raw, rawlen);
	return MC_EDATA;
}

/* Begin the import's transaction. */
static int
import_begin(struct import_run *r)
{
	return store_begin(r->s);
}

/* Commit, or roll back on error or dry run; returns err. */
static int
import_end(struct import_run *r, int err)
{
	if (err < 0 || r->o->dry_run) {
		store_rollback(r->s);
		return err;
	}
	return store_commit(r->s);
}

/* Rows read but not yet stored: handed to the store IMPORT_BATCH at a
 * time, which lets a backend use multi-row statements. */
struct import_batch {
	struct buf text; /* address NUL attrs NUL, row after row */
	size_t addr[IMPORT_BATCH], attrs[IMPORT_BATCH]; /* offsets */
	size_t n;
	int64_t list_id;
};

/* Store the batch's rows and count what happened; empties it. */
static int
batch_flush(struct import_run *r, struct import_batch *b)
{
	struct store *s = r->s;
	struct store_contact_in rows[IMPORT_BATCH];
	struct store_upsert_counts c = {0};
	const char *text = buf_cstr(&b->text);
	int err = 0;

	for (size_t i = 0; i < b->n; i++) {
		rows[i].address = text + b->addr[i];
		rows[i].domain = strrchr(rows[i].address, '@') + 1;
		rows[i].attrs = text + b->attrs[i];
	}
	err =
	    store_contact_upsert_many(s, rows, b->n, b->list_id, r->o->now, &c);
	r->st->added += c.added;
	r->st->updated += c.updated;
	r->st->unchanged += c.unchanged;
	r->st->joined += c.joined;
	b->n = 0;
	buf_reset(&b->text);
	return err;
}

/* Read until the first good row (or a fatal error); 1 at EOF. */
static int
next_row(struct import_run *r, struct csv_reader *cr, struct csv_row *row)
{
	int rc;

	while ((rc = csv_reader_next(cr, row)) == MC_EDATA) {
		const char *raw;
		size_t rawlen;

		raw = csv_reader_raw(cr, &rawlen);
		reject(r, csv_reader_line(cr), csv_reader_error(cr), raw,
		       rawlen);
	}
	if (rc < 0)
		store_fail(r->s, rc, "%s", csv_reader_error(cr));
	return rc;
}

/* Import contacts, see store_import.h. */
int
store_import_contacts(struct store *s, FILE *fp,
                      const struct store_import_opts *o,
                      struct store_import_stats *st)
{
	struct import_run r = {.s = s, .o = o, .st = st};
	struct csv_reader *cr = csv_reader_new(fp);
	struct hashset seen = {0};
	struct csv_row row;
	char **names = NULL;
	struct buf keys; /* "name": of each column, JSON-escaped once */
	size_t *keyoff = NULL;
	size_t ncols = 0, col = SIZE_MAX, i;
	char norm[STORE_ADDRESS_MAX + 1];
	struct import_batch b = {.n = 0};
	int first, err, rc;

	memset(st, 0, sizeof(*st));
	buf_init(&keys);
	buf_init(&b.text);
	/* The header row, with the address column. */
	if ((rc = next_row(&r, cr, &row)) != 0) {
		err = rc < 0
		          ? rc
		          : store_fail(s, MC_EDATA,
		                       "the file is empty: a header row naming "
		                       "the columns is needed");
		goto out;
	}
	ncols = row.nfields;
	names = xcalloc(ncols, sizeof(*names));
	for (i = 0; i < ncols; i++)
		names[i] = xstrndup(row.fields[i], row.lens[i]);
	if (o->email_column != NULL) {
		for (i = 0; i < ncols && col == SIZE_MAX; i++)
			if (header_is(names[i], row.lens[i], o->email_column))
				col = i;
	} else {
		for (size_t k = 0; email_names[k] && col == SIZE_MAX; k++)
			for (i = 0; i < ncols && col == SIZE_MAX; i++)
				if (header_is(names[i], row.lens[i],
				              email_names[k]))
					col = i;
	}
	if (col == SIZE_MAX) {
		struct buf cols;

		buf_init(&cols);
		for (i = 0; i < ncols && buf_len(&cols) < 200; i++)
			buf_printf(&cols, "%s'%s'", i ? ", " : "", names[i]);
		err = store_fail(
		    s, MC_EDATA,
		    o->email_column != NULL
		        ? "line 1: no column named '%s' in the header (%s)"
		        : "line 1: no address column found in the header "
		          "(%s%s); name it with --email-column",
		    o->email_column != NULL ? o->email_column : buf_cstr(&cols),
		    o->email_column != NULL ? buf_cstr(&cols) : "");
		buf_fini(&cols);
		goto out;
	}
	keyoff = xcalloc(ncols + 1, sizeof(*keyoff));
	for (i = 0; i < ncols; i++) {
		keyoff[i] = buf_len(&keys);
		store_json_string(&keys, names[i], strlen(names[i]));
		buf_putc(&keys, ':');
	}
	keyoff[ncols] = buf_len(&keys);
	if ((err = import_begin(&r)) < 0)
		goto out;
	if ((err = store_list_ensure(s, o->list, o->now, &b.list_id)) < 0)
		goto end;
	while ((rc = next_row(&r, cr, &row)) == 0) {
		st->rows++;
		if (check_address(&r, cr, row.fields[col], row.lens[col], norm,
		                  sizeof(norm)) < 0)
			continue;
		if (hashset_add(&seen, hash64(norm, strlen(norm)))) {
			st->duplicates++;
			continue;
		}
		/* address NUL attrs NUL, into the batch */
		b.addr[b.n] = buf_len(&b.text);
		buf_append(&b.text, norm, strlen(norm) + 1);
		b.attrs[b.n] = buf_len(&b.text);
		buf_putc(&b.text, '{');
		for (i = 0, first = 1; i < ncols; i++) {
			if (i == col || row.lens[i] == 0 || names[i][0] == '\0')
				continue;
			if (!first)
				buf_putc(&b.text, ',');
			first = 0;
			buf_append(&b.text, buf_data(&keys) + keyoff[i],
			           keyoff[i + 1] - keyoff[i]);
			store_json_string(&b.text, row.fields[i], row.lens[i]);
		}
		buf_append(&b.text, "}", 2);
		if ((++b.n == IMPORT_BATCH ||
		     buf_len(&b.text) >= IMPORT_BATCH_BYTES) &&
		    (err = batch_flush(&r, &b)) < 0)
			goto end;
	}
	if (rc == 1)
		err = batch_flush(&r, &b);
	if (rc < 0)
		err = rc;
end:
	err = import_end(&r, err);
out:
	buf_fini(&b.text);
	for (i = 0; i < ncols; i++)
		free(names[i]);
	free(names);
	free(keyoff);
	free(seen.slot);
	buf_fini(&keys);
	csv_reader_free(cr);
	return err;
}

/* Import suppressions, see store_import.h. */
int
store_import_suppressions(struct store *s, FILE *fp,
                          enum store_supp_reason reason, const char *source,
                          const struct store_import_opts *o,
                          struct store_import_stats *st)
{
	struct import_run r = {.s = s, .o = o, .st = st};
	struct csv_reader *cr = csv_reader_new(fp);
	struct csv_row row;
	char norm[STORE_ADDRESS_MAX + 2];
	int err, rc, added;

	memset(st, 0, sizeof(*st));
	if ((err = import_begin(&r)) < 0)
		goto out;
	/* Rows may differ in width: only the first column counts. */
	csv_reader_set_columns(cr, 0);
	while ((rc = next_row(&r, cr, &row)) == 0) {
		const char *f = row.fields[0];
		size_t n = row.lens[0];

		csv_reader_set_columns(cr, 0);
		/* A first row without '@' is a header. */
		if (row.line == 1 && memchr(f, '@', n) == NULL)
			continue;
		st->rows++;
		mc_trim(&f, &n);
		if (n > 1 && f[0] == '@') {
			/* @domain: check it as the domain of an address. */
			char probe[STORE_ADDRESS_MAX + 3];

			snprintf(probe, sizeof(probe), "x%.*s",
			         (int)(n > STORE_ADDRESS_MAX ? STORE_ADDRESS_MAX
			                                     : n),
			         f);
			if (check_address(&r, cr, probe, strlen(probe), norm,
			                  sizeof(norm)) < 0)
				continue;
			memmove(norm, strrchr(norm, '@'),
			        strlen(strrchr(norm, '@')) + 1);
		} else if (check_address(&r, cr, f, n, norm, sizeof(norm)) < 0)
			continue;
		if ((err = store_supp_add(s, norm, reason, source, o->now,
		                          &added)) < 0)
			goto end;
		if (added)
			st->added++;
		else
			st->unchanged++;
	}
	if (rc < 0)
		err = rc;
end:
	err = import_end(&r, err);
out:
	csv_reader_free(cr);
	return err;
}
