/*
 * config.h — this process's mailcast.conf (app/config.h reads it): found
 * and read once at start by cli_conf_init(), which prints why not.
 */
#ifndef MC_CLI_CONFIG_H
#define MC_CLI_CONFIG_H

#include "app/config.h"

/* Find and read the configuration for this process (main.c): path from
 * --config (or NULL); 0 or an exit status after printing why. */
int cli_conf_init(const char *path);
/* The configuration read by cli_conf_init() (empty before). */
const struct mc_conf *cli_conf(void);

#endif
