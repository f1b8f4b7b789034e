#!/usr/bin/python3
"""same_message.py SENT ARRIVED — exit 0 when the message that arrived is the
one that was sent, apart from trace headers the receiving side adds
(Return-Path, Delivered-To, Received, X-Original-To, X-Test-Envelope) and
line ends (CRLF vs LF).  Parsed with Python's email package, independently
of mailcast: headers compared in order as (name, raw value), bodies byte for
byte."""
import sys
from email import policy
from email.parser import BytesParser

TRACE = {'return-path', 'delivered-to', 'received', 'x-original-to',
         'x-test-envelope'}


def load(path):
    with open(path, 'rb') as f:
        raw = f.read().replace(b'\r\n', b'\n')
    msg = BytesParser(policy=policy.compat32).parsebytes(raw)
    heads = [(k.lower(), v) for k, v in msg.items() if k.lower() not in TRACE]
    body = raw.split(b'\n\n', 1)[1] if b'\n\n' in raw else b''
    return heads, body


def main():
    sent_h, sent_b = load(sys.argv[1])
    got_h, got_b = load(sys.argv[2])
    ok = True
    if sent_h != got_h:
        print('headers differ:\n sent: %r\n got:  %r' % (sent_h, got_h))
        ok = False
    if sent_b != got_b:
        print('bodies differ:\n sent: %r\n got:  %r' % (sent_b[:300], got_b[:300]))
        ok = False
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
