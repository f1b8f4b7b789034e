/*
 * cmd_doctor.c — `mailcast doctor`: one root cause, its evidence, the fix.
 * The options go to app/diagnose.h, which gathers and judges.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "app/diagnose.h"
#include "cli/commands.h"
#include "cli/util.h"
#include "diag/report.h"
#include "dns/dns.h"

static char relay[256], mbox[256];
static bool ports_given;

/* --relay HOST[:PORT] */
static int
parse_relay(void *dst, const char *arg)
{
	struct doctor_opts *o = dst;

	if (dns_split_hostport(arg, relay, sizeof(relay), &o->relay_port,
	                       587) == 0) {
		o->relay_host = relay;
		return 0;
	}
	fprintf(stderr, "mailcast doctor: --relay '%s' is not HOST[:PORT]\n",
	        arg);
	return -1;
}

/* --tls auto|starttls|implicit */
static int
parse_tls(void *dst, const char *arg)
{
	static const char *const names[] = {
	    [DOC_TLS_AUTO] = "auto",
	    [DOC_TLS_STARTTLS] = "starttls",
	    [DOC_TLS_IMPLICIT] = "implicit",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i] != NULL && strcmp(arg, names[i]) == 0) {
			*(enum doctor_tls_mode *)dst = (enum doctor_tls_mode)i;
			return 0;
		}
	fprintf(stderr,
	        "mailcast doctor: --tls must be auto, starttls or implicit\n");
	return -1;
}

/* --mailbox URL */
static int
parse_mailbox(void *dst, const char *arg)
{
	struct doctor_opts *o = dst;

	if (app_mailbox_url(arg, mbox, sizeof(mbox), &o->mailbox_port)) {
		o->mailbox_host = mbox;
		return 0;
	}
	fprintf(stderr, "mailcast doctor: --mailbox must be imap[s]:// or "
	                "pop3[s]://HOST[:PORT]\n");
	return -1;
}

/* --ports LIST */
static int
parse_ports(void *dst, const char *arg)
{
	char err[256];

	if (probe_parse_ports(arg, dst, err, sizeof(err)) == 0) {
		ports_given = true;
		return 0;
	}
	fprintf(stderr, "mailcast doctor: %s\n", err);
	return -1;
}

static const char doctor_usage[] =
    "usage: mailcast doctor [--relay HOST[:PORT]] [--tls "
    "auto|starttls|implicit]\n"
    "         [--domain D] [--ip ADDR] [--selector S] [--dnsbl ZONE]...\n"
    "         [--mailbox URL] [--dns-server ADDR:PORT] [--ports LIST] "
    "[--timeout MS]\n"
    "         [--ca-file PEM] [--no-trace] [--no-ping] [--json]\n"
    "         [--auth-user USER [--auth-password-file FILE]]\n"
    "  Runs the probes, trace, ping and DNS checks that apply, in "
    "parallel, and\n"
    "  prints ONE root cause with its evidence and the fix, then the "
    "detail.\n"
    "  Exit codes by class of the root cause: 0 ok, 69 network, 76 tls, 77 "
    "auth or\n"
    "  reputation, 75 dns-server, 65 dns-records, 78 config, 64 usage.\n"
    "  --auth-user logs in to the relay (over TLS only) with the password "
    "of\n"
    "  --auth-password-file or MAILCAST_AUTH_PASSWORD (never argv).\n"
    "  Identifiers and the --json schema: docs/doctor.md.\n";

/* The command. */
int
cmd_doctor(int argc, char **argv)
{
	static struct doctor_opts o;
	static struct doctor_facts f;
	static struct doctor_report r;
	static char secret[1024];
	const char *pwfile = NULL;
	struct cli_many bl = {o.dnsbl, 0};
	bool json = cli_globals.json;
	struct cli_opt opts[] = {
	    {"relay", CLI_FN, &o, .fn = parse_relay},
	    {"tls", CLI_FN, &o.tls, .fn = parse_tls},
	    CLI_O("domain", CLI_STR, &o.domain),
	    CLI_O("ip", CLI_STR, &o.ip),
	    CLI_O("selector", CLI_STR, &o.selector),
	    CLI_N("dnsbl", CLI_MANY, &bl, 0, DC_DNSBL_MAX,
	          "mailcast doctor: at most 8 --dnsbl zones"),
	    {"mailbox", CLI_FN, &o, .fn = parse_mailbox},
	    CLI_O("dns-server", CLI_STR, &o.dns_server),
	    {"ports", CLI_FN, &o.probe, .fn = parse_ports},
	    CLI_N("timeout", CLI_INT, &o.probe.timeout_ms, 100, 600000,
	          "mailcast doctor: --timeout must be 100..600000 ms"),
	    CLI_O("ca-file", CLI_STR, &o.probe.ca_file),
	    CLI_O("no-trace", CLI_FLAG, &o.no_trace),
	    CLI_O("no-ping", CLI_FLAG, &o.no_ping),
	    CLI_O("auth-user", CLI_STR, &o.auth_user),
	    CLI_O("auth-password-file", CLI_STR, &pwfile),
	    CLI_O("json", CLI_FLAG, &json),
	    {0},
	};
	const struct cli_cmd c = {"mailcast doctor", doctor_usage, opts, false};
	char err[256];
	int i, rc;

	doctor_opts_default(&o);
	if ((i = cli_parse(&c, argc, argv, &rc)) < 0)
		return rc;
	if (i != argc)
		return cli_usage_error(&c, "unexpected argument '%s'", argv[i]);
	o.ndnsbl = bl.n;
	if (app_doctor_prepare(&o, ports_given, err, sizeof(err)) != 0) {
		rc = cli_usage_error(&c, "%s", err);
		fputs(c.usage, stderr);
		return rc;
	}
	if (o.auth_user != NULL) {
		if (app_read_secret(pwfile, "MAILCAST_AUTH_PASSWORD", secret,
		                    sizeof(secret), err, sizeof(err)) != 0) {
			fprintf(stderr, "mailcast doctor: %s\n", err);
			return EX_CONFIG;
		}
		o.auth_secret = secret;
	} else if (pwfile != NULL)
		return cli_usage_error(
		    &c, "--auth-password-file needs --auth-user");
	rc = app_doctor_run(&o, &f, &r);
	explicit_bzero(secret, sizeof(secret));
	o.auth_secret = NULL;
	if (json)
		report_json_out(stdout, report_doctor_json(&o, &f, &r));
	else
		report_doctor(stdout, &o, &f, &r);
	return rc;
}
