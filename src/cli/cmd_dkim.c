/*
 * cmd_dkim.c — `mailcast dkim keygen` (a new key file and the DNS TXT
 * record to publish) and `mailcast dkim txt` (the record of an existing
 * key), through app/keys.h.  The private key is never printed.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include <jansson.h>

#include "app/keys.h"
#include "base/error.h"
#include "cli/commands.h"
#include "cli/util.h"

#include "usage_dkim.h" /* docs/usage/dkim.txt */

/* Print the record: a zone-file line, or JSON. */
static void
print_record(const char *sel, const char *dom, const char *value,
             const char *file)
{
	struct buf line;

	if (cli_globals.json) {
		cli_json_print(app_dkim_record_json(sel, dom, value, file));
		return;
	}
	if (file != NULL)
		fprintf(stderr,
		        "mailcast: dkim: wrote the private key to %s (keep it "
		        "secret)\n",
		        file);
	buf_init(&line);
	app_dkim_zone_line(sel, dom, value, &line);
	fputs(buf_cstr(&line), stdout);
	buf_fini(&line);
}

static const char *dom, *sel, *type = "rsa", *out, *keyfile;
static int bits = 2048;
static struct cli_opt opts[] = {
    CLI_O("domain", CLI_STR, &dom),
    CLI_O("selector", CLI_STR, &sel),
    CLI_O("type", CLI_STR, &type),
    CLI_N("bits", CLI_INT, &bits, 0, 16384,
          "mailcast: dkim: --bits wants a number"),
    CLI_O("out", CLI_STR, &out),
    CLI_O("key", CLI_STR, &keyfile),
    {0},
};

/* `dkim keygen` and `dkim txt`: the key, then the record to publish. */
static int
dkim_run(struct cli_call *c)
{
	bool keygen = strcmp(c->name, "dkim keygen") == 0;
	char path[1024];
	struct buf txt;
	int rc;

	if (dom == NULL || sel == NULL || (!keygen && keyfile == NULL))
		return mc_fail(MC_EINVAL, c->err, sizeof(c->err),
		               "--domain and --selector needed%s",
		               keygen ? "" : ", and --key FILE");
	buf_init(&txt);
	rc = keygen ? app_dkim_keygen(type, bits, out, dom, sel, &txt, path,
	                              sizeof(path), c->err, sizeof(c->err))
	            : app_dkim_txt(keyfile, dom, sel, &txt, c->err,
	                           sizeof(c->err));
	if (rc == 0)
		print_record(sel, dom, buf_cstr(&txt), keygen ? path : NULL);
	buf_fini(&txt);
	if (rc == MC_EIO)
		rc = keygen ? MC_EROFS : MC_ENOTFOUND;
	return rc;
}

/* `mailcast dkim keygen|txt`. */
int
cmd_dkim(int argc, char **argv)
{
	static const struct cli_sub subs[] = {
	    CLI_SUB("keygen", dkim_run, CLI_STORE_NONE, 0, 0, opts),
	    CLI_SUB("txt", dkim_run, CLI_STORE_NONE, 0, 0, opts),
	    {0},
	};
	return cli_subs_run("dkim", usage_dkim, subs, argc, argv);
}
