#!/usr/bin/python3
"""No value reaches the POP3/IMAP/SMTP wire with a line break (issue 11,
defect 6), through the real command line.

A fake POP3 server on 127.0.0.1:20108 and a fake SMTP server on
127.0.0.1:20109 (both Python, recording every byte they receive) stand in
for the hostile cases:
  - MAILCAST_MAILBOX_PASSWORD=$'pass\\r\\nDELE 1': `bounces fetch` fails
    with "password contains a line break"; the server received no PASS
    and no DELE (before the fix: "PASS pass", then "DELE 1");
  - pop3://user%0d%0aDELE%201@...: refused as a usage error (exit 64),
    "the user contains a control character", no connection at all;
  - `send --helo $'x\\r\\nMAIL FROM:<evil@x.test>'`: fails with "helo name
    contains a line break"; the SMTP server received no EHLO and no MAIL.
A control run with a clean password shows the fake server does see USER
and PASS, so the checks above can fail.

Usage: mailbox_injection.py PATH/TO/mailcast
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

HOST = "127.0.0.1"
POP3_PORT = 20108
SMTP_PORT = 20109

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


class Fake(threading.Thread):
    """A one-line-at-a-time server that records what it receives."""

    def __init__(self, port, greeting, answer):
        super().__init__(daemon=True)
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind((HOST, port))
        self.srv.listen(8)
        self.srv.settimeout(0.2)
        self.greeting = greeting
        self.answer = answer
        self.received = b""
        self.connections = 0
        self.stop = False

    def run(self):
        while not self.stop:
            try:
                c, _ = self.srv.accept()
            except socket.timeout:
                continue
            self.connections += 1
            c.settimeout(5)
            try:
                c.sendall(self.greeting)
                buf = b""
                while True:
                    data = c.recv(4096)
                    if not data:
                        break
                    self.received += data
                    buf += data
                    while b"\n" in buf:
                        line, buf = buf.split(b"\n", 1)
                        reply = self.answer(line.rstrip(b"\r"))
                        if reply is None:
                            raise OSError("done")
                        c.sendall(reply)
            except OSError:
                pass
            c.close()

    def close(self):
        self.stop = True
        self.join(5)
        self.srv.close()


def pop3_answer(line):
    cmd = line.split(b" ", 1)[0].upper()
    if cmd == b"CAPA":
        return b"+OK\r\nUSER\r\nUIDL\r\n.\r\n"
    if cmd == b"UIDL":
        return b"+OK\r\n.\r\n"
    if cmd == b"QUIT":
        return b"+OK bye\r\n"
    return b"+OK\r\n"


SMTP_IN_DATA = [False]


def smtp_answer(line):
    if SMTP_IN_DATA[0]:
        if line == b".":
            SMTP_IN_DATA[0] = False
            return b"250 queued\r\n"
        return b""
    cmd = line.split(b" ", 1)[0].upper()
    if cmd == b"QUIT":
        return b"221 bye\r\n"
    if cmd == b"EHLO":
        return b"250 fake.test\r\n"
    if cmd == b"DATA":
        SMTP_IN_DATA[0] = True
        return b"354 go\r\n"
    return b"250 ok\r\n"


def run(args, env_extra=None):
    env = dict(os.environ)
    env.pop("MAILCAST_TRACE", None)
    env.update(env_extra or {})
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env, timeout=60)
    return p.returncode, p.stdout + p.stderr


def main():
    mc = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="mc-inject-")
    db = "sqlite:" + os.path.join(tmp, "store.db")
    pop = Fake(POP3_PORT, b"+OK fake POP3\r\n", pop3_answer)
    smtp = Fake(SMTP_PORT, b"220 fake.test ESMTP\r\n", smtp_answer)
    pop.start()
    smtp.start()
    # bounces fetch needs an existing store (a mistyped one is an error)
    subprocess.run([mc, "--store", db, "suppress", "import", os.devnull],
                   capture_output=True, check=True)
    fetch = [mc, "--store", db, "bounces", "fetch", "--allow-cleartext-auth",
             "--auth", "user", "--keep", "--timeout", "10", "--mailbox"]
    try:
        # Control: a clean password reaches the server as USER/PASS.
        rc, out = run(fetch + ["pop3://u@%s:%d" % (HOST, POP3_PORT)],
                      {"MAILCAST_MAILBOX_PASSWORD": "pass"})
        check(b"USER u\r\nPASS pass\r\n" in pop.received,
              "control: a clean password is sent (rc %d, %r)" %
              (rc, pop.received[:80]))
        pop.received = b""

        rc, out = run(fetch + ["pop3://u@%s:%d" % (HOST, POP3_PORT)],
                      {"MAILCAST_MAILBOX_PASSWORD": "pass\r\nDELE 1"})
        check(rc != 0, "a password with CR LF fails (rc %d)" % rc)
        check(b"password contains a line break" in out,
              "the error names the password: %r" % out[-200:])
        check(b"pass\r\nDELE" not in out, "the secret is not printed")
        check(b"PASS" not in pop.received and b"DELE" not in pop.received,
              "no PASS and no DELE on the wire: %r" % pop.received)

        conns = pop.connections
        rc, out = run(fetch + ["pop3://user%%0d%%0aDELE%%201@%s:%d" %
                               (HOST, POP3_PORT)],
                      {"MAILCAST_MAILBOX_PASSWORD": "pass"})
        check(rc == 64, "%%0d%%0a in the URL's user is a usage error "
              "(rc %d)" % rc)
        check(b"the user contains a control character" in out,
              "the error names the user: %r" % out[-200:])
        check(pop.connections == conns and b"DELE" not in pop.received,
              "no connection for a refused URL")

        msg = os.path.join(tmp, "m.eml")
        with open(msg, "w") as fp:
            fp.write("Subject: t\n\nbody\n")
        rc, out = run([mc, "send", "--server", "%s:%d" % (HOST, SMTP_PORT),
                       "--from", "a@b.test", "--to", "c@d.test", "--tls", "none", "--data",
                       msg, "--helo", "x\r\nMAIL FROM:<evil@x.test>"])
        check(rc != 0, "send --helo with CR LF fails (rc %d)" % rc)
        check(b"helo name contains a line break" in out,
              "the error names the helo name: %r" % out[-200:])
        check(b"EHLO" not in smtp.received and b"MAIL" not in smtp.received,
              "no EHLO and no MAIL on the wire: %r" % smtp.received)
        # Control: a clean HELO name does reach the fake server.
        rc, out = run([mc, "send", "--server", "%s:%d" % (HOST, SMTP_PORT),
                       "--from", "a@b.test", "--to", "c@d.test", "--tls", "none", "--data",
                       msg, "--helo", "client.test"])
        check(rc == 0 and b"EHLO client.test\r\n" in smtp.received,
              "control: a clean HELO name is sent (rc %d)" % rc)
    finally:
        pop.close()
        smtp.close()
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
