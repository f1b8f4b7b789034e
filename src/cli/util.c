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

#include "base/clock.h"
#include "base/error.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "cli/commands.h"
#include "cli/store_open.h"
#include "cli/util.h"
#include "app/json_text.h"

/* Store one option's argument; 0, or the exit status after saying why
 * it is bad. */
static int
opt_store(const struct cli_cmd *c, const struct cli_opt *o, const char *arg)
{
	unsigned long long v;
	uint64_t ms, unit = o->type == CLI_SECS ? 1000 : 1;
	bool dur = o->type == CLI_MS || o->type == CLI_SECS;
	struct cli_many *m = o->dst;
	int rc;

	switch (o->type) {
	case CLI_FLAG:
		*(bool *)o->dst = true;
		return 0;
	case CLI_STR:
		*(const char **)o->dst = arg;
		return 0;
	case CLI_YESNO:
		if (strcmp(arg, "yes") != 0 && strcmp(arg, "no") != 0) {
			fprintf(stderr, "%s: --%s takes yes or no\n", c->prefix,
			        o->name);
			return EX_USAGE;
		}
		*(bool *)o->dst = arg[0] == 'y';
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
		if (dur && (mc_duration_parse(arg, unit, &ms) < 0 || ms % unit))
			break;
		if (dur)
			v = ms / unit;
		else if (!mc_parse_uint(arg, strlen(arg), o->max, &v))
			break;
		if (v < o->min || v > o->max)
			break;
		if (o->type == CLI_INT || o->type == CLI_MS)
			*(int *)o->dst = (int)v;
		else if (o->type == CLI_LONG || o->type == CLI_SECS)
			*(long *)o->dst = (long)v;
		else
			*(unsigned long long *)o->dst = v;
		return 0;
	}
	if (o->bad != NULL)
		fprintf(stderr, "%s\n", o->bad);
	else
		fprintf(
		    stderr, "%s: --%s must be a %s %llu..%llu%s\n", c->prefix,
		    o->name, dur ? "duration" : "number", o->min, o->max,
		    dur ? (unit > 1 ? "s (30s, 5m)" : "ms (500ms, 2s)") : "");
	return EX_USAGE;
}

/* Parse argv by the table; see util.h. */
int
cli_parse(const struct cli_cmd *c, int argc, char **argv, int *status)
{
	size_t n = 0;
	char shorts[64] = "hj";
	char *argv0;
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
	argv0 = argv[0]; /* getopt's own messages begin with it */
	argv[0] = (char *)c->prefix;
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
	argv[0] = argv0;
	free(lo);
	return ret;
}

/* `mailcast CMD SUB ...` by a table (see util.h). */
int
cli_subs_run(const char *cmd, const char *usage, const struct cli_sub *subs,
             int argc, char **argv)
{
	static struct cli_opt none[] = {{0}};
	const struct cli_sub *sub = subs;
	struct cli_call call = {.s = NULL};
	json_t *out;
	char prefix[80];
	int first, rc;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EX_USAGE : EX_OK;
	}
	while (sub->name != NULL && strcmp(sub->name, argv[1]) != 0)
		sub++;
	if (sub->name == NULL) {
		fprintf(stderr, "mailcast: %s: unknown command '%s'\n", cmd,
		        argv[1]);
		fputs(usage, stderr);
		return EX_USAGE;
	}
	snprintf(prefix, sizeof(prefix), "mailcast: %s %s", cmd, sub->name);
	const struct cli_cmd c = {prefix, usage, sub->opts ? sub->opts : none,
	                          false};
	if ((first = cli_parse(&c, argc - 1, argv + 1, &rc)) < 0)
		return rc;
	call.name = prefix + strlen("mailcast: ");
	call.prefix = prefix;
	call.argc = argc - 1 - first;
	call.argv = argv + 1 + first;
	if (call.argc < sub->min || call.argc > sub->max)
		return cli_usage_error(&c, "%s operands (see --help)",
		                       call.argc < sub->min ? "too few"
		                                            : "too many");
	if (sub->store != CLI_STORE_NONE &&
	    (call.s = cli_store_open(call.name)) == NULL)
		return cli_store_exit();
	if (sub->run != NULL)
		rc = sub->run(&call);
	else if ((rc = sub->op(call.s, sub->op_arg, call.argc,
	                       (const char *const *)call.argv, &out, call.err,
	                       sizeof(call.err))) == 0)
		cli_out(out, sub->fmt);
	store_close(call.s);
	if (rc < 0)
		return cli_fail(mc_exit_code(rc), "%s: %s", prefix, call.err);
	return rc;
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

/* A JSON value as one line. */
void
cli_json_line(json_t *v)
{
	json_dumpf(v, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(v);
}

/* v as JSON or text; see util.h. */
void
cli_out(json_t *v, const char *fmt)
{
	if (cli_globals.json) {
		cli_json_print(v);
		return;
	}
	json_text_write(stdout, v, fmt);
	json_decref(v);
}

/* The AUTH password, from a file or the environment (never argv). */
int
cli_auth_secret(const struct cli_cmd *c, const char *user, const char *pwfile,
                char *secret, size_t secretsz, const char **out)
{
	char err[1200];
	int rc = secret_for_user(user, pwfile, secret, secretsz, out, err,
	                         sizeof(err));

	if (rc == MC_EINVAL)
		return cli_usage_error(c, "%s", err);
	return rc < 0 ? cli_fail(EX_CONFIG, "%s: %s", c->prefix, err) : 0;
}
