/*
 * smtp_conn.h — runs the sans-I/O SMTP client core (proto/smtp_client.h)
 * over a TCP connection with libevent, with STARTTLS or implicit TLS.
 *
 * smtp_conn_new() connects (every address of struct net_addrs in turn,
 * each with the connect timeout), does implicit TLS when asked, and then
 * moves bytes between the socket and the core, turns the core's events into
 * the callbacks below, runs the STARTTLS handshake when the core asks for
 * it, and arms a timer at the core's deadline.  Time comes from the
 * configured clock (the system clock by default).
 *
 * Callbacks: ready (the session is up: submit), txn_done (one transaction
 * has its outcome; the txn is the caller's again), closed (the connection is
 * over: err 0 after QUIT, else MC_E* with the reason in why).  After closed
 * the conn must still be freed with smtp_conn_free(), which may be called
 * from inside the closed callback.  No callback comes after smtp_conn_free.
 *
 * Ownership: the config's strings and SSL_CTX are borrowed and must outlive
 * the conn; transactions as in smtp_client.h.
 */
#ifndef MC_NET_SMTP_CONN_H
#define MC_NET_SMTP_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "base/clock.h"
#include "net/tcp.h"
#include "proto/smtp_client.h"

struct event_base;
struct smtp_conn;

struct smtp_conn_cbs {
	void (*ready)(struct smtp_conn *conn, void *arg);
	void (*txn_done)(struct smtp_conn *conn, struct smtp_txn *txn,
	                 void *arg);
	void (*closed)(struct smtp_conn *conn, int err, const char *why,
	               void *arg);
};

struct smtp_conn_config {
	const struct net_addrs *addrs; /* where to connect (host for TLS) */
	SSL_CTX *tls_ctx;              /* needed unless smtp.tls is NONE */
	bool tls_verify;
	uint32_t connect_timeout_ms;
	const struct mc_clock *clock; /* NULL: the system clock */
	/* The core's configuration; helo_name NULL means net_helo_name(). */
	struct smtp_client_config smtp;
};

struct smtp_conn *smtp_conn_new(struct event_base *base,
                                const struct smtp_conn_config *cfg,
                                const struct smtp_conn_cbs *cbs, void *arg);
void smtp_conn_free(struct smtp_conn *conn);
void smtp_conn_submit(struct smtp_conn *conn, struct smtp_txn *txn);
void smtp_conn_quit(struct smtp_conn *conn);
/* The core, once connected (NULL before): extensions, greeting ... */
struct smtp_client *smtp_conn_client(struct smtp_conn *conn);
/* "127.0.0.1:25" of the connected peer, or "" before. */
const char *smtp_conn_peer(const struct smtp_conn *conn);
/* "TLSv1.3 ..., certificate ..." once TLS is up, else "". */
const char *smtp_conn_tls_info(const struct smtp_conn *conn);

#endif
