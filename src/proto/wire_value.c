/*
 * wire_value.c — see wire_value.h.
 */
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "proto/wire_value.h"

/* The first flaw of s[0..len), or NULL. */
const char *
wire_value_flaw(const char *s, size_t len, bool ctl)
{
	const char *other = NULL;

	/* A line break is the one that injects: name it before the rest. */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\r' || c == '\n')
			return "a line break";
		if (c == '\0' && other == NULL)
			other = "a NUL byte";
		else if (ctl && (c < 0x20 || c == 0x7f) && other == NULL)
			other = "a control character";
	}
	return other;
}

/* Check one field; see wire_value.h. */
int
wire_value_check(const char *field, const char *s, bool ctl, char *err,
                 size_t errsize)
{
	const char *flaw;

	if (s == NULL)
		return 0;
	flaw = wire_value_flaw(s, strlen(s), ctl);
	if (flaw == NULL)
		return 0;
	snprintf(err, errsize, "%s contains %s", field, flaw);
	return MC_EINVAL;
}
