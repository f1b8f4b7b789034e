/*
 * files.c — whole files for the front ends; see files.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/xmalloc.h"
#include "app/files.h"

/* A whole file into a heap buffer. */
int
app_read_file(const char *path, size_t max, unsigned char **data, size_t *len,
              char *err, size_t errsz)
{
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *fp = is_stdin ? stdin : fopen(path, "rb");
	size_t cap = 8192, n = 0;
	unsigned char *p;

	if (fp == NULL) {
		snprintf(err, errsz, "cannot open \"%s\": %s", path,
		         strerror(errno));
		return -1;
	}
	p = xmalloc(cap + 1);
	for (;;) {
		if (n == cap) {
			if (cap >= max) {
				snprintf(err, errsz,
				         "\"%s\" is larger than %zu bytes",
				         path, max);
				free(p);
				if (!is_stdin)
					fclose(fp);
				return -1;
			}
			cap = cap * 2 > max ? max : cap * 2;
			p = xrealloc(p, cap + 1);
		}
		size_t r = fread(p + n, 1, cap - n, fp);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(fp)) {
		snprintf(err, errsz, "cannot read \"%s\": %s", path,
		         strerror(errno));
		free(p);
		if (!is_stdin)
			fclose(fp);
		return -1;
	}
	if (!is_stdin)
		fclose(fp);
	p[n] = '\0';
	*data = p;
	*len = n;
	return 0;
}
