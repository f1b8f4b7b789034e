/*
 * secrets.h — a secret (an AUTH password, a token) from where the
 * settings say it is: a file (its first line, without the line end) or
 * an environment variable.  Never from argv, never saved, never in an
 * error message (errors name the file or the variable only).
 *
 * A secret or key file that group or others may read or change draws a
 * warning naming the file and the fix (`chmod 600 FILE`), as ssh does for
 * its keys; it is still used.
 *
 * Ownership: the caller's buffer holds the secret; wipe it with
 * explicit_bzero() once used.  Errors: MC_ECONFIG (no such variable,
 * cannot open, empty) or MC_ELIMIT (longer than the buffer), the reason
 * in err.
 */
#ifndef MC_APP_SECRETS_H
#define MC_APP_SECRETS_H

#include <stddef.h>

/* Warn on the log when the key or secret file at path (what it is: "DKIM
 * key", "token key") is open to group or others.  NULL, "-" and a file
 * that cannot be stat()ed (its reader says why) are let be. */
void secret_file_check(const char *path, const char *what);
/* The secret from file or, when file is NULL, from variable env. */
int secret_read(const char *file, const char *env, char *out, size_t outsz,
                char *err, size_t errsz);
/* The AUTH password for user from file or $MAILCAST_AUTH_PASSWORD into
 * out, *set pointed at it; nothing without a user.  0, secret_read()'s
 * error, or MC_EINVAL for a file without a user. */
int secret_for_user(const char *user, const char *file, char *out, size_t outsz,
                    const char **set, char *err, size_t errsz);

#endif
