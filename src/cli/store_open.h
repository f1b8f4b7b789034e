/*
 * store_open.h — the commands' way to the store (app/contacts.h opens it).
 *
 * cli_store_open() opens cli_globals.store (--store, $MAILCAST_STORE or
 * mailcast.conf's store =; NULL: the default) in app_store_mode(CMD).  On
 * failure it prints "mailcast: CMD: reason" and returns NULL; the caller
 * exits with cli_store_exit() (EX_NOINPUT, EX_CANTCREAT or EX_CONFIG).
 */
#ifndef MC_CLI_STORE_OPEN_H
#define MC_CLI_STORE_OPEN_H

#include <stddef.h>

#include "app/contacts.h"

/* Open the configured store for cmd ("list count"); NULL after printing
 * why. */
struct store *cli_store_open(const char *cmd);
/* The sysexits status for a failed open. */
int cli_store_exit(void);

#endif
