/*
 * send.h — one message to one or more recipients over SMTP, swaks-like,
 * or N copies over C reused connections (a load test): the service behind
 * `mailcast send`.
 *
 * app_send_run() composes the message (a file, the caller's bytes, or a
 * small test message), resolves the server, connects (STARTTLS or implicit
 * TLS with certificate checks, AUTH), pipelines up to APP_SEND_WINDOW
 * transactions per connection, and tells the caller every recipient's
 * outcome through opts->result and every line of the dialogue through
 * opts->trace (AUTH redacted by the SMTP core; a '*' line says the TLS
 * session).  It runs its own event loop and returns when every connection
 * has closed.  Strings in opts are borrowed for the call; the secret is
 * the caller's to wipe.  Returns 0 (the run happened: see sum->status) or
 * MC_EINVAL (options), MC_ENOTFOUND (--data cannot be read), MC_ECONFIG
 * (TLS), MC_ENOHOST ... (the server cannot be resolved), with the reason
 * in sum->why.
 */
#ifndef MC_APP_SEND_H
#define MC_APP_SEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#define APP_SEND_WINDOW   4           /* transactions in flight per conn */
#define APP_SEND_DATA_MAX (64u << 20) /* opts->data size limit */
#define APP_SEND_RCPT_MAX 1000

/* One recipient's outcome (strings valid during the callback). */
struct app_send_result {
	const char *recipient;
	bool delivered;
	int code;             /* the reply, or 0 when none decided */
	const char *enhanced; /* "5.1.1", or "" */
	const char *text;     /* the reply text, or the local error */
	const char *queue_id; /* from "250 ... queued as X", or "" */
	int err;              /* 0, or MC_E* */
};

typedef void app_send_result_fn(void *arg, const struct app_send_result *r);
/* dir: 'C' client, 'S' server, '*' a note such as the TLS session. */
typedef void app_send_trace_fn(void *arg, char dir, const char *line,
                               size_t len);

struct app_send_opts {
	const char *server; /* HOST[:PORT], port 25 unless given */
	const char *tls;    /* none|opportunistic|require (starttls)|implicit,
	                       as campaigns; NULL: implicit on 465, else
	                       require */
	const char *from;
	const char *const *to;
	size_t nto;
	const char *data;     /* the message file ("-": stdin); NULL: a test */
	const char *data_mem; /* or the message itself (NUL-terminated,
	                         CRLF lines), instead of data */
	const char *helo;     /* NULL: this host's name */
	const char *auth_user;
	const char *auth_secret; /* borrowed */
	const char *auth_mech;   /* PLAIN, LOGIN, CRAM-MD5, XOAUTH2; NULL */
	const char *ca_file;
	bool no_verify;       /* no certificate and host name checks */
	const char *timeout;  /* every timeout, a duration (30s, 500ms, 2m;
	                         bare: seconds); NULL: RFC 5321 defaults */
	bool allow_cleartext; /* AUTH PLAIN/LOGIN without TLS */
	long count;           /* copies to send (load mode); 0: 1 */
	long connections;     /* at most; 0: 1 */
	bool no_pipelining;
	bool no_chunking;
	bool summary_only; /* no result callbacks, no queue-id log lines */
	app_send_result_fn *result;
	app_send_trace_fn *trace;
	void *arg;
};

struct app_send_summary {
	long messages; /* copies delivered to every recipient */
	long delivered, refused, deferred, not_attempted; /* recipients */
	long connections;
	double seconds;
	int status;     /* <sysexits.h>: 0 all delivered, EX_UNAVAILABLE
	                   refused, EX_TEMPFAIL deferred or cut short ... */
	char why[1200]; /* the session's error, or "" */
};

/* {recipient, delivered, code, enhanced, text[, queue_id][, error]} */
json_t *app_send_result_json(const struct app_send_result *r);
/* {messages, count, delivered, refused, deferred, not_attempted,
 *  connections, seconds, messages_per_second} */
json_t *app_send_summary_json(const struct app_send_summary *s, long count);
/* The same as one line of text ("sent 10 of 10 messages (...) over 2
 * connections in 0.100 s: 100 messages/s") to out. */
void app_send_summary_text(FILE *out, const struct app_send_summary *s,
                           long count);

/* Run; see above. */
int app_send_run(const struct app_send_opts *opts,
                 struct app_send_summary *sum);

#endif
