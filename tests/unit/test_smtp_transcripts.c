/*
 * test_smtp_transcripts.c — replays the golden SMTP client transcripts of
 * tests/transcripts/smtp/ (every .txt file) against the sans-I/O client core.
 *
 * A transcript is a list of lines:
 *   # comment
 *   S: text          bytes the server sends (CRLF added); consecutive S:
 *                    lines are fed together
 *   S+ text          the same without the CRLF (a partial line)
 *   C: text          bytes the client must have sent by now, exactly, CRLF
 *                    added; consecutive C: lines are compared together
 *   @ helo NAME | tls none|opportunistic|require|implicit | auth USER SECRET
 *     [MECH] | cleartext-auth | nopipelining | nochunking | chunk N
 *     | timeout NAME MS            configuration (before @ start)
 *   @ start                        the session begins
 *   @ body TEXT                    body of the next transaction (\r \n \\
 *                                  escapes; several @ body lines append)
 *   @ txn FROM TO[,TO...] [utf8] [ret=R] [envid=E] [notify=N] [orcpt]
 *                                  submit a transaction (FROM "-" is <>)
 *   @ whole-only                   skip the bytewise run (say why)
 *   @ quit | @ eof | @ tls-ok | @ tls-fail | @ tick MS (advance the clock)
 *   = ready | = starttls | = closed OK|MC_E... [text]
 *   = done T OK|MC_E... [text]     the next event: transaction T finished
 *   = rcpt T I STATE CODE [ENH]    recipient I of T (DELIVERED, FAILED, ...)
 *   = queue T ID                   the queue id taken from the final reply
 *   = attempted T yes|no
 *   ~ smtp: EHLO -> READY          the next state trace the client logged
 *                                  (LOG_DEBUG); in a transcript with ~
 *                                  lines every trace must be matched, in
 *                                  order, and none may be left at the end
 * Events must be matched in order; at the end no event and no output may
 * be left over.  Each transcript runs twice: server bytes fed in one piece
 * per S: group, and one byte at a time (every split of every reply).
 */
#include <dirent.h>
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
#include "base/xmalloc.h"
#include "proto/smtp_client.h"

#define MAX_TXN  16
#define MAX_RCPT 16

struct run {
	const char *path;
	bool bytewise;
	bool whole_only;
	struct smtp_client_config cfg;
	struct smtp_client *c;
	uint64_t now;
	struct buf sfeed; /* pending S: bytes */
	struct buf cexp;  /* pending C: bytes */
	struct buf body;  /* next transaction's body */
	struct smtp_txn txn[MAX_TXN];
	struct smtp_rcpt rcpt[MAX_TXN][MAX_RCPT];
	char *strs[MAX_TXN * (MAX_RCPT + 4)];
	size_t nstrs;
	unsigned char *bodies[MAX_TXN];
	size_t ntxn;
	char auth_user[64], auth_secret[64];
	int lineno;
	struct buf logged; /* state traces not yet matched, NUL-separated */
	size_t logged_off;
	bool traced; /* the transcript has ~ lines */
};

static void
failf(struct run *r, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fail_msg("%s:%d (%s): %s", r->path, r->lineno,
	         r->bytewise ? "bytewise" : "whole", msg);
}

static char *
keep(struct run *r, const char *s)
{
	assert_true(r->nstrs < sizeof(r->strs) / sizeof(r->strs[0]));
	return r->strs[r->nstrs++] = xstrdup(s);
}

static void
unescape(struct buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s != '\\' || s[1] == '\0') {
			buf_putc(out, *s);
			continue;
		}
		s++;
		buf_putc(out, *s == 'n'   ? '\n'
		              : *s == 'r' ? '\r'
		              : *s == 't' ? '\t'
		              : *s == '0' ? '\0'
		                          : *s);
	}
}

/* The log sink: keep the client's state traces ("smtp: A -> B"). */
static void
keep_trace(enum log_level level, const char *line, void *arg)
{
	struct run *r = arg;

	if (level == LOG_DEBUG && strncmp(line, "smtp: ", 6) == 0)
		buf_append(&r->logged, line, strlen(line) + 1);
}

/* A ~ line: the oldest trace not yet matched must be this one. */
static void
expect_trace(struct run *r, const char *want)
{
	const char *got;

	r->traced = true;
	if (r->logged_off >= buf_len(&r->logged))
		failf(r, "no state trace logged, expected \"%s\"", want);
	got = (const char *)buf_data(&r->logged) + r->logged_off;
	if (strcmp(got, want) != 0)
		failf(r, "state trace \"%s\", expected \"%s\"", got, want);
	r->logged_off += strlen(got) + 1;
}

static void
flush_output(struct run *r)
{
	size_t len;
	const unsigned char *p;
	struct buf got;

	buf_init(&got);
	while ((p = smtp_client_output(r->c, &len)), len > 0) {
		buf_append(&got, p, len);
		smtp_client_sent(r->c, len, r->now);
	}
	if (buf_len(&got) != buf_len(&r->cexp) ||
	    memcmp(buf_data(&got), buf_data(&r->cexp), buf_len(&got)) != 0)
		failf(r, "client sent:\n[%s]\nexpected:\n[%s]", buf_cstr(&got),
		      buf_cstr(&r->cexp));
	buf_reset(&r->cexp);
	buf_fini(&got);
}

static void
flush_feed(struct run *r)
{
	const unsigned char *p = buf_data(&r->sfeed);
	size_t n = buf_len(&r->sfeed);

	if (n == 0)
		return;
	/* Whatever the client wrote before these bytes must be checked
	 * first: the C: lines above the S: group. */
	if (r->bytewise) {
		for (size_t i = 0; i < n; i++)
			smtp_client_feed(r->c, p + i, 1, r->now);
	} else {
		smtp_client_feed(r->c, p, n, r->now);
	}
	buf_reset(&r->sfeed);
}

static const char *
errname(int err)
{
	return err == 0 ? "OK" : mc_errname(err);
}

/* The free text after the first n words of s, or NULL when there is none. */
static const char *
after_words(const char *s, int n)
{
	for (int i = 0; i < n; i++) {
		while (*s == ' ')
			s++;
		while (*s && *s != ' ')
			s++;
	}
	while (*s == ' ')
		s++;
	return *s ? s : NULL;
}

static const char *const rcpt_states[] = {"PENDING", "ACCEPTED", "DELIVERED",
                                          "FAILED"};

static void
expect_line(struct run *r, char *line)
{
	char *words[8] = {0};
	int nw = 0;
	char orig[8192];
	struct smtp_event ev;

	snprintf(orig, sizeof(orig), "%s", line);

	/* Split at most 6 words; the rest of the line is free text. */
	for (char *p = line; *p && nw < 6;) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		words[nw++] = p;
		while (*p && *p != ' ')
			p++;
		if (*p)
			*p++ = '\0';
	}
	if (nw == 0)
		failf(r, "empty = line");
	if (strcmp(words[0], "rcpt") == 0 || strcmp(words[0], "queue") == 0 ||
	    strcmp(words[0], "attempted") == 0) {
		size_t t = (size_t)atoi(words[1]);
		if (t >= r->ntxn)
			failf(r, "no transaction %zu", t);
		if (words[0][0] == 'q') {
			if (strcmp(r->txn[t].queue_id, words[2]) != 0)
				failf(r, "queue id \"%s\", expected \"%s\"",
				      r->txn[t].queue_id, words[2]);
			return;
		}
		if (words[0][0] == 'a') {
			bool want = strcmp(words[2], "yes") == 0;
			if (r->txn[t].attempted != want)
				failf(r, "attempted is %d",
				      r->txn[t].attempted);
			return;
		}
		size_t i = (size_t)atoi(words[2]);
		const struct smtp_rcpt *rc = &r->txn[t].rcpts[i];
		if (strcmp(rcpt_states[rc->state], words[3]) != 0 ||
		    rc->result.code != atoi(words[4]) ||
		    (nw > 5 && strcmp(rc->result.enh, words[5]) != 0))
			failf(r, "rcpt %zu/%zu is %s %d %s (%s)", t, i,
			      rcpt_states[rc->state], rc->result.code,
			      rc->result.enh, rc->result.text);
		return;
	}
	if (!smtp_client_next_event(r->c, &ev))
		failf(r, "no event, expected %s", words[0]);
	if (strcmp(words[0], "ready") == 0) {
		if (ev.type != SMTP_EV_READY)
			failf(r, "event %d, expected ready", ev.type);
	} else if (strcmp(words[0], "starttls") == 0) {
		if (ev.type != SMTP_EV_STARTTLS)
			failf(r, "event %d, expected starttls", ev.type);
	} else if (strcmp(words[0], "closed") == 0) {
		if (ev.type != SMTP_EV_CLOSED)
			failf(r, "event %d, expected closed", ev.type);
		if (strcmp(errname(ev.err), words[1]) != 0)
			failf(r, "closed with %s (%s), expected %s",
			      errname(ev.err), smtp_client_last_error(r->c),
			      words[1]);
		const char *want = after_words(orig, 2);
		if (want && strstr(smtp_client_last_error(r->c), want) == NULL)
			failf(r, "error \"%s\" lacks \"%s\"",
			      smtp_client_last_error(r->c), want);
	} else if (strcmp(words[0], "done") == 0) {
		size_t t = (size_t)atoi(words[1]);
		if (ev.type != SMTP_EV_TXN_DONE || ev.txn != &r->txn[t])
			failf(r, "event %d (txn %ld), expected done %zu",
			      ev.type, ev.txn ? (long)(ev.txn - r->txn) : -1L,
			      t);
		if (strcmp(errname(ev.txn->status), words[2]) != 0)
			failf(r, "txn %zu status %s (%d %s), expected %s", t,
			      errname(ev.txn->status), ev.txn->result.code,
			      ev.txn->result.text, words[2]);
		const char *want = after_words(orig, 3);
		if (want && strstr(ev.txn->result.text, want) == NULL)
			failf(r, "txn text \"%s\" lacks \"%s\"",
			      ev.txn->result.text, want);
	} else {
		failf(r, "unknown expectation %s", words[0]);
	}
}

static void
submit(struct run *r, char *args)
{
	char *from = strtok(args, " ");
	char *to = strtok(NULL, " ");
	char *opt;
	size_t t = r->ntxn++;
	struct smtp_txn *x = &r->txn[t];

	assert_true(t < MAX_TXN);
	assert_non_null(to);
	memset(x, 0, sizeof(*x));
	x->mail_from = keep(r, strcmp(from, "-") == 0 ? "" : from);
	x->rcpts = r->rcpt[t];
	const char *notify = NULL;
	bool orcpt = false;
	while ((opt = strtok(NULL, " ")) != NULL) {
		if (strcmp(opt, "utf8") == 0)
			x->smtputf8 = true;
		else if (strncmp(opt, "ret=", 4) == 0)
			x->ret = keep(r, opt + 4);
		else if (strncmp(opt, "envid=", 6) == 0)
			x->envid = keep(r, opt + 6);
		else if (strncmp(opt, "notify=", 7) == 0)
			notify = keep(r, opt + 7);
		else if (strcmp(opt, "orcpt") == 0)
			orcpt = true;
		else
			failf(r, "unknown txn option %s", opt);
	}
	for (char *a = strtok(to, ","); a; a = strtok(NULL, ",")) {
		assert_true(x->nrcpts < MAX_RCPT);
		struct smtp_rcpt *rc = &r->rcpt[t][x->nrcpts++];
		memset(rc, 0, sizeof(*rc));
		rc->addr = keep(r, a);
		rc->notify = notify;
		rc->orcpt = orcpt ? rc->addr : NULL;
	}
	r->bodies[t] = xmemdup(buf_data(&r->body), buf_len(&r->body) + 1);
	x->body = r->bodies[t];
	x->body_len = buf_len(&r->body);
	buf_reset(&r->body);
	smtp_client_submit(r->c, x, r->now);
}

static void
config_line(struct run *r, char *args)
{
	char *w = strtok(args, " ");
	char *a1 = strtok(NULL, " ");
	char *a2 = strtok(NULL, " ");
	char *a3 = strtok(NULL, " ");

	if (strcmp(w, "helo") == 0) {
		r->cfg.helo_name = keep(r, a1);
	} else if (strcmp(w, "tls") == 0) {
		r->cfg.tls = strcmp(a1, "require") == 0 ? SMTP_TLS_REQUIRE
		             : strcmp(a1, "opportunistic") == 0
		                 ? SMTP_TLS_OPPORTUNISTIC
		             : strcmp(a1, "implicit") == 0 ? SMTP_TLS_IMPLICIT
		                                           : SMTP_TLS_NONE;
	} else if (strcmp(w, "auth") == 0) {
		snprintf(r->auth_user, sizeof(r->auth_user), "%s", a1);
		snprintf(r->auth_secret, sizeof(r->auth_secret), "%s", a2);
		r->cfg.auth_user = r->auth_user;
		r->cfg.auth_secret = r->auth_secret;
		if (a3)
			r->cfg.auth_mech = sasl_mech_lookup(a3, strlen(a3));
	} else if (strcmp(w, "cleartext-auth") == 0) {
		r->cfg.auth_allow_cleartext = true;
	} else if (strcmp(w, "nopipelining") == 0) {
		r->cfg.no_pipelining = true;
	} else if (strcmp(w, "nochunking") == 0) {
		r->cfg.no_chunking = true;
	} else if (strcmp(w, "chunk") == 0) {
		r->cfg.chunk_size = (size_t)atol(a1);
	} else if (strcmp(w, "timeout") == 0) {
		uint32_t ms = (uint32_t)atol(a2);
		struct smtp_timeouts *t = &r->cfg.timeouts;
		if (strcmp(a1, "greeting") == 0)
			t->greeting = ms;
		else if (strcmp(a1, "rcpt") == 0)
			t->rcpt = ms;
		else if (strcmp(a1, "dot") == 0)
			t->dot = ms;
		else if (strcmp(a1, "data") == 0)
			t->data = ms;
		else
			failf(r, "unknown timeout %s", a1);
	} else if (strcmp(w, "whole-only") == 0) {
		r->whole_only = true;
	} else if (strcmp(w, "start") == 0) {
		r->c = smtp_client_new(&r->cfg);
		smtp_client_start(r->c, r->cfg.tls == SMTP_TLS_IMPLICIT,
		                  r->now);
	} else if (strcmp(w, "body") == 0) {
		/* handled by the caller: the text keeps its spaces */
	} else if (strcmp(w, "txn") == 0) {
		/* handled by the caller */
	} else if (strcmp(w, "quit") == 0) {
		smtp_client_quit(r->c, r->now);
	} else if (strcmp(w, "eof") == 0) {
		smtp_client_eof(r->c, r->now);
	} else if (strcmp(w, "tls-ok") == 0) {
		smtp_client_tls_done(r->c, true, NULL, r->now);
	} else if (strcmp(w, "tls-fail") == 0) {
		smtp_client_tls_done(r->c, false, "handshake failure", r->now);
	} else if (strcmp(w, "tick") == 0) {
		r->now += (uint64_t)atol(a1);
		smtp_client_tick(r->c, r->now);
	} else {
		failf(r, "unknown directive %s", w);
	}
}

/* Returns whether the transcript asks to run whole only. */
static bool
run_transcript(const char *path, bool bytewise)
{
	struct run r;
	FILE *fp = fopen(path, "r");
	char line[8192];

	assert_non_null(fp);
	memset(&r, 0, sizeof(r));
	r.path = path;
	r.bytewise = bytewise;
	r.cfg.helo_name = "client.example";
	r.now = 1000;
	buf_init(&r.sfeed);
	buf_init(&r.cexp);
	buf_init(&r.body);
	buf_init(&r.logged);
	log_set_level(LOG_DEBUG);
	log_set_sink(keep_trace, &r);
	while (fgets(line, sizeof(line), fp)) {
		size_t n = strlen(line);
		r.lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		bool is_s =
		    strncmp(line, "S:", 2) == 0 || strncmp(line, "S+", 2) == 0;
		bool is_c = strncmp(line, "C:", 2) == 0;
		/* A change of kind ends the previous group. */
		if (!is_c && buf_len(&r.cexp) > 0)
			flush_output(&r);
		if (!is_s && buf_len(&r.sfeed) > 0)
			flush_feed(&r);
		if (n == 0 || line[0] == '#')
			continue;
		const char *text = line[2] == ' ' ? line + 3 : line + 2;
		if (is_s) {
			if (buf_len(&r.cexp) == 0 && r.c)
				flush_output(&r); /* nothing unexpected sent */
			unescape(&r.sfeed, text);
			if (line[1] == ':')
				buf_append(&r.sfeed, "\r\n", 2);
		} else if (is_c) {
			unescape(&r.cexp, text);
			buf_append(&r.cexp, "\r\n", 2);
		} else if (line[0] == '@') {
			char *args = line + 2;
			if (strncmp(args, "body ", 5) == 0)
				unescape(&r.body, args + 5);
			else if (strncmp(args, "txn ", 4) == 0)
				submit(&r, args + 4);
			else
				config_line(&r, args);
		} else if (line[0] == '=') {
			expect_line(&r, line + 2);
		} else if (line[0] == '~') {
			expect_trace(&r, line + 2);
		} else {
			failf(&r, "cannot read this line");
		}
	}
	fclose(fp);
	if (buf_len(&r.sfeed))
		flush_feed(&r);
	flush_output(&r);
	struct smtp_event ev;
	if (r.c && smtp_client_next_event(r.c, &ev))
		failf(&r, "event %d left unchecked at the end", ev.type);
	smtp_client_free(r.c);
	log_set_sink(NULL, NULL);
	log_set_level(LOG_WARN);
	if (r.traced && r.logged_off < buf_len(&r.logged))
		failf(&r, "state trace \"%s\" left unchecked at the end",
		      (const char *)buf_data(&r.logged) + r.logged_off);
	for (size_t i = 0; i < r.nstrs; i++)
		free(r.strs[i]);
	for (size_t i = 0; i < r.ntxn; i++)
		free(r.bodies[i]);
	buf_fini(&r.sfeed);
	buf_fini(&r.cexp);
	buf_fini(&r.body);
	buf_fini(&r.logged);
	return r.whole_only;
}

static void
test_transcript(void **state)
{
	const char *path = *state;

	if (!run_transcript(path, false))
		run_transcript(path, true);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
	const char *src = getenv("MAILCAST_SRCDIR");
	char dir[4096];
	char **paths = NULL;
	size_t n = 0;
	DIR *d;
	struct dirent *de;

	snprintf(dir, sizeof(dir), "%s/tests/transcripts/smtp",
	         argc > 1 ? argv[1]
	         : src    ? src
	                  : ".");
	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "%s: cannot open\n", dir);
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".txt") != 0)
			continue;
		paths = xreallocarray(paths, n + 1, sizeof(*paths));
		paths[n++] = xasprintf("%s/%s", dir, de->d_name);
	}
	closedir(d);
	if (n == 0) {
		fprintf(stderr, "%s: no transcripts\n", dir);
		return 1;
	}
	qsort(paths, n, sizeof(*paths), cmp_str);
	struct CMUnitTest *tests = xcalloc(n, sizeof(*tests));
	for (size_t i = 0; i < n; i++) {
		tests[i].name = strrchr(paths[i], '/') + 1;
		tests[i].test_func = test_transcript;
		tests[i].initial_state = paths[i];
	}
	int rc =
	    _cmocka_run_group_tests("smtp_transcripts", tests, n, NULL, NULL);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	free(tests);
	return rc;
}
