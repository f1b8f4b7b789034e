/*
 * cmd_send.c — `mailcast send`: one message to one or more recipients,
 * swaks-like, printing for every recipient what the server answered; or,
 * with --count, a load test over reused connections.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "base/clock.h"
#include "base/error.h"
#include "base/log.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "cli/commands.h"
#include "cli/util.h"
#include "net/smtp_conn.h"
#include "net/tcp.h"
#include "net/tls.h"
#include "net/tls_probe.h"

#define SEND_WINDOW   4           /* transactions in flight per connection */
#define SEND_DATA_MAX (64u << 20) /* --data size limit */
#define SEND_RCPT_MAX 1000

struct send_run;

struct send_slot {
	struct send_run *run;
	struct smtp_conn *conn;
	struct smtp_txn txn[SEND_WINDOW];
	struct smtp_rcpt *rcpts[SEND_WINDOW];
	bool busy[SEND_WINDOW];
	size_t inflight;
	bool closed;
};

struct send_run {
	struct event_base *base;
	struct net_addrs addrs;
	struct smtp_conn_config ccfg;
	const unsigned char *body;
	size_t body_len;
	const char *from;
	const char **to;
	size_t nto;
	bool utf8;
	bool load; /* --count given: summary only */
	bool json; /* --json: one JSON object per line */
	bool transcript;
	long count, submitted, done;
	long delivered, failed_perm, failed_temp, not_attempted;
	struct send_slot *slots;
	long nslots, nclosed;
	int session_err;
	char session_why[1200];
	int worst_local; /* local errors (SIZE, SMTPUTF8 ...) */
	int exit_code;
};

static void
usage(FILE *fp)
{
	fprintf(
	    fp,
	    "usage: mailcast send --server HOST[:PORT] --from ADDR --to ADDR "
	    "[--to ADDR ...]\n"
	    "                     [--tls none|starttls|implicit|opportunistic] "
	    "[--data FILE|-]\n"
	    "                     [--helo NAME] [--auth-user USER "
	    "[--auth-password-file FILE]]\n"
	    "                     [--auth-mech MECH] [--ca-file FILE] "
	    "[--tls-verify yes|no]\n"
	    "                     [--timeout SECONDS] [--transcript] "
	    "[--count N --connections C]\n"
	    "                     [--no-pipelining] [--no-chunking] [--json]\n"
	    "\n"
	    "Sends one message and prints, for every recipient, the server's "
	    "reply.\n"
	    "  --server       the SMTP server; port 25 unless given\n"
	    "  --tls          starttls (default; implicit on port 465): "
	    "certificate and\n"
	    "                 host name are checked unless --tls-verify no\n"
	    "  --data         the message (RFC 5322, LF or CRLF); default: "
	    "a small test\n"
	    "  --auth-user    AUTH as USER; the password comes from "
	    "--auth-password-file\n"
	    "                 or the MAILCAST_AUTH_PASSWORD variable, never "
	    "from argv\n"
	    "  --transcript   print the dialogue (C: and S: lines; AUTH "
	    "redacted)\n"
	    "  --json         one JSON object per recipient (recipient, "
	    "delivered, code,\n"
	    "                 enhanced, text, queue_id), or the load summary\n"
	    "  --count N --connections C  send N copies over C reused "
	    "connections and\n"
	    "                 print messages/s\n"
	    "Exit: 0 all delivered; 69 refused (5xx); 75 deferred (4xx) or "
	    "timed out;\n"
	    "68 unknown host; 77 authentication failed; 64 usage; 65 bad "
	    "data.\n");
}

/* The test message sent when --data is not given. */
static unsigned char *
default_message(const char *from, const char *to, size_t *len)
{
	char date[64], host[128];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	net_helo_name(-1, host, sizeof(host));
	if (host[0] == '[')
		mc_strlcpy(host, "mailcast.invalid", sizeof(host));
	char *m =
	    xasprintf("Date: %s\r\n"
	              "From: <%s>\r\n"
	              "To: <%s>\r\n"
	              "Subject: mailcast test message\r\n"
	              "Message-ID: <%lld.%d@%s>\r\n"
	              "MIME-Version: 1.0\r\n"
	              "Content-Type: text/plain; charset=us-ascii\r\n"
	              "\r\n"
	              "This is a test message sent by mailcast send.\r\n",
	              date, from, to, (long long)now, (int)getpid(), host);
	*len = strlen(m);
	return (unsigned char *)m;
}

static void
trace_line(void *arg, char dir, const char *line, size_t len)
{
	(void)arg;
	printf("%c: %.*s\n", dir, (int)len, line);
}

static bool
has_8bit(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s & 0x80)
			return true;
	return false;
}

static void
fill_window(struct send_slot *s)
{
	struct send_run *r = s->run;

	for (int i = 0; i < SEND_WINDOW && r->submitted < r->count; i++) {
		if (s->busy[i])
			continue;
		struct smtp_txn *t = &s->txn[i];
		memset(t, 0, sizeof(*t));
		t->mail_from = r->from;
		t->rcpts = s->rcpts[i];
		t->nrcpts = r->nto;
		for (size_t j = 0; j < r->nto; j++) {
			memset(&t->rcpts[j], 0, sizeof(t->rcpts[j]));
			t->rcpts[j].addr = r->to[j];
		}
		t->body = r->body;
		t->body_len = r->body_len;
		t->smtputf8 = r->utf8;
		t->user = &s->busy[i];
		s->busy[i] = true;
		s->inflight++;
		r->submitted++;
		smtp_conn_submit(s->conn, t);
		if (s->closed)
			return;
	}
}

static void
on_ready(struct smtp_conn *conn, void *arg)
{
	struct send_slot *s = arg;
	const char *tls = smtp_conn_tls_info(conn);

	if (s->run->transcript && tls[0])
		printf("* TLS: %s\n", tls);
	fill_window(s);
	if (s->inflight == 0)
		smtp_conn_quit(conn);
}

static int
result_exit(const struct smtp_result *r)
{
	if (r->code >= 500)
		return EX_UNAVAILABLE;
	if (r->code >= 400)
		return EX_TEMPFAIL;
	return r->err ? mc_exit_code(r->err) : EX_TEMPFAIL;
}

/* How serious an exit code is: permanent > bad data > temporary > ok. */
static int
exit_rank(int ex)
{
	switch (ex) {
	case EX_OK:
		return 0;
	case EX_TEMPFAIL:
		return 1;
	case EX_DATAERR:
		return 2;
	default:
		return 3;
	}
}

static void
worse(int *cur, int ex)
{
	if (exit_rank(ex) > exit_rank(*cur))
		*cur = ex;
}

/* One recipient's outcome as a JSON line (--json). */
static void
print_json_result(const struct smtp_rcpt *rc, const struct smtp_txn *t)
{
	const struct smtp_result *res = &rc->result;
	bool ok = rc->state == SMTP_RCPT_DELIVERED;
	json_t *o = json_pack("{s:s, s:b, s:i, s:s, s:s}", "recipient",
	                      rc->addr, "delivered", ok, "code", res->code,
	                      "enhanced", res->enh, "text", res->text);

	if (ok && t->queue_id[0])
		json_object_set_new(o, "queue_id", json_string(t->queue_id));
	if (!ok && res->code == 0)
		json_object_set_new(o, "error",
		                    json_string(mc_errname(res->err)));
	char *line = json_dumps(o, JSON_COMPACT);
	puts(line);
	free(line);
	json_decref(o);
}

static void
on_txn_done(struct smtp_conn *conn, struct smtp_txn *t, void *arg)
{
	struct send_slot *s = arg;
	struct send_run *r = s->run;

	*(bool *)t->user = false;
	s->inflight--;
	r->done++;
	if (!t->attempted) {
		r->not_attempted++;
	} else {
		for (size_t i = 0; i < t->nrcpts; i++) {
			const struct smtp_rcpt *rc = &t->rcpts[i];
			if (rc->state == SMTP_RCPT_DELIVERED) {
				r->delivered++;
			} else {
				int ex = result_exit(&rc->result);
				if (ex == EX_UNAVAILABLE)
					r->failed_perm++;
				else
					r->failed_temp++;
				worse(&r->exit_code, ex);
			}
			if (r->load)
				continue;
			const struct smtp_result *res = &rc->result;
			if (r->json) {
				print_json_result(rc, t);
				continue;
			}
			if (res->code)
				printf("%s: %d%s%s %s\n", rc->addr, res->code,
				       res->enh[0] ? " " : "", res->enh,
				       res->text);
			else
				printf("%s: not sent: %s\n", rc->addr,
				       res->text);
		}
		if (!r->load && t->queue_id[0])
			log_info("queue id %s", t->queue_id);
	}
	if (s->closed)
		return;
	fill_window(s);
	if (s->inflight == 0 && r->submitted >= r->count)
		smtp_conn_quit(conn);
}

static void
on_closed(struct smtp_conn *conn, int err, const char *why, void *arg)
{
	struct send_slot *s = arg;
	struct send_run *r = s->run;

	(void)conn;
	s->closed = true;
	if (err && r->session_err == 0) {
		r->session_err = err;
		mc_strlcpy(r->session_why, why, sizeof(r->session_why));
		/* A silent server on a plain connection may want TLS first. */
		if (err == MC_ETIMEDOUT && strstr(why, "no greeting") &&
		    r->ccfg.smtp.tls != SMTP_TLS_IMPLICIT &&
		    tls_probe(&r->addrs, 3000)) {
			snprintf(
			    r->session_why, sizeof(r->session_why),
			    "%s: port %d expects TLS from the first byte (use "
			    "--tls implicit)",
			    why, r->addrs.port);
		}
	}
	if (++r->nclosed == r->nslots)
		event_base_loopbreak(r->base);
}

int
cmd_send(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"server", required_argument, NULL, 's'},
	    {"tls", required_argument, NULL, 'T'},
	    {"from", required_argument, NULL, 'f'},
	    {"to", required_argument, NULL, 't'},
	    {"data", required_argument, NULL, 'd'},
	    {"helo", required_argument, NULL, 'H'},
	    {"auth-user", required_argument, NULL, 'u'},
	    {"auth-password-file", required_argument, NULL, 'p'},
	    {"auth-mech", required_argument, NULL, 'm'},
	    {"ca-file", required_argument, NULL, 'C'},
	    {"tls-verify", required_argument, NULL, 'V'},
	    {"timeout", required_argument, NULL, 'w'},
	    {"transcript", no_argument, NULL, 'x'},
	    {"json", no_argument, NULL, 'J'},
	    {"count", required_argument, NULL, 'n'},
	    {"connections", required_argument, NULL, 'c'},
	    {"no-pipelining", no_argument, NULL, 'P'},
	    {"no-chunking", no_argument, NULL, 'K'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct send_run r;
	const char *server = NULL, *tls = NULL, *data = NULL, *helo = NULL;
	const char *auth_user = NULL, *pwfile = NULL, *mech = NULL;
	const char *ca_file = NULL;
	bool verify = true;
	long timeout = 0, count = 1, conns = 1;
	char err[1200], host[256];
	char secret[1024] = "";
	int port, ch, rc = EX_SOFTWARE;
	unsigned char *body = NULL;

	memset(&r, 0, sizeof(r));
	r.json = cli_globals.json;
	r.to = xcalloc(SEND_RCPT_MAX, sizeof(*r.to));
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			server = optarg;
			break;
		case 'T':
			tls = optarg;
			break;
		case 'f':
			r.from = optarg;
			break;
		case 't':
			if (r.nto == SEND_RCPT_MAX) {
				fprintf(stderr,
				        "mailcast: send: more than %d "
				        "--to\n",
				        SEND_RCPT_MAX);
				goto usage_error;
			}
			r.to[r.nto++] = optarg;
			break;
		case 'd':
			data = optarg;
			break;
		case 'H':
			helo = optarg;
			break;
		case 'u':
			auth_user = optarg;
			break;
		case 'p':
			pwfile = optarg;
			break;
		case 'm':
			mech = optarg;
			break;
		case 'C':
			ca_file = optarg;
			break;
		case 'V':
			if (strcmp(optarg, "no") != 0 &&
			    strcmp(optarg, "yes") != 0) {
				fprintf(stderr, "mailcast: send: --tls-verify "
				                "takes yes or no\n");
				goto usage_error;
			}
			verify = strcmp(optarg, "yes") == 0;
			break;
		case 'w':
			if (!cli_parse_long(optarg, 1, 3600, &timeout)) {
				fprintf(stderr, "mailcast: send: --timeout "
				                "takes 1 to 3600 seconds\n");
				goto usage_error;
			}
			break;
		case 'x':
			r.transcript = true;
			break;
		case 'J':
			r.json = true;
			break;
		case 'n':
			if (!cli_parse_long(optarg, 1, 100000000, &count)) {
				fprintf(stderr, "mailcast: send: --count takes "
				                "a number from 1\n");
				goto usage_error;
			}
			r.load = true;
			break;
		case 'c':
			if (!cli_parse_long(optarg, 1, 1000, &conns)) {
				fprintf(stderr, "mailcast: send: --connections "
				                "takes 1 to 1000\n");
				goto usage_error;
			}
			break;
		case 'P':
			r.ccfg.smtp.no_pipelining = true;
			break;
		case 'K':
			r.ccfg.smtp.no_chunking = true;
			break;
		case 'h':
			usage(stdout);
			free(r.to);
			return EX_OK;
		default:
			goto usage_error;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mailcast: send: unexpected argument \"%s\"\n",
		        argv[optind]);
		goto usage_error;
	}
	if (server == NULL || r.from == NULL || r.nto == 0) {
		fprintf(stderr, "mailcast: send: --server, --from and --to are "
		                "required\n");
		goto usage_error;
	}
	if (net_parse_hostport(server, 25, host, sizeof(host), &port) != 0) {
		fprintf(stderr,
		        "mailcast: send: --server \"%s\" is not HOST[:PORT]\n",
		        server);
		goto usage_error;
	}
	if (tls == NULL)
		r.ccfg.smtp.tls =
		    port == 465 ? SMTP_TLS_IMPLICIT : SMTP_TLS_REQUIRE;
	else if (strcmp(tls, "none") == 0)
		r.ccfg.smtp.tls = SMTP_TLS_NONE;
	else if (strcmp(tls, "starttls") == 0)
		r.ccfg.smtp.tls = SMTP_TLS_REQUIRE;
	else if (strcmp(tls, "implicit") == 0)
		r.ccfg.smtp.tls = SMTP_TLS_IMPLICIT;
	else if (strcmp(tls, "opportunistic") == 0)
		r.ccfg.smtp.tls = SMTP_TLS_OPPORTUNISTIC;
	else {
		fprintf(stderr, "mailcast: send: --tls takes none, starttls, "
		                "implicit or opportunistic\n");
		goto usage_error;
	}
	if (mech) {
		r.ccfg.smtp.auth_mech = sasl_mech_lookup(mech, strlen(mech));
		if (r.ccfg.smtp.auth_mech == SASL_NONE) {
			fprintf(stderr,
			        "mailcast: send: unknown --auth-mech "
			        "\"%s\" (PLAIN, LOGIN, CRAM-MD5, "
			        "XOAUTH2)\n",
			        mech);
			goto usage_error;
		}
	}
	if (auth_user) {
		if (cli_read_secret(pwfile, "MAILCAST_AUTH_PASSWORD", secret,
		                    sizeof(secret), err, sizeof(err)) != 0) {
			fprintf(stderr, "mailcast: send: %s\n", err);
			rc = EX_CONFIG;
			goto done;
		}
		r.ccfg.smtp.auth_user = auth_user;
		r.ccfg.smtp.auth_secret = secret;
	} else if (pwfile) {
		fprintf(stderr, "mailcast: send: --auth-password-file needs "
		                "--auth-user\n");
		goto usage_error;
	}
	for (size_t i = 0; i < r.nto; i++)
		if (has_8bit(r.to[i]))
			r.utf8 = true;
	if (has_8bit(r.from))
		r.utf8 = true;
	if (data) {
		if (cli_read_file(data, SEND_DATA_MAX, &body, &r.body_len, err,
		                  sizeof(err)) != 0) {
			fprintf(stderr, "mailcast: send: --data: %s\n", err);
			rc = EX_NOINPUT;
			goto done;
		}
	} else {
		body = default_message(r.from, r.to[0], &r.body_len);
	}
	r.body = body;
	r.count = count;

	rc = net_resolve(host, port, &r.addrs, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "mailcast: send: %s\n", err);
		rc = mc_exit_code(rc);
		goto done;
	}
	if (r.ccfg.smtp.tls != SMTP_TLS_NONE) {
		r.ccfg.tls_ctx =
		    tls_client_ctx_new(ca_file, verify, err, sizeof(err));
		if (r.ccfg.tls_ctx == NULL) {
			fprintf(stderr, "mailcast: send: %s\n", err);
			rc = EX_CONFIG;
			goto done;
		}
	}
	r.ccfg.tls_verify = verify;
	r.ccfg.addrs = &r.addrs;
	r.ccfg.smtp.helo_name = helo;
	if (timeout) {
		uint32_t ms = (uint32_t)timeout * 1000;
		struct smtp_timeouts *t = &r.ccfg.smtp.timeouts;
		r.ccfg.connect_timeout_ms = ms;
		t->greeting = t->command = t->mail = t->rcpt = t->data =
		    t->block = t->dot = ms;
	}
	if (r.transcript) {
		r.ccfg.smtp.trace = trace_line;
		setvbuf(stdout, NULL, _IOLBF, 0);
	}

	r.base = event_base_new();
	if (conns > count)
		conns = count;
	r.nslots = conns;
	r.slots = xcalloc((size_t)conns, sizeof(*r.slots));
	static const struct smtp_conn_cbs cbs = {on_ready, on_txn_done,
	                                         on_closed};
	uint64_t t0 = mc_clock_mono_ms(mc_clock_system());
	for (long i = 0; i < conns; i++) {
		struct send_slot *s = &r.slots[i];
		s->run = &r;
		for (int w = 0; w < SEND_WINDOW; w++)
			s->rcpts[w] = xcalloc(r.nto, sizeof(struct smtp_rcpt));
		s->conn = smtp_conn_new(r.base, &r.ccfg, &cbs, s);
	}
	event_base_dispatch(r.base);
	uint64_t ms = mc_clock_mono_ms(mc_clock_system()) - t0;

	if (r.session_err &&
	    (r.delivered + r.failed_perm + r.failed_temp) == 0) {
		fprintf(stderr, "mailcast: send: %s\n", r.session_why);
		rc = mc_exit_code(r.session_err);
	} else {
		if (r.session_err)
			fprintf(stderr, "mailcast: send: %s\n", r.session_why);
		rc = r.exit_code;
		if (rc == EX_OK && (r.session_err || r.not_attempted))
			rc = EX_TEMPFAIL;
	}
	if (r.load && r.json) {
		double secs = ms ? (double)ms / 1000.0 : 0.001;
		long msgs = r.delivered / (long)r.nto;
		json_t *o = json_pack(
		    "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f}", "messages",
		    (json_int_t)msgs, "count", (json_int_t)count, "delivered",
		    (json_int_t)r.delivered, "refused",
		    (json_int_t)r.failed_perm, "deferred",
		    (json_int_t)r.failed_temp, "not_attempted",
		    (json_int_t)r.not_attempted, "connections",
		    (json_int_t)conns, "seconds", secs, "messages_per_second",
		    (double)msgs / secs);
		char *line = json_dumps(o, JSON_COMPACT);
		puts(line);
		free(line);
		json_decref(o);
	} else if (r.load) {
		double secs = ms ? (double)ms / 1000.0 : 0.001;
		printf("sent %ld of %ld messages (%ld recipients delivered, "
		       "%ld refused, %ld deferred, %ld not attempted) over %ld "
		       "connections in %.3f s: %.0f messages/s\n",
		       r.delivered / (long)r.nto, count, r.delivered,
		       r.failed_perm, r.failed_temp, r.not_attempted, conns,
		       secs, (double)(r.delivered / (long)r.nto) / secs);
	}
	for (long i = 0; i < conns; i++) {
		smtp_conn_free(r.slots[i].conn);
		for (int w = 0; w < SEND_WINDOW; w++)
			free(r.slots[i].rcpts[w]);
	}
	free(r.slots);
	event_base_free(r.base);
	goto done;

usage_error:
	usage(stderr);
	rc = EX_USAGE;
done:
	explicit_bzero(secret, sizeof(secret));
	if (r.ccfg.tls_ctx)
		SSL_CTX_free(r.ccfg.tls_ctx);
	free(body);
	free(r.to);
	return rc;
}
