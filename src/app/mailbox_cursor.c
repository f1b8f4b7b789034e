/*
 * mailbox_cursor.c — what the POP3 and IMAP cursors share: the connect,
 * the conn's callback, freeing (mailbox_cursor.h).
 */
#include <stdlib.h>

#include "app/mailbox_cursor.h"
#include "base/error.h"
#include "base/xmalloc.h"

/* The conn's callback: the login, or the answer of a step. */
static void
on_conn(struct mailbox_conn *mc, int rc, void *arg)
{
	struct mailbox_cursor *cur = arg;

	(void)mc;
	if (!cur->connected) {
		cur->connected = rc == 0;
		mailbox_cursor_finish(cur, rc);
		return;
	}
	cur->ops->answer(cur, rc);
}

/* Connect and log in. */
int
mailbox_cursor_open(const struct mailbox_conn_config *cfg,
                    struct event_base *base, mailbox_cursor_done *done,
                    void *arg, struct mailbox_cursor **out)
{
	struct mailbox_cursor *cur = xcalloc(1, sizeof(*cur));
	int rc;

	cur->ops =
	    cfg->proto == MAILBOX_POP3 ? &mailbox_pop3_ops : &mailbox_imap_ops;
	cur->done = done;
	cur->arg = arg;
	if ((rc = mailbox_conn_open(cfg, base, on_conn, cur, &cur->mc)) < 0) {
		free(cur);
		*out = NULL;
		return rc;
	}
	*out = cur;
	return 0;
}

/* Free the cursor and its conn. */
void
mailbox_cursor_free(struct mailbox_cursor *cur)
{
	if (cur == NULL)
		return;
	mailbox_conn_free(cur->mc);
	free(cur->items);
	free(cur);
}

/* End the running step. */
void
mailbox_cursor_finish(struct mailbox_cursor *cur, int rc)
{
	cur->done(cur, rc, cur->arg);
}
