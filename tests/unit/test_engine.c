/*
 * test_engine.c — the campaign engine on a fake clock, a fake resolver and
 * a scripted SMTP peer (engine_peer.h) on the test's own event base, over a
 * SQLite store in a temporary folder.  One test per behaviour: the retry
 * schedule and max age, adaptive per-destination limits on 4xx, group
 * commit (and the inflight mark before the final dot), crash recovery of a
 * dead run's inflight rows, failover between relays, and the SMTP trace.
 * Each asserts what a user would check: ledger rows, what the receiving
 * server saw (and when, on the fake clock), the engine's events.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "base/clock.h"
#include "base/error.h"
#include "base/log.h"
#include "dns/dns.h"
#include "engine/engine.h"
#include "engine_peer.h"
#include "store/store.h"

#define T0       1767225600 /* 2026-01-01 00:00:00 UTC */
#define EVS_MAX  1024
#define ROWS_MAX 512

/* What the engine told the test, copied out of its callbacks. */
struct seen_rcpt {
	char address[256];
	enum store_dlv_state state;
	int code, attempt;
	time_t next_attempt;
};
struct seen_dest {
	unsigned conns, penalty;
	double rate;
	char why[128];
	uint64_t at_ms; /* the fake clock */
};
struct seen_commit {
	size_t outcomes, marks;
};

struct fx {
	char dir[256], url[320], tmpl[320];
	struct store *s, *s2; /* s2: a second connection, for the peer */
	struct event_base *base;
	struct mc_clock clock;
	struct event *ticker;
	uint64_t step_ms;  /* fake ms per real ms (0: frozen) */
	bool wall_follows; /* the wall clock moves by whole seconds too */
	uint64_t wall_ms;  /* wall_follows: ms not yet a whole second */
	struct peer *peer;
	int64_t list, camp;
	char relay[2][64];
	const char *relays[2];
	struct engine_config cfg;
	struct token_key key;
	struct engine_result res;
	char err[512];
	/* events */
	struct seen_rcpt rcpt[EVS_MAX];
	size_t nrcpt;
	struct seen_dest dest[EVS_MAX];
	size_t ndest;
	struct seen_commit commit[EVS_MAX];
	size_t ncommit;
	size_t ntxn, nrollback;
	unsigned long recovered_rows[4];
	char recovered_owner[4][300];
	size_t nrecover;
	enum engine_run_state states[64];
	size_t nstates;
	char wait_why[400]; /* the first WAITING state's reason */
	/* the peer's look at the ledger at each end of data */
	unsigned at_dot_inflight, at_dot_other;
};

/* Copy what matters out of one event. */
static void
on_event(void *arg, const struct engine_event *ev)
{
	struct fx *f = arg;

	switch (ev->kind) {
	case ENGINE_EV_RCPT:
		if (f->nrcpt < EVS_MAX) {
			struct seen_rcpt *r = &f->rcpt[f->nrcpt++];

			snprintf(r->address, sizeof(r->address), "%s",
			         ev->u.rcpt.address);
			r->state = ev->u.rcpt.state;
			r->code = ev->u.rcpt.code;
			r->attempt = ev->u.rcpt.attempt;
			r->next_attempt = ev->u.rcpt.next_attempt;
		}
		break;
	case ENGINE_EV_DEST:
		if (f->ndest < EVS_MAX) {
			struct seen_dest *d = &f->dest[f->ndest++];

			d->conns = ev->u.dest.conns;
			d->penalty = ev->u.dest.penalty;
			d->rate = ev->u.dest.rate;
			snprintf(d->why, sizeof(d->why), "%s", ev->u.dest.why);
			d->at_ms = mc_clock_mono_ms(&f->clock);
		}
		break;
	case ENGINE_EV_COMMIT:
		if (f->ncommit < EVS_MAX) {
			f->commit[f->ncommit].outcomes = ev->u.commit.outcomes;
			f->commit[f->ncommit++].marks = ev->u.commit.marks;
		}
		break;
	case ENGINE_EV_TXN_BEGIN:
		f->ntxn++;
		break;
	case ENGINE_EV_ROLLBACK:
		f->nrollback++;
		break;
	case ENGINE_EV_RECOVER:
		if (f->nrecover < 4) {
			snprintf(f->recovered_owner[f->nrecover],
			         sizeof(f->recovered_owner[0]), "%s",
			         ev->u.recover.owner);
			f->recovered_rows[f->nrecover++] = ev->u.recover.rows;
		}
		break;
	case ENGINE_EV_STATE:
		if (f->nstates < 64)
			f->states[f->nstates++] = ev->u.state.state;
		if (ev->u.state.state == ENGINE_RUN_WAITING &&
		    f->wait_why[0] == '\0')
			snprintf(f->wait_why, sizeof(f->wait_why), "%s",
			         ev->u.state.reason);
		break;
	default:
		break;
	}
}

/* The test's own event on the shared base: the fake clock moves. */
static void
on_ticker(evutil_socket_t fd, short what, void *arg)
{
	struct fx *f = arg;

	(void)fd;
	(void)what;
	mc_clock_fake_advance(&f->clock, f->step_ms);
	if (f->wall_follows && f->step_ms < 1000) {
		f->wall_ms += f->step_ms;
		f->clock.fake_wall += (time_t)(f->wall_ms / 1000);
		f->wall_ms %= 1000;
	}
}

/* Write the template file. */
static void
write_template(struct fx *f)
{
	FILE *fp;

	snprintf(f->tmpl, sizeof(f->tmpl), "%s/news.tmpl", f->dir);
	fp = fopen(f->tmpl, "w");
	assert_non_null(fp);
	fputs("From: News <news@example.org>\n"
	      "Subject: Hello {{name|there}}\n"
	      "\n"
	      "Hello {{name|there}}, this is the news.\n",
	      fp);
	fclose(fp);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/mc-engine-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->url, sizeof(f->url), "sqlite:%s/t.db", f->dir);
	f->s = store_open(f->url, err, sizeof(err));
	f->s2 = store_open(f->url, err, sizeof(err));
	if (f->s == NULL || f->s2 == NULL)
		return -1;
	write_template(f);
	mc_clock_fake_init(&f->clock, T0);
	f->base = event_base_new();
	f->peer = peer_new(f->base, &f->clock);
	if (f->peer == NULL)
		return -1;
	f->ticker = event_new(f->base, -1, EV_PERSIST, on_ticker, f);
	assert_int_equal(store_list_ensure(f->s, "l", T0, &f->list), 0);
	snprintf(f->relay[0], sizeof(f->relay[0]), "127.0.0.1:%d",
	         f->peer->port);
	f->relays[0] = f->relay[0];
	f->cfg.store = f->s;
	assert_int_equal(
	    token_key_set(&f->key, "0123456789abcdef0123456789abcdef", 32), 0);
	f->cfg.token_key = &f->key;
	f->cfg.campaign_name = "c";
	f->cfg.template_path = f->tmpl;
	f->cfg.from = "news@example.org";
	f->cfg.relays[0] = f->relays[0];
	f->cfg.nrelays = 1;
	f->cfg.helo_name = "client.test";
	f->cfg.tls = SMTP_TLS_NONE;
	f->cfg.threads = 1;
	f->cfg.timeout_ms = 600000;
	f->cfg.retry.linger = 1;
	f->cfg.on_event = on_event;
	f->cfg.event_arg = f;
	f->cfg.clock = &f->clock;
	f->cfg.base = f->base;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[300];

	peer_free(f->peer);
	event_free(f->ticker);
	event_base_free(f->base);
	store_close(f->s);
	store_close(f->s2);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

/* Add the contacts PREFIXnn@DOMAIN (nn from..to) to the list. */
static void
contacts(struct fx *f, const char *prefix, const char *domain, int from, int to)
{
	assert_int_equal(store_begin(f->s), 0); /* one fsync, not one each */
	for (int i = from; i <= to; i++) {
		char addr[128];
		int res, joined;

		snprintf(addr, sizeof(addr), "%s%02d@%s", prefix, i, domain);
		assert_int_equal(
		    store_contact_upsert(f->s, addr, strchr(addr, '@') + 1,
		                         "{\"name\":\"Ann\"}", f->list, T0,
		                         &res, &joined),
		    0);
	}
	assert_int_equal(store_commit(f->s), 0);
}

/* Make the campaign of the list. */
static void
campaign(struct fx *f)
{
	assert_int_equal(
	    store_campaign_create(f->s, "c", f->list, T0, &f->camp), 0);
	f->cfg.campaign_id = f->camp;
}

/* Run the engine once, the fake clock moving step_ms per real ms. */
static int
run(struct fx *f, uint64_t step_ms)
{
	struct timeval ms1 = {0, 1000};
	int before = event_base_get_num_events(f->base, EVENT_BASE_COUNT_ADDED);
	int rc;

	f->step_ms = step_ms;
	if (step_ms)
		event_add(f->ticker, &ms1);
	rc = engine_run(&f->cfg, &f->res, f->err, sizeof(f->err));
	event_del(f->ticker);
	if (getenv("TEST_ENGINE_DEBUG"))
		fprintf(stderr, "run: %.0f ms fake, %.3f s real\n",
		        (double)mc_clock_mono_ms(&f->clock), f->res.p.elapsed);
	/* the base is the caller's again, with only the caller's events */
	assert_int_equal(
	    event_base_get_num_events(f->base, EVENT_BASE_COUNT_ADDED), before);
	return rc;
}

/* One ledger row, looked up by address. */
struct row {
	const char *address;
	bool found;
	enum store_dlv_state state;
	int attempts, code;
	time_t next_attempt;
	char text[512], relay[256];
};

static int
row_cb(void *arg, const struct store_dlv_row *r)
{
	struct row *w = arg;

	if (strcmp(r->address, w->address) != 0)
		return 0;
	w->found = true;
	w->state = r->state;
	w->attempts = r->attempts;
	w->code = r->reply_code;
	w->next_attempt = r->next_attempt;
	snprintf(w->text, sizeof(w->text), "%s", r->text ? r->text : "");
	snprintf(w->relay, sizeof(w->relay), "%s", r->relay ? r->relay : "");
	return 1;
}

static struct row
row_get(struct store *s, int64_t camp, const char *address)
{
	struct row w = {.address = address};

	store_delivery_each(s, camp, -1, row_cb, &w);
	assert_true(w.found);
	return w;
}

/* (a) A 451 defers the row to now + schedule[n]; past max_age it fails. */
static void
test_retry_schedule(void **state)
{
	struct fx *f = *state;
	struct row w;
	unsigned conns;

	assert_true(peer_fault(f->peer, "rcpt:grey*=451 4.7.1 greylisted"));
	contacts(f, "grey", "a.test", 1, 1);
	campaign(f);
	f->cfg.retry.schedule[0] = 10;
	f->cfg.retry.schedule[1] = 20;
	f->cfg.retry.schedule[2] = 40;
	f->cfg.retry.n = 3;
	f->cfg.retry.max_age = 50;

	/* attempt 1 at T0: due again at T0 + 10 */
	assert_int_equal(run(f, 0), 0);
	assert_true(f->res.deferred_left);
	assert_int_equal(f->res.next_due, T0 + 10);
	w = row_get(f->s, f->camp, "grey01@a.test");
	assert_int_equal(w.state, DLV_DEFERRED);
	assert_int_equal(w.attempts, 1);
	assert_int_equal(w.code, 451);
	assert_int_equal(w.next_attempt, T0 + 10);
	assert_int_equal(f->nrcpt, 1);
	assert_int_equal(f->rcpt[0].state, DLV_DEFERRED);
	assert_int_equal(f->rcpt[0].next_attempt, T0 + 10);
	assert_int_equal(f->states[f->nstates - 1], ENGINE_RUN_DEFERRED);

	/* at T0 + 5 nothing is due: no connection */
	conns = f->peer->conns_total;
	mc_clock_fake_advance(&f->clock, 5000);
	assert_int_equal(run(f, 0), 0);
	assert_int_equal(f->peer->conns_total, conns);
	assert_int_equal(row_get(f->s, f->camp, "grey01@a.test").attempts, 1);

	/* attempt 2 at T0 + 10: schedule[1] = 20 later */
	mc_clock_fake_advance(&f->clock, 5000);
	assert_int_equal(run(f, 0), 0);
	w = row_get(f->s, f->camp, "grey01@a.test");
	assert_int_equal(w.state, DLV_DEFERRED);
	assert_int_equal(w.attempts, 2);
	assert_int_equal(w.next_attempt, T0 + 10 + 20);

	/* attempt 3 at T0 + 30: 10 + 20 + 40 > max_age 50: failed */
	mc_clock_fake_advance(&f->clock, 20000);
	assert_int_equal(run(f, 0), 0);
	assert_true(f->res.finished);
	w = row_get(f->s, f->camp, "grey01@a.test");
	assert_int_equal(w.state, DLV_FAILED);
	assert_int_equal(w.attempts, 3);
	assert_int_equal(w.code, 451);
	assert_non_null(strstr(w.text, "gave up after 3 attempts"));
	assert_int_equal(f->rcpt[f->nrcpt - 1].state, DLV_FAILED);
	assert_int_equal(f->states[f->nstates - 1], ENGINE_RUN_FINISHED);
}

/* (b) 4xx replies that say "rate limit" slow a destination (connections,
 * rate) one step each; deliveries bring it back; greylisting 4xx to other
 * recipients do not.  Direct delivery through the fake resolver. */
static void
test_adaptive_limits(void **state)
{
	struct fx *f = *state;
	struct dns_resolver *dns = dns_fake_new();
	char mxname[] = "mx.slow.test";
	struct dns_rr mx = {.type = DNS_T_MX, .pref = 10, .name = mxname};
	struct dns_rr a = {.type = DNS_T_A, .family = AF_INET};
	uint64_t t4, t3;
	unsigned in_slow = 0, late = 0, late_conns = 0;

	a.in4.s_addr = htonl(0x7f000001);
	dns_fake_add(dns, "slow.test", &mx);
	dns_fake_add(dns, "mx.slow.test", &a);
	assert_true(peer_fault(f->peer,
	                       "rcpt:defer-*=451 4.7.1 rate limit, slow down"));
	assert_true(peer_fault(
	    f->peer,
	    "rcpt:grey-*=451 4.7.1 Greylisted, please try again later"));
	contacts(f, "grey-", "slow.test", 1, 6);
	contacts(f, "defer-", "slow.test", 1, 4);
	contacts(f, "ok-", "slow.test", 1, 130);
	campaign(f);
	f->cfg.direct = true;
	f->cfg.dns = dns;
	f->cfg.mx_port = f->peer->port;
	f->cfg.nrelays = 0;
	f->cfg.limits.dest_conns = 8;
	f->cfg.limits.pipeline = 1;
	f->cfg.limits.dest_rate = 400;
	f->cfg.retry.schedule[0] = 3600;
	f->cfg.retry.n = 1;

	assert_int_equal(run(f, 20), 0);
	dns_resolver_free(dns);
	if (getenv("TEST_ENGINE_DEBUG"))
		for (size_t i = 0; i < f->nrcpt; i++)
			fprintf(stderr, "%s %d %d\n", f->rcpt[i].address,
			        f->rcpt[i].state, f->rcpt[i].code);
	assert_int_equal(f->res.p.sent, 130);
	assert_int_equal(f->res.p.deferred, 10);
	/* four steps down (the rate limits; not the greylisting), halving
	 * connections and rate, then two up */
	assert_int_equal(f->ndest, 6);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(f->dest[i].penalty, i + 1);
		assert_non_null(strstr(f->dest[i].why, "451 4.7.1 rate limit"));
		assert_true(f->dest[i].rate == 400.0 / (2 << i));
	}
	assert_int_equal(f->dest[0].conns, 4);
	assert_int_equal(f->dest[1].conns, 2);
	assert_int_equal(f->dest[2].conns, 1);
	assert_int_equal(f->dest[3].conns, 1);
	assert_int_equal(f->dest[4].penalty, 3);
	assert_string_equal(f->dest[4].why, "recovered");
	assert_true(f->dest[4].rate == 50.0);
	assert_int_equal(f->dest[5].penalty, 2);
	assert_int_equal(f->dest[5].conns, 2);
	assert_true(f->dest[5].rate == 100.0);
	/* at the server: 25/s while slowest (plus the 50 ms burst and a
	 * tick), one connection, once what was in flight at t4 is in */
	t4 = f->dest[3].at_ms;
	t3 = f->dest[4].at_ms;
	assert_true(t3 > t4);
	for (size_t i = 0; i < f->peer->nmsgs; i++) {
		const struct peer_msg *m = &f->peer->msgs[i];

		if (m->at_ms > t4 && m->at_ms <= t3)
			in_slow++;
		if (m->at_ms > t4 + 500 && m->at_ms <= t3) {
			late++; /* sent once those in flight at t4 were in */
			if (m->conns_now > 1)
				late_conns++;
		}
	}
	if (getenv("TEST_ENGINE_DEBUG"))
		fprintf(stderr, "slow: %u messages in %llu ms, conns max %u\n",
		        in_slow, (unsigned long long)(t3 - t4),
		        f->peer->conns_max);
	assert_true(t3 > t4 + 1500);
	assert_true(late <= (t3 - t4 - 500) * 25 / 1000 + 4);
	/* most of the 50 deliveries that undo a step came in this window */
	assert_true(in_slow >= 40);
	assert_int_equal(late_conns, 0);
}

/* Hook: at each end of data, the recipient's row as another connection
 * to the database sees it (committed state only). */
static void
at_dot(void *arg, const char *rcpt)
{
	struct fx *f = arg;
	struct row w = row_get(f->s2, f->camp, rcpt);

	if (w.state == DLV_INFLIGHT)
		f->at_dot_inflight++;
	else
		f->at_dot_other++;
}

/* (c) Outcomes of several transactions go into one commit, with the marks
 * of the next; each mark is committed before its message's final dot. */
static void
test_group_commit(void **state)
{
	struct fx *f = *state;
	unsigned long commits0;
	size_t with_outcomes = 0, outcomes = 0, most = 0;

	contacts(f, "r", "g.test", 1, 16);
	campaign(f);
	f->cfg.limits.dest_conns = 4;
	f->cfg.limits.pipeline = 1;
	f->peer->hook = at_dot;
	f->peer->hook_arg = f;
	f->peer->hold = 4; /* four replies at once */
	commits0 = f->s->stat[STORE_OP_commit].calls;

	assert_int_equal(run(f, 0), 0);
	assert_int_equal(f->res.p.sent, 16);
	assert_int_equal(f->peer->nmsgs, 16);
	assert_int_equal(f->at_dot_inflight, 16);
	assert_int_equal(f->at_dot_other, 0);
	/* one transaction-begin and one recipient result per message */
	assert_int_equal(f->ntxn, 16);
	assert_int_equal(f->nrcpt, 16);
	for (size_t i = 0; i < f->nrcpt; i++) {
		assert_int_equal(f->rcpt[i].state, DLV_SENT);
		assert_int_equal(f->rcpt[i].code, 250);
	}
	for (size_t i = 0; i < f->ncommit; i++) {
		outcomes += f->commit[i].outcomes;
		if (f->commit[i].outcomes)
			with_outcomes++;
		if (f->commit[i].outcomes > most)
			most = f->commit[i].outcomes;
	}
	if (getenv("TEST_ENGINE_DEBUG"))
		fprintf(stderr, "commits: %zu with outcomes, %lu in all\n",
		        with_outcomes,
		        f->s->stat[STORE_OP_commit].calls - commits0);
	assert_int_equal(outcomes, 16);
	/* four groups of four replies: four commits of four outcomes (one
	 * group split by the peer's 300 ms safety release is tolerated) */
	assert_int_equal(most, 4);
	assert_true(with_outcomes <= 5);
	/* all the run's commits, as the store counted them: leases, the
	 * first marks, the groups (8 seen); one per row would be 32+ */
	assert_true(f->s->stat[STORE_OP_commit].calls - commits0 <= 10);
	assert_int_equal(f->nrollback, 0);
}

/* (c2) A busy connection is refilled in bursts: the inflight marks of a
 * burst share one commit (not one commit per message), every mark is still
 * committed before its message's final dot, and with two render threads
 * the messages reach the connection in lease order. */
static void
test_bursts(void **state)
{
	struct fx *f = *state;
	size_t mark_commits = 0, marks = 0, most = 0;

	contacts(f, "b", "g.test", 1, 64);
	campaign(f);
	f->cfg.limits.dest_conns = 1;
	f->cfg.limits.pipeline = 8;
	f->cfg.threads = 2;
	f->peer->hook = at_dot;
	f->peer->hook_arg = f;

	assert_int_equal(run(f, 0), 0);
	assert_int_equal(f->res.p.sent, 64);
	assert_int_equal(f->peer->nmsgs, 64);
	assert_int_equal(f->at_dot_inflight, 64);
	assert_int_equal(f->at_dot_other, 0);
	for (size_t i = 0; i < f->peer->nmsgs; i++) {
		char want[64];

		snprintf(want, sizeof(want), "b%02zu@g.test", i + 1);
		assert_string_equal(f->peer->msgs[i].rcpt, want);
	}
	for (size_t i = 0; i < f->ncommit; i++) {
		marks += f->commit[i].marks;
		if (f->commit[i].marks)
			mark_commits++;
		if (f->commit[i].marks > most)
			most = f->commit[i].marks;
	}
	if (getenv("TEST_ENGINE_DEBUG"))
		fprintf(stderr, "bursts: %zu marks in %zu commits, most %zu\n",
		        marks, mark_commits, most);
	assert_int_equal(marks, 64);
	/* the first fill takes 8, then bursts of 4 (half the pipeline):
	 * 16 commits with marks; one per message would be 64 */
	assert_true(most >= 4);
	assert_true(mark_commits <= 20);
	assert_int_equal(f->nrollback, 0);
}

/* (d) Rows left inflight by dead runs are given back (an inflight-unknown
 * event each) and resent. */
static int
count_event(void *arg, const struct store_event *ev)
{
	(void)ev;
	(*(unsigned *)arg)++;
	return 0;
}

static void
test_crash_recovery(void **state)
{
	struct fx *f = *state;
	struct store_delivery rows[8];
	int64_t ids[8];
	size_t n, moved;
	char dead_owner[300];
	const char *me = engine_owner();
	pid_t child;
	unsigned events = 0;

	contacts(f, "c", "crash.test", 1, 12);
	campaign(f);
	/* a run on another host, its lease (30 min) long expired */
	assert_int_equal(store_lease(f->s, f->camp, "mailcast@far.test:4242",
	                             T0 - 3600, 1800, rows, 6, &n),
	                 0);
	assert_int_equal(n, 6);
	for (size_t i = 0; i < n; i++)
		ids[i] = rows[i].id;
	assert_int_equal(store_mark_inflight(f->s, ids, n,
	                                     "mailcast@far.test:4242",
	                                     T0 - 3600, &moved),
	                 0);
	store_deliveries_fini(rows, n);
	/* a dead process of this host, its lease still running */
	child = fork();
	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0);
	snprintf(dead_owner, sizeof(dead_owner), "%.*s:%ld",
	         (int)(strrchr(me, ':') - me), me, (long)child);
	assert_int_equal(
	    store_lease(f->s, f->camp, dead_owner, T0, 1800, rows, 3, &n), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		ids[i] = rows[i].id;
	assert_int_equal(
	    store_mark_inflight(f->s, ids, n, dead_owner, T0, &moved), 0);
	store_deliveries_fini(rows, n);

	assert_int_equal(run(f, 0), 0);
	assert_true(f->res.finished);
	assert_int_equal(f->res.recovered, 9);
	assert_int_equal(f->res.p.sent, 12);
	for (int i = 1; i <= 12; i++) {
		char addr[64];

		snprintf(addr, sizeof(addr), "c%02d@crash.test", i);
		assert_int_equal(peer_count(f->peer, addr), 1);
		assert_int_equal(row_get(f->s, f->camp, addr).state, DLV_SENT);
	}
	assert_int_equal(store_event_each(f->s, f->camp, "inflight-unknown",
	                                  count_event, &events),
	                 0);
	assert_int_equal(events, 9);
	assert_int_equal(f->nrecover, 2);
	assert_string_equal(f->recovered_owner[0], dead_owner);
	assert_int_equal(f->recovered_rows[0], 3);
	assert_string_equal(f->recovered_owner[1], "");
	assert_int_equal(f->recovered_rows[1], 6);
	assert_int_equal(f->states[0], ENGINE_RUN_STARTED);
}

/* (d2) Another live run holds rows: this run sends the rest, waits on
 * them (saying so), and when that run's heartbeat is older than its
 * timeout takes them over at its next heartbeat — its inflight rows
 * resent with an event each — and finishes. */
static void
test_takeover_of_a_silent_run(void **state)
{
	struct fx *f = *state;
	struct store_delivery rows[8];
	struct store_holder other = {.owner = "mailcast@far.test:7/0000beef",
	                             .host = "far.test",
	                             .pid = 7,
	                             .started = T0,
	                             .heartbeat = T0,
	                             .timeout = 300};
	int64_t ids[8];
	size_t n, moved;
	unsigned events = 0;
	bool waited = false;

	contacts(f, "t", "take.test", 1, 12);
	campaign(f);
	other.campaign_id = f->camp;
	assert_int_equal(store_holder_add(f->s, &other), 0);
	assert_int_equal(
	    store_lease(f->s, f->camp, other.owner, T0, 1800, rows, 5, &n), 0);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++)
		ids[i] = rows[i].id;
	store_deliveries_fini(rows, n);
	assert_int_equal(
	    store_mark_inflight(f->s, ids, 2, other.owner, T0, &moved), 0);
	assert_int_equal(moved, 2);
	f->cfg.lease_timeout = 6; /* our heartbeat: every 2 s */

	/* 1 fake s per real ms: the fake wall clock moves by whole seconds
	 * of each advance only */
	assert_int_equal(run(f, 1000), 0);
	assert_true(f->res.finished);
	assert_int_equal(f->res.recovered, 2);
	assert_int_equal(f->res.p.sent, 12);
	for (int i = 1; i <= 12; i++) {
		char addr[64];

		snprintf(addr, sizeof(addr), "t%02d@take.test", i);
		assert_int_equal(peer_count(f->peer, addr), 1);
		assert_int_equal(row_get(f->s, f->camp, addr).state, DLV_SENT);
	}
	for (size_t i = 0; i < f->nstates; i++)
		waited |= f->states[i] == ENGINE_RUN_WAITING;
	assert_true(waited);
	assert_non_null(strstr(f->wait_why, "5 rows are held by another run "
	                                    "(mailcast@far.test:7/0000beef"));
	assert_int_equal(f->nrecover, 1);
	assert_string_equal(f->recovered_owner[0], other.owner);
	assert_int_equal(f->recovered_rows[0], 5);
	assert_true(mc_clock_wall(&f->clock) > T0 + 300);
	assert_int_equal(store_event_each(f->s, f->camp, "inflight-unknown",
	                                  count_event, &events),
	                 0);
	assert_int_equal(events, 2);
}

/* (e) The first relay refuses connections: all the mail goes to the
 * second. */
static void
test_failover(void **state)
{
	struct fx *f = *state;
	int fd, port = peer_refusing_port(&fd);
	char want[64];

	assert_true(port > 0);
	snprintf(f->relay[1], sizeof(f->relay[1]), "127.0.0.1:%d", port);
	f->cfg.relays[0] = f->relay[1]; /* the refusing one first */
	f->cfg.relays[1] = f->relay[0];
	f->cfg.nrelays = 2;
	contacts(f, "f", "fo.test", 1, 10);
	campaign(f);

	assert_int_equal(run(f, 20), 0);
	close(fd);
	assert_true(f->res.finished);
	assert_int_equal(f->res.p.sent, 10);
	assert_int_equal(f->res.p.deferred, 0);
	assert_int_equal(f->peer->nmsgs, 10);
	snprintf(want, sizeof(want), "127.0.0.1:%d", f->peer->port);
	for (int i = 1; i <= 10; i++) {
		char addr[64];
		struct row w;

		snprintf(addr, sizeof(addr), "f%02d@fo.test", i);
		w = row_get(f->s, f->camp, addr);
		assert_int_equal(w.state, DLV_SENT);
		assert_non_null(strstr(w.relay, want));
	}
}

/* A run that must end by itself: stopped after limit_s real seconds. */
struct watch {
	struct fx *f;
	struct engine *e;
	bool done, fired;
};

static void
watch_done(void *arg, struct engine *e)
{
	struct watch *w = arg;

	(void)e;
	w->done = true;
	event_base_loopbreak(w->f->base);
}

static void
watch_fire(evutil_socket_t fd, short what, void *arg)
{
	struct watch *w = arg;

	(void)fd;
	(void)what;
	w->fired = true;
	engine_stop(w->e, true);
}

/* Run the engine as run() does, but stop it after limit_s real seconds
 * (*fired then true): a test of a run that must end fails, not hangs. */
static int
run_watched(struct fx *f, uint64_t step_ms, int limit_s, bool *fired)
{
	struct timeval ms1 = {0, 1000}, lim = {limit_s, 0};
	struct watch w = {.f = f};
	struct event *dog = evtimer_new(f->base, watch_fire, &w);
	int rc;

	f->step_ms = step_ms;
	event_add(f->ticker, &ms1);
	rc =
	    engine_start(&f->cfg, watch_done, &w, &w.e, f->err, sizeof(f->err));
	if (rc == 0) {
		evtimer_add(dog, &lim);
		while (!w.done)
			event_base_loop(f->base, EVLOOP_ONCE);
		rc = engine_finish(w.e, &f->res, f->err, sizeof(f->err));
	}
	event_del(f->ticker);
	event_free(dog);
	*fired = w.fired;
	return rc;
}

/* (f) A relay that breaks every session (a stray line after its EHLO
 * reply): each broken session counts as a failed connection, the rows are
 * deferred with the reason and retried by the schedule until max age, and
 * the destination never opens more than 10 connections in any second of
 * the fake clock, even with no back-off to speak of (1 ms). */
static void
test_hostile_relay(void **state)
{
	struct fx *f = *state;
	struct row w;
	unsigned n, worst = 0;
	bool fired;

	f->peer->stray_ehlo = true;
	f->wall_follows = true; /* retries come due as the run goes on */
	contacts(f, "h", "ho.test", 1, 20);
	campaign(f);
	f->cfg.retry.schedule[0] = 1;
	f->cfg.retry.n = 1; /* every 1 s */
	f->cfg.retry.max_age = 10;
	f->cfg.retry.linger = 600;
	f->cfg.retry.backoff_max_ms = 1;

	assert_int_equal(run_watched(f, 20, 20, &fired), 0);
	assert_false(fired); /* it ended by itself */
	assert_true(f->res.finished);
	assert_int_equal(f->res.p.sent, 0);
	for (int i = 1; i <= 20; i++) {
		char addr[64];

		snprintf(addr, sizeof(addr), "h%02d@ho.test", i);
		w = row_get(f->s, f->camp, addr);
		assert_int_equal(w.state, DLV_FAILED);
		assert_true(w.attempts >= 2);
		assert_non_null(strstr(w.text, "gave up after"));
		assert_non_null(strstr(w.text, "unexpected reply: 250 extra"));
	}
	assert_int_equal(f->peer->nmsgs, 0);
	n = f->peer->conns_total;
	assert_true(n > 10 && n <= PEER_ACCEPTS_MAX);
	for (unsigned i = 0; i < n; i++) {
		unsigned k = 0;

		for (unsigned j = i; j < n; j++)
			if (f->peer->accepted_at[j] - f->peer->accepted_at[i] <
			    1000)
				k++;
		if (k > worst)
			worst = k;
	}
	if (getenv("TEST_ENGINE_DEBUG"))
		fprintf(stderr, "hostile: %u connections, %u in 1 s at most\n",
		        n, worst);
	assert_true(worst <= 10);
}

/* (g) A relay that answers one command per connection and then closes it
 * (421 to every RCPT): whatever the back-off (1 ms here), a destination
 * opens at most 10 connections in any second of the fake clock.  The peer
 * notes an accept a few loop turns after the engine's connect (tens of
 * fake ms at 5 per real ms): it counts them over 900 ms. */
static void
test_conn_bound(void **state)
{
	struct fx *f = *state;
	unsigned n, worst = 0;

	assert_true(peer_fault(f->peer, "rcpt:*=421 4.3.2 busy"));
	f->wall_follows = true;
	contacts(f, "b", "bo.test", 1, 60);
	campaign(f);
	f->cfg.retry.schedule[0] = 1;
	f->cfg.retry.n = 1;
	f->cfg.retry.max_age = 3;
	f->cfg.retry.linger = 600;
	f->cfg.retry.backoff_max_ms = 1;

	assert_int_equal(run(f, 5), 0);
	assert_true(f->res.finished);
	assert_int_equal(f->res.p.failed, 60);
	assert_non_null(
	    strstr(row_get(f->s, f->camp, "b01@bo.test").text, "busy"));
	n = f->peer->conns_total;
	assert_true(n <= PEER_ACCEPTS_MAX);
	for (unsigned i = 0; i < n; i++) {
		unsigned k = 0;

		for (unsigned j = i; j < n; j++)
			if (f->peer->accepted_at[j] - f->peer->accepted_at[i] <
			    900)
				k++;
		if (k > worst)
			worst = k;
	}
	if (getenv("TEST_ENGINE_DEBUG"))
		fprintf(stderr, "bound: %u connections, %u in 900 ms at most\n",
		        n, worst);
	assert_true(worst <= 10);
}

/* (h) SMTPUTF8: an internationalised domain with an ASCII local part goes
 * out as its A-label without the extension; a UTF-8 local part goes as is
 * with the SMTPUTF8 MAIL parameter (the peer offers it). */
static void
test_smtputf8(void **state)
{
	struct fx *f = *state;
	const char *idn = "anna@m\xc3\xbcnchen.test";
	const char *utf = "j\xc3\xb6rg@u.test";
	int res, joined;
	bool seen_idn = false, seen_utf = false;

	assert_int_equal(store_contact_upsert(f->s, idn, "m\xc3\xbcnchen.test",
	                                      "{}", f->list, T0, &res, &joined),
	                 0);
	assert_int_equal(store_contact_upsert(f->s, utf, "u.test", "{}",
	                                      f->list, T0, &res, &joined),
	                 0);
	campaign(f);
	assert_int_equal(run(f, 20), 0);
	assert_int_equal(f->res.p.sent, 2);
	for (size_t i = 0; i < f->peer->nmsgs; i++) {
		const struct peer_msg *m = &f->peer->msgs[i];

		if (strcmp(m->rcpt, "anna@xn--mnchen-3ya.test") == 0) {
			seen_idn = true;
			assert_false(m->smtputf8);
		} else if (strcmp(m->rcpt, utf) == 0) {
			seen_utf = true;
			assert_true(m->smtputf8);
		}
	}
	assert_true(seen_idn);
	assert_true(seen_utf);
}

/* The transcript: log lines at LOG_TRACE tagged by destination and
 * connection number, never a memory address. */
struct trace {
	char lines[64][256];
	size_t n;
};

static void
trace_sink(enum log_level level, const char *line, void *arg)
{
	struct trace *t = arg;

	if (level == LOG_TRACE && t->n < 64)
		snprintf(t->lines[t->n++], sizeof(t->lines[0]), "%s", line);
}

static void
test_trace(void **state)
{
	struct fx *f = *state;
	struct trace t = {.n = 0};
	char want[128];
	bool mail = false, reply = false;

	contacts(f, "t", "tr.test", 1, 1);
	campaign(f);
	log_set_level(LOG_TRACE);
	log_set_sink(trace_sink, &t);
	assert_int_equal(run(f, 0), 0);
	log_set_sink(NULL, NULL);
	log_set_level(LOG_ERROR);
	snprintf(want, sizeof(want),
	         "dest 127.0.0.1:%d conn 1: ", f->peer->port);
	for (size_t i = 0; i < t.n; i++) {
		if (strstr(t.lines[i], "0x") != NULL)
			fail_msg("an address in the trace: %s", t.lines[i]);
		if (strncmp(t.lines[i], want, strlen(want)) != 0)
			continue;
		if (strstr(t.lines[i], "C: MAIL FROM:<"))
			mail = true;
		if (strstr(t.lines[i], "S: 250 "))
			reply = true;
	}
	assert_true(mail);
	assert_true(reply);
}

/* engine_start(): the run goes on while the caller turns its own loop,
 * beside the caller's events; done comes once; engine_finish() gives the
 * result. */
struct async {
	struct fx *f;
	struct engine *done_e;
	unsigned done_calls;
	unsigned caller_ticks;
	struct event *caller;
};

static void
on_done(void *arg, struct engine *e)
{
	struct async *a = arg;

	a->done_e = e;
	a->done_calls++;
	event_base_loopbreak(a->f->base);
}

static void
on_caller(evutil_socket_t fd, short what, void *arg)
{
	struct async *a = arg;

	(void)fd;
	(void)what;
	a->caller_ticks++; /* e.g. a mailbox poller on the same base */
}

static void
test_start_on_callers_loop(void **state)
{
	struct fx *f = *state;
	struct async a = {.f = f};
	struct timeval ms1 = {0, 1000};
	struct engine *e;

	int before;

	contacts(f, "s", "as.test", 1, 5);
	campaign(f);
	before = event_base_get_num_events(f->base, EVENT_BASE_COUNT_ADDED);
	a.caller = event_new(f->base, -1, EV_PERSIST, on_caller, &a);
	event_add(a.caller, &ms1);
	assert_int_equal(
	    engine_start(&f->cfg, on_done, &a, &e, f->err, sizeof(f->err)), 0);
	assert_non_null(e);
	event_base_dispatch(f->base);
	assert_int_equal(a.done_calls, 1);
	assert_ptr_equal(a.done_e, e);
	assert_int_equal(engine_finish(e, &f->res, f->err, sizeof(f->err)), 0);
	assert_true(f->res.finished);
	assert_int_equal(f->res.p.sent, 5);
	assert_int_equal(f->peer->nmsgs, 5);
	assert_true(a.caller_ticks > 0);
	event_free(a.caller);
	/* only the test's own events are left on the base */
	assert_int_equal(
	    event_base_get_num_events(f->base, EVENT_BASE_COUNT_ADDED), before);
	f->cfg.base = NULL;
	assert_int_equal(
	    engine_start(&f->cfg, on_done, &a, &e, f->err, sizeof(f->err)),
	    MC_EINVAL);
	assert_null(e);
}

/* engine_stop(): a pause before anything went: every row is pending
 * again, the run says pausing, then paused. */
static void
test_stop_pauses(void **state)
{
	struct fx *f = *state;
	struct async a = {.f = f};
	struct engine *e;
	unsigned long counts[DLV__COUNT];

	contacts(f, "p", "ps.test", 1, 20);
	campaign(f);
	assert_int_equal(
	    engine_start(&f->cfg, on_done, &a, &e, f->err, sizeof(f->err)), 0);
	engine_stop(e, false);
	event_base_dispatch(f->base);
	assert_int_equal(engine_finish(e, &f->res, f->err, sizeof(f->err)), 0);
	assert_true(f->res.paused);
	assert_false(f->res.finished);
	assert_int_equal(f->peer->nmsgs, 0);
	assert_int_equal(store_count_states(f->s, f->camp, counts), 0);
	assert_int_equal(counts[DLV_PENDING], 20);
	assert_int_equal(f->states[f->nstates - 2], ENGINE_RUN_PAUSING);
	assert_int_equal(f->states[f->nstates - 1], ENGINE_RUN_PAUSED);
}

/* engine_template_attrs: keys once, first seen first, a bounded sample. */
static void
test_template_attrs(void **state)
{
	struct engine_attrs a = {0};

	(void)state;
	assert_true(
	    engine_template_attrs(&a, "{\"name\":\"A\",\"city\":\"B\"}"));
	assert_true(
	    engine_template_attrs(&a, "{\"city\":\"C\",\"zip\":\"1\"}"));
	assert_true(engine_template_attrs(&a, "not json"));
	assert_true(engine_template_attrs(&a, NULL));
	assert_int_equal(a.n, 3);
	assert_string_equal(a.names[0], "name");
	assert_string_equal(a.names[1], "city");
	assert_string_equal(a.names[2], "zip");
	while (engine_template_attrs(&a, "{}"))
		;
	assert_int_equal(a.records, ENGINE_ATTRS_SAMPLE);
	assert_false(engine_template_attrs(&a, "{\"late\":\"x\"}"));
	assert_int_equal(a.n, 3);
	engine_attrs_fini(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_retry_schedule, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_adaptive_limits, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bursts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crash_recovery, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_takeover_of_a_silent_run,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failover, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_trace, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_start_on_callers_loop, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_stop_pauses, setup, teardown),
	    cmocka_unit_test(test_template_attrs),
	    cmocka_unit_test_setup_teardown(test_hostile_relay, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_conn_bound, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_smtputf8, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
