/*
 * result_text.h — what the bounce parser found, what ingest did with a
 * message and how a mailbox poll ended, as text for a person (the JSON
 * of the same results is result_json.h's).
 */
#ifndef MC_APP_RESULT_TEXT_H
#define MC_APP_RESULT_TEXT_H

#include <stdio.h>

#include "app/ingest.h"
#include "app/poller.h"

/* "FILE: bounce (dsn) token T", then a line per recipient: address,
 * class, status, reply code, diagnostic. */
void bounce_result_text(FILE *out, const char *file,
                        const struct bounce_result *r);
/* "WHERE: bounce: verdict (note) -> disposition", then a line per
 * effect: address, action, status, suppressed/unsubscribed. */
void ingest_result_text(FILE *out, const char *where,
                        const struct ingest_result *r, const char *disp);
/* How a poll ended: the failure and what to do as "PREFIX: ..." lines on
 * say, then (unless the log-in failed) "CMD: tally" on tally. */
void poller_outcome_text(const struct poller_outcome *o, const char *prefix,
                         const char *cmd, FILE *say, FILE *tally);

#endif
