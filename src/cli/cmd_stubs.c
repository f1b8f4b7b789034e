/* Temporary: replaced as each command lands. */
#include <stdio.h>
#include <sysexits.h>

#include "cli/commands.h"

int
cmd_demo(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "mailcast: demo: not built yet\n");
	return EX_UNAVAILABLE;
}
