/*
 * imap_client.h — a sans-I/O IMAP4rev1/IMAP4rev2 client (RFC 3501, RFC 9051)
 * for reading a mailbox of bounces: CAPABILITY, STARTTLS, LOGIN or
 * AUTHENTICATE (the SASL engine, SASL-IR when offered), SELECT, UID SEARCH,
 * UID FETCH with literals, UID MOVE (RFC 6851) or UID COPY + \Deleted +
 * UID EXPUNGE (RFC 4315) / EXPUNGE, CREATE, IDLE (RFC 2177), LOGOUT.
 *
 * Same contract as smtp_client.h: bytes in (imap_client_feed), bytes out
 * (imap_client_output/_sent), now_ms on every call, imap_client_tick() at
 * imap_client_deadline(), events out:
 *   IMAP_EV_STARTTLS  do the TLS handshake, then imap_client_tls_done();
 *   IMAP_EV_READY     authenticated: issue commands;
 *   IMAP_EV_DONE      the outstanding command completed (ok or not);
 *   IMAP_EV_IDLE_WAKE while idling, the server announced new mail;
 *   IMAP_EV_CLOSED    the session is over (LOGOUT done, or failed).
 * One command at a time.  Responses are framed by struct imap_reader:
 * a line may be at most IMAP_LINE_MAX bytes, a response may carry at most
 * IMAP_LITERALS_MAX literals; a literal longer than the configured
 * max_message is read to its end but kept empty (event.truncated), so a
 * 50 MB message costs no memory and the session goes on.
 *
 * Ownership: struct imap_client is opaque (new/free); configuration
 * strings are copied, the secret wiped on free.  Event data and the UID
 * list are valid until the next command is issued.
 */
#ifndef MC_PROTO_IMAP_CLIENT_H
#define MC_PROTO_IMAP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "proto/sasl.h"

#define IMAP_LINE_MAX        65536       /* one line of a response */
#define IMAP_LITERALS_MAX    64          /* literals in one response */
#define IMAP_SEARCH_MAX      1000000     /* UIDs from one UID SEARCH */
#define IMAP_DEPTH_MAX       16          /* nested parenthesised lists */
#define IMAP_MESSAGE_DEFAULT (32u << 20) /* cfg.max_message default */
#define IMAP_TIMEOUT_DEFAULT 120000      /* ms per command */
#define IMAP_MAILBOX_MAX     200         /* octets of a mailbox name */

/* ---- response framing (exposed for the fuzzer) ------------------------ */

struct imap_reader {
	struct buf resp;     /* the response being read, literals inline */
	size_t literal_left; /* bytes of literal still to read */
	bool literal_drop;   /* the literal is over the limit: skip it */
	size_t nliterals;
	size_t line_start; /* offset of the current line in resp */
	size_t max_literal;
	bool truncated; /* a literal of this response was dropped */
	bool complete;  /* a response was returned: reset on the next feed */
	int failed;
	char last_error[160];
};

void imap_reader_init(struct imap_reader *r, size_t max_literal);
void imap_reader_fini(struct imap_reader *r);
/*
 * Consume bytes until one whole response (its lines and literals) is read.
 * Returns 1 with *out / *outlen (valid until the next call; CRLF removed
 * from the last line, literals "{N}\r\n" followed by their N bytes; a
 * dropped literal reads "{0}\r\n") and *used set, 0 when more input is
 * needed, or MC_ELIMIT / MC_EPROTO (the reader stays failed).
 */
int imap_reader_feed(struct imap_reader *r, const char *data, size_t len,
                     size_t *used, const char **out, size_t *outlen,
                     bool *truncated);

/* ---- the client ------------------------------------------------------- */

enum imap_tls_policy {
	IMAP_TLS_NONE,
	IMAP_TLS_STARTTLS, /* STARTTLS or fail */
	IMAP_TLS_IMPLICIT, /* TLS from the first byte: the driver's job */
};

struct imap_client_config {
	const char *user;
	const char *secret;
	enum imap_tls_policy tls;
	enum sasl_mech sasl_mech; /* SASL_NONE: AUTHENTICATE if a mechanism
	                             fits, else LOGIN */
	bool allow_cleartext;     /* LOGIN/PLAIN without TLS */
	size_t max_message;       /* 0: IMAP_MESSAGE_DEFAULT */
	uint32_t timeout_ms;      /* 0: IMAP_TIMEOUT_DEFAULT */
	void (*trace)(void *arg, char dir, const char *line, size_t len);
	void *trace_arg;
	/* Names the session in its state traces at LOG_DEBUG ("imap
	 * 192.0.2.1:143: LOGIN -> READY"), usually the peer; NULL: "imap:
	 * LOGIN -> READY".  Copied. */
	const char *log_name;
};

enum imap_cmd {
	IMAP_CMD_NONE = 0,
	IMAP_CMD_SELECT, /* fills uidvalidity, exists */
	IMAP_CMD_SEARCH, /* UID SEARCH criteria: fills the UID list */
	IMAP_CMD_FETCH,  /* UID FETCH uid BODY.PEEK[]: event data */
	IMAP_CMD_MOVE,   /* UID MOVE, or COPY + \Deleted + expunge */
	IMAP_CMD_DELETE, /* \Deleted + expunge */
	IMAP_CMD_CREATE, /* CREATE (an existing mailbox is ok) */
	IMAP_CMD_IDLE,   /* IDLE until imap_client_idle_done() */
	IMAP_CMD_NOOP,
	IMAP_CMD_LOGOUT,
};

enum imap_event_type {
	IMAP_EV_NONE = 0,
	IMAP_EV_STARTTLS,
	IMAP_EV_READY,
	IMAP_EV_DONE,
	IMAP_EV_IDLE_WAKE,
	IMAP_EV_CLOSED,
};

struct imap_event {
	enum imap_event_type type;
	enum imap_cmd cmd;
	bool ok;                   /* tagged OK */
	const char *text;          /* the tagged response's text */
	const unsigned char *data; /* FETCH: the message (NULL: none) */
	size_t data_len;
	bool truncated; /* FETCH: over max_message, data empty */
	uint64_t size;  /* FETCH: RFC822.SIZE when given */
	int err;        /* IMAP_EV_CLOSED: 0 after LOGOUT, or MC_E* */
};

struct imap_client;

struct imap_client *imap_client_new(const struct imap_client_config *cfg);
void imap_client_free(struct imap_client *c);
void imap_client_start(struct imap_client *c, bool tls_active, uint64_t now_ms);
int imap_client_feed(struct imap_client *c, const void *data, size_t len,
                     uint64_t now_ms);
void imap_client_eof(struct imap_client *c, uint64_t now_ms);
void imap_client_abort(struct imap_client *c, int err, const char *why,
                       uint64_t now_ms);
const unsigned char *imap_client_output(struct imap_client *c, size_t *len);
void imap_client_sent(struct imap_client *c, size_t n, uint64_t now_ms);
void imap_client_tls_done(struct imap_client *c, bool ok, const char *why,
                          uint64_t now_ms);
/*
 * Issue a command.  mailbox: SELECT, CREATE, MOVE (the target).  criteria:
 * SEARCH ("ALL", "UNSEEN", "UID 5:*": written as given, only atoms and
 * spaces allowed).  uid: FETCH, MOVE, DELETE.  Returns 0, MC_EAGAIN (one
 * is outstanding) or MC_EINVAL (bad arguments or not ready).
 */
int imap_client_command(struct imap_client *c, enum imap_cmd cmd,
                        const char *mailbox, const char *criteria, uint32_t uid,
                        uint64_t now_ms);
/* End an IDLE (sends DONE); the IMAP_EV_DONE of IDLE follows. */
void imap_client_idle_done(struct imap_client *c, uint64_t now_ms);
uint64_t imap_client_deadline(const struct imap_client *c);
void imap_client_tick(struct imap_client *c, uint64_t now_ms);
bool imap_client_next_event(struct imap_client *c, struct imap_event *ev);

/* After SELECT. */
uint32_t imap_client_uidvalidity(const struct imap_client *c);
uint32_t imap_client_exists(const struct imap_client *c);
/* After SEARCH: the UIDs found, ascending. */
const uint32_t *imap_client_uids(const struct imap_client *c, size_t *n);
/* "IMAP4rev1 STARTTLS AUTH=PLAIN ..." as last announced. */
const char *imap_client_capabilities(const struct imap_client *c);
bool imap_client_has_capability(const struct imap_client *c, const char *cap);
bool imap_client_tls_active(const struct imap_client *c);
const char *imap_client_last_error(const struct imap_client *c);
const char *imap_cmd_name(enum imap_cmd cmd);

#endif
