/*
 * webhook.h — webhooks out (docs/webhooks.md): delivered, failed, bounced,
 * complained, unsubscribed and clicked events POSTed as signed JSON to
 * the endpoints of mailcast.conf's [webhook NAME] sections.
 *
 * The events are written by the store itself: while webhooks are armed
 * (store_webhook_arm), triggers put one outbox row per fact in the
 * transaction that commits the fact, so an event is never lost nor made
 * for a fact that was rolled back; with no webhook configured the
 * triggers are dropped and the hot path pays nothing.  A sender (a thread
 * of `mailcast serve` or `mailcast worker`) leases due rows like the
 * engine leases deliveries (several processes on one store never send
 * one event at the same time), POSTs each event to every endpoint that
 * wants it, one request per event, with
 *   Mailcast-Signature: t=UNIX,v1=HEX(HMAC-SHA256(secret, "UNIX.BODY"))
 *   Mailcast-Event-Id: ID  (the idempotency id; also "id" in the body)
 * and settles it: a 2xx from every endpoint is done; anything else, a
 * timeout or a refused connection retries with exponential back-off and
 * jitter until the endpoint's max_age, then the event is failed (kept,
 * listed, retried by hand).  Redirects are not followed; a response body
 * is read up to WEBHOOK_BODY_MAX and dropped.
 *
 * Secrets come from a file or an environment variable (app/secrets.h),
 * never from the command line, never logged, wiped by webhook_set_fini.
 * Errors: MC_ECONFIG (a bad [webhook] section), MC_EIO (the store),
 * MC_ENOTFOUND (retry: no such event), with the reason in err.
 */
#ifndef MC_APP_WEBHOOK_H
#define MC_APP_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "app/config.h"
#include "store/store.h"

#define WEBHOOK_SECRET_MAX 256
#define WEBHOOK_BODY_MAX   65536 /* response bytes read, then cut */
#define WEBHOOK_BATCH      64    /* events leased at once */

/* The events (names in webhook.c; bit 1 << e in an endpoint's set). */
enum webhook_event {
	WEBHOOK_DELIVERED,
	WEBHOOK_FAILED,
	WEBHOOK_BOUNCED,
	WEBHOOK_COMPLAINED,
	WEBHOOK_UNSUBSCRIBED,
	WEBHOOK_CLICKED,
	WEBHOOK__COUNT
};

/* One endpoint; the secret is wiped by webhook_set_fini. */
struct webhook_endpoint {
	char name[CONF_NAME_MAX];
	char url[CONF_VALUE_MAX];
	unsigned events; /* bits of enum webhook_event */
	unsigned char secret[WEBHOOK_SECRET_MAX];
	size_t secretlen;
	long timeout_ms;              /* per request; default 10 s */
	long retry_s;                 /* first retry interval; default 30 s */
	long max_age_s;               /* then failed; default 3 days */
	char ca_file[CONF_VALUE_MAX]; /* "" for the system's */
	bool tls_verify;              /* default yes */
};

struct webhook_set {
	struct webhook_endpoint ep[CONF_WEBHOOKS_MAX];
	size_t n;
};

/* The name of e ("clicked"), NULL out of range; e of a name, or -1. */
const char *webhook_event_name(enum webhook_event e);
int webhook_event_parse(const char *name);

/* The endpoints of c's [webhook NAME] sections into out (n 0: none),
 * secrets read.  0 or MC_ECONFIG. */
int webhook_set_load(const struct mc_conf *c, struct webhook_set *out,
                     char *err, size_t errsz);
/* Wipe the secrets of s. */
void webhook_set_fini(struct webhook_set *s);

/* The Mailcast-Signature value for body sent at t into out
 * ("t=T,v1=HEX"). */
void webhook_sign(const unsigned char *secret, size_t secretlen, time_t t,
                  const char *body, char *out, size_t outsz);

/* One pass of a sender: lease up to WEBHOOK_BATCH due events for owner,
 * send and settle each; *handled the events leased.  0 or MC_EIO. */
int webhook_pass(struct store *s, const struct webhook_set *set,
                 const char *owner, unsigned *handled, char *err, size_t errsz);

struct webhook_sender;

/*
 * A sender thread on the store at url (app_store_url: NULL is the
 * default store) for the webhooks of conf: arms the
 * triggers when there is an endpoint (and disarms them when there is
 * none: then *out is NULL and nothing runs).  0, MC_ECONFIG, MC_EIO.
 */
int webhook_sender_start(const char *url, const struct mc_conf *conf,
                         struct webhook_sender **out, char *err, size_t errsz);
/* Take conf's webhooks from now on (SIGHUP); the old ones stay on error. */
int webhook_sender_reload(struct webhook_sender *w, const struct mc_conf *conf,
                          char *err, size_t errsz);
/* Stop the thread (an event being sent is finished) and free w. */
void webhook_sender_stop(struct webhook_sender *w);

/* Options of webhook_list_op. */
struct webhook_list_opts {
	const char *state; /* pending|failed|done, or NULL: all */
};
/* Options of webhook_retry_op. */
struct webhook_retry_opts {
	bool failed; /* every failed event (no ID operand) */
};

/* app/op.h: the outbox rows, [{id, event, state, attempts, time,
 * next_attempt, done_to, error, payload}]. */
int webhook_list_op(struct store *s, void *opts, int argc,
                    const char *const *argv, json_t **out, char *err,
                    size_t errsz);
/* app/op.h: ID (or --failed) pending again now: {retried}. */
int webhook_retry_op(struct store *s, void *opts, int argc,
                     const char *const *argv, json_t **out, char *err,
                     size_t errsz);

#endif
