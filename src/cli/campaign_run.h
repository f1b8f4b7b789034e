/*
 * campaign_run.h — what `campaign`, `broadcast` and `demo` share: the
 * sending options (relays, limits, retries, keys), kept with a campaign
 * as a JSON "settings" event so `start`/`resume` find them again; the run
 * itself in the foreground with a progress bar on stderr (when it is a
 * terminal and not --quiet) and SIGINT/SIGTERM as a clean pause; and the
 * report (totals by state, destination, reply code, duration, rows resent
 * after a crash).
 *
 * Ownership: struct send_opts holds copies of its strings; free them with
 * send_opts_fini().  Functions return a <sysexits.h> status and print
 * "mailcast: CMD: reason" themselves.
 */
#ifndef MC_CLI_CAMPAIGN_RUN_H
#define MC_CLI_CAMPAIGN_RUN_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/engine.h"
#include "store/store.h"

/* A relay's own settings (from a [relay NAME] section of mailcast.conf);
 * NULL, -1 and 0 fields inherit the global ones. */
struct send_relay {
	char *name;
	unsigned weight;
	char *tls, *ca_file, *auth_user, *auth_password_file;
	int tls_verify; /* -1 inherit, 0 no, 1 yes */
	unsigned conns, per_conn;
	double rate;
};

struct send_opts {
	char *template_path; /* absolute */
	char *from;
	char *bounce_domain;
	char *token_key_file;
	char *dkim_key[DKIM_KEYS_MAX];
	char *dkim_selector[DKIM_KEYS_MAX];
	size_t ndkim, nsel;
	char *dkim_domain;
	char *relays[ENGINE_RELAYS_MAX];
	size_t nrelays;
	bool direct;
	char *dns_server;
	int mx_port;
	char *helo;
	char *tls; /* none | opportunistic | require | implicit */
	bool tls_no_verify;
	char *ca_file;   /* trusted CA (or self-signed certificate), or NULL */
	char *auth_user; /* AUTH to the relays, or NULL */
	char *auth_password_file; /* NULL: MAILCAST_AUTH_PASSWORD */
	char *unsub_url, *unsub_mailto;
	struct engine_limits limits;
	struct engine_retry retry;
	unsigned timeout_ms, threads;
	bool quiet;
	bool relays_cli; /* a --relay was given: replaces saved ones */
	/* relays from mailcast.conf: relay_set[i] are relays[i]'s settings,
	 * each relay its own destination, domains spread by weight */
	bool weighted;
	struct send_relay relay_set[ENGINE_RELAYS_MAX];
	bool loaded;    /* by send_opts_load: mailcast.conf is not applied */
	bool dkim_conf; /* the DKIM keys came from mailcast.conf */
};

/* getopt_long entries of the sending options (ended by a zero row) and
 * their handler: 1 handled, 0 not a sending option, -1 bad value. */
extern const struct option send_long_opts[];
#define SEND_OPTS_HELP                                                         \
	"  --relay HOST:PORT     a relay (repeatable: failover in order;\n"    \
	"                        replaces mailcast.conf's [relay] sections)\n" \
	"  --direct              deliver to each domain's MX hosts\n"          \
	"  --dns-server A:P      the DNS server for --direct\n"                \
	"  --mx-port P           the port of MX hosts (default 25)\n"          \
	"  --helo NAME           the EHLO name\n"                              \
	"  --tls MODE            none | opportunistic (default) | require |\n" \
	"                        implicit;  --tls-verify no skips checks\n"    \
	"  --ca-file FILE        trust this CA (or self-signed certificate)\n" \
	"  --auth-user USER      AUTH to the relay; the password from\n"       \
	"  --auth-password-file FILE  or MAILCAST_AUTH_PASSWORD (never "       \
	"argv)\n"                                                              \
	"  --rate N              messages/s over all destinations\n"           \
	"  --dest-rate N         messages/s per destination\n"                 \
	"  --conns N             connections per destination (default 4)\n"    \
	"  --per-conn N          messages per connection (default: no "        \
	"limit)\n"                                                             \
	"  --pipeline N          transactions in flight per connection (8)\n"  \
	"  --retry S1,S2,...     seconds between retries of deferred rows\n"   \
	"  --max-age SECS        give a deferred row up after this long\n"     \
	"  --linger SECS         end the run when the next deferred row is\n"  \
	"                        due later than this (default 900; exit 75)\n" \
	"  --backoff-max MS      longest back-off of a destination\n"          \
	"  --timeout MS          every SMTP wait (default RFC 5321's)\n"       \
	"  --threads N           render threads (default 2)\n"                 \
	"  --token-key FILE      the VERP/unsubscribe token key\n"             \
	"  --bounce-domain D     the VERP envelope domain\n"                   \
	"  --dkim-key FILE --dkim-selector S [--dkim-domain D]  (up to 2)\n"   \
	"  --unsubscribe-url URL --unsubscribe-mailto ADDR\n"                  \
	"  --quiet               no progress bar\n"
int send_opt_handle(struct send_opts *o, int ch, const char *arg,
                    const char *cmd);
/* Lay mailcast.conf and MAILCAST_* (cli_conf()) into o: 0 or an exit
 * status.  send_opts_parse() does it first unless o was loaded. */
int send_opts_config(struct send_opts *o, const char *cmd);
/* Parse argv: the sending options and --name --list --template --from
 * --json --csv --state --help (outputs may be NULL).  0, -1 after --help,
 * or an exit status. */
int send_opts_parse(int argc, char **argv, struct send_opts *o, const char *cmd,
                    void (*usage)(FILE *), char **name, char **list, bool *json,
                    char **state, bool *csv);
void send_opts_init(struct send_opts *o);
void send_opts_fini(struct send_opts *o);
/* Check the options that a run needs (a way out, a template). */
int send_opts_check(const struct send_opts *o, const char *cmd);
/* Save o with campaign id; load it back (into an inited o). */
int send_opts_save(struct store *s, int64_t id, const struct send_opts *o,
                   const char *cmd);
int send_opts_load(struct store *s, int64_t id, struct send_opts *o,
                   const char *cmd);
/* Compile the template against the list's attribute names (a check). */
int campaign_check_template(struct store *s, int64_t list_id, const char *path,
                            const char *cmd);
/* Run campaign id in the foreground and print its report. */
int campaign_run(struct store *s, int64_t id, const struct send_opts *o,
                 const char *cmd);
/* Also call fn with every progress report of the next runs (demo). */
void campaign_run_hook(engine_progress_fn *fn, void *arg);
/* Print the report of campaign id (JSON with json). */
int campaign_report(struct store *s, int64_t id, bool json, FILE *out,
                    const char *cmd);
/* A campaign by id ("12") or name; prints why not. */
int campaign_lookup(struct store *s, const char *arg, int64_t *id,
                    const char *cmd);

#endif
