/*
 * test_pop3_client.c — the sans-I/O POP3 client: golden transcripts of
 * tests/transcripts/pop3/ (see mailbox_transcript.h for the format) and
 * unit tests of the UIDL/LIST line parser.
 *
 * POP3 keys.  Before @ start: tls none|stls|implicit, auth USER SECRET,
 * method choose|user|apop|sasl [MECH], cleartext, max BYTES, timeout MS.
 * After: cmd STAT|LIST|UIDL|RETR N|TOP N L|DELE N|NOOP|RSET|QUIT, tls-ok,
 * tls-fail, eof, tick MS.  Events: ready, starttls, closed OK|MC_E...,
 * done CMD OK|ERR [len=N] [truncated].  Queries: ? entries (N:UID or
 * N:SIZE, space-separated), ? data (escaped), ? error (last_error).
 */
#include "mailbox_transcript.h"

#include "proto/pop3_client.h"

struct pcfg {
	struct pop3_client_config cfg;
	char user[64], secret[64];
};

static struct buf last_data;
static bool last_list_uid;

/* make */
static void *
p_make(void *cfg)
{
	return pop3_client_new(&((struct pcfg *)cfg)->cfg);
}

/* destroy */
static void
p_destroy(void *core)
{
	pop3_client_free(core);
}

/* start */
static void
p_start(void *core, bool tls, uint64_t now)
{
	pop3_client_start(core, tls, now);
}

/* feed */
static void
p_feed(void *core, const void *p, size_t n, uint64_t now)
{
	pop3_client_feed(core, p, n, now);
}

/* output */
static const unsigned char *
p_output(void *core, size_t *n)
{
	return pop3_client_output(core, n);
}

/* sent */
static void
p_sent(void *core, size_t n, uint64_t now)
{
	pop3_client_sent(core, n, now);
}

/* event */
static bool
p_event(void *core, char *buf, size_t sz)
{
	struct pop3_event ev;

	if (!pop3_client_next_event(core, &ev))
		return false;
	switch (ev.type) {
	case POP3_EV_READY:
		snprintf(buf, sz, "ready");
		break;
	case POP3_EV_STARTTLS:
		snprintf(buf, sz, "starttls");
		break;
	case POP3_EV_CLOSED:
		snprintf(buf, sz, "closed %s",
		         ev.err ? mc_errname(ev.err) : "OK");
		break;
	case POP3_EV_DONE: {
		int o = snprintf(buf, sz, "done %s %s", pop3_cmd_name(ev.cmd),
		                 ev.ok ? "OK" : "ERR");
		if (ev.data) {
			o += snprintf(buf + o, sz - (size_t)o, " len=%zu",
			              ev.data_len);
			buf_reset(&last_data);
			buf_append(&last_data, ev.data, ev.data_len);
		}
		if (ev.truncated)
			snprintf(buf + o, sz - (size_t)o, " truncated");
		last_list_uid = ev.cmd == POP3_CMD_UIDL;
		break;
	}
	default:
		snprintf(buf, sz, "?");
	}
	return true;
}

/* config */
static bool
p_config(void *cfgp, const char *key, const char *args)
{
	struct pcfg *p = cfgp;
	char a[64] = "", b[64] = "";

	sscanf(args, "%63s %63s", a, b);
	if (strcmp(key, "tls") == 0) {
		p->cfg.tls = strcmp(a, "stls") == 0       ? POP3_TLS_STLS
		             : strcmp(a, "implicit") == 0 ? POP3_TLS_IMPLICIT
		                                          : POP3_TLS_NONE;
	} else if (strcmp(key, "auth") == 0) {
		tr_unescape(a, p->user, sizeof(p->user));
		tr_unescape(b, p->secret, sizeof(p->secret));
	} else if (strcmp(key, "method") == 0) {
		p->cfg.auth = strcmp(a, "user") == 0   ? POP3_AUTH_USER
		              : strcmp(a, "apop") == 0 ? POP3_AUTH_APOP
		              : strcmp(a, "sasl") == 0 ? POP3_AUTH_SASL
		                                       : POP3_AUTH_CHOOSE;
		if (b[0])
			p->cfg.sasl_mech = sasl_mech_lookup(b, strlen(b));
	} else if (strcmp(key, "cleartext") == 0) {
		p->cfg.allow_cleartext = true;
	} else if (strcmp(key, "max") == 0) {
		p->cfg.max_message = (size_t)strtoul(a, NULL, 10);
	} else if (strcmp(key, "timeout") == 0) {
		p->cfg.timeout_ms = (uint32_t)strtoul(a, NULL, 10);
	} else {
		return false;
	}
	return true;
}

/* action */
static bool
p_action(void *core, const char *key, const char *args, uint64_t *now)
{
	if (strcmp(key, "cmd") == 0) {
		static const char *const names[] = {
		    "",    "STAT", "LIST", "UIDL", "RETR",
		    "TOP", "DELE", "NOOP", "RSET", "QUIT"};
		char c[16] = "";
		unsigned long a1 = 0, a2 = 0;
		sscanf(args, "%15s %lu %lu", c, &a1, &a2);
		for (int i = 1; i <= POP3_CMD_QUIT; i++)
			if (strcmp(c, names[i]) == 0)
				return pop3_client_command(core, i, a1, a2,
				                           *now) == 0;
		return false;
	}
	if (strcmp(key, "tls-ok") == 0)
		pop3_client_tls_done(core, true, NULL, *now);
	else if (strcmp(key, "tls-fail") == 0)
		pop3_client_tls_done(core, false, "handshake failed", *now);
	else if (strcmp(key, "eof") == 0)
		pop3_client_eof(core, *now);
	else if (strcmp(key, "tick") == 0) {
		*now += strtoull(args, NULL, 10);
		if (pop3_client_deadline(core) &&
		    *now >= pop3_client_deadline(core))
			pop3_client_tick(core, *now);
	} else
		return false;
	return true;
}

/* query */
static bool
p_query(void *core, const char *key, char *buf, size_t sz)
{
	if (strcmp(key, "entries") == 0) {
		size_t n, o = 0;
		const struct pop3_entry *e = pop3_client_entries(core, &n);
		buf[0] = '\0';
		for (size_t i = 0; i < n && o + 100 < sz; i++) {
			if (last_list_uid)
				o += (size_t)snprintf(buf + o, sz - o,
				                      "%s%lu:%s", i ? " " : "",
				                      e[i].msgno, e[i].uid);
			else
				o += (size_t)snprintf(
				    buf + o, sz - o, "%s%lu:%llu", i ? " " : "",
				    e[i].msgno, e[i].size);
		}
		return true;
	}
	if (strcmp(key, "data") == 0) {
		tr_escape(buf_data(&last_data), buf_len(&last_data), buf, sz);
		return true;
	}
	if (strcmp(key, "error") == 0) {
		snprintf(buf, sz, "%s", pop3_client_last_error(core));
		return true;
	}
	return false;
}

static const struct tr_ops pop3_ops = {
    p_make, p_destroy, p_start,  p_feed,   p_output,
    p_sent, p_event,   p_config, p_action, p_query,
};

/* Fresh configuration for each run. */
static void
p_reset(void *cfgp)
{
	struct pcfg *p = cfgp;

	memset(p, 0, sizeof(*p));
	p->cfg.user = p->user;
	p->cfg.secret = p->secret;
}

/* Every golden transcript. */
static void
test_transcripts(void **state)
{
	struct pcfg cfg;

	(void)state;
	buf_init(&last_data);
	tr_run_dir("pop3", &pop3_ops, &cfg, p_reset);
	buf_fini(&last_data);
}

/* UIDL and LIST lines: good ones and the limits. */
static void
test_parse_entry(void **state)
{
	struct pop3_entry e;
	char big[100];

	(void)state;
	assert_int_equal(pop3_parse_entry("3 abc-DEF", 9, true, &e), 0);
	assert_int_equal(e.msgno, 3);
	assert_string_equal(e.uid, "abc-DEF");
	assert_int_equal(pop3_parse_entry("12 4096", 7, false, &e), 0);
	assert_int_equal(e.size, 4096);
	assert_int_equal(pop3_parse_entry("x 1", 3, true, &e), MC_EPROTO);
	assert_int_equal(pop3_parse_entry("1 ", 2, true, &e), MC_EPROTO);
	assert_int_equal(pop3_parse_entry("1 12x", 5, false, &e), MC_EPROTO);
	memset(big, 'u', sizeof(big));
	big[0] = '1';
	big[1] = ' ';
	assert_int_equal(pop3_parse_entry(big, sizeof(big), true, &e),
	                 MC_ELIMIT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_transcripts),
	    cmocka_unit_test(test_parse_entry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
