/*
 * datadir.h — where the tool's bundled data is (the demo list and
 * template): $MAILCAST_DATADIR when set; else <the executable's folder>/
 * ../share/mailcast when that folder exists (an installed tree anywhere,
 * and the build tree, where the build copies data/ there); else the
 * install folder compiled in (MAILCAST_INSTALL_DATADIR).  The source tree
 * is never looked at.
 */
#ifndef MC_CLI_DATADIR_H
#define MC_CLI_DATADIR_H

/* The data folder, as above.  Static storage; never NULL. */
const char *cli_datadir(void);

#endif
