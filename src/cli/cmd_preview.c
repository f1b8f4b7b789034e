/*
 * cmd_preview.c — `mailcast preview`: the exact bytes one recipient would
 * get, rendered from --set values or one CSV row, signed when DKIM keys
 * are given.  The message goes to stdout (CRLF line ends, not
 * dot-stuffed); the envelope (VERP sender, recipient) to stderr.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "bounce/token.h"
#include "cli/commands.h"
#include "msg/address.h"
#include "msg/dkim.h"
#include "msg/template.h"
#include "store/csv_read.h"

#define PREVIEW_SETS_MAX 256

static void
usage(FILE *fp)
{
	fprintf(
	    fp,
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
	    "verify).  `mailcast help template` describes templates.\n");
}

/* Fill names/values from one CSV row (the header is row 0). */
static int
read_csv_row(const char *path, unsigned long want, char ***names,
             struct tmpl_value **vals, size_t *n, char **store)
{
	FILE *fp = fopen(path, "rb");
	struct csv_reader *r;
	struct csv_row row;
	unsigned long seen = 0;
	int rc, ret = EX_DATAERR;

	if (fp == NULL) {
		fprintf(stderr, "mailcast: preview: %s: cannot open\n", path);
		return EX_NOINPUT;
	}
	r = csv_reader_new(fp);
	rc = csv_reader_next(r, &row);
	if (rc != 0) {
		fprintf(stderr, "mailcast: preview: %s: %s\n", path,
		        rc == 1 ? "empty file (no header row)"
		                : csv_reader_error(r));
		goto done;
	}
	*n = row.nfields;
	*names = xcalloc(row.nfields, sizeof(char *));
	for (size_t i = 0; i < row.nfields; i++)
		(*names)[i] = xstrdup(row.fields[i]);
	for (;;) {
		rc = csv_reader_next(r, &row);
		if (rc == 1) {
			fprintf(stderr,
			        "mailcast: preview: %s: no row %lu (%lu data "
			        "rows)\n",
			        path, want, seen);
			goto done;
		}
		if (rc == MC_EIO || rc == MC_EUNSUPP) {
			fprintf(stderr, "mailcast: preview: %s: %s\n", path,
			        csv_reader_error(r));
			goto done;
		}
		seen++;
		if (seen < want)
			continue;
		if (rc != 0) {
			fprintf(stderr, "mailcast: preview: %s: %s\n", path,
			        csv_reader_error(r));
			goto done;
		}
		*vals = xcalloc(row.nfields, sizeof(**vals));
		for (size_t i = 0; i < row.nfields; i++) {
			store[i] = xmemdup(row.fields[i], row.lens[i] + 1);
			(*vals)[i].s = store[i];
			(*vals)[i].len = row.lens[i];
		}
		ret = 0;
		goto done;
	}
done:
	csv_reader_free(r);
	fclose(fp);
	return ret;
}

int
cmd_preview(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"template", required_argument, NULL, 't'},
	    {"set", required_argument, NULL, 's'},
	    {"csv", required_argument, NULL, 'c'},
	    {"row", required_argument, NULL, 'r'},
	    {"dkim-key", required_argument, NULL, 'k'},
	    {"dkim-domain", required_argument, NULL, 'd'},
	    {"dkim-selector", required_argument, NULL, 'S'},
	    {"token-key", required_argument, NULL, 'T'},
	    {"campaign", required_argument, NULL, 'C'},
	    {"campaign-id", required_argument, NULL, 'I'},
	    {"contact-id", required_argument, NULL, 'N'},
	    {"unsubscribe-url", required_argument, NULL, 'u'},
	    {"unsubscribe-mailto", required_argument, NULL, 'm'},
	    {"bounce-domain", required_argument, NULL, 'b'},
	    {"date", required_argument, NULL, 'D'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *tpath = NULL, *csv = NULL, *tokpath = NULL;
	const char *keys[DKIM_KEYS_MAX], *sels[DKIM_KEYS_MAX], *dom = NULL;
	const char *bounce_dom = NULL;
	size_t nkeys = 0, nsels = 0, nsets = 0, nf = 0;
	unsigned long long row = 0, cid = 1, kid = 1, date = 0;
	bool have_date = false;
	char *sets[PREVIEW_SETS_MAX];
	struct tmpl_options topt = {0};
	char err[TMPL_ERR_MAX], tok[TOKEN_MAX + 1], verp[ADDR_PATH_MAX + 16];
	char **names = NULL, *store[CSV_READER_FIELDS_MAX] = {0};
	struct tmpl_value *vals = NULL;
	struct tmpl *t = NULL;
	struct token_key tk;
	struct dkim_key *dk[DKIM_KEYS_MAX] = {0};
	struct dkim_signer *signer = NULL;
	struct msg_render *mr = NULL;
	struct buf msg, sig;
	int ch, rc, ret = EX_OK;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
			tpath = optarg;
			break;
		case 's':
			if (nsets >= PREVIEW_SETS_MAX ||
			    strchr(optarg, '=') == NULL || optarg[0] == '=') {
				fprintf(stderr,
				        "mailcast: preview: --set wants "
				        "KEY=VALUE, got '%s'\n",
				        optarg);
				return EX_USAGE;
			}
			sets[nsets++] = optarg;
			break;
		case 'c':
			csv = optarg;
			break;
		case 'r':
			if (!mc_parse_uint(optarg, strlen(optarg), 1UL << 40,
			                   &row) ||
			    row == 0) {
				fprintf(stderr, "mailcast: preview: --row "
				                "wants a number from 1\n");
				return EX_USAGE;
			}
			break;
		case 'k':
			if (nkeys >= DKIM_KEYS_MAX) {
				fprintf(stderr, "mailcast: preview: at most "
				                "two --dkim-key\n");
				return EX_USAGE;
			}
			keys[nkeys++] = optarg;
			break;
		case 'S':
			if (nsels >= DKIM_KEYS_MAX) {
				fprintf(stderr, "mailcast: preview: at most "
				                "two --dkim-selector\n");
				return EX_USAGE;
			}
			sels[nsels++] = optarg;
			break;
		case 'd':
			dom = optarg;
			break;
		case 'T':
			tokpath = optarg;
			break;
		case 'C':
			topt.campaign = optarg;
			break;
		case 'I':
		case 'N':
		case 'D':
			if (!mc_parse_uint(optarg, strlen(optarg), UINT64_MAX,
			                   ch == 'I'   ? &cid
			                   : ch == 'N' ? &kid
			                               : &date)) {
				fprintf(stderr,
				        "mailcast: preview: '%s' is not a "
				        "number\n",
				        optarg);
				return EX_USAGE;
			}
			if (ch == 'D')
				have_date = true;
			break;
		case 'u':
			topt.unsubscribe_url = optarg;
			break;
		case 'm':
			topt.unsubscribe_mailto = optarg;
			break;
		case 'b':
			bounce_dom = optarg;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (tpath == NULL || optind != argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if ((csv == NULL) != (row == 0)) {
		fprintf(stderr, "mailcast: preview: --csv and --row go "
		                "together\n");
		return EX_USAGE;
	}
	if (nkeys > 0 && nsels != nkeys) {
		fprintf(stderr, "mailcast: preview: give one --dkim-selector "
		                "per --dkim-key\n");
		return EX_USAGE;
	}
	if (nkeys == 0 && (nsels > 0 || dom != NULL)) {
		fprintf(stderr,
		        "mailcast: preview: --dkim-selector/--dkim-domain need "
		        "--dkim-key\n");
		return EX_USAGE;
	}
	buf_init(&msg);
	buf_init(&sig);

	/* The recipient's fields: a CSV row, then --set on top. */
	if (csv != NULL) {
		if ((ret = read_csv_row(csv, (unsigned long)row, &names, &vals,
		                        &nf, store)) != 0)
			goto done;
	}
	for (size_t i = 0; i < nsets; i++) {
		const char *eq = strchr(sets[i], '=');
		size_t kl = (size_t)(eq - sets[i]), j;
		for (j = 0; j < nf; j++)
			if (mc_ieq(sets[i], kl, names[j]))
				break;
		if (j == nf) {
			names = xreallocarray(names, nf + 1, sizeof(*names));
			vals = xreallocarray(vals, nf + 1, sizeof(*vals));
			names[nf++] = xstrndup(sets[i], kl);
		}
		vals[j].s = eq + 1;
		vals[j].len = strlen(eq + 1);
	}
	const char *email = NULL;
	for (size_t j = 0; j < nf; j++)
		if (strcasecmp(names[j], "email") == 0)
			email = vals[j].s;
	if (email == NULL) {
		fprintf(stderr, "mailcast: preview: no recipient: give --set "
		                "email=ADDRESS or a CSV column 'email'\n");
		ret = EX_USAGE;
		goto done;
	}

	if ((rc = tmpl_load(tpath, (const char *const *)names, nf, &topt, &t,
	                    err, sizeof(err))) != 0) {
		fprintf(stderr, "mailcast: preview: %s\n", err);
		ret = rc == MC_EIO ? EX_NOINPUT : mc_exit_code(rc);
		goto done;
	}
	if (tokpath != NULL) {
		if ((rc = token_key_load(&tk, tokpath, err, sizeof(err))) !=
		    0) {
			fprintf(stderr, "mailcast: preview: %s\n", err);
			ret = mc_exit_code(rc);
			goto done;
		}
	} else {
		static const unsigned char demo[TOKEN_KEY_MIN];
		token_key_set(&tk, demo, sizeof(demo));
		fprintf(stderr, "mailcast: preview: no --token-key: using a "
		                "demo key, tokens will not verify\n");
	}
	token_encode(&tk, cid, kid, tok, sizeof(tok));
	token_key_wipe(&tk);

	if (nkeys > 0) {
		signer = dkim_signer_new();
		for (size_t i = 0; i < nkeys; i++) {
			if ((rc = dkim_key_load(
			         keys[i], dom ? dom : tmpl_from_domain(t),
			         sels[i], &dk[i], err, sizeof(err))) != 0) {
				fprintf(stderr, "mailcast: preview: %s\n", err);
				ret = mc_exit_code(rc);
				goto done;
			}
			dkim_signer_add(signer, dk[i]);
		}
	}

	struct msg_recipient rcpt = {
	    .email = email,
	    .token = tok,
	    .campaign_id = cid,
	    .contact_id = kid,
	    .values = vals,
	    .nvalues = nf,
	};
	time_t now = have_date ? (time_t)date : time(NULL);
	mr = msg_render_new();
	if ((rc = msg_render_one(mr, t, &rcpt, now, &msg)) != 0) {
		fprintf(stderr, "mailcast: preview: %s\n",
		        msg_render_error(mr));
		ret = mc_exit_code(rc);
		goto done;
	}
	if (signer != NULL && (rc = dkim_sign(signer, buf_cstr(&msg),
	                                      buf_len(&msg), now, &sig)) != 0) {
		fprintf(stderr, "mailcast: preview: %s\n",
		        dkim_signer_error(signer));
		ret = mc_exit_code(rc);
		goto done;
	}
	if (msg_verp_sender(tok, bounce_dom ? bounce_dom : tmpl_from_domain(t),
	                    verp, sizeof(verp)) == 0)
		fprintf(stderr,
		        "mailcast: preview: envelope MAIL FROM:<%s> "
		        "RCPT TO:<%s>\n",
		        verp, email);
	if (fwrite(buf_data(&sig), 1, buf_len(&sig), stdout) != buf_len(&sig) ||
	    fwrite(buf_data(&msg), 1, buf_len(&msg), stdout) != buf_len(&msg) ||
	    fflush(stdout) != 0) {
		fprintf(stderr,
		        "mailcast: preview: cannot write the message\n");
		ret = EX_IOERR;
	}
done:
	msg_render_free(mr);
	dkim_signer_free(signer);
	for (size_t i = 0; i < DKIM_KEYS_MAX; i++)
		dkim_key_free(dk[i]);
	tmpl_free(t);
	for (size_t i = 0; i < nf; i++)
		free(names[i]);
	for (size_t i = 0; i < CSV_READER_FIELDS_MAX; i++)
		free(store[i]);
	free(names);
	free(vals);
	buf_fini(&msg);
	buf_fini(&sig);
	return ret;
}
