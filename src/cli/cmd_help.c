/*
 * cmd_help.c — `mailcast help [TOPIC]`: longer help than --help gives.
 * Each topic's text is a page (or part) of docs/ (cmake/doc-text.cmake).
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli/commands.h"

#include "help_config.h"     /* docs/man/mailcast.conf.5.scd, generated */
#include "help_exit_codes.h" /* docs/exit-codes.md */
#include "help_segments.h"   /* docs/segments.md */
#include "help_store.h"      /* docs/store.md */
#include "help_template.h"   /* docs/template.md */
#include "help_tokens.h"     /* docs/template.md's tokens part */

static const struct {
	const char *topic, *alias, *summary, *text;
} topics[] = {
    {"templates", "template", "the template file format and merge fields",
     help_template},
    {"config", NULL, "mailcast.conf: its keys and sections", help_config},
    {"store", NULL, "where the store is, its URLs, who writes it", help_store},
    {"tokens", NULL, "the token keys: signing, rotate, verify", help_tokens},
    {"exit-codes", NULL, "every exit status and what it means",
     help_exit_codes},
    {"segments", NULL, "--where: choosing contacts by attributes",
     help_segments},
};

/* `mailcast help [TOPIC]`. */
int
cmd_help(int argc, char **argv)
{
	size_t n = sizeof(topics) / sizeof(topics[0]);
	FILE *fp = stdout;

	for (size_t i = 0; argc > 1 && i < n; i++) {
		if (strcmp(argv[1], topics[i].topic) == 0 ||
		    (topics[i].alias &&
		     strcmp(argv[1], topics[i].alias) == 0)) {
			fputs(topics[i].text, stdout);
			return EX_OK;
		}
	}
	if (argc > 1 && strcmp(argv[1], "--help") != 0) {
		fprintf(stderr, "mailcast: help: no topic '%s'\n", argv[1]);
		fp = stderr;
	}
	fprintf(fp, "usage: mailcast help TOPIC\n\ntopics:\n");
	for (size_t i = 0; i < n; i++)
		fprintf(fp, "  %-11s %s\n", topics[i].topic, topics[i].summary);
	return fp == stderr ? EX_USAGE : EX_OK;
}
