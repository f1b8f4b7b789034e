/*
 * util.c — the option parser and small helpers; see util.h.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base/error.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "cli/util.h"

/* Store one option's argument; false after saying why it is bad. */
static bool
opt_store(const struct cli_cmd *c, const struct cli_opt *o, const char *arg)
{
	unsigned long long v;
	struct cli_many *m = o->dst;

	switch (o->type) {
	case CLI_FLAG:
		*(bool *)o->dst = true;
		return true;
	case CLI_STR:
		*(const char **)o->dst = arg;
		return true;
	case CLI_FN:
		return o->fn(o->dst, arg) == 0;
	case CLI_MANY:
		if (m->n < o->max) {
			m->v[m->n++] = arg;
			return true;
		}
		break;
	default:
		if (!mc_parse_uint(arg, strlen(arg), o->max, &v) || v < o->min)
			break;
		if (o->type == CLI_INT)
			*(int *)o->dst = (int)v;
		else if (o->type == CLI_LONG)
			*(long *)o->dst = (long)v;
		else
			*(unsigned long long *)o->dst = v;
		return true;
	}
	if (o->bad != NULL)
		fprintf(stderr, "%s\n", o->bad);
	else
		fprintf(stderr, "%s: --%s must be a number %llu..%llu\n",
		        c->prefix, o->name, o->min, o->max);
	return false;
}

int
cli_parse(const struct cli_cmd *c, int argc, char **argv, int *status)
{
	size_t n = 0;
	char shorts[64] = "h";
	int ch, ret = -1;

	while (c->opts[n].name != NULL)
		n++;
	struct option *lo = xcalloc(n + 2, sizeof(*lo));
	for (size_t i = 0; i < n; i++) {
		const struct cli_opt *o = &c->opts[i];
		bool arg = o->type != CLI_FLAG;

		lo[i] = (struct option){o->name,
		                        arg ? required_argument : no_argument,
		                        NULL, 256 + (int)i};
		if (o->shortopt) {
			size_t l = strlen(shorts);
			shorts[l] = o->shortopt;
			shorts[l + 1] = arg ? ':' : '\0';
			shorts[l + 2] = '\0';
		}
	}
	lo[n] = (struct option){"help", no_argument, NULL, 'h'};
	*status = EX_USAGE;
	optind = 0;
	while ((ch = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		const struct cli_opt *o = NULL;

		if (ch == 'h') {
			fputs(c->usage, stdout);
			*status = EX_OK;
			goto done;
		}
		for (size_t i = 0; i < n && o == NULL; i++)
			if (ch == 256 + (int)i || ch == c->opts[i].shortopt)
				o = &c->opts[i];
		if (o == NULL) {
			fputs(c->usage, stderr);
			goto done;
		}
		if (!opt_store(c, o, optarg)) {
			if (c->usage_on_bad)
				fputs(c->usage, stderr);
			goto done;
		}
	}
	ret = optind;
done:
	free(lo);
	return ret;
}

int
cli_usage_error(const struct cli_cmd *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", c->prefix);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EX_USAGE;
}

int
cli_fail(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

void
cli_json_print(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(v);
}

const char *
cli_jstr(const json_t *v, const char *key)
{
	const char *s = json_string_value(json_object_get(v, key));

	return s != NULL ? s : "";
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
