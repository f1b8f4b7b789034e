#!/usr/bin/python3
"""`mailcast serve` beside a campaign in the same SQLite store (issue 13:
"a campaign running in the same store at the same time (SQLite busy
handled, no lost update)").

300 contacts get campaign "tokens" through mailcast's sink (Maildir,
127.0.0.1:26740); their one-click URLs are taken from the messages.  Then
campaign "big" (6,000 recipients, another list) runs into a discarding
sink (127.0.0.1:26741) while 8 client threads POST all 300 one-click
unsubscribes, twice each, to serve (127.0.0.1:26742).  Every POST must
answer 200 (none 503), all 300 contacts end unsubscribed and suppressed
with exactly one event each, and campaign "big" ends done with every one
of its 6,000 rows sent: neither side lost an update to the other.

Usage: serve_busy.py PATH/TO/mailcast
"""
import email
import glob
import http.client
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "helpers"))
from checks import check, failures, wait_port  # noqa: E402

HOST = "127.0.0.1"
SINK_MD, SINK_BIG, PORT = 26740, 26741, 26742
NTOK, NBIG = 300, 6000


def main():
    mc = os.path.realpath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="mailcast-busy.")
    db = os.path.join(tmp, "t.db")
    procs = []

    def mcrun(*args):
        r = subprocess.run([mc, "--store", "sqlite:" + db] + list(args),
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise SystemExit("mailcast %s: %s" % (args, r.stderr))
        return r.stdout

    def bg(*args):
        p = subprocess.Popen([mc] + list(args), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        procs.append(p)
        return p

    try:
        for name, n, pre in (("u", NTOK, "u"), ("big", NBIG, "b")):
            with open(os.path.join(tmp, name + ".csv"), "w") as f:
                f.write("email\n")
                for i in range(n):
                    f.write("%s%d@d%d.example\n" % (pre, i, i % 7))
            mcrun("list", "import", os.path.join(tmp, name + ".csv"),
                  "--list", name)
        tmpl = os.path.join(tmp, "t.tmpl")
        with open(tmpl, "w") as f:
            f.write("From: News <news@news.example>\nSubject: Hi\n\n"
                    "Bye: {{unsubscribe_url}}\n")
        md = os.path.join(tmp, "md")
        wait_port(SINK_MD, bg("sink", "--listen", "%s:%d" % (HOST, SINK_MD),
                              "--maildir", md, "--quiet"))
        wait_port(SINK_BIG, bg("sink", "--listen",
                               "%s:%d" % (HOST, SINK_BIG), "--discard",
                               "--quiet"))
        common = ["--template", tmpl, "--from", "news@news.example",
                  "--tls", "none", "--quiet"]
        mcrun("broadcast", "--name", "tokens", "--list", "u", "--relay",
              "%s:%d" % (HOST, SINK_MD), *common)
        paths = []
        for p in glob.glob(os.path.join(md, "new", "*")):
            with open(p, "rb") as fp:
                lu = email.message_from_binary_file(fp)["List-Unsubscribe"]
            url = " ".join(lu.split()).split("<")[1].split(">")[0]
            paths.append("/" + url.split("://", 1)[1].split("/", 1)[1])
        check(len(paths) == NTOK, "%d one-click URLs" % len(paths))

        srv = bg("--store", "sqlite:" + db, "serve", "--listen",
                 "%s:%d" % (HOST, PORT))
        wait_port(PORT, srv)
        mcrun("campaign", "create", "--name", "big", "--list", "big",
              "--relay", "%s:%d" % (HOST, SINK_BIG), "--rate", "1500",
              *common[:-1])
        camp = bg("--store", "sqlite:" + db, "campaign", "start", "big",
                  "--quiet")
        time.sleep(0.5)
        check(camp.poll() is None, "campaign big is running")

        codes = {}
        lock = threading.Lock()

        def client(part):
            c = http.client.HTTPConnection(HOST, PORT, timeout=30)
            for path in part * 2:
                c.request("POST", path, "List-Unsubscribe=One-Click",
                          {"Content-Type":
                           "application/x-www-form-urlencoded"})
                r = c.getresponse()
                r.read()
                with lock:
                    codes[r.status] = codes.get(r.status, 0) + 1
            c.close()

        th = [threading.Thread(target=client, args=(paths[k::8],))
              for k in range(8)]
        for t in th:
            t.start()
        for t in th:
            t.join(120)
        running = camp.poll() is None
        check(codes == {200: 2 * NTOK},
              "every POST answered 200 while the campaign ran: %s" % codes)
        check(running, "... the campaign was still running at the end")
        camp.wait(timeout=120)
        srv.send_signal(signal.SIGTERM)
        check(srv.wait(timeout=20) == 0, "serve exits 0")

        con = sqlite3.connect(db)
        q = lambda sql: con.execute(sql).fetchone()[0]
        check(q("SELECT count(*) FROM contacts WHERE address LIKE 'u%' AND "
                "status = 'unsubscribed'") == NTOK,
              "all %d contacts unsubscribed" % NTOK)
        check(q("SELECT count(*) FROM suppressions WHERE reason = "
                "'unsubscribed'") == NTOK, "... and suppressed")
        check(q("SELECT count(*) FROM events WHERE kind = 'unsubscribe'")
              == NTOK, "... one event each")
        cid = q("SELECT id FROM campaigns WHERE name = 'big'")
        check(q("SELECT count(*) FROM deliveries WHERE campaign_id = %d AND "
                "state = 'sent'" % cid) == NBIG and
              q("SELECT status FROM campaigns WHERE id = %d" % cid) ==
              "done", "campaign big: done, all %d rows sent" % NBIG)
        con.close()
        err = srv.stderr.read().decode(errors="replace")
        check("ERROR: " not in err and "runtime error" not in err,
              "no sanitizer report: %s" % err[-400:])
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
