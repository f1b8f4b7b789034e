/*
 * commands.h — the table of `mailcast COMMAND`s.
 *
 * Each command lives in cmd_<name>.c and exports one function with the
 * signature of cli_command_fn: it gets argv with argv[0] == the command's
 * name, parses its own options (cli_parse, util.h), and returns a
 * <sysexits.h> status.  Global options (-v, --store, --json) are parsed by
 * main.c before the command and reach it through struct cli_globals.
 */
#ifndef MC_CLI_COMMANDS_H
#define MC_CLI_COMMANDS_H

#include <stdbool.h>

struct cli_globals {
	int verbose;        /* count of -v */
	bool json;          /* --json given before the command */
	const char *store;  /* --store URL, or NULL for the default */
	const char *config; /* --config FILE, or NULL */
};

extern struct cli_globals cli_globals;

typedef int cli_command_fn(int argc, char **argv);

/* X(name, summary): the commands in the order `mailcast --help` lists
 * them, each run by cmd_NAME(). */
#define CLI_COMMANDS(X)                                                        \
	X(demo, "the main job on embedded defaults (see README)")              \
	X(campaign, "campaigns: create | start | pause | resume | status | "   \
	            "report | who")                                            \
	X(broadcast, "one-shot: list + template -> campaign, sent in the "     \
	             "foreground")                                             \
	X(bounces, "parse bounces, complaints and auto-replies")               \
	X(doctor, "why isn't mail going out? cause, evidence, fix")            \
	X(probe, "the state of each mail port of a host")                      \
	X(trace, "hops to a host, ICMP decoded, path MTU")                     \
	X(ping, "ICMP echo: RTT, loss, TTL, ICMP errors")                      \
	X(netinfo, "interfaces, gateway and its MAC, routes, DNS")             \
	X(dns, "MX, PTR, SPF, DKIM, DMARC, blocklists")                        \
	X(list, "contacts and lists: import | add | export | show | count | "  \
	        "remove")                                                      \
	X(suppress, "the suppression list: add | remove | list | check | "     \
	            "import")                                                  \
	X(worker, "run every running campaign of a shared store, until "       \
	          "stopped")                                                   \
	X(store, "the store's schema: migrate")                                \
	X(contact, "one contact: show | set | delete | erase | history | "     \
	           "resubscribe")                                              \
	X(user, "dashboard users: add")                                        \
	X(token, "the store's token keys: rotate | list | verify")             \
	X(serve, "HTTP: unsubscribe, signup, REST API, tracking, dashboard")   \
	X(webhook, "the webhook outbox: list | retry")                         \
	X(preview, "render the message one recipient would get")               \
	X(dkim, "DKIM keys: keygen | txt (the DNS record to publish)")         \
	X(help, "longer help on a topic: mailcast help template")              \
	X(send, "send one message, swaks-like, with --transcript")             \
	X(sink, "a capture SMTP server for trying campaigns locally")          \
	X(version, "print the version")

#define CLI_COMMAND_DECL(name, summary) cli_command_fn cmd_##name;
CLI_COMMANDS(CLI_COMMAND_DECL)
#undef CLI_COMMAND_DECL

struct cli_command {
	const char *name;
	cli_command_fn *run;
	const char *summary;
};

/* The table, ended by a NULL name (commands.c). */
extern const struct cli_command cli_commands[];

#endif
