/*
 * campaign_opts.h — what `campaign`, `broadcast` and `demo` share in the
 * CLI: the sending options parsed into struct campaign_settings
 * (app/campaign.h does the work; every option is a campaign_opt by
 * name), the foreground run with a progress bar on stderr (when it is a
 * terminal and not --quiet) and SIGINT/SIGTERM as a clean pause, and the
 * report printed as text or JSON.
 *
 * Functions return a <sysexits.h> status and print "mailcast: CMD:
 * reason" themselves.
 */
#ifndef MC_CLI_CAMPAIGN_OPTS_H
#define MC_CLI_CAMPAIGN_OPTS_H

#include <stdbool.h>
#include <stdio.h>

#include "app/campaign.h"
#include "app/demo.h"

#define SEND_OPTS_HELP                                                         \
	"  --relay HOST:PORT     a relay (repeatable: failover in order;\n"    \
	"                        replaces mailcast.conf's [relay] sections)\n" \
	"  --direct              deliver to each domain's MX hosts\n"          \
	"  --dns-server A:P      the DNS server for --direct\n"                \
	"  --mx-port P           the port of MX hosts (default 25)\n"          \
	"  --helo NAME           the EHLO name\n"                              \
	"  --tls MODE            none | opportunistic (default) | require |\n" \
	"                        implicit;  --tls-verify no skips checks\n"    \
	"  --ca-file FILE        trust this CA (or self-signed certificate)\n" \
	"  --auth-user USER      AUTH to the relay; the password from\n"       \
	"  --auth-password-file FILE  or MAILCAST_AUTH_PASSWORD (never "       \
	"argv)\n"                                                              \
	"  --rate N              messages/s over all destinations\n"           \
	"  --dest-rate N         messages/s per destination\n"                 \
	"  --conns N             connections per destination (default 4)\n"    \
	"  --per-conn N          messages per connection (default: no "        \
	"limit)\n"                                                             \
	"  --pipeline N          transactions in flight per connection (8)\n"  \
	"  --retry S1,S2,...     seconds between retries of deferred rows\n"   \
	"  --max-age SECS        give a deferred row up after this long\n"     \
	"  --linger SECS         end the run when the next deferred row is\n"  \
	"                        due later than this (default 900; exit 75)\n" \
	"  --backoff-max MS      longest back-off of a destination\n"          \
	"  --timeout MS          every SMTP wait (default RFC 5321's)\n"       \
	"  --threads N           render threads (default 2)\n"                 \
	"  --lease-timeout SECS  a run silent this long loses its rows to\n"   \
	"                        the other runs (default 15)\n"                \
	"  --token-key FILE      the VERP/unsubscribe token key\n"             \
	"  --bounce-domain D     the VERP envelope domain\n"                   \
	"  --dkim-key FILE --dkim-selector S [--dkim-domain D]  (up to 2)\n"   \
	"  --unsubscribe-url URL --unsubscribe-mailto ADDR\n"                  \
	"  --quiet               no progress bar\n"

/* What the commands take besides the sending options (NULL/false: not
 * given). */
struct campaign_args {
	char *name, *list, *state;
	bool json, csv, quiet;
};

/*
 * Parse argv into set and a: with conf, mailcast.conf and MAILCAST_*
 * first.  0, -1 after --help (usage printed), or an exit status.
 */
int campaign_opts_parse(int argc, char **argv, struct campaign_settings *set,
                        bool conf, const char *cmd, void (*usage)(FILE *),
                        struct campaign_args *a);
/* Print "mailcast: CMD: err" and give rc's exit status. */
int campaign_fail(const char *cmd, int rc, const char *err);
/*
 * Run campaign id in the foreground (with set, or demo_run() for d) and
 * print its report; EX_TEMPFAIL when rows are left for a resume.
 */
int campaign_foreground(struct store *s, int64_t id,
                        const struct campaign_settings *set, struct demo *d,
                        bool quiet, const char *cmd);
/* Print the report of campaign id (JSON with json). */
int campaign_report_print(struct store *s, int64_t id, bool json, FILE *out,
                          const char *cmd);

#endif
