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
	    {.name = "server", .type = CLI_STR, .dst = &o.server},
	    {.name = "tls", .type = CLI_STR, .dst = &o.tls},
	    {.name = "from", .type = CLI_STR, .dst = &o.from},
	    {.name = "to",
	     .type = CLI_MANY,
	     .dst = &many,
	     .min = 0,
	     .max = APP_SEND_RCPT_MAX,
	     .bad = "mailcast: send: more than 1000 --to"},
	    {.name = "data", .type = CLI_STR, .dst = &o.data},
	    {.name = "helo", .type = CLI_STR, .dst = &o.helo},
	    {.name = "auth-user", .type = CLI_STR, .dst = &o.auth_user},
	    {.name = "auth-password-file", .type = CLI_STR, .dst = &pwfile},
	    {.name = "auth-mech", .type = CLI_STR, .dst = &o.auth_mech},
	    {.name = "ca-file", .type = CLI_STR, .dst = &o.ca_file},
	    {"tls-verify", CLI_FN, &o.no_verify, .fn = parse_verify},
	    {.name = "timeout",
	     .type = CLI_LONG,
	     .dst = &o.timeout_s,
	     .min = 1,
	     .max = 3600,
	     .bad = "mailcast: send: --timeout takes 1 to 3600 seconds"},
	    {.name = "transcript", .type = CLI_FLAG, .dst = &transcript},
	    {.name = "json", .type = CLI_FLAG, .dst = &cli_globals.json},
	    {.name = "count",
	     .type = CLI_LONG,
	     .dst = &o.count,
	     .min = 1,
	     .max = 100000000,
	     .bad = "mailcast: send: --count takes a number from 1"},
	    {.name = "connections",
	     .type = CLI_LONG,
	     .dst = &o.connections,
	     .min = 1,
	     .max = 1000,
	     .bad = "mailcast: send: --connections takes 1 to 1000"},
	    {.name = "no-pipelining",
	     .type = CLI_FLAG,
	     .dst = &o.no_pipelining},
	    {.name = "no-chunking", .type = CLI_FLAG, .dst = &o.no_chunking},
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
