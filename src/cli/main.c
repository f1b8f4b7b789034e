/*
 * main.c — `mailcast [GLOBAL OPTIONS] COMMAND [ARGS]`.
 *
 * Parses the global options, then hands argv from the command name on to
 * the command's function (commands.c).  Exit codes are <sysexits.h>.
 * Logging (base/log.h) is set up here: each -v shows one more level and
 * timestamps the lines; --log FILE appends every line to FILE (created
 * 0600); MAILCAST_TRACE=1 is the trace level (every line on the wire).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base/log.h"
#include "cli/commands.h"
#include "app/process.h"

struct cli_globals cli_globals;

static void
usage(FILE *fp)
{
	fprintf(fp,
	        "usage: mailcast [-v]... [--log FILE] [--json] [--store URL] "
	        "[--config FILE] COMMAND [ARGS]\n\ncommands:\n");
	for (const struct cli_command *c = cli_commands; c->name; c++)
		fprintf(fp, "  %-10s %s\n", c->name, c->summary);
	fprintf(fp,
	        "\n  -v          more detail: -v info, -v -v protocol states,\n"
	        "              -v -v -v every line on the wire (or "
	        "MAILCAST_TRACE=1)\n"
	        "  --log FILE  append the log to FILE (created 0600), "
	        "timestamped\n");
	fprintf(fp, "\n`mailcast COMMAND --help` describes each command.\n");
}

int
cmd_version(int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "mailcast: version: unknown option '%s'\n",
		        argv[1]);
		return EX_USAGE;
	}
	printf("mailcast %s\n", MAILCAST_VERSION);
	return EX_OK;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"verbose", no_argument, NULL, 'v'},
	    {"log", required_argument, NULL, 'l'},
	    {"json", no_argument, NULL, 'j'},
	    {"store", required_argument, NULL, 's'},
	    {"config", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *log_path = NULL;
	char err[1024];
	const char *trace = getenv("MAILCAST_TRACE");
	int ch;

	/* A peer closing a socket must be an error return, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	if (getenv("MAILCAST_STORE"))
		cli_globals.store = getenv("MAILCAST_STORE");
	/* '+': stop at the first non-option, the command's name. */
	while ((ch = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'v':
			cli_globals.verbose++;
			break;
		case 'j':
			cli_globals.json = true;
			break;
		case 's':
			cli_globals.store = optarg;
			break;
		case 'c':
			cli_globals.config = optarg;
			break;
		case 'l':
			log_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		case 'V':
			return cmd_version(0, NULL);
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	log_set_level((enum log_level)(LOG_WARN + cli_globals.verbose));
	if (trace != NULL && trace[0] != '\0' && strcmp(trace, "0") != 0)
		log_set_level(LOG_TRACE);
	log_set_timestamps(cli_globals.verbose > 0);
	if (log_path != NULL) {
		if (log_open(log_path, err, sizeof(err)) != 0) {
			fprintf(stderr, "mailcast: %s\n", err);
			return EX_CANTCREAT;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	/* mailcast.conf: below the flags and MAILCAST_* (config.h) */
	if (app_conf_load(cli_globals.config, err, sizeof(err)) < 0) {
		fprintf(stderr, "mailcast: %s\n", err);
		return EX_CONFIG;
	}
	if (cli_globals.store == NULL)
		cli_globals.store = conf_get(app_conf(), CONF_store);
	for (const struct cli_command *c = cli_commands; c->name; c++) {
		if (strcmp(c->name, argv[optind]) == 0) {
			argc -= optind;
			argv += optind;
			optind = 0; /* reset getopt for the command */
			return c->run(argc, argv);
		}
	}
	fprintf(stderr, "mailcast: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return EX_USAGE;
}
