/*
 * base64.c — see base64.h.
 */
#include "base/base64.h"
#include "base/error.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
base64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

void
base64_encode(struct buf *out, const void *data, size_t n)
{
	const unsigned char *p = data;
	unsigned char *o = buf_reserve(out, base64_encoded_len(n));
	unsigned char *start = o;
	size_t i;

	for (i = 0; i + 3 <= n; i += 3) {
		unsigned v =
		    (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = alphabet[(v >> 6) & 63];
		*o++ = alphabet[v & 63];
	}
	if (n - i == 1) {
		unsigned v = (unsigned)p[i] << 16;
		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = '=';
		*o++ = '=';
	} else if (n - i == 2) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = alphabet[(v >> 6) & 63];
		*o++ = '=';
	}
	buf_commit(out, (size_t)(o - start));
}

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
base64_decode(struct buf *out, const char *in, size_t n, int flags)
{
	unsigned acc = 0;
	int bits = 0, pad = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		int v;

		if ((flags & BASE64_SKIP_SPACE) &&
		    (c == '\r' || c == '\n' || c == ' ' || c == '\t'))
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad)
			return MC_EDATA; /* data after padding */
		if ((v = b64val(c)) < 0)
			return MC_EDATA;
		acc = acc << 6 | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_putc(out, (int)((acc >> bits) & 0xff));
		}
	}
	/* Leftover bits must be zero and padding must complete the quantum. */
	if (bits >= 6 || (acc & ((1u << bits) - 1)) != 0)
		return MC_EDATA;
	if (pad && (bits / 2 != pad))
		return MC_EDATA;
	return 0;
}

void
base64_decode_lenient(struct buf *out, const char *in, size_t n, size_t max)
{
	unsigned char tmp[512];
	size_t t = 0, room = max > buf_len(out) ? max - buf_len(out) : 0;
	unsigned acc = 0;
	int bits = 0;

	for (size_t i = 0; i < n && room > 0; i++) {
		int v = b64val((unsigned char)in[i]);
		if (v < 0) {
			if (in[i] == '=')
				bits = 0, acc = 0; /* padding ends a group */
			continue;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			tmp[t++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
			if (t == sizeof(tmp) || t == room) {
				buf_append(out, tmp, t);
				room -= t;
				t = 0;
			}
		}
	}
	if (t > 0 && room > 0)
		buf_append(out, tmp, t < room ? t : room);
}
