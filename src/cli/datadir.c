/*
 * datadir.c — see datadir.h.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/datadir.h"

#ifndef MAILCAST_INSTALL_DATADIR
#define MAILCAST_INSTALL_DATADIR "/usr/local/share/mailcast"
#endif

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

const char *
cli_datadir(void)
{
	static char dir[PATH_MAX];
	const char *env = getenv("MAILCAST_DATADIR");

	if (env != NULL && *env != '\0')
		return env;
	if (dir[0] == '\0' && !exe_datadir(dir))
		snprintf(dir, sizeof(dir), "%s", MAILCAST_INSTALL_DATADIR);
	return dir;
}
