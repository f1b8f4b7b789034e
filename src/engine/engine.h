/*
 * engine.h — the campaign runner: one personalised message to every due
 * recipient of a campaign, at the speed the limits and receivers allow.
 *
 * engine_run() leases batches of due ledger rows; a pool of threads renders
 * each message (template, MIME, DKIM); the router (route.h) names each
 * domain's destination; destination queues feed reused, pipelined SMTP
 * connections (net/smtp_conn.h) under the limits; a row is marked inflight,
 * and that committed, before it is handed to a connection (so before its
 * final dot); outcomes and marks are committed together (group commit).
 * 2xx: sent.  5xx: failed (the bounce policy, bounce/policy.h, says whether
 * the address is suppressed).  4xx and connection failures: deferred by the
 * retry schedule, failed when the schedule's age passes max_age.  A 421 or
 * a failed connection backs the destination off; 4xx replies slow it (fewer
 * connections, lower rate) until successes bring it back.
 *
 * Injected (engine_config): the clock (NULL: the system clock), the
 * resolver for direct delivery (NULL: c-ares on dns_server) and the event
 * base (NULL: the engine makes its own).  A caller's base is not freed and
 * may carry the caller's own events, which run during engine_run(); call
 * engine_run() from outside a dispatch of that base, or use engine_start()
 * (below) to run beside a loop the caller turns.  The engine reads no
 * environment: the SMTP transcript goes to base/log.h at LOG_TRACE.
 *
 * Events (struct engine_event) go to cfg->on_event once each, on the
 * calling thread: the run's state, transaction begin, recipient results
 * (after their commit), commits and rollbacks, destination limits,
 * recovered rows and a progress snapshot every 250 ms and at the end.
 * cfg->progress, if set, gets the progress snapshots too.  Strings and
 * pointers in an event are valid only during the callback.
 *
 * Crash semantics: every run is a lease holder (store.h) that beats a
 * heartbeat every lease_timeout / 3 s.  Rows of a holder whose heartbeat
 * is older than its timeout (or whose process on this host is gone) are
 * taken over by any live run at its next heartbeat, and at start: its
 * inflight rows are resent with an "inflight-unknown" event each.  A run
 * that finds its own holder record gone (it was frozen) drops the rows it
 * held unsent and goes on as a new holder; an inflight mark only succeeds
 * for a row still leased to the run, so a lost row is never sent by it. Setting
 * *cfg->stop pauses: nothing new starts, what is in flight finishes, unsent
 * rows return to pending.  Twice: stop at once. Errors: MC_EINVAL/MC_ECONFIG
 * (settings, template: text in err), MC_EIO (the store).  The config's pointers
 * are borrowed for the run.
 */
#ifndef MC_ENGINE_ENGINE_H
#define MC_ENGINE_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "base/clock.h"
#include "bounce/token.h"
#include "msg/dkim.h"
#include "proto/smtp_client.h"
#include "store/store.h"

#define ENGINE_SCHEDULE_MAX  16
#define ENGINE_RELAYS_MAX    8
#define ENGINE_THREADS_MAX   16
#define ENGINE_LEASE_SECS    1800 /* how long leased rows stay ours */
#define ENGINE_LEASE_TIMEOUT 15   /* s without a heartbeat: rows taken over */

struct engine_limits {
	double rate;         /* messages/s over all destinations; 0: none */
	double dest_rate;    /* messages/s per destination; 0: none */
	unsigned dest_conns; /* connections per destination (0: 4) */
	/* Connections this run has open (or opening) at once over all
	 * destinations: its connection budget, like Postfix's process
	 * limit; each run or worker has its own (0: no limit). */
	unsigned total_conns;
	unsigned per_conn; /* messages per connection (0: no limit) */
	unsigned pipeline; /* transactions in flight per connection (0: 8) */
};

struct engine_retry {
	unsigned schedule[ENGINE_SCHEDULE_MAX]; /* seconds before retry N */
	size_t n;                               /* 0: the default schedule */
	unsigned max_age;                       /* seconds; 0: 5 days */
	unsigned backoff_max_ms; /* destination backoff cap (0: 60 s) */
	/* How long a run waits when only deferred rows are left, counted
	 * from the moment it starts waiting (and again after a recipient
	 * settles): once the waiting reaches it, or the next retry is due
	 * after it, the run ends and leaves them to a later `campaign
	 * resume` (seconds; 0: 900). */
	unsigned linger;
};

/*
 * One relay's own settings (engine_config.relay_cfg[i] for relays[i]):
 * each such relay is its own destination with these limits, and every
 * connection to it uses its TLS mode, TLS context and AUTH.  The caller
 * fills every field (inherited values included); 0 limits: none/default.
 */
struct engine_relay {
	unsigned weight; /* share of the domains (>= 1) */
	enum smtp_tls_policy tls;
	SSL_CTX *tls_ctx; /* needed unless tls is SMTP_TLS_NONE */
	bool tls_verify;
	const char *auth_user;   /* or NULL */
	const char *auth_secret; /* borrowed; the caller wipes it */
	unsigned conns;          /* connections (0: limits.dest_conns) */
	double rate;             /* messages/s (0: limits.dest_rate) */
	unsigned per_conn;       /* messages per connection (0: limits') */
};

/*
 * Limits shared with other runs (a fleet on one store, docs/fleet.md),
 * called on the loop thread.  take: a connection slot to dest (cap: its
 * configured connections) before a connection opens: the slot (>= 0), or
 * < 0 when none is free now (the engine asks again later).  give: that
 * slot, once the connection is gone.  tokens: how many messages may go to
 * dest now under its configured rate (messages/s), 0: none yet.  slow:
 * dest's slow-down step is now penalty (0: recovered), backed off for
 * backoff_ms from now (0: no back-off).  beat: with every heartbeat;
 * true when slots were lost (expired while this run could not renew
 * them): every connection then takes no new message, closes once
 * drained, and the slots are taken again for new ones.
 */
struct engine_limiter {
	int (*take)(void *arg, const char *dest, unsigned cap);
	void (*give)(void *arg, const char *dest, unsigned slot);
	unsigned (*tokens)(void *arg, const char *dest, double rate);
	void (*slow)(void *arg, const char *dest, unsigned penalty,
	             unsigned backoff_ms);
	bool (*beat)(void *arg);
	void *arg;
};

struct engine_progress {
	unsigned long total; /* rows to settle in this run */
	unsigned long sent, deferred, failed, suppressed, resent;
	unsigned long inflight; /* in memory: leased, rendering, sending */
	unsigned conns;
	double elapsed; /* seconds */
	double rate;    /* messages/s over the run */
	bool waiting;   /* only deferred rows left, waiting for their time */
	unsigned long held; /* waiting: rows held by other live runs */
	unsigned long lost; /* rows taken from this run while it was frozen,
	                       dropped unsent */
	unsigned next_s;    /* waiting: seconds until the next retry is due */
	/* The last reply or error of each destination whose last outcome
	 * was a deferral ("relay 127.0.0.1:2525: connection failed: ...;
	 * mx.example: 451 4.7.1 try later"), "" when none: why rows wait. */
	char why[400];
};

typedef void engine_progress_fn(void *arg, const struct engine_progress *p);

/* X(symbol, name): what an engine event is about. */
#define ENGINE_EVENTS(X)                                                       \
	X(ENGINE_EV_STATE, "state")         /* the run's state changed */      \
	X(ENGINE_EV_TXN_BEGIN, "txn-begin") /* a message goes to a conn */     \
	X(ENGINE_EV_RCPT, "rcpt")           /* a recipient's recorded fate */  \
	X(ENGINE_EV_COMMIT, "commit")       /* a ledger commit */              \
	X(ENGINE_EV_ROLLBACK, "rollback")   /* a ledger transaction failed */  \
	X(ENGINE_EV_DEST, "dest")           /* a destination's limits moved */ \
	X(ENGINE_EV_RECOVER, "recover") /* rows of a dead run given back */    \
	X(ENGINE_EV_LEASE_LOST, "lease-lost") /* ours were taken over */       \
	X(ENGINE_EV_PROGRESS, "progress")     /* a snapshot (every 250 ms) */

enum engine_event_kind {
#define ENGINE_EV_ENUM(sym, name) sym,
	ENGINE_EVENTS(ENGINE_EV_ENUM)
#undef ENGINE_EV_ENUM
	    ENGINE_EV__COUNT
};

/* X(symbol, name): the states of a run (ENGINE_EV_STATE). */
#define ENGINE_RUN_STATES(X)                                                   \
	X(ENGINE_RUN_STARTED, "started")   /* rows recovered, sending */       \
	X(ENGINE_RUN_WAITING, "waiting")   /* only deferred rows, due soon */  \
	X(ENGINE_RUN_SENDING, "sending")   /* due rows again after waiting */  \
	X(ENGINE_RUN_PAUSING, "pausing")   /* *stop: in-flight finishing */    \
	X(ENGINE_RUN_PAUSED, "paused")     /* ended by *stop */                \
	X(ENGINE_RUN_FINISHED, "finished") /* every row settled */             \
	X(ENGINE_RUN_DEFERRED, "deferred") /* ended, retries due later */      \
	X(ENGINE_RUN_FAILED, "failed")     /* ended by an error */

enum engine_run_state {
#define ENGINE_RUN_ENUM(sym, name) sym,
	ENGINE_RUN_STATES(ENGINE_RUN_ENUM)
#undef ENGINE_RUN_ENUM
	    ENGINE_RUN__COUNT
};

/*
 * One event.  kind says which member of u is filled.  Strings are NULL
 * only where said; every pointer is valid during the callback only.
 * "dest" is the destination's key (route.h: "relay H:P ...", an MX host
 * set); "conn" numbers the run's connections from 1 (0: none).
 */
struct engine_event {
	enum engine_event_kind kind;
	time_t at; /* the engine's clock, wall seconds */
	union {
		struct {
			enum engine_run_state state;
			const char *reason; /* words for a person, or "" */
			time_t next_due;    /* WAITING/DEFERRED: next retry */
		} state;
		struct {
			unsigned conn;
			const char *dest;
			const char *host; /* the host of the connection */
			const char *peer; /* "127.0.0.1:2525" */
			const char *mail_from;
			const char *const *rcpts;
			size_t nrcpts;
			int64_t row_id; /* one message per row */
		} txn;
		struct {
			int64_t row_id, contact_id;
			const char *address;
			enum store_dlv_state state; /* as recorded */
			int code;                   /* 0: no reply */
			const char *enh;            /* "5.1.1" or "" */
			const char *text;           /* reply or reason */
			const char *dest;           /* "" when never routed */
			const char *relay;          /* host and peer, or "" */
			const char *queue_id;       /* or "" */
			unsigned conn;
			int attempt;         /* this attempt, from 1 */
			time_t next_attempt; /* deferred: when it is due */
			bool suppress;       /* the address was suppressed */
		} rcpt;
		struct {
			size_t outcomes; /* recipient results recorded */
			size_t marks;    /* rows marked inflight */
			size_t released; /* rows given back to pending */
			double ms;       /* time in the store */
		} commit;
		struct {
			int err; /* MC_E* */
			const char *why;
			size_t outcomes, marks;
		} rollback;
		struct {
			const char *dest;
			unsigned conns;   /* its connection cap now */
			double rate;      /* its messages/s now (0: none) */
			unsigned penalty; /* slow-down steps (0: none) */
			const char *why;  /* "451 4.7.1 ...", "recovered" */
		} dest;
		struct {
			const char *owner; /* the dead run, or "" (expired) */
			unsigned long rows;
		} recover; /* also LEASE_LOST: our old owner name */
		const struct engine_progress *progress;
	} u;
};

typedef void engine_event_fn(void *arg, const struct engine_event *ev);

struct event_base;
struct dns_resolver;

struct engine_config {
	struct store *store;
	int64_t campaign_id;
	const char *campaign_name;
	const char *template_path;
	const char *unsubscribe_url; /* NULL: template default */
	/* click/open tracking (msg/links.h): the campaign's stored links */
	const char *const *track_links;
	size_t ntrack_links;
	bool track_opens;
	const char *unsubscribe_mailto;    /* NULL: template default */
	const char *from;                  /* envelope sender without a token */
	const char *bounce_domain;         /* VERP domain (NULL: From's) */
	const struct token_key *token_key; /* required: the store's key */
	const struct dkim_key *dkim[DKIM_KEYS_MAX];
	size_t ndkim;
	const char *relays[ENGINE_RELAYS_MAX]; /* "host:port" */
	size_t nrelays;
	/* NULL: the relays are one destination, tried in order (failover);
	 * else relay_cfg[i] are relays[i]'s settings, see engine_relay. */
	const struct engine_relay *relay_cfg;
	bool direct;
	const char *dns_server;  /* "ADDR:PORT" for direct */
	int mx_port;             /* 0: 25 */
	const char *helo_name;   /* NULL: this host's name */
	const char *auth_user;   /* AUTH to the relays, or NULL */
	const char *auth_secret; /* borrowed; the caller wipes it */
	enum smtp_tls_policy tls;
	SSL_CTX *tls_ctx; /* needed unless tls is SMTP_TLS_NONE */
	bool tls_verify;
	struct engine_limits limits;
	const struct engine_limiter *limiter; /* NULL: this run's own limits */
	struct engine_retry retry;
	unsigned timeout_ms; /* every SMTP wait; 0: RFC 5321 defaults */
	unsigned threads;    /* render threads; 0: 2 */
	/* Seconds without a heartbeat after which another run takes this
	 * run's rows over (0: ENGINE_LEASE_TIMEOUT); the heartbeat comes
	 * every third of it. */
	unsigned lease_timeout;
	/* The sending window in minutes of the day, UTC: rows are leased
	 * only from window_start to window_end (end < start: across
	 * midnight; equal: always).  When it is closed the run gives back
	 * what did not leave and ends (window_closed, next_due: when it
	 * opens). */
	unsigned window_start, window_end;
	const volatile sig_atomic_t *stop; /* >0 pause, >1 stop now */
	engine_progress_fn *progress;      /* every 250 ms and at the end */
	void *progress_arg;
	engine_event_fn *on_event; /* every event (above), or NULL */
	void *event_arg;
	/* Injected; NULL: the system clock, c-ares on dns_server (direct
	 * only), an event base of the engine's own. */
	const struct mc_clock *clock;
	struct dns_resolver *dns;
	struct event_base *base;
};

struct engine_result {
	struct engine_progress p;
	bool finished;           /* nothing left to send */
	bool deferred_left;      /* ended with deferred rows due after linger */
	bool window_closed;      /* ended by the sending window (next_due) */
	time_t next_due;         /* deferred_left: when the next is due */
	bool paused;             /* stopped by *stop */
	unsigned long recovered; /* inflight rows of a dead run, resent */
	double first_ms;         /* time to the first message submitted */
};

/* Run the campaign until every row is settled or *stop; see above.
 * Blocking: turns cfg->base (or its own) until the run is over. */
int engine_run(const struct engine_config *cfg, struct engine_result *res,
               char *err, size_t errsz);

/*
 * The same run without blocking, for a caller that turns its own loop
 * (a service): engine_start() sets the run up on cfg->base (required) and
 * returns; the run goes on as the caller's loop turns; done(arg, e) is
 * called once, from the loop, when it is over; then engine_finish() gives
 * the result (what engine_run() returns and fills) and frees the engine.
 * engine_finish() before done stops the run at once.  engine_stop() asks
 * it to pause (now: stop at once), like *cfg->stop.  cfg is borrowed
 * until engine_finish().  engine_start() errors: as engine_run(), and
 * MC_EINVAL without a base; *out is then NULL.
 */
struct engine;
typedef void engine_done_fn(void *arg, struct engine *e);
int engine_start(const struct engine_config *cfg, engine_done_fn *done,
                 void *arg, struct engine **out, char *err, size_t errsz);
void engine_stop(struct engine *e, bool now);
int engine_finish(struct engine *e, struct engine_result *res, char *err,
                  size_t errsz);
/* "mailcast@HOST:PID", this process's name; a run's lease owner name is
 * this and "/RUN", unique per run. */
const char *engine_owner(void);
/* "rcpt", "commit", ...; "?" when out of range. */
const char *engine_event_name(enum engine_event_kind k);
/* "started", "paused", ...; "?" when out of range. */
const char *engine_run_state_name(enum engine_run_state s);

/*
 * The attribute names a template is compiled against, one rule for the
 * campaign's check and for the run: feed the attributes (a JSON object) of
 * the first records in order — the list's contacts in address order, or
 * the first leased rows — one call each.  The names are the keys of those
 * objects, each once, in the order first seen, at most TMPL_FIELDS_MAX;
 * keys longer than TMPL_FIELD_NAME_MAX, or records that are not a JSON
 * object, add nothing.  Only the first ENGINE_ATTRS_SAMPLE records count:
 * the call returns true while more would count, false once the sample is
 * complete (this record was the last to count, or came after it).
 * a is zeroed by the caller and freed with engine_attrs_fini().
 */
#define ENGINE_ATTRS_SAMPLE 32
struct engine_attrs {
	char **names;
	size_t n;
	size_t records; /* records fed so far */
};
bool engine_template_attrs(struct engine_attrs *a, const char *attrs_json);
void engine_attrs_fini(struct engine_attrs *a);

#endif
