/*
 * list_file.c — a list exported to a file; members removed and
 * suppressions changed one by one (list_file.h).
 */
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "app/contacts.h"
#include "app/list_file.h"
#include "base/error.h"

/* Export to a file by name, or to out. */
int
app_list_export_file(struct store *s, const char *list, const char *where,
                     bool json, const char *path, FILE *out, char *err,
                     size_t errsz)
{
	FILE *fp = out;
	json_t *rows;
	int64_t id;
	int rc;

	if ((rc = store_list_find(s, list, &id)) < 0)
		return mc_fail(rc, err, errsz, "%s", store_error(s));
	if ((rc = app_segment_check(where, err, errsz)) < 0)
		return rc;
	if (path != NULL && (fp = fopen(path, "w")) == NULL)
		return mc_fail(MC_EROFS, err, errsz, "%s: %s", path,
		               strerror(errno));
	if (json &&
	    (rc = app_segment_rows(s, list, where, &rows, err, errsz)) == 0) {
		json_dumpf(rows, fp, JSON_INDENT(2));
		fputc('\n', fp);
		json_decref(rows);
	} else if (!json) {
		rc = app_contacts_export_where(s, id, where, app_csv_write_row,
		                               fp, err, errsz);
	}
	if ((fp != out && fclose(fp) != 0) || rc < 0)
		return rc < 0 ? MC_EIO
		              : mc_fail(MC_EIO, err, errsz, "write error");
	return 0;
}

/* Remove members one by one, saying the ones that are not. */
int
app_list_remove_each(struct store *s, const char *list,
                     const char *const *addrs, size_t n, FILE *say,
                     const char *prefix, unsigned long *removed,
                     unsigned long *missing, char *err, size_t errsz)
{
	int64_t id;
	int rc;

	*removed = *missing = 0;
	if ((rc = store_list_find(s, list, &id)) < 0)
		return mc_fail(rc, err, errsz, "%s", store_error(s));
	for (size_t i = 0; i < n; i++) {
		if (app_list_member_remove(s, id, addrs[i], err, errsz) == 0) {
			(*removed)++;
			continue;
		}
		fprintf(say, "%s: %s: %s\n", prefix, addrs[i], err);
		(*missing)++;
	}
	return 0;
}

/* Change suppressions one by one, saying the ones that fail. */
int
app_supp_change_each(struct store *s, bool add, const char *const *entries,
                     size_t n, enum store_supp_reason reason,
                     const char *source, FILE *say, const char *prefix,
                     json_t **out, char *err, size_t errsz)
{
	unsigned long done = 0, kept = 0, bad = 0;
	char norm[STORE_ADDRESS_MAX + 2];
	bool added;
	int rc;

	for (size_t i = 0; i < n; i++) {
		rc = app_supp_change(s, add, entries[i], reason, source, &added,
		                     norm, sizeof(norm), err, errsz);
		if (rc < 0 && rc != MC_EDATA && rc != MC_ENOTFOUND)
			return rc;
		if (rc < 0)
			fprintf(say, "%s: %s%s%s\n", prefix,
			        rc == MC_EDATA ? entries[i] : "",
			        rc == MC_EDATA ? ": " : "", err);
		bad += rc < 0;
		done += rc == 0 && (!add || added);
		kept += rc == 0 && add && !added;
	}
	*out = json_pack("{s:I,s:I,s:I}", add ? "added" : "removed",
	                 (json_int_t)done, "already", (json_int_t)kept,
	                 "errors", (json_int_t)bad);
	return 0;
}
