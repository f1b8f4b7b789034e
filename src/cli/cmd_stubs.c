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

int
cmd_send(int argc, char **argv)
{
	return cmd_demo(argc, argv);
}

int
cmd_sink(int argc, char **argv)
{
	return cmd_demo(argc, argv);
}
