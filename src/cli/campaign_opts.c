/*
 * campaign_opts.c — see campaign_opts.h.  Argument parsing and printing
 * only: the settings, the run and the report are app/campaign*.h's.
 */
#include <sysexits.h>
#include <unistd.h>

#include "base/error.h"
#include "cli/campaign_opts.h"
#include "app/process.h"

/* Print "mailcast: CMD: err" and give rc's exit status. */
int
campaign_fail(const char *cmd, int rc, const char *err)
{
	return cli_fail(mc_exit_code(rc), "mailcast: %s: %s", cmd, err);
}

static struct campaign_args *args;
static struct campaign_settings *args_set;
static const char *args_cmd;

/* CLI_FN: one sending option (dst its name), checked and kept. */
static int
setting_store(void *dst, const char *arg)
{
	struct campaign_kv kv = {dst, arg};
	char err[CAMPAIGN_ERR_MAX];
	int rc = campaign_settings_set_kv(args_set, &kv, 1, err, sizeof(err));

	if (rc < 0)
		return campaign_fail(args_cmd, rc, err);
	if (args->nkv == CAMPAIGN_KV_MAX)
		return cli_fail(EX_USAGE, "mailcast: %s: too many options",
		                args_cmd);
	args->kv[args->nkv++] = kv;
	return 0;
}

/* The one table of campaign and broadcast. */
struct cli_opt *
campaign_opts(const char *cmd, struct campaign_args *a,
              struct campaign_settings *set, int *status)
{
	static struct cli_opt opts[CAMPAIGN_OPT__COUNT + 11]; /* fixed, end */
	struct cli_opt fixed[] = {
	    {"name", CLI_STR, &a->name, .shortopt = 'n'},
	    {"list", CLI_STR, &a->list, .shortopt = 'l'},
	    {"where", CLI_STR, &a->where, .shortopt = 'w'},
	    {"csv", CLI_FLAG, &a->csv, .shortopt = 'c'},
	    {"state", CLI_STR, &a->state, .shortopt = 's'},
	    CLI_O("quiet", CLI_FLAG, &a->quiet),
	    CLI_O("to", CLI_STR, &a->to),
	    CLI_O("as", CLI_STR, &a->as),
	    CLI_O("at", CLI_STR, &a->at),
	    CLI_O("html", CLI_STR, &a->html),
	};
#define NFIXED (sizeof(fixed) / sizeof(fixed[0]))
	char err[CAMPAIGN_ERR_MAX];
	int rc;

	if ((rc = campaign_settings_from_conf(set, app_conf(), err,
	                                      sizeof(err))) < 0) {
		*status = campaign_fail(cmd, rc, err);
		return NULL;
	}
	args = a, args_set = set, args_cmd = cmd;
	for (size_t i = 0; i < NFIXED; i++)
		opts[i] = fixed[i];
	for (int i = 0; i < CAMPAIGN_OPT__COUNT; i++) {
		enum campaign_opt o = (enum campaign_opt)i;

		opts[NFIXED + i] = (struct cli_opt){
		    .name = campaign_opt_name(o),
		    .type = campaign_opt_has_arg(o) ? CLI_FN : CLI_FN0,
		    .dst = (void *)campaign_opt_name(o),
		    .fn = setting_store,
		    .shortopt = o == CAMPAIGN_OPT_TEMPLATE ? 't'
		                : o == CAMPAIGN_OPT_FROM   ? 'f'
		                                           : 0};
	}
	return opts;
}

/* engine_progress_fn: the bar on stderr (arg: whether it was drawn). */
static void
draw(void *arg, const struct engine_progress *p)
{
	char line[1024];

	campaign_progress_line(p, line, sizeof(line));
	fputs(line, stderr);
	*(bool *)arg = true;
}

/* Run campaign id in the foreground and print its report. */
int
campaign_foreground(struct store *s, int64_t id,
                    const struct campaign_settings *set, struct demo *d,
                    bool quiet, const char *cmd)
{
	struct campaign_result res;
	char err[CAMPAIGN_ERR_MAX],
	    notes[CAMPAIGN_NOTES_MAX][CAMPAIGN_NOTE_SIZE];
	bool shown = false;
	size_t n;
	int rc =
	    campaign_run_fg(s, id, set, d, !quiet && isatty(2) ? draw : NULL,
	                    &shown, &res, err, sizeof(err));

	if (shown)
		fputc('\n', stderr);
	if (rc < 0)
		return campaign_fail(cmd, rc, err);
	n = campaign_run_notes(&res.run, id, notes);
	for (size_t i = 0; i < n; i++)
		cli_fail(0, "mailcast: %s: %s", cmd, notes[i]);
	if ((rc = campaign_report_write(s, id, false, false, stdout, err,
	                                sizeof(err))) < 0)
		return campaign_fail(cmd, rc, err);
	return res.run.paused || res.run.deferred_left ? EX_TEMPFAIL : 0;
}
