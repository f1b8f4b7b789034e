/*
 * log.h — leveled logging to stderr (or a sink a test installs).
 *
 * Levels rise with detail: LOG_ERROR is always shown; each -v on the command
 * line shows one more level.  Messages are one line each; the logger adds the
 * "mailcast: " prefix and the newline.  Never pass a secret to a log call:
 * nothing here redacts.
 */
#ifndef MC_BASE_LOG_H
#define MC_BASE_LOG_H

enum log_level {
	LOG_ERROR = 0,
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG,
	LOG_TRACE,
};

typedef void log_sink_fn(enum log_level level, const char *line, void *arg);

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Replace the stderr writer (NULL restores it). */
void log_set_sink(log_sink_fn *fn, void *arg);
int log_enabled(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "error", "warn", ... */
const char *log_level_name(enum log_level level);

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
