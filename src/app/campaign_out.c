/*
 * campaign_out.c — the foreground run and a campaign's status, rows and
 * report for a terminal or a file (campaign_out.h).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "app/campaign_out.h"
#include "app/contacts.h"
#include "app/result_json.h"
#include "base/error.h"

static volatile sig_atomic_t fg_stop;

/* SIGINT/SIGTERM: first a clean pause, then stop at once. */
static void
fg_signal(int sig)
{
	(void)sig;
	fg_stop++;
}

/* Run in the foreground, signals as a pause; see campaign_out.h. */
int
campaign_run_fg(struct store *s, int64_t id,
                const struct campaign_settings *set, struct demo *d,
                engine_progress_fn *progress, void *arg,
                struct campaign_result *res, char *err, size_t errsz)
{
	struct campaign_start_opts o = {
	    .stop = &fg_stop, .progress = progress, .progress_arg = arg};
	struct sigaction sa = {.sa_handler = fg_signal}, old_int, old_term;
	int rc;

	fg_stop = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	rc = d ? demo_run(d, s, &o, res, err, errsz)
	       : campaign_start(s, id, set, &o, res, err, errsz);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return rc;
}

/* The progress bar as one line. */
void
campaign_progress_line(const struct engine_progress *p, char *buf, size_t n)
{
	unsigned long done = p->sent + p->failed + p->suppressed;
	unsigned long total = p->total ? p->total : 1;
	double frac = (double)done / (double)total;
	char bar[31];
	double eta =
	    p->rate > 0
	        ? (double)(total - (done < total ? done : total)) / p->rate
	        : 0;

	if (frac > 1)
		frac = 1;
	for (int i = 0; i < 30; i++)
		bar[i] = i < (int)(frac * 30) ? '#' : '.';
	bar[30] = '\0';
	if (p->waiting && p->held)
		snprintf(buf, n,
		         "\r[%s] %3.0f%%  sent %lu  deferred %lu  failed %lu  "
		         "waiting: %lu rows are held by another run \033[K",
		         bar, frac * 100, p->sent, p->deferred, p->failed,
		         p->held);
	else
		snprintf(buf, n,
		         "\r[%s] %3.0f%%  sent %lu  deferred %lu  failed %lu  "
		         "%.0f/s  %s%.0fs%s%s \033[K",
		         bar, frac * 100, p->sent, p->deferred, p->failed,
		         p->rate, p->waiting ? "waiting for retries " : "ETA ",
		         p->waiting ? (double)p->next_s : eta,
		         p->why[0] ? " - " : "", p->why);
}

/* The status as text. */
void
campaign_info_text(int64_t id, const struct campaign_info *ci, time_t now,
                   FILE *out)
{
	fprintf(out, "campaign %lld \"%s\": %s%s\n", (long long)id, ci->name,
	        campaign_status_name(ci->status),
	        ci->orphaned ? " (its last run stopped without a word; "
	                       "`campaign resume` continues)"
	                     : "");
	if (ci->where[0])
		fprintf(out, "  --where %s (%lu at create)\n", ci->where,
		        ci->matched);
	for (int i = 0; i < DLV__COUNT; i++)
		fprintf(out, "  %-12s %lu\n", store_dlv_state_name(i),
		        ci->states[i]);
	for (size_t i = 0; i < ci->nholders; i++) {
		const struct campaign_holder *h = &ci->holders[i];
		char since[32];
		struct tm tm;

		localtime_r(&h->since, &tm);
		strftime(since, sizeof(since), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(out,
		        "  run: pid %ld on %s since %s, %lu rows held, "
		        "heartbeat %lld s ago (%s)\n",
		        h->pid, h->host, since, h->rows,
		        (long long)(now - h->heartbeat), h->owner);
		if (h->slots)
			fprintf(out, "    %u connection slot%s: %s\n", h->slots,
			        h->slots == 1 ? "" : "s", h->slot_text);
	}
}

/* Where campaign_who_write() puts the rows. */
struct who_ctx {
	bool csv;
	json_t *arr; /* with json */
	FILE *out;
};

/* One ledger row: into the array, as CSV or as a table line. */
static int
who_row(void *arg, const struct store_dlv_row *r)
{
	struct who_ctx *w = arg;
	char code[16] = "", buf[2][16];
	const char *f[CAMPAIGN_ROW_CSV_FIELDS];

	if (r->reply_code)
		snprintf(code, sizeof(code), "%d", r->reply_code);
	if (w->arr != NULL) {
		json_array_append_new(w->arr, campaign_row_json(r));
	} else if (w->csv) {
		campaign_row_fields(r, buf, f);
		app_csv_write_row(w->out, f, CAMPAIGN_ROW_CSV_FIELDS);
	} else {
		fprintf(w->out, "%-40s %-10s %3s %-7s %s%s%s\n", r->address,
		        store_dlv_state_name(r->state), code,
		        r->enhanced ? r->enhanced : "",
		        r->queue_id ? r->queue_id : "",
		        r->queue_id && r->text ? " " : "",
		        r->text && !r->queue_id ? r->text : "");
	}
	return 0;
}

/* The ledger rows to out; see campaign_out.h. */
int
campaign_who_write(struct store *s, int64_t id, const char *state, bool json,
                   bool csv, FILE *out, char *err, size_t errsz)
{
	struct who_ctx w = {csv, json ? json_array() : NULL, out};
	int st = -1;

	if (state && (st = store_dlv_state_parse(state)) < 0) {
		json_decref(w.arr);
		return mc_fail(MC_EINVAL, err, errsz,
		               "--state: one of pending, inflight, sent, "
		               "deferred, failed, bounced, suppressed");
	}
	if (csv)
		fprintf(out, "%s\r\n", CAMPAIGN_ROW_CSV_HEADER);
	if (store_delivery_each(s, id, st, who_row, &w) < 0) {
		json_decref(w.arr);
		return mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
	}
	if (json) {
		json_dumpf(w.arr, out, JSON_INDENT(2));
		fputc('\n', out);
		json_decref(w.arr);
	}
	return 0;
}

/* The report to out; see campaign_out.h. */
int
campaign_report_write(struct store *s, int64_t id, bool json, bool csv,
                      FILE *out, char *err, size_t errsz)
{
	struct campaign_report r;
	json_t *j;
	int rc = campaign_report_get(s, id, &r, err, errsz);

	if (rc == 0 && csv) {
		campaign_report_csv(&r, out);
	} else if (rc == 0 && json) {
		j = campaign_report_json(&r);
		json_dumpf(j, out, JSON_INDENT(2));
		fputc('\n', out);
		json_decref(j);
	} else if (rc == 0) {
		campaign_report_text(&r, out);
	}
	campaign_report_fini(&r);
	return rc;
}
