/*
 * smtp_server.h — a sans-I/O SMTP server core (RFC 5321 + extensions).
 *
 * Bytes in, bytes out, events: the caller feeds what the client sent with
 * smtp_server_feed(), sends what smtp_server_output() holds, and looks at
 * smtp_server_want() for what the connection should do next (go on, pause
 * for a fault delay, start TLS, close).  No sockets, no clock.  A finished
 * message reaches the caller through the message hook, which names its
 * queue id.  Offered: PIPELINING, SIZE, 8BITMIME, SMTPUTF8, CHUNKING,
 * ENHANCEDSTATUSCODES, STARTTLS when configured.  Fault rules (struct
 * smtp_fault, parsed from "stage:pattern=action") change replies.
 *
 * Ownership: struct smtp_server is caller-owned (_init/_fini).  The config,
 * its hostname and its fault table are borrowed and must outlive the core;
 * fault rules keep their every-Nth counters, so one table can be shared by
 * every connection of a single thread.  Pointers in struct smtp_server_msg
 * are valid only during the hook call.  Limits: SMTP_SERVER_LINE_MAX per
 * command line (longer gets 500 5.5.0, memory stays bounded).
 */
#ifndef MC_PROTO_SMTP_SERVER_H
#define MC_PROTO_SMTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define SMTP_SERVER_LINE_MAX      4096   /* command line, CRLF included */
#define SMTP_SERVER_ADDR_MAX      256    /* a path, RFC 5321 4.5.3.1.3 */
#define SMTP_SERVER_QID_MAX       32     /* queue id, NUL included */
#define SMTP_SERVER_REPLY_MAX     512    /* a fault's reply text */
#define SMTP_SERVER_DELAY_MAX     600000 /* a fault's delay, ms */
#define SMTP_SERVER_DEFAULT_SIZE  10485760
#define SMTP_SERVER_DEFAULT_RCPTS 1000

/* Where in the dialog a fault rule applies. */
#define SMTP_FAULT_STAGES(X)                                                   \
	X(SMTP_STAGE_CONNECT, "connect")                                       \
	X(SMTP_STAGE_EHLO, "ehlo")                                             \
	X(SMTP_STAGE_HELO, "helo")                                             \
	X(SMTP_STAGE_MAIL, "mail")                                             \
	X(SMTP_STAGE_RCPT, "rcpt")                                             \
	X(SMTP_STAGE_DATA, "data")                                             \
	X(SMTP_STAGE_DOT, "dot")

enum smtp_stage {
#define SMTP_STAGE_ENUM(e, name) e,
	SMTP_FAULT_STAGES(SMTP_STAGE_ENUM)
#undef SMTP_STAGE_ENUM
	    SMTP_STAGE_COUNT
};

/* "rcpt", ...; "?" when out of range. */
const char *smtp_stage_name(enum smtp_stage stage);

/* What a matching fault rule does. */
enum smtp_fault_kind {
	SMTP_FAULT_REPLY, /* answer with code + text (421: then close) */
	SMTP_FAULT_DELAY, /* wait delay_ms, then the normal reply or code */
	SMTP_FAULT_DROP,  /* close at once, no reply */
	SMTP_FAULT_DROP_AFTER, /* data only: close after n body bytes */
};

struct smtp_fault {
	enum smtp_stage stage;
	char pattern[SMTP_SERVER_ADDR_MAX]; /* fnmatch glob */
	unsigned long every;                /* >0: "%N", every Nth */
	unsigned long seen;                 /* counter for every */
	enum smtp_fault_kind kind;
	unsigned delay_ms;                /* DELAY */
	unsigned long long after;         /* DROP_AFTER bytes */
	int code;                         /* 0: no reply change */
	char text[SMTP_SERVER_REPLY_MAX]; /* "5.1.1 no..." */
};

/*
 * Parse "stage:pattern=action" into f.  action is "CODE TEXT",
 * "delay MS [CODE TEXT]", "drop" or "drop-after BYTES" (data only); the
 * pattern "%N" means every Nth time.  Returns 0, or MC_EINVAL with the
 * reason in err.
 */
int smtp_fault_parse(const char *spec, struct smtp_fault *f, char *err,
                     size_t errsize);

struct smtp_server_config {
	const char *hostname;        /* in the greeting and EHLO */
	unsigned long long max_size; /* SIZE; 0 = default */
	unsigned max_rcpts;          /* per message; 0 = default */
	bool starttls;               /* offer STARTTLS */
	bool keep_body;              /* false: count bytes only */
	struct smtp_fault *faults;   /* first match wins */
	size_t nfaults;
};

/* The envelope and body of a finished message, valid during the hook. */
struct smtp_server_msg {
	const char *helo; /* as the client gave it */
	const char *from; /* "" for the null sender */
	const char *const *rcpts;
	size_t nrcpts;
	const unsigned char *body; /* NULL unless keep_body */
	size_t size;               /* body bytes, unstuffed */
	bool esmtp;                /* EHLO, not HELO */
	bool tls;
	bool smtputf8;
	bool bdat;
};

/*
 * Store a message; write its queue id (NUL-terminated) into qid.  Return
 * 0, or a negative MC_E* code: the client then gets 451 4.3.0.
 */
typedef int smtp_server_message_fn(void *arg, const struct smtp_server_msg *msg,
                                   char *qid, size_t qidsize);

/* What the connection should do after a feed. */
enum smtp_server_want {
	SMTP_SERVER_READ,     /* send the output, feed more */
	SMTP_SERVER_DELAY,    /* send the output, wait delay_ms, resume() */
	SMTP_SERVER_STARTTLS, /* send the output, drop unread input, TLS */
	SMTP_SERVER_CLOSE,    /* send the output, then close */
	SMTP_SERVER_DROP,     /* close now */
};

/*
 * Where the session is, X(name, trace name).  It changes only in
 * smtp_server_enter() (smtp_server.c), which traces "smtpd: MAIL -> RCPT"
 * at LOG_DEBUG.  Between BDAT chunks the session is back in the state the
 * chunk started from (RCPT, with in_bdat set).
 */
#define SMTP_SERVER_STATES(X)                                                  \
	X(SMTP_SRV_CONNECT, "CONNECT") /* greeted, no HELO/EHLO yet */         \
	X(SMTP_SRV_HELO, "HELO")       /* HELO/EHLO done, no transaction */    \
	X(SMTP_SRV_MAIL, "MAIL")       /* MAIL accepted, no recipient */       \
	X(SMTP_SRV_RCPT, "RCPT")       /* one recipient or more */             \
	X(SMTP_SRV_DATA, "DATA")       /* reading a DATA body */               \
	X(SMTP_SRV_BDAT, "BDAT")       /* reading a BDAT chunk */              \
	X(SMTP_SRV_QUIT, "QUIT")       /* 221 given: closing */

enum smtp_server_state {
#define SMTP_SRV_ENUM(e, name) e,
	SMTP_SERVER_STATES(SMTP_SRV_ENUM)
#undef SMTP_SRV_ENUM
};

/* "RCPT", ...; "?" when out of range. */
const char *smtp_server_state_name(enum smtp_server_state st);

struct smtp_server {
	const struct smtp_server_config *cfg;
	smtp_server_message_fn *hook;
	void *hook_arg;
	char peer[64];
	struct buf out;  /* replies not yet taken */
	struct buf held; /* a delayed reply */
	struct buf line; /* a partial command line */
	bool line_overflow;
	enum smtp_server_want want;
	bool want_held;    /* replies go to held */
	bool close_after;  /* a 421 was given */
	unsigned delay_ms; /* for SMTP_SERVER_DELAY */
	unsigned long long max_size;
	unsigned max_rcpts;
	enum smtp_server_state state;
	enum smtp_server_state bdat_ret; /* the state after a BDAT chunk */
	int dstate;                      /* DATA scanner state */
	unsigned long long bdat_left;    /* bytes of this chunk */
	bool bdat_last;
	bool bdat_skip; /* chunk is discarded */
	bool refused;   /* 554 greeting: only QUIT */
	bool tls;
	bool esmtp;
	bool smtputf8;
	bool too_big;
	bool in_bdat;                 /* transaction uses BDAT */
	struct smtp_fault *drop_rule; /* DROP_AFTER armed */
	unsigned long long raw_bytes; /* body bytes as received */
	unsigned long long size;      /* body bytes, unstuffed */
	char helo[SMTP_SERVER_ADDR_MAX];
	char from[SMTP_SERVER_ADDR_MAX];
	struct buf rcpt_text; /* NUL-separated recipients */
	size_t *rcpt_off;
	const char **rcpt_ptr;
	size_t nrcpts, rcpt_cap, rcpt_ptr_cap;
	struct buf body; /* keep_body only */
};

/* Start a session: the greeting (or a connect fault) is in the output. */
void smtp_server_init(struct smtp_server *s,
                      const struct smtp_server_config *cfg, const char *peer,
                      smtp_server_message_fn *hook, void *hook_arg);
void smtp_server_fini(struct smtp_server *s);
/*
 * Feed n bytes from the client; returns how many were used (all, unless
 * want() turned from READ: the rest is to be fed after the pause).
 */
size_t smtp_server_feed(struct smtp_server *s, const void *data, size_t n);
enum smtp_server_want smtp_server_want(const struct smtp_server *s);
/* After SMTP_SERVER_DELAY: release the held reply, want READ again. */
void smtp_server_resume(struct smtp_server *s);
/* After SMTP_SERVER_STARTTLS: TLS is up, the session starts afresh. */
void smtp_server_tls_started(struct smtp_server *s);
/* Replies to send; the caller consumes what it took. */
static inline struct buf *
smtp_server_output(struct smtp_server *s)
{
	return &s->out;
}

#endif
