/*
 * cmd_bounces.c — `mailcast bounces parse|fetch|ingest`: the options, and
 * fetch: the mailbox poller (app/poller.h) on an event base of its own,
 * its results printed as they come.  parse and ingest (one message at a
 * time) are in cmd_bounces_msg.c.  The policy, the soft threshold, the
 * mailbox memory and the one transaction per message are all in src/app.
 */
#include <getopt.h>
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
	long soft_limit, soft_days, max_size;
	const char *pwfile, *token_key;
	struct poller_config pc;
	struct poller *poller;
	struct event_base *base;
	int status;
};

/* The options: kind f (a flag), y (yes or no), s (a string), n (a number
 * in [min, max]); subs: the subcommands (f, i) that take it. */
#define O(f) offsetof(struct bopts, f)
static const struct bopt {
	const char *name, *subs;
	char kind;
	size_t off;
	long min, max;
} bopt_table[] = {
    {"json", "fi", 'f', O(json), 0, 0},
    {"mailbox", "f", 's', O(pc.url), 0, 0},
    {"password-file", "f", 's', O(pwfile), 0, 0},
    {"starttls", "f", 'f', O(pc.starttls), 0, 0},
    {"ca-file", "f", 's', O(pc.ca_file), 0, 0},
    {"tls-verify", "f", 'y', O(pc.tls_verify), 0, 0},
    {"auth", "f", 's', O(pc.auth), 0, 0},
    {"allow-cleartext-auth", "f", 'f', O(pc.allow_cleartext), 0, 0},
    {"move-to", "f", 's', O(pc.move_to), 0, 0},
    {"delete", "f", 'f', O(pc.del), 0, 0},
    {"keep", "f", 'f', O(pc.keep), 0, 0},
    {"idle", "f", 'f', O(pc.idle), 0, 0},
    {"idle-max", "f", 'n', O(pc.idle_max), 1, 31536000},
    {"timeout", "f", 'n', O(pc.timeout_s), 1, 3600},
    {"token-key", "fi", 's', O(token_key), 0, 0},
    {"trust-unsigned", "fi", 'f', O(pc.ingest.trust_unsigned), 0, 0},
    {"soft-limit", "fi", 'n', O(soft_limit), 1, 1000},
    {"soft-days", "fi", 'n', O(soft_days), 1, 3650},
    {"max-size", "fi", 'n', O(max_size), 1024, BOUNCE_MAX_SIZE},
};
#define NOPTS (sizeof(bopt_table) / sizeof(bopt_table[0]))

/* Parse the options of sub (its name) into o; 0, -1 (--help) or an exit
 * status. */
static int
bopts_parse(int argc, char **argv, const char *sub, struct bopts *o)
{
	struct option opts[NOPTS + 2] = {{"help", 0, NULL, 'h'}};
	int ch;

	for (size_t i = 0; i < NOPTS; i++)
		opts[i + 1] = (struct option){bopt_table[i].name,
		                              bopt_table[i].kind != 'f', NULL,
		                              256 + (int)i};
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		const struct bopt *b = ch >= 256 ? &bopt_table[ch - 256] : NULL;
		char *field = b ? (char *)o + b->off : NULL;
		if (ch == 'h') {
			fputs(usage_bounces, stdout);
			return -1;
		}
		if (b == NULL || strchr(b->subs, sub[0]) == NULL) {
			if (b != NULL)
				fprintf(stderr,
				        "mailcast: bounces %s: --%s is not "
				        "an option of %s\n",
				        sub, b->name, sub);
			fputs(usage_bounces, stderr);
			return EX_USAGE;
		}
		if (b->kind == 'f' || b->kind == 'y')
			*(bool *)field =
			    b->kind == 'f' || !strcmp(optarg, "yes");
		else if (b->kind == 's')
			*(const char **)field = optarg;
		if (b->kind == 'y' && strcmp(optarg, "yes") &&
		    strcmp(optarg, "no")) {
			fprintf(stderr,
			        "mailcast: bounces %s: --%s wants yes "
			        "or no\n",
			        sub, b->name);
			return EX_USAGE;
		}
		if (b->kind == 'n' &&
		    !cli_parse_long(optarg, b->min, b->max, (long *)field)) {
			fprintf(stderr,
			        "mailcast: bounces %s: --%s wants "
			        "%ld..%ld\n",
			        sub, b->name, b->min, b->max);
			return EX_USAGE;
		}
	}
	return 0;
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
	struct bopts o = {.json = cli_globals.json,
	                  .soft_limit = BOUNCE_POLICY_SOFT_LIMIT,
	                  .soft_days = BOUNCE_POLICY_SOFT_DAYS,
	                  .max_size = BOUNCE_MAX_SIZE,
	                  .pc = {.tls_verify = true, .timeout_s = 120}};
	const char *sub = argc > 1 ? argv[1] : "";
	bool help = !strcmp(sub, "--help") || !strcmp(sub, "-h");
	int rc;

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
	if ((rc = bopts_parse(argc - 1, argv + 1, sub, &o)) != 0)
		return rc < 0 ? EX_OK : rc;
	if (optind < argc - 1) {
		fprintf(stderr, "mailcast: bounces %s: unexpected arguments\n",
		        sub);
		return EX_USAGE;
	}
	o.pc.ingest.soft =
	    (struct bounce_policy_soft){(int)o.soft_limit, (int)o.soft_days};
	rc = sub[0] == 'f' ? bounces_fetch(&o)
	                   : cmd_bounces_ingest(&o.pc.ingest, o.token_key,
	                                        (size_t)o.max_size, o.json);
	return rc;
}
