/*
 * webhook.c — the webhook endpoints from mailcast.conf, the signature, one
 * send pass over the store's outbox (libcurl), the sender thread, and the
 * list and retry operations (webhook.h says what each does).
 */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "app/contacts.h"
#include "app/secrets.h"
#include "app/webhook.h"
#include "base/error.h"
#include "base/log.h"
#include "base/str.h"
#include "base/xmalloc.h"

#define BACKOFF_MAX_S (6 * 3600) /* the longest wait between attempts */

static const char *const event_names[WEBHOOK__COUNT] = {
    "delivered", "failed", "bounced", "complained", "unsubscribed", "clicked",
};

/* The name of event e. */
const char *
webhook_event_name(enum webhook_event e)
{
	return (unsigned)e < WEBHOOK__COUNT ? event_names[e] : NULL;
}

/* The event of a name, or -1. */
int
webhook_event_parse(const char *name)
{
	for (int i = 0; i < WEBHOOK__COUNT; i++)
		if (name != NULL && strcmp(name, event_names[i]) == 0)
			return i;
	return -1;
}

/* A whole number of seconds in [lo, hi] from v (NULL: def) into *out. */
static int
seconds(const char *v, long def, long lo, long hi, long *out)
{
	char *end;
	long n;

	if (v == NULL) {
		*out = def;
		return 0;
	}
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < lo || n > hi)
		return -1;
	*out = n;
	return 0;
}

/* The events of "a,b,c" ("all" or NULL: every one) into *bits. */
static int
events_parse(const char *v, unsigned *bits, char *bad, size_t badsz)
{
	char buf[CONF_VALUE_MAX], *save = NULL;

	*bits = 0;
	if (v == NULL || strcmp(v, "all") == 0 || strcmp(v, "*") == 0) {
		*bits = (1u << WEBHOOK__COUNT) - 1;
		return 0;
	}
	mc_strlcpy(buf, v, sizeof(buf));
	for (char *t = strtok_r(buf, ", ", &save); t != NULL;
	     t = strtok_r(NULL, ", ", &save)) {
		int e = webhook_event_parse(t);

		if (e < 0) {
			mc_strlcpy(bad, t, badsz);
			return -1;
		}
		*bits |= 1u << e;
	}
	return *bits ? 0 : -1;
}

/* One [webhook NAME] section into e. */
static int
endpoint_load(const struct conf_webhook *w, struct webhook_endpoint *e,
              char *err, size_t errsz)
{
	char bad[64] = "";
	long ms;

	memset(e, 0, sizeof(*e));
	mc_strlcpy(e->name, w->name, sizeof(e->name));
	if (w->url == NULL || (strncmp(w->url, "http://", 7) != 0 &&
	                       strncmp(w->url, "https://", 8) != 0))
		return mc_fail(MC_ECONFIG, err, errsz,
		               "[webhook %s]: url = http://... or https://... "
		               "is needed",
		               w->name);
	mc_strlcpy(e->url, w->url, sizeof(e->url));
	if (events_parse(w->events, &e->events, bad, sizeof(bad)) < 0)
		return mc_fail(MC_ECONFIG, err, errsz,
		               "[webhook %s] events: '%s' is not one of "
		               "delivered, failed, bounced, complained, "
		               "unsubscribed, clicked (or all)",
		               w->name, bad);
	if (seconds(w->timeout, 10, 1, 300, &ms) < 0 ||
	    seconds(w->retry, 30, 1, 86400, &e->retry_s) < 0 ||
	    seconds(w->max_age, 3 * 86400, 1, 30 * 86400, &e->max_age_s) < 0)
		return mc_fail(MC_ECONFIG, err, errsz,
		               "[webhook %s]: timeout (1-300), retry (1-86400) "
		               "and max_age (1-2592000) are whole seconds",
		               w->name);
	e->timeout_ms = ms * 1000;
	if (w->ca_file != NULL)
		mc_strlcpy(e->ca_file, w->ca_file, sizeof(e->ca_file));
	e->tls_verify = true;
	if (w->tls_verify != NULL) {
		if (strcmp(w->tls_verify, "no") != 0 &&
		    strcmp(w->tls_verify, "yes") != 0)
			return mc_fail(MC_ECONFIG, err, errsz,
			               "[webhook %s] tls_verify: yes or no",
			               w->name);
		e->tls_verify = strcmp(w->tls_verify, "yes") == 0;
	}
	if (w->secret_file == NULL && w->secret_env == NULL)
		return mc_fail(MC_ECONFIG, err, errsz,
		               "[webhook %s]: secret_file = FILE or "
		               "secret_env = VARIABLE is needed",
		               w->name);
	secret_file_check(w->secret_file, "webhook secret");
	char *sec = (char *)e->secret;
	int rc = secret_read(w->secret_file, w->secret_env, sec,
	                     sizeof(e->secret), err, errsz);
	if (rc < 0)
		return rc;
	e->secretlen = strlen(sec);
	return 0;
}

/* The endpoints of c. */
int
webhook_set_load(const struct mc_conf *c, struct webhook_set *out, char *err,
                 size_t errsz)
{
	int rc;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; c != NULL && i < c->nwebhooks; i++) {
		if ((rc = endpoint_load(&c->webhooks[i], &out->ep[i], err,
		                        errsz)) < 0) {
			webhook_set_fini(out);
			return rc;
		}
		out->n = i + 1;
	}
	return 0;
}

/* Wipe the secrets. */
void
webhook_set_fini(struct webhook_set *s)
{
	explicit_bzero(s, sizeof(*s));
}

/* The signature header's value. */
void
webhook_sign(const unsigned char *secret, size_t secretlen, time_t t,
             const char *body, char *out, size_t outsz)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	size_t blen = strlen(body), n;
	char *msg = xmalloc(blen + 32);

	n = (size_t)snprintf(msg, 32, "%lld.", (long long)t);
	memcpy(msg + n, body, blen);
	HMAC(EVP_sha256(), secret, (int)secretlen, (unsigned char *)msg,
	     n + blen, mac, &maclen);
	free(msg);
	for (unsigned i = 0; i < maclen; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	hex[2 * maclen] = '\0';
	snprintf(out, outsz, "t=%lld,v1=%s", (long long)t, hex);
	explicit_bzero(mac, sizeof(mac));
}

/* libcurl's body sink: counts and drops; stops past WEBHOOK_BODY_MAX. */
static size_t
body_sink(char *p, size_t size, size_t n, void *arg)
{
	size_t *got = arg;

	(void)p;
	*got += size * n;
	return *got > WEBHOOK_BODY_MAX ? 0 : size * n;
}

/* POST body to e at t: 0 for a 2xx, else -1 with why. */
static int
post_one(const struct webhook_endpoint *e, int64_t id, const char *body,
         time_t t, char *why, size_t whysz)
{
	char sig[200], hdr[260], idh[64];
	struct curl_slist *h = NULL;
	long status = 0;
	size_t got = 0;
	CURLcode cc;
	CURL *c = curl_easy_init();

	if (c == NULL) {
		snprintf(why, whysz, "curl: cannot start");
		return -1;
	}
	webhook_sign(e->secret, e->secretlen, t, body, sig, sizeof(sig));
	snprintf(hdr, sizeof(hdr), "Mailcast-Signature: %s", sig);
	snprintf(idh, sizeof(idh), "Mailcast-Event-Id: %" PRId64, id);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, hdr);
	h = curl_slist_append(h, idh);
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, e->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, e->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, e->timeout_ms);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "mailcast-webhook/1");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &got);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, e->tls_verify ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, e->tls_verify ? 2L : 0L);
	if (e->ca_file[0] != '\0')
		curl_easy_setopt(c, CURLOPT_CAINFO, e->ca_file);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	explicit_bzero(sig, sizeof(sig));
	curl_easy_cleanup(c);
	/* a 2xx whose body we cut is still an answer */
	if (status >= 200 && status < 300 &&
	    (cc == CURLE_OK || cc == CURLE_WRITE_ERROR))
		return 0;
	if (status != 0)
		snprintf(why, whysz, "HTTP %ld%s", status,
		         status >= 300 && status < 400 ? " (not followed)"
		                                       : "");
	else
		snprintf(why, whysz, "%s", curl_easy_strerror(cc));
	return -1;
}

/* The wait before attempt n + 1 (n >= 1 failed ones) of e: retry_s
 * doubled each time, at most BACKOFF_MAX_S, then between half and all of
 * it at random (jitter: senders that failed together do not retry
 * together). */
static long
backoff(const struct webhook_endpoint *e, unsigned n)
{
	long d = e->retry_s;
	unsigned r = 0;

	for (unsigned i = 1; i < n && d < BACKOFF_MAX_S; i++)
		d *= 2;
	if (d > BACKOFF_MAX_S)
		d = BACKOFF_MAX_S;
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (unsigned)rand();
	d = d / 2 + (long)(r % (unsigned)(d / 2 + 1));
	return d < 1 ? 1 : d;
}

/* One leased event, copied out of the callback. */
struct leased {
	int64_t id;
	int event;
	time_t since;
	unsigned attempts;
	char *payload, *done_to;
	/* the outcome, settled with the others of the batch */
	const char *state;
	time_t next;
	char done[CONF_WEBHOOKS_MAX * (CONF_NAME_MAX + 1) + 2];
	char why[1024]; /* "NAME: reason" of each endpoint that failed */
};

struct lease_acc {
	struct leased ev[WEBHOOK_BATCH];
	size_t n;
};

/* store_webhook_lease() callback: keep the row. */
static int
keep_leased(void *arg, const struct store_webhook *w)
{
	struct lease_acc *a = arg;
	struct leased *l;

	if (a->n >= WEBHOOK_BATCH)
		return 0;
	l = &a->ev[a->n++];
	l->id = w->id;
	l->event = webhook_event_parse(w->event);
	l->since = w->since;
	l->attempts = w->attempts;
	l->payload = xstrdup(w->payload);
	l->done_to = xstrdup(w->done_to ? w->done_to : "");
	return 0;
}

/* Is endpoint name in the list ",a,b,"? */
static bool
done_has(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; (p = strstr(p, name)) != NULL; p += n)
		if ((p == list || p[-1] == ',') &&
		    (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

/* The body of event l: its payload with "id" first. */
static char *
event_body(const struct leased *l)
{
	json_t *p = json_loads(l->payload, 0, NULL), *o = json_object();
	const char *k;
	json_t *v;
	char *s;

	json_object_set_new(o, "id", json_integer(l->id));
	if (json_is_object(p))
		json_object_foreach(p, k, v) json_object_set(o, k, v);
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	json_decref(p);
	return s;
}

/* Send event l to each endpoint of set that wants it and has not taken
 * it; its outcome into l. */
static void
send_event(const struct webhook_set *set, struct leased *l, time_t now)
{
	char *done = l->done, *why = l->why, one[300];
	size_t donesz = sizeof(l->done), whysz = sizeof(l->why);
	long wait = -1, max_age = -1;
	char *body = event_body(l);
	bool left = false;

	why[0] = '\0';
	mc_strlcpy(done, l->done_to, donesz);
	for (size_t i = 0; i < set->n; i++) {
		const struct webhook_endpoint *e = &set->ep[i];

		if (l->event < 0 || !(e->events & (1u << l->event)) ||
		    done_has(done, e->name))
			continue;
		if (post_one(e, l->id, body, time(NULL), one, sizeof(one)) ==
		    0) {
			size_t n = strlen(done);

			snprintf(done + n, donesz - n, "%s%s,", n ? "" : ",",
			         e->name);
			continue;
		}
		left = true;
		size_t wn = strlen(why);

		snprintf(why + wn, whysz - wn, "%s%s: %s", wn ? "; " : "",
		         e->name, one);
		long b = backoff(e, l->attempts + 1);
		if (wait < 0 || b < wait)
			wait = b;
		if (max_age < 0 || e->max_age_s > max_age)
			max_age = e->max_age_s;
	}
	free(body);
	const char *state = !left                             ? "done"
	                    : now + wait - l->since > max_age ? "failed"
	                                                      : "pending";
	if (left)
		log_warn("webhook: event %" PRId64 " %s: %s%s", l->id,
		         state[0] == 'f' ? "failed" : "will be retried", why,
		         state[0] == 'f' ? " (past max_age)" : "");
	l->state = state;
	l->next = left ? now + wait : now;
}

/* One pass. */
int
webhook_pass(struct store *s, const struct webhook_set *set, const char *owner,
             unsigned *handled, char *err, size_t errsz)
{
	struct lease_acc acc = {.n = 0};
	time_t now = time(NULL), lease;
	long worst = 0;
	int rc;

	*handled = 0;
	for (size_t i = 0; i < set->n; i++)
		worst += set->ep[i].timeout_ms / 1000 + 1;
	/* long enough to send the whole batch to every endpoint slowly */
	lease = now + 60 + worst * WEBHOOK_BATCH;
	rc = store_webhook_lease(s, owner, now, lease, WEBHOOK_BATCH,
	                         keep_leased, &acc);
	if (rc < 0)
		return mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
	for (size_t i = 0; i < acc.n; i++)
		send_event(set, &acc.ev[i], time(NULL));
	/* the outcomes in one transaction: the store's writer lock is taken
	 * once per batch, not once per event, beside a running campaign */
	if (acc.n > 0 && store_begin(s) < 0)
		rc = mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
	for (size_t i = 0; i < acc.n; i++) {
		struct leased *l = &acc.ev[i];
		int r = rc < 0
		            ? 0
		            : store_webhook_settle(s, l->id, owner, l->state,
		                                   l->next, l->done,
		                                   l->why[0] ? l->why : NULL);

		/* MC_ENOTFOUND: our lease ran out and another took the row */
		if (r < 0 && r != MC_ENOTFOUND)
			rc = mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
		free(l->payload);
		free(l->done_to);
	}
	if (acc.n > 0 && rc == 0 && store_commit(s) < 0)
		rc = mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
	if (acc.n > 0 && rc < 0)
		store_rollback(s);
	*handled = (unsigned)acc.n;
	return rc;
}

struct webhook_sender {
	char url[APP_STORE_URL_MAX];
	char owner[160];
	pthread_t th;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	struct webhook_set set; /* under lock */
};

/* The sender thread: a pass, then another at once when the batch was
 * full, else after a second. */
static void *
sender_main(void *arg)
{
	struct webhook_sender *w = arg;
	struct webhook_set *set = xmalloc(sizeof(*set));
	struct store *s = NULL;
	char err[600];
	unsigned n = 0;

	for (;;) {
		pthread_mutex_lock(&w->lock);
		if (!w->stop && n < WEBHOOK_BATCH) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&w->cond, &w->lock, &ts);
		}
		if (w->stop) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		*set = w->set;
		pthread_mutex_unlock(&w->lock);
		n = 0;
		if (s == NULL && app_store_open(w->url, STORE_WRITE, &s, err,
		                                sizeof(err)) < 0) {
			log_warn("webhook: %s", err);
			s = NULL;
			continue;
		}
		if (webhook_pass(s, set, w->owner, &n, err, sizeof(err)) < 0) {
			log_warn("webhook: %s", err);
			store_close(s); /* a fresh connection next time */
			s = NULL;
		}
	}
	webhook_set_fini(set);
	free(set);
	store_close(s);
	return NULL;
}

/* Arm or disarm the store at url's triggers. */
static int
arm(const char *url, bool on, char *err, size_t errsz)
{
	struct store *s;
	int rc = app_store_open(url, STORE_WRITE, &s, err, errsz);

	if (rc < 0)
		return rc;
	if ((rc = store_webhook_arm(s, on)) < 0)
		rc = mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
	store_close(s);
	return rc;
}

/* Start a sender. */
int
webhook_sender_start(const char *url, const struct mc_conf *conf,
                     struct webhook_sender **out, char *err, size_t errsz)
{
	struct webhook_sender *w;
	char host[100] = "?";
	int rc;

	*out = NULL;
	w = xcalloc(1, sizeof(*w));
	if ((rc = app_store_url(url, w->url, sizeof(w->url), err, errsz)) < 0 ||
	    (rc = webhook_set_load(conf, &w->set, err, errsz)) < 0 ||
	    (rc = arm(w->url, w->set.n > 0, err, errsz)) < 0 || w->set.n == 0) {
		webhook_set_fini(&w->set);
		free(w);
		return rc;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	gethostname(host, sizeof(host) - 1);
	snprintf(w->owner, sizeof(w->owner), "webhook:%s:%ld", host,
	         (long)getpid());
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	pthread_create(&w->th, NULL, sender_main, w);
	log_warn("webhook: %zu endpoint%s, sending as %s", w->set.n,
	         w->set.n == 1 ? "" : "s", w->owner);
	*out = w;
	return 0;
}

/* New endpoints. */
int
webhook_sender_reload(struct webhook_sender *w, const struct mc_conf *conf,
                      char *err, size_t errsz)
{
	struct webhook_set *set = xmalloc(sizeof(*set));
	int rc = webhook_set_load(conf, set, err, errsz);

	if (rc == 0 && set->n > 0) {
		pthread_mutex_lock(&w->lock);
		webhook_set_fini(&w->set);
		w->set = *set;
		pthread_mutex_unlock(&w->lock);
	} else if (rc == 0) {
		rc = mc_fail(MC_ECONFIG, err, errsz,
		             "no [webhook] section left (the old ones stay "
		             "until a restart)");
	}
	webhook_set_fini(set);
	free(set);
	return rc;
}

/* Stop and free. */
void
webhook_sender_stop(struct webhook_sender *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->th, NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	webhook_set_fini(&w->set);
	free(w);
}

/* store_webhook_each() callback: one row into the array. */
static int
list_row(void *arg, const struct store_webhook *w)
{
	json_t *a = arg, *p = json_loads(w->payload, 0, NULL);

	json_array_append_new(
	    a, json_pack("{s:I,s:s,s:s,s:I,s:I,s:I,s:s,s:s?,s:o}", "id",
	                 (json_int_t)w->id, "event", w->event, "state",
	                 w->state, "attempts", (json_int_t)w->attempts, "time",
	                 (json_int_t)w->at, "next_attempt",
	                 (json_int_t)w->next_attempt, "done_to", w->done_to,
	                 "error", w->error, "payload", p ? p : json_null()));
	return 0;
}

/* webhook list */
int
webhook_list_op(struct store *s, void *opts, int argc, const char *const *argv,
                json_t **out, char *err, size_t errsz)
{
	const struct webhook_list_opts *o = opts;
	const char *st = o ? o->state : NULL;
	json_t *a;

	(void)argc;
	(void)argv;
	if (st != NULL && strcmp(st, "pending") != 0 &&
	    strcmp(st, "failed") != 0 && strcmp(st, "done") != 0)
		return mc_fail(MC_EINVAL, err, errsz,
		               "--state: pending, failed or done");
	a = json_array();
	if (store_webhook_each(s, st, list_row, a) < 0) {
		json_decref(a);
		return mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
	}
	*out = a;
	return 0;
}

/* webhook retry */
int
webhook_retry_op(struct store *s, void *opts, int argc, const char *const *argv,
                 json_t **out, char *err, size_t errsz)
{
	const struct webhook_retry_opts *o = opts;
	bool all = o != NULL && o->failed;
	unsigned long n = 0;
	int64_t id = 0;
	char *end;
	int rc;

	if (all == (argc > 0))
		return mc_fail(MC_EINVAL, err, errsz,
		               "give an event ID or --failed");
	if (argc > 0) {
		id = strtoll(argv[0], &end, 10);
		if (end == argv[0] || *end != '\0' || id <= 0)
			return mc_fail(MC_EINVAL, err, errsz,
			               "%s: not an event id", argv[0]);
	}
	if ((rc = store_webhook_retry(s, id, time(NULL), &n)) < 0)
		return mc_fail(rc == MC_ENOTFOUND ? MC_ENOTFOUND : MC_EIO, err,
		               errsz, "%s", store_error(s));
	*out = json_pack("{s:I}", "retried", (json_int_t)n);
	return 0;
}
