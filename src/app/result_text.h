/*
 * result_text.h — what the bounce parser found, what ingest did with a
 * message and how a mailbox poll ended, as text for a person (the JSON
 * of the same results is result_json.h's).
 */
#ifndef MC_APP_RESULT_TEXT_H
#define MC_APP_RESULT_TEXT_H

#include <stdbool.h>
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

/*
 * Parse each of the n files repeat times (ingest_parse_file): a JSON line
 * (json) or bounce_result_text() per file on out; a file skipped is said
 * on say as "PREFIX: FILE: skipped: why" (and with json as a line
 * {"file", "skipped"} on out).  *parsed and *cpu (the parser's CPU
 * seconds) add up.  0, MC_EDATA (a file was skipped) or else MC_EIO (a
 * file could not be read).
 */
int ingest_parse_files(const char *const *files, size_t n, long repeat,
                       bool json, FILE *out, FILE *say, const char *prefix,
                       unsigned long *parsed, double *cpu);

#endif
