/*
 * contact.c — one contact: show, set, delete, erase, history, resubscribe;
 * see contact.h.  Each change runs under store_audit_context() so the
 * store's audit trail records who and why; the context is cleared after.
 */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/contact.h"
#include "app/contacts.h"
#include "base/error.h"
#include "base/str.h"

/* The actor: the given one, or "user:$USER". */
const char *
app_actor(const char *actor)
{
	static char buf[128];
	const char *u = getenv("USER");
	struct passwd *pw;

	if (actor != NULL)
		return actor;
	if ((u == NULL || *u == '\0') && (pw = getpwuid(getuid())) != NULL)
		u = pw->pw_name;
	snprintf(buf, sizeof(buf), "user:%s", u != NULL && *u ? u : "unknown");
	return buf;
}

/* The address checked and normalised into norm. */
static int
normalise(const char *address, char *norm, size_t normsz, char *err,
          size_t errsz)
{
	return app_addr_check(NULL, address, strlen(address), norm, normsz, err,
	                      errsz);
}

/* store_contact_fn: the contact as JSON into *(json_t **)arg. */
static int
contact_json(void *arg, const struct store_contact *c)
{
	json_t *a = json_loads(c->attrs, 0, NULL);
	json_t *l = c->lists ? json_loads(c->lists, 0, NULL) : NULL;
	char sub[32], at[32];

	app_iso_time(c->created, sub, sizeof(sub));
	app_iso_time(c->status_at, at, sizeof(at));
	*(json_t **)arg = json_pack(
	    "{s:I,s:s,s:s,s:s,s:s?,s:o,s:o}", "id", (json_int_t)c->id, "email",
	    c->address, "status", c->status, "subscribed_at", sub,
	    "status_changed_at", c->status_at ? at : NULL, "lists",
	    l ? l : json_array(), "attributes", a ? a : json_object());
	return 1;
}

/* The contact of norm as JSON (with its suppression), or an error. */
static int
fetch(struct store *s, const char *norm, json_t **out, char *err, size_t errsz)
{
	struct store_suppression hit;
	int rc;

	*out = NULL;
	if ((rc = store_contact_get(s, norm, contact_json, out)) < 0) {
		mc_strlcpy(err, store_error(s), errsz);
		return rc;
	}
	rc = store_supp_check(s, norm, &hit);
	if (rc == 0)
		json_object_set_new(
		    *out, "suppressed",
		    json_pack("{s:s,s:s,s:s}", "entry", hit.entry, "reason",
		              store_supp_reason_name(hit.reason), "source",
		              hit.source));
	else
		json_object_set_new(*out, "suppressed", json_null());
	return 0;
}

/* The id of the contact of norm, or an error. */
static int
contact_id(struct store *s, const char *norm, int64_t *id, char **status,
           char *err, size_t errsz)
{
	json_t *c = NULL;
	int rc;

	if ((rc = store_contact_get(s, norm, contact_json, &c)) < 0) {
		mc_strlcpy(err, store_error(s), errsz);
		return rc;
	}
	*id = (int64_t)json_integer_value(json_object_get(c, "id"));
	if (status != NULL)
		*status =
		    strdup(json_string_value(json_object_get(c, "status")));
	json_decref(c);
	return 0;
}

/* Show one contact. */
int
app_contact_show(struct store *s, const char *address, json_t **out, char *err,
                 size_t errsz)
{
	char norm[STORE_ADDRESS_MAX + 1];
	int rc;

	*out = NULL;
	if ((rc = normalise(address, norm, sizeof(norm), err, errsz)) < 0)
		return rc;
	return fetch(s, norm, out, err, errsz);
}

/* Begin a change: the audit context and a transaction. */
static int
change_begin(struct store *s, const char *actor, const char *why, char *err,
             size_t errsz)
{
	int rc;

	store_audit_context(s, app_actor(actor), why);
	if ((rc = store_begin(s)) < 0) {
		mc_strlcpy(err, store_error(s), errsz);
		store_audit_context(s, NULL, NULL);
	}
	return rc;
}

/* End a change: commit (rc 0) or roll back; the context cleared. */
static int
change_end(struct store *s, int rc, char *err, size_t errsz)
{
	if (rc == 0 && (rc = store_commit(s)) < 0)
		mc_strlcpy(err, store_error(s), errsz);
	else if (rc < 0)
		store_rollback(s);
	store_audit_context(s, NULL, NULL);
	return rc;
}

/* Set attributes from KEY=VALUE pairs. */
int
app_contact_set(struct store *s, const char *address, const char *const *sets,
                size_t n, const char *actor, const char *why, json_t **out,
                char *err, size_t errsz)
{
	char norm[STORE_ADDRESS_MAX + 1];
	json_t *patch = json_object();
	char *text = NULL, *status = NULL;
	int64_t id;
	int rc, changed;

	*out = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(sets[i], '=');
		char key[256];

		if (eq == NULL || eq == sets[i] ||
		    (size_t)(eq - sets[i]) >= sizeof(key)) {
			snprintf(err, errsz, "'%s' is not KEY=VALUE", sets[i]);
			json_decref(patch);
			return MC_EDATA;
		}
		snprintf(key, sizeof(key), "%.*s", (int)(eq - sets[i]),
		         sets[i]);
		/* a name as a CSV header can hold it: no line breaks, tabs
		 * or other control characters */
		for (const char *k = key; *k; k++)
			if ((unsigned char)*k < 0x20 || *k == 0x7f) {
				snprintf(
				    err, errsz,
				    "attribute name '%.*s' holds a control "
				    "character (a line break?)",
				    (int)(k - key), key);
				json_decref(patch);
				return MC_EDATA;
			}
		json_object_set_new(patch, key,
		                    eq[1] ? json_string(eq + 1) : json_null());
	}
	if ((rc = normalise(address, norm, sizeof(norm), err, errsz)) < 0 ||
	    (rc = contact_id(s, norm, &id, &status, err, errsz)) < 0)
		goto done;
	if (strcmp(status, "erased") == 0) {
		snprintf(err, errsz, "%s was erased", address);
		rc = MC_EINVAL;
		goto done;
	}
	text = json_dumps(patch, JSON_COMPACT);
	if ((rc = change_begin(s, actor, why, err, errsz)) < 0)
		goto done;
	if ((rc = store_contact_set_attrs(s, id, text, time(NULL), &changed)) <
	    0)
		mc_strlcpy(err, store_error(s), errsz);
	if ((rc = change_end(s, rc, err, errsz)) == 0)
		rc = fetch(s, norm, out, err, errsz);
done:
	free(text);
	free(status);
	json_decref(patch);
	return rc;
}

/* The suppression reason an erased contact's hash keeps. */
static enum store_supp_reason
erase_reason(const char *status)
{
	int st = store_contact_status_parse(status);
	int r =
	    st >= 0 ? store_status_reason((enum store_contact_status)st) : -1;

	return r >= 0 ? (enum store_supp_reason)r : SUPP_MANUAL;
}

/* Delete or erase. */
int
app_contact_remove(struct store *s, const char *address, bool erase,
                   const char *actor, const char *why, json_t **out, char *err,
                   size_t errsz)
{
	char norm[STORE_ADDRESS_MAX + 1], entry[STORE_ERASE_ENTRY_LEN + 1];
	char *status = NULL;
	int64_t id;
	int rc, res, joined;

	*out = NULL;
	if ((rc = normalise(address, norm, sizeof(norm), err, errsz)) < 0 ||
	    (rc = change_begin(s, actor, why, err, errsz)) < 0)
		goto done;
	rc = contact_id(s, norm, &id, &status, err, errsz);
	/* Erasure reaches a deleted contact and an address only the
	 * suppression list or the bounces hold: it is (re)made, then erased
	 * with everything that names it. */
	if (rc == MC_ENOTFOUND && erase &&
	    (rc = store_contact_upsert(s, norm, strrchr(norm, '@') + 1, "{}", 0,
	                               time(NULL), &res, &joined)) == 0)
		rc = contact_id(s, norm, &id, &status, err, errsz);
	if (rc == 0 && strcmp(status, "erased") == 0)
		rc = mc_fail(MC_EINVAL, err, errsz, "%s was erased already",
		             address);
	if (rc == 0 &&
	    (rc = store_contact_remove(s, id, erase, erase_reason(status),
	                               time(NULL))) < 0)
		mc_strlcpy(err, store_error(s), errsz);
	if ((rc = change_end(s, rc, err, errsz)) < 0)
		goto done;
	if (erase) {
		store_erase_entry_of(s, norm, entry);
		*out = json_pack("{s:s,s:b,s:s}", "email", norm, "erased", 1,
		                 "entry", entry);
	} else
		*out = json_pack("{s:s,s:b}", "email", norm, "deleted", 1);
done:
	free(status);
	return rc;
}

/* store_audit_fn: one row into the array arg. */
static int
audit_row(void *arg, const struct store_audit *a)
{
	char at[32];

	app_iso_time(a->at, at, sizeof(at));
	json_array_append_new(arg, json_pack("{s:s,s:s,s:s,s:s?}", "at", at,
	                                     "actor", a->actor, "action",
	                                     a->action, "detail", a->detail));
	return 0;
}

/* A contact's audit trail. */
int
app_contact_history(struct store *s, const char *address, json_t **out,
                    char *err, size_t errsz)
{
	char norm[STORE_ADDRESS_MAX + 1];
	int64_t id;
	int rc;

	*out = NULL;
	if ((rc = normalise(address, norm, sizeof(norm), err, errsz)) < 0 ||
	    (rc = contact_id(s, norm, &id, NULL, err, errsz)) < 0)
		return rc;
	*out = json_array();
	if ((rc = store_contact_history(s, id, audit_row, *out)) < 0) {
		mc_strlcpy(err, store_error(s), errsz);
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* Active again, recorded with why. */
int
app_contact_resubscribe(struct store *s, const char *address, const char *actor,
                        const char *why, json_t **out, char *err, size_t errsz)
{
	char norm[STORE_ADDRESS_MAX + 1];
	char *status = NULL;
	int64_t id;
	int rc, changed;

	*out = NULL;
	if (why == NULL || *why == '\0') {
		snprintf(err, errsz,
		         "say why (--reason): a resubscribe is "
		         "recorded with its reason");
		return MC_EINVAL;
	}
	if ((rc = normalise(address, norm, sizeof(norm), err, errsz)) < 0 ||
	    (rc = contact_id(s, norm, &id, &status, err, errsz)) < 0)
		goto done;
	if (strcmp(status, "erased") == 0) {
		snprintf(err, errsz, "%s was erased: it cannot be mailed again",
		         address);
		rc = MC_EINVAL;
		goto done;
	}
	if ((rc = change_begin(s, actor, why, err, errsz)) < 0)
		goto done;
	rc = store_contact_set_status(s, id, CONTACT_ACTIVE, time(NULL),
	                              &changed);
	if (rc == 0 && (rc = store_supp_remove(s, norm)) == MC_ENOTFOUND)
		rc = 0;
	if (rc < 0)
		mc_strlcpy(err, store_error(s), errsz);
	if ((rc = change_end(s, rc, err, errsz)) == 0)
		rc = fetch(s, norm, out, err, errsz);
done:
	free(status);
	return rc;
}

/* suppress add: the contact takes the reason's status. */
int
app_contact_suppressed(struct store *s, const char *address,
                       enum store_supp_reason reason, const char *actor,
                       const char *source, int *changed)
{
	char why[300];
	int64_t id;
	int rc;

	*changed = 0;
	if ((rc = contact_id(s, address, &id, NULL, why, sizeof(why))) < 0)
		return rc == MC_ENOTFOUND ? 0 : rc;
	snprintf(why, sizeof(why), "suppressed (%s, %s)",
	         store_supp_reason_name(reason), source ? source : "");
	store_audit_context(s, app_actor(actor), why);
	rc = store_contact_set_status(s, id, store_reason_status(reason),
	                              time(NULL), changed);
	store_audit_context(s, NULL, NULL);
	return rc;
}

/* The status of a contact. */
int
app_contact_status(struct store *s, const char *address, char *status,
                   size_t statussz)
{
	char why[256], *st = NULL;
	int64_t id;
	int rc;

	if ((rc = contact_id(s, address, &id, &st, why, sizeof(why))) < 0)
		return rc;
	mc_strlcpy(status, st, statussz);
	free(st);
	return 0;
}
