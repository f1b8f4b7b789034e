/*
 * cmd_sink.c — `mailcast sink`: a capture SMTP server with fault injection.
 *
 * Parses the options into a struct sink_config (net/sink.h), runs the
 * server until a signal or --count, and prints the closing tally.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/error.h"
#include "base/str.h"
#include "cli/commands.h"
#include "net/sink.h"

#define SINK_FAULTS_MAX 64

static void
sink_usage(FILE *fp)
{
	fprintf(
	    fp,
	    "usage: mailcast sink [--listen ADDR:PORT] (--maildir DIR | "
	    "--discard)\n"
	    "                     [--tls-cert FILE --tls-key FILE] [--hostname "
	    "NAME]\n"
	    "                     [--max-size BYTES] [--max-rcpts N] [--count "
	    "N]\n"
	    "                     [--quiet] [--fault STAGE:PATTERN=ACTION]...\n"
	    "\n"
	    "A capture SMTP server for trying campaigns locally and for "
	    "benchmarks.\n"
	    "Offers PIPELINING, SIZE, 8BITMIME, SMTPUTF8, CHUNKING (BDAT),\n"
	    "ENHANCEDSTATUSCODES, and STARTTLS when a certificate is given.\n"
	    "\n"
	    "  --listen ADDR:PORT  where to listen (default 127.0.0.1:2525; "
	    "[::1]:PORT)\n"
	    "  --maildir DIR       write each message to DIR/new/ (via "
	    "DIR/tmp/) with\n"
	    "                      Return-Path:, X-Mailcast-Rcpt: per "
	    "recipient and\n"
	    "                      Received: prepended; the body as received\n"
	    "  --discard           count messages, store nothing\n"
	    "  --tls-cert FILE     PEM certificate chain; with --tls-key "
	    "offers STARTTLS\n"
	    "  --tls-key FILE      PEM private key\n"
	    "  --hostname NAME     name in the greeting (default: this host's "
	    "name)\n"
	    "  --max-size BYTES    SIZE limit, suffix k or M allowed (default "
	    "10M);\n"
	    "                      larger messages get 552 5.3.4\n"
	    "  --max-rcpts N       recipients per message (default %d); more "
	    "get 452\n"
	    "  --count N           exit after N messages are accepted\n"
	    "  --quiet             no line per message\n"
	    "  --fault RULE        inject a failure; repeatable, first match "
	    "wins\n"
	    "\n"
	    "Fault rules are STAGE:PATTERN=ACTION.\n"
	    "  STAGE    connect (PATTERN matches the client's IP address), "
	    "ehlo, helo\n"
	    "           (the name given), mail (the sender), rcpt (the "
	    "recipient),\n"
	    "           data (DATA or the first BDAT), dot (end of the "
	    "message); data\n"
	    "           and dot match when any accepted recipient matches\n"
	    "  PATTERN  a shell glob, case-insensitive ('reject-*', "
	    "'*@slow.test'),\n"
	    "           or %%N: every Nth time the stage is reached (counted "
	    "over\n"
	    "           all connections)\n"
	    "  ACTION   CODE TEXT        reply with it instead (4xx or 5xx); "
	    "421\n"
	    "                            replies, then closes the connection\n"
	    "           delay MS         wait MS ms, then give the normal "
	    "reply\n"
	    "           delay MS CODE TEXT  wait, then reply CODE TEXT\n"
	    "           drop             close the connection without a reply\n"
	    "           drop-after BYTES (data only) accept DATA/BDAT, close "
	    "the\n"
	    "                            connection after BYTES bytes of body\n"
	    "Examples:\n"
	    "  --fault 'rcpt:reject-*=550 5.1.1 no such user'\n"
	    "  --fault 'rcpt:defer-*=451 4.7.1 try later'\n"
	    "  --fault 'rcpt:slow-*=delay 3000'\n"
	    "  --fault 'mail:*=421 4.3.2 shutting down'\n"
	    "  --fault 'data:*=drop-after 100'\n"
	    "  --fault 'dot:%%3=451 4.3.0 every third message deferred'\n"
	    "\n"
	    "On exit (SIGINT, SIGTERM or --count) prints\n"
	    "  sink: N messages, M recipients, B bytes in T s\n"
	    "See docs/sink.md.\n",
	    SMTP_SERVER_DEFAULT_RCPTS);
}

/* "10485760", "512k", "10M". */
static bool
parse_size(const char *s, unsigned long long *out)
{
	size_t n = strlen(s);
	unsigned long long mult = 1;

	if (n > 0 && (s[n - 1] == 'k' || s[n - 1] == 'K'))
		mult = 1024, n--;
	else if (n > 0 && (s[n - 1] == 'm' || s[n - 1] == 'M'))
		mult = 1024 * 1024, n--;
	if (!mc_parse_uint(s, n, (1ULL << 40) / mult, out) || *out == 0)
		return false;
	*out *= mult;
	return true;
}

/* `mailcast sink`. */
int
cmd_sink(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"maildir", required_argument, NULL, 'm'},
	    {"discard", no_argument, NULL, 'd'},
	    {"tls-cert", required_argument, NULL, 'c'},
	    {"tls-key", required_argument, NULL, 'k'},
	    {"hostname", required_argument, NULL, 'H'},
	    {"max-size", required_argument, NULL, 's'},
	    {"max-rcpts", required_argument, NULL, 'r'},
	    {"count", required_argument, NULL, 'n'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"fault", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static struct smtp_fault faults[SINK_FAULTS_MAX];
	struct sink_config cfg;
	struct sink_stats st;
	unsigned long long v;
	char host[256], err[512];
	bool discard = false;
	int ch, rc;

	memset(&cfg, 0, sizeof(cfg));
	cfg.listen = "127.0.0.1:2525";
	cfg.report = stdout;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			cfg.listen = optarg;
			break;
		case 'm':
			cfg.maildir = optarg;
			break;
		case 'd':
			discard = true;
			break;
		case 'c':
			cfg.tls_cert = optarg;
			break;
		case 'k':
			cfg.tls_key = optarg;
			break;
		case 'H':
			cfg.hostname = optarg;
			break;
		case 's':
			if (!parse_size(optarg, &cfg.max_size)) {
				fprintf(stderr,
				        "mailcast sink: --max-size %s: "
				        "expected bytes, e.g. 10M\n",
				        optarg);
				return EX_USAGE;
			}
			break;
		case 'r':
			if (!mc_parse_uint(optarg, strlen(optarg), 100000,
			                   &v) ||
			    v == 0) {
				fprintf(stderr,
				        "mailcast sink: --max-rcpts %s: "
				        "expected 1 to 100000\n",
				        optarg);
				return EX_USAGE;
			}
			cfg.max_rcpts = (unsigned)v;
			break;
		case 'n':
			if (!mc_parse_uint(optarg, strlen(optarg), 1UL << 31,
			                   &v) ||
			    v == 0) {
				fprintf(stderr,
				        "mailcast sink: --count %s: "
				        "expected a positive number\n",
				        optarg);
				return EX_USAGE;
			}
			cfg.count = (unsigned long)v;
			break;
		case 'q':
			cfg.report = NULL;
			break;
		case 'f':
			if (cfg.nfaults == SINK_FAULTS_MAX) {
				fprintf(stderr,
				        "mailcast sink: more than %d "
				        "--fault rules\n",
				        SINK_FAULTS_MAX);
				return EX_USAGE;
			}
			if (smtp_fault_parse(optarg, &faults[cfg.nfaults], err,
			                     sizeof(err)) != 0) {
				fprintf(stderr, "mailcast sink: --fault %s\n",
				        err);
				return EX_USAGE;
			}
			cfg.nfaults++;
			break;
		case 'h':
			sink_usage(stdout);
			return EX_OK;
		default:
			sink_usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mailcast sink: unexpected argument '%s'\n",
		        argv[optind]);
		return EX_USAGE;
	}
	if ((cfg.maildir != NULL) == discard) {
		fprintf(stderr, "mailcast sink: give either --maildir DIR or "
		                "--discard\n");
		return EX_USAGE;
	}
	if ((cfg.tls_cert != NULL) != (cfg.tls_key != NULL)) {
		fprintf(stderr, "mailcast sink: --tls-cert and --tls-key go "
		                "together\n");
		return EX_USAGE;
	}
	if (cfg.hostname == NULL) {
		if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
			mc_strlcpy(host, "localhost", sizeof(host));
		host[sizeof(host) - 1] = '\0';
		cfg.hostname = host;
	}
	cfg.faults = faults;
	rc = sink_run(&cfg, &st, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "mailcast sink: %s\n", err);
		return mc_exit_code(rc);
	}
	printf("sink: %llu messages, %llu recipients, %llu bytes in %.3f s\n",
	       st.messages, st.rcpts, st.bytes, st.seconds);
	return EX_OK;
}
