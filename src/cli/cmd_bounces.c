/*
 * cmd_bounces.c — `mailcast bounces parse|fetch|ingest`.  The policy, the
 * soft threshold, the mailbox memory and the one transaction per message
 * are all in src/app; this file parses and prints.
 *
 * `bounces parse [--json] [--stats] [--repeat N] FILE...`: what the
 * bounce parser finds in each FILE, as a short table or one JSON object
 * per file per line.  A file that cannot be read or that a parser limit
 * skips is reported (on stderr, and as {"file","skipped"} in JSON) and the
 * others still go through; the exit status is then EX_NOINPUT or
 * EX_DATAERR.  --stats prints the parse rate (CPU time of the parser only)
 * to stderr; --repeat N parses each file N times for that figure.
 *
 * `bounces ingest`: one message on stdin (an MTA pipe) through
 * app/ingest.h; exit 0 when handled (or handled before: its Message-ID is
 * remembered), 75 when the store is busy or unavailable (the MTA keeps the
 * message and retries), 65 when it cannot be read or is skipped.
 *
 * `bounces fetch`: the mailbox poller (app/poller.h) on an event base of
 * its own, its results printed as they come.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "app/ingest.h"
#include "app/poller.h"
#include "app/result_json.h"
#include "base/error.h"
#include "base/log.h"
#include "cli/commands.h"
#include "cli/store_open.h"
#include "cli/util.h"
#include "usage_bounces.h" /* docs/usage/bounces.txt */

/* Print a JSON object as one line and free it. */
static void
put_json(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (s != NULL)
		puts(s);
	free(s);
	json_decref(o);
}

/* One handled message: a JSON line, or "uid:7: bounce -> moved". */
static void
result_print(bool json, const char *where, const struct ingest_result *r,
             const char *disp)
{
	if (json) {
		put_json(ingest_result_json(where, r, disp));
		return;
	}
	printf("%s: %s: %s%s%s%s%s%s%s%s%s\n", where, ingest_kind_name(r->kind),
	       ingest_verdict_name(r->verdict), r->note[0] ? " (" : "", r->note,
	       r->note[0] ? ")" : "", r->skip[0] ? " (" : "", r->skip,
	       r->skip[0] ? ")" : "", disp ? " -> " : "", disp ? disp : "");
	for (size_t i = 0; i < r->neffects; i++) {
		const struct ingest_effect *e = &r->effects[i];
		printf("  %s: %s%s%s%s%s\n", e->address,
		       bounce_action_name(e->action), e->status[0] ? " " : "",
		       e->status, e->suppressed ? ", suppressed" : "",
		       e->unsubscribed ? ", unsubscribed" : "");
	}
}

/* Open the store and load the token keys that verify (the store's and
 * key_file's) into ic: 0, or the exit status after printing why not. */
static int
bounces_store(struct ingest_config *ic, const char *key_file, const char *cmd)
{
	char err[600];

	if ((ic->store = cli_store_open(cmd)) == NULL)
		return cli_store_exit();
	if (ingest_keys_load(ic, key_file, err, sizeof(err)) != 0) {
		fprintf(stderr, "mailcast: %s: %s\n", cmd, err);
		token_keyring_wipe(&ic->keys);
		store_close(ic->store);
		ic->store = NULL;
		return EX_CONFIG;
	}
	return 0;
}

/* `bounces ingest`: one message on stdin, the store opened here. */
static int
bounces_ingest(struct ingest_config *ic, const char *key_file, size_t max_size,
               bool json)
{
	unsigned char *data = NULL;
	size_t len;
	char err[256];
	struct ingest_result r;
	int rc;

	if (app_read_file("-", max_size, &data, &len, err, sizeof(err)) != 0 ||
	    len == 0) {
		fprintf(stderr, "mailcast: bounces ingest: %s\n",
		        data ? "empty message" : err);
		free(data);
		return EX_DATAERR;
	}
	if ((rc = bounces_store(ic, key_file, "bounces ingest")) != 0) {
		free(data);
		return rc == EX_CONFIG ? rc : EX_TEMPFAIL; /* the MTA retries */
	}
	rc = ingest_once(ic, (char *)data, len, "ingest", time(NULL), &r);
	if (rc < 0)
		fprintf(stderr,
		        "mailcast: bounces ingest: the store failed (%s); the "
		        "MTA should retry\n",
		        store_error(ic->store));
	else
		result_print(json, "stdin", &r, NULL);
	if (rc == 0 && r.kind == INGEST_SKIPPED)
		fprintf(stderr, "mailcast: bounces ingest: skipped: %s\n",
		        r.skip);
	ingest_result_fini(&r);
	token_keyring_wipe(&ic->keys);
	store_close(ic->store);
	free(data);
	return rc < 0                     ? EX_TEMPFAIL
	       : r.kind == INGEST_SKIPPED ? EX_DATAERR
	                                  : EX_OK;
}

/* `bounces parse FILE...` (argv[0] is "parse"): each FILE through the
 * parser. */
static int
bounces_parse(int argc, char **argv)
{
	struct bounce_result r;
	double spent = 0, cpu;
	unsigned long parsed = 0;
	bool stats = false;
	long repeat = 1;
	struct cli_opt opts[] = {
	    CLI_O("stats", CLI_FLAG, &stats),
	    CLI_N("repeat", CLI_LONG, &repeat, 1, 100000,
	          "mailcast: bounces parse: --repeat wants 1..100000"),
	    {0},
	};
	const struct cli_cmd c = {"mailcast: bounces parse", usage_bounces,
	                          opts, false};
	int status, first = cli_parse(&c, argc, argv, &status);
	bool json = cli_globals.json;

	if (first < 0)
		return status;
	if (first >= argc) {
		fprintf(stderr, "mailcast: bounces parse: no FILE given\n");
		fputs(usage_bounces, stderr);
		return EX_USAGE;
	}
	status = EX_OK;
	bounce_result_init(&r);
	for (int i = first; i < argc; i++) {
		char err[256];
		int rc = ingest_parse_file(argv[i], repeat, &r, &cpu, err,
		                           sizeof(err));
		spent += cpu;
		parsed += rc == MC_EIO ? 0 : (unsigned long)repeat;
		if (rc != 0) {
			fprintf(stderr,
			        "mailcast: bounces parse: %s: skipped: "
			        "%s\n",
			        argv[i], err);
			if (json)
				put_json(json_pack("{s:s,s:s}", "file", argv[i],
				                   "skipped", err));
			if (rc != MC_EIO || status == EX_OK)
				status = rc == MC_EIO ? EX_NOINPUT : EX_DATAERR;
			continue;
		}
		if (json) {
			put_json(bounce_result_json(argv[i], &r));
			continue;
		}
		printf("%s: %s%s%s%s%s%s\n", argv[i], bounce_kind_name(r.kind),
		       r.format[0] ? " (" : "", r.format,
		       r.format[0] ? ")" : "", r.token[0] ? " token " : "",
		       r.token);
		for (size_t k = 0; k < r.nrcpts; k++) {
			const struct bounce_rcpt *rc2 = &r.rcpts[k];
			printf("  %-40s %-10s %-7s %3d %s\n", rc2->address,
			       bounce_class_name(rc2->cls),
			       rc2->status[0] ? rc2->status : "-",
			       rc2->reply_code,
			       rc2->diagnostic ? rc2->diagnostic : "");
		}
	}
	bounce_result_fini(&r);
	fflush(stdout);
	if (stats)
		fprintf(stderr,
		        "stats: %lu messages parsed in %.3f s CPU: "
		        "%.0f messages/s\n",
		        parsed, spent,
		        spent > 0 ? (double)parsed / spent : 0.0);
	return status;
}

/* Everything the options of parse, fetch and ingest set. */
struct bopts {
	bool json, progress;
	long max_size;
	const char *pwfile, *token_key;
	struct poller_config pc;
	struct poller *poller;
	struct event_base *base;
	int status;
};

/* CLI_FN: --tls-verify yes|no. */
static int
parse_yes_no(void *dst, const char *arg)
{
	if (strcmp(arg, "yes") != 0 && strcmp(arg, "no") != 0)
		return cli_fail(-1, "mailcast: bounces fetch: --tls-verify "
		                    "wants yes or no");
	*(bool *)dst = strcmp(arg, "yes") == 0;
	return 0;
}

/* Parse the options of sub (fetch, ingest) into o; the index of the first
 * operand, or -1 with *status EX_OK (--help) or EX_USAGE. */
static int
bopts_parse(int argc, char **argv, const char *sub, struct bopts *o,
            int *status)
{
	char prefix[64];
	struct cli_opt opts[] = {
	    /* fetch only */
	    CLI_O("mailbox", CLI_STR, &o->pc.url),
	    CLI_O("password-file", CLI_STR, &o->pwfile),
	    CLI_O("starttls", CLI_FLAG, &o->pc.starttls),
	    CLI_O("ca-file", CLI_STR, &o->pc.ca_file),
	    {"tls-verify", CLI_FN, &o->pc.tls_verify, .fn = parse_yes_no},
	    CLI_O("auth", CLI_STR, &o->pc.auth),
	    CLI_O("allow-cleartext-auth", CLI_FLAG, &o->pc.allow_cleartext),
	    CLI_O("move-to", CLI_STR, &o->pc.move_to),
	    CLI_O("delete", CLI_FLAG, &o->pc.del),
	    CLI_O("keep", CLI_FLAG, &o->pc.keep),
	    CLI_O("idle", CLI_FLAG, &o->pc.idle),
	    CLI_N("idle-max", CLI_LONG, &o->pc.idle_max, 1, 31536000, NULL),
	    CLI_N("timeout", CLI_LONG, &o->pc.timeout_s, 1, 3600, NULL),
	    /* fetch and ingest */
	    CLI_O("token-key", CLI_STR, &o->token_key),
	    CLI_O("trust-unsigned", CLI_FLAG, &o->pc.ingest.trust_unsigned),
	    CLI_N("soft-limit", CLI_INT, &o->pc.ingest.soft.limit, 1, 1000,
	          NULL),
	    CLI_N("soft-days", CLI_INT, &o->pc.ingest.soft.days, 1, 3650, NULL),
	    CLI_N("max-size", CLI_LONG, &o->max_size, 1024, BOUNCE_MAX_SIZE,
	          NULL),
	    {0},
	};
	/* ingest takes the options from --token-key on */
	const struct cli_cmd c = {prefix, usage_bounces,
	                          sub[0] == 'i' ? opts + 13 : opts, false};

	snprintf(prefix, sizeof(prefix), "mailcast: bounces %s", sub);
	return cli_parse(&c, argc, argv, status);
}

/* The poller's events: progress, results, notes. */
static void
fetch_event(void *arg, const struct poller_event *ev)
{
	struct bopts *o = arg;

	if (ev->type == POLLER_EV_PROGRESS && o->progress)
		fprintf(stderr, "\rmailcast: bounces fetch: %zu/%zu messages",
		        ev->i, ev->n);
	else if (ev->type == POLLER_EV_MESSAGE)
		result_print(o->json, ev->where, ev->result, ev->disposition);
	else if (ev->type == POLLER_EV_NOTE)
		fprintf(stderr, "mailcast: bounces fetch: %s\n", ev->text);
	else if (ev->type == POLLER_EV_IDLE)
		log_info("bounces fetch: waiting for new mail (IDLE)");
	else if (ev->type == POLLER_EV_TLS)
		log_info("bounces fetch: %s", ev->text);
}

/* The poll ended: its exit status. */
static void
fetch_done(void *arg, int rc, enum poller_failure f, const char *why)
{
	struct bopts *o = arg;
	char err[400];

	if (o->progress)
		fputc('\n', stderr);
	if (f == POLLER_LOST)
		fprintf(
		    stderr,
		    "\nmailcast: bounces fetch: the session ended: %s (what "
		    "was handled is remembered; run again to go on)\n",
		    why);
	else if (f != POLLER_OK)
		fprintf(stderr, "mailcast: bounces fetch: %s%s\n",
		        f == POLLER_STORE ? "the store failed: " : "", why);
	o->status = poller_exit_code(rc, f);
	if (f != POLLER_LOGIN) {
		ingest_tally_text(poller_tally(o->poller), err, sizeof(err));
		fprintf(o->json ? stderr : stdout, "bounces fetch: %s\n", err);
	}
	event_base_loopbreak(o->base);
}

/* `bounces fetch`: the poller on an event base of our own. */
static int
bounces_fetch(struct bopts *o)
{
	char err[1024], secret[1024];
	int rc;

	o->pc.max_size = (size_t)o->max_size;
	o->pc.secret = secret;
	if (poller_config_check(&o->pc, err, sizeof(err)) < 0) {
		fprintf(stderr, "mailcast: bounces fetch: %s\n", err);
		return EX_USAGE;
	}
	if (secret_read(o->pwfile, "MAILCAST_MAILBOX_PASSWORD", secret,
	                sizeof(secret), err, sizeof(err)) != 0) {
		fprintf(stderr, "mailcast: bounces fetch: %s\n", err);
		return EX_CONFIG;
	}
	if ((rc = bounces_store(&o->pc.ingest, o->token_key,
	                        "bounces fetch")) != 0) {
		explicit_bzero(secret, sizeof(secret));
		return rc;
	}
	o->poller = poller_new(&o->pc, &rc, err, sizeof(err));
	explicit_bzero(secret, sizeof(secret));
	if (o->poller == NULL) {
		fprintf(stderr, "mailcast: bounces fetch: %s\n", err);
		token_keyring_wipe(&o->pc.ingest.keys);
		store_close(o->pc.ingest.store);
		return mc_exit_code(rc); /* EX_USAGE, EX_CONFIG, EX_NOHOST */
	}
	o->progress = isatty(STDERR_FILENO) && !o->json;
	o->base = event_base_new();
	rc = poller_start(o->poller, o->base, fetch_event, fetch_done, o);
	if (rc == 0)
		event_base_dispatch(o->base);
	else
		o->status = EX_SOFTWARE;
	poller_free(o->poller);
	event_base_free(o->base);
	token_keyring_wipe(&o->pc.ingest.keys);
	store_close(o->pc.ingest.store);
	return o->status;
}

/* `mailcast bounces SUBCOMMAND ...`. */
int
cmd_bounces(int argc, char **argv)
{
	struct bopts o = {.max_size = BOUNCE_MAX_SIZE,
	                  .pc = {.tls_verify = true,
	                         .timeout_s = 120,
	                         .ingest.soft = {BOUNCE_POLICY_SOFT_LIMIT,
	                                         BOUNCE_POLICY_SOFT_DAYS}}};
	const char *sub = argc > 1 ? argv[1] : "";
	bool help = !strcmp(sub, "--help") || !strcmp(sub, "-h");
	int i, rc;

	if (strcmp(sub, "parse") == 0)
		return bounces_parse(argc - 1, argv + 1);
	if (strcmp(sub, "fetch") && strcmp(sub, "ingest")) {
		if (argc > 1 && !help)
			fprintf(stderr,
			        "mailcast: bounces: unknown subcommand '%s'\n",
			        sub);
		fputs(usage_bounces, help ? stdout : stderr);
		return help ? EX_OK : EX_USAGE;
	}
	if ((i = bopts_parse(argc - 1, argv + 1, sub, &o, &rc)) < 0)
		return rc;
	if (i < argc - 1)
		return cli_fail(EX_USAGE,
		                "mailcast: bounces %s: unexpected arguments",
		                sub);
	o.json = cli_globals.json;
	rc = sub[0] == 'f' ? bounces_fetch(&o)
	                   : bounces_ingest(&o.pc.ingest, o.token_key,
	                                    (size_t)o.max_size, o.json);
	return rc;
}
