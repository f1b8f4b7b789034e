/*
 * bounce_impl.h — helpers shared by the files of the bounce parser; not
 * for other layers (they use bounce.h).
 *
 * Text helpers work on (pointer, length) spans of the decoded message and
 * never allocate unless their name says so.  dsn_parse.c reads RFC 3464 and
 * RFC 5965 field blocks; text_scan.c reads the plain-text formats of MTAs
 * that send no delivery-status part; bounce_parse.c walks the MIME tree
 * with GMime and decides the kind.  Recipients are added through
 * bounce_add_rcpt(), which enforces BOUNCE_MAX_RCPTS and de-duplicates.
 */
#ifndef MC_BOUNCE_BOUNCE_IMPL_H
#define MC_BOUNCE_BOUNCE_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "bounce/bounce.h"

/* What the walk over the MIME tree collects (mime_fast.c, or GMime in
 * bounce_parse.c). */
struct bounce_walk {
	struct buf human;    /* text/plain outside the original */
	struct buf html;     /* text/html, when there is no text/plain */
	struct buf dsn;      /* message/delivery-status bodies */
	struct buf feedback; /* message/feedback-report body */
	struct buf orig;     /* headers of the returned original */
	int parts;
	int too_deep;
	bool have_orig;
	bool have_feedback;
	bool have_dsn;
	/* Top-level header values, unfolded (Subject decoded); heap or NULL. */
	char *to, *from, *subject, *failed, *auto_submitted, *precedence;
	char *return_path; /* top-level Return-Path ("<>" for a null sender) */
	/* report-type of the top multipart/report, else of the first nested
	 * one (an ARF forwarded inside multipart/mixed). */
	char *report_type;
	bool x_autoreply; /* X-Autoreply or X-Autorespond present */
	bool x_ars;       /* X-Auto-Response-Suppress present (Exchange puts
	                     it on replies and reports alike: weak) */
};

/*
 * Walk an LF-only message without GMime.  Returns 0 with w filled, or
 * MC_EAGAIN when the message has a shape the fast path does not read the
 * way GMime would (then w is left for the caller to reset and GMime reads
 * the message).
 */
int mime_fast_walk(const char *s, size_t n, struct bounce_walk *w);
/* Free what a walk holds and make it empty. */
void bounce_walk_reset(struct bounce_walk *w);
/* Test hook: false makes bounce_parse() always use GMime. */
void bounce_set_fast_path(bool on);

/*
 * May the rules written for one product's quirk, tagged with the
 * comma-separated families ("qmail", "yahoo", ...), apply?  NULL (a
 * general rule) always may; a family named in MAILCAST_BOUNCE_HOLDOUT
 * may not (vendor.c: the leave-one-MTA-out bench's switch).
 */
bool bounce_vendor_on(const char *families);

/* Addresses the text scanner must not take for a failed recipient. */
#define BOUNCE_MAX_EXCLUDE 16

struct bounce_exclude {
	char addr[BOUNCE_MAX_EXCLUDE][BOUNCE_ADDR_MAX];
	int n;
};

/* Case-insensitive search for a lower-case needle. */
const char *bounce_strcasestr(const char *hay, size_t haylen,
                              const char *needle);
/*
 * Find the next e-mail address in s[0..n) from *pos; copy it lower-cased
 * into out and return true, *pos moved past it and *start set to where
 * it was.  Only addr-spec forms local@domain.tld are found.
 */
bool bounce_next_addr(const char *s, size_t n, size_t *pos, char *out,
                      size_t outsize, size_t *start);
/* The first address in s[0..n), lower-cased, into out; false if none. */
bool bounce_first_addr(const char *s, size_t n, char *out, size_t outsize);
/* Find a status "5.1.1" and a reply code "550" in text (either may be
 * missing: status "" and *code 0). */
void bounce_find_codes(const char *s, size_t n, char *status, size_t statussize,
                       int *code);
/* Copy text into a fresh heap string of at most BOUNCE_MAX_DIAGNOSTIC
 * bytes: whitespace runs become one space, control bytes and invalid
 * UTF-8 become '?' or space. */
char *bounce_clean_text(const char *s, size_t n);
/* Add a recipient (or return the one with that address); NULL when the
 * result already holds BOUNCE_MAX_RCPTS. */
struct bounce_rcpt *bounce_add_rcpt(struct bounce_result *r,
                                    const char *address);
void bounce_exclude_add(struct bounce_exclude *x, const char *addr);
bool bounce_exclude_has(const struct bounce_exclude *x, const char *addr);

/* RFC 3464: add one recipient per Final-Recipient group of a
 * message/delivery-status body.  Returns how many were added. */
int dsn_parse(const char *s, size_t n, struct bounce_result *r);
/* RFC 5965: Feedback-Type into r->feedback_type, one complaint recipient
 * per Original-Rcpt-To / Removal-Recipient.  Returns how many. */
int arf_parse(const char *s, size_t n, struct bounce_result *r);
/* The SMTP command a failure answered, as far as the text says. */
enum bounce_stage {
	BOUNCE_STAGE_UNKNOWN = 0,
	BOUNCE_STAGE_MAIL,
	BOUNCE_STAGE_RCPT,
	BOUNCE_STAGE_DATA,
	/* The answer to RCPT TO, read after DATA was sent (pipelining):
	 * weaker than a stage the MTA names. */
	BOUNCE_STAGE_RCPT_PIPELINED,
};

/* The stage a bounce text names (Postfix "in reply to RCPT TO command",
 * Exim "after RCPT TO:", a Sendmail transcript, ...), or UNKNOWN. */
enum bounce_stage bounce_text_stage(const char *s, size_t n);
/* For a diagnostic the reason table calls USER_UNKNOWN: USER_UNKNOWN when
 * the address is what was refused (an X.1.x status, an answer to RCPT),
 * FILTERED when the content was (an answer to DATA, an X.2.x, X.3.x or
 * X.7.x status, an answer without the address). */
enum bounce_reason bounce_refine_unknown(const char *diag, const char *status,
                                         enum bounce_stage stage);

/* Blank (make spaces) the addresses in s[0..n), in place. */
void bounce_blank_addrs(char *s, size_t n);
/* A generic reason (undefined, rejected) made the one a 5.1.1, 5.1.2,
 * 5.1.3, 5.1.6 or 5.1.10 status, or a 521/556 reply (RFC 7504), states;
 * any other reason kept. */
enum bounce_reason bounce_status_first(enum bounce_reason reason,
                                       const char *status, int reply_code);

/* Where the human-readable part of a text bounce ends (the start of the
 * quoted original message), or n. */
size_t text_human_end(const char *s, size_t n);
/* Scan the human-readable text of a bounce for failed recipients and
 * their diagnostics.  Returns how many were added. */
int text_scan(const char *s, size_t n, const struct bounce_exclude *x,
              struct bounce_result *r);
/* The paragraph of s[0..n) around the address at s[at..], extended to the
 * next paragraphs while they hold no code, stopping at the next
 * recipient's line; into a fresh clean string. */
char *text_diagnostic_near(const char *s, size_t n, size_t at,
                           const char *addr);

#endif
