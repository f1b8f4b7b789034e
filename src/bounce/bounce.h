/*
 * bounce.h — what came back: bounces, complaints and auto-replies, parsed.
 *
 * bounce_parse() reads one whole message (RFC 5322 bytes, any line ending)
 * and fills a caller-owned struct bounce_result: the kind of message, one
 * struct bounce_rcpt per failed (or reported) recipient with its action,
 * status, SMTP reply code, diagnostic text, remote MTA, reason and class,
 * and the raw VERP token found in the addresses the bounce quotes.  It
 * understands RFC 3464 delivery-status reports, RFC 5965 ARF complaints,
 * RFC 3834 auto-replies and the plain-text formats of the common MTAs.
 *
 * Limits: messages over BOUNCE_MAX_SIZE, with more than BOUNCE_MAX_HEADERS
 * top-level header fields, more than BOUNCE_MAX_PARTS MIME parts or MIME
 * nesting deeper than BOUNCE_MAX_DEPTH are skipped: bounce_parse() returns
 * MC_ELIMIT and says which limit in the caller's error buffer.  MC_EDATA
 * means the bytes are not a message at all.  Ownership: bounce_result_fini()
 * frees everything the result holds; the struct itself is the caller's.
 */
#ifndef MC_BOUNCE_BOUNCE_H
#define MC_BOUNCE_BOUNCE_H

#include <stdbool.h>
#include <stddef.h>

#define BOUNCE_MAX_SIZE    (16u * 1024 * 1024) /* bytes of one message */
#define BOUNCE_MAX_HEADERS 1000          /* header fields at the top level */
#define BOUNCE_MAX_PARTS   256           /* MIME parts (Content-Type lines) */
#define BOUNCE_MAX_DEPTH   32            /* multipart/message nesting */
#define BOUNCE_MAX_RCPTS   256           /* recipients kept from one report */
#define BOUNCE_MAX_TEXT    (256u * 1024) /* human-readable text examined */
#define BOUNCE_MAX_DIAGNOSTIC                                                  \
	1000 /* bytes of diagnostic kept per recipient                         \
	      */
#define BOUNCE_ADDR_MAX  256
#define BOUNCE_TOKEN_MAX 128

/* What kind of message it is, as a whole. */
enum bounce_kind {
	BOUNCE_KIND_NOT_BOUNCE = 0,
	BOUNCE_KIND_BOUNCE,     /* a delivery failure (or delivery report) */
	BOUNCE_KIND_COMPLAINT,  /* an ARF feedback report */
	BOUNCE_KIND_AUTO_REPLY, /* vacation, out of office, RFC 3834 */
};

/* What the sender should do about one recipient. */
enum bounce_class {
	BOUNCE_CLASS_UNKNOWN = 0,
	BOUNCE_CLASS_HARD,       /* the address itself is bad: suppress */
	BOUNCE_CLASS_SOFT,       /* any other failure: count */
	BOUNCE_CLASS_COMPLAINT,  /* suppress and unsubscribe */
	BOUNCE_CLASS_AUTO_REPLY, /* no action */
	BOUNCE_CLASS_NOT_BOUNCE, /* delivered, relayed, not a failure */
};

/* Why, in more detail than the class (the reason table of classify.c). */
#define BOUNCE_REASONS(X)                                                      \
	X(UNDEFINED, "undefined")                                              \
	X(USER_UNKNOWN, "user-unknown")                                        \
	X(HOST_UNKNOWN, "host-unknown")                                        \
	X(HAS_MOVED, "has-moved")                                              \
	X(MAILBOX_FULL, "mailbox-full")                                        \
	X(TOO_BIG, "message-too-big")                                          \
	X(EXPIRED, "expired")                                                  \
	X(SUSPENDED, "suspended")                                              \
	X(BLOCKED, "blocked")                                                  \
	X(SPAM, "spam")                                                        \
	X(FILTERED, "filtered")                                                \
	X(POLICY, "policy")                                                    \
	X(RATE_LIMITED, "rate-limited")                                        \
	X(NETWORK, "network-error")                                            \
	X(SYSTEM, "system-error")                                              \
	X(REJECTED, "rejected")                                                \
	X(FEEDBACK, "feedback")                                                \
	X(VACATION, "vacation")                                                \
	X(DELIVERED, "delivered")

enum bounce_reason {
#define BOUNCE_REASON_ENUM(name, text) BOUNCE_REASON_##name,
	BOUNCE_REASONS(BOUNCE_REASON_ENUM)
#undef BOUNCE_REASON_ENUM
};

struct bounce_rcpt {
	char address[BOUNCE_ADDR_MAX]; /* lower-cased */
	char action[16];               /* "failed", "delayed", ... or "" */
	char status[16];               /* "5.1.1" or "" */
	int reply_code;                /* 550, or 0 when none was given */
	char *diagnostic;              /* heap, NUL-terminated, may be NULL */
	char remote_mta[BOUNCE_ADDR_MAX];
	enum bounce_reason reason;
	enum bounce_class cls;
};

struct bounce_result {
	enum bounce_kind kind;
	struct bounce_rcpt *rcpts; /* nrcpts entries */
	size_t nrcpts;
	char format[24];        /* rule that matched: "rfc3464", ... */
	char feedback_type[32]; /* ARF Feedback-Type, or "" */
	/* The first VERP token (bounces+TOKEN@domain) found, or "". */
	char token[BOUNCE_TOKEN_MAX];
	char verp_address[BOUNCE_ADDR_MAX];
	char original_message_id[BOUNCE_ADDR_MAX];
};

/* Make r empty (before the first bounce_parse, or to reuse it). */
void bounce_result_init(struct bounce_result *r);
/* Free what r holds; r can be parsed into again after bounce_result_init. */
void bounce_result_fini(struct bounce_result *r);

/*
 * Parse one message.  r must have been initialised; what it held is freed.
 * Returns 0 (r filled, possibly kind NOT_BOUNCE with no recipients),
 * MC_ELIMIT (a limit was hit; why in err) or MC_EDATA (not a message).
 */
int bounce_parse(const void *data, size_t len, struct bounce_result *r,
                 char *err, size_t errlen);

/* The local part prefix of our VERP addresses ("bounces+"); default. */
void bounce_set_verp_prefix(const char *prefix);

/* Classify one diagnostic / status / action (exposed for the engine, which
 * records a 5xx at send time with the same rules). */
enum bounce_reason bounce_classify_reason(const char *diagnostic,
                                          const char *status, int reply_code);
enum bounce_class bounce_reason_class(enum bounce_reason reason,
                                      const char *status, const char *action);

/* The value of header field name in a block of header lines (the top of a
 * message; first occurrence, right-trimmed) into out, cut to outsize - 1
 * bytes; false if absent.  The poller reads Message-ID, Subject and From
 * with it. */
bool bounce_header_value(const char *s, size_t n, const char *name, char *out,
                         size_t outsize);

const char *bounce_kind_name(enum bounce_kind kind);
const char *bounce_class_name(enum bounce_class cls);
const char *bounce_reason_name(enum bounce_reason reason);

#endif
