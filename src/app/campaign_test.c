/*
 * campaign_test.c — `campaign test`: one campaign's message, rendered for
 * one contact from the frozen template marked as a test, sent to one
 * address through the campaign's first relay (campaign_manage.h).  It
 * goes through the send service (app/send.h), never through the engine,
 * so no ledger row is made or changed; an event "test-send" records it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "app/campaign_manage.h"
#include "app/preview.h"
#include "app/secrets.h"
#include "app/send.h"
#include "base/error.h"
#include "base/str.h"
#include "base/xmalloc.h"

struct pick {
	const char *want; /* NULL: the first */
	char address[STORE_ADDRESS_MAX + 1];
	char *attrs;
	bool found;
};

/* The contact asked for (or the first). */
static int
pick_contact(void *arg, const struct store_contact *c)
{
	struct pick *p = arg;

	if (p->want && strcasecmp(p->want, c->address) != 0)
		return 0;
	mc_strlcpy(p->address, c->address, sizeof(p->address));
	p->attrs = xstrdup(c->attrs ? c->attrs : "{}");
	p->found = true;
	return 1;
}

/* The contact's attributes as KEY=VALUE settings, then email=ADDRESS. */
static size_t
attrs_sets(const struct pick *p, char ***out)
{
	json_t *o = json_loads(p->attrs, 0, NULL), *v;
	const char *k;
	size_t n = 0, cap = (o ? json_object_size(o) : 0) + 1;
	char **sets = xcalloc(cap, sizeof(char *));

	json_object_foreach(o, k, v)
	{
		char *txt = json_is_string(v)
		                ? xstrdup(json_string_value(v))
		                : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

		if (txt && strcmp(k, "email") != 0 && strchr(k, '=') == NULL)
			sets[n++] = xasprintf("%s=%s", k, txt);
		free(txt);
	}
	json_decref(o);
	sets[n++] = xasprintf("email=%s", p->address);
	*out = sets;
	return n;
}

/* The send service's name of a TLS mode. */
static const char *
send_tls(enum campaign_tls t)
{
	switch (t) {
	case CAMPAIGN_TLS_NONE:
		return "none";
	case CAMPAIGN_TLS_REQUIRE:
		return "starttls";
	case CAMPAIGN_TLS_IMPLICIT:
		return "implicit";
	default:
		return "opportunistic";
	}
}

/* The relay's reply to the one recipient. */
static void
on_result(void *arg, const struct app_send_result *r)
{
	struct campaign_test_result *res = arg;

	res->delivered = r->delivered;
	res->code = r->code;
	snprintf(res->text, sizeof(res->text), "%d%s%s %s", r->code,
	         r->enhanced[0] ? " " : "", r->enhanced, r->text);
	if (r->code == 0)
		mc_strlcpy(res->text, r->text, sizeof(res->text));
}

/* Render the test message for p into dir/message.eml (path out). */
static int
render_test(const struct campaign_settings *set, int64_t id,
            const struct campaign_thawed *t, const struct pick *p,
            const char *name, char *out, size_t outsz, char *err, size_t errsz)
{
	struct app_preview_opts o;
	struct app_preview pv;
	char **sets;
	size_t nsets = attrs_sets(p, &sets);
	FILE *fp;
	int rc;

	memset(&o, 0, sizeof(o));
	memset(&pv, 0, sizeof(pv));
	o.template_path = t->path;
	o.sets = (const char *const *)sets;
	o.nsets = nsets;
	for (size_t i = 0; i < set->ndkim; i++) {
		o.dkim_key[i] = set->dkim_key[i];
		o.dkim_selector[i] = set->dkim_selector[i];
	}
	o.ndkim = set->ndkim;
	o.nselectors = set->nsel;
	o.dkim_domain = set->dkim_domain;
	o.token_key = NULL; /* the demo key: a test click changes nothing */
	o.campaign = name;
	o.campaign_id = (unsigned long long)id;
	o.unsubscribe_url = set->unsub_url;
	o.unsubscribe_mailto = set->unsub_mailto;
	o.bounce_domain = set->bounce_domain;
	rc = app_preview_render(&o, &pv);
	for (size_t i = 0; i < nsets; i++)
		free(sets[i]);
	free(sets);
	if (rc < 0) {
		mc_fail(rc, err, errsz, "%s", pv.err);
		goto done;
	}
	snprintf(out, outsz, "%s/message.eml", t->dir);
	if ((fp = fopen(out, "wb")) == NULL ||
	    (fwrite(buf_data(&pv.msg), 1, buf_len(&pv.msg), fp) !=
	     buf_len(&pv.msg)) |
	        (fclose(fp) != 0))
		rc =
		    mc_fail(MC_EIO, err, errsz, "%s: %s", out, strerror(errno));
done:
	app_preview_fini(&pv);
	return rc;
}

/* Send one test message of campaign id. */
int
campaign_test_send(struct store *s, int64_t id,
                   const struct campaign_settings *set, const char *to,
                   const char *as, struct campaign_test_result *res, char *err,
                   size_t errsz)
{
	struct campaign_thawed t;
	struct store_campaign c;
	struct pick p = {as, "", NULL, false};
	struct app_send_opts so;
	struct app_send_summary sum;
	const struct campaign_relay *r;
	char msg[PATH_MAX + 16], secret[CAMPAIGN_SECRET_MAX], detail[2048],
	    timeout[32];
	const char *user;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&t, 0, sizeof(t));
	secret[0] = '\0';
	if (to == NULL || *to == '\0')
		return mc_fail(MC_EINVAL, err, errsz,
		               "--to ADDR: where the test goes");
	if (set->nrelays == 0)
		return mc_fail(MC_EINVAL, err, errsz,
		               "a test goes through a relay: this campaign has "
		               "none (give --relay HOST:PORT)");
	if (store_campaign_get(s, id, &c) < 0)
		return mc_fail(MC_ENOTFOUND, err, errsz, "%s", store_error(s));
	if (store_contact_each(s, c.list_id, pick_contact, &p) < 0) {
		rc = mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
		goto done;
	}
	if (!p.found) {
		rc = mc_fail(MC_ENOTFOUND, err, errsz,
		             as ? "%s is not on the campaign's list"
		                : "the campaign's list is empty%s",
		             as ? as : "");
		goto done;
	}
	mc_strlcpy(res->as, p.address, sizeof(res->as));
	if ((rc = campaign_thaw(s, id, true, &t, err, errsz)) < 0)
		goto done;
	if (!t.frozen) {
		rc = mc_fail(MC_EDATA, err, errsz,
		             "campaign %lld has no frozen template (made by an "
		             "older version): `campaign clone` it",
		             (long long)id);
		goto done;
	}
	if ((rc = render_test(set, id, &t, &p, c.name, msg, sizeof(msg), err,
	                      errsz)) < 0)
		goto done;
	r = &set->relays[0];
	user = r->auth_user ? r->auth_user : set->auth_user;
	if (user != NULL &&
	    secret_read(r->auth_user && r->auth_secret.file
	                    ? r->auth_secret.file
	                    : set->auth_secret.file,
	                r->auth_user && r->auth_secret.env ? r->auth_secret.env
	                : set->auth_secret.env ? set->auth_secret.env
	                                       : CAMPAIGN_SECRET_ENV,
	                secret, sizeof(secret), err, errsz) < 0) {
		rc = MC_ECONFIG;
		goto done;
	}
	memset(&so, 0, sizeof(so));
	memset(&sum, 0, sizeof(sum));
	so.server = r->host;
	so.tls = send_tls(r->tls != CAMPAIGN_TLS_INHERIT ? r->tls : set->tls);
	so.from = set->from;
	so.to = &to;
	so.nto = 1;
	so.data = msg;
	so.helo = set->helo;
	so.auth_user = user;
	so.auth_secret = user ? secret : NULL;
	so.ca_file = r->ca_file ? r->ca_file : set->ca_file;
	so.no_verify =
	    r->tls_verify >= 0 ? r->tls_verify == 0 : set->tls_no_verify;
	snprintf(timeout, sizeof(timeout), "%ldms", (long)set->timeout_ms);
	so.timeout = set->timeout_ms ? timeout : NULL;
	so.result = on_result;
	so.arg = res;
	mc_strlcpy(res->server, r->host, sizeof(res->server));
	rc = app_send_run(&so, &sum);
	explicit_bzero(secret, sizeof(secret));
	if (rc < 0) {
		mc_fail(rc, err, errsz, "%s", sum.why);
		goto done;
	}
	if (res->text[0] == '\0')
		mc_strlcpy(res->text, sum.why, sizeof(res->text));
	snprintf(detail, sizeof(detail), "to %s as %s via %s: %s", to, res->as,
	         r->host, res->text);
	store_event_add(s, id, 0, "test-send", detail, time(NULL));
	rc = res->delivered     ? 0
	     : res->code >= 500 ? MC_EPERMFAIL
	     : res->code >= 400 ? MC_ETEMPFAIL
	                        : MC_ECONN;
	if (rc < 0)
		mc_fail(rc, err, errsz, "relay %s: %s", r->host, res->text);
done:
	explicit_bzero(secret, sizeof(secret));
	campaign_thaw_fini(&t);
	free(p.attrs);
	return rc;
}
