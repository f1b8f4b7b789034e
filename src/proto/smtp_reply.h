/*
 * smtp_reply.h — SMTP reply framing (RFC 5321 §4.2) and enhanced status
 * codes (RFC 3463).
 *
 * A struct smtp_reply_parser takes the server's bytes in pieces of any size
 * and yields whole replies: the three-digit code, the enhanced code when the
 * first line carries one, and the text of every line (without the "250-"
 * prefixes) joined by '\n'.  Lines may end in CRLF or a bare LF.  Limits are
 * hard: a line longer than SMTP_REPLY_LINE_MAX, a reply of more than
 * SMTP_REPLY_LINES_MAX lines or SMTP_REPLY_TEXT_MAX bytes of text is an
 * error (MC_ELIMIT), as is a line that is not "DDD", "DDD text" or
 * "DDD-text", or a continuation line whose code differs (MC_EPROTO).  After
 * an error the parser stays failed; the text of the error is in last_error.
 *
 * Ownership: the parser is caller-owned (init/fini).  A reply returned by
 * smtp_reply_parse() points into the parser and is valid until the next call.
 */
#ifndef MC_PROTO_SMTP_REPLY_H
#define MC_PROTO_SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

#define SMTP_REPLY_LINE_MAX  4096 /* RFC 5321 says 512; servers exceed it */
#define SMTP_REPLY_LINES_MAX 200
#define SMTP_REPLY_TEXT_MAX  65536

struct smtp_reply {
	int code;         /* 200..599 */
	char enh[16];     /* "5.1.1", or "" when the reply has none */
	const char *text; /* lines joined by '\n', NUL-terminated */
	size_t text_len;
	size_t nlines;
};

struct smtp_reply_parser {
	struct buf line; /* the partial line carried between calls */
	struct buf text; /* the lines of the reply so far */
	int code;        /* code of the reply being read, or 0 */
	size_t nlines;
	int failed; /* 0, or the MC_E* that stopped it */
	char last_error[160];
	struct smtp_reply reply;
};

void smtp_reply_parser_init(struct smtp_reply_parser *p);
void smtp_reply_parser_fini(struct smtp_reply_parser *p);
/*
 * Consume bytes from data[0..len) until one whole reply is read or the input
 * ends; *used says how many were consumed.  Returns 1 with *out filled when
 * a reply is complete, 0 when all input was consumed without completing one,
 * or MC_EPROTO / MC_ELIMIT (see last_error).
 */
int smtp_reply_parse(struct smtp_reply_parser *p, const char *data, size_t len,
                     size_t *used, const struct smtp_reply **out);
/* True when a reply is partly read (bytes held between calls). */
bool smtp_reply_parser_busy(const struct smtp_reply_parser *p);
/*
 * Find an RFC 3463 code at the start of text ("5.1.1 ..."); its class must
 * be 2, 4 or 5.  Writes it into enh (16 bytes) and returns its length with
 * the following space, or 0 when there is none.
 */
size_t smtp_enhanced_code(const char *text, size_t len, char enh[16]);

#endif
