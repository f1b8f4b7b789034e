/*
 * main.c — `mailcast [GLOBAL OPTIONS] COMMAND [ARGS]`.
 *
 * Parses the global options, then hands argv from the command name on to
 * the command's function (commands.c).  Exit codes are <sysexits.h>.
 * Logging is app_log_setup()'s (app/process.h): -v and --log FILE.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli/commands.h"
#include "app/process.h"

#include "usage_mailcast.h" /* docs/usage/mailcast.txt */

struct cli_globals cli_globals;

static void
usage(FILE *fp)
{
	fprintf(fp,
	        "usage: mailcast [-v]... [--log FILE] [--json] [--store URL] "
	        "[--config FILE] COMMAND [ARGS]\n\ncommands:\n");
	for (const struct cli_command *c = cli_commands; c->name; c++)
		fprintf(fp, "  %-10s %s\n", c->name, c->summary);
	fputs(usage_mailcast, fp);
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
	int ch;

	app_signals(); /* errors returned, not signals (app/process.h) */
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
	if (app_log_setup(cli_globals.verbose, log_path, err, sizeof(err))) {
		fprintf(stderr, "mailcast: %s\n", err);
		return EX_CANTCREAT;
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
