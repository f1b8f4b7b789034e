/*
 * cmd_netinfo.c — `mailcast netinfo`: interfaces, gateway, routes, DNS.
 */
#include <getopt.h>
#include <stdio.h>
#include <sysexits.h>

#include "base/error.h"
#include "cli/commands.h"
#include "diag/netinfo.h"
#include "diag/report.h"

/* Usage text. */
static void
usage(FILE *fp)
{
	fprintf(
	    fp,
	    "usage: mailcast netinfo [--json] [--resolv-conf FILE]\n"
	    "  interfaces (MAC, MTU, addresses labelled private/CGNAT/"
	    "link-local/\n  loopback/public), the default gateway and its MAC, "
	    "the routing table,\n  the DNS servers of resolv.conf.\n");
}

/* The command. */
int
cmd_netinfo(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"resolv-conf", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static struct netinfo ni;
	const char *resolv = NULL;
	bool json = cli_globals.json;
	char err[256];
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = true;
			break;
		case 'r':
			resolv = optarg;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "mailcast netinfo: unexpected argument '%s'\n",
		        argv[optind]);
		return EX_USAGE;
	}
	rc = netinfo_collect(&ni, resolv, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "mailcast netinfo: %s\n", err);
		return EX_OSERR;
	}
	if (json)
		report_json_out(stdout, report_netinfo_json(&ni));
	else
		report_netinfo(stdout, &ni);
	return EX_OK;
}
