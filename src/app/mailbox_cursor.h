/*
 * mailbox_cursor.h — a mailbox as the poller (app/poller.h) sees it: a
 * small table of steps that POP3 (mailbox_pop3.c) and IMAP
 * (mailbox_imap.c) each implement on net/mailbox_conn.h, so the poller has
 * one loop for both.  Every step is asynchronous on the caller's event
 * base: it returns 0 and later calls cur->done(cur, rc, cur->arg) once,
 * 1 when it had nothing to do (no callback), or MC_E* at once (no
 * callback; a refusal's words in note).  rc < 0 in the callback means the
 * session is over (the words in mailbox_conn_error()); a refusal that is
 * not (a message gone, a move refused) is rc 0 with cur->note set.
 *
 * Steps: open (after login: IMAP creates the move-to folder), list (the
 * messages there now, into items; the memory key of the mailbox into key),
 * fetch item i (data, len, truncated, size, gone), dispose of item i
 * (disposed; at_close when it only takes effect at close: POP3 DELE),
 * wait (IMAP IDLE; NULL for POP3), close (QUIT/LOGOUT).
 * Ownership: the cursor owns its conn (mailbox_cursor_free closes it);
 * data is valid until the next step.
 */
#ifndef MC_APP_MAILBOX_CURSOR_H
#define MC_APP_MAILBOX_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/mailbox_conn.h"

struct mailbox_cursor;
typedef void mailbox_cursor_done(struct mailbox_cursor *cur, int rc, void *arg);

/* One message of a listing. */
struct mailbox_item {
	char uid[POP3_UID_MAX + 1]; /* the UIDL, or the IMAP UID in decimal */
	unsigned long msgno;        /* POP3 message number */
	uint32_t imap_uid;
};

struct mailbox_cursor_ops {
	const char *name; /* "pop3", "imap" */
	int (*open)(struct mailbox_cursor *cur);
	int (*list)(struct mailbox_cursor *cur);
	int (*fetch)(struct mailbox_cursor *cur, size_t i);
	int (*dispose)(struct mailbox_cursor *cur, size_t i);
	int (*wait)(struct mailbox_cursor *cur, uint32_t max_ms);
	int (*close)(struct mailbox_cursor *cur);
	/* The conn's answer to the step running (the implementation's). */
	void (*answer)(struct mailbox_cursor *cur, int rc);
};

struct mailbox_cursor {
	const struct mailbox_cursor_ops *ops;
	struct mailbox_conn *mc;
	mailbox_cursor_done *done;
	void *arg;
	bool connected;
	/* Settings. */
	const char *folder;  /* IMAP: the folder to read ("INBOX") */
	const char *move_to; /* IMAP: move handled messages there, or NULL */
	bool del;            /* delete handled messages */
	char base_key[600];  /* "pop3://user@host", "imap://user@host" */
	/* Results of the last step. */
	char key[1200]; /* the memory key of the listed mailbox */
	struct mailbox_item *items;
	size_t nitems;
	const unsigned char *data;
	size_t len;
	bool truncated;
	uint64_t size; /* 0: not known */
	bool gone;
	bool disposed;
	bool at_close;
	bool woke;
	char note[800];
	/* The implementation's. */
	int step;
	size_t i;
};

extern const struct mailbox_cursor_ops mailbox_pop3_ops;
extern const struct mailbox_cursor_ops mailbox_imap_ops;

/*
 * Connect and log in (mailbox_conn_open with cfg on base); done follows
 * with rc 0 or why not.  The cursor is allocated here: free it with
 * mailbox_cursor_free (also inside done).
 */
int mailbox_cursor_open(const struct mailbox_conn_config *cfg,
                        struct event_base *base, mailbox_cursor_done *done,
                        void *arg, struct mailbox_cursor **out);
void mailbox_cursor_free(struct mailbox_cursor *cur);
/* End the running step (for the implementations). */
void mailbox_cursor_finish(struct mailbox_cursor *cur, int rc);

#endif
