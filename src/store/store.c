/*
 * store.c — backend choice by URL scheme, name tables, shared helpers.
 * Both backends count schema versions alike (STORE_SQLITE_SCHEMA ==
 * STORE_PG_SCHEMA, checked below), so "schema 5" means one set of tables.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/str.h"
#include "store/store.h"
#include "store/store_pg.h"
#include "store/store_sqlite.h"

_Static_assert(STORE_SQLITE_SCHEMA == STORE_PG_SCHEMA,
               "the backends count schema versions alike");

static const char *const dlv_names[] = {
#define STORE_DLV_NAME(sym, name) name,
    STORE_DLV_STATES(STORE_DLV_NAME)
#undef STORE_DLV_NAME
};

static const char *const supp_names[] = {
#define STORE_SUPP_NAME(sym, name) name,
    STORE_SUPP_REASONS(STORE_SUPP_NAME)
#undef STORE_SUPP_NAME
};

static const char *const bounce_kind_names[] = {
#define STORE_BOUNCE_NAME(sym, name) name,
    STORE_BOUNCE_KINDS(STORE_BOUNCE_NAME)
#undef STORE_BOUNCE_NAME
};

static const char *const mode_names[] = {
#define STORE_MODE_NAME(sym, name) name,
    STORE_MODES(STORE_MODE_NAME)
#undef STORE_MODE_NAME
};

static const char *const contact_status_names[] = {
#define STORE_CONTACT_NAME(sym, name) name,
    STORE_CONTACT_STATUSES(STORE_CONTACT_NAME)
#undef STORE_CONTACT_NAME
};

/* Index of name in a table of n names, or -1. */
static int
name_index(const char *const *names, int n, const char *name)
{
	for (int i = 0; name != NULL && i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

/* Name of a bounce row's kind. */
const char *
store_bounce_kind_name(enum store_bounce_kind k)
{
	return (unsigned)k < STORE_BOUNCE__COUNT ? bounce_kind_names[k] : NULL;
}

/* Bounce row kind from its name, or -1. */
int
store_bounce_kind_parse(const char *name)
{
	return name_index(bounce_kind_names, STORE_BOUNCE__COUNT, name);
}

/* Name of a contact status. */
const char *
store_contact_status_name(enum store_contact_status c)
{
	return (unsigned)c < CONTACT__COUNT ? contact_status_names[c] : NULL;
}

/* Contact status from its name, or -1. */
int
store_contact_status_parse(const char *name)
{
	return name_index(contact_status_names, CONTACT__COUNT, name);
}

/* The suppression reason that goes with a status. */
int
store_status_reason(enum store_contact_status c)
{
	switch (c) {
	case CONTACT_ACTIVE:
	case CONTACT_PENDING: /* not confirmed yet: nothing to suppress */
		return -1;
	case CONTACT_UNSUBSCRIBED:
		return SUPP_UNSUBSCRIBED;
	case CONTACT_BOUNCED:
		return SUPP_HARD_BOUNCE;
	case CONTACT_COMPLAINED:
		return SUPP_COMPLAINT;
	default:
		return SUPP_MANUAL;
	}
}

/* The status a suppression reason gives a contact. */
enum store_contact_status
store_reason_status(enum store_supp_reason r)
{
	switch (r) {
	case SUPP_UNSUBSCRIBED:
		return CONTACT_UNSUBSCRIBED;
	case SUPP_HARD_BOUNCE:
	case SUPP_SOFT_BOUNCES:
		return CONTACT_BOUNCED;
	case SUPP_COMPLAINT:
		return CONTACT_COMPLAINED;
	default:
		return CONTACT_BLOCKLISTED;
	}
}

/* "sha256:" + hex SHA-256(salt ":" address). */
void
store_erase_entry(const char *salt, const char *address,
                  char out[STORE_ERASE_ENTRY_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t o = strlen(STORE_ERASE_PREFIX);

	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, salt, strlen(salt));
	EVP_DigestUpdate(ctx, ":", 1);
	EVP_DigestUpdate(ctx, address, strlen(address));
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	memcpy(out, STORE_ERASE_PREFIX, o);
	for (unsigned i = 0; i < mdlen && o + 2 <= STORE_ERASE_ENTRY_LEN; i++) {
		out[o++] = "0123456789abcdef"[md[i] >> 4];
		out[o++] = "0123456789abcdef"[md[i] & 15];
	}
	out[o] = '\0';
}

/* Name of a ledger state. */
const char *
store_dlv_state_name(enum store_dlv_state s)
{
	return (unsigned)s < DLV__COUNT ? dlv_names[s] : NULL;
}

/* Ledger state from its name, or -1. */
int
store_dlv_state_parse(const char *name)
{
	for (int i = 0; i < DLV__COUNT; i++)
		if (strcmp(dlv_names[i], name) == 0)
			return i;
	return -1;
}

/* Name of a suppression reason. */
const char *
store_supp_reason_name(enum store_supp_reason r)
{
	return (unsigned)r < SUPP__COUNT ? supp_names[r] : NULL;
}

/* Suppression reason from its name, or -1. */
int
store_supp_reason_parse(const char *name)
{
	for (int i = 0; i < SUPP__COUNT; i++)
		if (strcmp(supp_names[i], name) == 0)
			return i;
	return -1;
}

/* Name of a store mode. */
const char *
store_mode_name(enum store_mode m)
{
	return (unsigned)m < STORE_MODE__COUNT ? mode_names[m] : NULL;
}

/* The newest schema version this code knows. */
int
store_schema_latest(void)
{
	return STORE_SQLITE_SCHEMA;
}

/* Open a store by URL scheme in mode, at a schema version. */
int
store_open_at(const char *url, enum store_mode mode, int schema, int *was,
              struct store **out, char *err, size_t errsz)
{
	const char *path = NULL;
	int rc;

	*out = NULL;
	if (url == NULL || *url == '\0')
		url = STORE_DEFAULT_URL;
	if (strncmp(url, "postgresql://", 13) == 0 ||
	    strncmp(url, "postgres://", 11) == 0)
		rc = store_pg_open(url, mode, schema, was, out, err, errsz);
	else if (strncmp(url, "sqlite:", 7) == 0)
		rc = store_sqlite_open_mode(path = url + 7, mode, schema, was,
		                            out, err, errsz);
	else if (strstr(url, "://") == NULL && strchr(url, ':') == NULL)
		rc = store_sqlite_open_mode(path = url, mode, schema, was, out,
		                            err, errsz);
	else {
		char *shown = store_url_redact(url);

		rc = mc_fail(MC_ECONFIG, err, errsz,
		             "store '%.200s': unknown scheme (expected "
		             "postgresql://..., sqlite:PATH or a file name)",
		             shown);
		free(shown);
		return rc;
	}
	if (rc < 0)
		return rc;
	if (path != NULL)
		mc_strlcpy((*out)->where, path, sizeof((*out)->where));
	(*out)->schema =
	    mode == STORE_READ || schema < 0 || schema > STORE_SQLITE_SCHEMA
	        ? STORE_SQLITE_SCHEMA
	        : schema;
	return 0;
}

/* Open a store by URL scheme in mode, its schema up to date. */
int
store_open_mode(const char *url, enum store_mode mode, struct store **out,
                char *err, size_t errsz)
{
	return store_open_at(url, mode, STORE_SCHEMA_LATEST, NULL, out, err,
	                     errsz);
}

/* Open (creating) a store by URL scheme, at a schema version. */
struct store *
store_open_schema(const char *url, int schema, int *was, char *err,
                  size_t errsz)
{
	struct store *s;

	return store_open_at(url, STORE_CREATE, schema, was, &s, err, errsz) ==
	               0
	           ? s
	           : NULL;
}

/* Open a store by URL scheme, made when missing. */
struct store *
store_open(const char *url, char *err, size_t errsz)
{
	return store_open_schema(url, STORE_SCHEMA_LATEST, NULL, err, errsz);
}

/* Where the store is, for messages. */
const char *
store_where(const struct store *s)
{
	return s->where;
}

/* Close a store; NULL does nothing. */
void
store_close(struct store *s)
{
	if (s != NULL)
		s->ops->close(s);
}

/* The last error text. */
const char *
store_error(const struct store *s)
{
	return s->last_error;
}

/* Record an error; returns code. */
int
store_fail(struct store *s, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->last_error, sizeof(s->last_error), fmt, ap);
	va_end(ap);
	return code;
}

/* Whether a lease of campaign_id goes on after the last key. */
bool
store_lease_from(const struct store *s, int64_t campaign_id)
{
	return s->lease_camp == campaign_id && s->lease_id > 0;
}

/* The key the next lease of campaign_id goes on after. */
void
store_lease_went(struct store *s, int64_t campaign_id, bool full, int64_t na,
                 int64_t id)
{
	s->lease_camp = campaign_id;
	s->lease_na = na;
	s->lease_id = full ? id : 0;
}

/* Free the strings of leased rows. */
void
store_deliveries_fini(struct store_delivery *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(d[i].attrs);
		d[i].attrs = NULL;
	}
}

/* ---- URLs as shown ---- */

/* A hex digit's value, or -1. */
static int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Is k[0..n), a URI query key (libpq decodes its %XX too), one whose
 * value is a secret: password or sslpassword? */
static bool
key_secret(const char *k, size_t n)
{
	char d[16];
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)k[i];

		if (c == '%' && i + 2 < n && hex_value(k[i + 1]) >= 0 &&
		    hex_value(k[i + 2]) >= 0) {
			c = hex_value(k[i + 1]) * 16 + hex_value(k[i + 2]);
			i += 2;
		}
		if (j == sizeof(d) - 1)
			return false;
		d[j++] = (char)c;
	}
	d[j] = '\0';
	return strcmp(d, "password") == 0 || strcmp(d, "sslpassword") == 0;
}

/*
 * url with its passwords replaced by "***" (the caller frees it): the
 * user part's (USER:PASSWORD@, up to the last '@' before a '='), and
 * the values of password= and sslpassword= in the query.
 */
char *
store_url_redact(const char *url)
{
	const char *scheme = strstr(url, "://"), *p = url, *colon, *q;
	struct buf b;

	buf_init(&b);
	if (scheme != NULL) {
		/* the user part ends at the last '@' before the query's
		 * first '=': a password with a '?', '/' or '@' left
		 * unencoded (which libpq may misread) is hidden too */
		const char *auth = scheme + 3, *at = NULL;
		size_t n = strcspn(auth, "=");

		for (size_t i = 0; i < n; i++)
			if (auth[i] == '@')
				at = auth + i;
		if (at != NULL &&
		    (colon = memchr(auth, ':', (size_t)(at - auth))) != NULL) {
			buf_append(&b, url, (size_t)(colon + 1 - url));
			buf_puts(&b, "***");
			p = at;
		}
	}
	if ((q = strchr(p, '?')) == NULL)
		q = p + strlen(p);
	buf_append(&b, p, (size_t)(q - p));
	for (p = q; *p != '\0';) { /* at '?' or '&' */
		size_t n = 1 + strcspn(p + 1, "&"), k = strcspn(p + 1, "=&");

		if (p[1 + k] == '=' && key_secret(p + 1, k)) {
			buf_append(&b, p, k + 2);
			buf_puts(&b, "***");
		} else {
			buf_append(&b, p, n);
		}
		p += n;
	}
	return buf_steal(&b, NULL);
}
