/*
 * smtp_server.c — see smtp_server.h.
 *
 * Input is consumed as it comes: command lines are handled straight from
 * the caller's bytes when whole (a partial one is kept in s->line, at most
 * SMTP_SERVER_LINE_MAX bytes), and DATA bodies are scanned with memchr for
 * line starts, so a body is never copied unless keep_body asks for it.
 * Replies accumulate in s->out in command order, which is what PIPELINING
 * needs; a fault's delay diverts the next reply into s->held and stops the
 * feed until smtp_server_resume().
 */
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/log.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "proto/smtp_server.h"

/* DATA scanner states: where the last byte left us in a line. */
enum {
	DS_BOL,   /* at the start of a line */
	DS_DOT,   /* a line started with '.' */
	DS_DOTCR, /* ".\r" at the start of a line */
	DS_MID,   /* inside a line */
};

static const char *const stage_names[] = {
#define SMTP_STAGE_NAME(e, name) name,
    SMTP_FAULT_STAGES(SMTP_STAGE_NAME)
#undef SMTP_STAGE_NAME
};

static const char *const state_names[] = {
#define SMTP_SRV_NAME(e, name) [e] = name,
    SMTP_SERVER_STATES(SMTP_SRV_NAME)
#undef SMTP_SRV_NAME
};

/* The name of a session state, for traces. */
const char *
smtp_server_state_name(enum smtp_server_state st)
{
	if ((unsigned)st >= sizeof(state_names) / sizeof(state_names[0]))
		return "?";
	return state_names[st];
}

/*
 * The one place the session state changes (nothing else assigns
 * s->state; test_smtp_client greps the cores); traced at LOG_DEBUG.
 */
static void
smtp_server_enter(struct smtp_server *s, enum smtp_server_state st)
{
	if (s->state != st)
		log_debug("smtpd%s%s: %s -> %s", s->peer[0] ? " " : "", s->peer,
		          state_names[s->state], state_names[st]);
	s->state = st;
}

/* Is a transaction open (MAIL accepted, not yet ended)? */
static bool
in_txn(const struct smtp_server *s)
{
	return s->state >= SMTP_SRV_MAIL && s->state <= SMTP_SRV_BDAT;
}

/* The name of a stage, for --help and errors. */
const char *
smtp_stage_name(enum smtp_stage stage)
{
	if ((unsigned)stage >= SMTP_STAGE_COUNT)
		return "?";
	return stage_names[stage];
}

/* Copy at most n bytes of s into dst (size dstsize) and NUL-terminate. */
static void
copy_trunc(char *dst, size_t dstsize, const char *s, size_t n)
{
	if (n >= dstsize)
		n = dstsize - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* Parse "CODE TEXT" (4xx/5xx) into f; returns 0 or MC_EINVAL. */
static int
fault_parse_reply(const char *s, struct smtp_fault *f, char *err,
                  size_t errsize)
{
	unsigned long long code;

	if (strlen(s) < 3 || !mc_parse_uint(s, 3, 999, &code) ||
	    (s[3] != '\0' && s[3] != ' ')) {
		snprintf(err, errsize,
		         "expected a reply code such as "
		         "'550 5.1.1 no such user', got '%s'",
		         s);
		return MC_EINVAL;
	}
	if (code < 400 || code > 599) {
		snprintf(err, errsize, "reply code %llu is not 4xx or 5xx",
		         code);
		return MC_EINVAL;
	}
	f->code = (int)code;
	s += 3;
	while (*s == ' ')
		s++;
	if (strlen(s) >= sizeof(f->text)) {
		snprintf(err, errsize, "reply text longer than %zu bytes",
		         sizeof(f->text) - 1);
		return MC_EINVAL;
	}
	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			snprintf(err, errsize,
			         "control character in reply text");
			return MC_EINVAL;
		}
	}
	snprintf(f->text, sizeof(f->text), "%s", *s ? s : "fault injected");
	return 0;
}

/* Parse a fault rule; see smtp_server.h. */
int
smtp_fault_parse(const char *spec, struct smtp_fault *f, char *err,
                 size_t errsize)
{
	const char *colon, *eq, *act;
	unsigned long long v;
	size_t n;
	int i;

	memset(f, 0, sizeof(*f));
	colon = strchr(spec, ':');
	if (colon == NULL) {
		snprintf(err, errsize, "'%s': expected STAGE:PATTERN=ACTION",
		         spec);
		return MC_EINVAL;
	}
	for (i = 0; i < SMTP_STAGE_COUNT; i++) {
		if (mc_ieq(spec, (size_t)(colon - spec), stage_names[i]))
			break;
	}
	if (i == SMTP_STAGE_COUNT) {
		snprintf(
		    err, errsize,
		    "'%.*s': unknown stage (connect, ehlo, helo, mail, rcpt, "
		    "data, dot)",
		    (int)(colon - spec), spec);
		return MC_EINVAL;
	}
	f->stage = (enum smtp_stage)i;
	eq = strchr(colon + 1, '=');
	if (eq == NULL) {
		snprintf(err, errsize, "'%s': expected '=' and an action",
		         spec);
		return MC_EINVAL;
	}
	n = (size_t)(eq - colon - 1);
	if (n == 0 || n >= sizeof(f->pattern)) {
		snprintf(err, errsize, "'%s': the pattern is empty or too long",
		         spec);
		return MC_EINVAL;
	}
	copy_trunc(f->pattern, sizeof(f->pattern), colon + 1, n);
	if (f->pattern[0] == '%') {
		if (!mc_parse_uint(f->pattern + 1, n - 1, 1000000000, &v) ||
		    v == 0) {
			snprintf(err, errsize, "'%s': '%%N' needs N >= 1",
			         f->pattern);
			return MC_EINVAL;
		}
		f->every = (unsigned long)v;
	}
	act = eq + 1;
	while (*act == ' ')
		act++;
	if (strcmp(act, "drop") == 0) {
		f->kind = SMTP_FAULT_DROP;
		return 0;
	}
	if (strncmp(act, "drop-after ", 11) == 0) {
		if (f->stage != SMTP_STAGE_DATA) {
			snprintf(err, errsize,
			         "drop-after works on the data "
			         "stage only");
			return MC_EINVAL;
		}
		if (!mc_parse_uint(act + 11, strlen(act + 11), 1ULL << 40,
		                   &f->after)) {
			snprintf(err, errsize, "drop-after needs a byte count");
			return MC_EINVAL;
		}
		f->kind = SMTP_FAULT_DROP_AFTER;
		return 0;
	}
	if (strncmp(act, "delay ", 6) == 0) {
		const char *p = act + 6, *sp = strchr(p, ' ');
		size_t len = sp ? (size_t)(sp - p) : strlen(p);

		if (!mc_parse_uint(p, len, SMTP_SERVER_DELAY_MAX, &v)) {
			snprintf(err, errsize,
			         "delay needs milliseconds "
			         "(at most %d)",
			         SMTP_SERVER_DELAY_MAX);
			return MC_EINVAL;
		}
		f->kind = SMTP_FAULT_DELAY;
		f->delay_ms = (unsigned)v;
		if (sp == NULL)
			return 0;
		while (*sp == ' ')
			sp++;
		return *sp ? fault_parse_reply(sp, f, err, errsize) : 0;
	}
	f->kind = SMTP_FAULT_REPLY;
	return fault_parse_reply(act, f, err, errsize);
}

/* Append one reply line (CRLF added) to the current reply buffer. */
static void
reply(struct smtp_server *s, const char *line)
{
	struct buf *b = s->want_held ? &s->held : &s->out;

	buf_puts(b, line);
	buf_append(b, "\r\n", 2);
}

/* Append a formatted reply line. */
static void __attribute__((format(printf, 2, 3)))
replyf(struct smtp_server *s, const char *fmt, ...)
{
	struct buf *b = s->want_held ? &s->held : &s->out;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
	buf_append(b, "\r\n", 2);
}

/* Does a rule's pattern match subject (every-Nth rules count here)? */
static bool
fault_hit(struct smtp_fault *f, const char *subject)
{
	if (f->every) {
		f->seen++;
		return f->seen % f->every == 0;
	}
	return fnmatch(f->pattern, subject, FNM_CASEFOLD) == 0;
}

/* The first rule of stage that matches subject (data/dot: any recipient). */
static struct smtp_fault *
fault_find(struct smtp_server *s, enum smtp_stage stage, const char *subject)
{
	for (size_t i = 0; i < s->cfg->nfaults; i++) {
		struct smtp_fault *f = &s->cfg->faults[i];

		if (f->stage != stage)
			continue;
		if (subject != NULL) {
			if (fault_hit(f, subject))
				return f;
			continue;
		}
		if (f->every) {
			if (fault_hit(f, ""))
				return f;
			continue;
		}
		for (size_t r = 0; r < s->nrcpts; r++) {
			const char *rcpt =
			    (const char *)buf_data(&s->rcpt_text) +
			    s->rcpt_off[r];
			if (fault_hit(f, rcpt))
				return f;
		}
	}
	return NULL;
}

/*
 * Start applying rule f (may be NULL).  Returns true when the rule made the
 * whole answer (a reply or a drop), false when the normal handling goes on
 * (its reply perhaps held back by a delay).  fault_end() finishes.
 */
static bool
fault_begin(struct smtp_server *s, struct smtp_fault *f)
{
	if (f == NULL)
		return false;
	switch (f->kind) {
	case SMTP_FAULT_DROP:
		s->want = SMTP_SERVER_DROP;
		return true;
	case SMTP_FAULT_DROP_AFTER:
		s->drop_rule = f;
		return false;
	case SMTP_FAULT_DELAY:
		s->delay_ms = f->delay_ms;
		s->want_held = true;
		if (f->code == 0)
			return false;
		break;
	case SMTP_FAULT_REPLY:
		break;
	}
	replyf(s, "%d %s", f->code, f->text);
	if (f->code == 421)
		s->close_after = true;
	return true;
}

/* After a command: turn a pending delay or 421 into what the caller wants. */
static void
fault_end(struct smtp_server *s)
{
	if (s->want == SMTP_SERVER_DROP)
		return;
	if (s->want_held) {
		s->want_held = false;
		s->want = SMTP_SERVER_DELAY;
		return;
	}
	if (s->close_after)
		s->want = SMTP_SERVER_CLOSE;
}

/* Forget the envelope and body of the current transaction. */
static void
txn_reset(struct smtp_server *s)
{
	if (in_txn(s))
		smtp_server_enter(s, SMTP_SRV_HELO);
	s->smtputf8 = false;
	s->too_big = false;
	s->in_bdat = false;
	s->bdat_skip = false;
	s->drop_rule = NULL;
	s->raw_bytes = 0;
	s->size = 0;
	s->nrcpts = 0;
	s->from[0] = '\0';
	buf_reset(&s->rcpt_text);
	buf_reset(&s->body);
}

/* Start a session; see smtp_server.h. */
void
smtp_server_init(struct smtp_server *s, const struct smtp_server_config *cfg,
                 const char *peer, smtp_server_message_fn *hook, void *hook_arg)
{
	struct smtp_fault *f;

	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->hook = hook;
	s->hook_arg = hook_arg;
	s->max_size = cfg->max_size ? cfg->max_size : SMTP_SERVER_DEFAULT_SIZE;
	s->max_rcpts =
	    cfg->max_rcpts ? cfg->max_rcpts : SMTP_SERVER_DEFAULT_RCPTS;
	mc_strlcpy(s->peer, peer ? peer : "", sizeof(s->peer));
	buf_init(&s->out);
	buf_init(&s->held);
	buf_init(&s->line);
	buf_init(&s->rcpt_text);
	buf_init(&s->body);
	s->want = SMTP_SERVER_READ;
	smtp_server_enter(s, SMTP_SRV_CONNECT);
	f = fault_find(s, SMTP_STAGE_CONNECT, s->peer);
	if (fault_begin(s, f)) {
		/* A refused greeting (554) leaves only QUIT, RFC 5321 3.1. */
		if (f->kind != SMTP_FAULT_DROP && f->code != 421)
			s->refused = true;
	} else {
		replyf(s, "220 %s ESMTP mailcast", cfg->hostname);
	}
	fault_end(s);
}

/* Free what the core holds (not s itself). */
void
smtp_server_fini(struct smtp_server *s)
{
	buf_fini(&s->out);
	buf_fini(&s->held);
	buf_fini(&s->line);
	buf_fini(&s->rcpt_text);
	buf_fini(&s->body);
	free(s->rcpt_off);
	free(s->rcpt_ptr);
	memset(s, 0, sizeof(*s));
}

/* What the connection should do next. */
enum smtp_server_want
smtp_server_want(const struct smtp_server *s)
{
	return s->want;
}

/* Release a delayed reply. */
void
smtp_server_resume(struct smtp_server *s)
{
	if (s->want != SMTP_SERVER_DELAY)
		return;
	buf_append(&s->out, buf_data(&s->held), buf_len(&s->held));
	buf_reset(&s->held);
	s->want = s->close_after ? SMTP_SERVER_CLOSE : SMTP_SERVER_READ;
}

/* TLS is up: RFC 3207 4.2 says forget everything learnt before. */
void
smtp_server_tls_started(struct smtp_server *s)
{
	txn_reset(s);
	buf_reset(&s->line);
	s->line_overflow = false;
	s->tls = true;
	s->esmtp = false;
	s->helo[0] = '\0';
	smtp_server_enter(s, SMTP_SRV_CONNECT);
	s->want = SMTP_SERVER_READ;
}

/*
 * Parse "<path>" (or a bare path) at p[0..n); the address goes into addr.
 * *rest is set past the path.  Returns 0 or MC_EDATA.
 */
static int
parse_path(const char *p, size_t n, char *addr, size_t addrsize,
           const char **rest)
{
	const char *end = p + n, *a, *e;

	while (p < end && *p == ' ')
		p++;
	if (p < end && *p == '<') {
		a = p + 1;
		e = memchr(a, '>', (size_t)(end - a));
		if (e == NULL)
			return MC_EDATA;
		*rest = e + 1;
	} else {
		a = p;
		e = memchr(a, ' ', (size_t)(end - a));
		if (e == NULL)
			e = end;
		if (e == a)
			return MC_EDATA;
		*rest = e;
	}
	/* A source route (<@a,@b:user@d>) is ignored, RFC 5321 4.1.2. */
	if (a < e && *a == '@') {
		const char *c = memchr(a, ':', (size_t)(e - a));
		if (c == NULL)
			return MC_EDATA;
		a = c + 1;
	}
	if ((size_t)(e - a) >= addrsize)
		return MC_EDATA;
	for (const char *q = a; q < e; q++) {
		unsigned char c = (unsigned char)*q;
		if (c <= 0x20 || c == 0x7f || c == '<' || c == '>')
			return MC_EDATA;
	}
	copy_trunc(addr, addrsize, a, (size_t)(e - a));
	return 0;
}

/* The EHLO reply. */
static void
do_ehlo(struct smtp_server *s, const char *arg, size_t n)
{
	struct buf *b;

	if (n == 0) {
		reply(s, "501 5.5.4 Syntax: EHLO hostname");
		return;
	}
	copy_trunc(s->helo, sizeof(s->helo), arg, n);
	if (fault_begin(s, fault_find(s, SMTP_STAGE_EHLO, s->helo)))
		return;
	txn_reset(s);
	smtp_server_enter(s, SMTP_SRV_HELO);
	s->esmtp = true;
	b = s->want_held ? &s->held : &s->out;
	buf_printf(
	    b,
	    "250-%s\r\n250-PIPELINING\r\n250-SIZE %llu\r\n250-8BITMIME\r\n"
	    "250-SMTPUTF8\r\n250-CHUNKING\r\n%s250 ENHANCEDSTATUSCODES\r\n",
	    s->cfg->hostname, s->max_size,
	    s->cfg->starttls && !s->tls ? "250-STARTTLS\r\n" : "");
}

/* HELO: the old greeting, no extensions. */
static void
do_helo(struct smtp_server *s, const char *arg, size_t n)
{
	if (n == 0) {
		reply(s, "501 5.5.4 Syntax: HELO hostname");
		return;
	}
	copy_trunc(s->helo, sizeof(s->helo), arg, n);
	if (fault_begin(s, fault_find(s, SMTP_STAGE_HELO, s->helo)))
		return;
	txn_reset(s);
	smtp_server_enter(s, SMTP_SRV_HELO);
	s->esmtp = false;
	replyf(s, "250 %s", s->cfg->hostname);
}

/* MAIL FROM:<path> [SIZE=n] [BODY=7BIT|8BITMIME] [SMTPUTF8]. */
static void
do_mail(struct smtp_server *s, const char *arg, size_t n)
{
	const char *end = arg + n, *p;
	bool utf8 = false;

	if (s->state == SMTP_SRV_CONNECT) {
		reply(s, "503 5.5.1 Error: send HELO/EHLO first");
		return;
	}
	if (in_txn(s)) {
		reply(s, "503 5.5.1 Error: nested MAIL command");
		return;
	}
	if (!mc_istarts(arg, n, "FROM:")) {
		reply(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
		return;
	}
	if (parse_path(arg + 5, n - 5, s->from, sizeof(s->from), &p) != 0) {
		s->from[0] = '\0';
		reply(s, "501 5.1.7 Bad sender address syntax");
		return;
	}
	/* ESMTP parameters. */
	while (p < end) {
		const char *k, *e, *eq;

		while (p < end && *p == ' ')
			p++;
		if (p == end)
			break;
		k = p;
		e = memchr(p, ' ', (size_t)(end - p));
		if (e == NULL)
			e = end;
		p = e;
		eq = memchr(k, '=', (size_t)(e - k));
		if (!s->esmtp) {
			reply(s, "555 5.5.4 Parameters need EHLO");
			return;
		}
		if (eq && mc_ieq(k, (size_t)(eq - k), "SIZE")) {
			unsigned long long v;
			if (!mc_parse_uint(eq + 1, (size_t)(e - eq - 1),
			                   (unsigned long long)-1 / 2, &v)) {
				reply(s, "501 5.5.4 Bad SIZE parameter");
				return;
			}
			if (v > s->max_size) {
				reply(s, "552 5.3.4 Message size exceeds fixed "
				         "limit");
				return;
			}
		} else if (eq && mc_ieq(k, (size_t)(eq - k), "BODY")) {
			if (!mc_ieq(eq + 1, (size_t)(e - eq - 1), "7BIT") &&
			    !mc_ieq(eq + 1, (size_t)(e - eq - 1), "8BITMIME")) {
				reply(s, "555 5.5.4 Unsupported BODY type");
				return;
			}
		} else if (!eq && mc_ieq(k, (size_t)(e - k), "SMTPUTF8")) {
			utf8 = true;
		} else {
			replyf(s, "555 5.5.4 Unsupported option: %.*s",
			       (int)(eq ? eq - k : e - k), k);
			return;
		}
	}
	if (fault_begin(s, fault_find(s, SMTP_STAGE_MAIL, s->from))) {
		s->from[0] = '\0';
		return;
	}
	smtp_server_enter(s, SMTP_SRV_MAIL);
	s->bdat_skip = false;
	s->smtputf8 = utf8;
	reply(s, "250 2.1.0 Ok");
}

/* RCPT TO:<path>. */
static void
do_rcpt(struct smtp_server *s, const char *arg, size_t n)
{
	char addr[SMTP_SERVER_ADDR_MAX];
	const char *p;

	if (!in_txn(s)) {
		reply(s, "503 5.5.1 Error: need MAIL command");
		return;
	}
	if (!mc_istarts(arg, n, "TO:")) {
		reply(s, "501 5.5.4 Syntax: RCPT TO:<address>");
		return;
	}
	if (parse_path(arg + 3, n - 3, addr, sizeof(addr), &p) != 0 ||
	    addr[0] == '\0') {
		reply(s, "501 5.1.3 Bad recipient address syntax");
		return;
	}
	while (p < arg + n && *p == ' ')
		p++;
	if (p < arg + n) {
		reply(s, "555 5.5.4 Unsupported option (DSN is not offered)");
		return;
	}
	if (s->nrcpts >= s->max_rcpts) {
		reply(s, "452 4.5.3 Error: too many recipients");
		return;
	}
	if (fault_begin(s, fault_find(s, SMTP_STAGE_RCPT, addr)))
		return;
	if (s->nrcpts == s->rcpt_cap) {
		s->rcpt_cap = s->rcpt_cap ? s->rcpt_cap * 2 : 8;
		s->rcpt_off = xreallocarray(s->rcpt_off, s->rcpt_cap,
		                            sizeof(*s->rcpt_off));
	}
	s->rcpt_off[s->nrcpts++] = buf_len(&s->rcpt_text);
	buf_append(&s->rcpt_text, addr, strlen(addr) + 1);
	smtp_server_enter(s, SMTP_SRV_RCPT);
	reply(s, "250 2.1.5 Ok");
}

/* Can DATA or BDAT start?  Replies and returns false when not. */
static bool
txn_ready(struct smtp_server *s)
{
	if (!in_txn(s)) {
		reply(s, "503 5.5.1 Error: need MAIL command");
		return false;
	}
	if (s->nrcpts == 0) {
		reply(s, "554 5.5.1 Error: no valid recipients");
		return false;
	}
	return true;
}

/* DATA: 354, then the body until a line with a lone dot. */
static void
do_data(struct smtp_server *s, const char *arg, size_t n)
{
	if (n > 0) {
		reply(s, "501 5.5.4 Syntax: DATA");
		return;
	}
	if (s->in_bdat) {
		reply(s, "503 5.5.1 Error: BDAT in progress");
		return;
	}
	if (!txn_ready(s))
		return;
	if (fault_begin(s, fault_find(s, SMTP_STAGE_DATA, NULL))) {
		if (s->want != SMTP_SERVER_DROP)
			txn_reset(s);
		return;
	}
	smtp_server_enter(s, SMTP_SRV_DATA);
	s->dstate = DS_BOL;
	reply(s, "354 End data with <CR><LF>.<CR><LF>");
}

/* BDAT size [LAST]: the chunk's bytes follow at once, RFC 3030. */
static void
do_bdat(struct smtp_server *s, const char *arg, size_t n)
{
	const char *sp = memchr(arg, ' ', n);
	size_t numlen = sp ? (size_t)(sp - arg) : n;
	unsigned long long len;
	bool last = false;

	if (!mc_parse_uint(arg, numlen, 1ULL << 50, &len)) {
		reply(s, "501 5.5.4 Syntax: BDAT size [LAST]");
		return;
	}
	if (sp != NULL) {
		while (sp < arg + n && *sp == ' ')
			sp++;
		if (!mc_ieq(sp, (size_t)(arg + n - sp), "LAST")) {
			reply(s, "501 5.5.4 Syntax: BDAT size [LAST]");
			return;
		}
		last = true;
	}
	s->bdat_left = len;
	s->bdat_last = last;
	if (s->bdat_skip) {
		/* An earlier chunk of this transaction failed. */
		reply(s, "503 5.5.1 Error: transaction failed, send RSET");
	} else if (!txn_ready(s)) {
		s->bdat_skip = true;
	} else if (!s->in_bdat) {
		s->in_bdat = true;
		if (fault_begin(s, fault_find(s, SMTP_STAGE_DATA, NULL)))
			s->bdat_skip = true;
	}
	/* The chunk's bytes are read (or skipped) whatever the answer. */
	s->bdat_ret = s->state;
	smtp_server_enter(s, SMTP_SRV_BDAT);
}

/* One command line (without its line end). */
static void
process_line(struct smtp_server *s, const char *line, size_t n)
{
	const char *arg;
	size_t vlen, alen;

	if (n > 0 && line[n - 1] == '\r')
		n--;
	arg = memchr(line, ' ', n);
	vlen = arg ? (size_t)(arg - line) : n;
	if (arg) {
		while (arg < line + n && *arg == ' ')
			arg++;
		alen = (size_t)(line + n - arg);
	} else {
		arg = line + n;
		alen = 0;
	}
	if (mc_ieq(line, vlen, "QUIT")) {
		reply(s, "221 2.0.0 Bye");
		smtp_server_enter(s, SMTP_SRV_QUIT);
		s->want = SMTP_SERVER_CLOSE;
		return;
	}
	if (s->refused) {
		reply(s, "503 5.5.1 Error: no service, only QUIT");
		return;
	}
	if (mc_ieq(line, vlen, "EHLO"))
		do_ehlo(s, arg, alen);
	else if (mc_ieq(line, vlen, "HELO"))
		do_helo(s, arg, alen);
	else if (mc_ieq(line, vlen, "MAIL"))
		do_mail(s, arg, alen);
	else if (mc_ieq(line, vlen, "RCPT"))
		do_rcpt(s, arg, alen);
	else if (mc_ieq(line, vlen, "DATA"))
		do_data(s, arg, alen);
	else if (mc_ieq(line, vlen, "BDAT"))
		do_bdat(s, arg, alen);
	else if (mc_ieq(line, vlen, "RSET")) {
		txn_reset(s);
		reply(s, "250 2.0.0 Ok");
	} else if (mc_ieq(line, vlen, "NOOP"))
		reply(s, "250 2.0.0 Ok");
	else if (mc_ieq(line, vlen, "STARTTLS")) {
		if (!s->cfg->starttls)
			reply(s, "502 5.5.1 Error: STARTTLS not offered");
		else if (s->tls)
			reply(s, "503 5.5.1 Error: TLS already active");
		else if (alen > 0)
			reply(s, "501 5.5.4 Syntax: STARTTLS");
		else {
			reply(s, "220 2.0.0 Ready to start TLS");
			s->want = SMTP_SERVER_STARTTLS;
		}
	} else if (mc_ieq(line, vlen, "VRFY"))
		reply(s, "252 2.0.0 Send some mail, I'll try my best");
	else if (mc_ieq(line, vlen, "HELP"))
		reply(s, "214 2.0.0 See RFC 5321");
	else
		reply(s, "500 5.5.2 Error: command not recognized");
	fault_end(s);
}

/* A finished message: the dot stage, the hook, the reply. */
static void
finish_message(struct smtp_server *s)
{
	struct smtp_server_msg m;
	char qid[SMTP_SERVER_QID_MAX];
	int rc;

	/* Every way out ends the transaction (txn_reset: back to HELO). */
	if (s->too_big) {
		reply(s, "552 5.3.4 Message size exceeds fixed limit");
		txn_reset(s);
		return;
	}
	if (fault_begin(s, fault_find(s, SMTP_STAGE_DOT, NULL))) {
		txn_reset(s);
		fault_end(s);
		return;
	}
	if (s->nrcpts > s->rcpt_ptr_cap) {
		s->rcpt_ptr_cap = s->rcpt_cap;
		s->rcpt_ptr = xreallocarray(s->rcpt_ptr, s->rcpt_ptr_cap,
		                            sizeof(*s->rcpt_ptr));
	}
	for (size_t i = 0; i < s->nrcpts; i++)
		s->rcpt_ptr[i] =
		    (const char *)buf_data(&s->rcpt_text) + s->rcpt_off[i];
	m.helo = s->helo;
	m.from = s->from;
	m.rcpts = s->rcpt_ptr;
	m.nrcpts = s->nrcpts;
	m.body = s->cfg->keep_body ? buf_data(&s->body) : NULL;
	m.size = (size_t)s->size;
	m.esmtp = s->esmtp;
	m.tls = s->tls;
	m.smtputf8 = s->smtputf8;
	m.bdat = s->in_bdat;
	qid[0] = '\0';
	rc = s->hook ? s->hook(s->hook_arg, &m, qid, sizeof(qid)) : 0;
	if (rc < 0)
		reply(s, "451 4.3.0 Error: cannot store the message");
	else
		replyf(s, "250 2.0.0 Ok: queued as %s", qid[0] ? qid : "0");
	txn_reset(s);
	fault_end(s);
}

/* Count body bytes; keep them when asked and while under the limit. */
static void
emit(struct smtp_server *s, const char *p, size_t n)
{
	s->size += n;
	if (s->size > s->max_size) {
		if (!s->too_big)
			buf_reset(&s->body);
		s->too_big = true;
		return;
	}
	if (s->cfg->keep_body)
		buf_append(&s->body, p, n);
}

/* How many body bytes may be read before a drop-after rule fires. */
static size_t
drop_limit(struct smtp_server *s, size_t n)
{
	unsigned long long left;

	if (s->drop_rule == NULL)
		return n;
	left = s->drop_rule->after > s->raw_bytes
	           ? s->drop_rule->after - s->raw_bytes
	           : 0;
	return left < n ? (size_t)left : n;
}

/* After body bytes: has a drop-after rule fired? */
static void
drop_check(struct smtp_server *s)
{
	if (s->drop_rule != NULL && s->raw_bytes >= s->drop_rule->after)
		s->want = SMTP_SERVER_DROP;
}

/* DATA body bytes: unstuff dots, find the end.  Returns bytes used. */
static size_t
feed_data(struct smtp_server *s, const char *p, size_t n)
{
	size_t lim = drop_limit(s, n), i = 0;
	const char *q;

	while (i < lim) {
		switch (s->dstate) {
		case DS_BOL:
			if (p[i] == '.') {
				s->dstate = DS_DOT;
				i++;
			} else {
				s->dstate = DS_MID;
			}
			break;
		case DS_DOT:
			if (p[i] == '\r') {
				s->dstate = DS_DOTCR;
				i++;
			} else if (p[i] == '\n') {
				goto end;
			} else {
				s->dstate = DS_MID; /* a stuffed dot */
			}
			break;
		case DS_DOTCR:
			if (p[i] == '\n')
				goto end;
			emit(s, "\r", 1);
			s->dstate = DS_MID;
			break;
		default:
			q = memchr(p + i, '\n', lim - i);
			if (q == NULL) {
				emit(s, p + i, lim - i);
				i = lim;
			} else {
				emit(s, p + i, (size_t)(q - (p + i)) + 1);
				i = (size_t)(q - p) + 1;
				s->dstate = DS_BOL;
			}
			break;
		}
	}
	s->raw_bytes += i;
	drop_check(s);
	return i;
end:
	i++;
	s->raw_bytes += i;
	finish_message(s);
	return i;
}

/* BDAT chunk bytes, taken as they are.  Returns bytes used. */
static size_t
feed_bdat(struct smtp_server *s, const char *p, size_t n)
{
	size_t take = n < s->bdat_left ? n : (size_t)s->bdat_left;

	take = drop_limit(s, take);
	if (!s->bdat_skip)
		emit(s, p, take);
	s->bdat_left -= take;
	s->raw_bytes += take;
	if (s->bdat_left > 0) {
		drop_check(s);
		return take;
	}
	smtp_server_enter(s, s->bdat_ret);
	if (s->bdat_skip) {
		/* the error reply went out with the BDAT command */
	} else if (s->too_big) {
		reply(s, "552 5.3.4 Message size exceeds fixed limit");
		txn_reset(s);
		s->bdat_skip = true;
	} else if (s->bdat_last) {
		finish_message(s);
	} else {
		replyf(s, "250 2.0.0 %llu octets received", s->size);
	}
	return take;
}

/* Command bytes: whole lines are handled in place.  Returns bytes used. */
static size_t
feed_cmd(struct smtp_server *s, const char *p, size_t n)
{
	const char *q = memchr(p, '\n', n);
	size_t len;

	if (q == NULL) {
		if (!s->line_overflow &&
		    buf_len(&s->line) + n >= SMTP_SERVER_LINE_MAX) {
			s->line_overflow = true;
			buf_reset(&s->line);
		}
		if (!s->line_overflow)
			buf_append(&s->line, p, n);
		return n;
	}
	len = (size_t)(q - p);
	if (s->line_overflow ||
	    buf_len(&s->line) + len >= SMTP_SERVER_LINE_MAX) {
		s->line_overflow = false;
		buf_reset(&s->line);
		reply(s, "500 5.5.0 Error: line too long");
	} else if (buf_len(&s->line) > 0) {
		buf_append(&s->line, p, len);
		process_line(s, buf_cstr(&s->line), buf_len(&s->line));
		buf_reset(&s->line);
	} else {
		process_line(s, p, len);
	}
	return len + 1;
}

/* Feed client bytes; see smtp_server.h. */
size_t
smtp_server_feed(struct smtp_server *s, const void *data, size_t n)
{
	const char *p = data ? data : "";
	size_t used = 0;

	while (s->want == SMTP_SERVER_READ) {
		/* A BDAT 0 chunk ends without input. */
		if (s->state == SMTP_SRV_BDAT && s->bdat_left == 0) {
			used += feed_bdat(s, p + used, 0);
			continue;
		}
		if (used == n)
			break;
		if (s->state == SMTP_SRV_DATA)
			used += feed_data(s, p + used, n - used);
		else if (s->state == SMTP_SRV_BDAT)
			used += feed_bdat(s, p + used, n - used);
		else
			used += feed_cmd(s, p + used, n - used);
	}
	return used;
}
