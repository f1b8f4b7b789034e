/*
 * log.c — see log.h.
 */
#include <stdarg.h>
#include <stdio.h>

#include "base/log.h"

static enum log_level cur_level = LOG_WARN;
static log_sink_fn *cur_sink;
static void *cur_arg;

static const char *const level_names[] = {
    [LOG_ERROR] = "error", [LOG_WARN] = "warn",   [LOG_INFO] = "info",
    [LOG_DEBUG] = "debug", [LOG_TRACE] = "trace",
};

const char *
log_level_name(enum log_level level)
{
	if ((unsigned)level > LOG_TRACE)
		return "?";
	return level_names[level];
}

void
log_set_level(enum log_level level)
{
	if ((int)level < LOG_ERROR)
		level = LOG_ERROR;
	if (level > LOG_TRACE)
		level = LOG_TRACE;
	cur_level = level;
}

enum log_level
log_get_level(void)
{
	return cur_level;
}

void
log_set_sink(log_sink_fn *fn, void *arg)
{
	cur_sink = fn;
	cur_arg = arg;
}

int
log_enabled(enum log_level level)
{
	return level <= cur_level;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (cur_sink) {
		cur_sink(level, line, cur_arg);
		return;
	}
	if (level == LOG_ERROR)
		fprintf(stderr, "mailcast: %s\n", line);
	else
		fprintf(stderr, "mailcast: %s: %s\n", level_names[level], line);
}
