/*
 * util.c — see util.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sysexits.h>

#include "base/error.h"
#include "base/xmalloc.h"
#include "cli/util.h"

int
cli_read_secret(const char *file, const char *env, char *out, size_t outsz,
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

int
cli_read_file(const char *path, size_t max, unsigned char **data, size_t *len,
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

bool
cli_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool
cli_int_opt(const char *cmd, const char *name, const char *s, int min, int max,
            int *out)
{
	long v;

	if (!cli_parse_long(s, min, max, &v)) {
		fprintf(stderr, "mailcast %s: %s must be a number %d..%d\n",
		        cmd, name, min, max);
		return false;
	}
	*out = (int)v;
	return true;
}

int
cli_probe_exit(int rc)
{
	switch (rc) {
	case MC_EUNSUPP:
		return EX_NOPERM;
	case MC_ENOHOST:
		return EX_NOHOST;
	case MC_EINVAL:
		return EX_USAGE;
	default:
		return EX_OSERR;
	}
}
