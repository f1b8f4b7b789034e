/*
 * render.c — one message per recipient from a compiled template.
 *
 * Values are made safe where they land: in a header every control
 * character (CR, LF, NUL included) becomes a space and the value is cut to
 * TMPL_HVALUE_MAX octets before the header is encoded and folded; in the
 * text part NUL and controls other than tab and line ends are dropped; in
 * the HTML part the value is also HTML-escaped.  Bodies are then encoded
 * (7bit only when safe, else quoted-printable or base64) and the
 * boundaries contain "=_", which no encoded body can, so no value can end
 * a part or add one.  The template's literal body text was encoded at
 * compile time (template_int.h): per message only the values and the
 * lines they stand on are encoded, with the octets encoding the whole part
 * would give.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "base/error.h"
#include "base/utf8.h"
#include "base/xmalloc.h"
#include "msg/mime.h"
#include "msg/links.h"
#include "msg/template_int.h"

#define RENDER_ERR_MAX 256

enum render_mode {
	MODE_HEADER,
	MODE_TEXT,
	MODE_HTML,
};

struct msg_render {
	struct buf raw, enc;
	struct buf vals; /* a body part's merge values, made safe */
	size_t *voff;    /* per segment: offset and length in vals */
	size_t *vlen;
	size_t nv; /* room in voff and vlen */
	uint64_t rng;
	char email[ADDR_PATH_MAX + 1];
	char unsub[1024];
	char link[MSG_LINK_URL_MAX + 256]; /* a tracked link or pixel */
	char err[RENDER_ERR_MAX];
};

struct msg_render *
msg_render_new(void)
{
	struct msg_render *r = xcalloc(1, sizeof(*r));

	buf_init(&r->raw);
	buf_init(&r->enc);
	buf_init(&r->vals);
	if (RAND_bytes((unsigned char *)&r->rng, sizeof(r->rng)) != 1)
		r->rng = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)r;
	r->rng |= 1;
	return r;
}

void
msg_render_free(struct msg_render *r)
{
	if (r == NULL)
		return;
	buf_fini(&r->raw);
	buf_fini(&r->enc);
	buf_fini(&r->vals);
	free(r->voff);
	free(r->vlen);
	free(r);
}

const char *
msg_render_error(const struct msg_render *r)
{
	return r->err;
}

/* Append v in decimal (printf is a tenth of the render time otherwise). */
static void
put_u64(struct buf *out, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	buf_append(out, tmp + i, sizeof(tmp) - i);
}

/* Append "--BOUNDARY" + suffix. */
static void
put_boundary(struct buf *out, const char *b, const char *suffix)
{
	buf_append(out, "--", 2);
	buf_puts(out, b);
	buf_puts(out, suffix);
}

/* xorshift64: Message-ID uniqueness, not secrecy. */
static uint64_t
next_rand(struct msg_render *r)
{
	r->rng ^= r->rng << 13;
	r->rng ^= r->rng >> 7;
	r->rng ^= r->rng << 17;
	return r->rng;
}

/* A body value: drop NUL and controls except tab and line ends, replace
 * invalid UTF-8; in HTML mode escape it as well. */
static void
put_body_value(struct buf *out, const char *s, size_t n, bool html)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t run = 0, i = 0;

	/* Fast path: copy runs of plain bytes, stop at anything special. */
	while (i < n) {
		unsigned char c = u[i];
		if (c >= 0x20 && c < 0x7f &&
		    !(html && (c == '&' || c == '<' || c == '>' || c == '"' ||
		               c == '\''))) {
			i++;
			continue;
		}
		if (c == '\t' || c == '\n' || c == '\r') {
			i++;
			continue;
		}
		buf_append(out, s + run, i - run);
		if (c >= 0x80) {
			size_t k = utf8_decode(u + i, n - i, NULL);
			if (k == 0) {
				buf_append(out, "\xef\xbf\xbd", 3);
				k = 1;
			} else {
				buf_append(out, s + i, k);
			}
			i += k;
		} else if (c >= 0x20 && c < 0x7f) {
			mime_html_escape(out, s + i, 1);
			i++;
		} else {
			i++; /* NUL, other C0 controls, DEL: dropped */
		}
		run = i;
	}
	buf_append(out, s + run, n - run);
}

/* A tracked link or the open pixel for rc (links.h) into r->link; a
 * link's own URL (the pixel: "") without a key. */
static const char *
track_url(struct msg_render *r, const struct tmpl *t, const struct seg *g,
          const struct msg_recipient *rc)
{
	char mac[MSG_LINK_MAC_HEX + 1];
	int idx = g->kind == SEG_LINK ? (int)g->idx : -1;

	if (rc->link_key == NULL)
		return g->kind == SEG_LINK ? g->s : "";
	msg_link_mac(rc->link_key, rc->link_key_len, rc->token, idx, mac);
	if (g->kind == SEG_LINK)
		snprintf(r->link, sizeof(r->link), "%s/c/%s-%d-%s",
		         t->track_base, rc->token, idx, mac);
	else
		snprintf(r->link, sizeof(r->link),
		         "<img src=\"%s/o/%s-%s.gif\" width=\"1\" "
		         "height=\"1\" alt=\"\">",
		         t->track_base, rc->token, mac);
	return r->link;
}

/* The value a non-literal segment stands for: *v NULL if none. */
static void
seg_value(struct msg_render *r, const struct tmpl *t, const struct seg *g,
          const struct msg_recipient *rc, const char **v, size_t *vlen)
{
	*v = NULL;
	*vlen = 0;
	switch (g->kind) {
	case SEG_LIT:
		break;
	case SEG_FIELD:
		if (g->idx < rc->nvalues && rc->values[g->idx].s &&
		    rc->values[g->idx].len > 0) {
			*v = rc->values[g->idx].s;
			*vlen = rc->values[g->idx].len;
		} else if (g->s != NULL) {
			*v = g->s;
			*vlen = g->len;
		}
		break;
	case SEG_EMAIL:
		*v = r->email;
		break;
	case SEG_UNSUB:
		*v = r->unsub;
		break;
	case SEG_CAMPAIGN:
		*v = t->campaign;
		break;
	case SEG_TOKEN:
		*v = rc->token;
		break;
	case SEG_LINK:
	case SEG_OPEN:
		*v = track_url(r, t, g, rc);
		break;
	}
	if (*v != NULL && *vlen == 0)
		*vlen = strlen(*v);
}

/* Render one part into out in the given mode. */
static void
render_part(struct msg_render *r, const struct tmpl *t, const struct tpart *p,
            const struct msg_recipient *rc, enum render_mode mode,
            struct buf *out)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct seg *g = &p->v[i];
		const char *v;
		size_t vlen;

		if (g->kind == SEG_LIT) {
			buf_append(out, g->s, g->len);
			continue;
		}
		seg_value(r, t, g, rc, &v, &vlen);
		if (v == NULL)
			continue;
		if (mode == MODE_HEADER)
			mime_sanitize(out, v, vlen, TMPL_HVALUE_MAX);
		else
			put_body_value(out, v, vlen,
			               mode == MODE_HTML &&
			                   g->kind != SEG_LINK &&
			                   g->kind != SEG_OPEN);
	}
}

/* A header from a template part: rendered, sanitised, encoded, folded. */
static void
put_header(struct msg_render *r, const struct tmpl *t, const char *name,
           const struct tpart *p, const struct msg_recipient *rc,
           struct buf *out)
{
	buf_reset(&r->raw);
	buf_reset(&r->enc);
	render_part(r, t, p, rc, MODE_HEADER, &r->raw);
	/* Literal text was checked at compile; this catches the rest. */
	mime_sanitize(&r->enc, buf_cstr(&r->raw), buf_len(&r->raw),
	              TMPL_HEADER_MAX + TMPL_HVALUE_MAX);
	mime_header_text(out, name, buf_cstr(&r->enc), buf_len(&r->enc));
}

/* Two decimal digits of v (0-99) at p. */
static void
put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

/* RFC 5322 date-time in UTC, independent of the locale.  The calendar
 * part is worked out once per day; the time of day per call. */
static void
put_date(struct buf *out, time_t now)
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed",
	                                "Thu", "Fri", "Sat"};
	static const char mons[12][4] = {"Jan", "Feb", "Mar", "Apr",
	                                 "May", "Jun", "Jul", "Aug",
	                                 "Sep", "Oct", "Nov", "Dec"};
	static _Thread_local time_t day_start = (time_t)-1;
	static _Thread_local char line[64];
	static _Thread_local size_t hms; /* offset of "HH:MM:SS" */
	struct tm tm;

	if (day_start == (time_t)-1 || now < day_start ||
	    now - day_start >= 86400) {
		gmtime_r(&now, &tm);
		int n = snprintf(
		    line, sizeof(line),
		    "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
		    days[tm.tm_wday], tm.tm_mday, mons[tm.tm_mon],
		    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
		hms = (size_t)n - 16;
		day_start =
		    now - (tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec);
	}
	long s = (long)(now - day_start);
	put2(line + hms, (int)(s / 3600));
	put2(line + hms + 3, (int)(s / 60 % 60));
	put2(line + hms + 6, (int)(s % 60));
	buf_append(out, line, hms + 16);
}

/* A 7bit body: the literals' CRLF forms and the values with their LFs
 * made CRLF, written into room reserved once (a 50 KiB letter has 1,400
 * pieces); a final CRLF when eol. */
static void
put_7bit(const struct tpart *p, const char *vals, const size_t *voff,
         const size_t *vlen, bool eol, struct buf *out)
{
	size_t need = 2;
	unsigned char *o, *start;

	for (size_t i = 0; i < p->n; i++)
		need +=
		    p->v[i].kind == SEG_LIT ? p->v[i].crlf_len : 2 * vlen[i];
	o = start = buf_reserve(out, need);
	for (size_t i = 0; i < p->n; i++) {
		const struct seg *g = &p->v[i];

		if (g->kind == SEG_LIT) {
			memcpy(o, g->crlf, g->crlf_len);
			o += g->crlf_len;
		} else {
			o = mime_crlf_into(o, vals + voff[i], vlen[i]);
		}
	}
	if (eol) {
		*o++ = '\r';
		*o++ = '\n';
	}
	buf_commit(out, (size_t)(o - start));
}

/* Headers and encoded body of one text part ("text/plain" or "html").
 * The merge values are made safe first and the transfer encoding is
 * chosen from them and what was learnt of the literals at compile time;
 * a 7bit or quoted-printable body is then the literals' encoded forms
 * with the values (and the lines they stand on) encoded in between, a
 * base64 body is encoded whole.  Every way gives the octets that
 * mime_choose_cte() and mime_encode_body() of the whole part would. */
static void
put_text_part(struct msg_render *r, const struct tmpl *t, const struct tpart *p,
              const struct msg_recipient *rc, bool html, struct buf *out)
{
	static const char ct_text[] =
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: ";
	static const char ct_html[] =
	    "Content-Type: text/html; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: ";
	struct mime_cte_run run = {0};
	struct mime_piece pc;

	if (r->nv < p->n) {
		r->voff = xreallocarray(r->voff, p->n, sizeof(*r->voff));
		r->vlen = xreallocarray(r->vlen, p->n, sizeof(*r->vlen));
		r->nv = p->n;
	}
	buf_reset(&r->vals);
	for (size_t i = 0; i < p->n; i++) {
		const struct seg *g = &p->v[i];
		const char *v;
		size_t vlen, off = buf_len(&r->vals);

		if (g->kind == SEG_LIT) {
			mime_run_add(&run, &g->piece);
			continue;
		}
		seg_value(r, t, g, rc, &v, &vlen);
		if (v != NULL)
			put_body_value(&r->vals, v, vlen,
			               html && g->kind != SEG_LINK &&
			                   g->kind != SEG_OPEN);
		r->voff[i] = off;
		r->vlen[i] = buf_len(&r->vals) - off;
		mime_piece_scan(&pc, buf_cstr(&r->vals) + off, r->vlen[i]);
		mime_run_add(&run, &pc);
	}
	enum mime_cte cte = mime_run_cte(&run);
	if (html)
		buf_append(out, ct_html, sizeof(ct_html) - 1);
	else
		buf_append(out, ct_text, sizeof(ct_text) - 1);
	buf_puts(out, mime_cte_name(cte));
	buf_append(out, "\r\n\r\n", 4);
	const char *vals = buf_cstr(&r->vals);
	buf_reset(&r->raw);
	switch (cte) {
	case MIME_7BIT:
		put_7bit(p, vals, r->voff, r->vlen, run.prev != '\n', out);
		return;
	case MIME_QP:
		/* r->raw gathers the lines a value stands on, from just
		 * after one literal's last LF to the next literal's first. */
		for (size_t i = 0; i < p->n; i++) {
			const struct seg *g = &p->v[i];
			if (g->kind != SEG_LIT) {
				buf_append(&r->raw, vals + r->voff[i],
				           r->vlen[i]);
			} else if (!g->piece.has_lf) {
				buf_append(&r->raw, g->s, g->len);
			} else {
				buf_append(&r->raw, g->s, g->mid_b);
				mime_encode_body(out, MIME_QP,
				                 buf_cstr(&r->raw),
				                 buf_len(&r->raw));
				buf_reset(&r->raw);
				buf_append(out, g->qp_mid, g->qp_mid_len);
				buf_append(&r->raw, g->s + g->mid_e,
				           g->len - g->mid_e);
			}
		}
		if (buf_len(&r->raw) > 0)
			mime_encode_body(out, MIME_QP, buf_cstr(&r->raw),
			                 buf_len(&r->raw));
		return;
	case MIME_BASE64:
		break;
	}
	for (size_t i = 0; i < p->n; i++) {
		const struct seg *g = &p->v[i];
		if (g->kind == SEG_LIT)
			buf_append(&r->raw, g->s, g->len);
		else
			buf_append(&r->raw, vals + r->voff[i], r->vlen[i]);
	}
	mime_encode_body(out, cte, buf_cstr(&r->raw), buf_len(&r->raw));
}

/* The text part alone, or text + HTML as multipart/alternative. */
static void
put_content(struct msg_render *r, const struct tmpl *t,
            const struct msg_recipient *rc, struct buf *out)
{
	if (!t->has_html) {
		put_text_part(r, t, &t->text, rc, false, out);
		return;
	}
	buf_puts(out, "Content-Type: multipart/alternative;\r\n boundary=\"");
	buf_puts(out, t->alt_boundary);
	buf_puts(out, "\"\r\n\r\n");
	put_boundary(out, t->alt_boundary, "\r\n");
	put_text_part(r, t, &t->text, rc, false, out);
	put_boundary(out, t->alt_boundary, "\r\n");
	put_text_part(r, t, &t->html, rc, true, out);
	put_boundary(out, t->alt_boundary, "--\r\n");
}

/* Is the token safe in a local part and a URL (base32 or similar)? */
static bool
token_ok(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') ||
		      (s[n] >= 'A' && s[n] <= 'Z') ||
		      (s[n] >= '0' && s[n] <= '9')))
			return false;
	return n > 0 && n <= 56;
}

int
msg_render_one(struct msg_render *r, const struct tmpl *t,
               const struct msg_recipient *rc, time_t now, struct buf *out)
{
	struct addr to;
	size_t start = buf_len(out);

	r->err[0] = '\0';
	if (rc->email == NULL || addr_parse(rc->email, strlen(rc->email), &to,
	                                    r->err, sizeof(r->err)) != 0) {
		char tmp[RENDER_ERR_MAX];
		memcpy(tmp, r->err, sizeof(tmp));
		snprintf(r->err, sizeof(r->err), "recipient address: %.200s",
		         tmp);
		return MC_EDATA;
	}
	if (rc->token == NULL || !token_ok(rc->token)) {
		snprintf(r->err, sizeof(r->err),
		         "recipient token must be 1 to 56 letters and digits");
		return MC_EDATA;
	}
	addr_format(&to, r->email, sizeof(r->email));
	size_t ul = strlen(t->unsub_url), tl = strlen(rc->token);
	/* Both bounded: the URL at compile (512), the token above (56). */
	memcpy(r->unsub, t->unsub_url, ul);
	memcpy(r->unsub + ul, rc->token, tl + 1);

	buf_puts(out, t->from_line);
	if (t->to_name.n > 0) {
		buf_reset(&r->raw);
		buf_reset(&r->enc);
		render_part(r, t, &t->to_name, rc, MODE_HEADER, &r->raw);
		mime_sanitize(&r->enc, buf_cstr(&r->raw), buf_len(&r->raw),
		              ADDR_NAME_MAX);
		/* Leading and trailing spaces (empty fields) say nothing. */
		const char *nm = buf_cstr(&r->enc);
		size_t nl = buf_len(&r->enc);
		while (nl > 0 && *nm == ' ')
			nm++, nl--;
		while (nl > 0 && nm[nl - 1] == ' ')
			nl--;
		mime_header_addr(out, "To", nm, nl, r->email);
	} else {
		mime_header_addr(out, "To", "", 0, r->email);
	}
	put_header(r, t, "Subject", &t->subject, rc, out);
	put_date(out, now);
	buf_puts(out, "Message-ID: <");
	put_u64(out, (uint64_t)now);
	buf_putc(out, '.');
	put_u64(out, rc->campaign_id);
	buf_putc(out, '.');
	put_u64(out, rc->contact_id);
	buf_putc(out, '.');
	put_u64(out, next_rand(r) & 0xffffffffu);
	buf_putc(out, '@');
	buf_puts(out, t->msgid_domain);
	buf_puts(out, ">\r\nMIME-Version: 1.0\r\nList-Unsubscribe: <");
	buf_puts(out, r->unsub);
	buf_puts(out, ">,\r\n <mailto:");
	buf_puts(out, t->unsub_mailto);
	buf_puts(out, "?subject=unsubscribe%20");
	buf_puts(out, rc->token);
	buf_puts(out,
	         ">\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
	if (t->list_id_line != NULL)
		buf_puts(out, t->list_id_line);
	if (t->reply_to_line != NULL)
		buf_puts(out, t->reply_to_line);
	for (size_t i = 0; i < t->nhdrs; i++)
		put_header(r, t, t->hdrs[i].name, &t->hdrs[i].val, rc, out);
	if (t->natt == 0) {
		put_content(r, t, rc, out);
	} else {
		buf_printf(
		    out,
		    "Content-Type: multipart/mixed;\r\n boundary=\"%s\"\r\n\r\n"
		    "--%s\r\n",
		    t->mix_boundary, t->mix_boundary);
		put_content(r, t, rc, out);
		for (size_t i = 0; i < t->natt; i++) {
			buf_printf(out, "--%s\r\n", t->mix_boundary);
			buf_append(out, t->att[i], t->att_len[i]);
		}
		buf_printf(out, "--%s--\r\n", t->mix_boundary);
	}
	if (buf_len(out) - start > MSG_SIZE_MAX) {
		out->end = out->off + start;
		snprintf(r->err, sizeof(r->err), "message larger than %d MiB",
		         MSG_SIZE_MAX >> 20);
		return MC_ETOOBIG;
	}
	return 0;
}

int
msg_verp_sender(const char *token, const char *domain, char *out, size_t outsz)
{
	int n = snprintf(out, outsz, "bounces+%s@%s", token, domain);

	if (n < 0 || (size_t)n >= outsz || strlen(token) + 8 > ADDR_LOCAL_MAX)
		return MC_ELIMIT;
	return 0;
}
