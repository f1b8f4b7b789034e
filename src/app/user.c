/*
 * user.c — dashboard users (user.h): Argon2id hashes through libargon2,
 * the login lockout kept in the store, sessions kept in the process.
 */
#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/user.h"
#include "base/error.h"
#include "base/str.h"

/* Argon2id costs: 64 MiB, 3 passes, 1 lane (RFC 9106's second
 * recommendation, scaled to a login form on a small server). */
#define USER_T_COST 3
#define USER_M_COST (64 * 1024)
#define USER_LANES  1
#define USER_SALT   16
#define USER_HASH   32

static const char *const role_names[] = {
#define USER_ROLE_NAME(e, name) name,
    USER_ROLES(USER_ROLE_NAME)
#undef USER_ROLE_NAME
};

/* Name of a role. */
const char *
user_role_name(enum user_role r)
{
	return (unsigned)r < USER_ROLE__COUNT ? role_names[r] : "?";
}

/* Role from its name, or -1. */
int
user_role_parse(const char *name)
{
	for (int i = 0; name != NULL && i < USER_ROLE__COUNT; i++)
		if (strcmp(role_names[i], name) == 0)
			return i;
	return -1;
}

/* A user name: 1-64 of [A-Za-z0-9._@-]. */
static bool
name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > STORE_USER_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '@' || c == '-'))
			return false;
	}
	return true;
}

/* Add or replace a user. */
int
user_add(struct store *s, const char *name, const char *role,
         const char *password, time_t now, char *err, size_t errsz)
{
	struct store_user u;
	unsigned char salt[USER_SALT];
	size_t plen = password ? strlen(password) : 0;
	int rc;

	if (!name_ok(name))
		return mc_fail(MC_EINVAL, err, errsz,
		               "user name: 1 to %d of letters, digits and . _ "
		               "@ -",
		               STORE_USER_NAME_MAX);
	if (user_role_parse(role) < 0)
		return mc_fail(MC_EINVAL, err, errsz,
		               "--role: admin or viewer");
	if (plen == 0 || plen > USER_PASSWORD_MAX)
		return mc_fail(MC_EINVAL, err, errsz,
		               "the password is empty or longer than %d",
		               USER_PASSWORD_MAX);
	memset(&u, 0, sizeof(u));
	mc_strlcpy(u.name, name, sizeof(u.name));
	mc_strlcpy(u.role, role, sizeof(u.role));
	u.created = now;
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return mc_fail(MC_EIO, err, errsz, "no random bytes");
	rc = argon2id_hash_encoded(USER_T_COST, USER_M_COST, USER_LANES,
	                           password, plen, salt, sizeof(salt),
	                           USER_HASH, u.hash, sizeof(u.hash));
	if (rc != ARGON2_OK)
		return mc_fail(MC_EIO, err, errsz, "argon2: %s",
		               argon2_error_message(rc));
	rc = store_user_put(s, &u);
	explicit_bzero(u.hash, sizeof(u.hash));
	if (rc < 0)
		return mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
	return 0;
}

/* The first line of a file, standard input, or MAILCAST_PASSWORD. */
int
user_password_read(const char *path, char *out, size_t outsz, char *err,
                   size_t errsz)
{
	FILE *f;
	size_t n;

	out[0] = '\0';
	if (path == NULL) {
		const char *e = getenv("MAILCAST_PASSWORD");

		if (e == NULL || *e == '\0')
			return mc_fail(MC_EINVAL, err, errsz,
			               "no password: give --password-file FILE "
			               "(- for standard input) or set "
			               "MAILCAST_PASSWORD");
		if (strlen(e) >= outsz)
			return mc_fail(MC_EINVAL, err, errsz,
			               "the password is too long");
		mc_strlcpy(out, e, outsz);
		return 0;
	}
	f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (f == NULL)
		return mc_fail(MC_EIO, err, errsz, "%s: cannot open", path);
	if (fgets(out, (int)outsz, f) == NULL)
		out[0] = '\0';
	if (f != stdin)
		fclose(f);
	n = strlen(out);
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	if (n == 0)
		return mc_fail(MC_EINVAL, err, errsz, "%s: no password in it",
		               path);
	return 0;
}

/* A hash of a random password, made once: an unknown name or a locked
 * account is checked against it, so every refusal costs one Argon2id and
 * the time of an answer does not tell which names exist. */
static char decoy[STORE_USER_HASH_MAX + 1];
static pthread_once_t decoy_once = PTHREAD_ONCE_INIT;

/* Make the decoy hash. */
static void
decoy_make(void)
{
	unsigned char pw[16], salt[USER_SALT];

	if (RAND_bytes(pw, sizeof(pw)) != 1 ||
	    RAND_bytes(salt, sizeof(salt)) != 1)
		abort(); /* no randomness: no login at all */
	if (argon2id_hash_encoded(USER_T_COST, USER_M_COST, USER_LANES, pw,
	                          sizeof(pw), salt, sizeof(salt), USER_HASH,
	                          decoy, sizeof(decoy)) != ARGON2_OK)
		decoy[0] = '\0';
}

/* Spend the time of a real check, then refuse. */
static int
login_refuse(const char *password, char *err, size_t errsz)
{
	size_t n = password ? strlen(password) : 0;

	pthread_once(&decoy_once, decoy_make);
	if (decoy[0] != '\0' && n <= USER_PASSWORD_MAX)
		(void)argon2id_verify(decoy, password ? password : "", n);
	return mc_fail(MC_EAUTH, err, errsz, "wrong name or password");
}

/* Failures are counted under this lock from a fresh read, so logins
 * that fail at the same time on several threads all count. */
static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;

/* Check a login, counting failures and locking. */
int
user_login(struct store *s, const char *name, const char *password, time_t now,
           enum user_role *role, char *err, size_t errsz)
{
	struct store_user u;
	int rc = store_user_get(s, name ? name : "", &u);
	bool ok;

	if (rc == MC_ENOTFOUND || (rc == 0 && !name_ok(name)))
		return login_refuse(password, err, errsz);
	if (rc < 0)
		return mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
	if (u.locked_until > now) {
		explicit_bzero(u.hash, sizeof(u.hash));
		return login_refuse(password, err, errsz);
	}
	ok = password != NULL && strlen(password) <= USER_PASSWORD_MAX &&
	     argon2id_verify(u.hash, password, strlen(password)) == ARGON2_OK;
	explicit_bzero(u.hash, sizeof(u.hash));
	if (ok) {
		if (u.failures != 0 || u.locked_until != 0)
			(void)store_user_mark(s, u.name, 0, 0);
		*role = user_role_parse(u.role) == USER_ADMIN ? USER_ADMIN
		                                              : USER_VIEWER;
		return 0;
	}
	pthread_mutex_lock(&fail_lock);
	/* (locked meanwhile by another failure: it stays so) */
	if ((rc = store_user_get(s, name, &u)) == 0 && u.locked_until <= now) {
		u.failures++;
		rc = store_user_mark(
		    s, u.name, u.failures >= USER_LOCK_AFTER ? 0 : u.failures,
		    u.failures >= USER_LOCK_AFTER ? now + USER_LOCK_SECS : 0);
	}
	explicit_bzero(u.hash, sizeof(u.hash));
	pthread_mutex_unlock(&fail_lock);
	if (rc < 0 && rc != MC_ENOTFOUND)
		return mc_fail(MC_EIO, err, errsz, "%s", store_error(s));
	return mc_fail(MC_EAUTH, err, errsz, "wrong name or password");
}

static pthread_mutex_t sessions_lock = PTHREAD_MUTEX_INITIALIZER;
static struct user_session sessions[USER_SESSIONS_MAX];

/* A random token of USER_TOKEN_LEN hex characters into out. */
static void
token_make(char *out)
{
	unsigned char b[USER_TOKEN_LEN / 2];

	if (RAND_bytes(b, sizeof(b)) != 1)
		abort(); /* no randomness: no session at all */
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* Constant-time equality of two tokens. */
bool
user_token_equal(const char *a, const char *b)
{
	size_t n = strlen(a);

	return n > 0 && n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

/* A new session. */
/* The tag of name's current password hash into tag, and its role: 0,
 * MC_ENOTFOUND, or MC_EIO. */
static int
pw_tag(struct store *s, const char *name, unsigned char tag[16],
       enum user_role *role)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	struct store_user u;
	int rc = store_user_get(s, name, &u);

	if (rc < 0)
		return rc == MC_ENOTFOUND ? rc : MC_EIO;
	SHA256((const unsigned char *)u.hash, strlen(u.hash), md);
	explicit_bzero(u.hash, sizeof(u.hash));
	memcpy(tag, md, 16);
	*role =
	    user_role_parse(u.role) == USER_ADMIN ? USER_ADMIN : USER_VIEWER;
	return 0;
}

void
user_session_new(struct store *s, const char *name, enum user_role role,
                 time_t now, struct user_session *out)
{
	enum user_role now_role;
	size_t slot = 0;

	memset(out, 0, sizeof(*out));
	/* (unreadable: an all-zero tag, which no later check matches) */
	if (pw_tag(s, name, out->pwtag, &now_role) < 0)
		memset(out->pwtag, 0, sizeof(out->pwtag));
	token_make(out->id);
	token_make(out->csrf);
	mc_strlcpy(out->name, name, sizeof(out->name));
	out->role = role;
	out->expires = now + USER_SESSION_SECS;
	pthread_mutex_lock(&sessions_lock);
	/* a free or expired slot, else the one that ends first */
	for (size_t i = 0; i < USER_SESSIONS_MAX; i++) {
		if (sessions[i].id[0] == '\0' || sessions[i].expires <= now) {
			slot = i;
			break;
		}
		if (sessions[i].expires < sessions[slot].expires)
			slot = i;
	}
	sessions[slot] = *out;
	pthread_mutex_unlock(&sessions_lock);
}

/* A live session by id. */
bool
user_session_get(const char *id, time_t now, struct user_session *out)
{
	bool found = false;

	if (id == NULL || strlen(id) != USER_TOKEN_LEN)
		return false;
	pthread_mutex_lock(&sessions_lock);
	for (size_t i = 0; i < USER_SESSIONS_MAX && !found; i++)
		if (sessions[i].id[0] != '\0' &&
		    user_token_equal(sessions[i].id, id) &&
		    sessions[i].expires > now) {
			*out = sessions[i];
			found = true;
		}
	pthread_mutex_unlock(&sessions_lock);
	return found;
}

/* Does the session still hold (user, role and password unchanged)? */
int
user_session_check(struct store *s, const struct user_session *ses)
{
	static const unsigned char zero[16];
	unsigned char tag[16];
	enum user_role role;
	int rc = pw_tag(s, ses->name, tag, &role);

	if (rc == MC_EIO)
		return MC_EIO;
	if (rc == 0 && CRYPTO_memcmp(tag, ses->pwtag, sizeof(tag)) == 0 &&
	    CRYPTO_memcmp(zero, ses->pwtag, sizeof(tag)) != 0 &&
	    role == ses->role)
		return 0;
	user_session_end(ses->id);
	return MC_EAUTH;
}

/* End a session. */
void
user_session_end(const char *id)
{
	if (id == NULL)
		return;
	pthread_mutex_lock(&sessions_lock);
	for (size_t i = 0; i < USER_SESSIONS_MAX; i++)
		if (sessions[i].id[0] != '\0' &&
		    user_token_equal(sessions[i].id, id))
			memset(&sessions[i], 0, sizeof(sessions[i]));
	pthread_mutex_unlock(&sessions_lock);
}
