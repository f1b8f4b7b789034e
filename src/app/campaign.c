/*
 * campaign.c — the campaign service (campaign.h): the one creation,
 * lookup, status, pause, and a run: keys, TLS contexts and secrets
 * loaded from the settings into an engine config, the engine run, the
 * status set at each step.
 */
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "app/campaign.h"
#include "app/campaign_manage.h"
#include "app/contacts.h"
#include "app/fleet.h"
#include "app/secrets.h"
#include "base/error.h"
#include "base/log.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "app/token_keys.h"
#include "app/track.h"
#include "msg/address.h"
#include "msg/template.h"
#include "net/tls.h"
#include "store/segment.h"

/* Feed one contact's attributes to the engine's one naming rule (the
 * run compiles the template against the same names). */
static int
sample_attrs(void *arg, const struct store_contact *c)
{
	return engine_template_attrs(arg, c->attrs ? c->attrs : "{}") ? 0 : 1;
}

/*
 * Every engine event of a run: into the log (the run's state at info,
 * each recipient's fate at debug, commits at trace), then to the
 * caller's on_event.  The one consumer of the engine's events in this
 * layer; progress bars, a live view and webhooks hang off it.
 */
static void
run_event(void *arg, const struct engine_event *ev)
{
	const struct campaign_start_opts *o = arg;

	switch (ev->kind) {
	case ENGINE_EV_STATE:
		log_info("campaign: %s%s%s",
		         engine_run_state_name(ev->u.state.state),
		         ev->u.state.reason[0] ? ": " : "", ev->u.state.reason);
		break;
	case ENGINE_EV_RCPT:
		log_debug("campaign: %s %s %d%s%s %s", ev->u.rcpt.address,
		          store_dlv_state_name(ev->u.rcpt.state),
		          ev->u.rcpt.code, ev->u.rcpt.enh[0] ? " " : "",
		          ev->u.rcpt.enh, ev->u.rcpt.text);
		break;
	case ENGINE_EV_COMMIT:
		log_trace("campaign: commit %zu outcomes, %zu marks, %.2f ms",
		          ev->u.commit.outcomes, ev->u.commit.marks,
		          ev->u.commit.ms);
		break;
	default:
		break;
	}
	if (o != NULL && o->on_event != NULL)
		o->on_event(o->event_arg, ev);
}

/* Compile the template against the list's attribute names, with set's
 * unsubscribe URL and mailto when set is not NULL (a bad one is refused
 * now, not at the first start); its From: domain into dom (when not
 * NULL). */
static int
template_compile(struct store *s, int64_t list_id, const char *path,
                 const struct campaign_settings *set, char *dom, size_t domsz,
                 char *err, size_t errsz)
{
	struct engine_attrs nm = {0};
	struct tmpl_options opt = {0};
	struct tmpl *t = NULL;
	int rc;

	if (store_contact_first(s, list_id, ENGINE_ATTRS_SAMPLE, sample_attrs,
	                        &nm) < 0) {
		engine_attrs_fini(&nm);
		snprintf(err, errsz, "%s", store_error(s));
		return MC_EIO;
	}
	if (set != NULL) {
		opt.unsubscribe_url = set->unsub_url;
		opt.unsubscribe_mailto = set->unsub_mailto;
	}
	rc = tmpl_load(path, (const char *const *)nm.names, nm.n, &opt, &t, err,
	               errsz);
	engine_attrs_fini(&nm);
	if (rc == 0 && dom)
		mc_strlcpy(dom, tmpl_from_domain(t), domsz);
	tmpl_free(t);
	return rc < 0 ? MC_EDATA : 0;
}

/* Compile the template against the list's attribute names. */
int
campaign_check_template(struct store *s, int64_t list_id, const char *path,
                        char *err, size_t errsz)
{
	return template_compile(s, list_id, path, NULL, NULL, 0, err, errsz);
}

/*
 * --from must be at the template's From: domain: DKIM d= (From's domain by
 * default) and the envelope would otherwise leave the visible From, and
 * DMARC fails.  MC_EDATA unless allowed.
 */
static int
alignment_check(const struct campaign_settings *set, const char *tmpl_dom,
                char *err, size_t errsz)
{
	struct addr a; /* the domain in A-labels, as the template's */

	if (set->from == NULL || set->allow_unaligned || *tmpl_dom == '\0' ||
	    addr_parse(set->from, strlen(set->from), &a, NULL, 0) < 0 ||
	    strcasecmp(a.domain, tmpl_dom) == 0)
		return 0; /* a bad --from is campaign_settings_check()'s */
	snprintf(err, errsz,
	         "--from %s is at %s but the template's From: is at %s: "
	         "DKIM d= and the envelope would not align with the visible "
	         "From (DMARC alignment fails); use an address at %s or give "
	         "--allow-unaligned",
	         set->from, a.domain, tmpl_dom, tmpl_dom);
	return MC_EDATA;
}

/* "--a, --b and --c are required" for the missing ones; false if none. */
static bool
missing_words(const char *name, const char *list,
              const struct campaign_settings *set, char *err, size_t errsz)
{
	const char *miss[4];
	size_t n = 0, len;

	if (name == NULL)
		miss[n++] = "--name";
	if (list == NULL)
		miss[n++] = "--list";
	if (set->template_path == NULL)
		miss[n++] = "--template";
	if (set->from == NULL)
		miss[n++] = "--from";
	if (n == 0)
		return false;
	err[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		len = strlen(err);
		snprintf(err + len, errsz - len, "%s%s",
		         i == 0       ? ""
		         : i + 1 == n ? " and "
		                      : ", ",
		         miss[i]);
	}
	len = strlen(err);
	snprintf(err + len, errsz - len, " %s required", n == 1 ? "is" : "are");
	return true;
}

/* Whether s has a control character (below 0x20, or DEL). */
static bool
has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* What campaign_create() checks first. */
int
campaign_create_check(const char *name, const char *list,
                      const struct campaign_settings *set, char *err,
                      size_t errsz)
{
	if (missing_words(name, list, set, err, errsz))
		return MC_EINVAL;
	if (has_ctl(name)) {
		snprintf(err, errsz, "--name: a control character in the name");
		return MC_EINVAL;
	}
	return campaign_settings_check(set, err, errsz);
}

/* The one creation of a campaign. */
int
campaign_create(struct store *s, const char *name, const char *list,
                const struct campaign_settings *set, int64_t *id, char *err,
                size_t errsz)
{
	return campaign_create_where(s, name, list, NULL, set, id, NULL, err,
	                             errsz);
}

static int create(struct store *s, const char *name, const char *list,
                  const struct segment *seg,
                  const struct campaign_settings *set, int64_t *id,
                  unsigned long *rows, char *dom, size_t domsz, char *err,
                  size_t errsz);

/* Save the segment a campaign was made of (a "segment" event). */
static int
segment_save(struct store *s, int64_t id, const char *where,
             unsigned long matched, char *err, size_t errsz)
{
	json_t *v = json_pack("{s:s,s:I}", "where", where, "matched",
	                      (json_int_t)matched);
	char *detail = json_dumps(v, JSON_COMPACT);
	int rc = store_event_add(s, id, 0, "segment", detail, time(NULL));

	free(detail);
	json_decref(v);
	if (rc < 0)
		return mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
	return 0;
}

/* The one creation, of the list's contacts that match where. */
int
campaign_create_where(struct store *s, const char *name, const char *list,
                      const char *where, const struct campaign_settings *set,
                      int64_t *id, unsigned long *matched, char *err,
                      size_t errsz)
{
	char dom[ADDR_DOMAIN_MAX + 1] = "";
	struct segment *seg = NULL;
	unsigned long rows = 0;
	int rc;

	if ((rc = campaign_create_check(name, list, set, err, errsz)) < 0)
		return rc;
	if (where != NULL &&
	    (rc = app_segment_parse(where, &seg, err, errsz)) < 0)
		return rc;
	rc = create(s, name, list, seg, set, id, &rows, dom, sizeof(dom), err,
	            errsz);
	segment_free(seg);
	if (rc == 0 && matched != NULL)
		*matched = rows;
	return rc;
}

/* campaign_create_where() after its checks, with seg parsed (or NULL). */
static int
create(struct store *s, const char *name, const char *list,
       const struct segment *seg, const struct campaign_settings *set,
       int64_t *id, unsigned long *rows, char *dom, size_t domsz, char *err,
       size_t errsz)
{
	int64_t list_id;
	int rc;

	if (store_list_find(s, list, &list_id) < 0) {
		snprintf(err, errsz, "no list '%s' in store %s", list,
		         store_where(s));
		return MC_ENOTFOUND;
	}
	if ((rc = campaign_settings_files(set, false, err, errsz)) < 0)
		return rc;
	if ((rc = template_compile(s, list_id, set->template_path, set, dom,
	                           domsz, err, errsz)) < 0 ||
	    (rc = alignment_check(set, dom, err, errsz)) < 0)
		return rc;
	if ((rc = store_begin(s)) == 0)
		rc = seg == NULL
		         ? store_campaign_create(s, name, list_id, time(NULL),
		                                 id)
		         : store_campaign_create_segment(s, name, list_id, seg,
		                                         time(NULL), id, rows);
	if (rc < 0) {
		rc = rc == MC_EUNSUPP ? MC_EUNSUPP : MC_EDATA;
		snprintf(err, errsz, "%s", store_error(s));
		store_rollback(s);
		return rc;
	}
	if ((rc = campaign_settings_save(s, *id, set, err, errsz)) < 0 ||
	    (seg != NULL && (rc = segment_save(s, *id, segment_text(seg), *rows,
	                                       err, errsz)) < 0) ||
	    (rc = campaign_freeze(s, *id, set->template_path, err, errsz)) <
	        0) {
		store_rollback(s);
		return rc;
	}
	if (store_commit(s) < 0) {
		snprintf(err, errsz, "%s", store_error(s));
		return MC_EIO;
	}
	return 0;
}

/* A free name "PREFIX-YYYYMMDD-HHMMSS" (then -2, -3, ...). */
void
campaign_default_name(struct store *s, const char *prefix, char *out,
                      size_t outsz)
{
	time_t now = time(NULL);
	struct tm tm;
	size_t base;
	int64_t other;

	localtime_r(&now, &tm);
	snprintf(out, outsz, "%s-", prefix);
	base = strlen(out);
	strftime(out + base, outsz - base, "%Y%m%d-%H%M%S", &tm);
	/* not the name of an earlier campaign of the same second */
	base = strlen(out);
	for (int k = 2; k < 1000 && store_campaign_find(s, out, &other) == 0;
	     k++)
		snprintf(out + base, outsz - base, "-%d", k);
}

/* A campaign by id or name. */
int
campaign_lookup(struct store *s, const char *ref, int64_t *id, char *err,
                size_t errsz)
{
	struct store_campaign c;
	char *end;
	long long v;

	v = strtoll(ref, &end, 10);
	if (*ref >= '0' && *ref <= '9' && *end == '\0' && v > 0 &&
	    store_campaign_get(s, v, &c) == 0) {
		*id = v;
		return 0;
	}
	if (store_campaign_find(s, ref, id) == 0)
		return 0;
	snprintf(err, errsz, "no campaign '%s' in store %s", ref,
	         store_where(s));
	return MC_ENOTFOUND;
}

/* A holder of the campaign: kept when it is alive (a fresh heartbeat,
 * and on this host a process). */
static int
holder_live(void *arg, const struct store_holder *h)
{
	struct campaign_info *out = arg;
	struct campaign_holder *ch;
	char host[256];

	if (h->heartbeat + (time_t)h->timeout < time(NULL))
		return 0;
	if (gethostname(host, sizeof(host)) == 0 &&
	    (host[sizeof(host) - 1] = '\0', strcmp(host, h->host) == 0) &&
	    h->pid > 0 && kill((pid_t)h->pid, 0) != 0)
		return 0;
	if (out->nholders == CAMPAIGN_HOLDERS_MAX)
		return 0;
	ch = &out->holders[out->nholders++];
	mc_strlcpy(ch->owner, h->owner, sizeof(ch->owner));
	mc_strlcpy(ch->host, h->host, sizeof(ch->host));
	ch->pid = h->pid;
	ch->since = h->started;
	ch->heartbeat = h->heartbeat;
	ch->rows = h->rows;
	return 0;
}

/* fleet_slots: the slot goes to the live run of the same process. */
static int
slot_held(void *arg, const struct store_slot *sl)
{
	struct campaign_info *out = arg;
	const char *cut = strstr(sl->holder, "/fleet-");
	size_t n = cut ? (size_t)(cut - sl->holder) : 0;

	for (size_t i = 0; n && i < out->nholders; i++) {
		struct campaign_holder *h = &out->holders[i];
		size_t len = strlen(h->slot_text);

		if (strncmp(h->owner, sl->holder, n) != 0 || h->owner[n] != '/')
			continue;
		h->slots++;
		if (len + strlen(sl->dest) + 24 < sizeof(h->slot_text))
			snprintf(h->slot_text + len, sizeof(h->slot_text) - len,
			         "%s%s #%u", len ? ", " : "", sl->dest,
			         sl->slot);
		else if (len + 4 < sizeof(h->slot_text) &&
		         strcmp(h->slot_text + len - 3, "...") != 0)
			mc_strlcpy(h->slot_text + len, ", ...",
			           sizeof(h->slot_text) - len);
		break;
	}
	return 0;
}

/* The segment of campaign id into out (none: where ""). */
static int
segment_info(struct store *s, int64_t id, struct campaign_info *out, char *err,
             size_t errsz)
{
	char *where;
	int rc = campaign_segment_get(s, id, &where, &out->matched, err, errsz);

	if (rc == MC_ENOTFOUND)
		return 0;
	if (rc == 0)
		mc_strlcpy(out->where, where, sizeof(out->where));
	free(where);
	return rc;
}

/* The campaign's status and ledger counts. */
int
campaign_status_get(struct store *s, int64_t id, struct campaign_info *out,
                    char *err, size_t errsz)
{
	struct store_campaign c;
	int st;

	memset(out, 0, sizeof(*out));
	if (store_campaign_get(s, id, &c) < 0 ||
	    store_count_states(s, id, out->states) < 0) {
		snprintf(err, errsz, "%s", store_error(s));
		return MC_EIO;
	}
	if ((st = campaign_status_parse(c.status)) < 0) {
		snprintf(err, errsz, "campaign %lld has an unknown status '%s'",
		         (long long)id, c.status);
		return MC_EDATA;
	}
	out->id = id;
	mc_strlcpy(out->name, c.name, sizeof(out->name));
	out->list_id = c.list_id;
	out->status = (enum campaign_status)st;
	if (store_holder_each(s, id, holder_live, out) < 0) {
		snprintf(err, errsz, "%s", store_error(s));
		return MC_EIO;
	}
	/* a store older than the fleet tables has no slots to show */
	(void)fleet_slots(s, slot_held, out);
	if (out->status == CAMPAIGN_RUNNING && out->nholders == 0) {
		out->status = CAMPAIGN_PAUSED;
		out->orphaned = true;
	} else if (out->status == CAMPAIGN_PAUSED && out->nholders > 0) {
		/* one of two runs paused, the other goes on */
		out->status = CAMPAIGN_RUNNING;
	}
	out->created = c.created;
	return segment_info(s, id, out, err, errsz);
}

/* Set the campaign's status (a failure is the store's to report). */
static void
status_set(struct store *s, int64_t id, enum campaign_status st)
{
	(void)store_campaign_set_status(s, id, campaign_status_name(st));
}

/* SIGTERM a live run of this host (a holder of the campaign: it may be
 * waiting for retries and hold no rows). */
static int
pause_holder(void *arg, const struct store_holder *h)
{
	unsigned *signalled = arg;
	char host[256];

	/* a holder silent past its timeout is dead: its pid may be another
	 * process's by now */
	if (gethostname(host, sizeof(host)) != 0 ||
	    h->heartbeat + (time_t)h->timeout < time(NULL))
		return 0;
	host[sizeof(host) - 1] = '\0';
	if (strcmp(host, h->host) == 0 && h->pid > 0 &&
	    h->pid != (long)getpid() && kill((pid_t)h->pid, SIGTERM) == 0)
		(*signalled)++;
	return 0;
}

/* Pause the runs of campaign id on this host. */
int
campaign_pause(struct store *s, int64_t id, unsigned *signalled, char *err,
               size_t errsz)
{
	unsigned n = 0;

	*signalled = 0;
	if (store_holder_each(s, id, pause_holder, &n) < 0) {
		snprintf(err, errsz, "%s", store_error(s));
		return MC_EIO;
	}
	if (n == 0)
		status_set(s, id, CAMPAIGN_PAUSED);
	*signalled = n;
	return 0;
}

/* What a run loads from the settings; wiped and freed by keys_fini. */
struct run_keys {
	struct token_key tk;
	struct dkim_key *dkim[DKIM_KEYS_MAX];
	SSL_CTX *tls_ctx;
	struct engine_relay relay[ENGINE_RELAYS_MAX];
	char secret[CAMPAIGN_SECRET_MAX];
	char relay_secret[ENGINE_RELAYS_MAX][CAMPAIGN_SECRET_MAX];
	char verp[ADDR_DOMAIN_MAX + 1]; /* the template's From: domain */
	struct track_links links;       /* --track-clicks */
};

/* Wipe the secrets and free the keys and contexts. */
static void
keys_fini(struct run_keys *k)
{
	explicit_bzero(k->secret, sizeof(k->secret));
	explicit_bzero(k->relay_secret, sizeof(k->relay_secret));
	for (size_t i = 0; i < ENGINE_RELAYS_MAX; i++)
		if (k->relay[i].tls_ctx)
			SSL_CTX_free(k->relay[i].tls_ctx);
	for (size_t i = 0; i < DKIM_KEYS_MAX; i++)
		dkim_key_free(k->dkim[i]);
	if (k->tls_ctx)
		SSL_CTX_free(k->tls_ctx);
	token_key_wipe(&k->tk);
	track_links_fini(&k->links);
	free(k);
}

/* The engine's TLS policy of a mode (INHERIT: opportunistic). */
static enum smtp_tls_policy
tls_policy(enum campaign_tls t)
{
	switch (t) {
	case CAMPAIGN_TLS_NONE:
		return SMTP_TLS_NONE;
	case CAMPAIGN_TLS_REQUIRE:
		return SMTP_TLS_REQUIRE;
	case CAMPAIGN_TLS_IMPLICIT:
		return SMTP_TLS_IMPLICIT;
	default:
		return SMTP_TLS_OPPORTUNISTIC;
	}
}

/* The secret of src (the campaign's file/variable as the fallback). */
static int
secret_load(const struct campaign_secret *src,
            const struct campaign_secret *dflt, char *out, size_t outsz,
            char *err, size_t errsz)
{
	const char *file = src->file ? src->file : dflt ? dflt->file : NULL;
	const char *env = src->env ? src->env : dflt ? dflt->env : NULL;

	return secret_read(file, env ? env : CAMPAIGN_SECRET_ENV, out, outsz,
	                   err, errsz) < 0
	           ? MC_ECONFIG
	           : 0;
}

/* Each relay's own settings, the campaign's inherited. */
static int
relays_setup(const struct campaign_settings *set, struct engine_config *cfg,
             struct run_keys *k, char *err, size_t errsz)
{
	char why[512];

	for (size_t i = 0; i < set->nrelays; i++) {
		const struct campaign_relay *r = &set->relays[i];
		struct engine_relay *e = &k->relay[i];
		const char *name = r->name ? r->name : r->host;

		e->weight = r->weight ? r->weight : 1;
		e->tls = tls_policy(r->tls != CAMPAIGN_TLS_INHERIT ? r->tls
		                                                   : set->tls);
		e->tls_verify = r->tls_verify >= 0 ? r->tls_verify != 0
		                                   : !set->tls_no_verify;
		if (e->tls != SMTP_TLS_NONE) {
			e->tls_ctx = tls_client_ctx_new(
			    r->ca_file ? r->ca_file : set->ca_file,
			    e->tls_verify, why, sizeof(why));
			if (e->tls_ctx == NULL) {
				snprintf(err, errsz, "relay %s: TLS: %s", name,
				         why);
				return MC_ECONFIG;
			}
		}
		e->auth_user = cfg->auth_user;
		e->auth_secret = cfg->auth_secret;
		if (r->auth_user) {
			if (secret_load(&r->auth_secret, &set->auth_secret,
			                k->relay_secret[i],
			                sizeof(k->relay_secret[i]), why,
			                sizeof(why)) < 0) {
				snprintf(err, errsz, "relay %s: %s", name, why);
				return MC_ECONFIG;
			}
			e->auth_user = r->auth_user;
			e->auth_secret = k->relay_secret[i];
		}
		e->conns = r->conns;
		e->rate = r->rate;
		e->per_conn = r->per_conn;
	}
	cfg->relay_cfg = k->relay;
	return 0;
}

/*
 * The token key: the campaign's own --token-key (kept in the store's ring
 * to verify, so nothing is sent that the store cannot verify later), else
 * the store's signing key, made on first use.  Never a key of one run.
 */
static int
token_key_setup(struct store *s, const struct campaign_settings *set,
                struct run_keys *k, char *err, size_t errsz)
{
	struct token_keyring ring;
	char why[400];
	int rc;

	if (set->token_key_file) {
		secret_file_check(set->token_key_file, "token key");
		if (token_key_load(&k->tk, set->token_key_file, why,
		                   sizeof(why)) < 0) {
			snprintf(err, errsz, "--token-key: %s", why);
			return MC_ECONFIG;
		}
		return token_keys_keep(s, &k->tk, err, errsz);
	}
	if ((rc = token_keys_load(s, true, &ring, err, errsz)) < 0)
		return rc;
	k->tk = ring.keys[0];
	token_keyring_wipe(&ring);
	return 0;
}

/* The token key and DKIM keys of the settings. */
static int
keys_load(struct store *s, const struct campaign_settings *set,
          struct engine_config *cfg, struct run_keys *k, char *err,
          size_t errsz)
{
	int rc;

	if ((rc = token_key_setup(s, set, k, err, errsz)) < 0)
		return rc;
	cfg->token_key = &k->tk;
	for (size_t i = 0; i < set->ndkim; i++) {
		const char *dom = set->dkim_domain;
		const char *at = set->from ? strchr(set->from, '@') : NULL;

		/* d= at the visible From's domain (A-labels), which --from
		 * is aligned with unless --allow-unaligned */
		if (dom == NULL && k->verp[0])
			dom = k->verp;
		if (dom == NULL && at)
			dom = at + 1;
		if (dom == NULL) {
			snprintf(err, errsz,
			         "DKIM needs --dkim-domain or --from");
			return MC_EINVAL;
		}
		secret_file_check(set->dkim_key[i], "DKIM key");
		if (dkim_key_load(set->dkim_key[i], dom, set->dkim_selector[i],
		                  &k->dkim[i], err, errsz) < 0)
			return MC_ECONFIG;
		cfg->dkim[cfg->ndkim++] = k->dkim[i];
	}
	return 0;
}

/* The engine config of the settings, with what it needs loaded into k. */
static int
config_build(struct store *s, const struct campaign_settings *set,
             struct engine_config *cfg, struct run_keys *k, char *err,
             size_t errsz)
{
	char why[512];
	int rc;

	if ((rc = keys_load(s, set, cfg, k, err, errsz)) < 0)
		return rc;
	for (size_t i = 0; i < set->nrelays; i++)
		cfg->relays[i] = set->relays[i].host;
	cfg->nrelays = set->nrelays;
	cfg->direct = set->direct;
	cfg->dns_server = set->dns_server;
	cfg->mx_port = set->mx_port;
	cfg->helo_name = set->helo;
	cfg->tls = tls_policy(set->tls);
	cfg->tls_verify = !set->tls_no_verify;
	if (cfg->tls != SMTP_TLS_NONE) {
		k->tls_ctx = tls_client_ctx_new(set->ca_file, cfg->tls_verify,
		                                why, sizeof(why));
		if (k->tls_ctx == NULL) {
			snprintf(err, errsz, "TLS: %s", why);
			return MC_ECONFIG;
		}
		cfg->tls_ctx = k->tls_ctx;
	}
	if (set->auth_user) {
		if (secret_load(&set->auth_secret, NULL, k->secret,
		                sizeof(k->secret), err, errsz) < 0)
			return MC_ECONFIG;
		cfg->auth_user = set->auth_user;
		cfg->auth_secret = k->secret;
	}
	if (set->weighted && !set->direct &&
	    (rc = relays_setup(set, cfg, k, err, errsz)) < 0)
		return rc;
	cfg->template_path = set->template_path;
	cfg->from = set->from;
	/* VERP always: without --bounce-domain, bounces+TOKEN@ the visible
	 * From's domain (as preview and the docs say) */
	cfg->bounce_domain = set->bounce_domain ? set->bounce_domain : k->verp;
	cfg->unsubscribe_url = set->unsub_url;
	cfg->unsubscribe_mailto = set->unsub_mailto;
	cfg->limits = set->limits;
	cfg->retry = set->retry;
	cfg->timeout_ms = set->timeout_ms;
	cfg->threads = set->threads;
	cfg->lease_timeout = set->lease_timeout;
	if (set->window &&
	    campaign_window_parse(set->window, &cfg->window_start,
	                          &cfg->window_end) < 0) {
		snprintf(err, errsz, "--window %s: not a window", set->window);
		return MC_EINVAL;
	}
	return 0;
}

/* Record a run's figures as its "run-end" event. */
static void
run_end_event(struct store *s, int64_t id, const struct engine_result *r)
{
	char detail[160];

	snprintf(detail, sizeof(detail),
	         "{\"sent\":%lu,\"deferred\":%lu,\"failed\":%lu,"
	         "\"seconds\":%.3f,\"first_ms\":%.1f}",
	         r->p.sent, r->p.deferred, r->p.failed, r->p.elapsed,
	         r->first_ms);
	store_event_add(s, id, 0, "run-end", detail, time(NULL));
}

/* Run campaign id with set. */
int
campaign_start(struct store *s, int64_t id, const struct campaign_settings *set,
               const struct campaign_start_opts *o, struct campaign_result *res,
               char *err, size_t errsz)
{
	static const volatile sig_atomic_t never;
	struct engine_config cfg;
	struct store_campaign c;
	struct campaign_thawed t;
	const char *tpath = set->template_path;
	struct run_keys *k;
	struct sigaction ign, old_pipe;
	struct fleet *fl = NULL;
	int rc;

	memset(res, 0, sizeof(*res));
	if ((rc = campaign_settings_check(set, err, errsz)) < 0)
		return rc;
	if (store_campaign_get(s, id, &c) < 0) {
		snprintf(err, errsz, "%s", store_error(s));
		return MC_ENOTFOUND;
	}
	/* the template frozen at create is what goes out: written to a
	 * private folder for this run (a campaign made before templates were
	 * frozen runs from its file) */
	if ((rc = campaign_thaw(s, id, false, &t, err, errsz)) < 0)
		return rc;
	if (t.frozen && tpath && strcmp(tpath, t.origin) != 0) {
		campaign_thaw_fini(&t);
		return mc_fail(MC_EINVAL, err, errsz,
		               "--template: the campaign's template was frozen "
		               "at create (from %s); create a new campaign to "
		               "send another",
		               t.origin);
	}
	if (t.frozen)
		tpath = t.path;
	k = xmalloc(sizeof(*k));
	memset(k, 0, sizeof(*k));
	memset(&cfg, 0, sizeof(cfg));
	/* a file named in the settings that is missing or a directory names
	 * its field here, before anything tries to read it (not the
	 * template's, when the store keeps it) */
	if ((rc = campaign_settings_files(set, t.frozen, err, errsz)) < 0) {
		rc = MC_ECONFIG;
		goto done;
	}
	/* the template's From: domain: the VERP default, and a --from given
	 * at start is held to it as at create */
	if ((rc = template_compile(s, c.list_id, tpath, NULL, k->verp,
	                           sizeof(k->verp), err, errsz)) < 0 ||
	    (rc = alignment_check(set, k->verp, err, errsz)) < 0)
		goto done;
	if ((rc = config_build(s, set, &cfg, k, err, errsz)) < 0)
		goto done;
	cfg.template_path = tpath;
	cfg.store = s;
	cfg.campaign_id = id;
	cfg.campaign_name = c.name;
	if (set->track_clicks &&
	    (rc = track_links_prepare(s, id, tpath, &k->links, err, errsz)) < 0)
		goto done;
	cfg.track_links = (const char *const *)k->links.url;
	cfg.ntrack_links = k->links.n;
	cfg.track_opens = set->track_opens;
	/* the worker's budget (its host's), or the campaign's if lower */
	if (o && o->total_conns &&
	    (cfg.limits.total_conns == 0 ||
	     o->total_conns < cfg.limits.total_conns))
		cfg.limits.total_conns = o->total_conns;
	cfg.stop = o && o->stop ? o->stop : &never;
	cfg.progress = o ? o->progress : NULL;
	cfg.progress_arg = o ? o->progress_arg : NULL;
	cfg.base = o ? o->base : NULL;
	cfg.on_event = run_event;
	cfg.event_arg = (void *)o;
	if (o && o->fleet) {
		/* slots outlive a cut-off run's lease 4 times over */
		fl = xmalloc(sizeof(*fl));
		fleet_init(fl, s,
		           4 * (set->lease_timeout ? set->lease_timeout
		                                   : ENGINE_LEASE_TIMEOUT));
		cfg.limiter = &fl->lim;
	}
	/* a peer that closes must not kill the process (as libcurl does,
	 * SIGPIPE is ignored for the call and restored after) */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old_pipe);
	status_set(s, id, CAMPAIGN_RUNNING);
	store_event_add(s, id, 0, "run-start", engine_owner(), time(NULL));
	rc = engine_run(&cfg, &res->run, err, errsz);
	if (fl) {
		fleet_fini(fl);
		free(fl);
	}
	run_end_event(s, id, &res->run);
	sigaction(SIGPIPE, &old_pipe, NULL);
	res->status =
	    rc == 0 && res->run.finished ? CAMPAIGN_DONE : CAMPAIGN_PAUSED;
	status_set(s, id, res->status);
	/* the window closed: run-due goes on when it opens */
	if (rc == 0 && res->run.window_closed)
		(void)store_campaign_schedule(s, id, res->run.next_due);
done:
	keys_fini(k);
	campaign_thaw_fini(&t);
	return rc;
}

/* campaign_start() with the saved settings. */
int
campaign_resume(struct store *s, int64_t id,
                const struct campaign_start_opts *o,
                struct campaign_result *res, char *err, size_t errsz)
{
	struct campaign_settings set;
	int rc;

	memset(res, 0, sizeof(*res));
	campaign_settings_init(&set);
	rc = campaign_settings_load(s, id, &set, err, errsz);
	if (rc == 0)
		rc = campaign_start(s, id, &set, o, res, err, errsz);
	campaign_settings_fini(&set);
	return rc;
}

/* Keep the detail of the latest "segment" event. */
static int
last_segment(void *arg, const struct store_event *e)
{
	char **detail = arg;

	free(*detail);
	*detail = e->detail ? xstrdup(e->detail) : NULL;
	return 0;
}

/* The --where a campaign was made of. */
int
campaign_segment_get(struct store *s, int64_t id, char **where,
                     unsigned long *matched, char *err, size_t errsz)
{
	char *detail = NULL;
	json_t *v;
	int rc = 0;

	*where = NULL;
	*matched = 0;
	if (store_event_each(s, id, "segment", last_segment, &detail) < 0)
		return mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
	if (detail == NULL)
		return mc_fail(MC_ENOTFOUND, err, errsz,
		               "campaign %lld was made of its whole list",
		               (long long)id);
	v = json_loads(detail, 0, NULL);
	if (json_is_string(json_object_get(v, "where"))) {
		*where =
		    xstrdup(json_string_value(json_object_get(v, "where")));
		*matched = (unsigned long)json_integer_value(
		    json_object_get(v, "matched"));
	} else
		rc = mc_fail(MC_EIO, err, errsz,
		             "campaign %lld: its segment record is unreadable",
		             (long long)id);
	json_decref(v);
	free(detail);
	return rc;
}
