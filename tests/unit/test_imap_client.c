/*
 * test_imap_client.c — the sans-I/O IMAP client: golden transcripts of
 * tests/transcripts/imap/ (format: mailbox_transcript.h) and unit tests of
 * the response reader (literals, limits, dropped literals).
 *
 * IMAP keys.  Before @ start: tls none|starttls|implicit, auth USER
 * SECRET, mech MECH, cleartext, max BYTES, timeout MS.  After: cmd SELECT
 * BOX | SEARCH CRITERIA | FETCH UID | MOVE UID BOX | DELETE UID | CREATE
 * BOX | IDLE | NOOP | LOGOUT, idle-done, tls-ok, tls-fail, eof, tick MS.
 * Events: ready, starttls, wake, closed OK|MC_E..., done CMD OK|ERR
 * [len=N] [truncated] [size=N].  Queries: ? uids, ? uidvalidity,
 * ? exists, ? data, ? error.
 */
#include "mailbox_transcript.h"

#include "proto/imap_client.h"

struct icfg {
	struct imap_client_config cfg;
	char user[64], secret[64];
};

static struct buf last_data;

/* make */
static void *
i_make(void *cfg)
{
	return imap_client_new(&((struct icfg *)cfg)->cfg);
}

/* destroy */
static void
i_destroy(void *core)
{
	imap_client_free(core);
}

/* start */
static void
i_start(void *core, bool tls, uint64_t now)
{
	imap_client_start(core, tls, now);
}

/* feed */
static void
i_feed(void *core, const void *p, size_t n, uint64_t now)
{
	imap_client_feed(core, p, n, now);
}

/* output */
static const unsigned char *
i_output(void *core, size_t *n)
{
	return imap_client_output(core, n);
}

/* sent */
static void
i_sent(void *core, size_t n, uint64_t now)
{
	imap_client_sent(core, n, now);
}

/* event */
static bool
i_event(void *core, char *buf, size_t sz)
{
	struct imap_event ev;

	if (!imap_client_next_event(core, &ev))
		return false;
	switch (ev.type) {
	case IMAP_EV_READY:
		snprintf(buf, sz, "ready");
		break;
	case IMAP_EV_STARTTLS:
		snprintf(buf, sz, "starttls");
		break;
	case IMAP_EV_IDLE_WAKE:
		snprintf(buf, sz, "wake");
		break;
	case IMAP_EV_CLOSED:
		snprintf(buf, sz, "closed %s",
		         ev.err ? mc_errname(ev.err) : "OK");
		break;
	case IMAP_EV_DONE: {
		int o = snprintf(buf, sz, "done %s %s", imap_cmd_name(ev.cmd),
		                 ev.ok ? "OK" : "ERR");
		if (ev.data) {
			o += snprintf(buf + o, sz - (size_t)o, " len=%zu",
			              ev.data_len);
			buf_reset(&last_data);
			buf_append(&last_data, ev.data, ev.data_len);
		}
		if (ev.truncated)
			o += snprintf(buf + o, sz - (size_t)o, " truncated");
		if (ev.size)
			snprintf(buf + o, sz - (size_t)o, " size=%llu",
			         (unsigned long long)ev.size);
		break;
	}
	default:
		snprintf(buf, sz, "?");
	}
	return true;
}

/* config */
static bool
i_config(void *cfgp, const char *key, const char *args)
{
	struct icfg *p = cfgp;
	char a[64] = "", b[64] = "";

	sscanf(args, "%63s %63s", a, b);
	if (strcmp(key, "tls") == 0) {
		p->cfg.tls = strcmp(a, "starttls") == 0   ? IMAP_TLS_STARTTLS
		             : strcmp(a, "implicit") == 0 ? IMAP_TLS_IMPLICIT
		                                          : IMAP_TLS_NONE;
	} else if (strcmp(key, "auth") == 0) {
		tr_unescape(a, p->user, sizeof(p->user));
		tr_unescape(b, p->secret, sizeof(p->secret));
	} else if (strcmp(key, "mech") == 0) {
		p->cfg.sasl_mech = sasl_mech_lookup(a, strlen(a));
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
i_action(void *core, const char *key, const char *args, uint64_t *now)
{
	if (strcmp(key, "cmd") == 0) {
		char c[16] = "", a[128] = "", b[128] = "";
		sscanf(args, "%15s %127s %127s", c, a, b);
		for (int i = 1; i <= IMAP_CMD_LOGOUT; i++) {
			if (strcmp(c, imap_cmd_name(i)) != 0)
				continue;
			switch (i) {
			case IMAP_CMD_SELECT:
			case IMAP_CMD_CREATE:
				return imap_client_command(core, i, a, NULL, 0,
				                           *now) == 0;
			case IMAP_CMD_SEARCH: {
				const char *crit = args + strlen(c);
				while (*crit == ' ')
					crit++;
				return imap_client_command(core, i, NULL, crit,
				                           0, *now) == 0;
			}
			case IMAP_CMD_FETCH:
			case IMAP_CMD_DELETE:
				return imap_client_command(
				           core, i, NULL, NULL,
				           (uint32_t)strtoul(a, NULL, 10),
				           *now) == 0;
			case IMAP_CMD_MOVE:
				return imap_client_command(
				           core, i, b, NULL,
				           (uint32_t)strtoul(a, NULL, 10),
				           *now) == 0;
			default:
				return imap_client_command(core, i, NULL, NULL,
				                           0, *now) == 0;
			}
		}
		return false;
	}
	if (strcmp(key, "idle-done") == 0)
		imap_client_idle_done(core, *now);
	else if (strcmp(key, "tls-ok") == 0)
		imap_client_tls_done(core, true, NULL, *now);
	else if (strcmp(key, "tls-fail") == 0)
		imap_client_tls_done(core, false, "handshake failed", *now);
	else if (strcmp(key, "eof") == 0)
		imap_client_eof(core, *now);
	else if (strcmp(key, "tick") == 0) {
		*now += strtoull(args, NULL, 10);
		if (imap_client_deadline(core) &&
		    *now >= imap_client_deadline(core))
			imap_client_tick(core, *now);
	} else
		return false;
	return true;
}

/* query */
static bool
i_query(void *core, const char *key, char *buf, size_t sz)
{
	if (strcmp(key, "uids") == 0) {
		size_t n, o = 0;
		const uint32_t *u = imap_client_uids(core, &n);
		buf[0] = '\0';
		for (size_t i = 0; i < n && o + 20 < sz; i++)
			o += (size_t)snprintf(buf + o, sz - o, "%s%u",
			                      i ? " " : "", u[i]);
		return true;
	}
	if (strcmp(key, "uidvalidity") == 0) {
		snprintf(buf, sz, "%u", imap_client_uidvalidity(core));
		return true;
	}
	if (strcmp(key, "exists") == 0) {
		snprintf(buf, sz, "%u", imap_client_exists(core));
		return true;
	}
	if (strcmp(key, "data") == 0) {
		tr_escape(buf_data(&last_data), buf_len(&last_data), buf, sz);
		return true;
	}
	if (strcmp(key, "error") == 0) {
		snprintf(buf, sz, "%s", imap_client_last_error(core));
		return true;
	}
	return false;
}

static const struct tr_ops imap_ops = {
    i_make, i_destroy, i_start,  i_feed,   i_output,
    i_sent, i_event,   i_config, i_action, i_query,
};

/* Fresh configuration for each run. */
static void
i_reset(void *cfgp)
{
	struct icfg *p = cfgp;

	memset(p, 0, sizeof(*p));
	p->cfg.user = p->user;
	p->cfg.secret = p->secret;
}

/* Every golden transcript. */
static void
test_transcripts(void **state)
{
	struct icfg cfg;

	(void)state;
	buf_init(&last_data);
	tr_run_dir("imap", &imap_ops, &cfg, i_reset);
	buf_fini(&last_data);
}

/* The reader: a response with a literal, then one with a dropped one. */
static void
test_reader(void **state)
{
	struct imap_reader r;
	const char *in = "* 1 FETCH (BODY[] {5}\r\nab\r\nc)\r\nA1 OK done\r\n";
	const char *out;
	size_t used, olen, off = 0, len = strlen(in);
	bool trunc;

	(void)state;
	imap_reader_init(&r, 5);
	assert_int_equal(
	    imap_reader_feed(&r, in, len, &used, &out, &olen, &trunc), 1);
	assert_int_equal(olen, strlen("* 1 FETCH (BODY[] {5}\r\nab\r\nc)"));
	assert_memory_equal(out, "* 1 FETCH (BODY[] {5}\r\nab\r\nc)", olen);
	assert_false(trunc);
	off += used;
	assert_int_equal(imap_reader_feed(&r, in + off, len - off, &used, &out,
	                                  &olen, &trunc),
	                 1);
	assert_memory_equal(out, "A1 OK done", olen);
	imap_reader_fini(&r);

	/* Over the literal limit: read through, kept as {0}. */
	imap_reader_init(&r, 3);
	assert_int_equal(
	    imap_reader_feed(&r, in, len, &used, &out, &olen, &trunc), 1);
	assert_true(trunc);
	assert_string_equal(out, "* 1 FETCH (BODY[] {0}\r\n)");
	imap_reader_fini(&r);
}

/* A line over IMAP_LINE_MAX fails the reader for good. */
static void
test_reader_limits(void **state)
{
	struct imap_reader r;
	char *big = xmalloc(IMAP_LINE_MAX + 10);
	const char *out;
	size_t used, olen;
	bool trunc;

	(void)state;
	memset(big, 'x', IMAP_LINE_MAX + 10);
	imap_reader_init(&r, 100);
	assert_int_equal(imap_reader_feed(&r, big, IMAP_LINE_MAX + 10, &used,
	                                  &out, &olen, &trunc),
	                 MC_ELIMIT);
	assert_int_equal(
	    imap_reader_feed(&r, "\r\n", 2, &used, &out, &olen, &trunc),
	    MC_ELIMIT);
	imap_reader_fini(&r);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_transcripts),
	    cmocka_unit_test(test_reader),
	    cmocka_unit_test(test_reader_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
