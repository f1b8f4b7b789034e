#!/usr/bin/python3
"""Integration test of `mailcast sink`, driven by independent clients.

Starts `mailcast sink --maildir` with STARTTLS (a certificate made here with
openssl req) on 127.0.0.1 ports 20100-20102, sends with Python's smtplib
(plain and STARTTLS) and with a raw socket (BDAT, pipelining, a 10 MB
line), then checks the Maildir files byte for byte against what was sent
(and parses them with the email package), and every fault kind's reply as
the client sees it.  Usage: sink_test.py PATH/TO/mailcast
"""
import email
import email.policy
import os
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "helpers"))
from checks import check, failures, wait_port  # noqa: E402

PORT = 20100        # the main sink (Maildir, STARTTLS, faults)
PORT_NTH = 20101    # every-Nth and --count
PORT_CONN = 20102   # a connect fault
PORT_LAT = 20104    # --latency
HOST = "127.0.0.1"


def new_files(maildir, before):
    """Files in new/ that were not there before."""
    now = set(os.listdir(os.path.join(maildir, "new")))
    return sorted(now - before)


def read_new(maildir, before):
    files = new_files(maildir, before)
    out = []
    for f in files:
        with open(os.path.join(maildir, "new", f), "rb") as fp:
            out.append(fp.read())
    return out


def strip_prepended(data):
    """The message without the trace lines the sink put in front of it."""
    lines = data.split(b"\r\n")
    i = 0
    while i < len(lines) and (
            lines[i].startswith((b"Return-Path: ", b"X-Mailcast-Rcpt: ",
                                 b"Received: ")) or
            (i > 0 and lines[i].startswith(b"\t"))):
        i += 1
    return b"\r\n".join(lines[i:])


def split_prepended(data, sent):
    """The header lines the sink prepended, checked to end where sent starts."""
    if not data.endswith(sent):
        return None
    return data[:len(data) - len(sent)]


class Raw:
    """A bare SMTP client over a socket: bytes out, reply lines in."""

    def __init__(self, port):
        self.s = socket.create_connection((HOST, port), timeout=10)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def reply(self):
        """One (possibly multi-line) reply as (code, [lines])."""
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.s.recv(65536)
                if not chunk:
                    raise EOFError("closed")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line.decode())
            if line[3:4] != b"-":
                return int(line[:3]), lines

    def closed(self):
        try:
            return self.s.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self):
        self.s.close()


def make_cert(tmp):
    cert = os.path.join(tmp, "cert.pem")
    key = os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


def message(subject, body_lines, to="bob@b.test"):
    m = email.message.EmailMessage(policy=email.policy.SMTP)
    m["From"] = "alice@a.test"
    m["To"] = to
    m["Subject"] = subject
    m.set_content("\n".join(body_lines) + "\n")
    return m.as_bytes()


def test_plain(maildir):
    before = set(os.listdir(os.path.join(maildir, "new")))
    sent = message("plain", ["hello", ".leading dot", "..two dots", ".",
                             "end"])
    with smtplib.SMTP(HOST, PORT, local_hostname="client.test",
                      timeout=10) as s:
        code, caps = s.ehlo()
        check(code == 250, "EHLO 250")
        for ext in (b"PIPELINING", b"SIZE 100000", b"8BITMIME", b"SMTPUTF8",
                    b"CHUNKING", b"STARTTLS", b"ENHANCEDSTATUSCODES"):
            check(ext in caps.split(b"\n"), "EHLO offers %s" % ext.decode())
        refused = s.sendmail("alice@a.test", ["bob@b.test", "carol@c.test"],
                             sent)
        check(refused == {}, "plain: both recipients accepted")
    files = read_new(maildir, before)
    check(len(files) == 1, "plain: one file for two recipients")
    if not files:
        return
    head = split_prepended(files[0], sent)
    check(head is not None, "plain: body byte-for-byte (dots unstuffed)")
    if head is None:
        return
    check(head.startswith(b"Return-Path: <alice@a.test>\r\n"
                          b"X-Mailcast-Rcpt: <bob@b.test>\r\n"
                          b"X-Mailcast-Rcpt: <carol@c.test>\r\n"
                          b"Received: from client.test ([127.0.0.1])\r\n"),
          "plain: Return-Path, X-Mailcast-Rcpt x2, Received in order")
    parsed = email.message_from_bytes(files[0], policy=email.policy.default)
    check(parsed["Subject"] == "plain", "plain: parsed Subject")
    check(parsed.get_content().replace("\r\n", "\n") == "hello\n.leading dot\n..two dots\n.\nend\n",
          "plain: parsed body keeps the leading dots")
    check("with ESMTP id" in str(parsed["Received"]),
          "plain: Received says ESMTP")
    check(len(parsed.get_all("Received")) == 1, "plain: one Received")


def test_starttls(maildir, cert):
    before = set(os.listdir(os.path.join(maildir, "new")))
    sent = message("tls", ["over TLS"])
    ctx = ssl.create_default_context(cafile=cert)
    with smtplib.SMTP(HOST, PORT, local_hostname="client.test",
                      timeout=10) as s:
        s.ehlo()
        code, _ = s.starttls(context=ctx)
        check(code == 220, "STARTTLS 220")
        code, caps = s.ehlo()
        check(b"STARTTLS" not in caps, "no STARTTLS offered inside TLS")
        s.sendmail("alice@a.test", ["bob@b.test"], sent)
    files = read_new(maildir, before)
    check(len(files) == 1 and files[0].endswith(sent),
          "STARTTLS: body byte-for-byte")
    if files:
        parsed = email.message_from_bytes(files[0],
                                          policy=email.policy.default)
        check("with ESMTPS id" in str(parsed["Received"]),
              "STARTTLS: Received says ESMTPS")
        check("for <bob@b.test>" in str(parsed["Received"]),
              "STARTTLS: Received names the one recipient")


def test_bdat_and_pipelining(maildir):
    before = set(os.listdir(os.path.join(maildir, "new")))
    part1 = b"From: alice@a.test\r\nSubject: bdat\r\n\r\n.no unstuffing\r\n"
    part2 = b"in BDAT\r\n"
    r = Raw(PORT)
    r.reply()
    # The whole transaction in one write: replies must come back in order.
    r.send(b"EHLO raw.test\r\nMAIL FROM:<alice@a.test> BODY=8BITMIME\r\n"
           b"RCPT TO:<bob@b.test>\r\nRCPT TO:<reject-x@b.test>\r\n"
           b"BDAT %d\r\n" % len(part1) + part1 +
           b"BDAT %d LAST\r\n" % len(part2) + part2 +
           b"MAIL FROM:<alice@a.test>\r\nRCPT TO:<bob@b.test>\r\n"
           b"BDAT 0 LAST\r\nNOOP\r\n")
    codes = [r.reply() for _ in range(10)]
    want = [250, 250, 250, 550, 250, 250, 250, 250, 250, 250]
    check([c for c, _ in codes] == want,
          "pipelined BDAT replies in order: %s" % [c for c, _ in codes])
    check(codes[5][1][0].startswith("250 2.0.0 Ok: queued as "),
          "BDAT LAST: queued as <id>")
    check(codes[4][1][0] == "250 2.0.0 %d octets received" % len(part1),
          "BDAT chunk: octets received")
    files = read_new(maildir, before)
    check(len(files) == 2, "BDAT: two messages stored")
    if len(files) == 2:
        bodies = [strip_prepended(f) for f in files]
        check(part1 + part2 in bodies, "BDAT: chunks stored as they came")
        check(b"" in bodies, "BDAT 0 LAST: an empty message")
    # Pipelined DATA with a bare-LF body.
    r.send(b"MAIL FROM:<>\r\nRCPT TO:<bob@b.test>\r\nDATA\r\n")
    codes = [r.reply()[0] for _ in range(3)]
    check(codes == [250, 250, 354], "pipelined MAIL/RCPT/DATA")
    r.send(b"bare\nlf\n.\nQUIT\r\n")
    c1, l1 = r.reply()
    c2, _ = r.reply()
    check(c1 == 250 and c2 == 221, "bare-LF dot ends DATA, then QUIT 221")
    check(r.closed(), "closed after QUIT")
    r.close()


def test_limits():
    r = Raw(PORT)
    r.reply()
    # A 10 MB line must be answered, not buffered.
    chunk = b"A" * (1 << 20)
    r.send(b"NOOP ")
    for _ in range(10):
        r.send(chunk)
    r.send(b"\r\nNOOP\r\n")
    check(r.reply() == (500, ["500 5.5.0 Error: line too long"]),
          "10 MB line: 500 5.5.0")
    check(r.reply()[0] == 250, "after the long line: NOOP 250")
    # Size: MAIL SIZE= over the limit, then DATA over it.
    r.send(b"EHLO raw.test\r\n")
    r.reply()
    r.send(b"MAIL FROM:<a@a.test> SIZE=100001\r\n")
    check(r.reply() == (552, ["552 5.3.4 Message size exceeds fixed limit"]),
          "MAIL SIZE over the limit: 552 5.3.4")
    r.send(b"MAIL FROM:<a@a.test>\r\nRCPT TO:<b@b.test>\r\nDATA\r\n")
    check([r.reply()[0] for _ in range(3)] == [250, 250, 354], "DATA 354")
    r.send((b"x" * 998 + b"\r\n") * 120 + b".\r\n")
    check(r.reply() == (552, ["552 5.3.4 Message size exceeds fixed limit"]),
          "DATA over the limit: 552 5.3.4")
    r.send(b"RSET\r\n")
    check(r.reply()[0] == 250, "RSET 250 after 552")
    r.close()


def test_faults(maildir):
    before = set(os.listdir(os.path.join(maildir, "new")))
    msg = message("faults", ["x"])
    with smtplib.SMTP(HOST, PORT, timeout=10) as s:
        refused = s.sendmail("alice@a.test",
                             ["ok@b.test", "reject-1@b.test",
                              "defer-1@b.test"], msg)
        check(refused.get("reject-1@b.test") ==
              (550, b"5.1.1 no such user"), "rcpt reject: 550 5.1.1")
        check(refused.get("defer-1@b.test") == (451, b"4.7.1 try later"),
              "rcpt defer: 451 4.7.1")
    files = read_new(maildir, before)
    check(len(files) == 1 and b"X-Mailcast-Rcpt: <ok@b.test>\r\nReceived"
          in files[0], "only the accepted recipient is recorded")

    t0 = time.monotonic()
    with smtplib.SMTP(HOST, PORT, timeout=10) as s:
        check(s.sendmail("a@a.test", ["slow-1@b.test"], msg) == {},
              "delay: the recipient is still accepted")
    check(time.monotonic() - t0 >= 0.3, "delay: the reply came >= 300 ms late")

    s = smtplib.SMTP(HOST, PORT, timeout=10)
    try:
        s.sendmail("bye-1@a.test", ["b@b.test"], msg)
        check(False, "mail 421: refused")
    except smtplib.SMTPSenderRefused as e:
        check(e.smtp_code == 421 and e.smtp_error == b"4.3.2 shutting down",
              "mail 421: 421 4.3.2 shutting down")
    s.close()
    r = Raw(PORT)
    r.reply()
    r.send(b"HELO x\r\nMAIL FROM:<bye-2@a.test>\r\nNOOP\r\n")
    r.reply()
    check(r.reply()[0] == 421 and r.closed(), "421: the sink closes")
    r.close()

    with smtplib.SMTP(HOST, PORT, local_hostname="grumpy.test",
                      timeout=10) as s:
        code, text = s.ehlo()
        check((code, text) == (550, b"5.7.0 no EHLO for you"),
              "ehlo fault: 550 5.7.0")
        check(s.helo()[0] == 250, "HELO still works after the EHLO fault")
        b4 = set(os.listdir(os.path.join(maildir, "new")))
        s.sendmail("a@a.test", ["b@b.test"], msg)
        f = read_new(maildir, b4)
        check(len(f) == 1 and b"with SMTP id" in f[0],
              "after HELO: Received says SMTP")

    for rcpt, code, text, what in (
            ("nodata-1@b.test", 554, b"5.7.1 no data", "data fault"),
            ("reject-dot-1@b.test", 554, b"5.6.0 content rejected",
             "dot fault")):
        with smtplib.SMTP(HOST, PORT, timeout=10) as s:
            try:
                s.sendmail("a@a.test", [rcpt], msg)
                check(False, what)
            except smtplib.SMTPDataError as e:
                check((e.smtp_code, e.smtp_error) == (code, text),
                      "%s: %d %s" % (what, code, text.decode()))

    b4 = set(os.listdir(os.path.join(maildir, "new")))
    for rcpt, what in (("cut-1@b.test", "data drop-after 100"),
                       ("drop-1@b.test", "rcpt drop")):
        s = smtplib.SMTP(HOST, PORT, timeout=10)
        try:
            s.sendmail("a@a.test", [rcpt], message("cut", ["y" * 70] * 30))
            check(False, what + ": the connection drops")
        except (smtplib.SMTPServerDisconnected, ConnectionResetError,
                BrokenPipeError):
            check(True, what + ": the connection drops")
        s.close()
    check(new_files(maildir, b4) == [], "dropped messages are not stored")


def test_every_nth_and_count(mc, tmp):
    out = open(os.path.join(tmp, "nth.out"), "w+")
    p = subprocess.Popen([mc, "sink", "--discard", "--listen",
                          "%s:%d" % (HOST, PORT_NTH), "--count", "3",
                          "--fault", "dot:%2=451 4.3.0 every second"],
                         stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_port(PORT_NTH, p)
        codes = []
        with smtplib.SMTP(HOST, PORT_NTH, timeout=10) as s:
            for i in range(5):
                try:
                    s.sendmail("a@a.test", ["b@b.test"], b"x\r\n")
                    codes.append(250)
                except smtplib.SMTPDataError as e:
                    codes.append(e.smtp_code)
                    s.rset()
        check(codes == [250, 451, 250, 451, 250],
              "dot %%2: every second message deferred: %s" % codes)
        check(p.wait(timeout=10) == 0, "--count 3: the sink exits 0")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    out.seek(0)
    text = out.read()
    check("sink: 3 messages, 3 recipients, 9 bytes in " in text,
          "--count: the closing tally line")


def test_connect_fault(mc):
    p = subprocess.Popen([mc, "sink", "--discard", "--quiet", "--listen",
                          "%s:%d" % (HOST, PORT_CONN), "--fault",
                          "connect:127.*=421 4.7.0 too busy"],
                         stdout=subprocess.DEVNULL)
    try:
        wait_port(PORT_CONN, p)
        try:
            smtplib.SMTP(HOST, PORT_CONN, timeout=10)
            check(False, "connect fault: 421 greeting")
        except smtplib.SMTPConnectError as e:
            check((e.smtp_code, e.smtp_error) == (421, b"4.7.0 too busy"),
                  "connect fault: 421 4.7.0 too busy")
    finally:
        p.terminate()
        check(p.wait(timeout=10) == 0, "SIGTERM: the sink exits 0")


def test_latency(mc):
    """--latency 300: the greeting after 2 round trips; five NOOPs sent
    50 ms apart get their replies each 300 ms after it was sent, not one
    after another (1.5 s); a pipelined transaction is delivered."""
    p = subprocess.Popen([mc, "sink", "--discard", "--listen",
                          "%s:%d" % (HOST, PORT_LAT), "--latency", "300"],
                         stdout=subprocess.PIPE, text=True)
    try:
        wait_port(PORT_LAT, p)
        t0 = time.monotonic()
        s = socket.create_connection((HOST, PORT_LAT), timeout=10)
        f = s.makefile("rb")
        greet = f.readline()
        tg = time.monotonic() - t0
        check(greet.startswith(b"220") and 0.55 <= tg < 1.2,
              "--latency 300: the greeting after %.2f s (2 round trips)"
              % tg)
        s.sendall(b"EHLO c.test\r\n")
        while not f.readline().startswith(b"250 "):
            pass
        sent = []
        for _ in range(5):
            sent.append(time.monotonic())
            s.sendall(b"NOOP\r\n")
            time.sleep(0.05)
        got = []
        for _ in range(5):
            f.readline()
            got.append(time.monotonic())
        waits = [g - t for g, t in zip(got, sent)]
        check(all(0.28 <= w < 0.6 for w in waits),
              "--latency 300: each reply 300 ms after its command (%s)" %
              ", ".join("%.2f" % w for w in waits))
        check(got[-1] - sent[0] < 1.0,
              "--latency 300: pipelined commands overlap (%.2f s for "
              "five)" % (got[-1] - sent[0]))
        s.sendall(b"MAIL FROM:<a@a.test>\r\nRCPT TO:<b@b.test>\r\n"
                  b"DATA\r\n")
        codes = [f.readline()[:3] for _ in range(3)]
        s.sendall(b"Subject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n")
        codes += [f.readline()[:3] for _ in range(2)]
        check(codes == [b"250", b"250", b"354", b"250", b"221"],
              "--latency: a transaction goes through (%s)" % codes)
        check(f.readline() == b"", "--latency: closed after the 221")
        s.close()
    finally:
        p.terminate()
        out = p.communicate(timeout=10)[0]
    check("sink: 1 messages" in out, "--latency: the message was counted")


def test_bad_usage(mc, tmp, cert, key):
    def run(args):
        return subprocess.run([mc, "sink"] + args, capture_output=True,
                              text=True, timeout=10)
    r = run(["--discard", "--fault", "rcpt:*=250 fine"])
    check(r.returncode == 64 and "not 4xx or 5xx" in r.stderr,
          "bad --fault: EX_USAGE and the reason")
    r = run([])
    check(r.returncode == 64 and "--maildir DIR or --discard" in r.stderr,
          "no --maildir/--discard: EX_USAGE")
    r = run(["--discard", "--tls-cert", key, "--tls-key", key,
             "--listen", "%s:%d" % (HOST, PORT_CONN)])
    check(r.returncode == 78 and "cannot load certificate" in r.stderr,
          "bad certificate: EX_CONFIG and the reason")
    r = run(["--discard", "--listen", "%s:%d" % (HOST, PORT)])
    check(r.returncode != 0 and "cannot listen on" in r.stderr,
          "port in use: a clear error")


def main():
    mc = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="mailcast-sink-test.")
    procs = []
    try:
        cert, key = make_cert(tmp)
        maildir = os.path.join(tmp, "Maildir")
        out = open(os.path.join(tmp, "sink.out"), "w+")
        p = subprocess.Popen(
            [mc, "sink", "--listen", "%s:%d" % (HOST, PORT),
             "--maildir", maildir, "--tls-cert", cert, "--tls-key", key,
             "--hostname", "sink.test", "--max-size", "100000",
             "--fault", "rcpt:reject-dot-*=delay 1",
             "--fault", "rcpt:reject-*=550 5.1.1 no such user",
             "--fault", "rcpt:defer-*=451 4.7.1 try later",
             "--fault", "rcpt:slow-*=delay 300",
             "--fault", "rcpt:drop-*=drop",
             "--fault", "mail:bye-*=421 4.3.2 shutting down",
             "--fault", "ehlo:grumpy.*=550 5.7.0 no EHLO for you",
             "--fault", "data:nodata-*=554 5.7.1 no data",
             "--fault", "data:cut-*=drop-after 100",
             "--fault", "dot:reject-dot-*=554 5.6.0 content rejected"],
            stdout=out, stderr=subprocess.STDOUT)
        procs.append(p)
        wait_port(PORT, p)
        test_plain(maildir)
        test_starttls(maildir, cert)
        test_bdat_and_pipelining(maildir)
        test_limits()
        test_faults(maildir)
        test_bad_usage(mc, tmp, cert, key)
        test_every_nth_and_count(mc, tmp)
        test_connect_fault(mc)
        test_latency(mc)
        nfiles = len(os.listdir(os.path.join(maildir, "new")))
        check(os.listdir(os.path.join(maildir, "tmp")) == [],
              "nothing left in tmp/")
        p.send_signal(signal.SIGINT)
        check(p.wait(timeout=10) == 0, "SIGINT: the sink exits 0")
        out.seek(0)
        text = out.read()
        check(("sink: %d messages, " % nfiles) in text,
              "tally counts the %d stored messages" % nfiles)
        if failures:
            print(text)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
