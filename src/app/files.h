/*
 * files.h — what every front end reads from the outside: a secret (from a
 * file or an environment variable, never from a command line) and a whole
 * file with a size limit.
 *
 * The buffer that held a secret must be wiped with explicit_bzero() by the
 * caller once used; the messages name the file or variable, never the
 * secret.  Both return 0, or -1 with the reason in err.
 */
#ifndef MC_APP_FILES_H
#define MC_APP_FILES_H

#include <stddef.h>

/* The secret from file (its first line, without the line end) or, when
 * file is NULL, from the environment variable env. */
int app_read_secret(const char *file, const char *env, char *out, size_t outsz,
                    char *err, size_t errsz);
/* The whole of path ("-": standard input), at most max bytes; *data is a
 * heap buffer with a NUL after the *len bytes (free() it). */
int app_read_file(const char *path, size_t max, unsigned char **data,
                  size_t *len, char *err, size_t errsz);

#endif
