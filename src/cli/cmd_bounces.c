/*
 * cmd_bounces.c — `mailcast bounces parse|fetch|ingest`: options in,
 * results out.  The parser, the policy, the mailbox poller (app/poller.h)
 * and the one transaction per message (app/ingest.h) are src/app's; what
 * each subcommand does and exits with is docs/usage/bounces.txt.
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
#include "app/result_text.h"
#include "base/error.h"
#include "base/log.h"
#include "cli/commands.h"
#include "cli/store_open.h"
#include "cli/util.h"
#include "usage_bounces.h" /* docs/usage/bounces.txt */

/* One handled message: a JSON line, or "uid:7: bounce -> moved". */
static void
result_print(const char *where, const struct ingest_result *r, const char *disp)
{
	if (cli_globals.json)
		cli_json_line(ingest_result_json(where, r, disp));
	else
		ingest_result_text(stdout, where, r, disp);
}

/* Everything the options of parse, fetch and ingest set. */
static struct {
	bool stats, progress;
	long repeat, max_size;
	const char *pwfile, *token_key;
	struct poller_config pc;
} o = {
    .repeat = 1,
    .max_size = BOUNCE_MAX_SIZE,
    .pc = {.tls_verify = true,
           .timeout_s = 120,
           .ingest.soft = {BOUNCE_POLICY_SOFT_LIMIT, BOUNCE_POLICY_SOFT_DAYS}}};

static struct cli_opt parse_opts[] = {
    CLI_O("stats", CLI_FLAG, &o.stats),
    CLI_N("repeat", CLI_LONG, &o.repeat, 1, 100000,
          "mailcast: bounces parse: --repeat wants 1..100000"),
    {0},
};
/* fetch's; ingest takes those from --token-key on (INGEST_OPTS) */
static struct cli_opt fetch_opts[] = {
    CLI_O("mailbox", CLI_STR, &o.pc.url),
    CLI_O("password-file", CLI_STR, &o.pwfile),
    CLI_O("starttls", CLI_FLAG, &o.pc.starttls),
    CLI_O("ca-file", CLI_STR, &o.pc.ca_file),
    CLI_O("tls-verify", CLI_YESNO, &o.pc.tls_verify),
    CLI_O("auth", CLI_STR, &o.pc.auth),
    CLI_O("allow-cleartext-auth", CLI_FLAG, &o.pc.allow_cleartext),
    CLI_O("move-to", CLI_STR, &o.pc.move_to),
    CLI_O("delete", CLI_FLAG, &o.pc.del),
    CLI_O("keep", CLI_FLAG, &o.pc.keep),
    CLI_O("idle", CLI_FLAG, &o.pc.idle),
    CLI_N("idle-max", CLI_SECS, &o.pc.idle_max, 1, 31536000, NULL),
    CLI_N("timeout", CLI_SECS, &o.pc.timeout_s, 1, 3600, NULL),
#define INGEST_OPTS (&fetch_opts[13])
    CLI_O("token-key", CLI_STR, &o.token_key),
    CLI_O("trust-unsigned", CLI_FLAG, &o.pc.ingest.trust_unsigned),
    CLI_N("soft-limit", CLI_INT, &o.pc.ingest.soft.limit, 1, 1000, NULL),
    CLI_N("soft-days", CLI_INT, &o.pc.ingest.soft.days, 1, 3650, NULL),
    CLI_N("max-size", CLI_LONG, &o.max_size, 1024, BOUNCE_MAX_SIZE, NULL),
    {0},
};

/* `bounces parse FILE...`: each FILE through the parser. */
static int
bounces_parse(struct cli_call *c)
{
	unsigned long parsed = 0;
	double spent = 0;
	int rc = ingest_parse_files((const char *const *)c->argv,
	                            (size_t)c->argc, o.repeat, cli_globals.json,
	                            stdout, stderr, c->prefix, &parsed, &spent);

	fflush(stdout);
	if (o.stats)
		fprintf(stderr,
		        "stats: %lu messages parsed in %.3f s CPU: %.0f "
		        "messages/s\n",
		        parsed, spent,
		        spent > 0 ? (double)parsed / spent : 0.0);
	return rc == MC_EIO ? EX_NOINPUT : rc < 0 ? EX_DATAERR : EX_OK;
}

/* Load the token keys that verify (the store's and --token-key's) for
 * the store s: 0, or MC_E* with why in c->err. */
static int
bounces_keys(struct cli_call *c, struct store *s)
{
	int rc;

	o.pc.ingest.store = s;
	if ((rc = ingest_keys_load(&o.pc.ingest, o.token_key, c->err,
	                           sizeof(c->err))) < 0)
		token_keyring_wipe(&o.pc.ingest.keys);
	return rc < 0 ? MC_ECONFIG : 0;
}

/* `bounces ingest`: one message on stdin; 75 tells the MTA to retry. */
static int
bounces_ingest(struct cli_call *c)
{
	struct ingest_result r;
	int rc;

	/* the store opened here: a store that cannot open is a 75 */
	if ((c->s = cli_store_open(c->name)) == NULL)
		return cli_store_exit() == EX_CONFIG ? EX_CONFIG : EX_TEMPFAIL;
	if ((rc = bounces_keys(c, c->s)) < 0)
		return rc;
	rc = ingest_file(&o.pc.ingest, "-", (size_t)o.max_size, &r, c->err,
	                 sizeof(c->err));
	if (rc == 0)
		result_print("stdin", &r, NULL);
	if (rc == 0 && r.kind == INGEST_SKIPPED)
		cli_fail(0, "mailcast: bounces ingest: skipped: %s", r.skip);
	ingest_result_fini(&r);
	token_keyring_wipe(&o.pc.ingest.keys);
	if (rc < 0)
		return cli_fail(rc == MC_EIO ? EX_TEMPFAIL : EX_DATAERR,
		                "mailcast: bounces ingest: %s", c->err);
	return r.kind == INGEST_SKIPPED ? EX_DATAERR : EX_OK;
}

/* The poller's events: progress, results, notes. */
static void
fetch_event(void *arg, const struct poller_event *ev)
{
	(void)arg;
	if (ev->type == POLLER_EV_PROGRESS && o.progress)
		fprintf(stderr, "\rmailcast: bounces fetch: %zu/%zu messages",
		        ev->i, ev->n);
	else if (ev->type == POLLER_EV_MESSAGE)
		result_print(ev->where, ev->result, ev->disposition);
	else if (ev->type == POLLER_EV_NOTE)
		fprintf(stderr, "mailcast: bounces fetch: %s\n", ev->text);
	else if (ev->type == POLLER_EV_IDLE)
		log_info("bounces fetch: waiting for new mail (IDLE)");
	else if (ev->type == POLLER_EV_TLS)
		log_info("bounces fetch: %s", ev->text);
}

/* `bounces fetch`: the whole poll (app/poller.h), then its summary. */
static int
bounces_fetch(struct cli_call *c)
{
	struct poller_outcome out;
	int rc;

	o.pc.max_size = (size_t)o.max_size;
	if (poller_config_check(&o.pc, c->err, sizeof(c->err)) < 0)
		return MC_EINVAL;
	/* the store after the options: a usage error is a usage error */
	if ((c->s = cli_store_open(c->name)) == NULL)
		return cli_store_exit();
	if ((rc = bounces_keys(c, c->s)) < 0)
		return rc;
	o.progress = isatty(STDERR_FILENO) && !cli_globals.json;
	rc = poller_run(&o.pc, o.pwfile, fetch_event, NULL, &out, c->err,
	                sizeof(c->err));
	token_keyring_wipe(&o.pc.ingest.keys);
	if (rc < 0) /* EX_USAGE, EX_CONFIG, EX_NOHOST */
		return rc;
	if (o.progress)
		fputc('\n', stderr);
	poller_outcome_text(&out, c->prefix, c->name, stderr,
	                    cli_globals.json ? stderr : stdout);
	return poller_exit_code(out.rc, out.failure);
}

/* `mailcast bounces SUBCOMMAND ...`. */
int
cmd_bounces(int argc, char **argv)
{
	static const struct cli_sub subs[] = {
	    CLI_SUB("parse", bounces_parse, CLI_STORE_NONE, 1, 1 << 20,
	            parse_opts),
	    CLI_SUB("fetch", bounces_fetch, CLI_STORE_NONE, 0, 0, fetch_opts),
	    CLI_SUB("ingest", bounces_ingest, CLI_STORE_NONE, 0, 0,
	            INGEST_OPTS),
	    {0},
	};
	return cli_subs_run("bounces", usage_bounces, subs, argc, argv);
}
