/*
 * test_webhook.c — app/webhook.h without a network: the
 * Mailcast-Signature value (the vector is Python's
 * hmac.new(b"whsec", b'1700000000.{"id":1}', hashlib.sha256)), the event
 * names, and the [webhook NAME] sections of mailcast.conf (a secret
 * never in the file, the events, the limits, the secret from the
 * environment and wiped).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "app/config.h"
#include "app/webhook.h"
#include "base/error.h"

/* The signature is HMAC-SHA256 over "T.BODY", hex, after t=T. */
static void
test_sign(void **state)
{
	char out[200];

	(void)state;
	webhook_sign((const unsigned char *)"whsec", 5, 1700000000,
	             "{\"id\":1}", out, sizeof(out));
	assert_string_equal(out, "t=1700000000,v1=e79220cb981f992adbc8b93ac6d"
	                         "46028b0217ea19327d27dc9d18bf334403bde");
	assert_string_equal(webhook_event_name(WEBHOOK_CLICKED), "clicked");
	assert_int_equal(webhook_event_parse("complained"), WEBHOOK_COMPLAINED);
	assert_int_equal(webhook_event_parse("sent"), -1);
}

/* Parse text as mailcast.conf and load its webhooks: the code, err. */
static int
load(const char *text, struct webhook_set *ws, char *err, size_t errsz)
{
	struct mc_conf c;
	int rc = conf_parse(text, "t.conf", &c, err, errsz);

	if (rc == 0)
		rc = webhook_set_load(&c, ws, err, errsz);
	conf_free(&c);
	return rc;
}

/* [webhook NAME] sections. */
static void
test_conf(void **state)
{
	struct webhook_set ws;
	char err[600];

	(void)state;
	setenv("MC_T_SECRET", "s3cr3t", 1);
	assert_int_equal(load("[webhook a]\nurl = https://h.example/x\n"
	                      "secret_env = MC_T_SECRET\n"
	                      "events = clicked, bounced\ntimeout = 3\n"
	                      "[webhook b]\nurl = http://127.0.0.1:9/\n"
	                      "secret_env = MC_T_SECRET\n",
	                      &ws, err, sizeof(err)),
	                 0);
	assert_int_equal(ws.n, 2);
	assert_string_equal(ws.ep[0].name, "a");
	assert_int_equal(ws.ep[0].events,
	                 (1u << WEBHOOK_CLICKED) | (1u << WEBHOOK_BOUNCED));
	assert_int_equal(ws.ep[0].timeout_ms, 3000);
	assert_true(ws.ep[0].tls_verify);
	assert_int_equal(ws.ep[0].secretlen, 6);
	assert_memory_equal(ws.ep[0].secret, "s3cr3t", 6);
	assert_int_equal(ws.ep[1].events, (1u << WEBHOOK__COUNT) - 1);
	assert_int_equal(ws.ep[1].retry_s, 30);
	webhook_set_fini(&ws);
	assert_int_equal(ws.ep[0].secretlen, 0);
	assert_int_equal(ws.ep[0].secret[0], 0);

	/* the secret itself in the file is refused, naming no value */
	assert_int_equal(load("[webhook a]\nurl = https://h.example/\n"
	                      "secret = hunter2\n",
	                      &ws, err, sizeof(err)),
	                 MC_ECONFIG);
	assert_non_null(strstr(err, "never kept in mailcast.conf"));
	assert_null(strstr(err, "hunter2"));
	assert_int_equal(load("[webhook a]\nurl = https://h.example/\n"
	                      "secret_env = MC_T_SECRET\nevents = sent\n",
	                      &ws, err, sizeof(err)),
	                 MC_ECONFIG);
	assert_non_null(strstr(err, "'sent'"));
	assert_int_equal(load("[webhook a]\nurl = ftp://h.example/\n"
	                      "secret_env = MC_T_SECRET\n",
	                      &ws, err, sizeof(err)),
	                 MC_ECONFIG);
	assert_int_equal(load("[webhook a]\nurl = https://h.example/\n", &ws,
	                      err, sizeof(err)),
	                 MC_ECONFIG);
	assert_non_null(strstr(err, "secret_file"));
	assert_int_equal(load("[webhook a]\nurl = https://h.example/\n"
	                      "secret_env = MC_T_NONE\n",
	                      &ws, err, sizeof(err)),
	                 MC_ECONFIG);
	assert_int_equal(load("[webhook a]\nurl = https://h.example/\n"
	                      "secret_env = MC_T_SECRET\ntimeout = 0\n",
	                      &ws, err, sizeof(err)),
	                 MC_ECONFIG);
	assert_int_equal(load("[webhook a]\nurl = https://h.example/\n"
	                      "secret_env = MC_T_SECRET\nbogus = 1\n",
	                      &ws, err, sizeof(err)),
	                 MC_ECONFIG);
	assert_non_null(strstr(err, "unknown key 'bogus'"));
	assert_int_equal(load("[mailcast]\nrate = 5\n", &ws, err, sizeof(err)),
	                 0);
	assert_int_equal(ws.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sign),
	    cmocka_unit_test(test_conf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
