/*
 * cmd_probe.c — `mailcast probe HOST`: the state of each mail port.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "base/error.h"
#include "base/str.h"
#include "cli/commands.h"
#include "diag/probe.h"
#include "diag/report.h"

/* Usage text. */
static void
usage(FILE *fp)
{
	fprintf(
	    fp,
	    "usage: mailcast probe HOST [--ports LIST] [--timeout MS] "
	    "[--banner-wait MS]\n"
	    "                      [--ehlo NAME] [--ca-file PEM] [--no-talk] "
	    "[--json]\n"
	    "  Connects to every port at once (default "
	    "25,587,465,110,995,143,993) and\n"
	    "  classifies each: open, closed (RST), filtered (timeout), "
	    "rejected (ICMP,\n"
	    "  with its sender), tls-expected.  Open ports: banner, "
	    "capabilities, STARTTLS,\n"
	    "  certificate, AUTH; TCP MSS, path MTU and receive window.\n"
	    "  Exit: 0 at least one port open, 69 none, 68 host unknown.\n");
}

/* The command. */
int
cmd_probe(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"ports", required_argument, NULL, 'p'},
	    {"timeout", required_argument, NULL, 'W'},
	    {"banner-wait", required_argument, NULL, 'b'},
	    {"ehlo", required_argument, NULL, 'e'},
	    {"ca-file", required_argument, NULL, 'C'},
	    {"no-talk", no_argument, NULL, 'n'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static struct probe_port res[PROBE_PORTS_MAX];
	struct probe_opts o;
	unsigned long long v;
	bool json = cli_globals.json;
	char err[512];
	int ch, rc, open = 0;

	probe_opts_default(&o);
	while ((ch = getopt_long(argc, argv, "p:W:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			if (probe_parse_ports(optarg, &o, err, sizeof(err))) {
				fprintf(stderr, "mailcast probe: %s\n", err);
				return EX_USAGE;
			}
			break;
		case 'W':
		case 'b':
			if (!mc_parse_uint(optarg, strlen(optarg), 600000,
			                   &v) ||
			    v == 0) {
				fprintf(
				    stderr,
				    "mailcast probe: %s must be milliseconds "
				    "(1..600000)\n",
				    ch == 'W' ? "--timeout" : "--banner-wait");
				return EX_USAGE;
			}
			if (ch == 'W')
				o.timeout_ms = (int)v;
			else
				o.banner_ms = (int)v;
			break;
		case 'e':
			o.ehlo = optarg;
			break;
		case 'C':
			o.ca_file = optarg;
			break;
		case 'n':
			o.app = false;
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
		fprintf(stderr, "mailcast probe: expected one HOST\n");
		usage(stderr);
		return EX_USAGE;
	}
	o.host = argv[optind];
	rc = probe_run(&o, res, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "mailcast probe: %s\n", err);
		return rc == MC_ENOHOST ? EX_NOHOST : EX_USAGE;
	}
	if (json)
		report_json_out(stdout,
		                report_probe_json(o.host, res, o.nports));
	else
		report_probe(stdout, o.host, res, o.nports);
	for (size_t i = 0; i < o.nports; i++)
		if (res[i].state == PROBE_OPEN ||
		    res[i].state == PROBE_TLS_EXPECTED)
			open++;
	return open > 0 ? EX_OK : EX_UNAVAILABLE;
}
