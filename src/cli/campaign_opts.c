/*
 * campaign_opts.c — see campaign_opts.h.  Argument parsing and printing
 * only: the settings, the run and the report are app/campaign.h's.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "app/result_json.h"
#include "base/error.h"
#include "base/xmalloc.h"
#include "cli/campaign_opts.h"
#include "cli/commands.h"
#include "app/process.h"
#include "cli/util.h"

#include "usage_sending.h" /* docs/usage/sending.txt */

/* Print "mailcast: CMD: err" and give rc's exit status. */
int
campaign_fail(const char *cmd, int rc, const char *err)
{
	fprintf(stderr, "mailcast: %s: %s\n", cmd, err);
	return mc_exit_code(rc);
}

/* Where a sending option goes: set, as opt (messages name cmd). */
struct setting_ref {
	struct campaign_settings *set;
	enum campaign_opt opt;
	const char *cmd;
};

/* CLI_FN: one sending option into its settings. */
static int
setting_store(void *dst, const char *arg)
{
	struct setting_ref *r = dst;
	char err[CAMPAIGN_ERR_MAX];
	int rc = campaign_settings_set(r->set, r->opt, arg, err, sizeof(err));

	return rc < 0 ? campaign_fail(r->cmd, rc, err) : 0;
}

/* Parse argv into set and a. */
int
campaign_opts_parse(int argc, char **argv, struct campaign_settings *set,
                    bool conf, const char *cmd, const char *usage,
                    struct campaign_args *a)
{
	struct setting_ref refs[CAMPAIGN_OPT__COUNT];
	struct cli_opt opts[CAMPAIGN_OPT__COUNT + 10] = {
	    {"name", CLI_STR, &a->name, .shortopt = 'n'},
	    {"list", CLI_STR, &a->list, .shortopt = 'l'},
	    {"where", CLI_STR, &a->where, .shortopt = 'w'},
	    {"csv", CLI_FLAG, &a->csv, .shortopt = 'c'},
	    {"state", CLI_STR, &a->state, .shortopt = 's'},
	    CLI_O("quiet", CLI_FLAG, &a->quiet),
	    CLI_O("to", CLI_STR, &a->to),
	    CLI_O("as", CLI_STR, &a->as),
	    CLI_O("at", CLI_STR, &a->at),
	};
	char err[CAMPAIGN_ERR_MAX],
	    *help = xasprintf("%s%s", usage, usage_sending);
	const struct cli_cmd c = {cmd, help, opts, false};
	int rc, first;

	if (conf && (rc = campaign_settings_from_conf(set, app_conf(), err,
	                                              sizeof(err))) < 0) {
		free(help);
		return campaign_fail(cmd, rc, err);
	}
	for (int i = 0; i < CAMPAIGN_OPT__COUNT; i++) {
		enum campaign_opt o = (enum campaign_opt)i;

		refs[i] = (struct setting_ref){set, o, cmd};
		opts[9 + i] = (struct cli_opt){
		    .name = campaign_opt_name(o),
		    .type = campaign_opt_has_arg(o) ? CLI_FN : CLI_FN0,
		    .dst = &refs[i],
		    .fn = setting_store,
		    .shortopt = o == CAMPAIGN_OPT_TEMPLATE ? 't'
		                : o == CAMPAIGN_OPT_FROM   ? 'f'
		                                           : 0};
	}
	first = cli_parse(&c, argc, argv, &rc);
	free(help);
	a->json = cli_globals.json;
	return first >= 0 ? 0 : rc == EX_OK ? -1 : rc;
}

static volatile sig_atomic_t stop_flag;

/* SIGINT/SIGTERM: first a clean pause, then stop at once. */
static void
on_signal(int sig)
{
	(void)sig;
	stop_flag++;
}

struct bar {
	bool tty;
	bool shown;
};

/* Draw the progress bar on stderr. */
static void
draw(void *arg, const struct engine_progress *p)
{
	struct bar *b = arg;
	unsigned long done = p->sent + p->failed + p->suppressed;
	unsigned long total = p->total ? p->total : 1;
	double frac = (double)done / (double)total;
	char bar[31];
	double eta =
	    p->rate > 0
	        ? (double)(total - (done < total ? done : total)) / p->rate
	        : 0;

	if (!b->tty)
		return;
	if (frac > 1)
		frac = 1;
	for (int i = 0; i < 30; i++)
		bar[i] = i < (int)(frac * 30) ? '#' : '.';
	bar[30] = '\0';
	if (p->waiting && p->held) {
		fprintf(stderr,
		        "\r[%s] %3.0f%%  sent %lu  deferred %lu  failed %lu  "
		        "waiting: %lu rows are held by another run \033[K",
		        bar, frac * 100, p->sent, p->deferred, p->failed,
		        p->held);
		b->shown = true;
		return;
	}
	fprintf(stderr,
	        "\r[%s] %3.0f%%  sent %lu  deferred %lu  failed %lu  "
	        "%.0f/s  %s%.0fs%s%s \033[K",
	        bar, frac * 100, p->sent, p->deferred, p->failed, p->rate,
	        p->waiting ? "waiting for retries " : "ETA ",
	        p->waiting ? (double)p->next_s : eta, p->why[0] ? " - " : "",
	        p->why);
	b->shown = true;
}

/* Run campaign id in the foreground and print its report. */
int
campaign_foreground(struct store *s, int64_t id,
                    const struct campaign_settings *set, struct demo *d,
                    bool quiet, const char *cmd)
{
	struct campaign_start_opts o;
	struct campaign_result res;
	struct sigaction sa, old_int, old_term;
	struct bar bar = {!quiet && isatty(2), false};
	char err[CAMPAIGN_ERR_MAX],
	    notes[CAMPAIGN_NOTES_MAX][CAMPAIGN_NOTE_SIZE];
	size_t n;
	int rc;

	memset(&o, 0, sizeof(o));
	o.stop = &stop_flag;
	o.progress = draw;
	o.progress_arg = &bar;
	stop_flag = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	rc = d ? demo_run(d, s, &o, &res, err, sizeof(err))
	       : campaign_start(s, id, set, &o, &res, err, sizeof(err));
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (bar.shown)
		fputc('\n', stderr);
	if (rc < 0)
		return campaign_fail(cmd, rc, err);
	n = campaign_run_notes(&res.run, id, notes);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "mailcast: %s: %s\n", cmd, notes[i]);
	rc = campaign_report_print(s, id, false, false, cmd);
	if (rc == 0 && (res.run.paused || res.run.deferred_left))
		rc = EX_TEMPFAIL;
	return rc;
}

/* Print the report of campaign id. */
int
campaign_report_print(struct store *s, int64_t id, bool json, bool csv,
                      const char *cmd)
{
	struct campaign_report r;
	char err[CAMPAIGN_ERR_MAX];
	int rc = campaign_report_get(s, id, &r, err, sizeof(err));

	if (rc == 0 && csv)
		campaign_report_csv(&r, stdout);
	else if (rc == 0 && json)
		cli_json_print(campaign_report_json(&r));
	else if (rc == 0)
		campaign_report_text(&r, stdout);
	campaign_report_fini(&r);
	return rc < 0 ? campaign_fail(cmd, rc, err) : 0;
}
