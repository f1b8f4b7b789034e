/*
 * user.h — the dashboard's people: users with a role and an Argon2id
 * password (libargon2; never stored or logged in clear), the login with
 * its lockout, and the sessions of a running `mailcast serve`.
 *
 * A login fails the same way for an unknown name, a wrong password and a
 * locked account (MC_EAUTH, "wrong name or password"), so a form cannot
 * tell which names exist.  USER_LOCK_AFTER failures in a row lock the
 * account for USER_LOCK_SECS; while locked, even the right password is
 * refused (and does not unlock it).  A good login clears the count.
 *
 * Sessions live in the process (a table under a mutex): a 256-bit random
 * id (the cookie), its user, role, CSRF token and expiry.  A restart logs
 * everyone out.  Errors: 0 or a negative MC_E* with the reason in err.
 */
#ifndef MC_APP_USER_H
#define MC_APP_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "store/store.h"

#define USER_LOCK_AFTER   5   /* failures in a row that lock */
#define USER_LOCK_SECS    900 /* how long a lock holds */
#define USER_PASSWORD_MAX 1024
#define USER_SESSION_SECS (12 * 3600)
#define USER_SESSIONS_MAX 1024
#define USER_TOKEN_LEN    64 /* hex characters of a session id or CSRF */

/* X(enum, name): what a user may do. */
#define USER_ROLES(X)                                                          \
	X(USER_VIEWER, "viewer") /* reads every page */                        \
	X(USER_ADMIN, "admin")   /* also starts, pauses, schedules */

enum user_role {
#define USER_ROLE_ENUM(e, name) e,
	USER_ROLES(USER_ROLE_ENUM)
#undef USER_ROLE_ENUM
	    USER_ROLE__COUNT
};

/* "admin"; "?" out of range. */
const char *user_role_name(enum user_role r);
/* The role named name, or -1. */
int user_role_parse(const char *name);

/* Add (or replace: a new password, the lock cleared) user name with role
 * and password (hashed with Argon2id here).  MC_EINVAL (a bad name, an
 * empty or too long password, a bad role), MC_EIO. */
int user_add(struct store *s, const char *name, const char *role,
             const char *password, time_t now, char *err, size_t errsz);

/* Read a password from the first line of file path ("-": standard
 * input), or the MAILCAST_PASSWORD variable when path is NULL, into out.
 * MC_EINVAL (none), MC_EIO. */
int user_password_read(const char *path, char *out, size_t outsz, char *err,
                       size_t errsz);

/* Check name's password at now: 0 with *role; MC_EAUTH for a wrong name,
 * password or a locked account (each failure counted); MC_EIO. */
int user_login(struct store *s, const char *name, const char *password,
               time_t now, enum user_role *role, char *err, size_t errsz);

/* A session, as a request sees it. */
struct user_session {
	char id[USER_TOKEN_LEN + 1];
	char csrf[USER_TOKEN_LEN + 1];
	char name[STORE_USER_NAME_MAX + 1];
	enum user_role role;
	time_t expires;
	unsigned char pwtag[16]; /* SHA-256 prefix of the hash at login */
};

/* A new session for name with role into *out (the oldest dropped when
 * the table is full); s is read for the user's password hash, whose tag
 * the session keeps. */
void user_session_new(struct store *s, const char *name, enum user_role role,
                      time_t now, struct user_session *out);
/* Whether ses still holds: its user exists with the same role and the
 * password of the login (`user add` with a new password or role ends
 * the sessions made before it).  0; MC_EAUTH, the session ended; MC_EIO
 * (the store did not answer: the session stays). */
int user_session_check(struct store *s, const struct user_session *ses);
/* The live session whose id is id into *out: true, or false (none,
 * expired). */
bool user_session_get(const char *id, time_t now, struct user_session *out);
/* End session id (logout); nothing when there is none. */
void user_session_end(const char *id);
/* Whether a and b are the same token (constant time). */
bool user_token_equal(const char *a, const char *b);

#endif
