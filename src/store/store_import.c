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
#include <time.h>
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
#define IMPORT_BATCH   256 /* rows per contact_upsert_many call, unless */
/* the backend asks for more (store_ops.bulk_rows); or fewer, once their
 * text reaches IMPORT_ROW_BYTES a row (1 MiB at 256): wide rows stay
 * bounded. */
#define IMPORT_ROW_BYTES 4096

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

static const char *const format_names[] = {
#define STORE_FMT_NAME(sym, name) name,
    STORE_IMPORT_FORMATS(STORE_FMT_NAME)
#undef STORE_FMT_NAME
};

/* Status words of other tools' exports, and the status each means. */
static const struct {
	const char *word;
	enum store_contact_status status;
} status_words[] = {
    {"active", CONTACT_ACTIVE},
    {"subscribed", CONTACT_ACTIVE},
    {"enabled", CONTACT_ACTIVE},
    {"confirmed", CONTACT_ACTIVE},
    {"unsubscribed", CONTACT_UNSUBSCRIBED},
    {"bounced", CONTACT_BOUNCED},
    {"cleaned", CONTACT_BOUNCED},
    {"complained", CONTACT_COMPLAINED},
    {"spam", CONTACT_COMPLAINED},
    {"blocklisted", CONTACT_BLOCKLISTED},
    {"blacklisted", CONTACT_BLOCKLISTED},
    {"blocked", CONTACT_BLOCKLISTED},
    {"disabled", CONTACT_BLOCKLISTED},
};

/* Name of an import format. */
const char *
store_import_format_name(enum store_import_format f)
{
	return (unsigned)f < STORE_FMT__COUNT ? format_names[f] : NULL;
}

/* A status word into a status, or -1. */
int
store_import_status_word(const char *w, size_t n)
{
	mc_trim(&w, &n);
	for (size_t i = 0; i < sizeof(status_words) / sizeof(status_words[0]);
	     i++)
		if (mc_ieq(w, n, status_words[i].word))
			return (int)status_words[i].status;
	return -1;
}

/* Read n decimal digits at *p into *v; 0, or -1. */
static int
digits(const char **p, const char *end, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (*p >= end || **p < '0' || **p > '9')
			return -1;
		*v = *v * 10 + (**p - '0');
	}
	return 0;
}

/* An export's date: YYYY-MM-DD, then optionally [ T]HH:MM[:SS[.f]] and
 * Z or +HH:MM / -HH:MM (none: UTC). */
time_t
store_import_time(const char *str, size_t n)
{
	const char *p, *end;
	struct tm tm = {0};
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
	time_t t;

	mc_trim(&str, &n);
	p = str;
	end = str + n;
	if (digits(&p, end, 4, &y) || p >= end || *p++ != '-' ||
	    digits(&p, end, 2, &mo) || p >= end || *p++ != '-' ||
	    digits(&p, end, 2, &d))
		return 0;
	if (p < end && (*p == ' ' || *p == 'T')) {
		p++;
		if (digits(&p, end, 2, &h) || p >= end || *p++ != ':' ||
		    digits(&p, end, 2, &mi))
			return 0;
		if (p < end && *p == ':' && (p++, digits(&p, end, 2, &sec)))
			return 0;
		if (p < end && *p == '.')
			for (p++; p < end && *p >= '0' && *p <= '9'; p++)
				;
	}
	if (p < end && *p == 'Z')
		p++;
	else if (p < end && (*p == '+' || *p == '-')) {
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, end, 2, &oh))
			return 0;
		if (p < end && *p == ':')
			p++;
		if (p < end && digits(&p, end, 2, &om))
			return 0;
	}
	if (p != end || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60)
		return 0;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	return t - sign * (oh * 3600 + om * 60);
}

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

/* Rows read but not yet stored: handed to the store cap at a time, which
 * lets a backend use multi-row statements (or COPY). */
struct import_batch {
	struct buf text;      /* address NUL attrs NUL, row after row */
	size_t *addr, *attrs; /* offsets */
	const char **status;  /* or NULL */
	time_t *subscribed, *status_at;
	struct store_contact_in *rows; /* for the store */
	size_t n, cap, max_bytes;
	int64_t *list_ids; /* the lists, then more lists */
	size_t nlists;
};

/* Room for the backend's rows per call (IMPORT_BATCH by default). */
static void
batch_init(struct import_batch *b, const struct store *s)
{
	size_t cap = s->ops->bulk_rows > 0 ? s->ops->bulk_rows : IMPORT_BATCH;

	b->cap = cap;
	b->max_bytes = cap * IMPORT_ROW_BYTES;
	if (cap > IMPORT_BATCH) /* a big batch: about 128 octets a row */
		b->max_bytes =
		    cap * 128 > 1024 * 1024 ? cap * 128 : 1024 * 1024;
	b->addr = xcalloc(cap, sizeof(*b->addr));
	b->attrs = xcalloc(cap, sizeof(*b->attrs));
	b->status = xcalloc(cap, sizeof(*b->status));
	b->subscribed = xcalloc(cap, sizeof(*b->subscribed));
	b->status_at = xcalloc(cap, sizeof(*b->status_at));
	b->rows = xcalloc(cap, sizeof(*b->rows));
}

/* Free what batch_init took. */
static void
batch_fini(struct import_batch *b)
{
	free(b->addr);
	free(b->attrs);
	free(b->status);
	free(b->subscribed);
	free(b->status_at);
	free(b->rows);
	buf_fini(&b->text);
}

/* Store the batch's rows and count what happened; empties it. */
static int
batch_flush(struct import_run *r, struct import_batch *b)
{
	struct store *s = r->s;
	struct store_contact_in *rows = b->rows;
	struct store_upsert_counts c = {0};
	const char *text = buf_cstr(&b->text);
	int err = 0;

	for (size_t i = 0; i < b->n; i++) {
		rows[i].address = text + b->addr[i];
		rows[i].domain = strrchr(rows[i].address, '@') + 1;
		rows[i].attrs = text + b->attrs[i];
		rows[i].status = b->status[i];
		rows[i].subscribed = b->subscribed[i];
		rows[i].status_at = b->status_at[i];
	}
	err = store_contact_upsert_many(s, rows, b->n, b->list_ids[0],
	                                r->o->now, r->o->flags, &c);
	/* The other lists: the same rows again change nothing but the
	 * memberships. */
	for (size_t k = 1; k < b->nlists && err == 0; k++) {
		struct store_upsert_counts more = {0};

		err = store_contact_upsert_many(s, rows, b->n, b->list_ids[k],
		                                r->o->now, r->o->flags, &more);
		c.joined += more.joined;
	}
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

/* Cut b to its first len bytes (the row being built goes). */
static void
text_cut(struct buf *b, size_t len)
{
	if (b->mem == NULL)
		return;
	b->end = b->off + len;
	b->mem[b->end] = '\0';
}

/* What an import does with a column. */
enum col_role {
	ROLE_ATTR,   /* an attribute */
	ROLE_EMAIL,  /* the address */
	ROLE_STATUS, /* a status word */
	ROLE_JSON,   /* a JSON object of attributes */
	ROLE_SKIP,   /* read for a date only, or not at all */
};

/* The layout a header tells. */
struct layout {
	enum store_import_format format;
	enum col_role *role; /* per column */
	const char *status;  /* every row's status (Mailchimp's exports) */
	size_t sub, stat_at; /* columns of the dates, or SIZE_MAX */
};

/* The column named name, or SIZE_MAX. */
static size_t
column(char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (header_is(names[i], strlen(names[i]), name))
			return i;
	return SIZE_MAX;
}

/* Tell the layout from the header (docs/contacts.md, "Formats"). */
static void
detect_format(char *const *names, size_t n, const struct store_import_opts *o,
              struct layout *l)
{
	size_t k;

	l->role = xcalloc(n, sizeof(*l->role));
	l->sub = l->stat_at = SIZE_MAX;
	if (column(names, n, "email address") != SIZE_MAX &&
	    (column(names, n, "member_rating") != SIZE_MAX ||
	     column(names, n, "leid") != SIZE_MAX ||
	     column(names, n, "euid") != SIZE_MAX ||
	     column(names, n, "optin_time") != SIZE_MAX)) {
		/* Mailchimp: one file per status, every column kept. */
		l->format = STORE_FMT_MAILCHIMP;
		if ((k = column(names, n, "unsub_time")) != SIZE_MAX) {
			l->status = "unsubscribed";
			l->stat_at = k;
		} else if ((k = column(names, n, "clean_time")) != SIZE_MAX) {
			l->status = "bounced";
			l->stat_at = k;
		}
		l->sub = column(names, n, "confirm_time");
		if (l->sub == SIZE_MAX)
			l->sub = column(names, n, "optin_time");
		return;
	}
	if (o->json_attrs != NULL &&
	    (k = column(names, n, "attributes")) != SIZE_MAX &&
	    column(names, n, "email") != SIZE_MAX) {
		/* listmonk: attributes as JSON; its export adds uuid,
		 * status, created_at, updated_at. */
		l->format = STORE_FMT_LISTMONK;
		l->role[k] = ROLE_JSON;
		if ((k = column(names, n, "status")) != SIZE_MAX)
			l->role[k] = ROLE_STATUS;
		if ((l->sub = column(names, n, "created_at")) != SIZE_MAX)
			l->role[l->sub] = ROLE_SKIP;
		if ((k = column(names, n, "updated_at")) != SIZE_MAX)
			l->role[k] = ROLE_SKIP;
		return;
	}
	/* mailcast's own export, or any CSV with a status column. */
	if ((k = column(names, n, "status")) != SIZE_MAX) {
		l->format = STORE_FMT_MAILCAST;
		l->role[k] = ROLE_STATUS;
	}
	if ((l->sub = column(names, n, "subscribed_at")) != SIZE_MAX)
		l->role[l->sub] = ROLE_SKIP;
	if ((l->stat_at = column(names, n, "status_changed_at")) != SIZE_MAX)
		l->role[l->stat_at] = ROLE_SKIP;
}

/* Reject the current row for the cell in column i. */
static void
reject_cell(struct import_run *r, struct csv_reader *cr, const char *why,
            const struct csv_row *row, size_t i)
{
	char reason[IMPORT_ERR_MAX];
	const char *raw;
	size_t rawlen;

	snprintf(reason, sizeof(reason), "line %lu: %s '%.*s'",
	         csv_reader_line(cr), why,
	         (int)(row->lens[i] > 80 ? 80 : row->lens[i]), row->fields[i]);
	raw = csv_reader_raw(cr, &rawlen);
	reject(r, csv_reader_line(cr), reason, raw, rawlen);
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
	struct layout lay = {0};
	enum col_role *role = NULL;
	int first, err, rc;

	memset(st, 0, sizeof(*st));
	buf_init(&keys);
	buf_init(&b.text);
	batch_init(&b, s);
	/* The header row, with the address column: a bad one is the end (the
	 * next row is data, never a header to fall back on). */
	if ((rc = csv_reader_next(cr, &row)) != 0) {
		if (rc == MC_EDATA)
			err = store_fail(s, MC_EDATA, "the header row: %s",
			                 csv_reader_error(cr));
		else
			err =
			    rc < 0
			        ? store_fail(s, rc, "%s", csv_reader_error(cr))
			        : store_fail(s, MC_EDATA,
			                     "the file is empty: a header row "
			                     "naming the columns is needed");
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
	role = xcalloc(ncols, sizeof(*role));
	role[col] = ROLE_EMAIL;
	detect_format(names, ncols, o, &lay);
	st->format = lay.format;
	for (i = 0; i < ncols; i++)
		if (role[i] == ROLE_ATTR && lay.role[i] != ROLE_ATTR)
			role[i] = lay.role[i];
	keyoff = xcalloc(ncols + 1, sizeof(*keyoff));
	for (i = 0; i < ncols; i++) {
		keyoff[i] = buf_len(&keys);
		store_json_string(&keys, names[i], strlen(names[i]));
		buf_putc(&keys, ':');
	}
	keyoff[ncols] = buf_len(&keys);
	if ((err = import_begin(&r)) < 0)
		goto out;
	b.nlists = 1 + o->nmore;
	b.list_ids = xcalloc(b.nlists, sizeof(*b.list_ids));
	for (i = 0; i < b.nlists; i++)
		if ((err = store_list_ensure(s,
		                             i ? o->more_lists[i - 1] : o->list,
		                             o->now, &b.list_ids[i])) < 0)
			goto end;
	while ((rc = next_row(&r, cr, &row)) == 0) {
		const char *status = lay.status;
		size_t mark;

		st->rows++;
		if (check_address(&r, cr, row.fields[col], row.lens[col], norm,
		                  sizeof(norm)) < 0)
			continue;
		for (i = 0; i < ncols; i++) {
			int k;

			if (role[i] != ROLE_STATUS || row.lens[i] == 0)
				continue;
			if ((k = store_import_status_word(row.fields[i],
			                                  row.lens[i])) < 0) {
				reject_cell(&r, cr, "unknown status", &row, i);
				break;
			}
			status = store_contact_status_name(
			    (enum store_contact_status)k);
		}
		if (i < ncols)
			continue;
		if (hashset_add(&seen, hash64(norm, strlen(norm)))) {
			st->duplicates++;
			continue;
		}
		/* address NUL attrs NUL, into the batch */
		mark = buf_len(&b.text);
		b.addr[b.n] = buf_len(&b.text);
		buf_append(&b.text, norm, strlen(norm) + 1);
		b.attrs[b.n] = buf_len(&b.text);
		buf_putc(&b.text, '{');
		for (i = 0, first = 1; i < ncols; i++) {
			if (row.lens[i] == 0 || names[i][0] == '\0')
				continue;
			if (role[i] == ROLE_JSON) {
				size_t at = buf_len(&b.text);
				char why[256];

				if (o->json_attrs(o->json_arg, row.fields[i],
				                  row.lens[i], &b.text, why,
				                  sizeof(why)) < 0) {
					reject_cell(&r, cr, why, &row, i);
					break;
				}
				/* drop the leading ',' of the first member */
				if (first && buf_len(&b.text) > at) {
					unsigned char *m =
					    b.text.mem + b.text.off;

					memmove(m + at, m + at + 1,
					        buf_len(&b.text) - at - 1);
					text_cut(&b.text, buf_len(&b.text) - 1);
				}
				first &= buf_len(&b.text) == at;
				continue;
			}
			if (role[i] != ROLE_ATTR)
				continue;
			if (!first)
				buf_putc(&b.text, ',');
			first = 0;
			buf_append(&b.text, buf_data(&keys) + keyoff[i],
			           keyoff[i + 1] - keyoff[i]);
			store_json_string(&b.text, row.fields[i], row.lens[i]);
		}
		if (i < ncols) { /* a bad JSON cell: the row goes */
			text_cut(&b.text, mark);
			continue;
		}
		buf_append(&b.text, "}", 2);
		b.status[b.n] = status;
		b.subscribed[b.n] = lay.sub != SIZE_MAX
		                        ? store_import_time(row.fields[lay.sub],
		                                            row.lens[lay.sub])
		                        : 0;
		b.status_at[b.n] =
		    lay.stat_at != SIZE_MAX
		        ? store_import_time(row.fields[lay.stat_at],
		                            row.lens[lay.stat_at])
		        : 0;
		if ((++b.n == b.cap || buf_len(&b.text) >= b.max_bytes) &&
		    (err = batch_flush(&r, &b)) < 0)
			goto end;
	}
	if (rc == 1)
		err = batch_flush(&r, &b);
	if (rc < 0)
		err = rc;
	if (err == 0 && o->strict && st->rejected > 0)
		err = store_fail(s, MC_EDATA,
		                 "%lu rows rejected (--strict: every row must "
		                 "be good)",
		                 st->rejected);
end:
	err = import_end(&r, err);
out:
	free(b.list_ids);
	free(role);
	free(lay.role);
	batch_fini(&b);
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
	if (err == 0 && o->strict && st->rejected > 0)
		err = store_fail(s, MC_EDATA,
		                 "%lu rows rejected (--strict: every row must "
		                 "be good)",
		                 st->rejected);
end:
	err = import_end(&r, err);
out:
	csv_reader_free(cr);
	return err;
}
