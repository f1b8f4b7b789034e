/*
 * serve.c — `mailcast serve` on libmicrohttpd (serve.h): the daemon, its
 * limits, the header-deadline watchdog, the signal loop and the routes.
 */
#include <arpa/inet.h>
#include <malloc.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "app/config.h"
#include "app/contacts.h"
#include "app/files.h"
#include "app/process.h"
#include "app/runner.h"
#include "app/token_keys.h"
#include "app/unsubscribe.h"
#include "app/webhook.h"
#include "base/error.h"
#include "base/log.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "http/http.h"
#include "http/pages.h"
#include "http/serve.h"

#define STORES_MAX   80 /* threads (64 workers, the writer, main) */
#define RELOAD_MIN_S 1  /* an unknown token reloads the keys at most so */

/* One connection, from accept to close: its header deadline. */
struct conn_track {
	struct conn_track *prev, *next;
	int fd;
	_Atomic int64_t deadline_ms; /* 0: a request is being answered */
	atomic_bool busy;            /* a request is in (its head read) */
};

/* One request: its body so far; an unsubscribe waiting for the group
 * commit (its connection suspended meanwhile). */
struct req {
	char *body;
	size_t len;
	bool too_big;
	bool started; /* the handler has seen it once */
	/* the group commit's */
	struct MHD_Connection *conn;
	struct req *wnext;
	struct unsub_result ur;
	char src[INET6_ADDRSTRLEN + 16];
	char tok[TOKEN_MAX + 1];
	bool queued;
	_Atomic int wdone; /* 0 waiting, 1 applied, -1 failed */
};

#define BATCH_MAX 1024 /* unsubscribes in one commit */

/*
 * Tokens unsubscribed lately: a repeated POST (a provider retrying, a
 * second click) answers 200 from here without the store.  Direct-mapped
 * (a collision forgets the older), entries trusted DONE_TTL seconds, so a
 * contact resubscribed by hand meanwhile is unsubscribed again by a POST
 * made a minute later.
 */
#define DONE_SLOTS 16384 /* a power of two */
#define DONE_TTL   60
struct done_slot {
	char tok[TOKEN_MAX + 1];
	time_t at;
};

/* The running server (one per process). */
struct srv {
	const struct serve_config *cfg;
	struct MHD_Daemon *d;
	unsigned header_ms;
	unsigned long max_body;
	atomic_bool draining;
	/* The store's token keys: read by every request, replaced on SIGHUP
	 * or when a token does not verify (a key rotated meanwhile). */
	pthread_rwlock_t keys_lock;
	struct token_keyring *keys;
	_Atomic time_t keys_loaded;
	/* Each worker thread's store, closed at the end. */
	pthread_mutex_t stores_lock;
	char url[APP_STORE_URL_MAX];     /* app_store_url(cfg->store_url) */
	struct runner *runner;           /* campaigns run here (app/runner.h) */
	struct webhook_sender *webhooks; /* app/webhook.h, or NULL: none */
	char open_err[512];              /* why the last store open failed */
	int open_rc;                     /* ... and its code */
	bool up; /* past the start: failures are logged */
	struct store *stores[STORES_MAX];
	size_t nstores;
	/* Open connections, for the watchdog. */
	pthread_mutex_t conns_lock;
	struct conn_track conns; /* list head */
	/* The group commit: POSTs waiting for the writer thread. */
	pthread_mutex_t wq_lock;
	pthread_cond_t wq_cond;
	struct req *wq_head, *wq_tail;
	bool wq_stop;
	/* Tokens done lately (above). */
	pthread_mutex_t done_lock;
	struct done_slot *done;
	/* Shared, never-changing responses. */
	struct MHD_Response *r_404, *r_health, *r_drain, *r_unsub, *r_confirm;
};

static struct srv srv;
static __thread struct store *t_store;

/* Milliseconds of the monotonic clock. */
static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The slot of tok in the table of tokens done. */
static struct done_slot *
done_slot(const char *tok)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *tok; tok++)
		h = (h ^ (unsigned char)*tok) * 16777619u;
	return &srv.done[h & (DONE_SLOTS - 1)];
}

/* Was tok unsubscribed in the last DONE_TTL seconds? */
static bool
done_has(const char *tok)
{
	struct done_slot *d = done_slot(tok);
	bool hit;

	pthread_mutex_lock(&srv.done_lock);
	hit = strcmp(d->tok, tok) == 0 && time(NULL) - d->at < DONE_TTL;
	pthread_mutex_unlock(&srv.done_lock);
	return hit;
}

/* Remember tok as unsubscribed now. */
static void
done_put(const char *tok)
{
	struct done_slot *d = done_slot(tok);

	pthread_mutex_lock(&srv.done_lock);
	mc_strlcpy(d->tok, tok, sizeof(d->tok));
	d->at = time(NULL);
	pthread_mutex_unlock(&srv.done_lock);
}

/* Forget tok (resubscribed: a new POST must act again). */
static void
done_forget(const char *tok)
{
	struct done_slot *d = done_slot(tok);

	pthread_mutex_lock(&srv.done_lock);
	if (strcmp(d->tok, tok) == 0)
		d->tok[0] = '\0';
	pthread_mutex_unlock(&srv.done_lock);
}

/* This thread's store, opened on first use; NULL after logging why. */
struct store *
http_store(void)
{
	char err[512] = "too many threads";
	int rc = MC_ELIMIT;

	if (t_store != NULL)
		return t_store;
	pthread_mutex_lock(&srv.stores_lock);
	if (srv.nstores < STORES_MAX &&
	    (rc = app_store_open(srv.url, STORE_WRITE, &t_store, err,
	                         sizeof(err))) == 0)
		srv.stores[srv.nstores++] = t_store;
	else if (t_store == NULL) {
		/* (at the start serve_run says it, once) */
		if (srv.up)
			log_error("serve: store: %s", err);
		mc_strlcpy(srv.open_err, err, sizeof(srv.open_err));
		srv.open_rc = rc;
	}
	pthread_mutex_unlock(&srv.stores_lock);
	return t_store;
}

/* The campaign runner of this server. */
struct runner *
http_runner(void)
{
	return srv.runner;
}

/* Whether this server speaks TLS. */
bool
http_tls(void)
{
	return srv.cfg != NULL && srv.cfg->tls_cert_file != NULL;
}

/* (Re)load the token keys from s; keeps the old ring on failure. */
static int
keys_reload(struct store *s)
{
	struct token_keyring *ring = xcalloc(1, sizeof(*ring)), *old;
	char err[400];

	if (token_keys_load(s, true, ring, err, sizeof(err)) < 0) {
		log_error("serve: token keys: %s", err);
		free(ring);
		return MC_EIO;
	}
	pthread_rwlock_wrlock(&srv.keys_lock);
	old = srv.keys;
	srv.keys = ring;
	srv.keys_loaded = time(NULL);
	pthread_rwlock_unlock(&srv.keys_lock);
	if (old != NULL) {
		token_keyring_wipe(old);
		free(old);
	}
	return 0;
}

/* The client's address: the peer, or the last X-Forwarded-For entry when
 * the peer is a trusted proxy. */
void
http_client_addr(struct MHD_Connection *c, char *out, size_t outsz)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	const char *xff, *last;
	char peer[INET6_ADDRSTRLEN] = "?";

	if (sa != NULL && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		          peer, sizeof(peer));
	else if (sa != NULL && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		          &((const struct sockaddr_in6 *)sa)->sin6_addr, peer,
		          sizeof(peer));
	mc_strlcpy(out, peer, outsz);
	for (size_t i = 0; i < srv.cfg->ntrusted; i++) {
		if (strcmp(srv.cfg->trusted[i], peer) != 0)
			continue;
		xff = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		                                  "X-Forwarded-For");
		if (xff == NULL)
			return;
		last = strrchr(xff, ',');
		last = last ? last + 1 : xff;
		while (*last == ' ')
			last++;
		size_t n = strcspn(last, " ");
		char cand[INET6_ADDRSTRLEN + 1];
		unsigned char bin[sizeof(struct in6_addr)];

		/* believed only when it is an address: it reaches the
		 * suppression list's source, the events and the log */
		snprintf(cand, sizeof(cand), "%.*s",
		         (int)(n <= INET6_ADDRSTRLEN ? n : 0), last);
		if (n > 0 && n < outsz &&
		    (inet_pton(AF_INET, cand, bin) == 1 ||
		     inet_pton(AF_INET6, cand, bin) == 1))
			mc_strlcpy(out, cand, outsz);
		return;
	}
}

/* A response from a copy of text, with the headers every page has. */
struct MHD_Response *
http_page(const char *type, const char *text, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    len, (void *)text, MHD_RESPMEM_MUST_COPY);

	if (r == NULL)
		return NULL;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	/* The token is in the URL: never send it on as a Referer. */
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(
	    r, "Content-Security-Policy",
	    "default-src 'none'; style-src 'unsafe-inline'; "
	    "form-action 'self'; frame-ancestors 'none'");
	return r;
}

/* Queue r with status (and drop our reference). */
enum MHD_Result
http_answer(struct MHD_Connection *c, unsigned status, struct MHD_Response *r)
{
	enum MHD_Result ok;

	if (r == NULL)
		return MHD_NO;
	if (srv.draining)
		MHD_add_response_header(r, "Connection", "close");
	ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

/* Queue one of the shared responses. */
static enum MHD_Result
answer_shared(struct MHD_Connection *c, unsigned status, struct MHD_Response *r)
{
	return MHD_queue_response(c, status, r);
}

/* An HTML page (pages.h), copied into its response. */
enum MHD_Result
http_answer_html(struct MHD_Connection *c, unsigned status, const char *html)
{
	return http_answer(
	    c, status,
	    http_page("text/html; charset=utf-8", html, strlen(html)));
}

/* 503: the store is busy or broken; a mailbox provider retries. */
enum MHD_Result
http_answer_busy(struct MHD_Connection *c)
{
	struct MHD_Response *r =
	    http_page("text/plain; charset=utf-8", "busy, try again\n", 16);

	if (r != NULL)
		MHD_add_response_header(r, "Retry-After", "5");
	return http_answer(c, 503, r);
}

/* A JSON body; takes v's reference. */
enum MHD_Result
http_answer_json(struct MHD_Connection *c, unsigned status, json_t *v)
{
	char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
	struct MHD_Response *r;

	json_decref(v);
	if (text == NULL)
		return http_answer_busy(c);
	r = http_page("application/json", text, strlen(text));
	free(text);
	return http_answer(c, status, r);
}

/* The one 404. */
enum MHD_Result
http_not_found(struct MHD_Connection *c)
{
	return answer_shared(c, 404, srv.r_404);
}

/* The server's configuration. */
const struct serve_config *
http_config(void)
{
	return srv.cfg;
}

/* Whether the drain has begun. */
bool
http_draining(void)
{
	return srv.draining;
}

/* The key ring, read-locked. */
const struct token_keyring *
http_keys_acquire(void)
{
	pthread_rwlock_rdlock(&srv.keys_lock);
	return srv.keys;
}

/* Drop the read lock of http_keys_acquire(). */
void
http_keys_release(void)
{
	pthread_rwlock_unlock(&srv.keys_lock);
}

/* Reload the keys, at most once a second. */
int
http_keys_refresh(struct store *s)
{
	if (time(NULL) - srv.keys_loaded < RELOAD_MIN_S)
		return MC_EAGAIN;
	return keys_reload(s);
}

/* The value of one hex digit, or -1. */
static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* A field of a form-urlencoded body, decoded. */
bool
http_form_get(const char *b, size_t n, const char *name, char *out,
              size_t outsz)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < n;) {
		size_t e = i, o = 0;

		while (e < n && b[e] != '&')
			e++;
		if (e - i > nl && b[i + nl] == '=' &&
		    memcmp(b + i, name, nl) == 0) {
			for (size_t k = i + nl + 1; k < e; k++) {
				int ch = (unsigned char)b[k], hi, lo;

				if (ch == '+')
					ch = ' ';
				else if (ch == '%') {
					if (k + 2 >= e)
						return false;
					hi = hexval(b[k + 1]);
					lo = hexval(b[k + 2]);
					if (hi < 0 || lo < 0)
						return false;
					ch = hi * 16 + lo;
					k += 2;
				}
				if (ch == 0 || o + 1 >= outsz)
					return false;
				out[o++] = (char)ch;
			}
			out[o] = '\0';
			return true;
		}
		i = e + 1;
	}
	return false;
}

/* Whether a form-urlencoded body b[0..n) holds the exact pair. */
bool
http_form_has(const char *b, size_t n, const char *pair)
{
	size_t pl = strlen(pair);

	for (size_t i = 0; i < n;) {
		size_t e = i;

		while (e < n && b[e] != '&')
			e++;
		if (e - i == pl && memcmp(b + i, pair, pl) == 0)
			return true;
		i = e + 1;
	}
	return false;
}

/* A browser's form from another site (CSRF): its Origin is not this
 * server's own (scheme and Host), or Sec-Fetch-Site says cross-site.
 * A client that sends neither is not a browser's form. */
bool
http_cross_site(struct MHD_Connection *c)
{
	const char *o =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
	const char *sfs =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-Fetch-Site");
	const char *host;

	if (sfs != NULL && strcmp(sfs, "same-origin") != 0 &&
	    strcmp(sfs, "none") != 0)
		return true;
	if (o == NULL)
		return false;
	if (h == NULL)
		return true;
	host = strncmp(o, "https://", 8) == 0  ? o + 8
	       : strncmp(o, "http://", 7) == 0 ? o + 7
	                                       : NULL;
	return host == NULL || strcmp(host, h) != 0;
}

/* Whether body (form-urlencoded or multipart/form-data) carries the pair
 * List-Unsubscribe=One-Click (RFC 8058 section 3.1). */
static bool
one_click_body(const char *type, const char *b, size_t n)
{
	char v[16];

	if (type != NULL && mc_istarts(type, strlen(type), "multipart/")) {
		static const char nm[] = "name=\"List-Unsubscribe\"";
		const char *p = memmem(b, n, nm, sizeof(nm) - 1), *w;

		if (p == NULL)
			return false;
		w = memmem(p, n - (size_t)(p - b), "\r\n\r\n", 4);
		if (w == NULL)
			return false;
		w += 4;
		return (size_t)(b + n - w) >= 9 &&
		       memcmp(w, "One-Click", 9) == 0 &&
		       (b + n - w == 9 || w[9] == '\r');
	}
	/* application/x-www-form-urlencoded (also what a client that names
	 * no type sends): the pair among &-separated pairs, its value
	 * percent-decoded, a line end after it forgiven. */
	while (n > 0 && (b[n - 1] == '\n' || b[n - 1] == '\r'))
		n--;
	if (!http_form_get(b, n, "List-Unsubscribe", v, sizeof(v)))
		return false;
	return strcmp(v, "One-Click") == 0;
}

/* The preferences page's resubscribe button (a browser's form: CSRF
 * checked). */
static enum MHD_Result
route_resubscribe(struct MHD_Connection *c, struct store *s, const char *tok,
                  const char *ip)
{
	struct unsub_result r;
	char err[400], src[96];
	int rc;

	if (http_cross_site(c))
		return http_answer_html(c, 403, PAGE_FORBIDDEN);
	snprintf(src, sizeof(src), "web %s", ip);
	pthread_rwlock_rdlock(&srv.keys_lock);
	rc = unsub_resubscribe(s, srv.keys, tok, src, time(NULL), &r, err,
	                       sizeof(err));
	pthread_rwlock_unlock(&srv.keys_lock);
	if (rc == MC_ENOTFOUND)
		return answer_shared(c, 404, srv.r_404);
	if (rc == MC_EINVAL)
		return http_answer_html(c, 409, PAGE_NO_RESUBSCRIBE);
	if (rc < 0) {
		log_warn("serve: resubscribe: %s", err);
		return http_answer_busy(c);
	}
	done_forget(tok);
	if (r.changed)
		log_info("serve: %s: resubscribed %s", src, r.address);
	return http_answer_html(c, 200, PAGE_RESUBSCRIBED);
}

/* GET or POST /unsubscribe/TOKEN. */
enum MHD_Result
route_unsubscribe(struct http_call *hc)
{
	struct MHD_Connection *c = hc->c;
	const char *method = hc->method, *ip = hc->ip;
	const char *tok = unsub_path_token(hc->url);
	struct req *q = hc->q;
	struct store *s = http_store();
	struct unsub_result r;
	char err[400];
	bool post = hc->post;
	int rc;

	if (tok == NULL)
		return http_not_found(c);
	if (s == NULL)
		return http_answer_busy(c);
	if (post && http_form_has(hc->body, hc->len, "resubscribe=1"))
		return route_resubscribe(c, s, tok, ip);
	if (post && !one_click_body(MHD_lookup_connection_value(
	                                c, MHD_HEADER_KIND, "Content-Type"),
	                            hc->body, hc->len)) {
		/* Checked first: a wrong body says nothing about the token. */
		return http_answer_html(c, 400, PAGE_BAD_POST);
	}
	if (post && done_has(tok))
		return answer_shared(c, 200, srv.r_unsub);
	for (int pass = 0; pass < 2; pass++) {
		pthread_rwlock_rdlock(&srv.keys_lock);
		rc = unsub_lookup(s, srv.keys, tok, &r, err, sizeof(err));
		pthread_rwlock_unlock(&srv.keys_lock);
		/* A token no key verifies: maybe a key was rotated since we
		 * loaded them; reload, at most once a second. */
		if (rc != MC_ENOTFOUND || pass > 0 ||
		    time(NULL) - srv.keys_loaded < RELOAD_MIN_S ||
		    keys_reload(s) < 0)
			break;
	}
	if (rc == MC_ENOTFOUND)
		return answer_shared(c, 404, srv.r_404);
	if (rc < 0) {
		log_warn("serve: %s %s: %s", method, UNSUB_PATH "...", err);
		return http_answer_busy(c);
	}
	if (post && !r.already) {
		/* To the writer thread; the answer once it has committed. */
		q->ur = r;
		mc_strlcpy(q->tok, tok, sizeof(q->tok));
		snprintf(q->src, sizeof(q->src), "one-click %s", ip);
		q->conn = c;
		q->queued = true;
		MHD_suspend_connection(c);
		pthread_mutex_lock(&srv.wq_lock);
		if (srv.wq_tail)
			srv.wq_tail->wnext = q;
		else
			srv.wq_head = q;
		srv.wq_tail = q;
		pthread_cond_signal(&srv.wq_cond);
		pthread_mutex_unlock(&srv.wq_lock);
		return MHD_YES;
	}
	if (post || r.already) {
		if (r.already)
			done_put(tok);
		return answer_shared(c, 200, srv.r_unsub);
	}
	return answer_shared(c, 200, srv.r_confirm);
}

/* /healthz: 200 while the store answers a read, 503 when it does not or
 * while draining. */
enum MHD_Result
route_health(struct http_call *hc)
{
	struct MHD_Connection *c = hc->c;
	struct store *s = http_store();
	struct store_suppression hit;
	int rc;

	if (srv.draining)
		return answer_shared(c, 503, srv.r_drain);
	rc = s ? store_supp_check(s, "healthz@healthz.invalid", &hit) : MC_EIO;
	if (rc < 0 && rc != MC_ENOTFOUND) {
		log_warn("serve: healthz: %s", s ? store_error(s) : "no store");
		return http_answer_busy(c);
	}
	return answer_shared(c, 200, srv.r_health);
}

/* Whether method is one of allow's ("GET, HEAD, POST"). */
static bool
method_allowed(const char *allow, const char *method)
{
	size_t ml = strlen(method);

	for (const char *p = allow; *p;) {
		size_t n = strcspn(p, ", ");

		if (n == ml && memcmp(p, method, n) == 0)
			return true;
		p += n;
		p += strspn(p, ", ");
	}
	return false;
}

/* Route one complete request through the table (routes.c). */
static enum MHD_Result
route(struct MHD_Connection *c, const char *url, const char *method,
      struct req *q)
{
	struct http_call hc = {
	    .c = c,
	    .url = url,
	    .method = method,
	    .get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0,
	    .post = strcmp(method, "POST") == 0,
	    .body = q->body ? q->body : "",
	    .len = q->len,
	    .q = q,
	};
	struct MHD_Response *r;

	http_client_addr(c, hc.ip, sizeof(hc.ip));
	log_debug("serve: %s %s %.*s", hc.ip, method,
	          (int)strcspn(url + (url[0] == '/'), "/") + 1, url);
	for (size_t i = 0; i < http_nroutes; i++) {
		const struct http_route *rt = &http_routes[i];
		size_t pl = strlen(rt->path);

		if (rt->prefix ? strncmp(url, rt->path, pl) != 0
		               : strcmp(url, rt->path) != 0)
			continue;
		hc.rest = url + pl;
		if (method_allowed(rt->allow, method))
			return rt->fn(&hc);
		r = http_page("text/plain; charset=utf-8",
		              "method not allowed\n", 19);
		if (r != NULL)
			MHD_add_response_header(r, "Allow", rt->allow);
		return http_answer(c, 405, r);
	}
	return http_not_found(c);
}

/* 413: HTML, or the REST API's JSON error under /api/. */
static enum MHD_Result
answer_too_big(struct MHD_Connection *c, const char *url)
{
	static const char j[] = "{\"error\":{\"code\":\"too_large\","
	                        "\"message\":\"the body is over the limit "
	                        "(--max-body)\"}}";

	if (strncmp(url, "/api/", 5) == 0)
		return http_answer(
		    c, 413, http_page("application/json", j, sizeof(j) - 1));
	return http_answer_html(c, 413, PAGE_TOO_BIG);
}

/* libmicrohttpd's request callback: headers, then the body in pieces,
 * then a last call with none. */
static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
           const char *method, const char *version, const char *data,
           size_t *data_size, void **ctx)
{
	struct req *q = *ctx;
	const union MHD_ConnectionInfo *ci;
	struct conn_track *t;
	const char *cl;

	(void)cls;
	(void)version;
	if (q == NULL) {
		q = *ctx = xcalloc(1, sizeof(*q));
		ci = MHD_get_connection_info(
		    c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		t = ci ? ci->socket_context : NULL;
		/* The head is in: the body gets its own deadline. */
		if (t != NULL) {
			t->deadline_ms = mono_ms() + srv.header_ms;
			t->busy = true;
		}
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		                                 "Content-Length");
		if (cl != NULL && strtoull(cl, NULL, 10) > srv.max_body) {
			/* Refused before a byte of the body is read; the
			 * connection closes after the answer. */
			q->too_big = q->started = true;
			return answer_too_big(c, url);
		}
		return MHD_YES;
	}
	if (*data_size > 0) {
		if (!q->too_big && q->len + *data_size <= srv.max_body) {
			q->body = xrealloc(q->body, q->len + *data_size + 1);
			memcpy(q->body + q->len, data, *data_size);
			q->len += *data_size;
			q->body[q->len] = '\0';
		} else {
			/* A chunked body past the limit: the rest is read
			 * and dropped (within the body's deadline), then
			 * 413; libmicrohttpd takes no answer mid-upload. */
			q->too_big = true;
			free(q->body);
			q->body = NULL;
			q->len = 0;
		}
		*data_size = 0;
		return MHD_YES;
	}
	if (q->queued) {
		/* Resumed by the writer: its verdict. */
		if (q->wdone == 0)
			return MHD_YES;
		q->queued = false;
		return q->wdone > 0 ? answer_shared(c, 200, srv.r_unsub)
		                    : http_answer_busy(c);
	}
	if (q->started)
		return MHD_YES;
	q->started = true;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if ((t = ci ? ci->socket_context : NULL) != NULL)
		t->deadline_ms = 0;
	if (q->too_big)
		return answer_too_big(c, url);
	return route(c, url, method, q);
}

/* A request is done (answered or cut): free it, and start the next
 * request's header deadline. */
static void
on_completed(void *cls, struct MHD_Connection *c, void **ctx,
             enum MHD_RequestTerminationCode why)
{
	struct req *q = *ctx;
	const union MHD_ConnectionInfo *ci;
	struct conn_track *t;

	(void)cls;
	(void)why;
	if (q != NULL) {
		free(q->body);
		free(q);
		*ctx = NULL;
	}
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if ((t = ci ? ci->socket_context : NULL) != NULL) {
		t->deadline_ms = mono_ms() + srv.header_ms;
		t->busy = false;
	}
}

/* Connections come and go: keep the watchdog's list. */
static void
on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
              enum MHD_ConnectionNotificationCode code)
{
	struct conn_track *t;
	const union MHD_ConnectionInfo *ci;

	(void)cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(c,
		                             MHD_CONNECTION_INFO_CONNECTION_FD);
		t = xcalloc(1, sizeof(*t));
		t->fd = ci ? ci->connect_fd : -1;
		t->deadline_ms = mono_ms() + srv.header_ms;
		pthread_mutex_lock(&srv.conns_lock);
		t->next = srv.conns.next;
		t->prev = &srv.conns;
		srv.conns.next->prev = t;
		srv.conns.next = t;
		pthread_mutex_unlock(&srv.conns_lock);
		*socket_ctx = t;
		return;
	}
	/* Closed: libmicrohttpd closes the descriptor after this returns,
	 * so under the lock the watchdog never touches a reused one. */
	if ((t = *socket_ctx) == NULL)
		return;
	pthread_mutex_lock(&srv.conns_lock);
	t->prev->next = t->next;
	t->next->prev = t->prev;
	pthread_mutex_unlock(&srv.conns_lock);
	free(t);
	*socket_ctx = NULL;
}

/* Cut connections past their deadline, and when draining every one
 * without a request in progress; how many remain open. */
static size_t
watchdog_pass(void)
{
	int64_t now = mono_ms();
	size_t n = 0;

	pthread_mutex_lock(&srv.conns_lock);
	for (struct conn_track *t = srv.conns.next; t != &srv.conns;
	     t = t->next) {
		int64_t dl = t->deadline_ms;

		n++;
		if (t->fd >= 0 && dl != INT64_MAX &&
		    ((dl != 0 && dl <= now) || (srv.draining && !t->busy))) {
			shutdown(t->fd, SHUT_RDWR);
			t->deadline_ms = INT64_MAX; /* once */
		}
	}
	pthread_mutex_unlock(&srv.conns_lock);
	return n;
}

/* The watchdog thread: a pass every 250 ms until told to stop. */
static atomic_bool watchdog_stop;

/* Thread body of the watchdog. */
static void *
watchdog(void *arg)
{
	(void)arg;
	while (!watchdog_stop) {
		struct timespec ts = {0, 250 * 1000000L};

		watchdog_pass();
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* Commit one batch and wake its connections. */
static void
writer_batch(struct store *s, struct req **b, size_t n)
{
	static struct unsub_result rs[BATCH_MAX];
	static const char *src[BATCH_MAX];
	char err[400];
	int rc;

	for (size_t i = 0; i < n; i++) {
		rs[i] = b[i]->ur;
		src[i] = b[i]->src;
	}
	rc = s ? unsub_apply_many(s, rs, src, n, time(NULL), err, sizeof(err))
	       : MC_EIO;
	if (rc < 0)
		log_warn("serve: %zu unsubscribes: %s", n,
		         s ? err : "no store");
	for (size_t i = 0; i < n; i++) {
		if (rc == 0 && rs[i].changed)
			log_info("serve: %s: unsubscribed %s (campaign %lld)",
			         b[i]->src, rs[i].address,
			         (long long)rs[i].campaign_id);
		if (rc == 0)
			done_put(b[i]->tok);
		b[i]->wdone = rc == 0 ? 1 : -1;
		MHD_resume_connection(b[i]->conn);
	}
}

/* The writer thread: whatever POSTs are waiting, one transaction. */
static void *
writer(void *arg)
{
	static struct req *b[BATCH_MAX];
	struct store *s = http_store();

	(void)arg;
	for (;;) {
		size_t n = 0;

		pthread_mutex_lock(&srv.wq_lock);
		while (srv.wq_head == NULL && !srv.wq_stop)
			pthread_cond_wait(&srv.wq_cond, &srv.wq_lock);
		while (srv.wq_head != NULL && n < BATCH_MAX) {
			b[n++] = srv.wq_head;
			srv.wq_head = srv.wq_head->wnext;
			b[n - 1]->wnext = NULL;
		}
		if (srv.wq_head == NULL)
			srv.wq_tail = NULL;
		bool stop = srv.wq_stop && n == 0;
		pthread_mutex_unlock(&srv.wq_lock);
		if (stop)
			return NULL;
		writer_batch(s, b, n);
	}
}

/* libmicrohttpd's own messages, into our log. */
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	log_info("serve: http: %s", line);
}

/* "HOST:PORT" / "[V6]:PORT" into ss. */
static int
parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len,
             char *err, size_t errsz)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	unsigned long long port;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (colon == NULL || colon == s ||
	    !mc_parse_uint(colon + 1, strlen(colon + 1), 65535, &port) ||
	    port == 0)
		return mc_fail(MC_ECONFIG, err, errsz,
		               "--listen %s: expected HOST:PORT (port 1-65535)",
		               s);
	hl = (size_t)(colon - s);
	if (s[0] == '[' && hl >= 2 && s[hl - 1] == ']')
		s++, hl -= 2;
	if (hl >= sizeof(host))
		return mc_fail(MC_ECONFIG, err, errsz, "--listen: bad host");
	memcpy(host, s, hl);
	host[hl] = '\0';
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		*len = sizeof(*v4);
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*v6);
	} else {
		return mc_fail(MC_ECONFIG, err, errsz,
		               "--listen %s: the host must be an IP address",
		               s);
	}
	return 0;
}

/* SIGHUP: mailcast.conf read again (what the routes and the runner read
 * from now on) and the token keys reloaded. */
static void
reload(void)
{
	char err[600];
	struct store *s = http_store();

	if (srv.cfg->config_path != NULL) {
		if (app_conf_load(srv.cfg->config_path, err, sizeof(err)) < 0) {
			log_error("serve: reload: %s (the old configuration "
			          "stays)",
			          err);
			return;
		}
		if (srv.webhooks != NULL &&
		    webhook_sender_reload(srv.webhooks, app_conf(), err,
		                          sizeof(err)) < 0)
			log_error("serve: reload: %s", err);
		else if (srv.webhooks == NULL &&
		         webhook_sender_start(srv.url, app_conf(),
		                              &srv.webhooks, err,
		                              sizeof(err)) < 0)
			log_error("serve: reload: %s", err);
	}
	if (s != NULL && keys_reload(s) == 0)
		log_warn("serve: reloaded%s%s and the token keys",
		         srv.cfg->config_path ? " " : "",
		         srv.cfg->config_path ? srv.cfg->config_path : "");
}

/* Make the shared responses. */
static int
responses_make(void)
{
	srv.r_404 = http_page("text/html; charset=utf-8", PAGE_NOT_FOUND,
	                      strlen(PAGE_NOT_FOUND));
	srv.r_health = http_page("text/plain; charset=utf-8", "ok\n", 3);
	srv.r_drain = http_page("text/plain; charset=utf-8", "draining\n", 9);
	srv.r_unsub = http_page("text/html; charset=utf-8", PAGE_UNSUBSCRIBED,
	                        strlen(PAGE_UNSUBSCRIBED));
	srv.r_confirm = http_page("text/html; charset=utf-8", PAGE_CONFIRM,
	                          strlen(PAGE_CONFIRM));
	return srv.r_404 && srv.r_health && srv.r_drain && srv.r_unsub &&
	               srv.r_confirm
	           ? 0
	           : MC_ENOMEM;
}

/* Free the shared responses. */
static void
responses_free(void)
{
	if (srv.r_404)
		MHD_destroy_response(srv.r_404);
	if (srv.r_health)
		MHD_destroy_response(srv.r_health);
	if (srv.r_drain)
		MHD_destroy_response(srv.r_drain);
	if (srv.r_unsub)
		MHD_destroy_response(srv.r_unsub);
	if (srv.r_confirm)
		MHD_destroy_response(srv.r_confirm);
}

/* Start the daemon on the configured address. */
static int
daemon_start(const struct serve_config *cfg, char *err, size_t errsz)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	                 MHD_USE_ITC | MHD_USE_ERROR_LOG |
	                 MHD_ALLOW_SUSPEND_RESUME;
	char *cert = NULL, *key = NULL;
	int per_ip = cfg->max_conns_per_ip;
	int rc;

	if ((rc = parse_listen(cfg->listen ? cfg->listen : SERVE_DEFAULT_LISTEN,
	                       &ss, &sl, err, errsz)) < 0)
		return rc;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* A proxy is matched by the peer's address as text: anything but
	 * an address in that form would never match, and every client would
	 * then look like the proxy (one per-address signup limit for all). */
	for (size_t i = 0; i < cfg->ntrusted; i++) {
		unsigned char bin[sizeof(struct in6_addr)];
		char canon[INET6_ADDRSTRLEN] = "";
		int af = strchr(cfg->trusted[i], ':') ? AF_INET6 : AF_INET;

		if (inet_pton(af, cfg->trusted[i], bin) == 1)
			inet_ntop(af, bin, canon, sizeof(canon));
		if (strcmp(canon, cfg->trusted[i]) != 0)
			return mc_fail(MC_ECONFIG, err, errsz,
			               "--trusted-proxy %.100s: expected an IP "
			               "address%s%s",
			               cfg->trusted[i],
			               canon[0] ? ", written " : "", canon);
	}
	if ((cfg->tls_cert_file == NULL) != (cfg->tls_key_file == NULL))
		return mc_fail(MC_ECONFIG, err, errsz,
		               "--tls-cert and --tls-key go together");
	if (cfg->tls_cert_file != NULL) {
		size_t n;

		if (!MHD_is_feature_supported(MHD_FEATURE_TLS))
			return mc_fail(MC_ECONFIG, err, errsz,
			               "this libmicrohttpd has no TLS");
		if (app_read_file(cfg->tls_cert_file, 1 << 20,
		                  (unsigned char **)&cert, &n, err,
		                  errsz) < 0 ||
		    app_read_file(cfg->tls_key_file, 1 << 20,
		                  (unsigned char **)&key, &n, err, errsz) < 0) {
			free(cert);
			return MC_ECONFIG;
		}
		flags |= MHD_USE_TLS;
	}
	if (per_ip < 0)
		per_ip = cfg->ntrusted > 0 ? 0 : 32;
	srv.d = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
	    (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE,
	    (unsigned)(cfg->threads ? cfg->threads : 2),
	    MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned)(cfg->max_conns ? cfg->max_conns : 4096),
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)per_ip,
	    /* libmicrohttpd's own idle timeout: a backstop to ours. */
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(srv.header_ms / 1000 + 5),
	    /* Also the bound of a request head (431 past it); the pool is
	     * cleared between requests, so no larger than needed. */
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
	    /* RFC 7230 to the letter: no Host, bare LF, spaces before a
	     * colon are 400s, not guesses. */
	    MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_NOTIFY_COMPLETED,
	    on_completed, NULL, MHD_OPTION_NOTIFY_CONNECTION, on_connection,
	    NULL, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
	    MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END);
	if (key != NULL) {
		explicit_bzero(key, strlen(key));
		free(key);
	}
	free(cert);
	if (srv.d == NULL)
		return mc_fail(MC_EIO, err, errsz,
		               "cannot listen on %s (in use? not an address "
		               "of this host? a bad TLS key?)",
		               cfg->listen ? cfg->listen
		                           : SERVE_DEFAULT_LISTEN);
	return 0;
}

/* SIGTERM: stop accepting, let requests in progress finish, close idle
 * connections, at most drain_secs. */
static void
drain(const struct serve_config *cfg)
{
	int64_t until =
	    mono_ms() + 1000 * (cfg->drain_secs ? cfg->drain_secs : 10);
	MHD_socket ls;

	srv.draining = true;
	ls = MHD_quiesce_daemon(srv.d);
	if (ls != MHD_INVALID_SOCKET)
		close(ls);
	while (watchdog_pass() > 0 && mono_ms() < until) {
		struct timespec ts = {0, 20 * 1000000L};

		nanosleep(&ts, NULL);
	}
}

/* Run the server until SIGTERM/SIGINT. */
int
serve_run(const struct serve_config *cfg, char *err, size_t errsz)
{
	sigset_t set;
	pthread_t wd, wr;
	int sig, rc;

	memset(&srv, 0, sizeof(srv));
	srv.cfg = cfg;
	/* SQLite frees and refills a connection's page cache whenever
	 * another process (a campaign) wrote the store; glibc would hand
	 * that memory back each time (madvise, a TLB flush on every CPU) and
	 * fault it in again: a third of serve's CPU beside a campaign.  Keep
	 * it (RSS stays bounded by the caches' own limits). */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_MMAP_THRESHOLD, 4 << 20);
	srv.header_ms = 1000 * (cfg->header_timeout ? cfg->header_timeout : 10);
	srv.max_body = cfg->max_body ? cfg->max_body : 65536;
	srv.conns.next = srv.conns.prev = &srv.conns;
	pthread_rwlock_init(&srv.keys_lock, NULL);
	pthread_mutex_init(&srv.stores_lock, NULL);
	pthread_mutex_init(&srv.conns_lock, NULL);
	pthread_mutex_init(&srv.wq_lock, NULL);
	pthread_mutex_init(&srv.done_lock, NULL);
	srv.done = xcalloc(DONE_SLOTS, sizeof(*srv.done));
	pthread_cond_init(&srv.wq_cond, NULL);
	watchdog_stop = false;

	/* The main thread takes the signals; every other thread blocks
	 * them (they inherit this mask). */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((rc = app_store_url(cfg->store_url, srv.url, sizeof(srv.url), err,
	                        errsz)) < 0)
		goto out;
	if (http_store() == NULL) {
		/* its own code: a missing store is "no input" (66), as for
		 * every other command */
		rc = mc_fail(srv.open_rc < 0 ? srv.open_rc : MC_EIO, err, errsz,
		             "cannot open the store: %s", srv.open_err);
		goto out;
	}
	srv.up = true;
	if ((rc = keys_reload(t_store)) < 0) {
		mc_fail(rc, err, errsz, "cannot load the token keys");
		goto out;
	}
	srv.runner = runner_new(srv.url);
	if ((rc = runner_boot(srv.runner, err, errsz)) < 0 ||
	    (rc = webhook_sender_start(srv.url, app_conf(), &srv.webhooks, err,
	                               errsz)) < 0)
		goto out;
	if ((rc = responses_make()) < 0 ||
	    (rc = daemon_start(cfg, err, errsz)) < 0)
		goto out;
	pthread_create(&wd, NULL, watchdog, NULL);
	pthread_create(&wr, NULL, writer, NULL);
	char *shown = store_url_redact(srv.url);

	log_warn("serve: listening on %s%s (store %s)",
	         cfg->listen ? cfg->listen : SERVE_DEFAULT_LISTEN,
	         cfg->tls_cert_file ? " with TLS" : "", shown);
	free(shown);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			reload();
			continue;
		}
		break;
	}
	log_warn("serve: %s: draining", sig == SIGINT ? "SIGINT" : "SIGTERM");
	drain(cfg);
	/* The writer commits what waits, then ends; then the daemon. */
	pthread_mutex_lock(&srv.wq_lock);
	srv.wq_stop = true;
	pthread_cond_signal(&srv.wq_cond);
	pthread_mutex_unlock(&srv.wq_lock);
	pthread_join(wr, NULL);
	watchdog_stop = true;
	pthread_join(wd, NULL);
	MHD_stop_daemon(srv.d);
	/* campaigns running here pause cleanly (rows in flight settled) */
	runner_free(srv.runner);
	srv.runner = NULL;
	log_warn("serve: stopped");
	rc = 0;
out:
	webhook_sender_stop(srv.webhooks);
	srv.webhooks = NULL;
	runner_free(srv.runner);
	srv.runner = NULL;
	responses_free();
	for (size_t i = 0; i < srv.nstores; i++)
		store_close(srv.stores[i]);
	t_store = NULL;
	if (srv.keys != NULL) {
		token_keyring_wipe(srv.keys);
		free(srv.keys);
	}
	pthread_rwlock_destroy(&srv.keys_lock);
	free(srv.done);
	return rc;
}
