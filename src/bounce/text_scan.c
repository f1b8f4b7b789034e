/*
 * text_scan.c — failed recipients in the plain-text bounces of MTAs that
 * send no delivery-status part (Exim, qmail, old Sendmail, Exchange 2003,
 * Domino, Notes, Gmail, Yahoo, DragonFly, ...).
 *
 * Rather than one parser per product, the scanner reads the human-readable
 * text up to the quoted original message (text_human_end: the family
 * signatures of where the copy starts), takes every address there that is
 * not the sender's or a mailer's own, and gives each the paragraph around
 * it as its diagnostic.  The families differ mostly in how they introduce
 * the copy; their recipient lines all name the address.
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "base/str.h"
#include "bounce/bounce_impl.h"

/* Lines that start the quoted original message, lower case, matched at
 * the start of a line after leading white space and dashes. */
static const char *const copy_markers[] = {
    "below this line is a copy of the message",
    "this is a copy of the message",
    "original message",
    "message headers follow",
    "returned message",
    "original message follows",
    "the header of the original message",
    "headers of the original message",
    "content of the original message",
    "unsent message below",
    "undelivered message",
    "message text follows",
    "included is a copy",
    "returned mail follows",
    "the original message",
    "original message header",
    "copy of message",
};

/* Header fields that, at the start of a line, mean the copy has begun. */
static const char *const copy_headers[] = {
    "received: from ", "received: by ",   "return-path: <",
    "return-path:<",   "dkim-signature:", "x-received:",
    "arc-seal:",       "message-id: <",   "mime-version: 1.0",
};

/* Does the line s[0..n) start the quoted original message? */
static bool
is_copy_line(const char *s, size_t n)
{
	size_t i = 0, dashes = 0;

	for (size_t k = 0; k < sizeof(copy_headers) / sizeof(copy_headers[0]);
	     k++)
		if (mc_istarts(s, n, copy_headers[k]))
			return true;
	while (i < n && (s[i] == '-' || s[i] == ' ' || s[i] == '=' ||
	                 s[i] == '*' || s[i] == '_' || s[i] == '>')) {
		if (s[i] != ' ')
			dashes++;
		i++;
	}
	if (dashes < 2)
		return false;
	for (size_t k = 0; k < sizeof(copy_markers) / sizeof(copy_markers[0]);
	     k++) {
		if (bounce_strcasestr(s + i, n - i, copy_markers[k]) != NULL)
			return true;
	}
	return false;
}

/* Where the human-readable part ends (see bounce_impl.h). */
size_t
text_human_end(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - s) : n;
		if (is_copy_line(s + i, e - i))
			return i;
		i = e + 1;
	}
	return n;
}

/* Local parts that belong to mailers, not to failed recipients. */
static bool
is_mailer_addr(const char *addr)
{
	static const char *const locals[] = {
	    "mailer-daemon@", "postmaster@", "mail-daemon@", "mailerdaemon@",
	    "noreply@",       "no-reply@",   "root@"};

	for (size_t k = 0; k < sizeof(locals) / sizeof(locals[0]); k++)
		if (mc_istarts(addr, strlen(addr), locals[k]))
			return true;
	return false;
}

/* Start of the line holding s[at]. */
static size_t
line_start(const char *s, size_t at)
{
	while (at > 0 && s[at - 1] != '\n')
		at--;
	return at;
}

/* Is the line s[i..e) blank? */
static bool
line_blank(const char *s, size_t i, size_t e)
{
	for (; i < e; i++)
		if (!isspace((unsigned char)s[i]))
			return false;
	return true;
}

/* Skip blank lines from i. */
static size_t
skip_blank(const char *s, size_t n, size_t i)
{
	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - s) : n;
		if (!line_blank(s, i, e))
			return i;
		i = e + 1;
	}
	return n;
}

/*
 * Does the line s[i..e) start with an address other than addr (the next
 * recipient of a list: "  user@example.org", "<user@example.org>:")?
 */
static bool
line_starts_other_addr(const char *s, size_t i, size_t e, const char *addr)
{
	char other[BOUNCE_ADDR_MAX];
	size_t pos = 0, start;

	while (i < e && (s[i] == ' ' || s[i] == '\t'))
		i++;
	/* Sendmail: "554 <user@example.org>... Host unknown" */
	if (i + 4 < e && isdigit((unsigned char)s[i]) && s[i + 3] == ' ')
		i += 4;
	if (i < e && (s[i] == '<' || s[i] == '"'))
		i++;
	if (!bounce_next_addr(s + i, e - i, &pos, other, sizeof(other),
	                      &start) ||
	    start != 0)
		return false;
	return strcmp(other, addr) != 0;
}

/* Does the block hold an SMTP reply code or an enhanced status? */
static bool
has_code(const char *s, size_t n)
{
	char status[16] = "";
	int code = 0;

	bounce_find_codes(s, n, status, sizeof(status), &code);
	return status[0] != '\0' || code != 0;
}

/* The diagnostic paragraph around an address (see bounce_impl.h). */
char *
text_diagnostic_near(const char *s, size_t n, size_t at, const char *addr)
{
	size_t b = line_start(s, at), i, paras = 0;

	/* From the address's line to the end of its paragraph; while that
	 * holds no code, the next paragraph too (up to three); never past
	 * the line of the next recipient. */
	i = b;
	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - s) : n;
		if (i > b && line_starts_other_addr(s, i, e, addr))
			break;
		if (line_blank(s, i, e)) {
			if (++paras >= 3 || has_code(s + b, i - b))
				break;
			i = skip_blank(s, n, i);
			continue;
		}
		i = e < n ? e + 1 : n;
	}
	return bounce_clean_text(s + b, i - b);
}

/*
 * Does the line before an address name the sender's side ("MAIL FROM:",
 * "From:", "Sender:", "Reply-To:", "Return-Path:")?  The message details
 * some MTAs list (Apache James, Verizon: "MAIL FROM: ... RCPT TO: ...")
 * and quoted headers name the sender next to the recipient.
 */
static bool
sender_line(const char *s, size_t n)
{
	static const char *const fields[] = {
	    "mail from:", "mail from ",   "from:",          "sender:",
	    "reply-to:",  "return-path:", "envelope-from:", "smtp.mailfrom=",
	};
	size_t i = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '>'))
		i++;
	for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
		if (mc_istarts(s + i, n - i, fields[k]))
			return true;
	return false;
}

/* Scan human-readable text for failed recipients (see bounce_impl.h). */
int
text_scan(const char *s, size_t n, const struct bounce_exclude *x,
          struct bounce_result *r)
{
	char addr[BOUNCE_ADDR_MAX];
	size_t pos = 0, start;
	int added = 0;

	while (bounce_next_addr(s, n, &pos, addr, sizeof(addr), &start)) {
		struct bounce_rcpt *rc;
		if (bounce_exclude_has(x, addr) || is_mailer_addr(addr))
			continue;
		/* Addresses inside URLs and message ids are not recipients. */
		if (start > 0 && (s[start - 1] == '/' || s[start - 1] == ':'))
			continue;
		size_t ls = line_start(s, start);
		if (sender_line(s + ls, start - ls))
			continue;
		if (bounce_strcasestr(s + ls, start - ls, "message-id") ||
		    bounce_strcasestr(s + ls, start - ls, "references:") ||
		    bounce_strcasestr(s + ls, start - ls, "in-reply-to:"))
			continue;
		rc = bounce_add_rcpt(r, addr);
		if (rc == NULL)
			break;
		if (rc->diagnostic != NULL)
			continue; /* seen: its first paragraph decides */
		rc->diagnostic = text_diagnostic_near(s, n, start, addr);
		added++;
	}
	return added;
}
