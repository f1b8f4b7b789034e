/*
 * cmd_sink.c — `mailcast sink`: a capture SMTP server with fault injection.
 *
 * Parses the options into a struct sink_config (net/sink.h), runs the
 * server until a signal or --count, and prints the closing tally.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base/error.h"
#include "cli/commands.h"
#include "app/diagnose.h"
#include "cli/util.h"

/* The --help text (1000: SMTP_SERVER_DEFAULT_RCPTS). */
static const char sink_usage[] =
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
    "  --max-rcpts N       recipients per message (default 1000); more "
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
    "           or %N: every Nth time the stage is reached (counted "
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
    "  --fault 'dot:%3=451 4.3.0 every third message deferred'\n"
    "\n"
    "On exit (SIGINT, SIGTERM or --count) prints\n"
    "  sink: N messages, M recipients, B bytes in T s\n"
    "See docs/sink.md.\n";

/* `mailcast sink`. */
int
cmd_sink(int argc, char **argv)
{
	static const char *faults[APP_SINK_FAULTS_MAX];
	struct app_sink a = {.report = stdout, .faults = faults};
	struct cli_many mf = {faults, 0};
	struct sink_stats st;
	unsigned long long count = 0;
	int rcpts = 0;
	bool quiet = false;
	struct cli_opt opts[] = {
	    CLI_O("listen", CLI_STR, &a.listen),
	    CLI_O("maildir", CLI_STR, &a.maildir),
	    CLI_O("discard", CLI_FLAG, &a.discard),
	    CLI_O("tls-cert", CLI_STR, &a.tls_cert),
	    CLI_O("tls-key", CLI_STR, &a.tls_key),
	    CLI_O("hostname", CLI_STR, &a.hostname),
	    CLI_O("max-size", CLI_STR, &a.max_size),
	    CLI_N("max-rcpts", CLI_INT, &rcpts, 1, 100000,
	          "mailcast sink: --max-rcpts: expected 1 to 100000"),
	    CLI_N("count", CLI_ULL, &count, 1, 1UL << 31,
	          "mailcast sink: --count: expected a positive number"),
	    CLI_O("quiet", CLI_FLAG, &quiet),
	    CLI_N("fault", CLI_MANY, &mf, 0, APP_SINK_FAULTS_MAX,
	          "mailcast sink: more than 64 --fault rules"),
	    {0},
	};
	const struct cli_cmd c = {"mailcast sink", sink_usage, opts, false};
	char err[512];
	int i, rc;

	if ((i = cli_parse(&c, argc, argv, &rc)) < 0)
		return rc;
	if (i < argc)
		return cli_usage_error(&c, "unexpected argument '%s'", argv[i]);
	a.count = (unsigned long)count;
	a.max_rcpts = (unsigned)rcpts;
	a.nfaults = mf.n;
	if (quiet)
		a.report = NULL;
	if ((rc = app_sink_run(&a, &st, err, sizeof(err))) != 0)
		return cli_fail(mc_exit_code(rc), "mailcast sink: %s", err);
	printf("sink: %llu messages, %llu recipients, %llu bytes in %.3f s\n",
	       st.messages, st.rcpts, st.bytes, st.seconds);
	return EX_OK;
}
