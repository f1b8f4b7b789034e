/*
 * cmd_bounces.h — the parts of `mailcast bounces` in cmd_bounces_msg.c
 * (parse, ingest) that cmd_bounces() dispatches to, and the line a handled
 * message prints as (fetch and ingest alike).
 */
#ifndef MC_CLI_CMD_BOUNCES_H
#define MC_CLI_CMD_BOUNCES_H

#include <stdbool.h>
#include <stddef.h>

#include "app/ingest.h"

/* `mailcast bounces parse ...` (argv[0] is "parse"); usage: the help. */
int cmd_bounces_parse(int argc, char **argv, const char *usage);
/* `mailcast bounces ingest`, with the store opened here into ic->store. */
int cmd_bounces_ingest(struct ingest_config *ic, const char *key_file,
                       size_t max_size, bool json);
/* Open the store and load the token keys (the store's, key_file's) into
 * ic: 0 or an exit status, after printing why. */
int cli_bounces_store(struct ingest_config *ic, const char *key_file,
                      const char *cmd);
/* One handled message: a JSON line, or "uid:7: bounce -> moved". */
void cli_bounces_print(bool json, const char *where,
                       const struct ingest_result *r, const char *disp);

#endif
