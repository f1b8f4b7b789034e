/*
 * engine_int.h — the private side of engine.h, shared by its parts.
 *
 * The engine is split by responsibility; each part owns the functions of
 * its prefix:
 *   engine_jobq.c    jobq_*, job_*    a job (one ledger row from lease to
 *                                     recorded outcome) and job queues
 *   engine_render.c  rpool_*, tmpl    the render threads; the template and
 *                                     its attribute names
 *   engine_dest.c    dest_*           destination queues, limits, rate,
 *                                     back-off, slow-down, dispatch
 *   engine_conn.c    econn_*          the connection pool: smtp_conn
 *                                     callbacks, host choice, the trace
 *   engine_ledger.c  ledger_*         leases, group commit, outcomes and
 *                                     the retry schedule, crash recovery
 *   engine_event.c   engine_emit*     the structured events and names
 *   engine.c         engine_run       the loop that ties them together
 *
 * Threads: the event loop thread owns everything here except the render
 * pool's queues (rpool.mu) and the jobs inside the pool.  Nothing outside
 * src/engine/engine*.c includes this header.
 */
#ifndef MC_ENGINE_ENGINE_INT_H
#define MC_ENGINE_ENGINE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/clock.h"
#include "bounce/policy.h"
#include "engine/engine.h"
#include "engine/route.h"
#include "net/smtp_conn.h"

#define LEASE_FIRST 32   /* the first batch: a fast first message */
#define LEASE_BATCH 256  /* rows leased at once */
#define COMMIT_US   1000 /* marks wait at most this long ... */
#define DRY_AT                                                                 \
	1                  /* ... or until a connection is down to this many   \
	                      transactions on the wire (ledger_wire) */
#define OUTCOME_US    2000 /* outcomes wait at most this long */
#define WINDOW        1024 /* jobs in memory at most ... */
#define WINDOW_BUDGET 4096 /* ... under a connection budget, while ... */
#define WINDOW_BYTES  (16u << 20) /* ... their bodies take less than this */
#define FLUSH_AT      256         /* outcomes recorded in one commit */
#define RENDER_BATCH  16          /* jobs a render thread takes at once */
#define SPARE_BODIES  256 /* body buffers of freed jobs kept for reuse */
#define TICK_MS       10
#define HOUSEKEEP_MS  100
#define PROGRESS_MS   250
#define LOCAL_TRIES   3  /* never-started transactions before deferral */
#define CONN_FAILS    3  /* connection failures before queued jobs defer */
#define CONN_PER_SEC  10 /* connection attempts per destination in any 1 s */
#define PENALTY_MAX   4  /* slowdown steps: connections and rate / 2^p */
#define RECOVER_AFTER 50 /* deliveries without a 4xx to undo one step */
#define IDLE_QUIT_MS  2000
#define BUDGET_AGE_MS 50 /* budget: this long waiting = one job queued */
#define RATE_BURST_MS 50.0
#define SLOW_RATE                                                              \
	3200.0 /* the rate a slowed destination without one                    \
	          starts from (halved per step) */

#define JOB_UTF8_ADDR   1u /* a non-ASCII local part in the envelope */
#define JOB_UTF8_HEADER 2u /* raw UTF-8 in the header section */

struct dest;
struct engine;
struct econn;

struct job {
	struct job *next;
	struct job *live_prev, *live_next; /* engine.live: every job */
	struct engine *e;
	struct store_delivery d;
	struct dest *dest;
	struct buf body;
	size_t body_mem; /* counted in engine.body_bytes */
	char mail_from[400];
	char token[TOKEN_MAX + 1];
	/* the envelope as it goes on the wire (engine_render.c): domains as
	 * A-labels unless the local part needs SMTPUTF8 anyway */
	char rcpt_wire[400];
	char from_wire[400];
	unsigned utf8_need; /* JOB_UTF8_*: what needs SMTPUTF8 */
	struct smtp_rcpt rcpt;
	struct smtp_txn txn;
	struct smtp_wire wire; /* the body measured by its render thread */
	unsigned local_tries;
	struct econn *conn; /* waiting for its inflight mark to commit */
	unsigned conn_id;   /* the connection it went out on, or 0 */
	bool released;      /* back to pending, not recorded */
	bool lost;          /* its mark failed: taken over, dropped */
	bool late;    /* suppressed since its lease: not sent (j->text why) */
	int64_t supp; /* the suppression list's version it was checked at */
	enum bounce_action action; /* a 5xx: the bounce policy's call */
	/* the outcome */
	enum store_dlv_state state;
	int code;
	char enh[16];
	char text[512];
	char relay[400];
	char queue_id[64];
	time_t next_attempt;
};

struct jobq {
	struct job *head, *tail;
	size_t n;
};

struct econn {
	struct econn *next;
	struct engine *e;
	struct dest *dest;
	const struct route_host *host; /* the one connected to */
	struct smtp_conn *c;
	struct smtp_conn_config cfg;
	unsigned id; /* 1, 2, ... over the run */
	bool ready, quitting;
	bool answered; /* a transaction on it got the server's reply */
	unsigned inflight, used;
	unsigned slot1; /* the fleet slot it holds + 1; 0: none */
	uint64_t idle_since;
	char peer[96];
};

struct dest {
	struct dest *next;
	char key[512];
	const struct route *route;
	struct jobq q;
	struct econn *conns;
	unsigned nconns, nready;
	unsigned penalty, ok_streak, fail_streak;
	unsigned busy_streak; /* sessions ended by a 421 since a delivery */
	unsigned host_idx;
	unsigned rr;        /* round robin over equal-preference MX hosts */
	unsigned bad;       /* bit i: host i failed its last connection */
	unsigned conns_max; /* its connection cap (the relay's or global) */
	double rate;        /* its messages/s (0: none) */
	uint64_t backoff_until;
	uint64_t opened[CONN_PER_SEC]; /* when the last connections opened */
	unsigned nopened;              /* connections opened in all */
	double next_ms;                /* pacing of the destination's rate */
	unsigned slot1;        /* fleet: the slot taken for the next open + 1 */
	unsigned tokens;       /* fleet: messages granted, not sent yet */
	uint64_t fleet_wait;   /* fleet: no slot or token asked before */
	uint64_t budget_wait;  /* waiting for the connection budget since */
	unsigned budget_tried; /* dest_dispatch_budget's pass that tried it */
	char last_err[256];
	char last_defer[300]; /* its last deferral's reason; "" after a sent */
};

struct rpool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_cond_t turn; /* a batch's turn to be handed back */
	uint64_t taken;      /* batches taken (the next one's ticket) */
	uint64_t handed;     /* batches handed back */
	struct jobq in, out;
	bool quit;
	int efd;
	struct event *ev;
	pthread_t th[ENGINE_THREADS_MAX];
	unsigned nth;
	size_t busy; /* jobs in the pool (in, rendering, out) */
	/* loop thread only: routed jobs held while a lease batch starts */
	struct jobq held;
	bool holding;
};

struct engine {
	const struct engine_config *cfg;
	struct event_base *base;
	bool own_base;
	struct event *tick;
	struct router *router;
	struct dns_resolver *dns; /* ours to free, when not injected */
	const struct mc_clock *clock;
	struct tmpl *tmpl;
	struct engine_attrs attrs;
	char **dead; /* recovery: owners to give back */
	size_t ndead;
	const struct token_key *key;
	struct dest *dests;
	struct rpool pool;
	struct jobq done;       /* outcomes to record */
	struct jobq tosubmit;   /* to mark inflight, then submit */
	struct jobq submitting; /* marked, being handed to connections */
	struct event *commit_ev;
	bool commit_pending;
	unsigned commit_us; /* the pending commit's delay */
	size_t window;      /* jobs in memory */
	size_t body_bytes;  /* of their rendered bodies ... */
	size_t body_jobs;   /* ... and how many those are */
	bool starved;       /* a destination waits for the connection budget */
	unsigned nconnecting; /* connections not up yet (no greeting) */
	unsigned budget_gen;  /* dest_dispatch_budget's passes */
	unsigned conn_seq;
	uint64_t start_ms, next_lease_ms, last_flush_ms, last_progress_ms;
	double g_next_ms; /* pacing of the global rate */
	bool exhausted, stopping, finished, failed;
	bool ended;       /* over: the end event is coming */
	bool end_pending; /* the end event is active */
	bool over;        /* the end event ran: engine_finish() */
	int stop_level;   /* engine_stop(): 1 pause, 2 at once */
	struct event *end_ev;
	engine_done_fn *done_fn;
	void *done_arg;
	bool lingered;    /* only deferred rows left, due after the linger */
	time_t next_due;  /* lingered: when the next one is due */
	bool window_shut; /* ended by the sending window */
	uint64_t wait_since_ms;     /* waiting for retries since (0: not) */
	unsigned long wait_settled; /* recipients settled at wait_since */
	uint64_t stall_since_ms; /* first deferral since a recipient settled */
	unsigned long stall_settled; /* recipients settled at stall_since */
	unsigned long outcomes;      /* transactions that got their outcome */
	unsigned spin_hits;          /* of the last spins, ~/256 that saw one */
	unsigned spin_skipped;       /* waits since the last spin */
	enum engine_run_state state;
	int err;
	char errbuf[512];
	struct engine_progress p;
	double first_ms;
	unsigned long recovered;
	unsigned pipeline, conns_max;
	char owner[320];        /* this run's lease owner name (per run) */
	bool holder;            /* its holder record was added */
	unsigned lease_timeout; /* seconds (cfg or ENGINE_LEASE_TIMEOUT) */
	uint64_t last_beat_ms;
	struct store_delivery lease_buf[LEASE_BATCH];
	int64_t supp;     /* the suppression list's version at the last lease */
	int64_t supp_txn; /* ... read in the last batch's transaction */
	struct buf spare[SPARE_BODIES]; /* body buffers of freed jobs */
	size_t nspare;
	bool spares_done; /* job_spares_free() ran */
	/* every job not yet freed, wherever it is (a queue, the render
	 * pool, a route lookup, a connection): a run that stops at once
	 * frees the rest with jobs_free_live() */
	struct job *live;
};

/* engine.c */
uint64_t engine_now_ms(struct engine *e);
unsigned long engine_settled(const struct engine *e);
void engine_fail(struct engine *e, int err, const char *what,
                 const char *detail);
void engine_end(struct engine *e);

/* engine_jobq.c */
void jobq_push(struct jobq *q, struct job *j);
void jobq_unshift(struct jobq *q, struct job *j);
struct job *jobq_pop(struct jobq *q);
struct job *job_new(struct engine *e);
void job_body_init(struct engine *e, struct job *j);
void job_free(struct job *j);
void jobs_free_live(struct engine *e);
void job_spares_free(struct engine *e);

/* engine_render.c */
const char *job_utf8_reason(const struct job *j);
void rpool_start(struct engine *e);
void rpool_stop(struct engine *e);
void rpool_submit(struct engine *e, struct job *j);
void rpool_hold(struct engine *e);
void rpool_release(struct engine *e);
void rpool_take_back(struct engine *e);
int engine_template_ready(struct engine *e, const struct store_delivery *rows,
                          size_t n);

/* engine_dest.c */
struct dest *dest_get(struct engine *e, const struct route *r);
unsigned dest_conn_cap(const struct dest *d);
void dest_dispatch_budget(struct engine *e);
double dest_rate_now(const struct dest *d);
void dest_rate_give(struct engine *e, struct dest *d);
void dest_backoff(struct engine *e, struct dest *d, unsigned step);
void dest_slow(struct engine *e, struct dest *d, const char *why);
void dest_ok(struct engine *e, struct dest *d);
void dest_dispatch(struct engine *e, struct dest *d);
void dest_dispatch_all(struct engine *e);
void dest_slots_lost(struct engine *e);
void dests_free(struct engine *e);

/* engine_conn.c */
const struct engine_relay *econn_relay(const struct engine *e,
                                       const struct route_host *h);
void econn_open(struct engine *e, struct dest *d);
void econn_quit_idle(struct engine *e, bool all);

/* engine_ledger.c */
void ledger_defer(struct engine *e, struct job *j, int code, const char *enh,
                  const char *text);
void ledger_settle(struct engine *e, struct job *j, enum store_dlv_state st,
                   int code, const char *enh, const char *text);
void ledger_flush(struct engine *e);
void ledger_commit_now(struct engine *e);
void ledger_commit_soon(struct engine *e);
void ledger_commit_later(struct engine *e);
unsigned ledger_wire(const struct engine *e, const struct econn *c);
void ledger_forget_conn(struct engine *e, struct econn *c);
size_t ledger_lease(struct engine *e, size_t want);
int ledger_recover(struct engine *e);
int ledger_holder_start(struct engine *e);
void ledger_heartbeat(struct engine *e);
void ledger_holder_end(struct engine *e);
unsigned long ledger_held_elsewhere(struct engine *e, char *who, size_t whosz);
unsigned ledger_retry_delay(const struct engine_retry *r, int n);

/* engine_event.c */
void engine_emit(struct engine *e, struct engine_event *ev);
void engine_emit_state(struct engine *e, enum engine_run_state st,
                       const char *reason, time_t next_due);
void engine_emit_rcpt(struct engine *e, const struct job *j);
void engine_emit_dest(struct engine *e, const struct dest *d, const char *why);
void engine_progress(struct engine *e);
void engine_progress_why(struct engine *e);

#endif
