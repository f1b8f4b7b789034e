/*
 * cmd_bounces.c — `mailcast bounces parse|fetch|ingest`: the options, and
 * fetch: the mailbox poller (app/poller.h) on an event base of its own,
 * its results printed as they come.  parse and ingest (one message at a
 * time) are in cmd_bounces_msg.c.  The policy, the soft threshold, the
 * mailbox memory and the one transaction per message are all in src/app.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "app/ingest.h"
#include "app/poller.h"
#include "base/error.h"
#include "base/log.h"
#include "cli/cmd_bounces.h"
#include "cli/commands.h"
#include "cli/store_open.h"
#include "cli/util.h"
#include "usage_bounces.h" /* docs/usage/bounces.txt */

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
		cli_bounces_print(o->json, ev->where, ev->result,
		                  ev->disposition);
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
	if ((rc = cli_bounces_store(&o->pc.ingest, o->token_key,
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
		return rc == MC_EINVAL    ? EX_USAGE
		       : rc == MC_ENOHOST ? EX_NOHOST
		                          : EX_CONFIG;
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
		return cmd_bounces_parse(argc - 1, argv + 1, usage_bounces);
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
	                   : cmd_bounces_ingest(&o.pc.ingest, o.token_key,
	                                        (size_t)o.max_size, o.json);
	return rc;
}
