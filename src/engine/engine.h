/*
 * engine.h — the campaign runner: one personalised message to every due
 * recipient of a campaign, at the speed the limits and receivers allow.
 *
 * engine_run() leases batches of due ledger rows, marks them inflight and
 * commits that before any of them is sent; a pool of threads renders each
 * message (template, MIME, DKIM); the router (route.h) names each domain's
 * destination; destination queues feed reused, pipelined SMTP connections
 * (net/smtp_conn.h) under the limits; outcomes are committed in batches.
 * 2xx: sent.  5xx: failed (5.1.x also suppresses the address).  4xx and
 * connection failures: deferred by the retry schedule, failed when the
 * schedule's age passes max_age.  A 421 or a failed connection backs the
 * destination off; 4xx replies slow it (fewer connections, lower rate)
 * until it recovers.
 *
 * Crash semantics: rows leased to a dead process of this host are given
 * back at start with an "inflight-unknown" event each (they are resent).
 * Setting *cfg->stop pauses: nothing new starts, what is in flight
 * finishes, unsent rows return to pending.  Twice: stop at once.
 * Errors: MC_EINVAL/MC_ECONFIG (settings, template: text in err), MC_EIO
 * (the store).  The config's pointers are borrowed for the run.
 */
#ifndef MC_ENGINE_ENGINE_H
#define MC_ENGINE_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "bounce/token.h"
#include "msg/dkim.h"
#include "proto/smtp_client.h"
#include "store/store.h"

#define ENGINE_SCHEDULE_MAX 16
#define ENGINE_RELAYS_MAX   8
#define ENGINE_THREADS_MAX  16
#define ENGINE_LEASE_SECS   1800 /* how long leased rows stay ours */

struct engine_limits {
	double rate;         /* messages/s over all destinations; 0: none */
	double dest_rate;    /* messages/s per destination; 0: none */
	unsigned dest_conns; /* connections per destination (0: 4) */
	unsigned per_conn;   /* messages per connection (0: no limit) */
	unsigned pipeline;   /* transactions in flight per connection (0: 8) */
};

struct engine_retry {
	unsigned schedule[ENGINE_SCHEDULE_MAX]; /* seconds before retry N */
	size_t n;                               /* 0: the default schedule */
	unsigned max_age;                       /* seconds; 0: 5 days */
	unsigned backoff_max_ms; /* destination backoff cap (0: 60 s) */
	/* How long a run waits when only deferred rows are left: when the
	 * next one is due later than this, the run ends and leaves them to
	 * a later `campaign resume` (seconds; 0: 900). */
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

struct engine_progress {
	unsigned long total; /* rows to settle in this run */
	unsigned long sent, deferred, failed, suppressed, resent;
	unsigned long inflight; /* in memory: leased, rendering, sending */
	unsigned conns;
	double elapsed; /* seconds */
	double rate;    /* messages/s over the run */
	bool waiting;   /* only deferred rows left, waiting for their time */
};

typedef void engine_progress_fn(void *arg, const struct engine_progress *p);

struct engine_config {
	struct store *store;
	int64_t campaign_id;
	const char *campaign_name;
	const char *template_path;
	const char *unsubscribe_url;       /* NULL: template default */
	const char *unsubscribe_mailto;    /* NULL: template default */
	const char *from;                  /* envelope sender without a token */
	const char *bounce_domain;         /* VERP domain (NULL: From's) */
	const struct token_key *token_key; /* NULL: a random one per run */
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
	struct engine_retry retry;
	unsigned timeout_ms; /* every SMTP wait; 0: RFC 5321 defaults */
	unsigned threads;    /* render threads; 0: 2 */
	const volatile sig_atomic_t *stop; /* >0 pause, >1 stop now */
	engine_progress_fn *progress;      /* every 250 ms and at the end */
	void *progress_arg;
};

struct engine_result {
	struct engine_progress p;
	bool finished;           /* nothing left to send */
	bool deferred_left;      /* ended with deferred rows due after linger */
	time_t next_due;         /* deferred_left: when the next is due */
	bool paused;             /* stopped by *stop */
	unsigned long recovered; /* inflight rows of a dead run, resent */
	double first_ms;         /* time to the first message submitted */
};

/* Run the campaign until every row is settled or *stop; see above. */
int engine_run(const struct engine_config *cfg, struct engine_result *res,
               char *err, size_t errsz);
/* "mailcast@HOST:PID", this process's lease owner name. */
const char *engine_owner(void);

#endif
