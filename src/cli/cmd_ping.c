/*
 * cmd_ping.c — `mailcast ping HOST`: ICMP echo, RTT, loss, TTL, errors.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "base/error.h"
#include "base/str.h"
#include "cli/commands.h"
#include "cli/util.h"
#include "diag/ping.h"
#include "diag/report.h"

/* Usage text. */
static void
usage(FILE *fp)
{
	fprintf(fp,
	        "usage: mailcast ping HOST [--count N] [--interval MS] "
	        "[--timeout MS] [--ttl N] [--json]\n"
	        "  ICMP echo over a ping socket (or a raw socket as root).\n"
	        "  Exit: 0 replies came, 68 host unknown, 69 no reply, 77 ICMP "
	        "not allowed.\n");
}

/* The command. */
int
cmd_ping(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"count", required_argument, NULL, 'c'},
	    {"interval", required_argument, NULL, 'i'},
	    {"timeout", required_argument, NULL, 'W'},
	    {"ttl", required_argument, NULL, 't'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct ping_opts o;
	struct ping_result r;
	bool json = cli_globals.json;
	char err[512];
	int ch, rc;

	ping_opts_default(&o);
	while ((ch = getopt_long(argc, argv, "c:i:W:t:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			if (!cli_int_opt("ping", "--count", optarg, 0,
			                 PING_COUNT_MAX, &o.count))
				return EX_USAGE;
			break;
		case 'i':
			if (!cli_int_opt("ping", "--interval", optarg, 0, 60000,
			                 &o.interval_ms))
				return EX_USAGE;
			break;
		case 'W':
			if (!cli_int_opt("ping", "--timeout", optarg, 0, 60000,
			                 &o.timeout_ms))
				return EX_USAGE;
			break;
		case 't':
			if (!cli_int_opt("ping", "--ttl", optarg, 0, 255,
			                 &o.ttl))
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
		fprintf(stderr, "mailcast ping: expected one HOST\n");
		usage(stderr);
		return EX_USAGE;
	}
	o.host = argv[optind];
	rc = ping_run(&o, &r, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "mailcast ping: %s\n", err);
		return cli_probe_exit(rc);
	}
	if (json)
		report_json_out(stdout, report_ping_json(&r));
	else
		report_ping(stdout, &r);
	return r.received > 0 ? EX_OK : EX_UNAVAILABLE;
}
