/*
 * test_poller.c — app/poller.h against a small POP3 server that runs in
 * this process, on the SAME libevent base as the poller (127.0.0.1:28700).
 * A poller with a private blocking loop could never get an answer here,
 * so the test shows that it runs on the caller's base; a timer on that
 * base keeps firing while it polls.  Also: a bounce is applied and
 * deleted (DELE, then QUIT), ordinary mail stays, a second poll handles
 * nothing, and a connection cut at the second RETR loses and repeats
 * nothing on the next poll.  Each poll is kept as the mailbox's last
 * fetch (store: mailbox_fetches), also one that found nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "app/poller.h"
#include "base/error.h"

#define PORT 28700

static const char bounce_msg[] =
    "From: MAILER-DAEMON@mx.dest.example\r\nTo: bounces@sender.example\r\n"
    "Subject: failure\r\nMessage-ID: <b1@mx.dest.example>\r\n"
    "MIME-Version: 1.0\r\nContent-Type: multipart/report; "
    "report-type=delivery-status; boundary=\"B\"\r\n\r\n"
    "--B\r\nContent-Type: text/plain\r\n\r\nNot delivered.\r\n"
    "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
    "Reporting-MTA: dns; mx.dest.example\r\n\r\n"
    "Final-Recipient: rfc822; gone@dest.example\r\nAction: failed\r\n"
    "Status: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n"
    "--B--\r\n";
static const char plain_msg[] =
    "From: friend@dest.example\r\nTo: bounces@sender.example\r\n"
    "Subject: Lunch?\r\nMessage-ID: <l1@dest.example>\r\n\r\nTuesday?\r\n";

/* The mailbox the server serves: message i is there unless deleted. */
struct server {
	struct evconnlistener *lis;
	const char *msgs[3];
	const char *uids[3];
	bool deleted[3], pending[3];
	int cut_at_retr; /* 1-based RETR count at which to cut, 0: never */
	int retrs, deles, sessions;
};

static void srv_event(struct bufferevent *bev, short what, void *arg);

/* The answer to QUIT is out: close. */
static void
srv_written(struct bufferevent *bev, void *arg)
{
	(void)arg;
	bufferevent_free(bev);
}

/* One line from a client: the answer. */
static bool
answer(struct server *sv, struct bufferevent *bev, const char *line)
{
	struct evbuffer *out = bufferevent_get_output(bev);
	unsigned n = 0;

	if (strcmp(line, "CAPA") == 0) {
		evbuffer_add_printf(out, "+OK\r\nUSER\r\nUIDL\r\n.\r\n");
	} else if (strncmp(line, "USER ", 5) == 0 ||
	           strncmp(line, "PASS ", 5) == 0) {
		evbuffer_add_printf(out, "+OK\r\n");
	} else if (strcmp(line, "UIDL") == 0) {
		evbuffer_add_printf(out, "+OK\r\n");
		for (unsigned i = 0; i < 3 && sv->msgs[i]; i++)
			if (!sv->deleted[i])
				evbuffer_add_printf(out, "%u %s\r\n", i + 1,
				                    sv->uids[i]);
		evbuffer_add_printf(out, ".\r\n");
	} else if (sscanf(line, "RETR %u", &n) == 1 && n >= 1 && n <= 3) {
		if (++sv->retrs == sv->cut_at_retr)
			return false;
		evbuffer_add_printf(out, "+OK\r\n%s.\r\n", sv->msgs[n - 1]);
	} else if (sscanf(line, "DELE %u", &n) == 1 && n >= 1 && n <= 3) {
		sv->pending[n - 1] = true;
		sv->deles++;
		evbuffer_add_printf(out, "+OK deleted\r\n");
	} else if (strcmp(line, "QUIT") == 0) {
		for (int i = 0; i < 3; i++)
			sv->deleted[i] |= sv->pending[i];
		evbuffer_add_printf(out, "+OK bye\r\n");
		bufferevent_setcb(bev, NULL, srv_written, srv_event, sv);
		bufferevent_disable(bev, EV_READ);
		return true;
	} else {
		evbuffer_add_printf(out, "-ERR what\r\n");
	}
	return true;
}

/* Lines arrived. */
static void
srv_read(struct bufferevent *bev, void *arg)
{
	struct server *sv = arg;
	char *line;

	while (bufferevent_get_enabled(bev) & EV_READ &&
	       (line = evbuffer_readln(bufferevent_get_input(bev), NULL,
	                               EVBUFFER_EOL_CRLF)) != NULL) {
		bool go_on = answer(sv, bev, line);
		free(line);
		if (!go_on) {
			/* Pending DELEs are dropped on a cut (RFC 1939). */
			memset(sv->pending, 0, sizeof(sv->pending));
			bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
			bufferevent_free(bev);
			return;
		}
	}
}

/* The peer closed. */
static void
srv_event(struct bufferevent *bev, short what, void *arg)
{
	struct server *sv = arg;

	(void)what;
	memset(sv->pending, 0, sizeof(sv->pending));
	bufferevent_free(bev);
}

/* A client connected: the greeting. */
static void
srv_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
           int len, void *arg)
{
	struct server *sv = arg;
	struct bufferevent *bev = bufferevent_socket_new(
	    evconnlistener_get_base(l), fd, BEV_OPT_CLOSE_ON_FREE);

	(void)sa;
	(void)len;
	sv->sessions++;
	bufferevent_setcb(bev, srv_read, NULL, srv_event, sv);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	evbuffer_add_printf(bufferevent_get_output(bev), "+OK ready\r\n");
}

/* What one poll saw. */
struct run {
	struct event_base *base;
	int rc;
	enum poller_failure f;
	bool done;
	int messages, deleted;
	unsigned long ticks;
};

static void
on_event(void *arg, const struct poller_event *ev)
{
	struct run *r = arg;

	if (ev->type == POLLER_EV_MESSAGE) {
		r->messages++;
		if (ev->disposition && strcmp(ev->disposition, "deleted") == 0)
			r->deleted++;
	}
}

static void
on_done(void *arg, int rc, enum poller_failure f, const char *why)
{
	struct run *r = arg;

	(void)why;
	r->rc = rc;
	r->f = f;
	r->done = true;
	event_base_loopbreak(r->base);
}

/* A timer on the same base: counts while the poll goes on. */
static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	((struct run *)arg)->ticks++;
}

/* One poll of the server's mailbox into store s, on base. */
static struct run
poll_once(struct event_base *base, struct store *s, struct token_key *key)
{
	struct run r = {.base = base};
	struct poller_config cfg = {
	    .url = "pop3://u@127.0.0.1:28700",
	    .secret = "pw",
	    .auth = "user",
	    .allow_cleartext = true,
	    .del = true,
	    .tls_verify = true,
	    .timeout_s = 10,
	    /* The bounce has no token: a mailbox of real bounces only. */
	    .ingest = {.store = s, .trust_unsigned = true},
	};
	char err[256];
	int rc = key != NULL && key->len > 0
	             ? token_keyring_add(&cfg.ingest.keys, key, 1)
	             : 0;
	struct poller *p =
	    (assert_int_equal(rc, 0), poller_new(&cfg, &rc, err, sizeof(err)));
	struct event *tick = event_new(base, -1, EV_PERSIST, on_tick, &r);
	struct timeval ms = {0, 0}; /* every turn of the loop */

	assert_non_null(p);
	assert_int_equal(poller_start(p, base, on_event, on_done, &r), 0);
	assert_false(r.done); /* never from inside poller_start */
	event_add(tick, &ms);
	event_base_dispatch(base);
	event_free(tick);
	assert_true(r.done);
	poller_free(p);
	return r;
}

/* A ledger row of a campaign that was sent to address (ingest acts only
 * on addresses this installation sent to). */
static void
sent_to(struct store *s, const char *address)
{
	int64_t list, camp;
	int result, joined;
	struct store_delivery d[1];
	size_t n;

	assert_int_equal(store_list_ensure(s, "l", 1, &list), 0);
	assert_int_equal(store_contact_upsert(s, address, "dest.example", "{}",
	                                      list, 1, &result, &joined),
	                 0);
	assert_int_equal(store_campaign_create(s, "c", list, 1, &camp), 0);
	assert_int_equal(store_lease(s, camp, "w", 1, 60, d, 1, &n), 0);
	assert_int_equal(n, 1);
	struct store_outcome o = {
	    .id = d[0].id, .state = DLV_SENT, .reply_code = 250};
	assert_int_equal(store_record(s, &o, 1, 1), 0);
	store_deliveries_fini(d, n);
}

/* The mailbox's last fetch as the store keeps it:
 * "mailbox|outcome|messages|summary". */
static int
fetch_seen(void *arg, const struct store_mailbox_fetch *f)
{
	snprintf(arg, 512, "%s|%s|%lu|%s", f->mailbox, f->outcome, f->messages,
	         f->summary);
	return 0;
}

static const char *
last_fetch(struct store *s)
{
	static char text[512];

	text[0] = '\0';
	assert_int_equal(store_mailbox_fetch_each(s, fetch_seen, text), 0);
	return text;
}

static void
test_same_base(void **state)
{
	struct event_base *base = event_base_new();
	struct server sv = {.msgs = {bounce_msg, plain_msg},
	                    .uids = {"uid-b", "uid-p"}};
	struct sockaddr_in sin = {.sin_family = AF_INET,
	                          .sin_port = htons(PORT)};
	char dir[] = "/tmp/mc-poller-XXXXXX", url[128], err[256], cmd[128];
	struct store_suppression hit;
	struct token_key key = {0};
	struct store *s;
	struct run r;

	(void)state;
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	sv.lis = evconnlistener_new_bind(
	    base, srv_accept, &sv, LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE, 8,
	    (struct sockaddr *)&sin, sizeof(sin));
	assert_non_null(sv.lis);
	assert_non_null(mkdtemp(dir));
	snprintf(url, sizeof(url), "sqlite:%s/t.db", dir);
	assert_non_null(s = store_open(url, err, sizeof(err)));
	sent_to(s, "gone@dest.example");

	/* A cut at the second RETR: the bounce was handled (and its DELE
	 * dropped by the server), nothing else. */
	sv.cut_at_retr = 2;
	r = poll_once(base, s, &key);
	assert_int_equal(r.f, POLLER_LOST);
	assert_int_equal(r.messages, 1);
	assert_string_equal(
	    last_fetch(s),
	    "pop3://u@127.0.0.1|lost|1|1 hard-bounced recipients, "
	    "1 newly suppressed");
	assert_int_equal(store_supp_check(s, "gone@dest.example", &hit), 0);
	assert_false(sv.deleted[0]);

	/* The next poll: the bounce is only deleted (not applied again),
	 * the ordinary message handled and kept. */
	sv.cut_at_retr = 0;
	r = poll_once(base, s, &key);
	assert_int_equal(r.f, POLLER_OK);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.messages, 2);
	assert_int_equal(r.deleted, 1);
	assert_true(sv.deleted[0]);
	assert_false(sv.deleted[1]);
	assert_int_equal(sv.retrs, 3); /* b (cut run), p (cut), p */
	assert_true(r.ticks > 0);

	/* A third poll: nothing new, nothing fetched. */
	r = poll_once(base, s, &key);
	assert_int_equal(r.f, POLLER_OK);
	assert_int_equal(r.messages, 0);
	assert_int_equal(sv.retrs, 3);
	/* a fetch that found nothing new is still the last fetch (the kept
	 * message is listed again: known, not handled) */
	assert_string_equal(last_fetch(s),
	                    "pop3://u@127.0.0.1|ok|0|1 already handled");
	assert_int_equal(sv.sessions, 3);
	unsigned long n;
	assert_int_equal(store_bounce_count(s, "gone@dest.example",
	                                    STORE_BOUNCE_HARD, 0, &n),
	                 0);
	assert_int_equal(n, 1);

	store_close(s);
	evconnlistener_free(sv.lis);
	event_base_free(base);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_base),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
