/*
 * result_json.h — the JSON forms of a parsed message (bounce/bounce.h) and
 * of what ingest did with one (app/ingest.h), as `bounces parse --json`,
 * `bounces fetch|ingest --json` print them and an HTTP API would answer.
 * Ownership: the caller json_decref()s the object returned.
 */
#ifndef MC_APP_RESULT_JSON_H
#define MC_APP_RESULT_JSON_H

#include <jansson.h>

#include "app/ingest.h"
#include "bounce/bounce.h"

/* {"file","kind","format","recipients":[...],...} */
json_t *bounce_result_json(const char *file, const struct bounce_result *r);
/* {"message","kind","skipped"?,"effects":[...],"disposition"?} */
json_t *ingest_result_json(const char *where, const struct ingest_result *r,
                           const char *disposition);

#endif
