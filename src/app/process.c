/*
 * process.c — the process's configuration, data folder, log and signals;
 * see process.h.
 */
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/process.h"
#include "base/log.h"
#include "base/xmalloc.h"

#ifndef MAILCAST_INSTALL_DATADIR
#define MAILCAST_INSTALL_DATADIR "/usr/local/share/mailcast"
#endif

/* A configuration read, and the one it replaced.  A replaced one is
 * never freed: another thread may still be reading it (a reload is
 * rare, and each is small). */
struct conf_node {
	struct mc_conf c;
	struct conf_node *older;
};

static struct mc_conf empty_conf;
static _Atomic(struct conf_node *) the_conf;

/* Read mailcast.conf (see process.h). */
int
app_conf_load(const char *path, char *err, size_t errsz)
{
	struct conf_node *n = xcalloc(1, sizeof(*n));
	int rc;

	if ((rc = conf_find(path, &n->c, err, errsz)) < 0) {
		conf_free(&n->c);
		free(n);
		return rc;
	}
	n->older = atomic_load(&the_conf);
	atomic_store(&the_conf, n);
	return 0;
}

/* What app_conf_load() read. */
const struct mc_conf *
app_conf(void)
{
	struct conf_node *n = atomic_load(&the_conf);

	return n != NULL ? &n->c : &empty_conf;
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

/* Logging for the whole process: see process.h. */
int
app_log_setup(int verbose, const char *log_path, char *err, size_t errsz)
{
	const char *trace = getenv("MAILCAST_TRACE");

	log_set_level((enum log_level)(LOG_WARN + verbose));
	if (trace != NULL && trace[0] != '\0' && strcmp(trace, "0") != 0)
		log_set_level(LOG_TRACE);
	log_set_timestamps(verbose > 0);
	return log_path != NULL ? log_open(log_path, err, errsz) : 0;
}

/* The signals a mailcast process ignores (see process.h). */
void
app_signals(void)
{
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
}
