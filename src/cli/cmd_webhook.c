/* cmd_webhook.c — `mailcast webhook list|retry`: the webhook outbox
 * (app/webhook.h does the work; docs/webhooks.md). */
#include "app/webhook.h"
#include "cli/commands.h"
#include "cli/util.h"
#include "usage_webhook.h" /* docs/usage/webhook.txt */

static struct webhook_list_opts lo;
static struct webhook_retry_opts ro;
static struct cli_opt lopts[] = {CLI_O("state", CLI_STR, &lo.state), {0}};
static struct cli_opt ropts[] = {CLI_O("failed", CLI_FLAG, &ro.failed), {0}};
static const struct cli_sub subs[] = {
    CLI_OP("list", webhook_list_op, &lo, CLI_STORE_READ, 0, 0, lopts,
           "{id}  {state}  {event}  attempts {attempts}  {time:t}  {error}\n"),
    CLI_OP("retry", webhook_retry_op, &ro, CLI_STORE_WRITE, 0, 1, ropts,
           "{retried} event(s) pending again\n"),
    {0}};

/* `mailcast webhook ...` */
int
cmd_webhook(int argc, char **argv)
{
	return cli_subs_run("webhook", usage_webhook, subs, argc, argv);
}
