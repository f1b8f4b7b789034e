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
/* What the commands take besides the sending options (NULL/false: not
 * given). */
struct campaign_args {
	char *name, *list, *state, *where, *to, *as, *at;
	bool json, csv, quiet;
};

/*
 * Parse argv into set and a: with conf, mailcast.conf and MAILCAST_*
 * first; usage is the command's help (the sending options' follow).
 * 0, -1 after --help (usage printed), or an exit status.
 */
int campaign_opts_parse(int argc, char **argv, struct campaign_settings *set,
                        bool conf, const char *cmd, const char *usage,
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
/* Print the report of campaign id on stdout (CSV with csv, JSON with
 * json). */
int campaign_report_print(struct store *s, int64_t id, bool json, bool csv,
                          const char *cmd);

#endif
