#!/usr/bin/python3
"""Listeners for the diagnostics lab: an SMTP submission server with STARTTLS
and AUTH (default 587) and an implicit-TLS IMAP greeting (default 993).

usage: diag_listeners.py CERT KEY [SMTP_PORT [IMAPS_PORT]]
The SMTP server's EHLO reply names the address it sees, in brackets, as
Exim does, so the client can learn its public (NATed) address.
"""
import socket
import ssl
import sys
import threading

cert, key = sys.argv[1], sys.argv[2]
smtp_port = int(sys.argv[3]) if len(sys.argv) > 3 else 587
imaps_port = int(sys.argv[4]) if len(sys.argv) > 4 else 993
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)


def smtp(conn, peer):
    f = conn.makefile("rwb", buffering=0)
    tls = False

    def w(s):
        f.write(s.encode() + b"\r\n")

    w("220 mx.lab.test ESMTP diag-lab")
    while True:
        line = f.readline()
        if not line:
            return
        cmd = line.decode(errors="replace").strip().upper()
        if cmd.startswith("EHLO") or cmd.startswith("HELO"):
            w("250-mx.lab.test Hello %s [%s]" % (cmd[5:].lower(), peer[0]))
            if tls:
                w("250-AUTH PLAIN LOGIN")
            else:
                w("250-STARTTLS")
            w("250 8BITMIME")
        elif cmd == "STARTTLS" and not tls:
            w("220 go ahead")
            conn = ctx.wrap_socket(conn, server_side=True)
            f = conn.makefile("rwb", buffering=0)
            tls = True
        elif cmd == "QUIT":
            w("221 bye")
            return
        else:
            w("502 not here")


def imaps(conn, peer):
    try:
        s = ctx.wrap_socket(conn, server_side=True)
    except (ssl.SSLError, OSError):
        return
    f = s.makefile("rwb", buffering=0)
    f.write(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] diag-lab ready\r\n")
    while True:
        line = f.readline()
        if not line:
            return
        tag = line.split(b" ")[0]
        if b"CAPABILITY" in line.upper():
            f.write(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + tag + b" OK done\r\n")
        else:
            f.write(tag + b" BAD no\r\n")


def serve(port, handler):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(16)
    while True:
        c, peer = ls.accept()
        def run(c=c, peer=peer):
            try:
                handler(c, peer)
            except (OSError, ssl.SSLError):
                pass
            finally:
                c.close()
        threading.Thread(target=run, daemon=True).start()


threading.Thread(target=serve, args=(smtp_port, smtp), daemon=True).start()
serve(imaps_port, imaps)
