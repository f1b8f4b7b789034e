/*
 * utf8.h — the one UTF-8 decoder (RFC 3629) every layer uses.
 *
 * utf8_decode() reads one scalar value and rejects what RFC 3629 forbids:
 * a stray continuation byte or a bad lead (0x80-0xC1, 0xF5-0xFF), a
 * sequence cut short or with a bad continuation byte, overlong forms,
 * surrogates (U+D800-U+DFFF) and anything past U+10FFFF.  utf8_check()
 * validates a buffer; utf8_width() says how many terminal columns a string
 * takes, for aligning columns of a table.
 *
 * The width table is small and documented in utf8.c, not full Unicode:
 * combining marks and zero-width characters take 0 columns, East Asian
 * wide and fullwidth characters (CJK, Hangul, kana, fullwidth forms, the
 * common emoji blocks) take 2, everything else 1.  No allocation, no
 * state: safe from any thread.
 */
#ifndef MC_BASE_UTF8_H
#define MC_BASE_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define UTF8_MAX         4      /* bytes in one sequence */
#define UTF8_REPLACEMENT 0xfffd /* what an invalid byte is shown as */

/*
 * Decode the sequence at s[0..n): returns its length (1 for ASCII, up to
 * 4) and sets *cp (when cp is not NULL), or returns 0 when s does not start
 * with a valid sequence (or n is 0); *cp is then untouched.
 */
size_t utf8_decode(const void *s, size_t n, uint32_t *cp);
/* The offset of the first byte of s[0..n) that does not start a valid
 * sequence, or n when all of it is valid UTF-8. */
size_t utf8_check(const void *s, size_t n);
/* Columns a terminal gives to the scalar cp: 0, 1 or 2 (see above); 0 for
 * C0 and C1 control characters. */
int utf8_cp_width(uint32_t cp);
/* Columns s[0..n) takes; an invalid byte counts as one U+FFFD (1 column). */
size_t utf8_width(const void *s, size_t n);

#endif
