/*
 * campaign_settings.c — a campaign's sending settings (campaign.h): the
 * name tables, setting one by name (flags and mailcast.conf alike), the
 * checks, and the one JSON form they are saved in.
 *
 * The JSON keys are those earlier versions saved, so campaigns made by
 * them still start; a key that is missing keeps its default.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "app/campaign.h"
#include "app/unsubscribe.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "msg/address.h"

static const char *const status_names[] = {
#define CAMPAIGN_STATUS_NAME(e, name) name,
    CAMPAIGN_STATUSES(CAMPAIGN_STATUS_NAME)
#undef CAMPAIGN_STATUS_NAME
};

static const char *const tls_names[] = {
#define CAMPAIGN_TLS_NAME(e, name) name,
    CAMPAIGN_TLS_MODES(CAMPAIGN_TLS_NAME)
#undef CAMPAIGN_TLS_NAME
};

static const struct {
	const char *name;
	bool arg;
} opt_table[] = {
#define CAMPAIGN_OPT_ROW(e, name, arg) {name, arg},
    CAMPAIGN_OPTS(CAMPAIGN_OPT_ROW)
#undef CAMPAIGN_OPT_ROW
};

/* "running"; "?" out of range. */
const char *
campaign_status_name(enum campaign_status st)
{
	return (unsigned)st < CAMPAIGN_STATUS__COUNT ? status_names[st] : "?";
}

/* The status named name, or -1. */
int
campaign_status_parse(const char *name)
{
	for (int i = 0; name && i < CAMPAIGN_STATUS__COUNT; i++)
		if (strcmp(status_names[i], name) == 0)
			return i;
	return -1;
}

/* "require"; "" for INHERIT, "?" out of range. */
const char *
campaign_tls_name(enum campaign_tls t)
{
	return (unsigned)t < CAMPAIGN_TLS__COUNT ? tls_names[t] : "?";
}

/* The TLS mode named name, or -1. */
int
campaign_tls_parse(const char *name)
{
	if (name && strcmp(name, "starttls") == 0)
		return CAMPAIGN_TLS_REQUIRE;
	for (int i = CAMPAIGN_TLS_NONE; name && i < CAMPAIGN_TLS__COUNT; i++)
		if (strcmp(tls_names[i], name) == 0)
			return i;
	return -1;
}

/* "dns-server"; NULL out of range. */
const char *
campaign_opt_name(enum campaign_opt o)
{
	return (unsigned)o < CAMPAIGN_OPT__COUNT ? opt_table[o].name : NULL;
}

/* Whether option o takes a value. */
bool
campaign_opt_has_arg(enum campaign_opt o)
{
	return (unsigned)o < CAMPAIGN_OPT__COUNT && opt_table[o].arg;
}

/* The option named name, or -1. */
int
campaign_opt_parse(const char *name)
{
	for (int i = 0; name && i < CAMPAIGN_OPT__COUNT; i++)
		if (strcmp(opt_table[i].name, name) == 0)
			return i;
	return -1;
}

/* Replace *dst with a copy of s (or NULL). */
static void
set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = s ? xstrdup(s) : NULL;
}

/* Free a secret's source. */
static void
secret_fini(struct campaign_secret *sec)
{
	free(sec->file);
	free(sec->env);
	sec->file = sec->env = NULL;
}

/* Forget the relays and their settings. */
static void
relays_clear(struct campaign_settings *set)
{
	for (size_t i = 0; i < set->nrelays; i++) {
		struct campaign_relay *r = &set->relays[i];

		free(r->host);
		free(r->name);
		free(r->ca_file);
		free(r->auth_user);
		secret_fini(&r->auth_secret);
		memset(r, 0, sizeof(*r));
	}
	set->nrelays = 0;
	set->weighted = false;
}

/* Forget the DKIM keys and selectors. */
static void
dkim_clear(struct campaign_settings *set)
{
	for (size_t i = 0; i < DKIM_KEYS_MAX; i++) {
		free(set->dkim_key[i]);
		free(set->dkim_selector[i]);
		set->dkim_key[i] = set->dkim_selector[i] = NULL;
	}
	set->ndkim = set->nsel = 0;
}

/* Empty settings. */
void
campaign_settings_init(struct campaign_settings *set)
{
	memset(set, 0, sizeof(*set));
}

/* Free the settings' strings. */
void
campaign_settings_fini(struct campaign_settings *set)
{
	free(set->template_path);
	free(set->from);
	free(set->bounce_domain);
	free(set->token_key_file);
	dkim_clear(set);
	free(set->dkim_domain);
	relays_clear(set);
	free(set->dns_server);
	free(set->helo);
	free(set->ca_file);
	free(set->auth_user);
	secret_fini(&set->auth_secret);
	free(set->unsub_url);
	free(set->unsub_mailto);
	free(set->window);
	memset(set, 0, sizeof(*set));
}

/* Start a new layer. */
void
campaign_settings_layer(struct campaign_settings *set)
{
	set->relays_fresh = false;
	set->dkim_fresh = false;
}

/* A decimal number in [min, max]. */
static bool
parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* A rate (>= 0, at most 10^7). */
static bool
parse_rate(const char *s, double *out)
{
	char *end;
	double v;

	if (s == NULL)
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0) || v > 1e7)
		return false;
	*out = v;
	return true;
}

/*
 * A duration: a whole number with a unit (500ms, 30s, 5m, 2h, 1d) or
 * without one (then in unit_ms, what a bare number always meant for the
 * option), into *out counted in out_ms (ms or s), within [min, max] of
 * those.  A value that is not a whole number of out_ms is refused.
 */
static bool
parse_duration(const char *s, unsigned long unit_ms, unsigned long out_ms,
               long min, long max, unsigned *out)
{
	uint64_t ms;

	if (mc_duration_parse(s, unit_ms, &ms) < 0 || ms % out_ms != 0 ||
	    ms / out_ms < (uint64_t)min || ms / out_ms > (uint64_t)max)
		return false;
	*out = (unsigned)(ms / out_ms);
	return true;
}

/* A duration option in seconds (bare: seconds); its complaint or NULL. */
static const char *
set_secs(unsigned *out, const char *v, long min, long max, const char *why)
{
	return parse_duration(v, 1000, 1000, min, max, out) ? NULL : why;
}

/* A duration option in ms (bare: ms); its complaint or NULL. */
static const char *
set_ms(unsigned *out, const char *v, long min, long max, const char *why)
{
	return parse_duration(v, 1, 1, min, max, out) ? NULL : why;
}

/* Seconds "1,2,4" (or 30s,5m,1h) into the retry schedule. */
static bool
parse_schedule(const char *s, struct engine_retry *r)
{
	char tmp[256];
	char *tok, *save = NULL;

	if (s == NULL || strlen(s) >= sizeof(tmp))
		return false;
	mc_strlcpy(tmp, s, sizeof(tmp));
	r->n = 0;
	for (tok = strtok_r(tmp, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		unsigned v;

		/* 0 s would hammer a greylisting server with retries */
		if (r->n >= ENGINE_SCHEDULE_MAX ||
		    !parse_duration(tok, 1000, 1000, 1, 30 * 86400, &v))
			return false;
		r->schedule[r->n++] = v;
	}
	return r->n > 0;
}

/* Add a relay "HOST:PORT" (the first of a layer replaces the others). */
static const char *
add_relay(struct campaign_settings *set, const char *host)
{
	struct campaign_relay *r;
	const char *colon = strrchr(host, ':');
	long port;

	/* a port, when given, is one a server can listen on */
	if (colon != NULL && strchr(colon, ']') == NULL &&
	    !parse_long(colon + 1, 1, 65535, &port))
		return "--relay: HOST:PORT with a port from 1 to 65535";
	if (!set->relays_fresh) {
		relays_clear(set);
		set->relays_fresh = true;
	}
	if (set->nrelays >= ENGINE_RELAYS_MAX)
		return "--relay: too many relays";
	r = &set->relays[set->nrelays++];
	memset(r, 0, sizeof(*r));
	r->host = xstrdup(host);
	r->tls_verify = -1;
	return NULL;
}

/* Add a DKIM key file or selector (a layer's first replaces). */
static const char *
add_dkim(struct campaign_settings *set, bool key, const char *v)
{
	if (!set->dkim_fresh) {
		dkim_clear(set);
		set->dkim_fresh = true;
	}
	if (key) {
		if (set->ndkim >= DKIM_KEYS_MAX)
			return "--dkim-key: at most 2";
		set->dkim_key[set->ndkim++] = xstrdup(v);
	} else {
		if (set->nsel >= DKIM_KEYS_MAX)
			return "--dkim-selector: at most 2";
		set->dkim_selector[set->nsel++] = xstrdup(v);
	}
	return NULL;
}

/* A number option into *out; its complaint, or NULL. */
static const char *
set_uint(unsigned *out, const char *v, long min, long max, const char *why)
{
	long n;

	if (!parse_long(v, min, max, &n))
		return why;
	*out = (unsigned)n;
	return NULL;
}

/* HH:MM at *p (advanced) as minutes; false if not there. */
static bool
hh_mm(const char **p, long *min)
{
	char *end;
	long h = strtol(*p, &end, 10), m;

	if (end - *p != 2 || *end != ':')
		return false;
	*p = end + 1;
	m = strtol(*p, &end, 10);
	if (end - *p != 2 || h > 24 || m > 59 || (h == 24 && m > 0) || h < 0 ||
	    m < 0)
		return false;
	*p = end;
	*min = h * 60 + m;
	return true;
}

/* A sending window as UTC minutes of the day; the zone is required (a
 * window means a time somewhere). */
int
campaign_window_parse(const char *text, unsigned *start_utc, unsigned *end_utc)
{
	const char *p = text;
	long a, b, off = 0;

	if (text == NULL || !hh_mm(&p, &a) || *p++ != '-' || !hh_mm(&p, &b))
		return MC_EINVAL;
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1;

		if (!hh_mm(&p, &off) || off > 14 * 60)
			return MC_EINVAL;
		off *= sign;
	} else {
		return MC_EINVAL;
	}
	if (*p != '\0' || a % 1440 == b % 1440)
		return MC_EINVAL;
	*start_utc = (unsigned)(((a - off) % 1440 + 1440) % 1440);
	*end_utc = (unsigned)(((b - off) % 1440 + 1440) % 1440);
	return 0;
}

/* A number option (limits, retries, timeouts): its complaint or NULL;
 * "" when o is not one. */
static const char *
set_number(struct campaign_settings *set, enum campaign_opt o, const char *v)
{
	struct engine_limits *l = &set->limits;
	struct engine_retry *r = &set->retry;
	unsigned port;
	const char *why;

	switch (o) {
	case CAMPAIGN_OPT_MX_PORT:
		why = set_uint(&port, v, 1, 65535, "--mx-port: a port number");
		if (why == NULL)
			set->mx_port = (int)port;
		return why;
	case CAMPAIGN_OPT_RATE:
		return parse_rate(v, &l->rate) ? NULL
		                               : "--rate: messages per second";
	case CAMPAIGN_OPT_DEST_RATE:
		return parse_rate(v, &l->dest_rate)
		           ? NULL
		           : "--dest-rate: messages per second";
	case CAMPAIGN_OPT_CONNS:
		return set_uint(&l->dest_conns, v, 1, 1000,
		                "--conns: 1 to 1000");
	case CAMPAIGN_OPT_PER_CONN:
		return set_uint(&l->per_conn, v, 0, 10000000,
		                "--per-conn: a count");
	case CAMPAIGN_OPT_TOTAL_CONNS:
		return set_uint(&l->total_conns, v, 1, 100000,
		                "--total-conns: 1 to 100000");
	case CAMPAIGN_OPT_PIPELINE:
		return set_uint(&l->pipeline, v, 1, 100,
		                "--pipeline: 1 to 100");
	case CAMPAIGN_OPT_RETRY:
		return parse_schedule(v, r)
		           ? NULL
		           : "--retry: durations from 1s up, comma-separated "
		             "(60,300,900 or 1m,5m,15m; a bare number is "
		             "seconds)";
	case CAMPAIGN_OPT_MAX_AGE:
		return set_secs(&r->max_age, v, 1, 60 * 86400,
		                "--max-age: a duration (3600, 1h, 5d; a bare "
		                "number is seconds)");
	case CAMPAIGN_OPT_LINGER:
		return set_secs(&r->linger, v, 1, 60 * 86400,
		                "--linger: a duration (30, 30s, 15m; a bare "
		                "number is seconds)");
	case CAMPAIGN_OPT_BACKOFF_MAX:
		return set_ms(&r->backoff_max_ms, v, 1, 3600000,
		              "--backoff-max: a duration up to 1h (500ms, "
		              "30s; a bare number is milliseconds)");
	case CAMPAIGN_OPT_TIMEOUT:
		return set_ms(&set->timeout_ms, v, 100, 3600000,
		              "--timeout: a duration from 100ms to 1h (30s, "
		              "500ms; a bare number is milliseconds)");
	case CAMPAIGN_OPT_WINDOW: {
		unsigned a, b;

		if (strcmp(v, "none") == 0) {
			set_str(&set->window, NULL);
			return NULL;
		}
		if (campaign_window_parse(v, &a, &b) < 0)
			return "--window: HH:MM-HH:MM with its zone "
			       "(09:00-17:00+01:00, 22:00-06:00Z), or none";
		set_str(&set->window, v);
		return NULL;
	}
	case CAMPAIGN_OPT_THREADS:
		return set_uint(&set->threads, v, 1, ENGINE_THREADS_MAX,
		                "--threads: 1 to 16");
	case CAMPAIGN_OPT_LEASE_TIMEOUT:
		return set_secs(&set->lease_timeout, v, 2, 3600,
		                "--lease-timeout: a duration from 2s to 1h (a "
		                "bare number is seconds)");
	default:
		return "";
	}
}

/* A text option (names, addresses, files): its complaint or NULL; ""
 * when o is not one. */
static const char *
set_text(struct campaign_settings *set, enum campaign_opt o, const char *v)
{
	static const struct {
		enum campaign_opt o;
		size_t off;
	} plain[] = {
	    {CAMPAIGN_OPT_FROM, offsetof(struct campaign_settings, from)},
	    {CAMPAIGN_OPT_DNS_SERVER,
	     offsetof(struct campaign_settings, dns_server)},
	    {CAMPAIGN_OPT_HELO, offsetof(struct campaign_settings, helo)},
	    {CAMPAIGN_OPT_CA_FILE, offsetof(struct campaign_settings, ca_file)},
	    {CAMPAIGN_OPT_AUTH_USER,
	     offsetof(struct campaign_settings, auth_user)},
	    /* the file's name is kept, never the password */
	    {CAMPAIGN_OPT_AUTH_PASSWORD_FILE,
	     offsetof(struct campaign_settings, auth_secret.file)},
	    {CAMPAIGN_OPT_TOKEN_KEY,
	     offsetof(struct campaign_settings, token_key_file)},
	    {CAMPAIGN_OPT_BOUNCE_DOMAIN,
	     offsetof(struct campaign_settings, bounce_domain)},
	    {CAMPAIGN_OPT_DKIM_DOMAIN,
	     offsetof(struct campaign_settings, dkim_domain)},
	    {CAMPAIGN_OPT_UNSUB_URL,
	     offsetof(struct campaign_settings, unsub_url)},
	    {CAMPAIGN_OPT_UNSUB_MAILTO,
	     offsetof(struct campaign_settings, unsub_mailto)},
	};

	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (plain[i].o == o) {
			set_str((char **)((char *)set + plain[i].off), v);
			return NULL;
		}
	return "";
}

/* Set option o from value. */
int
campaign_settings_set(struct campaign_settings *set, enum campaign_opt o,
                      const char *v, char *err, size_t errsz)
{
	const char *why = NULL;
	int t;

	if (campaign_opt_has_arg(o) && v == NULL) {
		snprintf(err, errsz, "--%s: needs a value",
		         campaign_opt_name(o) ? campaign_opt_name(o) : "?");
		return MC_EINVAL;
	}
	switch (o) {
	case CAMPAIGN_OPT_TEMPLATE: {
		char *abs = realpath(v, NULL);

		if (abs == NULL) {
			snprintf(err, errsz, "%s: no such template file", v);
			return MC_ENOTFOUND;
		}
		free(set->template_path);
		set->template_path = abs;
		break;
	}
	case CAMPAIGN_OPT_RELAY:
		why = add_relay(set, v);
		break;
	case CAMPAIGN_OPT_DIRECT:
		if (!set->relays_fresh)
			relays_clear(set); /* mailcast.conf's or saved ones */
		set->direct = true;
		break;
	case CAMPAIGN_OPT_TLS:
		if ((t = campaign_tls_parse(v)) < 0)
			why = "--tls: none, opportunistic, require (starttls) "
			      "or implicit";
		else
			set->tls = (enum campaign_tls)t;
		break;
	case CAMPAIGN_OPT_TLS_NO_VERIFY:
		set->tls_no_verify = true;
		break;
	case CAMPAIGN_OPT_ALLOW_UNALIGNED:
		set->allow_unaligned = true;
		break;
	case CAMPAIGN_OPT_TRACK_CLICKS:
		set->track_clicks = true;
		break;
	case CAMPAIGN_OPT_TRACK_OPENS:
		set->track_opens = true;
		break;
	case CAMPAIGN_OPT_TLS_VERIFY:
		if (strcmp(v, "yes") && strcmp(v, "no"))
			why = "--tls-verify: yes or no";
		else
			set->tls_no_verify = strcmp(v, "no") == 0;
		break;
	case CAMPAIGN_OPT_DKIM_KEY:
	case CAMPAIGN_OPT_DKIM_SELECTOR:
		why = add_dkim(set, o == CAMPAIGN_OPT_DKIM_KEY, v);
		break;
	default:
		if ((why = set_text(set, o, v)) != NULL && *why == '\0')
			why = set_number(set, o, v);
		if (why && *why == '\0')
			why = "not a campaign setting";
		break;
	}
	if (why) {
		snprintf(err, errsz, "%s", why);
		return MC_EINVAL;
	}
	return 0;
}

/* The setting of each [mailcast] key of mailcast.conf (-1: none). */
static int
conf_opt(enum conf_key k)
{
	static const struct {
		enum conf_key k;
		enum campaign_opt o;
	} map[] = {
	    {CONF_from, CAMPAIGN_OPT_FROM},
	    {CONF_helo, CAMPAIGN_OPT_HELO},
	    {CONF_tls, CAMPAIGN_OPT_TLS},
	    {CONF_tls_verify, CAMPAIGN_OPT_TLS_VERIFY},
	    {CONF_ca_file, CAMPAIGN_OPT_CA_FILE},
	    {CONF_auth_user, CAMPAIGN_OPT_AUTH_USER},
	    {CONF_auth_password_file, CAMPAIGN_OPT_AUTH_PASSWORD_FILE},
	    {CONF_rate, CAMPAIGN_OPT_RATE},
	    {CONF_conns, CAMPAIGN_OPT_CONNS},
	    {CONF_dest_rate, CAMPAIGN_OPT_DEST_RATE},
	    {CONF_per_conn, CAMPAIGN_OPT_PER_CONN},
	    {CONF_total_conns, CAMPAIGN_OPT_TOTAL_CONNS},
	    {CONF_pipeline, CAMPAIGN_OPT_PIPELINE},
	    {CONF_retry, CAMPAIGN_OPT_RETRY},
	    {CONF_max_age, CAMPAIGN_OPT_MAX_AGE},
	    {CONF_linger, CAMPAIGN_OPT_LINGER},
	    {CONF_timeout, CAMPAIGN_OPT_TIMEOUT},
	    {CONF_lease_timeout, CAMPAIGN_OPT_LEASE_TIMEOUT},
	    {CONF_token_key, CAMPAIGN_OPT_TOKEN_KEY},
	    {CONF_bounce_domain, CAMPAIGN_OPT_BOUNCE_DOMAIN},
	    {CONF_dkim_key, CAMPAIGN_OPT_DKIM_KEY},
	    {CONF_dkim_selector, CAMPAIGN_OPT_DKIM_SELECTOR},
	    {CONF_dkim_domain, CAMPAIGN_OPT_DKIM_DOMAIN},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].k == k)
			return (int)map[i].o;
	return -1;
}

/* Copy a copy of s, or NULL. */
static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* The relays of MAILCAST_RELAY ("H:P,H:P"): 0 or MC_ECONFIG. */
static int
env_relays(struct campaign_settings *set, const char *list, char *err,
           size_t errsz)
{
	char tmp[CONF_VALUE_MAX], *tok, *save = NULL;

	relays_clear(set);
	set->relays_fresh = true;
	mc_strlcpy(tmp, list, sizeof(tmp));
	for (tok = strtok_r(tmp, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save)) {
		if (add_relay(set, tok) != NULL) {
			snprintf(err, errsz,
			         "MAILCAST_RELAY: more than %d relays",
			         ENGINE_RELAYS_MAX);
			return MC_ECONFIG;
		}
	}
	return 0;
}

/* Lay a configuration into set. */
int
campaign_settings_from_conf(struct campaign_settings *set,
                            const struct mc_conf *c, char *err, size_t errsz)
{
	char why[256];
	int rc = 0;

	for (int k = 0; k < CONF__COUNT; k++) {
		const char *v = conf_get(c, (enum conf_key)k);
		int o = conf_opt((enum conf_key)k);

		if (v == NULL || o < 0)
			continue;
		if (campaign_settings_set(set, (enum campaign_opt)o, v, why,
		                          sizeof(why)) < 0) {
			snprintf(err, errsz, "%s: %s",
			         c->path ? c->path : "environment", why);
			return MC_ECONFIG;
		}
	}
	/* The one-click links of a site `mailcast serve` answers for:
	 * public_url + the route's path (app/unsubscribe.h). */
	if (set->unsub_url == NULL && conf_get(c, CONF_public_url) != NULL) {
		char *u = unsub_url_prefix(conf_get(c, CONF_public_url));

		rc = campaign_settings_set(set, CAMPAIGN_OPT_UNSUB_URL, u, why,
		                           sizeof(why));
		free(u);
		if (rc < 0) {
			snprintf(err, errsz, "%s: public_url: %s",
			         c->path ? c->path : "environment", why);
			return MC_ECONFIG;
		}
	}
	if (c->env_relays) {
		rc = env_relays(set, c->env_relays, err, errsz);
	} else if (c->nrelays > 0) {
		relays_clear(set);
		for (size_t i = 0; i < c->nrelays && i < ENGINE_RELAYS_MAX;
		     i++) {
			const struct conf_relay *cr = &c->relays[i];
			struct campaign_relay *r = &set->relays[i];
			int t = campaign_tls_parse(cr->tls);

			r->host = xstrdup(cr->host);
			r->name = xstrdup(cr->name);
			r->weight = cr->weight;
			r->tls =
			    t < 0 ? CAMPAIGN_TLS_INHERIT : (enum campaign_tls)t;
			r->tls_verify = cr->tls_verify;
			r->ca_file = dup_or_null(cr->ca_file);
			r->auth_user = dup_or_null(cr->auth_user);
			r->auth_secret.file =
			    dup_or_null(cr->auth_password_file);
			r->conns = cr->conns;
			r->rate = cr->rate;
			r->per_conn = cr->per_conn;
			set->nrelays++;
		}
		set->weighted = true;
	}
	campaign_settings_layer(set);
	return rc;
}

/* The first control character of s (below 0x20, or DEL), or space with
 * no_space; NULL if none. */
static const char *
bad_char(const char *s, bool no_space)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f ||
		    (no_space && *s == ' '))
			return s;
	return NULL;
}

/* A host name (LDH labels) or an address literal for --helo. */
static bool
host_ok(const char *s)
{
	struct addr a;
	char tmp[ADDR_DOMAIN_MAX + 8];

	if (s[0] != '[')
		return addr_domain_valid(s, strlen(s));
	/* an address literal: let the address parser judge "x@[...]" */
	if (strlen(s) > ADDR_DOMAIN_MAX)
		return false;
	snprintf(tmp, sizeof(tmp), "x@%s", s);
	return addr_parse(tmp, strlen(tmp), &a, NULL, 0) == 0;
}

/* An http:// or https:// URL with a host, no space or control character. */
static const char *
url_why(const char *u)
{
	const char *host, *end;

	if (bad_char(u, true))
		return "a space or control character in the URL";
	if (strncasecmp(u, "https://", 8) == 0)
		host = u + 8;
	else if (strncasecmp(u, "http://", 7) == 0)
		host = u + 7;
	else
		return "not an http:// or https:// URL";
	end = host + strcspn(host, "/?#");
	if (end == host || *host == ':' || *host == '@' ||
	    memchr(host, '@', (size_t)(end - host)) != NULL)
		return "no host after the scheme";
	return NULL;
}

/* The complaint about one text value, or NULL. */
static const char *
value_why(enum campaign_opt o, const char *v, char *why, size_t whysz)
{
	struct addr a;
	char aerr[160];

	switch (o) {
	case CAMPAIGN_OPT_FROM:
	case CAMPAIGN_OPT_UNSUB_MAILTO:
		if (addr_parse(v, strlen(v), &a, aerr, sizeof(aerr)) == 0)
			return NULL;
		snprintf(why, whysz, "not an address: %s", aerr);
		return why;
	case CAMPAIGN_OPT_BOUNCE_DOMAIN:
	case CAMPAIGN_OPT_DKIM_DOMAIN:
		if (bad_char(v, true))
			return "a space or control character in the domain";
		return addr_domain_valid(v, strlen(v))
		           ? NULL
		           : "not a domain name (letters, digits, '-' "
		             "between dots)";
	case CAMPAIGN_OPT_HELO:
		if (bad_char(v, true))
			return "a space or control character in the name";
		return host_ok(v) ? NULL : "not a host name or address literal";
	case CAMPAIGN_OPT_UNSUB_URL:
		return url_why(v);
	default:
		return bad_char(v, false) ? "a control character in the value"
		                          : NULL;
	}
}

/* What a run needs. */
int
campaign_settings_check(const struct campaign_settings *set, char *err,
                        size_t errsz)
{
	const struct {
		enum campaign_opt o;
		const char *v;
	} text[] = {
	    {CAMPAIGN_OPT_FROM, set->from},
	    {CAMPAIGN_OPT_BOUNCE_DOMAIN, set->bounce_domain},
	    {CAMPAIGN_OPT_HELO, set->helo},
	    {CAMPAIGN_OPT_DKIM_DOMAIN, set->dkim_domain},
	    {CAMPAIGN_OPT_UNSUB_URL, set->unsub_url},
	    {CAMPAIGN_OPT_UNSUB_MAILTO, set->unsub_mailto},
	    {CAMPAIGN_OPT_AUTH_USER, set->auth_user},
	    {CAMPAIGN_OPT_DNS_SERVER, set->dns_server},
	    {CAMPAIGN_OPT_DKIM_SELECTOR, set->dkim_selector[0]},
	    {CAMPAIGN_OPT_DKIM_SELECTOR, set->dkim_selector[1]},
	};
	const char *why = NULL;
	char buf[240];

	if (set->template_path == NULL)
		why = "--template FILE is required";
	else if (set->direct && set->nrelays)
		why = "--relay and --direct exclude each other";
	else if (!set->direct && set->nrelays == 0)
		why = "say where mail goes: --relay HOST:PORT or --direct";
	else if (set->ndkim != set->nsel)
		why = "give one --dkim-selector per --dkim-key";
	if (why) {
		snprintf(err, errsz, "%s", why);
		return MC_EINVAL;
	}
	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
		if (text[i].v == NULL ||
		    (why = value_why(text[i].o, text[i].v, buf, sizeof(buf))) ==
		        NULL)
			continue;
		snprintf(err, errsz, "--%s: %s", campaign_opt_name(text[i].o),
		         why);
		return MC_EINVAL;
	}
	for (size_t i = 0; i < set->nrelays; i++)
		if (bad_char(set->relays[i].host, true) ||
		    (set->relays[i].auth_user &&
		     bad_char(set->relays[i].auth_user, false))) {
			snprintf(err, errsz,
			         "--relay: a space or control character in "
			         "relay %zu",
			         i + 1);
			return MC_EINVAL;
		}
	return 0;
}

/* path made absolute against the current directory (heap), or NULL. */
static char *
abs_path(const char *path)
{
	char cwd[PATH_MAX], *abs;
	size_t n;

	if (path == NULL || path[0] == '/')
		return dup_or_null(path);
	if ((abs = realpath(path, NULL)) != NULL)
		return abs;
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return xstrdup(path);
	n = strlen(cwd) + strlen(path) + 2;
	abs = xmalloc(n);
	snprintf(abs, n, "%s/%s", cwd, path);
	return abs;
}

/* One file of the settings: exists, not a directory. */
static int
file_check(const char *field, const char *path, char *err, size_t errsz)
{
	struct stat sb;
	char *abs;
	int rc = 0;

	if (path == NULL)
		return 0;
	abs = abs_path(path);
	if (stat(abs, &sb) < 0) {
		snprintf(err, errsz, "--%s %s: %s", field, abs,
		         errno == ENOENT ? "no such file" : strerror(errno));
		rc = MC_ENOTFOUND;
	} else if (S_ISDIR(sb.st_mode)) {
		snprintf(err, errsz, "--%s %s is a directory, not a file",
		         field, abs);
		rc = MC_EDATA;
	}
	free(abs);
	return rc;
}

/* Every file the settings name. */
int
campaign_settings_files(const struct campaign_settings *set,
                        bool frozen_template, char *err, size_t errsz)
{
	int rc;

	if ((!frozen_template &&
	     (rc = file_check("template", set->template_path, err, errsz)) <
	         0) ||
	    (rc = file_check("ca-file", set->ca_file, err, errsz)) < 0 ||
	    (rc = file_check("auth-password-file", set->auth_secret.file, err,
	                     errsz)) < 0 ||
	    (rc = file_check("token-key", set->token_key_file, err, errsz)) < 0)
		return rc;
	for (size_t i = 0; i < set->ndkim; i++)
		if ((rc = file_check("dkim-key", set->dkim_key[i], err,
		                     errsz)) < 0)
			return rc;
	for (size_t i = 0; i < set->nrelays; i++)
		if ((rc = file_check("ca-file", set->relays[i].ca_file, err,
		                     errsz)) < 0 ||
		    (rc = file_check("auth-password-file",
		                     set->relays[i].auth_secret.file, err,
		                     errsz)) < 0)
			return rc;
	return 0;
}

/* Set key to a string value, if any. */
static void
js_str(json_t *o, const char *key, const char *v)
{
	if (v)
		json_object_set_new(o, key, json_string(v));
}

/* Set key to path made absolute, if any. */
static void
js_path(json_t *o, const char *key, const char *path)
{
	char *abs = abs_path(path);

	js_str(o, key, abs);
	free(abs);
}

/* Set key to a TLS mode's name unless it inherits. */
static void
js_tls(json_t *o, const char *key, enum campaign_tls t)
{
	if (t != CAMPAIGN_TLS_INHERIT)
		js_str(o, key, campaign_tls_name(t));
}

/* The relays' own settings as a JSON array. */
static json_t *
relays_json(const struct campaign_settings *set)
{
	json_t *a = json_array();

	for (size_t i = 0; i < set->nrelays; i++) {
		const struct campaign_relay *r = &set->relays[i];
		json_t *rj = json_object();

		js_str(rj, "name", r->name);
		json_object_set_new(rj, "weight", json_integer(r->weight));
		js_tls(rj, "tls", r->tls);
		js_path(rj, "ca_file", r->ca_file);
		js_str(rj, "auth_user", r->auth_user);
		js_path(rj, "auth_password_file", r->auth_secret.file);
		js_str(rj, "auth_password_env", r->auth_secret.env);
		json_object_set_new(rj, "tls_verify",
		                    json_integer(r->tls_verify));
		json_object_set_new(rj, "conns", json_integer(r->conns));
		json_object_set_new(rj, "rate", json_real(r->rate));
		json_object_set_new(rj, "per_conn", json_integer(r->per_conn));
		json_array_append_new(a, rj);
	}
	return a;
}

/* The settings as compact JSON. */
char *
campaign_settings_to_json(const struct campaign_settings *set)
{
	json_t *j = json_object(), *a;
	char *txt;

	js_path(j, "template", set->template_path);
	js_str(j, "from", set->from);
	js_str(j, "bounce_domain", set->bounce_domain);
	js_path(j, "token_key", set->token_key_file);
	a = json_array();
	for (size_t i = 0; i < set->ndkim; i++) {
		char *key = abs_path(set->dkim_key[i]);
		const char *sel = i < set->nsel && set->dkim_selector[i]
		                      ? set->dkim_selector[i]
		                      : "";

		json_array_append_new(
		    a, json_pack("{s:s,s:s}", "key", key, "selector", sel));
		free(key);
	}
	json_object_set_new(j, "dkim", a);
	js_str(j, "dkim_domain", set->dkim_domain);
	a = json_array();
	for (size_t i = 0; i < set->nrelays; i++)
		json_array_append_new(a, json_string(set->relays[i].host));
	json_object_set_new(j, "relays", a);
	if (set->weighted)
		json_object_set_new(j, "relay_settings", relays_json(set));
	json_object_set_new(j, "direct", json_boolean(set->direct));
	js_str(j, "dns_server", set->dns_server);
	json_object_set_new(j, "mx_port", json_integer(set->mx_port));
	js_str(j, "helo", set->helo);
	js_tls(j, "tls", set->tls);
	json_object_set_new(j, "tls_no_verify",
	                    json_boolean(set->tls_no_verify));
	js_path(j, "ca_file", set->ca_file);
	js_str(j, "auth_user", set->auth_user);
	js_path(j, "auth_password_file", set->auth_secret.file);
	js_str(j, "auth_password_env", set->auth_secret.env);
	js_str(j, "unsubscribe_url", set->unsub_url);
	js_str(j, "unsubscribe_mailto", set->unsub_mailto);
	js_str(j, "window", set->window);
	if (set->allow_unaligned)
		json_object_set_new(j, "allow_unaligned", json_true());
	if (set->track_clicks)
		json_object_set_new(j, "track_clicks", json_true());
	if (set->track_opens)
		json_object_set_new(j, "track_opens", json_true());
	json_object_set_new(j, "rate", json_real(set->limits.rate));
	json_object_set_new(j, "dest_rate", json_real(set->limits.dest_rate));
	json_object_set_new(j, "conns", json_integer(set->limits.dest_conns));
	json_object_set_new(j, "per_conn", json_integer(set->limits.per_conn));
	if (set->limits.total_conns)
		json_object_set_new(j, "total_conns",
		                    json_integer(set->limits.total_conns));
	json_object_set_new(j, "pipeline", json_integer(set->limits.pipeline));
	a = json_array();
	for (size_t i = 0; i < set->retry.n; i++)
		json_array_append_new(a, json_integer(set->retry.schedule[i]));
	json_object_set_new(j, "retry", a);
	json_object_set_new(j, "max_age", json_integer(set->retry.max_age));
	json_object_set_new(j, "linger", json_integer(set->retry.linger));
	json_object_set_new(j, "backoff_max",
	                    json_integer(set->retry.backoff_max_ms));
	json_object_set_new(j, "timeout", json_integer(set->timeout_ms));
	json_object_set_new(j, "threads", json_integer(set->threads));
	json_object_set_new(j, "lease_timeout",
	                    json_integer(set->lease_timeout));
	txt = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return txt;
}

/* A string from a JSON object, copied, or NULL. */
static char *
js_get(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

/* An unsigned from a JSON object (0 when missing or out of range). */
static unsigned
js_uint(json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));

	return v > 0 && v < UINT_MAX ? (unsigned)v : 0;
}

/* A TLS mode from a JSON object (INHERIT when missing or unknown). */
static enum campaign_tls
js_tls_get(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	int t =
	    json_is_string(v) ? campaign_tls_parse(json_string_value(v)) : -1;

	return t < 0 ? CAMPAIGN_TLS_INHERIT : (enum campaign_tls)t;
}

/* The relays (and their own settings) from JSON. */
static void
relays_from_json(struct campaign_settings *set, json_t *j)
{
	json_t *a, *v;
	size_t i;

	json_array_foreach(json_object_get(j, "relays"), i, v)
	{
		if (set->nrelays < ENGINE_RELAYS_MAX && json_is_string(v)) {
			struct campaign_relay *r = &set->relays[set->nrelays++];

			r->host = xstrdup(json_string_value(v));
			r->tls_verify = -1;
		}
	}
	a = json_object_get(j, "relay_settings");
	if (json_array_size(a) != set->nrelays || set->nrelays == 0)
		return;
	set->weighted = true;
	json_array_foreach(a, i, v)
	{
		struct campaign_relay *r = &set->relays[i];
		json_t *tv = json_object_get(v, "tls_verify");

		r->name = js_get(v, "name");
		r->weight = js_uint(v, "weight");
		r->tls = js_tls_get(v, "tls");
		r->ca_file = js_get(v, "ca_file");
		r->auth_user = js_get(v, "auth_user");
		r->auth_secret.file = js_get(v, "auth_password_file");
		r->auth_secret.env = js_get(v, "auth_password_env");
		r->tls_verify =
		    json_is_integer(tv) ? (int)json_integer_value(tv) : -1;
		r->conns = js_uint(v, "conns");
		r->rate = json_number_value(json_object_get(v, "rate"));
		r->per_conn = js_uint(v, "per_conn");
	}
}

/* Read JSON made by _to_json into an inited set. */
int
campaign_settings_from_json(struct campaign_settings *set, const char *txt,
                            char *err, size_t errsz)
{
	json_t *j = txt ? json_loads(txt, 0, NULL) : NULL, *v;
	size_t i;

	if (!json_is_object(j)) {
		snprintf(err, errsz, "the saved settings are not readable");
		json_decref(j);
		return MC_EDATA;
	}
	set->template_path = js_get(j, "template");
	set->from = js_get(j, "from");
	set->bounce_domain = js_get(j, "bounce_domain");
	set->token_key_file = js_get(j, "token_key");
	json_array_foreach(json_object_get(j, "dkim"), i, v)
	{
		if (set->ndkim >= DKIM_KEYS_MAX)
			break;
		set->dkim_key[set->ndkim++] = js_get(v, "key");
		set->dkim_selector[set->nsel++] = js_get(v, "selector");
	}
	set->dkim_domain = js_get(j, "dkim_domain");
	set->window = js_get(j, "window");
	relays_from_json(set, j);
	set->direct = json_is_true(json_object_get(j, "direct"));
	set->dns_server = js_get(j, "dns_server");
	set->mx_port = (int)js_uint(j, "mx_port");
	set->helo = js_get(j, "helo");
	set->tls = js_tls_get(j, "tls");
	set->tls_no_verify = json_is_true(json_object_get(j, "tls_no_verify"));
	set->ca_file = js_get(j, "ca_file");
	set->auth_user = js_get(j, "auth_user");
	set->auth_secret.file = js_get(j, "auth_password_file");
	set->auth_secret.env = js_get(j, "auth_password_env");
	set->unsub_url = js_get(j, "unsubscribe_url");
	set->unsub_mailto = js_get(j, "unsubscribe_mailto");
	set->allow_unaligned =
	    json_is_true(json_object_get(j, "allow_unaligned"));
	set->track_clicks = json_is_true(json_object_get(j, "track_clicks"));
	set->track_opens = json_is_true(json_object_get(j, "track_opens"));
	set->limits.rate = json_number_value(json_object_get(j, "rate"));
	set->limits.dest_rate =
	    json_number_value(json_object_get(j, "dest_rate"));
	set->limits.dest_conns = js_uint(j, "conns");
	set->limits.per_conn = js_uint(j, "per_conn");
	set->limits.total_conns = js_uint(j, "total_conns");
	set->limits.pipeline = js_uint(j, "pipeline");
	json_array_foreach(json_object_get(j, "retry"), i, v)
	{
		if (set->retry.n < ENGINE_SCHEDULE_MAX)
			set->retry.schedule[set->retry.n++] =
			    (unsigned)json_integer_value(v);
	}
	set->retry.max_age = js_uint(j, "max_age");
	set->retry.linger = js_uint(j, "linger");
	set->retry.backoff_max_ms = js_uint(j, "backoff_max");
	set->timeout_ms = js_uint(j, "timeout");
	set->threads = js_uint(j, "threads");
	set->lease_timeout = js_uint(j, "lease_timeout");
	json_decref(j);
	campaign_settings_layer(set);
	return 0;
}

/* Save set with campaign id. */
int
campaign_settings_save(struct store *s, int64_t id,
                       const struct campaign_settings *set, char *err,
                       size_t errsz)
{
	char *txt = campaign_settings_to_json(set);
	int rc = store_event_add(s, id, 0, "settings", txt, time(NULL));

	free(txt);
	if (rc < 0) {
		snprintf(err, errsz, "%s", store_error(s));
		return MC_EIO;
	}
	return 0;
}

/* Keep the latest settings event's detail. */
static int
last_settings(void *arg, const struct store_event *e)
{
	char **out = arg;

	free(*out);
	*out = e->detail ? xstrdup(e->detail) : NULL;
	return 0;
}

/* The latest settings saved with campaign id. */
int
campaign_settings_load(struct store *s, int64_t id,
                       struct campaign_settings *set, char *err, size_t errsz)
{
	char *txt = NULL;
	int rc;

	if (store_event_each(s, id, "settings", last_settings, &txt) < 0) {
		snprintf(err, errsz, "%s", store_error(s));
		return MC_EIO;
	}
	if (txt == NULL) {
		snprintf(err, errsz,
		         "campaign %lld has no sending settings (made by "
		         "`campaign create`?)",
		         (long long)id);
		return MC_EDATA;
	}
	rc = campaign_settings_from_json(set, txt, err, errsz);
	free(txt);
	return rc;
}

/* Each pair by name, in order. */
int
campaign_settings_set_kv(struct campaign_settings *set,
                         const struct campaign_kv *kv, size_t n, char *err,
                         size_t errsz)
{
	int o, rc;

	for (size_t i = 0; i < n; i++) {
		if ((o = campaign_opt_parse(kv[i].key)) < 0)
			return mc_fail(MC_EINVAL, err, errsz,
			               "%s: no such setting", kv[i].key);
		if ((rc = campaign_settings_set(set, (enum campaign_opt)o,
		                                kv[i].value, err, errsz)) < 0)
			return rc;
	}
	return 0;
}
