/*
 * cmd_trace.c — `mailcast trace HOST`: hops, ICMP decoded, path MTU.
 */
#include <stdio.h>
#include <sysexits.h>

#include "app/diagnose.h"
#include "cli/commands.h"
#include "cli/util.h"
#include "diag/report.h"
#include "diag/trace.h"

#include "usage_trace.h" /* docs/usage/trace.txt */

/* The command. */
int
cmd_trace(int argc, char **argv)
{
	static struct trace_result r;
	struct trace_opts o;
	bool udp = false, icmp = false, tcp = false;
	int port = 0;
	struct cli_opt opts[] = {
	    {"udp", CLI_FLAG, &udp, .shortopt = 'u'},
	    {"icmp", CLI_FLAG, &icmp, .shortopt = 'I'},
	    {"tcp", CLI_FLAG, &tcp, .shortopt = 'T'},
	    {"port", CLI_INT, &port, 1, 65535, .shortopt = 'p'},
	    {"max-hops", CLI_INT, &o.max_hops, 1, TRACE_HOPS_MAX,
	     .shortopt = 'm'},
	    {"timeout", CLI_MS, &o.timeout_ms, 1, 60000, .shortopt = 'W'},
	    {"max-silent", CLI_INT, &o.max_silent, 1, TRACE_HOPS_MAX,
	     .shortopt = 's'},
	    {0},
	};
	const struct cli_cmd c = {"mailcast trace", usage_trace, opts, true};
	char err[512];
	int i, rc;

	trace_opts_default(&o);
	if ((i = cli_parse(&c, argc, argv, &rc)) < 0)
		return rc;
	if (i + 1 != argc)
		return cli_usage_error(&c, "expected one HOST");
	o.mode = tcp ? TRACE_TCP : icmp ? TRACE_ICMP : udp ? TRACE_UDP : o.mode;
	if (port)
		o.port = (unsigned)port;
	o.host = argv[i];
	if ((rc = trace_run(&o, &r, err, sizeof(err))) != 0) {
		fprintf(stderr, "mailcast trace: %s\n", err);
		return app_probe_exit(rc);
	}
	if (cli_globals.json)
		report_json_out(stdout, report_trace_json(&o, &r));
	else
		report_trace(stdout, &o, &r);
	return r.reached ? EX_OK : EX_UNAVAILABLE;
}
