/*
 * test_config.c — mailcast.conf: the [mailcast] keys and [relay NAME]
 * sections read, defaults, MAILCAST_* over the file, and refusals naming
 * file and line (a password key, a syntax error, a bad value, an unknown
 * key or section, a relay without host, a missing file); the weighted
 * relay pick spreads domains by weight and is stable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/error.h"
#include "app/config.h"
#include "engine/route.h"

static char path[64];

/* Write text to a fresh temporary file named in path. */
static void
conf_write(const char *text)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/mc-conf-test.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* Load text; the return code, the error in err. */
static int
conf_try(const char *text, struct mc_conf *c, char *err, size_t errsz)
{
	int rc;

	conf_write(text);
	err[0] = '\0';
	rc = conf_load(path, c, err, errsz);
	unlink(path);
	return rc;
}

static void
test_reads_keys_and_relays(void **state)
{
	struct mc_conf c;
	char err[512];

	(void)state;
	assert_int_equal(
	    conf_try("; comment\n[mailcast]\nstore = sqlite:/x.db\n"
	             "from = news@example.org\nrate = 200\nconns = 4\n"
	             "retry = 1,5,30\n\n[relay one]\nhost = 127.0.0.1:2525\n"
	             "weight = 3\ntls = require\ntls_verify = no\n"
	             "auth_user = bob\nauth_password_file = /run/pw\n"
	             "conns = 2\nrate = 50.5\nper_conn = 100\n"
	             "[relay two]\nhost = [::1]:2526\n",
	             &c, err, sizeof(err)),
	    0);
	assert_string_equal(conf_get(&c, CONF_store), "sqlite:/x.db");
	assert_string_equal(conf_get(&c, CONF_from), "news@example.org");
	assert_string_equal(conf_get(&c, CONF_rate), "200");
	assert_string_equal(conf_get(&c, CONF_retry), "1,5,30");
	assert_null(conf_get(&c, CONF_helo));
	assert_int_equal(c.nrelays, 2);
	assert_string_equal(c.relays[0].name, "one");
	assert_string_equal(c.relays[0].host, "127.0.0.1:2525");
	assert_int_equal(c.relays[0].weight, 3);
	assert_string_equal(c.relays[0].tls, "require");
	assert_int_equal(c.relays[0].tls_verify, 0);
	assert_string_equal(c.relays[0].auth_user, "bob");
	assert_string_equal(c.relays[0].auth_password_file, "/run/pw");
	assert_int_equal(c.relays[0].conns, 2);
	assert_true(c.relays[0].rate > 50.4 && c.relays[0].rate < 50.6);
	assert_int_equal(c.relays[0].per_conn, 100);
	/* defaults of a bare relay */
	assert_string_equal(c.relays[1].name, "two");
	assert_int_equal(c.relays[1].weight, 1);
	assert_int_equal(c.relays[1].tls_verify, -1);
	assert_null(c.relays[1].tls);
	assert_int_equal(c.relays[1].conns, 0);
	conf_free(&c);
}

static void
test_env_over_file(void **state)
{
	struct mc_conf c;
	char err[512];

	(void)state;
	assert_int_equal(conf_try("[mailcast]\nrate = 10\nhelo = a.example\n",
	                          &c, err, sizeof(err)),
	                 0);
	setenv("MAILCAST_RATE", "20", 1);
	setenv("MAILCAST_RELAY", "127.0.0.1:1,127.0.0.1:2", 1);
	assert_int_equal(conf_apply_env(&c, err, sizeof(err)), 0);
	assert_string_equal(conf_get(&c, CONF_rate), "20");
	assert_string_equal(conf_get(&c, CONF_helo), "a.example");
	assert_string_equal(c.env_relays, "127.0.0.1:1,127.0.0.1:2");
	setenv("MAILCAST_RATE", "fast", 1);
	assert_int_equal(conf_apply_env(&c, err, sizeof(err)), MC_ECONFIG);
	assert_non_null(strstr(err, "MAILCAST_RATE"));
	unsetenv("MAILCAST_RATE");
	unsetenv("MAILCAST_RELAY");
	conf_free(&c);
}

/* text is refused at line with an error containing what. */
static void
refused(const char *text, int line, const char *what)
{
	struct mc_conf c;
	char err[512], at[128];

	assert_int_equal(conf_try(text, &c, err, sizeof(err)), MC_ECONFIG);
	if (line > 0)
		snprintf(at, sizeof(at), "%s:%d: ", path, line);
	else
		snprintf(at, sizeof(at), "%s: ", path);
	if (strncmp(err, at, strlen(at)) != 0 || strstr(err, what) == NULL)
		fail_msg("error '%s' lacks '%s' or '%s'", err, at, what);
}

static void
test_refusals(void **state)
{
	(void)state;
	refused("[mailcast]\nrate = 1\n[relay a]\nhost = h:1\npassword = s\n",
	        5, "a password is never kept");
	refused("[relay a]\nauth_password = s\n", 2, "auth_password_file");
	refused("[mailcast]\nrate = 1\nthis line has no equals\n", 3,
	        "syntax error");
	refused("[mailcast]\n[unclosed\n", 2, "syntax error");
	refused("[mailcast]\nrate = fast\n", 2, "rate: messages per second");
	refused("[mailcast]\nconns = 0\n", 2, "conns: 1 to 1000");
	refused("[mailcast]\ntls = maybe\n", 2, "tls: none, opportunistic");
	refused("[mailcast]\ncolour = red\n", 2, "unknown key 'colour'");
	refused("[other]\nx = 1\n", 2, "unknown section [other]");
	refused("rate = 1\n", 1, "outside a section");
	refused("[relay]\nhost = h:1\n", 2, "give the relay a name");
	refused("[relay a]\nweight = 0\n", 2, "[relay a] weight");
	refused("[relay a]\nhots = h:1\n", 2, "unknown key 'hots'");
	refused("[relay a]\nweight = 2\n", 0, "[relay a] has no host");
}

/* Load n bytes of text (NULs kept); MC_ECONFIG and err starting with
 * "PATH:line: " and holding what. */
static void
refused_bytes(const char *text, size_t n, int line, const char *what)
{
	struct mc_conf c;
	char err[512], at[128];
	int fd, rc;

	snprintf(path, sizeof(path), "/tmp/mc-conf-test.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
	rc = conf_load(path, &c, err, sizeof(err));
	unlink(path);
	snprintf(at, sizeof(at), "%s:%d: ", path, line);
	if (rc != MC_ECONFIG || strncmp(err, at, strlen(at)) != 0 ||
	    strstr(err, what) == NULL)
		fail_msg("rc %d, error '%s' lacks '%s' or '%s'", rc, err, at,
		         what);
}

/* Item 10: what is not text is refused by line, before inih sees it; a
 * value too long for a line says so (not "syntax error"). */
static void
test_not_text(void **state)
{
	static const char nul[] = "[mailcast]\nrate = 1\nhelo = a\0b\n";
	static const char ff[] = "[mailcast]\n\xff\xff\xff\xff\n";
	static const char ctl[] = "[mailcast]\nhelo = a\x01"
	                          "b\n";
	static const char nul_line[] = "[mailcast]\n\0\0\0\0\n";
	struct mc_conf c;
	char err[512], *big;
	size_t n = 100 * 1024;

	(void)state;
	refused_bytes(nul, sizeof(nul) - 1, 3, "a NUL byte");
	refused_bytes(nul_line, sizeof(nul_line) - 1, 2, "a NUL byte");
	refused_bytes(ff, sizeof(ff) - 1, 2, "not UTF-8 text (0xFF)");
	refused_bytes(ctl, sizeof(ctl) - 1, 2, "a control character (0x01)");
	/* a 100 KB value */
	big = malloc(n + 64);
	assert_non_null(big);
	strcpy(big, "[mailcast]\nrate = 1\nhelo = ");
	memset(big + strlen(big), 'a', n);
	strcpy(big + strlen("[mailcast]\nrate = 1\nhelo = ") + n, "\n");
	assert_int_equal(conf_try(big, &c, err, sizeof(err)), MC_ECONFIG);
	free(big);
	assert_non_null(strstr(err, "value too long (line 3)"));
	assert_null(strstr(err, "syntax error"));
	/* UTF-8 and CRLF line ends are text */
	assert_int_equal(conf_try("[mailcast]\r\nhelo = h\xc3\xa9.example\r\n",
	                          &c, err, sizeof(err)),
	                 0);
	conf_free(&c);
}

static void
test_missing_file(void **state)
{
	struct mc_conf c;
	char err[512];

	(void)state;
	assert_int_equal(
	    conf_load("/nonexistent/mailcast.conf", &c, err, sizeof(err)),
	    MC_ENOTFOUND);
	assert_non_null(strstr(err, "/nonexistent/mailcast.conf"));
}

static void
test_weighted_pick(void **state)
{
	const unsigned w[] = {3, 1};
	const unsigned one[] = {1};
	size_t n0 = 0;
	char dom[64];

	(void)state;
	for (int i = 0; i < 4000; i++) {
		snprintf(dom, sizeof(dom), "d%d.example", i);
		if (route_relay_pick(dom, w, 2) == 0)
			n0++;
		/* stable: the same domain, the same relay */
		assert_int_equal(route_relay_pick(dom, w, 2),
		                 route_relay_pick(dom, w, 2));
		assert_int_equal(route_relay_pick(dom, one, 1), 0);
	}
	/* 3:1 -> 3000 of 4000, within 5% */
	assert_true(n0 > 2800 && n0 < 3200);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reads_keys_and_relays),
	    cmocka_unit_test(test_env_over_file),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_not_text),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_weighted_pick),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
