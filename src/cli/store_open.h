/*
 * store_open.h — the CLI's way to the store, and its address checker.
 *
 * cli_store_open() opens the store named by --store, else $MAILCAST_STORE
 * (both land in cli_globals.store), else STORE_DEFAULT_URL
 * ("sqlite:mailcast.db" in the current directory).  On failure it prints
 * "mailcast: CMD: reason" and returns NULL; the caller exits with
 * cli_store_exit().  cli_addr_check() is the store_addr_check_fn that CSV
 * imports use: addr_parse() from msg/, normalised by addr_format(), local
 * part lower-cased so that one mailbox is one contact.
 */
#ifndef MC_CLI_STORE_OPEN_H
#define MC_CLI_STORE_OPEN_H

#include <stddef.h>

#include "store/store.h"

/* Open the configured store; NULL after printing why. */
struct store *cli_store_open(const char *cmd);
/* The sysexits status for a failed open. */
int cli_store_exit(void);
/* store_addr_check_fn over msg/address.h. */
int cli_addr_check(void *arg, const char *in, size_t len, char *norm,
                   size_t normsz, char *err, size_t errsz);
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
/* Check and normalise an address or "@domain" from the command line. */
int cli_supp_entry(const char *in, char *norm, size_t normsz, char *err,
                   size_t errsz);

#endif
