/*
 * log.h — leveled logging to stderr, a log file, or a sink a test installs.
 *
 * Levels rise with detail; the default shows LOG_WARN and below, and each
 * -v on the command line shows one more level:
 *   LOG_ERROR  always: what failed
 *   LOG_WARN   default: what went wrong but was worked around
 *   LOG_INFO   -v: what a run does (connections, progress, decisions)
 *   LOG_DEBUG  -v -v: protocol state changes ("smtp: EHLO -> READY")
 *   LOG_TRACE  -v -v -v, or MAILCAST_TRACE=1: every line on the wire
 * Messages are one line each; the logger adds "mailcast: ", the level name
 * (except for errors) and the newline.  A line is timestamped in UTC with
 * milliseconds ("2026-12-04T07:01:02.123Z mailcast: ...") when it goes to
 * a log file, or when log_set_timestamps(true) was called (main.c does for
 * -v).  With a log file every line goes there, and errors and warnings are
 * also shown on stderr.  A sink (tests) gets the bare message instead.
 *
 * Each line is written with one call, so lines of threads do not mix.
 * Never pass a secret to a log call: nothing here redacts.
 */
#ifndef MC_BASE_LOG_H
#define MC_BASE_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level {
	LOG_ERROR = 0,
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG,
	LOG_TRACE,
};

typedef void log_sink_fn(enum log_level level, const char *line, void *arg);

/* Show level and below (clamped to LOG_ERROR..LOG_TRACE). */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Replace the stderr/file writer (NULL restores it). */
void log_set_sink(log_sink_fn *fn, void *arg);
/* Timestamp lines on stderr too (lines to a file always are). */
void log_set_timestamps(bool on);
/*
 * Append every line to the file at path, created 0600 when missing (the
 * mode of an existing file is kept).  Replaces a file opened before.
 * Returns 0, or MC_EIO with the reason in err.
 */
int log_open(const char *path, char *err, size_t errsz);
/* Append lines to fd (borrowed: log_close() does not close it); -1: none. */
void log_set_file(int fd);
/* Close the log file (if log_open() opened one); lines go to stderr. */
void log_close(void);
int log_enabled(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "error", "warn", ... */
const char *log_level_name(enum log_level level);
/*
 * "2026-12-04T07:01:02.123Z" for ms since the epoch, into buf (at least
 * LOG_TIME_SIZE bytes).  Returns buf.
 */
#define LOG_TIME_SIZE 32
char *log_format_time(uint64_t epoch_ms, char *buf, size_t size);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                                         \
	do {                                                                   \
		if (log_enabled(LOG_DEBUG))                                    \
			log_msg(LOG_DEBUG, __VA_ARGS__);                       \
	} while (0)
#define log_trace(...)                                                         \
	do {                                                                   \
		if (log_enabled(LOG_TRACE))                                    \
			log_msg(LOG_TRACE, __VA_ARGS__);                       \
	} while (0)

#endif
