/*
 * result_text.c — bounce, ingest and poll results as text
 * (result_text.h).
 */
#include <jansson.h>

#include "app/result_json.h"
#include "app/result_text.h"
#include "base/error.h"

/* v (consumed) as one compact JSON line on out. */
static void
json_line(FILE *out, json_t *v)
{
	json_dumpf(v, out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(v);
}

/* The parser's finding as text. */
void
bounce_result_text(FILE *out, const char *f, const struct bounce_result *r)
{
	fprintf(out, "%s: %s%s%s%s%s%s\n", f, bounce_kind_name(r->kind),
	        r->format[0] ? " (" : "", r->format, r->format[0] ? ")" : "",
	        r->token[0] ? " token " : "", r->token);
	for (size_t k = 0; k < r->nrcpts; k++)
		fprintf(out, "  %-40s %-10s %-7s %3d %s\n", r->rcpts[k].address,
		        bounce_class_name(r->rcpts[k].cls),
		        r->rcpts[k].status[0] ? r->rcpts[k].status : "-",
		        r->rcpts[k].reply_code,
		        r->rcpts[k].diagnostic ? r->rcpts[k].diagnostic : "");
}

/* One handled message as text. */
void
ingest_result_text(FILE *out, const char *where, const struct ingest_result *r,
                   const char *disp)
{
	fprintf(out, "%s: %s: %s%s%s%s%s%s%s%s%s\n", where,
	        ingest_kind_name(r->kind), ingest_verdict_name(r->verdict),
	        r->note[0] ? " (" : "", r->note, r->note[0] ? ")" : "",
	        r->skip[0] ? " (" : "", r->skip, r->skip[0] ? ")" : "",
	        disp ? " -> " : "", disp ? disp : "");
	for (size_t i = 0; i < r->neffects; i++) {
		const struct ingest_effect *e = &r->effects[i];

		fprintf(out, "  %s: %s%s%s%s%s\n", e->address,
		        bounce_action_name(e->action), e->status[0] ? " " : "",
		        e->status, e->suppressed ? ", suppressed" : "",
		        e->unsubscribed ? ", unsubscribed" : "");
	}
}

/* How a poll ended, as text. */
void
poller_outcome_text(const struct poller_outcome *o, const char *prefix,
                    const char *cmd, FILE *say, FILE *tally)
{
	char line[512];

	if (o->failure != POLLER_OK)
		fprintf(say, "%s: %s%s%s\n", prefix,
		        o->failure == POLLER_STORE ? "the store failed: " : "",
		        o->failure == POLLER_LOST ? "the session ended: " : "",
		        o->why);
	if (o->failure == POLLER_LOST)
		fprintf(say,
		        "%s: what was handled is remembered; run again "
		        "to go on\n",
		        prefix);
	if (o->failure != POLLER_LOGIN) {
		ingest_tally_text(&o->tally, line, sizeof(line));
		fprintf(tally, "%s: %s\n", cmd, line);
	}
}

/* Each file through the parser; see result_text.h. */
int
ingest_parse_files(const char *const *files, size_t n, long repeat, bool json,
                   FILE *out, FILE *say, const char *prefix,
                   unsigned long *parsed, double *cpu)
{
	struct bounce_result r;
	char err[1024];
	double spent;
	int worst = 0;

	bounce_result_init(&r);
	for (size_t i = 0; i < n; i++) {
		int rc = ingest_parse_file(files[i], repeat, &r, &spent, err,
		                           sizeof(err));

		*cpu += spent;
		*parsed += rc == MC_EIO ? 0 : (unsigned long)repeat;
		if (rc != 0) {
			fprintf(say, "%s: %s: skipped: %s\n", prefix, files[i],
			        err);
			if (json)
				json_line(out,
				          json_pack("{s:s,s:s}", "file",
				                    files[i], "skipped", err));
			if (rc != MC_EIO || worst == 0)
				worst = rc == MC_EIO ? MC_EIO : MC_EDATA;
		} else if (json) {
			json_line(out, bounce_result_json(files[i], &r));
		} else {
			bounce_result_text(out, files[i], &r);
		}
	}
	bounce_result_fini(&r);
	return worst;
}
