/*
 * cmd_preview.c — `mailcast preview`: the exact bytes one recipient would
 * get (app/preview.h renders them).  The message goes to stdout (CRLF line
 * ends, not dot-stuffed); the envelope (VERP sender, recipient) to stderr.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "app/preview.h"
#include "base/error.h"
#include "cli/commands.h"
#include "cli/util.h"

#include "usage_preview.h" /* docs/usage/preview.txt */

#define PREVIEW_SETS_MAX 256

/* `mailcast preview`. */
int
cmd_preview(int argc, char **argv)
{
	static const char *sets[PREVIEW_SETS_MAX];
	struct app_preview_opts o = {.campaign_id = 1, .contact_id = 1};
	struct cli_many ms = {sets, 0}, mk = {o.dkim_key, 0};
	struct cli_many msel = {o.dkim_selector, 0};
	unsigned long long row = 0, date = 0;
	struct cli_opt opts[] = {
	    CLI_O("template", CLI_STR, &o.template_path),
	    CLI_N("set", CLI_MANY, &ms, 0, PREVIEW_SETS_MAX,
	          "mailcast: preview: more than 256 --set"),
	    CLI_O("csv", CLI_STR, &o.csv),
	    CLI_O("email-column", CLI_STR, &o.email_column),
	    CLI_N("row", CLI_ULL, &row, 1, 1ULL << 40,
	          "mailcast: preview: --row wants a number from 1"),
	    CLI_N("dkim-key", CLI_MANY, &mk, 0, DKIM_KEYS_MAX,
	          "mailcast: preview: at most two --dkim-key"),
	    CLI_O("dkim-domain", CLI_STR, &o.dkim_domain),
	    CLI_N("dkim-selector", CLI_MANY, &msel, 0, DKIM_KEYS_MAX,
	          "mailcast: preview: at most two --dkim-selector"),
	    CLI_O("token-key", CLI_STR, &o.token_key),
	    CLI_O("campaign", CLI_STR, &o.campaign),
	    CLI_N("campaign-id", CLI_ULL, &o.campaign_id, 0, ~0ULL,
	          "mailcast: preview: --campaign-id is not a number"),
	    CLI_N("contact-id", CLI_ULL, &o.contact_id, 0, ~0ULL,
	          "mailcast: preview: --contact-id is not a number"),
	    CLI_O("unsubscribe-url", CLI_STR, &o.unsubscribe_url),
	    CLI_O("unsubscribe-mailto", CLI_STR, &o.unsubscribe_mailto),
	    CLI_O("bounce-domain", CLI_STR, &o.bounce_domain),
	    CLI_N("date", CLI_ULL, &date, 0, ~0ULL,
	          "mailcast: preview: --date is not a number"),
	    {0},
	};
	const struct cli_cmd c = {"mailcast: preview", usage_preview, opts,
	                          false};
	struct app_preview out;
	int i, rc;

	if ((i = cli_parse(&c, argc, argv, &rc)) < 0)
		return rc;
	if (o.template_path == NULL || i != argc) {
		fputs(c.usage, stderr);
		return EX_USAGE;
	}
	o.sets = sets;
	o.nsets = ms.n;
	o.ndkim = mk.n;
	o.nselectors = msel.n;
	o.row = (unsigned long)row;
	o.date = (time_t)date;
	rc = app_preview_render(&o, &out);
	if (out.demo_key)
		fprintf(stderr, "mailcast: preview: no --token-key: using a "
		                "demo key, tokens will not verify\n");
	if (rc != 0) {
		fprintf(stderr, "mailcast: preview: %s\n", out.err);
		app_preview_fini(&out);
		return mc_exit_code(rc);
	}
	if (out.mail_from[0])
		fprintf(stderr,
		        "mailcast: preview: envelope MAIL FROM:<%s> "
		        "RCPT TO:<%s>\n",
		        out.mail_from, out.rcpt_to);
	if (fwrite(buf_data(&out.msg), 1, buf_len(&out.msg), stdout) !=
	        buf_len(&out.msg) ||
	    fflush(stdout) != 0) {
		fprintf(stderr,
		        "mailcast: preview: cannot write the message\n");
		rc = EX_IOERR;
	}
	app_preview_fini(&out);
	return rc;
}
