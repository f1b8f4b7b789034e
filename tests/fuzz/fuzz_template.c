/*
 * fuzz_template.c — the template compiler on arbitrary bytes; a template
 * that compiles is rendered with values cut from the same input, and the
 * message must keep its shape: CRLF only, no line over 998 octets, the
 * header block ends once, no NUL.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "base/buf.h"
#include "msg/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fields[] = {"first_name", "last_name", "city"};
	char err[TMPL_ERR_MAX];
	struct tmpl *t = NULL;
	const char *s = (const char *)data;
	size_t split = size;

	/* Input: TEMPLATE [\x01 VALUE-BYTES]: the values follow a 0x01. */
	const char *sep = memchr(s, 1, size);
	if (sep != NULL)
		split = (size_t)(sep - s);
	if (tmpl_compile("fuzz", s, split, fields, 3, NULL, NULL, &t, err,
	                 sizeof(err)) != 0) {
		assert(t == NULL && strncmp(err, "fuzz", 4) == 0);
		return 0;
	}
	const char *v = sep ? sep + 1 : "";
	size_t vlen = sep ? size - split - 1 : 0;
	struct tmpl_value vals[3] = {
	    {v, vlen}, {v, vlen / 2}, {v + vlen / 2, vlen - vlen / 2}};
	struct msg_recipient rc = {
	    "a@example.org", "tok", 1, 2, vals, 3, NULL, 0};
	struct msg_render *r = msg_render_new();
	struct buf out;
	buf_init(&out);
	if (msg_render_one(r, t, &rc, 0, &out) == 0) {
		const char *m = buf_cstr(&out);
		size_t n = buf_len(&out), line = 0;
		assert(memchr(m, '\0', n) == NULL);
		for (size_t i = 0; i < n; i++) {
			if (m[i] == '\n')
				assert(i > 0 && m[i - 1] == '\r');
			if (m[i] == '\r')
				assert(i + 1 < n && m[i + 1] == '\n');
			line = m[i] == '\n' ? 0 : line + 1;
			assert(line <= 999);
		}
		assert(n >= 2 && m[n - 1] == '\n');
		assert(strstr(m, "\r\n\r\n") != NULL);
	}
	buf_fini(&out);
	msg_render_free(r);
	tmpl_free(t);
	return 0;
}
