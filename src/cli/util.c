/*
 * util.c — the option parser and small helpers; see util.h.
 */
#include <assert.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base/error.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "cli/commands.h"
#include "cli/util.h"

/* Store one option's argument; 0, or the exit status after saying why
 * it is bad. */
static int
opt_store(const struct cli_cmd *c, const struct cli_opt *o, const char *arg)
{
	unsigned long long v;
	struct cli_many *m = o->dst;
	int rc;

	switch (o->type) {
	case CLI_FLAG:
		*(bool *)o->dst = true;
		return 0;
	case CLI_STR:
		*(const char **)o->dst = arg;
		return 0;
	case CLI_FN:
	case CLI_FN0:
		rc = o->fn(o->dst, arg);
		return rc < 0 ? EX_USAGE : rc;
	case CLI_MANY:
		if (m->n < o->max) {
			m->v[m->n++] = arg;
			return 0;
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
		return 0;
	}
	if (o->bad != NULL)
		fprintf(stderr, "%s\n", o->bad);
	else
		fprintf(stderr, "%s: --%s must be a number %llu..%llu\n",
		        c->prefix, o->name, o->min, o->max);
	return EX_USAGE;
}

/* Parse argv by the table; see util.h. */
int
cli_parse(const struct cli_cmd *c, int argc, char **argv, int *status)
{
	size_t n = 0;
	char shorts[64] = "hj";
	int ch, ret = -1;

	while (c->opts[n].name != NULL)
		n++;
	struct option *lo = xcalloc(n + 3, sizeof(*lo));
	for (size_t i = 0; i < n; i++) {
		const struct cli_opt *o = &c->opts[i];
		bool arg = o->type != CLI_FLAG && o->type != CLI_FN0;

		lo[i] = (struct option){o->name,
		                        arg ? required_argument : no_argument,
		                        NULL, 256 + (int)i};
		if (o->shortopt) {
			size_t l = strlen(shorts);
			assert(l + 3 <= sizeof(shorts));
			shorts[l] = o->shortopt;
			shorts[l + 1] = arg ? ':' : '\0';
			shorts[l + 2] = '\0';
		}
	}
	lo[n] = (struct option){"help", no_argument, NULL, 'h'};
	lo[n + 1] = (struct option){"json", no_argument, NULL, 'j'};
	optind = 0;
	while ((ch = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		const struct cli_opt *o = NULL;

		if (ch == 'j') {
			cli_globals.json = true;
			continue;
		}
		if (ch == 'h') {
			fputs(c->usage, stdout);
			*status = EX_OK;
			goto done;
		}
		for (size_t i = 0; i < n && o == NULL; i++)
			if (ch == 256 + (int)i || ch == c->opts[i].shortopt)
				o = &c->opts[i];
		if (o == NULL) {
			*status = EX_USAGE;
			fputs(c->usage, stderr);
			goto done;
		}
		if ((*status = opt_store(c, o, optarg)) != 0) {
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

/* A usage error: the message, maybe the usage. */
int
cli_usage_error(const struct cli_cmd *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", c->prefix);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (c->usage_on_bad)
		fputs(c->usage, stderr);
	return EX_USAGE;
}

/* A message line on stderr; status back. */
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

/* A JSON value to stdout. */
void
cli_json_print(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(v);
}

/* A string member, never NULL. */
const char *
cli_jstr(const json_t *v, const char *key)
{
	const char *s = json_string_value(json_object_get(v, key));

	return s != NULL ? s : "";
}

/* The AUTH password, from a file or the environment (never argv). */
int
cli_auth_secret(const struct cli_cmd *c, const char *user, const char *pwfile,
                char *secret, size_t secretsz, const char **out)
{
	char err[1200];

	if (user == NULL && pwfile != NULL)
		return cli_usage_error(
		    c, "--auth-password-file needs --auth-user");
	if (user == NULL)
		return 0;
	if (secret_read(pwfile, "MAILCAST_AUTH_PASSWORD", secret, secretsz, err,
	                sizeof(err)) != 0)
		return cli_fail(EX_CONFIG, "%s: %s", c->prefix, err);
	*out = secret;
	return 0;
}

/* The exit status of a probe that could not run. */
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
