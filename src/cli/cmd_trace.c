/*
 * cmd_trace.c — `mailcast trace HOST`: hops, ICMP decoded, path MTU.
 */
#include <stdio.h>
#include <sysexits.h>

#include "cli/commands.h"
#include "cli/util.h"
#include "diag/report.h"
#include "diag/trace.h"

/* The command. */
int
cmd_trace(int argc, char **argv)
{
	static struct trace_result r;
	struct trace_opts o;
	bool json = cli_globals.json, udp = false, icmp = false, tcp = false;
	int port = 0;
	struct cli_opt opts[] = {
	    {"udp", CLI_FLAG, &udp, .shortopt = 'u'},
	    {"icmp", CLI_FLAG, &icmp, .shortopt = 'I'},
	    {"tcp", CLI_FLAG, &tcp, .shortopt = 'T'},
	    {"port", CLI_INT, &port, 1, 65535, .shortopt = 'p'},
	    {"max-hops", CLI_INT, &o.max_hops, 1, TRACE_HOPS_MAX,
	     .shortopt = 'm'},
	    {"timeout", CLI_INT, &o.timeout_ms, 1, 60000, .shortopt = 'W'},
	    {"max-silent", CLI_INT, &o.max_silent, 1, TRACE_HOPS_MAX,
	     .shortopt = 's'},
	    CLI_O("json", CLI_FLAG, &json),
	    {0},
	};
	const struct cli_cmd c = {
	    "mailcast trace",
	    "usage: mailcast trace HOST [--udp | --icmp | --tcp --port P] "
	    "[--max-hops N]\n"
	    "                      [--timeout MS] [--max-silent N] [--json]\n"
	    "  TTL-limited probes: each hop's address and RTT, ICMP decoded, "
	    "the path MTU;\n"
	    "  with --tcp --port 25, the hop after which port 25 dies.\n"
	    "  Exit: 0 reached, 69 not reached or rejected, 68 host "
	    "unknown.\n",
	    opts, false};
	char err[512];
	int i, rc;

	trace_opts_default(&o);
	if ((i = cli_parse(&c, argc, argv, &rc)) < 0)
		return rc;
	if (i + 1 != argc) {
		fprintf(stderr, "mailcast trace: expected one HOST\n");
		fputs(c.usage, stderr);
		return EX_USAGE;
	}
	o.mode = tcp ? TRACE_TCP : icmp ? TRACE_ICMP : udp ? TRACE_UDP : o.mode;
	if (port)
		o.port = (unsigned)port;
	o.host = argv[i];
	if ((rc = trace_run(&o, &r, err, sizeof(err))) != 0) {
		fprintf(stderr, "mailcast trace: %s\n", err);
		return cli_probe_exit(rc);
	}
	if (json)
		report_json_out(stdout, report_trace_json(&o, &r));
	else
		report_trace(stdout, &o, &r);
	return r.reached ? EX_OK : EX_UNAVAILABLE;
}
