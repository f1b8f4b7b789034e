/*
 * cmd_dkim.c — `mailcast dkim keygen` (a new key file and the DNS TXT
 * record to publish) and `mailcast dkim txt` (the record of an existing
 * key).  The private key is written 0600 and never printed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/str.h"
#include "cli/commands.h"
#include "msg/dkim.h"

static void
usage(FILE *fp)
{
	fprintf(
	    fp,
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
	    "verifier knows.\n");
}

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

/* Parse the options shared by both subcommands. */
static int
dkim_opts(int argc, char **argv, const char **dom, const char **sel,
          const char **type, const char **out, const char **key, int *bits)
{
	static const struct option opts[] = {
	    {"domain", required_argument, NULL, 'd'},
	    {"selector", required_argument, NULL, 's'},
	    {"type", required_argument, NULL, 't'},
	    {"bits", required_argument, NULL, 'b'},
	    {"out", required_argument, NULL, 'o'},
	    {"key", required_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	unsigned long long v;
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			*dom = optarg;
			break;
		case 's':
			*sel = optarg;
			break;
		case 't':
			*type = optarg;
			break;
		case 'o':
			*out = optarg;
			break;
		case 'k':
			*key = optarg;
			break;
		case 'b':
			if (!mc_parse_uint(optarg, strlen(optarg), 16384, &v)) {
				fprintf(stderr, "mailcast: dkim: --bits wants "
				                "a number\n");
				return EX_USAGE;
			}
			*bits = (int)v;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (*dom == NULL || *sel == NULL || optind != argc) {
		usage(stderr);
		return EX_USAGE;
	}
	return 0;
}

int
cmd_dkim(int argc, char **argv)
{
	const char *dom = NULL, *sel = NULL, *type = "rsa", *out = NULL;
	const char *keyfile = NULL;
	char err[512], path[1024];
	struct dkim_key *k = NULL;
	struct buf txt;
	int bits = 2048, rc;
	bool keygen;

	if (argc >= 2 &&
	    (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return EX_OK;
	}
	if (argc < 2 ||
	    (strcmp(argv[1], "keygen") != 0 && strcmp(argv[1], "txt") != 0)) {
		usage(stderr);
		return EX_USAGE;
	}
	keygen = strcmp(argv[1], "keygen") == 0;
	rc = dkim_opts(argc - 1, argv + 1, &dom, &sel, &type, &out, &keyfile,
	               &bits);
	if (rc != 0)
		return rc < 0 ? EX_OK : rc;
	buf_init(&txt);
	if (keygen) {
		enum dkim_alg alg;
		if (strcmp(type, "rsa") == 0) {
			alg = DKIM_RSA_SHA256;
		} else if (strcmp(type, "ed25519") == 0) {
			alg = DKIM_ED25519_SHA256;
		} else {
			fprintf(stderr, "mailcast: dkim: --type is rsa or "
			                "ed25519\n");
			return EX_USAGE;
		}
		if (out == NULL) {
			snprintf(path, sizeof(path), "%s.%s.%s.pem", sel, dom,
			         type);
			out = path;
		}
		rc = dkim_key_generate(alg, bits, out, dom, sel, &k, err,
		                       sizeof(err));
	} else {
		if (keyfile == NULL) {
			fprintf(stderr, "mailcast: dkim: txt needs --key "
			                "FILE\n");
			return EX_USAGE;
		}
		rc = dkim_key_load(keyfile, dom, sel, &k, err, sizeof(err));
	}
	if (rc != 0) {
		fprintf(stderr, "mailcast: dkim: %s\n", err);
		return rc == MC_EIO ? (keygen ? EX_CANTCREAT : EX_NOINPUT)
		                    : mc_exit_code(rc);
	}
	dkim_key_txt(k, &txt);
	print_record(sel, dom, buf_cstr(&txt), keygen ? out : NULL);
	buf_fini(&txt);
	dkim_key_free(k);
	return EX_OK;
}
