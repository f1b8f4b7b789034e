/*
 * log.c — see log.h.
 *
 * The settings are process-wide and meant to be set once, by main() before
 * any thread starts; log_msg() itself may be called from any thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"

#define LINE_MAX_BYTES 2048

static enum log_level cur_level = LOG_WARN;
static log_sink_fn *cur_sink;
static void *cur_arg;
static bool stamp_stderr;
static int file_fd = -1;
static bool file_owned; /* opened by log_open(): log_close() closes it */

static const char *const level_names[] = {
    [LOG_ERROR] = "error", [LOG_WARN] = "warn",   [LOG_INFO] = "info",
    [LOG_DEBUG] = "debug", [LOG_TRACE] = "trace",
};

/* The level's name; "?" out of range. */
const char *
log_level_name(enum log_level level)
{
	if ((unsigned)level > LOG_TRACE)
		return "?";
	return level_names[level];
}

/* Set the most detailed level shown. */
void
log_set_level(enum log_level level)
{
	if ((int)level < LOG_ERROR)
		level = LOG_ERROR;
	if (level > LOG_TRACE)
		level = LOG_TRACE;
	cur_level = level;
}

/* The most detailed level shown. */
enum log_level
log_get_level(void)
{
	return cur_level;
}

/* Send lines to fn instead of stderr or the file. */
void
log_set_sink(log_sink_fn *fn, void *arg)
{
	cur_sink = fn;
	cur_arg = arg;
}

/* Timestamp lines on stderr. */
void
log_set_timestamps(bool on)
{
	stamp_stderr = on;
}

/* Use fd for the log file (borrowed). */
void
log_set_file(int fd)
{
	log_close();
	file_fd = fd;
	file_owned = false;
}

/* Open path for appending, 0600 when created. */
int
log_open(const char *path, char *err, size_t errsz)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0) {
		mc_fail(MC_EIO, err, errsz, "cannot open the log file %s: %s",
		        path, strerror(errno));
		return MC_EIO;
	}
	log_close();
	file_fd = fd;
	file_owned = true;
	return 0;
}

/* Stop writing to the log file. */
void
log_close(void)
{
	if (file_owned && file_fd >= 0)
		close(file_fd);
	file_fd = -1;
	file_owned = false;
}

/* Would a message at level be shown? */
int
log_enabled(enum log_level level)
{
	return level <= cur_level;
}

/* Format ms since the epoch as an RFC 3339 UTC time with milliseconds. */
char *
log_format_time(uint64_t epoch_ms, char *buf, size_t size)
{
	time_t secs = (time_t)(epoch_ms / 1000);
	struct tm tm;

	if (gmtime_r(&secs, &tm) == NULL) {
		snprintf(buf, size, "0000-00-00T00:00:00.000Z");
		return buf;
	}
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
	         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	         tm.tm_min, tm.tm_sec, (unsigned)(epoch_ms % 1000));
	return buf;
}

/* Write all of p to fd, retrying short writes; errors are dropped. */
static void
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* "STAMP " (when stamp) + body into line; returns the length. */
static size_t
compose(char *line, size_t size, const char *stamp, const char *body)
{
	int n =
	    snprintf(line, size, "%s%s%s", stamp, stamp[0] ? " " : "", body);

	if (n < 0)
		return 0;
	if ((size_t)n >= size) { /* cut: keep the line end */
		n = (int)size - 1;
		line[n - 1] = '\n';
	}
	return (size_t)n;
}

/* Log one message at level. */
void
log_msg(enum log_level level, const char *fmt, ...)
{
	char msg[LINE_MAX_BYTES];
	char body[LINE_MAX_BYTES + 32];
	char stamp[LOG_TIME_SIZE] = "";
	char line[sizeof(body) + LOG_TIME_SIZE];
	struct timeval tv;
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cur_sink) {
		cur_sink(level, msg, cur_arg);
		return;
	}
	if (level == LOG_ERROR)
		snprintf(body, sizeof(body), "mailcast: %s\n", msg);
	else
		snprintf(body, sizeof(body), "mailcast: %s: %s\n",
		         log_level_name(level), msg);
	if (file_fd >= 0 || stamp_stderr) {
		gettimeofday(&tv, NULL);
		log_format_time((uint64_t)tv.tv_sec * 1000 +
		                    (uint64_t)tv.tv_usec / 1000,
		                stamp, sizeof(stamp));
	}
	if (file_fd >= 0) {
		write_all(file_fd, line,
		          compose(line, sizeof(line), stamp, body));
		if (level > LOG_WARN)
			return;
	}
	write_all(STDERR_FILENO, line,
	          compose(line, sizeof(line), stamp_stderr ? stamp : "", body));
}
