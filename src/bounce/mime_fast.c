/*
 * mime_fast.c — the MIME walk of the bounce parser without building
 * objects: one pass over each header block, multiparts split by their
 * boundary lines in place, base64 and quoted-printable decoded straight into
 * the walk's buffers.
 *
 * It reads what bounce_parse() needs (the text, delivery-status and
 * feedback-report bodies, the headers of the returned original and a few
 * top-level fields) the way GMime would.  A message of a shape it is not
 * sure about (no header at the top, a multipart without a boundary, an
 * unusual transfer encoding, an encoded message part) returns MC_EAGAIN and
 * GMime reads it instead.  Bounds: the walk's depth and part count are
 * checked as in the GMime walk; every copy is capped at BOUNCE_MAX_TEXT.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/base64.h"
#include "base/error.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "bounce/bounce_impl.h"

/* A span of the message. */
struct span {
	const char *s;
	size_t n;
};

/* What one entity's header block says about its body. */
struct entity {
	char type[32], sub[48];
	char boundary[128];
	char report_type[32];
	enum { CTE_NONE, CTE_BASE64, CTE_QP, CTE_OTHER } cte;
	bool has_boundary;
};

/* Append at most what fits under cap bytes. */
static void
put_capped(struct buf *b, const void *data, size_t n, size_t cap)
{
	if (buf_len(b) >= cap)
		return;
	if (n > cap - buf_len(b))
		n = cap - buf_len(b);
	buf_append(b, data, n);
}

/* The end of the line holding s[i] (the index of its '\n', or n). */
static size_t
eol(const char *s, size_t n, size_t i)
{
	const char *nl = memchr(s + i, '\n', n - i);

	return nl ? (size_t)(nl - s) : n;
}

/* Does the line s[i..e) look like a header field "Name: ..."? */
static bool
is_field_line(const char *s, size_t i, size_t e)
{
	size_t c = i;

	while (c < e && s[c] != ':' && s[c] > ' ' && s[c] < 0x7f)
		c++;
	return c > i && c < e && s[c] == ':';
}

/*
 * Split an entity into its header block and body: the header ends at the
 * first blank line (a first line that is not a field means there is no
 * header block).
 */
static void
split_entity(const char *s, size_t n, struct span *hdr, struct span *body)
{
	size_t i = 0;

	while (i < n) {
		size_t e = eol(s, n, i);
		if (e == i) { /* blank line */
			hdr->s = s, hdr->n = i;
			body->s = s + e + 1 <= s + n ? s + e + 1 : s + n;
			body->n = (size_t)(s + n - body->s);
			return;
		}
		/* Like GMime, a line that is not a field only ends the
		 * header block when it is the first. */
		if (i == 0 && !is_field_line(s, i, e))
			break;
		i = e < n ? e + 1 : n;
	}
	hdr->s = s, hdr->n = i;
	body->s = s + i, body->n = n - i;
}

/*
 * The next field of a header block from *pos: name and raw (folded) value
 * spans.  False at the end.
 */
static bool
next_hdr(const struct span *h, size_t *pos, struct span *name,
         struct span *value)
{
	const char *s = h->s;
	size_t n = h->n, i = *pos;

	while (i < n) {
		size_t e = eol(s, n, i), c = i;
		if (s[i] == ' ' || s[i] == '\t' || !is_field_line(s, i, e)) {
			i = e < n ? e + 1 : n;
			continue;
		}
		while (s[c] != ':')
			c++;
		name->s = s + i, name->n = c - i;
		c++;
		while (c < e && (s[c] == ' ' || s[c] == '\t'))
			c++;
		while (e < n && e + 1 < n &&
		       (s[e + 1] == ' ' || s[e + 1] == '\t'))
			e = eol(s, n, e + 1);
		value->s = s + c, value->n = e - c;
		*pos = e < n ? e + 1 : n;
		return true;
	}
	*pos = n;
	return false;
}

/* A heap copy of a folded value, unfolded and trimmed. */
static char *
unfold(const struct span *v)
{
	char *out = xmalloc(v->n + 1);
	size_t o = 0;

	for (size_t i = 0; i < v->n; i++) {
		char c = v->s[i];
		if (c == '\n')
			continue;
		out[o++] = c == '\t' && i > 0 && v->s[i - 1] == '\n' ? ' ' : c;
	}
	while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\t'))
		o--;
	out[o] = '\0';
	return out;
}

/* Value of one hex digit, or -1. */
static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode quoted-printable (soft line breaks joined; bad escapes kept). */
static void
decode_qp(const char *s, size_t n, struct buf *out, size_t cap, bool header)
{
	unsigned char tmp[512];
	size_t t = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (t >= sizeof(tmp) - 1) {
			put_capped(out, tmp, t, cap);
			t = 0;
			if (buf_len(out) >= cap)
				return;
		}
		if (c == '_' && header) {
			tmp[t++] = ' ';
		} else if (c == '=' && i + 1 < n && s[i + 1] == '\n') {
			i++;
		} else if (c == '=' && i + 2 < n &&
		           hexval((unsigned char)s[i + 1]) >= 0 &&
		           hexval((unsigned char)s[i + 2]) >= 0) {
			tmp[t++] =
			    (unsigned char)(hexval((unsigned char)s[i + 1]) *
			                        16 +
			                    hexval((unsigned char)s[i + 2]));
			i += 2;
		} else if (c == '=' && !header) {
			/* "=" then spaces up to the line end: a soft break. */
			size_t k = i + 1;
			while (k < n && (s[k] == ' ' || s[k] == '\t'))
				k++;
			if (k < n && s[k] == '\n' && k > i + 1)
				i = k;
			else
				tmp[t++] = c;
		} else {
			tmp[t++] = c;
		}
	}
	put_capped(out, tmp, t, cap);
}

/* Append latin-1 bytes as UTF-8. */
static void
latin1_to_utf8(const char *s, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			buf_putc(out, c);
		} else {
			buf_putc(out, 0xc0 | (c >> 6));
			buf_putc(out, 0x80 | (c & 0x3f));
		}
	}
}

/*
 * RFC 2047: decode the encoded words of a header value.  The bytes are
 * kept as they are except latin-1, made UTF-8; white space between two
 * encoded words is dropped.
 */
static char *
decode_words(const char *v)
{
	struct buf out, tmp;
	const char *p = v;
	bool last_word = false;

	if (strstr(v, "=?") == NULL)
		return xstrdup(v);
	buf_init(&out);
	buf_init(&tmp);
	while (*p != '\0') {
		const char *q1, *q2, *end;
		if (p[0] == '=' && p[1] == '?' &&
		    (q1 = strchr(p + 2, '?')) != NULL && q1[1] != '\0' &&
		    q1[2] == '?' && (end = strstr(q1 + 3, "?=")) != NULL) {
			char enc = (char)tolower((unsigned char)q1[1]);
			q2 = q1 + 3;
			if (enc == 'b' || enc == 'q') {
				size_t cl = (size_t)(q1 - (p + 2));
				bool latin =
				    (cl >= 10 &&
				     mc_istarts(p + 2, cl, "iso-8859-1")) ||
				    (cl >= 12 &&
				     mc_istarts(p + 2, cl, "windows-125"));
				buf_reset(&tmp);
				if (enc == 'b')
					base64_decode_lenient(
					    &tmp, q2, (size_t)(end - q2),
					    BOUNCE_MAX_TEXT);
				else
					decode_qp(q2, (size_t)(end - q2), &tmp,
					          BOUNCE_MAX_TEXT, true);
				if (latin)
					latin1_to_utf8(buf_cstr(&tmp),
					               buf_len(&tmp), &out);
				else
					buf_append(&out, buf_data(&tmp),
					           buf_len(&tmp));
				p = end + 2;
				last_word = true;
				continue;
			}
		}
		if (last_word && (*p == ' ' || *p == '\t')) {
			/* White space between two encoded words is dropped. */
			const char *q = p;
			while (*q == ' ' || *q == '\t')
				q++;
			if (q[0] == '=' && q[1] == '?') {
				p = q;
				continue;
			}
		}
		last_word = false;
		buf_putc(&out, (unsigned char)*p++);
	}
	buf_fini(&tmp);
	char *r = xstrdup(buf_cstr(&out));
	buf_fini(&out);
	return r;
}

/* Copy a token (up to ';', white space or the end) lower-cased into out. */
static size_t
copy_token(const char *s, size_t n, char *out, size_t outsize, char stop)
{
	size_t i = 0, o = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n'))
		i++;
	while (i < n && s[i] != ';' && s[i] != stop && s[i] != ' ' &&
	       s[i] != '\t' && s[i] != '\n' && s[i] != '(') {
		if (o + 1 < outsize)
			out[o++] = (char)tolower((unsigned char)s[i]);
		i++;
	}
	out[o] = '\0';
	return i;
}

/* The value of a Content-Type parameter into out (quotes removed). */
static bool
ct_param(const char *s, size_t n, const char *name, char *out, size_t outsize)
{
	size_t nl = strlen(name), i = 0;

	while (i < n) {
		const char *semi = memchr(s + i, ';', n - i);
		if (semi == NULL)
			return false;
		i = (size_t)(semi - s) + 1;
		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n'))
			i++;
		if (n - i <= nl || !mc_istarts(s + i, n - i, name))
			continue;
		size_t k = i + nl;
		while (k < n && (s[k] == ' ' || s[k] == '\t'))
			k++;
		if (k >= n || s[k] != '=')
			continue;
		k++;
		while (k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '\n'))
			k++;
		size_t o = 0;
		if (k < n && s[k] == '"') {
			k++;
			while (k < n && s[k] != '"') {
				if (s[k] == '\\' && k + 1 < n)
					k++;
				if (s[k] != '\n' && o + 1 < outsize)
					out[o++] = s[k];
				k++;
			}
		} else {
			while (k < n && s[k] != ';' && s[k] != ' ' &&
			       s[k] != '\t' && s[k] != '\n') {
				if (o + 1 < outsize)
					out[o++] = s[k];
				k++;
			}
		}
		out[o] = '\0';
		return o + 1 < outsize || o == 0 ? true : false;
	}
	return false;
}

/* Read the MIME fields of one header block into e.  False when one of
 * them is beyond the fast path. */
static bool
read_entity(const struct span *h, struct entity *e)
{
	struct span name, value;
	size_t pos = 0;
	bool have_ct = false, have_cte = false;

	memset(e, 0, sizeof(*e));
	mc_strlcpy(e->type, "text", sizeof(e->type));
	mc_strlcpy(e->sub, "plain", sizeof(e->sub));
	while (next_hdr(h, &pos, &name, &value)) {
		if (!have_ct && mc_ieq(name.s, name.n, "content-type")) {
			size_t i = copy_token(value.s, value.n, e->type,
			                      sizeof(e->type), '/');
			have_ct = true;
			if (i < value.n && value.s[i] == '/') {
				copy_token(value.s + i + 1, value.n - i - 1,
				           e->sub, sizeof(e->sub), '/');
			} else if (strcmp(e->type, "text") == 0) {
				mc_strlcpy(e->sub, "plain", sizeof(e->sub));
			} else {
				return false; /* GMime's guess is its own */
			}
			if (strcmp(e->type, "multipart") == 0) {
				if (!ct_param(value.s, value.n, "boundary",
				              e->boundary,
				              sizeof(e->boundary)) ||
				    e->boundary[0] == '\0')
					return false;
				e->has_boundary = true;
			}
			ct_param(value.s, value.n, "report-type",
			         e->report_type, sizeof(e->report_type));
		} else if (!have_cte && mc_ieq(name.s, name.n,
		                               "content-transfer-encoding")) {
			char cte[32];
			copy_token(value.s, value.n, cte, sizeof(cte), 0);
			have_cte = true;
			if (strcmp(cte, "base64") == 0)
				e->cte = CTE_BASE64;
			else if (strcmp(cte, "quoted-printable") == 0)
				e->cte = CTE_QP;
			else if (cte[0] == '\0' || strcmp(cte, "7bit") == 0 ||
			         strcmp(cte, "8bit") == 0 ||
			         strcmp(cte, "binary") == 0)
				e->cte = CTE_NONE;
			else
				return false;
		}
	}
	return true;
}

/* Is the line s[i..e) the boundary b ("--b" or "--b--", trailing white
 * space allowed)?  1 for a part boundary, 2 for the closing one. */
static int
boundary_line(const char *s, size_t i, size_t e, const char *b, size_t bl)
{
	if (e - i < bl + 2 || s[i] != '-' || s[i + 1] != '-' ||
	    memcmp(s + i + 2, b, bl) != 0)
		return 0;
	size_t k = i + 2 + bl;
	int kind = 1;
	if (e - k >= 2 && s[k] == '-' && s[k + 1] == '-') {
		kind = 2;
		k += 2;
	}
	while (k < e && (s[k] == ' ' || s[k] == '\t'))
		k++;
	return k == e ? kind : 0;
}

/* Append a decoded body to out. */
static void
body_text(const struct entity *e, const struct span *body, struct buf *out)
{
	if (buf_len(out) >= BOUNCE_MAX_TEXT)
		return;
	if (e->cte == CTE_BASE64)
		base64_decode_lenient(out, body->s, body->n, BOUNCE_MAX_TEXT);
	else if (e->cte == CTE_QP)
		decode_qp(body->s, body->n, out, BOUNCE_MAX_TEXT, false);
	else
		put_capped(out, body->s, body->n, BOUNCE_MAX_TEXT);
	if (body->n > 0)
		put_capped(out, "\n", 1, BOUNCE_MAX_TEXT);
}

static int walk_entity(const char *s, size_t n, int depth,
                       struct bounce_walk *w);

/* The parts of a multipart body between its boundary lines. */
static int
walk_multipart(const struct entity *e, const struct span *body, int depth,
               struct bounce_walk *w)
{
	const char *s = body->s;
	size_t n = body->n, i = 0, start = 0, bl = strlen(e->boundary);
	bool in_part = false;
	int rc;

	while (i < n && !w->too_deep) {
		size_t le = eol(s, n, i);
		int kind =
		    s[i] == '-' ? boundary_line(s, i, le, e->boundary, bl) : 0;
		if (kind != 0) {
			if (in_part) {
				/* The line break before the boundary belongs to
				 * it. */
				size_t pe = i > start ? i - 1 : start;
				if ((rc = walk_entity(s + start, pe - start,
				                      depth + 1, w)) != 0)
					return rc;
			} else if (i > 0 || kind == 2) {
				/* The prologue is not read when there are
				 * parts. */
			}
			if (kind == 2)
				return 0;
			in_part = true;
			start = le < n ? le + 1 : n;
		}
		i = le < n ? le + 1 : n;
	}
	if (w->too_deep)
		return 0;
	if (in_part)
		return walk_entity(s + start, n - start, depth + 1, w);
	/* No boundary at all: GMime keeps the body as the prologue. */
	put_capped(&w->human, s, n, BOUNCE_MAX_TEXT);
	return 0;
}

/* Collect from one entity (header block and body) and its children. */
static int
walk_entity(const char *s, size_t n, int depth, struct bounce_walk *w)
{
	struct span hdr, body;
	struct entity e;

	if (w->too_deep)
		return 0;
	if (depth > BOUNCE_MAX_DEPTH) {
		w->too_deep = 1;
		return 0;
	}
	w->parts++;
	split_entity(s, n, &hdr, &body);
	if (!read_entity(&hdr, &e))
		return MC_EAGAIN;
	if (strcmp(e.type, "multipart") == 0) {
		if (w->report_type == NULL && e.report_type[0] != '\0' &&
		    strcmp(e.sub, "report") == 0)
			w->report_type = xstrdup(e.report_type);
		return walk_multipart(&e, &body, depth, w);
	}
	if (strcmp(e.type, "message") == 0) {
		if (strcmp(e.sub, "rfc822") == 0 ||
		    strcmp(e.sub, "news") == 0 ||
		    strcmp(e.sub, "global") == 0) {
			struct span h2, b2;
			if (e.cte != CTE_NONE)
				return MC_EAGAIN;
			if (!w->have_orig) {
				split_entity(body.s, body.n, &h2, &b2);
				put_capped(&w->orig, h2.s, h2.n,
				           BOUNCE_MAX_TEXT);
			}
			w->have_orig = true;
			/* A message inside still counts one level. */
			if (depth + 1 > BOUNCE_MAX_DEPTH)
				w->too_deep = 1;
			return 0;
		}
		if (strcmp(e.sub, "delivery-status") == 0 ||
		    strcmp(e.sub, "global-delivery-status") == 0) {
			body_text(&e, &body, &w->dsn);
			w->have_dsn = true;
		} else if (strcmp(e.sub, "feedback-report") == 0) {
			body_text(&e, &body, &w->feedback);
			w->have_feedback = true;
		} else if (strcmp(e.sub, "rfc822-headers") == 0 ||
		           strcmp(e.sub, "global-headers") == 0) {
			if (!w->have_orig)
				body_text(&e, &body, &w->orig);
			w->have_orig = true;
		}
		return 0;
	}
	if (strcmp(e.type, "text") == 0) {
		if (strcmp(e.sub, "plain") == 0)
			body_text(&e, &body, &w->human);
		else if (strcmp(e.sub, "html") == 0)
			body_text(&e, &body, &w->html);
		else if (strcmp(e.sub, "rfc822-headers") == 0) {
			if (!w->have_orig)
				body_text(&e, &body, &w->orig);
			w->have_orig = true;
		}
	}
	return 0;
}

/* Walk a whole message without GMime (see bounce_impl.h). */
int
mime_fast_walk(const char *s, size_t n, struct bounce_walk *w)
{
	struct span hdr, body, name, value;
	struct entity e;
	size_t pos = 0;
	size_t first = eol(s, n, 0);

	/* An mbox "From " separator line is not part of the message. */
	if (n > 5 && memcmp(s, "From ", 5) == 0 && first < n) {
		s += first + 1;
		n -= first + 1;
		first = eol(s, n, 0);
	}
	/* A message starts with a header field. */
	if (n == 0 || !is_field_line(s, 0, first))
		return MC_EAGAIN;
	split_entity(s, n, &hdr, &body);
	while (next_hdr(&hdr, &pos, &name, &value)) {
		char **slot = NULL;
		switch (tolower((unsigned char)name.s[0])) {
		case 't':
			if (mc_ieq(name.s, name.n, "to"))
				slot = &w->to;
			break;
		case 'f':
			if (mc_ieq(name.s, name.n, "from"))
				slot = &w->from;
			break;
		case 's':
			if (mc_ieq(name.s, name.n, "subject"))
				slot = &w->subject;
			break;
		case 'a':
			if (mc_ieq(name.s, name.n, "auto-submitted"))
				slot = &w->auto_submitted;
			break;
		case 'p':
			if (mc_ieq(name.s, name.n, "precedence"))
				slot = &w->precedence;
			break;
		case 'r':
			if (mc_ieq(name.s, name.n, "return-path"))
				slot = &w->return_path;
			break;
		case 'x':
			if (mc_ieq(name.s, name.n, "x-failed-recipients"))
				slot = &w->failed;
			else if (mc_ieq(name.s, name.n, "x-autoreply") ||
			         mc_ieq(name.s, name.n, "x-autorespond"))
				w->x_autoreply = true;
			else if (mc_ieq(name.s, name.n,
			                "x-auto-response-suppress"))
				w->x_ars = true;
			break;
		default:
			break;
		}
		if (slot != NULL && *slot == NULL)
			*slot = unfold(&value);
	}
	if (w->subject != NULL && strstr(w->subject, "=?") != NULL) {
		char *d = decode_words(w->subject);
		free(w->subject);
		w->subject = d;
	}
	if (!read_entity(&hdr, &e))
		return MC_EAGAIN;
	/* The top entity's report-type, whatever its type (walk_entity
	 * takes a nested multipart/report's when this gives none). */
	if (e.report_type[0] != '\0')
		w->report_type = xstrdup(e.report_type);
	return walk_entity(s, n, 1, w);
}
