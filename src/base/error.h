/*
 * error.h — mailcast's error codes.
 *
 * Functions that can fail return int: 0 on success or a negative MC_E* code.
 * The codes are declared once, in MC_ERRORS below; mc_errname() gives the
 * symbol ("MC_ETIMEDOUT") and mc_strerror() a short human phrase.  The
 * longer, situation-specific text ("port 465 expects TLS from the first
 * byte") lives in the failing object's last_error buffer, not here.
 * mc_exit_code() maps a code to the <sysexits.h> status a command returns;
 * mc_fail() writes a reason into a caller's buffer and returns the code.
 */
#ifndef MC_BASE_ERROR_H
#define MC_BASE_ERROR_H

#include <stddef.h>

/* X(name, value, sysexit, phrase) */
#define MC_ERRORS(X)                                                           \
	X(MC_OK, 0, 0, "success")                                              \
	X(MC_EINVAL, -1, 64, "invalid argument")                               \
	X(MC_ENOMEM, -2, 71, "out of memory")                                  \
	X(MC_EIO, -3, 74, "input/output error")                                \
	X(MC_EPROTO, -4, 76, "protocol error")                                 \
	X(MC_ELIMIT, -5, 65, "input exceeds a limit")                          \
	X(MC_ETIMEDOUT, -6, 75, "timed out")                                   \
	X(MC_ENOHOST, -7, 68, "host not found")                                \
	X(MC_ECONNREFUSED, -8, 69, "connection refused")                       \
	X(MC_ECONN, -9, 69, "connection failed")                               \
	X(MC_ECLOSED, -10, 75, "connection closed by peer")                    \
	X(MC_ETLS, -11, 69, "TLS failure")                                     \
	X(MC_ECERT, -12, 69, "certificate verification failed")                \
	X(MC_EAUTH, -13, 77, "authentication failed")                          \
	X(MC_ETEMPFAIL, -14, 75, "temporary failure")                          \
	X(MC_EPERMFAIL, -15, 69, "permanent failure")                          \
	X(MC_ETOOBIG, -16, 65, "message too big")                              \
	X(MC_EDATA, -17, 65, "invalid data")                                   \
	X(MC_ENOTFOUND, -18, 66, "not found")                                  \
	X(MC_ECONFIG, -19, 78, "configuration error")                          \
	X(MC_EAGAIN, -20, 75, "try again")                                     \
	X(MC_EUNSUPP, -21, 69, "not supported by the peer")                    \
	X(MC_EROFS, -22, 73, "cannot write (read-only)")

enum mc_error {
#define MC_ERR_ENUM(name, value, ex, phrase) name = value,
	MC_ERRORS(MC_ERR_ENUM)
#undef MC_ERR_ENUM
};

/* "MC_ETIMEDOUT"; "MC_E?" for an unknown code.  Never NULL. */
const char *mc_errname(int err);
/* "timed out"; "unknown error" for an unknown code.  Never NULL. */
const char *mc_strerror(int err);
/* The <sysexits.h> status for err (EX_SOFTWARE for an unknown code). */
int mc_exit_code(int err);
/*
 * Write the reason (printf-style) into err[errsz] and return code, so a
 * failing path is one line: return mc_fail(MC_EDATA, err, errsz, "...").
 * err may be NULL or errsz 0: nothing is written.
 */
int mc_fail(int code, char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
