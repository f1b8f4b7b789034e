/*
 * cmd_doctor.c — `mailcast doctor`: one root cause, its evidence, the fix.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/str.h"
#include "cli/commands.h"
#include "cli/util.h"
#include "diag/doctor.h"
#include "diag/report.h"
#include "dns/dns.h"

/* Usage text. */
static void
usage(FILE *fp)
{
	fprintf(
	    fp,
	    "usage: mailcast doctor [--relay HOST[:PORT]] [--tls "
	    "auto|starttls|implicit]\n"
	    "         [--domain D] [--ip ADDR] [--selector S] [--dnsbl "
	    "ZONE]...\n"
	    "         [--mailbox URL] [--dns-server ADDR:PORT] [--ports LIST] "
	    "[--timeout MS]\n"
	    "         [--ca-file PEM] [--no-trace] [--no-ping] [--json]\n"
	    "         [--auth-user USER [--auth-password-file FILE]]\n"
	    "  Runs the probes, trace, ping and DNS checks that apply, in "
	    "parallel, and\n"
	    "  prints ONE root cause with its evidence and the fix, then the "
	    "detail.\n"
	    "  Exit codes by class of the root cause: 0 ok, 69 network, 76 "
	    "tls, 77 auth or\n"
	    "  reputation, 75 dns-server, 65 dns-records, 78 config, 64 "
	    "usage.\n"
	    "  --auth-user logs in to the relay (over TLS only) with the "
	    "password of\n"
	    "  --auth-password-file or MAILCAST_AUTH_PASSWORD (never "
	    "argv).\n"
	    "  Identifiers and the --json schema: docs/doctor.md.\n");
}

/* Parse a mailbox URL: imap://host[:port], imaps://, pop3://, pop3s://. */
static bool
parse_mailbox(const char *url, char *host, size_t hostlen, unsigned *port)
{
	static const struct {
		const char *scheme;
		unsigned port;
	} s[] = {{"imap://", 143},
	         {"imaps://", 993},
	         {"pop3://", 110},
	         {"pop3s://", 995}};

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		size_t l = strlen(s[i].scheme);
		char hp[300];
		const char *rest;
		size_t n;

		if (strncmp(url, s[i].scheme, l) != 0)
			continue;
		rest = url + l;
		if (strchr(rest, '@'))
			rest = strchr(rest, '@') + 1;
		n = strcspn(rest, "/");
		if (n == 0 || n >= sizeof(hp))
			return false;
		memcpy(hp, rest, n);
		hp[n] = '\0';
		return dns_split_hostport(hp, host, hostlen, port, s[i].port) ==
		       0;
	}
	return false;
}

/* The command. */
int
cmd_doctor(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"relay", required_argument, NULL, 'r'},
	    {"tls", required_argument, NULL, 't'},
	    {"domain", required_argument, NULL, 'd'},
	    {"ip", required_argument, NULL, 'i'},
	    {"selector", required_argument, NULL, 's'},
	    {"dnsbl", required_argument, NULL, 'b'},
	    {"mailbox", required_argument, NULL, 'm'},
	    {"dns-server", required_argument, NULL, 'S'},
	    {"ports", required_argument, NULL, 'p'},
	    {"timeout", required_argument, NULL, 'W'},
	    {"ca-file", required_argument, NULL, 'C'},
	    {"no-trace", no_argument, NULL, 'T'},
	    {"no-ping", no_argument, NULL, 'P'},
	    {"auth-user", required_argument, NULL, 'u'},
	    {"auth-password-file", required_argument, NULL, 'w'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static struct doctor_opts o;
	static struct doctor_facts f;
	static struct doctor_report r;
	static char relay[256], mbox[256], secret[1024];
	const char *pwfile = NULL;
	unsigned long long v;
	bool json = cli_globals.json, ports_given = false;
	char err[256];
	int ch, rc;

	doctor_opts_default(&o);
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			if (dns_split_hostport(optarg, relay, sizeof(relay),
			                       &o.relay_port, 587) != 0) {
				fprintf(stderr,
				        "mailcast doctor: --relay "
				        "'%s' is not HOST[:PORT]\n",
				        optarg);
				return EX_USAGE;
			}
			o.relay_host = relay;
			break;
		case 't':
			if (strcmp(optarg, "starttls") == 0)
				o.tls = DOC_TLS_STARTTLS;
			else if (strcmp(optarg, "implicit") == 0)
				o.tls = DOC_TLS_IMPLICIT;
			else if (strcmp(optarg, "auto") == 0)
				o.tls = DOC_TLS_AUTO;
			else {
				fprintf(stderr, "mailcast doctor: --tls must "
				                "be auto, starttls or "
				                "implicit\n");
				return EX_USAGE;
			}
			break;
		case 'd':
			o.domain = optarg;
			break;
		case 'i':
			o.ip = optarg;
			break;
		case 's':
			o.selector = optarg;
			break;
		case 'b':
			if (o.ndnsbl >= DC_DNSBL_MAX) {
				fprintf(stderr,
				        "mailcast doctor: at most %d "
				        "--dnsbl zones\n",
				        DC_DNSBL_MAX);
				return EX_USAGE;
			}
			o.dnsbl[o.ndnsbl++] = optarg;
			break;
		case 'm':
			if (!parse_mailbox(optarg, mbox, sizeof(mbox),
			                   &o.mailbox_port)) {
				fprintf(stderr, "mailcast doctor: --mailbox "
				                "must be imap[s]:// or "
				                "pop3[s]://HOST[:PORT]\n");
				return EX_USAGE;
			}
			o.mailbox_host = mbox;
			break;
		case 'S':
			o.dns_server = optarg;
			break;
		case 'p':
			if (probe_parse_ports(optarg, &o.probe, err,
			                      sizeof(err)) != 0) {
				fprintf(stderr, "mailcast doctor: %s\n", err);
				return EX_USAGE;
			}
			ports_given = true;
			break;
		case 'W':
			if (!mc_parse_uint(optarg, strlen(optarg), 600000,
			                   &v) ||
			    v < 100) {
				fprintf(stderr, "mailcast doctor: --timeout "
				                "must be 100..600000 ms\n");
				return EX_USAGE;
			}
			o.probe.timeout_ms = (int)v;
			break;
		case 'C':
			o.probe.ca_file = optarg;
			break;
		case 'T':
			o.no_trace = true;
			break;
		case 'P':
			o.no_ping = true;
			break;
		case 'u':
			o.auth_user = optarg;
			break;
		case 'w':
			pwfile = optarg;
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
	if (optind != argc) {
		fprintf(stderr, "mailcast doctor: unexpected argument '%s'\n",
		        argv[optind]);
		return EX_USAGE;
	}
	if (o.relay_host == NULL && o.mailbox_host != NULL) {
		/* Without a relay, the mailbox host is what we can probe. */
		o.relay_host = o.mailbox_host;
		o.relay_port = o.mailbox_port;
	}
	if (o.relay_host == NULL && o.domain == NULL && o.ip == NULL) {
		fprintf(stderr, "mailcast doctor: give at least --relay, "
		                "--domain, --ip or --mailbox\n");
		usage(stderr);
		return EX_USAGE;
	}
	if (o.relay_host != NULL && !ports_given) {
		/* Make sure the relay's own port is probed too. */
		bool have = false;

		for (size_t i = 0; i < o.probe.nports; i++)
			have = have || o.probe.ports[i] == o.relay_port;
		if (!have && o.probe.nports < PROBE_PORTS_MAX)
			o.probe.ports[o.probe.nports++] = o.relay_port;
	}
	if (o.auth_user != NULL) {
		if (relay[0] == '\0') {
			/* Only an SMTP relay is logged in to, not --mailbox. */
			fprintf(stderr, "mailcast doctor: --auth-user needs "
			                "--relay\n");
			return EX_USAGE;
		}
		if (cli_read_secret(pwfile, "MAILCAST_AUTH_PASSWORD", secret,
		                    sizeof(secret), err, sizeof(err)) != 0) {
			fprintf(stderr, "mailcast doctor: %s\n", err);
			return EX_CONFIG;
		}
		o.auth_secret = secret;
	} else if (pwfile != NULL) {
		fprintf(stderr, "mailcast doctor: --auth-password-file needs "
		                "--auth-user\n");
		return EX_USAGE;
	}
	doctor_gather(&o, &f);
	explicit_bzero(secret, sizeof(secret));
	o.auth_secret = NULL;
	doctor_judge(&o, &f, &r);
	if (json)
		report_json_out(stdout, report_doctor_json(&o, &f, &r));
	else
		report_doctor(stdout, &o, &f, &r);
	rc = EX_OK;
	if (r.root >= 0 && r.f[r.root].sev == DOC_PROBLEM)
		rc = doctor_class_exit(r.f[r.root].cls);
	return rc;
}
