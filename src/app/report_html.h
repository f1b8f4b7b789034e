/*
 * report_html.h — a campaign's report as HTML for people: the summary,
 * deliveries over time, outcomes by destination and by reply code,
 * bounces by class, complaints / unsubscribes / clicks / opens over time
 * and the slowest destinations, with the server-drawn SVG charts of
 * app/chart.h.  The same sections serve `campaign report --html FILE` (one
 * self-contained document: inline CSS, no script, no external URL) and
 * the dashboard's report page (the sections only, styled by its sheet).
 *
 * Numbers are grouped ("1,234,567"); times are UTC and say so, inside
 * <time datetime> (the dashboard's script shows them in the viewer's
 * zone).  Also the mailboxes page's summary of the poller's memory.
 */
#ifndef MC_APP_REPORT_HTML_H
#define MC_APP_REPORT_HTML_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "app/campaign.h"
#include "base/buf.h"

/* The report's sections (no <html>, no style, no script) into b; an
 * empty campaign gets one paragraph saying what to do next. */
void report_html_sections(struct buf *b, const struct campaign_report *r);
/* The report as one self-contained HTML document into b, made at now. */
void report_html_document(struct buf *b, const struct campaign_report *r,
                          time_t now);
/* `campaign report ID --html FILE`: the document of campaign id written
 * to path (a temporary file renamed over it): 0, MC_EIO or the report's
 * error, with err set. */
int report_html_file(struct store *s, int64_t id, const char *path, char *err,
                     size_t errsz);
/* The bounce mailboxes (`bounces fetch`/`poll`): each one's last fetch
 * (when it ended, how, what it did, also when it found nothing) and the
 * messages the memory holds by what was done, as tables (or an empty
 * state) into b: 0 or the store's error with err set. */
int report_mailboxes_html(struct store *s, struct buf *b, char *err,
                          size_t errsz);

#endif
