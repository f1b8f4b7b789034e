/*
 * buf.h — a growable byte buffer with a read cursor.
 *
 * Bytes are appended at the end and consumed from the front; consumed space
 * is reclaimed lazily (on the next append that would grow the buffer), so a
 * buffer used as a FIFO does not move data on every read.  The contents are
 * always followed by a NUL byte that is not counted in the length, so a
 * buffer holding text can be passed to string functions.
 *
 * Ownership: struct buf is caller-owned: buf_init() before use, buf_fini()
 * after (it frees the storage; the struct itself is the caller's).  Pointers
 * from buf_data() are valid until the next call that appends or resets.
 * Growth beyond memory aborts (see xmalloc.h).
 */
#ifndef MC_BASE_BUF_H
#define MC_BASE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	unsigned char *mem;
	size_t off; /* first unread byte */
	size_t end; /* one past the last byte */
	size_t cap; /* bytes allocated, excluding the NUL */
};

void buf_init(struct buf *b);
void buf_fini(struct buf *b);
/* Forget every byte, keep the storage. */
void buf_reset(struct buf *b);
/* Make room for n more bytes at the end; returns where they go. */
unsigned char *buf_reserve(struct buf *b, size_t n);
/* Count n bytes written into the space buf_reserve() returned. */
void buf_commit(struct buf *b, size_t n);
void buf_append(struct buf *b, const void *data, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, int c);
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Drop n bytes from the front (n <= buf_len()). */
void buf_consume(struct buf *b, size_t n);
/* Detach the contents as a NUL-terminated heap string; b is left empty. */
char *buf_steal(struct buf *b, size_t *lenp);

static inline const unsigned char *
buf_data(const struct buf *b)
{
	return b->mem ? b->mem + b->off : (const unsigned char *)"";
}

static inline size_t
buf_len(const struct buf *b)
{
	return b->end - b->off;
}

static inline const char *
buf_cstr(const struct buf *b)
{
	return (const char *)buf_data(b);
}

#endif
