/*
 * policy.c — reason/class/code -> action: the one bounce policy (policy.h
 * has the rules).  Both the campaign engine (a 5xx while sending) and the
 * mailbox poller (a bounce that came back) decide here.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "bounce/policy.h"

static const char *const action_names[] = {
#define BOUNCE_ACTION_NAME(name, text) text,
    BOUNCE_ACTIONS(BOUNCE_ACTION_NAME)
#undef BOUNCE_ACTION_NAME
};

/* Name of an action. */
const char *
bounce_action_name(enum bounce_action a)
{
	return (unsigned)a < BOUNCE_ACTION__COUNT ? action_names[a] : NULL;
}

/* Action from its name, or -1. */
int
bounce_action_parse(const char *name)
{
	for (int i = 0; i < BOUNCE_ACTION__COUNT; i++)
		if (strcmp(action_names[i], name) == 0)
			return i;
	return -1;
}

/* A status "C.S.D" with subject s and detail d (d < 0: any detail)? */
static bool
status_is(const char *st, char subject, int detail)
{
	const char *p;

	if (st == NULL || (st[0] != '4' && st[0] != '5') || st[1] != '.' ||
	    st[2] != subject || st[3] != '.')
		return false;
	if (detail < 0)
		return true;
	p = st + 4;
	if (*p < '0' || *p > '9')
		return false;
	int v = 0;
	for (; *p >= '0' && *p <= '9' && v < 1000; p++)
		v = v * 10 + (*p - '0');
	return *p == '\0' && v == detail;
}

/* Permanent: 5.X.X, else a 5xx reply, else no word either way (a DSN
 * with action "failed" and nothing more is taken as permanent). */
static bool
permanent(const struct bounce_verdict *v)
{
	if (v->status != NULL && v->status[0] != '\0')
		return v->status[0] == '5';
	if (v->reply_code != 0)
		return v->reply_code >= 500 && v->reply_code < 600;
	return true;
}

/* The action for one recipient. */
enum bounce_action
bounce_policy_action(const struct bounce_verdict *v)
{
	enum bounce_class cls = v->cls;
	bool address_bad;

	if (cls == BOUNCE_CLASS_UNKNOWN)
		cls = bounce_reason_class(v->reason, v->status, NULL);
	if (cls == BOUNCE_CLASS_COMPLAINT ||
	    v->reason == BOUNCE_REASON_FEEDBACK)
		return BOUNCE_ACTION_COMPLAINT;
	if (v->dsn_action != NULL && v->dsn_action[0] != '\0' &&
	    strcasecmp(v->dsn_action, "failed") != 0)
		return BOUNCE_ACTION_IGNORE; /* not (yet) a failure */
	if (cls == BOUNCE_CLASS_AUTO_REPLY || cls == BOUNCE_CLASS_NOT_BOUNCE ||
	    v->reason == BOUNCE_REASON_VACATION ||
	    v->reason == BOUNCE_REASON_DELIVERED)
		return BOUNCE_ACTION_IGNORE;

	address_bad = v->reason == BOUNCE_REASON_USER_UNKNOWN ||
	              v->reason == BOUNCE_REASON_HOST_UNKNOWN ||
	              v->reason == BOUNCE_REASON_HAS_MOVED;
	/* Our envelope sender's problem, not the recipient's. */
	if (status_is(v->status, '1', 7) || status_is(v->status, '1', 8))
		return BOUNCE_ACTION_RECORD;
	/* Security or policy: about our standing, never the address. */
	if (status_is(v->status, '7', -1))
		return address_bad ? BOUNCE_ACTION_COUNT_SOFT
		                   : BOUNCE_ACTION_RECORD;

	switch (v->reason) {
	case BOUNCE_REASON_USER_UNKNOWN:
	case BOUNCE_REASON_HOST_UNKNOWN:
	case BOUNCE_REASON_HAS_MOVED:
		return permanent(v) ? BOUNCE_ACTION_SUPPRESS
		                    : BOUNCE_ACTION_COUNT_SOFT;
	case BOUNCE_REASON_BLOCKED:
	case BOUNCE_REASON_SPAM:
	case BOUNCE_REASON_FILTERED:
	case BOUNCE_REASON_POLICY:
	case BOUNCE_REASON_RATE_LIMITED:
	case BOUNCE_REASON_TOO_BIG:
		return BOUNCE_ACTION_RECORD;
	case BOUNCE_REASON_UNDEFINED:
		return cls == BOUNCE_CLASS_HARD || cls == BOUNCE_CLASS_SOFT
		           ? BOUNCE_ACTION_COUNT_SOFT
		           : BOUNCE_ACTION_RECORD;
	default: /* mailbox full, suspended, expired, system, network, ... */
		return BOUNCE_ACTION_COUNT_SOFT;
	}
}

/* A refusal met while sending. */
enum bounce_action
bounce_policy_reply(int code, const char *enhanced, const char *text,
                    struct bounce_verdict *v)
{
	const char *st = enhanced != NULL && enhanced[0] ? enhanced : NULL;

	v->reply_code = code;
	v->status = st;
	v->dsn_action = NULL;
	v->reason = bounce_classify_reason(text, st, code);
	v->cls = bounce_reason_class(v->reason, st, NULL);
	return bounce_policy_action(v);
}

/* Has the soft-bounce count reached the threshold? */
bool
bounce_policy_soft_exceeded(const struct bounce_policy_soft *p, long count)
{
	return p->limit >= 1 && count >= p->limit;
}
