/*
 * mailcast.h — the public C API of libmailcast: keep a list of contacts in
 * a store and send each of them a personalised message (a campaign), with
 * one result per recipient and a durable ledger, as the `mailcast` tool
 * does.  Build with `pkg-config --cflags --libs mailcast`.
 *
 * Handles: struct mc_store and struct mc_campaign are opaque.  Each is made
 * by one function (mc_store_open, mc_campaign_new) and freed by one
 * (mc_store_close, mc_campaign_free); freeing NULL does nothing.  A
 * campaign borrows its store: free every campaign before closing the
 * store.  Strings passed in are copied before the call returns, unless a
 * function says otherwise; strings handed out are owned by the library
 * and live as long as the text of each function says.
 *
 * Errors: a function that can fail returns 0 or a negative MC_E* code;
 * mc_strerror() gives the code's phrase, and mc_store_error() or
 * mc_campaign_error() the longer text of the last failure on that handle.
 *
 * Threads: a handle belongs to one thread at a time: calls on one store,
 * and on the campaigns made from it, must not overlap.  Different stores
 * (with their campaigns) may be used in different threads at once.
 * Callbacks run on the thread that made the call, before it returns.
 * mc_campaign_run() ignores SIGPIPE while it runs and then restores the
 * action the process had (a closed connection must not kill it).
 * Out of memory aborts the process (no function returns MC_ENOMEM).
 */
#ifndef MAILCAST_H
#define MAILCAST_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this header.  The build reads it from here, so it is the
 * version of the library it came with; mc_version() tells the version of
 * the library loaded at run time. */
#define MAILCAST_VERSION_MAJOR 0
#define MAILCAST_VERSION_MINOR 1
#define MAILCAST_VERSION_PATCH 0
#define MAILCAST_VERSION       "0.1.0"
/* 0xMMmmpp: compare with >= in #if. */
#define MAILCAST_VERSION_NUM                                                   \
	((MAILCAST_VERSION_MAJOR << 16) | (MAILCAST_VERSION_MINOR << 8) |      \
	 MAILCAST_VERSION_PATCH)

/* "0.1.0": the loaded library's version.  Static; never NULL. */
const char *mc_version(void);

/*
 * Error codes (0 is success).  Inside the library these are declared by
 * base/error.h, from the same list; a unit test keeps the two equal.
 */
#ifndef MC_BASE_ERROR_H
enum mc_error {
	MC_OK = 0,
	MC_EINVAL = -1,       /* invalid argument */
	MC_ENOMEM = -2,       /* out of memory */
	MC_EIO = -3,          /* input/output error (a file, the store) */
	MC_EPROTO = -4,       /* protocol error */
	MC_ELIMIT = -5,       /* input exceeds a limit */
	MC_ETIMEDOUT = -6,    /* timed out */
	MC_ENOHOST = -7,      /* host not found */
	MC_ECONNREFUSED = -8, /* connection refused */
	MC_ECONN = -9,        /* connection failed */
	MC_ECLOSED = -10,     /* connection closed by peer */
	MC_ETLS = -11,        /* TLS failure */
	MC_ECERT = -12,       /* certificate verification failed */
	MC_EAUTH = -13,       /* authentication failed */
	MC_ETEMPFAIL = -14,   /* temporary failure */
	MC_EPERMFAIL = -15,   /* permanent failure */
	MC_ETOOBIG = -16,     /* message too big */
	MC_EDATA = -17,       /* invalid data (an address, a template) */
	MC_ENOTFOUND = -18,   /* not found (a list, a campaign) */
	MC_ECONFIG = -19,     /* configuration error (settings, template) */
	MC_EAGAIN = -20,      /* try again */
	MC_EUNSUPP = -21,     /* not supported */
	MC_EROFS = -22,       /* read-only (the store) */
};
#endif

/* "timed out" for MC_ETIMEDOUT; "unknown error" for an unknown code.
 * Static; never NULL. */
const char *mc_strerror(int err);

/*
 * The store: contacts, lists, campaigns and the delivery ledger.
 * url: "sqlite:PATH" (the file is made if missing) or
 * "postgresql://USER@HOST:PORT/DB" (a shared database).  *out gets a new
 * handle, freed by mc_store_close().  On failure *out is NULL; the
 * reason is in the return code only (there is no handle to ask).
 * Returns 0, MC_EINVAL (bad URL), MC_EUNSUPP (scheme), MC_EIO.
 */
struct mc_store;
int mc_store_open(const char *url, struct mc_store **out);
/* Close the store.  Every campaign made from it must be freed first. */
void mc_store_close(struct mc_store *s);
/* The text of the store's last failure ("" if none).  Valid until the
 * next call on s. */
const char *mc_store_error(const struct mc_store *s);

/* A contact attribute, a merge field of the template: {{name}}. */
struct mc_attr {
	const char *name;  /* letters, digits, '_' and '-' */
	const char *value; /* UTF-8 */
};

/*
 * Add address to list (made if missing) with nattrs attributes, or update
 * the contact's attributes if it is there already.  The address is
 * checked and normalised as `mailcast list import` does.
 * Returns 0, MC_EINVAL (NULL or empty argument, bad attribute name),
 * MC_EDATA (not a valid address), MC_EIO.
 */
int mc_list_add(struct mc_store *s, const char *list, const char *address,
                const struct mc_attr *attrs, size_t nattrs);

/* How a campaign's connections use TLS. */
enum mc_tls {
	MC_TLS_NONE,          /* plain text */
	MC_TLS_OPPORTUNISTIC, /* STARTTLS when offered (the default) */
	MC_TLS_REQUIRE,       /* STARTTLS or fail */
	MC_TLS_IMPLICIT,      /* TLS from the first byte (port 465) */
};

/*
 * A campaign: one message from a template to every member of a list.
 * mc_campaign_new() makes a handle with settings only; nothing is stored
 * until mc_campaign_run(), which creates the campaign in the store (one
 * ledger row per member of the list) and sends.  name must be new in the
 * store.  Returns 0, MC_EINVAL.  Free with mc_campaign_free().
 */
struct mc_campaign;
int mc_campaign_new(struct mc_store *s, const char *name,
                    struct mc_campaign **out);
/* Free c (the stored campaign and its ledger stay in the store). */
void mc_campaign_free(struct mc_campaign *c);
/* The text of the campaign's last failure ("" if none).  Valid until the
 * next call on c. */
const char *mc_campaign_error(const struct mc_campaign *c);

/* The settings; each returns 0 or MC_EINVAL (NULL, empty, out of range,
 * or the campaign has run already).  Required: list, template, from,
 * server. */
int mc_campaign_set_list(struct mc_campaign *c, const char *list);
/* The envelope sender and, when the template has no From: field, the
 * From: field: "news@example.org" or "Example News <news@example.org>". */
int mc_campaign_set_from(struct mc_campaign *c, const char *from);
/* The template (docs/template.md): a file, whose folder is where its
 * attachments are found, or the text itself.  The text is written to a
 * temporary file that mc_campaign_free() removes, so a campaign left with
 * deferred recipients can be resumed later (`mailcast campaign resume`)
 * only when it was made from a file. */
int mc_campaign_set_template_file(struct mc_campaign *c, const char *path);
int mc_campaign_set_template_text(struct mc_campaign *c, const char *text);
/* The relay every message goes to: a host name or address, and its port
 * (1-65535; default 25, or 465 with MC_TLS_IMPLICIT). */
int mc_campaign_set_server(struct mc_campaign *c, const char *host);
int mc_campaign_set_port(struct mc_campaign *c, int port);
int mc_campaign_set_tls(struct mc_campaign *c, enum mc_tls mode);
/* verify 0 skips the certificate checks (on by default). */
int mc_campaign_set_tls_verify(struct mc_campaign *c, int verify);

/* What became of one recipient. */
enum mc_state {
	MC_STATE_PENDING,    /* not tried yet */
	MC_STATE_SENT,       /* accepted by the server (2xx) */
	MC_STATE_DEFERRED,   /* 4xx or no connection: to be retried */
	MC_STATE_FAILED,     /* refused (5xx) or given up */
	MC_STATE_BOUNCED,    /* accepted, then bounced */
	MC_STATE_SUPPRESSED, /* on the suppression list: not sent */
};
#define MC_STATE_COUNT 6
/* "pending", "sent", ...; "?" when out of range.  Static. */
const char *mc_state_name(enum mc_state st);

/* One recipient's result.  Its strings live until the callback returns. */
struct mc_result {
	const char *address;
	enum mc_state state;
	int code;             /* the SMTP reply code (250, 550); 0: none */
	const char *enhanced; /* "5.1.1" (RFC 3463), or "" */
	const char *text;     /* the reply text or the failure, or "" */
};

/* Called with each recipient's result as the run records it in the
 * ledger: sent, failed, deferred (a recipient retried within the run is
 * told again), suppressed.  Recipients suppressed when the campaign is
 * made get no call (mc_campaign_count counts them).  Must not call
 * functions on the campaign or its store. */
typedef void mc_result_fn(const struct mc_result *r, void *arg);

/*
 * Create the campaign in the store and send it: returns when every
 * recipient is settled (sent, failed, suppressed), or when only deferred
 * ones are left whose retry is not due within 15 minutes.  fn (may be
 * NULL) gets each recipient's result as it is recorded (above).
 * Returns 0 (every recipient settled: some may have failed, see
 * mc_campaign_count), MC_ETEMPFAIL (deferred recipients are left),
 * MC_EINVAL (a required setting is missing or wrong), MC_EDATA (the
 * template does not compile against the list, or the name is taken: the
 * text says which), MC_ENOTFOUND (no such list), MC_ECONFIG (a TLS
 * setting), MC_EIO (the store, or the template file cannot be read).
 * A campaign runs once; a second call returns MC_EINVAL.
 */
int mc_campaign_run(struct mc_campaign *c, mc_result_fn *fn, void *arg);

/* How many recipients of the campaign are in state st now.  Returns the
 * count (>= 0), MC_EINVAL (not run yet, st out of range) or MC_EIO. */
long mc_campaign_count(struct mc_campaign *c, enum mc_state st);

#ifdef __cplusplus
}
#endif

#endif
