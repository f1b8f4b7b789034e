/*
 * template.c — the template compiler (see template.h, docs/template.md).
 *
 * Everything that can be wrong with a template is found here, before any
 * message exists: unknown fields, bad addresses, reserved headers, missing
 * attachments.  Each error names the file and line.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/rand.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/str.h"
#include "base/utf8.h"
#include "base/xmalloc.h"
#include "msg/links.h"
#include "msg/mime.h"
#include "msg/template_int.h"

/* Headers mailcast writes itself (or that must never be per-template). */
static const char *const reserved[] = {"Date",
                                       "Message-ID",
                                       "MIME-Version",
                                       "Content-Type",
                                       "Content-Transfer-Encoding",
                                       "Content-Disposition",
                                       "List-Unsubscribe",
                                       "List-Unsubscribe-Post",
                                       "DKIM-Signature",
                                       "Return-Path",
                                       "Received",
                                       "Cc",
                                       "Bcc",
                                       "Sender",
                                       "Resent-From",
                                       "Resent-To",
                                       NULL};

static const struct {
	const char *name;
	enum seg_kind kind;
} builtins[] = {
    {"email", SEG_EMAIL},
    {"unsubscribe_url", SEG_UNSUB},
    {"campaign", SEG_CAMPAIGN},
    {"token", SEG_TOKEN},
};

struct compiler {
	const char *name;
	const char *const *fields;
	size_t nfields;
	char *err;
	size_t errsz;
};

/* "NAME:LINE: reason" into the compiler's error buffer; returns code. */
static int
cfail(struct compiler *c, unsigned long line, int code, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (c->errsz == 0)
		return code;
	if (line > 0)
		n = snprintf(c->err, c->errsz, "%s:%lu: ", c->name, line);
	else
		n = snprintf(c->err, c->errsz, "%s: ", c->name);
	if (n < 0 || (size_t)n >= c->errsz)
		return code;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errsz - (size_t)n, fmt, ap);
	va_end(ap);
	return code;
}

/* Append a segment to a part. */
static struct seg *
part_add(struct tpart *p, enum seg_kind kind)
{
	p->v = xreallocarray(p->v, p->n + 1, sizeof(*p->v));
	struct seg *s = &p->v[p->n++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	return s;
}

/* Append literal text (CRLF and CR become LF), merging with a previous
 * literal. */
static void
part_lit(struct tpart *p, const char *s, size_t n)
{
	struct seg *g;

	if (n == 0)
		return;
	if (p->n > 0 && p->v[p->n - 1].kind == SEG_LIT)
		g = &p->v[p->n - 1];
	else
		g = part_add(p, SEG_LIT);
	g->s = xrealloc(g->s, g->len + n + 1);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r') {
			if (i + 1 < n && s[i + 1] == '\n')
				continue;
			g->s[g->len++] = '\n';
		} else {
			g->s[g->len++] = s[i];
		}
	}
	g->s[g->len] = '\0';
}

/* Give each literal of a body part its encoded forms and the facts the
 * transfer encoding is chosen by. */
static void
part_prepare_body(struct tpart *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct seg *g = &p->v[i];
		struct buf b;

		if (g->kind != SEG_LIT)
			continue;
		mime_piece_scan(&g->piece, g->s, g->len);
		buf_init(&b);
		mime_put_crlf(&b, g->s, g->len);
		g->crlf = buf_steal(&b, &g->crlf_len);
		if (!g->piece.has_lf)
			continue;
		/* After the first LF the encoder starts a new line, and a
		 * part of its input that ends with an LF encodes the same
		 * alone as within the whole. */
		g->mid_b = g->piece.head + 1;
		g->mid_e = g->len - g->piece.tail;
		buf_init(&b);
		mime_encode_body(&b, MIME_QP, g->s + g->mid_b,
		                 g->mid_e - g->mid_b);
		if (g->mid_e == g->mid_b)
			buf_reset(&b); /* "" encodes as a line end */
		g->qp_mid = buf_steal(&b, &g->qp_mid_len);
	}
}

static void
part_free(struct tpart *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].s), free(p->v[i].crlf), free(p->v[i].qp_mid);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

/* The names a template may use, for the unknown-field error. */
static void
known_fields(struct compiler *c, struct buf *b)
{
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		buf_printf(b, "%s%s", i ? ", " : "", builtins[i].name);
	for (size_t i = 0; i < c->nfields && buf_len(b) < 300; i++)
		buf_printf(b, ", %s", c->fields[i]);
}

/* Compile s[0..n) (starting at line) into p: literal text and {{fields}}. */
static int
compile_text(struct compiler *c, struct tpart *p, const char *s, size_t n,
             unsigned long line)
{
	size_t lit = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n') {
			line++;
			continue;
		}
		if (s[i] == '\\' && i + 2 < n && s[i + 1] == '{' &&
		    s[i + 2] == '{') {
			part_lit(p, s + lit, i - lit);
			part_lit(p, "{{", 2);
			i += 2;
			lit = i + 1;
			continue;
		}
		if (s[i] != '{' || i + 1 >= n || s[i + 1] != '{')
			continue;
		part_lit(p, s + lit, i - lit);
		size_t b = i + 2, e = b;
		while (e + 1 < n && !(s[e] == '}' && s[e + 1] == '}') &&
		       s[e] != '\n')
			e++;
		if (e + 1 >= n || s[e] == '\n')
			return cfail(c, line, MC_EDATA,
			             "'{{' without '}}' on the same line");
		/* name, then an optional |default */
		size_t nb = b, ne = b;
		while (nb < e && s[nb] == ' ')
			nb++;
		/* A name may hold spaces ({{First Name}}, as a CSV header
		 * has it); the ones around it are not part of it. */
		ne = nb;
		while (ne < e && s[ne] != '|')
			ne++;
		while (ne > nb && s[ne - 1] == ' ')
			ne--;
		size_t after = ne;
		while (after < e && s[after] == ' ')
			after++;
		bool has_def = after < e && s[after] == '|';
		if (after < e && !has_def)
			return cfail(
			    c, line, MC_EDATA,
			    "bad merge field '{{%.*s}}': expected {{name}} or "
			    "{{name|default}}",
			    (int)(e - b), s + b);
		if (ne == nb)
			return cfail(c, line, MC_EDATA,
			             "empty merge field name in '{{%.*s}}'",
			             (int)(e - b), s + b);
		if (ne - nb > TMPL_FIELD_NAME_MAX)
			return cfail(
			    c, line, MC_ELIMIT,
			    "merge field name longer than %d characters",
			    TMPL_FIELD_NAME_MAX);
		for (size_t k = nb; k < ne; k++) {
			unsigned char ch = (unsigned char)s[k];
			if (!isalnum(ch) && ch != '_' && ch != '-' &&
			    ch != '.' && ch != ' ')
				return cfail(
				    c, line, MC_EDATA,
				    "bad merge field name '%.*s' (letters, "
				    "digits, spaces, '_', '-' and '.' only)",
				    (int)(ne - nb), s + nb);
		}
		const char *nm = s + nb;
		size_t nlen = ne - nb;
		struct seg *g = NULL;
		for (size_t k = 0; k < sizeof(builtins) / sizeof(builtins[0]);
		     k++) {
			if (mc_ieq(nm, nlen, builtins[k].name)) {
				g = part_add(p, builtins[k].kind);
				break;
			}
		}
		for (size_t k = 0; g == NULL && k < c->nfields; k++) {
			if (mc_ieq(nm, nlen, c->fields[k])) {
				g = part_add(p, SEG_FIELD);
				g->idx = k;
			}
		}
		if (has_def) {
			const char *d = s + after + 1;
			size_t dlen = e - after - 1;
			if (g == NULL) {
				/* Unknown field with a default: always the
				 * default. */
				part_lit(p, d, dlen);
			} else {
				g->s = xstrndup(d, dlen);
				g->len = dlen;
			}
		} else if (g == NULL) {
			struct buf k;
			buf_init(&k);
			known_fields(c, &k);
			int rc =
			    cfail(c, line, MC_EDATA,
			          "unknown field '%.*s' and no default (write "
			          "{{%.*s|default}}); fields: %s",
			          (int)nlen, nm, (int)nlen, nm, buf_cstr(&k));
			buf_fini(&k);
			return rc;
		}
		i = e + 1;
		lit = i + 1;
	}
	part_lit(p, s + lit, n - lit);
	return 0;
}

/* A content type for an attachment from its file name. */
static const char *
guess_type(const char *fname)
{
	static const char *const map[][2] = {
	    {".pdf", "application/pdf"}, {".png", "image/png"},
	    {".jpg", "image/jpeg"},      {".jpeg", "image/jpeg"},
	    {".gif", "image/gif"},       {".txt", "text/plain"},
	    {".csv", "text/csv"},        {".ics", "text/calendar"},
	    {".html", "text/html"},      {".zip", "application/zip"},
	};
	const char *dot = strrchr(fname, '.');

	for (size_t i = 0; dot && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcasecmp(dot, map[i][0]) == 0)
			return map[i][1];
	return "application/octet-stream";
}

/* Read an attachment and pre-encode its MIME part. */
static int
compile_attach(struct compiler *c, struct tmpl *t, const char *v, size_t n,
               const char *dir, size_t *total, unsigned long line)
{
	char path[4096], type[128] = "";
	const char *semi = memchr(v, ';', n);
	size_t plen = semi ? (size_t)(semi - v) : n;

	while (plen > 0 && v[plen - 1] == ' ')
		plen--;
	if (t->natt >= TMPL_ATTACH_MAX)
		return cfail(c, line, MC_ELIMIT, "more than %d attachments",
		             TMPL_ATTACH_MAX);
	if (plen == 0)
		return cfail(c, line, MC_EDATA, "Attach: no file name");
	if (semi != NULL) {
		const char *p = semi + 1, *end = v + n;
		while (p < end && *p == ' ')
			p++;
		if (end - p < 6 || strncasecmp(p, "type=", 5) != 0 ||
		    (size_t)(end - p - 5) >= sizeof(type))
			return cfail(c, line, MC_EDATA,
			             "Attach: expected 'FILE' or 'FILE; "
			             "type=TYPE/SUBTYPE'");
		memcpy(type, p + 5, (size_t)(end - p - 5));
		type[end - p - 5] = '\0';
		for (char *q = type; *q; q++)
			if (!isalnum((unsigned char)*q) && !strchr("/.+-", *q))
				return cfail(c, line, MC_EDATA,
				             "Attach: bad content type '%s'",
				             type);
		if (strchr(type, '/') == NULL)
			return cfail(c, line, MC_EDATA,
			             "Attach: bad content type '%s'", type);
	}
	if (v[0] == '/' || dir == NULL)
		snprintf(path, sizeof(path), "%.*s", (int)plen, v);
	else
		snprintf(path, sizeof(path), "%s/%.*s", dir, (int)plen, v);
	FILE *fp = fopen(path, "rb");
	if (fp == NULL)
		return cfail(c, line, MC_EIO, "Attach: %s: %s", path,
		             strerror(errno));
	struct buf data, part;
	buf_init(&data);
	buf_init(&part);
	size_t got;
	unsigned char chunk[65536];
	while ((got = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		buf_append(&data, chunk, got);
		if (*total + buf_len(&data) > TMPL_ATTACH_BYTES_MAX) {
			fclose(fp);
			buf_fini(&data);
			buf_fini(&part);
			return cfail(c, line, MC_ELIMIT,
			             "attachments larger than %d MiB in total",
			             TMPL_ATTACH_BYTES_MAX >> 20);
		}
	}
	fclose(fp);
	*total += buf_len(&data);
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	buf_printf(&part, "Content-Type: %s",
	           type[0] ? type : guess_type(base));
	mime_param_2231(&part, "name", base, strlen(base));
	buf_puts(&part, "\r\nContent-Transfer-Encoding: base64\r\n"
	                "Content-Disposition: attachment");
	mime_param_2231(&part, "filename", base, strlen(base));
	buf_puts(&part, "\r\n\r\n");
	mime_base64_lines(&part, buf_data(&data), buf_len(&data));
	buf_fini(&data);
	t->att[t->natt] = buf_steal(&part, &t->att_len[t->natt]);
	t->natt++;
	return 0;
}

/* Is name one mailcast writes itself? */
static bool
is_reserved(const char *name, size_t n)
{
	for (size_t i = 0; reserved[i]; i++)
		if (mc_ieq(name, n, reserved[i]))
			return true;
	return mc_istarts(name, n, "Content-");
}

/* Handle one "Name: value" line of the header block. */
static int
compile_header(struct compiler *c, struct tmpl *t, const char *name,
               size_t nlen, const char *v, size_t vlen, unsigned long line,
               const char *dir, size_t *att_total)
{
	char err[256], dname[ADDR_NAME_MAX + 1];
	struct buf b;

	if (mc_ieq(name, nlen, "Attach"))
		return compile_attach(c, t, v, vlen, dir, att_total, line);
	if (is_reserved(name, nlen))
		return cfail(
		    c, line, MC_EDATA,
		    "header %.*s is written by mailcast; remove it from the "
		    "template",
		    (int)nlen, name);
	if (mc_ieq(name, nlen, "From") || mc_ieq(name, nlen, "Reply-To")) {
		bool from = mc_ieq(name, nlen, "From");
		struct addr a;
		if ((from && t->from_line) || (!from && t->reply_to_line))
			return cfail(c, line, MC_EDATA, "%.*s given twice",
			             (int)nlen, name);
		if (memmem(v, vlen, "{{", 2) != NULL)
			return cfail(c, line, MC_EDATA,
			             "%.*s: merge fields are not allowed here",
			             (int)nlen, name);
		if (addr_parse_mailbox(v, vlen, &a, dname, sizeof(dname), err,
		                       sizeof(err)) != 0)
			return cfail(c, line, MC_EDATA, "%.*s: %s", (int)nlen,
			             name, err);
		char spec[ADDR_PATH_MAX + 1];
		addr_format(&a, spec, sizeof(spec));
		buf_init(&b);
		mime_header_addr(&b, from ? "From" : "Reply-To", dname,
		                 strlen(dname), spec);
		if (from) {
			t->from = a;
			memcpy(t->from_spec, spec, sizeof(spec));
			t->from_line = buf_steal(&b, NULL);
		} else {
			t->reply_to_line = buf_steal(&b, NULL);
		}
		return 0;
	}
	if (mc_ieq(name, nlen, "Subject")) {
		if (t->has_subject)
			return cfail(c, line, MC_EDATA, "Subject given twice");
		t->has_subject = true;
		return compile_text(c, &t->subject, v, vlen, line);
	}
	if (mc_ieq(name, nlen, "To")) {
		/* "{{email}}" or "NAME <{{email}}>": the address is always
		 * the recipient's, only the display name is a template. */
		static const char tail[] = "<{{email}}>";
		size_t tl = sizeof(tail) - 1;
		if (t->has_to)
			return cfail(c, line, MC_EDATA, "To given twice");
		t->has_to = true;
		if (mc_ieq(v, vlen, "{{email}}"))
			return 0;
		if (vlen < tl || strncasecmp(v + vlen - tl, tail, tl) != 0)
			return cfail(
			    c, line, MC_EDATA,
			    "To: must be '{{email}}' or 'NAME <{{email}}>'");
		size_t e = vlen - tl;
		while (e > 0 && v[e - 1] == ' ')
			e--;
		if (e >= 2 && v[0] == '"' && v[e - 1] == '"')
			return compile_text(c, &t->to_name, v + 1, e - 2, line);
		return compile_text(c, &t->to_name, v, e, line);
	}
	if (t->nhdrs >= TMPL_HEADERS_MAX)
		return cfail(c, line, MC_ELIMIT, "more than %d header fields",
		             TMPL_HEADERS_MAX);
	for (size_t i = 0; i < t->nhdrs; i++)
		if (mc_ieq(name, nlen, t->hdrs[i].name))
			return cfail(c, line, MC_EDATA, "%.*s given twice",
			             (int)nlen, name);
	struct thdr *h = &t->hdrs[t->nhdrs++];
	h->name = xstrndup(name, nlen);
	if (mc_ieq(name, nlen, "List-Id"))
		t->has_list_id = true;
	return compile_text(c, &h->val, v, vlen, line);
}

/* Check an https URL prefix from the options (printable, no spaces). */
static bool
url_ok(const char *u)
{
	if (strncmp(u, "https://", 8) != 0 || strlen(u) < 9 || strlen(u) > 512)
		return false;
	for (const char *p = u; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || strchr("<>\"'\\`{}|^", *p))
			return false;
	return true;
}

/* Set the per-campaign strings and their defaults. */
static int
compile_options(struct compiler *c, struct tmpl *t,
                const struct tmpl_options *opt)
{
	char err[256];
	struct addr a;
	const char *dom = t->from.domain;

	t->campaign = xstrdup(opt && opt->campaign ? opt->campaign : "");
	for (const char *p = t->campaign; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return cfail(c, 0, MC_EDATA,
			             "campaign name has a control character");
	if (opt && opt->unsubscribe_url)
		t->unsub_url = xstrdup(opt->unsubscribe_url);
	else
		t->unsub_url = xasprintf("https://%s" TMPL_UNSUB_PATH, dom);
	if (!url_ok(t->unsub_url))
		return cfail(
		    c, 0, MC_ECONFIG,
		    "unsubscribe URL '%s' must start with https:// and "
		    "contain no spaces, quotes or angle brackets",
		    t->unsub_url);
	if (opt && opt->unsubscribe_mailto)
		t->unsub_mailto = xstrdup(opt->unsubscribe_mailto);
	else
		t->unsub_mailto = xasprintf("unsubscribe@%s", dom);
	if (addr_parse(t->unsub_mailto, strlen(t->unsub_mailto), &a, err,
	               sizeof(err)) != 0 ||
	    strpbrk(t->unsub_mailto, "\"%?&") != NULL)
		return cfail(c, 0, MC_ECONFIG,
		             "unsubscribe mailto address '%s': %s",
		             t->unsub_mailto,
		             err[0] ? err : "needs no quotes, '%', '?' or '&'");
	if (opt && opt->msgid_domain)
		t->msgid_domain = xstrdup(opt->msgid_domain);
	else
		t->msgid_domain = xstrdup(dom);
	if (!addr_domain_valid(t->msgid_domain, strlen(t->msgid_domain)))
		return cfail(c, 0, MC_ECONFIG,
		             "Message-ID domain '%s' is not "
		             "a host name",
		             t->msgid_domain);
	return 0;
}

/* Random boundaries containing "=_", which neither quoted-printable nor
 * base64 can produce, and which 7bit bodies are checked for. */
static void
make_boundaries(struct tmpl *t)
{
	unsigned char r[16];

	if (RAND_bytes(r, sizeof(r)) != 1)
		memset(r, 0x5a, sizeof(r));
	snprintf(t->alt_boundary, sizeof(t->alt_boundary),
	         "=_mc_alt_%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2],
	         r[3], r[4], r[5], r[6], r[7]);
	snprintf(t->mix_boundary, sizeof(t->mix_boundary),
	         "=_mc_mix_%02x%02x%02x%02x%02x%02x%02x%02x", r[8], r[9], r[10],
	         r[11], r[12], r[13], r[14], r[15]);
}

/* Compile the body sections after the header block. */
static int
compile_body(struct compiler *c, struct tmpl *t, const char *s, size_t n,
             unsigned long line)
{
	struct tpart *cur = &t->text;
	size_t start = 0, i = 0;
	unsigned long start_line = line;
	bool seen_text_marker = false;

	while (i <= n) {
		size_t e = i;
		while (e < n && s[e] != '\n')
			e++;
		size_t le = e;
		while (le > i && (s[le - 1] == '\r' || s[le - 1] == ' ' ||
		                  s[le - 1] == '\t'))
			le--;
		if (le - i >= 2 && s[i] == '%' && s[i + 1] == '%') {
			int rc;
			bool html = mc_ieq(s + i, le - i, "%% html");
			bool text = mc_ieq(s + i, le - i, "%% text");
			if (!html && !text)
				return cfail(
				    c, line, MC_EDATA,
				    "unknown section '%.*s' (expected '%%%% "
				    "text' or '%%%% html')",
				    (int)(le - i), s + i);
			if (text &&
			    (cur != &t->text || seen_text_marker || start != i))
				return cfail(
				    c, line, MC_EDATA,
				    "'%%%% text' must come first, once");
			if (html && t->has_html)
				return cfail(c, line, MC_EDATA,
				             "a second '%%%% html' section");
			if ((rc = compile_text(c, cur, s + start, i - start,
			                       start_line)) != 0)
				return rc;
			if (html) {
				t->has_html = true;
				cur = &t->html;
			} else {
				seen_text_marker = true;
			}
			start = e + 1;
			start_line = line + 1;
		}
		if (e >= n)
			break;
		i = e + 1;
		line++;
	}
	if (start < n) {
		int rc = compile_text(c, cur, s + start, n - start, start_line);
		if (rc != 0)
			return rc;
	}
	bool blank = true;
	for (size_t k = 0; k < t->text.n && blank; k++) {
		if (t->text.v[k].kind != SEG_LIT)
			blank = false;
		for (size_t j = 0; blank && j < t->text.v[k].len; j++)
			if (!isspace((unsigned char)t->text.v[k].s[j]))
				blank = false;
	}
	if (blank)
		return cfail(
		    c, line, MC_EDATA,
		    "the text body is empty (every message needs a text part)");
	return 0;
}

/* The index of url[0..len) in opt's links, or -1. */
static int
track_index(const struct tmpl_options *opt, const char *url, size_t len)
{
	for (size_t i = 0; i < opt->nlinks; i++)
		if (strlen(opt->links[i]) == len &&
		    memcmp(opt->links[i], url, len) == 0)
			return (int)i;
	return -1;
}

/* Split the literals of p at each stored link (in HTML only href
 * values), as SEG_LINK segments. */
static void
track_part(struct tpart *p, bool html, const struct tmpl_options *opt)
{
	struct tpart np = {NULL, 0};

	for (size_t k = 0; k < p->n; k++) {
		struct seg *g = &p->v[k];
		size_t lit = 0;

		if (g->kind != SEG_LIT) {
			*part_add(&np, g->kind) = *g;
			continue;
		}
		for (size_t i = 0; i < g->len; i++) {
			size_t len = msg_link_len(g->s + i, g->len - i);
			int idx;

			if (len == 0)
				continue;
			if (html ? i < 6 ||
			               strncasecmp(g->s + i - 6, "href=", 5) !=
			                   0 ||
			               (g->s[i - 1] != '"' &&
			                g->s[i - 1] != '\'')
			         : i > 0 && strchr(" \t\n(<\"'", g->s[i - 1]) ==
			                        NULL)
				continue;
			/* runs into a merge field: personalised, left alone */
			if (i + len == g->len && k + 1 < p->n)
				continue;
			if ((idx = track_index(opt, g->s + i, len)) < 0)
				continue;
			part_lit(&np, g->s + lit, i - lit);
			struct seg *l = part_add(&np, SEG_LINK);
			l->idx = (size_t)idx;
			l->s = xstrndup(g->s + i, len);
			l->len = len;
			i += len - 1;
			lit = i + 1;
		}
		part_lit(&np, g->s + lit, g->len - lit);
		free(g->s);
	}
	free(p->v);
	*p = np;
}

/* Tracked links and the open pixel, when opt asks for them. */
static void
track_prepare(struct tmpl *t, const struct tmpl_options *opt)
{
	const char *u = t->unsub_url, *h, *e;

	if (opt->nlinks == 0 && !opt->track_opens)
		return;
	h = strstr(u, "://");
	h = h ? h + 3 : u;
	e = strchr(h, '/');
	t->track_base = xstrndup(u, e ? (size_t)(e - u) : strlen(u));
	if (opt->nlinks > 0) {
		track_part(&t->text, false, opt);
		track_part(&t->html, true, opt);
	}
	if (opt->track_opens && t->has_html) {
		struct seg *last = t->html.n ? &t->html.v[t->html.n - 1] : NULL;
		char *body = NULL;

		if (last && last->kind == SEG_LIT)
			body = strcasestr(last->s, "</body>");
		if (body != NULL) {
			char *tail = xstrdup(body);

			last->len = (size_t)(body - last->s);
			last->s[last->len] = '\0';
			part_add(&t->html, SEG_OPEN);
			part_lit(&t->html, tail, strlen(tail));
			free(tail);
		} else {
			part_add(&t->html, SEG_OPEN);
		}
	}
}

int
tmpl_compile(const char *name, const char *src, size_t len,
             const char *const *fields, size_t nfields, const char *dir,
             const struct tmpl_options *opt, struct tmpl **out, char *err,
             size_t errsz)
{
	struct compiler c = {name, fields, nfields, err, errsz};
	struct tmpl *t;
	unsigned long line = 1;
	size_t i = 0, att_total = 0;
	int rc = 0;

	*out = NULL;
	if (errsz > 0)
		err[0] = '\0';
	if (len > TMPL_SRC_MAX)
		return cfail(&c, 0, MC_ELIMIT, "template larger than %d KiB",
		             TMPL_SRC_MAX >> 10);
	if (nfields > TMPL_FIELDS_MAX)
		return cfail(&c, 0, MC_ELIMIT, "more than %d fields",
		             TMPL_FIELDS_MAX);
	/* Whole-file checks first, so later code sees clean UTF-8. */
	for (size_t k = 0, l = 1; k < len;) {
		size_t u =
		    utf8_decode((const unsigned char *)src + k, len - k, NULL);
		if (u == 0)
			return cfail(
			    &c, l, MC_EDATA,
			    "invalid UTF-8 (templates are UTF-8 text)");
		if (src[k] == '\0')
			return cfail(&c, l, MC_EDATA, "NUL byte in template");
		if (src[k] == '\n')
			l++;
		k += u;
	}
	t = xcalloc(1, sizeof(*t));
	t->name = xstrdup(name);
	t->nfields = nfields;
	/* Skip a UTF-8 byte order mark. */
	if (len >= 3 && memcmp(src, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	/* The header block: "Name: value", folded lines, '#' comments. */
	bool body_found = false;
	struct buf val;
	buf_init(&val);
	char hname[80];
	size_t hlen = 0;
	unsigned long hline = 0;
	while (i < len) {
		size_t e = i;
		while (e < len && src[e] != '\n')
			e++;
		size_t le = e;
		if (le > i && src[le - 1] == '\r')
			le--;
		bool cont = le > i && (src[i] == ' ' || src[i] == '\t');
		if (!cont && hlen > 0) {
			rc = compile_header(&c, t, hname, hlen, buf_cstr(&val),
			                    buf_len(&val), hline, dir,
			                    &att_total);
			hlen = 0;
			if (rc != 0)
				goto fail;
		}
		if (le == i) {
			body_found = true;
			i = e + 1;
			line++;
			break;
		}
		if (src[i] == '#' && !cont) {
			/* comment */
		} else if (cont) {
			if (hname[0] == '\0' || hlen == 0) {
				rc = cfail(&c, line, MC_EDATA,
				           "continuation line without a header "
				           "above it");
				goto fail;
			}
			size_t b = i;
			while (b < le && (src[b] == ' ' || src[b] == '\t'))
				b++;
			buf_putc(&val, ' ');
			buf_append(&val, src + b, le - b);
		} else {
			const char *colon = memchr(src + i, ':', le - i);
			size_t nl = colon ? (size_t)(colon - (src + i)) : 0;
			bool ok = colon != NULL && nl > 0 && nl < sizeof(hname);
			for (size_t k = i; ok && k < i + nl; k++)
				if (src[k] <= ' ' || src[k] >= 0x7f)
					ok = false;
			if (!ok) {
				rc = cfail(
				    &c, line, MC_EDATA,
				    "expected a header 'Name: value' or a "
				    "blank line before the body, got '%.*s'",
				    (int)(le - i > 40 ? 40 : le - i), src + i);
				goto fail;
			}
			memcpy(hname, src + i, nl);
			hname[nl] = '\0';
			hlen = nl;
			hline = line;
			buf_reset(&val);
			size_t b = i + nl + 1;
			while (b < le && (src[b] == ' ' || src[b] == '\t'))
				b++;
			buf_append(&val, src + b, le - b);
		}
		if (buf_len(&val) > TMPL_HEADER_MAX) {
			rc = cfail(&c, hline, MC_ELIMIT,
			           "header %s longer than %d octets", hname,
			           TMPL_HEADER_MAX);
			goto fail;
		}
		i = e + 1;
		line++;
	}
	if (!body_found) {
		rc = cfail(&c, line, MC_EDATA,
		           "no blank line between the headers and the body");
		goto fail;
	}
	if (t->from_line == NULL) {
		rc = cfail(&c, 1, MC_EDATA, "missing header From");
		goto fail;
	}
	if (!t->has_subject) {
		rc = cfail(&c, 1, MC_EDATA, "missing header Subject");
		goto fail;
	}
	if ((rc = compile_body(&c, t, src + i, i < len ? len - i : 0, line)) !=
	    0)
		goto fail;
	if ((rc = compile_options(&c, t, opt)) != 0)
		goto fail;
	if (opt != NULL)
		track_prepare(t, opt);
	part_prepare_body(&t->text);
	part_prepare_body(&t->html);
	if (!t->has_list_id)
		t->list_id_line = xasprintf(
		    "List-Id: <%s.%s>\r\n",
		    t->from.utf8 ? "list" : t->from.local, t->from.domain);
	make_boundaries(t);
	buf_fini(&val);
	*out = t;
	return 0;
fail:
	buf_fini(&val);
	tmpl_free(t);
	return rc;
}

int
tmpl_load(const char *path, const char *const *fields, size_t nfields,
          const struct tmpl_options *opt, struct tmpl **out, char *err,
          size_t errsz)
{
	FILE *fp;
	struct buf b;
	char chunk[65536], dir[4096];
	size_t n;
	int rc;

	*out = NULL;
	if ((fp = fopen(path, "rb")) == NULL) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return MC_EIO;
	}
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		buf_append(&b, chunk, n);
		if (buf_len(&b) > TMPL_SRC_MAX)
			break;
	}
	fclose(fp);
	mc_strlcpy(dir, path, sizeof(dir));
	char *slash = strrchr(dir, '/');
	if (slash != NULL)
		*slash = '\0';
	else
		strcpy(dir, ".");
	rc = tmpl_compile(path, buf_cstr(&b), buf_len(&b), fields, nfields, dir,
	                  opt, out, err, errsz);
	buf_fini(&b);
	return rc;
}

void
tmpl_free(struct tmpl *t)
{
	if (t == NULL)
		return;
	free(t->name);
	free(t->from_line);
	free(t->reply_to_line);
	free(t->list_id_line);
	part_free(&t->subject);
	part_free(&t->to_name);
	for (size_t i = 0; i < t->nhdrs; i++) {
		free(t->hdrs[i].name);
		part_free(&t->hdrs[i].val);
	}
	part_free(&t->text);
	part_free(&t->html);
	for (size_t i = 0; i < t->natt; i++)
		free(t->att[i]);
	free(t->unsub_url);
	free(t->track_base);
	free(t->unsub_mailto);
	free(t->msgid_domain);
	free(t->campaign);
	free(t);
}

const char *
tmpl_from_addr(const struct tmpl *t)
{
	return t->from_spec;
}

const char *
tmpl_from_domain(const struct tmpl *t)
{
	return t->from.domain;
}
