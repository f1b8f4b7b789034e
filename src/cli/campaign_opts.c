/*
 * campaign_opts.c — see campaign_opts.h.  Argument parsing and printing
 * only: the settings, the run and the report are app/campaign.h's.
 */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "base/error.h"
#include "cli/campaign_opts.h"
#include "cli/config.h"

#define OPT_BASE 1000 /* getopt value of campaign_opt 0 */

/* Print "mailcast: CMD: err" and give rc's exit status. */
int
campaign_fail(const char *cmd, int rc, const char *err)
{
	fprintf(stderr, "mailcast: %s: %s\n", cmd, err);
	return mc_exit_code(rc);
}

/* Parse argv into set and a. */
int
campaign_opts_parse(int argc, char **argv, struct campaign_settings *set,
                    bool conf, const char *cmd, void (*usage)(FILE *),
                    struct campaign_args *a)
{
	static const struct option extra[] = {
	    {"name", required_argument, NULL, 'n'},
	    {"list", required_argument, NULL, 'l'},
	    {"json", no_argument, NULL, 'j'},
	    {"csv", no_argument, NULL, 'c'},
	    {"state", required_argument, NULL, 's'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	};
	struct option opts[CAMPAIGN_OPT__COUNT + 8];
	char err[CAMPAIGN_ERR_MAX];
	size_t n = 0;
	int ch, rc;

	if (conf && (rc = campaign_settings_from_conf(set, cli_conf(), err,
	                                              sizeof(err))) < 0)
		return campaign_fail(cmd, rc, err);
	for (int i = 0; i < CAMPAIGN_OPT__COUNT; i++)
		opts[n++] =
		    (struct option){campaign_opt_name((enum campaign_opt)i),
		                    campaign_opt_has_arg((enum campaign_opt)i)
		                        ? required_argument
		                        : no_argument,
		                    NULL, OPT_BASE + i};
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		opts[n++] = extra[i];
	opts[n] = (struct option){NULL, 0, NULL, 0};
	while ((ch = getopt_long(argc, argv, "n:l:t:f:jcs:h", opts, NULL)) !=
	       -1) {
		switch (ch) {
		case 'n':
			a->name = optarg;
			continue;
		case 'l':
			a->list = optarg;
			continue;
		case 'j':
			a->json = true;
			continue;
		case 'c':
			a->csv = true;
			continue;
		case 's':
			a->state = optarg;
			continue;
		case 'q':
			a->quiet = true;
			continue;
		case 'h':
			usage(stdout);
			return -1;
		case 't':
			ch = OPT_BASE + CAMPAIGN_OPT_TEMPLATE;
			break;
		case 'f':
			ch = OPT_BASE + CAMPAIGN_OPT_FROM;
			break;
		default:
			break;
		}
		if (ch < OPT_BASE || ch >= OPT_BASE + CAMPAIGN_OPT__COUNT) {
			usage(stderr);
			return EX_USAGE;
		}
		rc = campaign_settings_set(set,
		                           (enum campaign_opt)(ch - OPT_BASE),
		                           optarg, err, sizeof(err));
		if (rc < 0)
			return campaign_fail(cmd, rc, err);
	}
	return 0;
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
	        "%.0f/s  %s%.0fs \033[K",
	        bar, frac * 100, p->sent, p->deferred, p->failed, p->rate,
	        p->waiting ? "waiting for retries " : "ETA ", eta);
	b->shown = true;
}

/* Say what a finished run left for later. */
static void
run_notes(const struct engine_result *r, int64_t id, const char *cmd)
{
	if (r->paused)
		fprintf(stderr,
		        "mailcast: %s: paused; `mailcast campaign resume %lld` "
		        "continues\n",
		        cmd, (long long)id);
	if (r->deferred_left) {
		char when[64];
		struct tm tm;

		localtime_r(&r->next_due, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(stderr,
		        "mailcast: %s: deferred recipients are left, the next "
		        "due at %s; `mailcast campaign resume %lld` retries "
		        "them\n",
		        cmd, when, (long long)id);
	}
	if (r->recovered)
		fprintf(stderr,
		        "mailcast: %s: %lu recipients were in flight when an "
		        "earlier run stopped; they were sent again (listed by "
		        "`campaign report`)\n",
		        cmd, r->recovered);
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
	char err[CAMPAIGN_ERR_MAX];
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
	run_notes(&res.run, id, cmd);
	rc = campaign_report_print(s, id, false, stdout, cmd);
	if (rc == 0 && (res.run.paused || res.run.deferred_left))
		rc = EX_TEMPFAIL;
	return rc;
}

/* A tally as a JSON object of objects {key: {state: n}}. */
static json_t *
tally_json(const struct campaign_tally *t, size_t n)
{
	json_t *o = json_object();

	for (size_t i = 0; i < n; i++) {
		json_t *k = json_object();

		for (size_t j = 0; j < t[i].n; j++)
			json_object_set_new(
			    k, store_dlv_state_name(t[i].by[j].state),
			    json_integer((json_int_t)t[i].by[j].n));
		json_object_set_new(o, t[i].key, k);
	}
	return o;
}

/* The report as JSON. */
static void
report_json(const struct campaign_report *r, FILE *out)
{
	json_t *states = json_object(), *resent = json_array(), *j;

	for (int i = 0; i < DLV__COUNT; i++)
		json_object_set_new(states, store_dlv_state_name(i),
		                    json_integer((json_int_t)r->states[i]));
	for (size_t i = 0; i < r->nresent_listed; i++)
		json_array_append_new(resent, json_string(r->resent[i]));
	j = json_pack("{s:I,s:s,s:s,s:I,s:o,s:o,s:o,s:f,s:I,s:o}", "id",
	              (json_int_t)r->id, "name", r->name, "status",
	              campaign_status_name(r->status), "total",
	              (json_int_t)r->total, "states", states, "by_destination",
	              tally_json(r->by_dest, r->ndest), "by_reply",
	              tally_json(r->by_reply, r->nreply), "seconds", r->seconds,
	              "resent_after_crash", (json_int_t)r->nresent, "resent",
	              resent);
	json_dumpf(j, out, JSON_INDENT(2));
	fputc('\n', out);
	json_decref(j);
}

/* Print a tally as "  key: state n, state n". */
static void
tally_text(FILE *out, const char *title, const struct campaign_tally *t,
           size_t n)
{
	fprintf(out, "%s\n", title);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "  %-40s", t[i].key);
		for (size_t j = 0; j < t[i].n; j++)
			fprintf(out, "%s%s %lu", j ? ", " : "",
			        store_dlv_state_name(t[i].by[j].state),
			        t[i].by[j].n);
		fputc('\n', out);
	}
}

/* The report as text. */
static void
report_text(const struct campaign_report *r, FILE *out)
{
	fprintf(out, "campaign %lld \"%s\": %s, %lu recipients\n",
	        (long long)r->id, r->name, campaign_status_name(r->status),
	        r->total);
	fprintf(out, "by state\n");
	for (int i = 0; i < DLV__COUNT; i++)
		if (r->states[i])
			fprintf(out, "  %-12s %lu\n", store_dlv_state_name(i),
			        r->states[i]);
	tally_text(out, "by destination", r->by_dest, r->ndest);
	tally_text(out, "by reply", r->by_reply, r->nreply);
	fprintf(out, "sending time  %.1f s\n", r->seconds);
	if (r->nresent == 0)
		return;
	fprintf(out, "resent after a crash (in flight, fate unknown): %lu\n",
	        r->nresent);
	for (size_t i = 0; i < r->nresent_listed && i < 20; i++)
		fprintf(out, "  %s\n", r->resent[i]);
	if (r->nresent > 20)
		fprintf(out, "  ... (`campaign report --json` lists up to "
		             "1000)\n");
}

/* Print the report of campaign id. */
int
campaign_report_print(struct store *s, int64_t id, bool json, FILE *out,
                      const char *cmd)
{
	struct campaign_report r;
	char err[CAMPAIGN_ERR_MAX];
	int rc = campaign_report_get(s, id, &r, err, sizeof(err));

	if (rc == 0 && json)
		report_json(&r, out);
	else if (rc == 0)
		report_text(&r, out);
	campaign_report_fini(&r);
	return rc < 0 ? campaign_fail(cmd, rc, err) : 0;
}
