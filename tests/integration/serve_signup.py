#!/usr/bin/python3
"""`mailcast serve`: signup with double opt-in end to end (issue 13, item 3)
through a real Postfix relay into a real Dovecot.

Postfix (tests/helpers/postfix.sh) on 127.0.0.1:27125 delivers
bounce+*@example.test into the Maildir of Dovecot's user
bounce@example.test (tests/helpers/dovecot.sh, IMAP on 127.0.0.1:27143);
mailcast.conf names that Postfix as the relay campaigns use; `mailcast
serve` answers on 127.0.0.1:27180 (--max-body 4096).  Messages are read
back over IMAP (imaplib), the confirmation link taken from the delivered
message.

1. POST /subscribe/news (form) -> 200; the contact is pending, `list
   count` shows it; one confirmation message arrives in Dovecot with the
   link public_url/confirm/TOKEN.
2. A campaign created while the contact is pending has no row for it.
3. GET the link -> 200 page with a POST button; nothing changes.
4. Forged, tampered, another purpose's (an unsubscribe token of the same
   key and ids) -> 404; expired (issued 49 h ago, made here from the
   store's key by this test's own encoder) -> 410 saying so; cross-site
   POST -> 403; nothing changes.
5. POST the link -> 200; `contact show` says active, `contact history`
   has the ip and the change.
6. A second signup within 24 h (pending address, and active member) ->
   the same answer, no second message; honeypot -> the same answer,
   nothing stored or sent; JSON signups (202, attributes kept, no Origin
   fine, cross-site 403); unknown list 404 (the one 404); bad address and
   bad JSON 400; body over the limit 413; GET 405; per-client-address
   limit 429.

Usage: serve_signup.py PATH/TO/mailcast
"""
import base64
import email
import hashlib
import hmac
import http.client
import imaplib
import json
import os
import shutil
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
PF_PORT = 27125
DC_BASE = 27000  # Dovecot: IMAP 27143, POP3 27110, IMAPS 27993, POP3S 27995
PORT = 27180
SITE = "https://lists.example.test"
HERE = os.path.dirname(os.path.realpath(__file__))
HELPERS = os.path.join(HERE, "..", "helpers")


def request(method, path, body=None, headers=None, src=None):
    """One request with http.client: (status, body text)."""
    c = http.client.HTTPConnection(HOST, PORT, timeout=10,
                                   source_address=(src, 0) if src else None)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read().decode("utf-8", "replace")
    c.close()
    return r.status, data


def enc(**fields):
    """A form-urlencoded body."""
    return urllib.parse.urlencode(fields)


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSONH = {"Content-Type": "application/json"}


def mailbox():
    """Every message in Dovecot's INBOX, over IMAP: [email.message]."""
    m = imaplib.IMAP4(HOST, DC_BASE + 143)
    m.login("bounce@example.test", "secret")
    m.select("INBOX", readonly=True)
    _, data = m.search(None, "ALL")
    out = []
    for num in data[0].split():
        _, d = m.fetch(num, "(RFC822)")
        out.append(email.message_from_bytes(d[0][1]))
    m.logout()
    return out


def to_of(msg):
    return msg["To"].strip().strip("<>").lower()


def wait_mail(addr, n=1, secs=20):
    """Messages to addr, waiting (bounded) until there are n."""
    got = []
    for _ in range(int(secs * 10)):
        got = [m for m in mailbox() if to_of(m) == addr]
        if len(got) >= n:
            return got
        time.sleep(0.1)
    return got


def b32(raw):
    return base64.b32encode(raw).decode().rstrip("=").lower()


def token(key, first, contact):
    """A token as bounce/token.h lays it out, made independently."""
    def ib(v):
        n = 1
        while n < 8 and v >> (8 * n):
            n += 1
        return v.to_bytes(n, "big")
    a, b = ib(first), ib(contact)
    raw = bytes([(len(a) - 1) << 3 | (len(b) - 1)]) + a + b
    mac = hmac.new(key, b"mailcast-token-v1" + raw, hashlib.sha256).digest()
    return b32(raw + mac[:10])


def helper(args, out):
    """Run a start/stop helper, its output into file out (a daemon it
    starts keeps no pipe of ours open)."""
    with open(out, "ab") as f:
        return subprocess.run(args, stdout=f, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, timeout=120)


def main():
    mc = os.path.realpath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="mailcast-signup.")
    os.chmod(tmp, 0o755)
    procs = []
    cleanup = []
    db = os.path.join(tmp, "s.db")
    store = ["--store", "sqlite:" + db]

    def mcrun(*args, check_rc=True):
        r = subprocess.run([mc] + store + list(args), capture_output=True,
                           text=True, timeout=60)
        if check_rc and r.returncode != 0:
            raise SystemExit("mailcast %s: %s %s" % (args, r.returncode,
                                                     r.stderr))
        return r

    def status(addr):
        r = mcrun("contact", "show", addr, check_rc=False)
        if r.returncode != 0:
            return None
        return json.loads(r.stdout)["status"]

    try:
        # --- the mail path: Postfix -> Dovecot's Maildir ---
        dc = os.path.join(tmp, "dovecot")
        hlog = os.path.join(tmp, "helpers.out")
        if helper([os.path.join(HELPERS, "dovecot.sh"), "start", dc,
                   str(DC_BASE)], hlog).returncode != 0:
            raise SystemExit("dovecot: " + open(hlog).read())
        cleanup.append([os.path.join(HELPERS, "dovecot.sh"), "stop", dc])
        pf = os.path.join(tmp, "pf")
        helper(["sh", os.path.join(HELPERS, "certs.sh"), pf], hlog)
        if helper(["sh", os.path.join(HELPERS, "postfix.sh"), "start", pf,
                   str(PF_PORT)], hlog).returncode != 0:
            raise SystemExit("postfix: " + open(hlog).read())
        cleanup.append(["sh", os.path.join(HELPERS, "postfix.sh"), "stop",
                        pf, str(PF_PORT)])
        subprocess.run(["postconf", "-c", pf + "/etc", "-e",
                        "virtual_mailbox_base = " + dc + "/mail",
                        "virtual_mailbox_maps = inline:{ bounce@example.test"
                        "=bounce@example.test/Maildir/ }",
                        "recipient_delimiter = +",
                        "smtpd_reject_unlisted_recipient = yes"], check=True)
        helper(["script", "-qec", "postfix -c %s/etc reload" % pf,
                "/dev/null"], hlog)
        wait_port(PF_PORT)
        wait_port(DC_BASE + 143)

        # --- the store, the configuration, serve ---
        with open(os.path.join(tmp, "l.csv"), "w") as f:
            f.write("email\nbounce+member@example.test\n")
        mcrun("list", "import", os.path.join(tmp, "l.csv"), "--list", "news")
        with open(os.path.join(tmp, "o.csv"), "w") as f:
            f.write("email\nbounce+grace@example.test\n"
                    "bounce+henry@example.test\n")
        mcrun("list", "import", os.path.join(tmp, "o.csv"), "--list", "other")
        mcrun("suppress", "add", "--reason", "unsubscribed",
              "bounce+henry@example.test")
        conf = os.path.join(tmp, "mailcast.conf")
        with open(conf, "w") as f:
            f.write("[mailcast]\npublic_url = %s\nfrom = "
                    "news@example.test\nhelo = client.example.org\n"
                    "[relay pf]\nhost = %s:%d\ntls = none\n"
                    % (SITE, HOST, PF_PORT))
        log = os.path.join(tmp, "serve.log")
        srv = subprocess.Popen([mc, "-v", "--log", log, "--config", conf]
                               + store + ["serve", "--listen",
                                          "%s:%d" % (HOST, PORT),
                                          "--max-body", "4096"],
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        procs.append(srv)
        wait_port(PORT, srv)

        # --- 1. a form signup: pending, one message with the link ---
        alice = "bounce+alice@example.test"
        st, done_page = request("POST", "/subscribe/news",
                                "email=Bounce%2Balice%40Example.test&"
                                "name=Alice&website=", FORM)
        check(st == 200 and "check your mailbox" in done_page,
              "form signup: 200, check your mailbox (%d)" % st)
        check(status(alice) == "pending", "the contact is pending")
        cnt = mcrun("list", "count", "news").stdout
        check("pending=1" in cnt and "active=1" in cnt,
              "list count shows it pending: " + cnt.strip())
        got = wait_mail(alice)
        check(len(got) == 1, "one confirmation message in Dovecot (%d)"
              % len(got))
        body = got[0].get_payload(decode=True).decode() if got else ""
        link = [w for w in body.split() if w.startswith(SITE + "/confirm/")]
        check(len(link) == 1, "the message has the link public_url/confirm/"
              "TOKEN")
        path = link[0][len(SITE):] if link else "/confirm/x"
        check(got and got[0]["From"] == "news@example.test" and
              got[0]["Auto-Submitted"] == "auto-generated",
              "From: the configured from; Auto-Submitted")

        # --- 2. a campaign created now does not include the pending one ---
        tmpl = os.path.join(tmp, "t.tmpl")
        with open(tmpl, "w") as f:
            f.write("From: News <news@example.test>\nSubject: Hi\n\nHi\n")
        mcrun("--config", conf, "campaign", "create", "--name", "c1",
              "--list", "news", "--template", tmpl)
        q = sqlite3.connect(db)
        rows = q.execute("SELECT c.address FROM deliveries d JOIN contacts "
                         "c ON c.id = d.contact_id JOIN campaigns k ON "
                         "k.id = d.campaign_id WHERE k.name = 'c1'"
                         ).fetchall()
        q.close()
        check([r[0] for r in rows] == ["bounce+member@example.test"],
              "the campaign has the member and not the pending contact: %s"
              % rows)

        # --- 3. GET shows a button, changes nothing ---
        st, page = request("GET", path)
        check(st == 200 and 'method="post"' in page,
              "GET the link: 200, a page with a POST button (%d)" % st)
        check(status(alice) == "pending", "... and still pending")

        # --- 4. bad tokens: 404/410, nothing changes ---
        tok = path[len("/confirm/"):]
        st404, page404 = request("GET", "/no/such/path")
        bad = tok[:-1] + ("a" if tok[-1] != "a" else "b")
        for what, p in (("forged", "/confirm/" + b32(os.urandom(21))),
                        ("tampered", "/confirm/" + bad),
                        ("empty", "/confirm/"),
                        ("not base32", "/confirm/%2e%2e%2fetc")):
            for m in ("GET", "POST"):
                st, page = request(m, p, "confirm=1" if m == "POST" else None,
                                   FORM if m == "POST" else None)
                check(st == 404 and page == page404,
                      "%s token, %s: the one 404 (%d)" % (what, m, st))
        q = sqlite3.connect(db)
        key = bytes.fromhex(q.execute("SELECT key FROM token_keys WHERE "
                                      "signs = 1 ORDER BY id DESC LIMIT 1"
                                      ).fetchone()[0])
        cid = q.execute("SELECT id FROM contacts WHERE address = ?",
                        (alice,)).fetchone()[0]
        lid = q.execute("SELECT id FROM lists WHERE name = 'news'"
                        ).fetchone()[0]
        q.close()
        ckey = hmac.new(key, b"mailcast-confirm-v1", hashlib.sha256).digest()
        now = int(time.time())
        st, _ = request("GET", "/confirm/" + token(ckey, (now - 60) << 24 |
                                                   lid, cid))
        check(st == 200, "a token made here with the derived key verifies "
              "(so the next two fail for the reason they say) (%d)" % st)
        st, page = request("POST", "/confirm/" + token(key, now << 24 | lid,
                                                        cid), "confirm=1",
                           FORM)
        check(st == 404, "the same ids under the unsubscribe key (another "
              "purpose): 404 (%d)" % st)
        old = token(ckey, (now - 49 * 3600) << 24 | lid, cid)
        for m in ("GET", "POST"):
            st, page = request(m, "/confirm/" + old,
                               "confirm=1" if m == "POST" else None,
                               FORM if m == "POST" else None)
            check(st == 410 and "expired" in page and "sign up again" in page,
                  "expired token, %s: 410, says so and how to sign up again "
                  "(%d)" % (m, st))
        st, page = request("POST", path, "confirm=1",
                           dict(FORM, Origin="https://evil.example"))
        check(st == 403, "cross-site POST of the link: 403 (%d)" % st)
        check(status(alice) == "pending", "after every bad token: pending")

        # --- 5. POST the link: active, audited with the ip ---
        r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w",
                            "%{http_code}", "-X", "POST", "--data",
                            "confirm=1", "http://%s:%d%s" % (HOST, PORT,
                                                            path)],
                           capture_output=True, text=True, timeout=20)
        check(r.stdout == "200", "curl POST the link: 200 (%s)" % r.stdout)
        check(status(alice) == "active", "contact show says active")
        hist = mcrun("contact", "history", alice).stdout
        check("web 127.0.0.1" in hist and "pending -> active" in hist,
              "contact history: pending -> active by web 127.0.0.1")
        st, _ = request("POST", path, "confirm=1", FORM)
        check(st == 200 and status(alice) == "active",
              "POST the link again: 200, still active")

        # --- 6. repeats, honeypot, JSON, bad input ---
        bob = "bounce+bob@example.test"
        st, page = request("POST", "/subscribe/news", enc(email=bob), FORM)
        check(st == 200 and page == done_page, "bob signs up: the same page")
        st, page = request("POST", "/subscribe/news", enc(email=bob), FORM)
        check(st == 200 and page == done_page,
              "bob again within 24 h: the same page")
        st, page = request("POST", "/subscribe/news", enc(email=alice), FORM)
        check(st == 200 and page == done_page,
              "alice (an active member) again: the same page")
        carol = "bounce+carol@example.test"
        st, page = request("POST", "/subscribe/news",
                           enc(email=carol, website="http://spam"),
                           FORM)
        check(st == 200 and page == done_page,
              "honeypot filled: the same page")
        check(status(carol) is None, "honeypot: nothing stored")
        st, js = request("POST", "/subscribe/news", json.dumps(
            {"email": "bounce+dave@example.test", "name": "Dave",
             "attributes": {"city": "Oslo"}}), JSONH)
        check(st == 202 and json.loads(js)["status"] == "pending",
              "JSON signup, no Origin: 202 pending (%d)" % st)
        show = json.loads(mcrun("contact", "show",
                                "bounce+dave@example.test").stdout)
        check(show["attributes"] == {"city": "Oslo", "name": "Dave"},
              "JSON signup: name and attributes kept")
        st, js = request("POST", "/subscribe/news", json.dumps(
            {"email": "bounce+dave@example.test", "website": "x"}), JSONH)
        check(st == 202, "JSON honeypot: 202 the same")
        st, _ = request("POST", "/subscribe/news", json.dumps(
            {"email": "bounce+eve@example.test"}),
            dict(JSONH, Origin="https://evil.example"))
        check(st == 403 and status("bounce+eve@example.test") is None,
              "JSON from another site's page (Origin): 403, nothing stored")
        st, _ = request("POST", "/subscribe/news", "email=bounce%2Beve%40"
                        "example.test", dict(FORM, **{
                            "Sec-Fetch-Site": "cross-site"}))
        check(st == 403 and status("bounce+eve@example.test") is None,
              "form from another site (Sec-Fetch-Site): 403, nothing stored")
        st, page = request("POST", "/subscribe/nolist", enc(email=carol),
                           FORM)
        check(st == 404 and page == page404, "unknown list: the one 404")
        st, _ = request("POST", "/subscribe/news", "email=not-an-address",
                        FORM)
        check(st == 400, "bad address: 400 (%d)" % st)
        st, _ = request("POST", "/subscribe/news", "name=x", FORM)
        check(st == 400, "no address: 400 (%d)" % st)
        st, _ = request("POST", "/subscribe/news", "{not json", JSONH)
        check(st == 400, "bad JSON: 400 (%d)" % st)
        st, _ = request("POST", "/subscribe/news", json.dumps(
            {"email": "bounce+f@example.test", "attributes": {"a": 1}}),
            JSONH)
        check(st == 400 and status("bounce+f@example.test") is None,
              "attributes not strings: 400, nothing stored (%d)" % st)
        st, _ = request("POST", "/subscribe/news", "email=" + "a" * 5000,
                        FORM)
        check(st == 413, "body over --max-body: 413 (%d)" % st)
        st, _ = request("GET", "/subscribe/news")
        check(st == 405, "GET /subscribe/news: 405 (%d)" % st)
        codes = [request("POST", "/subscribe/news", "email=x", FORM,
                         src="127.0.0.2")[0] for _ in range(21)]
        check(codes[:20] == [400] * 20 and codes[20] == 429,
              "one client address: 20 signups an hour, then 429 (%s)"
              % codes[-2:])

        # an active contact of another list: a confirmation, and it joins
        # this list only when it confirms; an unsubscribed one: nothing
        grace = "bounce+grace@example.test"
        st, page = request("POST", "/subscribe/news", enc(email=grace), FORM)
        check(st == 200 and page == done_page,
              "grace (active on another list): the same page")
        lists = json.loads(mcrun("contact", "show", grace).stdout)["lists"]
        check(lists == ["other"], "... not on news before confirming (%s)"
              % lists)
        got = wait_mail(grace)
        gl = [w for w in (got[0].get_payload(decode=True).decode().split()
                          if got else []) if w.startswith(SITE)]
        st, _ = request("POST", gl[0][len(SITE):] if gl else "/confirm/x",
                        "confirm=1", FORM)
        show = json.loads(mcrun("contact", "show", grace).stdout)
        check(st == 200 and sorted(show["lists"]) == ["news", "other"] and
              show["status"] == "active",
              "grace confirms: on news too, still active (%d %s)"
              % (st, show["lists"]))
        henry = "bounce+henry@example.test"
        st, page = request("POST", "/subscribe/news", enc(email=henry), FORM)
        check(st == 200 and page == done_page,
              "henry (unsubscribed): the same page")
        check(status(henry) == "unsubscribed", "... still unsubscribed")

        # A last signup as a marker: the mailer sends in order, so once
        # its message is in, every earlier one would be too.
        frank = "bounce+frank@example.test"
        request("POST", "/subscribe/news", enc(email=frank), FORM)
        check(len(wait_mail(frank)) == 1, "the marker's message arrives")
        time.sleep(1)
        box = mailbox()
        count = {}
        for m in box:
            count[to_of(m)] = count.get(to_of(m), 0) + 1
        check(count.get(bob) == 1, "bob: one message for two signups (%s)"
              % count.get(bob))
        check(count.get(alice) == 1, "alice: no second message (%s)"
              % count.get(alice))
        check(carol not in count, "honeypot: no message")
        check(count.get("bounce+dave@example.test") == 1,
              "dave: one message for two JSON signups")
        check("bounce+member@example.test" not in count,
              "nothing to the member")
        check(henry not in count, "unsubscribed: no message")
        check(len(box) == 5, "five messages in all (%d)" % len(box))
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        for c in cleanup:
            helper(c, os.devnull)
        if failures:
            try:
                print(open(os.path.join(tmp, "serve.log")).read()[-3000:])
            except OSError:
                pass
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("%d failed" % len(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
