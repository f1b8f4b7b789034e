/*
 * error.c — name tables for the MC_E* codes of error.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sysexits.h>

#include "base/error.h"

struct err_entry {
	int code;
	int exit;
	const char *name;
	const char *phrase;
};

static const struct err_entry errors[] = {
#define MC_ERR_ROW(name, value, ex, phrase) {value, ex, #name, phrase},
    MC_ERRORS(MC_ERR_ROW)
#undef MC_ERR_ROW
};

static const struct err_entry *
err_find(int err)
{
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		if (errors[i].code == err)
			return &errors[i];
	return NULL;
}

const char *
mc_errname(int err)
{
	const struct err_entry *e = err_find(err);

	return e ? e->name : "MC_E?";
}

const char *
mc_strerror(int err)
{
	const struct err_entry *e = err_find(err);

	return e ? e->phrase : "unknown error";
}

int
mc_exit_code(int err)
{
	const struct err_entry *e = err_find(err);

	return e ? e->exit : EX_SOFTWARE;
}

/* Write a reason into err and return code. */
int
mc_fail(int code, char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errsz > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errsz, fmt, ap);
		va_end(ap);
	}
	return code;
}
