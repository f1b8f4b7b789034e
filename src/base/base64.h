/*
 * base64.h — RFC 4648 base64, as SASL, MIME and DKIM need it.
 *
 * Encoding appends to a struct buf, with no line breaks (MIME wraps lines
 * itself).  Decoding is strict: it accepts only the base64 alphabet and
 * correct '=' padding, optionally ignoring CR, LF, space and tab (as MIME
 * bodies need), and returns MC_EDATA for anything else.
 */
#ifndef MC_BASE_BASE64_H
#define MC_BASE_BASE64_H

#include <stddef.h>

#include "base/buf.h"

#define BASE64_SKIP_SPACE 0x1 /* ignore CR, LF, SP and HT when decoding */

/* Bytes needed to encode n bytes (without a NUL). */
size_t base64_encoded_len(size_t n);
void base64_encode(struct buf *out, const void *data, size_t n);
/* Decode; returns 0 or MC_EDATA (out then holds what came before the error). */
int base64_decode(struct buf *out, const char *in, size_t n, int flags);

/*
 * Decode as mail readers do with what senders produce: bytes outside the
 * alphabet are skipped, '=' ends a group; decoding stops once out holds
 * max bytes.  Never fails.
 */
void base64_decode_lenient(struct buf *out, const char *in, size_t n,
                           size_t max);

#endif
