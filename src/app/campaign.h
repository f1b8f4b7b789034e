/*
 * campaign.h — the campaign service every front end calls (the CLI's
 * `campaign`, `broadcast` and `demo`, a later HTTP service, an embedding
 * program through include/mailcast.h).
 *
 * A campaign is a list, a template and its sending settings (struct
 * campaign_settings), kept with the campaign in the store as one JSON
 * "settings" event (campaign_settings_to_json/_from_json: the one place
 * they are written and read; relative paths become absolute at save; a
 * secret is never in them, only where it comes from).  campaign_create()
 * is the one creation: it checks the settings, compiles the template
 * against the list's attribute names, makes the ledger and saves the
 * settings in one transaction.  campaign_start() loads the keys, TLS
 * contexts and secrets, runs the engine until every row is settled or
 * *stop, and sets the status (enum campaign_status) at each step;
 * campaign_report_get() gives the report as data.  Nothing here prints.
 *
 * Ownership: struct campaign_settings and struct campaign_report own
 * their strings (_fini releases them).  Errors: functions return 0 or a
 * negative MC_E* code (base/error.h) with the reason in the caller's err
 * buffer; mc_exit_code() maps a code to a <sysexits.h> status.
 */
#ifndef MC_APP_CAMPAIGN_H
#define MC_APP_CAMPAIGN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "app/config.h"
#include "engine/engine.h"
#include "store/segment.h"
#include "store/store.h"

struct event_base;

#define CAMPAIGN_ERR_MAX    600 /* a good size for the err buffers */
#define CAMPAIGN_SECRET_MAX 1024
#define CAMPAIGN_SECRET_ENV "MAILCAST_AUTH_PASSWORD"

/* X(enum, name kept in the store): a campaign's life. */
#define CAMPAIGN_STATUSES(X)                                                   \
	X(CAMPAIGN_DRAFT, "draft")     /* created, never started */            \
	X(CAMPAIGN_RUNNING, "running") /* a run is sending (or died) */        \
	X(CAMPAIGN_PAUSED, "paused")   /* stopped, or rows left for later */   \
	X(CAMPAIGN_DONE, "done")       /* every row settled */

enum campaign_status {
#define CAMPAIGN_STATUS_ENUM(e, name) e,
	CAMPAIGN_STATUSES(CAMPAIGN_STATUS_ENUM)
#undef CAMPAIGN_STATUS_ENUM
	    CAMPAIGN_STATUS__COUNT
};

/* "running"; "?" for a value out of range. */
const char *campaign_status_name(enum campaign_status st);
/* The status named name, or -1. */
int campaign_status_parse(const char *name);

/* TLS to a relay or MX; CAMPAIGN_TLS_INHERIT only in a relay's own
 * settings (the campaign's mode), and means opportunistic elsewhere. */
#define CAMPAIGN_TLS_MODES(X)                                                  \
	X(CAMPAIGN_TLS_INHERIT, "")                                            \
	X(CAMPAIGN_TLS_NONE, "none")                                           \
	X(CAMPAIGN_TLS_OPPORTUNISTIC, "opportunistic")                         \
	X(CAMPAIGN_TLS_REQUIRE, "require")                                     \
	X(CAMPAIGN_TLS_IMPLICIT, "implicit")

enum campaign_tls {
#define CAMPAIGN_TLS_ENUM(e, name) e,
	CAMPAIGN_TLS_MODES(CAMPAIGN_TLS_ENUM)
#undef CAMPAIGN_TLS_ENUM
	    CAMPAIGN_TLS__COUNT
};

/* "require"; "" for INHERIT, "?" out of range. */
const char *campaign_tls_name(enum campaign_tls t);
/* The mode named name ("starttls" is "require"), or -1. */
int campaign_tls_parse(const char *name);

/* Where a secret comes from: a file (its first line), else the
 * environment variable env (NULL: CAMPAIGN_SECRET_ENV).  Never the
 * secret itself. */
struct campaign_secret {
	char *file;
	char *env;
};

/* A relay's own settings (a [relay NAME] section of mailcast.conf);
 * INHERIT, -1, 0 and NULL fields take the campaign's. */
struct campaign_relay {
	char *host; /* "HOST:PORT" */
	char *name; /* the section's NAME, or NULL */
	unsigned weight;
	enum campaign_tls tls;
	int tls_verify; /* -1 inherit, 0 no, 1 yes */
	char *ca_file;
	char *auth_user; /* NULL: the campaign's AUTH */
	struct campaign_secret auth_secret;
	unsigned conns, per_conn;
	double rate;
};

struct campaign_settings {
	char *template_path; /* absolute */
	char *from;
	char *bounce_domain;
	char *token_key_file;
	char *dkim_key[DKIM_KEYS_MAX]; /* files, dkim_selector[i] each */
	char *dkim_selector[DKIM_KEYS_MAX];
	size_t ndkim, nsel;
	char *dkim_domain; /* NULL: From's domain */
	/* the relays, tried in order (failover); with weighted, each its
	 * own destination with its own settings, domains spread by weight */
	struct campaign_relay relays[ENGINE_RELAYS_MAX];
	size_t nrelays;
	bool weighted;
	bool direct; /* to each domain's MX hosts instead */
	char *dns_server;
	int mx_port;
	char *helo;
	enum campaign_tls tls;
	bool tls_no_verify;
	char *ca_file;
	char *auth_user; /* AUTH to the relays, or NULL */
	struct campaign_secret auth_secret;
	char *unsub_url, *unsub_mailto;
	bool allow_unaligned; /* --from at another domain than From: */
	bool track_clicks, track_opens; /* app/track.h; off by default */
	struct engine_limits limits;
	struct engine_retry retry;
	unsigned timeout_ms, threads;
	unsigned lease_timeout; /* s without a heartbeat (0: engine default) */
	char *window; /* "09:00-17:00+01:00": when rows go out; NULL: always */
	/* layering (not saved): what the current layer already replaced;
	 * campaign_settings_layer() starts a new layer */
	bool relays_fresh, dkim_fresh;
};

/*
 * The settings a person sets by name: the long option (--dns-server), the
 * mailcast.conf key and the API all go through campaign_settings_set().
 * X(enum, name, takes a value).
 */
#define CAMPAIGN_OPTS(X)                                                       \
	X(CAMPAIGN_OPT_TEMPLATE, "template", 1)                                \
	X(CAMPAIGN_OPT_FROM, "from", 1)                                        \
	X(CAMPAIGN_OPT_RELAY, "relay", 1)                                      \
	X(CAMPAIGN_OPT_DIRECT, "direct", 0)                                    \
	X(CAMPAIGN_OPT_DNS_SERVER, "dns-server", 1)                            \
	X(CAMPAIGN_OPT_MX_PORT, "mx-port", 1)                                  \
	X(CAMPAIGN_OPT_HELO, "helo", 1)                                        \
	X(CAMPAIGN_OPT_TLS, "tls", 1)                                          \
	X(CAMPAIGN_OPT_TLS_NO_VERIFY, "tls-no-verify", 0)                      \
	X(CAMPAIGN_OPT_TLS_VERIFY, "tls-verify", 1)                            \
	X(CAMPAIGN_OPT_CA_FILE, "ca-file", 1)                                  \
	X(CAMPAIGN_OPT_AUTH_USER, "auth-user", 1)                              \
	X(CAMPAIGN_OPT_AUTH_PASSWORD_FILE, "auth-password-file", 1)            \
	X(CAMPAIGN_OPT_RATE, "rate", 1)                                        \
	X(CAMPAIGN_OPT_DEST_RATE, "dest-rate", 1)                              \
	X(CAMPAIGN_OPT_CONNS, "conns", 1)                                      \
	X(CAMPAIGN_OPT_PER_CONN, "per-conn", 1)                                \
	X(CAMPAIGN_OPT_TOTAL_CONNS, "total-conns", 1)                          \
	X(CAMPAIGN_OPT_PIPELINE, "pipeline", 1)                                \
	X(CAMPAIGN_OPT_RETRY, "retry", 1)                                      \
	X(CAMPAIGN_OPT_MAX_AGE, "max-age", 1)                                  \
	X(CAMPAIGN_OPT_LINGER, "linger", 1)                                    \
	X(CAMPAIGN_OPT_WINDOW, "window", 1)                                    \
	X(CAMPAIGN_OPT_BACKOFF_MAX, "backoff-max", 1)                          \
	X(CAMPAIGN_OPT_TIMEOUT, "timeout", 1)                                  \
	X(CAMPAIGN_OPT_THREADS, "threads", 1)                                  \
	X(CAMPAIGN_OPT_LEASE_TIMEOUT, "lease-timeout", 1)                      \
	X(CAMPAIGN_OPT_TOKEN_KEY, "token-key", 1)                              \
	X(CAMPAIGN_OPT_BOUNCE_DOMAIN, "bounce-domain", 1)                      \
	X(CAMPAIGN_OPT_DKIM_KEY, "dkim-key", 1)                                \
	X(CAMPAIGN_OPT_DKIM_SELECTOR, "dkim-selector", 1)                      \
	X(CAMPAIGN_OPT_DKIM_DOMAIN, "dkim-domain", 1)                          \
	X(CAMPAIGN_OPT_UNSUB_URL, "unsubscribe-url", 1)                        \
	X(CAMPAIGN_OPT_UNSUB_MAILTO, "unsubscribe-mailto", 1)                  \
	X(CAMPAIGN_OPT_ALLOW_UNALIGNED, "allow-unaligned", 0)                  \
	X(CAMPAIGN_OPT_TRACK_CLICKS, "track-clicks", 0)                        \
	X(CAMPAIGN_OPT_TRACK_OPENS, "track-opens", 0)

enum campaign_opt {
#define CAMPAIGN_OPT_ENUM(e, name, arg) e,
	CAMPAIGN_OPTS(CAMPAIGN_OPT_ENUM)
#undef CAMPAIGN_OPT_ENUM
	    CAMPAIGN_OPT__COUNT
};

/* "dns-server"; NULL out of range. */
const char *campaign_opt_name(enum campaign_opt o);
/* Whether option o takes a value. */
bool campaign_opt_has_arg(enum campaign_opt o);
/* The option named name ("dns-server"), or -1. */
int campaign_opt_parse(const char *name);

/* A sending window "HH:MM-HH:MM" with its zone (Z or +HH:MM) as minutes
 * of the day in UTC (end < start: across midnight).  0 or MC_EINVAL. */
int campaign_window_parse(const char *text, unsigned *start_utc,
                          unsigned *end_utc);

void campaign_settings_init(struct campaign_settings *set);
void campaign_settings_fini(struct campaign_settings *set);
/* Start a new layer: the next RELAY (or DIRECT) and DKIM_KEY/SELECTOR
 * replace what earlier layers set instead of adding to it. */
void campaign_settings_layer(struct campaign_settings *set);
/*
 * Set option o from its text value (NULL for one without).  Returns 0,
 * MC_EINVAL ("--rate: messages per second" in err) or MC_ENOTFOUND (a
 * template file that does not exist).
 */
int campaign_settings_set(struct campaign_settings *set, enum campaign_opt o,
                          const char *value, char *err, size_t errsz);
/* A setting by its option name, as a command line or an API form gives
 * it (value NULL for one that takes none). */
struct campaign_kv {
	const char *key;
	const char *value;
};
/* campaign_settings_set() of each of the n pairs kv, in order: 0, its
 * error, or MC_EINVAL for a key that is no option. */
int campaign_settings_set_kv(struct campaign_settings *set,
                             const struct campaign_kv *kv, size_t n, char *err,
                             size_t errsz);
/*
 * Lay a configuration (mailcast.conf with MAILCAST_* over it) into set:
 * its [mailcast] keys, then its [relay NAME] sections or MAILCAST_RELAY
 * (which replace the relays); then a new layer.  0 or MC_ECONFIG.
 */
int campaign_settings_from_conf(struct campaign_settings *set,
                                const struct mc_conf *c, char *err,
                                size_t errsz);
/* What a run needs: a template, exactly one way out, a selector per DKIM
 * key; and every value that reaches a header or a protocol line well
 * formed (--from an address msg/address accepts, --bounce-domain,
 * --helo and --dkim-domain host names, --unsubscribe-url an http(s) URL
 * with a host, --unsubscribe-mailto an address, no control character
 * anywhere), the field named in err.  0 or MC_EINVAL. */
int campaign_settings_check(const struct campaign_settings *set, char *err,
                            size_t errsz);
/* Every file the settings name (template unless frozen_template: the
 * store keeps it, CA, password, DKIM and token keys) exists and is not a
 * directory: 0, MC_ENOTFOUND ("--ca-file /x/ca.pem: no such file") or
 * MC_EDATA ("... is a directory"). */
int campaign_settings_files(const struct campaign_settings *set,
                            bool frozen_template, char *err, size_t errsz);
/* The settings as compact JSON (heap; free()); relative paths made
 * absolute against the current directory.  Never fails. */
char *campaign_settings_to_json(const struct campaign_settings *set);
/* Read JSON made by _to_json (or by earlier versions) into an inited set;
 * then a new layer.  0 or MC_EDATA. */
int campaign_settings_from_json(struct campaign_settings *set, const char *json,
                                char *err, size_t errsz);
/* Save set with campaign id (a "settings" event); 0 or MC_EIO. */
int campaign_settings_save(struct store *s, int64_t id,
                           const struct campaign_settings *set, char *err,
                           size_t errsz);
/* The latest settings saved with campaign id into an inited set: 0,
 * MC_EIO or MC_EDATA (none saved, or unreadable). */
int campaign_settings_load(struct store *s, int64_t id,
                           struct campaign_settings *set, char *err,
                           size_t errsz);

/*
 * Compile the template at path against the attribute names of list
 * list_id (a merge field the list does not have is an error).  0, MC_EIO
 * (the store) or MC_EDATA (the template's error in err).
 */
int campaign_check_template(struct store *s, int64_t list_id, const char *path,
                            char *err, size_t errsz);
/* What campaign_create() checks before it opens anything: every part
 * given (MC_EINVAL: "--list and --from are required") and
 * campaign_settings_check(). */
int campaign_create_check(const char *name, const char *list,
                          const struct campaign_settings *set, char *err,
                          size_t errsz);
/*
 * The one creation: a campaign named name of list list (by name) with
 * set.  Checks the settings (MC_EINVAL), finds the list (MC_ENOTFOUND),
 * compiles the template (MC_EDATA), then creates the ledger and saves the
 * settings in one transaction (MC_EDATA: e.g. the name is taken, MC_EIO).
 * *id is the new campaign's.
 */
int campaign_create(struct store *s, const char *name, const char *list,
                    const struct campaign_settings *set, int64_t *id, char *err,
                    size_t errsz);
/*
 * campaign_create() of the contacts of list that match where (a --where
 * expression, docs/segments.md; NULL: every member).  The expression and
 * *matched, the ledger rows it made (suppressed ones too), are kept with
 * the campaign (a "segment" event; campaign_segment_get).  Adds MC_EINVAL
 * or MC_ELIMIT ("--where: column 17: ...") and MC_EUNSUPP (a store
 * without segments) to campaign_create()'s codes.  matched may be NULL.
 */
int campaign_create_where(struct store *s, const char *name, const char *list,
                          const char *where,
                          const struct campaign_settings *set, int64_t *id,
                          unsigned long *matched, char *err, size_t errsz);
/* The --where a campaign was created with (heap, free()) and the rows it
 * matched then: 0, MC_ENOTFOUND (made of its whole list) or MC_EIO. */
int campaign_segment_get(struct store *s, int64_t id, char **where,
                         unsigned long *matched, char *err, size_t errsz);
/* A free name "PREFIX-YYYYMMDD-HHMMSS" (then -2, -3, ...) into out. */
void campaign_default_name(struct store *s, const char *prefix, char *out,
                           size_t outsz);
/* A campaign by id ("12") or name: 0 or MC_ENOTFOUND. */
int campaign_lookup(struct store *s, const char *ref, int64_t *id, char *err,
                    size_t errsz);

/* A live run of a campaign (a lease holder whose heartbeat is fresh). */
#define CAMPAIGN_HOLDERS_MAX 16
struct campaign_holder {
	char owner[320]; /* "mailcast@HOST:PID/RUN" */
	char host[256];
	long pid;
	time_t since, heartbeat;
	unsigned long rows; /* ledger rows leased to it */
	/* fleet connection slots its process holds (app/fleet.h), and
	 * which: "DEST #SLOT, ..." (cut short with "...") */
	unsigned slots;
	char slot_text[512];
};

struct campaign_info {
	int64_t id;
	char name[STORE_NAME_MAX + 1];
	int64_t list_id;
	enum campaign_status status; /* paused/running: by the live runs */
	bool orphaned; /* recorded as running, but no run is alive */
	time_t created;
	unsigned long states[DLV__COUNT]; /* ledger rows by state */
	struct campaign_holder holders[CAMPAIGN_HOLDERS_MAX]; /* live runs */
	size_t nholders;
	/* the --where it was made of ("": its whole list), and the ledger
	 * rows that matched at create */
	char where[SEGMENT_TEXT_MAX + 1];
	unsigned long matched;
};

/* The campaign's status, ledger counts and live runs: 0 or MC_EIO. */
int campaign_status_get(struct store *s, int64_t id, struct campaign_info *out,
                        char *err, size_t errsz);

struct campaign_start_opts {
	/* The caller's event base, or NULL: the engine's own.  The run
	 * turns it until the campaign settles (campaign_start blocks): call
	 * it from outside that base's loop. */
	struct event_base *base;
	/* >0 pause cleanly, >1 stop at once (a signal handler's flag) */
	const volatile sig_atomic_t *stop;
	engine_progress_fn *progress; /* every 250 ms and at the end */
	void *progress_arg;
	/* Every structured event of the run (engine.h: state, transaction,
	 * recipient result, commit, ...), on the loop thread, after the log
	 * has seen it; strings valid during the call. */
	engine_event_fn *on_event;
	void *event_arg;
	/* Share the destination limits with every other fleet run on the
	 * store (app/fleet.h; `mailcast worker` sets it). */
	bool fleet;
	/* > 0: this run's connection budget (engine_limits.total_conns;
	 * `mailcast worker --total-conns`): the lower of it and the
	 * campaign's. */
	unsigned total_conns;
};

struct campaign_result {
	enum campaign_status status; /* after the run */
	struct engine_result run;    /* the engine's figures */
};

/*
 * Run campaign id with set until every row is settled or *stop: checks
 * set, loads the token key, DKIM keys, TLS contexts and AUTH secrets
 * (wiped after), marks the campaign running, runs the engine, marks it
 * done or paused, and records run-start/run-end events.  Returns 0 (see
 * res: paused, deferred_left), MC_EINVAL, MC_ECONFIG (a key, secret or
 * TLS setting; the relay named in err), MC_ENOTFOUND, MC_EUNSUPP, or the
 * engine's error (the campaign is then paused).
 */
int campaign_start(struct store *s, int64_t id,
                   const struct campaign_settings *set,
                   const struct campaign_start_opts *o,
                   struct campaign_result *res, char *err, size_t errsz);
/* campaign_start() with the settings saved with campaign id. */
int campaign_resume(struct store *s, int64_t id,
                    const struct campaign_start_opts *o,
                    struct campaign_result *res, char *err, size_t errsz);
/*
 * Pause the runs of campaign id on this host (in other processes: each
 * gets SIGTERM, its clean pause); *signalled says how many.  With none,
 * the campaign is marked paused.  0 or MC_EIO.  A run in this process
 * pauses through its campaign_start_opts.stop flag.
 */
int campaign_pause(struct store *s, int64_t id, unsigned *signalled, char *err,
                   size_t errsz);

/* The count of ledger rows in each state for one key of a tally, in the
 * store's order (most first). */
struct campaign_tally {
	char *key; /* "(none)" for rows without */
	struct {
		enum store_dlv_state state;
		unsigned long n;
	} by[DLV__COUNT];
	size_t n;
};

#define CAMPAIGN_REPORT_RESENT_MAX 100000 /* addresses listed */

/* Counts over time: n buckets of step seconds (whole minutes, as few as
 * keep n <= CAMPAIGN_BUCKETS) from at[0] (a bucket with nothing in it is
 * left out), one count per series. */
#define CAMPAIGN_SERIES  4
#define CAMPAIGN_BUCKETS 60
struct campaign_timeline {
	size_t n;
	int64_t step;
	int64_t at[CAMPAIGN_BUCKETS];
	unsigned long v[CAMPAIGN_BUCKETS][CAMPAIGN_SERIES];
	unsigned long total[CAMPAIGN_SERIES];
};
/* The series of campaign_report.done: "sent", "deferred", "failed",
 * "bounced"; of .activity: "complaint", "unsubscribe", "click", "open". */
extern const char *const campaign_done_series[CAMPAIGN_SERIES];
extern const char *const campaign_activity_series[CAMPAIGN_SERIES];

/* A destination (relay) by the time its rows took: seconds from the first
 * run's start to its last settled row. */
struct campaign_slow {
	char *key;
	int64_t seconds;
	unsigned long n;
};

struct campaign_report {
	int64_t id;
	char name[STORE_NAME_MAX + 1];
	enum campaign_status status;
	unsigned long total;
	unsigned long states[DLV__COUNT];
	struct campaign_tally *by_dest; /* by relay or MX host */
	size_t ndest;
	struct campaign_tally *by_reply; /* by "550 5.1.1" */
	size_t nreply;
	double seconds;        /* sending time over every run */
	unsigned long nresent; /* recipients resent, fate unknown (once each) */
	char **resent;         /* their addresses (at most _RESENT_MAX) */
	size_t nresent_listed;
	/* click/open tracking (app/track.h: track_report_json), or NULL */
	json_t *tracking;
	struct campaign_timeline done;     /* settled rows by last update */
	struct campaign_timeline activity; /* complaints, unsubscribes... */
	unsigned long bounces[STORE_BOUNCE__COUNT]; /* by class */
	struct campaign_slow slowest[STORE_AGG_SLOW_MAX];
	size_t nslow;
};

/* The report's timelines, bounces and slowest destinations as members
 * of the report's JSON object o (campaign_report_json() calls it). */
void campaign_report_json_more(const struct campaign_report *r, json_t *o);

/* The report of campaign id into r (zeroed first; _fini it even after an
 * error): 0 or MC_EIO. */
int campaign_report_get(struct store *s, int64_t id, struct campaign_report *r,
                        char *err, size_t errsz);
void campaign_report_fini(struct campaign_report *r);
/* The report as people read it (app/report_text.c): the states, by
 * destination, by reply, the sending time and the rows resent after a
 * crash (the first 20), to out. */
void campaign_report_text(const struct campaign_report *r, FILE *out);
/* The report as RFC 4180 CSV on out: a header, then one row per count:
 * "state,,sent,3", "destination,relay 127.0.0.1:2525,sent,3",
 * "reply,250,sent,3", and "resent,ADDRESS,,1" per address resent. */
#define CAMPAIGN_REPORT_CSV_HEADER "section,key,state,count"
void campaign_report_csv(const struct campaign_report *r, FILE *out);

#define CAMPAIGN_NOTES_MAX 3 /* sentences campaign_run_notes() gives */
#define CAMPAIGN_NOTE_SIZE 768

/*
 * What a finished run of campaign id left for later, as sentences for a
 * person (paused, deferred rows and when the next is due, rows resent
 * after a crash) in notes; returns how many.
 */
size_t campaign_run_notes(const struct engine_result *r, int64_t id,
                          char notes[][CAMPAIGN_NOTE_SIZE]);

#endif
