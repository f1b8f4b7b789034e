/*
 * commands.c — the command table, from CLI_COMMANDS (commands.h).
 */
#include <stddef.h>

#include "cli/commands.h"

#define CLI_COMMAND_ROW(name, summary) {#name, cmd_##name, summary},
const struct cli_command cli_commands[] = {
    CLI_COMMANDS(CLI_COMMAND_ROW){NULL, NULL, NULL},
};
