#!/usr/bin/python3
"""Scripted SMTP server for mailcast's tests (Debian python3-aiosmtpd).

  aiosmtpd_server.py --port P [--smtps-port P2] --cert C --key K --outdir DIR
                     [--user NAME:PASSWORD ...] [--size-limit BYTES]

The recipient's local part picks the answer, so a test can reach every
branch of a client:
  reject-*  550 5.1.1 at RCPT          defer-*  451 4.3.0 at RCPT
  slow-*    RCPT answered after 3 s    (timeouts)
  anything else is accepted; each message is written to DIR/<n>.eml with an
  X-Test-Envelope: header (sender, recipients, tls, auth user) first.
STARTTLS is offered on --port; --smtps-port speaks TLS from the first byte.
With --user, AUTH PLAIN and LOGIN are offered (after TLS only) and required.
"""
import argparse
import asyncio
import itertools
import os
import signal
import ssl

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Handler:
    def __init__(self, outdir):
        self.outdir = outdir
        self.n = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, options):
        local = address.split('@')[0]
        if local.startswith('reject-'):
            return '550 5.1.1 <%s>: Recipient address rejected' % address
        if local.startswith('defer-'):
            return '451 4.3.0 <%s>: Try again later' % address
        if local.startswith('slow-'):
            await asyncio.sleep(3)
        envelope.rcpt_tos.append(address)
        return '250 2.1.5 OK'

    async def handle_DATA(self, server, session, envelope):
        n = next(self.n)
        user = None
        if session.authenticated and session.auth_data:
            user = session.auth_data.login.decode()
        tls = server.transport.get_extra_info('ssl_object') is not None
        head = 'X-Test-Envelope: from=<%s> to=%s tls=%s auth=%s\r\n' % (
            envelope.mail_from, ','.join(envelope.rcpt_tos), tls, user)
        path = os.path.join(self.outdir, '%d.eml' % n)
        with open(path + '.tmp', 'wb') as f:
            f.write(head.encode() + envelope.original_content)
        os.rename(path + '.tmp', path)
        return '250 2.0.0 Ok: queued as Q%d' % n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--smtps-port', type=int)
    ap.add_argument('--cert')
    ap.add_argument('--key')
    ap.add_argument('--outdir', default='.')
    ap.add_argument('--user', action='append', default=[])
    ap.add_argument('--size-limit', type=int, default=33554432)
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    users = dict(u.split(':', 1) for u in a.user)
    tls = None
    if a.cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(a.cert, a.key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = users.get(auth_data.login.decode()) == auth_data.password.decode()
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    kw = dict(hostname=a.host, ident='mailcast-test', tls_context=tls,
              data_size_limit=a.size_limit,
              authenticator=authenticator if users else None,
              auth_required=bool(users), auth_require_tls=True)
    handler = Handler(a.outdir)
    ctl = [Controller(handler, hostname=a.host, port=a.port,
                      server_kwargs=kw)]
    if a.smtps_port:
        kw2 = dict(kw, tls_context=None, auth_require_tls=False)
        ctl.append(Controller(handler, hostname=a.host, port=a.smtps_port,
                              ssl_context=tls, server_kwargs=kw2))
    for c in ctl:
        c.start()
    print('listening', flush=True)
    signal.sigwait({signal.SIGINT, signal.SIGTERM})
    for c in ctl:
        c.stop()


if __name__ == '__main__':
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    main()
