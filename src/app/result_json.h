/*
 * result_json.h — the JSON forms of a parsed message (bounce/bounce.h), of
 * what ingest did with one (app/ingest.h), and of a campaign's status,
 * report and ledger rows (app/campaign.h), as the commands' --json print
 * them and an HTTP API would answer.
 * Ownership: the caller json_decref()s the object returned.
 */
#ifndef MC_APP_RESULT_JSON_H
#define MC_APP_RESULT_JSON_H

#include <jansson.h>

#include "app/campaign.h"
#include "app/ingest.h"
#include "bounce/bounce.h"

/* {"file","kind","format","recipients":[...],...} */
json_t *bounce_result_json(const char *file, const struct bounce_result *r);
/* {"message","kind","skipped"?,"effects":[...],"disposition"?} */
json_t *ingest_result_json(const char *where, const struct ingest_result *r,
                           const char *disposition);
/* {"id","name","status","states":{state: n},"holders":[{"owner","host",
 * "pid","since","heartbeat","rows"}]} */
json_t *campaign_info_json(int64_t id, const struct campaign_info *ci);
/* {"id","name","status","total","states","by_destination","by_reply",
 *  "seconds","resent_after_crash","resent":[...]} */
json_t *campaign_report_json(const struct campaign_report *r);
/* One ledger row: {"address","state","attempts","reply_code",
 * "enhanced"?,"reply"?,"queue_id"?,"relay"?} */
json_t *campaign_row_json(const struct store_dlv_row *r);
/* The same row as the fields of `campaign who --csv` (header: the
 * CAMPAIGN_ROW_CSV_HEADER line); strings live while r and buf do. */
#define CAMPAIGN_ROW_CSV_FIELDS 8
#define CAMPAIGN_ROW_CSV_HEADER                                                \
	"address,state,attempts,reply_code,enhanced,reply,queue_id,relay"
void campaign_row_fields(const struct store_dlv_row *r, char buf[2][16],
                         const char *out[CAMPAIGN_ROW_CSV_FIELDS]);

#endif
