/*
 * imap_client.c — see imap_client.h.
 *
 * Three parts: the reader frames whole responses (lines with their
 * literals, bounded); a scanner walks one response (atoms, numbers,
 * strings, literals, lists, with a depth limit); the session is a state
 * per thing awaited, with one tagged command outstanding at a time.  MOVE
 * without the MOVE extension is a short sequence of steps (COPY, STORE
 * \Deleted, UID EXPUNGE or EXPUNGE) that reports one IMAP_EV_DONE.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/log.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "proto/imap_client.h"
#include "proto/wire_value.h"

#define CAPS_MAX 2048
#define EVQ_MAX  16

/* ---- the reader ------------------------------------------------------- */

void
imap_reader_init(struct imap_reader *r, size_t max_literal)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->resp);
	r->max_literal = max_literal;
}

void
imap_reader_fini(struct imap_reader *r)
{
	buf_fini(&r->resp);
}

/* Stop the reader for good. */
static int
reader_fail(struct imap_reader *r, int err, const char *what)
{
	r->failed = err;
	mc_strlcpy(r->last_error, what, sizeof(r->last_error));
	return err;
}

/* Does the line end in "{N}" or "{N+}"?  Then *n and the offset of '{'. */
static bool
line_literal(const char *line, size_t len, unsigned long long *n, size_t *brace)
{
	size_t i, j;

	if (len < 3 || line[len - 1] != '}')
		return false;
	j = len - 1;
	if (j > 0 && line[j - 1] == '+')
		j--;
	i = j;
	while (i > 0 && line[i - 1] >= '0' && line[i - 1] <= '9')
		i--;
	if (i == j || i == 0 || line[i - 1] != '{' || j - i > 19)
		return false;
	if (!mc_parse_uint(line + i, j - i, ~0ULL, n))
		return false;
	*brace = i - 1;
	return true;
}

int
imap_reader_feed(struct imap_reader *r, const char *data, size_t len,
                 size_t *used, const char **out, size_t *outlen,
                 bool *truncated)
{
	size_t i = 0;

	*used = 0;
	if (r->failed)
		return r->failed;
	if (r->complete) {
		buf_reset(&r->resp);
		r->complete = false;
	}
	while (i < len) {
		if (r->literal_left > 0) {
			size_t n = len - i;
			if (n > r->literal_left)
				n = r->literal_left;
			if (!r->literal_drop)
				buf_append(&r->resp, data + i, n);
			r->literal_left -= n;
			i += n;
			if (r->literal_left == 0)
				r->line_start = buf_len(&r->resp);
			continue;
		}
		const char *nl = memchr(data + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (data + i)) + 1 : len - i;
		if (buf_len(&r->resp) - r->line_start + n > IMAP_LINE_MAX + 2) {
			*used = i;
			return reader_fail(r, MC_ELIMIT,
			                   "a response line over the limit");
		}
		buf_append(&r->resp, data + i, n);
		i += n;
		if (nl == NULL)
			break;
		/* A whole line: a literal follows, or the response ends. */
		const char *line = buf_cstr(&r->resp) + r->line_start;
		size_t ll = buf_len(&r->resp) - r->line_start - 1;
		if (ll > 0 && line[ll - 1] == '\r')
			ll--;
		unsigned long long lit;
		size_t brace;
		if (line_literal(line, ll, &lit, &brace)) {
			if (++r->nliterals > IMAP_LITERALS_MAX) {
				*used = i;
				return reader_fail(r, MC_ELIMIT,
				                   "too many literals in one "
				                   "response");
			}
			r->literal_drop = lit > r->max_literal;
			if (r->literal_drop) {
				/* Keep the response parseable: "{0}". */
				r->truncated = true;
				size_t keep = r->line_start + brace;
				r->resp.end = r->resp.off + keep;
				buf_puts(&r->resp, "{0}\r\n");
			} else {
				/* Normalise the line end to CRLF. */
				size_t keep = r->line_start + ll;
				r->resp.end = r->resp.off + keep;
				buf_puts(&r->resp, "\r\n");
			}
			r->literal_left = (size_t)lit;
			r->line_start = buf_len(&r->resp);
			continue;
		}
		/* The response is complete. */
		r->resp.end = r->resp.off + r->line_start + ll;
		r->resp.mem[r->resp.end] = '\0';
		*out = buf_cstr(&r->resp);
		*outlen = buf_len(&r->resp);
		*truncated = r->truncated;
		*used = i;
		/* Reset for the next response; the bytes stay until then. */
		r->line_start = 0;
		r->nliterals = 0;
		r->truncated = false;
		r->complete = true;
		return 1;
	}
	*used = i;
	return 0;
}

/* ---- the scanner ------------------------------------------------------ */

struct scan {
	const char *p;
	size_t len, i;
};

/* Skip spaces. */
static void
sc_sp(struct scan *s)
{
	while (s->i < s->len && s->p[s->i] == ' ')
		s->i++;
}

/* Is c a character of an atom (with '[' ']' handled by sc_atom)? */
static bool
atom_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != '{' &&
	       c != '"' && c != '[' && c != ']';
}

/* An atom, with bracketed sections inside ("BODY[]", "[UIDVALIDITY"). */
static bool
sc_atom(struct scan *s, const char **a, size_t *alen)
{
	size_t st = s->i;

	while (s->i < s->len) {
		unsigned char c = (unsigned char)s->p[s->i];
		if (c == '[') {
			const char *e = memchr(s->p + s->i, ']', s->len - s->i);
			if (e == NULL)
				return false;
			s->i = (size_t)(e - s->p) + 1;
			continue;
		}
		if (!atom_char(c))
			break;
		s->i++;
	}
	*a = s->p + st;
	*alen = s->i - st;
	return *alen > 0;
}

/* A number (up to 2^63). */
static bool
sc_number(struct scan *s, unsigned long long *v)
{
	size_t st = s->i;

	while (s->i < s->len && s->p[s->i] >= '0' && s->p[s->i] <= '9')
		s->i++;
	return s->i > st && mc_parse_uint(s->p + st, s->i - st, ~0ULL, v);
}

/*
 * An nstring: quoted (escapes left in place), literal, or NIL (*v NULL).
 */
static bool
sc_nstring(struct scan *s, const char **v, size_t *vlen)
{
	if (s->i >= s->len)
		return false;
	if (s->p[s->i] == '"') {
		size_t st = ++s->i;
		while (s->i < s->len && s->p[s->i] != '"') {
			if (s->p[s->i] == '\\')
				s->i++;
			s->i++;
		}
		if (s->i >= s->len)
			return false;
		*v = s->p + st;
		*vlen = s->i - st;
		s->i++;
		return true;
	}
	if (s->p[s->i] == '{') {
		unsigned long long n;
		s->i++;
		if (!sc_number(s, &n))
			return false;
		if (s->i < s->len && s->p[s->i] == '+')
			s->i++;
		if (s->len - s->i < 3 || memcmp(s->p + s->i, "}\r\n", 3) != 0)
			return false;
		s->i += 3;
		if (n > s->len - s->i)
			return false;
		*v = s->p + s->i;
		*vlen = (size_t)n;
		s->i += (size_t)n;
		return true;
	}
	if (s->len - s->i >= 3 && mc_istarts(s->p + s->i, 3, "NIL")) {
		s->i += 3;
		*v = NULL;
		*vlen = 0;
		return true;
	}
	return false;
}

/* Skip one value of any type. */
static bool
sc_skip(struct scan *s, int depth)
{
	const char *v;
	size_t vl;

	if (depth > IMAP_DEPTH_MAX || s->i >= s->len)
		return false;
	if (s->p[s->i] == '(') {
		s->i++;
		for (;;) {
			sc_sp(s);
			if (s->i >= s->len)
				return false;
			if (s->p[s->i] == ')') {
				s->i++;
				return true;
			}
			if (!sc_skip(s, depth + 1))
				return false;
		}
	}
	if (s->p[s->i] == '"' || s->p[s->i] == '{')
		return sc_nstring(s, &v, &vl);
	return sc_atom(s, &v, &vl);
}

/* ---- the client ------------------------------------------------------- */

/*
 * Session states, X(name, trace name).  The state changes only in
 * imap_client_enter(), which traces "imap: LOGIN -> CAPABILITY" at
 * LOG_DEBUG (entering S_CMD names the command: "imap: READY -> CMD FETCH");
 * nothing else assigns c->state (test_smtp_client greps the cores).
 */
#define IMAP_CLIENT_STATES(X)                                                  \
	X(S_INIT, "INIT")                                                      \
	X(S_GREETING, "GREETING")                                              \
	X(S_CAPA, "CAPABILITY")                                                \
	X(S_STARTTLS, "STARTTLS")                                              \
	X(S_TLS, "TLS")                                                        \
	X(S_AUTH, "AUTHENTICATE")                                              \
	X(S_LOGIN, "LOGIN")                                                    \
	/* after login, when the OK carried no capabilities */                 \
	X(S_CAPA2, "CAPABILITY")                                               \
	X(S_READY, "READY")                                                    \
	X(S_CMD, "CMD")                                                        \
	X(S_LOGOUT, "LOGOUT")                                                  \
	X(S_CLOSED, "CLOSED")

enum state {
#define IMAP_ST_ENUM(e, name) e,
	IMAP_CLIENT_STATES(IMAP_ST_ENUM)
#undef IMAP_ST_ENUM
};

static const char *const strstate[] = {
#define IMAP_ST_NAME(e, name) [e] = name,
    IMAP_CLIENT_STATES(IMAP_ST_NAME)
#undef IMAP_ST_NAME
};

static const char *const strcmd[] = {
    [IMAP_CMD_NONE] = "none",     [IMAP_CMD_SELECT] = "SELECT",
    [IMAP_CMD_SEARCH] = "SEARCH", [IMAP_CMD_FETCH] = "FETCH",
    [IMAP_CMD_MOVE] = "MOVE",     [IMAP_CMD_DELETE] = "DELETE",
    [IMAP_CMD_CREATE] = "CREATE", [IMAP_CMD_IDLE] = "IDLE",
    [IMAP_CMD_NOOP] = "NOOP",     [IMAP_CMD_LOGOUT] = "LOGOUT",
};

/* Steps of MOVE and DELETE. */
enum step {
	STEP_ONE,   /* a single command */
	STEP_COPY,  /* UID COPY */
	STEP_STORE, /* UID STORE +FLAGS.SILENT (\Deleted) */
	STEP_EXPUNGE,
};

struct imap_client {
	struct imap_client_config cfg;
	char *user, *secret;
	enum state state;
	char log_name[80]; /* cfg.log_name, or "" */
	bool tls_active;
	bool waiting;
	uint64_t wait_since;
	unsigned tagno;
	char tag[16];
	char caps[CAPS_MAX];
	bool have_caps;
	struct sasl_client sasl;
	bool sasl_on;
	struct imap_reader rd;
	struct buf out;

	enum imap_cmd cmd;
	enum step step;
	uint32_t uid;
	char mailbox[IMAP_MAILBOX_MAX + 1];
	bool idling, idle_woke, idle_done_sent;
	bool bye;

	uint32_t uidvalidity, exists;
	uint32_t *uids;
	size_t nuids, cap_uids;
	struct buf data;
	bool have_data, truncated;
	uint64_t size;

	char text[512];
	struct imap_event evq[EVQ_MAX];
	size_t ev_head, ev_len;
	char last_error[512];
	int fail_err;
};

static void session_fail(struct imap_client *c, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Queue an event. */
static void
push_event(struct imap_client *c, const struct imap_event *ev)
{
	assert(c->ev_len < EVQ_MAX);
	c->evq[(c->ev_head + c->ev_len++) % EVQ_MAX] = *ev;
}

/* The one place the session state changes; traced at LOG_DEBUG. */
static void
imap_client_enter(struct imap_client *c, enum state st)
{
	if (c->state != st)
		log_debug("imap%s%s: %s -> %s%s%s", c->log_name[0] ? " " : "",
		          c->log_name, strstate[c->state], strstate[st],
		          st == S_CMD ? " " : "",
		          st == S_CMD ? strcmd[c->cmd] : "");
	c->state = st;
}

/* Pass a line to the trace callback. */
static void
trace(struct imap_client *c, char dir, const char *line, size_t len)
{
	if (c->cfg.trace)
		c->cfg.trace(c->cfg.trace_arg, dir, line, len);
}

/* The session failed. */
static void
session_fail(struct imap_client *c, int err, const char *fmt, ...)
{
	va_list ap;
	struct imap_event ev = {.type = IMAP_EV_CLOSED, .err = err};

	if (c->state == S_CLOSED)
		return;
	va_start(ap, fmt);
	vsnprintf(c->last_error, sizeof(c->last_error), fmt, ap);
	va_end(ap);
	imap_client_enter(c, S_CLOSED);
	c->waiting = false;
	c->fail_err = err;
	if (c->sasl_on) {
		sasl_client_fini(&c->sasl);
		c->sasl_on = false;
	}
	push_event(c, &ev);
}

/* Write a tagged command; shown (if not NULL) is what the trace says. */
static void tagged(struct imap_client *c, enum state s, uint64_t now,
                   const char *shown, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
tagged(struct imap_client *c, enum state s, uint64_t now, const char *shown,
       const char *fmt, ...)
{
	va_list ap;
	size_t start;

	snprintf(c->tag, sizeof(c->tag), "A%03u", ++c->tagno);
	buf_printf(&c->out, "%s ", c->tag);
	start = buf_len(&c->out);
	va_start(ap, fmt);
	buf_vprintf(&c->out, fmt, ap);
	va_end(ap);
	/* Every value was checked (quote(), wire_value.h): one line. */
	assert(wire_value_flaw((const char *)buf_data(&c->out) + start,
	                       buf_len(&c->out) - start, false) == NULL);
	if (c->cfg.trace) {
		char line[600];
		snprintf(line, sizeof(line), "%s %.*s", c->tag,
		         shown ? (int)strlen(shown)
		               : (int)(buf_len(&c->out) - start),
		         shown ? shown
		               : (const char *)buf_data(&c->out) + start);
		trace(c, 'C', line, strlen(line));
	}
	buf_puts(&c->out, "\r\n");
	imap_client_enter(c, s);
	c->waiting = true;
	c->wait_since = now;
}

/* An untagged line that is not a command (DONE, SASL responses). */
static void
raw_line(struct imap_client *c, const char *shown, const char *line)
{
	assert(wire_value_flaw(line, strlen(line), false) == NULL);
	trace(c, 'C', shown ? shown : line, strlen(shown ? shown : line));
	buf_puts(&c->out, line);
	buf_puts(&c->out, "\r\n");
}

/* A quoted string for a command, or false when s cannot be one. */
static bool
quote(const char *s, char *out, size_t outsz)
{
	size_t o = 0;

	if (outsz < 3)
		return false;
	out[o++] = '"';
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch < 0x20 || ch == 0x7f || o + 4 >= outsz)
			return false;
		if (ch == '"' || ch == '\\')
			out[o++] = '\\';
		out[o++] = (char)ch;
	}
	out[o++] = '"';
	out[o] = '\0';
	return true;
}

/* Remember the capability list from s[0..n). */
static void
set_caps(struct imap_client *c, const char *s, size_t n)
{
	if (n >= sizeof(c->caps))
		n = sizeof(c->caps) - 1;
	memcpy(c->caps, s, n);
	c->caps[n] = '\0';
	c->have_caps = true;
}

bool
imap_client_has_capability(const struct imap_client *c, const char *cap)
{
	size_t n = strlen(cap);
	const char *p = c->caps;

	while (*p) {
		const char *e = strchr(p, ' ');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == n && mc_ieq(p, l, cap))
			return true;
		p += l;
		while (*p == ' ')
			p++;
	}
	return false;
}

/* The AUTH=... mechanisms, space-separated, into out. */
static void
auth_mechs(const struct imap_client *c, char *out, size_t outsz)
{
	const char *p = c->caps;
	size_t o = 0;

	out[0] = '\0';
	while (*p) {
		const char *e = strchr(p, ' ');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l > 5 && mc_istarts(p, l, "AUTH=") && o + l < outsz) {
			if (o)
				out[o++] = ' ';
			memcpy(out + o, p + 5, l - 5);
			o += l - 5;
			out[o] = '\0';
		}
		p += l;
		while (*p == ' ')
			p++;
	}
}

/* Authenticated: make sure we know the capabilities, then ready. */
static void
enter_ready(struct imap_client *c)
{
	struct imap_event ev = {.type = IMAP_EV_READY};

	if (c->sasl_on) {
		sasl_client_fini(&c->sasl);
		c->sasl_on = false;
	}
	imap_client_enter(c, S_READY);
	c->waiting = false;
	push_event(c, &ev);
}

/* Log in: AUTHENTICATE when a mechanism fits, else LOGIN. */
static void
enter_auth(struct imap_client *c, uint64_t now)
{
	bool clear_ok = c->tls_active || c->cfg.allow_cleartext;
	char mechs[512];
	enum sasl_mech m;

	auth_mechs(c, mechs, sizeof(mechs));
	m = sasl_choose(mechs, strlen(mechs), c->tls_active, c->cfg.sasl_mech);
	if (m == SASL_NONE && clear_ok && c->cfg.sasl_mech == SASL_NONE)
		m = sasl_choose(mechs, strlen(mechs), true, SASL_NONE);
	if (m != SASL_NONE && sasl_mech_is_cleartext(m) && !clear_ok)
		m = SASL_NONE;
	if (m != SASL_NONE) {
		struct buf ir;
		char shown[80];
		buf_init(&ir);
		sasl_client_init(&c->sasl, m, c->user, c->secret);
		c->sasl_on = true;
		snprintf(shown, sizeof(shown), "AUTHENTICATE %s <redacted>",
		         sasl_mech_name(m));
		if (imap_client_has_capability(c, "SASL-IR") &&
		    sasl_client_initial(&c->sasl, &ir))
			tagged(c, S_AUTH, now, shown, "AUTHENTICATE %s %s",
			       sasl_mech_name(m),
			       buf_len(&ir) ? buf_cstr(&ir) : "=");
		else
			tagged(c, S_AUTH, now, NULL, "AUTHENTICATE %s",
			       sasl_mech_name(m));
		if (ir.mem)
			explicit_bzero(ir.mem, ir.cap);
		buf_fini(&ir);
		return;
	}
	if (c->cfg.sasl_mech != SASL_NONE) {
		session_fail(c, MC_EUNSUPP,
		             "the server does not offer AUTH=%s (it offers: "
		             "%s)",
		             sasl_mech_name(c->cfg.sasl_mech),
		             mechs[0] ? mechs : "none");
		return;
	}
	if (imap_client_has_capability(c, "LOGINDISABLED")) {
		session_fail(c, MC_EAUTH,
		             "the server disables LOGIN here (LOGINDISABLED) "
		             "and offers no usable mechanism (%s)",
		             mechs[0] ? mechs : "none");
		return;
	}
	if (!clear_ok) {
		session_fail(c, MC_EAUTH,
		             "refusing to send the password in clear text (no "
		             "TLS, no CRAM-MD5); use TLS or allow it with "
		             "--allow-cleartext-auth");
		return;
	}
	char qu[600], qp[600], *cmd;
	if (!quote(c->user, qu, sizeof(qu)) ||
	    !quote(c->secret, qp, sizeof(qp))) {
		session_fail(c, MC_EINVAL,
		             "the user name or password has characters LOGIN "
		             "cannot carry");
		return;
	}
	cmd = xasprintf("LOGIN %s %s", qu, qp);
	{
		char shown[700];
		snprintf(shown, sizeof(shown), "LOGIN %s <redacted>", qu);
		tagged(c, S_LOGIN, now, shown, "%s", cmd);
	}
	explicit_bzero(cmd, strlen(cmd));
	explicit_bzero(qp, sizeof(qp));
	free(cmd);
}

/* Capabilities known: STARTTLS if wanted, then log in. */
static void
after_caps(struct imap_client *c, uint64_t now)
{
	if (c->cfg.tls == IMAP_TLS_STARTTLS && !c->tls_active) {
		if (!imap_client_has_capability(c, "STARTTLS")) {
			session_fail(c, MC_EUNSUPP,
			             "the server does not offer STARTTLS, and "
			             "it was required");
			return;
		}
		tagged(c, S_STARTTLS, now, NULL, "STARTTLS");
		return;
	}
	enter_auth(c, now);
}

/* The outstanding command is complete. */
static void
cmd_done(struct imap_client *c, bool ok)
{
	struct imap_event ev = {.type = IMAP_EV_DONE, .cmd = c->cmd, .ok = ok};

	ev.text = c->text;
	if (c->cmd == IMAP_CMD_FETCH && ok) {
		ev.data = c->have_data ? buf_data(&c->data) : NULL;
		ev.data_len = c->have_data ? buf_len(&c->data) : 0;
		ev.truncated = c->truncated;
		ev.size = c->size;
	}
	imap_client_enter(c, S_READY);
	c->waiting = false;
	c->idling = false;
	push_event(c, &ev);
}

/* Next step of MOVE/DELETE after an OK. */
static void
next_step(struct imap_client *c, uint64_t now)
{
	switch (c->step) {
	case STEP_COPY:
		c->step = STEP_STORE;
		tagged(c, S_CMD, now, NULL,
		       "UID STORE %u +FLAGS.SILENT (\\Deleted)", c->uid);
		return;
	case STEP_STORE:
		c->step = STEP_EXPUNGE;
		if (imap_client_has_capability(c, "UIDPLUS"))
			tagged(c, S_CMD, now, NULL, "UID EXPUNGE %u", c->uid);
		else
			tagged(c, S_CMD, now, NULL, "EXPUNGE");
		return;
	default:
		cmd_done(c, true);
		return;
	}
}

/* Add a UID from a SEARCH answer. */
static void
add_uid(struct imap_client *c, uint32_t uid)
{
	if (c->nuids == c->cap_uids) {
		c->cap_uids = c->cap_uids ? c->cap_uids * 2 : 64;
		c->uids = xreallocarray(c->uids, c->cap_uids, sizeof(*c->uids));
	}
	c->uids[c->nuids++] = uid;
}

/* Sort UIDs ascending. */
static int
uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* "* n FETCH (...)": take UID, RFC822.SIZE and BODY[]. */
static void
on_fetch(struct imap_client *c, struct scan *s, bool truncated)
{
	const char *k, *v;
	size_t kl, vl;
	unsigned long long n;
	uint32_t uid = 0;
	const char *body = NULL;
	size_t body_len = 0;
	bool have_body = false;
	uint64_t size = 0;

	sc_sp(s);
	if (s->i >= s->len || s->p[s->i] != '(')
		return;
	s->i++;
	for (;;) {
		sc_sp(s);
		if (s->i >= s->len || s->p[s->i] == ')')
			break;
		if (!sc_atom(s, &k, &kl))
			return;
		sc_sp(s);
		if (mc_ieq(k, kl, "UID")) {
			if (!sc_number(s, &n) || n > 0xffffffffULL)
				return;
			uid = (uint32_t)n;
		} else if (mc_ieq(k, kl, "RFC822.SIZE")) {
			if (!sc_number(s, &n))
				return;
			size = n;
		} else if (mc_istarts(k, kl, "BODY[]") ||
		           mc_ieq(k, kl, "RFC822")) {
			if (!sc_nstring(s, &v, &vl))
				return;
			body = v;
			body_len = vl;
			have_body = v != NULL;
		} else if (!sc_skip(s, 0)) {
			return;
		}
	}
	/* Only the message we asked for (others are flag updates). */
	if (c->state != S_CMD || c->cmd != IMAP_CMD_FETCH || uid != c->uid)
		return;
	if (size)
		c->size = size;
	if (have_body) {
		buf_reset(&c->data);
		buf_append(&c->data, body, body_len);
		c->have_data = true;
		c->truncated = truncated;
	}
}

/* One untagged response ("* ..."), scanned from after the "* ". */
static void
on_untagged(struct imap_client *c, struct scan *s, bool truncated)
{
	const char *a;
	size_t al;
	unsigned long long n;

	if (s->i < s->len && s->p[s->i] >= '0' && s->p[s->i] <= '9') {
		if (!sc_number(s, &n))
			return;
		sc_sp(s);
		if (!sc_atom(s, &a, &al))
			return;
		if (mc_ieq(a, al, "EXISTS")) {
			c->exists =
			    n > 0xffffffffULL ? 0xffffffffU : (uint32_t)n;
			if (c->idling && !c->idle_woke) {
				struct imap_event ev = {.type =
				                            IMAP_EV_IDLE_WAKE};
				c->idle_woke = true;
				push_event(c, &ev);
			}
		} else if (mc_ieq(a, al, "FETCH")) {
			on_fetch(c, s, truncated);
		}
		return;
	}
	if (!sc_atom(s, &a, &al))
		return;
	if (mc_ieq(a, al, "CAPABILITY")) {
		sc_sp(s);
		set_caps(c, s->p + s->i, s->len - s->i);
	} else if (mc_ieq(a, al, "SEARCH")) {
		if (c->state != S_CMD || c->cmd != IMAP_CMD_SEARCH)
			return;
		for (;;) {
			sc_sp(s);
			if (!sc_number(s, &n))
				break;
			if (n == 0 || n > 0xffffffffULL ||
			    c->nuids >= IMAP_SEARCH_MAX)
				break;
			add_uid(c, (uint32_t)n);
		}
	} else if (mc_ieq(a, al, "OK") || mc_ieq(a, al, "PREAUTH") ||
	           mc_ieq(a, al, "BYE") || mc_ieq(a, al, "NO") ||
	           mc_ieq(a, al, "BAD")) {
		bool bye = mc_ieq(a, al, "BYE");
		sc_sp(s);
		if (bye) {
			c->bye = true;
			mc_strlcpy(c->text, s->p + s->i, sizeof(c->text));
		}
		if (s->i < s->len && s->p[s->i] == '[') {
			const char *e = memchr(s->p + s->i, ']', s->len - s->i);
			const char *code = s->p + s->i + 1;
			size_t cl = e ? (size_t)(e - code) : 0;
			if (mc_istarts(code, cl, "CAPABILITY "))
				set_caps(c, code + 11, cl - 11);
			else if (mc_istarts(code, cl, "UIDVALIDITY ") &&
			         mc_parse_uint(code + 12, cl - 12,
			                       0xffffffffULL, &n))
				c->uidvalidity = (uint32_t)n;
		}
	}
}

/* A tagged completion for the current command. */
static void
on_tagged(struct imap_client *c, bool ok, const char *text, uint64_t now)
{
	mc_strlcpy(c->text, text, sizeof(c->text));
	/* A capability list in the completion's response code. */
	if (text[0] == '[' &&
	    mc_istarts(text + 1, strlen(text + 1), "CAPABILITY ")) {
		const char *e = strchr(text, ']');
		if (e)
			set_caps(c, text + 12, (size_t)(e - (text + 12)));
	}
	switch (c->state) {
	case S_CAPA:
	case S_CAPA2:
		if (!ok) {
			session_fail(c, MC_EPROTO, "CAPABILITY failed: %s",
			             text);
			return;
		}
		if (c->state == S_CAPA)
			after_caps(c, now);
		else
			enter_ready(c);
		return;
	case S_STARTTLS:
		if (!ok) {
			session_fail(c, MC_EUNSUPP, "STARTTLS refused: %s",
			             text);
			return;
		}
		imap_client_enter(c, S_TLS);
		c->waiting = false;
		{
			struct imap_event ev = {.type = IMAP_EV_STARTTLS};
			push_event(c, &ev);
		}
		return;
	case S_AUTH:
	case S_LOGIN:
		if (!ok) {
			session_fail(c, MC_EAUTH, "%s failed: %s",
			             c->state == S_AUTH ? "AUTHENTICATE"
			                                : "LOGIN",
			             text);
			return;
		}
		if (c->sasl_on) {
			sasl_client_fini(&c->sasl);
			c->sasl_on = false;
		}
		/* The capabilities change once authenticated. */
		if (text[0] == '[' && c->have_caps &&
		    mc_istarts(text + 1, strlen(text + 1), "CAPABILITY ")) {
			enter_ready(c);
			return;
		}
		tagged(c, S_CAPA2, now, NULL, "CAPABILITY");
		return;
	case S_CMD:
		if (!ok) {
			/* CREATE of an existing mailbox is fine. */
			if (c->cmd == IMAP_CMD_CREATE &&
			    strstr(text, "ALREADYEXISTS") != NULL) {
				cmd_done(c, true);
				return;
			}
			cmd_done(c, false);
			return;
		}
		if (c->cmd == IMAP_CMD_SEARCH && c->nuids > 1)
			qsort(c->uids, c->nuids, sizeof(*c->uids), uid_cmp);
		if (c->cmd == IMAP_CMD_MOVE || c->cmd == IMAP_CMD_DELETE) {
			next_step(c, now);
			return;
		}
		cmd_done(c, true);
		return;
	case S_LOGOUT: {
		struct imap_event ev = {.type = IMAP_EV_CLOSED, .err = 0};
		imap_client_enter(c, S_CLOSED);
		c->waiting = false;
		push_event(c, &ev);
		return;
	}
	default:
		session_fail(c, MC_EPROTO,
		             "an unexpected tagged response in "
		             "state %s",
		             strstate[c->state]);
		return;
	}
}

/* A continuation request ("+ ..."). */
static void
on_continue(struct imap_client *c, const char *text, uint64_t now)
{
	if (c->state == S_AUTH && c->sasl_on) {
		struct buf r;
		buf_init(&r);
		if (sasl_client_step(&c->sasl, text, strlen(text), &r) != 0) {
			buf_fini(&r);
			session_fail(c, MC_EPROTO,
			             "a bad SASL challenge: %.80s", text);
			return;
		}
		raw_line(c, "<redacted>", buf_cstr(&r));
		if (r.mem)
			explicit_bzero(r.mem, r.cap);
		buf_fini(&r);
		c->wait_since = now;
		return;
	}
	if (c->state == S_CMD && c->cmd == IMAP_CMD_IDLE && !c->idling) {
		c->idling = true;
		c->waiting = false; /* idling has no deadline of its own */
		if (c->idle_done_sent)
			c->waiting = true;
		return;
	}
	session_fail(c, MC_EPROTO,
	             "an unexpected continuation request in "
	             "state %s",
	             strstate[c->state]);
}

/* One whole response. */
static void
on_response(struct imap_client *c, const char *p, size_t len, bool truncated,
            uint64_t now)
{
	struct scan s = {p, len, 0};
	const char *first = p;
	size_t fl = len;
	const char *nl = memchr(p, '\n', len);

	if (nl)
		fl = (size_t)(nl - p);
	if (fl > 0 && first[fl - 1] == '\r')
		fl--;
	trace(c, 'S', first, fl);
	if (len >= 1 && p[0] == '+') {
		s.i = 1;
		sc_sp(&s);
		char text[IMAP_LINE_MAX < 4096 ? IMAP_LINE_MAX : 4096];
		size_t tl =
		    len - s.i < sizeof(text) - 1 ? len - s.i : sizeof(text) - 1;
		memcpy(text, p + s.i, tl);
		text[tl] = '\0';
		on_continue(c, text, now);
		return;
	}
	if (len >= 2 && p[0] == '*' && p[1] == ' ') {
		s.i = 2;
		if (c->state == S_GREETING) {
			const char *a;
			size_t al;
			on_untagged(c, &s, truncated);
			s.i = 2;
			if (!sc_atom(&s, &a, &al)) {
				session_fail(c, MC_EPROTO, "a bad greeting");
				return;
			}
			if (mc_ieq(a, al, "BYE")) {
				session_fail(c, MC_ETEMPFAIL,
				             "the server refused the session: "
				             "%.200s",
				             p + s.i);
				return;
			}
			if (mc_ieq(a, al, "PREAUTH")) {
				if (c->cfg.tls == IMAP_TLS_STARTTLS &&
				    !c->tls_active) {
					session_fail(c, MC_EUNSUPP,
					             "the server is PREAUTH: "
					             "STARTTLS is impossible");
					return;
				}
				tagged(c, S_CAPA2, now, NULL, "CAPABILITY");
				return;
			}
			if (!mc_ieq(a, al, "OK")) {
				session_fail(c, MC_EPROTO, "a bad greeting");
				return;
			}
			if (c->have_caps)
				after_caps(c, now);
			else
				tagged(c, S_CAPA, now, NULL, "CAPABILITY");
			return;
		}
		on_untagged(c, &s, truncated);
		return;
	}
	/* Tagged: "TAG OK|NO|BAD text". */
	size_t tl = strlen(c->tag);
	{
		if (len > tl && memcmp(p, c->tag, tl) == 0 && p[tl] == ' ') {
			const char *a;
			size_t al;
			char text[512];
			s.i = tl + 1;
			if (!sc_atom(&s, &a, &al)) {
				session_fail(c, MC_EPROTO,
				             "a malformed completion: %.80s",
				             p);
				return;
			}
			sc_sp(&s);
			size_t n = fl > s.i ? fl - s.i : 0;
			if (n >= sizeof(text))
				n = sizeof(text) - 1;
			memcpy(text, p + s.i, n);
			text[n] = '\0';
			if (!mc_ieq(a, al, "OK") && !mc_ieq(a, al, "NO") &&
			    !mc_ieq(a, al, "BAD")) {
				session_fail(c, MC_EPROTO,
				             "a malformed completion: %.80s",
				             p);
				return;
			}
			on_tagged(c, mc_ieq(a, al, "OK"), text, now);
			return;
		}
	}
	session_fail(c, MC_EPROTO,
	             "the server sent an unexpected response: "
	             "%.80s",
	             p);
}

struct imap_client *
imap_client_new(const struct imap_client_config *cfg)
{
	struct imap_client *c = xcalloc(1, sizeof(*c));

	c->cfg = *cfg;
	c->user = xstrdup(cfg->user ? cfg->user : "");
	mc_strlcpy(c->log_name, cfg->log_name ? cfg->log_name : "",
	           sizeof(c->log_name));
	c->cfg.log_name = NULL;
	c->secret = xstrdup(cfg->secret ? cfg->secret : "");
	c->cfg.user = c->user;
	c->cfg.secret = c->secret;
	if (c->cfg.max_message == 0)
		c->cfg.max_message = IMAP_MESSAGE_DEFAULT;
	if (c->cfg.timeout_ms == 0)
		c->cfg.timeout_ms = IMAP_TIMEOUT_DEFAULT;
	imap_reader_init(&c->rd, c->cfg.max_message);
	buf_init(&c->out);
	buf_init(&c->data);
	return c;
}

void
imap_client_free(struct imap_client *c)
{
	if (c == NULL)
		return;
	if (c->sasl_on)
		sasl_client_fini(&c->sasl);
	explicit_bzero(c->secret, strlen(c->secret));
	free(c->secret);
	free(c->user);
	if (c->out.mem)
		explicit_bzero(c->out.mem, c->out.cap);
	buf_fini(&c->out);
	buf_fini(&c->data);
	imap_reader_fini(&c->rd);
	free(c->uids);
	free(c);
}

void
imap_client_start(struct imap_client *c, bool tls_active, uint64_t now_ms)
{
	char why[128];

	c->tls_active = tls_active;
	imap_client_enter(c, S_GREETING);
	c->waiting = true;
	c->wait_since = now_ms;
	/* LOGIN's quoted strings and AUTHENTICATE carry these. */
	if (sasl_credentials_check(c->user, c->secret, why, sizeof(why)) != 0)
		session_fail(c, MC_EINVAL, "%s", why);
}

int
imap_client_feed(struct imap_client *c, const void *data, size_t len,
                 uint64_t now_ms)
{
	const char *p = data;

	while (len > 0 && c->state != S_CLOSED) {
		const char *resp;
		size_t used, rlen;
		bool trunc;
		if (c->state == S_TLS) {
			session_fail(c, MC_EPROTO,
			             "the server sent data after accepting "
			             "STARTTLS (a command injection?)");
			break;
		}
		int rc = imap_reader_feed(&c->rd, p, len, &used, &resp, &rlen,
		                          &trunc);
		p += used;
		len -= used;
		if (rc < 0) {
			session_fail(c, rc, "%s", c->rd.last_error);
			break;
		}
		if (rc == 0)
			break;
		on_response(c, resp, rlen, trunc, now_ms);
	}
	return c->state == S_CLOSED ? c->fail_err : 0;
}

void
imap_client_eof(struct imap_client *c, uint64_t now_ms)
{
	(void)now_ms;
	if (c->state == S_LOGOUT) {
		struct imap_event ev = {.type = IMAP_EV_CLOSED, .err = 0};
		imap_client_enter(c, S_CLOSED);
		c->waiting = false;
		push_event(c, &ev);
		return;
	}
	if (c->bye)
		session_fail(c, MC_ECLOSED, "the server said BYE: %s", c->text);
	else
		session_fail(c, MC_ECLOSED,
		             "the server closed the connection (state %s)",
		             strstate[c->state]);
}

void
imap_client_abort(struct imap_client *c, int err, const char *why,
                  uint64_t now_ms)
{
	(void)now_ms;
	session_fail(c, err, "%s", why);
}

const unsigned char *
imap_client_output(struct imap_client *c, size_t *len)
{
	*len = buf_len(&c->out);
	return buf_data(&c->out);
}

void
imap_client_sent(struct imap_client *c, size_t n, uint64_t now_ms)
{
	(void)now_ms;
	if (n > 0 && c->out.mem)
		explicit_bzero(c->out.mem + c->out.off, n);
	buf_consume(&c->out, n);
}

void
imap_client_tls_done(struct imap_client *c, bool ok, const char *why,
                     uint64_t now_ms)
{
	if (c->state != S_TLS)
		return;
	if (!ok) {
		session_fail(c, MC_ETLS, "%s", why ? why : "TLS failed");
		return;
	}
	c->tls_active = true;
	c->have_caps = false;
	c->caps[0] = '\0';
	tagged(c, S_CAPA, now_ms, NULL, "CAPABILITY");
}

int
imap_client_command(struct imap_client *c, enum imap_cmd cmd,
                    const char *mailbox, const char *criteria, uint32_t uid,
                    uint64_t now_ms)
{
	char q[2 * IMAP_MAILBOX_MAX + 8];

	if (c->state == S_CMD)
		return MC_EAGAIN;
	if (c->state != S_READY)
		return MC_EINVAL;
	if ((cmd == IMAP_CMD_SELECT || cmd == IMAP_CMD_CREATE ||
	     cmd == IMAP_CMD_MOVE) &&
	    (mailbox == NULL || strlen(mailbox) > IMAP_MAILBOX_MAX ||
	     !quote(mailbox, q, sizeof(q))))
		return MC_EINVAL;
	if ((cmd == IMAP_CMD_FETCH || cmd == IMAP_CMD_MOVE ||
	     cmd == IMAP_CMD_DELETE) &&
	    uid == 0)
		return MC_EINVAL;
	c->cmd = cmd;
	c->uid = uid;
	c->step = STEP_ONE;
	c->text[0] = '\0';
	switch (cmd) {
	case IMAP_CMD_SELECT:
		c->uidvalidity = 0;
		c->exists = 0;
		tagged(c, S_CMD, now_ms, NULL, "SELECT %s", q);
		break;
	case IMAP_CMD_SEARCH:
		if (criteria == NULL || !*criteria || strlen(criteria) > 200 ||
		    strpbrk(criteria, "\r\n\"{}") != NULL)
			return MC_EINVAL;
		c->nuids = 0;
		tagged(c, S_CMD, now_ms, NULL, "UID SEARCH %s", criteria);
		break;
	case IMAP_CMD_FETCH:
		buf_reset(&c->data);
		c->have_data = c->truncated = false;
		c->size = 0;
		tagged(c, S_CMD, now_ms, NULL,
		       "UID FETCH %u (UID RFC822.SIZE BODY.PEEK[])", uid);
		break;
	case IMAP_CMD_MOVE:
		mc_strlcpy(c->mailbox, mailbox, sizeof(c->mailbox));
		if (imap_client_has_capability(c, "MOVE")) {
			tagged(c, S_CMD, now_ms, NULL, "UID MOVE %u %s", uid,
			       q);
		} else {
			c->step = STEP_COPY;
			tagged(c, S_CMD, now_ms, NULL, "UID COPY %u %s", uid,
			       q);
		}
		break;
	case IMAP_CMD_DELETE:
		c->step = STEP_STORE;
		tagged(c, S_CMD, now_ms, NULL,
		       "UID STORE %u +FLAGS.SILENT (\\Deleted)", uid);
		break;
	case IMAP_CMD_CREATE:
		tagged(c, S_CMD, now_ms, NULL, "CREATE %s", q);
		break;
	case IMAP_CMD_IDLE:
		if (!imap_client_has_capability(c, "IDLE"))
			return MC_EINVAL;
		c->idling = c->idle_woke = c->idle_done_sent = false;
		tagged(c, S_CMD, now_ms, NULL, "IDLE");
		break;
	case IMAP_CMD_NOOP:
		tagged(c, S_CMD, now_ms, NULL, "NOOP");
		break;
	case IMAP_CMD_LOGOUT:
		tagged(c, S_LOGOUT, now_ms, NULL, "LOGOUT");
		break;
	default:
		return MC_EINVAL;
	}
	return 0;
}

void
imap_client_idle_done(struct imap_client *c, uint64_t now_ms)
{
	if (c->state != S_CMD || c->cmd != IMAP_CMD_IDLE || c->idle_done_sent)
		return;
	c->idle_done_sent = true;
	raw_line(c, NULL, "DONE");
	if (c->idling) {
		c->waiting = true;
		c->wait_since = now_ms;
	}
}

uint64_t
imap_client_deadline(const struct imap_client *c)
{
	return c->waiting ? c->wait_since + c->cfg.timeout_ms : 0;
}

void
imap_client_tick(struct imap_client *c, uint64_t now_ms)
{
	if (c->waiting && now_ms >= c->wait_since + c->cfg.timeout_ms)
		session_fail(c, MC_ETIMEDOUT,
		             "no answer from the server in %u ms (state %s)",
		             (unsigned)c->cfg.timeout_ms, strstate[c->state]);
}

bool
imap_client_next_event(struct imap_client *c, struct imap_event *ev)
{
	if (c->ev_len == 0)
		return false;
	*ev = c->evq[c->ev_head];
	c->ev_head = (c->ev_head + 1) % EVQ_MAX;
	c->ev_len--;
	return true;
}

uint32_t
imap_client_uidvalidity(const struct imap_client *c)
{
	return c->uidvalidity;
}

uint32_t
imap_client_exists(const struct imap_client *c)
{
	return c->exists;
}

const uint32_t *
imap_client_uids(const struct imap_client *c, size_t *n)
{
	*n = c->nuids;
	return c->uids;
}

const char *
imap_client_capabilities(const struct imap_client *c)
{
	return c->caps;
}

bool
imap_client_tls_active(const struct imap_client *c)
{
	return c->tls_active;
}

const char *
imap_client_last_error(const struct imap_client *c)
{
	return c->last_error;
}

const char *
imap_cmd_name(enum imap_cmd cmd)
{
	return cmd <= IMAP_CMD_LOGOUT ? strcmd[cmd] : "?";
}
