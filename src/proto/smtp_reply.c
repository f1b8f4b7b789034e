/*
 * smtp_reply.c — see smtp_reply.h.
 */
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "proto/smtp_reply.h"

void
smtp_reply_parser_init(struct smtp_reply_parser *p)
{
	memset(p, 0, sizeof(*p));
	buf_init(&p->line);
	buf_init(&p->text);
}

void
smtp_reply_parser_fini(struct smtp_reply_parser *p)
{
	buf_fini(&p->line);
	buf_fini(&p->text);
}

bool
smtp_reply_parser_busy(const struct smtp_reply_parser *p)
{
	return buf_len(&p->line) > 0 || p->code != 0;
}

static int
fail(struct smtp_reply_parser *p, int err, const char *what, const char *line,
     size_t len)
{
	char shown[64];
	size_t n = 0;

	/* Show a printable prefix of the offending line: never raw bytes. */
	for (size_t i = 0; i < len && n + 4 < sizeof(shown); i++) {
		unsigned char c = (unsigned char)line[i];
		shown[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	shown[n] = '\0';
	snprintf(p->last_error, sizeof(p->last_error), "%s%s%s%s", what,
	         n ? ": \"" : "", shown, n ? (len > n ? "...\"" : "\"") : "");
	p->failed = err;
	return err;
}

size_t
smtp_enhanced_code(const char *text, size_t len, char enh[16])
{
	size_t i = 0, part = 0, digits = 0;

	enh[0] = '\0';
	if (len < 5 || (text[0] != '2' && text[0] != '4' && text[0] != '5'))
		return 0;
	for (i = 0; i < len && i < 15; i++) {
		char c = text[i];
		if (c >= '0' && c <= '9') {
			if (++digits > 3 || (part == 0 && digits > 1))
				return 0;
		} else if (c == '.') {
			if (digits == 0 || ++part > 2)
				return 0;
			digits = 0;
		} else {
			break;
		}
	}
	if (part != 2 || digits == 0)
		return 0;
	if (i < len && text[i] != ' ' && text[i] != '\t')
		return 0;
	memcpy(enh, text, i);
	enh[i] = '\0';
	return i < len ? i + 1 : i;
}

/* One complete line (without its line end): add it to the reply. */
static int
take_line(struct smtp_reply_parser *p, const char *s, size_t n, bool *done)
{
	int code;

	*done = false;
	if (n < 3 || s[0] < '2' || s[0] > '5' || s[1] < '0' || s[1] > '9' ||
	    s[2] < '0' || s[2] > '9' || (n > 3 && s[3] != ' ' && s[3] != '-'))
		return fail(p, MC_EPROTO, "malformed reply line", s, n);
	code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	if (p->code != 0 && code != p->code)
		return fail(p, MC_EPROTO,
		            "continuation line with a different reply code", s,
		            n);
	p->code = code;
	if (++p->nlines > SMTP_REPLY_LINES_MAX)
		return fail(p, MC_ELIMIT, "reply has too many lines", NULL, 0);
	if (p->nlines > 1)
		buf_putc(&p->text, '\n');
	if (n > 4)
		buf_append(&p->text, s + 4, n - 4);
	if (buf_len(&p->text) > SMTP_REPLY_TEXT_MAX)
		return fail(p, MC_ELIMIT, "reply text too long", NULL, 0);
	*done = (n == 3 || s[3] == ' ');
	return 0;
}

int
smtp_reply_parse(struct smtp_reply_parser *p, const char *data, size_t len,
                 size_t *used, const struct smtp_reply **out)
{
	size_t off = 0;

	*used = 0;
	if (p->failed)
		return p->failed;
	if (p->code == 0 && p->nlines == 0)
		buf_reset(&p->text);
	while (off < len) {
		const char *nl = memchr(data + off, '\n', len - off);
		size_t take = nl ? (size_t)(nl - (data + off)) : len - off;
		const char *line;
		size_t llen;
		bool done;
		int rc;

		if (buf_len(&p->line) + take > SMTP_REPLY_LINE_MAX) {
			*used = off + take;
			return fail(
			    p, MC_ELIMIT, "reply line longer than 4096 bytes",
			    buf_len(&p->line) ? buf_cstr(&p->line) : data + off,
			    buf_len(&p->line) ? buf_len(&p->line) : take);
		}
		if (nl == NULL) {
			buf_append(&p->line, data + off, take);
			off = len;
			break;
		}
		if (buf_len(&p->line) > 0) {
			buf_append(&p->line, data + off, take);
			line = buf_cstr(&p->line);
			llen = buf_len(&p->line);
		} else {
			line = data + off;
			llen = take;
		}
		off += take + 1;
		if (llen > 0 && line[llen - 1] == '\r')
			llen--;
		rc = take_line(p, line, llen, &done);
		buf_reset(&p->line);
		if (rc < 0) {
			*used = off;
			return rc;
		}
		if (done) {
			struct smtp_reply *r = &p->reply;
			r->code = p->code;
			r->text = buf_cstr(&p->text);
			r->text_len = buf_len(&p->text);
			r->nlines = p->nlines;
			smtp_enhanced_code(r->text, r->text_len, r->enh);
			if (r->enh[0] != '\0' && r->enh[0] != r->text[0])
				r->enh[0] = '\0';
			if (r->enh[0] != '\0' &&
			    r->enh[0] - '0' != r->code / 100)
				r->enh[0] = '\0';
			p->code = 0;
			p->nlines = 0;
			*used = off;
			*out = r;
			return 1;
		}
	}
	*used = off;
	return 0;
}
