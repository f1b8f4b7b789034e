/*
 * cmd_serve.c — `mailcast serve`: the options into a struct serve_config
 * (http/serve.h), then the server until SIGTERM.
 */
#include <stdio.h>
#include <sysexits.h>

#include "base/error.h"
#include "cli/commands.h"
#include "app/process.h"
#include "cli/util.h"
#include "http/serve.h"
#include "usage_serve.h" /* docs/usage/serve.txt */

/* `mailcast serve`. */
int
cmd_serve(int argc, char **argv)
{
	struct serve_config sc = {.store_url = cli_globals.store,
	                          .max_conns_per_ip = -1};
	struct cli_many tr = {sc.trusted, 0};
	int threads = 0, per_ip = -1, conns = 0;
	long body = 0, hto = 0, drain = 0;
	struct cli_opt opts[] = {
	    CLI_O("listen", CLI_STR, &sc.listen),
	    CLI_N("trusted-proxy", CLI_MANY, &tr, 0, SERVE_TRUSTED_MAX,
	          "mailcast serve: at most 16 --trusted-proxy"),
	    CLI_O("tls-cert", CLI_STR, &sc.tls_cert_file),
	    CLI_O("tls-key", CLI_STR, &sc.tls_key_file),
	    /* a bad number: "mailcast serve: --NAME must be a number MIN..MAX"
	     */
	    CLI_N("threads", CLI_INT, &threads, 1, 64, NULL),
	    CLI_N("max-conns", CLI_INT, &conns, 1, 100000, NULL),
	    CLI_N("max-conns-per-ip", CLI_INT, &per_ip, 0, 100000, NULL),
	    CLI_N("header-timeout", CLI_SECS, &hto, 1, 3600, NULL),
	    CLI_N("max-body", CLI_LONG, &body, 1, 1L << 30, NULL),
	    CLI_N("drain", CLI_SECS, &drain, 1, 3600, NULL),
	    {0},
	};
	const struct cli_cmd c = {"mailcast serve", usage_serve, opts, false};
	char err[600];
	int i, rc;

	if ((i = cli_parse(&c, argc, argv, &rc)) < 0)
		return rc;
	if (i < argc)
		return cli_usage_error(&c, "unexpected argument '%s'", argv[i]);
	sc.ntrusted = tr.n;
	sc.threads = (unsigned)threads;
	sc.max_conns = (unsigned)conns;
	sc.max_conns_per_ip = per_ip;
	sc.header_timeout = (unsigned)hto;
	sc.max_body = (unsigned long)body;
	sc.drain_secs = (unsigned)drain;
	sc.config_path = app_conf()->path;
	if ((rc = serve_run(&sc, err, sizeof(err))) < 0)
		return cli_fail(mc_exit_code(rc), "mailcast serve: %s", err);
	return EX_OK;
}
