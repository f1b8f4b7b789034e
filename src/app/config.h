/*
 * config.h — mailcast.conf, the INI file of the sending defaults.
 *
 * Precedence (highest first): command-line flags, MAILCAST_* environment
 * variables, mailcast.conf, built-in defaults.  The file is --config FILE,
 * else $MAILCAST_CONFIG, else ./mailcast.conf when it exists.  Section
 * [mailcast] holds the keys of enum conf_key (each overridable by
 * MAILCAST_<KEY>, e.g. MAILCAST_RATE); each [relay NAME] section is one
 * relay (host, weight, tls, ca_file, tls_verify, auth_user,
 * auth_password_file, conns, rate, per_conn).  A password is never read
 * from the file: a key naming one is refused.  Each [webhook NAME]
 * section is one webhook endpoint (docs/webhooks.md: url, events,
 * secret_file or secret_env, timeout, retry, max_age, ca_file,
 * tls_verify), kept as text and checked by app/webhook.h; a key holding
 * the secret itself is refused.
 *
 * conf_find() is what a program does at start; app_conf_load() keeps it
 * for the process (app/process.h).
 *
 * Ownership: struct mc_conf owns its strings; conf_free() releases them.
 * Errors: conf_load() returns MC_ENOTFOUND (no such file), MC_ECONFIG
 * ("FILE:LINE: reason" in err) or MC_ELIMIT; input is bounded by
 * CONF_FILE_MAX and the value limits below.
 */
#ifndef MC_APP_CONFIG_H
#define MC_APP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define CONF_RELAYS_MAX   8         /* [relay NAME] sections */
#define CONF_WEBHOOKS_MAX 8         /* [webhook NAME] sections */
#define CONF_VALUE_MAX    1024      /* bytes of one value */
#define CONF_NAME_MAX     64        /* bytes of a relay's NAME */
#define CONF_FILE_MAX     (1 << 20) /* bytes of the file */
#define CONF_WEIGHT_MAX   1000000

/* The [mailcast] keys (names in config.c), the index of mc_conf.vals[]. */
enum conf_key {
	CONF_store,
	CONF_from,
	CONF_helo,
	CONF_tls,
	CONF_tls_verify,
	CONF_ca_file,
	CONF_auth_user,
	CONF_auth_password_file,
	CONF_rate,
	CONF_conns,
	CONF_dest_rate,
	CONF_per_conn,
	CONF_pipeline,
	CONF_retry,
	CONF_max_age,
	CONF_linger,
	CONF_timeout,
	CONF_token_key,
	CONF_bounce_domain,
	CONF_dkim_key,
	CONF_dkim_selector,
	CONF_dkim_domain,
	CONF_lease_timeout,
	CONF_public_url, /* https://SITE where `mailcast serve` answers */
	CONF_total_conns,
	CONF__COUNT
};

struct conf_relay {
	char name[CONF_NAME_MAX];
	int line;        /* of its section header */
	char *host;      /* "HOST:PORT" */
	unsigned weight; /* default 1 */
	char *tls;       /* none|opportunistic|require|implicit, NULL */
	int tls_verify;  /* -1 unset, 0 no, 1 yes */
	char *ca_file;   /* or NULL */
	char *auth_user; /* or NULL */
	char *auth_password_file; /* or NULL */
	unsigned conns;           /* 0: unset */
	double rate;              /* 0: unset */
	unsigned per_conn;        /* 0: unset */
};

/* One [webhook NAME] section, its values as written (NULL: unset). */
struct conf_webhook {
	char name[CONF_NAME_MAX];
	char *url, *events, *secret_file, *secret_env, *timeout, *retry,
	    *max_age, *ca_file, *tls_verify;
};

struct mc_conf {
	char *path;              /* the file read, or NULL: none */
	char *vals[CONF__COUNT]; /* [mailcast] values; NULL: unset */
	struct conf_relay relays[CONF_RELAYS_MAX];
	size_t nrelays;
	struct conf_webhook webhooks[CONF_WEBHOOKS_MAX];
	size_t nwebhooks;
	char *env_relays; /* MAILCAST_RELAY (comma-separated), or NULL */
};

/* The name of key k ("dest_rate"). */
const char *conf_key_name(enum conf_key k);
/* Parse text (name: the file's, for errors) into c (zeroed first). */
int conf_parse(const char *text, const char *name, struct mc_conf *c, char *err,
               size_t errsz);
/* Read path into c (zeroed first). */
int conf_load(const char *path, struct mc_conf *c, char *err, size_t errsz);
/* Lay MAILCAST_<KEY> and MAILCAST_RELAY over c's values. */
int conf_apply_env(struct mc_conf *c, char *err, size_t errsz);
/* The value of key k, or NULL. */
const char *conf_get(const struct mc_conf *c, enum conf_key k);
void conf_free(struct mc_conf *c);

/*
 * Find and read the configuration of this process into c: path (from
 * --config), else $MAILCAST_CONFIG (both must exist), else ./mailcast.conf
 * when it exists; then MAILCAST_* over it.  0 or MC_ECONFIG/MC_ELIMIT with
 * the reason in err.
 */
int conf_find(const char *path, struct mc_conf *c, char *err, size_t errsz);

#endif
