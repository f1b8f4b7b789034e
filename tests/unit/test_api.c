/*
 * test_api.c — include/mailcast.h as a program sees it: only the public
 * header is included.  The error codes agree with the library's own table
 * (names and values, none missing), the version macros with mc_version(),
 * and the store, list and campaign calls check their arguments and say
 * why they refuse, without a network (sending is tests/integration/
 * install.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mailcast.h"

/* Not public: the library's name of a code, to check the header against. */
const char *mc_errname(int err);

static char dir[64];
static char url[128];

/* Every public code is the library's code of the same name; the code
 * after the last public one is unknown to the library. */
static void
test_error_codes(void **state)
{
#define CODE(c)                                                                \
	{                                                                      \
		c, #c                                                          \
	}
	static const struct {
		int code;
		const char *name;
	} codes[] = {
	    CODE(MC_OK),        CODE(MC_EINVAL),  CODE(MC_ENOMEM),
	    CODE(MC_EIO),       CODE(MC_EPROTO),  CODE(MC_ELIMIT),
	    CODE(MC_ETIMEDOUT), CODE(MC_ENOHOST), CODE(MC_ECONNREFUSED),
	    CODE(MC_ECONN),     CODE(MC_ECLOSED), CODE(MC_ETLS),
	    CODE(MC_ECERT),     CODE(MC_EAUTH),   CODE(MC_ETEMPFAIL),
	    CODE(MC_EPERMFAIL), CODE(MC_ETOOBIG), CODE(MC_EDATA),
	    CODE(MC_ENOTFOUND), CODE(MC_ECONFIG), CODE(MC_EAGAIN),
	    CODE(MC_EUNSUPP),   CODE(MC_EROFS),
	};
#undef CODE
	size_t n = sizeof(codes) / sizeof(codes[0]);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(mc_errname(codes[i].code), codes[i].name);
		assert_int_equal(codes[i].code, -(int)i);
		assert_string_not_equal(mc_strerror(codes[i].code),
		                        "unknown error");
	}
	/* a code the library has and the header lacks would be named */
	assert_string_equal(mc_errname(-(int)n), "MC_E?");
	assert_string_equal(mc_strerror(MC_ETIMEDOUT), "timed out");
}

/* The version macros agree with each other and with the library. */
static void
test_version(void **state)
{
	char v[32];

	(void)state;
	snprintf(v, sizeof(v), "%d.%d.%d", MAILCAST_VERSION_MAJOR,
	         MAILCAST_VERSION_MINOR, MAILCAST_VERSION_PATCH);
	assert_string_equal(v, MAILCAST_VERSION);
	assert_string_equal(mc_version(), MAILCAST_VERSION);
	assert_int_equal(MAILCAST_VERSION_NUM,
	                 (MAILCAST_VERSION_MAJOR << 16) |
	                     (MAILCAST_VERSION_MINOR << 8) |
	                     MAILCAST_VERSION_PATCH);
	assert_string_equal(mc_state_name(MC_STATE_SENT), "sent");
	assert_string_equal(mc_state_name(MC_STATE_SUPPRESSED), "suppressed");
	assert_string_equal(mc_state_name((enum mc_state)MC_STATE_COUNT), "?");
}

/* Opening: bad URLs are refused, a new SQLite file is made. */
static void
test_store_open(void **state)
{
	struct mc_store *s = (struct mc_store *)1;

	(void)state;
	assert_int_equal(mc_store_open(NULL, &s), MC_EINVAL);
	assert_null(s);
	assert_int_equal(mc_store_open("", &s), MC_EINVAL);
	assert_int_equal(mc_store_open("mysql://db/x", &s), MC_EUNSUPP);
	/* nothing listens on port 1 */
	assert_int_equal(mc_store_open("postgresql://u@127.0.0.1:1/x", &s),
	                 MC_EIO);
	assert_int_equal(mc_store_open("sqlite:/nonexistent/dir/x.db", &s),
	                 MC_EIO);
	assert_null(s);
	assert_int_equal(mc_store_open(url, &s), 0);
	assert_non_null(s);
	assert_string_equal(mc_store_error(s), "");
	mc_store_close(s);
	mc_store_close(NULL);
	/* every setter refuses a NULL handle, whatever its value */
	assert_int_equal(mc_campaign_set_server(NULL, "bad host"), MC_EINVAL);
	assert_int_equal(mc_campaign_set_server(NULL, "relay.example"),
	                 MC_EINVAL);
	assert_int_equal(mc_campaign_set_list(NULL, "l"), MC_EINVAL);
	assert_int_equal(mc_campaign_set_from(NULL, "a@example.org"),
	                 MC_EINVAL);
	assert_int_equal(mc_campaign_set_template_text(NULL, "x"), MC_EINVAL);
	assert_int_equal(mc_campaign_set_port(NULL, 25), MC_EINVAL);
	assert_int_equal(mc_campaign_set_tls(NULL, MC_TLS_NONE), MC_EINVAL);
	assert_int_equal(mc_campaign_set_tls_verify(NULL, 1), MC_EINVAL);
}

/* Adding contacts: the address and the attribute names are checked. */
static void
test_list_add(void **state)
{
	struct mc_attr good = {"first_name", "Zoë"}, bad = {"first name", "x"};
	struct mc_store *s;

	(void)state;
	assert_int_equal(mc_store_open(url, &s), 0);
	assert_int_equal(mc_list_add(s, "l", "zoe@example.org", &good, 1), 0);
	/* again, with other attributes: an update, not an error */
	good.value = "Zoé";
	assert_int_equal(mc_list_add(s, "l", "Zoe@Example.ORG", &good, 1), 0);
	assert_int_equal(mc_list_add(s, "l", "not an address", NULL, 0),
	                 MC_EDATA);
	assert_non_null(strstr(mc_store_error(s), "not an address"));
	assert_int_equal(mc_list_add(s, "l", "a@example.org", &bad, 1),
	                 MC_EINVAL);
	assert_non_null(strstr(mc_store_error(s), "attribute 1"));
	assert_int_equal(mc_list_add(s, "", "a@example.org", NULL, 0),
	                 MC_EINVAL);
	assert_int_equal(mc_list_add(s, "l", "a@example.org", NULL, 1),
	                 MC_EINVAL);
	mc_store_close(s);
}

/* Settings are checked when set; a run needs the four required ones and
 * refuses a template that names a field the list lacks, saying which. */
static void
test_campaign_settings(void **state)
{
	struct mc_attr a = {"first_name", "Ada"};
	struct mc_store *s;
	struct mc_campaign *c;

	(void)state;
	assert_int_equal(mc_store_open(url, &s), 0);
	assert_int_equal(mc_list_add(s, "news", "ada@example.org", &a, 1), 0);
	assert_int_equal(mc_campaign_new(s, "", &c), MC_EINVAL);
	assert_null(c);
	assert_int_equal(mc_campaign_new(s, "c1", &c), 0);
	assert_int_equal(mc_campaign_set_port(c, 0), MC_EINVAL);
	assert_int_equal(mc_campaign_set_port(c, 65536), MC_EINVAL);
	assert_int_equal(mc_campaign_set_port(c, 2525), 0);
	assert_int_equal(mc_campaign_set_tls(c, (enum mc_tls)9), MC_EINVAL);
	assert_int_equal(mc_campaign_set_from(c, "not an address"), MC_EINVAL);
	assert_int_equal(mc_campaign_set_server(c, "a host"), MC_EINVAL);
	assert_int_equal(mc_campaign_run(c, NULL, NULL), MC_EINVAL);
	assert_non_null(strstr(mc_campaign_error(c), "needed"));
	assert_int_equal(mc_campaign_count(c, MC_STATE_SENT), MC_EINVAL);

	assert_int_equal(mc_campaign_set_list(c, "news"), 0);
	assert_int_equal(mc_campaign_set_from(c, "N <news@example.org>"), 0);
	assert_int_equal(mc_campaign_set_server(c, "127.0.0.1"), 0);
	assert_int_equal(mc_campaign_set_template_text(
	                     c, "Subject: hi {{frist_name}}\n\nHello\n"),
	                 0);
	assert_int_equal(mc_campaign_run(c, NULL, NULL), MC_EDATA);
	assert_non_null(strstr(mc_campaign_error(c), "frist_name"));
	/* a campaign runs once */
	assert_int_equal(mc_campaign_run(c, NULL, NULL), MC_EINVAL);
	assert_int_equal(mc_campaign_set_list(c, "news"), MC_EINVAL);
	mc_campaign_free(c);

	assert_int_equal(mc_campaign_new(s, "c2", &c), 0);
	assert_int_equal(mc_campaign_set_list(c, "nosuchlist"), 0);
	assert_int_equal(mc_campaign_set_from(c, "news@example.org"), 0);
	assert_int_equal(mc_campaign_set_server(c, "127.0.0.1"), 0);
	assert_int_equal(mc_campaign_set_template_file(c, "/nonexistent.tmpl"),
	                 0);
	assert_int_equal(mc_campaign_run(c, NULL, NULL), MC_EIO);
	assert_non_null(strstr(mc_campaign_error(c), "/nonexistent.tmpl"));
	mc_campaign_free(c);
	mc_campaign_free(NULL);
	mc_store_close(s);
}

/* A fresh store in a fresh folder for each test. */
static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_api-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(url, sizeof(url), "sqlite:%s/s.db", dir);
	return 0;
}

/* Remove the folder and what is in it. */
static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_error_codes),
	    cmocka_unit_test(test_version),
	    cmocka_unit_test_setup_teardown(test_store_open, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_add, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_campaign_settings, setup,
	                                    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
