/*
 * signup.c — POST /subscribe/LIST and GET/POST /confirm/TOKEN: signup
 * with double opt-in (app/signup.h does the work; this maps HTTP to it).
 *
 * Every signup that is taken gets the same answer (200 page for a form,
 * 202 JSON for a JSON body), whether a message went, one went lately, the
 * address is already on the list, suppressed, or the honeypot field was
 * filled: the answer says nothing about an address.  The confirmation
 * message goes from a mailer thread of its own, so the answer's timing
 * does not say either, and a slow relay holds no request thread.  A
 * per-client-address limit (SIGNUP_IP_MAX an hour: 429) bounds what one
 * client can make the store do; the store's one-a-day limit per address
 * bounds what reaches a third party.  An unknown list is the one 404; a
 * confirmation token not ours 404, one of ours expired 410 (Gone: the
 * link was good and is no more; the page says how to sign up again).
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "app/process.h"
#include "app/signup.h"
#include "base/error.h"
#include "base/log.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "http/http.h"
#include "http/pages.h"

#define SIGNUP_IP_MAX    20   /* signups a client address may make ... */
#define SIGNUP_IP_WINDOW 3600 /* ... in this many seconds */
#define IP_SLOTS         4096 /* a power of two */
#define MAILQ_MAX        1024 /* confirmation messages waiting */
#define FIELD_MAX        1024
#define HONEYPOT         "website" /* a field people never see */

#define PAGE_SIGNUP_DONE                                                       \
	PAGE_HEAD("Almost done")                                               \
	"<h1>Please check your mailbox</h1>\n<p>If this address can "          \
	"join the list, a message with a confirmation link is on its "         \
	"way.  Nothing happens until you open it.</p>\n" PAGE_TAIL
#define PAGE_SIGNUP_CONFIRM                                                    \
	PAGE_HEAD("Confirm")                                                   \
	"<h1>Confirm your subscription?</h1>\n<form method=\"post\">"          \
	"<input type=\"hidden\" name=\"confirm\" value=\"1\">"                 \
	"<button type=\"submit\">Confirm</button></form>\n" PAGE_TAIL
#define PAGE_SIGNUP_CONFIRMED                                                  \
	PAGE_HEAD("Subscribed")                                                \
	"<h1>You are subscribed</h1>\n<p>Thank you.  Every message has "       \
	"a link to unsubscribe.</p>\n" PAGE_TAIL
#define PAGE_SIGNUP_EXPIRED                                                    \
	PAGE_HEAD("Link expired")                                              \
	"<h1>This link has expired</h1>\n<p>Confirmation links work for "      \
	"48 hours.  Please sign up again with the list's form; a new "         \
	"link will be sent.</p>\n" PAGE_TAIL
#define PAGE_SIGNUP_BAD                                                        \
	PAGE_HEAD("Bad request")                                               \
	"<h1>Bad request</h1>\n<p>Please give a valid email "                  \
	"address.</p>\n" PAGE_TAIL
#define PAGE_SIGNUP_OFF                                                        \
	PAGE_HEAD("Unavailable")                                               \
	"<h1>Signups are closed for now</h1>\n<p>This server cannot send "     \
	"confirmation messages yet.  Please try again later.</p>\n" PAGE_TAIL
#define PAGE_SIGNUP_SLOW                                                       \
	PAGE_HEAD("Too many requests")                                         \
	"<h1>Too many requests</h1>\n<p>Please try again "                     \
	"later.</p>\n" PAGE_TAIL

/* Signups per client address in the current window (direct-mapped: a
 * collision shares a count, which only makes the limit stricter). */
struct ip_slot {
	char ip[INET6_ADDRSTRLEN + 1];
	time_t start;
	unsigned n;
};

/* A confirmation message waiting for the mailer thread. */
struct mail_job {
	struct mail_job *next;
	char address[STORE_ADDRESS_MAX + 1];
	char *msg;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct ip_slot ips[IP_SLOTS];
	struct mail_job *head, *tail;
	size_t queued;
	pthread_once_t once;
} sg = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
        .once = PTHREAD_ONCE_INIT};

/* Whether ip may make one more signup now (and count it).  An IPv6
 * client is counted by its /64 (an IPv4-mapped one by its address): one
 * host holds a whole /64 and would otherwise take a fresh count with
 * each address of it. */
static bool
ip_allow(const char *addr, time_t now)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	struct in6_addr v6;
	char ip[INET6_ADDRSTRLEN + 1];
	struct ip_slot *sl;
	bool ok;

	mc_strlcpy(ip, addr, sizeof(ip));
	if (strchr(addr, ':') != NULL && inet_pton(AF_INET6, addr, &v6) == 1 &&
	    !IN6_IS_ADDR_V4MAPPED(&v6)) {
		memset(v6.s6_addr + 8, 0, 8);
		inet_ntop(AF_INET6, &v6, ip, sizeof(ip));
	}
	for (const char *p = ip; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	pthread_mutex_lock(&sg.lock);
	sl = &sg.ips[h & (IP_SLOTS - 1)];
	if (strcmp(sl->ip, ip) != 0 || now - sl->start >= SIGNUP_IP_WINDOW) {
		mc_strlcpy(sl->ip, ip, sizeof(sl->ip));
		sl->start = now;
		sl->n = 0;
	}
	ok = sl->n < SIGNUP_IP_MAX;
	if (ok)
		sl->n++;
	pthread_mutex_unlock(&sg.lock);
	return ok;
}

/* The mailer thread: each waiting message through the relay, in turn. */
static void *
mailer(void *arg)
{
	(void)arg;
	for (;;) {
		struct mail_job *j;
		char err[600];

		pthread_mutex_lock(&sg.lock);
		while (sg.head == NULL)
			pthread_cond_wait(&sg.cond, &sg.lock);
		j = sg.head;
		sg.head = j->next;
		if (sg.head == NULL)
			sg.tail = NULL;
		sg.queued--;
		pthread_mutex_unlock(&sg.lock);
		if (signup_send(app_conf(), j->address, j->msg, err,
		                sizeof(err)) < 0)
			log_warn("serve: signup: confirmation to %s not sent: "
			         "%s",
			         j->address, err);
		else
			log_info("serve: signup: confirmation sent to %s",
			         j->address);
		free(j->msg);
		free(j);
	}
	return NULL;
}

/* Start the mailer thread (once, on the first message). */
static void
mailer_start(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, mailer, NULL) == 0)
		pthread_detach(t);
}

/* Queue the confirmation message of out for the mailer thread. */
static void
mail_queue(const struct signup_out *out)
{
	const struct mc_conf *conf = app_conf();
	const char *site = conf_get(conf, CONF_public_url);
	const char *from = conf_get(conf, CONF_from);
	struct mail_job *j;

	if (site == NULL || from == NULL) {
		/* No link to send without the site we answer for (never the
		 * request's Host: a client would choose the link). */
		log_error("serve: signup: mailcast.conf needs public_url and "
		          "from to send a confirmation to %s",
		          out->address);
		return;
	}
	j = xcalloc(1, sizeof(*j));
	mc_strlcpy(j->address, out->address, sizeof(j->address));
	j->msg =
	    signup_message(from, site, out->address, out->token, time(NULL));
	pthread_once(&sg.once, mailer_start);
	pthread_mutex_lock(&sg.lock);
	if (sg.queued >= MAILQ_MAX) {
		pthread_mutex_unlock(&sg.lock);
		log_warn("serve: signup: mail queue full, %s not sent",
		         out->address);
		free(j->msg);
		free(j);
		return;
	}
	if (sg.tail)
		sg.tail->next = j;
	else
		sg.head = j;
	sg.tail = j;
	sg.queued++;
	pthread_cond_signal(&sg.cond);
	pthread_mutex_unlock(&sg.lock);
}

/* The one answer to a signup taken (form: a page; JSON: 202). */
static enum MHD_Result
answer_taken(struct MHD_Connection *c, bool json)
{
	if (json)
		return http_answer_json(
		    c, 202,
		    json_pack("{s:s, s:s}", "status", "pending", "message",
		              "if this address can join the list, a "
		              "confirmation link is on its way"));
	return http_answer_html(c, 200, PAGE_SIGNUP_DONE);
}

/* An error answer: a JSON {error, message} or a page. */
static enum MHD_Result
answer_error(struct MHD_Connection *c, bool json, unsigned status,
             const char *code, const char *msg, const char *page)
{
	if (json)
		return http_answer_json(
		    c, status,
		    json_pack("{s:s, s:s}", "error", code, "message", msg));
	return http_answer_html(c, status, page);
}

/* POST /subscribe/LIST. */
enum MHD_Result
route_subscribe(struct http_call *hc)
{
	struct MHD_Connection *c = hc->c;
	const char *type =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	bool json = type != NULL && strncmp(type, "application/json", 16) == 0;
	char email[FIELD_MAX], name[FIELD_MAX], trap[FIELD_MAX], err[400];
	struct signup_in in = {.list = hc->rest, .ip = hc->ip};
	const struct token_keyring *ring;
	struct signup_out out;
	struct store *s;
	json_t *body = NULL, *v;
	char *attrs = NULL;
	int rc;

	if (hc->rest[0] == '\0' || strchr(hc->rest, '/') != NULL ||
	    strlen(hc->rest) > STORE_NAME_MAX)
		return http_not_found(c);
	if (http_cross_site(c))
		return answer_error(c, json, 403, "cross_site",
		                    "a form must be sent from its own site",
		                    PAGE_FORBIDDEN);
	if (conf_get(app_conf(), CONF_public_url) == NULL ||
	    conf_get(app_conf(), CONF_from) == NULL) {
		/* No confirmation could go: taking the signup would tell the
		 * person to wait for a message that never comes, and its
		 * one-a-day mark would hold off the real one for a day. */
		log_error("serve: signup %s refused: mailcast.conf needs "
		          "public_url and from to send confirmations",
		          hc->rest);
		return answer_error(c, json, 503, "unavailable",
		                    "signups are closed for now",
		                    PAGE_SIGNUP_OFF);
	}
	if (json) {
		body =
		    json_loadb(hc->body, hc->len, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(body)) {
			json_decref(body);
			return answer_error(c, true, 400, "bad_json",
			                    "expected a JSON object", NULL);
		}
		v = json_object_get(body, HONEYPOT);
		trap[0] = '\0';
		if (json_is_string(v))
			mc_strlcpy(trap, json_string_value(v), sizeof(trap));
		v = json_object_get(body, "email");
		in.address = json_is_string(v) ? json_string_value(v) : NULL;
		v = json_object_get(body, "name");
		in.name = json_is_string(v) ? json_string_value(v) : NULL;
		v = json_object_get(body, "attributes");
		/* not an object: refused by signup_request */
		if (v != NULL)
			attrs = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		in.attrs = attrs;
	} else {
		if (!http_form_get(hc->body, hc->len, HONEYPOT, trap,
		                   sizeof(trap)))
			trap[0] = '\0';
		in.address = http_form_get(hc->body, hc->len, "email", email,
		                           sizeof(email))
		                 ? email
		                 : NULL;
		in.name =
		    http_form_get(hc->body, hc->len, "name", name, sizeof(name))
		        ? name
		        : NULL;
	}
	if (trap[0] != '\0') {
		/* A bot filled the field people never see: it is told what
		 * everyone is told, and nothing happens. */
		log_info("serve: signup %s: honeypot filled by %s", hc->rest,
		         hc->ip);
		goto taken;
	}
	if (!ip_allow(hc->ip, time(NULL))) {
		json_decref(body);
		free(attrs);
		log_warn("serve: signup: %s over %d signups an hour", hc->ip,
		         SIGNUP_IP_MAX);
		return answer_error(c, json, 429, "rate_limited",
		                    "too many signups from this address, try "
		                    "later",
		                    PAGE_SIGNUP_SLOW);
	}
	if ((s = http_store()) == NULL) {
		json_decref(body);
		free(attrs);
		return http_answer_busy(c);
	}
	ring = http_keys_acquire();
	rc = signup_request(s, ring, &in, time(NULL), &out, err, sizeof(err));
	http_keys_release();
	json_decref(body);
	free(attrs);
	if (rc == MC_ENOTFOUND)
		return http_not_found(c);
	if (rc == MC_EDATA)
		return answer_error(c, json, 400, "bad_input", err,
		                    PAGE_SIGNUP_BAD);
	if (rc < 0) {
		log_warn("serve: signup %s: %s", hc->rest, err);
		return http_answer_busy(c);
	}
	log_info("serve: signup %s: %s from %s: %s", hc->rest, out.address,
	         hc->ip, out.send ? "confirmation queued" : out.what);
	if (out.send)
		mail_queue(&out);
	return answer_taken(c, json);
taken:
	json_decref(body);
	free(attrs);
	return answer_taken(c, json);
}

/* GET (a page, nothing changes) or POST (confirmed) /confirm/TOKEN. */
enum MHD_Result
route_confirm(struct http_call *hc)
{
	struct MHD_Connection *c = hc->c;
	const char *tok = signup_path_token(hc->url);
	const struct token_keyring *ring;
	struct signup_confirm_result r;
	struct store *s;
	char err[400];
	int rc;

	if (tok == NULL)
		return http_not_found(c);
	if (hc->post && http_cross_site(c))
		return http_answer_html(c, 403, PAGE_FORBIDDEN);
	if ((s = http_store()) == NULL)
		return http_answer_busy(c);
	for (int pass = 0; pass < 2; pass++) {
		ring = http_keys_acquire();
		rc = signup_confirm(s, ring, tok, hc->ip, hc->post, time(NULL),
		                    &r, err, sizeof(err));
		http_keys_release();
		/* A key rotated since we loaded them: reload, at most once
		 * a second. */
		if (rc != MC_ENOTFOUND || pass > 0 || http_keys_refresh(s) < 0)
			break;
	}
	if (rc == MC_ENOTFOUND)
		return http_not_found(c);
	if (rc == MC_ETIMEDOUT)
		return http_answer_html(c, 410, PAGE_SIGNUP_EXPIRED);
	if (rc < 0) {
		log_warn("serve: confirm: %s", err);
		return http_answer_busy(c);
	}
	if (!hc->post)
		return http_answer_html(c, 200, PAGE_SIGNUP_CONFIRM);
	if (r.changed)
		log_info("serve: confirm: %s confirmed from %s", r.address,
		         hc->ip);
	return http_answer_html(c, 200, PAGE_SIGNUP_CONFIRMED);
}
