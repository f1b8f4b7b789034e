/*
 * smtp_client.c — see smtp_client.h.
 *
 * Two cursors.  The writer (pump()) puts commands into the output buffer
 * and, for each one, appends an expectation to a FIFO; the reader
 * (on_reply()) takes one expectation off the FIFO for each reply.  With
 * PIPELINING the writer runs ahead until it reaches a command that must end
 * a group (DATA: the body waits for 354); without it, it writes one command
 * and waits.  The session phase (greeting, EHLO, STARTTLS, AUTH, QUIT) is
 * strictly one command at a time and uses the state alone.
 */
#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/log.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "proto/smtp_client.h"
#include "proto/wire_value.h"

#define OUT_HIGH      (256 * 1024) /* stop filling body data above this */
#define CHUNK_DEFAULT (1024 * 1024)

/*
 * Session states, X(name, trace name).  The state changes only in
 * smtp_client_enter(), which traces "smtp: EHLO -> READY" at LOG_DEBUG;
 * nothing else assigns c->state (test_smtp_client greps the cores).  The
 * transaction phase is S_READY: MAIL, RCPT, DATA and BDAT are the writer's
 * and the reader's cursors, and show in the wire trace (LOG_TRACE).
 */
#define SMTP_CLIENT_STATES(X)                                                  \
	X(S_INIT, "INIT")                                                      \
	X(S_GREETING, "GREETING")                                              \
	X(S_EHLO, "EHLO")                                                      \
	X(S_HELO, "HELO")                                                      \
	X(S_STARTTLS, "STARTTLS")                                              \
	X(S_TLS, "TLS")                                                        \
	X(S_AUTH, "AUTH")                                                      \
	X(S_READY, "READY")                                                    \
	X(S_QUIT, "QUIT")                                                      \
	X(S_CLOSED, "CLOSED")

enum state {
#define SMTP_ST_ENUM(e, name) e,
	SMTP_CLIENT_STATES(SMTP_ST_ENUM)
#undef SMTP_ST_ENUM
};

static const char *const strstate[] = {
#define SMTP_ST_NAME(e, name) [e] = name,
    SMTP_CLIENT_STATES(SMTP_ST_NAME)
#undef SMTP_ST_NAME
};

/* What a reply in the transaction phase answers. */
enum expect_kind {
	X_MAIL,
	X_RCPT,
	X_DATA,
	X_CHUNK, /* a BDAT that is not the last */
	X_FINAL, /* end of data, or BDAT LAST */
	X_RSET,
};

static const char *const strexpect[] = {
    [X_MAIL] = "MAIL FROM", [X_RCPT] = "RCPT TO",          [X_DATA] = "DATA",
    [X_CHUNK] = "BDAT",     [X_FINAL] = "the end of data", [X_RSET] = "RSET",
};

struct expect {
	enum expect_kind kind;
	struct smtp_txn *txn;
	size_t idx; /* X_RCPT: the recipient */
};

/* Where the writer is in the transaction it is writing. */
enum wstage {
	W_MAIL,
	W_RCPT,
	W_DATA,
};

struct smtp_client {
	struct smtp_client_config cfg;
	char *helo_name;
	char *auth_user;
	enum state state;
	char log_name[80]; /* cfg.log_name, or "" */
	bool tls_active;
	bool pipelining; /* offered and allowed */
	bool chunking;   /* offered and allowed */
	bool quit_wanted;
	unsigned ext;
	uint64_t size_limit;
	char auth_mechs[256];
	char greeting[256];
	char ehlo_text[256];

	struct smtp_reply_parser parser;
	struct buf out;

	struct sasl_client sasl;

	/* Transactions submitted and not started, in order. */
	struct smtp_txn *pending_head, **pending_tail;
	size_t npending; /* submitted and not done */

	/* The writer. */
	struct smtp_txn *wtxn; /* being written (commands) */
	enum wstage wstage;
	size_t wrcpt;
	struct smtp_txn *await354;         /* DATA sent, 354 not yet seen */
	struct smtp_txn *body_txn;         /* 354 seen, data being written */
	bool body_abandon;                 /* 354 with no recipient: send "." */
	struct smtp_txn *await_final_bdat; /* BDAT LAST sent: hold the next */
	bool out_held; /* the next transaction waits for the output to drain */
	bool need_rset;

	/* The reader's FIFO of expectations. */
	struct expect *xq;
	size_t xq_head, xq_len, xq_cap;

	/* Events for the driver. */
	struct smtp_event *evq;
	size_t ev_head, ev_len, ev_cap;

	uint64_t wait_since;
	char last_error[512];
	struct smtp_result last_reply;
	bool have_last_reply;
	bool closing; /* the server said 421: it acts on nothing after it */
};

static void pump(struct smtp_client *c, uint64_t now);
static void session_fail(struct smtp_client *c, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- small helpers ---------------------------------------------------- */

static uint32_t
tmo(uint32_t v, uint32_t dflt)
{
	return v ? v : dflt;
}

/*
 * Double a full ring of len elements of size sz (first: the size of a new
 * one), keeping their order; the head moves to 0.  Returns the new ring.
 */
static void *
ring_grow(void *ring, size_t sz, size_t *head, size_t len, size_t *cap,
          size_t first)
{
	size_t ncap = *cap ? *cap * 2 : first;
	unsigned char *n = xreallocarray(NULL, ncap, sz);
	const unsigned char *o = ring;
	size_t tail = *cap - *head; /* elements from head to the end */

	if (len > 0) {
		size_t a = len < tail ? len : tail;
		memcpy(n, o + *head * sz, a * sz);
		memcpy(n + a * sz, o, (len - a) * sz);
	}
	free(ring);
	*cap = ncap;
	*head = 0;
	return n;
}

static void
push_event(struct smtp_client *c, enum smtp_event_type type,
           struct smtp_txn *txn, int err)
{
	if (c->ev_len == c->ev_cap)
		c->evq = ring_grow(c->evq, sizeof(*c->evq), &c->ev_head,
		                   c->ev_len, &c->ev_cap, 16);
	struct smtp_event *ev = &c->evq[(c->ev_head + c->ev_len++) % c->ev_cap];
	ev->type = type;
	ev->txn = txn;
	ev->err = err;
}

static void
xq_push(struct smtp_client *c, enum expect_kind kind, struct smtp_txn *txn,
        size_t idx)
{
	if (c->xq_len == c->xq_cap)
		c->xq = ring_grow(c->xq, sizeof(*c->xq), &c->xq_head, c->xq_len,
		                  &c->xq_cap, 64);
	struct expect *x = &c->xq[(c->xq_head + c->xq_len++) % c->xq_cap];
	x->kind = kind;
	x->txn = txn;
	x->idx = idx;
}

static struct expect
xq_pop(struct smtp_client *c)
{
	struct expect x = c->xq[c->xq_head];

	assert(c->xq_len > 0);
	c->xq_head = (c->xq_head + 1) % c->xq_cap;
	c->xq_len--;
	return x;
}

/* The one place the session state changes; traced at LOG_DEBUG. */
static void
smtp_client_enter(struct smtp_client *c, enum state st)
{
	if (c->state != st)
		log_debug("smtp%s%s: %s -> %s", c->log_name[0] ? " " : "",
		          c->log_name, strstate[c->state], strstate[st]);
	c->state = st;
}

static void
trace(struct smtp_client *c, char dir, const char *line, size_t len)
{
	if (c->cfg.trace)
		c->cfg.trace(c->cfg.trace_arg, dir, line, len);
}

/* Write one command line; shown is what the transcript says (redaction). */
static void cmd_shown(struct smtp_client *c, const char *shown, const char *fmt,
                      ...) __attribute__((format(printf, 3, 4)));

static void
cmd_shown(struct smtp_client *c, const char *shown, const char *fmt, ...)
{
	size_t start = buf_len(&c->out);
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&c->out, fmt, ap);
	va_end(ap);
	/* Every value was checked (wire_value.h): one command, one line. */
	assert(wire_value_flaw((const char *)buf_data(&c->out) + start,
	                       buf_len(&c->out) - start, false) == NULL);
	if (c->cfg.trace) {
		if (shown)
			trace(c, 'C', shown, strlen(shown));
		else
			trace(c, 'C', (const char *)buf_data(&c->out) + start,
			      buf_len(&c->out) - start);
	}
	buf_append(&c->out, "\r\n", 2);
}

#define cmd(c, ...) cmd_shown((c), NULL, __VA_ARGS__)

static void
result_set(struct smtp_result *r, int code, int err, const char *enh,
           const char *text)
{
	r->code = code;
	r->err = err;
	mc_strlcpy(r->enh, enh ? enh : "", sizeof(r->enh));
	mc_strlcpy(r->text, text ? text : "", sizeof(r->text));
}

static int
err_of_code(int code)
{
	if (code >= 200 && code < 400)
		return 0;
	return code >= 500 ? MC_EPERMFAIL : MC_ETEMPFAIL;
}

static void
result_from_reply(struct smtp_result *r, const struct smtp_reply *rep)
{
	const char *text = rep->text;
	size_t skip = 0;

	/* Keep the enhanced code out of the text: it has its own field. */
	if (rep->enh[0] != '\0') {
		skip = strlen(rep->enh);
		if (text[skip] == ' ')
			skip++;
	}
	result_set(r, rep->code, err_of_code(rep->code), rep->enh, text + skip);
}

/* Is s safe inside a command: no CR, LF, NUL, space, <, > (no injection)? */
static bool
addr_ok(const char *s)
{
	for (; *s; s++)
		if (*s == '\r' || *s == '\n' || *s == ' ' || *s == '<' ||
		    *s == '>' || *s == '\t')
			return false;
	return true;
}

/* RFC 3461 xtext of s into b. */
static void
xtext(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch < 33 || ch > 126 || ch == '+' || ch == '=')
			buf_printf(b, "+%02X", ch);
		else
			buf_putc(b, ch);
	}
}

/* "queued as X" (Postfix, sendmail), "id=X" (Exim), "<X> Queued" ... */
static void
find_queue_id(const char *text, char *out, size_t outsz)
{
	static const char *const marks[] = {"queued as ", "id=", "queued as:"};
	const char *p = NULL;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]) && !p; i++) {
		const char *q = strcasestr(text, marks[i]);
		if (q)
			p = q + strlen(marks[i]);
	}
	if (p == NULL)
		return;
	size_t n = 0;
	while (p[n] && n + 1 < outsz &&
	       (isalnum((unsigned char)p[n]) || strchr("._-@<>", p[n])))
		n++;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* ---- body encoding ------------------------------------------------------ */

/* Any octet >= 0x80 in b[0..n): eight octets a step (gcc -O2 does not
 * vectorise the octet loop; it was 12 % of a 50 KiB run's CPU). */
static bool
any_8bit(const unsigned char *b, size_t n)
{
	uint64_t w0 = 0, w1 = 0, w2 = 0, w3 = 0, w;
	size_t i = 0;
	unsigned char any = 0;

	for (; i + 32 <= n; i += 32) {
		memcpy(&w, b + i, 8);
		w0 |= w;
		memcpy(&w, b + i + 8, 8);
		w1 |= w;
		memcpy(&w, b + i + 16, 8);
		w2 |= w;
		memcpy(&w, b + i + 24, 8);
		w3 |= w;
	}
	for (; i < n; i++)
		any |= b[i];
	return ((w0 | w1 | w2 | w3) & 0x8080808080808080ULL) != 0 ||
	       (any & 0x80) != 0;
}

/*
 * Size of the body on the wire without dot-stuffing (what BDAT and SIZE
 * count): every line ends in CRLF; a lone LF becomes CRLF.  Also says
 * whether the body has 8-bit bytes, and whether it can go out verbatim:
 * every line already ends in CRLF and none starts with a dot (then DATA
 * needs no stuffing and BDAT no normalising).
 */
static size_t
wire_size(const unsigned char *b, size_t n, bool *eightbit, bool *verbatim)
{
	size_t off = 0, total = 0;

	*verbatim = true;
	*eightbit = any_8bit(b, n);
	while (off < n) {
		const unsigned char *nl = memchr(b + off, '\n', n - off);
		size_t end = nl ? (size_t)(nl - b) : n;
		size_t len = end - off;
		if (len > 0 && b[end - 1] == '\r')
			len--;
		else
			*verbatim = false; /* a bare LF, or no final line end */
		if (nl == NULL)
			*verbatim = false;
		if (len > 0 && b[off] == '.')
			*verbatim = false;
		total += len + 2;
		off = nl ? end + 1 : n;
	}
	return total;
}

/* Measure a body for smtp_txn.wire (smtp_client.h). */
void
smtp_wire_measure(const unsigned char *b, size_t n, struct smtp_wire *w)
{
	w->len = wire_size(b, n, &w->eightbit, &w->verbatim);
}

/*
 * Append whole lines of the body from *off, CRLF-normalised, dot-stuffed
 * when stuff is set, until out holds at least limit bytes or max wire bytes
 * have been written (max 0: no cap).  Returns the wire bytes written.
 */
static size_t
encode_lines(struct buf *out, const unsigned char *b, size_t n, size_t *off,
             bool stuff, size_t limit, size_t max)
{
	size_t written = 0;

	while (*off < n && buf_len(out) < limit) {
		const unsigned char *nl = memchr(b + *off, '\n', n - *off);
		size_t end = nl ? (size_t)(nl - b) : n;
		size_t len = end - *off;
		if (len > 0 && b[end - 1] == '\r')
			len--;
		if (max && written + len + 2 > max && written > 0)
			break;
		if (stuff && len > 0 && b[*off] == '.')
			buf_putc(out, '.');
		unsigned char *p = buf_reserve(out, len + 2);
		memcpy(p, b + *off, len);
		p[len] = '\r';
		p[len + 1] = '\n';
		buf_commit(out, len + 2);
		written += len + 2;
		*off = nl ? end + 1 : n;
	}
	return written;
}

/* ---- transaction outcomes ---------------------------------------------- */

static void
txn_done(struct smtp_client *c, struct smtp_txn *t)
{
	t->ndelivered = 0;
	for (size_t i = 0; i < t->nrcpts; i++)
		if (t->rcpts[i].state == SMTP_RCPT_DELIVERED)
			t->ndelivered++;
	t->status = t->ndelivered > 0
	                ? 0
	                : (t->result.err ? t->result.err : MC_EPERMFAIL);
	if (t->status != 0 && t->result.code == 0 && t->result.text[0] == '\0')
		result_set(&t->result, 0, t->status, "",
		           "no recipient was accepted");
	assert(c->npending > 0);
	c->npending--;
	push_event(c, SMTP_EV_TXN_DONE, t, t->status);
}

/* Fail every recipient of t not yet decided, with r. */
static void
fail_undecided(struct smtp_txn *t, const struct smtp_result *r)
{
	for (size_t i = 0; i < t->nrcpts; i++) {
		struct smtp_rcpt *rc = &t->rcpts[i];
		if (rc->state == SMTP_RCPT_PENDING ||
		    rc->state == SMTP_RCPT_ACCEPTED) {
			rc->state = SMTP_RCPT_FAILED;
			rc->result = *r;
		}
	}
}

/* A transaction fails before it started: nothing was sent for it. */
static void
txn_fail_local(struct smtp_client *c, struct smtp_txn *t, int err,
               const char *why)
{
	result_set(&t->result, 0, err, "", why);
	fail_undecided(t, &t->result);
	txn_done(c, t);
}

/* ---- the writer ---------------------------------------------------------- */

static void
write_mail(struct smtp_client *c, struct smtp_txn *t)
{
	struct buf params;

	buf_init(&params);
	if (c->ext & SMTP_EXT_SIZE)
		buf_printf(&params, " SIZE=%zu", t->wire_len);
	if (t->eightbit && (c->ext & SMTP_EXT_8BITMIME))
		buf_puts(&params, " BODY=8BITMIME");
	if (t->smtputf8 && (c->ext & SMTP_EXT_SMTPUTF8))
		buf_puts(&params, " SMTPUTF8");
	if (c->ext & SMTP_EXT_DSN) {
		if (t->ret)
			buf_printf(&params, " RET=%s", t->ret);
		if (t->envid) {
			buf_puts(&params, " ENVID=");
			xtext(&params, t->envid);
		}
	}
	cmd(c, "MAIL FROM:<%s>%s", t->mail_from, buf_cstr(&params));
	buf_fini(&params);
	xq_push(c, X_MAIL, t, 0);
}

static void
write_rcpt(struct smtp_client *c, struct smtp_txn *t, size_t i)
{
	const struct smtp_rcpt *r = &t->rcpts[i];
	struct buf params;

	buf_init(&params);
	if (c->ext & SMTP_EXT_DSN) {
		if (r->notify)
			buf_printf(&params, " NOTIFY=%s", r->notify);
		if (r->orcpt) {
			buf_puts(&params, " ORCPT=rfc822;");
			xtext(&params, r->orcpt);
		}
	}
	cmd(c, "RCPT TO:<%s>%s", r->addr, buf_cstr(&params));
	buf_fini(&params);
	xq_push(c, X_RCPT, t, i);
}

/* "BDAT n [LAST]" into the output and the transcript. */
static void
bdat_header(struct smtp_client *c, size_t n, bool last)
{
	if (c->cfg.trace) {
		char line[64];
		int l = snprintf(line, sizeof(line), "BDAT %zu%s", n,
		                 last ? " LAST" : "");
		trace(c, 'C', line, (size_t)l);
	}
	buf_printf(&c->out, "BDAT %zu%s\r\n", n, last ? " LAST" : "");
}

/*
 * BDAT LAST of t is written.  With pipelining an RSET follows at once, so
 * the next transaction goes out without waiting for the reply: RFC 2920
 * lets RSET stand anywhere in a group, and after a failed BDAT a server
 * may keep the transaction (RFC 3030 does not say it ends), which the
 * RSET clears; after a good one it is a no-op.  Otherwise (DATA ends the
 * transaction whatever the reply, and a next MAIL after a failed BDAT
 * could draw a 503 and fail a good recipient) the next waits.  This is
 * what lets a connection carry up to its pipeline depth of messages per
 * round trip, where DATA's 354 costs one round trip each.
 */
static void
bdat_last_sent(struct smtp_client *c, struct smtp_txn *t)
{
	xq_push(c, X_FINAL, t, 0);
	c->wtxn = NULL;
	if (c->pipelining) {
		cmd(c, "RSET");
		xq_push(c, X_RSET, NULL, 0);
		t->rset_sent = true;
	} else {
		c->await_final_bdat = t;
	}
}

/* Write BDAT chunks of t; with pipelining all of them, else one. */
static void
write_bdat(struct smtp_client *c, struct smtp_txn *t)
{
	size_t chunk = c->cfg.chunk_size ? c->cfg.chunk_size : CHUNK_DEFAULT;

	do {
		size_t off = t->body_off;
		struct buf tmp;
		size_t n;

		if (t->verbatim) {
			/* Chunks need not end at a line: cut anywhere. */
			n = t->body_len - off < chunk ? t->body_len - off
			                              : chunk;
			bool last = off + n >= t->body_len;
			bdat_header(c, n, last);
			buf_append(&c->out, t->body + off, n);
			t->body_off = off + n;
			if (last) {
				bdat_last_sent(c, t);
				return;
			}
			xq_push(c, X_CHUNK, t, 0);
			continue;
		}

		/* Measure the next run of whole lines that fits the chunk. */
		buf_init(&tmp);
		n = encode_lines(&tmp, t->body, t->body_len, &off, false,
		                 (size_t)-1, chunk);
		bool last = off >= t->body_len;
		bdat_header(c, n, last);
		buf_append(&c->out, buf_data(&tmp), buf_len(&tmp));
		buf_fini(&tmp);
		t->body_off = off;
		if (last) {
			bdat_last_sent(c, t);
			return;
		}
		xq_push(c, X_CHUNK, t, 0);
	} while (c->pipelining);
}

/* Prepare a submitted transaction; false when it failed locally. */
static bool
txn_check(struct smtp_client *c, struct smtp_txn *t)
{
	char why[256];

	const char *flaw =
	    wire_value_flaw(t->mail_from, strlen(t->mail_from), true);
	if (flaw) {
		snprintf(why, sizeof(why), "sender address contains %s", flaw);
		txn_fail_local(c, t, MC_EINVAL, why);
		return false;
	}
	if (t->ret && (flaw = wire_value_flaw(t->ret, strlen(t->ret), true))) {
		snprintf(why, sizeof(why), "DSN RET value contains %s", flaw);
		txn_fail_local(c, t, MC_EINVAL, why);
		return false;
	}
	for (size_t i = 0; i < t->nrcpts; i++) {
		const char *notify = t->rcpts[i].notify;
		flaw = wire_value_flaw(t->rcpts[i].addr,
		                       strlen(t->rcpts[i].addr), true);
		if (flaw) {
			snprintf(why, sizeof(why),
			         "recipient address #%zu contains %s", i + 1,
			         flaw);
			txn_fail_local(c, t, MC_EINVAL, why);
			return false;
		}
		if (notify &&
		    (flaw = wire_value_flaw(notify, strlen(notify), true))) {
			snprintf(
			    why, sizeof(why),
			    "DSN NOTIFY value of recipient #%zu contains %s",
			    i + 1, flaw);
			txn_fail_local(c, t, MC_EINVAL, why);
			return false;
		}
	}
	if (!addr_ok(t->mail_from)) {
		txn_fail_local(
		    c, t, MC_EDATA,
		    "invalid sender address (space, CR, LF or <> in it)");
		return false;
	}
	for (size_t i = 0; i < t->nrcpts; i++) {
		if (!addr_ok(t->rcpts[i].addr) || t->rcpts[i].addr[0] == '\0') {
			snprintf(why, sizeof(why),
			         "invalid recipient address #%zu", i + 1);
			txn_fail_local(c, t, MC_EDATA, why);
			return false;
		}
	}
	if (t->wire != NULL) {
		t->wire_len = t->wire->len;
		t->eightbit = t->wire->eightbit;
		t->verbatim = t->wire->verbatim;
	} else {
		t->wire_len =
		    wire_size(t->body, t->body_len, &t->eightbit, &t->verbatim);
	}
	if (c->size_limit && t->wire_len > c->size_limit) {
		snprintf(
		    why, sizeof(why),
		    "message of %zu bytes exceeds the server's SIZE limit of "
		    "%llu bytes",
		    t->wire_len, (unsigned long long)c->size_limit);
		txn_fail_local(c, t, MC_ETOOBIG, why);
		return false;
	}
	if (t->smtputf8 && !(c->ext & SMTP_EXT_SMTPUTF8)) {
		txn_fail_local(c, t, MC_EUNSUPP,
		               "an address needs SMTPUTF8, which the server "
		               "does not offer");
		return false;
	}
	t->body_off = 0;
	return true;
}

/* Fill the output with body data of the transaction after its 354. */
static void
write_body(struct smtp_client *c)
{
	struct smtp_txn *t = c->body_txn;

	if (!c->body_abandon && t->verbatim) {
		/* Already in its on-the-wire form: one copy, in pieces. */
		size_t room = buf_len(&c->out) < OUT_HIGH
		                  ? OUT_HIGH - buf_len(&c->out)
		                  : 0;
		size_t n = t->body_len - t->body_off;
		if (n > room)
			n = room;
		buf_append(&c->out, t->body + t->body_off, n);
		t->body_off += n;
	} else if (!c->body_abandon) {
		encode_lines(&c->out, t->body, t->body_len, &t->body_off, true,
		             OUT_HIGH, 0);
	}
	if (!c->body_abandon && t->body_off < t->body_len)
		return; /* more when the output drains */
	buf_append(&c->out, ".\r\n", 3);
	if (c->cfg.trace) {
		char line[80];
		int l = snprintf(line, sizeof(line), "<message, %zu bytes>",
		                 c->body_abandon ? 0 : t->wire_len);
		trace(c, 'C', line, (size_t)l);
		trace(c, 'C', ".", 1);
	}
	xq_push(c, X_FINAL, t, 0);
	c->body_txn = NULL;
	c->body_abandon = false;
}

static void
pump(struct smtp_client *c, uint64_t now)
{
	while (c->state == S_READY) {
		if (c->body_txn) {
			write_body(c);
			if (c->body_txn)
				return;
			continue;
		}
		if (c->await354 || c->await_final_bdat)
			return;
		if (!c->pipelining && c->xq_len > 0)
			return;
		if (c->need_rset) {
			cmd(c, "RSET");
			xq_push(c, X_RSET, NULL, 0);
			c->need_rset = false;
			continue;
		}
		if (c->wtxn == NULL) {
			struct smtp_txn *t = c->pending_head;
			/* BDAT puts a whole body in the output: with several
			 * transactions pipelined, start the next only once
			 * the output has drained below OUT_HIGH */
			c->out_held =
			    t && c->chunking && buf_len(&c->out) >= OUT_HIGH;
			if (c->out_held)
				return;
			if (t == NULL) {
				if (c->quit_wanted && c->xq_len == 0 &&
				    c->npending == 0) {
					cmd(c, "QUIT");
					smtp_client_enter(c, S_QUIT);
					c->wait_since = now;
				}
				return;
			}
			c->pending_head = t->next;
			if (c->pending_head == NULL)
				c->pending_tail = &c->pending_head;
			t->attempted = true;
			if (!txn_check(c, t))
				continue;
			if (c->xq_len == 0)
				c->wait_since = now;
			write_mail(c, t);
			c->wtxn = t;
			c->wstage = t->nrcpts ? W_RCPT : W_DATA;
			c->wrcpt = 0;
			continue;
		}
		struct smtp_txn *t = c->wtxn;
		if (c->wstage == W_RCPT) {
			write_rcpt(c, t, c->wrcpt++);
			if (c->wrcpt == t->nrcpts)
				c->wstage = W_DATA;
			continue;
		}
		/* W_DATA */
		if (!c->pipelining && (t->failed_early || t->naccepted == 0)) {
			/* Nothing to send data for: end the transaction. */
			c->wtxn = NULL;
			if (!t->failed_early)
				c->need_rset = true;
			fail_undecided(t, &t->result);
			txn_done(c, t);
			continue;
		}
		if (c->chunking) {
			write_bdat(c, t);
			continue;
		}
		cmd(c, "DATA");
		xq_push(c, X_DATA, t, 0);
		c->await354 = t;
		c->wtxn = NULL;
		return;
	}
}

/* ---- the reader: transaction phase ----------------------------------------
 */

static void
on_txn_reply(struct smtp_client *c, const struct smtp_reply *rep, uint64_t now)
{
	struct expect x = xq_pop(c);
	struct smtp_txn *t = x.txn;
	bool ok = rep->code >= 200 && rep->code < 300;
	struct smtp_result r;

	result_from_reply(&r, rep);
	switch (x.kind) {
	case X_MAIL:
		if (!ok) {
			t->failed_early = true;
			t->result = r;
			fail_undecided(t, &r);
		}
		break;
	case X_RCPT: {
		struct smtp_rcpt *rc = &t->rcpts[x.idx];
		if (t->failed_early)
			break; /* keeps the MAIL FROM reply */
		if (ok) {
			rc->state = SMTP_RCPT_ACCEPTED;
			t->naccepted++;
		} else {
			rc->state = SMTP_RCPT_FAILED;
			rc->result = r;
			rc->refused_at_rcpt = true;
			/* The transaction's own result says why none went. */
			t->result = r;
		}
		break;
	}
	case X_DATA:
		c->await354 = NULL;
		if (rep->code == 354) {
			c->body_txn = t;
			c->body_abandon = t->failed_early || t->naccepted == 0;
			break;
		}
		if (t->naccepted > 0 || t->result.code == 0)
			t->result = r;
		fail_undecided(t, &r);
		if (!t->failed_early)
			c->need_rset = true;
		txn_done(c, t);
		break;
	case X_CHUNK:
		if (!ok && t->result.code == 0) {
			t->result = r;
			t->failed_early = true;
		}
		break;
	case X_FINAL:
		if (c->await_final_bdat == t)
			c->await_final_bdat = NULL;
		if (ok && !t->failed_early && t->naccepted > 0) {
			for (size_t i = 0; i < t->nrcpts; i++) {
				if (t->rcpts[i].state == SMTP_RCPT_ACCEPTED) {
					t->rcpts[i].state = SMTP_RCPT_DELIVERED;
					t->rcpts[i].result = r;
				}
			}
			t->result = r;
			find_queue_id(r.text, t->queue_id, sizeof(t->queue_id));
		} else {
			if (t->naccepted > 0 && !t->failed_early)
				t->result = r;
			fail_undecided(t, t->result.code ? &t->result : &r);
			/* After BDAT the server may hold state: reset it
			 * (unless an RSET is on its way already). */
			if (c->chunking && !t->rset_sent)
				c->need_rset = true;
		}
		txn_done(c, t);
		break;
	case X_RSET:
		break;
	}
	c->wait_since = now;
}

/* ---- the reader: session phase
 * ------------------------------------------------ */

static void
set_ready(struct smtp_client *c, uint64_t now)
{
	smtp_client_enter(c, S_READY);
	c->pipelining = (c->ext & SMTP_EXT_PIPELINING) && !c->cfg.no_pipelining;
	c->chunking = (c->ext & SMTP_EXT_CHUNKING) && !c->cfg.no_chunking;
	c->wait_since = now;
	push_event(c, SMTP_EV_READY, NULL, 0);
}

static void
parse_ehlo(struct smtp_client *c, const struct smtp_reply *rep)
{
	const char *p = rep->text;

	c->ext = 0;
	c->size_limit = 0;
	c->auth_mechs[0] = '\0';
	/* The first line is the server's greeting of us; then keywords. */
	const char *nl = strchr(p, '\n');
	size_t first = nl ? (size_t)(nl - p) : strlen(p);
	mc_strlcpy(c->ehlo_text, p,
	           first + 1 < sizeof(c->ehlo_text) ? first + 1
	                                            : sizeof(c->ehlo_text));
	while (nl) {
		const char *line = nl + 1;
		nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		size_t kw = 0;
		while (kw < len && line[kw] != ' ' && line[kw] != '=')
			kw++;
		const char *arg = line + kw + (kw < len ? 1 : 0);
		size_t alen = kw < len ? len - kw - 1 : 0;
		if (mc_ieq(line, kw, "SIZE")) {
			unsigned long long v;
			c->ext |= SMTP_EXT_SIZE;
			if (mc_parse_uint(arg, alen, ~0ULL, &v))
				c->size_limit = v;
		} else if (mc_ieq(line, kw, "PIPELINING")) {
			c->ext |= SMTP_EXT_PIPELINING;
		} else if (mc_ieq(line, kw, "8BITMIME")) {
			c->ext |= SMTP_EXT_8BITMIME;
		} else if (mc_ieq(line, kw, "SMTPUTF8")) {
			c->ext |= SMTP_EXT_SMTPUTF8;
		} else if (mc_ieq(line, kw, "DSN")) {
			c->ext |= SMTP_EXT_DSN;
		} else if (mc_ieq(line, kw, "CHUNKING")) {
			c->ext |= SMTP_EXT_CHUNKING;
		} else if (mc_ieq(line, kw, "STARTTLS")) {
			c->ext |= SMTP_EXT_STARTTLS;
		} else if (mc_ieq(line, kw, "ENHANCEDSTATUSCODES")) {
			c->ext |= SMTP_EXT_ENHANCEDSTATUSCODES;
		} else if (mc_ieq(line, kw, "AUTH")) {
			c->ext |= SMTP_EXT_AUTH;
			size_t have = strlen(c->auth_mechs);
			if (have + alen + 2 < sizeof(c->auth_mechs)) {
				if (have)
					c->auth_mechs[have++] = ' ';
				memcpy(c->auth_mechs + have, arg, alen);
				c->auth_mechs[have + alen] = '\0';
			}
		}
	}
}

static void
start_auth(struct smtp_client *c, uint64_t now)
{
	enum sasl_mech m = sasl_choose(
	    c->auth_mechs, strlen(c->auth_mechs),
	    c->tls_active || c->cfg.auth_allow_cleartext, c->cfg.auth_mech);
	struct buf ir;

	if (!(c->ext & SMTP_EXT_AUTH)) {
		session_fail(
		    c, MC_EAUTH, "the server offers no AUTH%s",
		    (!c->tls_active && (c->ext & SMTP_EXT_STARTTLS))
		        ? " before STARTTLS (it may offer it after: use "
		          "--tls starttls)"
		        : "");
		return;
	}
	if (m == SASL_NONE) {
		if (!c->tls_active && !c->cfg.auth_allow_cleartext &&
		    sasl_choose(c->auth_mechs, strlen(c->auth_mechs), true,
		                c->cfg.auth_mech) != SASL_NONE)
			session_fail(
			    c, MC_EAUTH,
			    "refusing to send the password in clear: the "
			    "server offers only AUTH %s without TLS (use "
			    "--tls require or implicit, or allow it with "
			    "--allow-cleartext-auth)",
			    c->auth_mechs);
		else
			session_fail(c, MC_EAUTH,
			             "no usable AUTH mechanism: the server "
			             "offers \"%s\"",
			             c->auth_mechs);
		return;
	}
	sasl_client_init(&c->sasl, m, c->auth_user, c->cfg.auth_secret);
	buf_init(&ir);
	char shown[64];
	snprintf(shown, sizeof(shown), "AUTH %s%s", sasl_mech_name(m),
	         sasl_client_initial(&c->sasl, &ir) ? " <redacted>" : "");
	if (buf_len(&ir))
		cmd_shown(c, shown, "AUTH %s %s", sasl_mech_name(m),
		          buf_cstr(&ir));
	else
		cmd_shown(c, shown, "AUTH %s", sasl_mech_name(m));
	if (ir.mem)
		explicit_bzero(ir.mem, ir.cap);
	buf_fini(&ir);
	smtp_client_enter(c, S_AUTH);
	c->wait_since = now;
}

/* After EHLO/HELO: STARTTLS, AUTH or ready. */
static void
after_hello(struct smtp_client *c, uint64_t now)
{
	if (!c->tls_active && (c->cfg.tls == SMTP_TLS_REQUIRE ||
	                       c->cfg.tls == SMTP_TLS_OPPORTUNISTIC)) {
		if (c->ext & SMTP_EXT_STARTTLS) {
			cmd(c, "STARTTLS");
			smtp_client_enter(c, S_STARTTLS);
			c->wait_since = now;
			return;
		}
		if (c->cfg.tls == SMTP_TLS_REQUIRE) {
			session_fail(
			    c, MC_ETLS,
			    "the server does not offer STARTTLS (use --tls "
			    "none or opportunistic, or --tls implicit if the "
			    "port expects TLS from the first byte)");
			return;
		}
	}
	if (c->cfg.auth_user) {
		start_auth(c, now);
		return;
	}
	set_ready(c, now);
}

static void
send_ehlo(struct smtp_client *c, uint64_t now)
{
	cmd(c, "EHLO %s", c->helo_name);
	smtp_client_enter(c, S_EHLO);
	c->wait_since = now;
}

static void
remember_reply(struct smtp_client *c, const struct smtp_reply *rep)
{
	result_from_reply(&c->last_reply, rep);
	c->have_last_reply = true;
}

static void
on_session_reply(struct smtp_client *c, const struct smtp_reply *rep,
                 bool more_input, uint64_t now)
{
	int code = rep->code;

	switch (c->state) {
	case S_GREETING:
		mc_strlcpy(c->greeting, rep->text, sizeof(c->greeting));
		if (code != 220) {
			remember_reply(c, rep);
			session_fail(c,
			             err_of_code(code) ? err_of_code(code)
			                               : MC_EPROTO,
			             "the server refused the session: %d %s",
			             code, rep->text);
			return;
		}
		send_ehlo(c, now);
		break;
	case S_EHLO:
		if (code == 250) {
			parse_ehlo(c, rep);
			after_hello(c, now);
		} else if (code >= 500) {
			cmd(c, "HELO %s", c->helo_name);
			smtp_client_enter(c, S_HELO);
			c->wait_since = now;
		} else {
			remember_reply(c, rep);
			session_fail(c, MC_ETEMPFAIL, "EHLO refused: %d %s",
			             code, rep->text);
		}
		break;
	case S_HELO:
		if (code != 250) {
			remember_reply(c, rep);
			session_fail(c, err_of_code(code),
			             "HELO refused: %d %s", code, rep->text);
			return;
		}
		c->ext = 0;
		mc_strlcpy(c->ehlo_text, rep->text, sizeof(c->ehlo_text));
		after_hello(c, now);
		break;
	case S_STARTTLS:
		if (code == 220) {
			/* Bytes after the 220 were sent before the handshake
			 * and would be taken as if protected: an injection
			 * attack (CVE-2011-0411).  Refuse. */
			if (more_input) {
				session_fail(
				    c, MC_EPROTO,
				    "the server sent data after its STARTTLS "
				    "reply (command injection?)");
				return;
			}
			smtp_client_enter(c, S_TLS);
			c->wait_since = now;
			push_event(c, SMTP_EV_STARTTLS, NULL, 0);
		} else if (c->cfg.tls == SMTP_TLS_OPPORTUNISTIC) {
			if (c->cfg.auth_user)
				start_auth(c, now);
			else
				set_ready(c, now);
		} else {
			remember_reply(c, rep);
			session_fail(c, MC_ETLS, "STARTTLS refused: %d %s",
			             code, rep->text);
		}
		break;
	case S_AUTH:
		if (code == 235) {
			sasl_client_fini(&c->sasl);
			set_ready(c, now);
		} else if (code == 334) {
			struct buf resp;
			buf_init(&resp);
			if (sasl_client_step(&c->sasl, rep->text, rep->text_len,
			                     &resp) != 0) {
				cmd(c,
				    "*"); /* cancel: the server answers 501 */
			} else {
				cmd_shown(c, "<redacted>", "%s",
				          buf_cstr(&resp));
			}
			if (resp.mem)
				explicit_bzero(resp.mem, resp.cap);
			buf_fini(&resp);
			c->wait_since = now;
		} else {
			sasl_client_fini(&c->sasl);
			remember_reply(c, rep);
			session_fail(
			    c, code >= 500 ? MC_EAUTH : MC_ETEMPFAIL,
			    "authentication failed: %d %s%s%s", code,
			    rep->enh[0] ? rep->enh : "", rep->enh[0] ? " " : "",
			    rep->text +
			        (rep->enh[0] ? strlen(rep->enh) + 1 : 0));
		}
		break;
	case S_QUIT:
		smtp_client_enter(c, S_CLOSED);
		push_event(c, SMTP_EV_CLOSED, NULL, 0);
		break;
	default:
		session_fail(c, MC_EPROTO,
		             "unexpected reply in state %s: %d %s",
		             strstate[c->state], code, rep->text);
		break;
	}
}

/* ---- session failure
 * ---------------------------------------------------------- */

/* The session ended before the server acted on t: not counted. */
static void
not_attempted(struct smtp_client *c, struct smtp_txn *t)
{
	char text[sizeof(c->last_error) + 32];

	t->attempted = false;
	snprintf(text, sizeof(text), "not attempted: %s", c->last_error);
	result_set(&t->result, 0, MC_EAGAIN, "", text);
	fail_undecided(t, &t->result);
	txn_done(c, t);
}

static void
session_fail(struct smtp_client *c, int err, const char *fmt, ...)
{
	struct smtp_result r;
	va_list ap;

	if (c->state == S_CLOSED)
		return;
	va_start(ap, fmt);
	vsnprintf(c->last_error, sizeof(c->last_error), fmt, ap);
	va_end(ap);
	if (c->have_last_reply)
		r = c->last_reply;
	else
		result_set(&r, 0, err, "", c->last_error);
	r.err = err;
	mc_strlcpy(r.text, c->last_error, sizeof(r.text));

	/* Transactions with commands on the wire: decided as far as they
	 * got.  A recipient whose data went out without a final reply may
	 * have been delivered: say so.  After a 421 the server closes and
	 * acts on nothing that came after the command it answered (RFC 5321
	 * 3.8): a transaction whose MAIL FROM is behind that one was never
	 * attempted, whatever was sent for it. */
	bool head = true;
	while (c->xq_len > 0) {
		struct expect x = xq_pop(c);
		struct smtp_txn *t = x.txn;
		if (c->closing && !head && t != NULL && x.kind == X_MAIL)
			t->attempted = false;
		head = false;
		if (t == NULL || x.kind == X_RSET)
			continue;
		/* Only once per transaction: at its last expectation. */
		bool later = false;
		for (size_t i = 0; i < c->xq_len; i++)
			if (c->xq[(c->xq_head + i) % c->xq_cap].txn == t)
				later = true;
		if (later || t == c->body_txn || t == c->wtxn)
			continue;
		struct smtp_result tr = r;
		if (!t->attempted) {
			not_attempted(c, t);
			continue;
		}
		if (x.kind == X_FINAL) {
			char text[sizeof(c->last_error) + 64];
			t->unknown = true;
			snprintf(text, sizeof(text),
			         "%s (after the end of data: delivery unknown)",
			         c->last_error);
			mc_strlcpy(tr.text, text, sizeof(tr.text));
		}
		if (t->result.code == 0 || t->naccepted > 0)
			t->result = tr;
		fail_undecided(t, &tr);
		txn_done(c, t);
	}
	struct smtp_txn *inflight[2] = {c->body_txn, c->wtxn};
	for (size_t i = 0; i < 2; i++) {
		struct smtp_txn *t = inflight[i];
		if (t == NULL || (i == 1 && t == inflight[0]))
			continue;
		if (!t->attempted) {
			not_attempted(c, t);
			continue;
		}
		t->result = r;
		fail_undecided(t, &r);
		txn_done(c, t);
	}
	c->body_txn = c->wtxn = c->await354 = c->await_final_bdat = NULL;
	/* Transactions never started: not attempted, so not counted. */
	while (c->pending_head) {
		struct smtp_txn *t = c->pending_head;
		c->pending_head = t->next;
		not_attempted(c, t);
	}
	c->pending_tail = &c->pending_head;
	smtp_client_enter(c, S_CLOSED);
	push_event(c, SMTP_EV_CLOSED, NULL, err);
}

/* ---- public interface
 * ------------------------------------------------------------ */

struct smtp_client *
smtp_client_new(const struct smtp_client_config *cfg)
{
	struct smtp_client *c = xcalloc(1, sizeof(*c));

	c->cfg = *cfg;
	c->helo_name =
	    xstrdup(cfg->helo_name ? cfg->helo_name : "mailcast.invalid");
	c->cfg.helo_name = c->helo_name;
	mc_strlcpy(c->log_name, cfg->log_name ? cfg->log_name : "",
	           sizeof(c->log_name));
	c->cfg.log_name = NULL;
	if (cfg->auth_user) {
		c->auth_user = xstrdup(cfg->auth_user);
		c->cfg.auth_user = c->auth_user;
	}
	struct smtp_timeouts *t = &c->cfg.timeouts;
	t->greeting = tmo(t->greeting, 300000);
	t->command = tmo(t->command, 300000);
	t->mail = tmo(t->mail, 300000);
	t->rcpt = tmo(t->rcpt, 300000);
	t->data = tmo(t->data, 120000);
	t->block = tmo(t->block, 180000);
	t->dot = tmo(t->dot, 600000);
	smtp_reply_parser_init(&c->parser);
	buf_init(&c->out);
	c->pending_tail = &c->pending_head;
	smtp_client_enter(c, S_INIT);
	return c;
}

void
smtp_client_free(struct smtp_client *c)
{
	if (c == NULL)
		return;
	sasl_client_fini(&c->sasl);
	smtp_reply_parser_fini(&c->parser);
	buf_fini(&c->out);
	free(c->xq);
	free(c->evq);
	free(c->helo_name);
	free(c->auth_user);
	free(c);
}

void
smtp_client_start(struct smtp_client *c, bool tls_active, uint64_t now_ms)
{
	char why[128];

	assert(c->state == S_INIT);
	c->tls_active = tls_active;
	smtp_client_enter(c, S_GREETING);
	c->wait_since = now_ms;
	/* Values that go on a line: refused here, before a byte is sent. */
	if (wire_value_check("helo name", c->helo_name, true, why,
	                     sizeof(why)) != 0 ||
	    sasl_credentials_check(c->auth_user, c->cfg.auth_secret, why,
	                           sizeof(why)) != 0)
		session_fail(c, MC_EINVAL, "%s", why);
}

static void
trace_reply(struct smtp_client *c, const struct smtp_reply *rep)
{
	const char *p = rep->text;
	char line[SMTP_REPLY_LINE_MAX + 8];

	if (c->cfg.trace == NULL)
		return; /* formatting each reply cost ~1.5 % of a run's loop */
	for (size_t i = 0; i < rep->nlines; i++) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		int n = snprintf(line, sizeof(line), "%d%c%.*s", rep->code,
		                 i + 1 < rep->nlines ? '-' : ' ', (int)len, p);
		trace(c, 'S', line,
		      n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1);
		p = nl ? nl + 1 : p + len;
	}
}

int
smtp_client_feed(struct smtp_client *c, const void *data, size_t len,
                 uint64_t now_ms)
{
	const char *p = data;

	while (len > 0 && c->state != S_CLOSED) {
		const struct smtp_reply *rep;
		size_t used;
		int rc;

		if (c->state == S_TLS || c->state == S_INIT) {
			session_fail(
			    c, MC_EPROTO,
			    "the server sent data while none was expected");
			break;
		}
		rc = smtp_reply_parse(&c->parser, p, len, &used, &rep);
		p += used;
		len -= used;
		if (rc < 0) {
			session_fail(c, MC_EPROTO, "the server sent %s",
			             c->parser.last_error);
			break;
		}
		if (rc == 0)
			break;
		trace_reply(c, rep);
		c->wait_since = now_ms;
		if (rep->code == 421) {
			remember_reply(c, rep);
			c->closing = true;
			session_fail(
			    c, MC_ETEMPFAIL,
			    "the server is closing the connection: 421 %s",
			    rep->text);
			break;
		}
		if (c->state == S_READY && c->xq_len > 0) {
			on_txn_reply(c, rep, now_ms);
		} else if (c->state == S_READY) {
			session_fail(c, MC_EPROTO, "unexpected reply: %d %s",
			             rep->code, rep->text);
			break;
		} else {
			on_session_reply(c, rep, len > 0, now_ms);
		}
		pump(c, now_ms);
	}
	return c->state == S_CLOSED && c->last_error[0] ? MC_ECLOSED : 0;
}

void
smtp_client_eof(struct smtp_client *c, uint64_t now_ms)
{
	if (c->state == S_CLOSED)
		return;
	if (c->state == S_QUIT) {
		smtp_client_enter(c, S_CLOSED);
		push_event(c, SMTP_EV_CLOSED, NULL, 0);
		return;
	}
	session_fail(
	    c, MC_ECLOSED,
	    c->state == S_GREETING
	        ? "the server closed the connection before its greeting"
	        : "the server closed the connection");
}

void
smtp_client_abort(struct smtp_client *c, int err, const char *why,
                  uint64_t now_ms)
{
	session_fail(c, err, "%s", why);
}

const unsigned char *
smtp_client_output(struct smtp_client *c, size_t *len)
{
	if ((c->body_txn || c->out_held) && buf_len(&c->out) < OUT_HIGH / 2)
		pump(c, c->wait_since);
	*len = buf_len(&c->out);
	return buf_data(&c->out);
}

void
smtp_client_sent(struct smtp_client *c, size_t n, uint64_t now_ms)
{
	buf_consume(&c->out, n);
	if (n > 0 && c->body_txn)
		c->wait_since = now_ms; /* the data block timeout restarts */
}

void
smtp_client_tls_done(struct smtp_client *c, bool ok, const char *why,
                     uint64_t now_ms)
{
	if (c->state != S_TLS)
		return;
	if (!ok) {
		session_fail(c, MC_ETLS, "TLS handshake failed: %s",
		             why ? why : "unknown error");
		return;
	}
	c->tls_active = true;
	c->ext = 0;
	send_ehlo(c, now_ms);
}

void
smtp_client_submit(struct smtp_client *c, struct smtp_txn *t, uint64_t now_ms)
{
	t->next = NULL;
	t->status = 0;
	t->ndelivered = t->naccepted = 0;
	t->body_off = 0;
	t->failed_early = false;
	t->attempted = false;
	t->unknown = false;
	t->rset_sent = false;
	t->queue_id[0] = '\0';
	memset(&t->result, 0, sizeof(t->result));
	for (size_t i = 0; i < t->nrcpts; i++) {
		t->rcpts[i].state = SMTP_RCPT_PENDING;
		memset(&t->rcpts[i].result, 0, sizeof(t->rcpts[i].result));
	}
	c->npending++;
	if (c->state == S_CLOSED) {
		t->attempted = false;
		char text[sizeof(c->last_error) + 32];
		snprintf(text, sizeof(text), "not attempted: %s",
		         c->last_error[0] ? c->last_error : "session closed");
		result_set(&t->result, 0, MC_EAGAIN, "", text);
		fail_undecided(t, &t->result);
		txn_done(c, t);
		return;
	}
	*c->pending_tail = t;
	c->pending_tail = &t->next;
	pump(c, now_ms);
}

void
smtp_client_quit(struct smtp_client *c, uint64_t now_ms)
{
	c->quit_wanted = true;
	if (c->state == S_READY) {
		pump(c, now_ms);
	} else if (c->state != S_CLOSED && c->state != S_QUIT &&
	           c->state != S_TLS) {
		/* Not ready yet: give up on the session politely. */
		if (c->state != S_INIT && !smtp_reply_parser_busy(&c->parser) &&
		    c->state != S_GREETING) {
			cmd(c, "QUIT");
			smtp_client_enter(c, S_QUIT);
			c->wait_since = now_ms;
		}
	}
}

static uint32_t
current_timeout(const struct smtp_client *c, const char **what)
{
	const struct smtp_timeouts *t = &c->cfg.timeouts;

	switch (c->state) {
	case S_GREETING:
		*what = "the greeting";
		return t->greeting;
	case S_EHLO:
		*what = "the reply to EHLO";
		return t->command;
	case S_HELO:
		*what = "the reply to HELO";
		return t->command;
	case S_STARTTLS:
		*what = "the reply to STARTTLS";
		return t->command;
	case S_TLS:
		*what = "the TLS handshake";
		return t->command;
	case S_AUTH:
		*what = "the reply to AUTH";
		return t->command;
	case S_QUIT:
		*what = "the reply to QUIT";
		return t->command;
	case S_READY:
		break;
	default:
		return 0;
	}
	if (c->xq_len == 0) {
		if (c->body_txn) {
			*what = "the server to take more data";
			return t->block;
		}
		return 0;
	}
	const struct expect *x = &c->xq[c->xq_head];
	*what = strexpect[x->kind];
	switch (x->kind) {
	case X_MAIL:
		return t->mail;
	case X_RCPT:
		return t->rcpt;
	case X_DATA:
		return t->data;
	case X_CHUNK:
		return t->block;
	case X_FINAL:
		return t->dot;
	default:
		return t->command;
	}
}

uint64_t
smtp_client_deadline(const struct smtp_client *c)
{
	const char *what = NULL;
	uint32_t t = current_timeout(c, &what);

	return t ? c->wait_since + t : 0;
}

void
smtp_client_tick(struct smtp_client *c, uint64_t now_ms)
{
	const char *what = "a reply";
	uint32_t t = current_timeout(c, &what);

	if (t == 0 || now_ms < c->wait_since + t)
		return;
	if (c->state == S_GREETING)
		session_fail(c, MC_ETIMEDOUT,
		             "no greeting from the server within %u s",
		             t / 1000);
	else
		session_fail(c, MC_ETIMEDOUT,
		             "timed out after %u s waiting for %s%s", t / 1000,
		             c->state == S_READY && c->xq_len ? "the reply to "
		                                              : "",
		             what);
}

bool
smtp_client_next_event(struct smtp_client *c, struct smtp_event *ev)
{
	if (c->ev_len == 0)
		return false;
	*ev = c->evq[c->ev_head];
	c->ev_head = (c->ev_head + 1) % c->ev_cap;
	c->ev_len--;
	return true;
}

unsigned
smtp_client_extensions(const struct smtp_client *c)
{
	return c->ext;
}

uint64_t
smtp_client_size_limit(const struct smtp_client *c)
{
	return c->size_limit;
}

const char *
smtp_client_auth_mechs(const struct smtp_client *c)
{
	return c->auth_mechs;
}

const char *
smtp_client_greeting(const struct smtp_client *c)
{
	return c->greeting;
}

const char *
smtp_client_ehlo_text(const struct smtp_client *c)
{
	return c->ehlo_text;
}

size_t
smtp_client_pending(const struct smtp_client *c)
{
	return c->npending;
}

bool
smtp_client_is_ready(const struct smtp_client *c)
{
	return c->state == S_READY;
}

bool
smtp_client_tls_active(const struct smtp_client *c)
{
	return c->tls_active;
}

const char *
smtp_client_last_error(const struct smtp_client *c)
{
	return c->last_error;
}

const struct smtp_result *
smtp_client_last_reply(const struct smtp_client *c)
{
	return c->have_last_reply ? &c->last_reply : NULL;
}
