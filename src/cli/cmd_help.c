/*
 * cmd_help.c — `mailcast help [TOPIC]`: longer help than --help gives.
 * The template text is docs/template.md (cmake/doc-text.cmake).
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli/commands.h"

#include "help_segments.h" /* docs/segments.md, generated */
#include "help_template.h" /* docs/template.md, generated */

static const struct {
	const char *topic, *summary, *text;
} topics[] = {
    {"template", "the template file format and merge fields", help_template},
    {"segments", "--where: choosing contacts by attributes", help_segments},
};

/* `mailcast help [TOPIC]`. */
int
cmd_help(int argc, char **argv)
{
	size_t n = sizeof(topics) / sizeof(topics[0]);

	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		printf("usage: mailcast help TOPIC\n\ntopics:\n");
		for (size_t i = 0; i < n; i++)
			printf("  %-10s %s\n", topics[i].topic,
			       topics[i].summary);
		return argc < 2 ? EX_USAGE : EX_OK;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(argv[1], topics[i].topic) == 0) {
			fputs(topics[i].text, stdout);
			return EX_OK;
		}
	}
	fprintf(stderr, "mailcast: help: no topic '%s' (try: mailcast help)\n",
	        argv[1]);
	return EX_USAGE;
}
