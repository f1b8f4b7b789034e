/*
 * store.h — the one interface to mailcast's data: contacts, lists, the
 * suppression list, campaigns, the delivery ledger, bounces and events.
 *
 * store_open() picks a backend by URL: "postgresql://..." or "postgres://..."
 * the PostgreSQL backend (store_pg.c), "sqlite:PATH" or a bare path SQLite
 * (store_sqlite.c); it brings the schema up to date (versioned forward
 * migrations, the same version numbers in both backends) and refuses a
 * store whose schema is newer than this code.  It returns a handle whose ops
 * table every caller goes through: nobody above this layer writes SQL, so a
 * backend can be swapped without touching callers. Ledger rows carry a lease
 * (owner + expiry) so several workers can share one database: a worker leases a
 * batch of due rows, marks them inflight before sending, and records the
 * outcomes in one batch; a dead worker's leases expire and its rows return to
 * the pool.
 *
 * Errors: every op returns 0 or a negative MC_E* code (MC_ENOTFOUND for a
 * missing list or campaign, MC_EINVAL for bad arguments, MC_EIO for the
 * database), with the human text in store_error().  Ownership: the store is
 * freed by store_close(); strings handed to callbacks live until the callback
 * returns; struct store_delivery strings are freed by store_deliveries_fini().
 */
#ifndef MC_STORE_STORE_H
#define MC_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define STORE_ERROR_MAX   512
#define STORE_ADDRESS_MAX 256 /* octets of a normalised address */
#define STORE_NAME_MAX    200 /* octets of a list or campaign name */
#define STORE_DEFAULT_URL "sqlite:mailcast.db" /* store_open(NULL) only */
#define STORE_WHERE_MAX   1024                 /* bytes of store_where() */

/* How a store is opened (store_open_mode()). */
#define STORE_MODES(X)                                                         \
	X(STORE_READ, "read")     /* read-only; the store must exist */        \
	X(STORE_WRITE, "write")   /* read-write; the store must exist */       \
	X(STORE_CREATE, "create") /* read-write; made 0600 when missing */

enum store_mode {
#define STORE_MODE_ENUM(sym, name) sym,
	STORE_MODES(STORE_MODE_ENUM)
#undef STORE_MODE_ENUM
	    STORE_MODE__COUNT
};

/* Delivery ledger states (see DESIGN.md, "Ledger states"). */
#define STORE_DLV_STATES(X)                                                    \
	X(DLV_PENDING, "pending")                                              \
	X(DLV_INFLIGHT, "inflight")                                            \
	X(DLV_SENT, "sent")                                                    \
	X(DLV_DEFERRED, "deferred")                                            \
	X(DLV_FAILED, "failed")                                                \
	X(DLV_BOUNCED, "bounced")                                              \
	X(DLV_SUPPRESSED, "suppressed")

enum store_dlv_state {
#define STORE_DLV_ENUM(sym, name) sym,
	STORE_DLV_STATES(STORE_DLV_ENUM)
#undef STORE_DLV_ENUM
	    DLV__COUNT
};

/* Why an address or domain is suppressed. */
#define STORE_SUPP_REASONS(X)                                                  \
	X(SUPP_UNSUBSCRIBED, "unsubscribed")                                   \
	X(SUPP_HARD_BOUNCE, "hard-bounce")                                     \
	X(SUPP_COMPLAINT, "complaint")                                         \
	X(SUPP_MANUAL, "manual")                                               \
	X(SUPP_SOFT_BOUNCES, "soft-bounces")

enum store_supp_reason {
#define STORE_SUPP_ENUM(sym, name) sym,
	STORE_SUPP_REASONS(STORE_SUPP_ENUM)
#undef STORE_SUPP_ENUM
	    SUPP__COUNT
};

/*
 * What a row of the bounces table records: the effect the application's
 * bounce policy gave it (src/app, bounce/policy.h).  The store keeps and
 * counts these; it never decides them.
 */
#define STORE_BOUNCE_KINDS(X)                                                  \
	X(STORE_BOUNCE_HARD, "hard")           /* the address suppressed */    \
	X(STORE_BOUNCE_SOFT, "soft")           /* counts to a threshold */     \
	X(STORE_BOUNCE_POLICY, "policy")       /* recorded, no effect */       \
	X(STORE_BOUNCE_COMPLAINT, "complaint") /* a feedback report */         \
	X(STORE_BOUNCE_UNSUBSCRIBE, "unsubscribe") /* a mailto request */

enum store_bounce_kind {
#define STORE_BOUNCE_ENUM(sym, name) sym,
	STORE_BOUNCE_KINDS(STORE_BOUNCE_ENUM)
#undef STORE_BOUNCE_ENUM
	    STORE_BOUNCE__COUNT
};

/*
 * A contact's status: the one model the suppression list is kept consistent
 * with (docs/contacts.md).  Only active contacts are mailed.  Every other
 * status has a suppression reason (store_status_reason()): setting it adds
 * the address to the suppression list with that reason, and an import never
 * turns a status back to active (only a recorded resubscribe does).  erased
 * is final: the contact's personal data is gone and only a salted hash of
 * the address is kept (store_erase_entry()).  pending is a signup not yet
 * confirmed (double opt-in, app/signup.h): not mailed, not a member a
 * campaign takes, and not suppressed (confirming makes it active).
 */
#define STORE_CONTACT_STATUSES(X)                                              \
	X(CONTACT_ACTIVE, "active")                                            \
	X(CONTACT_UNSUBSCRIBED, "unsubscribed")                                \
	X(CONTACT_BOUNCED, "bounced")                                          \
	X(CONTACT_COMPLAINED, "complained")                                    \
	X(CONTACT_BLOCKLISTED, "blocklisted")                                  \
	X(CONTACT_ERASED, "erased")                                            \
	X(CONTACT_PENDING, "pending")

enum store_contact_status {
#define STORE_CONTACT_ENUM(sym, name) sym,
	STORE_CONTACT_STATUSES(STORE_CONTACT_ENUM)
#undef STORE_CONTACT_ENUM
	    CONTACT__COUNT
};

/* "pending"...; NULL when out of range. */
const char *store_dlv_state_name(enum store_dlv_state s);
/* State from its name; -1 if unknown. */
int store_dlv_state_parse(const char *name);
const char *store_supp_reason_name(enum store_supp_reason r);
int store_supp_reason_parse(const char *name);
const char *store_bounce_kind_name(enum store_bounce_kind k);
int store_bounce_kind_parse(const char *name);
const char *store_contact_status_name(enum store_contact_status c);
int store_contact_status_parse(const char *name);
/* "read", "write", "create"; NULL when out of range. */
const char *store_mode_name(enum store_mode m);
/* The suppression reason of a status (SUPP_MANUAL for blocklisted and
 * erased); -1 for active. */
int store_status_reason(enum store_contact_status c);
/* The status a suppression reason gives a contact. */
enum store_contact_status store_reason_status(enum store_supp_reason r);

/* An erased address's suppression entry: "sha256:" and 64 hex digits of
 * SHA-256(salt ":" address), salt a store's own secret (erase_salt). */
#define STORE_ERASE_PREFIX "sha256:"
/* The reply text of a ledger row settled because its contact was deleted
 * before it was sent (contact_remove). */
#define STORE_DELETED_TEXT    "skipped: the contact was deleted"
#define STORE_ERASE_ENTRY_LEN 71
void store_erase_entry(const char *salt, const char *address,
                       char out[STORE_ERASE_ENTRY_LEN + 1]);

struct store;
struct segment; /* store/segment.h */

/* A contact as the store gives it to a callback. */
struct store_contact {
	int64_t id;
	const char *address; /* normalised, unique */
	const char *domain;
	const char *attrs;  /* a JSON object of strings */
	const char *status; /* "active", "unsubscribed", ... */
	time_t created;     /* subscribed: added, or the date an import gave */
	time_t status_at;   /* the last status change; 0: none */
	const char *lists;  /* contact_get only: a JSON array of list names */
};

/* A contact to upsert (strings borrowed for the call). */
struct store_contact_in {
	const char *address; /* normalised */
	const char *domain;
	const char *attrs;  /* a JSON object of strings */
	const char *status; /* NULL: none given; never "erased" */
	time_t subscribed;  /* a new contact's created time; 0: now */
	time_t status_at;   /* when status was set; 0: now */
};

/* contact_upsert_many: an existing contact's attributes are replaced by
 * the row's (else merged: the row's keys set, the others kept). */
#define STORE_UPSERT_REPLACE 1u

/* One row of a contact's audit trail (contact_history). */
struct store_audit {
	time_t at;
	const char *actor;  /* "cli:alice", "import", "mailcast" ... */
	const char *action; /* added, attributes, status, joined, left,
	                       deleted, erased */
	const char *detail; /* or NULL */
};
typedef int store_audit_fn(void *arg, const struct store_audit *a);

/* What a batch of upserts did. */
struct store_upsert_counts {
	unsigned long added, updated, unchanged, joined;
};

struct store_list_info {
	int64_t id;
	const char *name;
	unsigned long members;
	time_t created;
};

struct store_suppression {
	const char *entry; /* "a@b.example" or "@b.example" */
	enum store_supp_reason reason;
	const char *source; /* free text: "cli", "bounce:123", ... */
	time_t created;
};

/* A leased ledger row. */
struct store_delivery {
	int64_t id;
	int64_t campaign_id;
	int64_t contact_id;
	char address[STORE_ADDRESS_MAX + 1];
	char *attrs; /* JSON; freed by store_deliveries_fini */
	enum store_dlv_state state;
	int attempts;
	time_t lease_expires;
};

/* What happened to one ledger row (strings borrowed for the call). */
struct store_outcome {
	int64_t id;
	enum store_dlv_state state; /* sent, deferred, failed, bounced... */
	int reply_code;             /* 0 if no reply (connection failure) */
	const char *enhanced;       /* "5.1.1" or NULL */
	const char *text;           /* reply text or failure reason */
	const char *relay;          /* MX or relay used, or NULL */
	const char *queue_id;       /* from the 250 after DATA, or NULL */
	time_t next_attempt;        /* for deferred */
	/* NULL: record it; else only while the row is still leased to this
	 * owner (a row taken over meanwhile is skipped, not an error) */
	const char *owner;
};

struct store_bounce {
	int64_t campaign_id; /* 0 if unknown */
	int64_t contact_id;  /* 0 if unknown */
	const char *address;
	const char *kind;   /* a store_bounce_kind_name() */
	const char *status; /* "5.1.1" or NULL */
	const char *diagnostic;
	time_t received;
};

/* A bounce row with where it came from (bounce_record). */
struct store_bounce_row {
	int64_t campaign_id; /* 0 if unknown (no VERP token) */
	int64_t contact_id;  /* 0 if unknown */
	const char *address; /* normalised */
	enum store_bounce_kind kind;
	const char *status;     /* "5.1.1" or NULL */
	const char *diagnostic; /* or NULL */
	const char *source;     /* the source message's id, or NULL */
};

/* A campaign as stored. */
struct store_campaign {
	int64_t id;
	char name[STORE_NAME_MAX + 1];
	int64_t list_id;
	char status[32]; /* "draft", "running", "paused", "done" */
	time_t created;
	time_t scheduled; /* when run-due starts it; 0: not scheduled */
};
typedef int store_campaign_fn(void *arg, const struct store_campaign *c);

/* A file frozen with a campaign at create: seq 0 is the template's text
 * (name: the file it came from), 1.. its attachments in order (name: the
 * name the template's Attach: gives).  data is len octets, valid during
 * the callback only. */
struct store_campaign_file {
	int seq;
	const char *name;
	const void *data;
	size_t len;
};
typedef int store_campaign_file_fn(void *arg,
                                   const struct store_campaign_file *f);

/* One ledger row for reports (strings live until the callback returns;
 * NULL when the row has none). */
struct store_dlv_row {
	int64_t id;
	int64_t contact_id;
	const char *address;
	enum store_dlv_state state;
	int attempts;
	int reply_code; /* 0: none */
	const char *enhanced;
	const char *text;
	const char *relay;
	const char *queue_id;
	time_t next_attempt;
	time_t updated;
	time_t sent;
};

/* A tally keeps the STORE_TALLY_TOP keys with the most rows; the rest are
 * summed under STORE_TALLY_OTHERS (sorted last). */
#define STORE_TALLY_TOP    20
#define STORE_TALLY_OTHERS "(others)"

/* The report's aggregates (store_aggregate), computed in the store: rows
 * of (key, sub, at, n), tallies ordered by rows (then key, then state)
 * with STORE_TALLY_OTHERS last.  Times come by the minute (at: its first
 * second), oldest first, then by state name; the caller draws them in
 * buckets. */
enum store_agg {
	STORE_AGG_DONE_TIME, /* sub: state (sent, deferred, failed, bounced)
	                      * by the row's last update; at, n */
	STORE_AGG_RELAYS,    /* key: relay ("" none).  sub: a state: the
	                      * tally of the STORE_TALLY_TOP relays with most
	                      * rows, the rest under STORE_TALLY_OTHERS;
	                      * sub "": the STORE_AGG_SLOW_MAX slowest, at:
	                      * seconds from the first run-start (else the
	                      * campaign's creation) to its last settled row,
	                      * n: its settled rows */
	STORE_AGG_REPLIES,   /* key: the reply ("550 5.1.1", "250", "" for
	                      * none); sub: a state; the STORE_TALLY_TOP
	                      * replies with most rows, the rest under
	                      * STORE_TALLY_OTHERS */
	STORE_AGG_BOUNCES,   /* key: bounce kind of the campaign's; n */
	STORE_AGG_ACTIVITY,  /* sub: complaint (bounces), unsubscribe
	                      * (events), click, open (track_hits); at, n */
	STORE_AGG_MAILBOXES, /* key: mailbox; sub: what was done ("" none);
	                      * at: the latest seen_at; n (any campaign) */
	STORE_AGG_UPDATES,   /* at: a second; n: the rows (any state) last
	                      * updated then (a run's end when it wrote none) */
	STORE_AGG_LEDGER,    /* RELAYS, REPLIES, DONE_TIME and UPDATES in one
	                      * call (one pass over the ledger where the
	                      * backend counts in memory); each row's what
	                      * says which */
};
#define STORE_AGG_SLOW_MAX 10
#define STORE_AGG_ROWS_MAX 1000 /* mailboxes x actions, at most */

/* A mailbox's last fetch (bounces fetch / poll), as the poller ends it. */
struct store_mailbox_fetch {
	const char *mailbox;    /* the memory's key: the URL, no secret */
	time_t at;              /* when the fetch ended */
	const char *outcome;    /* "ok", or how it failed (poller.h) */
	const char *why;        /* the failure's words; "" when ok */
	unsigned long messages; /* messages handled in it */
	const char *summary;    /* what was done ("1 hard bounce, ...") */
};
typedef int store_mailbox_fetch_fn(void *arg,
                                   const struct store_mailbox_fetch *f);

/* One aggregate row (strings valid during the callback). */
struct store_agg_row {
	enum store_agg what;
	const char *key;
	const char *sub;
	int64_t at;
	unsigned long n;
};

/* An event of the log, with its contact's address when it has one. */
struct store_event {
	int64_t campaign_id;
	int64_t contact_id;
	const char *address; /* NULL when no contact */
	const char *kind;
	const char *detail;
	time_t at;
};

typedef int store_dlv_fn(void *arg, const struct store_dlv_row *r);
typedef int store_event_fn(void *arg, const struct store_event *e);
typedef int store_agg_fn(void *arg, const struct store_agg_row *r);
typedef int store_owner_fn(void *arg, const char *owner, unsigned long n);
/* A token key of the store: its id, hex text, whether it signs (else it
 * only verifies: a campaign's own --token-key), when it was added. */
/* A tracked link idx (-1: the opens) with its hits and distinct contacts. */
typedef int store_track_link_fn(void *arg, int idx, const char *url,
                                int64_t hits, int64_t contacts);
typedef int store_token_key_fn(void *arg, int64_t id, const char *hex,
                               bool signs, time_t created);

/*
 * A lease holder: one run (later one worker) of a campaign.  Rows are
 * leased to its owner name, unique per run; it beats its heartbeat every
 * few seconds; a holder whose heartbeat is older than its timeout has
 * lost its rows, and any live run takes them over (holder_take).
 */
struct store_holder {
	const char *owner; /* "mailcast@HOST:PID/RUN" */
	int64_t campaign_id;
	const char *host;
	long pid;
	time_t started, heartbeat;
	unsigned timeout;   /* seconds without a heartbeat before takeover */
	unsigned long rows; /* holder_each: rows leased to it now */
};
typedef int store_holder_fn(void *arg, const struct store_holder *h);

/*
 * Fleet limits (docs/fleet.md): a destination's connection slot 0..cap-1,
 * held by a holder (a run's limiter name) until expires_ms (epoch ms; the
 * holder renews it), free when holder is NULL or it expired.
 */
struct store_slot {
	const char *dest;
	unsigned slot;
	const char *holder;
	int64_t expires_ms;
	unsigned penalty;      /* the destination's shared slow-down step */
	int64_t backoff_until; /* epoch ms: no new connection before */
};
typedef int store_slot_fn(void *arg, const struct store_slot *sl);
typedef int store_campaign_fn(void *arg, const struct store_campaign *c);
/* Mailbox memory: a message handled, and whether its disposal (move or
 * delete) is done too. */
#define STORE_SEEN_HANDLED 1
#define STORE_SEEN_DONE    2

typedef int store_contact_fn(void *arg, const struct store_contact *c);
typedef int store_list_fn(void *arg, const struct store_list_info *l);
typedef int store_supp_fn(void *arg, const struct store_suppression *s);
/* supp_check_many: addrs[i] is suppressed by hit. */
typedef int store_supp_hit_fn(void *arg, size_t i,
                              const struct store_suppression *hit);

/* A REST API bearer token (app/api_token.h): never the secret, only the
 * hex SHA-256 of it; revoked 0 while it works. */
#define STORE_API_TOKEN_NAME_MAX 64
struct store_api_token {
	int64_t id;
	char name[STORE_API_TOKEN_NAME_MAX + 1];
	char scope[8]; /* "read", "write" */
	char hash[65];
	time_t created, revoked;
};
typedef int store_api_token_fn(void *arg, const struct store_api_token *t);

/* One webhook event of the outbox (app/webhook.h, docs/webhooks.md): the
 * triggers a store has while webhooks are armed write these rows in the
 * transaction of the fact (a delivery's outcome, a bounce, a complaint,
 * an unsubscribe, a click).  state: "pending", "done", "failed".
 * Strings borrowed for the callback only. */
struct store_webhook {
	int64_t id;
	const char *event;   /* "delivered", "failed", "bounced", ... */
	time_t at;           /* when the fact was written */
	const char *payload; /* the event's JSON object (without "id") */
	const char *state;
	unsigned attempts;
	time_t next_attempt;
	const char *done_to; /* endpoints that took it: ",a,b," */
	const char *error;   /* the last attempt's failure, or NULL */
	time_t since;        /* start of its attempts (at, or a retry) */
};
typedef int store_webhook_fn(void *arg, const struct store_webhook *w);

/*
 * The backend's table.  Callbacks return 0 to go on, non-zero to stop (that
 * value is then returned by the op).  "now" is always passed in, so tests
 * can fake the clock.
 */
/* A dashboard user (app/user.h): the password only as its Argon2id
 * encoding; failures and locked_until are the login lockout. */
#define STORE_USER_NAME_MAX 64
#define STORE_USER_HASH_MAX 255
struct store_user {
	char name[STORE_USER_NAME_MAX + 1];
	char role[16]; /* "admin", "viewer" */
	char hash[STORE_USER_HASH_MAX + 1];
	unsigned failures;   /* failed logins since the last good one */
	time_t locked_until; /* 0: not locked */
	time_t created;
};

struct store_ops {
	const char *name; /* "sqlite" */
	void (*close)(struct store *);
	/* Explicit transaction around several ops (imports, batches). */
	int (*begin)(struct store *);
	int (*commit)(struct store *);
	int (*rollback)(struct store *);

	/* Lists.  list_ensure creates the list if needed. */
	int (*list_ensure)(struct store *, const char *name, time_t now,
	                   int64_t *id);
	int (*list_find)(struct store *, const char *name, int64_t *id);
	/* Remove a list and its memberships (contacts stay). */
	int (*list_delete)(struct store *, int64_t list_id);
	int (*list_each)(struct store *, store_list_fn *, void *);

	/* How commits reach the disk.  full (the default): each commit is on
	 * the disk before it returns, so it survives a power cut.  Not full:
	 * each commit survives a crash of the process (the system has it)
	 * but the last ones may roll back after a power cut — what a campaign
	 * run uses for its many small ledger commits, since a rolled-back
	 * mark or outcome can only make a message go again, never lose it.
	 * The next full commit makes everything before it durable.  NULL in
	 * a backend without the distinction. */
	int (*durable_commits)(struct store *, bool full);
	/* Rows an import hands to one contact_upsert_many call (0: 256): a
	 * backend whose per-call cost is high (a round trip, a plan) asks for
	 * more. */
	size_t bulk_rows;
	/* Contacts.  Upsert by normalised address; *result says what it did:
	 * 0 unchanged, 1 added, 2 attributes updated.  joined is set to 1 when
	 * the membership of list_id (if > 0) was new. */
	int (*contact_upsert)(struct store *, const char *address,
	                      const char *domain, const char *attrs,
	                      int64_t list_id, time_t now, int *result,
	                      int *joined);
	/* The same for n rows with distinct addresses at once (an import);
	 * the counts are added to *c.  flags 0: an existing contact's
	 * attributes are MERGED (the row's keys set, others kept; "updated"
	 * only if that changed them); STORE_UPSERT_REPLACE: replaced, as
	 * contact_upsert does.  A row's status (when not NULL and not
	 * "active") is given to a new contact, and to an existing one only
	 * if it is active (an import never resubscribes); status_at goes
	 * with it.  A new contact's created time is subscribed (0: now).
	 * Every contact of the batch whose status is not active then has its
	 * address in the suppression list (store_status_reason(), source
	 * "import"; an entry already there is kept).  A deleted contact
	 * (contact_remove) that a row names comes back with its old status
	 * and no attributes before the row applies.  NULL in a backend
	 * without it: the front then takes only flags REPLACE rows without a
	 * status, with contact_upsert per row. */
	int (*contact_upsert_many)(struct store *,
	                           const struct store_contact_in *rows,
	                           size_t n, int64_t list_id, time_t now,
	                           unsigned flags,
	                           struct store_upsert_counts *c);
	/* Contacts of a list (list_id 0: all but deleted and erased ones),
	 * in address order. */
	int (*contact_each)(struct store *, int64_t list_id, store_contact_fn *,
	                    void *);
	/* The first n contacts of a list (list_id 0: of all) in the order
	 * they were added (contact id), without reading the rest: a sample
	 * of a list, the contacts its campaigns' ledgers begin with. */
	int (*contact_first)(struct store *, int64_t list_id, size_t n,
	                     store_contact_fn *, void *);
	int (*contact_count)(struct store *, int64_t list_id, unsigned long *n);
	/* Take address off a list (list_id 0: delete the contact). */
	int (*member_remove)(struct store *, int64_t list_id,
	                     const char *address);
	/* Counts of a list's contacts (0: all but deleted ones) by status. */
	int (*contact_tally)(struct store *, int64_t list_id,
	                     unsigned long counts[CONTACT__COUNT]);
	/* Every member of list from joins list_id (attributes untouched);
	 * *joined counts the new memberships. */
	int (*member_copy)(struct store *, int64_t list_id, int64_t from,
	                   time_t now, unsigned long *joined);

	/*
	 * The contact audit (contact_history).  Every change to a contact
	 * lands in it, whoever makes it: added (or back after a delete),
	 * attributes, status ("active -> unsubscribed"), joined / left (the
	 * list's name), deleted, erased — in SQLite by triggers, in another
	 * backend by the ops themselves.  audit_context says who makes the
	 * changes of the next ops and why (strings copied; NULL: "mailcast",
	 * no reason) until it is called again.
	 */
	int (*audit_context)(struct store *, const char *actor,
	                     const char *why);
	/* One contact by address, or by its erase entry once erased (with
	 * lists filled); a deleted one is MC_ENOTFOUND.  fn's return value
	 * is returned. */
	int (*contact_get)(struct store *, const char *address,
	                   store_contact_fn *fn, void *arg);
	/* Merge patch (RFC 7396: a null removes the key) into contact id's
	 * attributes; *changed 1 if they changed. */
	int (*contact_set_attrs)(struct store *, int64_t id, const char *patch,
	                         time_t now, int *changed);
	/* Delete contact id: its attributes and memberships go, the ledger,
	 * bounces and events keep referring to it (the row stays, hidden);
	 * its ledger rows not yet sent (pending, deferred) are settled as
	 * suppressed with STORE_DELETED_TEXT, also one a running campaign
	 * holds (its inflight mark then fails: never sent).
	 * erase (the right to erasure): moreover the address becomes the
	 * erase entry (store_erase_entry) in the contact, the suppression
	 * list (every entry of the address, reasons kept; one with reason
	 * for the erased contact if it had none) and the bounces; reply
	 * texts, diagnostics, event and audit details of the contact are
	 * cleared; the status becomes erased.  One transaction. */
	int (*contact_remove)(struct store *, int64_t id, bool erase,
	                      enum store_supp_reason reason, time_t now);
	/* Contact id's audit rows, oldest first. */
	int (*contact_history)(struct store *, int64_t id, store_audit_fn *fn,
	                       void *arg);
	/* The erase entry of address, with this store's salt. */
	int (*erase_entry)(struct store *, const char *address,
	                   char out[STORE_ERASE_ENTRY_LEN + 1]);

	/* Suppressions: entry is a normalised address or "@domain".
	 * *added is 1 if new, 0 if it was there (its reason is kept). */
	int (*supp_add)(struct store *, const char *entry,
	                enum store_supp_reason, const char *source, time_t now,
	                int *added);
	int (*supp_remove)(struct store *, const char *entry);
	/* Is address suppressed, by itself, by its @domain or by its erase
	 * entry (an erased contact's hash)?  0 and *hit filled (strings
	 * valid until the next op), or MC_ENOTFOUND.  Suppression entries
	 * only: a contact's status is the caller's to add. */
	int (*supp_check)(struct store *, const char *address,
	                  struct store_suppression *hit);
	/* supp_check for addrs[0..n) in one query: fn(arg, i, hit) for
	 * each suppressed one, in order of i (strings valid during the
	 * call; non-zero from fn stops, returned).  NULL: the front calls
	 * supp_check per address. */
	int (*supp_check_many)(struct store *, const char *const *addrs,
	                       size_t n, store_supp_hit_fn *fn, void *arg);
	int (*supp_each)(struct store *, store_supp_fn *, void *);
	/* The suppression list's version: a number that changes once a
	 * suppression added or rewritten (an erase) is committed by
	 * another session (this session's own changes may count too); the
	 * engine checks again what it is about to send only when it
	 * changed.  SQLite: in a write transaction, the version that
	 * transaction sees.  PostgreSQL (supp_after_commit): other
	 * sessions' commits are learnt of between this session's
	 * transactions, so read it again after a commit.  NULL: always 0. */
	int (*supp_version)(struct store *, int64_t *version);
	/* Stop what supp_version started (PostgreSQL: UNLISTEN, so an idle
	 * process keeps no notifications).  NULL: nothing to stop. */
	int (*supp_unwatch)(struct store *);

	/* Campaigns.  campaign_create makes one pending ledger row per
	 * member of the list, or a suppressed one for suppressed members. */
	int (*campaign_create)(struct store *, const char *name,
	                       int64_t list_id, time_t now, int64_t *id);
	int (*campaign_find)(struct store *, const char *name, int64_t *id);

	/* Ledger.  Lease up to max due rows (pending, or deferred with
	 * next_attempt <= now, and no live lease) for owner until
	 * now + lease_secs; out[] is caller-allocated, *n set. */
	int (*lease)(struct store *, int64_t campaign_id, const char *owner,
	             time_t now, int lease_secs, struct store_delivery *out,
	             size_t max, size_t *n);
	/* Mark leased rows inflight (committed before the final dot).  Only
	 * rows still leased to owner move; *moved counts them (a row already
	 * inflight under owner counts: a transaction handed to a connection
	 * again after its connection closed). */
	int (*mark_inflight)(struct store *, const int64_t *ids, size_t n,
	                     const char *owner, time_t now, size_t *moved);
	/* Record outcomes in one transaction; clears the leases, counts an
	 * attempt, keeps the reply. */
	int (*record)(struct store *, const struct store_outcome *o, size_t n,
	              time_t now);
	/* Inflight rows whose lease expired (their worker died): back to
	 * pending, an "inflight-unknown" event each; *n counts them. */
	int (*requeue_stale)(struct store *, int64_t campaign_id, time_t now,
	                     size_t *n);
	int (*count_states)(struct store *, int64_t campaign_id,
	                    unsigned long counts[DLV__COUNT]);

	/* Bounces and the event log. */
	int (*bounce_add)(struct store *, const struct store_bounce *);
	int (*event_add)(struct store *, int64_t campaign_id,
	                 int64_t contact_id, const char *kind,
	                 const char *detail, time_t now);
	/* The primitives a bounce's effects are made of (the application's
	 * policy picks them; src/app/ingest.c).  bounce_record: one row,
	 * received now.  bounce_count: rows of address of one kind received
	 * at or after since.  contact_lookup: the contact id if that contact
	 * exists, else the contact of address; MC_ENOTFOUND if neither.
	 * contact_set_status: *changed 1 when it was another.
	 * delivery_bounced: the row of (campaign, contact), if sent,
	 * deferred, failed or inflight, becomes bounced; *changed 1 if so. */
	int (*bounce_record)(struct store *, const struct store_bounce_row *,
	                     time_t now);
	int (*bounce_count)(struct store *, const char *address,
	                    enum store_bounce_kind kind, time_t since,
	                    unsigned long *n);
	int (*contact_lookup)(struct store *, int64_t id, const char *address,
	                      int64_t *out);
	int (*contact_set_status)(struct store *, int64_t id,
	                          enum store_contact_status status, time_t now,
	                          int *changed);
	int (*delivery_bounced)(struct store *, int64_t campaign_id,
	                        int64_t contact_id, time_t now, int *changed);
	/* delivery_sent: the ledger row of contact_id in campaign_id (0: the
	 * most recently updated one of any campaign) that this installation
	 * sent or tried to send (state sent, deferred, failed, bounced or
	 * inflight, or an attempt counted): 0 with its campaign in
	 * *campaign_out and the contact's address in address[0..addrsz), or
	 * MC_ENOTFOUND (no row, or only pending / suppressed ones). */
	int (*delivery_sent)(struct store *, int64_t campaign_id,
	                     int64_t contact_id, int64_t *campaign_out,
	                     char *address, size_t addrsz);
	/* The mailbox memory: mailbox is "imap://user@host/INBOX;v=UIDVALIDITY"
	 * or "pop3://user@host", uid the UID or UIDL.  seen_get: 0 with *state
	 * (STORE_SEEN_*) or MC_ENOTFOUND.  seen_put: insert or raise state. */
	int (*mailbox_seen_get)(struct store *, const char *mailbox,
	                        const char *uid, int *state);
	int (*mailbox_seen_put)(struct store *, const char *mailbox,
	                        const char *uid, int state, const char *what,
	                        time_t now);
	/* The last fetch of each mailbox (the memory's key): fetch_put
	 * replaces the mailbox's row; fetch_each gives them by mailbox. */
	int (*mailbox_fetch_put)(struct store *,
	                         const struct store_mailbox_fetch *f);
	int (*mailbox_fetch_each)(struct store *, store_mailbox_fetch_fn *,
	                          void *);
	/* Backend self-check ("ok" or the problems) into out. */
	int (*check)(struct store *, char *out, size_t outsz);

	/* The campaign engine's reports and recovery (engine.md). */
	int (*campaign_get)(struct store *, int64_t id,
	                    struct store_campaign *out);
	int (*campaign_set_status)(struct store *, int64_t id,
	                           const char *status);
	/* Give rows leased to owner back: inflight ones become pending (with
	 * an event of kind event, if not NULL, for each), and the leases are
	 * cleared.  ids NULL: every row of the campaign leased to owner. */
	int (*release)(struct store *, int64_t campaign_id, const char *owner,
	               const int64_t *ids, size_t n, const char *event,
	               time_t now, size_t *moved);
	/* The owners of leased rows of a campaign (pending under a lease, or
	 * inflight), with their counts. */
	int (*lease_owners)(struct store *, int64_t campaign_id,
	                    store_owner_fn *, void *);
	/* Lease holders.  holder_add: a new holder (its heartbeat = started;
	 * MC_EINVAL if the owner exists).  holder_beat: its heartbeat is now;
	 * MC_ENOTFOUND when its record is gone (taken over: the holder must
	 * stop sending what it leased).  holder_end: the record goes (a run
	 * that ends; its rows are released or recorded before).  holder_each:
	 * the campaign's holders, oldest first, with their row counts. */
	int (*holder_add)(struct store *, const struct store_holder *h);
	int (*holder_beat)(struct store *, const char *owner, time_t now);
	int (*holder_end)(struct store *, const char *owner);
	int (*holder_each)(struct store *, int64_t campaign_id,
	                   store_holder_fn *, void *);
	/* Take over owner's rows, in one transaction: unless its heartbeat is
	 * at or after stale_before (then MC_EAGAIN and nothing moves; 0: take
	 * anyway), its inflight rows go back to pending with an
	 * "inflight-unknown" event each (*inflight counts them), its other
	 * leased rows are freed (*pending), and its holder record goes. */
	int (*holder_take)(struct store *, int64_t campaign_id,
	                   const char *owner, time_t stale_before, time_t now,
	                   size_t *inflight, size_t *pending);
	/* Fleet limits (store_slot above).  slot_take: a free slot below
	 * cap >> the destination's penalty, for holder until expires_ms, in
	 * *slot; MC_EAGAIN when none is free or the destination's back-off
	 * runs past now_ms.  slot_give: the slot is free again (only when
	 * holder holds it).  slot_renew: holder's unexpired slots last until
	 * expires_ms; *kept counts them.  slot_each: held slots (expires_ms
	 * >= now_ms) by destination and slot.  dest_tokens: a shared token
	 * bucket of rate/s (divided by 2^penalty), at most burst tokens:
	 * *granted (0..want) taken now.  dest_slow: the destination's shared
	 * penalty is now penalty, and its back-off lasts at least until
	 * backoff_until (epoch ms). */
	int (*slot_take)(struct store *, const char *dest, unsigned cap,
	                 const char *holder, int64_t now_ms, int64_t expires_ms,
	                 unsigned *slot);
	int (*slot_give)(struct store *, const char *dest, unsigned slot,
	                 const char *holder);
	int (*slot_renew)(struct store *, const char *holder, int64_t now_ms,
	                  int64_t expires_ms, unsigned long *kept);
	int (*slot_each)(struct store *, int64_t now_ms, store_slot_fn *,
	                 void *);
	int (*dest_tokens)(struct store *, const char *dest, double rate,
	                   double burst, unsigned want, int64_t now_ms,
	                   unsigned *granted);
	int (*dest_slow)(struct store *, const char *dest, unsigned penalty,
	                 int64_t backoff_until);
	/* The earliest next_attempt of the pending and deferred rows (pending
	 * rows are due at once), or MC_ENOTFOUND when there is none left. */
	int (*next_due)(struct store *, int64_t campaign_id, time_t *when);
	/* Ledger rows of a campaign in id order; state -1: every state. */
	int (*delivery_each)(struct store *, int64_t campaign_id, int state,
	                     store_dlv_fn *, void *);
	/* Events of a campaign of one kind (NULL: all), oldest first. */
	int (*event_each)(struct store *, int64_t campaign_id, const char *kind,
	                  store_event_fn *, void *);
	/* The report's aggregate what of a campaign (enum store_agg). */
	int (*aggregate)(struct store *, enum store_agg what,
	                 int64_t campaign_id, store_agg_fn *, void *);

	/* The VERP/unsubscribe token keys (bounce/token.h), one store's:
	 * add one (hex text; signs: a key of the store, else one kept only
	 * to verify; *id the new key's, newer keys have larger ids), and each
	 * key, newest first (the newest that signs signs, every one
	 * verifies).  Never deleted: tokens already sent stay verifiable. */
	int (*token_key_add)(struct store *, const char *hex, bool signs,
	                     time_t now, int64_t *id);
	int (*token_key_each)(struct store *, store_token_key_fn *, void *);
	/* Click and open tracking (app/track.h): keep link idx of a
	 * campaign (an existing one stays), each link with its clicks and
	 * the contacts that clicked (then idx -1: the opens), and count one
	 * click (idx >= 0) or open (-1) of a contact. */
	int (*track_link_put)(struct store *, int64_t campaign_id, int idx,
	                      const char *url);
	int (*track_link_each)(struct store *, int64_t campaign_id,
	                       store_track_link_fn *, void *);
	int (*track_hit)(struct store *, int64_t campaign_id, int idx,
	                 int64_t contact_id, time_t now);
	/* Campaigns whose status is status (NULL: every one), in id order
	 * (a worker's look for running campaigns). */
	int (*campaign_each)(struct store *, const char *status,
	                     store_campaign_fn *, void *);
	/* Segments (store/segment.h; the backend compiles seg in its own
	 * dialect, durations counted back from now): the contacts of list
	 * list_id (0: every contact) that match seg.  NULL in a backend
	 * without them: the front answers MC_EUNSUPP. */
	int (*segment_count)(struct store *, int64_t list_id,
	                     const struct segment *seg, time_t now,
	                     unsigned long *n);
	/* The matching contacts, in address order. */
	int (*segment_each)(struct store *, int64_t list_id,
	                    const struct segment *seg, time_t now,
	                    store_contact_fn *, void *);
	/* Make the matching contacts of list_id members of to_list too;
	 * *added counts the new memberships (attributes untouched). */
	int (*segment_add_to_list)(struct store *, int64_t list_id,
	                           const struct segment *seg, time_t now,
	                           int64_t to_list, unsigned long *added);
	/* campaign_create over the members of list_id that match seg;
	 * *rows counts the ledger rows made (pending and suppressed). */
	int (*campaign_create_segment)(struct store *, const char *name,
	                               int64_t list_id,
	                               const struct segment *seg, time_t now,
	                               int64_t *id, unsigned long *rows);

	/* Campaign management.  (campaign_each,
	 * above: every campaign, by id, with status NULL.)  campaign_delete:
	 * the campaign, its ledger, events, holders and files go (bounces keep
	 * their rows without the campaign); MC_ENOTFOUND.  campaign_file_put:
	 * one frozen file (replaces the same seq).  campaign_file_each: a
	 * campaign's files by seq. campaign_schedule: set when run-due starts
	 * it (0: never); MC_ENOTFOUND.  campaign_claim_due: one campaign
	 * scheduled at or before now, its schedule cleared in the same
	 * statement so two callers never claim the same one; MC_ENOTFOUND when
	 * none is due. */
	int (*campaign_delete)(struct store *, int64_t id);
	int (*campaign_file_put)(struct store *, int64_t id,
	                         const struct store_campaign_file *f);
	int (*campaign_file_each)(struct store *, int64_t id,
	                          store_campaign_file_fn *, void *);
	int (*campaign_schedule)(struct store *, int64_t id, time_t at);
	int (*campaign_claim_due)(struct store *, time_t now, int64_t *id);
	/* Double opt-in (app/signup.h): the last confirmation message sent
	 * to each address.  signup_mark: record one sent to address now
	 * (for list_id, asked from ip) unless one was recorded after
	 * now - window; *sent 1 when recorded (send it), 0 when not (send
	 * nothing).  One statement: two concurrent calls never both get 1. */
	int (*signup_mark)(struct store *, const char *address, int64_t list_id,
	                   const char *ip, time_t now, long window, int *sent);
	/* The address and status of contact id (not deleted) into
	 * address[0..addrsz) and status[0..statsz); MC_ENOTFOUND. */
	int (*signup_contact)(struct store *, int64_t id, char *address,
	                      size_t addrsz, char *status, size_t statsz);
	/* REST API tokens: add one (*id its id), each (id 0: every one, in
	 * id order; else that one), and revoke one (MC_ENOTFOUND: none, or
	 * revoked already). */
	int (*api_token_add)(struct store *, const struct store_api_token *t,
	                     int64_t *id);
	int (*api_token_each)(struct store *, int64_t id, store_api_token_fn *,
	                      void *);
	int (*api_token_revoke)(struct store *, int64_t id, time_t now);
	/* Dashboard users: add or replace one by name (its lockout
	 * cleared), one by name (MC_ENOTFOUND), and record a login's
	 * failures and lock (MC_ENOTFOUND). */
	int (*user_put)(struct store *, const struct store_user *u);
	int (*user_get)(struct store *, const char *name,
	                struct store_user *out);
	int (*user_mark)(struct store *, const char *name, unsigned failures,
	                 time_t locked_until);
	/* Webhooks (struct store_webhook): arm (on: the outbox triggers
	 * made; off: dropped, and a fact costs nothing more); lease up to max
	 * due pending rows to owner until lease_until (no two owners hold a
	 * row at once; an expired lease is taken over), each to fn; settle
	 * a leased row (state "pending" with next_attempt, "done" or
	 * "failed"; MC_ENOTFOUND when owner no longer holds it); each row
	 * (state NULL: all) in id order; retry (id 0: every failed one) as
	 * pending now, *n the rows. */
	int (*webhook_arm)(struct store *, bool on);
	int (*webhook_lease)(struct store *, const char *owner, time_t now,
	                     time_t lease_until, unsigned max,
	                     store_webhook_fn *fn, void *arg);
	int (*webhook_settle)(struct store *, int64_t id, const char *owner,
	                      const char *state, time_t next_attempt,
	                      const char *done_to, const char *error);
	int (*webhook_each)(struct store *, const char *state,
	                    store_webhook_fn *fn, void *arg);
	int (*webhook_retry)(struct store *, int64_t id, time_t now,
	                     unsigned long *n);
};

/*
 * The ops, for the front functions' counters (one name each; the front
 * function of op X is store_X(), except close: store_close()).
 */
#define STORE_OPS(X)                                                           \
	X(begin)                                                               \
	X(commit)                                                              \
	X(rollback)                                                            \
	X(list_ensure)                                                         \
	X(list_find)                                                           \
	X(list_delete)                                                         \
	X(list_each)                                                           \
	X(durable_commits)                                                     \
	X(contact_upsert)                                                      \
	X(contact_upsert_many)                                                 \
	X(contact_each)                                                        \
	X(contact_first)                                                       \
	X(contact_count)                                                       \
	X(member_remove)                                                       \
	X(contact_tally)                                                       \
	X(member_copy)                                                         \
	X(audit_context)                                                       \
	X(contact_get)                                                         \
	X(contact_set_attrs)                                                   \
	X(contact_remove)                                                      \
	X(contact_history)                                                     \
	X(erase_entry)                                                         \
	X(supp_add)                                                            \
	X(supp_remove)                                                         \
	X(supp_check)                                                          \
	X(supp_check_many)                                                     \
	X(supp_each)                                                           \
	X(campaign_create)                                                     \
	X(campaign_find)                                                       \
	X(lease)                                                               \
	X(mark_inflight)                                                       \
	X(record)                                                              \
	X(requeue_stale)                                                       \
	X(count_states)                                                        \
	X(bounce_add)                                                          \
	X(event_add)                                                           \
	X(bounce_record)                                                       \
	X(bounce_count)                                                        \
	X(contact_lookup)                                                      \
	X(contact_set_status)                                                  \
	X(delivery_bounced)                                                    \
	X(delivery_sent)                                                       \
	X(mailbox_seen_get)                                                    \
	X(mailbox_seen_put)                                                    \
	X(mailbox_fetch_put)                                                   \
	X(mailbox_fetch_each)                                                  \
	X(check)                                                               \
	X(campaign_get)                                                        \
	X(campaign_set_status)                                                 \
	X(release)                                                             \
	X(lease_owners)                                                        \
	X(holder_add)                                                          \
	X(holder_beat)                                                         \
	X(holder_end)                                                          \
	X(holder_each)                                                         \
	X(holder_take)                                                         \
	X(slot_take)                                                           \
	X(slot_give)                                                           \
	X(slot_renew)                                                          \
	X(slot_each)                                                           \
	X(dest_tokens)                                                         \
	X(dest_slow)                                                           \
	X(next_due)                                                            \
	X(delivery_each)                                                       \
	X(event_each)                                                          \
	X(aggregate)                                                           \
	X(token_key_add)                                                       \
	X(token_key_each)                                                      \
	X(track_link_put)                                                      \
	X(track_link_each)                                                     \
	X(track_hit)                                                           \
	X(campaign_each)                                                       \
	X(segment_count)                                                       \
	X(segment_each)                                                        \
	X(segment_add_to_list)                                                 \
	X(campaign_create_segment)                                             \
	X(campaign_delete)                                                     \
	X(campaign_file_put)                                                   \
	X(campaign_file_each)                                                  \
	X(campaign_schedule)                                                   \
	X(campaign_claim_due)                                                  \
	X(signup_mark)                                                         \
	X(signup_contact)                                                      \
	X(api_token_add)                                                       \
	X(api_token_each)                                                      \
	X(api_token_revoke)                                                    \
	X(user_put)                                                            \
	X(user_get)                                                            \
	X(user_mark)                                                           \
	X(webhook_arm)                                                         \
	X(webhook_lease)                                                       \
	X(webhook_settle)                                                      \
	X(webhook_each)                                                        \
	X(webhook_retry)                                                       \
	X(supp_version)                                                        \
	X(supp_unwatch)

enum store_op {
#define STORE_OP_ENUM(name) STORE_OP_##name,
	STORE_OPS(STORE_OP_ENUM)
#undef STORE_OP_ENUM
	    STORE_OP__COUNT
};

/* Calls, failures and time spent in one op (kept by the front). */
struct store_op_stat {
	unsigned long calls, errors;
	uint64_t ns;
};

struct store {
	const struct store_ops *ops;
	int schema; /* the schema version after open */
	char last_error[STORE_ERROR_MAX];
	char where[STORE_WHERE_MAX]; /* store_where() */
	struct store_op_stat stat[STORE_OP__COUNT];
	/* lease: where the pending rows of one campaign go on (see
	 * store_lease_from()) */
	int64_t lease_camp, lease_na, lease_id;
	/* supp_version learns of other sessions' changes only between this
	 * session's transactions (see supp_version) */
	bool supp_after_commit;
};

/* Open the store at url (made when missing: STORE_CREATE); NULL with the
 * reason in err on failure. */
struct store *store_open(const char *url, char *err, size_t errsz);
/*
 * Open the store at url in mode into *out.  STORE_READ opens read-only
 * (SQLite: SQLITE_OPEN_READONLY, and immutable when a read-only folder
 * holds no journal), so a store on a read-only file or folder can be read;
 * it never creates nor migrates (an older schema is upgraded first only
 * when the file can be written).  Returns 0; MC_ENOTFOUND ("no store at
 * PATH": STORE_READ and STORE_WRITE never make one); MC_EROFS (a writing
 * mode on a store this process cannot write: a file without write bits, a
 * read-only folder, a read-only file system); MC_ECONFIG (bad URL, a schema
 * newer than this code, or older and read-only); MC_EIO.  The reason is in
 * err; *out is NULL on failure.
 */
int store_open_mode(const char *url, enum store_mode mode, struct store **out,
                    char *err, size_t errsz);
/* Where the store is, for messages: the file of sqlite:PATH ("" before
 * store_open*() set it).  Lives as long as s. */
const char *store_where(const struct store *s);
/* The newest schema version of this code (both backends count alike). */
#define STORE_SCHEMA_LATEST -1
int store_schema_latest(void);
/*
 * Open the store at url and bring its schema to version schema
 * (STORE_SCHEMA_LATEST: the newest; an older one only for tests of the
 * migrations); *was (if not NULL) gets the version found before.  A
 * schema newer than this code is refused ("newer than this mailcast
 * knows"), as is a URL of no known backend ("unknown scheme").
 */
struct store *store_open_schema(const char *url, int schema, int *was,
                                char *err, size_t errsz);
/*
 * The one open behind the others: the store at url in mode, its schema
 * brought to schema (STORE_SCHEMA_LATEST: the newest; STORE_READ never
 * migrates) into *out; *was (if not NULL) the version found.  Errors as
 * store_open_mode().  store_open_schema() is this with STORE_CREATE.
 */
int store_open_at(const char *url, enum store_mode mode, int schema, int *was,
                  struct store **out, char *err, size_t errsz);
void store_close(struct store *s);
const char *store_error(const struct store *s);
/* For backends: take up to want tokens (*granted) from a bucket of
 * *tokens last refilled at *at (epoch ms; both updated) that fills at
 * rate / 2^penalty per second up to burst. */
void store_bucket_take(double *tokens, int64_t *at, double rate,
                       unsigned penalty, double burst, unsigned want,
                       int64_t now_ms, unsigned *granted);
/* Set s->last_error; returns code. */
int store_fail(struct store *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * For backends' lease: rows leased to a run stay due (pending) until they
 * are marked inflight, so a lease from the start would walk past the whole
 * window each time.  A lease goes on after the key (next_attempt, id) of
 * the last pending row the previous one took — when store_lease_from() is
 * true for its campaign — and, when that comes back short, looks again
 * from the start (rows given back, or whose lease expired, lie behind the
 * key).  store_lease_went() records the key after a lease of campaign:
 * none (start over) when it was short (full false) or failed.
 */
bool store_lease_from(const struct store *s, int64_t campaign_id);
void store_lease_went(struct store *s, int64_t campaign_id, bool full,
                      int64_t na, int64_t id);
/* Free the attrs strings of n leased rows. */
void store_deliveries_fini(struct store_delivery *d, size_t n);

/*
 * The front: every caller above this layer goes through these, never
 * through s->ops directly.  Each checks its arguments (MC_EINVAL with the
 * reason in store_error()), calls the backend, counts the call and its
 * time in s->stat[] and traces it at LOG_TRACE ("store: lease 0.21 ms").
 * Arguments, results and errors are those of the op of the same name in
 * struct store_ops above.
 */
int store_begin(struct store *s);
int store_commit(struct store *s);
int store_rollback(struct store *s);
int store_list_ensure(struct store *s, const char *name, time_t now,
                      int64_t *id);
int store_list_find(struct store *s, const char *name, int64_t *id);
int store_list_delete(struct store *s, int64_t list_id);
int store_list_each(struct store *s, store_list_fn *fn, void *arg);
/* A backend without the distinction answers 0. */
int store_durable_commits(struct store *s, bool full);
int store_contact_upsert(struct store *s, const char *address,
                         const char *domain, const char *attrs, int64_t list_id,
                         time_t now, int *result, int *joined);
/* Uses the backend's batch op, or contact_upsert per row without one. */
int store_contact_upsert_many(struct store *s,
                              const struct store_contact_in *rows, size_t n,
                              int64_t list_id, time_t now, unsigned flags,
                              struct store_upsert_counts *c);
int store_contact_each(struct store *s, int64_t list_id, store_contact_fn *fn,
                       void *arg);
int store_contact_first(struct store *s, int64_t list_id, size_t n,
                        store_contact_fn *fn, void *arg);
int store_contact_count(struct store *s, int64_t list_id, unsigned long *n);
int store_member_remove(struct store *s, int64_t list_id, const char *address);
int store_contact_tally(struct store *s, int64_t list_id,
                        unsigned long counts[CONTACT__COUNT]);
int store_member_copy(struct store *s, int64_t list_id, int64_t from,
                      time_t now, unsigned long *joined);
int store_audit_context(struct store *s, const char *actor, const char *why);
int store_contact_get(struct store *s, const char *address,
                      store_contact_fn *fn, void *arg);
int store_contact_set_attrs(struct store *s, int64_t id, const char *patch,
                            time_t now, int *changed);
int store_contact_remove(struct store *s, int64_t id, bool erase,
                         enum store_supp_reason reason, time_t now);
int store_contact_history(struct store *s, int64_t id, store_audit_fn *fn,
                          void *arg);
int store_erase_entry_of(struct store *s, const char *address,
                         char out[STORE_ERASE_ENTRY_LEN + 1]);
int store_supp_add(struct store *s, const char *entry,
                   enum store_supp_reason reason, const char *source,
                   time_t now, int *added);
int store_supp_remove(struct store *s, const char *entry);
int store_supp_check(struct store *s, const char *address,
                     struct store_suppression *hit);
int store_supp_check_many(struct store *s, const char *const *addrs, size_t n,
                          store_supp_hit_fn *fn, void *arg);
int store_supp_each(struct store *s, store_supp_fn *fn, void *arg);
int store_supp_version(struct store *s, int64_t *version);
int store_supp_unwatch(struct store *s);
int store_campaign_create(struct store *s, const char *name, int64_t list_id,
                          time_t now, int64_t *id);
int store_campaign_find(struct store *s, const char *name, int64_t *id);
int store_lease(struct store *s, int64_t campaign_id, const char *owner,
                time_t now, int lease_secs, struct store_delivery *out,
                size_t max, size_t *n);
int store_mark_inflight(struct store *s, const int64_t *ids, size_t n,
                        const char *owner, time_t now, size_t *moved);
int store_record(struct store *s, const struct store_outcome *o, size_t n,
                 time_t now);
int store_requeue_stale(struct store *s, int64_t campaign_id, time_t now,
                        size_t *n);
int store_count_states(struct store *s, int64_t campaign_id,
                       unsigned long counts[DLV__COUNT]);
int store_bounce_add(struct store *s, const struct store_bounce *b);
int store_event_add(struct store *s, int64_t campaign_id, int64_t contact_id,
                    const char *kind, const char *detail, time_t now);
int store_bounce_record(struct store *s, const struct store_bounce_row *b,
                        time_t now);
int store_bounce_count(struct store *s, const char *address,
                       enum store_bounce_kind kind, time_t since,
                       unsigned long *n);
int store_contact_lookup(struct store *s, int64_t id, const char *address,
                         int64_t *out);
int store_contact_set_status(struct store *s, int64_t id,
                             enum store_contact_status status, time_t now,
                             int *changed);
int store_delivery_bounced(struct store *s, int64_t campaign_id,
                           int64_t contact_id, time_t now, int *changed);
int store_delivery_sent(struct store *s, int64_t campaign_id,
                        int64_t contact_id, int64_t *campaign_out,
                        char *address, size_t addrsz);
int store_mailbox_seen_get(struct store *s, const char *mailbox,
                           const char *uid, int *state);
int store_mailbox_seen_put(struct store *s, const char *mailbox,
                           const char *uid, int state, const char *what,
                           time_t now);
int store_mailbox_fetch_put(struct store *s,
                            const struct store_mailbox_fetch *f);
int store_mailbox_fetch_each(struct store *s, store_mailbox_fetch_fn *fn,
                             void *arg);
int store_check(struct store *s, char *out, size_t outsz);
int store_campaign_get(struct store *s, int64_t id, struct store_campaign *out);
int store_campaign_set_status(struct store *s, int64_t id, const char *status);
int store_release(struct store *s, int64_t campaign_id, const char *owner,
                  const int64_t *ids, size_t n, const char *event, time_t now,
                  size_t *moved);
int store_holder_add(struct store *s, const struct store_holder *h);
int store_holder_beat(struct store *s, const char *owner, time_t now);
int store_holder_end(struct store *s, const char *owner);
int store_holder_each(struct store *s, int64_t campaign_id, store_holder_fn *fn,
                      void *arg);
int store_holder_take(struct store *s, int64_t campaign_id, const char *owner,
                      time_t stale_before, time_t now, size_t *inflight,
                      size_t *pending);
int store_slot_take(struct store *s, const char *dest, unsigned cap,
                    const char *holder, int64_t now_ms, int64_t expires_ms,
                    unsigned *slot);
int store_slot_give(struct store *s, const char *dest, unsigned slot,
                    const char *holder);
int store_slot_renew(struct store *s, const char *holder, int64_t now_ms,
                     int64_t expires_ms, unsigned long *kept);
int store_slot_each(struct store *s, int64_t now_ms, store_slot_fn *fn,
                    void *arg);
int store_dest_tokens(struct store *s, const char *dest, double rate,
                      double burst, unsigned want, int64_t now_ms,
                      unsigned *granted);
int store_dest_slow(struct store *s, const char *dest, unsigned penalty,
                    int64_t backoff_until);
int store_lease_owners(struct store *s, int64_t campaign_id, store_owner_fn *fn,
                       void *arg);
int store_next_due(struct store *s, int64_t campaign_id, time_t *when);
int store_delivery_each(struct store *s, int64_t campaign_id, int state,
                        store_dlv_fn *fn, void *arg);
int store_event_each(struct store *s, int64_t campaign_id, const char *kind,
                     store_event_fn *fn, void *arg);
int store_aggregate(struct store *s, enum store_agg what, int64_t campaign_id,
                    store_agg_fn *fn, void *arg);
int store_token_key_add(struct store *s, const char *hex, bool signs,
                        time_t now, int64_t *id);
int store_token_key_each(struct store *s, store_token_key_fn *fn, void *arg);
int store_track_link_put(struct store *s, int64_t campaign_id, int idx,
                         const char *url);
int store_track_link_each(struct store *s, int64_t campaign_id,
                          store_track_link_fn *fn, void *arg);
int store_track_hit(struct store *s, int64_t campaign_id, int idx,
                    int64_t contact_id, time_t now);
int store_campaign_each(struct store *s, const char *status,
                        store_campaign_fn *fn, void *arg);
int store_segment_count(struct store *s, int64_t list_id,
                        const struct segment *seg, time_t now,
                        unsigned long *n);
int store_segment_each(struct store *s, int64_t list_id,
                       const struct segment *seg, time_t now,
                       store_contact_fn *fn, void *arg);
int store_segment_add_to_list(struct store *s, int64_t list_id,
                              const struct segment *seg, time_t now,
                              int64_t to_list, unsigned long *added);
int store_campaign_create_segment(struct store *s, const char *name,
                                  int64_t list_id, const struct segment *seg,
                                  time_t now, int64_t *id, unsigned long *rows);
int store_campaign_delete(struct store *s, int64_t id);
int store_campaign_file_put(struct store *s, int64_t id,
                            const struct store_campaign_file *f);
int store_campaign_file_each(struct store *s, int64_t id,
                             store_campaign_file_fn *fn, void *arg);
int store_campaign_schedule(struct store *s, int64_t id, time_t at);
int store_campaign_claim_due(struct store *s, time_t now, int64_t *id);
/* Record a confirmation message to address unless one went within window
 * seconds (signup_mark above). */
int store_signup_mark(struct store *s, const char *address, int64_t list_id,
                      const char *ip, time_t now, long window, int *sent);
/* Contact id's address and status (signup_contact above). */
int store_signup_contact(struct store *s, int64_t id, char *address,
                         size_t addrsz, char *status, size_t statsz);
int store_api_token_add(struct store *s, const struct store_api_token *t,
                        int64_t *id);
int store_api_token_each(struct store *s, int64_t id, store_api_token_fn *fn,
                         void *arg);
int store_api_token_revoke(struct store *s, int64_t id, time_t now);
int store_user_put(struct store *s, const struct store_user *u);
int store_user_get(struct store *s, const char *name, struct store_user *out);
int store_user_mark(struct store *s, const char *name, unsigned failures,
                    time_t locked_until);
/* The webhook outbox (webhook_arm ... above). */
int store_webhook_arm(struct store *s, bool on);
int store_webhook_lease(struct store *s, const char *owner, time_t now,
                        time_t lease_until, unsigned max, store_webhook_fn *fn,
                        void *arg);
int store_webhook_settle(struct store *s, int64_t id, const char *owner,
                         const char *state, time_t next_attempt,
                         const char *done_to, const char *error);
int store_webhook_each(struct store *s, const char *state, store_webhook_fn *fn,
                       void *arg);
int store_webhook_retry(struct store *s, int64_t id, time_t now,
                        unsigned long *n);
/* "lease", ...; NULL out of range. */
const char *store_op_name(enum store_op op);
/* A store URL fit to show (errors, logs, the dashboard): the password of
 * its user part and password= or sslpassword= values in its query
 * replaced by "***".  The caller frees it. */
char *store_url_redact(const char *url);

#endif
