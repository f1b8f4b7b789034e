/*
 * mailbox_conn.h — runs the sans-I/O POP3 or IMAP client core
 * (proto/pop3_client.h, proto/imap_client.h) over TCP with libevent, with
 * STARTTLS/STLS or implicit TLS, for a caller that works one step at a
 * time (fetch a message, store its effects, delete it, next).
 *
 * The calls block: each runs a private event loop until the core reports
 * what was asked (logged in, a command's answer, new mail while idling)
 * or the session ends.  The core's deadlines are armed as timers, so no
 * call waits longer than the configured command timeout.  A TLS handshake
 * the core asks for (STARTTLS) is done inside, with the certificate
 * checked unless tls_verify is false (net/tls.h).
 *
 * Errors: MC_ECONN / MC_ECONNREFUSED / MC_ETIMEDOUT (connect), MC_ETLS /
 * MC_ECERT, MC_EAUTH, MC_EPROTO, MC_ECLOSED, MC_ELIMIT, MC_EUNSUPP, with
 * the words in mailbox_conn_error() (or err for open).  After any of
 * these the session is over: close it.
 * Ownership: the config's addrs and SSL_CTX are borrowed for the life of
 * the conn; event data is valid until the next call.
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

/*
 * Connect, do TLS as configured, log in.  0 with *out set, or MC_E* with
 * the reason in err ("cannot connect to 127.0.0.1 port 28110: ...").
 */
int mailbox_conn_open(const struct mailbox_conn_config *cfg,
                      struct mailbox_conn **out, char *err, size_t errsz);
/* Say QUIT/LOGOUT when the session is still up (bounded), then free. */
void mailbox_conn_close(struct mailbox_conn *mc);

/* POP3: one command and its answer.  0 (ev filled, ev->ok may be false)
 * or MC_E* when the session ended. */
int mailbox_conn_pop3(struct mailbox_conn *mc, enum pop3_cmd cmd,
                      unsigned long arg1, unsigned long arg2,
                      struct pop3_event *ev);
/* IMAP: one command and its completion (see imap_client_command). */
int mailbox_conn_imap(struct mailbox_conn *mc, enum imap_cmd cmd,
                      const char *mailbox, const char *criteria, uint32_t uid,
                      struct imap_event *ev);
/*
 * IMAP IDLE for at most max_ms: returns 0 with *woke true when new mail
 * was announced, false when the time ran out (IDLE is ended either way),
 * or MC_E*.
 */
int mailbox_conn_idle(struct mailbox_conn *mc, uint32_t max_ms, bool *woke);

struct pop3_client *mailbox_conn_pop3_core(struct mailbox_conn *mc);
struct imap_client *mailbox_conn_imap_core(struct mailbox_conn *mc);
const char *mailbox_conn_error(const struct mailbox_conn *mc);
/* "TLSv1.3 ..., certificate ..." once TLS is up, else "". */
const char *mailbox_conn_tls_info(const struct mailbox_conn *mc);
const char *mailbox_conn_peer(const struct mailbox_conn *mc);

#endif
