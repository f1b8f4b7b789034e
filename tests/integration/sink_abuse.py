#!/usr/bin/python3
"""`mailcast sink` under abuse (issue 11, defect 8).

1. Out of file descriptors: the sink runs under prlimit --nofile=32 on
   127.0.0.1:20105 and 60 clients connect and stay.  Accepting fails with
   EMFILE; the sink must pause accepting instead of spinning: its CPU time
   (utime+stime from /proc/PID/stat) over 2 s stays under 0.3 s, and it logs
   the accept error a few times, not hundreds of thousands.  It must keep
   serving the clients it has, and once the clients close it must accept
   and serve a new one (EHLO, a message, QUIT).
2. A bare CR in the EHLO name (sink with --maildir on 127.0.0.1:20106):
   the reply is 501, no message is taken in that session, nothing is in
   the Maildir; a good session afterwards stores its message, and no
   Received: line of it holds a control character.

Usage: sink_abuse.py PATH/TO/mailcast
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "helpers"))
from checks import check, failures, wait_port  # noqa: E402

HOST = "127.0.0.1"
PORT_FD = 20105
PORT_CR = 20106
CLIENTS = 60
NOFILE = 32


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    with open("/proc/%d/stat" % pid) as fp:
        stat = fp.read()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def read_reply(f):
    """One SMTP reply (all its lines) from a file object; the last line."""
    while True:
        line = f.readline()
        if not line:
            return b""
        if len(line) < 4 or line[3:4] != b"-":
            return line


def session(port, cmds, timeout=5):
    """Greeting, then each command and its reply; the replies' lines."""
    s = socket.create_connection((HOST, port), timeout=timeout)
    f = s.makefile("rb")
    out = [read_reply(f)]
    try:
        for c in cmds:
            s.sendall(c)
            out.append(read_reply(f))
    except socket.timeout:
        pass  # the caller sees the replies missing
    s.close()
    return out + [b""] * (len(cmds) + 1 - len(out))


def count_accept_lines(path):
    with open(path, "rb") as fp:
        return sum(1 for line in fp if b"accept:" in line)


def test_out_of_fds(mc, tmp):
    log = os.path.join(tmp, "fd.log")
    with open(log, "wb") as err:
        p = subprocess.Popen(
            ["prlimit", "--nofile=%d:%d" % (NOFILE, NOFILE), mc, "sink",
             "--discard", "--quiet", "--listen", "%s:%d" % (HOST, PORT_FD)],
            stdout=subprocess.DEVNULL, stderr=err)
    clients = []
    try:
        wait_port(PORT_FD, p)
        for _ in range(CLIENTS):
            clients.append(socket.create_connection((HOST, PORT_FD),
                                                    timeout=5))
        # Let the sink take what it can and hit EMFILE.
        time.sleep(0.5)
        check(p.poll() is None, "the sink is still running with %d clients "
              "and %d descriptors" % (CLIENTS, NOFILE))
        lines0 = count_accept_lines(log)
        cpu0 = cpu_seconds(p.pid)
        time.sleep(2.0)
        cpu = cpu_seconds(p.pid) - cpu0
        lines = count_accept_lines(log) - lines0
        print("     cpu over 2 s out of descriptors: %.2f s; accept error "
              "lines: %d (+%d before)" % (cpu, lines, lines0))
        check(cpu < 0.3, "out of descriptors the sink does not spin "
              "(%.2f s CPU in 2 s)" % cpu)
        check(lines0 + lines >= 1, "the accept error is logged")
        check(lines <= 4, "the accept error is logged at most once a second "
              "(%d lines in 2 s)" % lines)
        # The first client was accepted: it is still served.
        f = clients[0].makefile("rb")
        greet = read_reply(f)
        clients[0].sendall(b"EHLO first.test\r\n")
        ehlo = read_reply(f)
        check(greet.startswith(b"220") and ehlo.startswith(b"250"),
              "a client accepted before EMFILE is still served")
        for c in clients:
            c.close()
        clients = []
        # Served again once descriptors are free (bounded wait).
        got = []
        for _ in range(40):
            try:
                got = session(PORT_FD, [
                    b"EHLO again.test\r\n", b"MAIL FROM:<a@b.test>\r\n",
                    b"RCPT TO:<c@d.test>\r\n", b"DATA\r\n",
                    b"Subject: x\r\n\r\nx\r\n.\r\n", b"QUIT\r\n"], timeout=2)
                if got[0].startswith(b"220"):
                    break
            except OSError:
                pass
            time.sleep(0.1)
        check(len(got) == 7 and got[0].startswith(b"220") and
              got[5].startswith(b"250") and got[6].startswith(b"221"),
              "after the clients close, a new client is served: %r" %
              (got[:1] + got[5:],))
        check(p.poll() is None, "the sink is still running")
    finally:
        for c in clients:
            c.close()
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    with open(log, "rb") as fp:
        head = fp.read(2000)
    print("     log: %r" % head[:300])


def test_bare_cr(mc, tmp):
    maildir = os.path.join(tmp, "md")
    log = os.path.join(tmp, "cr.log")
    with open(log, "wb") as err:
        p = subprocess.Popen(
            [mc, "sink", "--maildir", maildir, "--hostname", "sink.test",
             "--listen", "%s:%d" % (HOST, PORT_CR)],
            stdout=err, stderr=subprocess.STDOUT)
    try:
        wait_port(PORT_CR, p)
        got = session(PORT_CR, [
            b"EHLO a.test\rX-Injected: yes\r\n",
            b"MAIL FROM:<a@b.test>\r\n", b"RCPT TO:<c@d.test>\r\n",
            b"DATA\r\n", b"x\r\n.\r\n", b"QUIT\r\n"])
        check(got[1].startswith(b"501"),
              "EHLO with a bare CR: %r" % got[1])
        check(got[2].startswith(b"503"),
              "no MAIL after the refused EHLO: %r" % got[2])
        time.sleep(0.2)
        check(os.listdir(os.path.join(maildir, "new")) == [],
              "nothing stored after the refused EHLO")
        got = session(PORT_CR, [
            b"HELO b.test\x01\r\n", b"EHLO good.test\r\n",
            b"MAIL FROM:<a@b.test>\r\n", b"RCPT TO:<c@d.test>\r\n",
            b"DATA\r\n", b"Subject: x\r\n\r\nbody\r\n.\r\n", b"QUIT\r\n"])
        check(got[1].startswith(b"501"), "HELO with ^A: %r" % got[1])
        check(got[6].startswith(b"250"), "a good session still stores")
        time.sleep(0.2)
        files = os.listdir(os.path.join(maildir, "new"))
        check(len(files) == 1, "one message in the Maildir (%d)" % len(files))
        for name in files:
            with open(os.path.join(maildir, "new", name), "rb") as fp:
                data = fp.read()
            head = data.split(b"\r\n\r\n", 1)[0]
            recv = [l for l in head.split(b"\r\n")
                    if l.startswith(b"Received:")]
            check(recv and recv[0].startswith(
                b"Received: from good.test ("), "Received: names the "
                "good EHLO: %r" % recv[:1])
            bad = [l for l in head.split(b"\r\n")
                   if any(c < 0x20 and c != 9 for c in l) or b"X-Injected"
                   in l]
            check(not bad, "no control character and no injected line in "
                  "the stored header: %r" % bad)
    finally:
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    with open(log, "rb") as fp:
        text = fp.read()
    check(b"not a loopback address" not in text,
          "no non-loopback warning on 127.0.0.1")


def main():
    mc = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="mc-sink-abuse-")
    try:
        test_out_of_fds(mc, tmp)
        test_bare_cr(mc, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
