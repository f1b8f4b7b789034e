/*
 * test_sink.c — the parts of net/sink that need no socket: which listen
 * addresses count as loopback (the sink warns at start for any other,
 * issue 11 defect 8).  127.0.0.2 is loopback, so the warning cannot be
 * shown by an integration test on this machine without a second
 * interface; the address check is tested here instead.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "net/sink.h"

/* Is the textual address loopback by sink_addr_is_loopback()? */
static bool
loopback(const char *text)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':')) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, text, &in6->sin6_addr), 1);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, text, &in->sin_addr), 1);
	}
	return sink_addr_is_loopback((struct sockaddr *)&ss);
}

static void
test_loopback(void **state)
{
	(void)state;
	assert_true(loopback("127.0.0.1"));
	assert_true(loopback("127.0.0.2"));
	assert_true(loopback("127.255.255.254"));
	assert_true(loopback("::1"));
	assert_true(loopback("::ffff:127.0.0.1"));
}

static void
test_not_loopback(void **state)
{
	(void)state;
	assert_false(loopback("0.0.0.0")); /* every interface */
	assert_false(loopback("::"));
	assert_false(loopback("10.0.0.1"));
	assert_false(loopback("192.0.2.7"));
	assert_false(loopback("128.0.0.1"));
	assert_false(loopback("126.255.255.255"));
	assert_false(loopback("::2"));
	assert_false(loopback("::ffff:10.0.0.1"));
	assert_false(loopback("::ffff:0.0.0.0"));
	assert_false(loopback("::127.0.0.1")); /* v4-compatible, not mapped */
	assert_false(loopback("fe80::1"));
	assert_false(loopback("2001:db8::1"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_loopback),
	    cmocka_unit_test(test_not_loopback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
