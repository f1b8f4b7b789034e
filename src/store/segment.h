/*
 * segment.h — the `--where` language: a small expression over a contact
 * (its attributes, status, dates, list memberships and engagement),
 * parsed into a tree and compiled to a SQL condition with bound
 * parameters, for SQLite (?N) or PostgreSQL ($N).  docs/segments.md is
 * the user's manual.
 *
 *   city = "Zürich" and created >= 2026-01-01 and not bounced_within(90d)
 *
 * The compiled text never holds user text: every name and value is a
 * parameter; the SQL around them is fixed.  It is a condition over the
 * contacts table under the alias "c" and never NULL (a missing
 * attribute compares false, so `not` means what it says).  Inputs are
 * bounded (SEGMENT_*_MAX); errors name the column (1-based, in
 * characters) of the expression: "column 8: expected a value after
 * \"=\"".
 *
 * Ownership: segment_parse() gives a tree the caller frees with
 * segment_free(); segment_compile() fills a struct segment_sql the caller
 * releases with segment_sql_fini().  Errors: MC_EINVAL (syntax, with the
 * column), MC_ELIMIT (a hard limit), both with the reason in err.
 */
#ifndef MC_STORE_SEGMENT_H
#define MC_STORE_SEGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SEGMENT_TEXT_MAX  4096  /* bytes of an expression */
#define SEGMENT_DEPTH_MAX 32    /* nested parentheses and `not`s */
#define SEGMENT_TERMS_MAX 64    /* conditions and `in (...)` values */
#define SEGMENT_VALUE_MAX 1024  /* bytes of one quoted value */
#define SEGMENT_NAME_MAX  200   /* bytes of an attribute or list name */
#define SEGMENT_DAYS_MAX  36500 /* the longest duration: 100 years */

/* X(enum, name): the SQL a segment compiles to. */
#define SEGMENT_DIALECTS(X)                                                    \
	X(SEGMENT_SQLITE, "sqlite")                                            \
	X(SEGMENT_PG, "postgresql")

enum segment_dialect {
#define SEGMENT_DIALECT_ENUM(e, name) e,
	SEGMENT_DIALECTS(SEGMENT_DIALECT_ENUM)
#undef SEGMENT_DIALECT_ENUM
	    SEGMENT_DIALECT__COUNT
};

/* "sqlite"; NULL out of range. */
const char *segment_dialect_name(enum segment_dialect d);

/* A parameter's type. */
#define SEGMENT_PARAM_TYPES(X)                                                 \
	X(SEGMENT_P_TEXT, "text")                                              \
	X(SEGMENT_P_INT, "integer")                                            \
	X(SEGMENT_P_REAL, "real")

enum segment_param_type {
#define SEGMENT_PARAM_ENUM(e, name) e,
	SEGMENT_PARAM_TYPES(SEGMENT_PARAM_ENUM)
#undef SEGMENT_PARAM_ENUM
	    SEGMENT_P__COUNT
};

/* "text"; NULL out of range. */
const char *segment_param_type_name(enum segment_param_type t);

struct segment_param {
	enum segment_param_type type;
	char *text; /* SEGMENT_P_TEXT, owned; SEGMENT_P_REAL: the number as
	               written, what a PostgreSQL backend binds (numeric) */
	int64_t i;  /* SEGMENT_P_INT */
	double r;   /* SEGMENT_P_REAL: what SQLite binds */
};

/* A compiled segment: a condition and its parameters.  params[k] is
 * ?(first + k) in SQLite, $(first + k) in PostgreSQL. */
struct segment_sql {
	char *where; /* a boolean SQL expression over "contacts c" */
	struct segment_param *params;
	size_t nparams;
	int first; /* the number of the first parameter */
};

struct segment;

/*
 * Parse text (at most SEGMENT_TEXT_MAX bytes of UTF-8) into *out.
 * 0, MC_EINVAL or MC_ELIMIT with "column N: ..." in err.
 */
int segment_parse(const char *text, struct segment **out, char *err,
                  size_t errsz);
void segment_free(struct segment *seg);
/* The expression as given (borrowed, lives with seg). */
const char *segment_text(const struct segment *seg);
/* How many conditions it has (each `in (...)` value counts). */
unsigned segment_terms(const struct segment *seg);

/*
 * Compile seg for dialect d into out, its parameters numbered from first
 * (>= 1; the statement around it holds the ones before); now anchors
 * durations (`bounced_within(90d)`: since now - 90 days).  Never fails.
 */
void segment_compile(const struct segment *seg, enum segment_dialect d,
                     int first, time_t now, struct segment_sql *out);
void segment_sql_fini(struct segment_sql *q);

/*
 * Reading attributes without a JSON parser, one pass, nothing allocated:
 * the SQLite dialect compiles an attribute to mc_attr(c.attrs, NAME), a
 * number comparison to mc_num(...) and a date one to mc_day(...), SQL
 * functions the SQLite store makes on each connection with these.
 *
 * segment_attr_find: the value of key name (decoded, compared exactly;
 * the first when a key repeats) in the JSON object attrs (len bytes):
 * 1 and *val, *vlen the value as written (a string with its quotes and
 * escapes), 0 when there is none, MC_EINVAL when attrs is not an object.
 */
int segment_attr_find(const char *attrs, size_t len, const char *name,
                      const char **val, size_t *vlen);
/* Decode the inside of a JSON string (len bytes) into out (len + 1 bytes
 * at least: never longer); the bytes written, out NUL-terminated. */
size_t segment_json_unescape(const char *s, size_t len, char *out);
/* Whether s (len bytes) is a JSON number (RFC 8259 section 6), JSON
 * blanks around allowed; *integral when it has no fraction or exponent. */
bool segment_json_number(const char *s, size_t len, bool *integral);

#endif
