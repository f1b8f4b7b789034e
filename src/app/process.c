/*
 * process.c — the process's configuration and data folder; see process.h.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/process.h"

#ifndef MAILCAST_INSTALL_DATADIR
#define MAILCAST_INSTALL_DATADIR "/usr/local/share/mailcast"
#endif

static struct mc_conf the_conf;

/* Read mailcast.conf (see process.h). */
int
app_conf_load(const char *path, char *err, size_t errsz)
{
	struct mc_conf c;
	int rc;

	memset(&c, 0, sizeof(c));
	if ((rc = conf_find(path, &c, err, errsz)) < 0) {
		conf_free(&c);
		return rc;
	}
	conf_free(&the_conf);
	the_conf = c;
	return 0;
}

/* What app_conf_load() read. */
const struct mc_conf *
app_conf(void)
{
	return &the_conf;
}

/* <folder of /proc/self/exe>/../share/mailcast made canonical into out,
 * or false when there is no such folder. */
static bool
exe_datadir(char *out)
{
	char exe[PATH_MAX], try[PATH_MAX + 32], *slash;
	ssize_t n;
	struct stat st;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return false;
	*slash = '\0';
	snprintf(try, sizeof(try), "%s/../share/mailcast", exe);
	if (stat(try, &st) != 0 || !S_ISDIR(st.st_mode))
		return false;
	return realpath(try, out) != NULL;
}

/* The data folder (see process.h). */
const char *
app_datadir(void)
{
	static char dir[PATH_MAX];
	const char *env = getenv("MAILCAST_DATADIR");

	if (env != NULL && *env != '\0')
		return env;
	if (dir[0] == '\0' && !exe_datadir(dir))
		snprintf(dir, sizeof(dir), "%s", MAILCAST_INSTALL_DATADIR);
	return dir;
}
