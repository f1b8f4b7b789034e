/*
 * bounce_parse.c — one message in, a struct bounce_result out.
 *
 * The raw bytes are first checked against the hard limits and their line
 * endings made LF (some MTAs send bare CR); then the MIME tree is walked
 * once, depth- and part-bounded, by the fast walk of mime_fast.c or, for a
 * message of a shape it leaves alone, by GMime, collecting the
 * human-readable text, the delivery-status and feedback-report bodies and
 * the headers of the returned original.  The kind is decided in this
 * order: ARF complaint, RFC 3464 report, provider JSON notification (SES),
 * plain-text bounce, auto-reply, not a bounce.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "bounce/bounce_impl.h"

/* Bytes of text after a recipient's address searched for the stage. */
#define STAGE_WINDOW 4096

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;
static char verp_prefix[64] = "bounces+";

static bool fast_path = true;

/* Initialise GMime once per process. */
static void
gmime_init_once(void)
{
	g_mime_init();
}

/* Use the fast MIME walk when it can (the default), or always GMime. */
void
bounce_set_fast_path(bool on)
{
	fast_path = on;
}

/* Set the VERP local-part prefix the token is looked for after. */
void
bounce_set_verp_prefix(const char *prefix)
{
	mc_strlcpy(verp_prefix, prefix, sizeof(verp_prefix));
}

/* Make r empty. */
void
bounce_result_init(struct bounce_result *r)
{
	memset(r, 0, sizeof(*r));
}

/* Free what r holds. */
void
bounce_result_fini(struct bounce_result *r)
{
	for (size_t i = 0; i < r->nrcpts; i++)
		free(r->rcpts[i].diagnostic);
	free(r->rcpts);
	memset(r, 0, sizeof(*r));
}

/* Append at most what fits under cap bytes. */
static void
append_capped(struct buf *b, const void *data, size_t n, size_t cap)
{
	if (buf_len(b) >= cap)
		return;
	if (n > cap - buf_len(b))
		n = cap - buf_len(b);
	buf_append(b, data, n);
}

/* The decoded (transfer encoding undone, charset left) body of a part. */
static void
part_text(GMimePart *part, struct buf *out, size_t cap)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	GMimeStream *ms;
	GByteArray *a;

	if (w == NULL || buf_len(out) >= cap)
		return;
	ms = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(w, ms);
	a = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(ms));
	if (a != NULL && a->len > 0) {
		append_capped(out, a->data, a->len, cap);
		append_capped(out, "\n", 1, cap);
	}
	g_object_unref(ms);
}

/* Collect from one MIME object and its children. */
static void
walk_object(GMimeObject *obj, int depth, struct bounce_walk *w)
{
	GMimeContentType *ct;
	const char *type, *sub;

	if (obj == NULL || w->too_deep)
		return;
	if (depth > BOUNCE_MAX_DEPTH) {
		w->too_deep = 1;
		return;
	}
	w->parts++;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		GMimeContentType *mct = g_mime_object_get_content_type(obj);
		const char *rt =
		    mct ? g_mime_content_type_get_parameter(mct, "report-type")
		        : NULL;
		const char *msub =
		    mct ? g_mime_content_type_get_media_subtype(mct) : NULL;
		/* A nested multipart/report (an ARF forwarded inside
		 * multipart/mixed) says what it is too. */
		if (w->report_type == NULL && rt != NULL && msub != NULL &&
		    g_ascii_strcasecmp(msub, "report") == 0)
			w->report_type = xstrdup(rt);
		int n = g_mime_multipart_get_count(mp);
		/* A report without boundaries is all prologue: read that. */
		const char *prolog = g_mime_multipart_get_prologue(mp);
		if (n == 0 && prolog != NULL)
			append_capped(&w->human, prolog, strlen(prolog),
			              BOUNCE_MAX_TEXT);
		for (int i = 0; i < n && !w->too_deep; i++)
			walk_object(g_mime_multipart_get_part(mp, i), depth + 1,
			            w);
		return;
	}
	if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *m =
		    g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		if (m != NULL && !w->have_orig) {
			char *h =
			    g_mime_object_get_headers(GMIME_OBJECT(m), NULL);
			if (h != NULL) {
				append_capped(&w->orig, h, strlen(h),
				              BOUNCE_MAX_TEXT);
				g_free(h);
			}
			w->have_orig = true;
		}
		/* A bounce quoted inside a bounce is not ours to read; but
		 * its depth still counts. */
		if (m != NULL && depth + 1 > BOUNCE_MAX_DEPTH)
			w->too_deep = 1;
		return;
	}
	if (!GMIME_IS_PART(obj))
		return;
	ct = g_mime_object_get_content_type(obj);
	type = ct ? g_mime_content_type_get_media_type(ct) : "text";
	sub = ct ? g_mime_content_type_get_media_subtype(ct) : "plain";
	if (type == NULL || sub == NULL)
		return;
	if (g_ascii_strcasecmp(type, "message") == 0) {
		if (g_ascii_strcasecmp(sub, "delivery-status") == 0 ||
		    g_ascii_strcasecmp(sub, "global-delivery-status") == 0) {
			part_text(GMIME_PART(obj), &w->dsn, BOUNCE_MAX_TEXT);
			w->have_dsn = true;
		} else if (g_ascii_strcasecmp(sub, "feedback-report") == 0) {
			part_text(GMIME_PART(obj), &w->feedback,
			          BOUNCE_MAX_TEXT);
			w->have_feedback = true;
		} else if (g_ascii_strcasecmp(sub, "rfc822-headers") == 0 ||
		           g_ascii_strcasecmp(sub, "rfc822") == 0 ||
		           g_ascii_strcasecmp(sub, "global-headers") == 0) {
			if (!w->have_orig)
				part_text(GMIME_PART(obj), &w->orig,
				          BOUNCE_MAX_TEXT);
			w->have_orig = true;
		}
		return;
	}
	if (g_ascii_strcasecmp(type, "text") == 0) {
		if (g_ascii_strcasecmp(sub, "plain") == 0)
			part_text(GMIME_PART(obj), &w->human, BOUNCE_MAX_TEXT);
		else if (g_ascii_strcasecmp(sub, "html") == 0)
			part_text(GMIME_PART(obj), &w->html, BOUNCE_MAX_TEXT);
		else if (g_ascii_strcasecmp(sub, "rfc822-headers") == 0) {
			if (!w->have_orig)
				part_text(GMIME_PART(obj), &w->orig,
				          BOUNCE_MAX_TEXT);
			w->have_orig = true;
		}
	}
}

/* Text of HTML with the tags dropped and <br>/<p> made line breaks. */
static void
html_to_text(const struct buf *html, struct buf *out)
{
	const char *s = buf_cstr(html);
	size_t n = buf_len(html);
	bool tag = false;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '<') {
			tag = true;
			if (i + 2 < n &&
			    (mc_istarts(s + i + 1, n - i - 1, "br") ||
			     mc_istarts(s + i + 1, n - i - 1, "p") ||
			     mc_istarts(s + i + 1, n - i - 1, "/p") ||
			     mc_istarts(s + i + 1, n - i - 1, "tr") ||
			     mc_istarts(s + i + 1, n - i - 1, "div")))
				buf_putc(out, '\n');
			continue;
		}
		if (s[i] == '>' && tag) {
			tag = false;
			buf_putc(out, ' ');
			continue;
		}
		if (!tag)
			buf_putc(out, s[i]);
	}
}

/*
 * Copy data into out (len bytes + NUL) with CRLF and bare CR made LF,
 * counting the top-level header fields and the Content-Type lines on the
 * way.  Returns the length written.
 */
static size_t
normalise(const char *s, size_t n, char *out, int *headers, int *ctypes)
{
	bool in_header = true, bol = true;
	size_t o = 0;

	*headers = 0;
	*ctypes = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (bol) {
			if (in_header) {
				if (c == '\r' || c == '\n')
					in_header = false;
				else if (c != ' ' && c != '\t')
					(*headers)++;
			}
			if ((c == 'c' || c == 'C') && n - i >= 13 &&
			    mc_istarts(s + i, n - i, "content-type:"))
				(*ctypes)++;
		}
		if (c == '\r') {
			if (i + 1 < n && s[i + 1] == '\n')
				i++;
			c = '\n';
		}
		out[o++] = c;
		bol = c == '\n';
	}
	out[o] = '\0';
	return o;
}

/* Find the first VERP address (prefix TOKEN @ domain) in s[0..n). */
static void
find_verp(const char *s, size_t n, struct bounce_result *r)
{
	size_t pl = strlen(verp_prefix);
	const char *p = s, *end = s + n;

	if (pl == 0)
		return;
	while ((p = memmem(p, (size_t)(end - p), verp_prefix, pl)) != NULL) {
		const char *t = p + pl, *q = t;
		while (q < end && (isalnum((unsigned char)*q) || *q == '-' ||
		                   *q == '_' || *q == '=' || *q == '.'))
			q++;
		if (q > t && q < end && *q == '@' &&
		    (size_t)(q - t) < sizeof(r->token)) {
			memcpy(r->token, t, (size_t)(q - t));
			r->token[q - t] = '\0';
			/* The whole address, from the prefix's start. */
			const char *a = p;
			while (a > s &&
			       (isalnum((unsigned char)a[-1]) || a[-1] == '.' ||
			        a[-1] == '-' || a[-1] == '_'))
				a--;
			bounce_first_addr(a, (size_t)(end - a), r->verp_address,
			                  sizeof(r->verp_address));
			return;
		}
		p = t;
	}
}

/* Subject words of auto-replies (lower case, prefix or anywhere). */
static const char *const autoreply_subjects[] = {
    "auto:",
    "automatic reply",
    "auto reply",
    "autoreply",
    "auto-reply",
    "auto response",
    "autoresponse",
    "out of office",
    "out of the office",
    "vacation",
    "away from",
    "abwesenheit",
    "absence",
    "risposta automatica",
    "respuesta autom",
    "automatische antwort",
    "r\xc3\xa9ponse automatique",
    "automatisch antwoord",
    "automatisk svar",
    "automaattinen vastaus",
    "resposta autom",
    "odpowied\xc5\xba automatyczna",
    "on vacation",
    "on leave",
    "abwesend",
    "fuera de la oficina",
    "ausente",
    "cong\xc3\xa9s",
};

/* Subject words of feedback loops that send the reported message back
 * without an RFC 5965 part (with the original attached, a complaint). */
static const char *const complaint_subjects[] = {
    "complaint", "abuse report", "spam report", "feedback loop", "fbl report",
};

/* What vacation and out-of-office programs say in their text. */
static const char *const autoreply_phrases[] = {
    "out of the office",
    "out of office",
    "away from the office",
    "away from my desk",
    "on vacation",
    "on holiday",
    "on annual leave",
    "on leave until",
    "limited access to e",
    "when i return",
    "upon my return",
    "i am currently away",
    "i will be away",
    "i am away",
    "auto-reply",
    "automatic reply",
    "this is an automated reply",
    "this is an automatic reply",
};

/* Subject words of bounces. */
static const char *const bounce_subjects[] = {
    "undeliver",
    "undelivered",
    "delivery status",
    "delivery failure",
    "delivery failed",
    "delivery has failed",
    "failure notice",
    "returned mail",
    "returning message",
    "not delivered",
    "could not be delivered",
    "non-delivery",
    "nondeliverable",
    "delivery notification",
    "mail delivery",
    "mail failure",
    "mail system error",
    "could not send",
    "delivery problem",
    "rejected",
    "message delivery",
    "failed delivery",
    "delivery report",
    "postmaster notify",
    "notice of delivery",
    "warning:",
};

/* Does any of the phrases occur in s[0..n)? */
static bool
has_any_n(const char *s, size_t n, const char *const *phrases, size_t nphrases)
{
	for (size_t i = 0; i < nphrases; i++)
		if (bounce_strcasestr(s, n, phrases[i]) != NULL)
			return true;
	return false;
}

/* Does any of the phrases occur in the string s? */
static bool
has_any(const char *s, const char *const *phrases, size_t nphrases)
{
	return has_any_n(s, strlen(s), phrases, nphrases);
}
/* From local parts and names of the programs that send bounces. */
static const char *const mailer_froms[] = {
    "mailer-daemon",
    "postmaster",
    "mail delivery",
};

/* From local parts of programs that send automatic mail of any kind
 * (bounces among it): with a delivery failure in the text, a bounce. */
static const char *const automaton_froms[] = {
    "post_master", "mail-daemon",  "mailerdaemon",
    "mdaemon",     "daemon@",      "no-reply",
    "noreply",     "do-not-reply", "donotreply",
    "-admin@",     "owner-",       "-owner@",
    "-bounces@",   "bounce",       "mailer@",
    "mailadmin",   "sysadmin@",    "system administrator",
};

/* What delivery failures say in their text (lower case): statements
 * that a delivery failed, which a person writing a reply does not make. */
static const char *const failure_phrases[] = {
    "could not be delivered",
    "couldn't be delivered",
    "cannot be delivered",
    "can't be delivered",
    "was not delivered",
    "wasn't delivered",
    "not been delivered",
    "could not deliver",
    "unable to deliver",
    "failed to deliver",
    "cannot deliver",
    "can't deliver",
    "could not be sent",
    "delivery failed",
    "delivery has failed",
    "delivery failure",
    "delivery error",
    "delivery problem",
    "delivery to the following",
    "delivery attempts",
    "undeliverable",
    "undelivered",
    "permanent error",
    "permanent failure",
    "permanent fatal",
    "error message below",
    "returned to sender",
    "smtp error",
    "mail loop",
    "loop detected",
    "not a member of",
};

/* Words about a recipient that a person's own reply may use too ("my
 * old address does not exist any more"): a bounce's only from a program
 * that sends nothing but reports, or with the original returned. */
static const char *const failure_words[] = {
    "following address",   "following recipient", "rejected",
    "not delivered",       "no such user",        "user unknown",
    "unknown user",        "mailbox is full",     "mailbox full",
    "over quota",          "quota exceeded",      "mailbox unavailable",
    "does not exist",      "invalid recipient",   "address not found",
    "recipient not found", "fatal error",
};

/* Does the From name a program that sends bounces? */
static bool
from_is_mailer(const char *from)
{
	return has_any(from, mailer_froms,
	               sizeof(mailer_froms) / sizeof(mailer_froms[0]));
}

/* Does the From name a program that sends automatic mail? */
static bool
from_is_automaton(const char *from)
{
	return has_any(from, automaton_froms,
	               sizeof(automaton_froms) / sizeof(automaton_froms[0]));
}

/* Does the human-readable text say a delivery failed (or, with weak,
 * use the words of a failure)? */
static bool
failure_cue(const char *s, size_t n, bool weak)
{
	return has_any_n(s, n, failure_phrases,
	                 sizeof(failure_phrases) /
	                     sizeof(failure_phrases[0])) ||
	       (weak &&
	        has_any_n(s, n, failure_words,
	                  sizeof(failure_words) / sizeof(failure_words[0])));
}

/* Does a line of s[0..n) start with the field name (lower case, with
 * its colon)? */
static bool
has_field_line(const char *s, size_t n, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < n;) {
		const char *e = memchr(s + i, '\n', n - i);
		size_t end = e ? (size_t)(e - s) : n;
		if (end - i >= nl && mc_istarts(s + i, end - i, name))
			return true;
		i = end + 1;
	}
	return false;
}

/*
 * An RFC 5965 report written into the text instead of a
 * message/feedback-report part: its fields (Feedback-Type, or the
 * required User-Agent and Version with one of the optional fields), or
 * the opening sentence the report generators use.
 */
static bool
arf_in_text(const char *s, size_t n)
{
	static const char *const openings[] = {
	    "email abuse report",
	    "abuse complaint",
	    "authentication failure report",
	    "authentication-failure report",
	};

	if (n == 0)
		return false;
	if (has_field_line(s, n, "feedback-type:"))
		return true;
	if (has_field_line(s, n, "user-agent:") &&
	    has_field_line(s, n, "version:") &&
	    (has_field_line(s, n, "original-rcpt-to:") ||
	     has_field_line(s, n, "original-mail-from:") ||
	     has_field_line(s, n, "arrival-date:") ||
	     has_field_line(s, n, "source-ip:") ||
	     has_field_line(s, n, "reported-domain:")))
		return true;
	return has_any_n(s, n, openings,
	                 sizeof(openings) / sizeof(openings[0]));
}

/* A header value of the walk, or "". */
static const char *
val(const char *v)
{
	return v != NULL ? v : "";
}

/* A heap copy of a top-level header's value, or NULL. */
static char *
gmime_header(GMimeObject *obj, const char *name)
{
	const char *v = g_mime_object_get_header(obj, name);

	return v != NULL ? xstrdup(v) : NULL;
}

/* Walk the message with GMime: the fallback of mime_fast_walk(). */
static int
gmime_walk(const char *s, size_t n, struct bounce_walk *w)
{
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg;
	GMimeObject *top;
	GMimeContentType *ct;
	const char *rt;

	pthread_once(&gmime_once, gmime_init_once);
	stream = g_mime_stream_mem_new_with_buffer(s, n);
	parser = g_mime_parser_new_with_stream(stream);
	msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(stream);
	if (msg == NULL)
		return MC_EDATA;
	top = GMIME_OBJECT(msg);
	walk_object(g_mime_message_get_mime_part(msg), 1, w);
	w->to = gmime_header(top, "To");
	w->from = gmime_header(top, "From");
	w->subject = gmime_header(top, "Subject");
	w->failed = gmime_header(top, "X-Failed-Recipients");
	w->auto_submitted = gmime_header(top, "Auto-Submitted");
	w->precedence = gmime_header(top, "Precedence");
	w->return_path = gmime_header(top, "Return-Path");
	w->x_autoreply = g_mime_object_get_header(top, "X-Autoreply") != NULL ||
	                 g_mime_object_get_header(top, "X-Autorespond") != NULL;
	w->x_ars =
	    g_mime_object_get_header(top, "X-Auto-Response-Suppress") != NULL;
	ct = g_mime_object_get_content_type(top);
	rt = ct ? g_mime_content_type_get_parameter(ct, "report-type") : NULL;
	if (rt != NULL) {
		free(w->report_type);
		w->report_type = xstrdup(rt);
	}
	g_object_unref(msg);
	return 0;
}

/* Free what a walk holds (see bounce_impl.h). */
void
bounce_walk_reset(struct bounce_walk *w)
{
	buf_fini(&w->human);
	buf_fini(&w->html);
	buf_fini(&w->dsn);
	buf_fini(&w->feedback);
	buf_fini(&w->orig);
	free(w->to);
	free(w->from);
	free(w->subject);
	free(w->failed);
	free(w->auto_submitted);
	free(w->precedence);
	free(w->return_path);
	free(w->report_type);
	memset(w, 0, sizeof(*w));
	buf_init(&w->human);
	buf_init(&w->html);
	buf_init(&w->dsn);
	buf_init(&w->feedback);
	buf_init(&w->orig);
}

/* The first "for <addr>" of a Received field in a header block. */
static bool
received_for(const char *s, size_t n, char *out, size_t outsize)
{
	const char *p = s, *end = s + n;

	while ((p = bounce_strcasestr(p, (size_t)(end - p), "for <")) != NULL) {
		const char *close = memchr(p, '>', (size_t)(end - p));
		size_t len = close ? (size_t)(close - p) : (size_t)(end - p);
		if (bounce_first_addr(p + 5, len > 5 ? len - 5 : 0, out,
		                      outsize))
			return true;
		p += 5;
	}
	return false;
}

/* Add every address in a header value as a recipient; returns how many. */
static int
add_all_addrs(const char *v, size_t n, struct bounce_result *r)
{
	char addr[BOUNCE_ADDR_MAX];
	size_t pos = 0;
	int added = 0;

	while (bounce_next_addr(v, n, &pos, addr, sizeof(addr), NULL))
		if (bounce_add_rcpt(r, addr) != NULL)
			added++;
	return added;
}

/* The SMTP stage of one recipient's failure: its diagnostic, else the
 * human-readable text from its address on. */
static enum bounce_stage
rcpt_stage(const struct bounce_rcpt *rc, const char *human, size_t hlen)
{
	enum bounce_stage st = BOUNCE_STAGE_UNKNOWN;
	const char *at;
	size_t from, n;

	if (rc->diagnostic != NULL)
		st = bounce_text_stage(rc->diagnostic, strlen(rc->diagnostic));
	if (st != BOUNCE_STAGE_UNKNOWN || human == NULL || hlen == 0)
		return st;
	at = bounce_strcasestr(human, hlen, rc->address);
	from = at != NULL ? (size_t)(at - human) : 0;
	n = hlen - from;
	if (n > STAGE_WINDOW)
		n = STAGE_WINDOW;
	return bounce_text_stage(human + from, n);
}

/*
 * A reporting MTA that puts its own category and code before the remote's
 * reply, quoted: Amazon SES "5.1.0 - Unknown address error 550-'5.7.1
 * <...>... Access denied' (delivery attempts: 0)", or "5.0.0 ... returned
 * '550 5.1.1 ...'".  The quoted reply is the remote's and decides; it
 * starts after a quote that a reply code comes just before ("550-'") or
 * just after ("'550 "), when the text before the quote has an enhanced
 * code of its own.  The remote's reply (after the quote), or NULL.
 */
static const char *
quoted_inner(const char *d)
{
	const char *q = d;

	if (d == NULL)
		return NULL;
	while ((q = strchr(q, '\'')) != NULL) {
		bool before = q - d >= 4 && (q[-1] == '-' || q[-1] == ' ') &&
		              isdigit((unsigned char)q[-2]) &&
		              isdigit((unsigned char)q[-3]) &&
		              (q[-4] == '4' || q[-4] == '5') &&
		              (q - d == 4 || !isalnum((unsigned char)q[-5]));
		bool after = (q[1] == '4' || q[1] == '5') &&
		             isdigit((unsigned char)q[2]) &&
		             isdigit((unsigned char)q[3]) &&
		             (q[4] == ' ' || q[4] == '-');
		if (before || after) {
			char st[16] = "";
			int code = -1;
			bounce_find_codes(d, (size_t)(q - d), st, sizeof(st),
			                  &code);
			return st[0] != '\0' ? q + 1 : NULL;
		}
		q++;
	}
	return NULL;
}

/*
 * RFC 3463 X.0.0 is "other or undefined": a reporting MTA that writes
 * "Status: 5.0.0" over a remote reply "550 5.1.1 ..." knew no better.
 * The reply's own code of the same class replaces it.
 */
static void
refine_status(struct bounce_rcpt *rc)
{
	char st[16] = "";
	int code = -1;

	if (rc->status[0] == '\0' || strcmp(rc->status + 1, ".0.0") != 0)
		return;
	bounce_find_codes(rc->diagnostic, strlen(rc->diagnostic), st,
	                  sizeof(st), &code);
	if (st[0] == rc->status[0] && strcmp(st + 1, ".0.0") != 0)
		mc_strlcpy(rc->status, st, sizeof(rc->status));
}

/* Status, code, reason and class of every recipient. */
static void
finish_rcpts(struct bounce_result *r, const char *human, size_t hlen,
             bool failed_hdr)
{
	for (size_t i = 0; i < r->nrcpts; i++) {
		struct bounce_rcpt *rc = &r->rcpts[i];
		if (rc->diagnostic == NULL && hlen > 0) {
			const char *at =
			    bounce_strcasestr(human, hlen, rc->address);
			rc->diagnostic =
			    at != NULL
			        ? text_diagnostic_near(human, hlen,
			                               (size_t)(at - human),
			                               rc->address)
			        : bounce_clean_text(human, hlen);
		}
		if (rc->diagnostic != NULL) {
			bounce_find_codes(rc->diagnostic,
			                  strlen(rc->diagnostic), rc->status,
			                  sizeof(rc->status), &rc->reply_code);
			refine_status(rc);
		}
		if (r->kind == BOUNCE_KIND_COMPLAINT) {
			rc->reason = BOUNCE_REASON_FEEDBACK;
			rc->cls = BOUNCE_CLASS_COMPLAINT;
			continue;
		}
		if (r->kind == BOUNCE_KIND_AUTO_REPLY) {
			rc->reason = BOUNCE_REASON_VACATION;
			rc->cls = BOUNCE_CLASS_AUTO_REPLY;
			continue;
		}
		const char *inner = quoted_inner(rc->diagnostic);
		char *reply = NULL;
		rc->reason = BOUNCE_REASON_UNDEFINED;
		if (inner != NULL) {
			/* The reply ends at its closing quote. */
			const char *q = strrchr(inner, '\'');
			size_t il =
			    q != NULL ? (size_t)(q - inner) : strlen(inner);
			char st[16] = "";
			int code = -1;
			reply = xmalloc(il + 1);
			memcpy(reply, inner, il);
			reply[il] = '\0';
			bounce_find_codes(reply, il, st, sizeof(st), &code);
			if (st[0] != '\0')
				mc_strlcpy(rc->status, st, sizeof(rc->status));
			rc->reason = bounce_classify_reason(reply, NULL, 0);
		}
		if (rc->reason == BOUNCE_REASON_UNDEFINED)
			rc->reason = bounce_classify_reason(
			    rc->diagnostic, rc->status, rc->reply_code);
		/* "User unknown" in reply to the message's content is a
		 * filter's verdict, not a statement about the address. */
		if (rc->reason == BOUNCE_REASON_USER_UNKNOWN)
			rc->reason = bounce_refine_unknown(
			    reply != NULL ? reply : rc->diagnostic, rc->status,
			    rcpt_stage(rc, human, hlen));
		free(reply);
		if (rc->reason == BOUNCE_REASON_UNDEFINED && hlen > 0) {
			char *t = bounce_clean_text(human, hlen);
			rc->reason = bounce_classify_reason(t, NULL, 0);
			free(t);
		}
		/* A refused sender is never a bad recipient, whatever the
		 * code ("550 5.1.1 Sender address rejected"). */
		if (rc->diagnostic == NULL ||
		    (bounce_strcasestr(rc->diagnostic, strlen(rc->diagnostic),
		                       "sender") == NULL &&
		     bounce_strcasestr(rc->diagnostic, strlen(rc->diagnostic),
		                       "mail from") == NULL))
			rc->reason = bounce_status_first(rc->reason, rc->status,
			                                 rc->reply_code);
		/* Exchange Online's directory-based edge blocking answers
		 * an address it has no object for with "550 5.4.1
		 * Recipient address rejected: Access denied" (Microsoft's
		 * NDR 5.4.1 documentation): the address does not exist. */
		if (strcmp(rc->status, "5.4.1") == 0 && rc->diagnostic &&
		    bounce_strcasestr(rc->diagnostic, strlen(rc->diagnostic),
		                      "recipient address rejected: access "
		                      "denied") != NULL &&
		    bounce_vendor_on("office365,outlook,microsoft"))
			rc->reason = BOUNCE_REASON_USER_UNKNOWN;
		/* RFC 3463 X.7.x is security or policy status, never a
		 * statement that the address or domain does not exist. */
		if ((rc->reason == BOUNCE_REASON_HOST_UNKNOWN ||
		     rc->reason == BOUNCE_REASON_HAS_MOVED) &&
		    rc->status[0] != '\0' &&
		    strncmp(rc->status + 1, ".7.", 3) == 0)
			rc->reason = BOUNCE_REASON_POLICY;
		rc->cls =
		    bounce_reason_class(rc->reason, rc->status, rc->action);
		/* A 4xx reply with no enhanced code is transient too. */
		if (rc->cls == BOUNCE_CLASS_HARD && rc->status[0] == '\0' &&
		    rc->reply_code >= 400 && rc->reply_code < 500)
			rc->cls = BOUNCE_CLASS_SOFT;
		/* A failure we cannot explain is still a failure when the
		 * MTA says so (an action, a code, X-Failed-Recipients). */
		if (rc->cls == BOUNCE_CLASS_UNKNOWN &&
		    r->kind == BOUNCE_KIND_BOUNCE &&
		    (failed_hdr || rc->reply_code != 0 || rc->status[0] ||
		     strcmp(rc->action, "failed") == 0))
			rc->cls = BOUNCE_CLASS_SOFT;
	}
}

/*
 * The value after a JSON key in s[0..n) (the key given without quotes;
 * escaped quotes, as in an SNS envelope, are skipped), and its length up to
 * the next quote, comma or brace; NULL if the key is absent.
 */
static const char *
json_value(const char *s, size_t n, const char *key, size_t *len)
{
	const char *k = bounce_strcasestr(s, n, key), *v, *e;

	if (k == NULL)
		return NULL;
	v = k + strlen(key);
	e = s + n;
	while (v < e && (*v == '"' || *v == '\\' || *v == ':' || *v == ' '))
		v++;
	for (*len = 0; v + *len < e && v[*len] != '"' && v[*len] != '\\' &&
	               v[*len] != ',' && v[*len] != '}';)
		(*len)++;
	return v;
}

/* Amazon SES and similar JSON notifications in a text body. */
static bool
json_notification(const char *s, size_t n, struct bounce_result *r)
{
	char addr[BOUNCE_ADDR_MAX];
	size_t tl, pos = 0, start;
	const char *t = json_value(s, n, "notificationtype", &tl);

	if (t == NULL)
		t = json_value(s, n, "eventtype", &tl);
	if (t == NULL)
		return false;
	bool complaint = bounce_strcasestr(t, tl, "complaint") != NULL;
	bool delivery = bounce_strcasestr(t, tl, "delivery") != NULL;
	const char *list = bounce_strcasestr(s, n,
	                                     complaint  ? "complainedrecipients"
	                                     : delivery ? "recipients"
	                                                : "bouncedrecipients");
	if (list == NULL)
		return false;
	const char *close = memchr(list, ']', n - (size_t)(list - s));
	size_t ln = close ? (size_t)(close - list) : n - (size_t)(list - s);
	r->kind = complaint  ? BOUNCE_KIND_COMPLAINT
	          : delivery ? BOUNCE_KIND_NOT_BOUNCE
	                     : BOUNCE_KIND_BOUNCE;
	mc_strlcpy(r->format, "json", sizeof(r->format));
	while (bounce_next_addr(list, ln, &pos, addr, sizeof(addr), &start)) {
		struct bounce_rcpt *rc = bounce_add_rcpt(r, addr);
		if (rc == NULL || rc->diagnostic != NULL)
			continue;
		/* The object of this recipient runs to its closing brace. */
		const char *o = list + start, *v;
		const char *ob = memchr(o, '}', n - (size_t)(o - s));
		size_t on = ob ? (size_t)(ob - o) : 0, vl;
		int code = 0;
		if ((v = json_value(o, on, "diagnosticcode", &vl)) != NULL)
			rc->diagnostic = bounce_clean_text(v, vl);
		if ((v = json_value(o, on, "status", &vl)) != NULL)
			bounce_find_codes(v, vl, rc->status, sizeof(rc->status),
			                  &code);
		if ((v = json_value(o, on, "action", &vl)) != NULL &&
		    vl < sizeof(rc->action))
			mc_strlcpy(rc->action, "failed", sizeof(rc->action));
		if (delivery) {
			mc_strlcpy(rc->action, "delivered", sizeof(rc->action));
			if ((v = json_value(s, n, "smtpresponse", &vl)) != NULL)
				rc->diagnostic = bounce_clean_text(v, vl);
		}
	}
	return r->nrcpts > 0;
}

/* Parse one message (see bounce.h). */
int
bounce_parse(const void *data, size_t len, struct bounce_result *r, char *err,
             size_t errlen)
{
	struct bounce_walk w;
	struct bounce_exclude x;
	struct bounce_result verp;
	int headers, ctypes, rc = 0;
	char addr[BOUNCE_ADDR_MAX];
	const char *human;
	char *norm;
	size_t hlen, nlen;

	bounce_result_fini(r);
	bounce_result_init(&verp);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (len > BOUNCE_MAX_SIZE) {
		snprintf(err, errlen,
		         "message of %zu bytes is over the %u-byte limit", len,
		         BOUNCE_MAX_SIZE);
		return MC_ELIMIT;
	}
	if (len == 0) {
		snprintf(err, errlen, "empty message");
		return MC_EDATA;
	}
	norm = xmalloc(len + 1);
	nlen = normalise(data, len, norm, &headers, &ctypes);
	if (headers > BOUNCE_MAX_HEADERS) {
		snprintf(err, errlen,
		         "message has %d header fields, over the limit of %d",
		         headers, BOUNCE_MAX_HEADERS);
		free(norm);
		return MC_ELIMIT;
	}
	if (ctypes > BOUNCE_MAX_PARTS) {
		snprintf(err, errlen,
		         "message has %d MIME parts, over the limit of %d",
		         ctypes, BOUNCE_MAX_PARTS);
		free(norm);
		return MC_ELIMIT;
	}
	find_verp(norm, nlen, &verp);

	memset(&w, 0, sizeof(w));
	bounce_walk_reset(&w);
	rc = fast_path ? mime_fast_walk(norm, nlen, &w) : MC_EAGAIN;
	if (rc == MC_EAGAIN) {
		bounce_walk_reset(&w);
		rc = gmime_walk(norm, nlen, &w);
	}
	free(norm);
	if (rc != 0) {
		snprintf(err, errlen, "not an RFC 5322 message");
		bounce_walk_reset(&w);
		return MC_EDATA;
	}
	memset(&x, 0, sizeof(x));
	if (w.too_deep) {
		snprintf(err, errlen, "MIME nesting deeper than %d levels",
		         BOUNCE_MAX_DEPTH);
		rc = MC_ELIMIT;
		goto done;
	}
	if (buf_len(&w.human) == 0 && buf_len(&w.html) > 0)
		html_to_text(&w.html, &w.human);

	/* The human-readable part ends where the quoted original begins;
	 * in a one-part bounce the original's headers follow inline. */
	human = buf_cstr(&w.human);
	hlen = text_human_end(human, buf_len(&w.human));
	if (!w.have_orig && hlen < buf_len(&w.human)) {
		const char *o = human + hlen;
		const char *nl = memchr(o, '\n', buf_len(&w.human) - hlen);
		size_t skip = nl ? (size_t)(nl - o) + 1 : 0;
		/* The marker line may itself be the first header. */
		size_t c = 0;
		while (c < skip && o[c] != ':' && o[c] != ' ')
			c++;
		if (c > 0 && c < skip && o[c] == ':')
			skip = 0;
		append_capped(&w.orig, o + skip,
		              buf_len(&w.human) - hlen - skip, BOUNCE_MAX_TEXT);
	}
	{
		char v[BOUNCE_ADDR_MAX];
		if (bounce_header_value(buf_cstr(&w.orig), buf_len(&w.orig),
		                        "Message-ID", v, sizeof(v)))
			bounce_first_addr(v, strlen(v), r->original_message_id,
			                  sizeof(r->original_message_id));
		if (bounce_header_value(buf_cstr(&w.orig), buf_len(&w.orig),
		                        "From", v, sizeof(v)) &&
		    bounce_first_addr(v, strlen(v), addr, sizeof(addr)))
			bounce_exclude_add(&x, addr);
		if (bounce_header_value(buf_cstr(&w.orig), buf_len(&w.orig),
		                        "Return-Path", v, sizeof(v)) &&
		    bounce_first_addr(v, strlen(v), addr, sizeof(addr)))
			bounce_exclude_add(&x, addr);
	}
	const char *to = val(w.to);
	const char *from = val(w.from);
	const char *subject = val(w.subject);
	if (bounce_first_addr(to, strlen(to), addr, sizeof(addr)))
		bounce_exclude_add(&x, addr);
	if (bounce_first_addr(from, strlen(from), addr, sizeof(addr)))
		bounce_exclude_add(&x, addr);
	if (verp.verp_address[0])
		bounce_exclude_add(&x, verp.verp_address);

	const char *report_type = w.report_type;
	const char *failed = val(w.failed);
	const char *hum = human;
	size_t hall = buf_len(&w.human);
	/* A bounce or an auto-reply quotes the subject (and often the text)
	 * of the message it answers, which may hold any word: the subject
	 * and text signs of a complaint count only where nothing says
	 * bounce or auto-reply.  The report parts always count. */
	bool answer =
	    w.have_dsn || failed[0] != '\0' ||
	    (report_type &&
	     g_ascii_strcasecmp(report_type, "delivery-status") == 0) ||
	    from_is_mailer(from) ||
	    has_any(subject, bounce_subjects,
	            sizeof(bounce_subjects) / sizeof(bounce_subjects[0])) ||
	    has_any(subject, autoreply_subjects,
	            sizeof(autoreply_subjects) / sizeof(autoreply_subjects[0]));
	bool arf =
	    w.have_feedback ||
	    (report_type &&
	     g_ascii_strcasecmp(report_type, "feedback-report") == 0) ||
	    (!answer &&
	     ((bounce_strcasestr(subject, strlen(subject),
	                         "complaint about message") != NULL &&
	       bounce_vendor_on("arf,outlook,microsoft")) ||
	      (w.have_orig && has_any(subject, complaint_subjects,
	                              sizeof(complaint_subjects) /
	                                  sizeof(complaint_subjects[0]))) ||
	      arf_in_text(hum, hlen < 4096 ? hlen : 4096)));

	/* 1. ARF complaints. */
	if (arf) {
		r->kind = BOUNCE_KIND_COMPLAINT;
		mc_strlcpy(r->format, "arf", sizeof(r->format));
		if (w.have_feedback)
			arf_parse(buf_cstr(&w.feedback), buf_len(&w.feedback),
			          r);
		else
			arf_parse(hum, hlen, r);
		/* RFC 5965 makes Feedback-Type required; a report that
		 * leaves it out is still a complaint, of the default type. */
		if (r->feedback_type[0] == '\0')
			mc_strlcpy(r->feedback_type, "abuse",
			           sizeof(r->feedback_type));
		if (r->nrcpts == 0) {
			char v[1024];
			if (bounce_header_value(
			        buf_cstr(&w.orig), buf_len(&w.orig),
			        "X-HmXmrOriginalRecipient", v, sizeof(v)) ||
			    bounce_header_value(buf_cstr(&w.orig),
			                        buf_len(&w.orig), "To", v,
			                        sizeof(v)))
				add_all_addrs(v, strlen(v), r);
		}
		finish_rcpts(r, NULL, 0, false);
		goto done;
	}
	/* 2. RFC 3464 reports. */
	if (w.have_dsn && dsn_parse(buf_cstr(&w.dsn), buf_len(&w.dsn), r) > 0) {
		r->kind = BOUNCE_KIND_BOUNCE;
		mc_strlcpy(r->format, "rfc3464", sizeof(r->format));
		goto classify;
	}
	bounce_result_fini(r);
	/* 3. JSON notifications (Amazon SES). */
	if (json_notification(hum, hall, r)) {
		if (r->kind == BOUNCE_KIND_COMPLAINT) {
			finish_rcpts(r, NULL, 0, false);
			goto done;
		}
		goto classify;
	}
	bounce_result_fini(r);

	/*
	 * 4. Bounce or auto-reply.  Many MTAs mark their bounces
	 * "Auto-Submitted: auto-replied" too (Exim, Postfix, Exchange), so
	 * the RFC 3834 headers say "automatic", not "auto-reply": a
	 * delivery-status part, X-Failed-Recipients or a mailer's From make
	 * it a bounce; an RFC 3834 reply is a bounce only when its text says
	 * a delivery failed and its subject is not an auto-reply's; the
	 * subject alone never outweighs the RFC 3834 headers.
	 */
	const char *as = val(w.auto_submitted);
	const char *prec = val(w.precedence);
	const char *rp = val(w.return_path);
	bool rfc3834 = mc_istarts(as, strlen(as), "auto-replied") ||
	               w.x_autoreply ||
	               bounce_strcasestr(prec, strlen(prec), "auto_reply");
	bool autosub = as[0] != '\0' && g_ascii_strncasecmp(as, "no", 2) != 0;
	bool strong =
	    w.have_dsn || failed[0] != '\0' ||
	    (report_type &&
	     g_ascii_strcasecmp(report_type, "delivery-status") == 0) ||
	    from_is_mailer(from);
	bool subj_bounce =
	    has_any(subject, bounce_subjects,
	            sizeof(bounce_subjects) / sizeof(bounce_subjects[0]));
	bool subj_auto =
	    has_any(subject, autoreply_subjects,
	            sizeof(autoreply_subjects) / sizeof(autoreply_subjects[0]));
	bool null_sender = strstr(rp, "<>") != NULL;
	bool automated = autosub || w.x_ars || null_sender ||
	                 from_is_automaton(from) || w.have_orig;
	bool bouncelike;
	if (strong)
		bouncelike = true;
	else if (rfc3834)
		bouncelike = !subj_auto && failure_cue(hum, hlen, false);
	else if (subj_bounce && !subj_auto)
		bouncelike = true;
	else
		bouncelike = automated && failure_cue(hum, hlen,
		                                      from_is_automaton(from) ||
		                                          w.have_orig);
	if (bouncelike) {
		r->kind = BOUNCE_KIND_BOUNCE;
		mc_strlcpy(r->format, "text", sizeof(r->format));
		/* A delivery-status block inline in the text. */
		if (bounce_strcasestr(hum, hall, "final-recipient:") != NULL &&
		    dsn_parse(hum, hall, r) > 0) {
			mc_strlcpy(r->format, "rfc3464", sizeof(r->format));
			goto classify;
		}
		text_scan(hum, hlen, &x, r);
		add_all_addrs(failed, strlen(failed), r);
		/* A bounce of a message to oneself names the sender. */
		if (r->nrcpts == 0) {
			memset(&x, 0, sizeof(x));
			text_scan(hum, hlen, &x, r);
		}
		if (r->nrcpts == 0) {
			char v[1024];
			if (bounce_header_value(buf_cstr(&w.orig),
			                        buf_len(&w.orig), "To", v,
			                        sizeof(v)))
				add_all_addrs(v, strlen(v), r);
		}
		/* The returned original's envelope recipient: the "for
		 * <addr>" of its Received fields (a To of "undisclosed
		 * recipients" names nobody). */
		if (r->nrcpts == 0 &&
		    received_for(buf_cstr(&w.orig), buf_len(&w.orig), addr,
		                 sizeof(addr)) &&
		    !bounce_exclude_has(&x, addr))
			bounce_add_rcpt(r, addr);
		goto classify;
	}
	/* 5. Auto-replies (RFC 3834 and the vacation programs, which say
	 * so in their subject or their first lines). */
	if (rfc3834 || autosub || w.x_ars || subj_auto ||
	    has_any_n(hum, hlen < 2048 ? hlen : 2048, autoreply_phrases,
	              sizeof(autoreply_phrases) /
	                  sizeof(autoreply_phrases[0]))) {
		r->kind = BOUNCE_KIND_AUTO_REPLY;
		mc_strlcpy(r->format, "rfc3834", sizeof(r->format));
		if (bounce_first_addr(from, strlen(from), addr, sizeof(addr)))
			bounce_add_rcpt(r, addr);
		finish_rcpts(r, NULL, 0, false);
		goto done;
	}
	/* 6. Anything else. */
	r->kind = BOUNCE_KIND_NOT_BOUNCE;
	goto done;

classify:
	finish_rcpts(r, human, hlen, val(w.failed)[0] != '\0');
	if (r->kind == BOUNCE_KIND_BOUNCE) {
		size_t delivered = 0;
		for (size_t i = 0; i < r->nrcpts; i++)
			if (r->rcpts[i].cls == BOUNCE_CLASS_NOT_BOUNCE)
				delivered++;
		if (r->nrcpts > 0 && delivered == r->nrcpts)
			r->kind = BOUNCE_KIND_NOT_BOUNCE;
	}
done:
	bounce_walk_reset(&w);
	if (rc != 0)
		bounce_result_fini(r);
	else {
		mc_strlcpy(r->token, verp.token, sizeof(r->token));
		mc_strlcpy(r->verp_address, verp.verp_address,
		           sizeof(r->verp_address));
	}
	return rc;
}
