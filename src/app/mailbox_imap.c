/*
 * mailbox_imap.c — the IMAP mailbox cursor (mailbox_cursor.h): CREATE the
 * move-to folder at open (a NO is fine: it exists), SELECT + UID SEARCH
 * ALL lists (the memory key carries the UIDVALIDITY, so a rebuilt folder
 * is a new mailbox), UID FETCH fetches, UID MOVE or delete disposes, IDLE
 * waits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/mailbox_cursor.h"
#include "base/error.h"
#include "base/xmalloc.h"

enum {
	STEP_CREATE = 1,
	STEP_SELECT,
	STEP_SEARCH,
	STEP_FETCH,
	STEP_DISPOSE,
	STEP_WAIT,
	STEP_CLOSE
};

/* Send one command for step. */
static int
step_send(struct mailbox_cursor *cur, int step, enum imap_cmd cmd,
          const char *mailbox, const char *criteria, uint32_t uid)
{
	cur->step = step;
	cur->note[0] = '\0';
	return mailbox_conn_imap(cur->mc, cmd, mailbox, criteria, uid);
}

/* CREATE the move-to folder. */
static int
imap_open(struct mailbox_cursor *cur)
{
	if (cur->move_to == NULL)
		return 1;
	return step_send(cur, STEP_CREATE, IMAP_CMD_CREATE, cur->move_to, NULL,
	                 0);
}

/* SELECT, then UID SEARCH ALL. */
static int
imap_list(struct mailbox_cursor *cur)
{
	return step_send(cur, STEP_SELECT, IMAP_CMD_SELECT, cur->folder, NULL,
	                 0);
}

/* UID FETCH item i. */
static int
imap_fetch(struct mailbox_cursor *cur, size_t i)
{
	cur->i = i;
	cur->data = NULL;
	cur->len = 0;
	cur->truncated = cur->gone = false;
	cur->size = 0;
	return step_send(cur, STEP_FETCH, IMAP_CMD_FETCH, NULL, NULL,
	                 cur->items[i].imap_uid);
}

/* Move or delete item i. */
static int
imap_dispose(struct mailbox_cursor *cur, size_t i)
{
	cur->i = i;
	cur->disposed = cur->at_close = false;
	if (!cur->del && cur->move_to == NULL)
		return 1;
	return step_send(cur, STEP_DISPOSE,
	                 cur->del ? IMAP_CMD_DELETE : IMAP_CMD_MOVE,
	                 cur->move_to, NULL, cur->items[i].imap_uid);
}

/* IDLE for at most max_ms. */
static int
imap_wait(struct mailbox_cursor *cur, uint32_t max_ms)
{
	cur->note[0] = '\0';
	if (!imap_client_has_capability(mailbox_conn_imap_core(cur->mc),
	                                "IDLE")) {
		snprintf(cur->note, sizeof(cur->note),
		         "the server does not offer IDLE");
		return MC_EUNSUPP;
	}
	cur->step = STEP_WAIT;
	cur->woke = false;
	return mailbox_conn_idle(cur->mc, max_ms);
}

/* LOGOUT. */
static int
imap_close(struct mailbox_cursor *cur)
{
	return step_send(cur, STEP_CLOSE, IMAP_CMD_LOGOUT, NULL, NULL, 0);
}

/* SELECT answered: the key, then the search. */
static int
select_answer(struct mailbox_cursor *cur, const struct imap_event *ev)
{
	if (!ev->ok) {
		snprintf(cur->note, sizeof(cur->note), "SELECT %s: %s",
		         cur->folder, ev->text);
		return MC_EPERMFAIL;
	}
	snprintf(cur->key, sizeof(cur->key), "%s/%s;UIDVALIDITY=%u",
	         cur->base_key, cur->folder,
	         imap_client_uidvalidity(mailbox_conn_imap_core(cur->mc)));
	return step_send(cur, STEP_SEARCH, IMAP_CMD_SEARCH, NULL, "ALL", 0);
}

/* UID SEARCH answered: the listing, copied. */
static int
search_answer(struct mailbox_cursor *cur, const struct imap_event *ev)
{
	const uint32_t *u;
	size_t n;

	if (!ev->ok) {
		snprintf(cur->note, sizeof(cur->note), "UID SEARCH: %s",
		         ev->text);
		return MC_EPERMFAIL;
	}
	u = imap_client_uids(mailbox_conn_imap_core(cur->mc), &n);
	free(cur->items);
	cur->items = xcalloc(n + 1, sizeof(*cur->items));
	for (size_t i = 0; i < n; i++) {
		cur->items[i].imap_uid = u[i];
		snprintf(cur->items[i].uid, sizeof(cur->items[i].uid), "%u",
		         u[i]);
	}
	cur->nitems = n;
	return 0;
}

/* The conn's answer to the running step. */
static void
imap_answer(struct mailbox_cursor *cur, int rc)
{
	const struct imap_event *ev = mailbox_conn_imap_event(cur->mc);

	if (rc < 0) {
		mailbox_cursor_finish(cur, rc);
		return;
	}
	switch (cur->step) {
	case STEP_SELECT:
		/* 0: the search is on its way, its answer finishes. */
		if ((rc = select_answer(cur, ev)) == 0)
			return;
		break;
	case STEP_SEARCH:
		rc = search_answer(cur, ev);
		break;
	case STEP_FETCH:
		if (!ev->ok || (ev->data == NULL && !ev->truncated)) {
			cur->gone = true; /* expunged meanwhile */
			break;
		}
		cur->data = ev->data;
		cur->len = ev->data_len;
		cur->truncated = ev->truncated;
		cur->size = ev->size;
		break;
	case STEP_DISPOSE:
		cur->disposed = ev->ok;
		if (!ev->ok)
			snprintf(cur->note, sizeof(cur->note),
			         "cannot %s UID %u: %s",
			         cur->del ? "delete" : "move",
			         cur->items[cur->i].imap_uid, ev->text);
		break;
	case STEP_WAIT:
		cur->woke = mailbox_conn_idle_woke(cur->mc);
		break;
	default: /* CREATE: a NO is fine (it exists); LOGOUT */
		break;
	}
	mailbox_cursor_finish(cur, rc);
}

const struct mailbox_cursor_ops mailbox_imap_ops = {
    .name = "imap",
    .open = imap_open,
    .list = imap_list,
    .fetch = imap_fetch,
    .dispose = imap_dispose,
    .wait = imap_wait,
    .close = imap_close,
    .answer = imap_answer,
};
