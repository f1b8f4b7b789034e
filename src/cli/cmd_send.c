/*
 * cmd_send.c — `mailcast send`: one message to one or more recipients,
 * swaks-like, printing for every recipient what the server answered; or,
 * with --count, a load test over reused connections.  The sending is
 * app/send.h's; this file reads the flags and prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <jansson.h>

#include "app/send.h"
#include "base/error.h"
#include "cli/commands.h"
#include "cli/util.h"

#include "usage_send.h" /* docs/usage/send.txt */

_Static_assert(APP_SEND_RCPT_MAX == 1000, "the --to message says 1000");

/* A line of the dialogue (--transcript). */
static void
print_trace(void *arg, char dir, const char *line, size_t len)
{
	(void)arg;
	printf(dir == '*' ? "%c %.*s\n" : "%c: %.*s\n", dir, (int)len, line);
}

/* One recipient's outcome: a line, or a JSON object (--json). */
static void
print_result(void *arg, const struct app_send_result *r)
{
	(void)arg;
	if (cli_globals.json)
		cli_json_line(app_send_result_json(r));
	else if (r->code)
		printf("%s: %d%s%s %s\n", r->recipient, r->code,
		       r->enhanced[0] ? " " : "", r->enhanced, r->text);
	else
		printf("%s: not sent: %s\n", r->recipient, r->text);
}

/* `mailcast send`. */
int
cmd_send(int argc, char **argv)
{
	static const char *to[APP_SEND_RCPT_MAX];
	struct app_send_opts o = {.to = to, .result = print_result};
	struct app_send_summary sum;
	struct cli_many many = {to, 0};
	const char *pwfile = NULL;
	bool transcript = false, verify = true;
	struct cli_opt opts[] = {
	    CLI_O("server", CLI_STR, &o.server),
	    CLI_O("tls", CLI_STR, &o.tls),
	    CLI_O("from", CLI_STR, &o.from),
	    CLI_N("to", CLI_MANY, &many, 0, APP_SEND_RCPT_MAX,
	          "mailcast: send: more than 1000 --to"),
	    CLI_O("data", CLI_STR, &o.data),
	    CLI_O("helo", CLI_STR, &o.helo),
	    CLI_O("auth-user", CLI_STR, &o.auth_user),
	    CLI_O("auth-password-file", CLI_STR, &pwfile),
	    CLI_O("auth-mech", CLI_STR, &o.auth_mech),
	    CLI_O("ca-file", CLI_STR, &o.ca_file),
	    CLI_O("tls-verify", CLI_YESNO, &verify),
	    CLI_O("timeout", CLI_STR, &o.timeout),
	    CLI_O("allow-cleartext-auth", CLI_FLAG, &o.allow_cleartext),
	    CLI_O("transcript", CLI_FLAG, &transcript),
	    CLI_N("count", CLI_LONG, &o.count, 1, 100000000,
	          "mailcast: send: --count takes a number from 1"),
	    CLI_N("connections", CLI_LONG, &o.connections, 1, 1000,
	          "mailcast: send: --connections takes 1 to 1000"),
	    CLI_O("no-pipelining", CLI_FLAG, &o.no_pipelining),
	    CLI_O("no-chunking", CLI_FLAG, &o.no_chunking),
	    {0},
	};
	const struct cli_cmd c = {"mailcast: send", usage_send, opts, true};
	char secret[1024] = "";
	int i, rc;

	if ((i = cli_parse(&c, argc, argv, &rc)) < 0)
		return rc;
	if (i < argc) {
		return cli_usage_error(&c, "unexpected argument \"%s\"",
		                       argv[i]);
	}
	o.nto = many.n;
	o.no_verify = !verify;
	o.summary_only = o.count > 0;
	if ((rc = cli_auth_secret(&c, o.auth_user, pwfile, secret,
	                          sizeof(secret), &o.auth_secret)) != 0)
		return rc;
	if (transcript) {
		o.trace = print_trace;
		setvbuf(stdout, NULL, _IOLBF, 0);
	}
	rc = app_send_run(&o, &sum);
	explicit_bzero(secret, sizeof(secret));
	if (rc == MC_EINVAL)
		return cli_usage_error(&c, "%s", sum.why);
	if (sum.why[0])
		fprintf(stderr, "mailcast: send: %s\n", sum.why);
	if (rc != 0)
		return mc_exit_code(rc);
	if (o.summary_only && cli_globals.json)
		cli_json_line(app_send_summary_json(&sum, o.count));
	else if (o.summary_only)
		app_send_summary_text(stdout, &sum, o.count);
	return sum.status;
}
