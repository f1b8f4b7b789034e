/*
 * api_ops.h — the few operations the REST API (/api/v1, docs/api.md)
 * needs that no command had as a function yet; `mailcast campaign who`
 * prints the same rows (result_json.h's campaign_row_json).
 *
 * Each returns 0 with *out (a new reference) or a negative MC_E* code
 * with the reason in err: MC_ENOTFOUND (no such campaign), MC_EINVAL (a
 * bad state name), MC_EIO (the store).
 */
#ifndef MC_APP_API_OPS_H
#define MC_APP_API_OPS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

struct store;

/* The ledger rows of campaign id in state (NULL: all) as
 * [campaign_row_json()]. */
int api_campaign_who(struct store *s, int64_t id, const char *state,
                     json_t **out, char *err, size_t errsz);

/* The bounced rows of campaign id (0: of every campaign), each with its
 * "campaign" id. */
int api_bounces(struct store *s, int64_t id, json_t **out, char *err,
                size_t errsz);

/* Start campaign id: schedule it at now (campaign_schedule), which the
 * runner of `mailcast serve` (or `campaign run-due`) starts.  *out: its
 * status (campaign_info_json). */
int api_campaign_start(struct store *s, int64_t id, time_t now, json_t **out,
                       char *err, size_t errsz);

/*
 * Create a campaign from a JSON request (`campaign create` with the same
 * function, campaign_create_where): {"name", "list", "where"?,
 * "template": the template's text, "settings": {"from": ..., "relay":
 * ..., an option of `campaign create` by its long name: a string, or true
 * for one without a value}} over mailcast.conf's settings.  Options that
 * name a file of the server (template, dkim-key, ca-file, token-key,
 * auth-password-file) are refused: a caller must not make the server read
 * its files.  *out: campaign_show_json().  *field names the refused field
 * (NULL when none is to blame).  MC_EINVAL, MC_EDATA (the template),
 * MC_ENOTFOUND (no such list), MC_EIO.
 */
int api_campaign_create(struct store *s, const json_t *req, json_t **out,
                        const char **field, char *err, size_t errsz);

/* Campaign id's status, report: campaign_info_json(),
 * campaign_report_json(). */
int api_campaign_status(struct store *s, int64_t id, json_t **out, char *err,
                        size_t errsz);
int api_campaign_report(struct store *s, int64_t id, json_t **out, char *err,
                        size_t errsz);

#endif
