/*
 * dash.c — the dashboard's door (dash.h): the route under /dash/, the
 * login and logout, session cookies and CSRF checks, the shared layout,
 * the static files, and the live event stream of a campaign (SSE on a
 * suspended connection a ticker thread wakes once a second: no worker
 * thread waits for the next sample).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/campaign.h"
#include "app/chart.h"
#include "app/runner.h"
#include "app/user.h"
#include "base/error.h"
#include "base/log.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "http/dash.h"

#define DASH_COOKIE "mc_session"
#define DASH_CSP                                                               \
	"default-src 'none'; script-src 'self'; style-src 'self'; "            \
	"img-src 'self'; connect-src 'self'; form-action 'self'; "             \
	"frame-ancestors 'none'; base-uri 'none'"
#define SSE_EVENTS_MAX 900 /* per stream (then the browser reconnects) */
#define SSE_HIST_SHOWN 300 /* points of the live chart */

/* Escape text. */
void
dash_esc(struct buf *b, const char *s)
{
	chart_escape(b, s);
}

/* A time for the browser to show in its zone (UTC without script). */
void
dash_time(struct buf *b, long long t)
{
	char iso[32];
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0) {
		buf_puts(b, "—");
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_printf(b, "<time datetime=\"%s\">%s</time>", iso, iso);
}

/* A grouped number. */
void
dash_num(struct buf *b, unsigned long long n)
{
	char g[32];

	chart_group(n, g, sizeof(g));
	buf_puts(b, g);
}

/* The top of every page. */
void
dash_head(struct buf *b, const struct dash_req *d, const char *title,
          const char *current)
{
	static const char *const nav[][2] = {
	    {"campaigns", "Campaigns"},       {"contacts", "Contacts"},
	    {"suppressions", "Suppressions"}, {"lists", "Lists"},
	    {"mailboxes", "Mailboxes"},       {"settings", "Settings"},
	};

	buf_puts(b, "<!doctype html><html lang=\"en\"><head>"
	            "<meta charset=\"utf-8\"><meta name=\"viewport\" "
	            "content=\"width=device-width, initial-scale=1\">"
	            "<title>");
	dash_esc(b, title);
	buf_puts(b, " — mailcast</title>"
	            "<link rel=\"icon\" href=\"/dash/static/icon.svg\">"
	            "<link rel=\"stylesheet\" href=\"/dash/static/app.css\">"
	            "<script src=\"/dash/static/app.js\" defer></script>"
	            "</head><body><a class=\"skip\" href=\"#main\">Skip to "
	            "content</a><header><strong>mailcast</strong>");
	if (d != NULL && d->ses.id[0] != '\0') {
		buf_puts(b, "<nav aria-label=\"Main\"><ul>");
		for (size_t i = 0; i < sizeof(nav) / sizeof(nav[0]); i++)
			buf_printf(b, "<li><a href=\"/dash/%s\"%s>%s</a></li>",
			           nav[i][0],
			           current && strcmp(current, nav[i][0]) == 0
			               ? " aria-current=\"page\""
			               : "",
			           nav[i][1]);
		buf_puts(b, "</ul></nav><span class=\"who\">");
		dash_esc(b, d->ses.name);
		buf_printf(b, " (%s)</span>", user_role_name(d->ses.role));
		buf_puts(b, "<form method=\"post\" action=\"/dash/logout\">");
		dash_csrf_field(b, d);
		buf_puts(b, "<button class=\"secondary\" type=\"submit\">Log "
		            "out</button></form>");
	}
	buf_puts(b, "</header><main id=\"main\">");
}

/* The end of every page. */
void
dash_foot(struct buf *b)
{
	buf_puts(b, "</main></body></html>\n");
}

/* The dashboard's headers over http_page()'s. */
static struct MHD_Response *
dash_response(const char *type, const void *data, size_t len)
{
	struct MHD_Response *r = http_page(type, data, len);

	if (r != NULL) {
		MHD_del_response_header(
		    r, "Content-Security-Policy",
		    "default-src 'none'; style-src 'unsafe-inline'; "
		    "form-action 'self'; frame-ancestors 'none'");
		MHD_add_response_header(r, "Content-Security-Policy", DASH_CSP);
		/* with no-referrer a browser sends "Origin: null" on a form
		 * POST, and the same-site check could not tell us from
		 * another site; same-origin keeps it inside this server */
		MHD_del_response_header(r, "Referrer-Policy", "no-referrer");
		MHD_add_response_header(r, "Referrer-Policy", "same-origin");
	}
	return r;
}

/* Answer an HTML page. */
enum MHD_Result
dash_send(struct MHD_Connection *c, unsigned status, struct buf *b)
{
	struct MHD_Response *r =
	    dash_response("text/html; charset=utf-8", buf_data(b), buf_len(b));

	buf_fini(b);
	return http_answer(c, status, r);
}

/* 303 See Other. */
enum MHD_Result
dash_redirect(struct MHD_Connection *c, const char *location,
              const char *cookie)
{
	struct MHD_Response *r =
	    dash_response("text/plain; charset=utf-8", "", 0);

	if (r != NULL) {
		MHD_add_response_header(r, "Location", location);
		if (cookie != NULL)
			MHD_add_response_header(r, "Set-Cookie", cookie);
	}
	return http_answer(c, 303, r);
}

/* The CSRF field. */
void
dash_csrf_field(struct buf *b, const struct dash_req *d)
{
	buf_printf(b, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">",
	           d->ses.csrf);
}

/* A query argument. */
const char *
dash_arg(const struct dash_req *d, const char *name)
{
	return MHD_lookup_connection_value(d->hc->c, MHD_GET_ARGUMENT_KIND,
	                                   name);
}

/* A failure page. */
enum MHD_Result
dash_fail(struct dash_req *d, unsigned status, const char *what)
{
	struct buf b;

	buf_init(&b);
	dash_head(&b, d, "Error", NULL);
	buf_puts(&b, "<h1>Something went wrong</h1><p class=\"error\">");
	dash_esc(&b, what);
	buf_puts(&b, "</p><p><a href=\"/dash/campaigns\">Back to the "
	             "campaigns</a></p>");
	dash_foot(&b);
	return dash_send(d->hc->c, status, &b);
}

/* The session cookie's attributes (Secure behind TLS). */
static void
cookie_make(struct MHD_Connection *c, const char *value, bool clear, char *out,
            size_t outsz)
{
	const char *xfp = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	                                              "X-Forwarded-Proto");
	bool secure = http_tls() || (xfp && strcmp(xfp, "https") == 0);

	snprintf(out, outsz,
	         "%s=%s; Path=/dash/; HttpOnly; SameSite=Strict%s%s",
	         DASH_COOKIE, value, secure ? "; Secure" : "",
	         clear ? "; Max-Age=0" : "");
}

/* The login page (status 200, or 401 after a failure). */
static enum MHD_Result
login_page(struct MHD_Connection *c, unsigned status, const char *msg)
{
	struct buf b;

	buf_init(&b);
	dash_head(&b, NULL, "Log in", NULL);
	buf_puts(&b, "<div class=\"login\"><h1>Log in</h1>");
	if (msg != NULL) {
		buf_puts(&b, "<p class=\"error\" role=\"alert\">");
		dash_esc(&b, msg);
		buf_puts(&b, "</p>");
	}
	buf_puts(&b,
	         "<form method=\"post\" action=\"/dash/login\">"
	         "<label for=\"user\">Name</label><input id=\"user\" "
	         "name=\"user\" autocomplete=\"username\" required>"
	         "<label for=\"password\">Password</label><input "
	         "id=\"password\" name=\"password\" type=\"password\" "
	         "autocomplete=\"current-password\" required>"
	         "<p><button type=\"submit\">Log in</button></p></form>"
	         "<p>No account? An administrator makes one with "
	         "<code>mailcast user add NAME --role admin</code>.</p></div>");
	dash_foot(&b);
	return dash_send(c, status, &b);
}

/* POST /dash/login. */
static enum MHD_Result
login_post(struct http_call *hc)
{
	char name[STORE_USER_NAME_MAX + 1], pw[USER_PASSWORD_MAX + 1];
	char err[CAMPAIGN_ERR_MAX], cookie[256];
	struct user_session ses;
	enum user_role role;
	struct store *s;
	int rc;

	if (http_cross_site(hc->c))
		return login_page(hc->c, 403,
		                  "This form must be sent from "
		                  "this site.");
	if (!http_form_get(hc->body, hc->len, "user", name, sizeof(name)) ||
	    !http_form_get(hc->body, hc->len, "password", pw, sizeof(pw)))
		return login_page(hc->c, 400, "Give a name and a password.");
	if ((s = http_store()) == NULL)
		return http_answer_busy(hc->c);
	rc = user_login(s, name, pw, time(NULL), &role, err, sizeof(err));
	explicit_bzero(pw, sizeof(pw));
	if (rc == MC_EAUTH) {
		log_warn("serve: dash: failed login for %s from %s", name,
		         hc->ip);
		return login_page(hc->c, 401,
		                  "Wrong name or password. After 5 failures "
		                  "in a row the account is locked for 15 "
		                  "minutes.");
	}
	if (rc < 0)
		return http_answer_busy(hc->c);
	user_session_new(s, name, role, time(NULL), &ses);
	cookie_make(hc->c, ses.id, false, cookie, sizeof(cookie));
	log_info("serve: dash: %s logged in from %s", name, hc->ip);
	return dash_redirect(hc->c, "/dash/campaigns", cookie);
}

/* A static file. */
static enum MHD_Result
asset(struct http_call *hc, const char *name)
{
	for (size_t i = 0; i < dash_nassets; i++)
		if (strcmp(dash_assets[i].name, name) == 0)
			return http_answer(hc->c, 200,
			                   dash_response(dash_assets[i].type,
			                                 dash_assets[i].data,
			                                 dash_assets[i].len));
	return http_not_found(hc->c);
}

/* "123" or "123/rest" into *id and *rest. */
static bool
parse_id(const char *p, long long *id, const char **rest)
{
	char *end;

	if (*p < '1' || *p > '9')
		return false;
	*id = strtoll(p, &end, 10);
	if (*end != '\0' && *end != '/')
		return false;
	*rest = *end == '/' ? end + 1 : end;
	return *id > 0;
}

/* Everything under /dash/. */
enum MHD_Result
route_dash(struct http_call *hc)
{
	struct MHD_Connection *c = hc->c;
	struct dash_req d = {.hc = hc, .path = hc->rest};
	const char *sid, *rest;
	char csrf[USER_TOKEN_LEN + 1], cookie[256];
	long long id;

	if (strcmp(hc->url, "/dash") == 0)
		return dash_redirect(c, "/dash/", NULL);
	if (strncmp(d.path, "static/", 7) == 0 && hc->get)
		return asset(hc, d.path + 7);
	sid = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, DASH_COOKIE);
	bool have = user_session_get(sid, time(NULL), &d.ses);
	if (have) {
		/* a new password or role since the login ends the session */
		struct store *s = http_store();
		int rc = s ? user_session_check(s, &d.ses) : MC_EIO;

		if (rc == MC_EIO)
			return http_answer_busy(c);
		have = rc == 0;
	}
	if (strcmp(d.path, "login") == 0) {
		if (hc->post)
			return login_post(hc);
		if (have)
			return dash_redirect(c, "/dash/campaigns", NULL);
		return login_page(c, 200, NULL);
	}
	if (!have) {
		if (hc->get && strstr(d.path, "/events") == NULL)
			return dash_redirect(c, "/dash/login", NULL);
		return http_answer(c, 401,
		                   dash_response("text/plain; charset=utf-8",
		                                 "log in first\n", 13));
	}
	if (hc->post) {
		/* CSRF: a same-site request carrying this session's token */
		if (http_cross_site(c) ||
		    !http_form_get(hc->body, hc->len, "csrf", csrf,
		                   sizeof(csrf)) ||
		    !user_token_equal(csrf, d.ses.csrf)) {
			log_warn("serve: dash: %s: CSRF check failed (%s)",
			         d.ses.name, hc->ip);
			return dash_fail(
			    &d, 403,
			    "This form expired or came from another "
			    "site: reload the page and try again.");
		}
		if (strcmp(d.path, "logout") == 0) {
			user_session_end(d.ses.id);
			cookie_make(c, "", true, cookie, sizeof(cookie));
			return dash_redirect(c, "/dash/login", cookie);
		}
		if (strncmp(d.path, "campaign/", 9) == 0 &&
		    parse_id(d.path + 9, &id, &rest) && *rest != '\0') {
			if (d.ses.role != USER_ADMIN)
				return dash_fail(
				    &d, 403,
				    "Your role (viewer) may look but "
				    "not start, pause or schedule: "
				    "ask an admin.");
			return dash_action(&d, id, rest);
		}
		return http_not_found(c);
	}
	if (d.path[0] == '\0')
		return dash_redirect(c, "/dash/campaigns", NULL);
	if (strcmp(d.path, "campaigns") == 0)
		return dash_page_campaigns(&d);
	if (strcmp(d.path, "contacts") == 0)
		return dash_page_contacts(&d);
	if (strcmp(d.path, "suppressions") == 0)
		return dash_page_suppressions(&d);
	if (strcmp(d.path, "lists") == 0)
		return dash_page_lists(&d);
	if (strcmp(d.path, "settings") == 0)
		return dash_page_settings(&d);
	if (strcmp(d.path, "mailboxes") == 0)
		return dash_page_mailboxes(&d);
	if (strncmp(d.path, "campaign/", 9) == 0 &&
	    parse_id(d.path + 9, &id, &rest)) {
		if (*rest == '\0')
			return dash_page_campaign(&d, id);
		if (strcmp(rest, "report") == 0)
			return dash_page_report(&d, id);
		if (strcmp(rest, "events") == 0)
			return dash_events(&d, id);
	}
	return http_not_found(c);
}

/* ---- the live stream ---- */

/* One open stream. */
struct sse {
	struct MHD_Connection *c;
	long long id;
	bool suspended;
	bool final;   /* the last event is out: end after it */
	int64_t next; /* ms: when the next event is due */
	unsigned sent;
	char *pending; /* an event not yet written in full */
	size_t plen, poff;
	struct sse *next_sse;
};

static pthread_mutex_t sse_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sse *sse_head;
static pthread_once_t sse_once = PTHREAD_ONCE_INIT;

/* Monotonic milliseconds. */
static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The ticker: wake the streams whose next event is due. */
static void *
sse_ticker(void *arg)
{
	(void)arg;
	for (;;) {
		struct timespec ts = {0, 100 * 1000000L};
		int64_t now = now_ms();

		pthread_mutex_lock(&sse_lock);
		for (struct sse *e = sse_head; e; e = e->next_sse)
			/* draining: wake every stream so it ends (a suspended
			 * connection would keep the daemon from stopping) */
			if (e->suspended &&
			    (e->next <= now || http_draining())) {
				e->suspended = false;
				MHD_resume_connection(e->c);
			}
		pthread_mutex_unlock(&sse_lock);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* Start the ticker once. */
static void
sse_ticker_start(void)
{
	pthread_t t;
	sigset_t all, old;

	/* the ticker takes no signal (serve's main thread does) */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (pthread_create(&t, NULL, sse_ticker, NULL) == 0)
		pthread_detach(t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* The ledger's figures of a campaign not running here, shared by every
 * stream on it: one store query per campaign a tick, not one per stream. */
struct sse_ledger {
	long long id;
	int64_t at; /* ms: when read; 0: never */
	bool ok;
	struct campaign_info ci;
};

#define SSE_LEDGERS         8   /* campaigns kept */
#define SSE_LEDGER_FRESH_MS 900 /* younger than a stream's tick */

static pthread_mutex_t sse_ledger_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sse_ledger sse_ledgers[SSE_LEDGERS];

/* Campaign id's ledger figures into ci, read at most once a tick (the
 * first stream to want them queries, under the lock, the others copy). */
static void
sse_ledger_get(long long id, struct campaign_info *ci)
{
	struct sse_ledger *l = NULL, *old = &sse_ledgers[0];
	int64_t now = now_ms();

	pthread_mutex_lock(&sse_ledger_lock);
	for (size_t i = 0; i < SSE_LEDGERS && l == NULL; i++) {
		if (sse_ledgers[i].id == id)
			l = &sse_ledgers[i];
		else if (sse_ledgers[i].at < old->at)
			old = &sse_ledgers[i];
	}
	if (l == NULL || now - l->at >= SSE_LEDGER_FRESH_MS) {
		char err[CAMPAIGN_ERR_MAX];
		struct store *st = http_store();

		if (l == NULL)
			l = old;
		l->id = id;
		l->at = now;
		l->ok = st != NULL && campaign_status_get(st, id, &l->ci, err,
		                                          sizeof(err)) == 0;
	}
	if (l->ok)
		*ci = l->ci;
	else
		memset(ci, 0, sizeof(*ci));
	pthread_mutex_unlock(&sse_ledger_lock);
}

/* The next event of campaign e->id as "event: sample\ndata: {...}". */
static char *
sse_event(struct sse *e, size_t *len)
{
	struct runner_sample *s = xcalloc(1, sizeof(*s));
	json_t *o = json_object(), *dests = json_array();
	struct buf svg;
	char *data, *out;
	bool live = runner_sample(http_runner(), e->id, s) && s->active;
	unsigned long sent, deferred, failed, queued = 0;
	double rate = 0;
	const char *state = s->state;

	buf_init(&svg);
	if (live) {
		sent = s->p.sent;
		deferred = s->p.deferred;
		failed = s->p.failed;
		rate = s->p.rate;
		if (s->p.total > sent + failed + deferred + s->p.suppressed)
			queued = s->p.total - sent - failed - deferred -
			         s->p.suppressed;
	} else {
		/* settled or run elsewhere: the ledger's own counts */
		struct campaign_info ci;

		sse_ledger_get(e->id, &ci);
		sent = ci.states[DLV_SENT];
		deferred = ci.states[DLV_DEFERRED];
		failed = ci.states[DLV_FAILED] + ci.states[DLV_BOUNCED];
		queued = ci.states[DLV_PENDING] + ci.states[DLV_INFLIGHT];
		if (s->id == 0 || strcmp(s->state, "failed") != 0)
			state = campaign_status_name(ci.status);
		/* run by another process: keep watching while it runs */
		e->final = ci.status != CAMPAIGN_RUNNING || ci.nholders == 0;
		if (s->id != 0 && s->p.elapsed > 0)
			rate = s->p.rate;
	}
	if (s->nhist > 0) {
		size_t from = s->nhist > SSE_HIST_SHOWN
		                  ? s->nhist - SSE_HIST_SHOWN
		                  : 0,
		       n = s->nhist - from;
		time_t *x = xcalloc(n, sizeof(*x));
		double *y = xcalloc(3 * n, sizeof(*y));
		struct chart_series ser[3] = {
		    {"sent", "#1b7f3b", y},
		    {"deferred", "#b36b00", y + n},
		    {"failed", "#b00020", y + 2 * n},
		};

		for (size_t i = 0; i < n; i++) {
			x[i] = s->hist[from + i].at;
			y[i] = (double)s->hist[from + i].sent;
			y[n + i] = (double)s->hist[from + i].deferred;
			y[2 * n + i] = (double)s->hist[from + i].failed;
		}
		chart_lines_svg(&svg, "Sent, deferred and failed over time", x,
		                n, ser, 3, 640, 240);
		free(x);
		free(y);
	}
	for (size_t i = 0; i < s->ndest; i++)
		json_array_append_new(
		    dests, json_pack("{s:s, s:I, s:I, s:I, s:s}", "key",
		                     s->dest[i].key, "sent",
		                     (json_int_t)s->dest[i].sent, "deferred",
		                     (json_int_t)s->dest[i].deferred, "failed",
		                     (json_int_t)s->dest[i].failed, "last",
		                     s->dest[i].last));
	if (++e->sent >= SSE_EVENTS_MAX)
		e->final = true;
	if (live)
		e->final = false;
	json_object_set_new(o, "state", json_string(state));
	json_object_set_new(o, "sent", json_integer((json_int_t)sent));
	json_object_set_new(o, "deferred", json_integer((json_int_t)deferred));
	json_object_set_new(o, "failed", json_integer((json_int_t)failed));
	json_object_set_new(o, "queued", json_integer((json_int_t)queued));
	json_object_set_new(o, "rate", json_real(rate));
	json_object_set_new(o, "eta",
	                    json_integer(live && rate > 0
	                                     ? (json_int_t)(queued / rate + 0.5)
	                                     : -1));
	json_object_set_new(o, "dests", dests);
	json_object_set_new(o, "svg", json_string(buf_cstr(&svg)));
	json_object_set_new(o, "final", json_boolean(e->final));
	data = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	buf_fini(&svg);
	free(s);
	out = xasprintf("event: sample\ndata: %s\n\n", data);
	free(data);
	*len = strlen(out);
	return out;
}

/* libmicrohttpd asks for more of the stream. */
static ssize_t
sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sse *e = cls;
	size_t n;

	(void)pos;
	if (e->pending == NULL) {
		if ((e->final && e->sent > 0) || http_draining())
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (now_ms() < e->next) {
			pthread_mutex_lock(&sse_lock);
			e->suspended = true;
			MHD_suspend_connection(e->c);
			pthread_mutex_unlock(&sse_lock);
			return 0;
		}
		e->pending = sse_event(e, &e->plen);
		e->poff = 0;
		e->next = now_ms() + 1000;
	}
	n = e->plen - e->poff < max ? e->plen - e->poff : max;
	memcpy(buf, e->pending + e->poff, n);
	e->poff += n;
	if (e->poff == e->plen) {
		free(e->pending);
		e->pending = NULL;
	}
	return (ssize_t)n;
}

/* The stream's response is gone (done or the client left). */
static void
sse_free(void *cls)
{
	struct sse *e = cls;

	pthread_mutex_lock(&sse_lock);
	for (struct sse **p = &sse_head; *p; p = &(*p)->next_sse)
		if (*p == e) {
			*p = e->next_sse;
			break;
		}
	pthread_mutex_unlock(&sse_lock);
	free(e->pending);
	free(e);
}

/* GET /dash/campaign/ID/events. */
enum MHD_Result
dash_events(struct dash_req *d, long long id)
{
	struct sse *e = xcalloc(1, sizeof(*e));
	struct MHD_Response *r;

	pthread_once(&sse_once, sse_ticker_start);
	e->c = d->hc->c;
	e->id = id;
	e->next = 0;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, sse_read,
	                                      e, sse_free);
	if (r == NULL) {
		free(e);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/event-stream");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	pthread_mutex_lock(&sse_lock);
	e->next_sse = sse_head;
	sse_head = e;
	pthread_mutex_unlock(&sse_lock);
	return http_answer(d->hc->c, 200, r);
}
