/*
 * store_open.c — open the store for a command; check addresses for it.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "base/error.h"
#include "cli/commands.h"
#include "cli/store_open.h"
#include "msg/address.h"

static int open_status = EX_UNAVAILABLE;

/* Open the configured store, or print why not. */
struct store *
cli_store_open(const char *cmd)
{
	const char *url =
	    cli_globals.store != NULL ? cli_globals.store : STORE_DEFAULT_URL;
	struct store *s;
	char err[512];

	if ((s = store_open(url, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mailcast: %s: %s\n", cmd, err);
		open_status = strstr(err, "not built yet") != NULL ||
		                      strstr(err, "unknown scheme") != NULL
		                  ? EX_CONFIG
		                  : EX_CANTCREAT;
	}
	return s;
}

/* Exit status after cli_store_open() failed. */
int
cli_store_exit(void)
{
	return open_status;
}

/* Address check for imports: addr_parse, addr_format, lower-case. */
int
cli_addr_check(void *arg, const char *in, size_t len, char *norm, size_t normsz,
               char *err, size_t errsz)
{
	struct addr a;
	int rc;

	(void)arg;
	while (len > 0 && isspace((unsigned char)*in)) {
		in++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)in[len - 1]))
		len--;
	if (len == 0) {
		snprintf(err, errsz, "empty address");
		return MC_EDATA;
	}
	if ((rc = addr_parse(in, len, &a, err, errsz)) < 0)
		return rc;
	addr_format(&a, norm, normsz);
	for (char *p = norm; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return 0;
}

/* An address or "@domain" given on the command line. */
int
cli_supp_entry(const char *in, char *norm, size_t normsz, char *err,
               size_t errsz)
{
	char probe[ADDR_INPUT_MAX + 2];
	int rc;

	if (in[0] != '@')
		return cli_addr_check(NULL, in, strlen(in), norm, normsz, err,
		                      errsz);
	snprintf(probe, sizeof(probe), "x%s", in);
	if ((rc = cli_addr_check(NULL, probe, strlen(probe), norm, normsz, err,
	                         errsz)) < 0)
		return rc;
	memmove(norm, norm + 1, strlen(norm));
	return 0;
}

int
cli_store_dispatch(const char *cmd, const char *usage,
                   const struct cli_store_sub *subs, size_t nsubs, int argc,
                   char **argv)
{
	struct store *s;
	int rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EX_USAGE : EX_OK;
	}
	for (size_t i = 0; i < nsubs; i++) {
		if (strcmp(argv[1], subs[i].name) != 0)
			continue;
		for (int k = 2; k < argc; k++)
			if (strcmp(argv[k], "--help") == 0 ||
			    strcmp(argv[k], "-h") == 0) {
				fputs(usage, stdout);
				return EX_OK;
			}
		if ((s = cli_store_open(cmd)) == NULL)
			return cli_store_exit();
		optind = 0;
		rc = subs[i].fn(argc - 1, argv + 1, s);
		store_close(s);
		return rc;
	}
	fprintf(stderr, "mailcast: %s: unknown command '%s'\n", cmd, argv[1]);
	fputs(usage, stderr);
	return EX_USAGE;
}
