/*
 * cmd_doctor.c — `mailcast doctor`: one root cause, its evidence, the fix.
 * The options go to app/diagnose.h, which gathers and judges.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "app/diagnose.h"
#include "cli/commands.h"
#include "cli/util.h"
#include "diag/report.h"

#include "usage_doctor.h" /* docs/usage/doctor.txt */

_Static_assert(DC_DNSBL_MAX == 8, "the --dnsbl message says 8");

/* The command. */
int
cmd_doctor(int argc, char **argv)
{
	static struct app_doctor d;
	static char secret[1024];
	struct doctor_opts *o = &d.o;
	const char *pwfile = NULL;
	struct cli_many bl = {o->dnsbl, 0};
	struct cli_opt opts[] = {
	    CLI_O("relay", CLI_STR, &d.relay),
	    CLI_O("tls", CLI_STR, &d.tls),
	    CLI_O("domain", CLI_STR, &o->domain),
	    CLI_O("ip", CLI_STR, &o->ip),
	    CLI_O("selector", CLI_STR, &o->selector),
	    CLI_N("dnsbl", CLI_MANY, &bl, 0, DC_DNSBL_MAX,
	          "mailcast doctor: at most 8 --dnsbl zones"),
	    CLI_O("mailbox", CLI_STR, &d.mailbox),
	    CLI_O("dns-server", CLI_STR, &o->dns_server),
	    CLI_O("ports", CLI_STR, &d.ports),
	    CLI_N("timeout", CLI_MS, &o->probe.timeout_ms, 100, 600000, NULL),
	    CLI_O("ca-file", CLI_STR, &o->probe.ca_file),
	    CLI_O("no-trace", CLI_FLAG, &o->no_trace),
	    CLI_O("no-ping", CLI_FLAG, &o->no_ping),
	    CLI_O("auth-user", CLI_STR, &o->auth_user),
	    CLI_O("auth-password-file", CLI_STR, &pwfile),
	    {0},
	};
	const struct cli_cmd c = {"mailcast doctor", usage_doctor, opts, true};
	char err[256];
	int i, rc;

	doctor_opts_default(o);
	if ((i = cli_parse(&c, argc, argv, &rc)) < 0)
		return rc;
	if (i != argc)
		return cli_usage_error(&c, "unexpected argument '%s'", argv[i]);
	o->ndnsbl = bl.n;
	if (app_doctor_prepare(&d, err, sizeof(err)) != 0)
		return cli_usage_error(&c, "%s", err);
	if ((rc = cli_auth_secret(&c, o->auth_user, pwfile, secret,
	                          sizeof(secret), &o->auth_secret)) != 0)
		return rc;
	rc = app_doctor_run(&d);
	explicit_bzero(secret, sizeof(secret));
	o->auth_secret = NULL;
	if (cli_globals.json)
		report_json_out(stdout, report_doctor_json(o, &d.f, &d.r));
	else
		report_doctor(stdout, o, &d.f, &d.r);
	return rc;
}
