/*
 * mailbox_pop3.c — the POP3 mailbox cursor (mailbox_cursor.h): UIDL lists,
 * RETR fetches, DELE disposes (done only at QUIT, RFC 1939's UPDATE state,
 * so at_close is set).  POP3 has no folders and no IDLE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/mailbox_cursor.h"
#include "base/error.h"
#include "base/str.h"
#include "base/xmalloc.h"

enum { STEP_LIST = 1, STEP_FETCH, STEP_DISPOSE, STEP_CLOSE };

/* Send one command for step. */
static int
step_send(struct mailbox_cursor *cur, int step, enum pop3_cmd cmd,
          unsigned long arg)
{
	cur->step = step;
	cur->note[0] = '\0';
	return mailbox_conn_pop3(cur->mc, cmd, arg, 0);
}

/* The messages: UIDL. */
static int
pop3_list(struct mailbox_cursor *cur)
{
	mc_strlcpy(cur->key, cur->base_key, sizeof(cur->key));
	return step_send(cur, STEP_LIST, POP3_CMD_UIDL, 0);
}

/* RETR item i. */
static int
pop3_fetch(struct mailbox_cursor *cur, size_t i)
{
	cur->i = i;
	cur->data = NULL;
	cur->len = 0;
	cur->truncated = cur->gone = false;
	cur->size = 0;
	return step_send(cur, STEP_FETCH, POP3_CMD_RETR, cur->items[i].msgno);
}

/* DELE item i. */
static int
pop3_dispose(struct mailbox_cursor *cur, size_t i)
{
	cur->i = i;
	cur->disposed = false;
	cur->at_close = true;
	if (!cur->del)
		return 1;
	return step_send(cur, STEP_DISPOSE, POP3_CMD_DELE, cur->items[i].msgno);
}

/* QUIT: the deletions happen now. */
static int
pop3_close(struct mailbox_cursor *cur)
{
	return step_send(cur, STEP_CLOSE, POP3_CMD_QUIT, 0);
}

/* The UIDL answer: the listing, copied (the core's is short-lived). */
static int
list_answer(struct mailbox_cursor *cur, const struct pop3_event *ev)
{
	const struct pop3_entry *ents;
	size_t n;

	if (!ev->ok) {
		snprintf(cur->note, sizeof(cur->note),
		         "the server refuses UIDL (%s): without it messages "
		         "cannot be remembered",
		         ev->text ? ev->text : "");
		return MC_EUNSUPP;
	}
	ents = pop3_client_entries(mailbox_conn_pop3_core(cur->mc), &n);
	free(cur->items);
	cur->items = xcalloc(n + 1, sizeof(*cur->items));
	for (size_t i = 0; i < n; i++) {
		mc_strlcpy(cur->items[i].uid, ents[i].uid,
		           sizeof(cur->items[i].uid));
		cur->items[i].msgno = ents[i].msgno;
	}
	cur->nitems = n;
	return 0;
}

/* The conn's answer to the running step. */
static void
pop3_answer(struct mailbox_cursor *cur, int rc)
{
	const struct pop3_event *ev = mailbox_conn_pop3_event(cur->mc);

	if (rc < 0) {
		mailbox_cursor_finish(cur, rc);
		return;
	}
	switch (cur->step) {
	case STEP_LIST:
		rc = list_answer(cur, ev);
		break;
	case STEP_FETCH:
		if (!ev->ok) {
			cur->gone = true;
			snprintf(cur->note, sizeof(cur->note), "RETR %lu: %s",
			         cur->items[cur->i].msgno, ev->text);
			break;
		}
		cur->data = ev->data;
		cur->len = ev->data_len;
		cur->truncated = ev->truncated;
		break;
	case STEP_DISPOSE:
		cur->disposed = ev->ok;
		if (!ev->ok)
			snprintf(cur->note, sizeof(cur->note),
			         "cannot delete message %lu: %s",
			         cur->items[cur->i].msgno, ev->text);
		break;
	case STEP_CLOSE:
		if (ev->type == POP3_EV_DONE && !ev->ok)
			rc = MC_EPROTO;
		break;
	}
	mailbox_cursor_finish(cur, rc);
}

const struct mailbox_cursor_ops mailbox_pop3_ops = {
    .name = "pop3",
    .open = NULL,
    .list = pop3_list,
    .fetch = pop3_fetch,
    .dispose = pop3_dispose,
    .wait = NULL,
    .close = pop3_close,
    .answer = pop3_answer,
};
