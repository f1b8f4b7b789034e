/*
 * campaign_opts.h — what `campaign`, `broadcast` and `demo` share in the
 * CLI: one option table (the sending options, every campaign_opt by
 * name, checked into a struct campaign_settings and kept as name/value
 * pairs to lay on saved settings), and the foreground run with a
 * progress bar on stderr (a terminal, not --quiet) and the report.
 */
#ifndef MC_CLI_CAMPAIGN_OPTS_H
#define MC_CLI_CAMPAIGN_OPTS_H

#include <stdbool.h>

#include "app/campaign_out.h"
#include "cli/util.h"

#define CAMPAIGN_KV_MAX 256 /* sending options on one command line */

/* What the commands take besides the sending options (NULL/false: not
 * given), and the sending options as given. */
struct campaign_args {
	const char *name, *list, *state, *where, *to, *as, *at, *html;
	bool csv, quiet;
	struct campaign_kv kv[CAMPAIGN_KV_MAX];
	size_t nkv;
};

/*
 * The option table of cmd (messages name it) into a and set, laid on
 * mailcast.conf and MAILCAST_*: a table, or NULL after saying why
 * (*status the exit status).
 */
struct cli_opt *campaign_opts(const char *cmd, struct campaign_args *a,
                              struct campaign_settings *set, int *status);
/* Print "mailcast: CMD: err" and give rc's exit status. */
int campaign_fail(const char *cmd, int rc, const char *err);
/*
 * Run campaign id in the foreground (with set, or demo_run() for d) and
 * print its report; EX_TEMPFAIL when rows are left for a resume.
 */
int campaign_foreground(struct store *s, int64_t id,
                        const struct campaign_settings *set, struct demo *d,
                        bool quiet, const char *cmd);

#endif
