/*
 * pop3_client.h — a sans-I/O POP3 client (RFC 1939) with CAPA (RFC 2449),
 * STLS (RFC 2595), APOP, USER/PASS and AUTH (RFC 5034, the SASL engine).
 *
 * Like smtp_client.h, the core opens no socket and reads no clock: the
 * driver feeds it the server's bytes (pop3_client_feed), sends what
 * pop3_client_output() holds, passes now_ms to every call and calls
 * pop3_client_tick() at pop3_client_deadline().  Events:
 *   POP3_EV_STARTTLS  do the TLS handshake now, then pop3_client_tls_done();
 *   POP3_EV_READY     logged in (TRANSACTION state): issue commands;
 *   POP3_EV_DONE      the command issued last has its answer;
 *   POP3_EV_CLOSED    the session is over (QUIT done, or failed).
 * One command at a time: pop3_client_command() returns MC_EAGAIN while the
 * previous one is unanswered.  Multi-line answers (UIDL, LIST, RETR, TOP)
 * are dot-unstuffed; a message longer than cfg.max_message is read to its
 * end but kept only up to that size (event.truncated), so a 50 MB message
 * costs no memory and does not end the session.  A status line longer than
 * POP3_LINE_MAX, or a multi-line answer to UIDL/LIST over POP3_LIST_MAX
 * entries, fails the session (MC_ELIMIT).
 *
 * Ownership: struct pop3_client is opaque (new/free); the configuration's
 * strings are copied, the secret too (wiped on free).  Event data and the
 * UIDL list are valid until the next call into the core.
 */
#ifndef MC_PROTO_POP3_CLIENT_H
#define MC_PROTO_POP3_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/sasl.h"

#define POP3_LINE_MAX        4096        /* a status line (RFC: 512) */
#define POP3_LIST_MAX        1000000     /* entries of a UIDL/LIST answer */
#define POP3_UID_MAX         70          /* RFC 1939: 1..70 characters */
#define POP3_MESSAGE_DEFAULT (32u << 20) /* cfg.max_message default */
#define POP3_TIMEOUT_DEFAULT 120000      /* ms per command */

enum pop3_tls_policy {
	POP3_TLS_NONE,     /* plain text */
	POP3_TLS_STLS,     /* STLS or fail */
	POP3_TLS_IMPLICIT, /* TLS from the first byte: the driver's job */
};

enum pop3_auth {
	POP3_AUTH_CHOOSE = 0, /* SASL if offered, else APOP, else USER/PASS */
	POP3_AUTH_USER,       /* USER/PASS */
	POP3_AUTH_APOP,       /* APOP (the greeting's timestamp) */
	POP3_AUTH_SASL,       /* AUTH sasl_mech (SASL_NONE: choose) */
};

struct pop3_client_config {
	const char *user;
	const char *secret;
	enum pop3_tls_policy tls;
	enum pop3_auth auth;
	enum sasl_mech sasl_mech;
	bool allow_cleartext; /* USER/PASS, PLAIN, LOGIN without TLS */
	size_t max_message;   /* 0: POP3_MESSAGE_DEFAULT */
	uint32_t timeout_ms;  /* 0: POP3_TIMEOUT_DEFAULT */
	/* Every line sent and status line received, secrets redacted. */
	void (*trace)(void *arg, char dir, const char *line, size_t len);
	void *trace_arg;
	/* Names the session in its state traces at LOG_DEBUG ("pop3
	 * 192.0.2.1:110: USER -> PASS"), usually the peer; NULL: "pop3: USER
	 * -> PASS".  Copied. */
	const char *log_name;
};

enum pop3_cmd {
	POP3_CMD_NONE = 0,
	POP3_CMD_STAT,
	POP3_CMD_LIST, /* all messages: fills the list (uid "" ) with sizes */
	POP3_CMD_UIDL, /* all messages: fills the list */
	POP3_CMD_RETR, /* arg1: message number */
	POP3_CMD_TOP,  /* arg1: message number, arg2: body lines */
	POP3_CMD_DELE, /* arg1: message number */
	POP3_CMD_NOOP,
	POP3_CMD_RSET,
	POP3_CMD_QUIT,
};

enum pop3_event_type {
	POP3_EV_NONE = 0,
	POP3_EV_STARTTLS,
	POP3_EV_READY,
	POP3_EV_DONE,
	POP3_EV_CLOSED,
};

struct pop3_event {
	enum pop3_event_type type;
	enum pop3_cmd cmd;         /* POP3_EV_DONE */
	bool ok;                   /* +OK */
	const char *text;          /* the status line's text after +OK/-ERR */
	const unsigned char *data; /* RETR/TOP: the message, unstuffed */
	size_t data_len;
	bool truncated; /* the message was longer than max_message */
	int err;        /* POP3_EV_CLOSED: 0 after QUIT, or MC_E* */
};

/* One line of a UIDL or LIST answer. */
struct pop3_entry {
	unsigned long msgno;
	unsigned long long size; /* LIST only */
	char uid[POP3_UID_MAX + 1];
};

struct pop3_client;

struct pop3_client *pop3_client_new(const struct pop3_client_config *cfg);
void pop3_client_free(struct pop3_client *c);
/* The session starts: wait for the greeting (after the handshake for
 * implicit TLS, with tls_active true). */
void pop3_client_start(struct pop3_client *c, bool tls_active, uint64_t now_ms);
/* Bytes from the server; 0 or MC_E* when the session failed. */
int pop3_client_feed(struct pop3_client *c, const void *data, size_t len,
                     uint64_t now_ms);
void pop3_client_eof(struct pop3_client *c, uint64_t now_ms);
void pop3_client_abort(struct pop3_client *c, int err, const char *why,
                       uint64_t now_ms);
const unsigned char *pop3_client_output(struct pop3_client *c, size_t *len);
void pop3_client_sent(struct pop3_client *c, size_t n, uint64_t now_ms);
void pop3_client_tls_done(struct pop3_client *c, bool ok, const char *why,
                          uint64_t now_ms);
/*
 * Issue a command (after POP3_EV_READY).  Returns 0, MC_EAGAIN (one is
 * outstanding), MC_EINVAL (bad arguments, or not ready).
 */
int pop3_client_command(struct pop3_client *c, enum pop3_cmd cmd,
                        unsigned long arg1, unsigned long arg2,
                        uint64_t now_ms);
uint64_t pop3_client_deadline(const struct pop3_client *c);
void pop3_client_tick(struct pop3_client *c, uint64_t now_ms);
bool pop3_client_next_event(struct pop3_client *c, struct pop3_event *ev);

/* The entries of the last UIDL or LIST answer. */
const struct pop3_entry *pop3_client_entries(const struct pop3_client *c,
                                             size_t *n);
/* The capabilities seen (CAPA lines, space-joined), "" if none. */
const char *pop3_client_capabilities(const struct pop3_client *c);
bool pop3_client_tls_active(const struct pop3_client *c);
const char *pop3_client_last_error(const struct pop3_client *c);
const char *pop3_cmd_name(enum pop3_cmd cmd);

/*
 * The status-line and multi-line framing alone, for the fuzzer and tests:
 * feed bytes, get lines.  Exposed so the parser can be exercised without
 * a session.
 */
int pop3_parse_entry(const char *line, size_t len, bool with_uid,
                     struct pop3_entry *out);

#endif
