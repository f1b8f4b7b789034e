/*
 * http.h — what a route of `mailcast serve` is given and may call
 * (internal to src/http/; serve.h is the outside's header).
 *
 * A route is one line of the table in routes.c: a path (exact, or a
 * prefix ending in '/'), the methods it takes, and a handler.  serve.c
 * reads the whole request (head and body, within the limits), checks the
 * method (405 with Allow otherwise), then calls the handler on one of
 * libmicrohttpd's worker threads with a struct http_call.  The handler
 * answers through the http_answer*() family, exactly once, and returns
 * what that returned.  Routes in their own files: routes.c lists them.
 *
 * Threads: handlers run concurrently; http_store() is the calling
 * thread's own store connection; the token key ring is shared, read under
 * http_keys_acquire() / http_keys_release().
 */
#ifndef MC_HTTP_HTTP_H
#define MC_HTTP_HTTP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <microhttpd.h>

struct req;
struct store;
struct serve_config;
struct token_keyring;

/* One complete request, as a route sees it. */
struct http_call {
	struct MHD_Connection *c;
	const char *url;    /* the path, as received */
	const char *rest;   /* url past the route's prefix ("" if exact) */
	const char *method; /* "GET", "HEAD", "POST", ... */
	bool get;           /* GET or HEAD */
	bool post;
	const char *body; /* NUL-terminated ("" when none) */
	size_t len;
	char ip[INET6_ADDRSTRLEN + 1]; /* the client (http_client_addr) */
	struct req *q;                 /* serve.c's own */
};

typedef enum MHD_Result http_route_fn(struct http_call *hc);

/* One line of the route table. */
struct http_route {
	const char *path;  /* "/healthz", or a prefix "/unsubscribe/" */
	bool prefix;       /* path is a prefix (then rest follows it) */
	const char *allow; /* methods taken, "GET, HEAD, POST" */
	http_route_fn *fn;
};

extern const struct http_route http_routes[];
extern const size_t http_nroutes;

/* Routes (each file its own). */
http_route_fn route_health;
http_route_fn route_unsubscribe;
/* signup.c: signup with double opt-in (app/signup.h) */
http_route_fn route_subscribe;
http_route_fn route_confirm;
/* The REST API, /api/v1/ (api.c). */
http_route_fn route_api;
/* track.c: clicks and opens */
http_route_fn route_click;
http_route_fn route_open;

/* The dashboard (dash*.c): everything under /dash/. */
http_route_fn route_dash;
struct runner;
/* The campaign runner of this server (app/runner.h). */
struct runner *http_runner(void);
/* Whether the server speaks TLS itself (cookies get Secure). */
bool http_tls(void);

/* The running server's configuration. */
const struct serve_config *http_config(void);

/* True once SIGTERM started the drain. */
bool http_draining(void);

/* This thread's store (opened on first use), or NULL after logging why. */
struct store *http_store(void);

/* The token key ring, read-locked until http_keys_release(). */
const struct token_keyring *http_keys_acquire(void);
void http_keys_release(void);

/* Reload the token keys from s (a key rotated meanwhile), at most once
 * a second; 0 when reloaded. */
int http_keys_refresh(struct store *s);

/* The client's address: the peer, or the last X-Forwarded-For entry when
 * the peer is a trusted proxy. */
void http_client_addr(struct MHD_Connection *c, char *out, size_t outsz);

/* A response from a copy of text[0..len), with the headers every page
 * has (no-store, nosniff, no-referrer, a strict CSP). */
struct MHD_Response *http_page(const char *type, const char *text, size_t len);

/* Queue r with status and drop our reference (NULL r: MHD_NO). */
enum MHD_Result http_answer(struct MHD_Connection *c, unsigned status,
                            struct MHD_Response *r);

/* An HTML page, copied into its response. */
enum MHD_Result http_answer_html(struct MHD_Connection *c, unsigned status,
                                 const char *html);

/* A JSON body (application/json); takes v's reference. */
enum MHD_Result http_answer_json(struct MHD_Connection *c, unsigned status,
                                 json_t *v);

/* 503 with Retry-After: the store is busy or broken. */
enum MHD_Result http_answer_busy(struct MHD_Connection *c);

/* The one 404 (an unknown path and a forged token look the same). */
enum MHD_Result http_not_found(struct MHD_Connection *c);

/* Whether a form-urlencoded body b[0..n) holds the exact pair "k=v". */
bool http_form_has(const char *b, size_t n, const char *pair);

/* The value of field name in a form-urlencoded body, percent- and
 * '+'-decoded into out; false when absent, malformed or too long. */
bool http_form_get(const char *b, size_t n, const char *name, char *out,
                   size_t outsz);

/* A browser's request from another site (CSRF): Origin not this server's
 * own, or Sec-Fetch-Site cross-site. */
bool http_cross_site(struct MHD_Connection *c);

#endif
