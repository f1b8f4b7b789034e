/*
 * util.h — helpers shared by the commands: secrets, whole files, numbers.
 *
 * Secrets (passwords, tokens) come from a file or an environment variable,
 * never from argv; the buffer that held one must be wiped with
 * explicit_bzero() by the caller once used.
 */
#ifndef MC_CLI_UTIL_H
#define MC_CLI_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The secret from file (its first line, without the line end) or, when
 * file is NULL, from the environment variable env.  Returns 0, or -1 with
 * the reason in err (naming the file or variable, never the secret).
 */
int cli_read_secret(const char *file, const char *env, char *out, size_t outsz,
                    char *err, size_t errsz);
/*
 * The whole of path ("-": standard input), at most max bytes; *data is a
 * heap buffer with a NUL after the *len bytes.  Returns 0, or -1 with the
 * reason in err.
 */
int cli_read_file(const char *path, size_t max, unsigned char **data,
                  size_t *len, char *err, size_t errsz);
/* A decimal number in [min, max] from s; false when it is not one. */
bool cli_parse_long(const char *s, long min, long max, long *out);
/*
 * The value of option name for command cmd, a number in [min, max]; when
 * it is not one, says so on stderr ("mailcast trace: --ttl must be a
 * number 1..255") and returns false.
 */
bool cli_int_opt(const char *cmd, const char *name, const char *s, int min,
                 int max, int *out);
/* The exit status of a probe that could not run: no permission (raw or
 * ping sockets), unknown host, bad usage, else an OS error. */
int cli_probe_exit(int rc);

#endif
