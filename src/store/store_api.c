/*
 * store_api.c — the front of the store: one function per op of struct
 * store_ops (store.h).  Callers above the store layer call these and never
 * the ops table, so argument checks, tracing and timing live in one place
 * and a backend only stores and leases.  Each front function checks what a
 * backend would otherwise have to (NULL outputs, ids, lengths), counts the
 * call and its time in s->stat[] and traces it at LOG_TRACE.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "base/error.h"
#include "base/log.h"
#include "store/store.h"

static const char *const op_names[] = {
#define STORE_OP_NAME(name) #name,
    STORE_OPS(STORE_OP_NAME)
#undef STORE_OP_NAME
};

/* Name of an op. */
const char *
store_op_name(enum store_op op)
{
	return (unsigned)op < STORE_OP__COUNT ? op_names[op] : NULL;
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Count one call of op that started at t0 and returned rc; returns rc.
 * A "not found" names the store it was looked for in. */
static int
account(struct store *s, enum store_op op, uint64_t t0, int rc)
{
	uint64_t dt = mono_ns() - t0;
	struct store_op_stat *st = &s->stat[op];
	size_t n = strlen(s->last_error);

	if (rc == MC_ENOTFOUND && n > 0 && s->where[0] != '\0' &&
	    strstr(s->last_error, s->where) == NULL)
		snprintf(s->last_error + n, sizeof(s->last_error) - n,
		         " in store %s", s->where);

	st->calls++;
	st->ns += dt;
	if (rc < 0 && rc != MC_ENOTFOUND)
		st->errors++;
	log_trace("store: %s %.3f ms%s%s", op_names[op], (double)dt / 1e6,
	          rc < 0 ? " -> " : "", rc < 0 ? mc_errname(rc) : "");
	return rc;
}

/* The bad-argument exit of a front function. */
static int
bad_arg(struct store *s, enum store_op op, const char *what)
{
	return store_fail(s, MC_EINVAL, "store %s: %s", op_names[op], what);
}

/* The exit of a front function whose op the backend lacks. */
static int
unsupported(struct store *s, enum store_op op)
{
	return store_fail(s, MC_EUNSUPP, "store %s: not in the %s backend",
	                  op_names[op], s->ops->name);
}

/* An op a backend leaves NULL answers MC_EUNSUPP. */
#define CALL(op, ...)                                                          \
	do {                                                                   \
		uint64_t t0_ = mono_ns();                                      \
		if (s->ops->op == NULL)                                        \
			return unsupported(s, STORE_OP_##op);                  \
		return account(s, STORE_OP_##op, t0_,                          \
		               s->ops->op(s, __VA_ARGS__));                    \
	} while (0)
#define CALL0(op)                                                              \
	do {                                                                   \
		uint64_t t0_ = mono_ns();                                      \
		if (s->ops->op == NULL)                                        \
			return unsupported(s, STORE_OP_##op);                  \
		return account(s, STORE_OP_##op, t0_, s->ops->op(s));          \
	} while (0)
#define NEED(op, cond, what)                                                   \
	do {                                                                   \
		if (!(cond))                                                   \
			return bad_arg(s, STORE_OP_##op, what);                \
	} while (0)

/* Begin a transaction. */
int
store_begin(struct store *s)
{
	CALL0(begin);
}

/* Commit the transaction. */
int
store_commit(struct store *s)
{
	CALL0(commit);
}

/* Roll the transaction back. */
int
store_rollback(struct store *s)
{
	CALL0(rollback);
}

/* Find or make a list. */
int
store_list_ensure(struct store *s, const char *name, time_t now, int64_t *id)
{
	NEED(list_ensure, name != NULL && *name != '\0', "no list name");
	NEED(list_ensure, strlen(name) <= STORE_NAME_MAX, "list name too long");
	NEED(list_ensure, id != NULL, "no output");
	CALL(list_ensure, name, now, id);
}

/* Find a list by name. */
int
store_list_find(struct store *s, const char *name, int64_t *id)
{
	NEED(list_find, name != NULL && id != NULL, "no list name");
	CALL(list_find, name, id);
}

/* Remove a list and its memberships. */
int
store_list_delete(struct store *s, int64_t list_id)
{
	NEED(list_delete, list_id > 0, "no list id");
	CALL(list_delete, list_id);
}

/* Every list. */
int
store_list_each(struct store *s, store_list_fn *fn, void *arg)
{
	NEED(list_each, fn != NULL, "no callback");
	CALL(list_each, fn, arg);
}

/* How commits reach the disk. */
int
store_durable_commits(struct store *s, bool full)
{
	if (s->ops->durable_commits == NULL)
		return 0;
	CALL(durable_commits, full);
}

/* Upsert one contact. */
int
store_contact_upsert(struct store *s, const char *address, const char *domain,
                     const char *attrs, int64_t list_id, time_t now,
                     int *result, int *joined)
{
	NEED(contact_upsert, address != NULL && *address != '\0', "no address");
	NEED(contact_upsert, strlen(address) <= STORE_ADDRESS_MAX,
	     "address too long");
	NEED(contact_upsert, domain != NULL && result != NULL && joined != NULL,
	     "missing argument");
	CALL(contact_upsert, address, domain, attrs, list_id, now, result,
	     joined);
}

/* Upsert n contacts at once (or one by one without a batch op). */
int
store_contact_upsert_many(struct store *s, const struct store_contact_in *rows,
                          size_t n, int64_t list_id, time_t now, unsigned flags,
                          struct store_upsert_counts *c)
{
	int err = 0;

	NEED(contact_upsert_many, (rows != NULL || n == 0) && c != NULL,
	     "missing argument");
	for (size_t i = 0; i < n; i++)
		NEED(contact_upsert_many,
		     rows[i].status == NULL ||
		         (store_contact_status_parse(rows[i].status) >= 0 &&
		          strcmp(rows[i].status, "erased") != 0),
		     "bad status");
	if (s->ops->contact_upsert_many != NULL)
		CALL(contact_upsert_many, rows, n, list_id, now, flags, c);
	/* Without the batch op only what contact_upsert does can be done. */
	NEED(contact_upsert_many, flags & STORE_UPSERT_REPLACE,
	     "merging attributes needs contact_upsert_many");
	for (size_t i = 0; i < n && err == 0; i++) {
		int result = 0, joined = 0;

		NEED(contact_upsert_many, rows[i].status == NULL,
		     "a status needs contact_upsert_many");
		err = store_contact_upsert(s, rows[i].address, rows[i].domain,
		                           rows[i].attrs, list_id, now, &result,
		                           &joined);
		c->added += result == 1;
		c->updated += result == 2;
		c->unchanged += result == 0;
		c->joined += (unsigned long)joined;
	}
	return err;
}

/* Contact counts by status. */
int
store_contact_tally(struct store *s, int64_t list_id,
                    unsigned long counts[CONTACT__COUNT])
{
	NEED(contact_tally, counts != NULL && list_id >= 0, "no counts");
	memset(counts, 0, CONTACT__COUNT * sizeof(*counts));
	CALL(contact_tally, list_id, counts);
}

/* Members of one list join another. */
int
store_member_copy(struct store *s, int64_t list_id, int64_t from, time_t now,
                  unsigned long *joined)
{
	NEED(member_copy, list_id > 0 && from > 0 && joined != NULL, "no list");
	*joined = 0;
	CALL(member_copy, list_id, from, now, joined);
}

/* Who and why, for the audit of the next ops. */
int
store_audit_context(struct store *s, const char *actor, const char *why)
{
	NEED(audit_context, actor == NULL || strlen(actor) < 256,
	     "actor too long");
	CALL(audit_context, actor, why);
}

/* One contact by address. */
int
store_contact_get(struct store *s, const char *address, store_contact_fn *fn,
                  void *arg)
{
	NEED(contact_get, address != NULL && fn != NULL, "no address");
	CALL(contact_get, address, fn, arg);
}

/* Merge a patch into a contact's attributes. */
int
store_contact_set_attrs(struct store *s, int64_t id, const char *patch,
                        time_t now, int *changed)
{
	NEED(contact_set_attrs, id > 0 && patch != NULL && changed != NULL,
	     "no contact");
	*changed = 0;
	CALL(contact_set_attrs, id, patch, now, changed);
}

/* Delete or erase a contact. */
int
store_contact_remove(struct store *s, int64_t id, bool erase,
                     enum store_supp_reason reason, time_t now)
{
	NEED(contact_remove, id > 0, "no contact");
	NEED(contact_remove, store_supp_reason_name(reason) != NULL,
	     "bad reason");
	CALL(contact_remove, id, erase, reason, now);
}

/* A contact's audit rows. */
int
store_contact_history(struct store *s, int64_t id, store_audit_fn *fn,
                      void *arg)
{
	NEED(contact_history, id > 0 && fn != NULL, "no contact");
	CALL(contact_history, id, fn, arg);
}

/* The erase entry of an address. */
int
store_erase_entry_of(struct store *s, const char *address,
                     char out[STORE_ERASE_ENTRY_LEN + 1])
{
	NEED(erase_entry, address != NULL && out != NULL, "no address");
	CALL(erase_entry, address, out);
}

/* Contacts of a list. */
int
store_contact_each(struct store *s, int64_t list_id, store_contact_fn *fn,
                   void *arg)
{
	NEED(contact_each, fn != NULL && list_id >= 0, "no callback");
	CALL(contact_each, list_id, fn, arg);
}

/* The first n contacts of a list. */
int
store_contact_first(struct store *s, int64_t list_id, size_t n,
                    store_contact_fn *fn, void *arg)
{
	NEED(contact_first, fn != NULL && list_id >= 0 && n > 0,
	     "no callback or no rows");
	CALL(contact_first, list_id, n, fn, arg);
}

/* How many contacts a list has. */
int
store_contact_count(struct store *s, int64_t list_id, unsigned long *n)
{
	NEED(contact_count, n != NULL && list_id >= 0, "no output");
	CALL(contact_count, list_id, n);
}

/* Take an address off a list (0: delete the contact). */
int
store_member_remove(struct store *s, int64_t list_id, const char *address)
{
	NEED(member_remove, address != NULL && list_id >= 0, "no address");
	CALL(member_remove, list_id, address);
}

/* Suppress an address or @domain. */
int
store_supp_add(struct store *s, const char *entry,
               enum store_supp_reason reason, const char *source, time_t now,
               int *added)
{
	NEED(supp_add, entry != NULL && *entry != '\0', "no entry");
	NEED(supp_add, strlen(entry) <= STORE_ADDRESS_MAX, "entry too long");
	NEED(supp_add, (unsigned)reason < SUPP__COUNT, "unknown reason");
	NEED(supp_add, added != NULL, "no output");
	CALL(supp_add, entry, reason, source, now, added);
}

/* Lift a suppression. */
int
store_supp_remove(struct store *s, const char *entry)
{
	NEED(supp_remove, entry != NULL && *entry != '\0', "no entry");
	CALL(supp_remove, entry);
}

/* Is an address suppressed? */
int
store_supp_check(struct store *s, const char *address,
                 struct store_suppression *hit)
{
	NEED(supp_check, address != NULL && hit != NULL, "no address");
	CALL(supp_check, address, hit);
}

/* Which of addrs[0..n) are suppressed: one query where the backend has
 * it, else supp_check per address. */
int
store_supp_check_many(struct store *s, const char *const *addrs, size_t n,
                      store_supp_hit_fn *fn, void *arg)
{
	struct store_suppression hit;
	int rc;

	NEED(supp_check_many, (addrs != NULL || n == 0) && fn != NULL,
	     "missing argument");
	if (s->ops->supp_check_many != NULL)
		CALL(supp_check_many, addrs, n, fn, arg);
	for (size_t i = 0; i < n; i++) {
		rc = store_supp_check(s, addrs[i], &hit);
		if (rc == MC_ENOTFOUND)
			continue;
		if (rc < 0 || (rc = fn(arg, i, &hit)) != 0)
			return rc;
	}
	return 0;
}

/* Every suppression. */
int
store_supp_each(struct store *s, store_supp_fn *fn, void *arg)
{
	NEED(supp_each, fn != NULL, "no callback");
	CALL(supp_each, fn, arg);
}

/* The suppression list's version (0 where the backend keeps none). */
int
store_supp_version(struct store *s, int64_t *version)
{
	NEED(supp_version, version != NULL, "no version");
	*version = 0;
	if (s->ops->supp_version == NULL)
		return 0;
	CALL(supp_version, version);
}

/* Stop watching the suppression list's version. */
int
store_supp_unwatch(struct store *s)
{
	if (s->ops->supp_unwatch == NULL)
		return 0;
	CALL0(supp_unwatch);
}

/* Make a campaign with a ledger row per member of the list. */
int
store_campaign_create(struct store *s, const char *name, int64_t list_id,
                      time_t now, int64_t *id)
{
	NEED(campaign_create, name != NULL && *name != '\0', "no name");
	NEED(campaign_create, strlen(name) <= STORE_NAME_MAX, "name too long");
	NEED(campaign_create, list_id > 0 && id != NULL, "no list");
	CALL(campaign_create, name, list_id, now, id);
}

/* Find a campaign by name. */
int
store_campaign_find(struct store *s, const char *name, int64_t *id)
{
	NEED(campaign_find, name != NULL && id != NULL, "no name");
	CALL(campaign_find, name, id);
}

/* Lease due rows. */
int
store_lease(struct store *s, int64_t campaign_id, const char *owner, time_t now,
            int lease_secs, struct store_delivery *out, size_t max, size_t *n)
{
	NEED(lease, campaign_id > 0, "no campaign");
	NEED(lease, owner != NULL && *owner != '\0', "no owner");
	NEED(lease, out != NULL && n != NULL && max > 0, "no room");
	NEED(lease, lease_secs > 0, "lease time not positive");
	CALL(lease, campaign_id, owner, now, lease_secs, out, max, n);
}

/* Mark leased rows inflight. */
int
store_mark_inflight(struct store *s, const int64_t *ids, size_t n,
                    const char *owner, time_t now, size_t *moved)
{
	NEED(mark_inflight, (ids != NULL || n == 0) && owner != NULL,
	     "missing argument");
	NEED(mark_inflight, moved != NULL, "no output");
	CALL(mark_inflight, ids, n, owner, now, moved);
}

/* Record outcomes. */
int
store_record(struct store *s, const struct store_outcome *o, size_t n,
             time_t now)
{
	NEED(record, o != NULL || n == 0, "no outcomes");
	for (size_t i = 0; i < n; i++)
		NEED(record, (unsigned)o[i].state < DLV__COUNT,
		     "unknown state");
	CALL(record, o, n, now);
}

/* Rows of dead workers back to pending. */
int
store_requeue_stale(struct store *s, int64_t campaign_id, time_t now, size_t *n)
{
	NEED(requeue_stale, campaign_id > 0 && n != NULL, "no campaign");
	CALL(requeue_stale, campaign_id, now, n);
}

/* Rows per state. */
int
store_count_states(struct store *s, int64_t campaign_id,
                   unsigned long counts[DLV__COUNT])
{
	NEED(count_states, campaign_id > 0 && counts != NULL, "no campaign");
	CALL(count_states, campaign_id, counts);
}

/* Record a bounce (no effect). */
int
store_bounce_add(struct store *s, const struct store_bounce *b)
{
	NEED(bounce_add, b != NULL && b->address != NULL, "no address");
	NEED(bounce_add, store_bounce_kind_parse(b->kind) >= 0, "bad kind");
	CALL(bounce_add, b);
}

/* Add to the event log. */
int
store_event_add(struct store *s, int64_t campaign_id, int64_t contact_id,
                const char *kind, const char *detail, time_t now)
{
	NEED(event_add, kind != NULL && *kind != '\0', "no kind");
	CALL(event_add, campaign_id, contact_id, kind, detail, now);
}

/* Record a bounce row of a known kind. */
int
store_bounce_record(struct store *s, const struct store_bounce_row *b,
                    time_t now)
{
	NEED(bounce_record,
	     b != NULL && b->address != NULL && *b->address != '\0' &&
	         strlen(b->address) <= STORE_ADDRESS_MAX,
	     "no address");
	NEED(bounce_record, store_bounce_kind_name(b->kind) != NULL,
	     "bad kind");
	CALL(bounce_record, b, now);
}

/* Count bounce rows of an address and kind since a time. */
int
store_bounce_count(struct store *s, const char *address,
                   enum store_bounce_kind kind, time_t since, unsigned long *n)
{
	NEED(bounce_count, address != NULL && n != NULL, "missing argument");
	NEED(bounce_count, store_bounce_kind_name(kind) != NULL, "bad kind");
	CALL(bounce_count, address, kind, since, n);
}

/* A contact by id, else by address. */
int
store_contact_lookup(struct store *s, int64_t id, const char *address,
                     int64_t *out)
{
	NEED(contact_lookup, out != NULL && (id > 0 || address != NULL),
	     "no id and no address");
	CALL(contact_lookup, id, address, out);
}

/* Set a contact's status. */
int
store_contact_set_status(struct store *s, int64_t id,
                         enum store_contact_status status, time_t now,
                         int *changed)
{
	NEED(contact_set_status, id > 0 && changed != NULL, "no contact");
	NEED(contact_set_status, store_contact_status_name(status) != NULL,
	     "bad status");
	CALL(contact_set_status, id, status, now, changed);
}

/* A delivery row becomes bounced. */
int
store_delivery_bounced(struct store *s, int64_t campaign_id, int64_t contact_id,
                       time_t now, int *changed)
{
	NEED(delivery_bounced,
	     campaign_id > 0 && contact_id > 0 && changed != NULL,
	     "no campaign or contact");
	CALL(delivery_bounced, campaign_id, contact_id, now, changed);
}

/* The ledger row of a contact that was sent (ingest's proof of origin). */
int
store_delivery_sent(struct store *s, int64_t campaign_id, int64_t contact_id,
                    int64_t *campaign_out, char *address, size_t addrsz)
{
	NEED(delivery_sent,
	     campaign_id >= 0 && contact_id > 0 && campaign_out != NULL &&
	         address != NULL && addrsz > 0,
	     "no contact");
	CALL(delivery_sent, campaign_id, contact_id, campaign_out, address,
	     addrsz);
}

/* Was a mailbox message handled? */
int
store_mailbox_seen_get(struct store *s, const char *mailbox, const char *uid,
                       int *state)
{
	NEED(mailbox_seen_get, mailbox != NULL && uid != NULL && state != NULL,
	     "missing argument");
	CALL(mailbox_seen_get, mailbox, uid, state);
}

/* Keep a mailbox's last fetch. */
int
store_mailbox_fetch_put(struct store *s, const struct store_mailbox_fetch *f)
{
	NEED(mailbox_fetch_put,
	     f != NULL && f->mailbox != NULL && f->outcome != NULL,
	     "missing argument");
	CALL(mailbox_fetch_put, f);
}

/* The mailboxes' last fetches. */
int
store_mailbox_fetch_each(struct store *s, store_mailbox_fetch_fn *fn, void *arg)
{
	NEED(mailbox_fetch_each, fn != NULL, "no callback");
	CALL(mailbox_fetch_each, fn, arg);
}

/* Remember a mailbox message. */
int
store_mailbox_seen_put(struct store *s, const char *mailbox, const char *uid,
                       int state, const char *what, time_t now)
{
	NEED(mailbox_seen_put, mailbox != NULL && uid != NULL,
	     "missing argument");
	NEED(mailbox_seen_put,
	     state == STORE_SEEN_HANDLED || state == STORE_SEEN_DONE,
	     "unknown state");
	CALL(mailbox_seen_put, mailbox, uid, state, what, now);
}

/* The backend's self-check. */
int
store_check(struct store *s, char *out, size_t outsz)
{
	NEED(check, out != NULL && outsz > 0, "no output");
	CALL(check, out, outsz);
}

/* One campaign. */
int
store_campaign_get(struct store *s, int64_t id, struct store_campaign *out)
{
	NEED(campaign_get, id > 0 && out != NULL, "no campaign");
	CALL(campaign_get, id, out);
}

/* Set a campaign's status. */
int
store_campaign_set_status(struct store *s, int64_t id, const char *status)
{
	NEED(campaign_set_status, id > 0 && status != NULL, "no campaign");
	CALL(campaign_set_status, id, status);
}

/* Give leased rows back. */
int
store_release(struct store *s, int64_t campaign_id, const char *owner,
              const int64_t *ids, size_t n, const char *event, time_t now,
              size_t *moved)
{
	NEED(release, campaign_id > 0 && owner != NULL, "no campaign");
	NEED(release, ids != NULL || n == 0, "no rows");
	CALL(release, campaign_id, owner, ids, n, event, now, moved);
}

/* Refill a token bucket and take from it (store.h). */
void
store_bucket_take(double *tokens, int64_t *at, double rate, unsigned penalty,
                  double burst, unsigned want, int64_t now_ms,
                  unsigned *granted)
{
	double r = rate / (double)(1u << (penalty > 16 ? 16 : penalty));
	double t = *tokens;

	if (now_ms > *at) {
		t += (double)(now_ms - *at) * r / 1000.0;
		*at = now_ms;
	}
	if (t > burst)
		t = burst;
	*granted = t >= (double)want ? want : (unsigned)(t < 0 ? 0 : t);
	*tokens = t - (double)*granted;
}

/* Take a destination's connection slot. */
int
store_slot_take(struct store *s, const char *dest, unsigned cap,
                const char *holder, int64_t now_ms, int64_t expires_ms,
                unsigned *slot)
{
	NEED(slot_take, dest != NULL && *dest != '\0', "no destination");
	NEED(slot_take, holder != NULL && *holder != '\0', "no holder");
	NEED(slot_take, cap > 0 && slot != NULL, "no cap");
	CALL(slot_take, dest, cap, holder, now_ms, expires_ms, slot);
}

/* Give a slot back. */
int
store_slot_give(struct store *s, const char *dest, unsigned slot,
                const char *holder)
{
	NEED(slot_give, dest != NULL && holder != NULL, "no destination");
	CALL(slot_give, dest, slot, holder);
}

/* Renew a holder's slots. */
int
store_slot_renew(struct store *s, const char *holder, int64_t now_ms,
                 int64_t expires_ms, unsigned long *kept)
{
	NEED(slot_renew, holder != NULL && kept != NULL, "no holder");
	CALL(slot_renew, holder, now_ms, expires_ms, kept);
}

/* The held slots. */
int
store_slot_each(struct store *s, int64_t now_ms, store_slot_fn *fn, void *arg)
{
	NEED(slot_each, fn != NULL, "no callback");
	CALL(slot_each, now_ms, fn, arg);
}

/* Tokens of a destination's shared bucket. */
int
store_dest_tokens(struct store *s, const char *dest, double rate, double burst,
                  unsigned want, int64_t now_ms, unsigned *granted)
{
	NEED(dest_tokens, dest != NULL && granted != NULL, "no destination");
	NEED(dest_tokens, rate > 0 && burst >= 1, "no rate");
	CALL(dest_tokens, dest, rate, burst, want, now_ms, granted);
}

/* A destination's shared slow-down and back-off. */
int
store_dest_slow(struct store *s, const char *dest, unsigned penalty,
                int64_t backoff_until)
{
	NEED(dest_slow, dest != NULL, "no destination");
	CALL(dest_slow, dest, penalty, backoff_until);
}

/* Who holds leases. */
int
store_lease_owners(struct store *s, int64_t campaign_id, store_owner_fn *fn,
                   void *arg)
{
	NEED(lease_owners, campaign_id > 0 && fn != NULL, "no campaign");
	CALL(lease_owners, campaign_id, fn, arg);
}

/* A new lease holder. */
int
store_holder_add(struct store *s, const struct store_holder *h)
{
	NEED(holder_add, h != NULL && h->campaign_id > 0, "no campaign");
	NEED(holder_add, h->owner != NULL && *h->owner != '\0', "no owner");
	NEED(holder_add, h->host != NULL && h->timeout > 0, "no host");
	CALL(holder_add, h);
}

/* A holder's heartbeat. */
int
store_holder_beat(struct store *s, const char *owner, time_t now)
{
	NEED(holder_beat, owner != NULL && *owner != '\0', "no owner");
	CALL(holder_beat, owner, now);
}

/* A holder goes. */
int
store_holder_end(struct store *s, const char *owner)
{
	NEED(holder_end, owner != NULL && *owner != '\0', "no owner");
	CALL(holder_end, owner);
}

/* A campaign's holders. */
int
store_holder_each(struct store *s, int64_t campaign_id, store_holder_fn *fn,
                  void *arg)
{
	NEED(holder_each, campaign_id > 0 && fn != NULL, "no campaign");
	CALL(holder_each, campaign_id, fn, arg);
}

/* Take over a holder's rows. */
int
store_holder_take(struct store *s, int64_t campaign_id, const char *owner,
                  time_t stale_before, time_t now, size_t *inflight,
                  size_t *pending)
{
	NEED(holder_take, campaign_id > 0, "no campaign");
	NEED(holder_take, owner != NULL && *owner != '\0', "no owner");
	NEED(holder_take, inflight != NULL && pending != NULL, "no output");
	CALL(holder_take, campaign_id, owner, stale_before, now, inflight,
	     pending);
}

/* When the next row is due. */
int
store_next_due(struct store *s, int64_t campaign_id, time_t *when)
{
	NEED(next_due, campaign_id > 0 && when != NULL, "no campaign");
	CALL(next_due, campaign_id, when);
}

/* Ledger rows of a campaign. */
int
store_delivery_each(struct store *s, int64_t campaign_id, int state,
                    store_dlv_fn *fn, void *arg)
{
	NEED(delivery_each, campaign_id > 0 && fn != NULL, "no campaign");
	NEED(delivery_each, state >= -1 && state < DLV__COUNT, "unknown state");
	CALL(delivery_each, campaign_id, state, fn, arg);
}

/* Events of a campaign. */
int
store_event_each(struct store *s, int64_t campaign_id, const char *kind,
                 store_event_fn *fn, void *arg)
{
	NEED(event_each, fn != NULL, "no callback");
	CALL(event_each, campaign_id, kind, fn, arg);
}

/* A report aggregate of a campaign. */
int
store_aggregate(struct store *s, enum store_agg what, int64_t campaign_id,
                store_agg_fn *fn, void *arg)
{
	NEED(aggregate, (unsigned)what <= STORE_AGG_LEDGER,
	     "no such aggregate");
	NEED(aggregate,
	     fn != NULL && (campaign_id > 0 || what == STORE_AGG_MAILBOXES),
	     "no campaign");
	CALL(aggregate, what, campaign_id, fn, arg);
}

/* Add a token key. */
int
store_token_key_add(struct store *s, const char *hex, bool signs, time_t now,
                    int64_t *id)
{
	NEED(token_key_add, hex != NULL && *hex != '\0' && id != NULL,
	     "no key");
	CALL(token_key_add, hex, signs, now, id);
}

/* Each token key, newest first. */
int
store_token_key_each(struct store *s, store_token_key_fn *fn, void *arg)
{
	NEED(token_key_each, fn != NULL, "no callback");
	CALL(token_key_each, fn, arg);
}

/* Campaigns by status. */
int
store_campaign_each(struct store *s, const char *status, store_campaign_fn *fn,
                    void *arg)
{
	NEED(campaign_each, fn != NULL, "no callback");
	CALL(campaign_each, status, fn, arg);
}

/* The matching contacts of a list: their count. */
int
store_segment_count(struct store *s, int64_t list_id, const struct segment *seg,
                    time_t now, unsigned long *n)
{
	NEED(segment_count, seg != NULL && n != NULL && list_id >= 0,
	     "missing argument");
	if (s->ops->segment_count == NULL)
		return unsupported(s, STORE_OP_segment_count);
	CALL(segment_count, list_id, seg, now, n);
}

/* The matching contacts of a list, one callback each. */
int
store_segment_each(struct store *s, int64_t list_id, const struct segment *seg,
                   time_t now, store_contact_fn *fn, void *arg)
{
	NEED(segment_each, seg != NULL && fn != NULL && list_id >= 0,
	     "missing argument");
	if (s->ops->segment_each == NULL)
		return unsupported(s, STORE_OP_segment_each);
	CALL(segment_each, list_id, seg, now, fn, arg);
}

/* The matching contacts of a list into another list. */
int
store_segment_add_to_list(struct store *s, int64_t list_id,
                          const struct segment *seg, time_t now,
                          int64_t to_list, unsigned long *added)
{
	NEED(segment_add_to_list,
	     seg != NULL && added != NULL && list_id >= 0 && to_list > 0,
	     "missing argument");
	if (s->ops->segment_add_to_list == NULL)
		return unsupported(s, STORE_OP_segment_add_to_list);
	CALL(segment_add_to_list, list_id, seg, now, to_list, added);
}

/* A campaign of the matching members of a list. */
int
store_campaign_create_segment(struct store *s, const char *name,
                              int64_t list_id, const struct segment *seg,
                              time_t now, int64_t *id, unsigned long *rows)
{
	NEED(campaign_create_segment, name != NULL && *name != '\0', "no name");
	NEED(campaign_create_segment, strlen(name) <= STORE_NAME_MAX,
	     "name too long");
	NEED(campaign_create_segment, list_id > 0 && id != NULL, "no list");
	NEED(campaign_create_segment, seg != NULL && rows != NULL,
	     "missing argument");
	if (s->ops->campaign_create_segment == NULL)
		return unsupported(s, STORE_OP_campaign_create_segment);
	CALL(campaign_create_segment, name, list_id, seg, now, id, rows);
}

/* A backend that does not have op yet (campaign management came after
 * the first backends) answers MC_EUNSUPP rather than crash. */
#define HAVE_OP(op)                                                            \
	do {                                                                   \
		if (s->ops->op == NULL)                                        \
			return store_fail(s, MC_EUNSUPP,                       \
			                  "store %s: not supported by this "   \
			                  "store",                             \
			                  #op);                                \
	} while (0)

/* Delete a campaign with its ledger. */
int
store_campaign_delete(struct store *s, int64_t id)
{
	NEED(campaign_delete, id > 0, "no campaign");
	HAVE_OP(campaign_delete);
	CALL(campaign_delete, id);
}

/* Keep one frozen file of a campaign. */
int
store_campaign_file_put(struct store *s, int64_t id,
                        const struct store_campaign_file *f)
{
	NEED(campaign_file_put, id > 0, "no campaign");
	NEED(campaign_file_put,
	     f != NULL && f->seq >= 0 && f->name != NULL &&
	         (f->data != NULL || f->len == 0),
	     "no file");
	HAVE_OP(campaign_file_put);
	CALL(campaign_file_put, id, f);
}

/* A campaign's frozen files by seq. */
int
store_campaign_file_each(struct store *s, int64_t id,
                         store_campaign_file_fn *fn, void *arg)
{
	NEED(campaign_file_each, id > 0 && fn != NULL, "no campaign");
	HAVE_OP(campaign_file_each);
	CALL(campaign_file_each, id, fn, arg);
}

/* Set when run-due starts a campaign (0: never). */
int
store_campaign_schedule(struct store *s, int64_t id, time_t at)
{
	NEED(campaign_schedule, id > 0 && at >= 0, "no campaign");
	HAVE_OP(campaign_schedule);
	CALL(campaign_schedule, id, at);
}

/* Claim one campaign that is due. */
int
store_campaign_claim_due(struct store *s, time_t now, int64_t *id)
{
	NEED(campaign_claim_due, id != NULL, "no output");
	HAVE_OP(campaign_claim_due);
	CALL(campaign_claim_due, now, id);
}

/* Record a confirmation message unless one went lately. */
int
store_signup_mark(struct store *s, const char *address, int64_t list_id,
                  const char *ip, time_t now, long window, int *sent)
{
	NEED(signup_mark, address != NULL && *address != '\0' && ip != NULL,
	     "no address");
	NEED(signup_mark, window >= 0 && sent != NULL, "bad window");
	HAVE_OP(signup_mark);
	CALL(signup_mark, address, list_id, ip, now, window, sent);
}

/* A contact's address and status by id. */
int
store_signup_contact(struct store *s, int64_t id, char *address, size_t addrsz,
                     char *status, size_t statsz)
{
	NEED(signup_contact, id > 0 && address != NULL && status != NULL,
	     "no contact");
	HAVE_OP(signup_contact);
	CALL(signup_contact, id, address, addrsz, status, statsz);
}

/* Add a REST API token. */
int
store_api_token_add(struct store *s, const struct store_api_token *t,
                    int64_t *id)
{
	NEED(api_token_add, t != NULL && t->hash[0] != '\0' && id != NULL,
	     "no token");
	HAVE_OP(api_token_add);
	CALL(api_token_add, t, id);
}

/* Each REST API token (id 0: all). */
int
store_api_token_each(struct store *s, int64_t id, store_api_token_fn *fn,
                     void *arg)
{
	NEED(api_token_each, fn != NULL, "no callback");
	HAVE_OP(api_token_each);
	CALL(api_token_each, id, fn, arg);
}

/* Revoke a REST API token. */
int
store_api_token_revoke(struct store *s, int64_t id, time_t now)
{
	HAVE_OP(api_token_revoke);
	CALL(api_token_revoke, id, now);
}

/* Keep link idx of a campaign for click tracking. */
int
store_track_link_put(struct store *s, int64_t campaign_id, int idx,
                     const char *url)
{
	NEED(track_link_put, idx >= 0 && url != NULL, "no link");
	CALL(track_link_put, campaign_id, idx, url);
}

/* Each tracked link of a campaign with its counts, then the opens. */
int
store_track_link_each(struct store *s, int64_t campaign_id,
                      store_track_link_fn *fn, void *arg)
{
	NEED(track_link_each, fn != NULL, "no callback");
	CALL(track_link_each, campaign_id, fn, arg);
}

/* Count one click (idx >= 0) or open (idx -1). */
int
store_track_hit(struct store *s, int64_t campaign_id, int idx,
                int64_t contact_id, time_t now)
{
	NEED(track_hit, idx >= -1, "bad link index");
	CALL(track_hit, campaign_id, idx, contact_id, now);
}

/* Add or replace a dashboard user. */
int
store_user_put(struct store *s, const struct store_user *u)
{
	NEED(user_put, u != NULL && u->name[0] != '\0' && u->hash[0] != '\0',
	     "no user");
	HAVE_OP(user_put);
	CALL(user_put, u);
}

/* A dashboard user by name. */
int
store_user_get(struct store *s, const char *name, struct store_user *out)
{
	NEED(user_get, name != NULL && out != NULL, "no user");
	HAVE_OP(user_get);
	CALL(user_get, name, out);
}

/* Record a user's failed logins and lock. */
int
store_user_mark(struct store *s, const char *name, unsigned failures,
                time_t locked_until)
{
	NEED(user_mark, name != NULL, "no user");
	HAVE_OP(user_mark);
	CALL(user_mark, name, failures, locked_until);
}

/* Make or drop the webhook outbox triggers. */
int
store_webhook_arm(struct store *s, bool on)
{
	HAVE_OP(webhook_arm);
	CALL(webhook_arm, on);
}

/* Lease due webhook events to owner. */
int
store_webhook_lease(struct store *s, const char *owner, time_t now,
                    time_t lease_until, unsigned max, store_webhook_fn *fn,
                    void *arg)
{
	NEED(webhook_lease, owner != NULL && *owner != '\0', "no owner");
	NEED(webhook_lease, fn != NULL && max > 0, "no callback");
	HAVE_OP(webhook_lease);
	CALL(webhook_lease, owner, now, lease_until, max, fn, arg);
}

/* Settle a leased webhook event. */
int
store_webhook_settle(struct store *s, int64_t id, const char *owner,
                     const char *state, time_t next_attempt,
                     const char *done_to, const char *error)
{
	NEED(webhook_settle, owner != NULL && state != NULL, "no owner");
	NEED(webhook_settle,
	     strcmp(state, "pending") == 0 || strcmp(state, "done") == 0 ||
	         strcmp(state, "failed") == 0,
	     "bad webhook state");
	HAVE_OP(webhook_settle);
	CALL(webhook_settle, id, owner, state, next_attempt,
	     done_to ? done_to : "", error);
}

/* Each webhook event (of one state). */
int
store_webhook_each(struct store *s, const char *state, store_webhook_fn *fn,
                   void *arg)
{
	NEED(webhook_each, fn != NULL, "no callback");
	HAVE_OP(webhook_each);
	CALL(webhook_each, state, fn, arg);
}

/* Make webhook events pending again. */
int
store_webhook_retry(struct store *s, int64_t id, time_t now, unsigned long *n)
{
	NEED(webhook_retry, n != NULL && id >= 0, "no output");
	HAVE_OP(webhook_retry);
	CALL(webhook_retry, id, now, n);
}
