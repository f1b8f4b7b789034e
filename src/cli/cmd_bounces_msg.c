/*
 * cmd_bounces_msg.c — the bounces subcommands that take one message at a
 * time.  `bounces ingest`: one message on stdin (an MTA pipe) through
 * app/ingest.h; exit 0 when handled (or handled before: its Message-ID is
 * remembered), 75 when the store is busy or unavailable (the MTA keeps
 * the message and retries), 65 when it cannot be read or is skipped.
 * `bounces parse [--json] [--stats] [--repeat N] FILE...`: what the
 * bounce parser finds in each FILE, as a short table or one JSON object
 * per file per line.  A file that cannot
 * be read or that a parser limit skips is reported (on stderr, and as
 * {"file","skipped"} in JSON) and the others still go through; the exit
 * status is then EX_NOINPUT or EX_DATAERR.  --stats prints the parse rate
 * (CPU time of the parser only) to stderr; --repeat N parses each file N
 * times for that figure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sysexits.h>

#include <jansson.h>

#include "app/ingest.h"
#include "app/result_json.h"
#include "base/error.h"
#include "cli/cmd_bounces.h"
#include "cli/commands.h"
#include "cli/store_open.h"
#include "cli/util.h"

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

/* One handled message: a JSON line or a line for a person. */
void
cli_bounces_print(bool json, const char *where, const struct ingest_result *r,
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
 * key_file's): 0, or the exit status after printing why not. */
int
cli_bounces_store(struct ingest_config *ic, const char *key_file,
                  const char *cmd)
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

/* `bounces ingest`: one message on stdin. */
int
cmd_bounces_ingest(struct ingest_config *ic, const char *key_file,
                   size_t max_size, bool json)
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
	if ((rc = cli_bounces_store(ic, key_file, "bounces ingest")) != 0) {
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
		cli_bounces_print(json, "stdin", &r, NULL);
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

/* `bounces parse`: each FILE through the parser. */
int
cmd_bounces_parse(int argc, char **argv, const char *usage)
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
	const struct cli_cmd c = {"mailcast: bounces parse", usage, opts,
	                          false};
	int status, first = cli_parse(&c, argc, argv, &status);
	bool json = cli_globals.json;

	if (first < 0)
		return status;
	if (first >= argc) {
		fprintf(stderr, "mailcast: bounces parse: no FILE given\n");
		fputs(usage, stderr);
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
