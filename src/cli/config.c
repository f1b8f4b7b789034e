/*
 * config.c — see config.h.
 */
#include <stdio.h>
#include <sysexits.h>

#include "cli/config.h"

static struct mc_conf the_conf;

/* Find and read this process's configuration; 0 or an exit status. */
int
cli_conf_init(const char *path)
{
	char err[1024];

	if (conf_find(path, &the_conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "mailcast: %s\n", err);
		return EX_CONFIG;
	}
	return 0;
}

/* The configuration read by cli_conf_init(). */
const struct mc_conf *
cli_conf(void)
{
	return &the_conf;
}
