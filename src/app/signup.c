/*
 * signup.c — signup with double opt-in (signup.h): the request, the
 * purpose-bound confirmation token, the confirmation, and the message
 * sent through the campaigns' relay.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "app/campaign.h"
#include "app/config.h"
#include "app/contacts.h"
#include "app/secrets.h"
#include "app/send.h"
#include "app/signup.h"
#include "base/error.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "msg/address.h"

/* The purpose a confirmation key is derived for (see signup.h). */
#define SIGNUP_PURPOSE  "mailcast-confirm-v1"
#define LIST_BITS       24 /* the token's first id: issued << 24 | list */
#define FUTURE_SLACK_S  300
#define SIGNUP_ATTR_MAX 1024 /* octets of one attribute's value */

/* The ring of confirmation keys: each store key, derived. */
static struct token_keyring *
ring_derive(const struct token_keyring *ring)
{
	struct token_keyring *out = xcalloc(1, sizeof(*out));

	for (size_t i = 0; i < ring->n; i++) {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned mdlen = 0;
		struct token_key k;

		HMAC(EVP_sha256(), ring->keys[i].key, (int)ring->keys[i].len,
		     (const unsigned char *)SIGNUP_PURPOSE,
		     sizeof(SIGNUP_PURPOSE) - 1, md, &mdlen);
		token_key_set(&k, md, mdlen);
		token_keyring_add(out, &k, ring->ids[i]);
		token_key_wipe(&k);
		explicit_bzero(md, sizeof(md));
	}
	return out;
}

/* Wipe and free a derived ring. */
static void
ring_free(struct token_keyring *r)
{
	token_keyring_wipe(r);
	free(r);
}

/* A confirmation token (signup.h). */
int
signup_token_make(const struct token_keyring *ring, int64_t list_id,
                  int64_t contact_id, time_t now, char *out, size_t outsz)
{
	struct token_keyring *d;
	int rc;

	if (ring->n == 0 || list_id <= 0 || list_id >= (1 << LIST_BITS) ||
	    contact_id <= 0 || now <= 0)
		return MC_EINVAL;
	d = ring_derive(ring);
	rc = token_encode(&d->keys[0],
	                  ((uint64_t)now << LIST_BITS) | (uint64_t)list_id,
	                  (uint64_t)contact_id, out, outsz);
	ring_free(d);
	return rc;
}

/* Verify a confirmation token (signup.h). */
int
signup_token_check(const struct token_keyring *ring, const char *tok,
                   time_t now, int64_t *list_id, int64_t *contact_id)
{
	struct token_keyring *d = ring_derive(ring);
	uint64_t a, b;
	time_t issued;
	int rc;

	rc = token_keyring_decode(d, tok, strlen(tok), &a, &b, NULL);
	ring_free(d);
	if (rc < 0)
		return MC_ENOTFOUND;
	issued = (time_t)(a >> LIST_BITS);
	*list_id = (int64_t)(a & ((1u << LIST_BITS) - 1));
	*contact_id = (int64_t)b;
	if (*list_id == 0 || *contact_id <= 0 || issued > now + FUTURE_SLACK_S)
		return MC_ENOTFOUND;
	return now - issued > SIGNUP_TTL_S ? MC_ETIMEDOUT : 0;
}

/* "/confirm/TOKEN" -> TOKEN, or NULL. */
const char *
signup_path_token(const char *path)
{
	const char *t;
	size_t n;

	if (strncmp(path, CONFIRM_PATH, sizeof(CONFIRM_PATH) - 1) != 0)
		return NULL;
	t = path + sizeof(CONFIRM_PATH) - 1;
	n = strspn(t, "abcdefghijklmnopqrstuvwxyz"
	              "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
	return n > 0 && n <= TOKEN_MAX && t[n] == '\0' ? t : NULL;
}

/* Say who makes the next changes (the contact's audit); a backend
 * without the audit (MC_EUNSUPP) is no reason to refuse a signup. */
static int
audit(struct store *s, const char *actor, const char *why)
{
	int rc = store_audit_context(s, actor, why);

	return rc == MC_EUNSUPP ? 0 : rc;
}

/* What contact_get gives, copied. */
struct found {
	bool hit;
	int64_t id;
	char status[32];
	char *lists; /* a JSON array of list names */
};

/* store_contact_fn: copy the contact. */
static int
found_fn(void *arg, const struct store_contact *c)
{
	struct found *f = arg;

	f->hit = true;
	f->id = c->id;
	mc_strlcpy(f->status, c->status ? c->status : "", sizeof(f->status));
	f->lists = xstrdup(c->lists ? c->lists : "[]");
	return 0;
}

/* Whether the JSON array of names lists holds name. */
static bool
lists_have(const char *lists, const char *name)
{
	json_t *a = json_loads(lists, 0, NULL), *v;
	size_t i;
	bool hit = false;

	json_array_foreach(a, i, v)
	{
		if (json_is_string(v) &&
		    strcmp(json_string_value(v), name) == 0)
			hit = true;
	}
	json_decref(a);
	return hit;
}

/* The attributes of a signup as a JSON object of strings (name under
 * "name"), malloc'd; NULL with MC_EDATA's reason in err. */
static char *
signup_attrs(const struct signup_in *in, char *err, size_t errsz)
{
	json_t *o, *v;
	const char *k;
	char *text;

	if (in->attrs != NULL && *in->attrs != '\0') {
		o = json_loads(in->attrs, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(o) ||
		    json_object_size(o) > SIGNUP_ATTRS_MAX) {
			json_decref(o);
			snprintf(err, errsz,
			         "attributes: expected an object of at most "
			         "%d strings",
			         SIGNUP_ATTRS_MAX);
			return NULL;
		}
		json_object_foreach(o, k, v)
		{
			if (!json_is_string(v) ||
			    json_string_length(v) > SIGNUP_ATTR_MAX ||
			    strlen(k) > 64 || *k == '\0') {
				json_decref(o);
				snprintf(
				    err, errsz,
				    "attributes: each value a string of at "
				    "most %d octets, each name 1-64",
				    SIGNUP_ATTR_MAX);
				return NULL;
			}
		}
	} else {
		o = json_object();
	}
	if (in->name != NULL && *in->name != '\0') {
		if (strlen(in->name) > SIGNUP_ATTR_MAX) {
			json_decref(o);
			snprintf(err, errsz, "name: at most %d octets",
			         SIGNUP_ATTR_MAX);
			return NULL;
		}
		json_object_set_new(o, "name", json_string(in->name));
	}
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (text == NULL)
		snprintf(err, errsz, "attributes: not UTF-8");
	return text;
}

/* Take a signup (signup.h). */
int
signup_request(struct store *s, const struct token_keyring *ring,
               const struct signup_in *in, time_t now, struct signup_out *out,
               char *err, size_t errsz)
{
	struct found f = {0};
	struct store_suppression hit;
	struct store_upsert_counts cnt = {0};
	char actor[96], *attrs = NULL;
	int64_t list_id, id;
	int sent = 0, rc;

	memset(out, 0, sizeof(*out));
	out->what = "not mailable";
	if ((rc = store_list_find(s, in->list, &list_id)) < 0) {
		if (rc != MC_ENOTFOUND)
			snprintf(err, errsz, "%s", store_error(s));
		return rc;
	}
	if (in->address == NULL ||
	    app_addr_check(NULL, in->address, strlen(in->address), out->address,
	                   sizeof(out->address), err, errsz) < 0)
		return in->address ? MC_EDATA
		                   : mc_fail(MC_EDATA, err, errsz,
		                             "no address (field email)");
	if ((attrs = signup_attrs(in, err, errsz)) == NULL)
		return MC_EDATA;
	rc = store_supp_check(s, out->address, &hit);
	if (rc == 0)
		goto done; /* suppressed: nothing, the same answer */
	if (rc != MC_ENOTFOUND)
		goto store_failed;
	rc = store_contact_get(s, out->address, found_fn, &f);
	if (rc == MC_EUNSUPP) {
		/* A backend without contact_get: the status alone, and an
		 * active contact counts as a member (nothing sent). */
		rc = store_contact_lookup(s, 0, out->address, &f.id);
		if (rc == 0)
			rc = store_signup_contact(s, f.id, out->address,
			                          sizeof(out->address),
			                          f.status, sizeof(f.status));
		f.hit = rc == 0;
		if (f.hit && strcmp(f.status, "active") == 0) {
			out->what = "member";
			goto done;
		}
	}
	if (rc < 0 && rc != MC_ENOTFOUND)
		goto store_failed;
	if (f.hit && strcmp(f.status, "active") == 0) {
		if (lists_have(f.lists, in->list)) {
			out->what = "member";
			rc = 0;
			goto done;
		}
		out->what = "joining"; /* joins when it confirms */
		id = f.id;
	} else if (!f.hit || strcmp(f.status, "pending") == 0) {
		/* A new contact, or a pending one again: pending, on the
		 * list (the list's count shows it), attributes merged. */
		struct store_contact_in row = {
		    .address = out->address,
		    .domain = strchr(out->address, '@') + 1,
		    .attrs = attrs,
		    .status = "pending",
		};

		out->what = f.hit ? "pending" : "new";
		snprintf(actor, sizeof(actor), "web %s", in->ip);
		if ((rc = audit(s, actor, "signup")) < 0 ||
		    (rc = store_contact_upsert_many(s, &row, 1, list_id, now, 0,
		                                    &cnt)) < 0 ||
		    (rc = store_contact_lookup(s, 0, out->address, &id)) < 0)
			goto store_failed;
		audit(s, NULL, NULL);
	} else {
		rc = 0; /* unsubscribed, bounced ...: nothing */
		goto done;
	}
	if ((rc = store_signup_mark(s, out->address, list_id, in->ip, now,
	                            SIGNUP_RESEND_S, &sent)) < 0)
		goto store_failed;
	if (!sent) {
		out->what = "sent lately";
		goto done;
	}
	rc = signup_token_make(ring, list_id, id, now, out->token,
	                       sizeof(out->token));
	if (rc < 0) {
		snprintf(err, errsz,
		         "cannot make a token (list id too large?)");
		goto done;
	}
	out->send = true;
	goto done;
store_failed:
	snprintf(err, errsz, "%s", store_error(s));
	audit(s, NULL, NULL);
	rc = MC_EIO;
done:
	free(f.lists);
	free(attrs);
	return rc;
}

/* store_list_fn: the name of the list whose id *arg's id is. */
struct list_name {
	int64_t id;
	char name[STORE_NAME_MAX + 1];
};

/* store_list_fn: keep the name of the list sought. */
static int
list_name_fn(void *arg, const struct store_list_info *l)
{
	struct list_name *ln = arg;

	if (l->id != ln->id)
		return 0;
	mc_strlcpy(ln->name, l->name, sizeof(ln->name));
	return 1;
}

/* Confirm a token (signup.h). */
int
signup_confirm(struct store *s, const struct token_keyring *ring,
               const char *tok, const char *ip, bool apply, time_t now,
               struct signup_confirm_result *r, char *err, size_t errsz)
{
	struct list_name ln = {0};
	struct store_contact_in row = {0};
	struct store_upsert_counts cnt = {0};
	char status[32], actor[96];
	int64_t list_id, contact_id;
	int changed = 0, rc;

	memset(r, 0, sizeof(*r));
	if ((rc = signup_token_check(ring, tok, now, &list_id, &contact_id)) <
	    0)
		return rc;
	rc = store_signup_contact(s, contact_id, r->address, sizeof(r->address),
	                          status, sizeof(status));
	if (rc == MC_ENOTFOUND)
		return rc;
	if (rc < 0)
		goto store_failed;
	/* Only a signup not confirmed yet, or an active contact joining:
	 * an address unsubscribed (or worse) since is not this link's. */
	if (strcmp(status, "pending") != 0 && strcmp(status, "active") != 0)
		return MC_ENOTFOUND;
	ln.id = list_id;
	if ((rc = store_list_each(s, list_name_fn, &ln)) < 0)
		goto store_failed;
	if (ln.name[0] == '\0')
		return MC_ENOTFOUND;
	if (!apply)
		return 0;
	snprintf(actor, sizeof(actor), "web %s", ip);
	if ((rc = store_begin(s)) < 0)
		goto store_failed;
	row.address = r->address;
	row.domain = strchr(r->address, '@') ? strchr(r->address, '@') + 1 : "";
	row.attrs = "{}";
	if ((rc = audit(s, actor, "double opt-in confirmed")) < 0 ||
	    (strcmp(status, "pending") == 0 &&
	     (rc = store_contact_set_status(s, contact_id, CONTACT_ACTIVE, now,
	                                    &changed)) < 0) ||
	    (rc = store_contact_upsert_many(s, &row, 1, list_id, now, 0,
	                                    &cnt)) < 0) {
		store_rollback(s);
		goto store_failed;
	}
	if ((rc = store_commit(s)) < 0)
		goto store_failed;
	audit(s, NULL, NULL);
	r->changed = changed || cnt.joined > 0;
	return 0;
store_failed:
	snprintf(err, errsz, "%s", store_error(s));
	audit(s, NULL, NULL);
	return MC_EIO;
}

/* The confirmation message (signup.h). */
char *
signup_message(const char *from, const char *public_url, const char *address,
               const char *token, time_t now)
{
	unsigned char rnd[12];
	char date[64], id[32];
	const char *dom = strrchr(from, '@');
	size_t ul = strlen(public_url);
	struct tm tm;

	while (ul > 0 && public_url[ul - 1] == '/')
		ul--;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0, sizeof(rnd));
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(id + 2 * i, 3, "%02x", rnd[i]);
	return xasprintf(
	    "From: %s\r\nTo: <%s>\r\nSubject: Please confirm your "
	    "subscription\r\nDate: %s\r\nMessage-ID: <%s.%lld@%.*s>\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\nAuto-Submitted: "
	    "auto-generated\r\n\r\n"
	    "Someone, hopefully you, asked to subscribe %s to a mailing\r\n"
	    "list.  To confirm, open this link and press the button:\r\n\r\n"
	    "%.*s%s%s\r\n\r\n"
	    "The link works for 48 hours.  If you did not ask for this,\r\n"
	    "ignore this message: nothing happens without a "
	    "confirmation.\r\n",
	    from, address, date, id, (long long)now,
	    dom ? (int)strcspn(dom + 1, ">") : 9, dom ? dom + 1 : "localhost",
	    address, (int)ul, public_url, CONFIRM_PATH, token);
}

/* app_send_result_fn: keep a refused recipient's reply. */
static void
send_result(void *arg, const struct app_send_result *r)
{
	char *why = arg;

	if (!r->delivered)
		snprintf(why, 400, "%d %s", r->code, r->text ? r->text : "");
}

/* Send the confirmation message (signup.h). */
int
signup_send(const struct mc_conf *conf, const char *address, const char *msg,
            char *err, size_t errsz)
{
	struct campaign_settings set;
	struct app_send_summary sum = {0};
	struct app_send_opts o = {0};
	const struct campaign_relay *r;
	const struct campaign_secret *sec;
	char secret[512] = "", env_from[ADDR_PATH_MAX + 1], why[400] = "";
	char name[ADDR_NAME_MAX + 1];
	const char *to[1] = {address};
	enum campaign_tls tls;
	struct addr a;
	int rc;

	campaign_settings_init(&set);
	if ((rc = campaign_settings_from_conf(&set, conf, err, errsz)) < 0)
		goto out;
	if (set.nrelays == 0 || set.from == NULL) {
		rc = mc_fail(MC_ECONFIG, err, errsz,
		             "a confirmation message needs a relay and from in "
		             "mailcast.conf");
		goto out;
	}
	if (addr_parse_mailbox(set.from, strlen(set.from), &a, name,
	                       sizeof(name), err, errsz) < 0) {
		rc = MC_ECONFIG;
		goto out;
	}
	addr_format(&a, env_from, sizeof(env_from));
	r = &set.relays[0];
	tls = r->tls != CAMPAIGN_TLS_INHERIT ? r->tls : set.tls;
	o.server = r->host;
	o.tls = tls == CAMPAIGN_TLS_INHERIT ? "opportunistic"
	                                    : campaign_tls_name(tls);
	o.from = env_from;
	o.to = to;
	o.nto = 1;
	o.data_mem = msg;
	o.helo = set.helo;
	o.ca_file = r->ca_file ? r->ca_file : set.ca_file;
	o.no_verify =
	    r->tls_verify == 0 || (r->tls_verify < 0 && set.tls_no_verify);
	o.auth_user = r->auth_user ? r->auth_user : set.auth_user;
	sec = r->auth_user ? &r->auth_secret : &set.auth_secret;
	if (o.auth_user != NULL) {
		if ((rc = secret_read(sec->file,
		                      sec->env ? sec->env : CAMPAIGN_SECRET_ENV,
		                      secret, sizeof(secret), err, errsz)) < 0)
			goto out;
		o.auth_secret = secret;
	}
	o.summary_only = false;
	o.result = send_result;
	o.arg = why;
	rc = app_send_run(&o, &sum);
	if (rc == 0 && sum.status != 0)
		rc = mc_fail(MC_ETEMPFAIL, err, errsz, "%s: %s", r->host,
		             why[0] ? why : sum.why);
	else if (rc < 0)
		snprintf(err, errsz, "%s: %s", r->host, sum.why);
out:
	explicit_bzero(secret, sizeof(secret));
	campaign_settings_fini(&set);
	return rc;
}
