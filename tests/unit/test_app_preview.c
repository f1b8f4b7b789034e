/*
 * test_app_preview.c — app/preview.h and app/diagnose.h's option logic:
 * the message one recipient would get (merge values from a CSV row with
 * KEY=VALUE on top, the VERP envelope, the demo key flagged), the refusals
 * a user sees (no recipient, --csv without --row, a missing CSV, a row past
 * the end), and the doctor's defaults (the mailbox host probed when there
 * is no relay, the relay's port added to the probe, AUTH needing a relay).
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

#include "app/diagnose.h"
#include "app/preview.h"
#include "base/error.h"

static char dir[64];

/* Write name in dir with text. */
static void
put(const char *name, const char *text)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/mc-preview-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	put("t.tmpl", "From: News <news@example.org>\n"
	              "Subject: Hello {{first_name|there}} from {{city}}\n"
	              "\n"
	              "Hi {{first_name|there}}.\n");
	put("l.csv", "email,first_name,city\n"
	             "a@example.net,Ann,Paris\n"
	             "b@example.net,Bob,Oslo\n");
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Row 2 of the CSV, its city overridden by --set. */
static void
test_render_row(void **state)
{
	static const char *sets[] = {"city=Bergen"};
	char tmpl[128], csv[128];
	struct app_preview_opts o = {.template_path = tmpl,
	                             .csv = csv,
	                             .row = 2,
	                             .sets = sets,
	                             .nsets = 1,
	                             .campaign_id = 7,
	                             .contact_id = 9,
	                             .date = 1700000000};
	struct app_preview out;
	const char *m;

	(void)state;
	snprintf(tmpl, sizeof(tmpl), "%s/t.tmpl", dir);
	snprintf(csv, sizeof(csv), "%s/l.csv", dir);
	assert_int_equal(app_preview_render(&o, &out), 0);
	m = buf_cstr(&out.msg);
	assert_non_null(strstr(m, "Subject: Hello Bob from Bergen\r\n"));
	assert_non_null(strstr(m, "Hi Bob.\r\n"));
	assert_non_null(strstr(m, "To: b@example.net\r\n"));
	assert_non_null(strstr(m, "Date: "));
	assert_string_equal(out.rcpt_to, "b@example.net");
	assert_int_equal(strncmp(out.mail_from, "bounces+", 8), 0);
	assert_non_null(strstr(out.mail_from, "@example.org"));
	assert_true(out.demo_key);
	app_preview_fini(&out);
}

/* What is refused, with the code a user's exit status comes from. */
static void
test_refusals(void **state)
{
	static const char *sets[] = {"first_name=Jo"};
	static const char *bad[] = {"=x"};
	char tmpl[128], csv[128];
	struct app_preview_opts o = {
	    .template_path = tmpl, .sets = sets, .nsets = 1};
	struct app_preview out;

	(void)state;
	snprintf(tmpl, sizeof(tmpl), "%s/t.tmpl", dir);
	snprintf(csv, sizeof(csv), "%s/l.csv", dir);
	assert_int_equal(app_preview_render(&o, &out), MC_EINVAL);
	assert_non_null(strstr(out.err, "no recipient"));
	app_preview_fini(&out);
	o.csv = csv;
	assert_int_equal(app_preview_render(&o, &out), MC_EINVAL);
	assert_string_equal(out.err, "--csv and --row go together");
	app_preview_fini(&out);
	o.row = 3;
	assert_int_equal(app_preview_render(&o, &out), MC_EDATA);
	assert_non_null(strstr(out.err, "no row 3 (2 data rows)"));
	app_preview_fini(&out);
	o.csv = "/nonexistent.csv";
	assert_int_equal(app_preview_render(&o, &out), MC_ENOTFOUND);
	app_preview_fini(&out);
	o.csv = NULL;
	o.row = 0;
	o.sets = bad;
	assert_int_equal(app_preview_render(&o, &out), MC_EINVAL);
	assert_non_null(strstr(out.err, "KEY=VALUE"));
	app_preview_fini(&out);
}

/* The doctor's defaults and cross-checks. */
static void
test_doctor_prepare(void **state)
{
	static struct app_doctor d;
	char err[256];

	(void)state;
	memset(&d, 0, sizeof(d));
	doctor_opts_default(&d.o);
	d.mailbox = "imaps://user@mail.example.org/INBOX";
	assert_int_equal(app_doctor_prepare(&d, err, sizeof(err)), 0);
	assert_string_equal(d.o.relay_host, "mail.example.org");
	assert_int_equal(d.o.relay_port, 993);

	memset(&d, 0, sizeof(d));
	doctor_opts_default(&d.o);
	d.relay = "relay.example.org:2587";
	assert_int_equal(app_doctor_prepare(&d, err, sizeof(err)), 0);
	assert_int_equal(d.o.relay_port, 2587);
	assert_int_equal(d.o.probe.ports[d.o.probe.nports - 1], 2587);

	memset(&d, 0, sizeof(d));
	doctor_opts_default(&d.o);
	d.mailbox = "pop3://mail.example.org";
	d.o.auth_user = "u";
	assert_int_equal(app_doctor_prepare(&d, err, sizeof(err)), MC_EINVAL);
	assert_string_equal(err, "--auth-user needs --relay");

	memset(&d, 0, sizeof(d));
	doctor_opts_default(&d.o);
	d.relay = "relay.example.org";
	d.tls = "maybe";
	assert_int_equal(app_doctor_prepare(&d, err, sizeof(err)), MC_EINVAL);
	assert_non_null(strstr(err, "--tls must be"));
	d.tls = "implicit";
	assert_int_equal(app_doctor_prepare(&d, err, sizeof(err)), 0);
	assert_int_equal(d.o.tls, DOC_TLS_IMPLICIT);
	assert_int_equal(d.o.relay_port, 587);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_render_row),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_doctor_prepare),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
