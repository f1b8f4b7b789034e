/*
 * store.c — backend choice by URL scheme, name tables, shared helpers.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/str.h"
#include "store/store.h"
#include "store/store_sqlite.h"

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

/* Open a store by URL scheme. */
struct store *
store_open(const char *url, char *err, size_t errsz)
{
	if (url == NULL || *url == '\0')
		url = STORE_DEFAULT_URL;
	if (strncmp(url, "sqlite:", 7) == 0)
		return store_sqlite_open(url + 7, err, errsz);
	if (strncmp(url, "postgresql://", 13) == 0 ||
	    strncmp(url, "postgres://", 11) == 0) {
		snprintf(
		    err, errsz,
		    "store %s: the PostgreSQL backend is not built yet; use "
		    "sqlite:PATH",
		    strncmp(url, "postgres://", 11) == 0 ? "postgres://..."
		                                         : "postgresql://...");
		return NULL;
	}
	snprintf(err, errsz,
	         "store '%.200s': unknown scheme (expected sqlite:PATH or "
	         "postgresql://...)",
	         url);
	return NULL;
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

/* Free the strings of leased rows. */
void
store_deliveries_fini(struct store_delivery *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(d[i].attrs);
		d[i].attrs = NULL;
	}
}
