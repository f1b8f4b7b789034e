/*
 * test_campaign.c — the campaign service (src/app/campaign*.c): the
 * status and TLS name tables; the settings set by name (flags and
 * mailcast.conf alike) and their JSON round trip, every field; relative
 * paths made absolute at save; no secret ever saved (only where it comes
 * from); the one creation's refusals (missing parts, both ways out, no
 * such list, a merge field the list lacks) with their words and codes,
 * and a good creation whose saved settings load back.
 */
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

#include "app/campaign.h"
#include "app/campaign_manage.h"
#include "app/token_keys.h"
#include "base/error.h"
#include "base/str.h"
#include "store/store_import.h"

#define SECRET_FILE_TEXT "hunter2-in-the-file"
#define SECRET_ENV_TEXT  "s3cret-in-the-env"

static char dir[64];

/* A fresh folder for the test's files; cwd moves into it. */
static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/mc-campaign-test.XXXXXX");
	if (mkdtemp(dir) == NULL || chdir(dir) != 0)
		return -1;
	return 0;
}

/* Remove the folder. */
static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	if (chdir("/") != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Write text into file name (in the test's folder). */
static void
put(const char *name, const char *text)
{
	FILE *fp = fopen(name, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* Set option o to v, which must be accepted. */
static void
set_ok(struct campaign_settings *set, enum campaign_opt o, const char *v)
{
	char err[CAMPAIGN_ERR_MAX] = "";

	if (campaign_settings_set(set, o, v, err, sizeof(err)) != 0)
		fail_msg("--%s %s: %s", campaign_opt_name(o), v ? v : "", err);
}

static void
test_status_names(void **state)
{
	static const char *const want[] = {"draft", "running", "paused",
	                                   "done"};

	(void)state;
	assert_int_equal(CAMPAIGN_STATUS__COUNT, 4);
	for (int i = 0; i < CAMPAIGN_STATUS__COUNT; i++) {
		assert_string_equal(
		    campaign_status_name((enum campaign_status)i), want[i]);
		assert_int_equal(campaign_status_parse(want[i]), i);
	}
	assert_string_equal(campaign_status_name(CAMPAIGN_STATUS__COUNT), "?");
	assert_int_equal(campaign_status_parse("sending"), -1);
	assert_int_equal(campaign_status_parse(NULL), -1);
	assert_int_equal(campaign_tls_parse("starttls"), CAMPAIGN_TLS_REQUIRE);
	assert_int_equal(campaign_tls_parse("implicit"), CAMPAIGN_TLS_IMPLICIT);
	assert_int_equal(campaign_tls_parse(""), -1);
	assert_string_equal(campaign_tls_name(CAMPAIGN_TLS_NONE), "none");
	/* every option has a name, and names are distinct */
	for (int i = 0; i < CAMPAIGN_OPT__COUNT; i++) {
		assert_non_null(campaign_opt_name((enum campaign_opt)i));
		for (int j = 0; j < i; j++)
			assert_string_not_equal(
			    campaign_opt_name((enum campaign_opt)i),
			    campaign_opt_name((enum campaign_opt)j));
	}
}

/* Settings with every field set: flags over a mailcast.conf with two
 * weighted relays. */
static void
full_settings(struct campaign_settings *set)
{
	struct mc_conf c;
	char err[512];

	put("t.tmpl", "From: a@b.example\nSubject: hi\n\nHello {{first}}\n");
	put("pw", SECRET_FILE_TEXT "\n");
	assert_int_equal(
	    conf_parse("[mailcast]\nrate = 50\n\n[relay big]\n"
	               "host = 127.0.0.1:2600\nweight = 3\ntls = require\n"
	               "ca_file = ca.pem\ntls_verify = no\nauth_user = alice\n"
	               "auth_password_file = pw\nconns = 2\nrate = 7.5\n"
	               "per_conn = 9\n\n[relay small]\n"
	               "host = 127.0.0.1:2601\n",
	               "t.conf", &c, err, sizeof(err)),
	    0);
	assert_int_equal(campaign_settings_from_conf(set, &c, err, sizeof(err)),
	                 0);
	conf_free(&c);
	set_ok(set, CAMPAIGN_OPT_TEMPLATE, "t.tmpl");
	set_ok(set, CAMPAIGN_OPT_FROM, "news@news.example");
	set_ok(set, CAMPAIGN_OPT_DNS_SERVER, "127.0.0.1:5300");
	set_ok(set, CAMPAIGN_OPT_MX_PORT, "2525");
	set_ok(set, CAMPAIGN_OPT_HELO, "me.example");
	set_ok(set, CAMPAIGN_OPT_TLS, "implicit");
	set_ok(set, CAMPAIGN_OPT_TLS_VERIFY, "no");
	set_ok(set, CAMPAIGN_OPT_CA_FILE, "certs/ca.pem");
	set_ok(set, CAMPAIGN_OPT_AUTH_USER, "bob");
	set_ok(set, CAMPAIGN_OPT_AUTH_PASSWORD_FILE, "pw");
	set_ok(set, CAMPAIGN_OPT_RATE, "120.5");
	set_ok(set, CAMPAIGN_OPT_DEST_RATE, "10");
	set_ok(set, CAMPAIGN_OPT_CONNS, "6");
	set_ok(set, CAMPAIGN_OPT_PER_CONN, "100");
	set_ok(set, CAMPAIGN_OPT_PIPELINE, "12");
	set_ok(set, CAMPAIGN_OPT_RETRY, "1,5,30");
	set_ok(set, CAMPAIGN_OPT_MAX_AGE, "3600");
	set_ok(set, CAMPAIGN_OPT_LINGER, "60");
	set_ok(set, CAMPAIGN_OPT_BACKOFF_MAX, "2000");
	set_ok(set, CAMPAIGN_OPT_TIMEOUT, "5000");
	set_ok(set, CAMPAIGN_OPT_THREADS, "3");
	set_ok(set, CAMPAIGN_OPT_TOKEN_KEY, "keys/token.key");
	set_ok(set, CAMPAIGN_OPT_BOUNCE_DOMAIN, "bounce.example");
	set_ok(set, CAMPAIGN_OPT_DKIM_KEY, "keys/rsa.pem");
	set_ok(set, CAMPAIGN_OPT_DKIM_SELECTOR, "s1");
	set_ok(set, CAMPAIGN_OPT_DKIM_KEY, "/abs/ed.pem");
	set_ok(set, CAMPAIGN_OPT_DKIM_SELECTOR, "s2");
	set_ok(set, CAMPAIGN_OPT_DKIM_DOMAIN, "news.example");
	set_ok(set, CAMPAIGN_OPT_UNSUB_URL, "https://u.example/u");
	set_ok(set, CAMPAIGN_OPT_UNSUB_MAILTO, "unsub@news.example");
	set_ok(set, CAMPAIGN_OPT_ALLOW_UNALIGNED, NULL);
	set->auth_secret.env = strdup("MY_PASSWORD_VAR");
}

/* "DIR/rel" (the test's folder, as realpath sees it). */
static const char *
in_dir(const char *rel)
{
	static char buf[512];
	char *real = realpath(dir, NULL);

	assert_non_null(real);
	snprintf(buf, sizeof(buf), "%s/%s", real, rel);
	free(real);
	return buf;
}

static void
test_json_round_trip(void **state)
{
	struct campaign_settings a, b;
	char err[CAMPAIGN_ERR_MAX];
	char *j1, *j2;

	(void)state;
	campaign_settings_init(&a);
	campaign_settings_init(&b);
	full_settings(&a);
	j1 = campaign_settings_to_json(&a);
	assert_int_equal(campaign_settings_from_json(&b, j1, err, sizeof(err)),
	                 0);
	/* every field, field by field */
	assert_string_equal(b.template_path, in_dir("t.tmpl"));
	assert_string_equal(b.from, "news@news.example");
	assert_string_equal(b.bounce_domain, "bounce.example");
	assert_string_equal(b.token_key_file, in_dir("keys/token.key"));
	assert_int_equal(b.ndkim, 2);
	assert_int_equal(b.nsel, 2);
	assert_string_equal(b.dkim_key[0], in_dir("keys/rsa.pem"));
	assert_string_equal(b.dkim_key[1], "/abs/ed.pem");
	assert_string_equal(b.dkim_selector[0], "s1");
	assert_string_equal(b.dkim_selector[1], "s2");
	assert_string_equal(b.dkim_domain, "news.example");
	assert_int_equal(b.nrelays, 2);
	assert_true(b.weighted);
	assert_string_equal(b.relays[0].host, "127.0.0.1:2600");
	assert_string_equal(b.relays[0].name, "big");
	assert_int_equal(b.relays[0].weight, 3);
	assert_int_equal(b.relays[0].tls, CAMPAIGN_TLS_REQUIRE);
	assert_int_equal(b.relays[0].tls_verify, 0);
	assert_string_equal(b.relays[0].ca_file, in_dir("ca.pem"));
	assert_string_equal(b.relays[0].auth_user, "alice");
	assert_string_equal(b.relays[0].auth_secret.file, in_dir("pw"));
	assert_int_equal(b.relays[0].conns, 2);
	assert_true(b.relays[0].rate == 7.5);
	assert_int_equal(b.relays[0].per_conn, 9);
	assert_string_equal(b.relays[1].host, "127.0.0.1:2601");
	assert_int_equal(b.relays[1].tls, CAMPAIGN_TLS_INHERIT);
	assert_int_equal(b.relays[1].tls_verify, -1);
	assert_null(b.relays[1].ca_file);
	assert_null(b.relays[1].auth_user);
	assert_false(b.direct);
	assert_string_equal(b.dns_server, "127.0.0.1:5300");
	assert_int_equal(b.mx_port, 2525);
	assert_string_equal(b.helo, "me.example");
	assert_int_equal(b.tls, CAMPAIGN_TLS_IMPLICIT);
	assert_true(b.tls_no_verify);
	assert_string_equal(b.ca_file, in_dir("certs/ca.pem"));
	assert_string_equal(b.auth_user, "bob");
	assert_string_equal(b.auth_secret.file, in_dir("pw"));
	assert_string_equal(b.auth_secret.env, "MY_PASSWORD_VAR");
	assert_string_equal(b.unsub_url, "https://u.example/u");
	assert_string_equal(b.unsub_mailto, "unsub@news.example");
	assert_true(b.allow_unaligned);
	assert_true(b.limits.rate == 120.5);
	assert_true(b.limits.dest_rate == 10);
	assert_int_equal(b.limits.dest_conns, 6);
	assert_int_equal(b.limits.per_conn, 100);
	assert_int_equal(b.limits.pipeline, 12);
	assert_int_equal(b.retry.n, 3);
	assert_int_equal(b.retry.schedule[0], 1);
	assert_int_equal(b.retry.schedule[1], 5);
	assert_int_equal(b.retry.schedule[2], 30);
	assert_int_equal(b.retry.max_age, 3600);
	assert_int_equal(b.retry.linger, 60);
	assert_int_equal(b.retry.backoff_max_ms, 2000);
	assert_int_equal(b.timeout_ms, 5000);
	assert_int_equal(b.threads, 3);
	/* and the same JSON again */
	j2 = campaign_settings_to_json(&b);
	assert_string_equal(j1, j2);
	free(j1);
	free(j2);
	campaign_settings_fini(&a);
	campaign_settings_fini(&b);
}

static void
test_no_secret_saved(void **state)
{
	struct campaign_settings a;
	char *j;

	(void)state;
	setenv("MY_PASSWORD_VAR", SECRET_ENV_TEXT, 1);
	setenv(CAMPAIGN_SECRET_ENV, SECRET_ENV_TEXT, 1);
	campaign_settings_init(&a);
	full_settings(&a);
	j = campaign_settings_to_json(&a);
	assert_null(strstr(j, SECRET_FILE_TEXT));
	assert_null(strstr(j, SECRET_ENV_TEXT));
	/* where it comes from is kept */
	assert_non_null(strstr(j, "\"auth_password_env\":\"MY_PASSWORD_VAR\""));
	free(j);
	campaign_settings_fini(&a);
	unsetenv("MY_PASSWORD_VAR");
	unsetenv(CAMPAIGN_SECRET_ENV);
}

/* Settings from name/value pairs (a command line's options, an API
 * form): in order, a layer's first relay replacing the earlier ones, a
 * bad value or an unknown name refused with the reason. */
static void
test_settings_kv(void **state)
{
	struct campaign_settings set;
	char err[CAMPAIGN_ERR_MAX];
	const struct campaign_kv kv[] = {
	    {"rate", "5"},
	    {"relay", "127.0.0.1:2525"},
	    {"relay", "127.0.0.1:2526"},
	    {"helo", "mx.example"},
	    {"tls-no-verify", NULL},
	};
	const struct campaign_kv bad[] = {{"helo", "a"}, {"rate", "fast"}};
	const struct campaign_kv unknown[] = {{"no-such", "x"}};

	(void)state;
	campaign_settings_init(&set);
	set_ok(&set, CAMPAIGN_OPT_RELAY, "127.0.0.1:1");
	campaign_settings_layer(&set);
	assert_int_equal(
	    campaign_settings_set_kv(&set, kv, 5, err, sizeof(err)), 0);
	assert_true(set.limits.rate == 5);
	assert_int_equal(set.nrelays, 2);
	assert_string_equal(set.relays[0].host, "127.0.0.1:2525");
	assert_string_equal(set.relays[1].host, "127.0.0.1:2526");
	assert_string_equal(set.helo, "mx.example");
	assert_true(set.tls_no_verify);
	assert_int_equal(
	    campaign_settings_set_kv(&set, bad, 2, err, sizeof(err)),
	    MC_EINVAL);
	assert_string_equal(err, "--rate: messages per second");
	assert_string_equal(set.helo, "a"); /* the pairs before it are set */
	assert_int_equal(
	    campaign_settings_set_kv(&set, unknown, 1, err, sizeof(err)),
	    MC_EINVAL);
	assert_string_equal(err, "no-such: no such setting");
	assert_int_equal(campaign_opt_parse("dns-server"),
	                 CAMPAIGN_OPT_DNS_SERVER);
	assert_int_equal(campaign_opt_parse("nope"), -1);
	campaign_settings_fini(&set);
}

static void
test_layers(void **state)
{
	struct campaign_settings a;
	struct mc_conf c;
	char err[512];

	(void)state;
	campaign_settings_init(&a);
	assert_int_equal(conf_parse("[mailcast]\ndkim_key = k1\n"
	                            "dkim_selector = s1\n\n[relay r]\n"
	                            "host = 127.0.0.1:1\n",
	                            "t.conf", &c, err, sizeof(err)),
	                 0);
	assert_int_equal(campaign_settings_from_conf(&a, &c, err, sizeof(err)),
	                 0);
	conf_free(&c);
	/* a flag's relay replaces the file's, the second adds */
	set_ok(&a, CAMPAIGN_OPT_RELAY, "127.0.0.1:2");
	set_ok(&a, CAMPAIGN_OPT_RELAY, "127.0.0.1:3");
	assert_int_equal(a.nrelays, 2);
	assert_false(a.weighted);
	assert_string_equal(a.relays[0].host, "127.0.0.1:2");
	/* a flag's DKIM key replaces the file's */
	set_ok(&a, CAMPAIGN_OPT_DKIM_KEY, "k2");
	assert_int_equal(a.ndkim, 1);
	assert_int_equal(a.nsel, 0);
	assert_string_equal(a.dkim_key[0], "k2");
	/* refusals name the option */
	assert_int_equal(campaign_settings_set(&a, CAMPAIGN_OPT_RATE, "fast",
	                                       err, sizeof(err)),
	                 MC_EINVAL);
	assert_string_equal(err, "--rate: messages per second");
	assert_int_equal(campaign_settings_set(&a, CAMPAIGN_OPT_TEMPLATE,
	                                       "nope.tmpl", err, sizeof(err)),
	                 MC_ENOTFOUND);
	assert_string_equal(err, "nope.tmpl: no such template file");
	assert_int_equal(
	    campaign_settings_from_json(&a, "[1]", err, sizeof(err)), MC_EDATA);
	campaign_settings_fini(&a);
}

/* Open a store in the folder with list "l" (columns email, first). */
static struct store *
store_with_list(void)
{
	struct store_import_opts io;
	struct store_import_stats st;
	char err[256];
	struct store *s = store_open("sqlite:t.db", err, sizeof(err));
	FILE *fp;

	assert_non_null(s);
	put("l.csv", "email,first\na@x.example,Ann\nb@y.example,Bo\n");
	fp = fopen("l.csv", "r");
	assert_non_null(fp);
	memset(&io, 0, sizeof(io));
	io.list = "l";
	assert_int_equal(store_import_contacts(s, fp, &io, &st), 0);
	fclose(fp);
	return s;
}

static void
test_create(void **state)
{
	struct campaign_settings set, back;
	char err[CAMPAIGN_ERR_MAX];
	struct campaign_info ci;
	struct store *s;
	int64_t id = 0, id2;

	(void)state;
	s = store_with_list();
	campaign_settings_init(&set);
	/* what is missing, named */
	assert_int_equal(
	    campaign_create(s, "c", NULL, &set, &id, err, sizeof(err)),
	    MC_EINVAL);
	assert_string_equal(err, "--list, --template and --from are required");
	set_ok(&set, CAMPAIGN_OPT_FROM, "news@news.example");
	put("bad.tmpl", "From: a@b.example\nSubject: {{nosuch}}\n\nhi\n");
	set_ok(&set, CAMPAIGN_OPT_TEMPLATE, "bad.tmpl");
	assert_int_equal(
	    campaign_create(s, "c", "l", &set, &id, err, sizeof(err)),
	    MC_EINVAL);
	assert_string_equal(
	    err, "say where mail goes: --relay HOST:PORT or --direct");
	set_ok(&set, CAMPAIGN_OPT_RELAY, "127.0.0.1:1");
	set_ok(&set, CAMPAIGN_OPT_DIRECT, NULL);
	set_ok(&set, CAMPAIGN_OPT_RELAY, "127.0.0.1:1");
	assert_int_equal(
	    campaign_create(s, "c", "l", &set, &id, err, sizeof(err)),
	    MC_EINVAL);
	assert_string_equal(err, "--relay and --direct exclude each other");
	set.direct = false;
	assert_int_equal(
	    campaign_create(s, "c", "nolist", &set, &id, err, sizeof(err)),
	    MC_ENOTFOUND);
	assert_string_equal(err, "no list 'nolist' in store t.db");
	/* a merge field the list does not have: the template's words */
	assert_int_equal(
	    campaign_create(s, "c", "l", &set, &id, err, sizeof(err)),
	    MC_EDATA);
	assert_non_null(strstr(err, "unknown field 'nosuch'"));
	assert_int_equal(mc_exit_code(MC_EDATA), 65);
	/* nothing was made by the refusals */
	assert_int_equal(campaign_lookup(s, "c", &id, err, sizeof(err)),
	                 MC_ENOTFOUND);
	/* --from at another domain than the template's From: (DMARC) */
	put("other.tmpl", "From: a@b.example\nSubject: {{first}}\n\nhi\n");
	set_ok(&set, CAMPAIGN_OPT_TEMPLATE, "other.tmpl");
	assert_int_equal(
	    campaign_create(s, "c", "l", &set, &id, err, sizeof(err)),
	    MC_EDATA);
	assert_non_null(strstr(err, "--from news@news.example is at "
	                            "news.example but the template's From: "
	                            "is at b.example"));
	assert_non_null(strstr(err, "DMARC alignment"));
	assert_non_null(strstr(err, "--allow-unaligned"));
	/* a good one: draft, settings saved and loaded back */
	put("good.tmpl",
	    "From: News <news@News.Example>\nSubject: {{first}}\n\nhi\n");
	set_ok(&set, CAMPAIGN_OPT_TEMPLATE, "good.tmpl");
	assert_int_equal(
	    campaign_create(s, "c", "l", &set, &id, err, sizeof(err)), 0);
	assert_int_equal(campaign_lookup(s, "c", &id2, err, sizeof(err)), 0);
	assert_int_equal(id2, id);
	assert_int_equal(campaign_lookup(s, "1", &id2, err, sizeof(err)), 0);
	assert_int_equal(campaign_status_get(s, id, &ci, err, sizeof(err)), 0);
	assert_int_equal(ci.status, CAMPAIGN_DRAFT);
	assert_string_equal(ci.name, "c");
	campaign_settings_init(&back);
	assert_int_equal(campaign_settings_load(s, id, &back, err, sizeof(err)),
	                 0);
	assert_string_equal(back.template_path, in_dir("good.tmpl"));
	assert_string_equal(back.relays[0].host, "127.0.0.1:1");
	campaign_settings_fini(&back);
	/* the same name again: refused by the store, nothing half-made */
	assert_int_equal(
	    campaign_create(s, "c", "l", &set, &id2, err, sizeof(err)),
	    MC_EDATA);
	/* unaligned, allowed on purpose */
	set_ok(&set, CAMPAIGN_OPT_TEMPLATE, "other.tmpl");
	set_ok(&set, CAMPAIGN_OPT_ALLOW_UNALIGNED, NULL);
	assert_int_equal(
	    campaign_create(s, "c2", "l", &set, &id2, err, sizeof(err)), 0);
	/* one domain in U-labels and A-labels is aligned */
	set.allow_unaligned = false;
	put("idn.tmpl", "From: news@xn--bcher-kva.example\nSubject: "
	                "{{first}}\n\nhi\n");
	set_ok(&set, CAMPAIGN_OPT_TEMPLATE, "idn.tmpl");
	set_ok(&set, CAMPAIGN_OPT_FROM,
	       "info@B\xc3\x9c"
	       "cher.example");
	if (campaign_create(s, "c3", "l", &set, &id2, err, sizeof(err)) != 0)
		fail_msg("IDN From refused: %s", err);
	campaign_settings_fini(&set);
	store_close(s);
}

/* Settings that campaign_create() accepts but for the value v of o; the
 * refusal's words must contain want. */
static void
refused(struct store *s, enum campaign_opt o, const char *v, const char *name,
        const char *want)
{
	struct campaign_settings set;
	char err[CAMPAIGN_ERR_MAX] = "";
	int64_t id;
	int rc;

	campaign_settings_init(&set);
	set_ok(&set, CAMPAIGN_OPT_TEMPLATE, "good.tmpl");
	set_ok(&set, CAMPAIGN_OPT_FROM, "news@news.example");
	set_ok(&set, CAMPAIGN_OPT_RELAY, "127.0.0.1:1");
	if (o != CAMPAIGN_OPT__COUNT)
		assert_int_equal(
		    campaign_settings_set(&set, o, v, err, sizeof(err)), 0);
	rc = campaign_create(s, name, "l", &set, &id, err, sizeof(err));
	if (rc != MC_EINVAL || strstr(err, want) == NULL)
		fail_msg("%s = '%s': rc %d '%s', want '%s'",
		         o == CAMPAIGN_OPT__COUNT ? "name"
		                                  : campaign_opt_name(o),
		         v, rc, err, want);
	assert_int_equal(mc_exit_code(rc), 64);
	campaign_settings_fini(&set);
}

/* Item 7: each value that would reach a header or a protocol line is
 * checked at create, the field named, nothing made. */
static void
test_validate(void **state)
{
	static const struct {
		enum campaign_opt o;
		const char *v, *want;
	} bad[] = {
	    {CAMPAIGN_OPT_FROM, "a@b@c", "--from: not an address"},
	    {CAMPAIGN_OPT_FROM, ".a@news.example", "--from: not an address"},
	    {CAMPAIGN_OPT_FROM, "a..b@news.example", "two dots"},
	    {CAMPAIGN_OPT_FROM, "news", "--from: not an address: no '@'"},
	    {CAMPAIGN_OPT_BOUNCE_DOMAIN, "b.example\r\nX-Evil: 1",
	     "--bounce-domain: a space or control character"},
	    {CAMPAIGN_OPT_BOUNCE_DOMAIN, "-b.example",
	     "--bounce-domain: not a domain name"},
	    {CAMPAIGN_OPT_HELO, "x\r\nMAIL FROM:<a@b>",
	     "--helo: a space or control character"},
	    {CAMPAIGN_OPT_HELO, "x_y", "--helo: not a host name"},
	    {CAMPAIGN_OPT_DKIM_DOMAIN, "a b", "--dkim-domain: a space"},
	    {CAMPAIGN_OPT_UNSUB_URL, "ftp://u.example/u",
	     "--unsubscribe-url: not an http:// or https:// URL"},
	    {CAMPAIGN_OPT_UNSUB_URL, "https:///u",
	     "--unsubscribe-url: no host"},
	    {CAMPAIGN_OPT_UNSUB_URL, "https://u.example/a b",
	     "--unsubscribe-url: a space"},
	    {CAMPAIGN_OPT_UNSUB_URL, "https://u.example/\r\nBcc: x",
	     "--unsubscribe-url: a space or control"},
	    {CAMPAIGN_OPT_UNSUB_MAILTO, "unsub",
	     "--unsubscribe-mailto: not "
	     "an address"},
	    {CAMPAIGN_OPT_AUTH_USER, "bob\r\nQUIT", "--auth-user: a control"},
	};
	char err[CAMPAIGN_ERR_MAX];
	struct store *s;
	int64_t id;

	(void)state;
	s = store_with_list();
	put("good.tmpl", "From: news@news.example\nSubject: {{first}}\n\nhi\n");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refused(s, bad[i].o, bad[i].v, "c", bad[i].want);
	refused(s, CAMPAIGN_OPT__COUNT, NULL, "c\r\nx", "--name: a control");
	/* refused as they are set: a retry of 0 s hammers a greylisting
	 * server; a relay on port 0 stalled the run */
	{
		struct campaign_settings set;
		char e[CAMPAIGN_ERR_MAX];

		campaign_settings_init(&set);
		assert_int_equal(campaign_settings_set(&set, CAMPAIGN_OPT_RETRY,
		                                       "60,0", e, sizeof(e)),
		                 MC_EINVAL);
		assert_non_null(strstr(e, "--retry: durations from 1s up"));
		assert_int_equal(campaign_settings_set(&set, CAMPAIGN_OPT_RELAY,
		                                       "127.0.0.1:0", e,
		                                       sizeof(e)),
		                 MC_EINVAL);
		assert_non_null(strstr(e, "port from 1 to 65535"));
		assert_int_equal(campaign_settings_set(&set, CAMPAIGN_OPT_RELAY,
		                                       "[::1]:2525", e,
		                                       sizeof(e)),
		                 0);
		campaign_settings_fini(&set);
	}
	refused(s, CAMPAIGN_OPT__COUNT, NULL, "c\x7f", "--name: a control");
	/* none was made */
	assert_int_equal(campaign_lookup(s, "c", &id, err, sizeof(err)),
	                 MC_ENOTFOUND);
	store_close(s);
}

/* Durations take a unit (500ms, 30s, 5m, 2h, 1d); a bare number keeps
 * the unit it always had (ms for --timeout and --backoff-max, s for the
 * others); what is not a whole number of the option's unit is refused. */
static void
test_durations(void **state)
{
	static const struct {
		enum campaign_opt o;
		const char *v;
		int rc;
		unsigned want; /* the field afterwards */
	} cases[] = {
	    {CAMPAIGN_OPT_TIMEOUT, "30s", 0, 30000},
	    {CAMPAIGN_OPT_TIMEOUT, "500ms", 0, 500},
	    {CAMPAIGN_OPT_TIMEOUT, "1500", 0, 1500}, /* bare: ms */
	    {CAMPAIGN_OPT_TIMEOUT, "2m", 0, 120000},
	    {CAMPAIGN_OPT_TIMEOUT, "50ms", MC_EINVAL, 0}, /* under 100 ms */
	    {CAMPAIGN_OPT_TIMEOUT, "2h", MC_EINVAL, 0},   /* over 1 h */
	    {CAMPAIGN_OPT_TIMEOUT, "30x", MC_EINVAL, 0},
	    {CAMPAIGN_OPT_TIMEOUT, "s", MC_EINVAL, 0},
	    {CAMPAIGN_OPT_TIMEOUT, "-5s", MC_EINVAL, 0},
	    {CAMPAIGN_OPT_LINGER, "5", 0, 5}, /* bare: s */
	    {CAMPAIGN_OPT_LINGER, "2m", 0, 120},
	    {CAMPAIGN_OPT_LINGER, "1500ms", MC_EINVAL, 0}, /* not whole s */
	    {CAMPAIGN_OPT_MAX_AGE, "5d", 0, 5 * 86400},
	    {CAMPAIGN_OPT_LEASE_TIMEOUT, "30s", 0, 30},
	    {CAMPAIGN_OPT_BACKOFF_MAX, "2s", 0, 2000},
	};
	char e[CAMPAIGN_ERR_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct campaign_settings set;
		unsigned got = 0;

		campaign_settings_init(&set);
		assert_int_equal(campaign_settings_set(&set, cases[i].o,
		                                       cases[i].v, e,
		                                       sizeof(e)),
		                 cases[i].rc);
		switch (cases[i].o) {
		case CAMPAIGN_OPT_TIMEOUT:
			got = set.timeout_ms;
			break;
		case CAMPAIGN_OPT_LINGER:
			got = set.retry.linger;
			break;
		case CAMPAIGN_OPT_MAX_AGE:
			got = set.retry.max_age;
			break;
		case CAMPAIGN_OPT_LEASE_TIMEOUT:
			got = set.lease_timeout;
			break;
		default:
			got = set.retry.backoff_max_ms;
			break;
		}
		if (cases[i].rc == 0)
			assert_int_equal(got, cases[i].want);
		campaign_settings_fini(&set);
	}
	{
		struct campaign_settings set;

		campaign_settings_init(&set);
		assert_int_equal(campaign_settings_set(&set, CAMPAIGN_OPT_RETRY,
		                                       "30s,5m,1", e,
		                                       sizeof(e)),
		                 0);
		assert_int_equal(set.retry.n, 3);
		assert_int_equal(set.retry.schedule[0], 30);
		assert_int_equal(set.retry.schedule[1], 300);
		assert_int_equal(set.retry.schedule[2], 1);
		campaign_settings_fini(&set);
	}
}

/* Each frozen file read back as kept. */
static int
count_file(void *arg, const struct store_campaign_file *f)
{
	int *n = arg;

	assert_int_equal(f->seq, *n);
	(*n)++;
	return 0;
}

/* The store's campaign management: a due campaign is claimed once (the
 * claim clears its schedule), one not due never; the frozen files come
 * back by seq; delete takes the campaign and its ledger. */
static void
test_store_manage(void **state)
{
	struct store_campaign c;
	struct store_campaign_file f0 = {0, "/t/news.tmpl", "From: a\n", 8},
	                           f1 = {1, "a.pdf", "", 0};
	unsigned long counts[DLV__COUNT];
	struct store *s;
	int64_t a, b, id = 0;
	int n = 0;

	(void)state;
	s = store_with_list();
	assert_int_equal(store_list_find(s, "l", &id), 0);
	assert_int_equal(store_campaign_create(s, "a", id, 100, &a), 0);
	assert_int_equal(store_campaign_create(s, "b", id, 100, &b), 0);
	assert_int_equal(store_campaign_schedule(s, a, 1000), 0);
	assert_int_equal(store_campaign_schedule(s, b, 5000), 0);
	assert_int_equal(store_campaign_get(s, a, &c), 0);
	assert_int_equal(c.scheduled, 1000);
	assert_int_equal(store_campaign_claim_due(s, 999, &id), MC_ENOTFOUND);
	assert_int_equal(store_campaign_claim_due(s, 1000, &id), 0);
	assert_int_equal(id, a);
	assert_int_equal(store_campaign_claim_due(s, 4999, &id), MC_ENOTFOUND);
	assert_int_equal(store_campaign_get(s, a, &c), 0);
	assert_int_equal(c.scheduled, 0);
	assert_int_equal(store_campaign_schedule(s, b, 0), 0); /* unschedule */
	assert_int_equal(store_campaign_claim_due(s, 9999, &id), MC_ENOTFOUND);
	assert_int_equal(store_campaign_schedule(s, 999, 1), MC_ENOTFOUND);
	assert_int_equal(store_campaign_file_put(s, a, &f1), 0);
	assert_int_equal(store_campaign_file_put(s, a, &f0), 0);
	assert_int_equal(store_campaign_file_each(s, a, count_file, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_campaign_delete(s, a), 0);
	assert_int_equal(store_campaign_get(s, a, &c), MC_ENOTFOUND);
	assert_int_equal(store_count_states(s, a, counts), 0);
	assert_int_equal(counts[DLV_PENDING], 0);
	n = 0;
	assert_int_equal(store_campaign_file_each(s, a, count_file, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_campaign_delete(s, a), MC_ENOTFOUND);
	assert_int_equal(store_count_states(s, b, counts), 0);
	assert_int_equal(counts[DLV_PENDING], 2); /* the other one stays */
	store_close(s);
}

/* The frozen copy: Attach: rewritten to the base name, the files kept;
 * thawed for a test with the marks; two attachments with one base name
 * refused at create, nothing made. */
static void
test_freeze(void **state)
{
	struct campaign_settings set;
	struct campaign_thawed t;
	char err[CAMPAIGN_ERR_MAX], path[PATH_MAX + 20];
	struct store *s;
	int64_t id;
	FILE *fp;
	char buf[512];
	size_t n;

	(void)state;
	s = store_with_list();
	campaign_settings_init(&set);
	set_ok(&set, CAMPAIGN_OPT_FROM, "news@news.example");
	set_ok(&set, CAMPAIGN_OPT_RELAY, "127.0.0.1:1");
	assert_int_equal(mkdir("sub", 0700), 0);
	put("a.pdf", "AAA");
	put("sub/a.pdf", "BBB");
	put("two.tmpl", "From: news@news.example\nSubject: {{first}}\n"
	                "Attach: a.pdf\nAttach: sub/a.pdf\n\nhi\n");
	set_ok(&set, CAMPAIGN_OPT_TEMPLATE, "two.tmpl");
	assert_int_equal(
	    campaign_create(s, "two", "l", &set, &id, err, sizeof(err)),
	    MC_EDATA);
	assert_non_null(strstr(err, "two attachments named a.pdf"));
	assert_int_equal(campaign_lookup(s, "two", &id, err, sizeof(err)),
	                 MC_ENOTFOUND);
	put("one.tmpl", "From: news@news.example\nSubject: {{first}}\n"
	                "Attach: sub/a.pdf; type=text/plain\n\nhi\n");
	set_ok(&set, CAMPAIGN_OPT_TEMPLATE, "one.tmpl");
	assert_int_equal(
	    campaign_create(s, "one", "l", &set, &id, err, sizeof(err)), 0);
	put("sub/a.pdf", "CHANGED");
	assert_int_equal(campaign_thaw(s, id, true, &t, err, sizeof(err)), 0);
	assert_true(t.frozen);
	assert_string_equal(t.origin, in_dir("one.tmpl"));
	fp = fopen(t.path, "r");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	assert_string_equal(buf, "X-Mailcast-Test: yes\n"
	                         "From: news@news.example\n"
	                         "Subject: [test] {{first}}\n"
	                         "Attach: a.pdf; type=text/plain\n\nhi\n");
	snprintf(path, sizeof(path), "%s/a.pdf", t.dir);
	fp = fopen(path, "r");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	assert_string_equal(buf, "BBB");
	mc_strlcpy(buf, t.dir, sizeof(buf));
	campaign_thaw_fini(&t);
	assert_int_equal(access(buf, F_OK), -1); /* the folder is gone */
	campaign_settings_fini(&set);
	store_close(s);
}

/* Sending windows: the zone required, UTC minutes, across midnight. */
static void
test_window_parse(void **state)
{
	unsigned a, b;

	(void)state;
	assert_int_equal(campaign_window_parse("09:00-17:00+01:00", &a, &b), 0);
	assert_int_equal(a, 8 * 60);
	assert_int_equal(b, 16 * 60);
	assert_int_equal(campaign_window_parse("22:00-06:00Z", &a, &b), 0);
	assert_int_equal(a, 22 * 60);
	assert_int_equal(b, 6 * 60);
	assert_int_equal(campaign_window_parse("00:30-08:00+02:00", &a, &b), 0);
	assert_int_equal(a, 22 * 60 + 30); /* the day before, in UTC */
	assert_int_equal(b, 6 * 60);
	assert_int_equal(campaign_window_parse("09:00-17:00", &a, &b),
	                 MC_EINVAL);
	assert_int_equal(campaign_window_parse("09:00-09:00Z", &a, &b),
	                 MC_EINVAL);
	assert_int_equal(campaign_window_parse("9:00-17:00Z", &a, &b),
	                 MC_EINVAL);
	assert_int_equal(campaign_window_parse("09:00-17:60Z", &a, &b),
	                 MC_EINVAL);
	assert_int_equal(campaign_window_parse("09:00-17:00Zx", &a, &b),
	                 MC_EINVAL);
}

/* ISO 8601 with a zone, and the refusals a person meets. */
static void
test_time_parse(void **state)
{
	char e[CAMPAIGN_ERR_MAX];
	time_t t;

	(void)state;
	assert_int_equal(
	    campaign_time_parse("2026-12-24T09:00:00+01:00", &t, e, sizeof(e)),
	    0);
	assert_int_equal(t, 1798099200); /* 2026-12-24 08:00:00 UTC */
	assert_int_equal(
	    campaign_time_parse("2026-12-24 08:00Z", &t, e, sizeof(e)), 0);
	assert_int_equal(t, 1798099200);
	assert_int_equal(
	    campaign_time_parse("2026-12-24T03:00-0500", &t, e, sizeof(e)), 0);
	assert_int_equal(t, 1798099200);
	assert_int_equal(
	    campaign_time_parse("2026-12-24T08:00", &t, e, sizeof(e)),
	    MC_EINVAL);
	assert_non_null(strstr(e, "has no zone"));
	assert_int_equal(
	    campaign_time_parse("2026-13-24T08:00Z", &t, e, sizeof(e)),
	    MC_EINVAL);
	assert_int_equal(campaign_time_parse("tomorrow", &t, e, sizeof(e)),
	                 MC_EINVAL);
	assert_non_null(strstr(e, "not an ISO 8601 time with a zone"));
	assert_int_equal(
	    campaign_time_parse("2026-12-24T08:00Zjunk", &t, e, sizeof(e)),
	    MC_EINVAL);
}

/* Good values of the same fields pass. */
static void
test_validate_good(void **state)
{
	struct campaign_settings set;
	char err[CAMPAIGN_ERR_MAX];
	struct store *s;
	int64_t id;

	(void)state;
	s = store_with_list();
	put("good.tmpl", "From: news@news.example\nSubject: {{first}}\n\nhi\n");
	campaign_settings_init(&set);
	set_ok(&set, CAMPAIGN_OPT_TEMPLATE, "good.tmpl");
	set_ok(&set, CAMPAIGN_OPT_FROM, "news@news.example");
	set_ok(&set, CAMPAIGN_OPT_RELAY, "127.0.0.1:1");
	set_ok(&set, CAMPAIGN_OPT_HELO, "[127.0.0.1]");
	set_ok(&set, CAMPAIGN_OPT_BOUNCE_DOMAIN, "bounce.news.example");
	set_ok(&set, CAMPAIGN_OPT_UNSUB_URL, "https://u.example:8443/u?l=1");
	set_ok(&set, CAMPAIGN_OPT_UNSUB_MAILTO, "unsub@news.example");
	if (campaign_create(s, "ok", "l", &set, &id, err, sizeof(err)) != 0)
		fail_msg("refused: %s", err);
	campaign_settings_fini(&set);
	store_close(s);
}

/* A file the settings name that is missing or a directory: the field and
 * the absolute path named, at create and at start (never "(null)"). */
static void
test_files(void **state)
{
	struct campaign_settings set;
	struct campaign_result res;
	char err[CAMPAIGN_ERR_MAX], want[600];
	struct store *s;
	int64_t id;

	(void)state;
	s = store_with_list();
	put("good.tmpl", "From: news@news.example\nSubject: {{first}}\n\nhi\n");
	assert_int_equal(mkdir("adir", 0700), 0);
	campaign_settings_init(&set);
	set_ok(&set, CAMPAIGN_OPT_FROM, "news@news.example");
	set_ok(&set, CAMPAIGN_OPT_RELAY, "127.0.0.1:1");
	/* the template a directory */
	set_ok(&set, CAMPAIGN_OPT_TEMPLATE, "adir");
	assert_int_equal(
	    campaign_create(s, "c", "l", &set, &id, err, sizeof(err)),
	    MC_EDATA);
	snprintf(want, sizeof(want), "--template %s is a directory",
	         in_dir("adir"));
	assert_non_null(strstr(err, want));
	set_ok(&set, CAMPAIGN_OPT_TEMPLATE, "good.tmpl");
	/* the password file a directory */
	set_ok(&set, CAMPAIGN_OPT_AUTH_USER, "bob");
	set_ok(&set, CAMPAIGN_OPT_AUTH_PASSWORD_FILE, "adir");
	assert_int_equal(
	    campaign_create(s, "c", "l", &set, &id, err, sizeof(err)),
	    MC_EDATA);
	snprintf(want, sizeof(want), "--auth-password-file %s is a directory",
	         in_dir("adir"));
	assert_non_null(strstr(err, want));
	/* a missing CA file, relative: named absolute */
	put("pw", "secret\n");
	set_ok(&set, CAMPAIGN_OPT_AUTH_PASSWORD_FILE, "pw");
	set_ok(&set, CAMPAIGN_OPT_CA_FILE, "ca.pem");
	assert_int_equal(
	    campaign_create(s, "c", "l", &set, &id, err, sizeof(err)),
	    MC_ENOTFOUND);
	snprintf(want, sizeof(want), "--ca-file %s: no such file",
	         in_dir("ca.pem"));
	assert_string_equal(err, want);
	/* the key files too */
	put("ca.pem", "x\n");
	set_ok(&set, CAMPAIGN_OPT_TOKEN_KEY, "adir");
	assert_int_equal(
	    campaign_create(s, "c", "l", &set, &id, err, sizeof(err)),
	    MC_EDATA);
	assert_non_null(strstr(err, "--token-key "));
	assert_non_null(strstr(err, "is a directory"));
	free(set.token_key_file);
	set.token_key_file = NULL;
	set_ok(&set, CAMPAIGN_OPT_DKIM_KEY, "nokey.pem");
	set_ok(&set, CAMPAIGN_OPT_DKIM_SELECTOR, "s1");
	assert_int_equal(
	    campaign_create(s, "c", "l", &set, &id, err, sizeof(err)),
	    MC_ENOTFOUND);
	assert_non_null(strstr(err, "--dkim-key "));
	put("nokey.pem", "x\n");
	assert_int_equal(
	    campaign_create(s, "c", "l", &set, &id, err, sizeof(err)), 0);
	/* at start, from another folder, the CA file gone: named, 78 */
	assert_int_equal(unlink("ca.pem"), 0);
	assert_int_equal(chdir("/"), 0);
	assert_int_equal(campaign_resume(s, id, NULL, &res, err, sizeof(err)),
	                 MC_ECONFIG);
	assert_int_equal(chdir(dir), 0);
	snprintf(want, sizeof(want), "--ca-file %s: no such file",
	         in_dir("ca.pem"));
	assert_string_equal(err, want);
	assert_null(strstr(err, "(null)"));
	campaign_settings_fini(&set);
	store_close(s);
}

/* Item 3: one key ring per store, made on first use, rotatable; old keys
 * keep verifying, a campaign's own key is kept to verify. */
static void
test_token_keys(void **state)
{
	struct token_keyring ring, ring2;
	struct token_key own;
	char err[CAMPAIGN_ERR_MAX], tok1[TOKEN_MAX + 1], tok2[TOKEN_MAX + 1];
	char tok3[TOKEN_MAX + 1];
	unsigned char raw[TOKEN_KEY_MIN];
	uint64_t c, k;
	int64_t kid, id2;
	struct store *s;

	(void)state;
	s = store_with_list();
	assert_int_equal(token_keys_load(s, false, &ring, err, sizeof(err)),
	                 MC_ENOTFOUND);
	assert_int_equal(token_keys_load(s, true, &ring, err, sizeof(err)), 0);
	assert_int_equal(ring.n, 1);
	/* the same key on the next use (never one per run) */
	assert_int_equal(token_keys_load(s, true, &ring2, err, sizeof(err)), 0);
	assert_int_equal(ring2.n, 1);
	assert_memory_equal(ring.keys[0].key, ring2.keys[0].key,
	                    ring.keys[0].len);
	assert_int_equal(token_encode(&ring.keys[0], 7, 42, tok1, sizeof(tok1)),
	                 0);
	/* rotate: a new key signs, the old one still verifies */
	assert_int_equal(token_keys_rotate(s, &id2, err, sizeof(err)), 0);
	assert_int_equal(token_keys_load(s, true, &ring2, err, sizeof(err)), 0);
	assert_int_equal(ring2.n, 2);
	assert_int_equal(ring2.ids[0], id2);
	assert_true(
	    memcmp(ring.keys[0].key, ring2.keys[0].key, ring.keys[0].len) != 0);
	assert_int_equal(
	    token_keyring_decode(&ring2, tok1, strlen(tok1), &c, &k, &kid), 0);
	assert_true(c == 7 && k == 42 && kid == ring.ids[0]);
	assert_int_equal(
	    token_encode(&ring2.keys[0], 8, 43, tok2, sizeof(tok2)), 0);
	assert_int_equal(
	    token_keyring_decode(&ring2, tok2, strlen(tok2), &c, &k, &kid), 0);
	assert_true(c == 8 && k == 43 && kid == id2);
	/* a campaign's own key: kept to verify, never signs */
	memset(raw, 0x5a, sizeof(raw));
	assert_int_equal(token_key_set(&own, raw, sizeof(raw)), 0);
	assert_int_equal(token_keys_keep(s, &own, err, sizeof(err)), 0);
	assert_int_equal(token_keys_keep(s, &own, err, sizeof(err)), 0);
	token_keyring_wipe(&ring2);
	assert_int_equal(token_keys_load(s, true, &ring2, err, sizeof(err)), 0);
	assert_int_equal(ring2.n, 3);
	assert_int_equal(ring2.ids[0], id2);
	assert_int_equal(token_encode(&own, 9, 44, tok3, sizeof(tok3)), 0);
	assert_int_equal(
	    token_keyring_decode(&ring2, tok3, strlen(tok3), &c, &k, NULL), 0);
	/* tampered: no key verifies it */
	tok3[3] = tok3[3] == 'a' ? 'b' : 'a';
	assert_int_equal(
	    token_keyring_decode(&ring2, tok3, strlen(tok3), &c, &k, NULL),
	    MC_EDATA);
	token_keyring_wipe(&ring);
	token_keyring_wipe(&ring2);
	store_close(s);
}

/* Item 10: a run killed with -9 leaves no run-end; its sending time is
 * from its run-start to the last ledger update made in it. */
static void
test_report_killed_run(void **state)
{
	struct campaign_settings set;
	struct campaign_report r;
	struct store_delivery d[4];
	struct store_outcome o[4];
	char err[CAMPAIGN_ERR_MAX];
	struct store *s;
	int64_t id, ids[4];
	time_t t0 = 1700000000;
	size_t n = 0, moved;

	(void)state;
	s = store_with_list();
	put("good.tmpl", "From: news@news.example\nSubject: {{first}}\n\nhi\n");
	campaign_settings_init(&set);
	set_ok(&set, CAMPAIGN_OPT_TEMPLATE, "good.tmpl");
	set_ok(&set, CAMPAIGN_OPT_FROM, "news@news.example");
	set_ok(&set, CAMPAIGN_OPT_RELAY, "127.0.0.1:1");
	assert_int_equal(
	    campaign_create(s, "k", "l", &set, &id, err, sizeof(err)), 0);
	/* run 1: started at t0, sent its rows until t0 + 10, killed */
	assert_int_equal(store_event_add(s, id, 0, "run-start", "h:1", t0), 0);
	assert_int_equal(store_lease(s, id, "h:1", t0, 60, d, 4, &n), 0);
	assert_int_equal(n, 2);
	memset(o, 0, sizeof(o));
	for (size_t i = 0; i < n; i++) {
		ids[i] = d[i].id;
		o[i].id = d[i].id;
		o[i].state = DLV_SENT;
		o[i].reply_code = 250;
	}
	assert_int_equal(store_mark_inflight(s, ids, n, "h:1", t0, &moved), 0);
	assert_int_equal(store_record(s, o, 1, t0 + 4), 0);
	assert_int_equal(store_record(s, o + 1, 1, t0 + 10), 0);
	store_deliveries_fini(d, n);
	/* run 2: a clean one of 1.5 s, an hour later */
	assert_int_equal(
	    store_event_add(s, id, 0, "run-start", "h:2", t0 + 3600), 0);
	assert_int_equal(store_event_add(s, id, 0, "run-end",
	                                 "{\"seconds\":1.5}", t0 + 3602),
	                 0);
	assert_int_equal(campaign_report_get(s, id, &r, err, sizeof(err)), 0);
	if (!(r.seconds > 11.49 && r.seconds < 11.51))
		fail_msg("sending time %.3f s, want 11.5 (10 + 1.5)",
		         r.seconds);
	campaign_report_fini(&r);
	campaign_settings_fini(&set);
	store_close(s);
}

/* The notes a run leaves: none for a finished run; paused and resent
 * rows named with the command that goes on. */
static void
test_run_notes(void **state)
{
	struct engine_result r;
	char notes[CAMPAIGN_NOTES_MAX][CAMPAIGN_NOTE_SIZE];

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(campaign_run_notes(&r, 7, notes), 0);
	r.paused = true;
	r.recovered = 2;
	assert_int_equal(campaign_run_notes(&r, 7, notes), 2);
	assert_string_equal(notes[0],
	                    "paused; `mailcast campaign resume 7` continues");
	assert_non_null(strstr(notes[1], "2 recipients were in flight"));
	r.deferred_left = true;
	assert_int_equal(campaign_run_notes(&r, 7, notes), 3);
	assert_non_null(strstr(notes[1], "deferred recipients are left"));
}

/* Every key keeps verifying what it signed: the oldest is never dropped
 * for a new one; at TOKEN_RING_MAX keys a rotate is refused instead. */
static void
test_token_keys_never_dropped(void **state)
{
	struct token_keyring ring;
	char err[CAMPAIGN_ERR_MAX], tok[TOKEN_MAX + 1];
	uint64_t c, k;
	struct store *s;
	int64_t id;

	(void)state;
	s = store_with_list();
	assert_int_equal(token_keys_load(s, true, &ring, err, sizeof(err)), 0);
	assert_int_equal(token_encode(&ring.keys[0], 1, 1, tok, sizeof(tok)),
	                 0);
	for (int i = 1; i < TOKEN_RING_MAX; i++)
		assert_int_equal(token_keys_rotate(s, &id, err, sizeof(err)),
		                 0);
	assert_int_equal(token_keys_rotate(s, &id, err, sizeof(err)),
	                 MC_ELIMIT);
	assert_non_null(strstr(err, "token keys"));
	assert_int_equal(token_keys_load(s, true, &ring, err, sizeof(err)), 0);
	assert_int_equal(ring.n, TOKEN_RING_MAX);
	assert_int_equal(
	    token_keyring_decode(&ring, tok, strlen(tok), &c, &k, NULL), 0);
	assert_true(c == 1 && k == 1);
	token_keyring_wipe(&ring);
	store_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_status_names),
	    cmocka_unit_test(test_durations),
	    cmocka_unit_test(test_time_parse),
	    cmocka_unit_test(test_window_parse),
	    cmocka_unit_test(test_run_notes),
	    cmocka_unit_test(test_settings_kv),
	    cmocka_unit_test_setup_teardown(test_json_round_trip, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_no_secret_saved, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_layers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_create, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store_manage, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_freeze, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_validate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_validate_good, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_token_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_token_keys_never_dropped,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_report_killed_run, setup,
	                                    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
