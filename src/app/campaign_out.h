/*
 * campaign_out.h — what a front end running a campaign on a terminal
 * needs besides campaign.h: the foreground run (SIGINT/SIGTERM a clean
 * pause), the progress line, and the status, ledger rows and report
 * written as text, CSV or JSON to a stream.  The CLI's `campaign`,
 * `broadcast` and `demo` call these; the REST API serves the JSON of the
 * same data (result_json.h).
 *
 * Errors: 0 or a negative MC_E* code with the reason in err.
 */
#ifndef MC_APP_CAMPAIGN_OUT_H
#define MC_APP_CAMPAIGN_OUT_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "app/campaign.h"
#include "app/demo.h"

/*
 * Run campaign id with set (or demo_run() for d) until it settles, with
 * SIGINT/SIGTERM as a clean pause (a second one stops at once) while it
 * runs; progress (may be NULL) hears the engine's snapshots.
 */
int campaign_run_fg(struct store *s, int64_t id,
                    const struct campaign_settings *set, struct demo *d,
                    engine_progress_fn *progress, void *arg,
                    struct campaign_result *res, char *err, size_t errsz);
/* The progress bar of p as one terminal line ("\r[###...] 40% sent ..."
 * ending by an erase to the end of the line) into buf. */
void campaign_progress_line(const struct engine_progress *p, char *buf,
                            size_t n);
/* campaign_status_get()'s ci of campaign id as text: the status, the
 * --where, the rows by state and the live runs (times local, now for
 * the heartbeat's age). */
void campaign_info_text(int64_t id, const struct campaign_info *ci, time_t now,
                        FILE *out);
/*
 * The ledger rows of campaign id (only those in state, a state's name,
 * when not NULL) to out: a table, CSV with its header (csv) or a JSON
 * array (json).  MC_EINVAL (an unknown state) or MC_EIO.
 */
int campaign_who_write(struct store *s, int64_t id, const char *state,
                       bool json, bool csv, FILE *out, char *err, size_t errsz);
/* The report of campaign id to out as text, CSV (csv) or JSON (json);
 * MC_EIO. */
int campaign_report_write(struct store *s, int64_t id, bool json, bool csv,
                          FILE *out, char *err, size_t errsz);

#endif
