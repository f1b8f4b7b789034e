/*
 * pop3_client.c — see pop3_client.h.
 *
 * One state per thing awaited.  The reader has two modes: status lines
 * (read whole, up to POP3_LINE_MAX) and, after the +OK of a multi-line
 * command, the data that ends in "CRLF.CRLF", unstuffed as it streams so
 * that only max_message bytes are ever kept.  Every command waits for its
 * answer before the next is written: POP3 servers are not all safe with
 * pipelining and a bounce fetch gains nothing from it.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/log.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "proto/pop3_client.h"
#include "proto/wire_value.h"

#define CAPS_MAX 2048
#define EVQ_MAX  16

/*
 * Session states, X(name, trace name).  The state changes only in
 * pop3_client_enter(), which traces "pop3: USER -> PASS" at LOG_DEBUG
 * (entering S_CMD names the command: "pop3: READY -> CMD RETR"); nothing
 * else assigns c->state (test_smtp_client greps the cores).
 */
#define POP3_CLIENT_STATES(X)                                                  \
	X(S_INIT, "INIT")                                                      \
	X(S_GREETING, "GREETING")                                              \
	X(S_CAPA, "CAPA")                                                      \
	X(S_STLS, "STLS")                                                      \
	X(S_TLS, "TLS") /* handshake in the driver */                          \
	X(S_USER, "USER")                                                      \
	X(S_PASS, "PASS")                                                      \
	X(S_APOP, "APOP")                                                      \
	X(S_AUTH, "AUTH")                                                      \
	X(S_READY, "READY")                                                    \
	X(S_CMD, "CMD")                                                        \
	X(S_QUIT, "QUIT")                                                      \
	X(S_CLOSED, "CLOSED")

enum state {
#define POP3_ST_ENUM(e, name) e,
	POP3_CLIENT_STATES(POP3_ST_ENUM)
#undef POP3_ST_ENUM
};

static const char *const strstate[] = {
#define POP3_ST_NAME(e, name) [e] = name,
    POP3_CLIENT_STATES(POP3_ST_NAME)
#undef POP3_ST_NAME
};

static const char *const strcmd[] = {
    [POP3_CMD_NONE] = "none", [POP3_CMD_STAT] = "STAT",
    [POP3_CMD_LIST] = "LIST", [POP3_CMD_UIDL] = "UIDL",
    [POP3_CMD_RETR] = "RETR", [POP3_CMD_TOP] = "TOP",
    [POP3_CMD_DELE] = "DELE", [POP3_CMD_NOOP] = "NOOP",
    [POP3_CMD_RSET] = "RSET", [POP3_CMD_QUIT] = "QUIT",
};

/* Where the multi-line reader is in the current line. */
enum mstate {
	M_LS,    /* at the start of a line */
	M_DOT,   /* a '.' at the start of a line */
	M_DOTCR, /* ".\r" at the start of a line */
	M_MID,   /* inside a line */
};

struct pop3_client {
	struct pop3_client_config cfg;
	char *user;
	char *secret;
	enum state state;
	char log_name[80]; /* cfg.log_name, or "" */
	bool tls_active;
	bool waiting; /* for the server: the deadline runs */
	uint64_t wait_since;
	char timestamp[256]; /* APOP, from the greeting */
	char caps[CAPS_MAX];
	bool cap_stls, cap_sasl, cap_user;
	char sasl_offered[512];
	struct sasl_client sasl;
	bool sasl_on;

	struct buf in;
	struct buf out;

	/* The multi-line reader. */
	bool multi;
	enum mstate mstate;
	struct buf data;
	bool truncated;
	size_t limit;

	enum pop3_cmd cmd; /* outstanding command */
	char status[POP3_LINE_MAX + 1];

	struct pop3_entry *entries;
	size_t nentries;

	struct pop3_event evq[EVQ_MAX];
	size_t ev_head, ev_len;
	char last_error[512];
	int fail_err;
};

static void session_fail(struct pop3_client *c, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Queue an event for the driver. */
static void
push_event(struct pop3_client *c, const struct pop3_event *ev)
{
	assert(c->ev_len < EVQ_MAX);
	c->evq[(c->ev_head + c->ev_len++) % EVQ_MAX] = *ev;
}

/* The one place the session state changes; traced at LOG_DEBUG. */
static void
pop3_client_enter(struct pop3_client *c, enum state st)
{
	if (c->state != st)
		log_debug("pop3%s%s: %s -> %s%s%s", c->log_name[0] ? " " : "",
		          c->log_name, strstate[c->state], strstate[st],
		          st == S_CMD ? " " : "",
		          st == S_CMD ? strcmd[c->cmd] : "");
	c->state = st;
}

/* Pass one line to the trace callback. */
static void
trace(struct pop3_client *c, char dir, const char *line, size_t len)
{
	if (c->cfg.trace)
		c->cfg.trace(c->cfg.trace_arg, dir, line, len);
}

/* Write a command line; shown (if not NULL) is what the trace says. */
static void cmd_write(struct pop3_client *c, const char *shown, const char *fmt,
                      ...) __attribute__((format(printf, 3, 4)));

static void
cmd_write(struct pop3_client *c, const char *shown, const char *fmt, ...)
{
	va_list ap;
	size_t start = buf_len(&c->out);

	va_start(ap, fmt);
	buf_vprintf(&c->out, fmt, ap);
	va_end(ap);
	/* Every value was checked (wire_value.h): one command, one line. */
	assert(wire_value_flaw((const char *)buf_data(&c->out) + start,
	                       buf_len(&c->out) - start, false) == NULL);
	if (shown)
		trace(c, 'C', shown, strlen(shown));
	else
		trace(c, 'C', (const char *)buf_data(&c->out) + start,
		      buf_len(&c->out) - start);
	buf_puts(&c->out, "\r\n");
}

/* The session is over, for the reason given. */
static void
session_fail(struct pop3_client *c, int err, const char *fmt, ...)
{
	va_list ap;
	struct pop3_event ev = {.type = POP3_EV_CLOSED, .err = err};

	if (c->state == S_CLOSED)
		return;
	va_start(ap, fmt);
	vsnprintf(c->last_error, sizeof(c->last_error), fmt, ap);
	va_end(ap);
	pop3_client_enter(c, S_CLOSED);
	c->waiting = false;
	c->fail_err = err;
	if (c->sasl_on) {
		sasl_client_fini(&c->sasl);
		c->sasl_on = false;
	}
	push_event(c, &ev);
}

/* Start waiting for the server. */
static void
wait_for(struct pop3_client *c, enum state s, uint64_t now)
{
	pop3_client_enter(c, s);
	c->waiting = true;
	c->wait_since = now;
}

/* Begin reading a multi-line answer after its +OK. */
static void
multi_begin(struct pop3_client *c, size_t limit)
{
	c->multi = true;
	c->mstate = M_LS;
	c->truncated = false;
	c->limit = limit;
	buf_reset(&c->data);
}

/* Keep n bytes of multi-line data, up to the limit. */
static void
data_keep(struct pop3_client *c, const char *p, size_t n)
{
	size_t have = buf_len(&c->data);

	if (have + n > c->limit) {
		c->truncated = true;
		n = have < c->limit ? c->limit - have : 0;
	}
	if (n > 0)
		buf_append(&c->data, p, n);
}

/*
 * Consume multi-line data from p[0..len); returns the bytes used and sets
 * *done when the terminating "." line was read.
 */
static size_t
multi_read(struct pop3_client *c, const char *p, size_t len, bool *done)
{
	size_t i = 0;

	*done = false;
	while (i < len) {
		switch (c->mstate) {
		case M_LS:
			if (p[i] == '.') {
				c->mstate = M_DOT;
				i++;
				break;
			}
			c->mstate = M_MID;
			break;
		case M_MID: {
			const char *nl = memchr(p + i, '\n', len - i);
			size_t n = nl ? (size_t)(nl - (p + i)) + 1 : len - i;
			data_keep(c, p + i, n);
			i += n;
			if (nl)
				c->mstate = M_LS;
			break;
		}
		case M_DOT:
			if (p[i] == '\r') {
				c->mstate = M_DOTCR;
				i++;
			} else if (p[i] == '\n') {
				*done = true;
				return i + 1;
			} else {
				/* ".." is a stuffed "."; a lone "." before
				 * other text is kept as sent. */
				if (p[i] == '.')
					i++;
				data_keep(c, ".", 1);
				c->mstate = M_MID;
			}
			break;
		case M_DOTCR:
			if (p[i] == '\n') {
				*done = true;
				return i + 1;
			}
			data_keep(c, ".\r", 2);
			c->mstate = M_MID;
			break;
		}
	}
	return i;
}

/* Parse "N UID" (with_uid) or "N SIZE" into out. */
int
pop3_parse_entry(const char *line, size_t len, bool with_uid,
                 struct pop3_entry *out)
{
	size_t i = 0, j;
	unsigned long long v;

	memset(out, 0, sizeof(*out));
	while (i < len && line[i] >= '0' && line[i] <= '9')
		i++;
	if (i == 0 || !mc_parse_uint(line, i, 0xffffffffUL, &v))
		return MC_EPROTO;
	out->msgno = (unsigned long)v;
	if (i >= len || line[i] != ' ')
		return MC_EPROTO;
	j = ++i;
	while (j < len && line[j] != ' ' && line[j] != '\r')
		j++;
	if (j == i)
		return MC_EPROTO;
	if (with_uid) {
		if (j - i > POP3_UID_MAX)
			return MC_ELIMIT;
		for (size_t k = i; k < j; k++)
			if ((unsigned char)line[k] < 0x21 ||
			    (unsigned char)line[k] > 0x7e)
				return MC_EPROTO;
		memcpy(out->uid, line + i, j - i);
		out->uid[j - i] = '\0';
	} else if (!mc_parse_uint(line + i, j - i, ~0ULL, &out->size)) {
		return MC_EPROTO;
	}
	return 0;
}

/* Turn the data of a UIDL or LIST answer into entries. */
static int
parse_entries(struct pop3_client *c, bool with_uid)
{
	const char *p = buf_cstr(&c->data);
	size_t len = buf_len(&c->data), n = 0;

	free(c->entries);
	c->entries = NULL;
	c->nentries = 0;
	for (size_t i = 0; i < len; i++)
		if (p[i] == '\n')
			n++;
	if (n > POP3_LIST_MAX)
		return MC_ELIMIT;
	c->entries = xcalloc(n + 1, sizeof(*c->entries));
	while (len > 0) {
		const char *nl = memchr(p, '\n', len);
		size_t ll = nl ? (size_t)(nl - p) : len;
		size_t l2 = ll;
		if (l2 > 0 && p[l2 - 1] == '\r')
			l2--;
		if (l2 > 0) {
			int rc = pop3_parse_entry(p, l2, with_uid,
			                          &c->entries[c->nentries]);
			if (rc != 0)
				return rc;
			c->nentries++;
		}
		if (nl == NULL)
			break;
		len -= ll + 1;
		p = nl + 1;
	}
	return 0;
}

/* Record the CAPA answer. */
static void
parse_caps(struct pop3_client *c)
{
	const char *p = buf_cstr(&c->data);
	size_t len = buf_len(&c->data), o = 0;

	c->caps[0] = '\0';
	c->cap_stls = c->cap_sasl = c->cap_user = false;
	c->sasl_offered[0] = '\0';
	while (len > 0) {
		const char *nl = memchr(p, '\n', len);
		size_t ll = nl ? (size_t)(nl - p) : len, l2 = ll;
		if (l2 > 0 && p[l2 - 1] == '\r')
			l2--;
		if (mc_ieq(p, l2, "STLS"))
			c->cap_stls = true;
		else if (mc_ieq(p, l2, "USER"))
			c->cap_user = true;
		else if (mc_istarts(p, l2, "SASL ") && l2 - 5 < 512) {
			c->cap_sasl = true;
			memcpy(c->sasl_offered, p + 5, l2 - 5);
			c->sasl_offered[l2 - 5] = '\0';
		}
		if (o + l2 + 2 < sizeof(c->caps)) {
			if (o)
				c->caps[o++] = ' ';
			memcpy(c->caps + o, p, l2);
			o += l2;
			c->caps[o] = '\0';
		}
		if (nl == NULL)
			break;
		len -= ll + 1;
		p = nl + 1;
	}
}

/* MD5(timestamp secret) in hex, for APOP. */
static void
apop_digest(const char *ts, const char *secret, char hex[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *x = EVP_MD_CTX_new();

	EVP_DigestInit_ex(x, EVP_md5(), NULL);
	EVP_DigestUpdate(x, ts, strlen(ts));
	EVP_DigestUpdate(x, secret, strlen(secret));
	EVP_DigestFinal_ex(x, md, &mdlen);
	EVP_MD_CTX_free(x);
	for (unsigned i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	explicit_bzero(md, sizeof(md));
}

/* Log in, choosing the way as the configuration and the server allow. */
static void
enter_auth(struct pop3_client *c, uint64_t now)
{
	enum pop3_auth how = c->cfg.auth;
	bool clear_ok = c->tls_active || c->cfg.allow_cleartext;

	if (how == POP3_AUTH_CHOOSE || how == POP3_AUTH_SASL) {
		enum sasl_mech m = SASL_NONE;
		if (c->cap_sasl)
			m = sasl_choose(c->sasl_offered,
			                strlen(c->sasl_offered), c->tls_active,
			                c->cfg.sasl_mech);
		if (m == SASL_NONE && c->cap_sasl && clear_ok &&
		    c->cfg.sasl_mech == SASL_NONE)
			m = sasl_choose(c->sasl_offered,
			                strlen(c->sasl_offered), true,
			                SASL_NONE);
		if (m != SASL_NONE && sasl_mech_is_cleartext(m) && !clear_ok)
			m = SASL_NONE;
		if (m != SASL_NONE) {
			struct buf ir;
			buf_init(&ir);
			sasl_client_init(&c->sasl, m, c->user, c->secret);
			c->sasl_on = true;
			if (sasl_client_initial(&c->sasl, &ir)) {
				char shown[64];
				snprintf(shown, sizeof(shown),
				         "AUTH %s <redacted>",
				         sasl_mech_name(m));
				cmd_write(c, shown, "AUTH %s %s",
				          sasl_mech_name(m),
				          buf_len(&ir) ? buf_cstr(&ir) : "=");
			} else {
				cmd_write(c, NULL, "AUTH %s",
				          sasl_mech_name(m));
			}
			if (ir.mem)
				explicit_bzero(ir.mem, ir.cap);
			buf_fini(&ir);
			wait_for(c, S_AUTH, now);
			return;
		}
		if (how == POP3_AUTH_SASL) {
			session_fail(c, MC_EUNSUPP,
			             "the server offers no usable SASL "
			             "mechanism (it offers: %s)%s",
			             c->cap_sasl ? c->sasl_offered : "none",
			             clear_ok ? ""
			                      : "; without TLS only CRAM-MD5 "
			                        "is used unless "
			                        "--allow-cleartext-auth");
			return;
		}
	}
	if ((how == POP3_AUTH_CHOOSE && c->timestamp[0] && !clear_ok) ||
	    how == POP3_AUTH_APOP) {
		char hex[33], shown[300];
		if (!c->timestamp[0]) {
			session_fail(c, MC_EUNSUPP,
			             "APOP asked for, but the greeting has no "
			             "timestamp");
			return;
		}
		apop_digest(c->timestamp, c->secret, hex);
		snprintf(shown, sizeof(shown), "APOP %s <redacted>", c->user);
		cmd_write(c, shown, "APOP %s %s", c->user, hex);
		explicit_bzero(hex, sizeof(hex));
		wait_for(c, S_APOP, now);
		return;
	}
	if (!clear_ok) {
		session_fail(c, MC_EAUTH,
		             "refusing to send the password in clear text "
		             "(no TLS, and the server offers neither CRAM-MD5 "
		             "nor APOP); use TLS or allow it with "
		             "--allow-cleartext-auth");
		return;
	}
	cmd_write(c, NULL, "USER %s", c->user);
	wait_for(c, S_USER, now);
}

/* After the greeting or STLS: ask for capabilities. */
static void
enter_capa(struct pop3_client *c, uint64_t now)
{
	cmd_write(c, NULL, "CAPA");
	wait_for(c, S_CAPA, now);
}

/* Decide on TLS once the capabilities are known. */
static void
after_capa(struct pop3_client *c, uint64_t now)
{
	if (c->cfg.tls == POP3_TLS_STLS && !c->tls_active) {
		if (!c->cap_stls) {
			session_fail(c, MC_EUNSUPP,
			             "the server does not offer STLS, and "
			             "STARTTLS was required");
			return;
		}
		cmd_write(c, NULL, "STLS");
		wait_for(c, S_STLS, now);
		return;
	}
	enter_auth(c, now);
}

/* Logged in. */
static void
enter_ready(struct pop3_client *c)
{
	struct pop3_event ev = {.type = POP3_EV_READY};

	if (c->sasl_on) {
		sasl_client_fini(&c->sasl);
		c->sasl_on = false;
	}
	pop3_client_enter(c, S_READY);
	c->waiting = false;
	push_event(c, &ev);
}

/* The command's answer is complete. */
static void
cmd_done(struct pop3_client *c, bool ok)
{
	struct pop3_event ev = {.type = POP3_EV_DONE, .cmd = c->cmd, .ok = ok};

	ev.text = c->status;
	if (ok && (c->cmd == POP3_CMD_RETR || c->cmd == POP3_CMD_TOP)) {
		ev.data = buf_data(&c->data);
		ev.data_len = buf_len(&c->data);
		ev.truncated = c->truncated;
	}
	/* After QUIT's answer the caller moves to S_CLOSED. */
	if (c->state != S_QUIT)
		pop3_client_enter(c, S_READY);
	c->waiting = false;
	push_event(c, &ev);
}

/* Is the command's +OK followed by data lines? */
static bool
cmd_is_multi(enum pop3_cmd cmd)
{
	return cmd == POP3_CMD_LIST || cmd == POP3_CMD_UIDL ||
	       cmd == POP3_CMD_RETR || cmd == POP3_CMD_TOP;
}

/* A multi-line answer ended. */
static void
on_multi_end(struct pop3_client *c, uint64_t now)
{
	int rc;

	c->multi = false;
	if (c->state == S_CAPA) {
		parse_caps(c);
		after_capa(c, now);
		return;
	}
	assert(c->state == S_CMD);
	if (c->cmd == POP3_CMD_UIDL || c->cmd == POP3_CMD_LIST) {
		if (c->truncated) {
			session_fail(c, MC_ELIMIT,
			             "the %s answer is over %zu bytes",
			             strcmd[c->cmd], c->limit);
			return;
		}
		rc = parse_entries(c, c->cmd == POP3_CMD_UIDL);
		if (rc != 0) {
			session_fail(c, rc, "a malformed %s answer",
			             strcmd[c->cmd]);
			return;
		}
	}
	cmd_done(c, true);
}

/* One status line from the server (without its line end). */
static void
on_line(struct pop3_client *c, const char *line, size_t len, uint64_t now)
{
	bool ok = mc_istarts(line, len, "+OK");
	bool err = mc_istarts(line, len, "-ERR");
	bool cont = !ok && len >= 1 && line[0] == '+';
	const char *text = line;

	trace(c, 'S', line, len);
	if (ok)
		text = line + 3;
	else if (err)
		text = line + 4;
	else if (cont)
		text = line + 1;
	while (*text == ' ')
		text++;
	mc_strlcpy(c->status, text, sizeof(c->status));
	if (!ok && !err && !(cont && c->state == S_AUTH)) {
		session_fail(c, MC_EPROTO,
		             "the server sent a line that is not +OK or -ERR "
		             "in state %s: %.80s",
		             strstate[c->state], line);
		return;
	}
	switch (c->state) {
	case S_GREETING: {
		if (!ok) {
			session_fail(c, MC_ETEMPFAIL,
			             "the server refused the session: %s",
			             c->status);
			return;
		}
		const char *lt = memchr(line, '<', len);
		const char *gt =
		    lt ? memchr(lt, '>', len - (size_t)(lt - line)) : NULL;
		if (lt && gt && memchr(lt, '@', (size_t)(gt - lt)) &&
		    (size_t)(gt - lt) + 2 < sizeof(c->timestamp)) {
			memcpy(c->timestamp, lt, (size_t)(gt - lt) + 1);
			c->timestamp[gt - lt + 1] = '\0';
		}
		enter_capa(c, now);
		return;
	}
	case S_CAPA:
		if (!ok) {
			/* No CAPA (RFC 1939 servers): assume USER. */
			buf_reset(&c->data);
			parse_caps(c);
			after_capa(c, now);
			return;
		}
		multi_begin(c, CAPS_MAX * 4);
		return;
	case S_STLS:
		if (!ok) {
			session_fail(c, MC_EUNSUPP, "STLS refused: %s",
			             c->status);
			return;
		}
		pop3_client_enter(c, S_TLS);
		c->waiting = false;
		{
			struct pop3_event ev = {.type = POP3_EV_STARTTLS};
			push_event(c, &ev);
		}
		return;
	case S_USER:
		if (!ok) {
			session_fail(c, MC_EAUTH, "USER refused: %s",
			             c->status);
			return;
		}
		cmd_write(c, "PASS <redacted>", "PASS %s", c->secret);
		wait_for(c, S_PASS, now);
		return;
	case S_PASS:
	case S_APOP:
		if (!ok) {
			session_fail(c, MC_EAUTH, "login refused: %s",
			             c->status);
			return;
		}
		enter_ready(c);
		return;
	case S_AUTH:
		if (cont) {
			struct buf r;
			buf_init(&r);
			if (sasl_client_step(&c->sasl, text, strlen(text),
			                     &r) != 0) {
				buf_fini(&r);
				session_fail(c, MC_EPROTO,
				             "a bad SASL challenge: %.80s",
				             text);
				return;
			}
			cmd_write(c, "<redacted>", "%s", buf_cstr(&r));
			if (r.mem)
				explicit_bzero(r.mem, r.cap);
			buf_fini(&r);
			c->wait_since = now;
			return;
		}
		if (!ok) {
			session_fail(c, MC_EAUTH, "authentication failed: %s",
			             c->status);
			return;
		}
		enter_ready(c);
		return;
	case S_CMD:
		if (ok && cmd_is_multi(c->cmd)) {
			multi_begin(c, c->cfg.max_message);
			return;
		}
		cmd_done(c, ok);
		return;
	case S_QUIT: {
		struct pop3_event ev = {.type = POP3_EV_CLOSED, .err = 0};
		c->cmd = POP3_CMD_QUIT;
		cmd_done(c, ok);
		pop3_client_enter(c, S_CLOSED);
		push_event(c, &ev);
		return;
	}
	default:
		session_fail(c, MC_EPROTO,
		             "the server spoke out of turn (state %s): %.80s",
		             strstate[c->state], line);
		return;
	}
}

struct pop3_client *
pop3_client_new(const struct pop3_client_config *cfg)
{
	struct pop3_client *c = xcalloc(1, sizeof(*c));

	c->cfg = *cfg;
	c->user = xstrdup(cfg->user ? cfg->user : "");
	mc_strlcpy(c->log_name, cfg->log_name ? cfg->log_name : "",
	           sizeof(c->log_name));
	c->cfg.log_name = NULL;
	c->secret = xstrdup(cfg->secret ? cfg->secret : "");
	c->cfg.user = c->user;
	c->cfg.secret = c->secret;
	if (c->cfg.max_message == 0)
		c->cfg.max_message = POP3_MESSAGE_DEFAULT;
	if (c->cfg.timeout_ms == 0)
		c->cfg.timeout_ms = POP3_TIMEOUT_DEFAULT;
	buf_init(&c->in);
	buf_init(&c->out);
	buf_init(&c->data);
	return c;
}

void
pop3_client_free(struct pop3_client *c)
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
	buf_fini(&c->in);
	buf_fini(&c->out);
	buf_fini(&c->data);
	free(c->entries);
	free(c);
}

void
pop3_client_start(struct pop3_client *c, bool tls_active, uint64_t now_ms)
{
	char why[128];

	c->tls_active = tls_active;
	wait_for(c, S_GREETING, now_ms);
	/* USER, PASS, APOP and AUTH carry these: refused before a byte. */
	if (sasl_credentials_check(c->user, c->secret, why, sizeof(why)) != 0)
		session_fail(c, MC_EINVAL, "%s", why);
}

int
pop3_client_feed(struct pop3_client *c, const void *data, size_t len,
                 uint64_t now_ms)
{
	buf_append(&c->in, data, len);
	while (c->state != S_CLOSED && buf_len(&c->in) > 0) {
		const char *p = buf_cstr(&c->in);
		size_t n = buf_len(&c->in);
		if (c->multi) {
			bool done;
			size_t used = multi_read(c, p, n, &done);
			buf_consume(&c->in, used);
			if (!done)
				break;
			on_multi_end(c, now_ms);
			continue;
		}
		if (c->state == S_TLS) {
			session_fail(c, MC_EPROTO,
			             "the server sent data after accepting "
			             "STLS (a command injection?)");
			break;
		}
		const char *nl = memchr(p, '\n', n);
		if (nl == NULL) {
			if (n > POP3_LINE_MAX)
				session_fail(c, MC_ELIMIT,
				             "a status line over %d bytes",
				             POP3_LINE_MAX);
			break;
		}
		size_t ll = (size_t)(nl - p), l2 = ll;
		if (l2 > POP3_LINE_MAX) {
			session_fail(c, MC_ELIMIT,
			             "a status line over %d bytes",
			             POP3_LINE_MAX);
			break;
		}
		if (l2 > 0 && p[l2 - 1] == '\r')
			l2--;
		char line[POP3_LINE_MAX + 1];
		memcpy(line, p, l2);
		line[l2] = '\0';
		buf_consume(&c->in, ll + 1);
		on_line(c, line, l2, now_ms);
	}
	if (c->state == S_CLOSED)
		buf_reset(&c->in);
	return c->state == S_CLOSED ? c->fail_err : 0;
}

void
pop3_client_eof(struct pop3_client *c, uint64_t now_ms)
{
	(void)now_ms;
	session_fail(c, MC_ECLOSED,
	             "the server closed the connection (state %s)",
	             strstate[c->state]);
}

void
pop3_client_abort(struct pop3_client *c, int err, const char *why,
                  uint64_t now_ms)
{
	(void)now_ms;
	session_fail(c, err, "%s", why);
}

const unsigned char *
pop3_client_output(struct pop3_client *c, size_t *len)
{
	*len = buf_len(&c->out);
	return buf_data(&c->out);
}

void
pop3_client_sent(struct pop3_client *c, size_t n, uint64_t now_ms)
{
	(void)now_ms;
	/* The output held credentials: wipe what was sent. */
	if (n > 0 && c->out.mem)
		explicit_bzero(c->out.mem + c->out.off, n);
	buf_consume(&c->out, n);
}

void
pop3_client_tls_done(struct pop3_client *c, bool ok, const char *why,
                     uint64_t now_ms)
{
	if (c->state != S_TLS)
		return;
	if (!ok) {
		session_fail(c, MC_ETLS, "%s", why ? why : "TLS failed");
		return;
	}
	c->tls_active = true;
	buf_reset(&c->in);
	enter_capa(c, now_ms);
}

int
pop3_client_command(struct pop3_client *c, enum pop3_cmd cmd,
                    unsigned long arg1, unsigned long arg2, uint64_t now_ms)
{
	if (c->state == S_CMD)
		return MC_EAGAIN;
	if (c->state != S_READY)
		return MC_EINVAL;
	c->cmd = cmd;
	switch (cmd) {
	case POP3_CMD_STAT:
	case POP3_CMD_LIST:
	case POP3_CMD_UIDL:
	case POP3_CMD_NOOP:
	case POP3_CMD_RSET:
		cmd_write(c, NULL, "%s", strcmd[cmd]);
		break;
	case POP3_CMD_RETR:
	case POP3_CMD_DELE:
		if (arg1 == 0)
			return MC_EINVAL;
		cmd_write(c, NULL, "%s %lu", strcmd[cmd], arg1);
		break;
	case POP3_CMD_TOP:
		if (arg1 == 0)
			return MC_EINVAL;
		cmd_write(c, NULL, "TOP %lu %lu", arg1, arg2);
		break;
	case POP3_CMD_QUIT:
		cmd_write(c, NULL, "QUIT");
		wait_for(c, S_QUIT, now_ms);
		return 0;
	default:
		return MC_EINVAL;
	}
	wait_for(c, S_CMD, now_ms);
	return 0;
}

uint64_t
pop3_client_deadline(const struct pop3_client *c)
{
	return c->waiting ? c->wait_since + c->cfg.timeout_ms : 0;
}

void
pop3_client_tick(struct pop3_client *c, uint64_t now_ms)
{
	if (c->waiting && now_ms >= c->wait_since + c->cfg.timeout_ms)
		session_fail(c, MC_ETIMEDOUT,
		             "no answer from the server in %u ms (state %s)",
		             (unsigned)c->cfg.timeout_ms, strstate[c->state]);
}

bool
pop3_client_next_event(struct pop3_client *c, struct pop3_event *ev)
{
	if (c->ev_len == 0)
		return false;
	*ev = c->evq[c->ev_head];
	c->ev_head = (c->ev_head + 1) % EVQ_MAX;
	c->ev_len--;
	return true;
}

const struct pop3_entry *
pop3_client_entries(const struct pop3_client *c, size_t *n)
{
	*n = c->nentries;
	return c->entries;
}

const char *
pop3_client_capabilities(const struct pop3_client *c)
{
	return c->caps;
}

bool
pop3_client_tls_active(const struct pop3_client *c)
{
	return c->tls_active;
}

const char *
pop3_client_last_error(const struct pop3_client *c)
{
	return c->last_error;
}

const char *
pop3_cmd_name(enum pop3_cmd cmd)
{
	return cmd <= POP3_CMD_QUIT ? strcmd[cmd] : "?";
}
