/* cmd_user.c — `mailcast user add NAME --role admin|viewer` (app/user.h):
 * the password from --password-file FILE (-: stdin) or MAILCAST_PASSWORD,
 * never argv.  Exit: 0; EX_USAGE; EX_IOERR. */
#include <string.h>
#include <time.h>

#include "app/user.h"
#include "cli/commands.h"
#include "cli/util.h"

#include "usage_user.h" /* docs/usage/user.txt */

static const char *role = "viewer", *pwfile;
static struct cli_opt opts[] = {
    {"role", CLI_STR, &role, .shortopt = 'r'},
    {"password-file", CLI_STR, &pwfile, .shortopt = 'p'},
    {0}};

/* user add NAME */
static int
user_run(struct cli_call *c)
{
	char pw[USER_PASSWORD_MAX + 2];
	int rc =
	    user_password_read(pwfile, pw, sizeof(pw), c->err, sizeof(c->err));

	if (rc == 0)
		rc = user_add(c->s, c->argv[0], role, pw, time(NULL), c->err,
		              sizeof(c->err));
	explicit_bzero(pw, sizeof(pw));
	return rc;
}

/* mailcast user ... */
int
cmd_user(int argc, char **argv)
{
	static const struct cli_sub subs[] = {
	    CLI_SUB("add", user_run, CLI_STORE_WRITE, 1, 1, opts), {0}};
	return cli_subs_run("user", usage_user, subs, argc, argv);
}
