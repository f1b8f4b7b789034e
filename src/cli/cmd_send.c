/*
 * cmd_send.c — `mailcast send`: one message to one or more recipients,
 * swaks-like, printing for every recipient what the server answered; or,
 * with --count, a load test over reused connections.  The sending is
 * app/send.h's; this file reads the flags and prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <jansson.h>

#include "app/send.h"
#include "base/error.h"
#include "cli/commands.h"
#include "cli/util.h"

static const char send_usage[] =
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
    "data.\n";

/* --tls-verify yes|no */
static int
parse_verify(void *dst, const char *arg)
{
	if (strcmp(arg, "no") != 0 && strcmp(arg, "yes") != 0) {
		fprintf(stderr,
		        "mailcast: send: --tls-verify takes yes or no\n");
		fputs(send_usage, stderr);
		return -1;
	}
	*(bool *)dst = strcmp(arg, "no") == 0;
	return 0;
}

/* A line of the dialogue (--transcript). */
static void
print_trace(void *arg, char dir, const char *line, size_t len)
{
	(void)arg;
	printf(dir == '*' ? "%c %.*s\n" : "%c: %.*s\n", dir, (int)len, line);
}

/* One recipient's outcome: a line, or a JSON object (--json). */
static void
print_result(void *arg, const struct app_send_result *r)
{
	(void)arg;
	if (!cli_globals.json) {
		if (r->code)
			printf("%s: %d%s%s %s\n", r->recipient, r->code,
			       r->enhanced[0] ? " " : "", r->enhanced, r->text);
		else
			printf("%s: not sent: %s\n", r->recipient, r->text);
		return;
	}
	json_t *o =
	    json_pack("{s:s, s:b, s:i, s:s, s:s}", "recipient", r->recipient,
	              "delivered", r->delivered, "code", r->code, "enhanced",
	              r->enhanced, "text", r->text);
	if (r->delivered && r->queue_id[0])
		json_object_set_new(o, "queue_id", json_string(r->queue_id));
	if (!r->delivered && r->code == 0)
		json_object_set_new(o, "error",
		                    json_string(mc_errname(r->err)));
	char *line = json_dumps(o, JSON_COMPACT);
	puts(line);
	free(line);
	json_decref(o);
}

/* The --count summary. */
static void
print_summary(const struct app_send_summary *s, long count)
{
	if (!cli_globals.json) {
		printf("sent %ld of %ld messages (%ld recipients delivered, "
		       "%ld refused, %ld deferred, %ld not attempted) over %ld "
		       "connections in %.3f s: %.0f messages/s\n",
		       s->messages, count, s->delivered, s->refused,
		       s->deferred, s->not_attempted, s->connections,
		       s->seconds, (double)s->messages / s->seconds);
		return;
	}
	json_t *o = json_pack(
	    "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f}", "messages",
	    (json_int_t)s->messages, "count", (json_int_t)count, "delivered",
	    (json_int_t)s->delivered, "refused", (json_int_t)s->refused,
	    "deferred", (json_int_t)s->deferred, "not_attempted",
	    (json_int_t)s->not_attempted, "connections",
	    (json_int_t)s->connections, "seconds", s->seconds,
	    "messages_per_second", (double)s->messages / s->seconds);
	char *line = json_dumps(o, JSON_COMPACT);
	puts(line);
	free(line);
	json_decref(o);
}

/* `mailcast send`. */
int
cmd_send(int argc, char **argv)
{
	static const char *to[APP_SEND_RCPT_MAX];
	struct app_send_opts o = {.to = to, .result = print_result};
	struct app_send_summary sum;
	struct cli_many many = {to, 0};
	const char *pwfile = NULL;
	bool transcript = false;
	struct cli_opt opts[] = {
	    CLI_O("server", CLI_STR, &o.server),
	    CLI_O("tls", CLI_STR, &o.tls),
	    CLI_O("from", CLI_STR, &o.from),
	    CLI_N("to", CLI_MANY, &many, 0, APP_SEND_RCPT_MAX,
	          "mailcast: send: more than 1000 --to"),
	    CLI_O("data", CLI_STR, &o.data),
	    CLI_O("helo", CLI_STR, &o.helo),
	    CLI_O("auth-user", CLI_STR, &o.auth_user),
	    CLI_O("auth-password-file", CLI_STR, &pwfile),
	    CLI_O("auth-mech", CLI_STR, &o.auth_mech),
	    CLI_O("ca-file", CLI_STR, &o.ca_file),
	    {"tls-verify", CLI_FN, &o.no_verify, .fn = parse_verify},
	    CLI_N("timeout", CLI_LONG, &o.timeout_s, 1, 3600,
	          "mailcast: send: --timeout takes 1 to 3600 seconds"),
	    CLI_O("transcript", CLI_FLAG, &transcript),
	    CLI_O("json", CLI_FLAG, &cli_globals.json),
	    CLI_N("count", CLI_LONG, &o.count, 1, 100000000,
	          "mailcast: send: --count takes a number from 1"),
	    CLI_N("connections", CLI_LONG, &o.connections, 1, 1000,
	          "mailcast: send: --connections takes 1 to 1000"),
	    CLI_O("no-pipelining", CLI_FLAG, &o.no_pipelining),
	    CLI_O("no-chunking", CLI_FLAG, &o.no_chunking),
	    {0},
	};
	const struct cli_cmd c = {"mailcast: send", send_usage, opts, true};
	char secret[1024] = "", err[1200];
	int i, rc;

	if ((i = cli_parse(&c, argc, argv, &rc)) < 0)
		return rc;
	if (i < argc) {
		cli_usage_error(&c, "unexpected argument \"%s\"", argv[i]);
		fputs(send_usage, stderr);
		return EX_USAGE;
	}
	o.nto = many.n;
	o.summary_only = o.count > 0;
	if (o.auth_user != NULL) {
		if (app_read_secret(pwfile, "MAILCAST_AUTH_PASSWORD", secret,
		                    sizeof(secret), err, sizeof(err)) != 0) {
			fprintf(stderr, "mailcast: send: %s\n", err);
			return EX_CONFIG;
		}
		o.auth_secret = secret;
	} else if (pwfile != NULL) {
		cli_usage_error(&c, "--auth-password-file needs --auth-user");
		fputs(send_usage, stderr);
		return EX_USAGE;
	}
	if (transcript) {
		o.trace = print_trace;
		setvbuf(stdout, NULL, _IOLBF, 0);
	}
	rc = app_send_run(&o, &sum);
	explicit_bzero(secret, sizeof(secret));
	if (sum.why[0])
		fprintf(stderr, "mailcast: send: %s\n", sum.why);
	if (rc == MC_EINVAL)
		fputs(send_usage, stderr);
	if (rc != 0)
		return mc_exit_code(rc);
	if (o.summary_only)
		print_summary(&sum, o.count);
	return sum.status;
}
