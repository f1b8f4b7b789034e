#!/usr/bin/python3
"""Webhooks out (issue 13 item 7, Must show 1 third part).

A real campaign into `mailcast sink` (127.0.0.1:27600; one recipient
refused 550), `mailcast serve` on 127.0.0.1:27601 with [webhook] sections
in mailcast.conf, and Python receivers on 127.0.0.1:27602-27606.

1. The receiver "main" (all events) answers 500 to the first two attempts
   of every event, then 200: it accepts each event (delivered, failed,
   bounced, complained, unsubscribed, clicked) exactly once, each with a
   valid Mailcast-Signature (HMAC-SHA256 checked here with hmac), a recent
   timestamp, Mailcast-Event-Id equal to the body's "id", and the JSON
   fields; the three attempts of an event are spaced by the back-off.
   The events come from a one-click unsubscribe POST, a click on /c/, a
   DSN and an ARF report through `bounces ingest`, and the campaign.
2. `webhook list` shows the states; the endpoint "tampered" (clicked
   only) signs with another secret: its receiver rejects the signature
   (401), the event ends failed past max_age, `webhook retry --failed`
   sends it again to that endpoint only (main does not get it twice).
3. Bad endpoints (delivered only): a refused port, a receiver slower than
   the timeout, a 302 (not followed: its target never gets a request), a
   200 with a 4 MB body (accepted, cut); none blocks serve (/healthz
   answers fast meanwhile) or the campaign.
4. Nothing is armed (no outbox row) in a store whose serve has no
   [webhook] section.

Usage: serve_webhook.py PATH/TO/mailcast
"""
import email
import glob
import hashlib
import hmac
import http.client
import http.server
import json
import os
import re
import shutil
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
SINK_PORT, PORT, MAIN, SLOW, REDIR, HUGE, REFUSED = (27600, 27601, 27602,
                                                     27603, 27604, 27605,
                                                     27606)
SECRET = "whsec-test-0123456789"
WRONG = "not-the-secret"

lock = threading.Lock()
log = []  # (port, path, time, headers, body, status answered)
tries = {}  # event id -> attempts seen by main


def verify(secret, headers, body, now=None):
    """The receiver's check of Mailcast-Signature: t=T,v1=HEX."""
    sig = headers.get("Mailcast-Signature", "")
    m = re.fullmatch(r"t=([0-9]+),v1=([0-9a-f]{64})", sig)
    if not m:
        return False
    t = int(m.group(1))
    if abs((now or time.time()) - t) > 300:
        return False
    want = hmac.new(secret.encode(), m.group(1).encode() + b"." + body,
                    hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, m.group(2))


class Hook(http.server.BaseHTTPRequestHandler):
    """The receivers: what each port answers is its role."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        """Logged (a followed 302 would come here), then 404."""
        with lock:
            log.append((self.server.server_address[1], self.path,
                        time.time(), {}, b"", 404))
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        port = self.server.server_address[1]
        hdrs = {k: v for k, v in self.headers.items()}
        status, out = 200, b"ok\n"
        if port == MAIN and self.path == "/hook":
            if not verify(SECRET, hdrs, body):
                status = 401
            else:
                eid = json.loads(body)["id"]
                with lock:
                    tries[eid] = tries.get(eid, 0) + 1
                    status = 500 if tries[eid] <= 2 else 200
        elif port == MAIN and self.path == "/tampered":
            status = 200 if verify(SECRET, hdrs, body) else 401
        elif port == SLOW:
            time.sleep(4)
        elif port == REDIR:
            status = 302
        with lock:
            log.append((port, self.path, time.time(), hdrs, body, status))
        if port == REDIR:
            self.send_response(302)
            self.send_header("Location", "http://%s:%d/redirected" %
                             (HOST, MAIN))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if port == HUGE:
            out = b"x" * (4 << 20)
        try:
            self.send_response(status)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
        except OSError:
            pass  # the sender cut a huge body or timed out


def receivers():
    """Start every receiver; returns the servers."""
    out = []
    for port in (MAIN, SLOW, REDIR, HUGE):
        s = http.server.ThreadingHTTPServer((HOST, port), Hook)
        s.daemon_threads = True
        threading.Thread(target=s.serve_forever, daemon=True).start()
        out.append(s)
    return out


def accepted(port=MAIN, path="/hook"):
    """The bodies of the requests answered 2xx on port/path, parsed."""
    with lock:
        return [json.loads(b) for p, pa, _, _, b, st in log
                if p == port and pa == path and 200 <= st < 300]


def main():
    mc = os.path.realpath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="mailcast-webhook.")
    keep = os.environ.get("KEEP_TMP")
    procs = []
    servers = []
    db = os.path.join(tmp, "w.db")
    store = ["--store", "sqlite:" + db]
    conf = os.path.join(tmp, "mailcast.conf")
    env = dict(os.environ, MC_WH_SECRET=SECRET)

    def mcrun(*args, check_rc=True, stdin=None):
        r = subprocess.run([mc, "--config", conf] + store + list(args),
                           capture_output=True, text=True, timeout=120,
                           env=env, input=stdin)
        if check_rc and r.returncode != 0:
            raise SystemExit("mailcast %s: %s %s" % (args, r.returncode,
                                                     r.stderr))
        return r

    def sql(q):
        con = sqlite3.connect(db)
        try:
            return con.execute(q).fetchall()
        finally:
            con.close()

    def wait_for(cond, secs):
        end = time.time() + secs
        while time.time() < end:
            if cond():
                return True
            time.sleep(0.2)
        return cond()

    try:
        servers = receivers()
        wrong = os.path.join(tmp, "wrong.secret")
        with open(wrong, "w") as f:
            f.write(WRONG + "\n")
        os.chmod(wrong, 0o600)
        base = ("[mailcast]\npublic_url = https://lists.news.example\n"
                "bounce_domain = news.example\n")
        with open(conf, "w") as f:
            f.write(base)
        with open(os.path.join(tmp, "l.csv"), "w") as f:
            f.write("email,first_name\n")
            for a in ("ann", "bob", "cat", "dan", "reject-eve"):
                f.write("%s@d.example,%s\n" % (a, a))
        tmpl = os.path.join(tmp, "t.tmpl")
        with open(tmpl, "w") as f:
            f.write("From: News <news@news.example>\nSubject: Hi\n\n"
                    "Hello {{first_name}}, see https://shop.example/a\n")
        md = os.path.join(tmp, "md")
        sink = subprocess.Popen([mc, "sink", "--listen",
                                 "%s:%d" % (HOST, SINK_PORT), "--maildir",
                                 md, "--quiet", "--fault",
                                 "rcpt:reject-*=550 5.1.1 no such user"],
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        procs.append(sink)
        wait_port(SINK_PORT, sink)
        mcrun("list", "import", os.path.join(tmp, "l.csv"), "--list", "l")
        send = ["--list", "l", "--template", tmpl, "--from",
                "news@news.example", "--relay", "%s:%d" % (HOST, SINK_PORT),
                "--tls", "none", "--quiet"]

        # --- 4. no [webhook]: serve disarms, a campaign leaves no row ---
        srv = subprocess.Popen([mc, "--config", conf] + store +
                               ["serve", "--listen", "%s:%d" % (HOST, PORT)],
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=env)
        procs.append(srv)
        wait_port(PORT, srv)
        with open(os.path.join(tmp, "z.csv"), "w") as f:
            f.write("email,first_name\nzed@d.example,zed\n")
        mcrun("list", "import", os.path.join(tmp, "z.csv"), "--list", "z")
        mcrun("broadcast", "--name", "zero", *send[2:], "--list", "z")
        check(sql("SELECT count(*) FROM webhook_outbox")[0][0] == 0 and
              sql("SELECT count(*) FROM sqlite_master WHERE type = "
                  "'trigger' AND name LIKE 'webhook_%' AND name NOT LIKE "
                  "'webhook_outbox%'")[0][0] == 0,
              "no [webhook]: no trigger, no outbox row after a campaign")
        srv.terminate()
        srv.wait(timeout=30)
        procs.remove(srv)

        with open(conf, "w") as f:
            f.write(base)
            f.write("[webhook main]\nurl = http://%s:%d/hook\n"
                    "secret_env = MC_WH_SECRET\nretry = 1\ntimeout = 2\n"
                    "max_age = 600\n" % (HOST, MAIN))
            f.write("[webhook tampered]\nurl = http://%s:%d/tampered\n"
                    "events = clicked\nsecret_file = %s\nretry = 1\n"
                    "timeout = 2\nmax_age = 3\n" % (HOST, MAIN, wrong))
            for name, port in (("refused", REFUSED), ("slow", SLOW),
                               ("redirect", REDIR), ("huge", HUGE)):
                f.write("[webhook %s]\nurl = http://%s:%d/x\n"
                        "events = delivered\nsecret_env = MC_WH_SECRET\n"
                        "retry = 1\ntimeout = 2\nmax_age = 4\n"
                        % (name, HOST, port))
        errf = open(os.path.join(tmp, "serve.err"), "w+")
        srv = subprocess.Popen([mc, "--config", conf] + store +
                               ["serve", "--listen", "%s:%d" % (HOST, PORT)],
                               stdout=subprocess.DEVNULL, stderr=errf,
                               env=env)
        procs.append(srv)
        wait_port(PORT, srv)
        t0 = time.time()
        r = mcrun("broadcast", "--name", "one", *send, "--track-clicks",
                  check_rc=False)
        took = time.time() - t0
        check(r.returncode in (0, 75) and took < 30,
              "the campaign ends while receivers fail (%.1fs, exit %d)"
              % (took, r.returncode))
        msgs = {}
        for path in sorted(glob.glob(os.path.join(md, "new", "*"))):
            with open(path, "rb") as fp:
                m = email.message_from_binary_file(fp)
            if m["To"].strip("<> ") != "zed@d.example":
                msgs[m["To"].strip("<> ").split("@")[0]] = m
        check(sorted(msgs) == ["ann", "bob", "cat", "dan"],
              "4 delivered, reject-eve refused (%s)" % sorted(msgs))

        # serve answers at once while the sender waits on the slow one
        worst = 0
        for _ in range(10):
            a = time.time()
            c = http.client.HTTPConnection(HOST, PORT, timeout=5)
            c.request("GET", "/healthz")
            st = c.getresponse().status
            c.close()
            worst = max(worst, time.time() - a)
            time.sleep(0.3)
        check(st == 200 and worst < 0.5,
              "/healthz 200 in %.3fs at worst while receivers stall" % worst)

        # one-click unsubscribe of bob (RFC 8058, as a provider sends it)
        lu = " ".join(msgs["bob"]["List-Unsubscribe"].split())
        path = re.search(r"https://lists\.news\.example(/unsubscribe/[^>]+)",
                         lu).group(1)
        c = http.client.HTTPConnection(HOST, PORT, timeout=10)
        c.request("POST", path, "List-Unsubscribe=One-Click",
                  {"Content-Type": "application/x-www-form-urlencoded"})
        check(c.getresponse().status == 200, "one-click POST -> 200")
        c.close()
        # a click of ann
        body = msgs["ann"].get_payload(decode=True).decode()
        cpath = re.search(r"https://lists\.news\.example(/c/[^\s]+)",
                          body).group(1)
        c = http.client.HTTPConnection(HOST, PORT, timeout=10)
        c.request("GET", cpath)
        check(c.getresponse().status == 302, "click -> 302")
        c.close()
        # a hard bounce of cat and a complaint about dan, to their VERP
        verp = {k: m["Return-Path"].strip("<> ") for k, m in msgs.items()}
        check(all(v.startswith("bounces+") for v in verp.values()),
              "Return-Path is a VERP address (%s)" % verp.get("cat"))
        dsn = ("From: MAILER-DAEMON@mx.d.example\r\nTo: %s\r\n"
               "Subject: Undelivered Mail\r\nMessage-ID: <b1@mx.d.example>"
               "\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; "
               "report-type=delivery-status; boundary=\"B\"\r\n\r\n--B\r\n"
               "Content-Type: text/plain\r\n\r\nNot delivered.\r\n--B\r\n"
               "Content-Type: message/delivery-status\r\n\r\n"
               "Reporting-MTA: dns; mx.d.example\r\n\r\n"
               "Final-Recipient: rfc822; cat@d.example\r\nAction: failed\r\n"
               "Status: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 User "
               "unknown\r\n\r\n--B--\r\n" % verp["cat"])
        r = mcrun("bounces", "ingest", stdin=dsn, check_rc=False)
        check(r.returncode == 0, "bounces ingest of the DSN (%d %s)"
              % (r.returncode, r.stderr.strip()))
        arf = ("From: feedback@fbl.d.example\r\nTo: abuse@news.example\r\n"
               "Subject: complaint\r\nMessage-ID: <c1@fbl.d.example>\r\n"
               "MIME-Version: 1.0\r\nContent-Type: multipart/report; "
               "report-type=feedback-report; boundary=\"A\"\r\n\r\n--A\r\n"
               "Content-Type: text/plain\r\n\r\nAn abuse report.\r\n--A\r\n"
               "Content-Type: message/feedback-report\r\n\r\n"
               "Feedback-Type: abuse\r\nUser-Agent: fbl/1\r\nVersion: 1\r\n"
               "Original-Rcpt-To: dan@d.example\r\n\r\n--A\r\n"
               "Content-Type: message/rfc822\r\n\r\nReturn-Path: <%s>\r\n"
               "From: news@news.example\r\nTo: dan@d.example\r\n"
               "Subject: Hi\r\n\r\nHello.\r\n\r\n--A--\r\n" % verp["dan"])
        r = mcrun("bounces", "ingest", stdin=arf, check_rc=False)
        check(r.returncode == 0, "bounces ingest of the ARF report (%d %s)"
              % (r.returncode, r.stderr.strip()))

        # --- 1. each event accepted once, signed, fields right ---
        want = {("delivered", "ann"), ("delivered", "bob"),
                ("delivered", "cat"), ("delivered", "dan"),
                ("failed", "reject-eve"), ("unsubscribed", "bob"),
                ("clicked", "ann"), ("bounced", "cat"),
                ("complained", "dan")}

        def got():
            return {(e["event"], e["address"].split("@")[0])
                    for e in accepted()}
        wait_for(lambda: want <= got(), 90)
        evs = accepted()
        check(got() == want, "main accepted every event (missing %s, "
              "extra %s)" % (sorted(want - got()), sorted(got() - want)))
        ids = [e["id"] for e in evs]
        check(len(ids) == len(set(ids)) == len(want),
              "each event accepted exactly once (%d accepted, %d ids)"
              % (len(ids), len(set(ids))))
        with lock:
            mine = [(t, h, b) for p, pa, t, h, b, st in log
                    if p == MAIN and pa == "/hook"]
        check(all(verify(SECRET, h, b, now=t) for t, h, b in mine),
              "every request's signature verifies with hmac (%d)" % len(mine))
        check(all(h.get("Content-Type") == "application/json" and
                  h.get("Mailcast-Event-Id") == str(json.loads(b)["id"])
                  for t, h, b in mine),
              "Content-Type: application/json, Mailcast-Event-Id = id")
        check(not any(verify(WRONG, h, b, now=t) for t, h, b in mine),
              "a tampered secret does not verify")
        check(all(tries.get(i) == 3 for i in ids),
              "each accepted event took 3 attempts (500, 500, 200)")
        spaced = True
        for i in ids:
            ts = sorted(t for t, h, b in mine if json.loads(b)["id"] == i)
            if len(ts) != 3 or ts[1] - ts[0] < 0.4 or ts[2] - ts[1] < 0.4:
                spaced = False
        check(spaced, "the attempts of each event are spaced (back-off)")
        by = {(e["event"], e["address"].split("@")[0]): e for e in evs}
        d = by.get(("delivered", "ann"), {})
        check(d.get("campaign_name") == "one" and d.get("list") == "l" and
              isinstance(d.get("campaign"), int) and
              d.get("reply", {}).get("code") == 250 and
              abs(d.get("time", 0) - time.time()) < 300,
              "delivered: campaign, list, reply 250, time (%s)" % d)
        f = by.get(("failed", "reject-eve"), {})
        check(f.get("reply", {}).get("code") == 550 and
              f.get("reply", {}).get("enhanced") == "5.1.1",
              "failed: reply 550 5.1.1 (%s)" % f.get("reply"))
        b = by.get(("bounced", "cat"), {})
        check(b.get("bounce") == "hard" and
              b.get("reply", {}).get("enhanced") == "5.1.1",
              "bounced: hard, 5.1.1 (%s)" % b)
        check(by.get(("clicked", "ann"), {}).get("url") ==
              "https://shop.example/a", "clicked: the link's url")

        # --- 2. webhook list and retry; the tampered endpoint ---
        def rows(state=None):
            a = ["webhook", "list", "--json"] + (["--state", state]
                                                 if state else [])
            return json.loads(mcrun(*a).stdout)
        def clicks(state):
            return [x for x in rows(state) if x["event"] == "clicked"]
        wait_for(lambda: len(clicks("failed")) >= 1, 30)
        fl = clicks("failed")
        check(len(fl) == 1 and fl[0]["error"] == "tampered: HTTP 401" and
              fl[0]["done_to"] == ",main,",
              "the click is failed for the tampered endpoint only (%s)"
              % [(x["error"], x["done_to"]) for x in fl])
        txt = mcrun("webhook", "list", "--state", "failed").stdout
        check(re.search(r"^%d  failed  clicked  attempts [0-9]+  \S+  "
                        r"tampered: HTTP 401$" % fl[0]["id"], txt,
                        re.M) is not None,
              "webhook list --state failed prints it (%r)" % txt)
        with lock:
            ntamp = sum(1 for p, pa, *_ in log if pa == "/tampered")
        check(ntamp >= 2, "the tampered endpoint was tried %d times" % ntamp)
        r = mcrun("webhook", "retry", str(fl[0]["id"]))
        check("1 event(s) pending again" in r.stdout,
              "webhook retry ID: %s" % r.stdout.strip())
        wait_for(lambda: sum(1 for p, pa, *_ in log
                             if pa == "/tampered") > ntamp, 20)
        with lock:
            n2 = sum(1 for p, pa, *_ in log if pa == "/tampered")
        check(n2 > ntamp, "the retried event is sent again")
        check(len([e for e in accepted() if e["event"] == "clicked"]) == 1,
              "... to the tampered endpoint only (main has it once)")
        r = mcrun("webhook", "retry", "999999", check_rc=False)
        check(r.returncode == 66, "retry of no such event: exit 66 (%d)"
              % r.returncode)
        r = mcrun("webhook", "list", "--state", "bogus", check_rc=False)
        check(r.returncode == 64, "list --state bogus: exit 64")

        # --- 3. bad endpoints ---
        wait_for(lambda: all(x["state"] != "pending" for x in rows()
                             if x["event"] == "delivered"), 60)
        dl = [x for x in rows() if x["event"] == "delivered"]
        errs = " | ".join(x["error"] or "" for x in dl)
        check(len(dl) == 4 and all(x["state"] == "failed" for x in dl),
              "delivered events end failed (bad endpoints past max_age)")
        check(all("refused: Couldn't connect" in (x["error"] or "") and
                  "slow: Timeout" in (x["error"] or "") and
                  "redirect: HTTP 302 (not followed)" in (x["error"] or "")
                  for x in dl),
              "the error names each bad endpoint: refused, timeout, 302 "
              "not followed (%s)" % errs[:300])
        check(all(",huge," in x["done_to"] and ",main," in x["done_to"] and
                  ",redirect," not in x["done_to"] for x in dl),
              "huge body accepted (cut), main done, the 302 not")
        with lock:
            redirected = [1 for p, pa, *_ in log if pa == "/redirected"]
            slow = [1 for p, *_ in log if p == SLOW]
        check(not redirected, "the 302 was not followed")
        check(len(slow) >= 1, "the slow receiver was tried (%d)" % len(slow))
        wait_for(lambda: not rows("pending"), 30)
        nf = len(rows("failed"))
        r = mcrun("webhook", "retry", "--failed")
        check(re.search(r"^%d event\(s\) pending again" % nf, r.stdout) and
              all(x["state"] == "pending" for x in rows()
                  if x["event"] == "delivered"),
              "webhook retry --failed: %s" % r.stdout.strip())
        out = mcrun("webhook", "list").stdout
        check(re.search(r"^\d+  done  unsubscribed  attempts 3 ", out,
                        re.M) is not None, "webhook list shows done rows")
        srv.terminate()
        srv.wait(timeout=30)
        errf.seek(0)
        errlog = errf.read()
        errf.close()
        procs.remove(srv)
        check(SECRET not in errlog and WRONG not in errlog,
              "no secret in serve's log")
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        for s in servers:
            s.shutdown()
        if keep:
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
