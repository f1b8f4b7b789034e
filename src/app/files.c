/*
 * files.c — secrets and whole files for the front ends; see files.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/xmalloc.h"
#include "app/files.h"

/* A secret from a file or the environment. */
int
app_read_secret(const char *file, const char *env, char *out, size_t outsz,
                char *err, size_t errsz)
{
	const char *v;

	if (file == NULL) {
		v = env ? getenv(env) : NULL;
		if (v == NULL || *v == '\0') {
			snprintf(err, errsz, "no secret: give a file or set %s",
			         env ? env : "the variable");
			return -1;
		}
		if (strlen(v) >= outsz) {
			snprintf(err, errsz, "%s is too long", env);
			return -1;
		}
		memcpy(out, v, strlen(v) + 1);
		return 0;
	}
	FILE *fp = fopen(file, "r");
	if (fp == NULL) {
		snprintf(err, errsz, "cannot open secret file \"%s\": %s", file,
		         strerror(errno));
		return -1;
	}
	if (fgets(out, (int)outsz, fp) == NULL) {
		snprintf(err, errsz, "secret file \"%s\" is empty", file);
		fclose(fp);
		return -1;
	}
	fclose(fp);
	out[strcspn(out, "\r\n")] = '\0';
	if (out[0] == '\0') {
		snprintf(err, errsz, "secret file \"%s\" is empty", file);
		return -1;
	}
	return 0;
}

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
