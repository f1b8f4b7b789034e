#!/usr/bin/python3
"""`mailcast serve`: RFC 8058 one-click unsubscribe end to end, and every
bad input of issue 13 that touches what serve does today.

A campaign goes through mailcast's own sink (Maildir, 127.0.0.1:26720);
`mailcast serve` answers on 127.0.0.1:26721 with --header-timeout 2
--max-conns-per-ip 4 --max-body 1024.  Real clients: curl (the POST
exactly as a mailbox provider sends it), Python's http.client and raw
sockets for what no polite client sends.

1. The List-Unsubscribe URL of a delivered message: its path is the route;
   GET shows a page with a POST button and changes nothing, sets no cookie.
2. curl POST List-Unsubscribe=One-Click (form-urlencoded) -> 200, `list
   show` says unsubscribed, the address is suppressed; again -> 200, one
   event; multipart/form-data works too; the next campaign skips both.
3. Forged / tampered / unknown tokens -> the same 404 as an unknown path,
   nothing changes; a POST without the pair -> 400, nothing changes.
4. Bodies over --max-body -> 413 (Content-Length and chunked); malformed
   request lines and headers -> 400; a huge header -> 431; path traversal
   -> 404, no file; wrong methods -> 405.
5. Slowloris: connections trickling a header are cut at the header
   deadline however active; the 5th from one address is refused while the
   server still answers others at once.
6. X-Forwarded-For believed only from a --trusted-proxy.
7. SIGHUP with a broken mailcast.conf keeps serving; SIGTERM lets a request
   in progress finish, closes idle connections, exits 0.
8. --tls-cert/--tls-key serve HTTPS; bad options exit 78 with the reason.

Usage: serve_unsubscribe.py PATH/TO/mailcast
"""
import email
import glob
import http.client
import os
import shutil
import signal
import socket
import ssl
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "helpers"))
from checks import check, failures, wait_port  # noqa: E402

HOST = "127.0.0.1"
SINK_PORT = 26720
PORT = 26721
PORT2 = 26722


def request(method, path, body=None, headers=None, port=PORT):
    """One request with http.client: (status, headers dict, body)."""
    c = http.client.HTTPConnection(HOST, port, timeout=10)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    c.close()
    return r.status, hdrs, data


def raw(data, port=PORT, src=HOST, wait=5):
    """Send raw bytes; what comes back until the server closes or wait."""
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(wait)
    s.connect((HOST, port))
    s.sendall(data)
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    return out


def status_of(resp):
    """The status code of a raw response, or 0."""
    try:
        return int(resp.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0


def main():
    mc = os.path.realpath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="mailcast-serve.")
    procs = []
    db = os.path.join(tmp, "t.db")
    store = ["--store", "sqlite:" + db]

    def mcrun(*args, check_rc=True):
        r = subprocess.run([mc] + store + list(args), capture_output=True,
                           text=True, timeout=60)
        if check_rc and r.returncode != 0:
            raise SystemExit("mailcast %s: %s %s" % (args, r.returncode,
                                                     r.stderr))
        return r

    def status(addr):
        for line in mcrun("list", "show", "l").stdout.splitlines():
            f = line.split()
            if f and f[0] == addr:
                return f[1]
        return None

    def nsupp():
        return len(mcrun("suppress", "list").stdout.splitlines())

    def start_serve(port, *extra, conf=None):
        log = os.path.join(tmp, "serve-%d.log" % port)
        args = [mc, "-v", "--log", log] + store
        if conf:
            args += ["--config", conf]
        p = subprocess.Popen(args + ["serve", "--listen", "%s:%d" % (HOST, port)]
                             + list(extra), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        procs.append(p)
        wait_port(port, p)
        return p, log

    try:
        with open(os.path.join(tmp, "l.csv"), "w") as f:
            f.write("email,first_name\n")
            for i in range(8):
                f.write("user%d@d%d.example,N%d\n" % (i, i % 2, i))
        tmpl = os.path.join(tmp, "t.tmpl")
        with open(tmpl, "w") as f:
            f.write("From: News <news@news.example>\nSubject: Hi\n\n"
                    "Hello {{first_name}}: {{unsubscribe_url}}\n")
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
                "--tls", "none", "--quiet"]
        conf = os.path.join(tmp, "mailcast.conf")
        with open(conf, "w") as f:
            f.write("[mailcast]\npublic_url = https://lists.news.example\n")
        r = mcrun("campaign", "create", "--name", "c0", *send[:-1])
        check("warning: no server is configured to answer the one-click"
              in r.stderr, "campaign create without public_url warns")
        r = mcrun("--config", conf, "campaign", "create", "--name", "c1",
                  *send[:-1])
        check("warning" not in r.stderr,
              "... and not with public_url in mailcast.conf")
        r = mcrun("--config", conf, "campaign", "create", "--name", "c2",
                  *send[:-1], "--unsubscribe-url", "https://x.example/u/")
        check("is not the one `mailcast serve` answers" in r.stderr,
              "... nor with another --unsubscribe-url (warns)")
        mcrun("--config", conf, "broadcast", "--name", "one", *send)

        # the List-Unsubscribe URL of each delivered message, by recipient
        urls = {}
        for path in glob.glob(os.path.join(md, "new", "*")):
            with open(path, "rb") as fp:
                m = email.message_from_binary_file(fp)
            lu = " ".join(m["List-Unsubscribe"].split())
            urls[m["To"].strip("<> ")] = lu.split("<")[1].split(">")[0]
            check(m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click",
                  "message has List-Unsubscribe-Post: One-Click")
        check(len(urls) == 8, "8 messages delivered (%d)" % len(urls))
        srv, log = start_serve(PORT, "--header-timeout", "2",
                               "--max-conns-per-ip", "4", "--max-body",
                               "1024", conf=conf)

        # --- 1. the URL's path is the route; GET changes nothing ---
        a, b, c = "user0@d0.example", "user1@d1.example", "user2@d0.example"
        url_a = urls[a]
        path_a = "/" + url_a.split("://", 1)[1].split("/", 1)[1]
        check(url_a.startswith("https://lists.news.example/unsubscribe/"),
              "List-Unsubscribe is public_url + /unsubscribe/TOKEN")
        st, h, body = request("GET", "/healthz")
        check(st == 200 and body == b"ok\n", "/healthz 200 ok")
        st, h, body = request("GET", path_a)
        check(st == 200 and b'<form method="post">' in body and
              b'name="List-Unsubscribe" value="One-Click"' in body,
              "GET shows a confirmation page with a POST button")
        check("set-cookie" not in h, "... and sets no cookie")
        check(h.get("referrer-policy") == "no-referrer",
              "... with Referrer-Policy: no-referrer (the token is in "
              "the URL)")
        st, h, body = request("HEAD", path_a)
        check(st == 200 and status(a) == "active",
              "GET and HEAD change nothing: still active")

        # --- 2. RFC 8058 POST as a mailbox provider sends it (curl) ---
        before = nsupp()
        r = subprocess.run(["curl", "-s", "-i", "-X", "POST", "-H",
                            "Content-Type: application/x-www-form-urlencoded",
                            "--data", "List-Unsubscribe=One-Click",
                            "http://%s:%d%s" % (HOST, PORT, path_a)],
                           capture_output=True, timeout=30)
        check(r.stdout.startswith(b"HTTP/1.1 200"),
              "curl one-click POST -> 200")
        check(b"set-cookie" not in r.stdout.lower(), "... no cookie")
        check(status(a) == "unsubscribed", "list show: unsubscribed")
        sl = mcrun("suppress", "list").stdout
        check(a in sl and "unsubscribed" in sl and "one-click 127.0.0.1" in sl,
              "the address is suppressed as unsubscribed, source one-click")
        st, _, _ = request("POST", path_a, "List-Unsubscribe=One-Click",
                           {"Content-Type":
                            "application/x-www-form-urlencoded"})
        check(st == 200, "the same POST again -> 200 (idempotent)")
        con = sqlite3.connect(db)
        nev = con.execute("SELECT count(*) FROM events WHERE kind = "
                          "'unsubscribe'").fetchone()[0]
        con.close()
        check(nev == 1 and nsupp() == before + 1,
              "... one event, one suppression (%d events)" % nev)
        # the preferences: resubscribe (CSRF-checked), then again out
        st, _, body = request("GET", path_a)
        check(st == 200 and b'name="resubscribe"' in body,
              "GET when unsubscribed: the preferences (a resubscribe "
              "button)")
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        st, _, _ = request("POST", path_a, "resubscribe=1",
                           dict(form, Origin="https://evil.example"))
        check(st == 403 and status(a) == "unsubscribed",
              "resubscribe from another site's form (Origin) -> 403, "
              "unchanged")
        st, _, _ = request("POST", path_a, "resubscribe=1",
                           dict(form, **{"Sec-Fetch-Site": "cross-site"}))
        check(st == 403, "... (Sec-Fetch-Site: cross-site) -> 403")
        st, _, body = request("POST", path_a, "resubscribe=1",
                              dict(form, Origin="http://%s:%d" %
                                   (HOST, PORT)))
        sl = mcrun("suppress", "list").stdout
        check(st == 200 and status(a) == "active" and a not in sl,
              "resubscribe from its own page -> 200, active, not "
              "suppressed")
        st, _, _ = request("POST", path_a,
                           "List-Unsubscribe=One%2dClick\r\n", form)
        check(st == 200 and status(a) == "unsubscribed",
              "one-click again at once, percent-encoded with a line end "
              "after it -> unsubscribed again")
        f_addr = "user5@d1.example"
        mcrun("suppress", "add", f_addr, "--reason", "hard-bounce")
        st, _, _ = request("POST", urls[f_addr].split("news.example", 1)[1],
                           "resubscribe=1", form)
        check(st == 409 and "hard-bounce" in mcrun("suppress",
                                                   "list").stdout,
              "resubscribe of a hard-bounced address -> 409, still "
              "suppressed")
        mcrun("suppress", "remove", f_addr)
        # unsubscribed first, then a bounce: the suppression keeps its
        # first reason (unsubscribed), the contact says bounced; the page
        # must not make it active again (found by the hostile pass)
        g_addr = "user6@d0.example"
        g_path = urls[g_addr].split("news.example", 1)[1]
        st, _, _ = request("POST", g_path, "List-Unsubscribe=One-Click",
                           form)
        mcrun("suppress", "add", g_addr, "--reason", "hard-bounce")
        g_before = status(g_addr)
        st, _, _ = request("POST", g_path, "resubscribe=1", form)
        check(st == 409 and status(g_addr) == g_before == "bounced" and
              g_addr in mcrun("suppress", "list").stdout,
              "unsubscribed then bounced: resubscribe -> 409, still "
              "bounced and suppressed (%d, %s)" % (st, status(g_addr)))
        st, _, _ = request("POST", g_path, "List-Unsubscribe=One-Click",
                           form)
        check(st == 200 and status(g_addr) == "bounced",
              "... a one-click POST leaves it bounced")
        r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w",
                            "%{http_code}", "-F",
                            "List-Unsubscribe=One-Click",
                            "http://%s:%d%s" % (HOST, PORT,
                                                                urls[b].split(
                                                    "news.example", 1)[1])],
                           capture_output=True, text=True, timeout=30)
        check(r.stdout == "200" and status(b) == "unsubscribed",
              "multipart/form-data POST -> 200, unsubscribed")

        # --- 3. forged, tampered, unknown: 404, nothing changes ---
        before = nsupp()
        tok = path_a.rsplit("/", 1)[1]
        c_tok = urls[c].rsplit("/", 1)[1]
        flip = c_tok[:-1] + ("a" if c_tok[-1] != "a" else "b")
        st0, _, body0 = request("GET", "/no/such/page")
        for name, t in (("tampered", flip), ("made up", "a" * 21),
                        ("too long", c_tok * 3), ("empty", ""),
                        ("not base32", c_tok[:-1] + "!")):
            st, h, body = request("POST", "/unsubscribe/" + t,
                                  "List-Unsubscribe=One-Click",
                                  {"Content-Type":
                                   "application/x-www-form-urlencoded"})
            check(st == 404 and body == body0,
                  "%s token -> 404, the body of any unknown path" % name)
        check(status(c) == "active" and nsupp() == before,
              "... nothing changed")
        st, _, _ = request("POST", urls[c].split("lists.news.example", 1)[1],
                           "List-Unsubscribe=Yes",
                           {"Content-Type":
                            "application/x-www-form-urlencoded"})
        check(st == 400 and status(c) == "active",
              "POST without List-Unsubscribe=One-Click -> 400, unchanged")
        st, _, _ = request("POST", "/unsubscribe/" + flip, "x=y")
        check(st == 400, "... (checked before the token: no hint)")

        # --- 4. limits and malformed input ---
        c_path = urls[c].split("lists.news.example", 1)[1]
        resp = raw(("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: "
                    "application/x-www-form-urlencoded\r\nContent-Length: "
                    "5000\r\n\r\n" % c_path).encode())
        check(status_of(resp) == 413, "Content-Length 5000 > 1024 -> 413")
        big = b"List-Unsubscribe=One-Click&" + b"x" * 3000
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(big[i:i + 500]),
                                            big[i:i + 500])
                          for i in range(0, len(big), 500)) + b"0\r\n\r\n"
        resp = raw(("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: "
                    "application/x-www-form-urlencoded\r\nTransfer-Encoding:"
                    " chunked\r\n\r\n" % c_path).encode() + chunks)
        check(status_of(resp) == 413, "a chunked body over 1024 -> 413")
        check(status(c) == "active", "... and nothing changed")
        for what, data in (
                ("garbage request line", b"GARBAGE\r\n\r\n"),
                ("a TLS hello on the plain port",
                 b"\x16\x03\x01\x00\x05hello\r\n\r\n")):
            # libmicrohttpd closes on a request line that is not HTTP at
            # all, answering nothing (docs/serve.md); nothing else happens.
            resp = raw(data)
            check(resp == b"" or status_of(resp) == 400,
                  "%s -> closed (%r)" % (what, resp[:40]))
        for what, data in (
                ("bad HTTP version",
                 b"GET / FOO/1.1\r\nHost: x\r\n\r\n"),
                ("header without a colon",
                 b"GET /healthz HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n"),
                ("no Host in HTTP/1.1", b"GET /healthz HTTP/1.1\r\n\r\n"),
                ("bad Content-Length",
                 b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: "
                 b"-5\r\n\r\n")):
            resp = raw(data)
            check(status_of(resp) == 400, "%s -> 400 (%r)" %
                  (what, resp[:40]))
        resp = raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " +
                   b"a" * 40000 + b"\r\n\r\n")
        check(status_of(resp) in (413, 431),
              "a 40 kB header -> 431 (%r)" % resp[:40])
        for p in ("/../../../../etc/passwd", "/unsubscribe/../../etc/passwd",
                  "/%2e%2e/%2e%2e/etc/passwd", "/unsubscribe/..%2f..%2fetc"):
            resp = raw(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close"
                        "\r\n\r\n" % p).encode())
            check(status_of(resp) == 404 and b"root:" not in resp,
                  "path traversal %s -> 404, no file" % p)
        st, h, _ = request("PUT", path_a, "x")
        check(st == 405 and "POST" in h.get("allow", ""),
              "PUT /unsubscribe/TOKEN -> 405 with Allow")
        st, _, _ = request("DELETE", "/healthz")
        check(st == 405, "DELETE /healthz -> 405")

        # --- 5. slowloris ---
        slow = []
        t0 = time.monotonic()
        for _ in range(4):
            s = socket.socket()
            s.bind(("127.0.0.2", 0))
            s.connect((HOST, PORT))
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            slow.append(s)
        time.sleep(0.3)
        extra = socket.socket()
        extra.bind(("127.0.0.2", 0))
        extra.settimeout(3)
        extra.connect((HOST, PORT))
        try:
            extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            got = extra.recv(100)
        except OSError:
            got = b""
        extra.close()
        check(got == b"", "a 5th connection from 127.0.0.2 is refused "
              "(--max-conns-per-ip 4)")
        t1 = time.monotonic()
        st, _, _ = request("GET", "/healthz")
        check(st == 200 and time.monotonic() - t1 < 0.5,
              "others are answered at once meanwhile")
        closed = [None] * len(slow)
        for s in slow:
            s.setblocking(False)
        while time.monotonic() - t0 < 6 and None in closed:
            for i, s in enumerate(slow):
                if closed[i] is not None:
                    continue
                try:
                    s.send(b"X")  # a byte now and then: never idle
                    if s.recv(100) == b"":
                        closed[i] = time.monotonic() - t0
                except BlockingIOError:
                    pass
                except OSError:
                    closed[i] = time.monotonic() - t0
            time.sleep(0.2)
        for s in slow:
            s.close()
        check(None not in closed and max(closed) < 4,
              "trickling headers are cut at the 2 s header deadline (%s)"
              % closed)

        # --- 6. X-Forwarded-For only from a trusted proxy ---
        d, e = "user3@d1.example", "user4@d0.example"
        xff = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Forwarded-For": "198.51.100.1, 203.0.113.9"}
        request("POST", urls[d].split("lists.news.example", 1)[1],
                "List-Unsubscribe=One-Click", xff)
        srv2, _ = start_serve(PORT2, "--trusted-proxy", "127.0.0.1")
        request("POST", urls[e].split("lists.news.example", 1)[1],
                "List-Unsubscribe=One-Click", xff, port=PORT2)
        h = "user7@d1.example"  # a trusted proxy's header that is no address
        request("POST", urls[h].split("lists.news.example", 1)[1],
                "List-Unsubscribe=One-Click",
                dict(xff, **{"X-Forwarded-For": "9.9.9.9, <b>x</b>\x1b[31m"}),
                port=PORT2)
        sl = {ln.split()[0]: ln for ln in
              mcrun("suppress", "list").stdout.splitlines()}
        check("one-click 127.0.0.1" in sl.get(h, "") and "<b>" not in
              mcrun("suppress", "list").stdout,
              "X-Forwarded-For that is not an address is not believed")
        check("one-click 127.0.0.1" in sl.get(d, ""),
              "X-Forwarded-For from an untrusted peer is ignored")
        check("one-click 203.0.113.9" in sl.get(e, ""),
              "... and believed (its last address) from --trusted-proxy")
        srv2.send_signal(signal.SIGTERM)
        srv2.wait(timeout=15)

        # --- 2b. the next campaign skips the unsubscribed ---
        mcrun("broadcast", "--name", "two", *send)
        who = mcrun("campaign", "who", "two", "--state",
                    "suppressed").stdout
        check(a in who and b in who and c not in who,
              "the next campaign skips them (suppressed rows)")
        n_a = 0
        for path in glob.glob(os.path.join(md, "new", "*")):
            with open(path, "rb") as fp:
                if email.message_from_binary_file(fp)["To"].strip(
                        "<> ") == a:
                    n_a += 1
        check(n_a == 1, "... and %s got one message in all (%d)" % (a, n_a))

        # --- 7. SIGHUP, SIGTERM ---
        with open(conf, "w") as f:
            f.write("[mailcast]\nno_such_key = 1\n")
        srv.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        st, _, _ = request("GET", "/healthz")
        with open(log) as fp:
            text = fp.read()
        check(st == 200 and "the old configuration stays" in text,
              "SIGHUP with a broken mailcast.conf: logged, still serving")
        with open(conf, "w") as f:
            f.write("[mailcast]\nrate = 50\n")
        srv.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        with open(log) as fp:
            check("reloaded" in fp.read(), "SIGHUP reloads")
        idle = socket.create_connection((HOST, PORT))
        busy = socket.create_connection((HOST, PORT))
        busy.settimeout(5)
        body = b"List-Unsubscribe=One-Click"
        busy.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: "
                      "application/x-www-form-urlencoded\r\nContent-Length:"
                      " %d\r\n\r\n" % (c_path, len(body))).encode() +
                     body[:10])
        time.sleep(0.3)
        srv.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        busy.sendall(body[10:])
        try:
            got = busy.recv(100)
        except OSError:
            got = b""
        check(status_of(got) == 200 and status(c) == "unsubscribed",
              "SIGTERM: the request in progress finishes (200)")
        idle.settimeout(3)
        try:
            gone = idle.recv(10) == b""
        except OSError:
            gone = True
        check(gone, "... the idle connection is closed")
        try:
            rc = srv.wait(timeout=15)
        except subprocess.TimeoutExpired:
            rc = None
        check(rc == 0, "... and serve exits 0 (%s)" % rc)
        err = srv.stderr.read().decode(errors="replace")
        check("ERROR: " not in err and "runtime error" not in err,
              "no sanitizer report: %s" % err[-600:])

        # --- 8. TLS (--tls-cert/--tls-key) and refused options ---
        key, crt = os.path.join(tmp, "k.pem"), os.path.join(tmp, "c.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-keyout", key, "-out", crt, "-days", "1",
                        "-subj", "/CN=127.0.0.1"], capture_output=True,
                       check=True, timeout=60)
        tls, _ = start_serve(PORT2, "--tls-cert", crt, "--tls-key", key)
        ctx = ssl.create_default_context(cafile=crt)
        ctx.check_hostname = False
        c = http.client.HTTPSConnection(HOST, PORT2, timeout=10, context=ctx)
        c.request("GET", "/healthz")
        r = c.getresponse()
        check(r.status == 200 and r.read() == b"ok\n",
              "--tls-cert/--tls-key: HTTPS /healthz 200 (certificate "
              "verified)")
        c.close()
        check(status_of(raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                            port=PORT2, wait=3)) == 0,
              "... plain HTTP to it gets no HTTP answer")
        tls.send_signal(signal.SIGTERM)
        check(tls.wait(timeout=15) == 0, "... and it stops on SIGTERM")
        for args, code, words in (
                (["--tls-cert", crt], 78, "go together"),
                (["--listen", "localhost:80x"], 78, "expected HOST:PORT"),
                (["--listen", "%s:%d" % (HOST, SINK_PORT)], 74,
                 "cannot listen on 127.0.0.1:%d (in use?" % SINK_PORT)):
            r = mcrun("serve", *args, check_rc=False)
            check(r.returncode == code and words in r.stderr,
                  "serve %s -> %d, %r (%s)" % (" ".join(args), code, words,
                                               r.stderr.strip()[-200:]))
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
