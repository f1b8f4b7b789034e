/*
 * import_file.c — an import from a CSV file by its name, the rejected
 * rows written to a CSV file of their own (app_import_path(),
 * app/contacts.h), or with the first rejected rows said on a stream
 * (app_import_path_said()).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "app/contacts.h"
#include "base/error.h"

/* Open the files, import, close (see contacts.h). */
int
app_import_path(struct store *s, const char *path, const char *rpath,
                struct app_import *o, struct store_import_stats *st, char *err,
                size_t errsz)
{
	FILE *fp;
	int rc;

	if ((fp = fopen(path, "rb")) == NULL)
		return mc_fail(MC_ENOTFOUND, err, errsz, "%s: %s", path,
		               strerror(errno));
	if (rpath != NULL && (o->rejects = fopen(rpath, "w")) == NULL) {
		fclose(fp);
		return mc_fail(MC_EROFS, err, errsz, "%s: %s", rpath,
		               strerror(errno));
	}
	rc = o->list != NULL ? app_contacts_import(s, fp, o, st)
	                     : app_supp_import(s, fp, o, st);
	fclose(fp);
	if (o->rejects != NULL && fclose(o->rejects) != 0 && rc == 0)
		rc = mc_fail(MC_EIO, err, errsz, "%s: write error", rpath);
	o->rejects = NULL;
	if (rc < 0 && rc != MC_EIO)
		rc = MC_EDATA;
	if (rc < 0 && err[0] == '\0')
		snprintf(err, errsz, "%s: %s; nothing was imported", path,
		         store_error(s));
	return rc;
}

#define SHOW_REJECTS 20 /* rejected rows said before "and N more" */

/* What the rejected rows of an import have said so far. */
struct rejects_said {
	FILE *say;
	const char *prefix;
	unsigned long total;
};

/* store_reject_fn: the first SHOW_REJECTS rejected rows said. */
static void
reject_say(void *arg, unsigned long line, const char *reason, const char *raw,
           size_t rawlen)
{
	struct rejects_said *r = arg;

	(void)line, (void)raw, (void)rawlen;
	if (r->total++ < SHOW_REJECTS)
		fprintf(r->say, "%s: %s\n", r->prefix, reason);
}

/* Import by file name, the first rejected rows said (contacts.h). */
int
app_import_path_said(struct store *s, const char *path, const char *rpath,
                     struct app_import *o, struct store_import_stats *st,
                     FILE *say, const char *prefix, char *err, size_t errsz)
{
	struct rejects_said r = {say, prefix, 0};
	int rc;

	o->reject = reject_say;
	o->reject_arg = &r;
	if ((rc = app_import_path(s, path, rpath, o, st, err, errsz)) < 0)
		return rc;
	if (r.total > SHOW_REJECTS)
		fprintf(say, "%s: ... and %lu more rejected rows%s\n", prefix,
		        r.total - SHOW_REJECTS,
		        rpath ? " (see the reject file)" : "");
	return 0;
}
