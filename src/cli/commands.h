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

struct cli_command {
	const char *name;
	cli_command_fn *run;
	const char *summary;
};

/* The table, ended by a NULL name (commands.c). */
extern const struct cli_command cli_commands[];

cli_command_fn cmd_bounces;
cli_command_fn cmd_dns;
cli_command_fn cmd_doctor;
cli_command_fn cmd_netinfo;
cli_command_fn cmd_ping;
cli_command_fn cmd_probe;
cli_command_fn cmd_trace;
cli_command_fn cmd_demo;
cli_command_fn cmd_campaign;
cli_command_fn cmd_broadcast;
cli_command_fn cmd_send;
cli_command_fn cmd_sink;
cli_command_fn cmd_list;
cli_command_fn cmd_suppress;
cli_command_fn cmd_contact;
cli_command_fn cmd_user;
cli_command_fn cmd_preview;
cli_command_fn cmd_token;
cli_command_fn cmd_store;
cli_command_fn cmd_worker;
cli_command_fn cmd_serve;
cli_command_fn cmd_dkim;
cli_command_fn cmd_help;
cli_command_fn cmd_version;

#endif
