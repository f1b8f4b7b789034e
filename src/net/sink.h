/*
 * sink.h — the capture SMTP server behind `mailcast sink`.
 *
 * One libevent loop, one thread: a listener on one address, and for every
 * connection a bufferevent that feeds the sans-I/O core (proto/smtp_server)
 * and sends its replies once per read.  STARTTLS is a libevent_openssl
 * filter over the plain bufferevent, with the server's own SSL_CTX.
 * Messages are written into a Maildir (maildir.h) or only counted.
 * sink_run() returns when SIGINT/SIGTERM arrives or cfg->count messages
 * were accepted and their connections closed.
 *
 * Out of file descriptors (accept fails with EMFILE and the like), the
 * sink stops accepting, logs it at most once a second, and accepts again
 * when a connection closes or after a quarter of a second.  Bound to an
 * address outside 127.0.0.0/8 and ::1 it says so in a warning at start.
 * The HELO/EHLO name in the Received: header it writes never holds a
 * control character (the core refuses them with 501).
 *
 * Ownership: the config and its fault table are borrowed for the run (the
 * rules' every-Nth counters change).  Errors: sink_run() returns 0 or
 * MC_EINVAL (bad address or --hostname), MC_ECONFIG (certificate or key),
 * MC_EIO (cannot listen, cannot make the Maildir), with the reason in err.
 */
#ifndef MC_NET_SINK_H
#define MC_NET_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "proto/smtp_server.h"

#define SINK_IDLE_TIMEOUT_S 300  /* RFC 5321 4.5.3.2.7 */
#define SINK_STOP_GRACE_MS  3000 /* --count: wait for clients to QUIT */

struct sink_config {
	const char *listen;   /* "ADDR:PORT", "[V6]:PORT" */
	const char *maildir;  /* NULL: discard */
	const char *tls_cert; /* both or neither */
	const char *tls_key;
	const char *hostname;
	unsigned long long max_size;
	unsigned max_rcpts;
	unsigned long count; /* 0: run until a signal */
	FILE *report;        /* a line per event; NULL: quiet */
	struct smtp_fault *faults;
	size_t nfaults;
	/*
	 * The round trip of a long link, emulated (ms; 0: none).  Each batch
	 * of replies reaches the client latency_ms after the input that made
	 * it was read, the greeting 2 * latency_ms after the accept (the
	 * handshake's round trip, then the greeting's); reading goes on
	 * meanwhile, so a pipelining client overlaps its round trips as it
	 * would on the real link (a fault's delay, by contrast, stops the
	 * server).  The 220 to STARTTLS is not held (TLS starts under it).
	 */
	unsigned latency_ms;
};

struct sink_stats {
	unsigned long long messages;
	unsigned long long rcpts;
	unsigned long long bytes;
	unsigned long long connections;
	double seconds;
};

struct sockaddr;

/* Serve until stopped; see above. */
int sink_run(const struct sink_config *cfg, struct sink_stats *stats, char *err,
             size_t errsize);
/* Is sa in 127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104?  (The sink warns
 * when it is not.) */
bool sink_addr_is_loopback(const struct sockaddr *sa);

#endif
