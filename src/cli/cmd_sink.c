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

#include "usage_sink.h" /* docs/usage/sink.txt */

_Static_assert(APP_SINK_FAULTS_MAX == 64, "the --fault message says 64");
_Static_assert(SMTP_SERVER_DEFAULT_RCPTS == 1000,
               "docs/usage/sink.txt says the default is 1000");

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
	    CLI_N("latency", CLI_INT, &a.latency_ms, 0, 60000, NULL),
	    CLI_N("fault", CLI_MANY, &mf, 0, APP_SINK_FAULTS_MAX,
	          "mailcast sink: more than 64 --fault rules"),
	    {0},
	};
	const struct cli_cmd c = {"mailcast sink", usage_sink, opts, false};
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
