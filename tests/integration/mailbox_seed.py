#!/usr/bin/python3
"""mailbox_seed.py MAILDIR [PREFIX] [KEYFILE DB] — write the test messages of
the mailbox tests into MAILDIR/new: a hard bounce (RFC 3464, 5.1.1), a soft
bounce (mailbox full), an ARF complaint, an auto-reply, a mailto unsubscribe
request and two ordinary messages.  PREFIX makes the addresses and
Message-IDs unique per run ("r1" -> hard-r1@dest.example).  Prints one
line per file: NAME EXPECTED-KIND ADDRESS.

With KEYFILE (a hex token key, as `--token-key` reads it) and DB (an
existing mailcast SQLite store): the four recipients become contacts 1-4
of campaign 1 with ledger rows "sent" in DB, and the bounces, the
complaint and the unsubscribe request carry their VERP tokens (made here
by the layout of src/bounce/token.h) the way real ones do: a DSN to
bounces+TOKEN@, the complaint quoting Return-Path: <bounces+TOKEN@...>,
the request to unsubscribe+TOKEN@.  Without them nothing is signed (and
`bounces fetch` changes nothing for these messages)."""
import base64
import hashlib
import hmac
import os
import sqlite3
import sys
import time

maildir, prefix = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "r1")
P = prefix
KEY = bytes.fromhex(open(sys.argv[3]).read().strip()) if len(sys.argv) > 4 else None
DB = sys.argv[4] if len(sys.argv) > 4 else None
CONTACTS = [f"hard-{P}@dest.example", f"soft-{P}@dest.example",
            f"fbl-{P}@dest.example", f"leaver-{P}@dest.example"]


def shortest(v):
    n = 1
    while n < 8 and v >> (8 * n):
        n += 1
    return v.to_bytes(n, "big")


def token(campaign, contact):
    """The VERP token of (campaign, contact) (src/bounce/token.h)."""
    c, k = shortest(campaign), shortest(contact)
    raw = bytes([(len(c) - 1) << 3 | (len(k) - 1)]) + c + k
    mac = hmac.new(KEY, b"mailcast-token-v1" + raw, hashlib.sha256).digest()
    return base64.b32encode(raw + mac[:10]).decode().lower().rstrip("=")


def tok(address):
    """TOKEN of the contact at address, or "" without a key."""
    if KEY is None or address not in CONTACTS:
        return ""
    return token(1, CONTACTS.index(address) + 1)


def verp(address, local="bounces"):
    t = tok(address)
    return f"{local}+{t}@sender.example" if t else f"{local}@sender.example"


if DB is not None:
    db = sqlite3.connect(DB)
    db.execute("INSERT INTO lists(id, name, created_at) VALUES (1, 'l', 0)")
    for i, a in enumerate(CONTACTS):
        db.execute("INSERT INTO contacts(id, address, domain, created_at, "
                   "updated_at) VALUES (?, ?, 'dest.example', 0, 0)",
                   (i + 1, a))
        db.execute("INSERT INTO list_members VALUES (1, ?, 0)", (i + 1,))
    db.execute("INSERT INTO campaigns(id, name, list_id, status, created_at) "
               "VALUES (1, 'c', 1, 'done', 0)")
    db.execute("INSERT INTO deliveries(campaign_id, contact_id, state, "
               "attempts, created_at, updated_at, sent_at) SELECT 1, id, "
               "'sent', 1, 0, 0, 0 FROM contacts")
    db.commit()
    db.close()

def dsn(name, rcpt, action, status, diag):
    return f"""Return-Path: <>
From: MAILER-DAEMON@mx.dest.example (Mail Delivery System)
To: {verp(rcpt)}
Subject: Undelivered Mail Returned to Sender
Message-ID: <{name}-{P}@mx.dest.example>
Date: Thu, 1 Jan 2026 00:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
  boundary="BOUND"

--BOUND
Content-Type: text/plain

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

--BOUND
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.dest.example

Final-Recipient: rfc822; {rcpt}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; {diag}

--BOUND
Content-Type: text/rfc822-headers

From: news@sender.example
To: {rcpt}
Subject: News
Message-ID: <orig-{name}-{P}@sender.example>

--BOUND--
"""

msgs = [
    ("hard", "bounce", f"hard-{P}@dest.example",
     dsn("hard", f"hard-{P}@dest.example", "failed", "5.1.1",
         f"550 5.1.1 <hard-{P}@dest.example>: Recipient address rejected: User unknown")),
    ("soft", "bounce", f"soft-{P}@dest.example",
     dsn("soft", f"soft-{P}@dest.example", "failed", "5.2.2",
         "552 5.2.2 Mailbox full, quota exceeded")),
    ("complaint", "complaint", f"fbl-{P}@dest.example", f"""From: feedback@fbl.dest.example
To: abuse@sender.example
Subject: FW: complaint
Message-ID: <complaint-{P}@fbl.dest.example>
Date: Thu, 1 Jan 2026 00:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report;
  boundary="ARF"

--ARF
Content-Type: text/plain

This is an email abuse report.

--ARF
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: test-fbl/1.0
Version: 1
Original-Rcpt-To: fbl-{P}@dest.example

--ARF
Content-Type: message/rfc822

Return-Path: <{verp(f"fbl-{P}@dest.example")}>
From: news@sender.example
To: fbl-{P}@dest.example
Subject: News
Message-ID: <orig-c-{P}@sender.example>

Hello.

--ARF--
"""),
    ("autoreply", "auto-reply", "", f"""From: Away Person <away-{P}@dest.example>
To: bounces@sender.example
Subject: Out of office: News
Message-ID: <auto-{P}@dest.example>
Date: Thu, 1 Jan 2026 00:00:00 +0000
Auto-Submitted: auto-replied

I am away until Monday.
"""),
    ("unsub", "unsubscribe", f"leaver-{P}@dest.example", f"""From: Leaver <leaver-{P}@dest.example>
To: {verp(f"leaver-{P}@dest.example", "unsubscribe")}
Subject: unsubscribe
Message-ID: <unsub-{P}@dest.example>
Date: Thu, 1 Jan 2026 00:00:00 +0000

unsubscribe
"""),
    ("ordinary1", "not-bounce", "", f"""From: Friend <friend@dest.example>
To: bounces@sender.example
Subject: Lunch?
Message-ID: <ord1-{P}@dest.example>
Date: Thu, 1 Jan 2026 00:00:00 +0000

Are you free on Tuesday?
"""),
    ("ordinary2", "not-bounce", "", f"""From: Boss <boss@sender.example>
To: bounces@sender.example
Subject: Report about the bounce rate
Message-ID: <ord2-{P}@sender.example>
Date: Thu, 1 Jan 2026 00:00:00 +0000

Please send me the report about undelivered mail numbers.
"""),
]

os.makedirs(os.path.join(maildir, "new"), exist_ok=True)
for i, (name, kind, addr, text) in enumerate(msgs):
    fn = f"{int(time.time())}.M{i}P{os.getpid()}{P}.{name}:2,"
    path = os.path.join(maildir, "new", fn.replace(":2,", ""))
    with open(path, "w", newline="\r\n") as f:
        f.write(text)
    os.chown(path, 65534, 65534)
    print(name, kind, addr or "-")
