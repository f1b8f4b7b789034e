/*
 * mime.h — the encoders a message is built from: header folding, RFC 2047
 * encoded-words, RFC 2231 parameters, quoted-printable and base64 bodies,
 * HTML escaping.  Every function appends to a struct buf, writes CRLF line
 * ends, keeps lines within 78 octets where the syntax allows a break and
 * never writes one over 998.
 *
 * Header values given to these functions must already be free of CR, LF and
 * NUL (mime_sanitize() makes them so): that is what stops a merge value from
 * creating a header.  Bodies are given with LF line ends (any CR, CRLF or LF
 * in the input is taken as one line end).  Nothing here allocates except the
 * buffers' growth; nothing fails.
 */
#ifndef MC_MSG_MIME_H
#define MC_MSG_MIME_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

#define MIME_LINE_SOFT 78  /* RFC 5322 2.1.1 SHOULD */
#define MIME_LINE_HARD 998 /* RFC 5322 2.1.1 MUST */

enum mime_cte {
	MIME_7BIT,
	MIME_QP,
	MIME_BASE64,
};

/* "7bit", "quoted-printable", "base64". */
const char *mime_cte_name(enum mime_cte cte);
/* Append s[0..n) to out with CR, LF, NUL and other controls turned into
 * spaces and invalid UTF-8 into U+FFFD, cut to at most max octets. */
void mime_sanitize(struct buf *out, const char *s, size_t n, size_t max);
/* Is s[0..n) printable ASCII (and tab) only? */
bool mime_is_ascii(const char *s, size_t n);
/* "Name: value" with value unstructured text (RFC 5322 unstructured):
 * folded at spaces, RFC 2047 encoded-words when it is not plain ASCII. */
void mime_header_text(struct buf *out, const char *name, const char *v,
                      size_t n);
/* "Name: display <addr-spec>": the display name is written as atoms, a
 * quoted-string or encoded-words; the addr-spec never encoded. */
void mime_header_addr(struct buf *out, const char *name, const char *display,
                      size_t dn, const char *addr);
/* Append a RFC 2231 parameter "; name*0*=utf-8''..." (or name="v" when v
 * is short plain ASCII) on folded lines. */
void mime_param_2231(struct buf *out, const char *name, const char *v,
                     size_t n);
/* Choose the transfer encoding for a text body with LF line ends. */
enum mime_cte mime_choose_cte(const char *s, size_t n);
/* A piece of a text body as mime_choose_cte() sees it, so that a body
 * assembled from pieces (compiled template text, merge values) gets its
 * transfer encoding without being scanned again.  Lengths in octets. */
struct mime_piece {
	size_t len;      /* octets */
	size_t nonascii; /* octets >= 0x80 */
	bool clean;      /* only printable ASCII, tab and LF; no "=_"; no
	                  * white space before an LF */
	bool has_lf;     /* holds at least one LF */
	unsigned char first, last; /* the end octets; 0 if empty */
	size_t head;  /* octets before the first LF (all if none) */
	size_t tail;  /* octets after the last LF */
	size_t inner; /* longest line between two LFs */
};

/* The running verdict over a sequence of pieces; start with {0}. */
struct mime_cte_run {
	size_t len, nonascii; /* totals */
	size_t col;           /* length of the current line */
	unsigned char prev;   /* last octet so far (0: none) */
	bool odd;             /* something that rules out 7bit */
};

/* Describe s[0..n). */
void mime_piece_scan(struct mime_piece *p, const char *s, size_t n);
/* Add a piece to the run. */
void mime_run_add(struct mime_cte_run *r, const struct mime_piece *p);
/* What mime_choose_cte() says of the pieces joined (the same answer). */
enum mime_cte mime_run_cte(const struct mime_cte_run *r);
/* Append s[0..n) as a 7bit body fragment: each LF becomes CRLF. */
void mime_put_crlf(struct buf *out, const char *s, size_t n);
/* Write s[0..n) at o with each LF made CRLF (room for 2n octets);
 * returns the end of what was written. */
unsigned char *mime_crlf_into(unsigned char *o, const char *s, size_t n);
/* Encode a text body (LF line ends) with cte into out (CRLF line ends);
 * MIME_7BIT only for text mime_choose_cte() chose it for (no CR, no =_). */
void mime_encode_body(struct buf *out, enum mime_cte cte, const char *s,
                      size_t n);
/* Base64 with 76-column CRLF lines (binary attachments). */
void mime_base64_lines(struct buf *out, const void *data, size_t n);
/* Append s with & < > " ' escaped for HTML text and attribute values. */
void mime_html_escape(struct buf *out, const char *s, size_t n);

#endif
