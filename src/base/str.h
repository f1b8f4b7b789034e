/*
 * str.h — small string helpers the C library lacks.
 *
 * All take explicit lengths where the input may not be NUL-terminated
 * (protocol lines).  None allocates unless its name says so.
 */
#ifndef MC_BASE_STR_H
#define MC_BASE_STR_H

#include <stdbool.h>
#include <stddef.h>

/* Copy with truncation; always NUL-terminates when size > 0.  Returns
 * strlen(src). */
size_t mc_strlcpy(char *dst, const char *src, size_t size);
/* Does s[0..n) start with prefix, ignoring ASCII case? */
bool mc_istarts(const char *s, size_t n, const char *prefix);
/* ASCII case-insensitive equality of s[0..n) and the string t. */
bool mc_ieq(const char *s, size_t n, const char *t);
/* Strip ASCII white space from both ends of (*s)[0..*n). */
void mc_trim(const char **s, size_t *n);
/* Parse a decimal unsigned number of at most max; false on junk or overflow. */
bool mc_parse_uint(const char *s, size_t n, unsigned long long max,
                   unsigned long long *out);

#endif
