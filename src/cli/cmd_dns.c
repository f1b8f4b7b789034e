/*
 * cmd_dns.c — `mailcast dns DOMAIN`: MX, PTR, SPF, DKIM, DMARC, DNSBL.
 */
#include <stdio.h>
#include <sysexits.h>

#include "app/diagnose.h"
#include "cli/commands.h"
#include "cli/util.h"
#include "diag/report.h"

#include "usage_dns.h" /* docs/usage/dns.txt */

_Static_assert(DC_DNSBL_MAX == 8, "the --dnsbl message says 8");

/* The command. */
int
cmd_dns(int argc, char **argv)
{
	static struct dnscheck c;
	struct dnscheck_opts o = {0};
	struct cli_many bl = {o.dnsbl, 0};
	const char *server = NULL;
	int tmo = 2000;
	struct cli_opt opts[] = {
	    CLI_O("ip", CLI_STR, &o.ip),
	    CLI_O("selector", CLI_STR, &o.selector),
	    CLI_N("dnsbl", CLI_MANY, &bl, 0, DC_DNSBL_MAX,
	          "mailcast dns: at most 8 --dnsbl zones"),
	    CLI_O("dns-server", CLI_STR, &server),
	    CLI_N("timeout", CLI_MS, &tmo, 1, 60000, NULL),
	    {0},
	};
	const struct cli_cmd cmd = {"mailcast dns", usage_dns, opts, true};
	char err[256];
	int i, rc;

	if ((i = cli_parse(&cmd, argc, argv, &rc)) < 0)
		return rc;
	if (i < argc)
		o.domain = argv[i++];
	if (i != argc)
		return cli_usage_error(&cmd, "unexpected argument '%s'",
		                       argv[i]);
	o.ndnsbl = bl.n;
	if (app_dns_check(server, tmo, &o, &c, err, sizeof(err)) != 0)
		return cli_usage_error(&cmd, "%s", err);
	if (cli_globals.json)
		report_json_out(stdout, report_dns_json(&o, &c));
	else
		report_dns(stdout, &o, &c);
	return c.dns_dead ? EX_TEMPFAIL : EX_OK;
}
