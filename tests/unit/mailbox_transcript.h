/*
 * mailbox_transcript.h — the golden-transcript runner shared by
 * test_pop3_client.c and test_imap_client.c (included by each; static).
 *
 * A transcript (tests/transcripts/pop3/ or imap/, every .txt file):
 *   # comment
 *   S: text        bytes the server sends (CRLF added); consecutive S:
 *                  lines are fed together (S+ text: no CRLF added, and
 *                  \\r \\n \\\\ are escapes)
 *   C: text        bytes the client must have sent by now, exactly
 *   @ KEY ARGS     configuration before "@ start", actions after it
 *                  (the protocol's file says which)
 *   = EVENT        the next event, as the protocol describes it
 *                  ("ready", "closed OK", "done RETR OK len=12" ...)
 *   ? QUERY VALUE  a state query (the protocol says which)
 *   ~ TRACE        the next state trace the core logged at LOG_DEBUG
 *                  ("pop3: USER -> PASS"); in a transcript with ~ lines
 *                  every trace must be matched, in order, none left over
 * Each transcript runs twice: S: groups fed whole, then one byte at a time.
 * At the end no event and no output may be left over.
 */
#ifndef MAILBOX_TRANSCRIPT_H
#define MAILBOX_TRANSCRIPT_H

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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

struct tr_ops {
	void *(*make)(void *cfg);
	void (*destroy)(void *core);
	void (*start)(void *core, bool tls, uint64_t now);
	void (*feed)(void *core, const void *p, size_t n, uint64_t now);
	const unsigned char *(*output)(void *core, size_t *n);
	void (*sent)(void *core, size_t n, uint64_t now);
	/* Describe the next event into buf; false when none. */
	bool (*event)(void *core, char *buf, size_t sz);
	/* "@ KEY ARGS" before start (cfg) or after (core); false: unknown. */
	bool (*config)(void *cfg, const char *key, const char *args);
	bool (*action)(void *core, const char *key, const char *args,
	               uint64_t *now);
	/* "? QUERY": write the actual value into buf. */
	bool (*query)(void *core, const char *key, char *buf, size_t sz);
};

struct tr_run {
	const char *path;
	const struct tr_ops *ops;
	void *cfg;
	void *core;
	bool bytewise;
	uint64_t now;
	struct buf sfeed, cexp;
	int lineno;
	struct buf logged; /* state traces not yet matched, NUL-separated */
	size_t logged_off;
	bool traced; /* the transcript has ~ lines */
};

/* Fail with the transcript's name and line. */
static void tr_fail(struct tr_run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
tr_fail(struct tr_run *r, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fail_msg("%s:%d (%s): %s", r->path, r->lineno,
	         r->bytewise ? "bytewise" : "whole", msg);
}

/* The log sink: keep the core's state traces (LOG_DEBUG lines). */
static void
tr_keep_trace(enum log_level level, const char *line, void *arg)
{
	struct tr_run *r = arg;

	if (level == LOG_DEBUG)
		buf_append(&r->logged, line, strlen(line) + 1);
}

/* A ~ line: the oldest trace not yet matched must be this one. */
static void
tr_expect_trace(struct tr_run *r, const char *want)
{
	const char *got;

	r->traced = true;
	if (r->logged_off >= buf_len(&r->logged))
		tr_fail(r, "no state trace logged, expected '%s'", want);
	got = (const char *)buf_data(&r->logged) + r->logged_off;
	if (strcmp(got, want) != 0)
		tr_fail(r, "state trace '%s', expected '%s'", got, want);
	r->logged_off += strlen(got) + 1;
}

/* Feed the pending S: bytes. */
static void
tr_flush_s(struct tr_run *r)
{
	size_t n = buf_len(&r->sfeed);
	const unsigned char *p = buf_data(&r->sfeed);

	if (n == 0)
		return;
	if (r->core == NULL)
		tr_fail(r, "server bytes before @ start");
	if (r->bytewise)
		for (size_t i = 0; i < n; i++)
			r->ops->feed(r->core, p + i, 1, r->now);
	else
		r->ops->feed(r->core, p, n, r->now);
	buf_reset(&r->sfeed);
}

/* Compare the pending C: bytes with the client's output. */
static void
tr_check_c(struct tr_run *r)
{
	size_t n;
	const unsigned char *out;

	if (buf_len(&r->cexp) == 0)
		return;
	out = r->ops->output(r->core, &n);
	if (n != buf_len(&r->cexp) || memcmp(out, buf_data(&r->cexp), n) != 0)
		tr_fail(r, "client sent\n[%.*s]\nexpected\n[%s]", (int)n,
		        (const char *)out, buf_cstr(&r->cexp));
	r->ops->sent(r->core, n, r->now);
	buf_reset(&r->cexp);
}

/* Run one transcript file once. */
static void
tr_run_file(const char *path, const struct tr_ops *ops, void *cfg,
            bool bytewise)
{
	FILE *fp = fopen(path, "r");
	char line[8192];
	struct tr_run r = {
	    .path = path, .ops = ops, .cfg = cfg, .bytewise = bytewise};

	assert_non_null(fp);
	buf_init(&r.sfeed);
	buf_init(&r.cexp);
	buf_init(&r.logged);
	log_set_level(LOG_DEBUG);
	log_set_sink(tr_keep_trace, &r);
	while (fgets(line, sizeof(line), fp)) {
		size_t l = strlen(line);
		r.lineno++;
		while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == '\r'))
			line[--l] = '\0';
		if (l == 0 || line[0] == '#')
			continue;
		bool is_s =
		    strncmp(line, "S:", 2) == 0 || strncmp(line, "S+", 2) == 0;
		bool is_c = strncmp(line, "C:", 2) == 0;
		if (!is_s)
			tr_flush_s(&r);
		if (!is_c && r.core)
			tr_check_c(&r);
		if (is_s) {
			const char *t = line + 2;
			if (*t == ' ')
				t++;
			if (line[1] == ':') {
				buf_puts(&r.sfeed, t);
				buf_puts(&r.sfeed, "\r\n");
				continue;
			}
			/* S+: no CRLF added; \r \n \\ are escapes. */
			for (; *t; t++) {
				if (t[0] == '\\' && t[1]) {
					t++;
					buf_putc(&r.sfeed, *t == 'r'   ? '\r'
					                   : *t == 'n' ? '\n'
					                               : *t);
				} else {
					buf_putc(&r.sfeed, *t);
				}
			}
			continue;
		}
		if (is_c) {
			const char *t = line + 2;
			if (*t == ' ')
				t++;
			tr_flush_s(&r);
			buf_puts(&r.cexp, t);
			buf_puts(&r.cexp, "\r\n");
			continue;
		}
		if (line[0] == '@') {
			char key[64] = "";
			const char *args = line + 1;
			int n = 0;
			sscanf(args, " %63s %n", key, &n);
			args += n;
			if (strcmp(key, "start") == 0) {
				r.core = ops->make(cfg);
				ops->start(r.core, strstr(args, "tls") != NULL,
				           r.now);
			} else if (r.core == NULL) {
				if (!ops->config(cfg, key, args))
					tr_fail(&r, "unknown @ %s", key);
			} else if (!ops->action(r.core, key, args, &r.now)) {
				tr_fail(&r, "unknown @ %s", key);
			}
			continue;
		}
		if (line[0] == '=') {
			char ev[4096];
			const char *want = line + 1;
			while (*want == ' ')
				want++;
			if (!ops->event(r.core, ev, sizeof(ev)))
				tr_fail(&r, "no event, expected '%s'", want);
			if (strcmp(ev, want) != 0)
				tr_fail(&r, "event '%s', expected '%s'", ev,
				        want);
			continue;
		}
		if (line[0] == '?') {
			char key[64] = "", got[4096];
			const char *want = line + 1;
			int n = 0;
			sscanf(want, " %63s %n", key, &n);
			want += n;
			if (!ops->query(r.core, key, got, sizeof(got)))
				tr_fail(&r, "unknown ? %s", key);
			if (strcmp(got, want) != 0)
				tr_fail(&r, "%s is '%s', expected '%s'", key,
				        got, want);
			continue;
		}
		if (line[0] == '~') {
			const char *want = line + 1;
			while (*want == ' ')
				want++;
			tr_expect_trace(&r, want);
			continue;
		}
		tr_fail(&r, "cannot read this line");
	}
	fclose(fp);
	tr_flush_s(&r);
	if (r.core) {
		char ev[4096];
		size_t n;
		tr_check_c(&r);
		if (ops->event(r.core, ev, sizeof(ev)))
			tr_fail(&r, "an event left over: '%s'", ev);
		ops->output(r.core, &n);
		if (n != 0)
			tr_fail(&r, "output left over: [%.*s]", (int)n,
			        (const char *)ops->output(r.core, &n));
		ops->destroy(r.core);
	}
	log_set_sink(NULL, NULL);
	log_set_level(LOG_WARN);
	if (r.traced && r.logged_off < buf_len(&r.logged))
		tr_fail(&r, "state trace '%s' left unchecked at the end",
		        (const char *)buf_data(&r.logged) + r.logged_off);
	buf_fini(&r.sfeed);
	buf_fini(&r.cexp);
	buf_fini(&r.logged);
}

/* Escape data for "= ... data=" comparisons: \r \n \\ and \xNN. */
static void
tr_escape(const unsigned char *p, size_t n, char *out, size_t sz)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 5 < sz; i++) {
		if (p[i] == '\r')
			o += (size_t)snprintf(out + o, sz - o, "\\r");
		else if (p[i] == '\n')
			o += (size_t)snprintf(out + o, sz - o, "\\n");
		else if (p[i] == '\\')
			o += (size_t)snprintf(out + o, sz - o, "\\\\");
		else if (p[i] < 0x20 || p[i] > 0x7e)
			o += (size_t)snprintf(out + o, sz - o, "\\x%02x", p[i]);
		else
			out[o++] = (char)p[i];
	}
	out[o] = '\0';
}

/* Every .txt of dir, whole and bytewise; reset_cfg clears cfg each time. */
static void
tr_run_dir(const char *sub, const struct tr_ops *ops, void *cfg,
           void (*reset_cfg)(void *cfg))
{
	const char *src = getenv("MAILCAST_SRCDIR");
	char dir[1024];
	struct dirent **names;
	int n, ran = 0;

	snprintf(dir, sizeof(dir), "%s/tests/transcripts/%s", src ? src : ".",
	         sub);
	n = scandir(dir, &names, NULL, alphasort);
	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		size_t l = strlen(nm);
		if (l > 4 && strcmp(nm + l - 4, ".txt") == 0) {
			char path[2048];
			snprintf(path, sizeof(path), "%s/%s", dir, nm);
			for (int b = 0; b < 2; b++) {
				reset_cfg(cfg);
				tr_run_file(path, ops, cfg, b == 1);
			}
			ran++;
		}
		free(names[i]);
	}
	free(names);
	assert_true(ran > 0);
}

#endif
