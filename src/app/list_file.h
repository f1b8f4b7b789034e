/*
 * list_file.h — a list's contacts written to a file by its name;
 * members taken out of a list and suppression entries added or removed
 * one at a time, the failures said on a stream (the CLI's `list export`,
 * `list remove`, `suppress add|remove`).
 */
#ifndef MC_APP_LIST_FILE_H
#define MC_APP_LIST_FILE_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "store/store.h"

struct store;

/*
 * The contacts of list that match where (NULL: every member) to the file
 * path (NULL: to out), as a JSON array of rows (json) or CSV
 * (app_contacts_export).  0, MC_ENOTFOUND (no such list), MC_EINVAL (the
 * expression), MC_EROFS (path cannot be made), MC_EIO.
 */
int app_list_export_file(struct store *s, const char *list, const char *where,
                         bool json, const char *path, FILE *out, char *err,
                         size_t errsz);
/*
 * Take each of the n addrs out of list (found by name: MC_ENOTFOUND);
 * one that is no member is said on say as "PREFIX: ADDR: why".  *removed
 * and *missing count them.
 */
int app_list_remove_each(struct store *s, const char *list,
                         const char *const *addrs, size_t n, FILE *say,
                         const char *prefix, unsigned long *removed,
                         unsigned long *missing, char *err, size_t errsz);
/*
 * Add (add) or remove each of the n entries (app_supp_change); one that
 * is not an address or not there is said on say as "PREFIX: ...".  *out:
 * {added|removed, already, errors}.  0, or the store's error.
 */
int app_supp_change_each(struct store *s, bool add, const char *const *entries,
                         size_t n, enum store_supp_reason reason,
                         const char *source, FILE *say, const char *prefix,
                         json_t **out, char *err, size_t errsz);

#endif
