/*
 * engine_peer.h — a scripted SMTP peer for the engine's unit tests.
 *
 * One listener on 127.0.0.1 (an ephemeral port) on the test's event base,
 * every connection running the sans-I/O server core (proto/smtp_server.h)
 * with the fault rules the test gives ("rcpt:defer-*=451 4.7.1 later").
 * It records what a receiving server would see: connections (now, most at
 * once, in all), every accepted message (recipient, the fake clock's time,
 * the connections open then), and calls the test's hook at each end of
 * data, before the reply goes out.  With hold set, the replies to the end
 * of data are held until `hold` connections wait for theirs (or 300 ms
 * pass), then all go out at once.  A refusing port (bound, not listening)
 * makes connections fail with ECONNREFUSED.  With stray_ehlo set it adds
 * a line after its EHLO reply, as a broken relay does, and no session
 * with it can work.
 *
 * Ownership: everything belongs to the peer; peer_free() closes it all.
 */
#ifndef MC_TESTS_ENGINE_PEER_H
#define MC_TESTS_ENGINE_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/clock.h"
#include "proto/smtp_server.h"

#define PEER_MSGS_MAX    512
#define PEER_CONNS_MAX   64
#define PEER_FAULTS_MAX  8
#define PEER_ACCEPTS_MAX 1024

struct event_base;
struct peer;

/* The test's look at a message at its end of data (before the reply). */
typedef void peer_hook_fn(void *arg, const char *rcpt);

struct peer_msg {
	char rcpt[256];
	uint64_t at_ms;     /* the fake clock */
	unsigned conns_now; /* connections open when it arrived */
	bool smtputf8;      /* MAIL FROM carried SMTPUTF8 */
};

struct peer {
	struct event_base *base;
	const struct mc_clock *clock;
	struct evconnlistener *lis;
	int port;
	struct smtp_server_config cfg;
	struct smtp_fault faults[PEER_FAULTS_MAX];
	size_t nfaults;
	peer_hook_fn *hook;
	void *hook_arg;
	unsigned hold; /* 0: reply at once */
	struct event *hold_timer;
	struct peer_conn *conns[PEER_CONNS_MAX];
	unsigned conns_now, conns_max, conns_total;
	uint64_t accepted_at[PEER_ACCEPTS_MAX]; /* the fake clock, per conn */
	bool stray_ehlo; /* one stray "250 extra" line after the EHLO reply */
	struct peer_msg msgs[PEER_MSGS_MAX];
	size_t nmsgs;
	unsigned ends; /* ends of data seen (accepted or not) */
};

/* A peer listening on 127.0.0.1:0 of base; NULL when it cannot listen. */
struct peer *peer_new(struct event_base *base, const struct mc_clock *clock);
/* Add a fault rule (smtp_fault_parse syntax); false if it does not parse. */
bool peer_fault(struct peer *p, const char *spec);
void peer_free(struct peer *p);
/* A port on 127.0.0.1 that refuses connections: *fd stays bound (close it
 * at the end). */
int peer_refusing_port(int *fd);
/* How many accepted messages went to rcpt. */
unsigned peer_count(const struct peer *p, const char *rcpt);

#endif
