/*
 * policy.h — the one bounce policy: what mailcast does about a recipient
 * once a receiving server has said no, whether the refusal came back as a
 * bounce (the mailbox poller, `bounces ingest`) or arrived as a 5xx while
 * sending (the campaign engine).  Both paths call bounce_policy_action(),
 * so a code means the same thing wherever it is seen.
 *
 * The rules, in order (RFC 3463 for the codes):
 *  - a complaint (ARF) unsubscribes and suppresses;
 *  - auto-replies and delivery notices are ignored, and so is a DSN
 *    recipient whose action is not "failed" (delayed, delivered, relayed,
 *    expanded: the message may still arrive);
 *  - sender-side codes never suppress the recipient: X.1.7 and X.1.8 are
 *    about our own envelope sender, X.7.X about our security or policy
 *    standing (a block, a DMARC or spam verdict): recorded, nothing more,
 *    except that a "no such user" text under X.7.X still counts as soft;
 *  - "the address is bad" (user or host unknown, moved) suppresses when the
 *    refusal is permanent (5xx / 5.X.X); a temporary one only counts;
 *  - trouble with the mailbox that may pass (full, disabled, expired,
 *    system or network errors, an unexplained refusal) counts towards the
 *    soft-bounce threshold;
 *  - refusals of the message rather than the address (content, spam,
 *    blocklists, rate limits, size) are recorded only.
 * No I/O; pure functions of their arguments.
 */
#ifndef MC_BOUNCE_POLICY_H
#define MC_BOUNCE_POLICY_H

#include <stdbool.h>

#include "bounce/bounce.h"

#define BOUNCE_ACTIONS(X)                                                      \
	X(IGNORE, "ignore")           /* not a failure: nothing to record */   \
	X(RECORD, "record")           /* a bounce row, no effect */            \
	X(COUNT_SOFT, "count-soft")   /* counts towards the soft threshold */  \
	X(SUPPRESS, "suppress")       /* the address is bad: suppress now */   \
	X(COMPLAINT, "complaint")     /* suppress, contact complained */       \
	X(UNSUBSCRIBE, "unsubscribe") /* suppress, contact unsubscribed */

enum bounce_action {
#define BOUNCE_ACTION_ENUM(name, text) BOUNCE_ACTION_##name,
	BOUNCE_ACTIONS(BOUNCE_ACTION_ENUM)
#undef BOUNCE_ACTION_ENUM
	    BOUNCE_ACTION__COUNT
};

/* What one recipient's failure was, as the parser or the engine saw it. */
struct bounce_verdict {
	enum bounce_class cls; /* BOUNCE_CLASS_UNKNOWN: from reason */
	enum bounce_reason reason;
	const char *status;     /* "5.1.1", or NULL/"" when none */
	int reply_code;         /* 550, or 0 when none */
	const char *dsn_action; /* the DSN's "failed", "delayed"...; NULL/"" */
};

/* The action for one recipient (see the rules above). */
enum bounce_action bounce_policy_action(const struct bounce_verdict *v);

/*
 * A refusal met while sending: classify the reply (code, enhanced code or
 * "", text) as the parser would, fill *v (its status points at enhanced)
 * and return the action.
 */
enum bounce_action bounce_policy_reply(int code, const char *enhanced,
                                       const char *text,
                                       struct bounce_verdict *v);

/* The soft-bounce threshold: suppress once `limit` soft bounces of one
 * address fall within `days` days. */
struct bounce_policy_soft {
	int limit; /* >= 1 */
	int days;  /* >= 1 */
};
#define BOUNCE_POLICY_SOFT_LIMIT 3
#define BOUNCE_POLICY_SOFT_DAYS  30

/* Does a count of soft bounces within the window reach the threshold? */
bool bounce_policy_soft_exceeded(const struct bounce_policy_soft *p,
                                 long count);

/* "suppress", ...; NULL out of range. */
const char *bounce_action_name(enum bounce_action a);
/* Action from its name, or -1. */
int bounce_action_parse(const char *name);

#endif
