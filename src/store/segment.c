/*
 * segment.c — the `--where` language (segment.h): a lexer, a recursive
 * descent parser into a tree, and one compiler with a dialect switch.
 *
 * Grammar (keywords in any case):
 *
 *   expr    = and { "or" and }
 *   and     = unary { "and" unary }
 *   unary   = "not" unary | "(" expr ")" | func | field pred
 *   func    = "in_list" "(" STRING ")"
 *           | ("bounced_within" | "sent_within") "(" DURATION ")"
 *   field   = NAME | STRING           (a quoted field is an attribute)
 *   pred    = OP value | "contains" STRING | "like" STRING
 *           | ("starts" | "ends") "with" STRING
 *           | "is" ["not"] "set" | ["not"] "in" "(" STRING {"," STRING} ")"
 *   value   = STRING | NUMBER | DATE
 *
 * The tree is checked as it is built (a status is a known one, a date
 * field takes a date), so compiling cannot fail.  Recursion is bounded by
 * SEGMENT_DEPTH_MAX, the tree by SEGMENT_TERMS_MAX.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/utf8.h"
#include "base/xmalloc.h"
#include "store/segment.h"
#include "store/store.h"

static const char *const dialect_names[] = {
#define SEGMENT_DIALECT_NAME(e, name) name,
    SEGMENT_DIALECTS(SEGMENT_DIALECT_NAME)
#undef SEGMENT_DIALECT_NAME
};

static const char *const param_type_names[] = {
#define SEGMENT_PARAM_NAME(e, name) name,
    SEGMENT_PARAM_TYPES(SEGMENT_PARAM_NAME)
#undef SEGMENT_PARAM_NAME
};

/* Name of a dialect. */
const char *
segment_dialect_name(enum segment_dialect d)
{
	return (unsigned)d < SEGMENT_DIALECT__COUNT ? dialect_names[d] : NULL;
}

/* Name of a parameter type. */
const char *
segment_param_type_name(enum segment_param_type t)
{
	return (unsigned)t < SEGMENT_P__COUNT ? param_type_names[t] : NULL;
}

/* X(enum, text): tokens. */
#define TOKENS(X)                                                              \
	X(T_END, "the end")                                                    \
	X(T_LPAREN, "\"(\"")                                                   \
	X(T_RPAREN, "\")\"")                                                   \
	X(T_COMMA, "\",\"")                                                    \
	X(T_OP, "an operator")                                                 \
	X(T_WORD, "a name")                                                    \
	X(T_STRING, "a quoted value")                                          \
	X(T_NUMBER, "a number")                                                \
	X(T_DATE, "a date")                                                    \
	X(T_DURATION, "a duration")

enum tok_kind {
#define TOK_ENUM(e, text) e,
	TOKENS(TOK_ENUM)
#undef TOK_ENUM
};

/* X(enum, text): comparisons. */
#define CMPS(X)                                                                \
	X(C_EQ, "=")                                                           \
	X(C_NE, "!=")                                                          \
	X(C_LT, "<")                                                           \
	X(C_LE, "<=")                                                          \
	X(C_GT, ">")                                                           \
	X(C_GE, ">=")                                                          \
	X(C_CONTAINS, "contains")                                              \
	X(C_LIKE, "like")                                                      \
	X(C_STARTS, "starts with")                                             \
	X(C_ENDS, "ends with")

enum cmp {
#define CMP_ENUM(e, text) e,
	CMPS(CMP_ENUM)
#undef CMP_ENUM
};

static const char *const cmp_text[] = {
#define CMP_TEXT(e, text) text,
    CMPS(CMP_TEXT)
#undef CMP_TEXT
};

/* X(enum, name, SQL column): the fields that are not attributes. */
#define FIELDS(X)                                                              \
	X(F_ATTR, "", "")                                                      \
	X(F_EMAIL, "email", "c.address")                                       \
	X(F_DOMAIN, "domain", "c.domain")                                      \
	X(F_STATUS, "status", "c.status")                                      \
	X(F_CREATED, "created", "c.created_at")                                \
	X(F_UPDATED, "updated", "c.updated_at")

enum field {
#define FIELD_ENUM(e, name, col) e,
	FIELDS(FIELD_ENUM)
#undef FIELD_ENUM
	    F__COUNT
};

static const char *const field_names[] = {
#define FIELD_NAME(e, name, col) name,
    FIELDS(FIELD_NAME)
#undef FIELD_NAME
};

static const char *const field_cols[] = {
#define FIELD_COL(e, name, col) col,
    FIELDS(FIELD_COL)
#undef FIELD_COL
};

/* X(enum, name): functions; the last two are not there yet. */
#define FUNCS(X)                                                               \
	X(FN_IN_LIST, "in_list")                                               \
	X(FN_BOUNCED_WITHIN, "bounced_within")                                 \
	X(FN_SENT_WITHIN, "sent_within")                                       \
	X(FN_CLICKED_WITHIN, "clicked_within")                                 \
	X(FN_OPENED_WITHIN, "opened_within")

enum func {
#define FUNC_ENUM(e, name) e,
	FUNCS(FUNC_ENUM)
#undef FUNC_ENUM
	    FN__COUNT
};

static const char *const func_names[] = {
#define FUNC_NAME(e, name) name,
    FUNCS(FUNC_NAME)
#undef FUNC_NAME
};

enum node_kind { N_AND, N_OR, N_NOT, N_CMP, N_SET, N_IN, N_FUNC };
enum vtype { V_STRING, V_NUMBER, V_DATE };

struct value {
	enum vtype type;
	char *s;     /* V_STRING (decoded), V_DATE ("2026-01-01") */
	double num;  /* V_NUMBER */
	long days;   /* V_DATE: days since 1970-01-01 */
	bool is_int; /* V_NUMBER: written without a point or exponent */
};

struct node {
	enum node_kind kind;
	struct node *l, *r; /* N_AND, N_OR; N_NOT: l */
	enum field field;   /* N_CMP, N_SET, N_IN */
	char *name;         /* F_ATTR's name; N_FUNC in_list's list */
	enum cmp op;        /* N_CMP */
	bool neg;           /* N_SET: is not set; N_IN: not in */
	struct value v;     /* N_CMP */
	char **vals;        /* N_IN */
	size_t nvals;
	enum func fn; /* N_FUNC */
	int64_t secs; /* N_FUNC *_within */
};

struct segment {
	char *text;
	struct node *root;
	unsigned terms;
};

struct tok {
	enum tok_kind kind;
	size_t off, len; /* in the text */
	char *s;         /* T_STRING: the decoded value (owned) */
	enum cmp op;     /* T_OP */
	double num;      /* T_NUMBER */
	bool is_int;     /* T_NUMBER */
	long days;       /* T_DATE */
	int64_t secs;    /* T_DURATION */
};

struct parser {
	const char *text;
	size_t len, pos;
	struct tok t; /* the current token */
	unsigned depth, terms;
	size_t cond; /* where the condition being parsed starts */
	char *err;
	size_t errsz;
	int rc;
};

/* The 1-based column (in characters) of byte offset off. */
static unsigned
column(const struct parser *p, size_t off)
{
	unsigned col = 1;
	size_t i = 0;

	while (i < off && i < p->len) {
		size_t n = utf8_decode(p->text + i, p->len - i, NULL);
		i += n ? n : 1;
		col++;
	}
	return col;
}

/* Record the first error, at byte offset off; returns NULL. */
static void *fail_at(struct parser *p, int code, size_t off, const char *fmt,
                     ...) __attribute__((format(printf, 4, 5)));

static void *
fail_at(struct parser *p, int code, size_t off, const char *fmt, ...)
{
	char what[400];
	va_list ap;

	if (p->rc != 0)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	p->rc = code;
	mc_fail(code, p->err, p->errsz, "column %u: %s", column(p, off), what);
	return NULL;
}

/* The current token's text, quoted for a message, into out. */
static const char *
tok_shown(const struct parser *p, char *out, size_t outsz)
{
	size_t n = p->t.len > 40 ? 40 : p->t.len;

	if (p->t.kind == T_END)
		return "the end";
	snprintf(out, outsz, "\"%.*s\"%s", (int)n, p->text + p->t.off,
	         n < p->t.len ? "..." : "");
	return out;
}

/* days since 1970-01-01 of a civil date (proleptic Gregorian). */
static long
days_from_civil(long y, unsigned m, unsigned d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Is y-m-d a real day? */
static bool
date_valid(long y, unsigned m, unsigned d)
{
	static const unsigned mdays[] = {31, 29, 31, 30, 31, 30,
	                                 31, 31, 30, 31, 30, 31};

	if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	if (m == 2 && d == 29)
		return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return true;
}

/* A quoted value from the quote at p->pos into p->t.s. */
static int
lex_string(struct parser *p)
{
	char q = p->text[p->pos];
	size_t i = p->pos + 1;
	struct buf b;

	buf_init(&b);
	for (;;) {
		if (i >= p->len) {
			buf_fini(&b);
			fail_at(p, MC_EINVAL, p->pos,
			        "a quoted value that never ends (a %c is "
			        "missing)",
			        q);
			return -1;
		}
		if (p->text[i] == q)
			break;
		if ((unsigned char)p->text[i] < 0x20) {
			buf_fini(&b);
			fail_at(p, MC_EINVAL, i,
			        "a control character in a quoted value");
			return -1;
		}
		if (p->text[i] == '\\' && i + 1 < p->len &&
		    (p->text[i + 1] == q || p->text[i + 1] == '\\')) {
			/* \" and \\ stand for " and \; another \ is kept
			 * (like's own escape: "100\%") */
			i++;
		}
		buf_putc(&b, p->text[i]);
		i++;
		if (buf_len(&b) > SEGMENT_VALUE_MAX) {
			buf_fini(&b);
			fail_at(p, MC_ELIMIT, p->pos,
			        "a quoted value longer than %d bytes",
			        SEGMENT_VALUE_MAX);
			return -1;
		}
	}
	p->t.kind = T_STRING;
	p->t.s = buf_steal(&b, NULL);
	p->t.len = i + 1 - p->t.off;
	return 0;
}

/* A number, a date (2026-01-01) or a duration (90d) at p->pos. */
static int
lex_number(struct parser *p)
{
	const char *s = p->text + p->pos;
	size_t n = p->len - p->pos, i = 0, digits;

	if (s[0] == '-' || s[0] == '+')
		i++;
	digits = i;
	while (i < n && isdigit((unsigned char)s[i]))
		i++;
	digits = i - digits;
	/* a date: four digits, -, two, -, two */
	if (digits == 4 && i == 4 && n >= 10 && s[4] == '-' &&
	    isdigit((unsigned char)s[5]) && isdigit((unsigned char)s[6]) &&
	    s[7] == '-' && isdigit((unsigned char)s[8]) &&
	    isdigit((unsigned char)s[9]) &&
	    (n == 10 || !isalnum((unsigned char)s[10]))) {
		long y = strtol(s, NULL, 10);
		unsigned m = (unsigned)((s[5] - '0') * 10 + s[6] - '0');
		unsigned d = (unsigned)((s[8] - '0') * 10 + s[9] - '0');

		p->t.len = 10;
		if (!date_valid(y, m, d)) {
			fail_at(p, MC_EINVAL, p->pos,
			        "%.10s is not a date (YYYY-MM-DD)", s);
			return -1;
		}
		p->t.kind = T_DATE;
		p->t.days = days_from_civil(y, m, d);
		return 0;
	}
	if (digits == 4 && i == 4 && n > 4 && s[4] == '-') {
		p->t.len = n < 10 ? n : 10;
		fail_at(p, MC_EINVAL, p->pos,
		        "a date is written YYYY-MM-DD, with no time");
		return -1;
	}
	if (digits == 0) {
		fail_at(p, MC_EINVAL, p->pos, "expected a number after \"%c\"",
		        s[0]);
		return -1;
	}
	/* a duration: digits and one of h, d, w */
	if (i < n && strchr("hdw", s[i]) != NULL &&
	    (i + 1 == n || !isalnum((unsigned char)s[i + 1])) && s[0] != '-' &&
	    s[0] != '+') {
		unsigned long long v = strtoull(s, NULL, 10);
		unsigned long long mul = s[i] == 'h'   ? 3600
		                         : s[i] == 'd' ? 86400
		                                       : 7 * 86400;

		p->t.len = i + 1;
		if (v == 0 || digits > 9 ||
		    v > (unsigned long long)SEGMENT_DAYS_MAX * 86400 / mul) {
			fail_at(p, MC_EINVAL, p->pos, "a duration is 1h to %dd",
			        SEGMENT_DAYS_MAX);
			return -1;
		}
		p->t.kind = T_DURATION;
		p->t.secs = (int64_t)(v * mul);
		return 0;
	}
	p->t.is_int = true;
	if (i < n && s[i] == '.') {
		p->t.is_int = false;
		i++;
		while (i < n && isdigit((unsigned char)s[i]))
			i++;
	}
	if (i < n &&
	    (isalpha((unsigned char)s[i]) || s[i] == '_' || s[i] == '.')) {
		p->t.len = i + 1;
		fail_at(p, MC_EINVAL, p->pos + i,
		        "unexpected \"%c\" in a number (a duration is 90d, "
		        "12h or 2w; a date 2026-01-01)",
		        s[i]);
		return -1;
	}
	if (i > 40) {
		fail_at(p, MC_ELIMIT, p->pos,
		        "a number of more than 40 "
		        "characters");
		return -1;
	}
	{
		char tmp[48];
		memcpy(tmp, s, i);
		tmp[i] = '\0';
		p->t.num = strtod(tmp, NULL);
	}
	p->t.kind = T_NUMBER;
	p->t.len = i;
	return 0;
}

/* The next token into p->t; -1 after an error. */
static int
lex(struct parser *p)
{
	const char *s;
	char c;

	free(p->t.s);
	memset(&p->t, 0, sizeof(p->t));
	while (p->pos < p->len && strchr(" \t\r\n", p->text[p->pos]))
		p->pos++;
	p->t.off = p->pos;
	if (p->pos >= p->len) {
		p->t.kind = T_END;
		return 0;
	}
	s = p->text + p->pos;
	c = s[0];
	p->t.len = 1;
	switch (c) {
	case '(':
		p->t.kind = T_LPAREN;
		break;
	case ')':
		p->t.kind = T_RPAREN;
		break;
	case ',':
		p->t.kind = T_COMMA;
		break;
	case '=':
		p->t.kind = T_OP;
		p->t.op = C_EQ;
		p->t.len = s[1] == '=' ? 2 : 1;
		break;
	case '!':
		if (s[1] != '=')
			goto bad;
		p->t.kind = T_OP;
		p->t.op = C_NE;
		p->t.len = 2;
		break;
	case '<':
		p->t.kind = T_OP;
		p->t.op = s[1] == '=' ? C_LE : s[1] == '>' ? C_NE : C_LT;
		p->t.len = s[1] == '=' || s[1] == '>' ? 2 : 1;
		break;
	case '>':
		p->t.kind = T_OP;
		p->t.op = s[1] == '=' ? C_GE : C_GT;
		p->t.len = s[1] == '=' ? 2 : 1;
		break;
	case '"':
	case '\'':
		if (lex_string(p) < 0)
			return -1;
		break;
	default:
		if (isdigit((unsigned char)c) || c == '-' || c == '+') {
			if (lex_number(p) < 0)
				return -1;
			break;
		}
		if (isalpha((unsigned char)c) || c == '_') {
			size_t i = 1;
			while (p->pos + i < p->len &&
			       (isalnum((unsigned char)s[i]) || s[i] == '_'))
				i++;
			p->t.kind = T_WORD;
			p->t.len = i;
			if (i > SEGMENT_NAME_MAX) {
				fail_at(p, MC_ELIMIT, p->pos,
				        "a name longer than %d bytes",
				        SEGMENT_NAME_MAX);
				return -1;
			}
			break;
		}
		goto bad;
	}
	p->pos += p->t.len;
	return 0;
bad:
	if ((unsigned char)c < 0x20 || c == 0x7f)
		fail_at(p, MC_EINVAL, p->pos, "a control character");
	else {
		uint32_t cp;
		size_t n = utf8_decode(s, p->len - p->pos, &cp);
		fail_at(p, MC_EINVAL, p->pos,
		        "unexpected \"%.*s\" (a name with spaces or other "
		        "characters goes in quotes: \"First Name\")",
		        (int)(n ? n : 1), s);
	}
	return -1;
}

/* Is the current token the keyword kw (any case)? */
static bool
is_kw(const struct parser *p, const char *kw)
{
	return p->t.kind == T_WORD && strlen(kw) == p->t.len &&
	       strncasecmp(p->text + p->t.off, kw, p->t.len) == 0;
}

static const char *const keywords[] = {
    "and",  "or",   "not", "contains", "like", "starts",
    "ends", "with", "is",  "set",      "in",   NULL,
};

/* Is the current token a keyword (not a field)? */
static bool
is_any_kw(const struct parser *p)
{
	for (size_t i = 0; keywords[i]; i++)
		if (is_kw(p, keywords[i]))
			return true;
	return false;
}

/* Free a tree. */
static void
node_free(struct node *n)
{
	if (n == NULL)
		return;
	node_free(n->l);
	node_free(n->r);
	free(n->name);
	free(n->v.s);
	for (size_t i = 0; i < n->nvals; i++)
		free(n->vals[i]);
	free(n->vals);
	free(n);
}

/* One more condition, starting at byte off; false after the limit. */
static bool
count_term(struct parser *p, size_t off)
{
	if (++p->terms <= SEGMENT_TERMS_MAX)
		return true;
	fail_at(p, MC_ELIMIT, off, "more than %d conditions",
	        SEGMENT_TERMS_MAX);
	return false;
}

static struct node *parse_or(struct parser *p);

/* Take the current token's string (it is a T_STRING). */
static char *
take_string(struct parser *p)
{
	char *s = p->t.s;

	p->t.s = NULL;
	return s;
}

/* A name of an attribute or list: no control character, no ", no \. */
static bool
name_ok(struct parser *p, const char *s, size_t off)
{
	if (*s == '\0') {
		fail_at(p, MC_EINVAL, off, "an empty name");
		return false;
	}
	if (strlen(s) > SEGMENT_NAME_MAX) {
		fail_at(p, MC_ELIMIT, off, "a name longer than %d bytes",
		        SEGMENT_NAME_MAX);
		return false;
	}
	if (strpbrk(s, "\"\\") != NULL) {
		fail_at(p, MC_EINVAL, off, "a name cannot hold \" or \\");
		return false;
	}
	return true;
}

/* func "(" ... ")" with the current token the function's name. */
static struct node *
parse_func(struct parser *p, enum func fn)
{
	struct node *n;
	size_t off = p->t.off;
	char shown[64];

	if (fn == FN_CLICKED_WITHIN || fn == FN_OPENED_WITHIN)
		return fail_at(p, MC_EINVAL, off,
		               "%s() is not available yet (mailcast does not "
		               "track clicks or opens)",
		               func_names[fn]);
	if (!count_term(p, off) || lex(p) < 0 || lex(p) < 0) /* name, ( */
		return NULL;
	n = xcalloc(1, sizeof(*n));
	n->kind = N_FUNC;
	n->fn = fn;
	if (fn == FN_IN_LIST) {
		if (p->t.kind != T_STRING) {
			node_free(n);
			return fail_at(p, MC_EINVAL, p->t.off,
			               "in_list() takes a list name in quotes: "
			               "in_list(\"vip\"), not %s",
			               tok_shown(p, shown, sizeof(shown)));
		}
		if (!name_ok(p, p->t.s, p->t.off)) {
			node_free(n);
			return NULL;
		}
		n->name = take_string(p);
	} else {
		if (p->t.kind != T_DURATION) {
			node_free(n);
			return fail_at(p, MC_EINVAL, p->t.off,
			               "%s() takes a duration: 90d, 12h or 2w, "
			               "not %s",
			               func_names[fn],
			               tok_shown(p, shown, sizeof(shown)));
		}
		n->secs = p->t.secs;
	}
	if (lex(p) < 0) {
		node_free(n);
		return NULL;
	}
	if (p->t.kind != T_RPAREN) {
		node_free(n);
		return fail_at(p, MC_EINVAL, p->t.off,
		               "expected \")\" to close %s(", func_names[fn]);
	}
	if (lex(p) < 0) {
		node_free(n);
		return NULL;
	}
	return n;
}

/* Lower-case ASCII in place (addresses and domains are stored so). */
static void
lower_ascii(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Is s a contact status the store knows? */
static bool
status_ok(struct parser *p, const char *s, size_t off)
{
	char names[200] = "";
	size_t k = 0;

	if (store_contact_status_parse(s) >= 0)
		return true;
	for (int i = 0; store_contact_status_name(i) != NULL; i++)
		k += (size_t)snprintf(
		    names + k, k < sizeof(names) ? sizeof(names) - k : 0,
		    "%s%s", i ? ", " : "", store_contact_status_name(i));
	fail_at(p, MC_EINVAL, off, "no status \"%s\" (the statuses: %s)", s,
	        names);
	return false;
}

/* `in (...)` after the field; the current token is "(". */
static bool
parse_in_list(struct parser *p, struct node *n)
{
	char shown[64];

	for (;;) {
		if (lex(p) < 0)
			return false;
		if (p->t.kind != T_STRING) {
			fail_at(p, MC_EINVAL, p->t.off,
			        "expected a quoted value in \"in (...)\", "
			        "not %s",
			        tok_shown(p, shown, sizeof(shown)));
			return false;
		}
		if (!count_term(p, p->t.off))
			return false;
		if (n->field == F_STATUS && !status_ok(p, p->t.s, p->t.off))
			return false;
		n->vals =
		    xreallocarray(n->vals, n->nvals + 1, sizeof(*n->vals));
		n->vals[n->nvals] = take_string(p);
		if (n->field == F_EMAIL || n->field == F_DOMAIN)
			lower_ascii(n->vals[n->nvals]);
		n->nvals++;
		if (lex(p) < 0)
			return false;
		if (p->t.kind == T_RPAREN)
			return lex(p) == 0;
		if (p->t.kind != T_COMMA) {
			fail_at(p, MC_EINVAL, p->t.off,
			        "expected \",\" or \")\" in \"in (...)\", "
			        "not %s",
			        tok_shown(p, shown, sizeof(shown)));
			return false;
		}
	}
}

/* Check that value v suits field f under op; false after an error. */
static bool
value_fits(struct parser *p, struct node *n, size_t off)
{
	const char *fname =
	    n->field == F_ATTR ? n->name : field_names[n->field];
	bool textop = n->op >= C_CONTAINS;

	if (textop && n->v.type != V_STRING) {
		fail_at(p, MC_EINVAL, off, "\"%s\" takes a quoted value",
		        cmp_text[n->op]);
		return false;
	}
	switch (n->field) {
	case F_CREATED:
	case F_UPDATED:
		if (n->v.type == V_DATE && !textop)
			return true;
		fail_at(p, MC_EINVAL, off,
		        "%s compares with a date: %s >= 2026-01-01", fname,
		        fname);
		return false;
	case F_STATUS:
		if (n->v.type != V_STRING || (n->op != C_EQ && n->op != C_NE)) {
			fail_at(p, MC_EINVAL, off,
			        "status takes = or != and a quoted status: "
			        "status = \"active\"");
			return false;
		}
		return status_ok(p, n->v.s, off);
	case F_EMAIL:
	case F_DOMAIN:
		if (n->v.type != V_STRING) {
			fail_at(p, MC_EINVAL, off,
			        "%s compares with a quoted value", fname);
			return false;
		}
		if (n->op == C_EQ || n->op == C_NE)
			lower_ascii(n->v.s);
		return true;
	default:
		return true;
	}
}

/* The predicate after a field: the current token follows the field. */
static struct node *
parse_pred(struct parser *p, struct node *n)
{
	char shown[64];
	size_t off;

	if (!count_term(p, p->cond))
		goto fail;
	n->kind = N_CMP;
	if (is_kw(p, "is")) {
		if (n->field != F_ATTR) {
			fail_at(p, MC_EINVAL, p->t.off,
			        "%s is always set (\"is set\" is for "
			        "attributes)",
			        field_names[n->field]);
			goto fail;
		}
		n->kind = N_SET;
		if (lex(p) < 0)
			goto fail;
		if (is_kw(p, "not")) {
			n->neg = true;
			if (lex(p) < 0)
				goto fail;
		}
		if (!is_kw(p, "set")) {
			fail_at(p, MC_EINVAL, p->t.off,
			        "expected \"set\" after \"is%s\"",
			        n->neg ? " not" : "");
			goto fail;
		}
		return lex(p) < 0 ? (node_free(n), NULL) : n;
	}
	if (is_kw(p, "not") || is_kw(p, "in")) {
		n->kind = N_IN;
		p->terms--; /* each value counts instead */
		if (is_kw(p, "not")) {
			n->neg = true;
			if (lex(p) < 0)
				goto fail;
			if (!is_kw(p, "in")) {
				fail_at(p, MC_EINVAL, p->t.off,
				        "expected \"in\" after the field's "
				        "\"not\" (or put \"not\" before the "
				        "field)");
				goto fail;
			}
		}
		if (n->field == F_CREATED || n->field == F_UPDATED) {
			fail_at(p, MC_EINVAL, p->t.off,
			        "%s compares with a date: %s >= 2026-01-01",
			        field_names[n->field], field_names[n->field]);
			goto fail;
		}
		if (lex(p) < 0)
			goto fail;
		if (p->t.kind != T_LPAREN) {
			fail_at(p, MC_EINVAL, p->t.off,
			        "expected \"(\" after \"in\"");
			goto fail;
		}
		return parse_in_list(p, n) ? n : (node_free(n), NULL);
	}
	if (p->t.kind == T_OP)
		n->op = p->t.op;
	else if (is_kw(p, "contains"))
		n->op = C_CONTAINS;
	else if (is_kw(p, "like"))
		n->op = C_LIKE;
	else if (is_kw(p, "starts") || is_kw(p, "ends")) {
		n->op = is_kw(p, "starts") ? C_STARTS : C_ENDS;
		if (lex(p) < 0)
			goto fail;
		if (!is_kw(p, "with")) {
			fail_at(p, MC_EINVAL, p->t.off,
			        "expected \"with\" after \"%s\"",
			        n->op == C_STARTS ? "starts" : "ends");
			goto fail;
		}
	} else {
		fail_at(p, MC_EINVAL, p->t.off,
		        "expected an operator (=, !=, <, <=, >, >=, contains, "
		        "like, starts with, ends with, is set, in) after the "
		        "field, not %s",
		        tok_shown(p, shown, sizeof(shown)));
		goto fail;
	}
	if (lex(p) < 0)
		goto fail;
	off = p->t.off;
	switch (p->t.kind) {
	case T_STRING:
		n->v.type = V_STRING;
		n->v.s = take_string(p);
		if (n->op == C_LIKE) {
			size_t L = strlen(n->v.s);
			size_t k = 0;
			while (k < L) {
				if (n->v.s[k] == '\\' && k + 1 == L) {
					fail_at(p, MC_EINVAL, off,
					        "a like pattern cannot end "
					        "with a lone \\");
					goto fail;
				}
				k += n->v.s[k] == '\\' ? 2 : 1;
			}
		}
		break;
	case T_NUMBER:
		n->v.type = V_NUMBER;
		n->v.num = p->t.num;
		n->v.is_int = p->t.is_int;
		n->v.s = xstrndup(p->text + off, p->t.len);
		break;
	case T_DATE: {
		char d[16];
		n->v.type = V_DATE;
		n->v.days = p->t.days;
		snprintf(d, sizeof(d), "%.10s", p->text + off);
		n->v.s = xstrdup(d);
		break;
	}
	case T_DURATION:
		fail_at(p, MC_EINVAL, off,
		        "a duration goes in bounced_within() or sent_within(); "
		        "a date is written 2026-01-01");
		goto fail;
	case T_WORD:
		if (!is_any_kw(p)) {
			/* the whole word, Zürich too, not just its ASCII */
			size_t e = off;
			while (e < p->len && e - off < 60 &&
			       !strchr(" \t\r\n()=!<>,\"'", p->text[e]))
				e++;
			while (e < p->len && e > off &&
			       utf8_decode(p->text + e, p->len - e, NULL) == 0)
				e++; /* never cut a character */
			fail_at(p, MC_EINVAL, off,
			        "a text value goes in quotes: \"%.*s\"",
			        (int)(e - off), p->text + off);
			goto fail;
		}
		/* fall through */
	default:
		fail_at(p, MC_EINVAL, off, "expected a value after \"%s\"",
		        cmp_text[n->op]);
		goto fail;
	}
	if (!value_fits(p, n, off))
		goto fail;
	return lex(p) < 0 ? (node_free(n), NULL) : n;
fail:
	node_free(n);
	return NULL;
}

/* A condition: not, parentheses, a function or a field's predicate. */
static struct node *
parse_unary(struct parser *p)
{
	struct node *n;
	char shown[64];
	size_t off = p->t.off;

	if (++p->depth > SEGMENT_DEPTH_MAX)
		return fail_at(p, MC_ELIMIT, off,
		               "more than %d nested parentheses or \"not\"s",
		               SEGMENT_DEPTH_MAX);
	if (is_kw(p, "not")) {
		struct node *x;
		if (lex(p) < 0 || (x = parse_unary(p)) == NULL)
			return NULL;
		n = xcalloc(1, sizeof(*n));
		n->kind = N_NOT;
		n->l = x;
		p->depth--;
		return n;
	}
	if (p->t.kind == T_LPAREN) {
		if (lex(p) < 0 || (n = parse_or(p)) == NULL)
			return NULL;
		if (p->t.kind != T_RPAREN) {
			node_free(n);
			return fail_at(p, MC_EINVAL, p->t.off,
			               "expected \")\" to close the \"(\" at "
			               "column %u, not %s",
			               column(p, off),
			               tok_shown(p, shown, sizeof(shown)));
		}
		if (lex(p) < 0) {
			node_free(n);
			return NULL;
		}
		p->depth--;
		return n;
	}
	if (p->t.kind == T_WORD && !is_any_kw(p)) {
		size_t save = p->pos;
		/* a function: a name right before "(" */
		while (save < p->len && strchr(" \t\r\n", p->text[save]))
			save++;
		if (save < p->len && p->text[save] == '(') {
			for (int f = 0; f < FN__COUNT; f++)
				if (is_kw(p, func_names[f])) {
					n = parse_func(p, f);
					if (n)
						p->depth--;
					return n;
				}
			return fail_at(p, MC_EINVAL, off,
			               "no function %.*s() (the functions: "
			               "in_list, bounced_within, sent_within)",
			               (int)p->t.len, p->text + off);
		}
	}
	n = xcalloc(1, sizeof(*n));
	p->cond = off;
	if (p->t.kind == T_STRING) {
		if (!name_ok(p, p->t.s, off)) {
			free(n);
			return NULL;
		}
		n->field = F_ATTR;
		n->name = take_string(p);
	} else if (p->t.kind == T_WORD && !is_any_kw(p)) {
		n->field = F_ATTR;
		for (int f = 1; f < F__COUNT; f++)
			if (is_kw(p, field_names[f]))
				n->field = f;
		if (n->field == F_ATTR)
			n->name = xstrndup(p->text + off, p->t.len);
	} else {
		free(n);
		return fail_at(p, MC_EINVAL, off,
		               "expected a condition (a field, \"not\", \"(\" "
		               "or a function), not %s",
		               tok_shown(p, shown, sizeof(shown)));
	}
	if (lex(p) < 0) {
		node_free(n);
		return NULL;
	}
	n = parse_pred(p, n);
	if (n)
		p->depth--;
	return n;
}

/* unary { "and" unary } */
static struct node *
parse_and(struct parser *p)
{
	struct node *l = parse_unary(p), *r, *n;

	while (l != NULL && is_kw(p, "and")) {
		if (lex(p) < 0 || (r = parse_unary(p)) == NULL) {
			node_free(l);
			return NULL;
		}
		n = xcalloc(1, sizeof(*n));
		n->kind = N_AND;
		n->l = l;
		n->r = r;
		l = n;
	}
	return l;
}

/* and { "or" and } */
static struct node *
parse_or(struct parser *p)
{
	struct node *l = parse_and(p), *r, *n;

	while (l != NULL && is_kw(p, "or")) {
		if (lex(p) < 0 || (r = parse_and(p)) == NULL) {
			node_free(l);
			return NULL;
		}
		n = xcalloc(1, sizeof(*n));
		n->kind = N_OR;
		n->l = l;
		n->r = r;
		l = n;
	}
	return l;
}

/* Parse an expression. */
int
segment_parse(const char *text, struct segment **out, char *err, size_t errsz)
{
	struct parser p = {.text = text, .err = err, .errsz = errsz};
	struct node *root;
	char shown[64];
	size_t bad;

	*out = NULL;
	if (text == NULL)
		return mc_fail(MC_EINVAL, err, errsz, "no expression");
	p.len = strlen(text);
	if (p.len > SEGMENT_TEXT_MAX)
		return mc_fail(MC_ELIMIT, err, errsz, "longer than %d bytes",
		               SEGMENT_TEXT_MAX);
	if ((bad = utf8_check(text, p.len)) != p.len) {
		p.len = bad; /* columns up to the bad byte */
		return mc_fail(MC_EINVAL, err, errsz, "column %u: not UTF-8",
		               column(&p, bad));
	}
	if (lex(&p) < 0)
		goto fail;
	if (p.t.kind == T_END) {
		fail_at(&p, MC_EINVAL, 0, "an empty expression");
		goto fail;
	}
	if ((root = parse_or(&p)) == NULL)
		goto fail;
	if (p.t.kind != T_END) {
		fail_at(&p, MC_EINVAL, p.t.off,
		        p.t.kind == T_RPAREN
		            ? "a \")\" without its \"(\""
		            : "expected \"and\", \"or\" or the end, not %s",
		        tok_shown(&p, shown, sizeof(shown)));
		node_free(root);
		goto fail;
	}
	free(p.t.s);
	*out = xcalloc(1, sizeof(**out));
	(*out)->text = xstrdup(text);
	(*out)->root = root;
	(*out)->terms = p.terms;
	return 0;
fail:
	free(p.t.s);
	return p.rc ? p.rc : MC_EINVAL;
}

/* Free a parsed segment. */
void
segment_free(struct segment *seg)
{
	if (seg == NULL)
		return;
	node_free(seg->root);
	free(seg->text);
	free(seg);
}

/* The text it was parsed from. */
const char *
segment_text(const struct segment *seg)
{
	return seg->text;
}

/* Its number of conditions. */
unsigned
segment_terms(const struct segment *seg)
{
	return seg->terms;
}

/* The compiler's state. */
struct compiler {
	enum segment_dialect d;
	time_t now;
	struct buf b;
	struct segment_sql *q;
};

/* A new parameter; its number. */
static int
param_add(struct compiler *c, enum segment_param_type t, const char *s,
          int64_t i, double r)
{
	struct segment_sql *q = c->q;

	q->params =
	    xreallocarray(q->params, q->nparams + 1, sizeof(*q->params));
	q->params[q->nparams] = (struct segment_param){
	    .type = t, .text = s ? xstrdup(s) : NULL, .i = i, .r = r};
	return q->first + (int)q->nparams++;
}

/* A placeholder for parameter k into out. */
static const char *
ph(const struct compiler *c, int k, char *out, size_t outsz)
{
	snprintf(out, outsz, "%c%d", c->d == SEGMENT_PG ? '$' : '?', k);
	return out;
}

/* Append a placeholder of a new text parameter. */
static void
put_text(struct compiler *c, const char *s)
{
	char t[16];

	buf_puts(&c->b,
	         ph(c, param_add(c, SEGMENT_P_TEXT, s, 0, 0), t, sizeof(t)));
}

/* Append a placeholder of a new integer parameter. */
static void
put_int(struct compiler *c, int64_t v)
{
	char t[16];

	buf_puts(&c->b,
	         ph(c, param_add(c, SEGMENT_P_INT, NULL, v, 0), t, sizeof(t)));
}

/* The SQL of a field's value into out (an attribute adds its name as a
 * parameter, used as often as out is). */
static void
field_sql(struct compiler *c, const struct node *n, char *out, size_t outsz)
{
	char t[16];

	if (n->field != F_ATTR) {
		snprintf(out, outsz, "%s", field_cols[n->field]);
		return;
	}
	if (c->d == SEGMENT_PG) {
		snprintf(out, outsz, "(CAST(c.attrs AS jsonb) ->> %s)",
		         ph(c, param_add(c, SEGMENT_P_TEXT, n->name, 0, 0), t,
		            sizeof(t)));
		return;
	}
	/* mc_attr: the value without a JSON parse (segment_attr_find) */
	snprintf(
	    out, outsz, "mc_attr(c.attrs, %s)",
	    ph(c, param_add(c, SEGMENT_P_TEXT, n->name, 0, 0), t, sizeof(t)));
}

/* A LIKE pattern of s (escaped) for contains/starts/ends. */
static char *
like_pattern(const char *s, bool lead, bool trail)
{
	struct buf b;

	buf_init(&b);
	if (lead)
		buf_putc(&b, '%');
	for (; *s; s++) {
		if (*s == '%' || *s == '_' || *s == '\\')
			buf_putc(&b, '\\');
		buf_putc(&b, *s);
	}
	if (trail)
		buf_putc(&b, '%');
	return buf_steal(&b, NULL);
}

/* translate()'s arguments that fold ASCII letters to lower case. */
#define ASCII_UPPER "'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'"

static const char *const sql_ops[] = {"=", "<>", "<", "<=", ">", ">="};

/* A comparison. */
static void
compile_cmp(struct compiler *c, const struct node *n)
{
	char x[96];
	bool pg = c->d == SEGMENT_PG;
	enum cmp op = n->op == C_NE ? C_EQ : n->op;

	field_sql(c, n, x, sizeof(x));
	if (n->field == F_CREATED || n->field == F_UPDATED) {
		/* a day is [its midnight UTC, the next) */
		int64_t day = (int64_t)n->v.days * 86400;
		if (n->op == C_EQ || n->op == C_NE) {
			buf_printf(&c->b,
			           "%s(%s >= ", n->op == C_NE ? "NOT " : "", x);
			put_int(c, day);
			buf_printf(&c->b, " AND %s < ", x);
			put_int(c, day + 86400);
			buf_puts(&c->b, ")");
			return;
		}
		buf_printf(&c->b, "(%s %s ", x,
		           n->op == C_LT || n->op == C_GE ? sql_ops[n->op]
		           : n->op == C_LE                ? "<"
		                                          : ">=");
		put_int(c, n->op == C_LE || n->op == C_GT ? day + 86400 : day);
		buf_puts(&c->b, ")");
		return;
	}
	buf_printf(&c->b, "%scoalesce(", n->op == C_NE ? "NOT " : "");
	if (n->op >= C_CONTAINS) {
		char *pat = n->op == C_LIKE
		                ? xstrdup(n->v.s)
		                : like_pattern(n->v.s, n->op != C_STARTS,
		                               n->op != C_ENDS);
		if (pg) {
			/* SQLite's LIKE folds ASCII letters only; so does
			 * this (ILIKE would fold Ü too, and the dialects
			 * would pick different contacts) */
			char t[16];
			buf_printf(&c->b,
			           "translate(%s, " ASCII_UPPER
			           ") LIKE translate(%s, " ASCII_UPPER ")",
			           x,
			           ph(c,
			              param_add(c, SEGMENT_P_TEXT, pat, 0, 0),
			              t, sizeof(t)));
		} else {
			buf_printf(&c->b, "%s LIKE ", x);
			put_text(c, pat);
		}
		buf_puts(&c->b, " ESCAPE '\\'");
		free(pat);
	} else if (n->v.type == V_NUMBER) {
		/* a number is what JSON calls one (RFC 8259 section 6, blanks
		 * around allowed), in both dialects: "007", "+5", "1.2.3"
		 * and "n/a" are not; PostgreSQL reads it as numeric, exactly,
		 * and compares it with the literal as written */
		char t[16];
		if (pg)
			buf_printf(
			    &c->b,
			    "CASE WHEN %s ~ '^[ \\t\\n\\r]*-?(0|[1-9][0-9]*)"
			    "([.][0-9]+)?([eE][+-]?[0-9]{1,4})?[ \\t\\n\\r]*$' "
			    "THEN CAST(%s AS numeric) END",
			    x, x);
		else /* the same test in C: segment_json_number */
			buf_printf(&c->b, "mc_num(%s)", x);
		buf_printf(&c->b, " %s %s", sql_ops[op],
		           ph(c,
		              param_add(c, SEGMENT_P_REAL, n->v.s, 0, n->v.num),
		              t, sizeof(t)));
	} else if (n->v.type == V_DATE) {
		if (pg)
			buf_printf(
			    &c->b,
			    "CASE WHEN %s ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}' "
			    "THEN substr(%s, 1, 10) END",
			    x, x);
		else /* the same test in C, one attribute read */
			buf_printf(&c->b, "mc_day(%s)", x);
		buf_printf(&c->b, " %s ", sql_ops[op]);
		put_text(c, n->v.s);
	} else {
		buf_printf(&c->b, "%s %s ", x, sql_ops[op]);
		put_text(c, n->v.s);
		/* order by bytes, as SQLite does, not by the locale */
		if (pg && op != C_EQ)
			buf_puts(&c->b, " COLLATE \"C\"");
	}
	buf_printf(&c->b, ", %s)", pg ? "false" : "0");
}

/* One node. */
static void
compile_node(struct compiler *c, const struct node *n)
{
	char x[96];
	const char *no = c->d == SEGMENT_PG ? "false" : "0";

	switch (n->kind) {
	case N_AND:
	case N_OR:
		buf_puts(&c->b, "(");
		compile_node(c, n->l);
		buf_puts(&c->b, n->kind == N_AND ? " AND " : " OR ");
		compile_node(c, n->r);
		buf_puts(&c->b, ")");
		break;
	case N_NOT:
		buf_puts(&c->b, "NOT ");
		compile_node(c, n->l);
		break;
	case N_CMP:
		compile_cmp(c, n);
		break;
	case N_SET:
		field_sql(c, n, x, sizeof(x));
		buf_printf(&c->b, "%scoalesce(%s <> '', %s)",
		           n->neg ? "NOT " : "", x, no);
		break;
	case N_IN:
		field_sql(c, n, x, sizeof(x));
		buf_printf(&c->b, "%scoalesce(%s IN (", n->neg ? "NOT " : "",
		           x);
		for (size_t i = 0; i < n->nvals; i++) {
			if (i)
				buf_puts(&c->b, ", ");
			put_text(c, n->vals[i]);
		}
		buf_printf(&c->b, "), %s)", no);
		break;
	case N_FUNC:
		switch (n->fn) {
		case FN_IN_LIST:
			buf_puts(
			    &c->b,
			    "EXISTS (SELECT 1 FROM list_members seg_m JOIN "
			    "lists seg_l ON seg_l.id = seg_m.list_id WHERE "
			    "seg_m.contact_id = c.id AND seg_l.name = ");
			put_text(c, n->name);
			buf_puts(&c->b, ")");
			break;
		case FN_BOUNCED_WITHIN:
			buf_puts(&c->b,
			         "EXISTS (SELECT 1 FROM bounces seg_b WHERE "
			         "seg_b.address = c.address AND "
			         "(seg_b.kind = 'hard' OR seg_b.kind = "
			         "'soft') AND seg_b.received_at >= ");
			put_int(c, (int64_t)c->now - n->secs);
			buf_puts(&c->b, ")");
			break;
		case FN_SENT_WITHIN:
			buf_puts(&c->b,
			         "EXISTS (SELECT 1 FROM deliveries seg_d "
			         "WHERE seg_d.contact_id = c.id AND "
			         "seg_d.sent_at >= ");
			put_int(c, (int64_t)c->now - n->secs);
			buf_puts(&c->b, ")");
			break;
		default: /* refused by the parser */
			buf_puts(&c->b, no);
			break;
		}
		break;
	}
}

/* Compile a parsed segment. */
void
segment_compile(const struct segment *seg, enum segment_dialect d, int first,
                time_t now, struct segment_sql *out)
{
	struct compiler c = {.d = d, .now = now, .q = out};

	memset(out, 0, sizeof(*out));
	out->first = first < 1 ? 1 : first;
	buf_init(&c.b);
	compile_node(&c, seg->root);
	out->where = buf_steal(&c.b, NULL);
}

/* Free a compiled segment's parts. */
void
segment_sql_fini(struct segment_sql *q)
{
	if (q == NULL)
		return;
	for (size_t i = 0; i < q->nparams; i++)
		free(q->params[i].text);
	free(q->params);
	free(q->where);
	memset(q, 0, sizeof(*q));
}

/* --- reading attributes (the SQLite dialect's mc_attr, mc_num) ------- */

/* Skip JSON blanks from s; the first byte that is not one. */
static const char *
json_blank(const char *s, const char *e)
{
	while (s < e && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
		s++;
	return s;
}

/* The end of the string whose opening quote is at s (past its closing
 * quote); NULL when it does not close. */
static const char *
json_string_end(const char *s, const char *e)
{
	for (s++; s < e; s++) {
		if (*s == '\\') {
			s++;
			continue;
		}
		if (*s == '"')
			return s + 1;
	}
	return NULL;
}

/* The end of the value starting at s; NULL when it is not one. */
static const char *
json_value_end(const char *s, const char *e)
{
	unsigned depth = 0;

	if (s >= e)
		return NULL;
	if (*s == '"')
		return json_string_end(s, e);
	if (*s != '{' && *s != '[') {
		/* a number or a literal: up to what ends it */
		const char *v = s;
		while (s < e && *s != ',' && *s != '}' && *s != ']' &&
		       *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			s++;
		return s > v ? s : NULL;
	}
	for (; s < e; s++) {
		if (*s == '"') {
			if ((s = json_string_end(s, e)) == NULL)
				return NULL;
			s--;
		} else if (*s == '{' || *s == '[') {
			depth++;
		} else if ((*s == '}' || *s == ']') && --depth == 0) {
			return s + 1;
		}
	}
	return NULL;
}

/* The value of hex digits s[0..3]; -1 when one is not a digit. */
static long
json_hex4(const char *s, const char *e)
{
	long v = 0;

	if (e - s < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int c = s[i];
		int d = c >= '0' && c <= '9'   ? c - '0'
		        : c >= 'a' && c <= 'f' ? c - 'a' + 10
		        : c >= 'A' && c <= 'F' ? c - 'A' + 10
		                               : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* Decode one escape at s (after its backslash) into out (up to 4 bytes);
 * the bytes written, *s moved past it.  A bad or lone half is U+FFFD. */
static size_t
json_escape(const char **sp, const char *e, char *out)
{
	const char *s = *sp;
	long cp;

	*sp = s + 1;
	switch (*s) {
	case 'b':
		*out = '\b';
		return 1;
	case 'f':
		*out = '\f';
		return 1;
	case 'n':
		*out = '\n';
		return 1;
	case 'r':
		*out = '\r';
		return 1;
	case 't':
		*out = '\t';
		return 1;
	case 'u':
		break;
	default:
		*out = *s;
		return 1; /* " \ / */
	}
	if ((cp = json_hex4(s + 1, e)) < 0) {
		*out = 'u'; /* not JSON; never longer than what it decodes */
		return 1;
	}
	*sp = s + 5;
	if (cp >= 0xD800 && cp <= 0xDBFF) {
		const char *t = *sp;
		long lo = e - t >= 6 && t[0] == '\\' && t[1] == 'u'
		              ? json_hex4(t + 2, e)
		              : -1;
		if (lo >= 0xDC00 && lo <= 0xDFFF) {
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			*sp = t + 6;
		} else {
			cp = 0xFFFD;
		}
	} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
		cp = 0xFFFD;
	}
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Whether the key between s and e (inside its quotes, escaped) is name. */
static bool
json_key_is(const char *s, const char *e, const char *name)
{
	char u[4];

	while (s < e) {
		if (*s != '\\') {
			if (*name++ != *s++)
				return false;
			continue;
		}
		s++;
		size_t n = json_escape(&s, e, u);
		if (strncmp(name, u, n) != 0 || memchr(u, '\0', n) != NULL)
			return false;
		name += n;
	}
	return *name == '\0';
}

/* Find an attribute in a JSON object. */
int
segment_attr_find(const char *attrs, size_t len, const char *name,
                  const char **val, size_t *vlen)
{
	const char *s = attrs, *e = attrs + len;

	s = json_blank(s, e);
	if (s >= e || *s++ != '{')
		return MC_EINVAL;
	s = json_blank(s, e);
	if (s < e && *s == '}')
		return 0;
	while (s < e) {
		const char *k, *ke, *v, *ve;

		if (*s != '"' || (ke = json_string_end(s, e)) == NULL)
			return MC_EINVAL;
		k = s + 1;
		s = json_blank(ke, e);
		if (s >= e || *s++ != ':')
			return MC_EINVAL;
		v = json_blank(s, e);
		if ((ve = json_value_end(v, e)) == NULL)
			return MC_EINVAL;
		if (json_key_is(k, ke - 1, name)) {
			*val = v;
			*vlen = (size_t)(ve - v);
			return 1;
		}
		s = json_blank(ve, e);
		if (s < e && *s == '}')
			return 0;
		if (s >= e || *s++ != ',')
			return MC_EINVAL;
		s = json_blank(s, e);
	}
	return MC_EINVAL;
}

/* Decode a JSON string's inside. */
size_t
segment_json_unescape(const char *s, size_t len, char *out)
{
	const char *e = s + len;
	size_t n = 0;

	while (s < e) {
		if (*s != '\\') {
			out[n++] = *s++;
			continue;
		}
		s++;
		if (s >= e)
			break;
		n += json_escape(&s, e, out + n);
	}
	out[n] = '\0';
	return n;
}

/* Whether s is a JSON number, blanks around allowed. */
bool
segment_json_number(const char *s, size_t len, bool *integral)
{
	const char *e = s + len, *d;

	*integral = true;
	s = json_blank(s, e);
	if (s < e && *s == '-')
		s++;
	if (s < e && *s == '0') {
		s++;
	} else {
		for (d = s; s < e && *s >= '0' && *s <= '9'; s++)
			;
		if (s == d)
			return false;
	}
	if (s < e && *s == '.') {
		*integral = false;
		for (d = ++s; s < e && *s >= '0' && *s <= '9'; s++)
			;
		if (s == d)
			return false;
	}
	if (s < e && (*s == 'e' || *s == 'E')) {
		*integral = false;
		s++;
		if (s < e && (*s == '+' || *s == '-'))
			s++;
		for (d = s; s < e && *s >= '0' && *s <= '9'; s++)
			;
		if (s == d)
			return false;
	}
	return json_blank(s, e) == e;
}
