/*
 * config.c — mailcast.conf (see config.h), read with inih.
 *
 * The text is parsed twice: once with a handler that accepts everything,
 * so a syntax error is reported at its own line, then with the real
 * handler, whose first refusal inih reports by line.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ini.h>

#include "base/error.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "app/config.h"

/* In the order of enum conf_key. */
static const char *const key_names[CONF__COUNT] = {
    "store",         "from",        "helo",          "tls",
    "tls_verify",    "ca_file",     "auth_user",     "auth_password_file",
    "rate",          "conns",       "dest_rate",     "per_conn",
    "pipeline",      "retry",       "max_age",       "linger",
    "timeout",       "token_key",   "bounce_domain", "dkim_key",
    "dkim_selector", "dkim_domain", "lease_timeout", "public_url",
    "total_conns",
};

struct parse {
	struct mc_conf *c;
	char why[512]; /* the first refusal */
};

/* The name of key k. */
const char *
conf_key_name(enum conf_key k)
{
	return k < CONF__COUNT ? key_names[k] : "?";
}

/* An unsigned in [min, max] from s. */
static bool
conf_uint(const char *s, unsigned long min, unsigned long max,
          unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* A rate (messages/s, 0 to 1e7) from s. */
static bool
conf_rate(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0 && v <= 1e7))
		return false;
	*out = v;
	return true;
}

/* Is s one of the TLS modes? */
static bool
conf_tls(const char *s)
{
	return strcmp(s, "none") == 0 || strcmp(s, "opportunistic") == 0 ||
	       strcmp(s, "require") == 0 || strcmp(s, "starttls") == 0 ||
	       strcmp(s, "implicit") == 0;
}

/* Check value v of [mailcast] key k; NULL or what is wrong. */
static const char *
conf_check(enum conf_key k, const char *v)
{
	unsigned long u;
	double d;

	if (*v == '\0')
		return "an empty value";
	switch (k) {
	case CONF_tls:
		return conf_tls(v) ? NULL
		                   : "none, opportunistic, require or implicit";
	case CONF_tls_verify:
		return strcmp(v, "yes") && strcmp(v, "no") ? "yes or no" : NULL;
	case CONF_rate:
	case CONF_dest_rate:
		return conf_rate(v, &d) ? NULL : "messages per second";
	case CONF_conns:
		return conf_uint(v, 1, 1000, &u) ? NULL : "1 to 1000";
	case CONF_per_conn:
		return conf_uint(v, 0, 10000000, &u) ? NULL : "a count";
	case CONF_total_conns:
		return conf_uint(v, 1, 100000, &u) ? NULL : "1 to 100000";
	case CONF_pipeline:
		return conf_uint(v, 1, 100, &u) ? NULL : "1 to 100";
	case CONF_max_age:
	case CONF_linger:
		return conf_uint(v, 1, 60 * 86400, &u) ? NULL : "seconds";
	case CONF_lease_timeout:
		return conf_uint(v, 2, 3600, &u) ? NULL : "seconds, 2 to 3600";
	case CONF_timeout:
		return conf_uint(v, 100, 3600000, &u) ? NULL
		                                      : "milliseconds (>= 100)";
	case CONF_public_url:
		return strncmp(v, "https://", 8) == 0 && v[8] != '\0' &&
		               !strpbrk(v, " \"<>")
		           ? NULL
		           : "an https:// URL (where `mailcast serve` answers)";
	case CONF_retry:
		return strspn(v, "0123456789,") == strlen(v)
		           ? NULL
		           : "seconds, comma-separated (1,5,30)";
	default:
		return NULL;
	}
}

/* Does key name a password (never kept in the file)? */
static bool
is_password_key(const char *name)
{
	return strstr(name, "password") != NULL &&
	       strcmp(name, "auth_password_file") != 0;
}

/* The relay of section "relay NAME" (made on first use), or NULL. */
static struct conf_relay *
relay_get(struct parse *p, const char *name)
{
	struct mc_conf *c = p->c;

	if (*name == '\0' || strlen(name) >= CONF_NAME_MAX) {
		snprintf(p->why, sizeof(p->why),
		         "give the relay a name of 1 to %d bytes: "
		         "[relay NAME]",
		         CONF_NAME_MAX - 1);
		return NULL;
	}
	for (size_t i = 0; i < c->nrelays; i++)
		if (strcmp(c->relays[i].name, name) == 0)
			return &c->relays[i];
	if (c->nrelays >= CONF_RELAYS_MAX) {
		snprintf(p->why, sizeof(p->why), "more than %d relays",
		         CONF_RELAYS_MAX);
		return NULL;
	}
	struct conf_relay *r = &c->relays[c->nrelays++];
	memset(r, 0, sizeof(*r));
	mc_strlcpy(r->name, name, sizeof(r->name));
	r->weight = 1;
	r->tls_verify = -1;
	return r;
}

/* The webhook of section "webhook NAME" (made on first use), or NULL. */
static struct conf_webhook *
webhook_get(struct parse *p, const char *name)
{
	struct mc_conf *c = p->c;

	if (*name == '\0' || strlen(name) >= CONF_NAME_MAX ||
	    strchr(name, ',') != NULL) {
		snprintf(p->why, sizeof(p->why),
		         "give the webhook a name of 1 to %d bytes without a "
		         "comma: [webhook NAME]",
		         CONF_NAME_MAX - 1);
		return NULL;
	}
	for (size_t i = 0; i < c->nwebhooks; i++)
		if (strcmp(c->webhooks[i].name, name) == 0)
			return &c->webhooks[i];
	if (c->nwebhooks >= CONF_WEBHOOKS_MAX) {
		snprintf(p->why, sizeof(p->why), "more than %d webhooks",
		         CONF_WEBHOOKS_MAX);
		return NULL;
	}
	struct conf_webhook *w = &c->webhooks[c->nwebhooks++];
	memset(w, 0, sizeof(*w));
	mc_strlcpy(w->name, name, sizeof(w->name));
	return w;
}

/* One key of a [webhook NAME] section (kept as text, checked by
 * app/webhook.c); 1 accepted, 0 refused (why). */
static int
webhook_key(struct parse *p, struct conf_webhook *w, const char *k,
            const char *v)
{
	char **slot = strcmp(k, "url") == 0           ? &w->url
	              : strcmp(k, "events") == 0      ? &w->events
	              : strcmp(k, "secret_file") == 0 ? &w->secret_file
	              : strcmp(k, "secret_env") == 0  ? &w->secret_env
	              : strcmp(k, "timeout") == 0     ? &w->timeout
	              : strcmp(k, "retry") == 0       ? &w->retry
	              : strcmp(k, "max_age") == 0     ? &w->max_age
	              : strcmp(k, "ca_file") == 0     ? &w->ca_file
	              : strcmp(k, "tls_verify") == 0  ? &w->tls_verify
	                                              : NULL;

	if (slot == NULL && strstr(k, "secret") != NULL) {
		snprintf(p->why, sizeof(p->why),
		         "[webhook %s] %s: a secret is never kept in "
		         "mailcast.conf (secret_file or secret_env)",
		         w->name, k);
		return 0;
	}
	if (slot == NULL) {
		snprintf(p->why, sizeof(p->why),
		         "[webhook %s]: unknown key '%s' (url, events, "
		         "secret_file, secret_env, timeout, retry, max_age, "
		         "ca_file, tls_verify)",
		         w->name, k);
		return 0;
	}
	free(*slot);
	*slot = xstrdup(v);
	return 1;
}

/* One key of a [relay NAME] section; 1 accepted, 0 refused (why). */
static int
relay_key(struct parse *p, struct conf_relay *r, const char *k, const char *v)
{
	unsigned long u;
	const char *bad = NULL;
	char **str = NULL;

	if (*v == '\0')
		bad = "an empty value";
	else if (strcmp(k, "host") == 0)
		str = &r->host;
	else if (strcmp(k, "weight") == 0) {
		if (conf_uint(v, 1, CONF_WEIGHT_MAX, &u))
			r->weight = (unsigned)u;
		else
			bad = "1 to 1000000";
	} else if (strcmp(k, "tls") == 0) {
		if (conf_tls(v))
			str = &r->tls;
		else
			bad = "none, opportunistic, require or implicit";
	} else if (strcmp(k, "tls_verify") == 0) {
		if (strcmp(v, "yes") && strcmp(v, "no"))
			bad = "yes or no";
		else
			r->tls_verify = strcmp(v, "yes") == 0;
	} else if (strcmp(k, "ca_file") == 0)
		str = &r->ca_file;
	else if (strcmp(k, "auth_user") == 0)
		str = &r->auth_user;
	else if (strcmp(k, "auth_password_file") == 0)
		str = &r->auth_password_file;
	else if (strcmp(k, "conns") == 0) {
		if (conf_uint(v, 1, 1000, &u))
			r->conns = (unsigned)u;
		else
			bad = "1 to 1000";
	} else if (strcmp(k, "rate") == 0) {
		if (!conf_rate(v, &r->rate))
			bad = "messages per second";
	} else if (strcmp(k, "per_conn") == 0) {
		if (conf_uint(v, 0, 10000000, &u))
			r->per_conn = (unsigned)u;
		else
			bad = "a count";
	} else {
		snprintf(p->why, sizeof(p->why),
		         "[relay %s]: unknown key '%s' (host, weight, tls, "
		         "tls_verify, ca_file, auth_user, auth_password_file, "
		         "conns, rate, per_conn)",
		         r->name, k);
		return 0;
	}
	if (bad) {
		snprintf(p->why, sizeof(p->why), "[relay %s] %s: %s", r->name,
		         k, bad);
		return 0;
	}
	if (str) {
		free(*str);
		*str = xstrdup(v);
	}
	return 1;
}

/* inih handler: one key; 1 accepted, 0 refused (the reason in p->why). */
static int
on_key(void *arg, const char *section, const char *name, const char *value)
{
	struct parse *p = arg;
	struct mc_conf *c = p->c;

	if (p->why[0])
		return 1; /* report only the first refusal */
	if (strlen(value) >= CONF_VALUE_MAX) {
		snprintf(p->why, sizeof(p->why), "%s: value longer than %d",
		         name, CONF_VALUE_MAX - 1);
		return 0;
	}
	if (is_password_key(name)) {
		snprintf(p->why, sizeof(p->why),
		         "'%s': a password is never kept in mailcast.conf; "
		         "give auth_password_file = FILE (or set "
		         "MAILCAST_AUTH_PASSWORD)",
		         name);
		return 0;
	}
	if (strcmp(section, "mailcast") == 0) {
		for (int k = 0; k < CONF__COUNT; k++) {
			const char *bad;

			if (strcmp(name, key_names[k]) != 0)
				continue;
			if ((bad = conf_check((enum conf_key)k, value))) {
				snprintf(p->why, sizeof(p->why), "%s: %s", name,
				         bad);
				return 0;
			}
			free(c->vals[k]);
			c->vals[k] = xstrdup(value);
			return 1;
		}
		snprintf(p->why, sizeof(p->why), "[mailcast]: unknown key '%s'",
		         name);
		return 0;
	}
	if (strncmp(section, "relay", 5) == 0 &&
	    (section[5] == '\0' || section[5] == ' ')) {
		const char *rn = section + 5;
		struct conf_relay *r;

		while (*rn == ' ')
			rn++;
		if ((r = relay_get(p, rn)) == NULL)
			return 0;
		return relay_key(p, r, name, value);
	}
	if (strncmp(section, "webhook", 7) == 0 &&
	    (section[7] == '\0' || section[7] == ' ')) {
		const char *wn = section + 7;
		struct conf_webhook *w;

		while (*wn == ' ')
			wn++;
		if ((w = webhook_get(p, wn)) == NULL)
			return 0;
		return webhook_key(p, w, name, value);
	}
	if (*section == '\0')
		snprintf(p->why, sizeof(p->why),
		         "'%s' is outside a section ([mailcast] or "
		         "[relay NAME])",
		         name);
	else
		snprintf(p->why, sizeof(p->why),
		         "unknown section [%s] ([mailcast], [relay NAME] or "
		         "[webhook NAME])",
		         section);
	return 0;
}

/* inih handler of the syntax pass: everything is accepted. */
static int
on_any(void *arg, const char *section, const char *name, const char *value)
{
	(void)arg;
	(void)section;
	(void)name;
	(void)value;
	return 1;
}

/* The longest line inih reads whole (its buffer holds the line end and a
 * NUL); a longer one it cuts, and the rest reads as a syntax error. */
#define CONF_LINE_MAX (INI_MAX_LINE - 2)

/* Length of the UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/*
 * Refuse what is not text before inih sees it, naming the line: a NUL, a
 * byte that is not UTF-8 (0xFF), a control character other than TAB (and
 * CR before LF), and a line too long for inih ("value too long").
 */
static int
conf_scan(const char *text, size_t n, const char *name, char *err, size_t errsz)
{
	const unsigned char *u = (const unsigned char *)text;
	size_t line = 1, col = 0;
	const char *why = NULL;
	unsigned bad = 0;

	for (size_t i = 0; i < n && why == NULL;) {
		unsigned char c = u[i];

		if (c == '\n') {
			line++;
			col = 0;
			i++;
			continue;
		}
		if (++col > CONF_LINE_MAX) {
			snprintf(err, errsz,
			         "%s: value too long (line %zu): a line holds "
			         "at most %d bytes",
			         name, line, CONF_LINE_MAX);
			return MC_ECONFIG;
		}
		if (c == '\0') {
			why = "a NUL byte (not a text file?)";
		} else if (c >= 0x80) {
			size_t k = utf8_len(u + i, n - i);

			if (k == 0) {
				why = "a byte that is not UTF-8 text";
				bad = c;
			}
			i += k ? k : 1;
			continue;
		} else if ((c < 0x20 && c != '\t' &&
		            !(c == '\r' && i + 1 < n && u[i + 1] == '\n')) ||
		           c == 0x7f) {
			why = "a control character";
			bad = c;
		}
		i++;
	}
	if (why == NULL)
		return 0;
	if (bad)
		snprintf(err, errsz, "%s:%zu: %s (0x%02X)", name, line, why,
		         bad);
	else
		snprintf(err, errsz, "%s:%zu: %s", name, line, why);
	return MC_ECONFIG;
}

/* Parse text (named name in errors) into c. */
int
conf_parse(const char *text, const char *name, struct mc_conf *c, char *err,
           size_t errsz)
{
	struct parse p;
	int line;

	memset(c, 0, sizeof(*c));
	if (strlen(text) > CONF_FILE_MAX) {
		snprintf(err, errsz, "%s: larger than %d bytes", name,
		         CONF_FILE_MAX);
		return MC_ELIMIT;
	}
	if ((line = conf_scan(text, strlen(text), name, err, errsz)) < 0)
		return line;
	line = ini_parse_string(text, on_any, NULL);
	if (line != 0) {
		snprintf(err, errsz,
		         "%s:%d: syntax error (expected KEY = VALUE or "
		         "[SECTION])",
		         name, line);
		return MC_ECONFIG;
	}
	memset(&p, 0, sizeof(p));
	p.c = c;
	line = ini_parse_string(text, on_key, &p);
	if (line != 0) {
		snprintf(err, errsz, "%s:%d: %s", name, line,
		         p.why[0] ? p.why : "cannot read it");
		conf_free(c);
		return MC_ECONFIG;
	}
	for (size_t i = 0; i < c->nrelays; i++)
		if (c->relays[i].host == NULL) {
			snprintf(err, errsz,
			         "%s: [relay %s] has no host = HOST:PORT", name,
			         c->relays[i].name);
			conf_free(c);
			return MC_ECONFIG;
		}
	c->path = xstrdup(name);
	return 0;
}

/* Read path into c (zeroed first). */
int
conf_load(const char *path, struct mc_conf *c, char *err, size_t errsz)
{
	struct stat st;
	FILE *fp;
	char *text;
	size_t n;
	int rc;

	memset(c, 0, sizeof(*c));
	if (stat(path, &st) < 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? MC_ENOTFOUND : MC_EIO;
	}
	if (st.st_size > CONF_FILE_MAX) {
		snprintf(err, errsz, "%s: larger than %d bytes", path,
		         CONF_FILE_MAX);
		return MC_ELIMIT;
	}
	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return MC_EIO;
	}
	text = xmalloc(CONF_FILE_MAX + 1);
	n = fread(text, 1, CONF_FILE_MAX, fp);
	text[n] = '\0';
	if (ferror(fp)) {
		snprintf(err, errsz, "%s: %s", path,
		         errno == EISDIR ? "is a directory, not a file"
		                         : "cannot read it");
		rc = MC_EIO;
	} else if ((rc = conf_scan(text, n, path, err, errsz)) < 0) {
		/* a NUL would end the text early: refused with its line */
	} else {
		rc = conf_parse(text, path, c, err, errsz);
	}
	fclose(fp);
	free(text);
	return rc;
}

/* Lay MAILCAST_<KEY> and MAILCAST_RELAY over c's values. */
int
conf_apply_env(struct mc_conf *c, char *err, size_t errsz)
{
	const char *v;

	for (int k = 0; k < CONF__COUNT; k++) {
		char name[64] = "MAILCAST_";
		size_t n = strlen(name);
		const char *bad;

		for (const char *s = key_names[k]; *s && n + 1 < sizeof(name);
		     s++)
			name[n++] = (char)toupper((unsigned char)*s);
		name[n] = '\0';
		if ((v = getenv(name)) == NULL)
			continue;
		if (strlen(v) >= CONF_VALUE_MAX)
			bad = "too long";
		else
			bad = conf_check((enum conf_key)k, v);
		if (bad) {
			snprintf(err, errsz, "%s: %s", name, bad);
			return MC_ECONFIG;
		}
		free(c->vals[k]);
		c->vals[k] = xstrdup(v);
	}
	if ((v = getenv("MAILCAST_RELAY")) != NULL && *v) {
		if (strlen(v) >= CONF_VALUE_MAX) {
			snprintf(err, errsz, "MAILCAST_RELAY: too long");
			return MC_ECONFIG;
		}
		free(c->env_relays);
		c->env_relays = xstrdup(v);
	}
	return 0;
}

/* The value of key k, or NULL. */
const char *
conf_get(const struct mc_conf *c, enum conf_key k)
{
	return k < CONF__COUNT ? c->vals[k] : NULL;
}

/* Release c's strings. */
void
conf_free(struct mc_conf *c)
{
	for (int k = 0; k < CONF__COUNT; k++)
		free(c->vals[k]);
	for (size_t i = 0; i < c->nrelays; i++) {
		struct conf_relay *r = &c->relays[i];

		free(r->host);
		free(r->tls);
		free(r->ca_file);
		free(r->auth_user);
		free(r->auth_password_file);
	}
	for (size_t i = 0; i < c->nwebhooks; i++) {
		struct conf_webhook *w = &c->webhooks[i];

		free(w->url);
		free(w->events);
		free(w->secret_file);
		free(w->secret_env);
		free(w->timeout);
		free(w->retry);
		free(w->max_age);
		free(w->ca_file);
		free(w->tls_verify);
	}
	free(c->env_relays);
	free(c->path);
	memset(c, 0, sizeof(*c));
}

/* Find and read this process's configuration. */
int
conf_find(const char *path, struct mc_conf *c, char *err, size_t errsz)
{
	bool must = true;
	int rc;

	if (path == NULL)
		path = getenv("MAILCAST_CONFIG");
	if (path == NULL || *path == '\0') {
		path = "mailcast.conf";
		must = false;
	}
	rc = conf_load(path, c, err, errsz);
	if (rc == MC_ENOTFOUND && !must) {
		rc = 0;
	} else if (rc == MC_ENOTFOUND) {
		snprintf(err, errsz, "%s: no such configuration file", path);
		rc = MC_ECONFIG;
	}
	if (rc == 0)
		rc = conf_apply_env(c, err, errsz);
	return rc;
}
