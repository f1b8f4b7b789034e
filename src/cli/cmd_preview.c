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

#define PREVIEW_SETS_MAX 256

/* --set KEY=VALUE */
static int
check_set(void *dst, const char *arg)
{
	struct cli_many *m = dst;

	if (m->n >= PREVIEW_SETS_MAX || strchr(arg, '=') == NULL ||
	    arg[0] == '=') {
		fprintf(stderr,
		        "mailcast: preview: --set wants KEY=VALUE, got "
		        "'%s'\n",
		        arg);
		return -1;
	}
	m->v[m->n++] = arg;
	return 0;
}

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
	    {.name = "template", .type = CLI_STR, .dst = &o.template_path},
	    {"set", CLI_FN, &ms, .fn = check_set},
	    {.name = "csv", .type = CLI_STR, .dst = &o.csv},
	    {.name = "row",
	     .type = CLI_ULL,
	     .dst = &row,
	     .min = 1,
	     .max = 1ULL << 40,
	     .bad = "mailcast: preview: --row wants a number from 1"},
	    {.name = "dkim-key",
	     .type = CLI_MANY,
	     .dst = &mk,
	     .min = 0,
	     .max = DKIM_KEYS_MAX,
	     .bad = "mailcast: preview: at most two --dkim-key"},
	    {.name = "dkim-domain", .type = CLI_STR, .dst = &o.dkim_domain},
	    {.name = "dkim-selector",
	     .type = CLI_MANY,
	     .dst = &msel,
	     .min = 0,
	     .max = DKIM_KEYS_MAX,
	     .bad = "mailcast: preview: at most two --dkim-selector"},
	    {.name = "token-key", .type = CLI_STR, .dst = &o.token_key},
	    {.name = "campaign", .type = CLI_STR, .dst = &o.campaign},
	    {.name = "campaign-id",
	     .type = CLI_ULL,
	     .dst = &o.campaign_id,
	     .min = 0,
	     .max = ~0ULL,
	     .bad = "mailcast: preview: --campaign-id is not a number"},
	    {.name = "contact-id",
	     .type = CLI_ULL,
	     .dst = &o.contact_id,
	     .min = 0,
	     .max = ~0ULL,
	     .bad = "mailcast: preview: --contact-id is not a number"},
	    {.name = "unsubscribe-url",
	     .type = CLI_STR,
	     .dst = &o.unsubscribe_url},
	    {.name = "unsubscribe-mailto",
	     .type = CLI_STR,
	     .dst = &o.unsubscribe_mailto},
	    {.name = "bounce-domain", .type = CLI_STR, .dst = &o.bounce_domain},
	    {.name = "date",
	     .type = CLI_ULL,
	     .dst = &date,
	     .min = 0,
	     .max = ~0ULL,
	     .bad = "mailcast: preview: --date is not a number"},
	    {0},
	};
	const struct cli_cmd c = {
	    "mailcast: preview",
	    "usage: mailcast preview --template FILE [--set KEY=VALUE ...]\n"
	    "                        [--csv FILE --row N]\n"
	    "                        [--dkim-key FILE [--dkim-key FILE]\n"
	    "                         --dkim-selector S [--dkim-selector S2]\n"
	    "                         [--dkim-domain D]]\n"
	    "                        [--token-key FILE] [--campaign NAME]\n"
	    "                        [--campaign-id N] [--contact-id N]\n"
	    "                        [--unsubscribe-url URL]\n"
	    "                        [--unsubscribe-mailto ADDR]\n"
	    "                        [--bounce-domain D] [--date EPOCH]\n"
	    "\n"
	    "Prints the message one recipient would get.  The recipient's\n"
	    "address is the field 'email' (--set email=... or a CSV column).\n"
	    "--row N is the N-th data row after the CSV header (from 1).\n"
	    "Without --token-key a fixed demo key is used (tokens will not\n"
	    "verify).  `mailcast help template` describes templates.\n",
	    opts, false};
	struct app_preview out;
	int i, rc;

	if ((i = cli_parse(&c, argc, argv, &rc)) < 0)
		return rc;
	if (o.template_path == NULL || i != argc) {
		fputs(c.usage, stderr);
		return EX_USAGE;
	}
	if ((o.csv == NULL) != (row == 0))
		return cli_usage_error(&c, "--csv and --row go together");
	if (mk.n > 0 && msel.n != mk.n)
		return cli_usage_error(&c, "give one --dkim-selector per "
		                           "--dkim-key");
	if (mk.n == 0 && (msel.n > 0 || o.dkim_domain != NULL))
		return cli_usage_error(&c, "--dkim-selector/--dkim-domain need "
		                           "--dkim-key");
	o.sets = sets;
	o.nsets = ms.n;
	o.ndkim = mk.n;
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
