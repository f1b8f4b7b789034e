/*
 * test_diag.c — SPF parsing and evaluation (through the fake resolver),
 * address classes, DKIM/DMARC tags, blocklist answers, the doctor's rules.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "base/error.h"
#include "diag/addrclass.h"
#include "diag/dnscheck.h"
#include "diag/doctor.h"
#include "diag/spf.h"
#include "dns/dns.h"

/* Add a TXT record. */
static void
add_txt(struct dns_resolver *r, const char *name, const char *text)
{
	struct dns_rr rr = {.type = DNS_T_TXT};

	rr.text = (char *)text;
	dns_fake_add(r, name, &rr);
}

/* Add an A record. */
static void
add_a(struct dns_resolver *r, const char *name, unsigned char a,
      unsigned char b, unsigned char c, unsigned char d)
{
	struct dns_rr rr = {.type = DNS_T_A, .family = AF_INET};
	unsigned char *p = (unsigned char *)&rr.in4;

	p[0] = a;
	p[1] = b;
	p[2] = c;
	p[3] = d;
	dns_fake_add(r, name, &rr);
}

/* Terms, qualifiers, CIDRs; syntax errors are refused. */
static void
test_spf_parse(void **state)
{
	static struct spf_record rec;
	char err[128];
	const char *s = "v=spf1 ip4:192.0.2.0/24 -a:mail.x.test/28 "
	                "~mx include:_spf.x.test redirect=y.test ?all";

	(void)state;
	assert_int_equal(spf_parse(s, strlen(s), &rec, err, sizeof(err)), 0);
	assert_int_equal(rec.n, 6);
	assert_int_equal(rec.t[0].mech, SPF_M_IP4);
	assert_int_equal(rec.t[0].cidr4, 24);
	assert_int_equal(rec.t[1].qual, '-');
	assert_string_equal(rec.t[1].domain, "mail.x.test");
	assert_int_equal(rec.t[1].cidr4, 28);
	assert_int_equal(rec.t[2].qual, '~');
	assert_int_equal(rec.t[3].mech, SPF_M_INCLUDE);
	assert_int_equal(rec.t[4].mech, SPF_M_REDIRECT);
	assert_string_equal(rec.t[4].domain, "y.test");
	assert_int_equal(rec.t[5].qual, '?');
	s = "v=spf1 ip4:300.1.1.1 -all";
	assert_int_equal(spf_parse(s, strlen(s), &rec, err, sizeof(err)),
	                 MC_EDATA);
	assert_non_null(strstr(err, "ip4:300.1.1.1"));
	s = "v=spf1 include -all";
	assert_int_equal(spf_parse(s, strlen(s), &rec, err, sizeof(err)),
	                 MC_EDATA);
	s = "v=spf10 -all";
	assert_int_equal(spf_parse(s, strlen(s), &rec, err, sizeof(err)),
	                 MC_EDATA);
}

/* Pass, fail, include, and the count of lookups over the whole tree. */
static void
test_spf_eval(void **state)
{
	struct dns_resolver *r = dns_fake_new();
	static struct spf_eval e;
	char many[512] = "v=spf1";

	(void)state;
	add_txt(r, "x.test", "v=spf1 include:relay.test a -all");
	add_txt(r, "relay.test", "v=spf1 ip4:198.51.100.0/24 ~all");
	add_a(r, "x.test", 192, 0, 2, 7);
	spf_check(r, "x.test", "198.51.100.9", &e);
	assert_int_equal(e.result, SPF_PASS);
	assert_int_equal(e.lookups, 2);
	spf_check(r, "x.test", "192.0.2.7", &e);
	assert_int_equal(e.result, SPF_PASS);
	assert_string_equal(e.matched, "a");
	spf_check(r, "x.test", "203.0.113.1", &e);
	assert_int_equal(e.result, SPF_FAIL);
	assert_string_equal(e.matched, "-all");
	spf_check(r, "none.test", "203.0.113.1", &e);
	assert_int_equal(e.result, SPF_NONE);
	assert_false(e.present);
	/* 11 a: terms: over the limit, a permerror when evaluated */
	for (int i = 0; i < 11; i++) {
		char t[32];

		snprintf(t, sizeof(t), " a:h%d.test", i);
		strcat(many, t);
	}
	strcat(many, " -all");
	add_txt(r, "many.test", many);
	spf_check(r, "many.test", "203.0.113.1", &e);
	assert_int_equal(e.lookups, 11);
	assert_true(e.over_limit);
	assert_int_equal(e.result, SPF_PERMERROR);
	/* two records are a permerror */
	add_txt(r, "two.test", "v=spf1 -all");
	add_txt(r, "two.test", "v=spf1 +all");
	spf_check(r, "two.test", "203.0.113.1", &e);
	assert_int_equal(e.result, SPF_PERMERROR);
	dns_resolver_free(r);
}

/* Private, CGNAT, link-local, loopback, public. */
static void
test_addrclass(void **state)
{
	(void)state;
	assert_int_equal(addr_classify("10.1.2.3"), ADDR_PRIVATE);
	assert_int_equal(addr_classify("172.16.0.1"), ADDR_PRIVATE);
	assert_int_equal(addr_classify("172.32.0.1"), ADDR_PUBLIC);
	assert_int_equal(addr_classify("192.168.1.1"), ADDR_PRIVATE);
	assert_int_equal(addr_classify("100.64.0.1"), ADDR_CGNAT);
	assert_int_equal(addr_classify("100.128.0.1"), ADDR_PUBLIC);
	assert_int_equal(addr_classify("169.254.3.4"), ADDR_LINKLOCAL);
	assert_int_equal(addr_classify("127.0.0.1"), ADDR_LOOPBACK);
	assert_int_equal(addr_classify("fe80::1"), ADDR_LINKLOCAL);
	assert_int_equal(addr_classify("fd00::1"), ADDR_PRIVATE);
	assert_int_equal(addr_classify("2001:db8::1"), ADDR_PUBLIC);
	assert_int_equal(addr_classify("nonsense"), ADDR_INVALID);
	assert_true(addr_is_natted(ADDR_CGNAT));
	assert_false(addr_is_natted(ADDR_PUBLIC));
}

/* Tag records and DKIM keys. */
static void
test_tags(void **state)
{
	char v[64];
	int bits;

	(void)state;
	assert_true(dnscheck_tag("v=DMARC1; p = quarantine ;pct=50", "p", v,
	                         sizeof(v)));
	assert_string_equal(v, "quarantine");
	assert_true(
	    dnscheck_tag("v=DMARC1; p=none; pct=50", "pct", v, sizeof(v)));
	assert_string_equal(v, "50");
	assert_false(dnscheck_tag("v=DMARC1; sp=none", "p", v, sizeof(v)));
	assert_int_equal(
	    dnscheck_dkim_key(
	        "ed25519",
	        "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", &bits),
	    0);
	assert_int_equal(bits, 256);
	assert_int_equal(dnscheck_dkim_key("rsa", "bm90IGEga2V5", &bits),
	                 MC_EDATA);
}

/* Blocklists: 127.0.0.2 is a listing, 127.255.255.254 a query error. */
static void
test_dnsbl(void **state)
{
	struct dns_resolver *r = dns_fake_new();
	static struct dnscheck c;
	struct dnscheck_opts o = {
	    .ip = "192.0.2.66",
	    .dnsbl = {"bl.test", "err.test", "clean.test"},
	    .ndnsbl = 3};

	(void)state;
	add_a(r, "66.2.0.192.bl.test", 127, 0, 0, 2);
	add_txt(r, "66.2.0.192.bl.test", "listed: test");
	add_a(r, "66.2.0.192.err.test", 127, 255, 255, 254);
	dnscheck_run(r, &o, &c);
	assert_int_equal(c.nbl, 3);
	assert_int_equal(c.bl[0].state, DC_BL_LISTED);
	assert_string_equal(c.bl[0].text, "listed: test");
	assert_int_equal(c.bl[1].state, DC_BL_ERROR);
	assert_int_equal(c.bl[2].state, DC_BL_CLEAN);
	dns_resolver_free(r);
}

/* Port 25 filtered while 587 is open: the ISP block, exit 69. */
static void
test_doctor_port25(void **state)
{
	static struct doctor_opts o;
	static struct doctor_facts f;
	static struct doctor_report rep;

	(void)state;
	doctor_opts_default(&o);
	o.relay_host = "relay.test";
	o.relay_port = 587;
	f.probed = true;
	f.nports = 2;
	f.port[0].port = 25;
	f.port[0].state = PROBE_FILTERED;
	f.port[1].port = 587;
	f.port[1].state = PROBE_OPEN;
	f.port[1].proto = PROBE_P_SMTP;
	f.port[1].starttls = true;
	doctor_judge(&o, &f, &rep);
	assert_true(rep.root >= 0);
	assert_string_equal(rep.f[rep.root].id, "port25-blocked");
	assert_int_equal(doctor_class_exit(rep.f[rep.root].cls), 69);
	assert_non_null(strstr(rep.f[rep.root].fix, "587"));
	/* every port filtered: a different verdict */
	f.port[1].state = PROBE_FILTERED;
	doctor_judge(&o, &f, &rep);
	assert_string_equal(rep.f[rep.root].id, "all-filtered");
	/* implicit TLS where STARTTLS was configured */
	f.port[1].state = PROBE_TLS_EXPECTED;
	f.port[0].state = PROBE_OPEN;
	o.tls = DOC_TLS_STARTTLS;
	doctor_judge(&o, &f, &rep);
	assert_string_equal(rep.f[rep.root].id, "tls-implicit-expected");
	assert_int_equal(doctor_class_exit(rep.f[rep.root].cls), 78);
}

/* Credentials: a 535 is the root cause (auth, exit 77); a 235 is not. */
static void
test_doctor_auth(void **state)
{
	static struct doctor_opts o;
	static struct doctor_facts f;
	static struct doctor_report rep;
	struct probe_port *p = &f.port[0];

	(void)state;
	doctor_opts_default(&o);
	o.relay_host = "relay.test";
	o.relay_port = 587;
	o.auth_user = "alice";
	f.probed = true;
	f.nports = 1;
	p->port = 587;
	p->state = PROBE_OPEN;
	p->proto = PROBE_P_SMTP;
	p->starttls = p->tls = true;
	p->cert.present = p->cert.verified = p->cert.name_ok = true;
	/* self-signed but trusted (--ca-file): not a problem */
	p->cert.self_signed = true;
	snprintf(p->auth_tls, sizeof(p->auth_tls), "PLAIN LOGIN");
	p->auth_tried = true;
	p->auth_code = 535;
	snprintf(p->auth_mech, sizeof(p->auth_mech), "PLAIN");
	snprintf(p->auth_reply, sizeof(p->auth_reply),
	         "535 5.7.8 Authentication credentials invalid");
	doctor_judge(&o, &f, &rep);
	assert_true(rep.root >= 0);
	assert_string_equal(rep.f[rep.root].id, "auth-rejected");
	assert_int_equal(doctor_class_exit(rep.f[rep.root].cls), 77);
	assert_non_null(strstr(rep.f[rep.root].evidence, "535 5.7.8"));
	assert_non_null(strstr(rep.f[rep.root].summary, "alice"));
	/* accepted: an info line only, no root cause */
	p->auth_ok = true;
	p->auth_code = 235;
	doctor_judge(&o, &f, &rep);
	assert_int_equal(rep.root, -1);
	assert_string_equal(rep.f[0].id, "auth-ok");
	/* refused before the server was asked: auth-failed, the words */
	p->auth_ok = false;
	p->auth_code = 0;
	p->auth_mech[0] = '\0';
	snprintf(p->auth_reply, sizeof(p->auth_reply),
	         "no usable AUTH mechanism: the server offers \"GSSAPI\"");
	doctor_judge(&o, &f, &rep);
	assert_string_equal(rep.f[rep.root].id, "auth-failed");
	assert_non_null(strstr(rep.f[rep.root].evidence, "GSSAPI"));
	/* without --auth-user nothing is said about credentials */
	o.auth_user = NULL;
	doctor_judge(&o, &f, &rep);
	assert_int_equal(rep.root, -1);
	/* an untrusted self-signed certificate is still a problem */
	p->cert.verified = false;
	doctor_judge(&o, &f, &rep);
	assert_string_equal(rep.f[rep.root].id, "cert-self-signed");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_spf_parse),
	    cmocka_unit_test(test_spf_eval),
	    cmocka_unit_test(test_addrclass),
	    cmocka_unit_test(test_tags),
	    cmocka_unit_test(test_dnsbl),
	    cmocka_unit_test(test_doctor_port25),
	    cmocka_unit_test(test_doctor_auth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
