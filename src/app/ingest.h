/*
 * ingest.h — one message that came back to mailcast (a bounce, a complaint,
 * a mailto unsubscribe request, an auto-reply, anything else) and what it
 * does: parse it (bounce/bounce.h), match its VERP token to a campaign and
 * contact (bounce/token.h), ask the one bounce policy (bounce/policy.h)
 * what each failed recipient means, and apply that to the store — all of
 * it, with the mailbox memory when there is one, in one transaction, so a
 * message is handled once or not at all.  `bounces ingest` (an MTA pipe)
 * and the mailbox poller (app/poller.h) both come here.
 *
 * Trust (docs/bounces.md "Forged bounces"): an effect applies only to an
 * address the ledger shows this installation sent to.  A bounce or
 * complaint with a valid VERP token acts on the recipient that is the
 * token's contact in the token's campaign (a ledger row that was sent),
 * and on no other; a mailto unsubscribe request acts on the contact of
 * its token (in the recipient address, unsubscribe+TOKEN@..., or its
 * subject), never on the From.  Without a valid token the message is
 * recorded as unverified (an event) and changes nothing — unless
 * trust_unsigned, where a bounce's recipients that have a sent ledger row
 * are acted on (and no others).  out->verdict says which, per message.
 *
 * The effects by action: suppress -> a "hard" row, the address suppressed
 * (hard-bounce), the contact bounced; count-soft -> a "soft" row, and the
 * address suppressed (soft-bounces) once the soft threshold is reached;
 * record -> a "policy" row only; complaint / unsubscribe -> a row, the
 * address suppressed, the contact complained / unsubscribed; ignore ->
 * nothing.  A hard or soft row also turns the campaign's delivery row of
 * the contact bounced.
 *
 * Errors: ingest_message() returns 0 (out filled; a message the parser
 * skips is a result, not an error) or the store's MC_E* (nothing applied).
 * Ownership: the config's store is borrowed; out's effects are
 * freed by ingest_result_fini().
 */
#ifndef MC_APP_INGEST_H
#define MC_APP_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "bounce/bounce.h"
#include "bounce/policy.h"
#include "bounce/token.h"
#include "store/store.h"

#define INGEST_KINDS(X)                                                        \
	X(INGEST_BOUNCE, "bounce")                                             \
	X(INGEST_COMPLAINT, "complaint")                                       \
	X(INGEST_UNSUBSCRIBE, "unsubscribe")                                   \
	X(INGEST_AUTO_REPLY, "auto-reply")                                     \
	X(INGEST_NOT_BOUNCE, "not-bounce")                                     \
	X(INGEST_SKIPPED, "skipped")                                           \
	X(INGEST_ALREADY, "already-handled")

enum ingest_kind {
#define INGEST_KIND_ENUM(sym, name) sym,
	INGEST_KINDS(INGEST_KIND_ENUM)
#undef INGEST_KIND_ENUM
	    INGEST__COUNT
};

/* What ingest made of one message, as a user reads it. */
#define INGEST_VERDICTS(X)                                                     \
	X(INGEST_IGNORED, "ignored")                                           \
	X(INGEST_APPLIED, "applied")                                           \
	X(INGEST_NO_TOKEN, "unverified: no token")                             \
	X(INGEST_BAD_TOKEN, "unverified: bad signature")                       \
	X(INGEST_NOT_SENT, "ignored: not sent by us")                          \
	X(INGEST_OTHER_RCPT, "ignored: not the token's recipient")             \
	X(INGEST_NO_ACTION, "ignored: nothing to do")

enum ingest_verdict {
#define INGEST_VERDICT_ENUM(sym, name) sym,
	INGEST_VERDICTS(INGEST_VERDICT_ENUM)
#undef INGEST_VERDICT_ENUM
	    INGEST_VERDICT__COUNT
};

struct ingest_config {
	struct store *store; /* borrowed */
	/* The keys that verify tokens: the store's and --token-key's
	 * (ingest_keys_load); with none, no token verifies. */
	struct token_keyring keys;
	struct bounce_policy_soft soft; /* limit 0: the policy's defaults */
	bool trust_unsigned; /* act on untokened bounces (sent rows only) */
};

/* What one recipient's failure did. */
struct ingest_effect {
	char address[STORE_ADDRESS_MAX + 1];
	enum bounce_action action;
	enum store_bounce_kind kind; /* the row written */
	char status[16];             /* "5.1.1" or "" */
	int64_t campaign_id;         /* 0: no token */
	int64_t contact_id;          /* 0: not a contact */
	bool suppressed;             /* newly suppressed */
	bool unsubscribed;           /* contact newly unsubscribed/complained */
	unsigned long soft_count;    /* count-soft: soft rows in the window */
};

/* What one message was and did. */
struct ingest_result {
	enum ingest_kind kind;
	enum ingest_verdict verdict;
	char note[512];    /* the verdict's detail ("" when none) */
	bool dispose;      /* handled: the mailbox may move or delete it */
	char skip[256];    /* INGEST_SKIPPED: why */
	char source[1000]; /* its Message-ID, or the fallback id */
	struct ingest_effect *effects;
	size_t neffects;
};

/* Where a message came from, remembered with its effects (the mailbox
 * memory, store.h mailbox_seen_*). */
struct ingest_seen {
	const char *mailbox; /* "imap://u@h/INBOX;UIDVALIDITY=7", "ingest" */
	const char *uid;
	bool will_dispose; /* the caller moves/deletes handled messages */
};

/* Totals over many messages (a fetch's summary line). */
struct ingest_tally {
	unsigned long bounces, hard, soft, recorded, complaints, unsubscribes,
	    auto_replies, other, skipped, already, suppressed, disposed,
	    unverified, ignored;
};

/*
 * Parse msg[0..len) and apply it, with seen (NULL: none) in the same
 * transaction; fallback_id names it when it has no Message-ID.  0 or a
 * store error (rolled back).  out is initialised here; fini it after.
 */
int ingest_message(const struct ingest_config *cfg, const char *msg, size_t len,
                   const char *fallback_id, const struct ingest_seen *seen,
                   time_t now, struct ingest_result *out);
/*
 * A message that may come more than once (an MTA retrying a pipe
 * delivery): when its Message-ID is in the memory under mailbox, out says
 * INGEST_ALREADY and nothing is applied; otherwise ingest_message with the
 * Message-ID remembered.  0 or a store error.
 */
int ingest_once(const struct ingest_config *cfg, const char *msg, size_t len,
                const char *mailbox, time_t now, struct ingest_result *out);
/* A message not parsed (over a size limit): remember it as skipped with
 * the reason why (copied into out).  0 or a store error. */
int ingest_skip(const struct ingest_config *cfg, const struct ingest_seen *seen,
                const char *why, time_t now, struct ingest_result *out);
/* The Message-ID of msg into out ("" when none); false when none. */
bool ingest_message_id(const char *msg, size_t len, char *out, size_t outsz);
void ingest_result_fini(struct ingest_result *r);
/* Count one result into t. */
void ingest_tally_add(struct ingest_tally *t, const struct ingest_result *r);
/*
 * Parse the message in the file path, repeat times (for a rate; *cpu gets
 * the parser's CPU seconds): 0 with r filled; MC_EIO when the file cannot
 * be read; the parser's MC_ELIMIT / MC_EDATA when it skips the message
 * (a file over BOUNCE_MAX_SIZE is not read).  The reason in err.
 */
int ingest_parse_file(const char *path, long repeat, struct bounce_result *r,
                      double *cpu, char *err, size_t errsz);
/*
 * The token keys that verify: the store's ring (app/token_keys.h: every
 * key a campaign of this store signed with) plus key_file's key when not
 * NULL, into cfg->keys; cfg->store must be open.  No key at all is not an
 * error: then no token verifies (never the public demo key of `preview`,
 * which would verify forged tokens).  0 or MC_E* (why in err).  Wipe with
 * token_keyring_wipe(&cfg->keys).
 */
int ingest_keys_load(struct ingest_config *cfg, const char *key_file, char *err,
                     size_t errsz);
/* "2 bounces (1 hard, 1 soft recipients), 1 complaints, ..." into out. */
/*
 * One message from path ("-": standard input, an MTA's pipe; at most
 * max_size bytes) through ingest_once() into cfg->store: 0 with *r (kind
 * INGEST_SKIPPED: why in r->skip), or, why in err, MC_EDATA when it
 * cannot be read or is empty, MC_EIO when the store failed (the MTA
 * should keep the message and try again).
 */
int ingest_file(const struct ingest_config *cfg, const char *path,
                size_t max_size, struct ingest_result *r, char *err,
                size_t errsz);
void ingest_tally_text(const struct ingest_tally *t, char *out, size_t outsz);
/* The counts that are not zero, briefly ("2 hard bounces, 1 complaint;
 * 2 newly suppressed"), or "nothing new". */
void ingest_tally_brief(const struct ingest_tally *t, char *out, size_t outsz);
/* "applied", "unverified: no token", ...; NULL out of range. */
const char *ingest_verdict_name(enum ingest_verdict v);
/* "bounce", ...; NULL out of range. */
const char *ingest_kind_name(enum ingest_kind k);

#endif
