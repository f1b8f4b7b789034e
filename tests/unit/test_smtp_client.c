/*
 * test_smtp_client.c — what golden transcripts cannot reach conveniently:
 * very long pipelined groups, whose expectation ring wraps and grows while
 * replies are still owed; every reply must still reach its own recipient.
 * And the rule of the protocol cores: a session's state changes in one
 * function only (the one that traces it), checked by reading the sources.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/buf.h"
#include "base/log.h"
#include "proto/smtp_client.h"

#define NA 50
#define NB 80

static void
drain(struct smtp_client *c, struct buf *sent)
{
	const unsigned char *p;
	size_t len;

	while ((p = smtp_client_output(c, &len)), len > 0) {
		buf_append(sent, p, len);
		smtp_client_sent(c, len, 0);
	}
}

static void
feed(struct smtp_client *c, const char *s)
{
	assert_int_equal(smtp_client_feed(c, s, strlen(s), 0), 0);
}

static void
test_long_pipelined_groups(void **state)
{
	static const unsigned char body[] = "Subject: x\r\n\r\nhi\r\n";
	struct smtp_client_config cfg = {.helo_name = "client.example"};
	struct smtp_rcpt ra[NA], rb[NB];
	struct smtp_txn a, b;
	char addr[NA + NB][32];
	struct smtp_event ev;
	struct buf sent, replies;
	int done = 0;

	(void)state;
	buf_init(&sent);
	buf_init(&replies);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(ra, 0, sizeof(ra));
	memset(rb, 0, sizeof(rb));
	for (int i = 0; i < NA + NB; i++) {
		snprintf(addr[i], sizeof(addr[i]), "r%d@example.net", i);
		if (i < NA)
			ra[i].addr = addr[i];
		else
			rb[i - NA].addr = addr[i];
	}
	a.mail_from = b.mail_from = "s@example.org";
	a.rcpts = ra;
	a.nrcpts = NA;
	b.rcpts = rb;
	b.nrcpts = NB;
	a.body = b.body = body;
	a.body_len = b.body_len = sizeof(body) - 1;

	struct smtp_client *c = smtp_client_new(&cfg);
	smtp_client_start(c, false, 0);
	feed(c, "220 mx ESMTP\r\n");
	drain(c, &sent);
	feed(c, "250-mx\r\n250 PIPELINING\r\n");
	assert_true(smtp_client_next_event(c, &ev));
	assert_int_equal(ev.type, SMTP_EV_READY);
	smtp_client_submit(c, &a, 0);
	drain(c, &sent);
	/* MAIL and A's recipients: odd ones refused. */
	buf_puts(&replies, "250 ok\r\n");
	for (int i = 0; i < NA; i++)
		buf_printf(&replies,
		           i % 2 ? "550 5.1.1 <%s> no\r\n" : "250 ok\r\n",
		           addr[i]);
	feed(c, buf_cstr(&replies));
	buf_reset(&replies);
	/* B queued now: it goes right after A's data, in the same flight,
	 * while A's final reply is owed (the ring wraps and grows). */
	smtp_client_submit(c, &b, 0);
	feed(c, "354 go\r\n");
	drain(c, &sent);
	buf_puts(&replies, "250 A queued\r\n250 ok\r\n");
	for (int i = 0; i < NB; i++)
		buf_printf(&replies,
		           i % 3 ? "250 ok\r\n" : "451 4.2.0 <%s> later\r\n",
		           addr[NA + i]);
	buf_puts(&replies, "354 go\r\n");
	feed(c, buf_cstr(&replies));
	drain(c, &sent);
	feed(c, "250 B queued\r\n");
	while (smtp_client_next_event(c, &ev))
		if (ev.type == SMTP_EV_TXN_DONE)
			done++;
	assert_int_equal(done, 2);
	for (int i = 0; i < NA; i++) {
		assert_int_equal(ra[i].result.code, i % 2 ? 550 : 250);
		if (i % 2)
			assert_non_null(strstr(ra[i].result.text, addr[i]));
	}
	for (int i = 0; i < NB; i++) {
		assert_int_equal(rb[i].result.code, i % 3 ? 250 : 451);
		if (i % 3 == 0)
			assert_non_null(
			    strstr(rb[i].result.text, addr[NA + i]));
	}
	assert_int_equal(a.ndelivered, NA / 2);
	assert_int_equal(b.ndelivered, NB - (NB + 2) / 3);
	/* Every RCPT went out, in order. */
	const char *p = buf_cstr(&sent);
	for (int i = 0; i < NA + NB; i++) {
		char want[sizeof(addr[0]) + 16];
		int w =
		    snprintf(want, sizeof(want), "RCPT TO:<%s>\r\n", addr[i]);
		assert_true(w > 0 && (size_t)w < sizeof(want));
		const char *q = strstr(p, want);
		assert_non_null(q);
		p = q + strlen(want);
	}
	smtp_client_free(c);
	buf_fini(&sent);
	buf_fini(&replies);
}

/*
 * How many times the source file assigns "VAR->state = ...", VAR being the
 * whole name (so "rc->state" of a recipient is not "c->state").
 */
static int
count_state_assignments(const char *file, const char *var)
{
	const char *src = getenv("MAILCAST_SRCDIR");
	char path[4096];
	char needle[32];
	struct buf text;
	char chunk[4096];
	size_t n;
	int count = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/src/proto/%s", src ? src : ".", file);
	snprintf(needle, sizeof(needle), "%s->state = ", var);
	fp = fopen(path, "r");
	if (fp == NULL)
		fail_msg("%s: cannot open (MAILCAST_SRCDIR?)", path);
	buf_init(&text);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(&text, chunk, n);
	fclose(fp);
	const char *all = buf_cstr(&text);
	for (const char *p = all; (p = strstr(p, needle)) != NULL; p++) {
		char before = p > all ? p[-1] : ' ';
		if (before == '_' || (before >= 'a' && before <= 'z') ||
		    (before >= 'A' && before <= 'Z') ||
		    (before >= '0' && before <= '9'))
			continue;
		count++;
	}
	buf_fini(&text);
	return count;
}

/* The log sink of test_log_name: every line, joined. */
static void
keep_line(enum log_level level, const char *line, void *arg)
{
	buf_printf(arg, "%s %s\n", log_level_name(level), line);
}

/* A session's log_name is in its state traces (the driver puts the peer). */
static void
test_log_name(void **state)
{
	struct smtp_client_config cfg = {.helo_name = "client.example",
	                                 .log_name = "192.0.2.1:25"};
	struct smtp_client *c;
	struct buf got, sent;

	(void)state;
	buf_init(&got);
	buf_init(&sent);
	log_set_sink(keep_line, &got);
	log_set_level(LOG_DEBUG);
	c = smtp_client_new(&cfg);
	smtp_client_start(c, false, 0);
	feed(c, "220 mx.example ESMTP\r\n");
	drain(c, &sent);
	log_set_sink(NULL, NULL);
	log_set_level(LOG_WARN);
	assert_string_equal(buf_cstr(&got),
	                    "debug smtp 192.0.2.1:25: INIT -> GREETING\n"
	                    "debug smtp 192.0.2.1:25: GREETING -> EHLO\n");
	assert_string_equal(buf_cstr(&sent), "EHLO client.example\r\n");
	smtp_client_free(c);
	buf_fini(&got);
	buf_fini(&sent);
}

/* Each core assigns its state once: in its _enter() function. */
static void
test_state_changes_in_one_place(void **state)
{
	(void)state;
	assert_int_equal(count_state_assignments("smtp_client.c", "c"), 1);
	assert_int_equal(count_state_assignments("pop3_client.c", "c"), 1);
	assert_int_equal(count_state_assignments("imap_client.c", "c"), 1);
	assert_int_equal(count_state_assignments("smtp_server.c", "s"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_long_pipelined_groups),
	    cmocka_unit_test(test_state_changes_in_one_place),
	    cmocka_unit_test(test_log_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
