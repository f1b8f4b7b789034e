/*
 * store_import.h — CSV into the store: contacts of a list, or suppressions.
 *
 * The import streams the file through csv_read.h (bounded memory except a
 * 16-byte-per-row set used to merge duplicates within the file) and runs as
 * ONE transaction: it lands whole or not at all, so a crash, a kill or a
 * fatal error (UTF-16 file, no address column, read error) leaves the store
 * as it was.  Bad rows are not fatal: each goes to the reject callback with
 * its line and reason, and the rest are kept.  Re-importing the same file
 * changes nothing: contacts are keyed by normalised address and a row whose
 * attributes are already stored is left alone.  Within one file the first
 * occurrence of an address wins; later ones are counted as duplicates.
 * Rows reach the store in batches (contact_upsert_many, up to 256 rows or
 * 1 MiB of text), so a backend can use multi-row statements.
 *
 * Attributes merge: a column present sets its attribute, an empty cell and
 * a column absent keep what the contact had (STORE_UPSERT_REPLACE: the
 * row's attributes replace them).  The header tells the layout
 * (enum store_import_format): a "status" column (or a Mailchimp
 * unsubscribed / cleaned export) gives statuses, which an import applies
 * only to new or active contacts (it never resubscribes); dates of
 * subscription and of the status go with them; listmonk's JSON
 * "attributes" column is expanded through opts->json_attrs.
 *
 * Addresses are checked by the caller's store_addr_check_fn (the store may
 * not depend on msg/); without one, a minimal check (one '@', something on
 * each side, lower-cased) is used.  Errors: MC_EDATA, MC_EUNSUPP, MC_EIO,
 * with the reason in store_error().
 */
#ifndef MC_STORE_STORE_IMPORT_H
#define MC_STORE_STORE_IMPORT_H

#include <stdio.h>
#include <time.h>

#include "base/buf.h"
#include "store/store.h"

/* Check and normalise in[0..len) into norm; 0, or MC_EDATA and err. */
typedef int store_addr_check_fn(void *arg, const char *in, size_t len,
                                char *norm, size_t normsz, char *err,
                                size_t errsz);
/* A rejected row: its line, the reason, its raw text. */
typedef void store_reject_fn(void *arg, unsigned long line, const char *reason,
                             const char *raw, size_t rawlen);

/* Append a JSON-object cell's members to out as ',"key":"value"' each
 * (values not strings kept as their JSON text); 0, or MC_EDATA and err. */
typedef int store_json_attrs_fn(void *arg, const char *cell, size_t len,
                                struct buf *out, char *err, size_t errsz);

/* The file layouts an import knows by their header (see docs/contacts.md). */
#define STORE_IMPORT_FORMATS(X)                                                \
	X(STORE_FMT_CSV, "csv")             /* email + attribute columns */    \
	X(STORE_FMT_MAILCAST, "mailcast")   /* list export: status, dates */   \
	X(STORE_FMT_MAILCHIMP, "mailchimp") /* an audience export */           \
	X(STORE_FMT_LISTMONK, "listmonk")   /* email,name,attributes(JSON) */

enum store_import_format {
#define STORE_FMT_ENUM(sym, name) sym,
	STORE_IMPORT_FORMATS(STORE_FMT_ENUM)
#undef STORE_FMT_ENUM
	    STORE_FMT__COUNT
};

struct store_import_opts {
	const char *list;              /* list name (created if needed) */
	const char *const *more_lists; /* more lists to join, or NULL */
	size_t nmore;
	const char *email_column; /* header name; NULL: found by name */
	int dry_run;              /* do everything, then roll back */
	int strict;               /* a rejected row fails the import */
	unsigned flags;           /* STORE_UPSERT_REPLACE: replace attributes */
	store_json_attrs_fn *json_attrs; /* listmonk's attributes; NULL:
	                                    kept as one attribute */
	void *json_arg;
	store_addr_check_fn *check;
	void *check_arg;
	store_reject_fn *reject;
	void *reject_arg;
	time_t now;
};

struct store_import_stats {
	unsigned long rows;    /* data rows read (not the header) */
	unsigned long added;   /* new contacts */
	unsigned long updated; /* contacts whose attributes changed */
	unsigned long unchanged;
	unsigned long joined;     /* new list memberships */
	unsigned long duplicates; /* repeated addresses in the file */
	unsigned long rejected;
	enum store_import_format format; /* what the header said */
};

/* "csv", "mailchimp", ...; NULL out of range. */
const char *store_import_format_name(enum store_import_format f);
/* A status word of an export into a status: active, subscribed,
 * enabled, confirmed; unsubscribed; bounced, cleaned; complained; spam;
 * blocklisted, blacklisted, blocked, disabled.  -1: none of these. */
int store_import_status_word(const char *w, size_t n);
/* A date of an export ("2026-03-01", "2026-03-01 10:22:01",
 * "2026-03-01T10:22:01.5+01:00", "...Z") as a time; 0 if not one. */
time_t store_import_time(const char *s, size_t n);

/* Import contacts from a CSV with a header row into opts->list. */
int store_import_contacts(struct store *s, FILE *fp,
                          const struct store_import_opts *opts,
                          struct store_import_stats *st);
/* Import suppressions: first column an address or @domain, an optional
 * header row; added counts new entries, unchanged those already there. */
int store_import_suppressions(struct store *s, FILE *fp,
                              enum store_supp_reason reason, const char *source,
                              const struct store_import_opts *opts,
                              struct store_import_stats *st);
/* Append s[0..n) to out as a JSON string (quotes included). */
void store_json_string(struct buf *out, const char *s, size_t n);
/* The minimal address check used when opts->check is NULL. */
int store_addr_check_basic(void *arg, const char *in, size_t len, char *norm,
                           size_t normsz, char *err, size_t errsz);

#endif
