/*
 * cmd_ping.c — `mailcast ping HOST`: ICMP echo, RTT, loss, TTL, errors.
 */
#include <stdio.h>
#include <sysexits.h>

#include "app/diagnose.h"
#include "cli/commands.h"
#include "cli/util.h"
#include "diag/ping.h"
#include "diag/report.h"

#include "usage_ping.h" /* docs/usage/ping.txt */

/* The command. */
int
cmd_ping(int argc, char **argv)
{
	struct ping_opts o;
	struct ping_result r;
	struct cli_opt opts[] = {
	    {"count", CLI_INT, &o.count, 0, PING_COUNT_MAX, .shortopt = 'c'},
	    {"interval", CLI_MS, &o.interval_ms, 0, 60000, .shortopt = 'i'},
	    {"timeout", CLI_MS, &o.timeout_ms, 0, 60000, .shortopt = 'W'},
	    {"ttl", CLI_INT, &o.ttl, 0, 255, .shortopt = 't'},
	    {0},
	};
	const struct cli_cmd c = {"mailcast ping", usage_ping, opts, true};
	char err[512];
	int i, rc;

	ping_opts_default(&o);
	if ((i = cli_parse(&c, argc, argv, &rc)) < 0)
		return rc;
	if (i + 1 != argc)
		return cli_usage_error(&c, "expected one HOST");
	o.host = argv[i];
	if ((rc = ping_run(&o, &r, err, sizeof(err))) != 0) {
		fprintf(stderr, "mailcast ping: %s\n", err);
		return app_probe_exit(rc);
	}
	if (cli_globals.json)
		report_json_out(stdout, report_ping_json(&r));
	else
		report_ping(stdout, &r);
	return r.received > 0 ? EX_OK : EX_UNAVAILABLE;
}
