/*
 * test_log.c — base/log: which levels are shown, the timestamp format, and
 * what a log file and stderr receive (stderr is redirected to a file).
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/log.h"

/* The sink: "LEVEL MESSAGE\n" per line. */
static void
keep(enum log_level level, const char *line, void *arg)
{
	buf_printf(arg, "%s %s\n", log_level_name(level), line);
}

/* Each level shows itself and the levels below it, nothing more. */
static void
test_levels(void **state)
{
	struct buf got;

	(void)state;
	buf_init(&got);
	log_set_sink(keep, &got);
	log_set_level(LOG_WARN); /* the default: no -v */
	log_error("e%d", 1);
	log_warn("w%d", 1);
	log_info("i%d", 1);
	log_debug("d%d", 1);
	log_trace("t%d", 1);
	log_set_level(LOG_DEBUG); /* -v -v */
	log_info("i%d", 2);
	log_debug("d%d", 2);
	log_trace("t%d", 2);
	log_set_level((enum log_level)99); /* clamped to trace */
	assert_int_equal(log_get_level(), LOG_TRACE);
	log_trace("t%d", 3);
	log_set_level((enum log_level) - 5); /* clamped to error */
	log_warn("w%d", 4);
	log_error("e%d", 4);
	log_set_sink(NULL, NULL);
	log_set_level(LOG_WARN);
	assert_string_equal(buf_cstr(&got), "error e1\n"
	                                    "warn w1\n"
	                                    "info i2\n"
	                                    "debug d2\n"
	                                    "trace t3\n"
	                                    "error e4\n");
	buf_fini(&got);
}

/* UTC, milliseconds zero-padded, a 'Z'. */
static void
test_time_format(void **state)
{
	char t[LOG_TIME_SIZE];

	(void)state;
	assert_string_equal(log_format_time(1796367662123ULL, t, sizeof(t)),
	                    "2026-12-04T07:01:02.123Z");
	assert_string_equal(log_format_time(951868799009ULL, t, sizeof(t)),
	                    "2000-02-29T23:59:59.009Z");
	assert_string_equal(log_format_time(0, t, sizeof(t)),
	                    "1970-01-01T00:00:00.000Z");
}

/* The whole of a file as a string (the caller frees). */
static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *s = calloc(1, 65536);
	size_t n;

	assert_non_null(fp);
	assert_non_null(s);
	n = fread(s, 1, 65535, fp);
	s[n] = '\0';
	fclose(fp);
	return s;
}

/* Does line (up to its '\n') look like "YYYY-MM-DDTHH:MM:SS.mmmZ rest"? */
static bool
stamped(const char *line, const char *rest)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ ";

	for (size_t i = 0; i < sizeof(shape) - 1; i++) {
		if (shape[i] == 'd' ? (line[i] < '0' || line[i] > '9')
		                    : line[i] != shape[i])
			return false;
	}
	return strncmp(line + sizeof(shape) - 1, rest, strlen(rest)) == 0;
}

/* The n-th line (from 0) of s, or NULL. */
static const char *
nth_line(const char *s, int n)
{
	for (; n > 0 && s; n--) {
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	return s && *s ? s : NULL;
}

/*
 * --log FILE: created 0600, every shown line goes there timestamped and
 * is appended (a second open keeps the first run's lines); errors and
 * warnings are also on stderr, without a timestamp unless asked for.
 */
static void
test_file_output(void **state)
{
	char dir[] = "/tmp/mc-test-log-XXXXXX";
	char path[128], errpath[128], err[256];
	struct stat st;
	int saved, efd;
	char *file, *errs;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/run.log", dir);
	snprintf(errpath, sizeof(errpath), "%s/stderr", dir);
	efd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(efd >= 0);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(efd, STDERR_FILENO) >= 0);

	log_set_level(LOG_INFO);
	assert_int_equal(log_open(path, err, sizeof(err)), 0);
	log_info("first run");
	log_close();
	assert_int_equal(log_open(path, err, sizeof(err)), 0);
	log_error("it failed: %s", "why");
	log_warn("careful");
	log_info("second run");
	log_debug("not shown");
	log_close();
	log_set_timestamps(true); /* -v without --log */
	log_warn("stamped");
	log_set_timestamps(false);
	log_set_level(LOG_WARN);

	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	close(efd);

	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	file = slurp(path);
	assert_true(stamped(nth_line(file, 0), "mailcast: info: first run\n"));
	assert_true(stamped(nth_line(file, 1), "mailcast: it failed: why\n"));
	assert_true(stamped(nth_line(file, 2), "mailcast: warn: careful\n"));
	assert_true(stamped(nth_line(file, 3), "mailcast: info: second run\n"));
	assert_null(nth_line(file, 4));
	errs = slurp(errpath);
	assert_int_equal(strncmp(errs,
	                         "mailcast: it failed: why\n"
	                         "mailcast: warn: careful\n",
	                         49),
	                 0);
	assert_true(stamped(nth_line(errs, 2), "mailcast: warn: stamped\n"));
	assert_null(nth_line(errs, 3));
	free(file);
	free(errs);

	/* A directory that does not exist: MC_EIO and the path in words. */
	snprintf(path, sizeof(path), "%s/no/such/dir.log", dir);
	assert_int_equal(log_open(path, err, sizeof(err)), MC_EIO);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "No such file"));

	snprintf(path, sizeof(path), "%s/run.log", dir);
	unlink(path);
	unlink(errpath);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_levels),
	    cmocka_unit_test(test_time_format),
	    cmocka_unit_test(test_file_output),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
