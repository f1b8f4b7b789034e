/*
 * commands.c — the command table; keep it in the order `mailcast --help`
 * lists them.
 */
#include <stddef.h>

#include "cli/commands.h"

const struct cli_command cli_commands[] = {
    {"demo", cmd_demo, "the main job on embedded defaults (see README)"},
    {"campaign", cmd_campaign,
     "campaigns: create | start | pause | resume | status | report | who"},
    {"broadcast", cmd_broadcast,
     "one-shot: list + template -> campaign, sent in the foreground"},
    {"bounces", cmd_bounces, "parse bounces, complaints and auto-replies"},
    {"doctor", cmd_doctor, "why isn't mail going out? cause, evidence, fix"},
    {"probe", cmd_probe, "the state of each mail port of a host"},
    {"trace", cmd_trace, "hops to a host, ICMP decoded, path MTU"},
    {"ping", cmd_ping, "ICMP echo: RTT, loss, TTL, ICMP errors"},
    {"netinfo", cmd_netinfo, "interfaces, gateway and its MAC, routes, DNS"},
    {"dns", cmd_dns, "MX, PTR, SPF, DKIM, DMARC, blocklists"},
    {"list", cmd_list,
     "contacts and lists: import | add | export | show | count | remove"},
    {"suppress", cmd_suppress,
     "the suppression list: add | remove | list | check | import"},
    {"worker", cmd_worker,
     "run every running campaign of a shared store, until stopped"},
    {"store", cmd_store, "the store's schema: migrate"},
    {"contact", cmd_contact,
     "one contact: show | set | delete | erase | history | resubscribe"},
    {"user", cmd_user, "dashboard users: add"},
    {"token", cmd_token, "the store's token keys: rotate | list | verify"},
    {"serve", cmd_serve, "HTTP: one-click unsubscribe (RFC 8058), /healthz"},
    {"preview", cmd_preview, "render the message one recipient would get"},
    {"dkim", cmd_dkim, "DKIM keys: keygen | txt (the DNS record to publish)"},
    {"help", cmd_help, "longer help on a topic: mailcast help template"},
    {"send", cmd_send, "send one message, swaks-like, with --transcript"},
    {"sink", cmd_sink, "a capture SMTP server for trying campaigns locally"},
    {"version", cmd_version, "print the version"},
    {NULL, NULL, NULL},
};
