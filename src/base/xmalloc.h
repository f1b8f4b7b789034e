/*
 * xmalloc.h — allocation that never returns NULL.
 *
 * Out of memory aborts the process with a message: mailcast's parsers all
 * have hard input limits, so running out of memory is a bug or a machine in
 * trouble, and no caller is made to carry a NULL check.  Sizes that overflow
 * when multiplied abort as well.  Memory from these functions is freed with
 * free(3).
 */
#ifndef MC_BASE_XMALLOC_H
#define MC_BASE_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *ptr, size_t size);
void *xreallocarray(void *ptr, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap)
    __attribute__((format(printf, 1, 0)));

#endif
