/*
 * campaign_manage.h — a list owner's campaign management on top of
 * campaign.h: the frozen template, list/show/delete/clone, scheduling and
 * run-due, and the test send.  Every front end (the CLI, the coming HTTP
 * service) calls these; the JSON they return is the shape an API serves.
 *
 * The frozen template: campaign_create() reads the template file and every
 * file its Attach: lines name and keeps them in the store with the
 * campaign (store_campaign_file, seq 0 the template, Attach: rewritten to
 * the attachment's base name); a run renders from that copy, written to a
 * private temporary folder for the run (campaign_thaw) and removed after,
 * so an edit or a deletion of the files after create changes nothing.  A
 * campaign made before the store kept templates runs from its file.
 *
 * Ownership: json_t results are the caller's (json_decref).  Errors: 0 or
 * a negative MC_E* code with the reason in err: MC_ENOTFOUND (no such
 * campaign or contact), MC_EINVAL (a bad argument), MC_EAGAIN (the
 * campaign is running), MC_EDATA (template or attachments), MC_EIO (the
 * store or a file).
 */
#ifndef MC_APP_CAMPAIGN_MANAGE_H
#define MC_APP_CAMPAIGN_MANAGE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "app/campaign.h"

/* Keep the template at path and its attachments with campaign id (inside
 * the caller's transaction).  MC_EIO (a file), MC_EDATA (two attachments
 * with one base name), MC_ELIMIT (too large). */
int campaign_freeze(struct store *s, int64_t id, const char *path, char *err,
                    size_t errsz);

/* A frozen template written out for one run or test. */
struct campaign_thawed {
	bool frozen;           /* false: the campaign has no frozen copy */
	char dir[PATH_MAX];    /* the private folder, removed by _fini */
	char path[PATH_MAX];   /* the template in it */
	char origin[PATH_MAX]; /* the file it was frozen from */
};

/*
 * Write campaign id's frozen template and attachments into a new private
 * folder (mode 0700 under $TMPDIR or /tmp).  With test, the copy is
 * marked as a test: "[test] " before the Subject and an X-Mailcast-Test:
 * yes header.  t->frozen false (and 0) when the campaign has none.
 */
int campaign_thaw(struct store *s, int64_t id, bool test,
                  struct campaign_thawed *t, char *err, size_t errsz);
/* Remove the folder and what is in it. */
void campaign_thaw_fini(struct campaign_thawed *t);

/* [{id, name, list, status, created, scheduled, recipients, states}] of
 * every campaign, by id. */
int campaign_list_json(struct store *s, json_t **out, char *err, size_t errsz);
/* {id, name, list, status, created, scheduled, states, settings,
 *  template: {origin, text, attachments: [{name, bytes}]}} */
int campaign_show_json(struct store *s, int64_t id, json_t **out, char *err,
                       size_t errsz);
/* What campaign_list_json() or campaign_show_json() gave, as text for a
 * person: a table of campaigns, or one campaign with its frozen template
 * and settings. */
void campaign_json_text(const json_t *o, FILE *out);
/* The <sysexits.h> status of a run: 0 when every recipient reached a
 * final state, EX_TEMPFAIL (75) while some are deferred or it paused,
 * else mc_exit_code(rc). */
int campaign_exit_code(int rc, const struct campaign_result *res);
/* Delete campaign id with its ledger; MC_EAGAIN while a run is live. */
int campaign_delete(struct store *s, int64_t id, char *err, size_t errsz);
/* A copy of campaign id: its list (members as they are now), settings and
 * frozen files, named name (NULL: "NAME-copy", then -2 ...).  *newid. */
int campaign_clone(struct store *s, int64_t id, const char *name,
                   int64_t *newid, char *err, size_t errsz);

/* Parse an ISO 8601 time with its zone ("2026-12-24T09:00:00+01:00",
 * "2026-12-24 08:00Z") into *out.  MC_EINVAL with the reason. */
int campaign_time_parse(const char *text, time_t *out, char *err, size_t errsz);
/* Schedule campaign id at at (campaign_time_parse(); "none":
 * unschedule).  MC_EINVAL for no time, a bad one, one before now, or a
 * finished campaign. */
int campaign_schedule(struct store *s, int64_t id, const char *at, time_t now,
                      char *err, size_t errsz);

/* One campaign run-due started (err holds a failure's reason). */
typedef void campaign_due_fn(void *arg, int64_t id, int rc,
                             const struct campaign_result *res,
                             const char *err);
/*
 * Start every campaign scheduled at or before now, one after the other,
 * each claimed in the store first (two run-due at once never start the
 * same one), with its saved settings (campaign_resume()); fn hears each.
 * *started counts them.  0, or MC_EIO (the store).
 */
int campaign_run_due(struct store *s, time_t now,
                     const struct campaign_start_opts *o, campaign_due_fn *fn,
                     void *arg, unsigned *started, char *err, size_t errsz);

/* What a test send did. */
struct campaign_test_result {
	char as[STORE_ADDRESS_MAX + 1]; /* the contact it was rendered for */
	char server[300];               /* the relay */
	int code;                       /* the reply, or 0 */
	char text[600];                 /* the reply or the error */
	bool delivered;
};

/*
 * Send campaign id's message rendered for contact as (NULL: the list's
 * first member) to the address to, marked as a test (see campaign_thaw),
 * through the first relay of set (the campaign's settings with the
 * caller's on top) with its TLS and AUTH; the envelope sender is --from,
 * the unsubscribe token is signed with the demo key (a click on a test
 * message changes nothing), and nothing goes into the ledger.  0 when
 * the relay took it; MC_EPERMFAIL/MC_ETEMPFAIL with its reply in res;
 * MC_EINVAL (no relay), MC_ENOTFOUND (no such contact in the list).
 */
int campaign_test_send(struct store *s, int64_t id,
                       const struct campaign_settings *set, const char *to,
                       const char *as, struct campaign_test_result *res,
                       char *err, size_t errsz);

#endif
