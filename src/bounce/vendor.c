/*
 * vendor.c — the switch that turns a family's own rules off, for the
 * leave-one-MTA-out score (bench/bounce-loo).
 *
 * Most of the parser's rules follow from the standards or are wordings
 * many MTAs share; a few name one product's quirk (Yahoo's "[RCPT_TO]",
 * qmail's and DragonFly's stage sentences, au's address-less answer,
 * Exchange Online's 5.4.1, ...).  Those rules are tagged with their
 * families and asked bounce_vendor_on() before they apply.  With
 * MAILCAST_BOUNCE_HOLDOUT=NAME[,NAME...] in the environment every rule
 * tagged with one of the names is off, so a family can be scored as if
 * its own rules had never been written.  Unset (always, outside the
 * bench), every rule is on.  The variable is read once per process.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "bounce/bounce_impl.h"

static pthread_once_t holdout_once = PTHREAD_ONCE_INIT;
static char holdout[256];

/* Read MAILCAST_BOUNCE_HOLDOUT once. */
static void
holdout_load(void)
{
	const char *v = getenv("MAILCAST_BOUNCE_HOLDOUT");

	if (v != NULL)
		mc_strlcpy(holdout, v, sizeof(holdout));
}

/* Is the name s[0..n) one of the comma-separated names of list? */
static bool
in_list(const char *list, const char *s, size_t n)
{
	const char *p = list;

	while (*p != '\0') {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == n && memcmp(p, s, n) == 0)
			return true;
		if (e == NULL)
			break;
		p = e + 1;
	}
	return false;
}

/* May the rules tagged with these families apply (see bounce_impl.h)? */
bool
bounce_vendor_on(const char *families)
{
	const char *p = families;

	if (families == NULL)
		return true;
	pthread_once(&holdout_once, holdout_load);
	if (holdout[0] == '\0')
		return true;
	while (*p != '\0') {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (in_list(holdout, p, l))
			return false;
		if (e == NULL)
			break;
		p = e + 1;
	}
	return true;
}
