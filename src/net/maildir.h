/*
 * maildir.h — delivery of one message into a Maildir (new/ via tmp/).
 *
 * The file is written under DIR/tmp/ with a unique name and renamed into
 * DIR/new/, so a reader never sees half a message.  It holds, in order:
 * "Return-Path: <sender>", one "X-Mailcast-Rcpt: <rcpt>" per recipient,
 * the caller's Received: header, then the body exactly as given.  Lines
 * the sink adds end in CRLF like the SMTP body.  No fsync: the sink is a
 * test peer, not a durable MTA.
 *
 * Errors: maildir_create() and maildir_deliver() return 0 or MC_EIO with
 * the reason (path and strerror) in err.
 */
#ifndef MC_NET_MAILDIR_H
#define MC_NET_MAILDIR_H

#include <stddef.h>

#include "proto/smtp_server.h"

/* Make DIR, DIR/tmp, DIR/new, DIR/cur when missing. */
int maildir_create(const char *dir, char *err, size_t errsize);
/* Write msg with the trace header `received` (ends in CRLF); name is unique. */
int maildir_deliver(const char *dir, const char *name,
                    const struct smtp_server_msg *msg, const char *received,
                    char *err, size_t errsize);

#endif
