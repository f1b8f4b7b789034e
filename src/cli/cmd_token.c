/*
 * cmd_token.c — `mailcast token rotate|list|verify`: the store's VERP and
 * unsubscribe token keys (app/token_keys.h).  rotate adds a new key that
 * signs from then on; the older keys keep verifying the tokens already
 * sent.  list shows ids and dates, never a key; then the REST API's
 * bearer tokens (app/api_token.h: create --scope, revoke ID), never one's
 * secret.
 */
#include <stdio.h>

#include "app/api_token.h"
#include "app/token_keys.h"
#include "cli/commands.h"
#include "cli/util.h"
#include "usage_token.h" /* docs/usage/token.txt */

/* token rotate */
static int
token_rotate(struct cli_call *c)
{
	int64_t id;
	int rc = token_keys_rotate(c->s, &id, c->err, sizeof(c->err));

	if (rc == 0)
		printf("token key %lld signs from now on; the older keys still "
		       "verify\n",
		       (long long)id);
	return rc;
}

/* token list */
static int
token_list(struct cli_call *c)
{
	json_t *v;
	int rc = token_keys_json(c->s, &v, c->err, sizeof(c->err));

	if (rc == 0)
		cli_out(v, "{id}  {created:t}  {role}\n");
	if (rc == 0 &&
	    (rc = api_token_list(c->s, &v, c->err, sizeof(c->err))) == 0) {
		if (json_array_size(v) > 0)
			cli_out(v, "api token {id}  {scope}  {state}  "
			           "{created:t}  {name}\n");
		else
			json_decref(v);
	}
	return rc;
}

/* token verify TOKEN */
static int
token_verify(struct cli_call *c)
{
	uint64_t campaign, contact;
	int64_t key;
	int rc = token_keys_verify(c->s, c->argv[0], &campaign, &contact, &key,
	                           c->err, sizeof(c->err));

	if (rc == 0)
		cli_out(json_pack("{s:I,s:I,s:I}", "campaign",
		                  (json_int_t)campaign, "contact",
		                  (json_int_t)contact, "key", (json_int_t)key),
		        "campaign {campaign} contact {contact} (key {key})\n");
	return rc;
}

/* `mailcast token ...` */
int
cmd_token(int argc, char **argv)
{
	static struct api_token_opts o;
	static struct cli_opt create_opts[] = {
	    CLI_O("scope", CLI_STR, &o.scope),
	    CLI_O("name", CLI_STR, &o.name),
	    {0}};
	static const struct cli_sub subs[] = {
	    CLI_OP("create", api_token_create, &o, CLI_STORE_WRITE, 0, 0,
	           create_opts, "api token {id} ({scope}): {token}\n"),
	    CLI_OP("revoke", api_token_revoke, NULL, CLI_STORE_WRITE, 1, 1,
	           NULL, "api token {id} revoked\n"),
	    CLI_SUB("rotate", token_rotate, CLI_STORE_WRITE, 0, 0, NULL),
	    CLI_SUB("list", token_list, CLI_STORE_READ, 0, 0, NULL),
	    CLI_SUB("verify", token_verify, CLI_STORE_READ, 1, 1, NULL),
	    {0},
	};
	return cli_subs_run("token", usage_token, subs, argc, argv);
}
