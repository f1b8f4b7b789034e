#!/usr/bin/python3
"""`mailcast serve`: click tracking and the open pixel (issue 13 item 4).

A campaign with --track-clicks --track-opens goes through mailcast's sink
(Maildir, 127.0.0.1:27300); `mailcast serve` answers on 127.0.0.1:27301.

1. Links of the text and HTML parts are rewritten to
   https://PUBLIC/c/TOKEN-IDX-MAC (the plain URLs are gone); an href with a
   merge field is left alone; the HTML has the pixel /o/TOKEN-MAC.gif.
2. GET /c/... -> 302 to the stored URL (HTML's &amp; decoded), counted per
   link and contact (`campaign report` shows clicks per link).
3. Tampered MAC, another link index under a valid MAC, a token of another
   recipient with this MAC, garbage, an empty token, a slash -> the one
   404 (same bytes as an unknown path), nothing counted; POST -> 405.
4. /o/...gif -> 200 image/gif 1x1, counted; tampered -> 404.
5. `contact erase` deletes the contact's clicks.
6. Without --track-clicks nothing is rewritten.

Usage: serve_track.py PATH/TO/mailcast
"""
import email
import glob
import http.client
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "helpers"))
from checks import check, failures, wait_port  # noqa: E402

HOST = "127.0.0.1"
SINK_PORT = 27300
PORT = 27301


def request(method, path):
    """One request: (status, headers dict, body)."""
    c = http.client.HTTPConnection(HOST, PORT, timeout=10)
    c.request(method, path)
    r = c.getresponse()
    data = r.read()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    c.close()
    return r.status, hdrs, data


def bodies(md, skip=()):
    """Each delivered message (but skip) as (to, text part, html part)."""
    out = []
    for path in sorted(glob.glob(os.path.join(md, "new", "*"))):
        if path in skip:
            continue
        with open(path, "rb") as fp:
            m = email.message_from_binary_file(fp)
        text = html = ""
        for part in m.walk():
            if part.get_content_type() == "text/plain":
                text = part.get_payload(decode=True).decode()
            elif part.get_content_type() == "text/html":
                html = part.get_payload(decode=True).decode()
        out.append((m["To"].strip("<> "), text, html))
    return out


def main():
    mc = os.path.realpath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="mailcast-track.")
    procs = []
    db = os.path.join(tmp, "t.db")
    store = ["--store", "sqlite:" + db]
    conf = os.path.join(tmp, "mailcast.conf")

    def mcrun(*args, check_rc=True):
        r = subprocess.run([mc, "--config", conf] + store + list(args),
                           capture_output=True, text=True, timeout=60)
        if check_rc and r.returncode != 0:
            raise SystemExit("mailcast %s: %s %s" % (args, r.returncode,
                                                     r.stderr))
        return r

    def hits(sql="SELECT count(*) FROM track_hits"):
        con = sqlite3.connect(db)
        n = con.execute(sql).fetchone()[0]
        con.close()
        return n

    try:
        with open(conf, "w") as f:
            f.write("[mailcast]\npublic_url = https://lists.news.example\n")
        with open(os.path.join(tmp, "l.csv"), "w") as f:
            f.write("email,first_name,id\n")
            for i in range(4):
                f.write("user%d@d.example,N%d,%d\n" % (i, i, i))
        tmpl = os.path.join(tmp, "t.tmpl")
        with open(tmpl, "w") as f:
            f.write("From: News <news@news.example>\nSubject: Hi\n\n"
                    "Hello {{first_name}}, see https://shop.example/a?x=1.\n"
                    "Yours: https://shop.example/u?id={{id}}\n"
                    "%% html\n<html><body><p>Hello "
                    "<a href=\"https://shop.example/b?p=1&amp;q=2\">b</a> "
                    "<a href=\"https://shop.example/a?x=1\">a</a> "
                    "<a href=\"https://shop.example/u?id={{id}}\">u</a>"
                    "</p></body></html>\n")
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
        mcrun("broadcast", "--name", "one", *send, "--track-clicks",
              "--track-opens")
        msgs = bodies(md)
        check(len(msgs) == 4, "4 messages delivered (%d)" % len(msgs))

        # --- 1. rewritten links ---
        link_re = re.compile(r"https://lists\.news\.example(/c/[a-z2-7]+-"
                             r"[0-9]+-[0-9a-f]{16})")
        pix_re = re.compile(r'<img src="https://lists\.news\.example'
                            r'(/o/[a-z2-7]+-[0-9a-f]{16}\.gif)" width="1" '
                            r'height="1" alt="">')
        links = {}
        pixels = {}
        for to, text, html in msgs:
            tl = link_re.findall(text)
            hl = link_re.findall(html)
            links[to] = (tl, hl)
            p = pix_re.findall(html)
            pixels[to] = p[0] if p else None
        to0 = "user0@d.example"
        tl, hl = links[to0]
        check(len(tl) == 1 and len(hl) == 2,
              "text has 1 tracked link, HTML 2 (%d, %d)" % (len(tl), len(hl)))
        text0 = [t for to, t, h in msgs if to == to0][0]
        html0 = [h for to, t, h in msgs if to == to0][0]
        check("https://shop.example/a" not in text0 and
              "shop.example/b" not in html0,
              "the plain URLs are gone from both parts")
        check("https://shop.example/u?id=0" in text0 and
              'href="https://shop.example/u?id=0"' in html0,
              "a URL with a merge field is left alone")
        check(text0.rstrip().endswith("?id=0") and ", see https://lists."
              in text0 and text0.count(".\n") >= 1,
              "the full stop after a text URL stays outside the link")
        check(all(pixels.values()) and
              html0.index("<img") < html0.index("</body>"),
              "every HTML part has the pixel, before </body>")

        # --- 2. clicks ---
        srv = subprocess.Popen([mc, "--config", conf] + store +
                               ["serve", "--listen", "%s:%d" % (HOST, PORT)],
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        procs.append(srv)
        wait_port(PORT, srv)
        st, h, _ = request("GET", hl[0])
        check(st == 302 and h.get("location") ==
              "https://shop.example/b?p=1&q=2",
              "href link -> 302 to the stored URL, &amp; decoded (%s %s)"
              % (st, h.get("location")))
        st, h, _ = request("GET", tl[0])
        check(st == 302 and h.get("location") == "https://shop.example/a?x=1",
              "text link -> 302 to its stored URL")
        check(tl[0] == hl[1], "the same URL in text and HTML: one link")
        st, h, _ = request("GET", tl[0])
        tl1 = links["user1@d.example"][0][0]
        request("GET", tl1)
        check(hits() == 4, "4 clicks counted (%d)" % hits())
        r = mcrun("campaign", "report", "one")
        check(re.search(r"\n  3\s+2\s+https://shop\.example/a\?x=1\n",
                        r.stdout) is not None and
              re.search(r"\n  1\s+1\s+https://shop\.example/b\?p=1&amp;q=2"
                        r"\n", r.stdout) is not None,
              "campaign report: clicks and contacts per link\n" + r.stdout)

        # --- 3. tampering ---
        _, _, nf = request("GET", "/no/such/path")
        tok, idx, mac = hl[0][3:].split("-")
        other = links["user1@d.example"][1][0][3:].split("-")
        bad = [
            "/c/%s-%s-%s" % (tok, idx, mac[:-1] + ("0" if mac[-1] != "0"
                                                   else "1")),
            "/c/%s-%s-%s" % (tok, "1" if idx == "0" else "0", mac),
            "/c/%s-%s-%s" % (other[0], idx, mac),
            "/c/%s-0%s-%s" % (tok, idx, mac),
            "/c/%s-99-%s" % (tok, mac),
            "/c/%s-%s-%s" % (tok[:-1] + ("a" if tok[-1] != "a" else "b"),
                             idx, mac),
            "/c/", "/c/garbage", "/c/%s" % tok, "/c/a/b",
            "/c/%s-%s-%s/x" % (tok, idx, mac),
            "/c/%s--%s" % (tok, mac),
            "/c/%s-%s-%sxx" % (tok, idx, mac),
            "/c/%s-%s-https://evil.example/" % (tok, idx),
            "/o/garbage.gif", "/o/%s.gif" % tok,
        ]
        before = hits()
        for p in bad:
            st, h, body = request("GET", p)
            check(st == 404 and body == nf and "location" not in h,
                  "tampered %s -> the one 404" % p)
        check(hits() == before, "nothing counted for tampered tokens")
        st, h, _ = request("POST", hl[0])
        check(st == 405, "POST /c/... -> 405")

        # --- 4. the pixel ---
        st, h, body = request("GET", pixels[to0])
        check(st == 200 and h.get("content-type") == "image/gif" and
              body[:6] == b"GIF89a" and body[6:10] == b"\x01\x00\x01\x00",
              "pixel -> 200 1x1 GIF")
        check(hits("SELECT count(*) FROM track_hits WHERE idx = -1") == 1,
              "... counted as an open")
        p = pixels[to0].replace(".gif", "")[:-1] + "0.gif"
        if p == pixels[to0]:
            p = pixels[to0].replace(".gif", "")[:-1] + "1.gif"
        st, _, _ = request("GET", p)
        check(st == 404, "tampered pixel -> 404")

        # --- 5. erasure ---
        n0 = hits("SELECT count(*) FROM track_hits h JOIN contacts c ON "
                  "c.id = h.contact_id WHERE c.address = '%s'" % to0)
        check(n0 == 4, "user0 has 3 clicks and 1 open (%d)" % n0)
        mcrun("contact", "erase", to0)
        check(hits() == 1, "contact erase deletes its clicks and opens "
              "(left: %d)" % hits())

        # --- 6. off by default ---
        seen = set(glob.glob(os.path.join(md, "new", "*")))
        mcrun("broadcast", "--name", "two", *send)
        msgs = bodies(md, seen)
        check(msgs and all("/c/" not in t and "/c/" not in h and
                           "/o/" not in h for _, t, h in msgs),
              "without --track-clicks nothing is rewritten")
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("%d failed" % len(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
