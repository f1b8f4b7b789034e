/*
 * contacts.h — contacts, lists and the suppression list, for every front
 * end: opening the store, checking addresses, CSV import and export.
 *
 * Addresses are checked here with msg/address (RFC 5321/5322, IDN),
 * normalised by addr_format() and lower-cased so that one mailbox is one
 * contact; the store's CSV import gets app_addr_check as its check (the
 * store may not depend on msg/).  An import is one store transaction; each
 * rejected row goes to the caller's callback and, when given, to a reject
 * CSV (line,reason,record).  An export hands out data rows (the header
 * first), which app_csv_write_row() writes as RFC 4180 CSV.  Errors are
 * negative MC_E* codes with the reason in err (or store_error()).
 */
#ifndef MC_APP_CONTACTS_H
#define MC_APP_CONTACTS_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "store/store.h"
#include "store/store_import.h"

/* Bytes of a store URL app_store_url() makes. */
#define APP_STORE_URL_MAX 1100

/*
 * The store URL to use into out: url when given (the caller has already
 * chosen among --store, $MAILCAST_STORE and mailcast.conf's store =), else
 * the default, sqlite:$XDG_DATA_HOME/mailcast/mailcast.db ($XDG_DATA_HOME
 * unset or relative: ~/.local/share).  0, or MC_ECONFIG when there is no
 * home folder to put the default in.
 */
int app_store_url(const char *url, char *out, size_t outsz, char *err,
                  size_t errsz);
/*
 * The mode the command cmd ("list count", "demo") needs, by its last word:
 * a reading one (show, count, export, list, check, verify, status, report,
 * who) reads an existing store; one that can fill a new store (import,
 * add, rotate, demo) creates it; any other writes to an existing one, so
 * that a mistyped store is an error, never a new empty store.
 */
enum store_mode app_store_mode(const char *cmd);
/*
 * Open the store at app_store_url(url) in mode into *out (store_open_mode()
 * in store/store.h): STORE_CREATE on the default store first makes its
 * folder, 0700.  0, or what store_open_mode() returns (MC_ENOTFOUND: no
 * store there, with how to make one; MC_EROFS: read-only; MC_ECONFIG: bad
 * URL; MC_EIO), with the reason, naming the store, in err.
 */
int app_store_open(const char *url, enum store_mode mode, struct store **out,
                   char *err, size_t errsz);
/*
 * `store migrate`: open (creating: a new store is made at the newest
 * schema) the store at app_store_url(url), bring its schema to the newest this
 * mailcast knows and close it; *was the version found, *now the version left.
 * Errors as app_store_open().
 */
int app_store_migrate(const char *url, int *was, int *now, char *err,
                      size_t errsz);

/* store_addr_check_fn over msg/address.h (arg unused): trimmed, parsed,
 * normalised, lower-cased; 0, or MC_EDATA and the reason in err. */
int app_addr_check(void *arg, const char *in, size_t len, char *norm,
                   size_t normsz, char *err, size_t errsz);
/* An address, or "@domain" (a suppression entry), checked and normalised. */
int app_supp_entry(const char *in, char *norm, size_t normsz, char *err,
                   size_t errsz);

struct app_import {
	const char *list; /* contacts: the list (created if needed) */
	const char *const *more_lists; /* more lists to join, or NULL */
	size_t nmore;
	bool strict;  /* a rejected row fails the import (nothing written) */
	bool replace; /* attributes replaced, not merged */
	const char *actor, *why;       /* for the contacts' audit (contact.h) */
	const char *email_column;      /* NULL: found by name */
	enum store_supp_reason reason; /* suppressions */
	const char *source;            /* suppressions */
	bool dry_run;                  /* do everything, then roll back */
	FILE *rejects;                 /* reject CSV, or NULL */
	store_reject_fn *reject;       /* told each rejected row, or NULL */
	void *reject_arg;
	json_t *rejects_json; /* an array: {line, reason} of the first 1,000
	                         rejected rows are appended, or NULL */
};

/* Contacts from CSV fp (a header row) into o->list.  MC_EDATA,
 * MC_EUNSUPP (the file as a whole is unusable), MC_EIO. */
int app_contacts_import(struct store *s, FILE *fp, const struct app_import *o,
                        struct store_import_stats *st);
/*
 * The CSV file at path (contacts when o->list, else suppressions), the
 * rejected rows to the CSV file rpath when not NULL (app/import_file.c).
 * 0, or why in err and MC_ENOTFOUND (path), MC_EROFS (rpath), MC_EIO or
 * MC_EDATA (the store, or a file unusable as a whole: nothing imported).
 */
int app_import_path(struct store *s, const char *path, const char *rpath,
                    struct app_import *o, struct store_import_stats *st,
                    char *err, size_t errsz);
/* app_import_path() with the first 20 rejected rows said on say as
 * "PREFIX: reason" lines, then "PREFIX: ... and N more rejected rows". */
int app_import_path_said(struct store *s, const char *path, const char *rpath,
                         struct app_import *o, struct store_import_stats *st,
                         FILE *say, const char *prefix, char *err,
                         size_t errsz);
/* Suppressions from CSV fp (first column an address or @domain). */
int app_supp_import(struct store *s, FILE *fp, const struct app_import *o,
                    struct store_import_stats *st);

/* One data row of an export; the first call is the header. */
typedef int app_row_fn(void *arg, const char *const *fields, size_t n);
/* List list_id's contacts as rows: email, status, subscribed_at,
 * status_changed_at (ISO 8601 UTC; empty: never), then the union of
 * attribute names in first-seen order — what an import reads back the
 * same.  Returns 0, the store's error, or fn's. */
int app_contacts_export(struct store *s, int64_t list_id, app_row_fn *fn,
                        void *arg);
/*
 * Segments (docs/segments.md; store/segment.h): a --where expression
 * over a list's contacts (list NULL: every contact).  Each returns 0,
 * MC_EINVAL or MC_ELIMIT (the expression: "--where: column 17: expected
 * a value after \"=\"" in err), MC_ENOTFOUND (no such list), MC_EUNSUPP
 * (a store without segments) or the store's error.  where NULL: no
 * filter (every contact of the list).
 */
struct segment;
/* Parse where into *out (segment_free() it). */
int app_segment_parse(const char *where, struct segment **out, char *err,
                      size_t errsz);
/* Is where a good expression?  (The reason in err when not.) */
int app_segment_check(const char *where, char *err, size_t errsz);
/* How many contacts of list match where. */
int app_segment_count(struct store *s, const char *list, const char *where,
                      unsigned long *n, char *err, size_t errsz);
/* app_contacts_export() of the contacts of list_id (0: all) that match
 * where. */
int app_contacts_export_where(struct store *s, int64_t list_id,
                              const char *where, app_row_fn *fn, void *arg,
                              char *err, size_t errsz);
/* app_list_rows() of list's contacts that match where. */
int app_segment_rows(struct store *s, const char *list, const char *where,
                     json_t **rows, char *err, size_t errsz);
/* Make the contacts of from that match where members of to (created if
 * needed), attributes untouched; *added counts the new memberships. */
int app_list_add_where(struct store *s, const char *to, const char *from,
                       const char *where, unsigned long *added, char *err,
                       size_t errsz);
/* app_row_fn writing one CSV row (CRLF) to the FILE * arg. */
int app_csv_write_row(void *fp, const char *const *fields, size_t n);
/*
 * The data a front end shows, as JSON the caller owns (the REST API's
 * shapes): list is NULL for the lists ({name, members, created}), else
 * that list's contacts ({email, status, attributes}), at most limit (0:
 * all).  MC_ENOTFOUND: no such list; else the store's error, in err.
 */
int app_list_rows(struct store *s, const char *list, unsigned long long limit,
                  json_t **rows, char *err, size_t errsz);
/* t as "2026-12-04T08:00:00Z" into buf ("" for 0). */
void app_iso_time(time_t t, char *buf, size_t bufsz);
/* Members for lists[0..n) without touching attributes: the addresses
 * (contacts made for new ones) and every member of from_list (if not
 * NULL).  *out: {lists, added, joined, rejected: [{address, reason}]};
 * MC_ENOTFOUND: no list from_list. */
int app_list_add(struct store *s, const char *const *lists, size_t n,
                 const char *const *addrs, size_t naddrs, const char *from_list,
                 const char *actor, json_t **out, char *err, size_t errsz);
/* {list (or null), count, statuses: {active: n, ...}}; list NULL: all. */
int app_list_count(struct store *s, const char *list, json_t **out, char *err,
                   size_t errsz);
/* The listmonk "attributes" cell's members (store_json_attrs_fn over
 * jansson): strings as they are, other values as their JSON text. */
int app_json_attrs(void *arg, const char *cell, size_t len, struct buf *out,
                   char *err, size_t errsz);
/* Every suppression: {entry, reason, source, created}. */
int app_supp_rows(struct store *s, json_t **rows, char *err, size_t errsz);
/* Is address suppressed, by an entry or by its contact's status?
 * {address, suppressed[, entry, reason, source][, status]}; MC_EDATA:
 * not an address. */
int app_supp_lookup(struct store *s, const char *address, json_t **out,
                    char *err, size_t errsz);
/* An import's tally: {rows, added, updated, unchanged, joined, duplicates,
 * rejected, dry_run}. */
json_t *app_import_json(const struct app_import *o,
                        const struct store_import_stats *st);

/* Take address off list_id (checked and normalised first). */
int app_list_member_remove(struct store *s, int64_t list_id,
                           const char *address, char *err, size_t errsz);
/* Add (add true; *added says whether it is new) or remove one suppression
 * entry; the normalised entry goes to norm.  Adding gives the address's
 * contact the status of the reason (store_reason_status()); removing
 * leaves a contact's status (a contact that is not active stays
 * suppressed: app_contact_status() tells).  MC_EDATA: not an address. */
int app_supp_change(struct store *s, bool add, const char *entry,
                    enum store_supp_reason reason, const char *source,
                    bool *added, char *norm, size_t normsz, char *err,
                    size_t errsz);

#endif
