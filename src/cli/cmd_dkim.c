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

/* Print the record as a zone-file line (strings of <= 255 octets). */
static void
print_record(const char *sel, const char *dom, const char *value,
             const char *file)
{
	if (cli_globals.json) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "name", "", "type",
		                      "TXT", "value", value);
		char name[600];
		snprintf(name, sizeof(name), "%s._domainkey.%s", sel, dom);
		json_object_set_new(o, "name", json_string(name));
		if (file != NULL)
			json_object_set_new(o, "key_file", json_string(file));
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
		return;
	}
	if (file != NULL)
		fprintf(stderr,
		        "mailcast: dkim: wrote the private key to %s (keep it "
		        "secret)\n",
		        file);
	printf("%s._domainkey.%s. IN TXT (", sel, dom);
	for (size_t off = 0, n = strlen(value); off < n; off += 250)
		printf(" \"%.*s\"", (int)(n - off < 250 ? n - off : 250),
		       value + off);
	printf(" )\n");
}

/* `mailcast dkim keygen|txt`. */
int
cmd_dkim(int argc, char **argv)
{
	const char *dom = NULL, *sel = NULL, *type = "rsa", *out = NULL;
	const char *keyfile = NULL;
	int bits = 2048, i, rc;
	struct cli_opt opts[] = {
	    CLI_O("domain", CLI_STR, &dom),
	    CLI_O("selector", CLI_STR, &sel),
	    CLI_O("type", CLI_STR, &type),
	    CLI_N("bits", CLI_INT, &bits, 0, 16384,
	          "mailcast: dkim: --bits wants a number"),
	    CLI_O("out", CLI_STR, &out),
	    CLI_O("key", CLI_STR, &keyfile),
	    {0},
	};
	const struct cli_cmd c = {
	    "mailcast: dkim",
	    "usage: mailcast dkim keygen --domain D --selector S\n"
	    "                            [--type rsa|ed25519] [--bits N] "
	    "[--out FILE]\n"
	    "       mailcast dkim txt --key FILE --domain D --selector S\n"
	    "\n"
	    "keygen writes a new private key (PEM, mode 0600; default file\n"
	    "S.D.<type>.pem, never overwritten) and prints the TXT record to\n"
	    "publish at S._domainkey.D.  RSA keys are 2048 bits unless --bits\n"
	    "says otherwise.  Sign with both types for the widest reach:\n"
	    "ed25519 (RFC 8463) is small and fast, rsa is what every\n"
	    "verifier knows.\n",
	    opts, true};
	char err[512], path[1024];
	struct buf txt;
	bool keygen;

	if (argc >= 2 &&
	    (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(c.usage, stdout);
		return EX_OK;
	}
	if (argc < 2 ||
	    (strcmp(argv[1], "keygen") != 0 && strcmp(argv[1], "txt") != 0)) {
		fputs(c.usage, stderr);
		return EX_USAGE;
	}
	keygen = strcmp(argv[1], "keygen") == 0;
	if ((i = cli_parse(&c, argc - 1, argv + 1, &rc)) < 0)
		return rc;
	if (dom == NULL || sel == NULL || i != argc - 1) {
		fputs(c.usage, stderr);
		return EX_USAGE;
	}
	if (!keygen && keyfile == NULL)
		return cli_usage_error(&c, "txt needs --key FILE");
	buf_init(&txt);
	rc = keygen ? app_dkim_keygen(type, bits, out, dom, sel, &txt, path,
	                              sizeof(path), err, sizeof(err))
	            : app_dkim_txt(keyfile, dom, sel, &txt, err, sizeof(err));
	if (rc == 0)
		print_record(sel, dom, buf_cstr(&txt), keygen ? path : NULL);
	else
		fprintf(stderr, "mailcast: dkim: %s\n", err);
	buf_fini(&txt);
	if (rc == MC_EIO)
		return keygen ? EX_CANTCREAT : EX_NOINPUT;
	return rc == 0 ? EX_OK : mc_exit_code(rc);
}
