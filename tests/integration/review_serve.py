#!/usr/bin/python3
"""review_serve.py MAILCAST — findings of a hostile review of `mailcast
serve`, each a regression test with real clients (http.client).

1. A server whose mailcast.conf lacks public_url (so no confirmation link
   can be made) refuses a signup with 503, form and JSON alike, and the
   store is untouched: no pending contact, no one-a-day mark.  (It
   answered "check your mailbox", kept the person pending for ever, and
   its mark held off the real confirmation for a day once the
   configuration was fixed.)
2. The dashboard's settings page shows no password of the store's URL:
   neither postgresql://USER:PASSWORD@ nor libpq's ?password= and
   ?sslpassword= parameters (those were shown in clear), also when the
   password has a '?' in it, as libpq allows (the page cut the user part
   at the '?' and showed it).
3. POST /api/v1/campaigns refuses a template with an Attach: header (422,
   field "template"), in any case and after comments, and nothing is
   made: an API caller could name any file the server can read
   (Attach: /etc/passwd was frozen into the store and mailed to the
   list, to which the same token can add its own address).
4. While mailcast.conf gives an AUTH user and password, POST
   /api/v1/campaigns refuses settings that choose the server ("relay",
   "direct", "dns-server", "mx-port"): a write token pointed "relay" at
   its own server with "tls-no-verify" and was sent AUTH PLAIN with the
   relay's password.  Without them the campaign is made as before.
5. `mailcast user add NAME` with a new password (or role) ends the
   sessions NAME had: an old cookie is sent to the login page (it kept
   its role and worked on for 12 hours, so a demoted admin or a
   stolen session outlived the reset).
7. PATCH /api/v1/contacts/ADDR and POST /api/v1/contacts refuse a member
   they do not take (422, field named): {"status": "active"} on an
   unsubscribed contact answered 200 and changed nothing.
8. HEAD /c/... and HEAD /o/....gif answer as GET does (302 to the link,
   the pixel) and count nothing; a GET counts one each.  (A link checker
   or mail scanner sending HEAD was counted as a reader's click.)
9. The per-client signup limit (20 an hour) counts an IPv6 client by its
   /64: 21 signups from 2001:db8::1 ... ::21 (through a trusted proxy)
   end in 429, while IPv4-mapped clients keep a count each.  (Every
   address of a /64 got a fresh count: the limit did not hold at all for
   an IPv6 client.)
6. SIGHUP applies a changed mailcast.conf: public_url added, signups
   open (the file was only checked: the log said "reloaded" and the old
   values stayed until a restart).

Ports 27850 (serve) and 27852 (sink).  Usage: review_serve.py PATH/TO/mailcast
"""
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "helpers"))
from checks import check, failures, wait_port  # noqa: E402

HOST, PORT, SINK = "127.0.0.1", 27850, 27852


logs = []


def stop(proc):
    """SIGTERM a server, wait (bounded), keep its stderr in logs."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    logs.append(proc.stderr.read().decode("utf-8", "replace"))


def request(method, path, body=None, headers=None):
    """One request on a new connection: (status, body text)."""
    c = http.client.HTTPConnection(HOST, PORT, timeout=10)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read().decode("utf-8", "replace")
    finally:
        c.close()


def main():
    mc = os.path.realpath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="mailcast-review.")
    db = os.path.join(tmp, "t.db")
    env = dict(os.environ, HOME=tmp, XDG_CONFIG_HOME=tmp,
               XDG_DATA_HOME=tmp)
    env.pop("MAILCAST_STORE", None)
    serve = None
    try:
        with open(os.path.join(tmp, "c.csv"), "w") as f:
            f.write("email\nalice@example.net\n")
        conf = os.path.join(tmp, "mailcast.conf")
        with open(conf, "w") as f:
            f.write("[mailcast]\nfrom = news@example.org\n"
                    "store = postgresql://mc:Sec?ret1@db.example:5432/mc"
                    "?sslmode=require&password=Secret2&sslpassword=Secret3"
                    "\n")
        subprocess.run([mc, "--store", "sqlite:" + db, "list", "import",
                        os.path.join(tmp, "c.csv"), "--list", "news"],
                       check=True, capture_output=True, env=env)
        with open(os.path.join(tmp, "pw"), "w") as f:
            f.write("review-password\n")
        subprocess.run([mc, "--store", "sqlite:" + db, "user", "add", "ann",
                        "--role", "viewer", "--password-file",
                        os.path.join(tmp, "pw")],
                       check=True, capture_output=True, env=env)
        tok = subprocess.run(
            [mc, "--store", "sqlite:" + db, "token", "create", "--scope",
             "write"], check=True, capture_output=True, text=True,
            env=env).stdout.split()[-1]
        serve = subprocess.Popen(
            [mc, "--store", "sqlite:" + db, "--config", conf, "serve",
             "--listen", "%s:%d" % (HOST, PORT)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        wait_port(PORT, serve)

        # 1. no public_url: signups refused, nothing stored
        st, text = request("POST", "/subscribe/news", "email=bob%40example.net",
                           {"Content-Type":
                            "application/x-www-form-urlencoded"})
        check(st == 503 and "Signups are closed" in text,
              "no public_url: a form signup is 503 (%d)" % st)
        st, text = request("POST", "/subscribe/news",
                           json.dumps({"email": "carol@example.net"}),
                           {"Content-Type": "application/json"})
        check(st == 503 and json.loads(text).get("error") == "unavailable",
              "no public_url: a JSON signup is 503 unavailable (%d %s)"
              % (st, text[:80]))
        with sqlite3.connect(db) as q:
            n = q.execute("SELECT count(*) FROM contacts WHERE address "
                          "IN ('bob@example.net', 'carol@example.net')"
                          ).fetchone()[0]
            marks = q.execute("SELECT count(*) FROM signups").fetchone()[0]
        check(n == 0 and marks == 0,
              "... and the store has no pending contact (%d) and no "
              "one-a-day mark (%d)" % (n, marks))
        st, _ = request("POST", "/subscribe/nosuch", "email=d%40example.net",
                        {"Content-Type":
                         "application/x-www-form-urlencoded"})
        check(st in (404, 503), "an unknown list is still no signup (%d)"
              % st)

        # 2. the settings page masks every password of the store URL
        c = http.client.HTTPConnection(HOST, PORT, timeout=30)
        c.request("POST", "/dash/login",
                  "user=ann&password=review-password",
                  {"Content-Type": "application/x-www-form-urlencoded"})
        r = c.getresponse()
        r.read()
        cookie = (r.getheader("Set-Cookie") or "").split(";")[0]
        c.close()
        check(r.status == 303 and cookie.startswith("mc_session="),
              "the viewer logs in (%d)" % r.status)
        st, page = request("GET", "/dash/settings", None, {"Cookie": cookie})
        check(st == 200 and "db.example:5432" in page,
              "the settings page shows the store (%d)" % st)
        for secret in ("ret1", "Secret2", "Secret3"):
            check(secret not in page,
                  "... without its password %s" % secret)

        # 3. no Attach: through the API
        secret = os.path.join(tmp, "secret.txt")
        with open(secret, "w") as f:
            f.write("the server's own secret\n")
        auth = {"Authorization": "Bearer " + tok,
                "Content-Type": "application/json"}
        settings = {"from": "news@example.org", "relay": "127.0.0.1:1",
                    "tls": "none",
                    "unsubscribe-url": "https://lists.example.org/u/"}
        for i, head in enumerate(("Attach: %s\n" % secret,
                                  "# a comment\nattach:%s\n" % secret,
                                  "X-Note: one\n two\nATTACH: ../tmp/%s\n"
                                  % os.path.relpath(secret, "/tmp"))):
            tpl = ("From: News <news@example.org>\nSubject: hi\n" + head +
                   "\nhello\n")
            st, text = request("POST", "/api/v1/campaigns", json.dumps(
                {"name": "leak%d" % i, "list": "news", "template": tpl,
                 "settings": settings}), auth)
            err = json.loads(text).get("error", {})
            check(st == 422 and err.get("field") == "template" and
                  "Attach" in err.get("message", ""),
                  "API campaign with %r refused (%d %s)"
                  % (head.strip(), st, text[:100]))
        st, text = request("POST", "/api/v1/campaigns", json.dumps(
            {"name": "fine", "list": "news", "template":
             "From: News <news@example.org>\nSubject: hi\n\n"
             "Attach: in the body is text\n", "settings": settings}), auth)
        check(st == 201, "a template without Attach: is taken (%d %s)"
              % (st, text[:100]))
        with sqlite3.connect(db) as q:
            n = q.execute("SELECT count(*) FROM campaigns WHERE name LIKE "
                          "'leak%'").fetchone()[0]
            leaked = q.execute("SELECT count(*) FROM campaign_files WHERE "
                               "CAST(data AS TEXT) LIKE '%own secret%'"
                               ).fetchone()[0]
        check(n == 0 and leaked == 0,
              "... no campaign made (%d), the file in no row (%d)"
              % (n, leaked))

        # 4. the relay's password never goes to a server the caller names
        with open(os.path.join(tmp, "relay.pw"), "w") as f:
            f.write("RelayPassw0rd\n")
        os.chmod(os.path.join(tmp, "relay.pw"), 0o600)
        with open(conf, "w") as f:
            f.write("[mailcast]\nfrom = news@example.org\n"
                    "auth_user = news@example.org\nauth_password_file = "
                    + os.path.join(tmp, "relay.pw") + "\n\n"
                    "[relay main]\nhost = 127.0.0.1:1\n")
        # (a new server: SIGHUP does not apply a changed mailcast.conf)
        stop(serve)
        serve = subprocess.Popen(
            [mc, "--store", "sqlite:" + db, "--config", conf, "serve",
             "--listen", "%s:%d" % (HOST, PORT)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        wait_port(PORT, serve)
        base = {"from": "news@example.org",
                "unsubscribe-url": "https://lists.example.org/u/"}
        for extra in ({"relay": "127.0.0.1:27851", "tls-no-verify": True},
                      {"direct": True, "mx-port": "27851"},
                      {"relay": "127.0.0.1:27851", "auth-user": "x"}):
            st, text = request("POST", "/api/v1/campaigns", json.dumps(
                {"name": "steal", "list": "news", "template":
                 "From: News <news@example.org>\nSubject: hi\n\nhello\n",
                 "settings": dict(base, **extra)}), auth)
            err = json.loads(text).get("error", {})
            check(st == 422 and "AUTH" in err.get("message", ""),
                  "with AUTH in mailcast.conf, settings %s refused (%d %s)"
                  % (sorted(extra), st, text[:90]))
        st, text = request("POST", "/api/v1/campaigns", json.dumps(
            {"name": "own-relay", "list": "news", "template":
             "From: News <news@example.org>\nSubject: hi\n\nhello\n",
             "settings": base}), auth)
        check(st == 201, "... and taken on mailcast.conf's relay (%d %s)"
              % (st, text[:90]))
        with sqlite3.connect(db) as q:
            n = q.execute("SELECT count(*) FROM campaigns WHERE name = "
                          "'steal'").fetchone()[0]
        check(n == 0, "... no campaign 'steal' made (%d)" % n)

        # 5. a new password ends the sessions made before it
        def login(pw):
            c = http.client.HTTPConnection(HOST, PORT, timeout=30)
            c.request("POST", "/dash/login", "user=ann&password=" + pw,
                      {"Content-Type": "application/x-www-form-urlencoded"})
            r = c.getresponse()
            r.read()
            c.close()
            return (r.getheader("Set-Cookie") or "").split(";")[0]

        old = login("review-password")
        st, _ = request("GET", "/dash/lists", None, {"Cookie": old})
        check(st == 200, "a session works (%d)" % st)
        with open(os.path.join(tmp, "pw"), "w") as f:
            f.write("a-new-password\n")
        subprocess.run([mc, "--store", "sqlite:" + db, "user", "add", "ann",
                        "--role", "viewer", "--password-file",
                        os.path.join(tmp, "pw")],
                       check=True, capture_output=True, env=env)
        c = http.client.HTTPConnection(HOST, PORT, timeout=30)
        c.request("GET", "/dash/lists", headers={"Cookie": old})
        r = c.getresponse()
        r.read()
        c.close()
        check(r.status == 303 and
              r.getheader("Location", "").endswith("/dash/login"),
              "after `user add` with a new password the old cookie goes "
              "to the login page (%d)" % r.status)
        new = login("a-new-password")
        st, _ = request("GET", "/dash/lists", None, {"Cookie": new})
        check(st == 200, "... and the new password's session works (%d)"
              % st)

        # 7. unknown members are refused, not ignored
        st, _ = request("POST", "/api/v1/contacts/alice%40example.net/"
                        "unsubscribe", "", auth)
        check(st == 200, "alice unsubscribed through the API (%d)" % st)
        st, text = request("PATCH", "/api/v1/contacts/alice%40example.net",
                           json.dumps({"status": "active"}), auth)
        err = json.loads(text).get("error", {})
        check(st == 422 and err.get("field") == "status",
              "PATCH {status} is 422 naming status (%d %s)" % (st, text[:80]))
        st, text = request("GET", "/api/v1/contacts/alice%40example.net",
                           None, auth)
        check(st == 200 and json.loads(text).get("status") == "unsubscribed",
              "... and alice is still unsubscribed (%s)" % text[:80])
        st, text = request("POST", "/api/v1/contacts", json.dumps(
            {"email": "frank@example.net", "lists": ["news"],
             "satus": "active"}), auth)
        check(st == 422 and "satus" in text,
              "POST a contact with a misspelt member is 422 (%d)" % st)
        st, _ = request("PATCH", "/api/v1/contacts/alice%40example.net",
                        json.dumps({"attributes": {"city": "Bern"}}), auth)
        check(st == 200, "PATCH {attributes} is still taken (%d)" % st)

        # 8. HEAD counts neither a click nor an open
        md = os.path.join(tmp, "md")
        sink = subprocess.Popen([mc, "sink", "--listen", "%s:%d" % (HOST, SINK),
                                 "--maildir", md],
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            wait_port(SINK, sink)
            with open(os.path.join(tmp, "t.csv"), "w") as f:
                f.write("email\ntom@example.net\n")
            with open(os.path.join(tmp, "t.tmpl"), "w") as f:
                f.write("From: News <news@example.org>\nSubject: hi\n\n"
                        "hello\n%% html\n<p><a href=\"https://shop.example/"
                        "x\">x</a></p>\n")
            mcrun = lambda *a: subprocess.run(
                [mc, "--store", "sqlite:" + db] + list(a), check=True,
                capture_output=True, env=env, timeout=120)
            mcrun("list", "import", os.path.join(tmp, "t.csv"), "--list", "t")
            mcrun("campaign", "create", "--name", "tracked", "--list", "t",
                  "--template", os.path.join(tmp, "t.tmpl"), "--from",
                  "news@example.org", "--relay", "%s:%d" % (HOST, SINK),
                  "--tls", "none", "--track-clicks", "--track-opens",
                  "--unsubscribe-url", "https://lists.example.org/u/")
            mcrun("campaign", "start", "tracked")
        finally:
            sink.terminate()
            sink.wait()
        text = ""
        for name in os.listdir(os.path.join(md, "new")):
            with open(os.path.join(md, "new", name), "rb") as f:
                text += f.read().decode("latin-1").replace("=\r\n", "")
        import re
        click = re.search(r"https://lists\.example\.org(/c/[A-Za-z0-9-]+)",
                          text)
        pixel = re.search(r"https://lists\.example\.org(/o/[A-Za-z0-9-]+"
                          r"\.gif)", text)
        check(click is not None and pixel is not None,
              "the message has a tracked link and the pixel")
        if click and pixel:
            def hits():
                with sqlite3.connect(db) as q:
                    return q.execute("SELECT count(*) FROM track_hits"
                                     ).fetchone()[0]
            c = http.client.HTTPConnection(HOST, PORT, timeout=10)
            c.request("HEAD", click.group(1))
            r = c.getresponse()
            r.read()
            c.close()
            check(r.status == 302 and r.getheader("Location") ==
                  "https://shop.example/x", "HEAD /c/ is the 302 (%d)"
                  % r.status)
            st, _ = request("HEAD", pixel.group(1))
            check(st == 200, "HEAD /o/ is the pixel (%d)" % st)
            check(hits() == 0, "... and neither is counted (%d)" % hits())
            request("GET", click.group(1))
            request("GET", pixel.group(1))
            check(hits() == 2, "a GET of each counts one each (%d)" % hits())

        # 6. SIGHUP: the new mailcast.conf is the one used
        st, _ = request("POST", "/subscribe/news", "email=eve%40example.net",
                        {"Content-Type": "application/x-www-form-urlencoded"})
        check(st == 503, "before SIGHUP: no public_url, signups closed (%d)"
              % st)
        with open(conf, "a") as f:
            f.write("\n[mailcast]\npublic_url = https://lists.example.org\n")
        serve.send_signal(signal.SIGHUP)
        for _ in range(50):
            time.sleep(0.1)
            st, _ = request("POST", "/subscribe/news",
                            "email=eve%40example.net",
                            {"Content-Type":
                             "application/x-www-form-urlencoded"})
            if st != 503:
                break
        check(st == 200, "after SIGHUP with public_url: the signup is "
              "taken (%d)" % st)

        # 9. an IPv6 /64 is one client for the signup limit
        stop(serve)
        serve = subprocess.Popen(
            [mc, "--store", "sqlite:" + db, "--config", conf, "serve",
             "--listen", "%s:%d" % (HOST, PORT), "--trusted-proxy",
             "127.0.0.1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        wait_port(PORT, serve)
        codes = []
        for i in range(1, 22):
            st, _ = request("POST", "/subscribe/news",
                            "email=v6-%d%%40example.net" % i,
                            {"Content-Type":
                             "application/x-www-form-urlencoded",
                             "X-Forwarded-For": "2001:db8::%x" % i})
            codes.append(st)
        check(codes[:20] == [200] * 20 and codes[20] == 429,
              "21 signups from one /64: 20 taken, the 21st 429 (%s)"
              % codes[18:])
        st, _ = request("POST", "/subscribe/news", "email=v6-b%40example.net",
                        {"Content-Type": "application/x-www-form-urlencoded",
                         "X-Forwarded-For": "2001:db8:0:1::1"})
        check(st == 200, "... another /64 is another client (%d)" % st)
        codes = []
        for i in range(1, 22):
            st, _ = request("POST", "/subscribe/news",
                            "email=v4m-%d%%40example.net" % i,
                            {"Content-Type":
                             "application/x-www-form-urlencoded",
                             "X-Forwarded-For": "::ffff:192.0.2.%d" % i})
            codes.append(st)
        check(codes == [200] * 21, "IPv4-mapped clients are not one /64 (%s)"
              % codes[18:])
    finally:
        if serve is not None:
            stop(serve)
        check("needs public_url" in logs[0] if logs else False,
              "the log says what mailcast.conf lacks")
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("%d failed" % len(failures))
        sys.exit(1)
    print("all passed")


if __name__ == "__main__":
    main()
