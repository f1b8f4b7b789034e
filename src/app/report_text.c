/*
 * report_text.c — a campaign's report as text for people
 * (campaign_report_text(), app/campaign.h); the JSON form is
 * app/result_json.c's.
 */
#include <stdio.h>

#include <jansson.h>

#include "app/campaign.h"

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

/* Clicks per tracked link and the opens, when the campaign tracks. */
static void
track_text(FILE *out, const json_t *t)
{
	const json_t *links = json_object_get(t, "links"), *l;
	json_int_t opens = json_integer_value(json_object_get(t, "opens"));
	size_t i;

	if (json_array_size(links) == 0 && opens == 0)
		return;
	fprintf(out, "clicks by link (clicks, contacts)\n");
	json_array_foreach(links, i, l) fprintf(
	    out, "  %-6lld %-6lld %s\n",
	    (long long)json_integer_value(json_object_get(l, "clicks")),
	    (long long)json_integer_value(json_object_get(l, "contacts")),
	    json_string_value(json_object_get(l, "url")));
	fprintf(out, "opens  %lld by %lld contacts\n", (long long)opens,
	        (long long)json_integer_value(json_object_get(t, "openers")));
}

/* The report as text (see campaign.h). */
void
campaign_report_text(const struct campaign_report *r, FILE *out)
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
	track_text(out, r->tracking);
	if (r->nresent == 0)
		return;
	fprintf(out,
	        "resent, fate unknown (in flight when a run died or stopped "
	        "at once, or the connection lost after the end of data): "
	        "%lu\n",
	        r->nresent);
	for (size_t i = 0; i < r->nresent_listed && i < 20; i++)
		fprintf(out, "  %s\n", r->resent[i]);
	if (r->nresent > 20)
		fprintf(out, "  ... (`campaign report --json` lists up to "
		             "1000)\n");
}
