/*
 * smtp_client.h — a sans-I/O SMTP client (RFC 5321) with ESMTP extensions.
 *
 * The core opens no socket and reads no clock.  Its driver
 *   - feeds it the server's bytes:            smtp_client_feed()
 *   - sends the bytes it produces:            smtp_client_output() / _sent()
 *   - tells it the time when anything happens (every call takes now_ms) and
 *     calls smtp_client_tick() at smtp_client_deadline();
 *   - reacts to its events:                   smtp_client_next_event()
 *     SMTP_EV_STARTTLS: do the TLS handshake now, then smtp_client_tls_done();
 *     SMTP_EV_READY: the session is up: submit transactions;
 *     SMTP_EV_TXN_DONE: a transaction has its final outcome;
 *     SMTP_EV_CLOSED: the session is over (QUIT done, or failed): close.
 *
 * Session: greeting, EHLO (HELO when EHLO is refused), STARTTLS (RFC 3207)
 * and EHLO again, AUTH (RFC 4954) through the SASL engine.  Transactions:
 * MAIL FROM (SIZE, BODY=8BITMIME, SMTPUTF8, RET, ENVID), RCPT TO (NOTIFY,
 * ORCPT), then DATA with dot-stuffing and CRLF normalisation, or BDAT
 * (RFC 3030) when CHUNKING is offered.  With PIPELINING (RFC 2920) a whole
 * transaction goes in one flight (MAIL, every RCPT, DATA or BDAT LAST with
 * its data), and the next transaction's commands follow the end of the
 * previous message's data: the send cursor runs ahead of the receive cursor
 * and replies are matched to commands in order.  A failed transaction is
 * followed by RSET.  A 421 at any point ends the session.  Each wait has the
 * RFC 5321 §4.5.3.2 timeout of its command (struct smtp_timeouts).
 *
 * Outcomes: every recipient of every submitted transaction ends with one
 * result (struct smtp_result: the code, enhanced code and text of the reply
 * that decided it, or a local error), reported once by SMTP_EV_TXN_DONE —
 * also when the session fails, so a caller can account for every recipient.
 *
 * Ownership: struct smtp_client is opaque (smtp_client_new/free).  A
 * struct smtp_txn and everything it points to (addresses, body) is the
 * caller's and must stay valid until its SMTP_EV_TXN_DONE; the core writes
 * only the result fields.  The configuration's strings are copied.
 */
#ifndef MC_PROTO_SMTP_CLIENT_H
#define MC_PROTO_SMTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/sasl.h"
#include "proto/smtp_reply.h"

/* Extensions from the EHLO reply. */
#define SMTP_EXT_SIZE                0x0001
#define SMTP_EXT_PIPELINING          0x0002
#define SMTP_EXT_8BITMIME            0x0004
#define SMTP_EXT_SMTPUTF8            0x0008
#define SMTP_EXT_DSN                 0x0010
#define SMTP_EXT_CHUNKING            0x0020
#define SMTP_EXT_STARTTLS            0x0040
#define SMTP_EXT_AUTH                0x0080
#define SMTP_EXT_ENHANCEDSTATUSCODES 0x0100

enum smtp_tls_policy {
	SMTP_TLS_NONE,          /* never STARTTLS */
	SMTP_TLS_OPPORTUNISTIC, /* STARTTLS when offered */
	SMTP_TLS_REQUIRE,       /* STARTTLS or fail */
	SMTP_TLS_IMPLICIT,      /* TLS from the first byte: the driver's job */
};

/* Timeouts in milliseconds, per RFC 5321 §4.5.3.2 by default. */
struct smtp_timeouts {
	uint32_t greeting; /* 5 min */
	uint32_t command;  /* EHLO, STARTTLS, AUTH, RSET, QUIT: 5 min */
	uint32_t mail;     /* 5 min */
	uint32_t rcpt;     /* 5 min */
	uint32_t data;     /* DATA initiation: 2 min */
	uint32_t block;    /* each data block sent: 3 min */
	uint32_t dot;      /* final reply: 10 min */
};

struct smtp_client_config {
	const char *helo_name; /* required, never "localhost" */
	enum smtp_tls_policy tls;
	const char *auth_user;     /* NULL: no AUTH */
	const char *auth_secret;   /* borrowed; wiped by the caller */
	enum sasl_mech auth_mech;  /* SASL_NONE: choose */
	bool auth_allow_cleartext; /* PLAIN/LOGIN without TLS */
	bool no_pipelining;        /* don't pipeline even if offered */
	bool no_chunking;          /* use DATA even if CHUNKING is offered */
	size_t chunk_size;         /* BDAT chunk (default 1 MiB) */
	struct smtp_timeouts timeouts; /* zeros take the defaults */
	/* Called for every command sent and reply line received, AUTH
	 * redacted; dir is 'C' or 'S'.  NULL: no transcript. */
	void (*trace)(void *arg, char dir, const char *line, size_t len);
	void *trace_arg;
	/* Names the session in its state traces at LOG_DEBUG ("smtp
	 * 192.0.2.1:25: EHLO -> READY"), usually the peer; NULL: "smtp: EHLO
	 * -> READY".  Copied. */
	const char *log_name;
};

/* How a recipient's fate was decided. */
enum smtp_rcpt_state {
	SMTP_RCPT_PENDING = 0,
	SMTP_RCPT_ACCEPTED,  /* 2xx to RCPT, data not yet accepted */
	SMTP_RCPT_DELIVERED, /* 2xx to the end of data */
	SMTP_RCPT_FAILED,    /* 4xx/5xx, or a local or connection error */
};

struct smtp_result {
	int code;       /* reply code, 0 when no reply decided */
	int err;        /* 0, or MC_E* (MC_ETEMPFAIL for 4xx...) */
	char enh[16];   /* enhanced code, or "" */
	char text[512]; /* reply text (lines joined by '\n'), or
	                   the local error */
};

struct smtp_rcpt {
	const char *addr;   /* without <> */
	const char *notify; /* DSN NOTIFY=, or NULL */
	const char *orcpt;  /* DSN ORCPT= address, or NULL */
	/* filled by the core */
	enum smtp_rcpt_state state;
	struct smtp_result result;
	bool refused_at_rcpt; /* result is the reply to its own RCPT */
};

/* A body's form on the wire (smtp_wire_measure). */
struct smtp_wire {
	size_t len;    /* size after CRLF normalisation, before dot-stuffing */
	bool eightbit; /* 8-bit bytes in it */
	bool verbatim; /* CRLF lines, no leading dot: goes out as is */
};

/* Measure body b[0..n) as the core would before sending it: a caller
 * that renders on other threads measures there and hands the result in
 * smtp_txn.wire, which spares the loop thread a pass over every body. */
void smtp_wire_measure(const unsigned char *b, size_t n, struct smtp_wire *w);

struct smtp_txn {
	const char *mail_from; /* "" for the null reverse-path */
	struct smtp_rcpt *rcpts;
	size_t nrcpts;
	const unsigned char *body; /* the message, LF or CRLF lines */
	size_t body_len;
	bool smtputf8;     /* needs SMTPUTF8 (UTF-8 addresses) */
	const char *ret;   /* DSN RET=FULL|HDRS, or NULL */
	const char *envid; /* DSN ENVID=, or NULL */
	/* the body measured by smtp_wire_measure(), or NULL: the core
	 * measures it */
	const struct smtp_wire *wire;
	void *user; /* the caller's */
	/* filled by the core */
	int status;                /* 0: delivered to >= 1 recipient */
	struct smtp_result result; /* the reply that ended it */
	char queue_id[64];         /* from "250 ... queued as X", or "" */
	size_t ndelivered;
	bool attempted; /* false: never started (session died) */
	/* the end of its data went out and the session died before the
	 * reply: the server may have taken it (resending may duplicate) */
	bool unknown;
	/* core-private */
	struct smtp_txn *next;
	size_t naccepted;
	size_t wire_len;   /* body size after CRLF normalisation */
	size_t body_off;   /* data sent so far */
	bool failed_early; /* MAIL refused or no recipient */
	bool eightbit;     /* the body has 8-bit bytes */
	bool verbatim;     /* CRLF lines, no leading dot: copy as is */
	bool rset_sent;    /* RSET pipelined after its BDAT LAST */
};

enum smtp_event_type {
	SMTP_EV_NONE = 0,
	SMTP_EV_STARTTLS,
	SMTP_EV_READY,
	SMTP_EV_TXN_DONE,
	SMTP_EV_CLOSED,
};

struct smtp_event {
	enum smtp_event_type type;
	struct smtp_txn *txn; /* SMTP_EV_TXN_DONE */
	int err;              /* SMTP_EV_CLOSED: 0 after QUIT, or MC_E* */
};

struct smtp_client;

struct smtp_client *smtp_client_new(const struct smtp_client_config *cfg);
void smtp_client_free(struct smtp_client *c);

/* The session starts: wait for the greeting.  For implicit TLS, call it
 * after the handshake with tls_active true.  A HELO name or AUTH
 * credentials that cannot go on a command line (wire_value.h) end the
 * session here, before a byte is written: SMTP_EV_CLOSED with MC_EINVAL,
 * "helo name contains a line break" in last_error.  So does a MAIL or RCPT
 * address with CR or LF for its transaction (MC_EINVAL, the field named). */
void smtp_client_start(struct smtp_client *c, bool tls_active, uint64_t now_ms);
/*
 * Bytes from the server.  Returns 0, or a negative MC_E* when the session
 * failed (an SMTP_EV_CLOSED is queued too).
 */
int smtp_client_feed(struct smtp_client *c, const void *data, size_t len,
                     uint64_t now_ms);
/* The server closed the connection (read returned 0). */
void smtp_client_eof(struct smtp_client *c, uint64_t now_ms);
/* A transport error (reset, TLS failure) with a human description. */
void smtp_client_abort(struct smtp_client *c, int err, const char *why,
                       uint64_t now_ms);
/* Bytes to send; may be empty.  Valid until the next call. */
const unsigned char *smtp_client_output(struct smtp_client *c, size_t *len);
/* n bytes of the output were sent. */
void smtp_client_sent(struct smtp_client *c, size_t n, uint64_t now_ms);
/* The TLS handshake asked for by SMTP_EV_STARTTLS ended. */
void smtp_client_tls_done(struct smtp_client *c, bool ok, const char *why,
                          uint64_t now_ms);
/* Queue a transaction (any time before SMTP_EV_CLOSED). */
void smtp_client_submit(struct smtp_client *c, struct smtp_txn *txn,
                        uint64_t now_ms);
/* Say QUIT once every submitted transaction is done. */
void smtp_client_quit(struct smtp_client *c, uint64_t now_ms);
/* The absolute time of the next timeout, or 0 when nothing is awaited. */
uint64_t smtp_client_deadline(const struct smtp_client *c);
/* Check timeouts at now_ms. */
void smtp_client_tick(struct smtp_client *c, uint64_t now_ms);
/* Take the next event; false when there is none. */
bool smtp_client_next_event(struct smtp_client *c, struct smtp_event *ev);

/* What the server offered (SMTP_EXT_* bits) and its SIZE limit (0: none). */
unsigned smtp_client_extensions(const struct smtp_client *c);
uint64_t smtp_client_size_limit(const struct smtp_client *c);
/* The AUTH mechanisms offered, space-separated ("" when none). */
const char *smtp_client_auth_mechs(const struct smtp_client *c);
/* The greeting's text and the EHLO reply's first line (the server's name and
 * often the address it saw us come from). */
const char *smtp_client_greeting(const struct smtp_client *c);
const char *smtp_client_ehlo_text(const struct smtp_client *c);
/* Transactions submitted and not yet done. */
size_t smtp_client_pending(const struct smtp_client *c);
bool smtp_client_is_ready(const struct smtp_client *c);
bool smtp_client_tls_active(const struct smtp_client *c);
/* Why the session failed, in words ("" while it has not). */
const char *smtp_client_last_error(const struct smtp_client *c);
/* The reply that ended the session, when one did (NULL otherwise). */
const struct smtp_result *smtp_client_last_reply(const struct smtp_client *c);

#endif
