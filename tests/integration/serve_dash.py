#!/usr/bin/python3
"""The dashboard of `mailcast serve` (issue 14 Must show 2) and the
campaign runner in serve (issue 13 item 6), with Python's http.client.

mailcast's own sink (Maildir) listens on 127.0.0.1:27401; serve on
127.0.0.1:27400 (and 27402 for the restart).

Security:
 1. Every dashboard path without a session: GET pages go to the login
    page (303), the event stream and every POST are 401; nothing starts.
 2. CSRF: a POST with a wrong token, without one, or with the right one
    from another Origin is 403 and the campaign stays a draft.
 3. A viewer sees pages but cannot start (403, still a draft).
 4. Lockout: 5 wrong passwords lock the account; the right password is
    then refused the same way (401) and the lock is in the store; `user
    add` again (a new password) lifts it.
 5. No secret in any page or response: not the relay password (from a
    file named in mailcast.conf), not a password hash, not the token key,
    not the session id in a body; the cookie is HttpOnly, SameSite=Strict.
Runner:
 6. Start from the page: the campaign is done in the ledger and the live
    stream's last sample says done with the numbers `campaign report
    --json` gives; pause then resume from the page: paused with rows left,
    then done; no address got two messages.
 7. A campaign scheduled from the page starts by itself when due.
 8. A campaign left running by a killed `campaign start` is resumed by
    serve at start and finishes.

Usage: serve_dash.py PATH/TO/mailcast
"""
import glob
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "helpers"))
from checks import check, failures, wait_port  # noqa: E402

HOST = "127.0.0.1"
PORT = 27400
SINK_PORT = 27401
PORT2 = 27402


class Client:
    """A browser-like client: one cookie jar, http.client underneath."""

    def __init__(self, port=PORT):
        self.port = port
        self.cookie = None
        self.set_cookie = None

    def req(self, method, path, form=None, headers=None):
        h = dict(headers or {})
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            h["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookie:
            h["Cookie"] = "mc_session=" + self.cookie
        c = http.client.HTTPConnection(HOST, self.port, timeout=20)
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read().decode("utf-8", "replace")
        hd = {k.lower(): v for k, v in r.getheaders()}
        c.close()
        sc = hd.get("set-cookie")
        if sc:
            self.set_cookie = sc
            m = re.match(r"mc_session=([^;]*)", sc)
            self.cookie = m.group(1) if m and m.group(1) else None
        return r.status, hd, data

    def login(self, user, pw):
        return self.req("POST", "/dash/login",
                        {"user": user, "password": pw})

    def csrf(self, page="/dash/campaigns"):
        _, _, body = self.req("GET", page)
        m = re.search(r'name="csrf" value="([0-9a-f]+)"', body)
        return m.group(1) if m else ""


def sse_last(client, cid, seconds):
    """Read the live stream of campaign cid for at most seconds (or until
    it ends): the samples seen."""
    s = socket.create_connection((HOST, client.port), timeout=seconds)
    s.sendall(("GET /dash/campaign/%d/events HTTP/1.1\r\nHost: x\r\n"
               "Cookie: mc_session=%s\r\n\r\n" % (cid, client.cookie))
              .encode())
    data = b""
    end = time.time() + seconds
    try:
        while time.time() < end:
            b = s.recv(65536)
            if not b:
                break
            data += b
            if b'"final":true' in data:
                break
    except socket.timeout:
        pass
    s.close()
    out = []
    for line in data.decode("utf-8", "replace").splitlines():
        if line.startswith("data: "):
            try:
                out.append(json.loads(line[6:]))
            except ValueError:
                pass
    return out


def main():
    mc = os.path.realpath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="mailcast-dash.")
    os.environ["TMPDIR"] = tmp  # a killed run's thawed files
    procs = []
    db = os.path.join(tmp, "t.db")
    store = ["--store", "sqlite:" + db]

    def mcrun(*args, check_rc=True, env=None, stdin=None):
        r = subprocess.run([mc] + store + list(args), capture_output=True,
                           text=True, timeout=120, env=env, input=stdin)
        if check_rc and r.returncode != 0:
            raise SystemExit("mailcast %s: %s %s" % (args, r.returncode,
                                                     r.stderr))
        return r

    def state(cid):
        r = mcrun("campaign", "report", str(cid), "--json")
        return json.loads(r.stdout)

    def start_serve(port):
        log = os.path.join(tmp, "serve-%d.log" % port)
        p = subprocess.Popen([mc, "-v", "--log", log] + store +
                             ["--config", conf, "serve", "--listen",
                              "%s:%d" % (HOST, port)],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        procs.append(p)
        wait_port(port, p)
        return p, log

    try:
        with open(os.path.join(tmp, "l.csv"), "w") as f:
            f.write("email,first_name\n")
            for i in range(200):
                f.write("user%d@d%d.example,N%d\n" % (i, i % 3, i))
        tmpl = os.path.join(tmp, "t.tmpl")
        with open(tmpl, "w") as f:
            f.write("From: News <news@news.example>\nSubject: Hi\n\n"
                    "Hello {{first_name}}: {{unsubscribe_url}}\n")
        relay_pw = os.path.join(tmp, "relay.pw")
        with open(relay_pw, "w") as f:
            f.write("S3cretRelayPassw0rd\n")
        os.chmod(relay_pw, 0o600)
        conf = os.path.join(tmp, "mailcast.conf")
        with open(conf, "w") as f:
            f.write("[mailcast]\npublic_url = https://lists.news.example\n"
                    "[relay backup]\nhost = 127.0.0.1:1\n"
                    "auth_user = relayuser\nauth_password_file = %s\n"
                    % relay_pw)
        md = os.path.join(tmp, "md")
        sink = subprocess.Popen([mc, "sink", "--listen",
                                 "%s:%d" % (HOST, SINK_PORT), "--maildir",
                                 md, "--quiet"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        procs.append(sink)
        wait_port(SINK_PORT, sink)
        mcrun("list", "import", os.path.join(tmp, "l.csv"), "--list", "l")
        send = ["--list", "l", "--template", tmpl, "--from",
                "news@news.example", "--relay", "%s:%d" % (HOST, SINK_PORT),
                "--tls", "none", "--unsubscribe-url",
                "https://lists.news.example/unsubscribe/"]
        mcrun("campaign", "create", "--name", "c1", *send)
        mcrun("campaign", "create", "--name", "slow", *send, "--rate", "40")
        mcrun("campaign", "create", "--name", "later", *send)
        pwf = os.path.join(tmp, "pw")
        with open(pwf, "w") as f:
            f.write("correct horse battery\n")
        r = mcrun("user", "add", "alice", "--role", "admin",
                  "--password-file", pwf)
        check(r.returncode == 0, "user add alice --role admin")
        env = dict(os.environ, MAILCAST_PASSWORD="viewer pass 1")
        mcrun("user", "add", "victor", "--role", "viewer", env=env)
        mcrun("user", "add", "mallory", "--role", "admin",
              "--password-file", "-", stdin="mallory pass 1\n")
        r = mcrun("user", "add", "x", "--role", "root", "--password-file",
                  pwf, check_rc=False)
        check(r.returncode == 64 and "--role" in r.stderr,
              "user add --role root: exit 64 naming --role")
        hashes = [h for (h,) in sqlite3.connect(db).execute(
            "SELECT hash FROM users")]
        check(all(h.startswith("$argon2id$") for h in hashes) and
              len(hashes) == 3, "passwords stored as Argon2id encodings")

        srv, log = start_serve(PORT)

        # --- 1. no session: nothing but the login page ---
        anon = Client()
        paths = ["/dash/", "/dash/campaigns", "/dash/campaign/1",
                 "/dash/campaign/1/report", "/dash/contacts",
                 "/dash/contacts?q=user1@d1.example", "/dash/suppressions",
                 "/dash/lists", "/dash/settings", "/dash/mailboxes"]
        for p in paths:
            st, hd, body = anon.req("GET", p)
            check(st == 303 and hd.get("location") == "/dash/login" and
                  "user1@" not in body,
                  "GET %s without a session: 303 to the login (%d)" %
                  (p, st))
        st, _, _ = anon.req("GET", "/dash/campaign/1/events")
        check(st == 401, "the event stream without a session: 401 (%d)" % st)
        for a in ["start", "pause", "resume", "schedule"]:
            st, _, _ = anon.req("POST", "/dash/campaign/1/" + a,
                                {"csrf": "0" * 64})
            check(st == 401, "POST %s without a session: 401 (%d)" % (a, st))
        st, _, _ = anon.req("GET", "/dash/login")
        check(st == 200, "the login page answers without a session")
        forged = Client()
        forged.cookie = "a" * 64
        st, _, _ = forged.req("GET", "/dash/campaigns")
        check(st == 303, "a forged session cookie: 303 to the login")
        check(state(1)["status"] == "draft", "... and nothing started")

        # --- 2. CSRF ---
        admin = Client()
        st, hd, _ = admin.login("alice", "correct horse battery")
        check(st == 303 and admin.cookie, "alice logs in (303, a cookie)")
        sc = admin.set_cookie or ""
        check("HttpOnly" in sc and "SameSite=Strict" in sc and
              "Path=/dash/" in sc,
              "the cookie is HttpOnly, SameSite=Strict (%s)" %
              re.sub(r"=[0-9a-f]{64}", "=…", sc))
        check("Secure" not in sc, "... and not Secure without TLS")
        token = admin.csrf("/dash/campaign/1")
        check(len(token) == 64, "the page carries a CSRF token")
        st, _, _ = admin.req("POST", "/dash/campaign/1/start",
                             {"csrf": "f" * 64})
        check(st == 403, "start with a wrong CSRF token: 403 (%d)" % st)
        st, _, _ = admin.req("POST", "/dash/campaign/1/start", {})
        check(st == 403, "start without a CSRF token: 403 (%d)" % st)
        st, _, _ = admin.req("POST", "/dash/campaign/1/start",
                             {"csrf": token},
                             {"Origin": "https://evil.example"})
        check(st == 403, "start with the token from another Origin: 403")
        st, _, _ = admin.req("POST", "/dash/campaign/1/start",
                             {"csrf": token},
                             {"Sec-Fetch-Site": "cross-site"})
        check(st == 403, "start with Sec-Fetch-Site cross-site: 403")
        time.sleep(0.5)
        check(state(1)["status"] == "draft" and
              state(1)["states"]["sent"] == 0,
              "after the refused POSTs campaign 1 is still a draft")
        st, _, _ = anon.req("POST", "/dash/login",
                            {"user": "alice",
                             "password": "correct horse battery"},
                            {"Origin": "https://evil.example"})
        check(st == 403 and anon.cookie is None,
              "a login form posted from another site: 403, no session")

        # --- 3. a viewer reads but cannot start ---
        viewer = Client()
        viewer.login("victor", "viewer pass 1")
        st, _, body = viewer.req("GET", "/dash/campaign/1")
        check(st == 200 and "c1" in body, "the viewer sees campaign 1")
        check("/start" not in body, "... without a Start button")
        vt = viewer.csrf("/dash/campaign/1")
        st, _, _ = viewer.req("POST", "/dash/campaign/1/start", {"csrf": vt})
        check(st == 403, "the viewer's start (right CSRF token): 403")
        st, _, _ = viewer.req("POST", "/dash/campaign/1/schedule",
                              {"csrf": vt, "at": "2030-01-01T00:00:00Z"})
        check(st == 403, "the viewer's schedule: 403")
        time.sleep(0.5)
        check(state(1)["status"] == "draft", "... campaign 1 still a draft")

        # --- 4. lockout ---
        m = Client()
        codes = [m.login("mallory", "wrong %d" % i)[0] for i in range(5)]
        check(codes == [401] * 5, "5 wrong passwords: 401 each (%s)" % codes)
        st, _, body = m.login("mallory", "mallory pass 1")
        check(st == 401 and m.cookie is None,
              "the right password on the locked account: 401, no session")
        check("Wrong name or password" in body,
              "... the same words as a wrong password")
        row = sqlite3.connect(db).execute(
            "SELECT failures, locked_until FROM users WHERE "
            "name='mallory'").fetchone()
        check(row and row[1] > time.time() + 600,
              "the lock is in the store, for 15 minutes (%s)" % (row,))
        st, _, _ = m.login("mallory", "mallory pass 1")
        check(st == 401, "still locked on the next try")
        st, _, _ = m.login("nobody", "x")
        check(st == 401, "an unknown name: the same 401")
        mcrun("user", "add", "mallory", "--role", "admin",
              "--password-file", "-", stdin="mallory pass 2\n")
        st, _, _ = m.login("mallory", "mallory pass 2")
        check(st == 303 and m.cookie, "user add again lifts the lock")

        # --- 6. start from the page, watch it to done ---
        st, hd, _ = admin.req("POST", "/dash/campaign/1/start",
                              {"csrf": token})
        check(st == 303, "alice starts campaign 1 (303)")
        samples = sse_last(admin, 1, 60)
        last = samples[-1] if samples else {}
        rep = state(1)
        check(last.get("state") == "done" and last.get("final") is True,
              "the live stream ends with done (%s)" % last.get("state"))
        check(len(samples) >= 1 and rep["status"] == "done",
              "campaign report says done")
        check(last.get("sent") == rep["states"]["sent"] == 200 and
              last.get("failed") == rep["states"]["failed"] and
              last.get("deferred") == rep["states"]["deferred"],
              "the live numbers equal `campaign report --json` "
              "(sent %s / %s)" % (last.get("sent"), rep["states"]["sent"]))
        st, _, body = admin.req("GET", "/dash/campaign/1/report")
        check(st == 200 and 'id="rp-sent">200<' in body,
              "the report page shows sent 200")
        check('id="over-time-total-sent">200<' in body and
              'id="by-destination-table"' in body and
              'id="slowest-table"' in body and "<svg" in body,
              "the report page has the --html sections and charts")
        # the mailboxes page: empty, then what the memory holds
        st, _, body = admin.req("GET", "/dash/mailboxes")
        check(st == 200 and 'id="mailboxes-empty"' in body and
              "bounces fetch" in body,
              "mailboxes: an empty state saying what to run")
        mdb = sqlite3.connect(db)
        for uid, what, at in (("1", "hard-bounce", 1700000000),
                              ("2", "hard-bounce", 1700000100),
                              ("3", "complaint", 1700000200)):
            mdb.execute("INSERT INTO mailbox_seen(mailbox, uid, state, "
                        "what, seen_at) VALUES (?, ?, 2, ?, ?)",
                        ("imap://bounce@mail.news.example/INBOX", uid,
                         what, at))
        # a last fetch that failed, its words from a hostile server
        mdb.execute("INSERT INTO mailbox_fetches(mailbox, at, outcome, why, "
                    "messages, summary) VALUES (?, ?, ?, ?, ?, ?)",
                    ("pop3://bounce@pop.news.example", 1700000300, "login",
                     "-ERR <script>x</script> denied", 0, "nothing new"))
        mdb.commit()
        mdb.close()
        st, _, body = admin.req("GET", "/dash/mailboxes")
        check(st == 200 and 'id="fetches-table"' in body and
              "pop3://bounce@pop.news.example" in body and
              "login: -ERR &lt;script&gt;x&lt;/script&gt; denied" in body and
              "<script>x" not in body and
              'datetime="2023-11-14T22:18:20Z"' in body,
              "mailboxes: the last fetch, how it ended (escaped), when")
        check(st == 200 and "imap://bounce@mail.news.example/INBOX" in body
              and "complaint 1, hard-bounce 2" in body and
              'datetime="2023-11-14T22:16:40Z"' in body,
              "mailboxes: the mailbox, its counts by action, its last "
              "fetch")
        st, _, _ = admin.req("POST", "/dash/campaign/1/start",
                             {"csrf": token})
        check(st == 409, "starting a done campaign: 409 (%d)" % st)
        st, _, _ = admin.req("POST", "/dash/campaign/999/start",
                             {"csrf": token})
        check(st == 404, "starting an unknown campaign: 404 (%d)" % st)

        # pause and resume (campaign 2 at 40/s: 5 s of sending)
        admin.req("POST", "/dash/campaign/2/start", {"csrf": token})
        seen = sse_last(admin, 2, 2.5)
        check(any(s.get("state") == "running" and s.get("sent", 0) > 0
                  for s in seen),
              "the live stream shows campaign 2 running")
        check(any(s.get("dests") and "127.0.0.1:%d" % SINK_PORT in
                  s["dests"][0]["key"] and s["dests"][0]["last"]
                  .startswith("250") for s in seen),
              "... with its destination's last reply (250)")
        st, _, _ = admin.req("POST", "/dash/campaign/2/pause",
                             {"csrf": token})
        check(st == 303, "pause from the page (303)")
        for _ in range(100):
            if state(2)["status"] == "paused":
                break
            time.sleep(0.1)
        r2 = state(2)
        check(r2["status"] == "paused" and
              0 < r2["states"]["sent"] < 200 and
              r2["states"]["inflight"] == 0,
              "campaign 2 paused with rows left, none in flight (sent %d)"
              % r2["states"]["sent"])
        st, _, _ = admin.req("POST", "/dash/campaign/2/resume",
                             {"csrf": token})
        check(st == 303, "resume from the page (303)")
        samples = sse_last(admin, 2, 60)
        r2 = state(2)
        check(r2["status"] == "done" and r2["states"]["sent"] == 200,
              "campaign 2 done after the resume (sent %d)" %
              r2["states"]["sent"])

        # --- 7. schedule from the page ---
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                           time.gmtime(time.time() + 3))
        st, _, _ = admin.req("POST", "/dash/campaign/3/schedule",
                             {"csrf": token, "at": at})
        check(st == 303, "schedule campaign 3 at %s from the page" % at)
        check(state(3)["status"] == "draft", "... not started before")
        for _ in range(150):
            if state(3)["status"] == "done":
                break
            time.sleep(0.1)
        check(state(3)["status"] == "done" and
              state(3)["states"]["sent"] == 200,
              "campaign 3 started by itself when due and is done")

        # --- 5. no secret anywhere ---
        key_hex = [k for (k,) in sqlite3.connect(db).execute(
            "SELECT key FROM token_keys")]
        secrets = ["S3cretRelayPassw0rd", "correct horse battery",
                   "$argon2id$", admin.cookie] + key_hex
        pages = paths + ["/dash/campaign/2", "/dash/campaign/3/report",
                         "/dash/static/app.js", "/dash/static/app.css",
                         "/dash/login"]
        leaks = []
        for p in pages:
            st, hd, body = admin.req("GET", p)
            for s in secrets:
                if s and s in body:
                    leaks.append((p, s[:6]))
            want = 303 if p in ("/dash/", "/dash/login") else 200
            check(st == want, "GET %s with a session: %d (%d)" %
                  (p, want, st))
        for s in sse_last(admin, 1, 3):
            for sec in secrets:
                if sec and sec in json.dumps(s):
                    leaks.append(("events", sec[:6]))
        check(not leaks, "no secret in any page or stream (%s)" % leaks)
        st, _, body = admin.req("GET", "/dash/settings")
        check("relay.pw" not in body or "S3cret" not in body,
              "settings: the relay password is never shown")
        check("relayuser" in body and "***" in body,
              "settings: the relay's AUTH user shown, its password masked")
        with open(log) as f:
            text = f.read()
        check("correct horse" not in text and "S3cret" not in text and
              admin.cookie not in text,
              "no password or session id in serve's log")

        # logout ends the session
        old = admin.cookie
        st, _, _ = admin.req("POST", "/dash/logout", {"csrf": token})
        check(st == 303, "logout (303)")
        admin.cookie = old
        st, _, _ = admin.req("GET", "/dash/campaigns")
        check(st == 303, "the old session cookie no longer works")

        # --- 8. a campaign left running resumes at serve start ---
        srv.send_signal(signal.SIGTERM)
        srv.wait(timeout=30)
        mcrun("campaign", "create", "--name", "crash", *send, "--rate", "40")
        p = subprocess.Popen([mc] + store + ["campaign", "start", "4",
                                             "--quiet"],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(1.5)
        p.kill()
        p.wait()
        r4 = state(4)
        check(r4["status"] == "running" and r4["states"]["sent"] < 200,
              "a killed campaign start leaves campaign 4 running (sent %d)"
              % r4["states"]["sent"])
        srv2, log2 = start_serve(PORT2)
        for _ in range(300):
            if state(4)["status"] == "done":
                break
            time.sleep(0.1)
        r4 = state(4)
        check(r4["status"] == "done" and r4["states"]["sent"] == 200,
              "serve resumed campaign 4 and finished it (sent %d)" %
              r4["states"]["sent"])
        with open(log2) as f:
            check("was left running: resumed" in f.read(),
                  "serve's log says it resumed campaign 4")
        # SIGTERM while a campaign runs and its live page is open: the
        # stream ends, the run pauses cleanly, serve exits 0 at once
        mcrun("campaign", "create", "--name", "slow2", *send, "--rate", "5")
        c2 = Client(PORT2)
        c2.login("alice", "correct horse battery")
        c2.req("POST", "/dash/campaign/5/start", {"csrf": c2.csrf()})
        sse_last(c2, 5, 1.5)
        s = socket.create_connection((HOST, PORT2), timeout=10)
        s.sendall(("GET /dash/campaign/5/events HTTP/1.1\r\nHost: x\r\n"
                   "Cookie: mc_session=%s\r\n\r\n" % c2.cookie).encode())
        time.sleep(1)
        t0 = time.time()
        srv2.send_signal(signal.SIGTERM)
        check(srv2.wait(timeout=30) == 0, "serve exits 0 on SIGTERM")
        check(time.time() - t0 < 5, "... with a live stream open, in %.1f s"
              % (time.time() - t0))
        s.close()
        r5 = state(5)
        check(r5["status"] == "paused" and r5["states"]["inflight"] == 0 and
              0 < r5["states"]["sent"] < 200,
              "the run in serve paused cleanly (sent %d, none in flight)"
              % r5["states"]["sent"])
        # nobody got two messages of one campaign
        per = {}
        for path in glob.glob(os.path.join(md, "new", "*")):
            with open(path, "rb") as fp:
                head = fp.read(4096).decode("utf-8", "replace")
            to = re.search(r"^To: (.*)$", head, re.M)
            per[to.group(1) if to else path] = \
                per.get(to.group(1) if to else path, 0) + 1
        resent = r4["resent_after_crash"]
        check(max(per.values()) <= 5 + (1 if resent else 0),
              "at most one message per campaign per address (%d max over "
              "5 campaigns; %d resent after the kill)" %
              (max(per.values()), resent))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if failures:
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("%d FAILED" % len(failures))
        sys.exit(1)
    print("all passed")


if __name__ == "__main__":
    main()
