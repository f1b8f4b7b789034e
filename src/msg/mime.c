/*
 * mime.c — see mime.h.  Lines are measured in octets; RFC 2047 words are
 * cut on UTF-8 character boundaries so each decodes on its own.
 */
#include <stdint.h>
#include <string.h>

#include "base/base64.h"
#include "base/utf8.h"
#include "msg/mime.h"

#define EW_OVERHEAD 12 /* "=?UTF-8?B?" + "?=" */
/* 7bit lines may be up to 998 octets (RFC 5322 2.1.1); leave room. */
#define LINE_7BIT_MAX (MIME_LINE_HARD - 8)

static const char hexdig[] = "0123456789ABCDEF";

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Load 8 bytes (unaligned). */
static inline uint64_t
load8(const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

/* Any byte of w below b (b <= 0x80)? */
static inline bool
any_below(uint64_t w, unsigned b)
{
	return ((w - ONES * b) & ~w & HIGHS) != 0;
}

/* Any byte of w equal to b? */
static inline bool
any_eq(uint64_t w, unsigned b)
{
	uint64_t x = w ^ (ONES * b);

	return ((x - ONES) & ~x & HIGHS) != 0;
}

/* Eight plain bytes for mime_choose_cte: 0x20-0x7e except '='. */
static inline bool
plain8(const unsigned char *p)
{
	uint64_t w = load8(p);

	return (w & HIGHS) == 0 && !any_below(w, 0x20) && !any_eq(w, '=') &&
	       !any_eq(w, 0x7f);
}

const char *
mime_cte_name(enum mime_cte cte)
{
	switch (cte) {
	case MIME_7BIT:
		return "7bit";
	case MIME_QP:
		return "quoted-printable";
	case MIME_BASE64:
		return "base64";
	}
	return "7bit";
}

void
mime_sanitize(struct buf *out, const char *s, size_t n, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t used = 0;

	for (size_t i = 0; i < n;) {
		/* A run of printable ASCII goes in one piece. */
		size_t j = i, lim = n - i < max - used ? n : i + (max - used);
		while (j < lim && u[j] >= 0x20 && u[j] < 0x7f)
			j++;
		if (j > i) {
			buf_append(out, u + i, j - i);
			used += j - i;
			i = j;
			continue;
		}
		size_t k = utf8_decode(u + i, n - i, NULL);
		if (k == 0) {
			if (used + 3 > max)
				break;
			buf_append(out, "\xef\xbf\xbd", 3);
			used += 3;
			i++;
			continue;
		}
		if (used + k > max)
			break;
		if (k == 1 && (u[i] < 0x20 || u[i] == 0x7f))
			buf_putc(out, ' ');
		else
			buf_append(out, u + i, k);
		used += k;
		i += k;
	}
}

bool
mime_is_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c >= 0x7f)
			return false;
	}
	return true;
}

/* Append encoded-words for s[0..n), folding as needed; *col is the
 * current column and is updated. */
static void
encode_words(struct buf *out, size_t *col, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	bool first = true;

	while (i < n || first) {
		size_t room = MIME_LINE_SOFT > *col + 1 + EW_OVERHEAD
		                  ? MIME_LINE_SOFT - *col - 1 - EW_OVERHEAD
		                  : 0;
		size_t maxraw = room / 4 * 3, take = 0;
		if (maxraw < 6 && *col > 1) {
			buf_puts(out, "\r\n");
			*col = 0;
			continue;
		}
		while (i + take < n) {
			size_t k =
			    utf8_decode(u + i + take, n - i - take, NULL);
			if (k == 0)
				k = 1; /* sanitized input never gets here */
			if (take + k > maxraw)
				break;
			take += k;
		}
		buf_append(out, " =?UTF-8?B?", 11);
		base64_encode(out, u + i, take);
		buf_append(out, "?=", 2);
		*col += 1 + EW_OVERHEAD + (take + 2) / 3 * 4;
		i += take;
		first = false;
	}
}

/* Does plain ASCII text need encoded-words (a word too long to fold, or
 * something that looks like an encoded-word already)? */
static bool
needs_words(const char *s, size_t n)
{
	size_t word = 0;

	if (!mime_is_ascii(s, n))
		return true;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == ' ') {
			word = 0;
			continue;
		}
		if (++word > MIME_LINE_SOFT - 2)
			return true;
		if (s[i] == '=' && i + 1 < n && s[i + 1] == '?')
			return true;
	}
	return false;
}

void
mime_header_text(struct buf *out, const char *name, const char *v, size_t n)
{
	size_t col = strlen(name) + 1;

	buf_puts(out, name);
	buf_putc(out, ':');
	if (needs_words(v, n)) {
		encode_words(out, &col, v, n);
		buf_puts(out, "\r\n");
		return;
	}
	/* Chunks are " word": a fold goes before the space. */
	size_t i = 0;
	do {
		size_t j = i;
		while (j < n && v[j] != ' ')
			j++;
		size_t chunk = 1 + (j - i);
		if (col + chunk > MIME_LINE_SOFT && col > strlen(name) + 1) {
			buf_puts(out, "\r\n");
			col = 0;
		}
		buf_putc(out, ' ');
		buf_append(out, v + i, j - i);
		col += chunk;
		i = j + 1;
	} while (i <= n);
	buf_puts(out, "\r\n");
}

/* Is c an RFC 5322 atext character or a space? */
static bool
is_phrase_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == ' ' ||
	       (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

void
mime_header_addr(struct buf *out, const char *name, const char *display,
                 size_t dn, const char *addr)
{
	size_t col = strlen(name) + 1, alen = strlen(addr);

	buf_puts(out, name);
	buf_putc(out, ':');
	if (dn == 0) {
		buf_putc(out, ' ');
		buf_puts(out, addr);
		buf_puts(out, "\r\n");
		return;
	}
	if (needs_words(display, dn)) {
		encode_words(out, &col, display, dn);
	} else {
		bool atoms = true;
		for (size_t i = 0; i < dn; i++)
			if (!is_phrase_char((unsigned char)display[i]))
				atoms = false;
		if (display[0] == ' ' || display[dn - 1] == ' ')
			atoms = false;
		buf_putc(out, ' ');
		col++;
		if (!atoms)
			buf_putc(out, '"');
		for (size_t i = 0; i < dn; i++) {
			if (!atoms && (display[i] == '"' || display[i] == '\\'))
				buf_putc(out, '\\'), col++;
			buf_putc(out, display[i]);
		}
		if (!atoms)
			buf_putc(out, '"'), col += 2;
		col += dn;
	}
	if (col + 3 + alen > MIME_LINE_SOFT) {
		buf_puts(out, "\r\n");
		col = 0;
	}
	buf_puts(out, " <");
	buf_puts(out, addr);
	buf_puts(out, ">\r\n");
}

/* RFC 2231 attribute-char: may appear unencoded in an extended value. */
static bool
is_attr_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c != 0 && strchr("!#$&+-.^_`|~", c));
}

void
mime_param_2231(struct buf *out, const char *name, const char *v, size_t n)
{
	enum { SEG = 60 };
	bool plain = n <= SEG && n > 0;

	for (size_t i = 0; plain && i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			plain = false;
	}
	if (plain) {
		buf_printf(out, ";\r\n %s=\"%.*s\"", name, (int)n, v);
		return;
	}
	/* Percent-encode, then cut into continuations of at most SEG. */
	struct buf enc;
	buf_init(&enc);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (is_attr_char(c)) {
			buf_putc(&enc, c);
		} else {
			buf_putc(&enc, '%');
			buf_putc(&enc, hexdig[c >> 4]);
			buf_putc(&enc, hexdig[c & 15]);
		}
	}
	const char *e = buf_cstr(&enc);
	size_t elen = buf_len(&enc), off = 0;
	if (elen <= SEG) {
		buf_printf(out, ";\r\n %s*=utf-8''%s", name, e);
	} else {
		for (int seg = 0; off < elen; seg++) {
			size_t take = elen - off < SEG ? elen - off : SEG;
			/* Never split a %XX triplet. */
			if (off + take < elen) {
				if (e[off + take - 1] == '%')
					take -= 1;
				else if (take >= 2 && e[off + take - 2] == '%')
					take -= 2;
			}
			buf_printf(out, ";\r\n %s*%d*=%s%.*s", name, seg,
			           seg == 0 ? "utf-8''" : "", (int)take,
			           e + off);
			off += take;
		}
	}
	buf_fini(&enc);
}

/* Byte classes for the body scanners (built on first use). */
enum {
	CL_PLAIN,   /* printable ASCII but '=', plus space and tab */
	CL_EQ,      /* '=' */
	CL_LF,      /* '\n' */
	CL_CTRL,    /* CR, other C0 controls, DEL */
	CL_8BIT,    /* >= 0x80 */
	QP_LIT = 0, /* quoted-printable: written as is */
	QP_WSP,     /* space, tab: as is unless at a line end */
	QP_EOL,     /* CR, LF */
	QP_ENC,     /* written =XX */
};
static unsigned char scan_class[256], qp_class[256];

/* Fill the class tables (idempotent, so a race between threads is
 * harmless: every writer writes the same bytes). */
static void
classes_init(void)
{
	if (scan_class[0] == CL_CTRL)
		return;
	for (int c = 0; c < 256; c++) {
		scan_class[c] = c >= 0x80   ? CL_8BIT
		                : c == '='  ? CL_EQ
		                : c == '\n' ? CL_LF
		                : (c < 0x20 && c != '\t') || c == 0x7f
		                    ? CL_CTRL
		                    : CL_PLAIN;
		qp_class[c] = (c >= 33 && c <= 126 && c != '=') ? QP_LIT
		              : (c == ' ' || c == '\t')         ? QP_WSP
		              : (c == '\r' || c == '\n')        ? QP_EOL
		                                                : QP_ENC;
	}
}

enum mime_cte
mime_choose_cte(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t nonascii = 0, maxline = 0, ls = 0, i = 0;
	bool odd = false;

	classes_init();
	for (;;) {
		while (i + 8 <= n && plain8(u + i))
			i += 8;
		while (i < n && scan_class[u[i]] == CL_PLAIN)
			i++;
		if (i >= n)
			break;
		switch (scan_class[u[i]]) {
		case CL_EQ:
			/* "=_" is in every boundary we write: a 7bit body
			 * must not contain it, encoded ones cannot. */
			if (i + 1 < n && u[i + 1] == '_')
				odd = true;
			break;
		case CL_LF:
			if (i - ls > maxline)
				maxline = i - ls;
			/* Trailing white space may be lost in transit. */
			if (i > 0 && (u[i - 1] == ' ' || u[i - 1] == '\t'))
				odd = true;
			ls = i + 1;
			break;
		case CL_8BIT:
			nonascii++;
			break;
		default:
			odd = true;
			break;
		}
		i++;
	}
	if (n - ls > maxline)
		maxline = n - ls;
	if (n > 0 && (u[n - 1] == ' ' || u[n - 1] == '\t'))
		odd = true;
	if (nonascii * 3 > n)
		return MIME_BASE64;
	if (nonascii > 0 || odd || maxline > LINE_7BIT_MAX)
		return MIME_QP;
	return MIME_7BIT;
}

void
mime_piece_scan(struct mime_piece *p, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, ls = 0;

	classes_init();
	memset(p, 0, sizeof(*p));
	p->clean = true;
	p->len = n;
	if (n == 0)
		return;
	p->first = u[0];
	p->last = u[n - 1];
	/* The same walk as mime_choose_cte(), per piece. */
	for (;;) {
		while (i + 8 <= n && plain8(u + i))
			i += 8;
		while (i < n && scan_class[u[i]] == CL_PLAIN)
			i++;
		if (i >= n)
			break;
		switch (scan_class[u[i]]) {
		case CL_EQ:
			if (i + 1 < n && u[i + 1] == '_')
				p->clean = false;
			break;
		case CL_LF:
			if (i > 0 && (u[i - 1] == ' ' || u[i - 1] == '\t'))
				p->clean = false;
			if (!p->has_lf)
				p->head = i;
			else if (i - ls > p->inner)
				p->inner = i - ls;
			p->has_lf = true;
			ls = i + 1;
			break;
		case CL_8BIT:
			p->nonascii++;
			p->clean = false;
			break;
		default: /* CR and other controls */
			p->clean = false;
			break;
		}
		i++;
	}
	if (p->has_lf)
		p->tail = n - ls;
	else
		p->head = n;
}

void
mime_run_add(struct mime_cte_run *r, const struct mime_piece *p)
{
	if (p->len == 0)
		return;
	r->len += p->len;
	r->nonascii += p->nonascii;
	/* What mime_choose_cte() would see where two pieces meet: "=_",
	 * white space before a line end, a line made too long. */
	if (!p->clean || (r->prev == '=' && p->first == '_') ||
	    ((r->prev == ' ' || r->prev == '\t') && p->first == '\n'))
		r->odd = true;
	if (p->has_lf) {
		if (r->col + p->head > LINE_7BIT_MAX ||
		    p->inner > LINE_7BIT_MAX)
			r->odd = true;
		r->col = p->tail;
	} else {
		r->col += p->head;
	}
	r->prev = p->last;
}

enum mime_cte
mime_run_cte(const struct mime_cte_run *r)
{
	if (r->nonascii * 3 > r->len)
		return MIME_BASE64;
	if (r->nonascii > 0 || r->odd || r->col > LINE_7BIT_MAX ||
	    r->prev == ' ' || r->prev == '\t')
		return MIME_QP;
	return MIME_7BIT;
}

unsigned char *
mime_crlf_into(unsigned char *o, const char *s, size_t n)
{
	const char *p = s, *end = s + n, *nl;

	if (n <= 32) { /* a merge value, mostly: no call per value */
		for (size_t i = 0; i < n; i++) {
			if (s[i] == '\n')
				*o++ = '\r';
			*o++ = (unsigned char)s[i];
		}
		return o;
	}
	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		memcpy(o, p, (size_t)(nl - p));
		o += nl - p;
		*o++ = '\r';
		*o++ = '\n';
		p = nl + 1;
	}
	memcpy(o, p, (size_t)(end - p));
	return o + (end - p);
}

void
mime_put_crlf(struct buf *out, const char *s, size_t n)
{
	unsigned char *start = buf_reserve(out, n * 2);

	buf_commit(out, (size_t)(mime_crlf_into(start, s, n) - start));
}

/* Quoted-printable (RFC 2045 6.7), lines of at most 76 octets. */
static void
encode_qp(struct buf *out, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	/* Worst case 3 output bytes per input byte plus soft breaks. */
	unsigned char *o = buf_reserve(out, n * 3 + n / 4 + 8), *start = o;
	size_t col = 0, i = 0;

	classes_init();
	while (i < n) {
		/* A run of literal bytes, as far as the line allows. */
		size_t lim = i + (75 - col) < n ? i + (75 - col) : n, j = i;
		/* Spaces ride along; one that ends up before a line end is
		 * taken back and encoded below. */
		while (j + 8 <= lim && plain8(u + j))
			j += 8;
		while (j < lim && qp_class[u[j]] <= QP_WSP)
			j++;
		while (j > i && qp_class[u[j - 1]] == QP_WSP &&
		       (j == n || qp_class[u[j]] == QP_EOL))
			j--;
		memcpy(o, u + i, j - i);
		o += j - i;
		col += j - i;
		i = j;
		if (i >= n)
			break;
		unsigned char c = u[i];
		if (qp_class[c] == QP_EOL) {
			if (c == '\r' && i + 1 < n && u[i + 1] == '\n')
				i++;
			*o++ = '\r';
			*o++ = '\n';
			col = 0;
			i++;
			continue;
		}
		bool eol = i + 1 == n || qp_class[u[i + 1]] == QP_EOL;
		bool lit =
		    qp_class[c] == QP_LIT || (qp_class[c] == QP_WSP && !eol);
		size_t w = lit ? 1 : 3;
		if (col + w > 75) {
			*o++ = '=';
			*o++ = '\r';
			*o++ = '\n';
			col = 0;
		}
		if (lit) {
			*o++ = c;
		} else {
			*o++ = '=';
			*o++ = (unsigned char)hexdig[c >> 4];
			*o++ = (unsigned char)hexdig[c & 15];
		}
		col += w;
		i++;
	}
	if (n == 0 || (s[n - 1] != '\n' && s[n - 1] != '\r')) {
		*o++ = '\r';
		*o++ = '\n';
	}
	buf_commit(out, (size_t)(o - start));
}

void
mime_base64_lines(struct buf *out, const void *data, size_t n)
{
	const unsigned char *p = data;

	for (size_t off = 0; off < n; off += 57) {
		size_t take = n - off < 57 ? n - off : 57;
		base64_encode(out, p + off, take);
		buf_append(out, "\r\n", 2);
	}
}

void
mime_encode_body(struct buf *out, enum mime_cte cte, const char *s, size_t n)
{
	switch (cte) {
	case MIME_QP:
		encode_qp(out, s, n);
		return;
	case MIME_BASE64: {
		/* Base64 of the text with CRLF line ends (RFC 2045 6.8). */
		struct buf crlf;
		buf_init(&crlf);
		for (size_t i = 0; i < n; i++) {
			if (s[i] == '\r' || s[i] == '\n') {
				if (s[i] == '\r' && i + 1 < n &&
				    s[i + 1] == '\n')
					i++;
				buf_append(&crlf, "\r\n", 2);
			} else {
				buf_putc(&crlf, s[i]);
			}
		}
		mime_base64_lines(out, buf_data(&crlf), buf_len(&crlf));
		buf_fini(&crlf);
		return;
	}
	case MIME_7BIT:
		break;
	}
	/* 7bit bodies hold no CR (mime_choose_cte saw to it): LF -> CRLF. */
	mime_put_crlf(out, s, n);
	if (n == 0 || s[n - 1] != '\n')
		buf_append(out, "\r\n", 2);
}

void
mime_html_escape(struct buf *out, const char *s, size_t n)
{
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		const char *rep;
		switch (s[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			continue;
		}
		buf_append(out, s + run, i - run);
		buf_puts(out, rep);
		run = i + 1;
	}
	buf_append(out, s + run, n - run);
}
