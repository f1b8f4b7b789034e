/*
 * serve.h — `mailcast serve`: the HTTP side of a mailing list, on
 * libmicrohttpd (docs/serve.md says why that library), over the
 * application layer only (app/).
 *
 * Routes (the table in routes.c; http.h is what a route gets): GET /healthz
 * (200 while the store answers); GET /unsubscribe/TOKEN (a confirmation page
 * with a button, changes nothing; once unsubscribed, the preferences:
 * resubscribe); POST /unsubscribe/TOKEN with List-Unsubscribe=One-Click (RFC
 * 8058: the token's contact unsubscribed, idempotent, no cookie;
 * group-committed by a writer thread, the 200 after the commit) or with
 * resubscribe=1 (CSRF: Origin / Sec-Fetch-Site).  A token that does not verify,
 * or names nobody this store sent to, is the same 404 as any unknown path.
 *
 * Limits (each a field below): connections in all and per client address
 * (libmicrohttpd refuses the excess at accept), a header deadline (a
 * connection that has not sent a whole request head within it is cut,
 * however slowly it trickles bytes; the same deadline bounds an idle
 * keep-alive connection and the upload of a body), a body limit (413,
 * told by Content-Length before any byte of the body is read), a header
 * size limit (libmicrohttpd: 431), malformed requests (400).
 *
 * serve_run() blocks: SIGTERM/SIGINT stop it gracefully (no new
 * connection; requests in progress finish, idle keep-alive connections
 * are closed, at most drain_secs), SIGHUP reloads mailcast.conf (checked;
 * an error keeps the old one) and the store's token keys.  Each worker
 * thread opens its own store connection; SQLite's busy wait (10 s) covers
 * a campaign writing the same store, and a store failure is a 503.
 *
 * Errors: MC_ECONFIG (a bad listen address or option), MC_EIO (the store,
 * the listener), with the reason in err.
 */
#ifndef MC_HTTP_SERVE_H
#define MC_HTTP_SERVE_H

#include <stddef.h>

#define SERVE_DEFAULT_LISTEN "127.0.0.1:8025"
#define SERVE_TRUSTED_MAX    16

struct serve_config {
	const char *listen;    /* "HOST:PORT" (IPv4 or [IPv6]); NULL: default */
	const char *store_url; /* NULL: the default store */
	const char
	    *config_path; /* mailcast.conf to reload on SIGHUP, or NULL */
	/* Peers whose X-Forwarded-For is believed (its last address is then
	 * the client's); any other peer is the client itself. */
	const char *trusted[SERVE_TRUSTED_MAX];
	size_t ntrusted;
	unsigned threads;        /* 0: 2 */
	unsigned max_conns;      /* 0: 4096 */
	int max_conns_per_ip;    /* -1: 32 (0 with a trusted proxy); 0: none */
	unsigned header_timeout; /* seconds; 0: 10 */
	unsigned long max_body;  /* octets; 0: 65536 */
	unsigned drain_secs;     /* 0: 10 */
	const char *tls_cert_file; /* both or neither: HTTPS */
	const char *tls_key_file;
};

/* Run the server until SIGTERM/SIGINT; 0 after a clean stop. */
int serve_run(const struct serve_config *cfg, char *err, size_t errsz);

#endif
