/*
 * poller.h — the mailbox poller: reads a POP3 or IMAP mailbox through one
 * loop over a mailbox cursor (app/mailbox_cursor.h), hands each new
 * message to ingest (app/ingest.h: parse, policy, effects and the mailbox
 * memory in one transaction), moves or deletes what it handled, and with
 * idle keeps watching (IMAP IDLE).  Each message is handled once: the
 * memory is keyed by mailbox and UID/UIDL, and a message whose effects are
 * committed but whose move/delete did not happen is only moved/deleted on
 * the next run, so a cut connection loses and repeats nothing.
 *
 * It runs on the caller's libevent base and never blocks on the network
 * (the store is called synchronously), so a long-lived service can poll
 * beside a campaign.  Progress and per-message results go to the event
 * callback; the end to the done callback, once, from the loop (never from
 * inside poller_start).  Nothing here prints.
 *
 * Errors: poller_new: MC_EINVAL (bad URL or options, why in err),
 * MC_ECONFIG (TLS setup), MC_ENOHOST (name resolution).  done: rc 0, or
 * MC_E* with the failure's kind and words.
 * Ownership: cfg strings are copied (the secret too; wiped at free); the
 * ingest config's store and key are borrowed until poller_free.  Free the
 * poller after done, or at any time to stop (no goodbye then).
 */
#ifndef MC_APP_POLLER_H
#define MC_APP_POLLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/ingest.h"

#define POLLER_MOVE_TO_DEFAULT "mailcast-handled"

struct poller_config {
	const char *url;      /* see app/mailbox_url.h */
	const char *secret;   /* the password */
	bool starttls;        /* STLS/STARTTLS on pop3:// or imap:// */
	const char *ca_file;  /* NULL: the system's */
	bool tls_verify;      /* check the certificate (default on) */
	const char *auth;     /* plain, login, cram-md5, xoauth2, user, apop */
	bool allow_cleartext; /* the password without TLS */
	const char *move_to;  /* IMAP; NULL with neither del nor keep: the
	                         default folder */
	bool del, keep;       /* delete handled messages / leave them */
	bool idle;            /* IMAP: watch for new mail after a pass */
	long idle_max;        /* seconds of watching, 0: forever */
	long timeout_s;       /* per command; 0: 120 */
	size_t max_size;      /* skip bigger messages; 0: BOUNCE_MAX_SIZE */
	struct ingest_config ingest;
};

/* How a poll failed. */
#define POLLER_FAILURES(X)                                                     \
	X(POLLER_OK, "ok")                                                     \
	X(POLLER_LOGIN, "login")     /* connect, TLS or log-in failed */       \
	X(POLLER_LOST, "lost")       /* the session ended midway */            \
	X(POLLER_REFUSED, "refused") /* the server refused what we need */     \
	X(POLLER_STORE, "store")     /* the store failed */

enum poller_failure {
#define POLLER_FAILURE_ENUM(sym, name) sym,
	POLLER_FAILURES(POLLER_FAILURE_ENUM)
#undef POLLER_FAILURE_ENUM
};

enum poller_event_type {
	POLLER_EV_PROGRESS, /* i of n messages of this pass */
	POLLER_EV_MESSAGE,  /* one message handled (result, disposition) */
	POLLER_EV_NOTE,     /* a refusal that does not stop the poll */
	POLLER_EV_IDLE,     /* waiting for new mail */
	POLLER_EV_TLS,      /* text: the TLS session */
};

struct poller_event {
	enum poller_event_type type;
	size_t i, n;
	const char *where;                  /* "uid:7", "uidl:..." */
	const struct ingest_result *result; /* MESSAGE */
	const char *disposition;            /* "moved", "deleted", or NULL */
	const char *text;                   /* NOTE, TLS */
};

typedef void poller_event_fn(void *arg, const struct poller_event *ev);
typedef void poller_done_fn(void *arg, int rc, enum poller_failure f,
                            const char *why);

struct poller;
struct event_base;

/* Check the URL and options of cfg (no I/O): 0 or MC_EINVAL (why in
 * err).  poller_new checks them too. */
int poller_config_check(const struct poller_config *cfg, char *err,
                        size_t errsz);
/* Check cfg, set TLS up, resolve the host; NULL with *rc and err. */
struct poller *poller_new(const struct poller_config *cfg, int *rc, char *err,
                          size_t errsz);
/* Start polling on base; 0 or MC_E* (no callbacks then). */
int poller_start(struct poller *p, struct event_base *base,
                 poller_event_fn *on_event, poller_done_fn *on_done, void *arg);
/* The counts so far. */
const struct ingest_tally *poller_tally(const struct poller *p);
void poller_free(struct poller *p);
const char *poller_failure_name(enum poller_failure f);
/* How a whole poll (poller_run) ended. */
struct poller_outcome {
	int rc; /* on_done's */
	enum poller_failure failure;
	char why[512];
	struct ingest_tally tally; /* the counts */
};

/*
 * A whole poll, blocking, on an event base of its own (a command, or an
 * embedding program without a loop of its own): cfg checked, the password
 * read from pwfile or $MAILCAST_MAILBOX_PASSWORD (in cfg->secret for the
 * run, then wiped), on_event called as with poller_start(), *out filled at
 * the end.  0 when the poll ran (however it ended: see out), or MC_E* with
 * no callback and why in err: MC_EINVAL (the options), MC_ECONFIG (the
 * password), or what poller_new() answered.
 */
int poller_run(struct poller_config *cfg, const char *pwfile,
               poller_event_fn *on_event, void *arg, struct poller_outcome *out,
               char *err, size_t errsz);
/* The <sysexits.h> status a command-line client ends a poll with:
 * EX_NOPERM for a refused log-in, EX_TEMPFAIL when trying again may help
 * (a lost session, a busy store), EX_UNAVAILABLE for a refusal. */
int poller_exit_code(int rc, enum poller_failure f);

#endif
