/*
 * test_dns.c — the resolver interface through the fake, MX ordering
 * (RFC 5321 §5.1, RFC 7505), reverse names, ADDR:PORT, wire parsing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/error.h"
#include "dns/dns.h"
#include "dns/mx_order.h"

/* Add an MX record to the fake. */
static void
add_mx(struct dns_resolver *r, const char *dom, unsigned pref, const char *host)
{
	struct dns_rr rr = {.type = DNS_T_MX, .pref = pref};

	rr.name = (char *)host;
	dns_fake_add(r, dom, &rr);
}

/* A "random" function that always picks the last candidate. */
static unsigned
pick_last(unsigned bound, void *arg)
{
	(void)arg;
	return bound - 1;
}

/* A "random" function that always picks the first candidate. */
static unsigned
pick_first(unsigned bound, void *arg)
{
	(void)arg;
	(void)bound;
	return 0;
}

/* Preference order, and equal preferences shuffled by the rnd function. */
static void
test_mx_order(void **state)
{
	struct dns_resolver *r = dns_fake_new();
	struct dns_answer a;
	struct mx_list l1, l2;

	(void)state;
	add_mx(r, "ex.test", 20, "backup.ex.test");
	add_mx(r, "ex.test", 10, "a.ex.test");
	add_mx(r, "ex.test", 10, "b.ex.test");
	dns_lookup(r, "ex.test", DNS_T_MX, &a);
	assert_int_equal(a.status, DNS_OK);
	assert_int_equal(a.n, 3);
	assert_int_equal(mx_order("ex.test", &a, pick_last, NULL, &l1), 0);
	assert_int_equal(mx_order("ex.test", &a, pick_first, NULL, &l2), 0);
	assert_int_equal(l1.n, 3);
	assert_int_equal(l1.host[0].pref, 10);
	assert_int_equal(l1.host[1].pref, 10);
	assert_string_equal(l1.host[2].name, "backup.ex.test");
	/* The two pref-10 hosts come in a different order per shuffle. */
	assert_string_not_equal(l1.host[0].name, l2.host[0].name);
	assert_false(l1.implicit);
	mx_list_fini(&l1);
	mx_list_fini(&l2);
	dns_answer_fini(&a);
	dns_resolver_free(r);
}

/* No MX (NODATA) is the implicit MX; NXDOMAIN is an error. */
static void
test_mx_implicit_and_nxdomain(void **state)
{
	struct dns_resolver *r = dns_fake_new();
	struct dns_rr arr = {.type = DNS_T_A, .family = AF_INET};
	struct dns_answer a;
	struct mx_list l;

	(void)state;
	dns_fake_add(r, "nomx.test", &arr);
	dns_lookup(r, "nomx.test", DNS_T_MX, &a);
	assert_int_equal(a.status, DNS_NODATA);
	assert_int_equal(mx_order("nomx.test", &a, NULL, NULL, &l), 0);
	assert_true(l.implicit);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.host[0].name, "nomx.test");
	mx_list_fini(&l);
	dns_answer_fini(&a);
	dns_lookup(r, "nothere.test", DNS_T_MX, &a);
	assert_int_equal(a.status, DNS_NXDOMAIN);
	assert_int_equal(mx_order("nothere.test", &a, NULL, NULL, &l),
	                 MC_ENOHOST);
	dns_answer_fini(&a);
	dns_fake_fail(r, "slow.test", DNS_T_MX, DNS_TIMEOUT);
	dns_lookup(r, "slow.test", DNS_T_MX, &a);
	assert_int_equal(a.status, DNS_TIMEOUT);
	assert_int_equal(mx_order("slow.test", &a, NULL, NULL, &l),
	                 MC_ETEMPFAIL);
	dns_answer_fini(&a);
	dns_resolver_free(r);
}

/* A single "MX 0 ." is the null MX. */
static void
test_null_mx(void **state)
{
	struct dns_resolver *r = dns_fake_new();
	struct dns_answer a;
	struct mx_list l;

	(void)state;
	add_mx(r, "null.test", 0, "");
	dns_lookup(r, "null.test", DNS_T_MX, &a);
	assert_int_equal(mx_order("null.test", &a, NULL, NULL, &l),
	                 MC_EPERMFAIL);
	assert_true(l.null_mx);
	assert_int_equal(l.n, 0);
	dns_answer_fini(&a);
	dns_resolver_free(r);
}

static int cb_calls;

/* Count callbacks. */
static void
count_cb(const struct dns_answer *a, void *arg)
{
	(void)a;
	(void)arg;
	cb_calls++;
}

/* Callbacks run from dns_wait(), never from dns_query(). */
static void
test_async(void **state)
{
	struct dns_resolver *r = dns_fake_new();

	(void)state;
	cb_calls = 0;
	assert_int_equal(dns_query(r, "a.test", DNS_T_A, count_cb, NULL), 0);
	assert_int_equal(dns_query(r, "b.test", DNS_T_TXT, count_cb, NULL), 0);
	assert_int_equal(cb_calls, 0);
	assert_int_equal(dns_wait(r, 100), 0);
	assert_int_equal(cb_calls, 2);
	assert_int_equal(dns_fake_queries(r), 2);
	assert_int_equal(dns_query(r, "", DNS_T_A, count_cb, NULL), MC_EINVAL);
	dns_resolver_free(r);
}

/* Reverse names and ADDR:PORT. */
static void
test_names(void **state)
{
	char out[160], host[64];
	unsigned port;

	(void)state;
	assert_int_equal(
	    dns_reverse_name("192.0.2.66", "bl.test", out, sizeof(out)), 0);
	assert_string_equal(out, "66.2.0.192.bl.test");
	assert_int_equal(
	    dns_reverse_name("2001:db8::1", NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	                         "0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
	assert_int_equal(dns_reverse_name("not-an-ip", NULL, out, sizeof(out)),
	                 MC_EINVAL);
	assert_int_equal(dns_split_hostport("127.0.0.1:23053", host,
	                                    sizeof(host), &port, 53),
	                 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 23053);
	assert_int_equal(
	    dns_split_hostport("[::1]:5353", host, sizeof(host), &port, 53), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 5353);
	assert_int_equal(
	    dns_split_hostport("::1", host, sizeof(host), &port, 53), 0);
	assert_int_equal(port, 53);
	assert_int_equal(
	    dns_split_hostport("h:0", host, sizeof(host), &port, 53),
	    MC_EINVAL);
	assert_int_equal(
	    dns_split_hostport("h:99999", host, sizeof(host), &port, 53),
	    MC_EINVAL);
}

/* Wire-format parsing: MX with a null target, junk. */
static void
test_wire(void **state)
{
	/* header, question example.test MX IN, one answer "MX 0 ." */
	static const unsigned char nullmx[] = {
	    0x12, 0x34, 0x81, 0x80, 0,   1,   0,    1,    0, 0,   0,   0,
	    7,    'e',  'x',  'a',  'm', 'p', 'l',  'e',  4, 't', 'e', 's',
	    't',  0,    0,    15,   0,   1,   0xc0, 0x0c, 0, 15,  0,   1,
	    0,    0,    1,    0x2c, 0,   3,   0,    0,    0};
	struct dns_answer a;
	struct mx_list l;

	(void)state;
	dns_answer_init(&a, DNS_T_MX);
	dns_answer_from_wire(&a, DNS_T_MX, nullmx, sizeof(nullmx));
	assert_int_equal(a.status, DNS_OK);
	assert_int_equal(a.n, 1);
	assert_int_equal(mx_order("example.test", &a, NULL, NULL, &l),
	                 MC_EPERMFAIL);
	dns_answer_fini(&a);
	dns_answer_init(&a, DNS_T_MX);
	dns_answer_from_wire(&a, DNS_T_MX, nullmx, 20);
	assert_int_equal(a.status, DNS_BADRESP);
	dns_answer_fini(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mx_order),
	    cmocka_unit_test(test_mx_implicit_and_nxdomain),
	    cmocka_unit_test(test_null_mx),
	    cmocka_unit_test(test_async),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_wire),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
