/*
 * store_open.h — the commands' way to the store (app/contacts.h opens it).
 *
 * cli_store_open() opens the store named by --store, else $MAILCAST_STORE
 * (both land in cli_globals.store), else STORE_DEFAULT_URL.  On failure it
 * prints "mailcast: CMD: reason" and returns NULL; the caller exits with
 * cli_store_exit().  cli_store_dispatch() runs a subcommand on an open store.
 */
#ifndef MC_CLI_STORE_OPEN_H
#define MC_CLI_STORE_OPEN_H

#include <stddef.h>

#include "app/contacts.h"

/* Until every caller says app_addr_check: the old name. */
#define cli_addr_check app_addr_check

/* Open the configured store; NULL after printing why. */
struct store *cli_store_open(const char *cmd);
/* The sysexits status for a failed open. */
int cli_store_exit(void);
/* A subcommand that works on the store: `mailcast CMD NAME ...`. */
struct cli_store_sub {
	const char *name;
	int (*fn)(int argc, char **argv, struct store *s);
};
/*
 * Run the subcommand argv[1] of cmd from subs (argv[0] is cmd): --help
 * anywhere prints usage; otherwise the store is opened, the subcommand
 * runs with argv from its name, and the store is closed.  Returns its
 * sysexits status (EX_USAGE for an unknown or missing subcommand).
 */
int cli_store_dispatch(const char *cmd, const char *usage,
                       const struct cli_store_sub *subs, size_t nsubs, int argc,
                       char **argv);

#endif
