/*
 * classify.c — the reason table: diagnostic text and status codes to a
 * reason, and a reason to the class a sender acts on.
 *
 * Text decides first, because MTAs put the wrong enhanced code on many
 * replies ("550 5.1.1 mailbox full" is common); the status code decides
 * when no phrase of the table matches.  Phrases are lower case and matched
 * as substrings of the lower-cased diagnostic; the table is ordered so that
 * the more specific failure wins: a refused sender before anything about
 * the recipient ("553 5.1.8 domain of sender address does not exist" is
 * not a bad recipient), a full mailbox before an unknown user ("mailbox
 * unavailable: over quota"), a domain before a user.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce/bounce.h"
#include "bounce/bounce_impl.h"

struct reason_rule {
	enum bounce_reason reason;
	const char *phrase;
};

/* One product's own wording, tagged with its families (vendor.c); tried
 * before the general table. */
struct vendor_rule {
	enum bounce_reason reason;
	const char *phrase;
	const char *family;
};

static const struct vendor_rule vendor_rules[] = {
    {BOUNCE_REASON_USER_UNKNOWN, "account that you tried to reach does not",
     "gmail,google,gsuite,googleapps,googleworkspace"},
    /* InterScan MSS: "Unable to deliver message to <x> (and other
     * recipients in the same domain). Please check if address is
     * correct." */
    {BOUNCE_REASON_USER_UNKNOWN, "check if address is correct", "interscanmss"},
};

static const struct reason_rule reason_rules[] = {
    /* Delivery reports that are not failures. */
    {BOUNCE_REASON_DELIVERED, "delivered to mailbox"},
    /* The sender, not the recipient, was refused: soft. */
    {BOUNCE_REASON_REJECTED, "sender address rejected"},
    {BOUNCE_REASON_REJECTED, "domain of sender"},
    {BOUNCE_REASON_REJECTED, "sender domain"},
    {BOUNCE_REASON_REJECTED, "after mail from"},
    {BOUNCE_REASON_REJECTED, "sender verify"},
    {BOUNCE_REASON_REJECTED, "sender rejected"},
    {BOUNCE_REASON_REJECTED, "malformed address"},
    {BOUNCE_REASON_REJECTED, "5.1.7"},
    {BOUNCE_REASON_REJECTED, "5.1.8"},
    /* Local delivery programs failing. */
    {BOUNCE_REASON_SYSTEM, "procmail"},
    {BOUNCE_REASON_SYSTEM, "couldn't create"},
    {BOUNCE_REASON_SYSTEM, "pipe to |"},
    {BOUNCE_REASON_SYSTEM, "mailer error"},
    {BOUNCE_REASON_SYSTEM, "command died"},
    {BOUNCE_REASON_SYSTEM, "exited with"},
    {BOUNCE_REASON_HOST_UNKNOWN, "host or domain name not found"},
    /* DNS trouble that may pass (a lookup failed, not "no such domain"). */
    {BOUNCE_REASON_NETWORK, "name service error"},
    {BOUNCE_REASON_NETWORK, "dns error"},
    {BOUNCE_REASON_NETWORK, "name server reply"},
    {BOUNCE_REASON_NETWORK, "host not found, try again"},
    {BOUNCE_REASON_NETWORK, "protocol error"},
    {BOUNCE_REASON_NETWORK, "connection reset"},
    /* A null MX (RFC 7505, 5.1.10): the domain takes no mail, ever. */
    {BOUNCE_REASON_HOST_UNKNOWN, "null mx"},
    {BOUNCE_REASON_HOST_UNKNOWN, "doesn't receive email"},
    /* Sending quotas are rate limits, not a full mailbox. */
    {BOUNCE_REASON_RATE_LIMITED, "sending quota"},
    {BOUNCE_REASON_RATE_LIMITED, "send quota"},
    {BOUNCE_REASON_RATE_LIMITED, "daily quota"},
    {BOUNCE_REASON_RATE_LIMITED, "hourly quota"},
    {BOUNCE_REASON_RATE_LIMITED, "rate limit"},
    /* A full mailbox: soft, whatever code came with it. */
    {BOUNCE_REASON_MAILBOX_FULL, "mailbox full"},
    {BOUNCE_REASON_MAILBOX_FULL, "mailbox is full"},
    {BOUNCE_REASON_MAILBOX_FULL, "mailbox size limit"},
    {BOUNCE_REASON_MAILBOX_FULL, "mail box full"},
    {BOUNCE_REASON_MAILBOX_FULL, "mailfolder is full"},
    {BOUNCE_REASON_MAILBOX_FULL, "over quota"},
    {BOUNCE_REASON_MAILBOX_FULL, "overquota"},
    {BOUNCE_REASON_MAILBOX_FULL, "quota exceeded"},
    {BOUNCE_REASON_MAILBOX_FULL, "exceeded storage"},
    {BOUNCE_REASON_MAILBOX_FULL, "exceeds its quota"},
    {BOUNCE_REASON_MAILBOX_FULL, "disk quota"},
    {BOUNCE_REASON_MAILBOX_FULL, "insufficient storage"},
    {BOUNCE_REASON_MAILBOX_FULL, "insufficient disk space"},
    {BOUNCE_REASON_MAILBOX_FULL, "not enough storage"},
    {BOUNCE_REASON_MAILBOX_FULL, "full mailbox"},
    {BOUNCE_REASON_MAILBOX_FULL, "quota full"},
    {BOUNCE_REASON_MAILBOX_FULL, "user is over"},
    {BOUNCE_REASON_MAILBOX_FULL, "account is full"},
    {BOUNCE_REASON_MAILBOX_FULL, "space limit"},
    {BOUNCE_REASON_MAILBOX_FULL, "mailbox exceeded"},
    {BOUNCE_REASON_MAILBOX_FULL, "exceeded the local limit"},
    {BOUNCE_REASON_MAILBOX_FULL, "mailbox has exceeded"},
    {BOUNCE_REASON_MAILBOX_FULL, "mailbox exceeds"},
    {BOUNCE_REASON_MAILBOX_FULL, "exceeds allowed size"},
    {BOUNCE_REASON_MAILBOX_FULL, "storage allocation"},
    {BOUNCE_REASON_MAILBOX_FULL, "out of storage"},
    {BOUNCE_REASON_MAILBOX_FULL, "storage quota"},
    {BOUNCE_REASON_MAILBOX_FULL, "inbox is full"},
    {BOUNCE_REASON_MAILBOX_FULL, "inbox full"},
    {BOUNCE_REASON_MAILBOX_FULL, "box is full"},
    {BOUNCE_REASON_MAILBOX_FULL, "box was full"},
    {BOUNCE_REASON_MAILBOX_FULL, "is over its"},
    {BOUNCE_REASON_MAILBOX_FULL, "over the quota"},
    {BOUNCE_REASON_MAILBOX_FULL, "exceeded its quota"},
    {BOUNCE_REASON_MAILBOX_FULL, "exceeds quota"},
    {BOUNCE_REASON_MAILBOX_FULL, "too much mail"},
    {BOUNCE_REASON_MAILBOX_FULL, "quota"},
    /* Size. */
    {BOUNCE_REASON_TOO_BIG, "message too big"},
    {BOUNCE_REASON_TOO_BIG, "message too large"},
    {BOUNCE_REASON_TOO_BIG, "message is too large"},
    {BOUNCE_REASON_TOO_BIG, "message size exceeds"},
    {BOUNCE_REASON_TOO_BIG, "exceeds size limit"},
    {BOUNCE_REASON_TOO_BIG, "size limit exceeded"},
    {BOUNCE_REASON_TOO_BIG, "message length exceeds"},
    {BOUNCE_REASON_TOO_BIG, "exceeded max message size"},
    {BOUNCE_REASON_TOO_BIG, "exceeds the maximum"},
    /* Moved. */
    {BOUNCE_REASON_HAS_MOVED, "has moved"},
    {BOUNCE_REASON_HAS_MOVED, "address has changed"},
    {BOUNCE_REASON_HAS_MOVED, "no longer available at"},
    /* Unknown domain: hard. */
    {BOUNCE_REASON_HOST_UNKNOWN, "dns lookup failure"},
    {BOUNCE_REASON_HOST_UNKNOWN, "domain may not exist"},
    {BOUNCE_REASON_HOST_UNKNOWN, "domain is not reachable"},
    {BOUNCE_REASON_HOST_UNKNOWN, "indicated no smtp service"},
    {BOUNCE_REASON_HOST_UNKNOWN, "host unknown"},
    {BOUNCE_REASON_HOST_UNKNOWN, "unknown host"},
    {BOUNCE_REASON_HOST_UNKNOWN, "host not found"},
    {BOUNCE_REASON_HOST_UNKNOWN, "host or domain name not found"},
    {BOUNCE_REASON_HOST_UNKNOWN, "domain not found"},
    {BOUNCE_REASON_HOST_UNKNOWN, "domain does not exist"},
    {BOUNCE_REASON_HOST_UNKNOWN, "domain name not found"},
    {BOUNCE_REASON_HOST_UNKNOWN, "no such domain"},
    {BOUNCE_REASON_HOST_UNKNOWN, "unknown domain"},
    {BOUNCE_REASON_HOST_UNKNOWN, "name or service not known"},
    {BOUNCE_REASON_HOST_UNKNOWN, "unrouteable mail domain"},
    {BOUNCE_REASON_HOST_UNKNOWN, "unroutable mail domain"},
    {BOUNCE_REASON_HOST_UNKNOWN, "nxdomain"},
    {BOUNCE_REASON_HOST_UNKNOWN, "no mx"},
    {BOUNCE_REASON_HOST_UNKNOWN, "mx points to"},
    {BOUNCE_REASON_HOST_UNKNOWN, "point to non-existent hosts"},
    {BOUNCE_REASON_HOST_UNKNOWN, "unknown mail domain"},
    {BOUNCE_REASON_HOST_UNKNOWN, "illegal host/domain"},
    {BOUNCE_REASON_HOST_UNKNOWN, "domain is not configured"},
    {BOUNCE_REASON_HOST_UNKNOWN, "does not accept mail"},
    {BOUNCE_REASON_HOST_UNKNOWN, "domain couldn't be found"},
    {BOUNCE_REASON_HOST_UNKNOWN, "domain could not be found"},
    {BOUNCE_REASON_HOST_UNKNOWN, "host could not be found"},
    /* Unknown user: hard. */
    {BOUNCE_REASON_USER_UNKNOWN, "user unknown"},
    {BOUNCE_REASON_USER_UNKNOWN, "unknown user"},
    {BOUNCE_REASON_USER_UNKNOWN, "user not found"},
    {BOUNCE_REASON_USER_UNKNOWN, "no such user"},
    {BOUNCE_REASON_USER_UNKNOWN, "no such mailbox"},
    {BOUNCE_REASON_USER_UNKNOWN, "no such recipient"},
    {BOUNCE_REASON_USER_UNKNOWN, "no such address"},
    {BOUNCE_REASON_USER_UNKNOWN, "no such account"},
    {BOUNCE_REASON_USER_UNKNOWN, "no mailbox"},
    {BOUNCE_REASON_USER_UNKNOWN, "mailbox not found"},
    {BOUNCE_REASON_USER_UNKNOWN, "mailbox does not exist"},
    {BOUNCE_REASON_USER_UNKNOWN, "mailbox unavailable"},
    {BOUNCE_REASON_USER_UNKNOWN, "mailbox is unavailable"},
    {BOUNCE_REASON_USER_UNKNOWN, "invalid mailbox"},
    {BOUNCE_REASON_USER_UNKNOWN, "invalid recipient"},
    {BOUNCE_REASON_USER_UNKNOWN, "invalid address"},
    {BOUNCE_REASON_USER_UNKNOWN, "recipient not found"},
    {BOUNCE_REASON_USER_UNKNOWN, "recipient unknown"},
    {BOUNCE_REASON_USER_UNKNOWN, "unknown recipient"},
    {BOUNCE_REASON_USER_UNKNOWN, "recipient does not exist"},
    {BOUNCE_REASON_USER_UNKNOWN, "recipient rejected"},
    {BOUNCE_REASON_USER_UNKNOWN, "address unknown"},
    {BOUNCE_REASON_USER_UNKNOWN, "unknown address"},
    {BOUNCE_REASON_USER_UNKNOWN, "address does not exist"},
    {BOUNCE_REASON_USER_UNKNOWN, "address not found"},
    {BOUNCE_REASON_USER_UNKNOWN, "account does not exist"},
    {BOUNCE_REASON_USER_UNKNOWN, "does not exist"},
    {BOUNCE_REASON_USER_UNKNOWN, "doesn't exist"},
    {BOUNCE_REASON_USER_UNKNOWN, "doesn't have a"},
    {BOUNCE_REASON_USER_UNKNOWN, "not listed in"},
    {BOUNCE_REASON_USER_UNKNOWN, "unrouteable address"},
    {BOUNCE_REASON_USER_UNKNOWN, "unroutable address"},
    {BOUNCE_REASON_USER_UNKNOWN, "not a valid mailbox"},
    {BOUNCE_REASON_USER_UNKNOWN, "is not a valid"},
    {BOUNCE_REASON_USER_UNKNOWN, "bad destination mailbox"},
    {BOUNCE_REASON_USER_UNKNOWN, "no valid recipients"},
    {BOUNCE_REASON_USER_UNKNOWN, "not our customer"},
    {BOUNCE_REASON_USER_UNKNOWN, "unknown local part"},
    {BOUNCE_REASON_USER_UNKNOWN, "no such local user"},
    {BOUNCE_REASON_USER_UNKNOWN, "user doesn't have"},
    /* Postfix's deferral ("delivery temporarily suspended: connect to
     * ...: Connection timed out") returned at the end of the queue
     * lifetime is not a suspended account. */
    {BOUNCE_REASON_EXPIRED, "temporarily suspended"},
    /* Suspended or disabled accounts: soft (the address exists). */
    {BOUNCE_REASON_SUSPENDED, "account disabled"},
    {BOUNCE_REASON_SUSPENDED, "account is disabled"},
    {BOUNCE_REASON_SUSPENDED, "has been disabled"},
    {BOUNCE_REASON_SUSPENDED, "account has been suspended"},
    {BOUNCE_REASON_SUSPENDED, "is suspended"},
    {BOUNCE_REASON_SUSPENDED, "suspended"},
    {BOUNCE_REASON_SUSPENDED, "inactive"},
    {BOUNCE_REASON_SUSPENDED, "is deactivated"},
    {BOUNCE_REASON_SUSPENDED, "temporarily disabled"},
    {BOUNCE_REASON_SUSPENDED, "mailbox is frozen"},
    {BOUNCE_REASON_SUSPENDED, "account is locked"},
    {BOUNCE_REASON_SUSPENDED, "disabled"},
    /* Time. */
    {BOUNCE_REASON_EXPIRED, "retry time"},
    {BOUNCE_REASON_EXPIRED, "retry timeout"},
    {BOUNCE_REASON_EXPIRED, "delivery time expired"},
    {BOUNCE_REASON_EXPIRED, "has been delayed"},
    {BOUNCE_REASON_EXPIRED, "could not be delivered for"},
    {BOUNCE_REASON_EXPIRED, "message expired"},
    {BOUNCE_REASON_EXPIRED, "giving up"},
    {BOUNCE_REASON_EXPIRED, "timed out"},
    {BOUNCE_REASON_EXPIRED, "timeout"},
    {BOUNCE_REASON_EXPIRED, "too long"},
    {BOUNCE_REASON_EXPIRED, "attempts"},
    {BOUNCE_REASON_EXPIRED, "failing for a long time"},
    /* Content filters and security gateways. */
    {BOUNCE_REASON_FILTERED, "content filter"},
    {BOUNCE_REASON_FILTERED, "filtered"},
    {BOUNCE_REASON_FILTERED, "filter"},
    {BOUNCE_REASON_FILTERED, "content policy"},
    {BOUNCE_REASON_FILTERED, "prohibited"},
    {BOUNCE_REASON_FILTERED, "attachment"},
    {BOUNCE_REASON_SPAM, "media error"},
    {BOUNCE_REASON_SPAM, "spam"},
    {BOUNCE_REASON_SPAM, "junk mail"},
    {BOUNCE_REASON_SPAM, "virus"},
    {BOUNCE_REASON_SPAM, "malware"},
    {BOUNCE_REASON_SPAM, "content rejected"},
    {BOUNCE_REASON_SPAM, "message content"},
    {BOUNCE_REASON_SPAM, "phish"},
    {BOUNCE_REASON_SPAM, "suspicious"},
    /* Policy and authentication. */
    {BOUNCE_REASON_POLICY, "dmarc"},
    {BOUNCE_REASON_POLICY, "spf"},
    {BOUNCE_REASON_POLICY, "dkim"},
    {BOUNCE_REASON_POLICY, "policy"},
    {BOUNCE_REASON_POLICY, "not authorized"},
    {BOUNCE_REASON_POLICY, "authentication"},
    {BOUNCE_REASON_POLICY, "access denied"},
    {BOUNCE_REASON_POLICY, "relay access denied"},
    {BOUNCE_REASON_POLICY, "relaying denied"},
    {BOUNCE_REASON_POLICY, "relay not permitted"},
    {BOUNCE_REASON_POLICY, "starttls"},
    {BOUNCE_REASON_POLICY, "reverse dns"},
    {BOUNCE_REASON_POLICY, "ptr record"},
    {BOUNCE_REASON_POLICY, "reverse hostname"},
    {BOUNCE_REASON_POLICY, "not permitted"},
    {BOUNCE_REASON_POLICY, "syntax error"},
    {BOUNCE_REASON_POLICY, "rfc 5322"},
    {BOUNCE_REASON_POLICY, "rfc5322"},
    {BOUNCE_REASON_POLICY, "not accepted"},
    {BOUNCE_REASON_POLICY, "security policy"},
    /* Mailing-list managers refusing a non-member's post. */
    {BOUNCE_REASON_REJECTED, "not a member"},
    {BOUNCE_REASON_REJECTED, "not member"},
    /* Blocked senders. */
    {BOUNCE_REASON_BLOCKED, "blocked"},
    {BOUNCE_REASON_BLOCKED, "blacklist"},
    {BOUNCE_REASON_BLOCKED, "blocklist"},
    {BOUNCE_REASON_BLOCKED, "block list"},
    {BOUNCE_REASON_BLOCKED, "denylist"},
    {BOUNCE_REASON_BLOCKED, "listed"},
    {BOUNCE_REASON_BLOCKED, "reputation"},
    {BOUNCE_REASON_BLOCKED, "banned"},
    {BOUNCE_REASON_BLOCKED, "rbl"},
    {BOUNCE_REASON_BLOCKED, "refused"},
    {BOUNCE_REASON_BLOCKED, "not allowed"},
    {BOUNCE_REASON_BLOCKED, "rejected by"},
    {BOUNCE_REASON_BLOCKED, "client host"},
    /* Rate limits. */
    {BOUNCE_REASON_RATE_LIMITED, "too many"},
    {BOUNCE_REASON_RATE_LIMITED, "rate limit"},
    {BOUNCE_REASON_RATE_LIMITED, "rate-limit"},
    {BOUNCE_REASON_RATE_LIMITED, "try again later"},
    {BOUNCE_REASON_RATE_LIMITED, "throttl"},
    {BOUNCE_REASON_RATE_LIMITED, "exceeded the limit"},
    {BOUNCE_REASON_RATE_LIMITED, "sending limit"},
    /* The network and the peer. */
    {BOUNCE_REASON_NETWORK, "connection refused"},
    {BOUNCE_REASON_NETWORK, "no route to host"},
    {BOUNCE_REASON_NETWORK, "network is unreachable"},
    {BOUNCE_REASON_NETWORK, "lost connection"},
    {BOUNCE_REASON_NETWORK, "connection reset"},
    {BOUNCE_REASON_NETWORK, "mail loop"},
    {BOUNCE_REASON_NETWORK, "loops back"},
    {BOUNCE_REASON_NETWORK, "too many hops"},
    /* The receiving system. */
    {BOUNCE_REASON_SYSTEM, "system error"},
    {BOUNCE_REASON_SYSTEM, "internal error"},
    {BOUNCE_REASON_SYSTEM, "temporary failure"},
    {BOUNCE_REASON_SYSTEM, "local error"},
    {BOUNCE_REASON_SYSTEM, "mailer error"},
    {BOUNCE_REASON_SYSTEM, "command died"},
    {BOUNCE_REASON_SYSTEM, "exited with"},
    {BOUNCE_REASON_USER_UNKNOWN, "address rejected"},
    {BOUNCE_REASON_USER_UNKNOWN, "address couldn't be found"},
    /* Office 365: "The email address you entered couldn't be found." */
    {BOUNCE_REASON_USER_UNKNOWN, "couldn't be found"},
    {BOUNCE_REASON_USER_UNKNOWN, "could not be found"},
    /* Anything else refused. */
    {BOUNCE_REASON_REJECTED, "sender address rejected"},
    {BOUNCE_REASON_REJECTED, "rejected"},
    {BOUNCE_REASON_REJECTED, "denied"},
    {BOUNCE_REASON_REJECTED, "administrative prohibition"},
};

/* ASCII lower case (the locale's tolower() is slower and not needed:
 * every needle is ASCII). */
static inline unsigned char
ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c | 0x20) : c;
}

/* Find the lower-case needle in hay, ignoring the case of hay. */
const char *
bounce_strcasestr(const char *hay, size_t haylen, const char *needle)
{
	size_t n = strlen(needle);
	const unsigned char *h = (const unsigned char *)hay;
	unsigned char first = (unsigned char)needle[0], upper = first;

	if (n == 0)
		return hay;
	if (haylen < n)
		return NULL;
	if (first >= 'a' && first <= 'z')
		upper = (unsigned char)(first - 0x20);
	for (size_t i = 0, last = haylen - n; i <= last; i++) {
		if (h[i] != first && h[i] != upper)
			continue;
		size_t k = 1;
		while (k < n &&
		       ascii_lower(h[i + k]) == (unsigned char)needle[k])
			k++;
		if (k == n)
			return hay + i;
	}
	return NULL;
}

/* The reason an enhanced status code implies, or UNDEFINED. */
static enum bounce_reason
reason_from_status(const char *status)
{
	int cls, subj, det;

	if (status == NULL ||
	    sscanf(status, "%d.%d.%d", &cls, &subj, &det) != 3)
		return BOUNCE_REASON_UNDEFINED;
	if (cls == 2)
		return BOUNCE_REASON_DELIVERED;
	switch (subj) {
	case 1:
		if (det == 1 || det == 0 || det == 3 || det == 10)
			return BOUNCE_REASON_USER_UNKNOWN;
		if (det == 2)
			return BOUNCE_REASON_HOST_UNKNOWN;
		if (det == 6)
			return BOUNCE_REASON_HAS_MOVED;
		return BOUNCE_REASON_REJECTED;
	case 2:
		if (det == 2)
			return BOUNCE_REASON_MAILBOX_FULL;
		if (det == 3)
			return BOUNCE_REASON_TOO_BIG;
		if (det == 1)
			return BOUNCE_REASON_SUSPENDED;
		return BOUNCE_REASON_MAILBOX_FULL;
	case 3:
		if (det == 4)
			return BOUNCE_REASON_TOO_BIG;
		return BOUNCE_REASON_SYSTEM;
	case 4:
		if (det == 7)
			return BOUNCE_REASON_EXPIRED;
		if (det == 4)
			return BOUNCE_REASON_HOST_UNKNOWN;
		return BOUNCE_REASON_NETWORK;
	case 5:
		return BOUNCE_REASON_SYSTEM;
	case 6:
		return BOUNCE_REASON_SPAM;
	case 7:
		return BOUNCE_REASON_POLICY;
	default:
		return BOUNCE_REASON_UNDEFINED;
	}
}

/*
 * RFC 3463 subject 1 details that say the address itself is bad: 5.1.1
 * (bad mailbox), 5.1.2 (bad system), 5.1.3 (bad mailbox syntax), 5.1.6
 * (moved) and 5.1.10 (null MX, RFC 7505), and the reply codes 521 and
 * 556 of RFC 7504.  When the text gave only a generic word ("rejected",
 * "denied", nothing at all), these decide.
 */
enum bounce_reason
bounce_status_first(enum bounce_reason reason, const char *status,
                    int reply_code)
{
	int cls, subj, det;

	if (reason != BOUNCE_REASON_UNDEFINED &&
	    reason != BOUNCE_REASON_REJECTED)
		return reason;
	/* RFC 7504: 521 and 556, the host or domain does not accept mail. */
	if (reply_code == 521 || reply_code == 556)
		return BOUNCE_REASON_HOST_UNKNOWN;
	if (status == NULL ||
	    sscanf(status, "%d.%d.%d", &cls, &subj, &det) != 3 || cls != 5 ||
	    subj != 1)
		return reason;
	if (det == 1 || det == 3)
		return BOUNCE_REASON_USER_UNKNOWN;
	if (det == 2 || det == 10)
		return BOUNCE_REASON_HOST_UNKNOWN;
	if (det == 6)
		return BOUNCE_REASON_HAS_MOVED;
	return reason;
}

/* May c be part of an address (local part or domain), not a quote or
 * bracket around it? */
static bool
addr_char(char c)
{
	return c != '\0' && !isspace((unsigned char)c) &&
	       strchr("<>()[]\",;:", c) == NULL;
}

/*
 * Blank the addresses in s[0..n): a local part ("spam-trap@",
 * "quota@") says nothing about why delivery failed.
 */
void
bounce_blank_addrs(char *s, size_t n)
{
	char *at = s, *end = s + n;

	while ((at = memchr(at, '@', (size_t)(end - at))) != NULL) {
		char *l = at, *r = at + 1;
		while (l > s && addr_char(l[-1]))
			l--;
		while (r < end && addr_char(*r))
			r++;
		memset(l, ' ', (size_t)(r - l));
		at = r;
	}
}

/* The reason for one diagnostic text, enhanced status and reply code. */
enum bounce_reason
bounce_classify_reason(const char *diagnostic, const char *status,
                       int reply_code)
{
	if (diagnostic != NULL && diagnostic[0] != '\0') {
		/* Lower-case once, then let strstr(3) do the scanning. */
		char low[BOUNCE_MAX_DIAGNOSTIC + 1];
		size_t n = 0;
		for (; diagnostic[n] != '\0' && n < BOUNCE_MAX_DIAGNOSTIC; n++)
			low[n] = (char)tolower((unsigned char)diagnostic[n]);
		low[n] = '\0';
		bounce_blank_addrs(low, n);
		for (size_t i = 0;
		     i < sizeof(vendor_rules) / sizeof(vendor_rules[0]); i++)
			if (strstr(low, vendor_rules[i].phrase) != NULL &&
			    bounce_vendor_on(vendor_rules[i].family))
				return vendor_rules[i].reason;
		for (size_t i = 0;
		     i < sizeof(reason_rules) / sizeof(reason_rules[0]); i++) {
			if (strstr(low, reason_rules[i].phrase) != NULL)
				return reason_rules[i].reason;
		}
	}
	if (status != NULL && status[0] != '\0') {
		enum bounce_reason r = reason_from_status(status);
		if (r != BOUNCE_REASON_UNDEFINED)
			return r;
	}
	if (reply_code >= 200 && reply_code < 300)
		return BOUNCE_REASON_DELIVERED;
	if (reply_code == 552)
		return BOUNCE_REASON_MAILBOX_FULL;
	if (reply_code >= 400)
		return BOUNCE_REASON_REJECTED;
	return BOUNCE_REASON_UNDEFINED;
}

/* The class a sender acts on, for a reason and the DSN action. */
enum bounce_class
bounce_reason_class(enum bounce_reason reason, const char *status,
                    const char *action)
{
	if (action != NULL &&
	    (strcmp(action, "delivered") == 0 ||
	     strcmp(action, "relayed") == 0 || strcmp(action, "expanded") == 0))
		return BOUNCE_CLASS_NOT_BOUNCE;
	switch (reason) {
	case BOUNCE_REASON_USER_UNKNOWN:
	case BOUNCE_REASON_HOST_UNKNOWN:
	case BOUNCE_REASON_HAS_MOVED:
		/* A delayed report (RFC 3464) says delivery goes on; RFC
		 * 3463 class 4 is a transient failure, so "4.4.0 host not
		 * found" is soft.  Only a 4.1.x (the address itself) in a
		 * final failure stays hard: the MTA gave up on an address
		 * the remote kept refusing. */
		if (action != NULL && strcmp(action, "delayed") == 0)
			return BOUNCE_CLASS_SOFT;
		if (status != NULL && status[0] == '4' &&
		    strncmp(status, "4.1.", 4) != 0)
			return BOUNCE_CLASS_SOFT;
		return BOUNCE_CLASS_HARD;
	case BOUNCE_REASON_FEEDBACK:
		return BOUNCE_CLASS_COMPLAINT;
	case BOUNCE_REASON_VACATION:
		return BOUNCE_CLASS_AUTO_REPLY;
	case BOUNCE_REASON_DELIVERED:
		return BOUNCE_CLASS_NOT_BOUNCE;
	case BOUNCE_REASON_UNDEFINED:
		if (status != NULL && (status[0] == '5' || status[0] == '4'))
			return BOUNCE_CLASS_SOFT;
		return BOUNCE_CLASS_UNKNOWN;
	default:
		return BOUNCE_CLASS_SOFT;
	}
}

static const char *const kind_names[] = {
    [BOUNCE_KIND_NOT_BOUNCE] = "not-bounce",
    [BOUNCE_KIND_BOUNCE] = "bounce",
    [BOUNCE_KIND_COMPLAINT] = "complaint",
    [BOUNCE_KIND_AUTO_REPLY] = "auto-reply",
};

static const char *const class_names[] = {
    [BOUNCE_CLASS_UNKNOWN] = "unknown",
    [BOUNCE_CLASS_HARD] = "hard",
    [BOUNCE_CLASS_SOFT] = "soft",
    [BOUNCE_CLASS_COMPLAINT] = "complaint",
    [BOUNCE_CLASS_AUTO_REPLY] = "auto-reply",
    [BOUNCE_CLASS_NOT_BOUNCE] = "not-bounce",
};

static const char *const reason_names[] = {
#define BOUNCE_REASON_NAME(name, text) [BOUNCE_REASON_##name] = text,
    BOUNCE_REASONS(BOUNCE_REASON_NAME)
#undef BOUNCE_REASON_NAME
};

/* "bounce", "complaint", ... */
const char *
bounce_kind_name(enum bounce_kind kind)
{
	if ((unsigned)kind >= sizeof(kind_names) / sizeof(kind_names[0]))
		return "?";
	return kind_names[kind];
}

/* "hard", "soft", ... */
const char *
bounce_class_name(enum bounce_class cls)
{
	if ((unsigned)cls >= sizeof(class_names) / sizeof(class_names[0]))
		return "?";
	return class_names[cls];
}

/* "user-unknown", ... */
const char *
bounce_reason_name(enum bounce_reason reason)
{
	if ((unsigned)reason >= sizeof(reason_names) / sizeof(reason_names[0]))
		return "?";
	return reason_names[reason];
}
