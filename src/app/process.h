/*
 * process.h — what one mailcast process (the CLI, `serve`, a worker, an
 * embedding program) holds for its whole life: its mailcast.conf and the
 * folder of its bundled data, its log.
 *
 * app_conf_load() finds and reads the configuration once at start
 * (conf_find(), app/config.h) and again on SIGHUP in a long-running
 * process; app_conf() is what was read last (empty before).  Load from
 * one thread at a time; any thread may read: a configuration replaced by
 * a reload stays readable (it is never freed), so a reader holding the
 * older one is safe.
 *
 * app_datadir() is where the bundled data (the demo list and template)
 * is: $MAILCAST_DATADIR when set; else <the executable's folder>/
 * ../share/mailcast when that folder exists (an installed tree anywhere,
 * and the build tree, where the build copies data/ there); else the
 * install folder compiled in (MAILCAST_INSTALL_DATADIR).  The source tree
 * is never looked at.
 *
 * app_signals() sets the signals a mailcast process ignores: SIGPIPE (a
 * peer closing a socket is an error returned by the write) and SIGXFSZ (a
 * file size limit, ulimit -f, is a write that fails: the store reports it
 * as a full disk, EX_IOERR).  An embedding program that wants the same
 * calls it too.
 */
#ifndef MC_APP_PROCESS_H
#define MC_APP_PROCESS_H

#include <stddef.h>

#include "app/config.h"

/* Read the configuration (path: --config, or NULL to look for it); the
 * one read before is kept on failure.  0, or MC_ECONFIG/MC_ELIMIT with
 * why in err. */
int app_conf_load(const char *path, char *err, size_t errsz);
/* The configuration app_conf_load() read. */
const struct mc_conf *app_conf(void);
/* The data folder, as above.  Static storage; never NULL. */
const char *app_datadir(void);
/* The process's log (base/log.h): verbose 0 warnings, each more one more
 * level, timestamped; MAILCAST_TRACE set (not "0") the trace level;
 * log_path (or NULL) a file every line is appended to, created 0600.
 * 0, or MC_EIO with why in err (the file cannot be opened). */
int app_log_setup(int verbose, const char *log_path, char *err, size_t errsz);
/* Ignore SIGPIPE and SIGXFSZ (above). */
void app_signals(void);

#endif
