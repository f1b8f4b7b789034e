/*
 * cmd_probe.c — `mailcast probe HOST`: the state of each mail port.
 */
#include <stdio.h>
#include <sysexits.h>

#include "base/error.h"
#include "cli/commands.h"
#include "cli/util.h"
#include "diag/probe.h"
#include "diag/report.h"

#include "usage_probe.h" /* docs/usage/probe.txt */

/* --ports LIST into the probe_opts at dst. */
static int
parse_ports(void *dst, const char *arg)
{
	char err[512];

	if (probe_parse_ports(arg, dst, err, sizeof(err)) == 0)
		return 0;
	fprintf(stderr, "mailcast probe: %s\n", err);
	return -1;
}

/* The command. */
int
cmd_probe(int argc, char **argv)
{
	static struct probe_port res[PROBE_PORTS_MAX];
	struct probe_opts o;
	bool notalk = false;
	struct cli_opt opts[] = {
	    {"ports", CLI_FN, &o, .fn = parse_ports, .shortopt = 'p'},
	    {"timeout", CLI_MS, &o.timeout_ms, 1, 600000, .shortopt = 'W'},
	    CLI_N("banner-wait", CLI_MS, &o.banner_ms, 1, 600000, NULL),
	    CLI_O("ehlo", CLI_STR, &o.ehlo),
	    CLI_O("ca-file", CLI_STR, &o.ca_file),
	    CLI_O("no-talk", CLI_FLAG, &notalk),
	    {0},
	};
	const struct cli_cmd c = {"mailcast probe", usage_probe, opts, true};
	char err[512];
	int i, rc, open = 0;

	probe_opts_default(&o);
	if ((i = cli_parse(&c, argc, argv, &rc)) < 0)
		return rc;
	if (i + 1 != argc)
		return cli_usage_error(&c, "expected one HOST");
	o.host = argv[i];
	o.app = o.app && !notalk;
	if ((rc = probe_run(&o, res, err, sizeof(err))) != 0) {
		fprintf(stderr, "mailcast probe: %s\n", err);
		return rc == MC_ENOHOST ? EX_NOHOST : EX_USAGE;
	}
	if (cli_globals.json)
		report_json_out(stdout,
		                report_probe_json(o.host, res, o.nports));
	else
		report_probe(stdout, o.host, res, o.nports);
	for (size_t k = 0; k < o.nports; k++)
		if (res[k].state == PROBE_OPEN ||
		    res[k].state == PROBE_TLS_EXPECTED)
			open++;
	return open > 0 ? EX_OK : EX_UNAVAILABLE;
}
