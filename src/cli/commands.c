/*
 * commands.c — the command table; keep it in the order `mailcast --help`
 * lists them.
 */
#include <stddef.h>

#include "cli/commands.h"

const struct cli_command cli_commands[] = {
    {"demo", cmd_demo, "the main job on embedded defaults (see README)"},
    {"send", cmd_send, "send one message, swaks-like, with --transcript"},
    {"sink", cmd_sink, "a capture SMTP server for trying campaigns locally"},
    {"version", cmd_version, "print the version"},
    {NULL, NULL, NULL},
};
