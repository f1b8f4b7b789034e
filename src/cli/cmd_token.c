/*
 * cmd_token.c — `mailcast token rotate|list`: the store's VERP and
 * unsubscribe token keys (app/token_keys.h).  rotate adds a new key that
 * signs from then on; the older keys keep verifying the tokens already
 * sent.  list shows ids and dates, never a key.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "app/token_keys.h"
#include "base/error.h"
#include "cli/commands.h"
#include "cli/store_open.h"
#include "cli/util.h"
#include "usage_token.h" /* docs/usage/token.txt */

/* One row of `token list`. */
static int
list_row(void *arg, const struct token_key_info *ki)
{
	char when[32];
	struct tm tm;

	(void)arg;
	gmtime_r(&ki->created, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%lld  %s  %s\n", (long long)ki->id, when,
	       ki->current ? "signs (current)"
	       : ki->signs ? "verifies (rotated out)"
	                   : "verifies (a campaign's --token-key)");
	return 0;
}

/* `token verify TOKEN`: the ids it names, or MC_EDATA. */
static int
token_verify(struct store *s, const char *tok, char *err, size_t errsz)
{
	struct token_keyring ring;
	uint64_t campaign, contact;
	int64_t key_id;
	int rc;

	if ((rc = token_keys_load(s, false, &ring, err, errsz)) < 0)
		return rc;
	rc = token_keyring_decode(&ring, tok, strlen(tok), &campaign, &contact,
	                          &key_id);
	token_keyring_wipe(&ring);
	if (rc < 0) {
		snprintf(err, errsz,
		         "token %.60s: not signed by any key of this store "
		         "(tampered, or from another installation)",
		         tok);
		return MC_EDATA;
	}
	printf("campaign %llu contact %llu (key %lld)\n",
	       (unsigned long long)campaign, (unsigned long long)contact,
	       (long long)key_id);
	return 0;
}

/* `token rotate|list|verify TOKEN` on the open store. */
static int
token_run(int argc, char **argv, struct store *s)
{
	char err[400];
	int64_t id;
	int rc;

	if (argc != (strcmp(argv[0], "verify") == 0 ? 2 : 1)) {
		fputs(usage_token, stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[0], "rotate") == 0) {
		rc = token_keys_rotate(s, &id, err, sizeof(err));
		if (rc == 0)
			printf("token key %lld signs from now on; the older "
			       "keys still verify\n",
			       (long long)id);
	} else if (strcmp(argv[0], "verify") == 0) {
		rc = token_verify(s, argv[1], err, sizeof(err));
	} else {
		rc = token_keys_each(s, list_row, NULL, err, sizeof(err));
	}
	if (rc < 0)
		return cli_fail(mc_exit_code(rc), "mailcast: token: %s", err);
	return 0;
}

/* `mailcast token ...` */
int
cmd_token(int argc, char **argv)
{
	static const struct cli_store_sub subs[] = {
	    {"rotate", token_run}, {"list", token_run}, {"verify", token_run}};

	return cli_store_dispatch("token", usage_token, subs,
	                          sizeof(subs) / sizeof(subs[0]), argc, argv);
}
