/*
 * secrets.h — a secret (an AUTH password, a token) from where the
 * settings say it is: a file (its first line, without the line end) or
 * an environment variable.  Never from argv, never saved, never in an
 * error message (errors name the file or the variable only).
 *
 * Ownership: the caller's buffer holds the secret; wipe it with
 * explicit_bzero() once used.  Errors: MC_ECONFIG (no such variable,
 * cannot open, empty) or MC_ELIMIT (longer than the buffer), the reason
 * in err.
 */
#ifndef MC_APP_SECRETS_H
#define MC_APP_SECRETS_H

#include <stddef.h>

/* The secret from file or, when file is NULL, from variable env. */
int secret_read(const char *file, const char *env, char *out, size_t outsz,
                char *err, size_t errsz);

#endif
