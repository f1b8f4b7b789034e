/*
 * mailbox_conn.h — runs the sans-I/O POP3 or IMAP client core
 * (proto/pop3_client.h, proto/imap_client.h) over TCP with libevent, with
 * STARTTLS/STLS or implicit TLS, on the caller's event base: nothing here
 * blocks or runs a loop of its own, so a mailbox session can go on beside
 * a campaign or an HTTP service in one process.
 *
 * One request at a time: mailbox_conn_open() (connect, TLS, log in), then
 * a command (mailbox_conn_pop3 / mailbox_conn_imap) or an IDLE
 * (mailbox_conn_idle); each ends in exactly one call of the callback, with
 * rc 0 (done: the command's answer is in mailbox_conn_pop3_event() /
 * mailbox_conn_imap_event(), ok or not) or MC_E* (the session is over).
 * The core's deadlines are armed as timers, so no request waits longer
 * than the configured command timeout.  A TLS handshake the core asks for
 * (STARTTLS) is done inside, with the certificate checked unless
 * tls_verify is false (net/tls.h).
 *
 * Errors: MC_ECONN / MC_ECONNREFUSED / MC_ETIMEDOUT (connect), MC_ETLS /
 * MC_ECERT, MC_EAUTH, MC_EPROTO, MC_ECLOSED, MC_ELIMIT, MC_EUNSUPP, with
 * the words in mailbox_conn_error().  After any of these the session is
 * over: free it.  A QUIT or LOGOUT ends in rc 0 once the server closed.
 * Ownership: the config's addrs and SSL_CTX are borrowed for the life of
 * the conn; event data is valid until the next request.  The conn may be
 * freed inside its own callback.
 */
#ifndef MC_NET_MAILBOX_CONN_H
#define MC_NET_MAILBOX_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "base/clock.h"
#include "net/tcp.h"
#include "proto/imap_client.h"
#include "proto/pop3_client.h"

enum mailbox_proto {
	MAILBOX_POP3,
	MAILBOX_IMAP,
};

struct mailbox_conn_config {
	enum mailbox_proto proto;
	const struct net_addrs *addrs; /* host is the name checked by TLS */
	SSL_CTX *tls_ctx;              /* needed for any TLS */
	bool tls_verify;
	uint32_t connect_timeout_ms;  /* 0: 30 s */
	const struct mc_clock *clock; /* NULL: the system clock */
	/* The core's configuration (tls says implicit/STARTTLS/none). */
	struct pop3_client_config pop3;
	struct imap_client_config imap;
};

struct mailbox_conn;
struct event_base;

/* The end of a request: rc 0 or MC_E* (the session is over). */
typedef void mailbox_conn_cb(struct mailbox_conn *mc, int rc, void *arg);

/*
 * Start connecting on base; the callback says when the session is logged
 * in (rc 0) or why not.  Returns 0 with *out set (the callback follows,
 * never from inside this call), or MC_EINVAL for a config without addrs.
 */
int mailbox_conn_open(const struct mailbox_conn_config *cfg,
                      struct event_base *base, mailbox_conn_cb *cb, void *arg,
                      struct mailbox_conn **out);
/* Free without a word to the server (say QUIT/LOGOUT first for a polite
 * end).  NULL does nothing. */
void mailbox_conn_free(struct mailbox_conn *mc);

/* POP3: send one command; the callback follows.  0, or MC_E* at once
 * (no callback then: the session is over, or a request is running). */
int mailbox_conn_pop3(struct mailbox_conn *mc, enum pop3_cmd cmd,
                      unsigned long arg1, unsigned long arg2);
/* IMAP: the same (see imap_client_command). */
int mailbox_conn_imap(struct mailbox_conn *mc, enum imap_cmd cmd,
                      const char *mailbox, const char *criteria, uint32_t uid);
/*
 * IMAP IDLE for at most max_ms: the callback comes when IDLE has ended,
 * after new mail was announced (mailbox_conn_idle_woke() true) or the time
 * ran out (false).
 */
int mailbox_conn_idle(struct mailbox_conn *mc, uint32_t max_ms);
bool mailbox_conn_idle_woke(const struct mailbox_conn *mc);
/* The answer of the last command (valid until the next request). */
const struct pop3_event *mailbox_conn_pop3_event(const struct mailbox_conn *mc);
const struct imap_event *mailbox_conn_imap_event(const struct mailbox_conn *mc);

struct pop3_client *mailbox_conn_pop3_core(struct mailbox_conn *mc);
struct imap_client *mailbox_conn_imap_core(struct mailbox_conn *mc);
const char *mailbox_conn_error(const struct mailbox_conn *mc);
/* "TLSv1.3 ..., certificate ..." once TLS is up, else "". */
const char *mailbox_conn_tls_info(const struct mailbox_conn *mc);
const char *mailbox_conn_peer(const struct mailbox_conn *mc);

#endif
