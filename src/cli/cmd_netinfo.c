/*
 * cmd_netinfo.c — `mailcast netinfo`: interfaces, gateway, routes, DNS.
 */
#include <stdio.h>
#include <sysexits.h>

#include "cli/commands.h"
#include "cli/util.h"
#include "diag/netinfo.h"
#include "diag/report.h"

/* The command. */
int
cmd_netinfo(int argc, char **argv)
{
	static struct netinfo ni;
	const char *resolv = NULL;
	bool json = cli_globals.json;
	struct cli_opt opts[] = {
	    CLI_O("json", CLI_FLAG, &json),
	    CLI_O("resolv-conf", CLI_STR, &resolv),
	    {0},
	};
	const struct cli_cmd c = {
	    "mailcast netinfo",
	    "usage: mailcast netinfo [--json] [--resolv-conf FILE]\n"
	    "  interfaces (MAC, MTU, addresses labelled private/CGNAT/"
	    "link-local/\n  loopback/public), the default gateway and its MAC, "
	    "the routing table,\n  the DNS servers of resolv.conf.\n",
	    opts, false};
	char err[256];
	int i, rc;

	if ((i = cli_parse(&c, argc, argv, &rc)) < 0)
		return rc;
	if (i != argc)
		return cli_usage_error(&c, "unexpected argument '%s'", argv[i]);
	if (netinfo_collect(&ni, resolv, err, sizeof(err)) != 0) {
		fprintf(stderr, "mailcast netinfo: %s\n", err);
		return EX_OSERR;
	}
	if (json)
		report_json_out(stdout, report_netinfo_json(&ni));
	else
		report_netinfo(stdout, &ni);
	return EX_OK;
}
