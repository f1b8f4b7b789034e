/*
 * stage.c — at which SMTP stage a failure came, and what that means for an
 * "unknown user" answer.
 *
 * "550 User unknown" in reply to RCPT TO is a statement about the address
 * (hard); the same words in reply to the message's content (DATA) are a
 * content filter's verdict (soft, "filtered").  The families say the stage
 * in their own words: Postfix "(in reply to RCPT TO command)", Exim "after
 * RCPT TO:", qmail "does not like recipient" / "failed after I sent the
 * message", DragonFly "did not like our RCPT TO", Yahoo "[RCPT_TO]",
 * Sendmail's transcript ">>> DATA" / "<<< 550 ...".  When no stage is said,
 * the enhanced status decides: X.1.x speaks about the address, X.2.x
 * (mailbox), X.3.x (mail system) and X.7.x (security) do not.
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "base/str.h"
#include "bounce/bounce_impl.h"

/* Phrases that name the stage, lower case, with the families whose own
 * wording they are (NULL: shared by many). */
struct mark {
	const char *phrase;
	const char *family;
};

static const struct mark data_marks[] = {
    {"in reply to end of data", NULL},
    {"in reply to data", NULL},
    {"after end of data", NULL},
    {"after data", NULL},
    {"after the data", NULL},
    {"end of data", NULL},
    {"did not like our data", "dragonfly"},
    {"failed after i sent the message", "qmail"},
    {"after i sent the message", "qmail"},
    {"final data", NULL},
    {"[data]", NULL},
};

static const struct mark rcpt_marks[] = {
    {"in reply to rcpt", NULL},
    {"after rcpt", NULL},
    {"our rcpt", "dragonfly"},
    {"does not like recipient", "qmail"},
    {"[rcpt_to]", "yahoo,yahooinc"},
    {"smtp:rcpt", NULL},
    {"rcpt command", NULL},
    {"sent <<< rcpt", NULL},
    {"rcpt: <", NULL},
};

/* Does any of the marks occur in s[0..n)? */
static bool
has_stage_mark(const char *s, size_t n, const struct mark *marks, size_t nmarks)
{
	for (size_t i = 0; i < nmarks; i++)
		if (bounce_strcasestr(s, n, marks[i].phrase) != NULL &&
		    bounce_vendor_on(marks[i].family))
			return true;
	return false;
}

/* Words of content filters and security policies (lower case). */
static const char *const filter_words[] = {
    "spam",          "virus",       "malware",
    "phish",         "content",     "filter",
    "policy",        "policies",    "blacklist",
    "blocklist",     "block list",  "blocked",
    "reputation",    "dmarc",       "spf ",
    "dkim",          "prohibited",  "suspicious",
    "access denied", "not allowed", "banned",
    "whitelist",     "allowlist",   "dnsbl",
    "reverse dns",   "helo",        "unauthenticated",
    "not permitted",
};

/* Does any of the phrases occur in s[0..n)? */
static bool
has_mark(const char *s, size_t n, const char *const *marks, size_t nmarks)
{
	for (size_t i = 0; i < nmarks; i++)
		if (bounce_strcasestr(s, n, marks[i]) != NULL)
			return true;
	return false;
}

/* Does the diagnostic, outside its URLs and addresses (a help link or a
 * local part may hold any word), say a content filter's or a policy's
 * words? */
static bool
filter_verdict(const char *d)
{
	char text[BOUNCE_MAX_DIAGNOSTIC + 1];
	size_t n = strlen(d), i = 0;

	if (n > BOUNCE_MAX_DIAGNOSTIC)
		n = BOUNCE_MAX_DIAGNOSTIC;
	memcpy(text, d, n);
	text[n] = '\0';
	bounce_blank_addrs(text, n);
	while (i < n) {
		const char *u = bounce_strcasestr(text + i, n - i, "://");
		if (u == NULL)
			break;
		size_t b = (size_t)(u - text), e = b;
		while (b > 0 && text[b - 1] != ' ')
			b--;
		while (e < n && text[e] != ' ')
			e++;
		memset(text + b, ' ', e - b);
		i = e;
	}
	return has_mark(text, n, filter_words,
	                sizeof(filter_words) / sizeof(filter_words[0]));
}

/* The end of the line holding s[i]. */
static size_t
line_end(const char *s, size_t n, size_t i)
{
	const char *nl = memchr(s + i, '\n', n - i);

	return nl ? (size_t)(nl - s) : n;
}

/*
 * A Sendmail transcript: the command before the first failure reply
 * ("<<< 5xx" / "<<< 4xx").  A reply read after ">>> DATA" that Sendmail
 * itself then reports as "5.1.1 ... User unknown" was the pipelined answer
 * to RCPT TO.
 */
static enum bounce_stage
transcript_stage(const char *s, size_t n)
{
	enum bounce_stage last = BOUNCE_STAGE_UNKNOWN;
	size_t i = 0;

	while (i < n) {
		size_t e = line_end(s, n, i), b = i;
		/* Quoted transcripts ("> >>> DATA") count too. */
		while (b < e && (s[b] == '>' || s[b] == ' ') &&
		       !(e - b >= 4 && memcmp(s + b, ">>> ", 4) == 0))
			b++;
		if (e - b >= 4 && memcmp(s + b, ">>> ", 4) == 0) {
			if (mc_istarts(s + b + 4, e - b - 4, "data"))
				last = BOUNCE_STAGE_DATA;
			else if (mc_istarts(s + b + 4, e - b - 4, "rcpt"))
				last = BOUNCE_STAGE_RCPT;
			else if (mc_istarts(s + b + 4, e - b - 4, "mail"))
				last = BOUNCE_STAGE_MAIL;
			else
				last = BOUNCE_STAGE_UNKNOWN;
		} else if (e - b >= 5 && memcmp(s + b, "<<< ", 4) == 0 &&
		           (s[b + 4] == '5' || s[b + 4] == '4')) {
			if (last != BOUNCE_STAGE_DATA)
				return last;
			/* Sendmail's own verdict on the following lines. */
			size_t j = e < n ? e + 1 : n;
			while (j < n) {
				size_t je = line_end(s, n, j), jb = j;
				while (jb < je &&
				       (s[jb] == '>' || s[jb] == ' '))
					jb++;
				if (je == jb || s[jb] == '<' ||
				    (s[jb] == '>' && jb + 1 < je))
					break;
				if (bounce_strcasestr(s + jb, je - jb,
				                      "5.1.1") != NULL)
					return BOUNCE_STAGE_RCPT_PIPELINED;
				j = je < n ? je + 1 : n;
			}
			return BOUNCE_STAGE_DATA;
		}
		i = e < n ? e + 1 : n;
	}
	return BOUNCE_STAGE_UNKNOWN;
}

/*
 * Is s[i..] an SMTP failure reply code ("550", "451") standing alone?
 */
static bool
reply_code_at(const char *s, size_t n, size_t i)
{
	return i + 3 <= n && (s[i] == '4' || s[i] == '5') &&
	       isdigit((unsigned char)s[i + 1]) &&
	       isdigit((unsigned char)s[i + 2]) &&
	       (i + 3 == n || !isdigit((unsigned char)s[i + 3]));
}

/* Are the letters of s[0..n) all capitals? */
static bool
all_caps(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (islower((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * A text that names the command and then quotes the answer to it: "...
 * our RCPT TO:<a@b.example>: 550 ..." or "... DATA: 554 ...".  The
 * command name, an optional ':' and <address>, then a reply code.
 */
static enum bounce_stage
command_then_reply(const char *s, size_t n)
{
	static const struct {
		const char *cmd;
		enum bounce_stage stage;
	} cmds[] = {
	    {"rcpt to", BOUNCE_STAGE_RCPT},
	    {"data", BOUNCE_STAGE_DATA},
	};

	for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++) {
		size_t cl = strlen(cmds[k].cmd), i = 0;
		const char *p;
		while ((p = bounce_strcasestr(s + i, n - i, cmds[k].cmd)) !=
		       NULL) {
			size_t j = (size_t)(p - s) + cl;
			i = j;
			/* A word of its own, in capitals as on the wire. */
			if ((p > s && isalpha((unsigned char)p[-1])) ||
			    (j < n && isalpha((unsigned char)s[j])) ||
			    !all_caps(p, cl))
				continue;
			if (j < n && s[j] == ':')
				j++;
			while (j < n && s[j] == ' ')
				j++;
			if (j < n && s[j] == '<') {
				const char *gt = memchr(s + j, '>', n - j);
				if (gt == NULL ||
				    gt - (s + j) > BOUNCE_ADDR_MAX)
					continue;
				j = (size_t)(gt - s) + 1;
				if (j < n && s[j] == ':')
					j++;
			}
			while (j < n && s[j] == ' ')
				j++;
			if (j > i && reply_code_at(s, n, j))
				return cmds[k].stage;
		}
	}
	return BOUNCE_STAGE_UNKNOWN;
}

/* The stage of one text (see bounce_impl.h). */
enum bounce_stage
bounce_text_stage(const char *s, size_t n)
{
	enum bounce_stage t;

	if (s == NULL || n == 0)
		return BOUNCE_STAGE_UNKNOWN;
	if ((t = transcript_stage(s, n)) != BOUNCE_STAGE_UNKNOWN)
		return t;
	if (has_stage_mark(s, n, data_marks,
	                   sizeof(data_marks) / sizeof(data_marks[0])))
		return BOUNCE_STAGE_DATA;
	if (has_stage_mark(s, n, rcpt_marks,
	                   sizeof(rcpt_marks) / sizeof(rcpt_marks[0])))
		return BOUNCE_STAGE_RCPT;
	return command_then_reply(s, n);
}

/*
 * Does the reply leave out the address where the words need one
 * ("550 : User unknown")?  That is how some carriers' content filters
 * (au / ezweb.ne.jp) answer the message, not the address.
 */
static bool
addressless_unknown(const char *d)
{
	const char *p = d;

	while ((p = strchr(p, ':')) != NULL) {
		const char *b = p;
		while (b > d && b[-1] == ' ')
			b--;
		if (b - d >= 3 && isdigit((unsigned char)b[-1]) &&
		    isdigit((unsigned char)b[-2]) &&
		    (b[-3] == '5' || b[-3] == '4') &&
		    (b - d == 3 || !isalnum((unsigned char)b[-4]))) {
			const char *q = p + 1;
			while (*q == ' ')
				q++;
			if (mc_istarts(q, strlen(q), "user unknown"))
				return true;
		}
		p++;
	}
	return false;
}

/* Subject digit of an enhanced status "5.1.1", or -1. */
static int
status_subject(const char *st)
{
	if (st == NULL || (st[0] != '4' && st[0] != '5') || st[1] != '.' ||
	    !isdigit((unsigned char)st[2]))
		return -1;
	if (isdigit((unsigned char)st[3]))
		return -1; /* no subject above 9 is defined */
	return st[2] - '0';
}

/* Hard or filtered, for an "unknown user" answer (see bounce_impl.h). */
enum bounce_reason
bounce_refine_unknown(const char *diag, const char *status,
                      enum bounce_stage stage)
{
	char dstatus[16] = "";
	int code = -1;
	int subj;
	const char *st;

	/* The remote's own enhanced code (in the reply) before the one the
	 * reporting MTA made up. */
	if (diag != NULL)
		bounce_find_codes(diag, strlen(diag), dstatus, sizeof(dstatus),
		                  &code);
	st = dstatus[0] ? dstatus : status;
	subj = status_subject(st);
	if (subj == 1)
		return BOUNCE_REASON_USER_UNKNOWN;
	/* RFC 3463 X.2.2: the mailbox exists and is full. */
	if (subj == 2 && st[3] == '.' && st[4] == '2' && st[5] == '\0')
		return BOUNCE_REASON_MAILBOX_FULL;
	/* A gateway's content or policy verdict that also says "unknown"
	 * or "rejected recipient" is about the message, not the address. */
	if (diag != NULL && filter_verdict(diag))
		return BOUNCE_REASON_FILTERED;
	if (stage == BOUNCE_STAGE_RCPT)
		return BOUNCE_REASON_USER_UNKNOWN;
	/* Yahoo checks recipients at the end of DATA and says so plainly:
	 * "554 delivery error: dd This user doesn't have a yahoo.com
	 * account". */
	if (diag != NULL &&
	    bounce_strcasestr(diag, strlen(diag), "user doesn't have a") !=
	        NULL &&
	    bounce_vendor_on("yahoo,yahooinc"))
		return BOUNCE_REASON_USER_UNKNOWN;
	if (stage == BOUNCE_STAGE_DATA)
		return BOUNCE_REASON_FILTERED;
	if (subj == 2 || subj == 3 || subj == 7)
		return BOUNCE_REASON_FILTERED;
	if (stage == BOUNCE_STAGE_RCPT_PIPELINED)
		return BOUNCE_REASON_USER_UNKNOWN;
	if (diag != NULL && addressless_unknown(diag) &&
	    bounce_vendor_on("ezweb,kddi"))
		return BOUNCE_REASON_FILTERED;
	return BOUNCE_REASON_USER_UNKNOWN;
}
