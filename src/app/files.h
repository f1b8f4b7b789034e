/*
 * files.h — a whole file with a size limit, as every front end reads its
 * inputs (secrets: app/secrets.h).  Returns 0, or -1 with the reason in
 * err.
 */
#ifndef MC_APP_FILES_H
#define MC_APP_FILES_H

#include <stddef.h>

/* The whole of path ("-": standard input), at most max bytes; *data is a
 * heap buffer with a NUL after the *len bytes (free() it). */
int app_read_file(const char *path, size_t max, unsigned char **data,
                  size_t *len, char *err, size_t errsz);

#endif
