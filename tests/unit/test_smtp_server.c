/*
 * test_smtp_server.c — the sans-I/O SMTP server core from golden exchanges.
 *
 * A script is a list of lines: "C: " is a client line (CRLF added), "c: "
 * raw client bytes (no CRLF added), "S: " a server line.  run() feeds all
 * client bytes in ONE call (a pipelined client) and compares the whole
 * output with the server lines; run_split() feeds the same bytes one at a
 * time and must give the same bytes back.
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
#include "base/error.h"
#include "base/log.h"
#include "proto/smtp_server.h"

#define MAXMSG 8

struct got {
	int n;
	char from[MAXMSG][256];
	char rcpts[MAXMSG][512];
	struct buf body[MAXMSG];
	size_t size[MAXMSG];
	bool bdat[MAXMSG];
	bool fail; /* make the hook fail */
};

static struct got got;

/* The message hook: record the envelope and body. */
static int
hook(void *arg, const struct smtp_server_msg *m, char *qid, size_t qidsize)
{
	struct got *g = arg;
	int i = g->n;

	if (g->fail)
		return MC_EIO;
	assert_true(i < MAXMSG);
	snprintf(g->from[i], sizeof(g->from[i]), "%s", m->from);
	g->rcpts[i][0] = '\0';
	for (size_t r = 0; r < m->nrcpts; r++) {
		strcat(g->rcpts[i], m->rcpts[r]);
		strcat(g->rcpts[i], ";");
	}
	buf_init(&g->body[i]);
	if (m->body)
		buf_append(&g->body[i], m->body, m->size);
	g->size[i] = m->size;
	g->bdat[i] = m->bdat;
	g->n++;
	snprintf(qid, qidsize, "Q%d", g->n);
	return 0;
}

static void
got_reset(void)
{
	for (int i = 0; i < got.n; i++)
		buf_fini(&got.body[i]);
	memset(&got, 0, sizeof(got));
}

static struct smtp_server_config
cfg_default(void)
{
	struct smtp_server_config c = {
	    .hostname = "mx.test",
	    .max_size = 1000,
	    .max_rcpts = 3,
	    .keep_body = true,
	};
	return c;
}

/* Split a script into client bytes and expected server bytes. */
static void
script_split(const char *const *lines, struct buf *in, struct buf *want)
{
	for (size_t i = 0; lines[i]; i++) {
		const char *l = lines[i];
		if (strncmp(l, "C: ", 3) == 0) {
			buf_puts(in, l + 3);
			buf_puts(in, "\r\n");
		} else if (strncmp(l, "c: ", 3) == 0) {
			buf_puts(in, l + 3);
		} else {
			assert_true(strncmp(l, "S: ", 3) == 0);
			buf_puts(want, l + 3);
			buf_puts(want, "\r\n");
		}
	}
}

/* Feed the script's client bytes in steps of `step` (0: all at once). */
static void
run_step(struct smtp_server_config *cfg, const char *const *lines, size_t step,
         enum smtp_server_want final)
{
	struct smtp_server s;
	struct buf in, want;
	size_t off = 0;

	buf_init(&in);
	buf_init(&want);
	script_split(lines, &in, &want);
	got_reset();
	smtp_server_init(&s, cfg, "127.0.0.1", hook, &got);
	while (off < buf_len(&in) && smtp_server_want(&s) == SMTP_SERVER_READ) {
		size_t n = buf_len(&in) - off;
		if (step && n > step)
			n = step;
		size_t used = smtp_server_feed(&s, buf_data(&in) + off, n);
		assert_true(used <= n);
		off += used;
		if (used < n)
			break;
	}
	if (smtp_server_want(&s) == SMTP_SERVER_READ)
		smtp_server_feed(&s, NULL, 0);
	assert_string_equal(buf_cstr(smtp_server_output(&s)), buf_cstr(&want));
	assert_int_equal(smtp_server_want(&s), final);
	smtp_server_fini(&s);
	buf_fini(&in);
	buf_fini(&want);
}

static void
run(struct smtp_server_config *cfg, const char *const *lines,
    enum smtp_server_want final)
{
	run_step(cfg, lines, 1, final);
	run_step(cfg, lines, 7, final);
	run_step(cfg, lines, 0, final);
}

static const char *const ehlo_reply[] = {
    "S: 250-mx.test",
    "S: 250-PIPELINING",
    "S: 250-SIZE 1000",
    "S: 250-8BITMIME",
    "S: 250-SMTPUTF8",
    "S: 250-CHUNKING",
    "S: 250 ENHANCEDSTATUSCODES",
};

static void
test_ehlo(void **state)
{
	struct smtp_server_config c = cfg_default();
	const char *const plain[] = {
	    "S: 220 mx.test ESMTP mailcast",
	    "C: EHLO client.test",
	    ehlo_reply[0],
	    ehlo_reply[1],
	    ehlo_reply[2],
	    ehlo_reply[3],
	    ehlo_reply[4],
	    ehlo_reply[5],
	    ehlo_reply[6],
	    "C: HELO client.test",
	    "S: 250 mx.test",
	    "C: NOOP",
	    "S: 250 2.0.0 Ok",
	    "C: EHLO",
	    "S: 501 5.5.4 Syntax: EHLO hostname",
	    "C: FOO bar",
	    "S: 500 5.5.2 Error: command not recognized",
	    "C: STARTTLS",
	    "S: 502 5.5.1 Error: STARTTLS not offered",
	    "C: quit",
	    "S: 221 2.0.0 Bye",
	    NULL,
	};
	const char *const tls[] = {
	    "S: 220 mx.test ESMTP mailcast",
	    "C: EHLO client.test",
	    ehlo_reply[0],
	    ehlo_reply[1],
	    ehlo_reply[2],
	    ehlo_reply[3],
	    ehlo_reply[4],
	    ehlo_reply[5],
	    "S: 250-STARTTLS",
	    ehlo_reply[6],
	    "C: STARTTLS",
	    "S: 220 2.0.0 Ready to start TLS",
	    "C: MAIL FROM:<injected@x>", /* must not be read */
	    NULL,
	};

	(void)state;
	run(&c, plain, SMTP_SERVER_CLOSE);
	c.starttls = true;
	run(&c, tls, SMTP_SERVER_STARTTLS);
}

static void
test_starttls_restart(void **state)
{
	struct smtp_server_config c = cfg_default();
	struct smtp_server s;
	const char in[] = "EHLO a\r\nMAIL FROM:<a@b>\r\nSTARTTLS\r\nRSET\r\n";
	size_t used;

	(void)state;
	c.starttls = true;
	smtp_server_init(&s, &c, "::1", hook, &got);
	used = smtp_server_feed(&s, in, strlen(in));
	/* Input after STARTTLS is left unread (the caller throws it away). */
	assert_int_equal(used, strlen(in) - strlen("RSET\r\n"));
	assert_int_equal(smtp_server_want(&s), SMTP_SERVER_STARTTLS);
	buf_reset(smtp_server_output(&s));
	smtp_server_tls_started(&s);
	/* The session starts afresh: MAIL needs a new EHLO, no STARTTLS. */
	const char in2[] = "MAIL FROM:<a@b>\r\nEHLO a\r\nSTARTTLS\r\n";
	smtp_server_feed(&s, in2, strlen(in2));
	const char *out = buf_cstr(smtp_server_output(&s));
	assert_non_null(
	    strstr(out, "503 5.5.1 Error: send HELO/EHLO first\r\n"));
	assert_null(strstr(out, "STARTTLS\r\n"));
	assert_non_null(strstr(out, "503 5.5.1 Error: TLS already active\r\n"));
	smtp_server_fini(&s);
}

static void
test_pipelined_transaction(void **state)
{
	struct smtp_server_config c = cfg_default();
	const char *const lines[] = {
	    "S: 220 mx.test ESMTP mailcast",
	    "C: HELO client.test",
	    "S: 250 mx.test",
	    "C: MAIL FROM:<sender@a.test>",
	    "C: RCPT TO:<one@b.test>",
	    "C: RCPT TO:<bad address>",
	    "C: RCPT TO:<two@b.test>",
	    "C: DATA",
	    "S: 250 2.1.0 Ok",
	    "S: 250 2.1.5 Ok",
	    "S: 501 5.1.3 Bad recipient address syntax",
	    "S: 250 2.1.5 Ok",
	    "S: 354 End data with <CR><LF>.<CR><LF>",
	    "C: Subject: hi",
	    "C: ",
	    "C: body",
	    "C: .",
	    "S: 250 2.0.0 Ok: queued as Q1",
	    "C: MAIL FROM:<>",
	    "C: RCPT TO:<three@b.test>",
	    "C: RSET",
	    "C: RCPT TO:<four@b.test>",
	    "C: DATA",
	    "C: QUIT",
	    "S: 250 2.1.0 Ok",
	    "S: 250 2.1.5 Ok",
	    "S: 250 2.0.0 Ok",
	    "S: 503 5.5.1 Error: need MAIL command",
	    "S: 503 5.5.1 Error: need MAIL command",
	    "S: 221 2.0.0 Bye",
	    NULL,
	};

	(void)state;
	run(&c, lines, SMTP_SERVER_CLOSE);
	assert_int_equal(got.n, 1);
	assert_string_equal(got.from[0], "sender@a.test");
	assert_string_equal(got.rcpts[0], "one@b.test;two@b.test;");
	assert_string_equal(buf_cstr(&got.body[0]),
	                    "Subject: hi\r\n\r\nbody\r\n");
	got_reset();
}

static void
test_dot_unstuffing(void **state)
{
	struct smtp_server_config c = cfg_default();
	const char *const lines[] = {
	    "S: 220 mx.test ESMTP mailcast",
	    "C: EHLO c",
	    ehlo_reply[0],
	    ehlo_reply[1],
	    ehlo_reply[2],
	    ehlo_reply[3],
	    ehlo_reply[4],
	    ehlo_reply[5],
	    ehlo_reply[6],
	    "C: MAIL FROM:<s@a> BODY=8BITMIME SIZE=100",
	    "C: RCPT TO:<r@b>",
	    "C: DATA",
	    "S: 250 2.1.0 Ok",
	    "S: 250 2.1.5 Ok",
	    "S: 354 End data with <CR><LF>.<CR><LF>",
	    /* ".." -> ".", ".x" -> "x", ".\r" not at line end stays */
	    "c: ..dot\r\n.x\r\nbare\nlf\n.\rmid\r\n\r\n..\r\n.\r\n",
	    "S: 250 2.0.0 Ok: queued as Q1",
	    "C: MAIL FROM:<s@a>",
	    "C: RCPT TO:<r@b>",
	    "C: DATA",
	    "S: 250 2.1.0 Ok",
	    "S: 250 2.1.5 Ok",
	    "S: 354 End data with <CR><LF>.<CR><LF>",
	    /* A bare-LF ".\n" ends the data too. */
	    "c: x\n.\n",
	    "S: 250 2.0.0 Ok: queued as Q2",
	    NULL,
	};

	(void)state;
	run(&c, lines, SMTP_SERVER_READ);
	assert_int_equal(got.n, 2);
	assert_string_equal(buf_cstr(&got.body[0]),
	                    ".dot\r\nx\r\nbare\nlf\n\rmid\r\n\r\n.\r\n");
	assert_string_equal(buf_cstr(&got.body[1]), "x\n");
	got_reset();
}

static void
test_bdat(void **state)
{
	struct smtp_server_config c = cfg_default();
	const char *const lines[] = {
	    "S: 220 mx.test ESMTP mailcast",
	    "C: EHLO c",
	    ehlo_reply[0],
	    ehlo_reply[1],
	    ehlo_reply[2],
	    ehlo_reply[3],
	    ehlo_reply[4],
	    ehlo_reply[5],
	    ehlo_reply[6],
	    "C: MAIL FROM:<s@a> SMTPUTF8",
	    "C: RCPT TO:<r@b>",
	    "c: BDAT 6\r\n.a\r\n\r\nBDAT 4 LAST\r\nend\n",
	    "S: 250 2.1.0 Ok",
	    "S: 250 2.1.5 Ok",
	    "S: 250 2.0.0 6 octets received",
	    "S: 250 2.0.0 Ok: queued as Q1",
	    /* BDAT 0 LAST ends a message with no more bytes. */
	    "C: MAIL FROM:<s@a>",
	    "C: RCPT TO:<r@b>",
	    "c: BDAT 3\r\nabcBDAT 0 LAST\r\n",
	    "S: 250 2.1.0 Ok",
	    "S: 250 2.1.5 Ok",
	    "S: 250 2.0.0 3 octets received",
	    "S: 250 2.0.0 Ok: queued as Q2",
	    /* No transaction: the chunk is still read and skipped. */
	    "c: BDAT 6 LAST\r\nRSET\r\n",
	    "S: 503 5.5.1 Error: need MAIL command",
	    "C: MAIL FROM:<s@a>",
	    "C: RCPT TO:<r@b>",
	    "C: DATA",
	    "C: BDAT x",
	    "S: 250 2.1.0 Ok",
	    "S: 250 2.1.5 Ok",
	    "S: 354 End data with <CR><LF>.<CR><LF>",
	    "C: .",
	    "S: 250 2.0.0 Ok: queued as Q3",
	    NULL,
	};

	(void)state;
	run(&c, lines, SMTP_SERVER_READ);
	assert_int_equal(got.n, 3);
	/* BDAT bytes are taken as they are: no unstuffing. */
	assert_string_equal(buf_cstr(&got.body[0]), ".a\r\n\r\nend\n");
	assert_true(got.bdat[0]);
	assert_string_equal(buf_cstr(&got.body[1]), "abc");
	/* "BDAT x\r\n" was part of the DATA body, not a command. */
	assert_string_equal(buf_cstr(&got.body[2]), "BDAT x\r\n");
	got_reset();
}

/* The log sink of test_state_traces: the "smtpd PEER: A -> B" lines of
 * run_step's peer, joined. */
static void
keep_trace(enum log_level level, const char *line, void *arg)
{
	if (level == LOG_DEBUG && strncmp(line, "smtpd 127.0.0.1: ", 17) == 0) {
		buf_puts(arg, line + 17);
		buf_puts(arg, "\n");
	}
}

/* Every state change is traced at LOG_DEBUG, in order; none at LOG_INFO. */
static void
test_state_traces(void **state)
{
	struct smtp_server_config c = cfg_default();
	const char *const lines[] = {
	    "S: 220 mx.test ESMTP mailcast",
	    "C: EHLO c",
	    ehlo_reply[0],
	    ehlo_reply[1],
	    ehlo_reply[2],
	    ehlo_reply[3],
	    ehlo_reply[4],
	    ehlo_reply[5],
	    ehlo_reply[6],
	    "C: MAIL FROM:<s@a>",
	    "C: RCPT TO:<r@b>",
	    "C: RCPT TO:<q@b>",
	    "C: DATA",
	    "C: x",
	    "C: .",
	    "S: 250 2.1.0 Ok",
	    "S: 250 2.1.5 Ok",
	    "S: 250 2.1.5 Ok",
	    "S: 354 End data with <CR><LF>.<CR><LF>",
	    "S: 250 2.0.0 Ok: queued as Q1",
	    "C: MAIL FROM:<s@a>",
	    "C: RCPT TO:<r@b>",
	    "c: BDAT 3\r\nabcBDAT 0 LAST\r\n",
	    "C: QUIT",
	    "S: 250 2.1.0 Ok",
	    "S: 250 2.1.5 Ok",
	    "S: 250 2.0.0 3 octets received",
	    "S: 250 2.0.0 Ok: queued as Q2",
	    "S: 221 2.0.0 Bye",
	    NULL,
	};
	struct buf traces;

	(void)state;
	buf_init(&traces);
	log_set_sink(keep_trace, &traces);
	log_set_level(LOG_INFO);
	run_step(&c, lines, 0, SMTP_SERVER_CLOSE);
	assert_int_equal(buf_len(&traces), 0);
	log_set_level(LOG_DEBUG);
	run_step(&c, lines, 0, SMTP_SERVER_CLOSE);
	log_set_sink(NULL, NULL);
	log_set_level(LOG_WARN);
	assert_string_equal(buf_cstr(&traces), "CONNECT -> HELO\n"
	                                       "HELO -> MAIL\n"
	                                       "MAIL -> RCPT\n"
	                                       "RCPT -> DATA\n"
	                                       "DATA -> HELO\n"
	                                       "HELO -> MAIL\n"
	                                       "MAIL -> RCPT\n"
	                                       "RCPT -> BDAT\n"
	                                       "BDAT -> RCPT\n"
	                                       "RCPT -> BDAT\n"
	                                       "BDAT -> RCPT\n"
	                                       "RCPT -> HELO\n"
	                                       "HELO -> QUIT\n");
	assert_string_equal(smtp_server_state_name(SMTP_SRV_RCPT), "RCPT");
	assert_string_equal(smtp_server_state_name((enum smtp_server_state)99),
	                    "?");
	buf_fini(&traces);
	got_reset();
}

static void
test_line_too_long(void **state)
{
	struct smtp_server_config c = cfg_default();
	struct smtp_server s;
	char chunk[65536];
	size_t total = 0;

	(void)state;
	memset(chunk, 'A', sizeof(chunk));
	smtp_server_init(&s, &c, "127.0.0.1", hook, &got);
	buf_reset(smtp_server_output(&s));
	/* A 10 MB line in 64 KiB reads: memory must stay bounded. */
	while (total < 10 * 1024 * 1024) {
		assert_int_equal(smtp_server_feed(&s, chunk, sizeof(chunk)),
		                 sizeof(chunk));
		total += sizeof(chunk);
		assert_true(s.line.cap <= 2 * SMTP_SERVER_LINE_MAX);
	}
	assert_string_equal(buf_cstr(smtp_server_output(&s)), "");
	smtp_server_feed(&s, "\r\nNOOP\r\n", 8);
	assert_string_equal(
	    buf_cstr(smtp_server_output(&s)),
	    "500 5.5.0 Error: line too long\r\n250 2.0.0 Ok\r\n");
	smtp_server_fini(&s);

	/* Exactly at the limit in one piece, and across two feeds. */
	char line[SMTP_SERVER_LINE_MAX + 2];
	memset(line, 'x', sizeof(line));
	memcpy(line, "NOOP ", 5);
	line[SMTP_SERVER_LINE_MAX - 2] = '\r';
	line[SMTP_SERVER_LINE_MAX - 1] = '\n';
	smtp_server_init(&s, &c, "127.0.0.1", hook, &got);
	buf_reset(smtp_server_output(&s));
	smtp_server_feed(&s, line, SMTP_SERVER_LINE_MAX);
	assert_string_equal(buf_cstr(smtp_server_output(&s)),
	                    "250 2.0.0 Ok\r\n");
	buf_reset(smtp_server_output(&s));
	smtp_server_feed(&s, line, 100);
	smtp_server_feed(&s, line + 100, SMTP_SERVER_LINE_MAX - 100);
	assert_string_equal(buf_cstr(smtp_server_output(&s)),
	                    "250 2.0.0 Ok\r\n");
	buf_reset(smtp_server_output(&s));
	line[SMTP_SERVER_LINE_MAX - 1] = 'x';
	line[SMTP_SERVER_LINE_MAX + 1] = '\n';
	smtp_server_feed(&s, line, 100);
	smtp_server_feed(&s, line + 100, SMTP_SERVER_LINE_MAX + 2 - 100);
	assert_string_equal(buf_cstr(smtp_server_output(&s)),
	                    "500 5.5.0 Error: line too long\r\n");
	smtp_server_fini(&s);
}

static void
test_size_limit(void **state)
{
	struct smtp_server_config c = cfg_default();
	struct buf in;
	char big[1200];

	(void)state;
	memset(big, 'b', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	const char *const lines[] = {
	    "S: 220 mx.test ESMTP mailcast",
	    "C: EHLO c",
	    ehlo_reply[0],
	    ehlo_reply[1],
	    ehlo_reply[2],
	    ehlo_reply[3],
	    ehlo_reply[4],
	    ehlo_reply[5],
	    ehlo_reply[6],
	    "C: MAIL FROM:<s@a> SIZE=1001",
	    "S: 552 5.3.4 Message size exceeds fixed limit",
	    "C: MAIL FROM:<s@a> SIZE=1000",
	    "C: RCPT TO:<r@b>",
	    "C: DATA",
	    "S: 250 2.1.0 Ok",
	    "S: 250 2.1.5 Ok",
	    "S: 354 End data with <CR><LF>.<CR><LF>",
	    "C: start",
	    "C: ..", /* the dot is stuffing: not counted */
	    big,
	    "C: .",
	    "S: 552 5.3.4 Message size exceeds fixed limit",
	    "C: MAIL FROM:<s@a>",
	    "C: RCPT TO:<r@b>",
	    "C: BDAT 990",
	    "S: 250 2.1.0 Ok",
	    "S: 250 2.1.5 Ok",
	    NULL,
	};
	(void)lines;
	/* big is a raw "C: bbbb..." line: make it one. */
	memcpy(big, "C: ", 3);
	run(&c, lines, SMTP_SERVER_READ);
	assert_int_equal(got.n, 0);

	/* BDAT over the limit: 552 at the chunk's end, then 503 until MAIL. */
	buf_init(&in);
	c.max_size = 10;
	struct smtp_server s;
	smtp_server_init(&s, &c, "127.0.0.1", hook, &got);
	buf_puts(&in, "EHLO c\r\nMAIL FROM:<s@a>\r\nRCPT TO:<r@b>\r\n"
	              "BDAT 8\r\n12345678BDAT 8 LAST\r\n12345678"
	              "BDAT 1 LAST\r\nxRSET\r\n");
	assert_int_equal(smtp_server_feed(&s, buf_data(&in), buf_len(&in)),
	                 buf_len(&in));
	const char *out = buf_cstr(smtp_server_output(&s));
	assert_non_null(strstr(out, "250 2.0.0 8 octets received\r\n"
	                            "552 5.3.4 Message size exceeds fixed "
	                            "limit\r\n503 5.5.1 Error: transaction "
	                            "failed, send RSET\r\n250 2.0.0 Ok\r\n"));
	smtp_server_fini(&s);
	buf_fini(&in);
	got_reset();
}

static void
test_limits_and_order(void **state)
{
	struct smtp_server_config c = cfg_default();
	const char *const lines[] = {
	    "S: 220 mx.test ESMTP mailcast",
	    "C: MAIL FROM:<s@a>",
	    "S: 503 5.5.1 Error: send HELO/EHLO first",
	    "C: HELO c",
	    "S: 250 mx.test",
	    "C: MAIL FROM:<s@a> SIZE=10",
	    "S: 555 5.5.4 Parameters need EHLO",
	    "C: EHLO c",
	    ehlo_reply[0],
	    ehlo_reply[1],
	    ehlo_reply[2],
	    ehlo_reply[3],
	    ehlo_reply[4],
	    ehlo_reply[5],
	    ehlo_reply[6],
	    "C: MAIL FROM:<s@a> RET=HDRS",
	    "S: 555 5.5.4 Unsupported option: RET",
	    "C: MAIL FROM:s@a",
	    "C: MAIL FROM:<s@a>",
	    "S: 250 2.1.0 Ok",
	    "S: 503 5.5.1 Error: nested MAIL command",
	    "C: DATA",
	    "S: 554 5.5.1 Error: no valid recipients",
	    "C: RCPT TO:<1@b>",
	    "C: RCPT TO:<2@b>",
	    "C: RCPT TO:<3@b>",
	    "C: RCPT TO:<4@b>",
	    "C: RCPT TO:<>",
	    "C: RCPT TO:<5@b> NOTIFY=NEVER",
	    "S: 250 2.1.5 Ok",
	    "S: 250 2.1.5 Ok",
	    "S: 250 2.1.5 Ok",
	    "S: 452 4.5.3 Error: too many recipients",
	    "S: 501 5.1.3 Bad recipient address syntax",
	    "S: 555 5.5.4 Unsupported option (DSN is not offered)",
	    "C: DATA extra",
	    "S: 501 5.5.4 Syntax: DATA",
	    NULL,
	};

	(void)state;
	run(&c, lines, SMTP_SERVER_READ);
}

static void
test_hook_failure(void **state)
{
	struct smtp_server_config c = cfg_default();
	struct smtp_server s;
	const char in[] = "HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n"
	                  "DATA\r\nx\r\n.\r\n";

	(void)state;
	got_reset();
	got.fail = true;
	smtp_server_init(&s, &c, "127.0.0.1", hook, &got);
	smtp_server_feed(&s, in, strlen(in));
	assert_non_null(
	    strstr(buf_cstr(smtp_server_output(&s)),
	           "354 End data with <CR><LF>.<CR><LF>\r\n"
	           "451 4.3.0 Error: cannot store the message\r\n"));
	smtp_server_fini(&s);
	got_reset();
}

/* Parse fault specs into a table. */
static size_t
faults_make(struct smtp_fault *t, const char *const *specs)
{
	char err[256];
	size_t n = 0;

	for (; specs[n]; n++)
		assert_int_equal(
		    smtp_fault_parse(specs[n], &t[n], err, sizeof(err)), 0);
	return n;
}

static void
test_fault_replies(void **state)
{
	struct smtp_fault t[8];
	const char *const specs[] = {
	    "rcpt:reject-*=550 5.1.1 no such user",
	    "rcpt:defer-*=451 4.7.1 try later",
	    "rcpt:*=250 ignored", /* invalid below, not used here */
	    NULL,
	};
	const char *const good[] = {
	    "rcpt:reject-*=550 5.1.1 no such user",
	    "rcpt:DEFER-*=451 4.7.1 try later",
	    "mail:spam@*=553 5.7.1 sender refused",
	    "ehlo:bad.*=550 5.7.0 go away",
	    "dot:*bounce*=554 5.6.0 content rejected",
	    "data:nodata@*=451 4.3.2 not now",
	    NULL,
	};
	struct smtp_server_config c = cfg_default();
	char err[256];

	(void)state;
	assert_int_equal(smtp_fault_parse(specs[2], &t[0], err, sizeof(err)),
	                 MC_EINVAL);
	assert_non_null(strstr(err, "not 4xx or 5xx"));
	c.faults = t;
	c.nfaults = faults_make(t, good);
	const char *const lines[] = {
	    "S: 220 mx.test ESMTP mailcast",
	    "C: EHLO bad.example",
	    "S: 550 5.7.0 go away",
	    "C: HELO bad.example",
	    "S: 250 mx.test",
	    "C: MAIL FROM:<spam@x>",
	    "S: 553 5.7.1 sender refused",
	    "C: MAIL FROM:<ok@x>",
	    "C: RCPT TO:<reject-1@b>",
	    "C: RCPT TO:<defer-1@b>",
	    "C: RCPT TO:<fine@b>",
	    "C: RCPT TO:<will-bounce@b>",
	    "C: DATA",
	    "S: 250 2.1.0 Ok",
	    "S: 550 5.1.1 no such user",
	    "S: 451 4.7.1 try later",
	    "S: 250 2.1.5 Ok",
	    "S: 250 2.1.5 Ok",
	    "S: 354 End data with <CR><LF>.<CR><LF>",
	    "C: x",
	    "C: .",
	    "S: 554 5.6.0 content rejected",
	    "C: MAIL FROM:<ok@x>",
	    "C: RCPT TO:<nodata@b>",
	    "C: DATA",
	    "C: RCPT TO:<after@b>",
	    "S: 250 2.1.0 Ok",
	    "S: 250 2.1.5 Ok",
	    "S: 451 4.3.2 not now",
	    "S: 503 5.5.1 Error: need MAIL command",
	    NULL,
	};
	run(&c, lines, SMTP_SERVER_READ);
	assert_int_equal(got.n, 0);
}

static void
test_fault_421_and_drop(void **state)
{
	struct smtp_fault t[4];
	const char *const specs[] = {
	    "rcpt:close-*=421 4.3.2 shutting down",
	    "rcpt:drop-*=drop",
	    NULL,
	};
	struct smtp_server_config c = cfg_default();

	(void)state;
	c.faults = t;
	c.nfaults = faults_make(t, specs);
	const char *const lines[] = {
	    "S: 220 mx.test ESMTP mailcast",
	    "C: HELO c",
	    "C: MAIL FROM:<a@b>",
	    "C: RCPT TO:<close-me@b>",
	    "C: RCPT TO:<never@b>", /* not read after the 421 */
	    "S: 250 mx.test",
	    "S: 250 2.1.0 Ok",
	    "S: 421 4.3.2 shutting down",
	    NULL,
	};
	run(&c, lines, SMTP_SERVER_CLOSE);
	const char *const drop[] = {
	    "S: 220 mx.test ESMTP mailcast",
	    "C: HELO c",
	    "C: MAIL FROM:<a@b>",
	    "C: RCPT TO:<drop-me@b>",
	    "S: 250 mx.test",
	    "S: 250 2.1.0 Ok",
	    NULL,
	};
	run(&c, drop, SMTP_SERVER_DROP);
}

static void
test_fault_connect(void **state)
{
	struct smtp_fault t[1];
	struct smtp_server_config c = cfg_default();
	const char *const s421[] = {"connect:127.*=421 4.7.0 too busy", NULL};
	const char *const s554[] = {"connect:*=554 5.7.1 no service", NULL};

	(void)state;
	c.faults = t;
	c.nfaults = faults_make(t, s421);
	const char *const l421[] = {"S: 421 4.7.0 too busy", "C: EHLO x", NULL};
	run(&c, l421, SMTP_SERVER_CLOSE);
	c.nfaults = faults_make(t, s554);
	const char *const l554[] = {
	    "S: 554 5.7.1 no service",
	    "C: EHLO x",
	    "S: 503 5.5.1 Error: no service, only QUIT",
	    "C: QUIT",
	    "S: 221 2.0.0 Bye",
	    NULL,
	};
	run(&c, l554, SMTP_SERVER_CLOSE);
}

static void
test_fault_delay(void **state)
{
	struct smtp_fault t[2];
	const char *const specs[] = {
	    "rcpt:slow-*=delay 3000",
	    "dot:*=delay 250 451 4.7.1 later",
	    NULL,
	};
	struct smtp_server_config c = cfg_default();
	struct smtp_server s;
	const char in[] = "HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<slow-1@b>\r\n"
	                  "DATA\r\n";
	const char body[] = "x\r\n.\r\nQUIT\r\n";
	size_t used;

	(void)state;
	c.faults = t;
	c.nfaults = faults_make(t, specs);
	smtp_server_init(&s, &c, "127.0.0.1", hook, &got);
	used = smtp_server_feed(&s, in, strlen(in));
	/* The feed stops after the delayed command; its reply is held. */
	assert_int_equal(used, strlen(in) - strlen("DATA\r\n"));
	assert_int_equal(smtp_server_want(&s), SMTP_SERVER_DELAY);
	assert_int_equal(s.delay_ms, 3000);
	assert_string_equal(
	    buf_cstr(smtp_server_output(&s)),
	    "220 mx.test ESMTP mailcast\r\n250 mx.test\r\n250 2.1.0 Ok\r\n");
	buf_reset(smtp_server_output(&s));
	smtp_server_resume(&s);
	assert_int_equal(smtp_server_want(&s), SMTP_SERVER_READ);
	used += smtp_server_feed(&s, in + used, strlen(in) - used);
	assert_int_equal(used, strlen(in));
	assert_string_equal(
	    buf_cstr(smtp_server_output(&s)),
	    "250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
	buf_reset(smtp_server_output(&s));
	used = smtp_server_feed(&s, body, strlen(body));
	assert_int_equal(used, 6);
	assert_int_equal(smtp_server_want(&s), SMTP_SERVER_DELAY);
	assert_int_equal(s.delay_ms, 250);
	assert_string_equal(buf_cstr(smtp_server_output(&s)), "");
	smtp_server_resume(&s);
	smtp_server_feed(&s, body + used, strlen(body) - used);
	assert_string_equal(buf_cstr(smtp_server_output(&s)),
	                    "451 4.7.1 later\r\n221 2.0.0 Bye\r\n");
	smtp_server_fini(&s);
}

static void
test_fault_drop_after(void **state)
{
	struct smtp_fault t[1];
	const char *const specs[] = {"data:*=drop-after 10", NULL};
	struct smtp_server_config c = cfg_default();
	struct smtp_server s;
	const char in[] = "HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<r@b>\r\n"
	                  "DATA\r\n0123456789abcdef\r\n.\r\n";

	(void)state;
	c.faults = t;
	c.nfaults = faults_make(t, specs);
	got_reset();
	smtp_server_init(&s, &c, "127.0.0.1", hook, &got);
	size_t used = smtp_server_feed(&s, in, strlen(in));
	assert_int_equal(smtp_server_want(&s), SMTP_SERVER_DROP);
	assert_int_equal(used, strlen(in) - strlen("abcdef\r\n.\r\n"));
	assert_int_equal(got.n, 0);
	smtp_server_fini(&s);
	/* The same with BDAT. */
	const char in2[] = "EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<r@b>\r\n"
	                   "BDAT 16 LAST\r\n0123456789abcdef";
	smtp_server_init(&s, &c, "127.0.0.1", hook, &got);
	used = smtp_server_feed(&s, in2, strlen(in2));
	assert_int_equal(smtp_server_want(&s), SMTP_SERVER_DROP);
	assert_int_equal(used, strlen(in2) - 6);
	smtp_server_fini(&s);
}

static void
test_fault_every_nth(void **state)
{
	struct smtp_fault t[1];
	const char *const specs[] = {"dot:%2=451 4.3.0 every second", NULL};
	struct smtp_server_config c = cfg_default();

	(void)state;
	c.faults = t;
	c.nfaults = faults_make(t, specs);
	const char *const lines[] = {
	    "S: 220 mx.test ESMTP mailcast",
	    "C: HELO c",
	    "S: 250 mx.test",
	    "C: MAIL FROM:<a@b>",
	    "C: RCPT TO:<r@b>",
	    "C: DATA",
	    "C: .",
	    "S: 250 2.1.0 Ok",
	    "S: 250 2.1.5 Ok",
	    "S: 354 End data with <CR><LF>.<CR><LF>",
	    "S: 250 2.0.0 Ok: queued as Q1",
	    "C: MAIL FROM:<a@b>",
	    "C: RCPT TO:<r@b>",
	    "C: DATA",
	    "C: .",
	    "S: 250 2.1.0 Ok",
	    "S: 250 2.1.5 Ok",
	    "S: 354 End data with <CR><LF>.<CR><LF>",
	    "S: 451 4.3.0 every second",
	    "C: MAIL FROM:<a@b>",
	    "C: RCPT TO:<r@b>",
	    "C: DATA",
	    "C: .",
	    "S: 250 2.1.0 Ok",
	    "S: 250 2.1.5 Ok",
	    "S: 354 End data with <CR><LF>.<CR><LF>",
	    "S: 250 2.0.0 Ok: queued as Q2",
	    NULL,
	};
	/* One pass only: the counter lives in the shared rule. */
	run_step(&c, lines, 0, SMTP_SERVER_READ);
	assert_int_equal(got.n, 2);
	got_reset();
}

static void
test_fault_parse_errors(void **state)
{
	static const struct {
		const char *spec, *words;
	} bad[] = {
	    {"rcpt", "STAGE:PATTERN=ACTION"},
	    {"quit:*=550 x", "unknown stage"},
	    {"rcpt:*", "expected '='"},
	    {"rcpt:=550 x", "pattern is empty"},
	    {"rcpt:*=hello", "expected a reply code"},
	    {"rcpt:*=250 ok", "not 4xx or 5xx"},
	    {"rcpt:*=drop-after 5", "data stage only"},
	    {"data:*=drop-after x", "byte count"},
	    {"rcpt:*=delay soon", "milliseconds"},
	    {"rcpt:*=delay 9999999", "milliseconds"},
	    {"rcpt:%0=550 x", "N >= 1"},
	};
	struct smtp_fault f;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(
		    smtp_fault_parse(bad[i].spec, &f, err, sizeof(err)),
		    MC_EINVAL);
		if (strstr(err, bad[i].words) == NULL)
			fail_msg("%s: '%s' lacks '%s'", bad[i].spec, err,
			         bad[i].words);
	}
	assert_int_equal(
	    smtp_fault_parse("rcpt:slow-*=delay 3000", &f, err, sizeof(err)),
	    0);
	assert_int_equal(f.kind, SMTP_FAULT_DELAY);
	assert_int_equal(f.delay_ms, 3000);
	assert_int_equal(f.code, 0);
	assert_string_equal(smtp_stage_name(SMTP_STAGE_DOT), "dot");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ehlo),
	    cmocka_unit_test(test_starttls_restart),
	    cmocka_unit_test(test_pipelined_transaction),
	    cmocka_unit_test(test_dot_unstuffing),
	    cmocka_unit_test(test_bdat),
	    cmocka_unit_test(test_state_traces),
	    cmocka_unit_test(test_line_too_long),
	    cmocka_unit_test(test_size_limit),
	    cmocka_unit_test(test_limits_and_order),
	    cmocka_unit_test(test_hook_failure),
	    cmocka_unit_test(test_fault_replies),
	    cmocka_unit_test(test_fault_421_and_drop),
	    cmocka_unit_test(test_fault_connect),
	    cmocka_unit_test(test_fault_delay),
	    cmocka_unit_test(test_fault_drop_after),
	    cmocka_unit_test(test_fault_every_nth),
	    cmocka_unit_test(test_fault_parse_errors),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	got_reset();
	return rc;
}
