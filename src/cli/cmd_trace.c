/*
 * cmd_trace.c — `mailcast trace HOST`: hops, ICMP decoded, path MTU.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "base/error.h"
#include "base/str.h"
#include "cli/commands.h"
#include "cli/util.h"
#include "diag/report.h"
#include "diag/trace.h"

/* Usage text. */
static void
usage(FILE *fp)
{
	fprintf(
	    fp,
	    "usage: mailcast trace HOST [--udp | --icmp | --tcp --port P] "
	    "[--max-hops N]\n"
	    "                      [--timeout MS] [--max-silent N] [--json]\n"
	    "  TTL-limited probes: each hop's address and RTT, ICMP decoded, "
	    "the path MTU;\n"
	    "  with --tcp --port 25, the hop after which port 25 dies.\n"
	    "  Exit: 0 reached, 69 not reached or rejected, 68 host "
	    "unknown.\n");
}

/* The command. */
int
cmd_trace(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"udp", no_argument, NULL, 'u'},
	    {"icmp", no_argument, NULL, 'I'},
	    {"tcp", no_argument, NULL, 'T'},
	    {"port", required_argument, NULL, 'p'},
	    {"max-hops", required_argument, NULL, 'm'},
	    {"timeout", required_argument, NULL, 'W'},
	    {"max-silent", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static struct trace_result r;
	struct trace_opts o;
	bool json = cli_globals.json;
	char err[512];
	int ch, rc, v;

	trace_opts_default(&o);
	while ((ch = getopt_long(argc, argv, "uITp:m:W:s:h", opts, NULL)) !=
	       -1) {
		switch (ch) {
		case 'u':
			o.mode = TRACE_UDP;
			break;
		case 'I':
			o.mode = TRACE_ICMP;
			break;
		case 'T':
			o.mode = TRACE_TCP;
			break;
		case 'p':
			if (!cli_int_opt("trace", "--port", optarg, 1, 65535,
			                 &v))
				return EX_USAGE;
			o.port = (unsigned)v;
			break;
		case 'm':
			if (!cli_int_opt("trace", "--max-hops", optarg, 1,
			                 TRACE_HOPS_MAX, &o.max_hops))
				return EX_USAGE;
			break;
		case 'W':
			if (!cli_int_opt("trace", "--timeout", optarg, 1, 60000,
			                 &o.timeout_ms))
				return EX_USAGE;
			break;
		case 's':
			if (!cli_int_opt("trace", "--max-silent", optarg, 1,
			                 TRACE_HOPS_MAX, &o.max_silent))
				return EX_USAGE;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "mailcast trace: expected one HOST\n");
		usage(stderr);
		return EX_USAGE;
	}
	o.host = argv[optind];
	rc = trace_run(&o, &r, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "mailcast trace: %s\n", err);
		return cli_probe_exit(rc);
	}
	if (json)
		report_json_out(stdout, report_trace_json(&o, &r));
	else
		report_trace(stdout, &o, &r);
	return r.reached ? EX_OK : EX_UNAVAILABLE;
}
