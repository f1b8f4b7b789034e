/*
 * campaign_run.c — see campaign_run.h.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "base/error.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "cli/campaign_run.h"
#include "cli/config.h"
#include "cli/util.h"
#include "msg/template.h"
#include "net/tls.h"

enum {
	O_RELAY = 1000,
	O_DIRECT,
	O_DNS,
	O_MXPORT,
	O_HELO,
	O_TLS,
	O_TLSNOVERIFY,
	O_TLSVERIFY,
	O_CAFILE,
	O_AUTHUSER,
	O_AUTHPWFILE,
	O_RATE,
	O_DRATE,
	O_CONNS,
	O_PERCONN,
	O_PIPELINE,
	O_RETRY,
	O_MAXAGE,
	O_BACKOFF,
	O_TIMEOUT,
	O_THREADS,
	O_TOKEN,
	O_BOUNCE,
	O_DKIMKEY,
	O_DKIMSEL,
	O_DKIMDOM,
	O_UURL,
	O_UMAIL,
	O_QUIET,
	O_LINGER,
};

const struct option send_long_opts[] = {
    {"relay", required_argument, NULL, O_RELAY},
    {"direct", no_argument, NULL, O_DIRECT},
    {"dns-server", required_argument, NULL, O_DNS},
    {"mx-port", required_argument, NULL, O_MXPORT},
    {"helo", required_argument, NULL, O_HELO},
    {"tls", required_argument, NULL, O_TLS},
    {"tls-no-verify", no_argument, NULL, O_TLSNOVERIFY},
    {"tls-verify", required_argument, NULL, O_TLSVERIFY},
    {"ca-file", required_argument, NULL, O_CAFILE},
    {"auth-user", required_argument, NULL, O_AUTHUSER},
    {"auth-password-file", required_argument, NULL, O_AUTHPWFILE},
    {"rate", required_argument, NULL, O_RATE},
    {"dest-rate", required_argument, NULL, O_DRATE},
    {"conns", required_argument, NULL, O_CONNS},
    {"per-conn", required_argument, NULL, O_PERCONN},
    {"pipeline", required_argument, NULL, O_PIPELINE},
    {"retry", required_argument, NULL, O_RETRY},
    {"max-age", required_argument, NULL, O_MAXAGE},
    {"linger", required_argument, NULL, O_LINGER},
    {"backoff-max", required_argument, NULL, O_BACKOFF},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"threads", required_argument, NULL, O_THREADS},
    {"token-key", required_argument, NULL, O_TOKEN},
    {"bounce-domain", required_argument, NULL, O_BOUNCE},
    {"dkim-key", required_argument, NULL, O_DKIMKEY},
    {"dkim-selector", required_argument, NULL, O_DKIMSEL},
    {"dkim-domain", required_argument, NULL, O_DKIMDOM},
    {"unsubscribe-url", required_argument, NULL, O_UURL},
    {"unsubscribe-mailto", required_argument, NULL, O_UMAIL},
    {"quiet", no_argument, NULL, O_QUIET},
    {NULL, 0, NULL, 0},
};

/* Forget the relays and their settings. */
static void
relays_clear(struct send_opts *o)
{
	for (size_t i = 0; i < o->nrelays; i++) {
		struct send_relay *r = &o->relay_set[i];

		free(o->relays[i]);
		free(r->name);
		free(r->tls);
		free(r->ca_file);
		free(r->auth_user);
		free(r->auth_password_file);
		memset(r, 0, sizeof(*r));
	}
	o->nrelays = 0;
	o->weighted = false;
}

/* Replace *dst with a copy of s. */
static void
set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = s ? xstrdup(s) : NULL;
}

/* A positive double from s. */
static bool
parse_double(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < 0 || v > 1e7)
		return false;
	*out = v;
	return true;
}

/* Seconds "1,2,4" into the schedule. */
static bool
parse_schedule(const char *s, struct engine_retry *r)
{
	char tmp[256];
	char *tok, *save = NULL;

	if (strlen(s) >= sizeof(tmp))
		return false;
	mc_strlcpy(tmp, s, sizeof(tmp));
	r->n = 0;
	for (tok = strtok_r(tmp, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		long v;

		if (r->n >= ENGINE_SCHEDULE_MAX ||
		    !cli_parse_long(tok, 0, 30 * 86400, &v))
			return false;
		r->schedule[r->n++] = (unsigned)v;
	}
	return r->n > 0;
}

/* Handle one sending option: 1 done, 0 not ours, -1 bad value. */
int
send_opt_handle(struct send_opts *o, int ch, const char *arg, const char *cmd)
{
	long v;
	const char *what = NULL;

	switch (ch) {
	case O_RELAY:
		if (!o->relays_cli) {
			relays_clear(o);
			o->relays_cli = true;
		}
		if (o->nrelays >= ENGINE_RELAYS_MAX) {
			what = "--relay: too many relays";
			break;
		}
		o->relays[o->nrelays++] = xstrdup(arg);
		return 1;
	case O_DIRECT:
		if (!o->relays_cli)
			relays_clear(o); /* mailcast.conf's or saved relays */
		o->direct = true;
		return 1;
	case O_DNS:
		set_str(&o->dns_server, arg);
		return 1;
	case O_MXPORT:
		if (!cli_parse_long(arg, 1, 65535, &v))
			what = "--mx-port: a port number";
		else
			o->mx_port = (int)v;
		break;
	case O_HELO:
		set_str(&o->helo, arg);
		return 1;
	case O_TLS:
		/* "starttls" is what `mailcast send` calls "require" */
		if (strcmp(arg, "starttls") == 0)
			arg = "require";
		if (strcmp(arg, "none") && strcmp(arg, "opportunistic") &&
		    strcmp(arg, "require") && strcmp(arg, "implicit"))
			what = "--tls: none, opportunistic, require (starttls) "
			       "or implicit";
		else
			set_str(&o->tls, arg);
		break;
	case O_TLSNOVERIFY:
		o->tls_no_verify = true;
		return 1;
	case O_TLSVERIFY:
		if (strcmp(arg, "yes") && strcmp(arg, "no"))
			what = "--tls-verify: yes or no";
		else
			o->tls_no_verify = strcmp(arg, "no") == 0;
		break;
	case O_CAFILE:
		set_str(&o->ca_file, arg);
		return 1;
	case O_AUTHUSER:
		set_str(&o->auth_user, arg);
		return 1;
	case O_AUTHPWFILE:
		/* the file's name is kept, never the password */
		set_str(&o->auth_password_file, arg);
		return 1;
	case O_RATE:
		if (!parse_double(arg, &o->limits.rate))
			what = "--rate: messages per second";
		break;
	case O_DRATE:
		if (!parse_double(arg, &o->limits.dest_rate))
			what = "--dest-rate: messages per second";
		break;
	case O_CONNS:
		if (!cli_parse_long(arg, 1, 1000, &v))
			what = "--conns: 1 to 1000";
		else
			o->limits.dest_conns = (unsigned)v;
		break;
	case O_PERCONN:
		if (!cli_parse_long(arg, 0, 10000000, &v))
			what = "--per-conn: a count";
		else
			o->limits.per_conn = (unsigned)v;
		break;
	case O_PIPELINE:
		if (!cli_parse_long(arg, 1, 100, &v))
			what = "--pipeline: 1 to 100";
		else
			o->limits.pipeline = (unsigned)v;
		break;
	case O_RETRY:
		if (!parse_schedule(arg, &o->retry))
			what = "--retry: seconds, comma-separated (1,5,30)";
		break;
	case O_MAXAGE:
		if (!cli_parse_long(arg, 1, 60 * 86400, &v))
			what = "--max-age: seconds";
		else
			o->retry.max_age = (unsigned)v;
		break;
	case O_LINGER:
		if (!cli_parse_long(arg, 1, 60 * 86400, &v))
			what = "--linger: seconds";
		else
			o->retry.linger = (unsigned)v;
		break;
	case O_BACKOFF:
		if (!cli_parse_long(arg, 1, 3600000, &v))
			what = "--backoff-max: milliseconds";
		else
			o->retry.backoff_max_ms = (unsigned)v;
		break;
	case O_TIMEOUT:
		if (!cli_parse_long(arg, 100, 3600000, &v))
			what = "--timeout: milliseconds (>= 100)";
		else
			o->timeout_ms = (unsigned)v;
		break;
	case O_THREADS:
		if (!cli_parse_long(arg, 1, ENGINE_THREADS_MAX, &v))
			what = "--threads: 1 to 16";
		else
			o->threads = (unsigned)v;
		break;
	case O_TOKEN:
		set_str(&o->token_key_file, arg);
		return 1;
	case O_BOUNCE:
		set_str(&o->bounce_domain, arg);
		return 1;
	case O_DKIMKEY:
	case O_DKIMSEL:
		if (o->dkim_conf) {
			/* flags replace mailcast.conf's key */
			for (size_t i = 0; i < DKIM_KEYS_MAX; i++) {
				free(o->dkim_key[i]);
				free(o->dkim_selector[i]);
				o->dkim_key[i] = o->dkim_selector[i] = NULL;
			}
			o->ndkim = o->nsel = 0;
			o->dkim_conf = false;
		}
		if (ch == O_DKIMSEL)
			goto selector;
		if (o->ndkim >= DKIM_KEYS_MAX)
			what = "--dkim-key: at most 2";
		else
			o->dkim_key[o->ndkim++] = xstrdup(arg);
		break;
	selector:
		if (o->nsel >= DKIM_KEYS_MAX)
			what = "--dkim-selector: at most 2";
		else
			o->dkim_selector[o->nsel++] = xstrdup(arg);
		break;
	case O_DKIMDOM:
		set_str(&o->dkim_domain, arg);
		return 1;
	case O_UURL:
		set_str(&o->unsub_url, arg);
		return 1;
	case O_UMAIL:
		set_str(&o->unsub_mailto, arg);
		return 1;
	case O_QUIET:
		o->quiet = true;
		return 1;
	default:
		return 0;
	}
	if (what) {
		fprintf(stderr, "mailcast: %s: %s\n", cmd, what);
		return -1;
	}
	return 1;
}

/* The option of each mailcast.conf [mailcast] key (0: not an option). */
static int
conf_option(enum conf_key k)
{
	switch (k) {
	case CONF_helo:
		return O_HELO;
	case CONF_tls:
		return O_TLS;
	case CONF_tls_verify:
		return O_TLSVERIFY;
	case CONF_ca_file:
		return O_CAFILE;
	case CONF_auth_user:
		return O_AUTHUSER;
	case CONF_auth_password_file:
		return O_AUTHPWFILE;
	case CONF_rate:
		return O_RATE;
	case CONF_conns:
		return O_CONNS;
	case CONF_dest_rate:
		return O_DRATE;
	case CONF_per_conn:
		return O_PERCONN;
	case CONF_pipeline:
		return O_PIPELINE;
	case CONF_retry:
		return O_RETRY;
	case CONF_max_age:
		return O_MAXAGE;
	case CONF_linger:
		return O_LINGER;
	case CONF_timeout:
		return O_TIMEOUT;
	case CONF_token_key:
		return O_TOKEN;
	case CONF_bounce_domain:
		return O_BOUNCE;
	case CONF_dkim_key:
		return O_DKIMKEY;
	case CONF_dkim_selector:
		return O_DKIMSEL;
	case CONF_dkim_domain:
		return O_DKIMDOM;
	default:
		return 0;
	}
}

/* Copy a copy of s, or NULL. */
static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* Lay mailcast.conf and MAILCAST_* into o. */
int
send_opts_config(struct send_opts *o, const char *cmd)
{
	const struct mc_conf *c = cli_conf();
	char what[128];

	for (int k = 0; k < CONF__COUNT; k++) {
		const char *v = conf_get(c, (enum conf_key)k);
		int opt = conf_option((enum conf_key)k);

		if (v == NULL)
			continue;
		if (k == CONF_from) {
			set_str(&o->from, v);
			continue;
		}
		if (opt == 0)
			continue;
		snprintf(what, sizeof(what), "%s (%s)", cmd,
		         c->path ? c->path : "environment");
		if (send_opt_handle(o, opt, v, what) != 1)
			return EX_CONFIG;
	}
	o->dkim_conf = o->ndkim > 0 || o->nsel > 0;
	if (c->env_relays) {
		/* MAILCAST_RELAY=H:P,H:P: like --relay, over the file's */
		char tmp[CONF_VALUE_MAX], *tok, *save = NULL;

		relays_clear(o);
		mc_strlcpy(tmp, c->env_relays, sizeof(tmp));
		for (tok = strtok_r(tmp, ", ", &save); tok;
		     tok = strtok_r(NULL, ", ", &save)) {
			if (o->nrelays >= ENGINE_RELAYS_MAX) {
				fprintf(stderr,
				        "mailcast: %s: MAILCAST_RELAY: more "
				        "than %d relays\n",
				        cmd, ENGINE_RELAYS_MAX);
				return EX_CONFIG;
			}
			o->relays[o->nrelays++] = xstrdup(tok);
		}
		return 0;
	}
	if (c->nrelays == 0)
		return 0;
	relays_clear(o);
	for (size_t i = 0; i < c->nrelays && i < ENGINE_RELAYS_MAX; i++) {
		const struct conf_relay *cr = &c->relays[i];
		struct send_relay *r = &o->relay_set[i];

		o->relays[i] = xstrdup(cr->host);
		r->name = xstrdup(cr->name);
		r->weight = cr->weight;
		r->tls = dup_or_null(cr->tls);
		r->ca_file = dup_or_null(cr->ca_file);
		r->auth_user = dup_or_null(cr->auth_user);
		r->auth_password_file = dup_or_null(cr->auth_password_file);
		r->tls_verify = cr->tls_verify;
		r->conns = cr->conns;
		r->rate = cr->rate;
		r->per_conn = cr->per_conn;
		o->nrelays++;
	}
	o->weighted = true;
	return 0;
}

/* Parse sending options plus extra into o; returns 0 or an exit status. */
int
send_opts_parse(int argc, char **argv, struct send_opts *o, const char *cmd,
                void (*usage)(FILE *), char **name, char **list, bool *json,
                char **state, bool *csv)
{
	struct option opts[64];
	size_t n = 0;
	int ch;

	if (!o->loaded && (ch = send_opts_config(o, cmd)) != 0)
		return ch;
	for (; send_long_opts[n].name; n++)
		opts[n] = send_long_opts[n];
	opts[n++] = (struct option){"name", required_argument, NULL, 'n'};
	opts[n++] = (struct option){"list", required_argument, NULL, 'l'};
	opts[n++] = (struct option){"template", required_argument, NULL, 't'};
	opts[n++] = (struct option){"from", required_argument, NULL, 'f'};
	opts[n++] = (struct option){"json", no_argument, NULL, 'j'};
	opts[n++] = (struct option){"csv", no_argument, NULL, 'c'};
	opts[n++] = (struct option){"state", required_argument, NULL, 's'};
	opts[n++] = (struct option){"help", no_argument, NULL, 'h'};
	opts[n] = (struct option){NULL, 0, NULL, 0};
	while ((ch = getopt_long(argc, argv, "n:l:t:f:jcs:h", opts, NULL)) !=
	       -1) {
		int r;

		switch (ch) {
		case 'n':
			if (name)
				*name = optarg;
			break;
		case 'l':
			if (list)
				*list = optarg;
			break;
		case 't': {
			char *abs = realpath(optarg, NULL);

			if (abs == NULL) {
				fprintf(stderr,
				        "mailcast: %s: %s: no such template "
				        "file\n",
				        cmd, optarg);
				return EX_NOINPUT;
			}
			free(o->template_path);
			o->template_path = abs;
			break;
		}
		case 'f':
			free(o->from);
			o->from = strdup(optarg);
			break;
		case 'j':
			if (json)
				*json = true;
			break;
		case 'c':
			if (csv)
				*csv = true;
			break;
		case 's':
			if (state)
				*state = optarg;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			r = send_opt_handle(o, ch, optarg, cmd);
			if (r == 1)
				break;
			if (r == 0)
				usage(stderr);
			return EX_USAGE;
		}
	}
	return 0;
}

/* Empty options. */
void
send_opts_init(struct send_opts *o)
{
	memset(o, 0, sizeof(*o));
}

/* Free the options' strings. */
void
send_opts_fini(struct send_opts *o)
{
	free(o->template_path);
	free(o->from);
	free(o->bounce_domain);
	free(o->token_key_file);
	for (size_t i = 0; i < DKIM_KEYS_MAX; i++) {
		free(o->dkim_key[i]);
		free(o->dkim_selector[i]);
	}
	free(o->dkim_domain);
	relays_clear(o);
	free(o->dns_server);
	free(o->helo);
	free(o->tls);
	free(o->ca_file);
	free(o->auth_user);
	free(o->auth_password_file);
	free(o->unsub_url);
	free(o->unsub_mailto);
	memset(o, 0, sizeof(*o));
}

/* Check the options that a run needs. */
int
send_opts_check(const struct send_opts *o, const char *cmd)
{
	if (o->template_path == NULL) {
		fprintf(stderr, "mailcast: %s: --template FILE is required\n",
		        cmd);
		return EX_USAGE;
	}
	if (o->direct && o->nrelays) {
		fprintf(stderr,
		        "mailcast: %s: --relay and --direct exclude each "
		        "other\n",
		        cmd);
		return EX_USAGE;
	}
	if (!o->direct && o->nrelays == 0) {
		fprintf(stderr,
		        "mailcast: %s: say where mail goes: --relay HOST:PORT "
		        "or --direct\n",
		        cmd);
		return EX_USAGE;
	}
	if (o->ndkim != o->nsel) {
		fprintf(stderr,
		        "mailcast: %s: give one --dkim-selector per "
		        "--dkim-key\n",
		        cmd);
		return EX_USAGE;
	}
	return 0;
}

/* Set key to a string value, if any. */
static void
js_str(json_t *o, const char *key, const char *v)
{
	if (v)
		json_object_set_new(o, key, json_string(v));
}

/* A string from a JSON object, copied, or NULL. */
static char *
js_get(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

/* Save o with campaign id as a "settings" event. */
int
send_opts_save(struct store *s, int64_t id, const struct send_opts *o,
               const char *cmd)
{
	json_t *j = json_object(), *a;
	char *txt;
	int rc;

	js_str(j, "template", o->template_path);
	js_str(j, "from", o->from);
	js_str(j, "bounce_domain", o->bounce_domain);
	js_str(j, "token_key", o->token_key_file);
	a = json_array();
	for (size_t i = 0; i < o->ndkim; i++)
		json_array_append_new(
		    a,
		    json_pack("{s:s,s:s}", "key", o->dkim_key[i], "selector",
		              o->dkim_selector[i] ? o->dkim_selector[i] : ""));
	json_object_set_new(j, "dkim", a);
	js_str(j, "dkim_domain", o->dkim_domain);
	a = json_array();
	for (size_t i = 0; i < o->nrelays; i++)
		json_array_append_new(a, json_string(o->relays[i]));
	json_object_set_new(j, "relays", a);
	if (o->weighted) {
		a = json_array();
		for (size_t i = 0; i < o->nrelays; i++) {
			const struct send_relay *r = &o->relay_set[i];
			json_t *rj = json_object();

			js_str(rj, "name", r->name);
			json_object_set_new(rj, "weight",
			                    json_integer(r->weight));
			js_str(rj, "tls", r->tls);
			js_str(rj, "ca_file", r->ca_file);
			js_str(rj, "auth_user", r->auth_user);
			js_str(rj, "auth_password_file", r->auth_password_file);
			json_object_set_new(rj, "tls_verify",
			                    json_integer(r->tls_verify));
			json_object_set_new(rj, "conns",
			                    json_integer(r->conns));
			json_object_set_new(rj, "rate", json_real(r->rate));
			json_object_set_new(rj, "per_conn",
			                    json_integer(r->per_conn));
			json_array_append_new(a, rj);
		}
		json_object_set_new(j, "relay_settings", a);
	}
	json_object_set_new(j, "direct", json_boolean(o->direct));
	js_str(j, "dns_server", o->dns_server);
	json_object_set_new(j, "mx_port", json_integer(o->mx_port));
	js_str(j, "helo", o->helo);
	js_str(j, "tls", o->tls);
	json_object_set_new(j, "tls_no_verify", json_boolean(o->tls_no_verify));
	js_str(j, "ca_file", o->ca_file);
	js_str(j, "auth_user", o->auth_user);
	js_str(j, "auth_password_file", o->auth_password_file);
	js_str(j, "unsubscribe_url", o->unsub_url);
	js_str(j, "unsubscribe_mailto", o->unsub_mailto);
	json_object_set_new(j, "rate", json_real(o->limits.rate));
	json_object_set_new(j, "dest_rate", json_real(o->limits.dest_rate));
	json_object_set_new(j, "conns", json_integer(o->limits.dest_conns));
	json_object_set_new(j, "per_conn", json_integer(o->limits.per_conn));
	json_object_set_new(j, "pipeline", json_integer(o->limits.pipeline));
	a = json_array();
	for (size_t i = 0; i < o->retry.n; i++)
		json_array_append_new(a, json_integer(o->retry.schedule[i]));
	json_object_set_new(j, "retry", a);
	json_object_set_new(j, "max_age", json_integer(o->retry.max_age));
	json_object_set_new(j, "linger", json_integer(o->retry.linger));
	json_object_set_new(j, "backoff_max",
	                    json_integer(o->retry.backoff_max_ms));
	json_object_set_new(j, "timeout", json_integer(o->timeout_ms));
	json_object_set_new(j, "threads", json_integer(o->threads));
	txt = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	rc = store_event_add(s, id, 0, "settings", txt, time(NULL));
	free(txt);
	if (rc < 0) {
		fprintf(stderr, "mailcast: %s: %s\n", cmd, store_error(s));
		return EX_IOERR;
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

/* An unsigned from a JSON object. */
static unsigned
js_uint(json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));

	return v > 0 && v < UINT_MAX ? (unsigned)v : 0;
}

/* Load the settings saved with campaign id into o. */
int
send_opts_load(struct store *s, int64_t id, struct send_opts *o,
               const char *cmd)
{
	char *txt = NULL;
	json_t *j, *a, *v;
	size_t i;

	if (store_event_each(s, id, "settings", last_settings, &txt) < 0) {
		fprintf(stderr, "mailcast: %s: %s\n", cmd, store_error(s));
		return EX_IOERR;
	}
	if (txt == NULL || (j = json_loads(txt, 0, NULL)) == NULL) {
		fprintf(stderr,
		        "mailcast: %s: campaign %lld has no sending settings "
		        "(made by `campaign create`?)\n",
		        cmd, (long long)id);
		free(txt);
		return EX_DATAERR;
	}
	free(txt);
	o->loaded = true;
	o->template_path = js_get(j, "template");
	o->from = js_get(j, "from");
	o->bounce_domain = js_get(j, "bounce_domain");
	o->token_key_file = js_get(j, "token_key");
	json_array_foreach(json_object_get(j, "dkim"), i, v)
	{
		if (o->ndkim >= DKIM_KEYS_MAX)
			break;
		o->dkim_key[o->ndkim++] = js_get(v, "key");
		o->dkim_selector[o->nsel++] = js_get(v, "selector");
	}
	o->dkim_domain = js_get(j, "dkim_domain");
	json_array_foreach(json_object_get(j, "relays"), i, v)
	{
		if (o->nrelays < ENGINE_RELAYS_MAX && json_is_string(v))
			o->relays[o->nrelays++] = xstrdup(json_string_value(v));
	}
	a = json_object_get(j, "relay_settings");
	if (json_array_size(a) == o->nrelays && o->nrelays > 0) {
		o->weighted = true;
		json_array_foreach(a, i, v)
		{
			struct send_relay *r = &o->relay_set[i];
			json_t *tv = json_object_get(v, "tls_verify");

			r->name = js_get(v, "name");
			r->weight = js_uint(v, "weight");
			r->tls = js_get(v, "tls");
			r->ca_file = js_get(v, "ca_file");
			r->auth_user = js_get(v, "auth_user");
			r->auth_password_file = js_get(v, "auth_password_file");
			r->tls_verify = json_is_integer(tv)
			                    ? (int)json_integer_value(tv)
			                    : -1;
			r->conns = js_uint(v, "conns");
			r->rate = json_number_value(json_object_get(v, "rate"));
			r->per_conn = js_uint(v, "per_conn");
		}
	}
	o->direct = json_is_true(json_object_get(j, "direct"));
	o->dns_server = js_get(j, "dns_server");
	o->mx_port = (int)js_uint(j, "mx_port");
	o->helo = js_get(j, "helo");
	o->tls = js_get(j, "tls");
	o->tls_no_verify = json_is_true(json_object_get(j, "tls_no_verify"));
	o->ca_file = js_get(j, "ca_file");
	o->auth_user = js_get(j, "auth_user");
	o->auth_password_file = js_get(j, "auth_password_file");
	o->unsub_url = js_get(j, "unsubscribe_url");
	o->unsub_mailto = js_get(j, "unsubscribe_mailto");
	o->limits.rate = json_number_value(json_object_get(j, "rate"));
	o->limits.dest_rate =
	    json_number_value(json_object_get(j, "dest_rate"));
	o->limits.dest_conns = js_uint(j, "conns");
	o->limits.per_conn = js_uint(j, "per_conn");
	o->limits.pipeline = js_uint(j, "pipeline");
	a = json_object_get(j, "retry");
	json_array_foreach(a, i, v)
	{
		if (o->retry.n < ENGINE_SCHEDULE_MAX)
			o->retry.schedule[o->retry.n++] =
			    (unsigned)json_integer_value(v);
	}
	o->retry.max_age = js_uint(j, "max_age");
	o->retry.linger = js_uint(j, "linger");
	o->retry.backoff_max_ms = js_uint(j, "backoff_max");
	o->timeout_ms = js_uint(j, "timeout");
	o->threads = js_uint(j, "threads");
	json_decref(j);
	return 0;
}

struct names {
	char **v;
	size_t n;
};

/* Collect the attribute names of the first contacts. */
static int
collect_names(void *arg, const struct store_contact *c)
{
	struct names *nm = arg;
	json_t *a = json_loads(c->attrs ? c->attrs : "{}", 0, NULL);
	const char *k;
	json_t *v;

	json_object_foreach(a, k, v)
	{
		size_t i;

		for (i = 0; i < nm->n; i++)
			if (strcmp(nm->v[i], k) == 0)
				break;
		if (i == nm->n && nm->n < TMPL_FIELDS_MAX) {
			nm->v = xreallocarray(nm->v, nm->n + 1, sizeof(char *));
			nm->v[nm->n++] = xstrdup(k);
		}
	}
	json_decref(a);
	return 0; /* the first contact decides: CSV rows share columns */
}

/* Stop after one contact. */
static int
first_contact(void *arg, const struct store_contact *c)
{
	collect_names(arg, c);
	return 1;
}

/* Compile the template against the list's attribute names (a check). */
int
campaign_check_template(struct store *s, int64_t list_id, const char *path,
                        const char *cmd)
{
	struct names nm = {NULL, 0};
	struct tmpl *t = NULL;
	char err[TMPL_ERR_MAX];
	int rc;

	if (store_contact_each(s, list_id, first_contact, &nm) < 0) {
		fprintf(stderr, "mailcast: %s: %s\n", cmd, store_error(s));
		return EX_IOERR;
	}
	rc = tmpl_load(path, (const char *const *)nm.v, nm.n, NULL, &t, err,
	               sizeof(err));
	for (size_t i = 0; i < nm.n; i++)
		free(nm.v[i]);
	free(nm.v);
	tmpl_free(t);
	if (rc < 0) {
		fprintf(stderr, "mailcast: %s: %s\n", cmd, err);
		return EX_DATAERR;
	}
	return 0;
}

static volatile sig_atomic_t stop_flag;

/* SIGINT/SIGTERM: first a clean pause, then stop at once. */
static void
on_signal(int sig)
{
	(void)sig;
	stop_flag++;
}

struct bar {
	bool tty;
	bool shown;
};

static engine_progress_fn *run_hook;
static void *run_hook_arg;

/* Also call fn with every progress report of the next runs. */
void
campaign_run_hook(engine_progress_fn *fn, void *arg)
{
	run_hook = fn;
	run_hook_arg = arg;
}

/* Draw the progress bar on stderr. */
static void
draw(void *arg, const struct engine_progress *p)
{
	struct bar *b = arg;
	unsigned long done = p->sent + p->failed + p->suppressed;
	unsigned long total = p->total ? p->total : 1;
	double frac = (double)done / (double)total;
	char bar[31];
	double eta =
	    p->rate > 0
	        ? (double)(total - (done < total ? done : total)) / p->rate
	        : 0;

	if (run_hook)
		run_hook(run_hook_arg, p);
	if (!b->tty)
		return;
	if (frac > 1)
		frac = 1;
	for (int i = 0; i < 30; i++)
		bar[i] = i < (int)(frac * 30) ? '#' : '.';
	bar[30] = '\0';
	fprintf(stderr,
	        "\r[%s] %3.0f%%  sent %lu  deferred %lu  failed %lu  "
	        "%.0f/s  %s%.0fs \033[K",
	        bar, frac * 100, p->sent, p->deferred, p->failed, p->rate,
	        p->waiting ? "waiting for retries " : "ETA ", eta);
	b->shown = true;
}

/* The TLS policy of a mode name (NULL: opportunistic). */
static enum smtp_tls_policy
tls_policy(const char *mode)
{
	if (mode && strcmp(mode, "none") == 0)
		return SMTP_TLS_NONE;
	if (mode &&
	    (strcmp(mode, "require") == 0 || strcmp(mode, "starttls") == 0))
		return SMTP_TLS_REQUIRE;
	if (mode && strcmp(mode, "implicit") == 0)
		return SMTP_TLS_IMPLICIT;
	return SMTP_TLS_OPPORTUNISTIC;
}

/* Each mailcast.conf relay's settings, the global ones inherited. */
static int
relays_setup(const struct send_opts *o, struct engine_config *cfg,
             struct engine_relay *rc, char (*secrets)[1024], const char *cmd)
{
	char err[512];

	for (size_t i = 0; i < o->nrelays; i++) {
		const struct send_relay *r = &o->relay_set[i];
		struct engine_relay *e = &rc[i];
		const char *ca = r->ca_file ? r->ca_file : o->ca_file;

		memset(e, 0, sizeof(*e));
		e->weight = r->weight ? r->weight : 1;
		e->tls = tls_policy(r->tls ? r->tls : o->tls);
		e->tls_verify =
		    r->tls_verify >= 0 ? r->tls_verify != 0 : !o->tls_no_verify;
		if (e->tls != SMTP_TLS_NONE) {
			e->tls_ctx = tls_client_ctx_new(ca, e->tls_verify, err,
			                                sizeof(err));
			if (e->tls_ctx == NULL) {
				fprintf(
				    stderr, "mailcast: %s: relay %s: TLS: %s\n",
				    cmd, r->name ? r->name : o->relays[i], err);
				return EX_CONFIG;
			}
		}
		e->auth_user = cfg->auth_user;
		e->auth_secret = cfg->auth_secret;
		if (r->auth_user) {
			const char *pf = r->auth_password_file
			                     ? r->auth_password_file
			                     : o->auth_password_file;

			if (cli_read_secret(pf, "MAILCAST_AUTH_PASSWORD",
			                    secrets[i], 1024, err,
			                    sizeof(err)) != 0) {
				fprintf(stderr, "mailcast: %s: relay %s: %s\n",
				        cmd, r->name ? r->name : o->relays[i],
				        err);
				return EX_CONFIG;
			}
			e->auth_user = r->auth_user;
			e->auth_secret = secrets[i];
		}
		e->conns = r->conns;
		e->rate = r->rate;
		e->per_conn = r->per_conn;
	}
	cfg->relay_cfg = rc;
	return 0;
}

/* Open what the run needs from the options into cfg. */
static int
run_setup(const struct send_opts *o, struct engine_config *cfg,
          struct token_key *tk, struct dkim_key **keys, const char *cmd)
{
	char err[512];

	if (o->token_key_file) {
		if (token_key_load(tk, o->token_key_file, err, sizeof(err)) <
		    0) {
			fprintf(stderr, "mailcast: %s: %s\n", cmd, err);
			return EX_CONFIG;
		}
		cfg->token_key = tk;
	}
	for (size_t i = 0; i < o->ndkim; i++) {
		const char *dom = o->dkim_domain;
		char from_dom[256] = "";

		if (dom == NULL && o->from && strchr(o->from, '@')) {
			mc_strlcpy(from_dom, strchr(o->from, '@') + 1,
			           sizeof(from_dom));
			dom = from_dom;
		}
		if (dom == NULL) {
			fprintf(stderr,
			        "mailcast: %s: DKIM needs --dkim-domain or "
			        "--from\n",
			        cmd);
			return EX_USAGE;
		}
		if (dkim_key_load(o->dkim_key[i], dom, o->dkim_selector[i],
		                  &keys[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "mailcast: %s: %s\n", cmd, err);
			return EX_CONFIG;
		}
		cfg->dkim[cfg->ndkim++] = keys[i];
	}
	for (size_t i = 0; i < o->nrelays; i++)
		cfg->relays[i] = o->relays[i];
	cfg->nrelays = o->nrelays;
	cfg->direct = o->direct;
	cfg->dns_server = o->dns_server;
	cfg->mx_port = o->mx_port;
	cfg->helo_name = o->helo;
	cfg->tls = tls_policy(o->tls);
	cfg->tls_verify = !o->tls_no_verify;
	if (cfg->tls != SMTP_TLS_NONE) {
		cfg->tls_ctx = tls_client_ctx_new(o->ca_file, cfg->tls_verify,
		                                  err, sizeof(err));
		if (cfg->tls_ctx == NULL) {
			fprintf(stderr, "mailcast: %s: TLS: %s\n", cmd, err);
			return EX_CONFIG;
		}
	}
	cfg->template_path = o->template_path;
	cfg->from = o->from;
	cfg->bounce_domain = o->bounce_domain;
	cfg->unsubscribe_url = o->unsub_url;
	cfg->unsubscribe_mailto = o->unsub_mailto;
	cfg->limits = o->limits;
	cfg->retry = o->retry;
	cfg->timeout_ms = o->timeout_ms;
	cfg->threads = o->threads;
	return 0;
}

/* Run campaign id in the foreground and print its report. */
int
campaign_run(struct store *s, int64_t id, const struct send_opts *o,
             const char *cmd)
{
	struct engine_config cfg;
	struct engine_result res;
	struct store_campaign c;
	struct token_key tk;
	struct dkim_key *keys[DKIM_KEYS_MAX] = {NULL, NULL};
	struct engine_relay rcfg[ENGINE_RELAYS_MAX];
	char rsecret[ENGINE_RELAYS_MAX][1024];
	struct sigaction sa, old_int, old_term;
	struct bar bar = {false, false};
	char err[600], detail[128];
	char secret[1024] = "";
	int rc, ex = 0;

	if ((rc = send_opts_check(o, cmd)) != 0)
		return rc;
	if (store_campaign_get(s, id, &c) < 0) {
		fprintf(stderr, "mailcast: %s: %s\n", cmd, store_error(s));
		return EX_NOINPUT;
	}
	memset(&cfg, 0, sizeof(cfg));
	memset(&tk, 0, sizeof(tk));
	memset(rcfg, 0, sizeof(rcfg));
	memset(rsecret, 0, sizeof(rsecret));
	if ((ex = run_setup(o, &cfg, &tk, keys, cmd)) != 0)
		goto done;
	if (o->auth_user) {
		if (cli_read_secret(o->auth_password_file,
		                    "MAILCAST_AUTH_PASSWORD", secret,
		                    sizeof(secret), err, sizeof(err)) != 0) {
			fprintf(stderr, "mailcast: %s: %s\n", cmd, err);
			ex = EX_CONFIG;
			goto done;
		}
		cfg.auth_user = o->auth_user;
		cfg.auth_secret = secret;
	}
	if (o->weighted && !o->direct &&
	    (ex = relays_setup(o, &cfg, rcfg, rsecret, cmd)) != 0)
		goto done;
	cfg.store = s;
	cfg.campaign_id = id;
	cfg.campaign_name = c.name;
	cfg.stop = &stop_flag;
	bar.tty = !o->quiet && isatty(2);
	cfg.progress = draw;
	cfg.progress_arg = &bar;
	stop_flag = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	signal(SIGPIPE, SIG_IGN);
	store_campaign_set_status(s, id, "running");
	snprintf(detail, sizeof(detail), "%s", engine_owner());
	store_event_add(s, id, 0, "run-start", detail, time(NULL));
	rc = engine_run(&cfg, &res, err, sizeof(err));
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (bar.shown)
		fputc('\n', stderr);
	snprintf(detail, sizeof(detail),
	         "{\"sent\":%lu,\"deferred\":%lu,\"failed\":%lu,"
	         "\"seconds\":%.3f,\"first_ms\":%.1f}",
	         res.p.sent, res.p.deferred, res.p.failed, res.p.elapsed,
	         res.first_ms);
	store_event_add(s, id, 0, "run-end", detail, time(NULL));
	if (rc < 0) {
		store_campaign_set_status(s, id, "paused");
		fprintf(stderr, "mailcast: %s: %s\n", cmd, err);
		ex = mc_exit_code(rc);
		goto done;
	}
	store_campaign_set_status(s, id, res.finished ? "done" : "paused");
	if (res.paused)
		fprintf(stderr,
		        "mailcast: %s: paused; `mailcast campaign resume %lld` "
		        "continues\n",
		        cmd, (long long)id);
	if (res.deferred_left) {
		char when[64];
		struct tm tm;
		localtime_r(&res.next_due, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(stderr,
		        "mailcast: %s: deferred recipients are left, the next "
		        "due at %s; `mailcast campaign resume %lld` retries "
		        "them\n",
		        cmd, when, (long long)id);
	}
	if (res.recovered)
		fprintf(stderr,
		        "mailcast: %s: %lu recipients were in flight when an "
		        "earlier run stopped; they were sent again (listed by "
		        "`campaign report`)\n",
		        cmd, res.recovered);
	ex = campaign_report(s, id, false, stdout, cmd);
	if (ex == 0 && (res.paused || res.deferred_left))
		ex = EX_TEMPFAIL;
done:
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(rsecret, sizeof(rsecret));
	for (size_t i = 0; i < ENGINE_RELAYS_MAX; i++)
		if (rcfg[i].tls_ctx)
			SSL_CTX_free(rcfg[i].tls_ctx);
	for (size_t i = 0; i < DKIM_KEYS_MAX; i++)
		dkim_key_free(keys[i]);
	if (cfg.tls_ctx)
		SSL_CTX_free(cfg.tls_ctx);
	token_key_wipe(&tk);
	return ex;
}

struct rep {
	json_t *by_dest, *by_reply, *resent;
	time_t first, last;
	double seconds;
	unsigned long nresent;
};

/* One (key, state) count into a JSON object of objects. */
static int
tally_add(void *arg, const char *key, enum store_dlv_state st, unsigned long n)
{
	json_t *o = arg;
	json_t *k = json_object_get(o, key && *key ? key : "(none)");

	if (k == NULL) {
		k = json_object();
		json_object_set_new(o, key && *key ? key : "(none)", k);
	}
	json_object_set_new(k, store_dlv_state_name(st),
	                    json_integer((json_int_t)n));
	return 0;
}

/* Runs (duration) and rows resent after a crash. */
static int
event_add_rep(void *arg, const struct store_event *e)
{
	struct rep *r = arg;

	if (strcmp(e->kind, "inflight-unknown") == 0) {
		r->nresent++;
		if (json_array_size(r->resent) < 100000)
			json_array_append_new(
			    r->resent,
			    json_string(e->address ? e->address : "?"));
	} else if (strcmp(e->kind, "run-start") == 0) {
		if (r->first == 0)
			r->first = e->at;
	} else if (strcmp(e->kind, "run-end") == 0) {
		json_t *d = json_loads(e->detail ? e->detail : "", 0, NULL);

		r->last = e->at;
		r->seconds += json_number_value(json_object_get(d, "seconds"));
		json_decref(d);
	}
	return 0;
}

/* Print a tally object as "  key: state n, state n". */
static void
print_tally(FILE *out, const char *title, json_t *o)
{
	const char *k;
	json_t *v;

	fprintf(out, "%s\n", title);
	json_object_foreach(o, k, v)
	{
		const char *st;
		json_t *n;
		int first = 1;

		fprintf(out, "  %-40s", k);
		json_object_foreach(v, st, n)
		{
			fprintf(out, "%s%s %lld", first ? "" : ", ", st,
			        (long long)json_integer_value(n));
			first = 0;
		}
		fputc('\n', out);
	}
}

/* Print the report of campaign id. */
int
campaign_report(struct store *s, int64_t id, bool json, FILE *out,
                const char *cmd)
{
	unsigned long counts[DLV__COUNT], total = 0;
	struct store_campaign c;
	struct rep r;
	json_t *states = json_object();
	int rc = 0;

	memset(&r, 0, sizeof(r));
	r.by_dest = json_object();
	r.by_reply = json_object();
	r.resent = json_array();
	if (store_campaign_get(s, id, &c) < 0 ||
	    store_count_states(s, id, counts) < 0 ||
	    store_tally(s, id, STORE_TALLY_RELAY, tally_add, r.by_dest) < 0 ||
	    store_tally(s, id, STORE_TALLY_REPLY, tally_add, r.by_reply) < 0 ||
	    store_event_each(s, id, NULL, event_add_rep, &r) < 0) {
		fprintf(stderr, "mailcast: %s: %s\n", cmd, store_error(s));
		rc = EX_IOERR;
		goto done;
	}
	for (int i = 0; i < DLV__COUNT; i++) {
		total += counts[i];
		json_object_set_new(states, store_dlv_state_name(i),
		                    json_integer((json_int_t)counts[i]));
	}
	if (json) {
		json_t *j = json_pack(
		    "{s:I,s:s,s:s,s:I,s:O,s:O,s:O,s:f,s:I,s:O}", "id",
		    (json_int_t)id, "name", c.name, "status", c.status, "total",
		    (json_int_t)total, "states", states, "by_destination",
		    r.by_dest, "by_reply", r.by_reply, "seconds", r.seconds,
		    "resent_after_crash", (json_int_t)r.nresent, "resent",
		    r.resent);

		json_dumpf(j, out, JSON_INDENT(2));
		fputc('\n', out);
		json_decref(j);
		goto done;
	}
	fprintf(out, "campaign %lld \"%s\": %s, %lu recipients\n",
	        (long long)id, c.name, c.status, total);
	fprintf(out, "by state\n");
	for (int i = 0; i < DLV__COUNT; i++)
		if (counts[i])
			fprintf(out, "  %-12s %lu\n", store_dlv_state_name(i),
			        counts[i]);
	print_tally(out, "by destination", r.by_dest);
	print_tally(out, "by reply", r.by_reply);
	fprintf(out, "sending time  %.1f s%s\n", r.seconds,
	        r.seconds > 0 && counts[DLV_SENT] ? "" : "");
	if (r.nresent) {
		fprintf(out,
		        "resent after a crash (in flight, fate unknown): %lu\n",
		        r.nresent);
		for (size_t i = 0; i < json_array_size(r.resent) && i < 20; i++)
			fprintf(out, "  %s\n",
			        json_string_value(json_array_get(r.resent, i)));
		if (r.nresent > 20)
			fprintf(out, "  ... (`campaign report --json` lists "
			             "up to 1000)\n");
	}
done:
	json_decref(states);
	json_decref(r.by_dest);
	json_decref(r.by_reply);
	json_decref(r.resent);
	return rc;
}

/* A campaign by id or name. */
int
campaign_lookup(struct store *s, const char *arg, int64_t *id, const char *cmd)
{
	struct store_campaign c;
	long v;

	if (cli_parse_long(arg, 1, LONG_MAX, &v) &&
	    store_campaign_get(s, v, &c) == 0) {
		*id = v;
		return 0;
	}
	if (store_campaign_find(s, arg, id) == 0)
		return 0;
	fprintf(stderr, "mailcast: %s: no campaign '%s'\n", cmd, arg);
	return EX_NOINPUT;
}
