/*
 * ingest.c — one returned message -> parse, token, policy, effects, in one
 * store transaction (ingest.h).  The policy (bounce/policy.h) decides what
 * a recipient's failure means; this file only turns its action into the
 * store's primitives, so the store holds no policy and a code means the
 * same here as in the campaign engine.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "app/files.h"
#include "app/ingest.h"
#include "app/secrets.h"
#include "app/token_keys.h"
#include "base/error.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "bounce/bounce.h"
#include "msg/address.h"

#define HEADER_MAX 998

static const char *const kind_names[] = {
#define INGEST_KIND_NAME(sym, name) name,
    INGEST_KINDS(INGEST_KIND_NAME)
#undef INGEST_KIND_NAME
};

static const char *const verdict_names[] = {
#define INGEST_VERDICT_NAME(sym, name) name,
    INGEST_VERDICTS(INGEST_VERDICT_NAME)
#undef INGEST_VERDICT_NAME
};

/* The tally's non-zero counts, briefly. */
void
ingest_tally_brief(const struct ingest_tally *t, char *out, size_t outsz)
{
	const struct {
		unsigned long n;
		const char *what;
	} c[] = {
	    {t->hard, "hard-bounced recipients"},
	    {t->soft, "soft-bounced recipients"},
	    {t->complaints, "complaints"},
	    {t->unsubscribes, "unsubscribe requests"},
	    {t->auto_replies, "auto-replies"},
	    {t->other, "other messages"},
	    {t->skipped, "skipped"},
	    {t->already, "already handled"},
	    {t->unverified, "unverified"},
	    {t->ignored, "not sent by us"},
	    {t->suppressed, "newly suppressed"},
	};
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if (c[i].n == 0 || o >= outsz)
			continue;
		o += (size_t)snprintf(out + o, outsz - o, "%s%lu %s",
		                      o ? ", " : "", c[i].n, c[i].what);
	}
	if (o == 0)
		snprintf(out, outsz, "nothing new");
}

/* Name of a verdict. */
const char *
ingest_verdict_name(enum ingest_verdict v)
{
	return (unsigned)v < INGEST_VERDICT__COUNT ? verdict_names[v] : NULL;
}

/* Name of a message kind. */
const char *
ingest_kind_name(enum ingest_kind k)
{
	return (unsigned)k < INGEST__COUNT ? kind_names[k] : NULL;
}

/* A header value with folding undone (CR and LF dropped). */
static bool
header(const char *msg, size_t len, const char *name, char *out, size_t outsz)
{
	char *o = out;

	if (!bounce_header_value(msg, len, name, out, outsz))
		return false;
	for (const char *p = out; *p; p++)
		if (*p != '\r' && *p != '\n')
			*o++ = *p;
	*o = '\0';
	return true;
}

/* The Message-ID of a message. */
bool
ingest_message_id(const char *msg, size_t len, char *out, size_t outsz)
{
	out[0] = '\0';
	return header(msg, len, "Message-ID", out, outsz) && out[0] != '\0';
}

/* Normalise an address the way contacts are stored; false if invalid. */
static bool
norm_addr(const char *in, char *out, size_t outsz)
{
	struct addr a;
	char err[200];
	size_t len = strlen(in);

	while (len > 0 && isspace((unsigned char)*in)) {
		in++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)in[len - 1]))
		len--;
	if (len == 0 || addr_parse(in, len, &a, err, sizeof(err)) != 0)
		return false;
	addr_format(&a, out, outsz);
	for (char *p = out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return true;
}

/* The first "+TOKEN@" of a header value into tok ("" when none). */
static void
plus_token(const char *v, char *tok, size_t toksz)
{
	for (const char *p = strchr(v, '+'); p; p = strchr(p + 1, '+')) {
		size_t n = 0;
		while (isalnum((unsigned char)p[1 + n]))
			n++;
		if (n > 0 && p[1 + n] == '@' && n < toksz) {
			memcpy(tok, p + 1, n);
			tok[n] = '\0';
			return;
		}
	}
	tok[0] = '\0';
}

/*
 * A mailto unsubscribe request: the subject "unsubscribe [TOKEN]" (what
 * our List-Unsubscribe mailto asks for), or a message to
 * unsubscribe+TOKEN@....  Fills the tokens found (subject, recipient) and
 * the From (only ever reported, never acted on).
 */
static bool
unsub_request(const char *msg, size_t len, char *stok, char *rtok, size_t toksz,
              char *from, size_t fromsz)
{
	static const char *const rcpt_headers[] = {"To", "Delivered-To",
	                                           "X-Original-To"};
	char subj[HEADER_MAX + 1], v[HEADER_MAX + 1], name[200], err[200];
	struct addr a;
	bool asked = false;
	const char *p;

	stok[0] = rtok[0] = from[0] = '\0';
	if (header(msg, len, "Subject", subj, sizeof(subj)) &&
	    mc_istarts(subj, strlen(subj), "unsubscribe")) {
		p = subj + strlen("unsubscribe");
		while (*p == ' ')
			p++;
		/* "unsubscribe", "unsubscribe TOKEN"; not a sentence. */
		if ((p == subj + strlen("unsubscribe") && *p == '\0') ||
		    (p > subj + strlen("unsubscribe") && !strchr(p, ' '))) {
			mc_strlcpy(stok, p, toksz);
			asked = true;
		}
	}
	for (size_t i = 0; i < 3 && rtok[0] == '\0'; i++) {
		if (!header(msg, len, rcpt_headers[i], v, sizeof(v)))
			continue;
		plus_token(v, rtok, toksz);
		for (char *q = v; *q; q++)
			*q = (char)tolower((unsigned char)*q);
		if (rtok[0] && strstr(v, "unsubscribe+"))
			asked = true;
	}
	if (!asked)
		return false;
	if (header(msg, len, "From", v, sizeof(v)) &&
	    addr_parse_mailbox(v, strlen(v), &a, name, sizeof(name), err,
	                       sizeof(err)) == 0) {
		addr_format(&a, v, sizeof(v));
		if (!norm_addr(v, from, fromsz))
			from[0] = '\0';
	}
	return true;
}

/* Decode a VERP token into campaign and contact: 1 valid, 0 none, -1
 * malformed, tampered or no key to verify it (0, 0 unless valid). */
static int
match_token(const struct ingest_config *cfg, const char *tok, int64_t *campaign,
            int64_t *contact)
{
	uint64_t c = 0, k = 0;

	*campaign = *contact = 0;
	if (tok == NULL || *tok == '\0')
		return 0;
	if (cfg->keys.n == 0 ||
	    token_keyring_decode(&cfg->keys, tok, strlen(tok), &c, &k, NULL))
		return -1; /* no key, or none of them signed it */
	if (c == 0 || k == 0 || c > INT64_MAX || k > INT64_MAX)
		return -1;
	*campaign = (int64_t)c;
	*contact = (int64_t)k;
	return 1;
}

/* The address the ledger shows campaign sent to contact (lower case)
 * into out; *campaign becomes the row's.  0, MC_ENOTFOUND or a store
 * error. */
static int
ledger_sent(const struct ingest_config *cfg, int64_t *campaign, int64_t contact,
            char *out, size_t outsz)
{
	int rc = store_delivery_sent(cfg->store, *campaign, contact, campaign,
	                             out, outsz);

	for (char *p = out; rc == 0 && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return rc;
}

/* The row kind and suppression reason of an action that writes one. */
static enum store_bounce_kind
row_kind(enum bounce_action a)
{
	switch (a) {
	case BOUNCE_ACTION_SUPPRESS:
		return STORE_BOUNCE_HARD;
	case BOUNCE_ACTION_COUNT_SOFT:
		return STORE_BOUNCE_SOFT;
	case BOUNCE_ACTION_COMPLAINT:
		return STORE_BOUNCE_COMPLAINT;
	case BOUNCE_ACTION_UNSUBSCRIBE:
		return STORE_BOUNCE_UNSUBSCRIBE;
	default:
		return STORE_BOUNCE_POLICY;
	}
}

/* Suppress the address; e->suppressed when it is new. */
static int
suppress(struct store *s, struct ingest_effect *e, enum store_supp_reason r,
         const char *source, time_t now)
{
	int added = 0,
	    rc = store_supp_add(s, e->address, r, source, now, &added);

	if (rc == 0 && added)
		e->suppressed = true;
	return rc;
}

/* The soft-bounce rule: count the address's soft rows in the window and
 * suppress once the policy's threshold is reached. */
static int
soft_threshold(const struct ingest_config *cfg, struct ingest_effect *e,
               const char *src, time_t now)
{
	struct bounce_policy_soft p = cfg->soft;
	char why[1100];
	int rc;

	if (p.limit < 1 || p.days < 1)
		p = (struct bounce_policy_soft){BOUNCE_POLICY_SOFT_LIMIT,
		                                BOUNCE_POLICY_SOFT_DAYS};
	rc = store_bounce_count(cfg->store, e->address, STORE_BOUNCE_SOFT,
	                        now - (time_t)p.days * 86400 + 1,
	                        &e->soft_count);
	if (rc < 0 || !bounce_policy_soft_exceeded(&p, (long)e->soft_count))
		return rc;
	snprintf(why, sizeof(why), "bounce:%s (%lu soft bounces in %d days)",
	         src, e->soft_count, p.days);
	return suppress(cfg->store, e, SUPP_SOFT_BOUNCES, why, now);
}

/* The event row of one effect ("bounce-hard", "unsubscribe", ...). */
static int
effect_event(struct store *s, const struct ingest_effect *e, const char *src,
             time_t now)
{
	char kind[48], detail[1400];

	snprintf(kind, sizeof(kind), "%s%s",
	         e->kind == STORE_BOUNCE_UNSUBSCRIBE ? "" : "bounce-",
	         store_bounce_kind_name(e->kind));
	snprintf(detail, sizeof(detail), "%s%s%s%s%s from %s", e->address,
	         e->status[0] ? " " : "", e->status,
	         e->suppressed ? " suppressed" : "",
	         e->unsubscribed ? " unsubscribed" : "", src);
	return store_event_add(s, e->campaign_id, e->contact_id, kind, detail,
	                       now);
}

/*
 * Apply one recipient's action (not IGNORE): the row, then what the action
 * does to the suppression list, the contact and the ledger.
 */
static int
apply(const struct ingest_config *cfg, struct ingest_effect *e,
      const char *diagnostic, const char *src, time_t now)
{
	struct store *s = cfg->store;
	char supp_src[1100];
	int64_t id = 0;
	int rc, changed = 0;

	rc = store_contact_lookup(s, e->contact_id, e->address, &id);
	if (rc < 0 && rc != MC_ENOTFOUND)
		return rc;
	e->contact_id = id;
	e->kind = row_kind(e->action);
	struct store_bounce_row row = {
	    .campaign_id = e->campaign_id,
	    .contact_id = e->contact_id,
	    .address = e->address,
	    .kind = e->kind,
	    .status = e->status[0] ? e->status : NULL,
	    .diagnostic = diagnostic,
	    .source = src,
	};
	if ((rc = store_bounce_record(s, &row, now)) < 0)
		return rc;
	snprintf(supp_src, sizeof(supp_src), "bounce:%s", src);
	enum store_contact_status status = CONTACT_ACTIVE;
	switch (e->action) {
	case BOUNCE_ACTION_SUPPRESS:
		rc = suppress(s, e, SUPP_HARD_BOUNCE, supp_src, now);
		status = CONTACT_BOUNCED;
		break;
	case BOUNCE_ACTION_COUNT_SOFT:
		rc = soft_threshold(cfg, e, src, now);
		break;
	case BOUNCE_ACTION_COMPLAINT:
		rc = suppress(s, e, SUPP_COMPLAINT, supp_src, now);
		status = CONTACT_COMPLAINED;
		break;
	case BOUNCE_ACTION_UNSUBSCRIBE:
		rc = suppress(s, e, SUPP_UNSUBSCRIBED, supp_src, now);
		status = CONTACT_UNSUBSCRIBED;
		break;
	default:
		break;
	}
	if (rc < 0)
		return rc;
	if (e->contact_id > 0 && status != CONTACT_ACTIVE) {
		rc = store_contact_set_status(s, e->contact_id, status, now,
		                              &changed);
		if (rc < 0)
			return rc;
		e->unsubscribed = changed && status != CONTACT_BOUNCED;
	}
	if (e->contact_id > 0 && e->campaign_id > 0 &&
	    (e->kind == STORE_BOUNCE_HARD || e->kind == STORE_BOUNCE_SOFT) &&
	    (rc = store_delivery_bounced(s, e->campaign_id, e->contact_id, now,
	                                 &changed)) < 0)
		return rc;
	return effect_event(s, e, src, now);
}

/* A new effect slot of out. */
static struct ingest_effect *
effect_new(struct ingest_result *out, size_t max)
{
	if (out->effects == NULL)
		out->effects = xcalloc(max ? max : 1, sizeof(*out->effects));
	struct ingest_effect *e = &out->effects[out->neffects];
	memset(e, 0, sizeof(*e));
	return e;
}

/* Append the recipients of r ("a@x, b@y, ... (256)") to out->note. */
static void
note_rcpts(struct ingest_result *out, const struct bounce_result *r)
{
	size_t n = strlen(out->note);

	for (size_t i = 0; i < r->nrcpts && n + 40 < sizeof(out->note); i++) {
		snprintf(out->note + n, sizeof(out->note) - n, "%s%s",
		         i ? ", " : "", r->rcpts[i].address);
		n = strlen(out->note);
	}
	if (r->nrcpts > 1 && n < sizeof(out->note))
		snprintf(out->note + n, sizeof(out->note) - n, " (%zu)",
		         r->nrcpts);
}

/*
 * The message changes nothing: its verdict, and an event that says so
 * (kind "ingest-unverified" or "ingest-ignored") so that a forgery
 * attempt is on record.
 */
static int
unapplied(const struct ingest_config *cfg, struct ingest_result *out,
          enum ingest_verdict v, int64_t campaign, time_t now)
{
	char detail[1700], note[sizeof(out->note) + 32];

	out->verdict = v;
	if (v == INGEST_BAD_TOKEN && cfg->keys.n == 0) {
		snprintf(note, sizeof(note), "no token key to verify it%s%s",
		         out->note[0] ? "; " : "", out->note);
		mc_strlcpy(out->note, note, sizeof(out->note));
	}
	snprintf(detail, sizeof(detail), "%s: %s%s%s", out->source,
	         ingest_verdict_name(v), out->note[0] ? ": " : "", out->note);
	return store_event_add(cfg->store, campaign, 0,
	                       v == INGEST_NO_TOKEN || v == INGEST_BAD_TOKEN
	                           ? "ingest-unverified"
	                           : "ingest-ignored",
	                       detail, now);
}

/*
 * Who recipient address is, by the ledger: with a valid token (t > 0),
 * the token's contact if address is the one the ledger sent to (1), else
 * 0 (*other set); unsigned (trust_unsigned), the contact of address with
 * a sent row in any campaign (1), else 0 (*not_sent set).  Negative: a
 * store error.
 */
static int
who(const struct ingest_config *cfg, int t, const char *tok_addr,
    const char *address, struct ingest_effect *e, size_t *other,
    size_t *not_sent)
{
	char sent[STORE_ADDRESS_MAX + 1];
	int64_t id = 0, camp = 0;
	int rc;

	if (t > 0) {
		if (strcmp(address, tok_addr) == 0)
			return 1;
		(*other)++;
		return 0;
	}
	rc = store_contact_lookup(cfg->store, 0, address, &id);
	if (rc == 0)
		rc = ledger_sent(cfg, &camp, id, sent, sizeof(sent));
	if (rc == MC_ENOTFOUND) {
		(*not_sent)++;
		return 0;
	}
	if (rc < 0)
		return rc;
	e->campaign_id = camp;
	e->contact_id = id;
	return 1;
}

/* A bounce or complaint: each recipient's action, on the addresses the
 * ledger shows were sent to (ingest.h). */
static int
apply_report(const struct ingest_config *cfg, const struct bounce_result *r,
             struct ingest_result *out, time_t now)
{
	char tok_addr[STORE_ADDRESS_MAX + 1] = "";
	int64_t campaign, contact;
	bool complaint = r->kind == BOUNCE_KIND_COMPLAINT;
	size_t other = 0, not_sent = 0, acts = 0;
	int rc, t;

	out->kind = complaint ? INGEST_COMPLAINT : INGEST_BOUNCE;
	t = match_token(cfg, r->token, &campaign, &contact);
	if (t > 0) {
		rc = ledger_sent(cfg, &campaign, contact, tok_addr,
		                 sizeof(tok_addr));
		if (rc == MC_ENOTFOUND) {
			snprintf(out->note, sizeof(out->note),
			         "campaign %lld sent nothing to contact %lld",
			         (long long)campaign, (long long)contact);
			return unapplied(cfg, out, INGEST_NOT_SENT, campaign,
			                 now);
		}
		if (rc < 0)
			return rc;
	} else if (!cfg->trust_unsigned) {
		note_rcpts(out, r);
		return unapplied(cfg, out,
		                 t == 0 ? INGEST_NO_TOKEN : INGEST_BAD_TOKEN, 0,
		                 now);
	}
	if (t > 0 && complaint && r->nrcpts == 0) {
		/* A complaint that names no recipient (feedback loops redact
		 * it): the token's contact, whom the ledger shows was sent
		 * the message complained about. */
		struct ingest_effect *e = effect_new(out, 1);
		e->action = BOUNCE_ACTION_COMPLAINT;
		mc_strlcpy(e->address, tok_addr, sizeof(e->address));
		e->campaign_id = campaign;
		e->contact_id = contact;
		if ((rc = apply(cfg, e, NULL, out->source, now)) < 0)
			return rc;
		out->neffects++;
	}
	for (size_t i = 0; i < r->nrcpts; i++) {
		const struct bounce_rcpt *rc2 = &r->rcpts[i];
		struct ingest_effect *e = effect_new(out, r->nrcpts);
		struct bounce_verdict v = {
		    .cls = complaint ? BOUNCE_CLASS_COMPLAINT : rc2->cls,
		    .reason = rc2->reason,
		    .status = rc2->status,
		    .reply_code = rc2->reply_code,
		    .dsn_action = rc2->action,
		};
		e->action = bounce_policy_action(&v);
		if (e->action == BOUNCE_ACTION_IGNORE ||
		    !norm_addr(rc2->address, e->address, sizeof(e->address)))
			continue;
		acts++;
		rc = who(cfg, t, tok_addr, e->address, e, &other, &not_sent);
		if (rc < 0)
			return rc;
		if (rc == 0)
			continue;
		if (t > 0) {
			e->campaign_id = campaign;
			e->contact_id = contact;
		}
		mc_strlcpy(e->status, rc2->status, sizeof(e->status));
		if ((rc = apply(cfg, e, rc2->diagnostic, out->source, now)) < 0)
			return rc;
		out->neffects++;
		if (t > 0)
			break; /* one token, one recipient */
	}
	if (out->neffects > 0 || (t > 0 && acts == 0)) {
		out->verdict =
		    out->neffects > 0 ? INGEST_APPLIED : INGEST_NO_ACTION;
		out->dispose = true;
		return 0;
	}
	if (t > 0 && other > 0) {
		snprintf(out->note, sizeof(out->note),
		         "the token is for %s; the report is for ", tok_addr);
		note_rcpts(out, r);
		return unapplied(cfg, out, INGEST_OTHER_RCPT, campaign, now);
	}
	note_rcpts(out, r);
	return unapplied(cfg, out,
	                 not_sent ? INGEST_NOT_SENT : INGEST_NO_ACTION, 0, now);
}

/* Not a report: a mailto unsubscribe request (acting on its token's
 * contact, never on its From), or something else. */
static int
apply_other(const struct ingest_config *cfg, const char *msg, size_t len,
            struct ingest_result *out, time_t now)
{
	char from[STORE_ADDRESS_MAX + 1], stok[HEADER_MAX + 1],
	    rtok[HEADER_MAX + 1];
	struct ingest_effect *e;
	int64_t campaign, contact;
	int rc, t;

	if (!unsub_request(msg, len, stok, rtok, sizeof(stok), from,
	                   sizeof(from))) {
		out->kind = INGEST_NOT_BOUNCE;
		out->verdict = INGEST_IGNORED;
		return 0;
	}
	out->kind = INGEST_UNSUBSCRIBE;
	t = match_token(cfg, rtok, &campaign, &contact);
	if (t <= 0) {
		int t2 = match_token(cfg, stok, &campaign, &contact);
		t = t2 != 0 ? t2 : t;
	}
	if (t <= 0) {
		snprintf(out->note, sizeof(out->note),
		         "the sender %s is not unsubscribed",
		         from[0] ? from : "(none)");
		return unapplied(cfg, out,
		                 t == 0 ? INGEST_NO_TOKEN : INGEST_BAD_TOKEN, 0,
		                 now);
	}
	e = effect_new(out, 1);
	rc = ledger_sent(cfg, &campaign, contact, e->address,
	                 sizeof(e->address));
	if (rc == MC_ENOTFOUND) {
		snprintf(out->note, sizeof(out->note),
		         "campaign %lld sent nothing to contact %lld",
		         (long long)campaign, (long long)contact);
		return unapplied(cfg, out, INGEST_NOT_SENT, campaign, now);
	}
	if (rc < 0)
		return rc;
	e->action = BOUNCE_ACTION_UNSUBSCRIBE;
	e->campaign_id = campaign;
	e->contact_id = contact;
	if ((rc = apply(cfg, e, NULL, out->source, now)) < 0)
		return rc;
	out->neffects++;
	out->verdict = INGEST_APPLIED;
	out->dispose = true;
	if (from[0] && strcmp(from, e->address) != 0)
		snprintf(out->note, sizeof(out->note),
		         "sent by %s, not unsubscribed", from);
	return 0;
}

/* Remember the message in the mailbox memory (inside the transaction). */
static int
remember(const struct ingest_config *cfg, const struct ingest_seen *seen,
         const struct ingest_result *out, time_t now)
{
	int state;

	if (seen == NULL || seen->mailbox == NULL)
		return 0;
	state = out->dispose && seen->will_dispose ? STORE_SEEN_HANDLED
	                                           : STORE_SEEN_DONE;
	return store_mailbox_seen_put(cfg->store, seen->mailbox, seen->uid,
	                              state, ingest_kind_name(out->kind), now);
}

/* Parse one message and apply it. */
int
ingest_message(const struct ingest_config *cfg, const char *msg, size_t len,
               const char *fallback_id, const struct ingest_seen *seen,
               time_t now, struct ingest_result *out)
{
	struct bounce_result r;
	char err[256];
	int rc, prc;

	memset(out, 0, sizeof(*out));
	out->verdict = INGEST_IGNORED;
	if (!ingest_message_id(msg, len, out->source, sizeof(out->source)))
		mc_strlcpy(out->source, fallback_id ? fallback_id : "?",
		           sizeof(out->source));
	bounce_result_init(&r);
	prc = bounce_parse(msg, len, &r, err, sizeof(err));
	if ((rc = store_begin(cfg->store)) < 0)
		goto done;
	if (prc != 0) {
		out->kind = INGEST_SKIPPED;
		mc_strlcpy(out->skip, err, sizeof(out->skip));
	} else if (r.kind == BOUNCE_KIND_BOUNCE ||
	           r.kind == BOUNCE_KIND_COMPLAINT) {
		rc = apply_report(cfg, &r, out, now);
	} else if (r.kind == BOUNCE_KIND_AUTO_REPLY) {
		out->kind = INGEST_AUTO_REPLY;
	} else {
		rc = apply_other(cfg, msg, len, out, now);
	}
	if (rc == 0)
		rc = remember(cfg, seen, out, now);
	if (rc == 0)
		rc = store_commit(cfg->store);
	if (rc < 0) {
		store_rollback(cfg->store);
		ingest_result_fini(out);
	}
done:
	bounce_result_fini(&r);
	return rc;
}

/* A message that may come twice: once by its Message-ID. */
int
ingest_once(const struct ingest_config *cfg, const char *msg, size_t len,
            const char *mailbox, time_t now, struct ingest_result *out)
{
	char id[1000];
	struct ingest_seen seen = {.mailbox = mailbox, .uid = id};
	int rc, state;

	memset(out, 0, sizeof(*out));
	if (!ingest_message_id(msg, len, id, sizeof(id)))
		return ingest_message(cfg, msg, len, "stdin", NULL, now, out);
	rc = store_mailbox_seen_get(cfg->store, mailbox, id, &state);
	if (rc == 0) {
		out->kind = INGEST_ALREADY;
		mc_strlcpy(out->source, id, sizeof(out->source));
		return 0;
	}
	if (rc != MC_ENOTFOUND)
		return rc;
	return ingest_message(cfg, msg, len, "stdin", &seen, now, out);
}

/* A message not parsed: remembered as skipped. */
int
ingest_skip(const struct ingest_config *cfg, const struct ingest_seen *seen,
            const char *why, time_t now, struct ingest_result *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = INGEST_SKIPPED;
	mc_strlcpy(out->skip, why, sizeof(out->skip));
	return remember(cfg, seen, out, now);
}

/* CPU seconds of this process. */
static double
cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A whole regular file of at most max bytes (NULL: errno says why; EFBIG
 * with *len its size when larger). */
static char *
read_whole(const char *path, size_t max, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	struct stat st;
	char *data = NULL;

	*len = 0;
	if (fp == NULL)
		return NULL;
	if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode))
		errno = EINVAL;
	else if ((*len = (size_t)st.st_size) > max)
		errno = EFBIG;
	else if ((data = xmalloc(*len + 1)) != NULL &&
	         fread(data, 1, *len, fp) != *len) {
		free(data);
		data = NULL;
		errno = EIO;
	}
	if (data)
		data[*len] = '\0';
	fclose(fp);
	return data;
}

/* Parse a message file. */
int
ingest_parse_file(const char *path, long repeat, struct bounce_result *r,
                  double *cpu, char *err, size_t errsz)
{
	size_t len;
	char *data = read_whole(path, BOUNCE_MAX_SIZE, &len);
	int rc = 0;
	double t0;

	*cpu = 0;
	if (data == NULL && errno == EFBIG) /* the parser names the limit */
		return bounce_parse(NULL, len, r, err, errsz);
	if (data == NULL) {
		snprintf(err, errsz, "%s", strerror(errno));
		return MC_EIO;
	}
	t0 = cpu_seconds();
	for (long k = 0; k < repeat; k++)
		rc = bounce_parse(data, len, r, err, errsz);
	*cpu = cpu_seconds() - t0;
	free(data);
	return rc;
}

/* Free a result's effects. */
void
ingest_result_fini(struct ingest_result *r)
{
	free(r->effects);
	r->effects = NULL;
	r->neffects = 0;
}

/* Count one result. */
void
ingest_tally_add(struct ingest_tally *t, const struct ingest_result *r)
{
	switch (r->kind) {
	case INGEST_BOUNCE:
		t->bounces++;
		break;
	case INGEST_COMPLAINT:
		t->complaints++;
		break;
	case INGEST_UNSUBSCRIBE:
		t->unsubscribes++;
		break;
	case INGEST_AUTO_REPLY:
		t->auto_replies++;
		break;
	case INGEST_SKIPPED:
		t->skipped++;
		break;
	case INGEST_ALREADY:
		t->already++;
		break;
	default:
		t->other++;
		break;
	}
	if (r->verdict == INGEST_NO_TOKEN || r->verdict == INGEST_BAD_TOKEN)
		t->unverified++;
	else if (r->verdict == INGEST_NOT_SENT ||
	         r->verdict == INGEST_OTHER_RCPT)
		t->ignored++;
	for (size_t i = 0; i < r->neffects; i++) {
		const struct ingest_effect *e = &r->effects[i];
		if (e->action == BOUNCE_ACTION_SUPPRESS)
			t->hard++;
		else if (e->action == BOUNCE_ACTION_COUNT_SOFT)
			t->soft++;
		else if (e->action == BOUNCE_ACTION_RECORD)
			t->recorded++;
		if (e->suppressed)
			t->suppressed++;
	}
}

/* The store's keys and key_file's (see ingest.h). */
int
ingest_keys_load(struct ingest_config *cfg, const char *key_file, char *err,
                 size_t errsz)
{
	struct token_key k;
	int rc;

	rc = token_keys_load(cfg->store, false, &cfg->keys, err, errsz);
	if (rc == MC_ENOTFOUND)
		rc = 0; /* no campaign has signed anything yet */
	if (rc < 0 || key_file == NULL)
		return rc;
	secret_file_check(key_file, "token key");
	if ((rc = token_key_load(&k, key_file, err, errsz)) < 0)
		return rc;
	if (!token_keyring_has(&cfg->keys, &k))
		rc = token_keyring_add(&cfg->keys, &k, 0);
	token_key_wipe(&k);
	if (rc < 0)
		snprintf(err, errsz, "%s: too many token keys", key_file);
	return rc;
}

/* One message from a file or a pipe (see ingest.h). */
int
ingest_file(const struct ingest_config *cfg, const char *path, size_t max_size,
            struct ingest_result *r, char *err, size_t errsz)
{
	unsigned char *data = NULL;
	size_t len;
	int rc;

	memset(r, 0, sizeof(*r));
	if (app_read_file(path, max_size, &data, &len, err, errsz) != 0 ||
	    len == 0) {
		if (data != NULL)
			snprintf(err, errsz, "empty message");
		free(data);
		return MC_EDATA;
	}
	rc = ingest_once(cfg, (char *)data, len, "ingest", time(NULL), r);
	free(data);
	if (rc < 0) {
		snprintf(err, errsz,
		         "the store failed (%s); the MTA should retry",
		         store_error(cfg->store));
		return MC_EIO;
	}
	return 0;
}

/* The summary sentence of a tally. */
void
ingest_tally_text(const struct ingest_tally *t, char *out, size_t outsz)
{
	snprintf(out, outsz,
	         "%lu bounces (%lu hard, %lu soft recipients), %lu "
	         "complaints, %lu unsubscribe requests, %lu auto-replies, %lu "
	         "other, %lu skipped, %lu already handled; %lu newly "
	         "suppressed, %lu moved or deleted; %lu unverified, %lu "
	         "ignored (not sent by us)",
	         t->bounces, t->hard, t->soft, t->complaints, t->unsubscribes,
	         t->auto_replies, t->other, t->skipped, t->already,
	         t->suppressed, t->disposed, t->unverified, t->ignored);
}
