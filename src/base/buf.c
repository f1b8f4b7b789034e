/*
 * buf.c — see buf.h.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xmalloc.h"

void
buf_init(struct buf *b)
{
	memset(b, 0, sizeof(*b));
}

void
buf_fini(struct buf *b)
{
	free(b->mem);
	memset(b, 0, sizeof(*b));
}

void
buf_reset(struct buf *b)
{
	b->off = b->end = 0;
	if (b->mem)
		b->mem[0] = '\0';
}

unsigned char *
buf_reserve(struct buf *b, size_t n)
{
	size_t len = b->end - b->off;

	if (b->mem != NULL && b->cap - b->end >= n)
		return b->mem + b->end;
	/* Reclaim consumed space first: cheaper than growing. */
	if (b->off > 0 && b->cap - len >= n) {
		memmove(b->mem, b->mem + b->off, len);
		b->off = 0;
		b->end = len;
		b->mem[b->end] = '\0';
		return b->mem + b->end;
	}
	if (b->off > 0) {
		memmove(b->mem, b->mem + b->off, len);
		b->off = 0;
		b->end = len;
	}
	if (n > (size_t)-1 / 2 - len)
		xrealloc(NULL, (size_t)-1); /* aborts */
	size_t cap = b->cap ? b->cap : 64;
	while (cap - len < n)
		cap *= 2;
	b->mem = xrealloc(b->mem, cap + 1);
	b->cap = cap;
	b->mem[b->end] = '\0';
	return b->mem + b->end;
}

void
buf_commit(struct buf *b, size_t n)
{
	assert(b->cap - b->end >= n);
	if (b->mem == NULL)
		return;
	b->end += n;
	b->mem[b->end] = '\0';
}

void
buf_append(struct buf *b, const void *data, size_t n)
{
	if (n == 0)
		return;
	memcpy(buf_reserve(b, n), data, n);
	buf_commit(b, n);
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void
buf_putc(struct buf *b, int c)
{
	unsigned char ch = (unsigned char)c;

	buf_append(b, &ch, 1);
}

void
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	size_t room;
	int n;

	/* One pass into the free space (the common case: a command line, a
	 * JSON value), a second only when the text did not fit.  room counts
	 * the NUL's byte after cap. */
	buf_reserve(b, 128);
	room = b->cap - b->end + 1;
	va_copy(ap2, ap);
	n = vsnprintf((char *)b->mem + b->end, room, fmt, ap2);
	va_end(ap2);
	if (n <= 0) {
		b->mem[b->end] = '\0';
		return;
	}
	if ((size_t)n < room) {
		b->end += (size_t)n; /* vsnprintf wrote the NUL */
		return;
	}
	b->mem[b->end] = '\0';
	unsigned char *p = buf_reserve(b, (size_t)n + 1);
	vsnprintf((char *)p, (size_t)n + 1, fmt, ap);
	buf_commit(b, (size_t)n);
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
buf_consume(struct buf *b, size_t n)
{
	assert(n <= b->end - b->off);
	b->off += n;
	if (b->off == b->end)
		b->off = b->end = 0;
	if (b->mem)
		b->mem[b->end] = '\0';
}

char *
buf_steal(struct buf *b, size_t *lenp)
{
	size_t len = buf_len(b);
	char *s;

	if (b->mem == NULL) {
		s = xstrdup("");
	} else if (b->off == 0) {
		s = (char *)b->mem;
		s[len] = '\0';
	} else {
		s = xmemdup(b->mem + b->off, len + 1);
		free(b->mem);
	}
	if (lenp)
		*lenp = len;
	memset(b, 0, sizeof(*b));
	return s;
}
