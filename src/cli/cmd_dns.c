/*
 * cmd_dns.c — `mailcast dns DOMAIN`: MX, PTR, SPF, DKIM, DMARC, DNSBL.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "base/str.h"
#include "cli/commands.h"
#include "diag/dnscheck.h"
#include "diag/report.h"
#include "dns/dns.h"

/* Usage text. */
static void
usage(FILE *fp)
{
	fprintf(
	    fp,
	    "usage: mailcast dns [DOMAIN] [--ip ADDR] [--selector S] "
	    "[--dnsbl ZONE]...\n"
	    "                    [--dns-server ADDR:PORT] [--timeout MS] "
	    "[--json]\n"
	    "  MX in order (null MX, implicit MX) and their addresses; PTR "
	    "of --ip and\n"
	    "  forward confirmation; SPF (lookups counted against 10, result "
	    "for --ip);\n"
	    "  DKIM key of --selector; DMARC policy; --ip on each --dnsbl "
	    "zone\n"
	    "  (127.255.255.x answers are query errors, not listings).\n"
	    "  Exit: 0 answered, 75 the DNS server did not answer, 64 bad "
	    "usage.\n");
}

/* The command. */
int
cmd_dns(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"ip", required_argument, NULL, 'i'},
	    {"selector", required_argument, NULL, 's'},
	    {"dnsbl", required_argument, NULL, 'b'},
	    {"dns-server", required_argument, NULL, 'S'},
	    {"timeout", required_argument, NULL, 'W'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static struct dnscheck c;
	struct dnscheck_opts o;
	struct dns_resolver *r;
	const char *server = NULL;
	unsigned long long tmo = 2000;
	bool json = cli_globals.json;
	char err[256];
	int ch;

	memset(&o, 0, sizeof(o));
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			o.ip = optarg;
			break;
		case 's':
			o.selector = optarg;
			break;
		case 'b':
			if (o.ndnsbl >= DC_DNSBL_MAX) {
				fprintf(stderr,
				        "mailcast dns: at most %d "
				        "--dnsbl zones\n",
				        DC_DNSBL_MAX);
				return EX_USAGE;
			}
			o.dnsbl[o.ndnsbl++] = optarg;
			break;
		case 'S':
			server = optarg;
			break;
		case 'W':
			if (!mc_parse_uint(optarg, strlen(optarg), 60000,
			                   &tmo) ||
			    tmo == 0) {
				fprintf(stderr, "mailcast dns: --timeout must "
				                "be 1..60000 ms\n");
				return EX_USAGE;
			}
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
	if (optind < argc)
		o.domain = argv[optind++];
	if (optind != argc || (o.domain == NULL && o.ip == NULL)) {
		fprintf(stderr, "mailcast dns: give a DOMAIN and/or --ip\n");
		usage(stderr);
		return EX_USAGE;
	}
	if (o.ndnsbl > 0 && o.ip == NULL) {
		fprintf(stderr, "mailcast dns: --dnsbl needs --ip\n");
		return EX_USAGE;
	}
	if (o.selector != NULL && o.domain == NULL) {
		fprintf(stderr, "mailcast dns: --selector needs a DOMAIN\n");
		return EX_USAGE;
	}
	if (dns_cares_new(server, (int)tmo, 2, &r, err, sizeof(err)) != 0) {
		fprintf(stderr, "mailcast dns: %s\n", err);
		return EX_USAGE;
	}
	dnscheck_run(r, &o, &c);
	dns_resolver_free(r);
	if (json)
		report_json_out(stdout, report_dns_json(&o, &c));
	else
		report_dns(stdout, &o, &c);
	return c.dns_dead ? EX_TEMPFAIL : EX_OK;
}
