/*
 * secrets.c — see secrets.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app/secrets.h"
#include "base/error.h"
#include "base/log.h"

/* Warn when a key or secret file is open to group or others. */
void
secret_file_check(const char *path, const char *what)
{
	struct stat sb;
	unsigned m;

	if (path == NULL || strcmp(path, "-") == 0 || stat(path, &sb) < 0 ||
	    !S_ISREG(sb.st_mode) || (sb.st_mode & 077) == 0)
		return;
	m = (unsigned)sb.st_mode & 07777;
	log_warn("%s %s has mode %04o: %s can %s it; run `chmod 600 %s`", what,
	         path, m,
	         (m & 070) && (m & 07) ? "group and others"
	         : (m & 070)           ? "its group"
	                               : "others",
	         (m & 044) ? "read" : "change", path);
}

/* The secret from file or, when file is NULL, from variable env. */
int
secret_read(const char *file, const char *env, char *out, size_t outsz,
            char *err, size_t errsz)
{
	struct stat sb;
	const char *v;
	FILE *fp;
	size_t n;

	if (file == NULL) {
		v = env ? getenv(env) : NULL;
		if (v == NULL || *v == '\0') {
			snprintf(err, errsz, "no secret: give a file or set %s",
			         env ? env : "the variable");
			return MC_ECONFIG;
		}
		if ((n = strlen(v)) >= outsz) {
			snprintf(err, errsz, "%s is too long", env);
			return MC_ELIMIT;
		}
		memcpy(out, v, n + 1);
		return 0;
	}
	secret_file_check(file, "password file");
	if (stat(file, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		snprintf(err, errsz, "secret file \"%s\" is a directory", file);
		return MC_ECONFIG;
	}
	if ((fp = fopen(file, "r")) == NULL) {
		snprintf(err, errsz, "cannot open secret file \"%s\": %s", file,
		         strerror(errno));
		return MC_ECONFIG;
	}
	if (fgets(out, (int)outsz, fp) == NULL)
		out[0] = '\0';
	fclose(fp);
	out[strcspn(out, "\r\n")] = '\0';
	if (out[0] == '\0') {
		snprintf(err, errsz, "secret file \"%s\" is empty", file);
		return MC_ECONFIG;
	}
	return 0;
}

/* An AUTH password, when there is a user. */
int
secret_for_user(const char *user, const char *file, char *out, size_t outsz,
                const char **set, char *err, size_t errsz)
{
	int rc;

	if (user == NULL && file != NULL)
		return mc_fail(MC_EINVAL, err, errsz,
		               "--auth-password-file needs --auth-user");
	if (user == NULL)
		return 0;
	if ((rc = secret_read(file, "MAILCAST_AUTH_PASSWORD", out, outsz, err,
	                      errsz)) < 0)
		return rc;
	*set = out;
	return 0;
}
