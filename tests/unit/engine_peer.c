/*
 * engine_peer.c — the scripted SMTP peer of engine_peer.h.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "engine_peer.h"

struct peer_conn {
	struct peer *p;
	struct bufferevent *bev;
	struct smtp_server srv;
	bool held;    /* the reply to its end of data waits */
	bool closing; /* close once the output is out */
	bool strayed; /* stray_ehlo: the extra line went out */
	unsigned slot;
};

/* Send what the core has for c (unless held). */
static void
conn_flush(struct peer_conn *c)
{
	struct buf *out = smtp_server_output(&c->srv);

	if (c->held || buf_len(out) == 0)
		return;
	if (c->p->stray_ehlo && !c->strayed && buf_len(out) > 4 &&
	    memcmp(buf_data(out), "250-", 4) == 0) {
		c->strayed = true;
		buf_puts(out, "250 extra\r\n");
	}
	bufferevent_write(c->bev, buf_data(out), buf_len(out));
	buf_reset(out);
}

/* Forget and free c. */
static void
conn_free(struct peer_conn *c)
{
	struct peer *p = c->p;

	p->conns[c->slot] = NULL;
	p->conns_now--;
	smtp_server_fini(&c->srv);
	bufferevent_free(c->bev);
	free(c);
}

/* Let every held reply go, in one turn of the loop. */
static void
release_all(struct peer *p)
{
	for (unsigned i = 0; i < PEER_CONNS_MAX; i++) {
		struct peer_conn *c = p->conns[i];

		if (c && c->held) {
			c->held = false;
			conn_flush(c);
		}
	}
	evtimer_del(p->hold_timer);
}

/* Held too long: let them go anyway (the test then sees smaller groups). */
static void
on_hold_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	release_all(arg);
}

/* An end of data: record, ask the test's hook, maybe hold the reply. */
static int
on_message(void *arg, const struct smtp_server_msg *m, char *qid, size_t qsz)
{
	struct peer_conn *c = arg;
	struct peer *p = c->p;

	snprintf(qid, qsz, "PEER%06zu", p->nmsgs + 1);
	p->ends++;
	for (size_t i = 0; i < m->nrcpts && p->nmsgs < PEER_MSGS_MAX; i++) {
		struct peer_msg *pm = &p->msgs[p->nmsgs++];

		snprintf(pm->rcpt, sizeof(pm->rcpt), "%s", m->rcpts[i]);
		pm->at_ms = mc_clock_mono_ms(p->clock);
		pm->conns_now = p->conns_now;
		pm->smtputf8 = m->smtputf8;
		if (p->hook)
			p->hook(p->hook_arg, m->rcpts[i]);
	}
	if (p->hold) {
		struct timeval tv = {0, 300000};

		c->held = true;
		evtimer_add(p->hold_timer, &tv);
	}
	return 0;
}

/* How many connections wait for a held reply. */
static unsigned
held_count(const struct peer *p)
{
	unsigned n = 0;

	for (unsigned i = 0; i < PEER_CONNS_MAX; i++)
		if (p->conns[i] && p->conns[i]->held)
			n++;
	return n;
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct peer_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	while (smtp_server_want(&c->srv) == SMTP_SERVER_READ &&
	       evbuffer_get_length(in) > 0) {
		size_t len = evbuffer_get_length(in);
		unsigned char *d = evbuffer_pullup(in, (ev_ssize_t)len);

		evbuffer_drain(in, smtp_server_feed(&c->srv, d, len));
	}
	switch (smtp_server_want(&c->srv)) {
	case SMTP_SERVER_DROP:
		conn_free(c);
		return;
	case SMTP_SERVER_CLOSE:
		c->held = false;
		c->closing = true;
		conn_flush(c);
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			conn_free(c);
		return;
	default:
		break;
	}
	conn_flush(c);
	if (c->p->hold && held_count(c->p) >= c->p->hold)
		release_all(c->p);
}

static void
on_write(struct bufferevent *bev, void *arg)
{
	struct peer_conn *c = arg;

	(void)bev;
	if (c->closing)
		conn_free(c);
}

static void
on_bev_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		conn_free(arg);
}

static void
on_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
          int salen, void *arg)
{
	struct peer *p = arg;
	struct peer_conn *c;
	unsigned slot;

	(void)lis;
	(void)sa;
	(void)salen;
	for (slot = 0; slot < PEER_CONNS_MAX && p->conns[slot]; slot++)
		;
	if (slot == PEER_CONNS_MAX) {
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	c->p = p;
	c->slot = slot;
	p->conns[slot] = c;
	p->conns_now++;
	if (p->conns_total < PEER_ACCEPTS_MAX)
		p->accepted_at[p->conns_total] = mc_clock_mono_ms(p->clock);
	p->conns_total++;
	if (p->conns_now > p->conns_max)
		p->conns_max = p->conns_now;
	c->bev = bufferevent_socket_new(p->base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(c->bev, on_read, on_write, on_bev_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	smtp_server_init(&c->srv, &p->cfg, "127.0.0.1", on_message, c);
	conn_flush(c);
}

/* A peer listening on 127.0.0.1:0 of base. */
struct peer *
peer_new(struct event_base *base, const struct mc_clock *clock)
{
	struct peer *p = calloc(1, sizeof(*p));
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);

	p->base = base;
	p->clock = clock;
	p->cfg.hostname = "peer.test";
	p->cfg.faults = p->faults;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p->lis = evconnlistener_new_bind(
	    base, on_accept, p, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 64,
	    (struct sockaddr *)&sin, sizeof(sin));
	if (p->lis == NULL) {
		free(p);
		return NULL;
	}
	getsockname(evconnlistener_get_fd(p->lis), (struct sockaddr *)&sin,
	            &len);
	p->port = ntohs(sin.sin_port);
	p->hold_timer = evtimer_new(base, on_hold_timer, p);
	return p;
}

/* Add a fault rule. */
bool
peer_fault(struct peer *p, const char *spec)
{
	char err[256];

	if (p->nfaults >= PEER_FAULTS_MAX ||
	    smtp_fault_parse(spec, &p->faults[p->nfaults], err, sizeof(err)) <
	        0)
		return false;
	p->cfg.nfaults = ++p->nfaults;
	return true;
}

/* Close everything. */
void
peer_free(struct peer *p)
{
	if (p == NULL)
		return;
	for (unsigned i = 0; i < PEER_CONNS_MAX; i++)
		if (p->conns[i])
			conn_free(p->conns[i]);
	evconnlistener_free(p->lis);
	event_free(p->hold_timer);
	free(p);
}

/* A bound, not listening, port: connections to it are refused. */
int
peer_refusing_port(int *fd)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*fd = socket(AF_INET, SOCK_STREAM, 0);
	if (*fd < 0 || bind(*fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return -1;
	getsockname(*fd, (struct sockaddr *)&sin, &len);
	return ntohs(sin.sin_port);
}

/* How many accepted messages went to rcpt. */
unsigned
peer_count(const struct peer *p, const char *rcpt)
{
	unsigned n = 0;

	for (size_t i = 0; i < p->nmsgs; i++)
		if (strcmp(p->msgs[i].rcpt, rcpt) == 0)
			n++;
	return n;
}
