#!/usr/bin/python3
"""`mailcast serve`: the REST API /api/v1 against docs/openapi.yaml.

`mailcast serve` on 127.0.0.1:27200 (--max-body 4096), mailcast's own
sinks on 27201 (Maildir) and 27202 (discard).  Real clients: Python's
http.client, and curl for one call.

1. The route table of src/http/api.c and the paths and methods of
   docs/openapi.yaml are the same set; every other method on a documented
   path is a JSON 405 with Allow; unknown paths are a JSON 404.
2. Tokens: none, malformed, wrong secret, unknown id, revoked -> 401 with
   WWW-Authenticate: Bearer; a read token writing -> 403 and nothing
   changes; the store holds no secret (only SHA-256 hex).
3. Every route, every documented status: each answer's body validated
   against its schema (python3-jsonschema); at the end, every documented
   (path, method, status) must have been seen.
4. Cursor pagination walks a list page by page: every contact once.
5. Writes land in the store (ledger rows, suppression rows, attributes).
6. A campaign runs in another process on the same SQLite store while
   four clients write through the API: every write answered 2xx (503
   retried), none lost, and the campaign sends every row.

Usage: serve_api.py PATH/TO/mailcast SOURCE_DIR
"""
import http.client
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

import jsonschema
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "helpers"))
from checks import check, failures, wait_port  # noqa: E402

HOST = "127.0.0.1"
PORT = 27200
SINK_MD = 27201
SINK_BIG = 27202
NBIG = 1500
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]

seen = set()


class Spec:
    """docs/openapi.yaml: find an operation's response schema, validate."""

    def __init__(self, path):
        with open(path) as f:
            self.doc = yaml.safe_load(f)
        self.resolver = jsonschema.RefResolver.from_schema(self.doc)
        self.paths = {}
        for p, item in self.doc["paths"].items():
            rx = "^" + re.sub(r"\{[^}]+\}", "[^/]+", p) + "$"
            self.paths[p] = (re.compile(rx), item)

    def template(self, path):
        """The documented path a concrete one matches, or None."""
        path = path.split("?")[0]
        for p, (rx, _) in self.paths.items():
            if rx.match(path):
                return p
        return None

    def methods(self, tmpl):
        """The methods documented for tmpl (upper case)."""
        item = self.paths[tmpl][1]
        return {m.upper() for m in item if m.upper() in METHODS}

    def response(self, tmpl, method, status):
        """The response object for (tmpl, method, status), or None."""
        op = self.paths[tmpl][1].get(method.lower())
        if op is None:
            return None
        r = op["responses"].get(str(status))
        if r is not None and "$ref" in r:
            r = self.resolver.resolve(r["$ref"])[1]
        return r

    def validate(self, tmpl, method, status, body):
        """Errors of body against the schema, [] when it conforms."""
        r = self.response(tmpl, method, status)
        if r is None:
            return ["status %d is not documented" % status]
        schema = r["content"]["application/json"]["schema"]
        v = jsonschema.Draft202012Validator(schema, resolver=self.resolver)
        return [e.message for e in v.iter_errors(body)]

    def all_statuses(self):
        """Every documented (path, method, status)."""
        out = set()
        for p, (_, item) in self.paths.items():
            for m, op in item.items():
                if m.upper() in METHODS:
                    for s in op["responses"]:
                        out.add((p, m.upper(), int(s)))
        return out


def main():
    mc, src = os.path.abspath(sys.argv[1]), sys.argv[2]
    spec = Spec(os.path.join(src, "docs", "openapi.yaml"))
    tmp = tempfile.mkdtemp(prefix="mailcast-api.")
    db = os.path.join(tmp, "t.db")
    procs = []

    def mcrun(*args, ok=True):
        r = subprocess.run([mc, "--store", "sqlite:" + db] + list(args),
                           capture_output=True, text=True, timeout=120)
        if ok and r.returncode != 0:
            raise SystemExit("mailcast %s: %s" % (args, r.stderr))
        return r

    def bg(*args):
        p = subprocess.Popen([mc] + list(args), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        procs.append(p)
        return p

    def call(method, path, body=None, token=None, raw=None, headers=None,
             validate=True):
        """One API call: (status, headers, parsed body), validated."""
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = "Bearer " + token
        data = raw if raw is not None else (
            json.dumps(body) if body is not None else None)
        if data is not None:
            h["Content-Type"] = "application/json"
        c = http.client.HTTPConnection(HOST, PORT, timeout=30)
        c.request(method, "/api/v1" + path, body=data, headers=h)
        r = c.getresponse()
        text = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        c.close()
        try:
            js = json.loads(text) if text else None
        except ValueError:
            js = None
        check(hdrs.get("content-type") == "application/json",
              "%s %s -> %d is JSON" % (method, path, r.status))
        tmpl = spec.template(path)
        if validate and tmpl is not None and r.status != 405:
            errs = spec.validate(tmpl, method, r.status, js)
            check(errs == [], "%s %s -> %d matches its schema %s" %
                  (method, path, r.status, "; ".join(errs[:3])))
            seen.add((tmpl, method, r.status))
        return r.status, hdrs, js

    try:
        # 1. the route table and the file are the same set
        with open(os.path.join(src, "src", "http", "api.c")) as f:
            table = re.findall(r'\{"([a-z/*]+)", "([A-Z, ]+)", api_\w+\}',
                               f.read())
        impl = {(p.replace("*", "X"), m) for p, ms in table
                for m in ms.split(", ")}
        doc = {(re.sub(r"\{[^}]+\}", "X", p.lstrip("/")), m)
               for p in spec.paths for m in spec.methods(p)}
        check(len(impl) > 20 and impl == doc,
              "api.c's routes are exactly openapi.yaml's (only in code: %s;"
              " only documented: %s)" % (sorted(impl - doc),
                                         sorted(doc - impl)))

        with open(os.path.join(tmp, "news.csv"), "w") as f:
            f.write("email,first,city\n")
            for i in range(7):
                f.write("p%d@news.example,P%d,%s\n" %
                        (i, i, "Oslo" if i % 2 else "Rome"))
        mcrun("list", "import", os.path.join(tmp, "news.csv"), "--list",
              "news")
        with open(os.path.join(tmp, "big.csv"), "w") as f:
            f.write("email\n")
            for i in range(NBIG):
                f.write("b%d@d%d.example\n" % (i, i % 5))
        mcrun("list", "import", os.path.join(tmp, "big.csv"), "--list",
              "big")
        tmpl_file = os.path.join(tmp, "t.tmpl")
        with open(tmpl_file, "w") as f:
            f.write("From: News <news@news.example>\nSubject: Hi\n\n"
                    "Bye: {{unsubscribe_url}}\n")
        common = ["--template", tmpl_file, "--from", "news@news.example",
                  "--tls", "none", "--quiet"]
        wait_port(SINK_MD, bg("sink", "--listen", "%s:%d" % (HOST, SINK_MD),
                              "--maildir", os.path.join(tmp, "md"),
                              "--quiet"))
        mcrun("broadcast", "--name", "sent", "--list", "news", "--relay",
              "%s:%d" % (HOST, SINK_MD), *common)
        mcrun("campaign", "create", "--name", "later", "--list", "news",
              "--relay", "%s:%d" % (HOST, SINK_MD), *common)

        def token(scope):
            r = mcrun("--json", "token", "create", "--scope", scope,
                      "--name", "t-" + scope)
            return json.loads(r.stdout)
        w, rd, gone = token("write"), token("read"), token("write")
        W, R = w["token"], rd["token"]
        check(re.fullmatch(r"mcat_\d+_[0-9a-f]{64}", W) is not None,
              "token create prints mcat_ID_ and 64 hex digits")
        r = mcrun("token", "revoke", str(gone["id"]))
        check("revoked" in r.stdout, "token revoke ID")
        r = mcrun("token", "revoke", str(gone["id"]), ok=False)
        check(r.returncode == 66, "revoking it again: exit 66 (%d)" %
              r.returncode)
        r = mcrun("token", "list")
        check(W.split("_")[2] not in r.stdout and "revoked" in r.stdout
              and "t-read" in r.stdout,
              "token list shows names and states, never a secret")
        con = sqlite3.connect(db)
        rows = con.execute("SELECT hash, scope FROM api_tokens").fetchall()
        con.close()
        check(all(re.fullmatch("[0-9a-f]{64}", h) for h, _ in rows) and
              all(W.split("_")[2] not in h for h, _ in rows),
              "the store keeps only SHA-256 hex of each secret")
        r = mcrun("token", "create", "--scope", "admin", ok=False)
        check(r.returncode == 64 and "scope" in r.stderr,
              "token create --scope admin: exit 64 naming scope")

        srv = bg("--store", "sqlite:" + db, "serve", "--listen",
                 "%s:%d" % (HOST, PORT), "--max-body", "4096")
        wait_port(PORT, srv)

        # 2. tokens
        for what, tok in (("no token", None), ("malformed", "abc"),
                          ("wrong secret", W[:-4] + "0000"),
                          ("unknown id", "mcat_999_" + "a" * 64),
                          ("revoked", gone["token"])):
            st, h, js = call("GET", "/lists", token=tok)
            check(st == 401 and js["error"]["code"] == "unauthorized" and
                  h.get("www-authenticate", "").startswith("Bearer"),
                  "%s: 401 unauthorized with WWW-Authenticate: Bearer" %
                  what)
        st, _, js = call("GET", "/lists", token=R)
        check(st == 200 and [x["name"] for x in js["items"]] ==
              ["big", "news"], "read token: GET /lists -> both lists")
        st, _, js = call("POST", "/suppressions", {"entry": "x@ro.example"},
                         token=R)
        check(st == 403 and js["error"]["code"] == "forbidden",
              "read token POST -> 403 forbidden")
        st, _, js = call("DELETE", "/contacts/p1@news.example", token=R)
        check(st == 403, "read token DELETE -> 403")
        st, _, js = call("GET", "/suppressions/x@ro.example", token=R)
        check(st == 200 and js["suppressed"] is False,
              "... and nothing was written")
        curl = subprocess.run(
            ["curl", "-s", "-H", "Authorization: Bearer " + R,
             "http://%s:%d/api/v1/lists/news/count" % (HOST, PORT)],
            capture_output=True, text=True, timeout=30)
        check(json.loads(curl.stdout or "{}").get("count") == 7,
              "curl: GET /lists/news/count -> 7")

        st, _, js = call("GET", "/lists/news/count", token=R)
        check(st == 200 and js["statuses"]["active"] == 7,
              "GET /lists/news/count: 7 active")
        # every route refuses no token (401) and a read token writing (403)
        for p in spec.paths:
            concrete = (p.replace("{name}", "news")
                        .replace("{email}", "p0@news.example")
                        .replace("{entry}", "x@ro.example")
                        .replace("{id}", "1"))
            for m in spec.methods(p):
                st, _, js = call(m, concrete, {} if m != "GET" else None)
                check(st == 401, "%s %s without a token -> 401" % (m, p))
                if m != "GET":
                    st, _, js = call(m, concrete, {}, token=R)
                    check(st == 403, "%s %s with a read token -> 403" %
                          (m, p))

        # 1b. methods and paths outside the table
        for p in spec.paths:
            concrete = (p.replace("{name}", "news")
                        .replace("{email}", "p0@news.example")
                        .replace("{entry}", "x@ro.example")
                        .replace("{id}", "1"))
            for m in set(METHODS) - spec.methods(p):
                st, h, js = call(m, concrete, token=W, validate=False)
                check(st == 405 and set(h.get("allow", "").split(", ")) ==
                      spec.methods(p) and
                      js["error"]["code"] == "method_not_allowed",
                      "%s %s -> 405, Allow: %s" % (m, p,
                                                   h.get("allow")))
        for p in ("/", "/nope", "/lists/news", "/contacts/a/b/c/d",
                  "/campaigns/1/nope", "/tokens"):
            st, _, js = call("GET", p, token=W, validate=False)
            check(st == 404 and js["error"]["code"] == "not_found",
                  "GET %s -> 404 not_found" % p)

        # 3. every route
        st, _, js = call("GET", "/lists/nope/count", token=R)
        check(st == 404, "count of an unknown list -> 404")
        st, _, js = call("GET", "/lists?limit=0", token=R)
        check(st == 400 and js["error"].get("field") == "limit",
              "limit=0 -> 400 naming limit")
        st, _, js = call("GET", "/contacts?list=news&cursor=zz", token=R)
        check(st == 400 and js["error"].get("field") == "cursor",
              "a forged cursor -> 400 naming cursor")
        st, _, js = call("GET", "/contacts", token=R)
        check(st == 400 and js["error"].get("field") == "list",
              "contacts without list -> 400 naming list")
        st, _, js = call("GET", "/contacts?list=nope", token=R)
        check(st == 404, "contacts of an unknown list -> 404")
        st, _, js = call("GET", "/contacts?list=news&where=city%20%3D%20"
                         "%27Oslo%27", token=R)
        check(st == 200 and sorted(x["email"] for x in js["items"]) ==
              ["p1@news.example", "p3@news.example", "p5@news.example"],
              "where city = 'Oslo' -> p1, p3, p5")
        st, _, js = call("GET", "/contacts?list=news&where=city%20%3D",
                         token=R)
        check(st == 400 and js["error"].get("field") == "where",
              "a bad where -> 400 naming where")
        # 4. pagination
        got, cur, pages = [], None, 0
        while pages < 20:
            q = "/contacts?list=news&limit=3" + (
                "&cursor=" + cur if cur else "")
            st, _, js = call("GET", q, token=R)
            got += [x["email"] for x in js["items"]]
            pages += 1
            cur = js["next_cursor"]
            if cur is None:
                break
        check(pages == 3 and sorted(got) == got and len(set(got)) == 7,
              "limit=3: 3 pages, 7 contacts, each once (%d pages)" % pages)

        st, _, js = call("GET", "/contacts/p2@news.example", token=R)
        check(st == 200 and js["attributes"].get("first") == "P2",
              "GET a contact")
        st, _, js = call("GET", "/contacts/zz@news.example", token=R)
        check(st == 404 and js["error"]["code"] == "not_found",
              "GET an unknown contact -> 404")
        st, _, js = call("POST", "/contacts", {
            "email": "New@News.Example", "lists": ["news"],
            "attributes": {"first": "Nu", "score": 5}}, token=W)
        check(st == 201 and js["email"] == "New@news.example" or
              st == 201 and js["email"].lower() == "new@news.example",
              "POST /contacts -> 201 (%s)" % (js or {}).get("email"))
        st, _, js = call("POST", "/contacts", {"lists": ["news"]}, token=W)
        check(st == 422 and js["error"].get("field") == "email",
              "POST /contacts without email -> 422 naming email")
        st, _, js = call("POST", "/contacts", {"email": "not-an-address",
                                               "lists": ["news"]}, token=W)
        check(st == 422 and js["error"].get("field") == "email",
              "POST /contacts with a bad address -> 422 naming email")
        st, _, js = call("POST", "/contacts", raw="{oops", token=W)
        check(st == 400 and js["error"].get("field") == "body",
              "a body that is not JSON -> 400 naming body")
        st, _, js = call("POST", "/contacts", raw="x" * 5000, token=W)
        check(st == 413 and js["error"]["code"] == "too_large",
              "a body over --max-body -> 413 too_large (JSON)")
        st, _, js = call("PATCH", "/contacts/p2@news.example",
                         {"attributes": {"city": "Pisa", "first": ""}},
                         token=W)
        check(st == 200 and js["attributes"] == {"city": "Pisa"},
              "PATCH sets one attribute and removes another")
        st, _, js = call("PATCH", "/contacts/p2@news.example",
                         {"attributes": ["no"]}, token=W)
        check(st == 422 and js["error"].get("field") == "attributes",
              "PATCH attributes not an object -> 422")
        st, _, js = call("PATCH", "/contacts/zz@news.example",
                         {"attributes": {"a": "b"}}, token=W)
        check(st == 404, "PATCH an unknown contact -> 404")
        st, _, js = call("POST", "/contacts/p3@news.example/unsubscribe",
                         token=W)
        check(st == 200 and js["status"] == "unsubscribed",
              "unsubscribe -> status unsubscribed")
        st, _, js = call("POST", "/contacts/zz@news.example/unsubscribe",
                         token=W)
        check(st == 404, "unsubscribe an unknown contact -> 404")
        st, _, js = call("POST", "/contacts/p3@news.example/resubscribe",
                         {}, token=W)
        check(st == 422 and js["error"].get("field") == "reason",
              "resubscribe without a reason -> 422 naming reason")
        st, _, js = call("POST", "/contacts/p3@news.example/resubscribe",
                         {"reason": "asked by phone"}, token=W)
        check(st == 200 and js["status"] == "active",
              "resubscribe -> active")
        st, _, js = call("POST", "/contacts/zz@news.example/resubscribe",
                         {"reason": "x"}, token=W)
        check(st == 404, "resubscribe an unknown contact -> 404")
        st, _, js = call("DELETE", "/contacts/p6@news.example", token=W)
        check(st == 200 and js["deleted"] is True, "DELETE a contact")
        st, _, js = call("DELETE", "/contacts/p6@news.example", token=W)
        check(st == 404, "DELETE it again -> 404")

        st, _, js = call("POST", "/suppressions", {"entry": "@spam.example",
                                                   "reason": "complaint"},
                         token=W)
        check(st == 201 and js == {"entry": "@spam.example", "added": True},
              "POST /suppressions @domain -> 201")
        st, _, js = call("POST", "/suppressions", {"entry": "@spam.example"},
                         token=W)
        check(st == 200 and js["added"] is False, "again -> 200, not added")
        st, _, js = call("POST", "/suppressions", {"entry": "a@b.example",
                                                   "reason": "nope"},
                         token=W)
        check(st == 422 and js["error"].get("field") == "reason",
              "a bad reason -> 422 naming reason")
        st, _, js = call("POST", "/suppressions", {"entry": "no address"},
                         token=W)
        check(st == 422 and js["error"].get("field") == "entry",
              "a bad entry -> 422 naming entry")
        st, _, js = call("POST", "/suppressions", raw="[1]", token=W)
        check(st == 400, "a body that is not an object -> 400")
        st, _, js = call("GET", "/suppressions/who@spam.example", token=R)
        check(st == 200 and js["suppressed"] is True,
              "check an address of a suppressed domain -> suppressed")
        st, _, js = call("GET", "/suppressions/not%20an%20address", token=R)
        check(st == 422, "check a non-address -> 422")
        call("POST", "/suppressions", {"entry": "keep@ro.example"}, token=W)
        st, _, js = call("GET", "/suppressions?limit=1", token=R)
        check(st == 200 and len(js["items"]) == 1 and js["next_cursor"],
              "GET /suppressions?limit=1 -> one and a cursor")
        st, _, js = call("GET", "/suppressions?limit=abc", token=R)
        check(st == 400, "limit=abc -> 400")
        st, _, js = call("DELETE", "/suppressions/@spam.example", token=W)
        check(st == 200 and js["removed"] is True, "DELETE a suppression")
        st, _, js = call("DELETE", "/suppressions/@spam.example", token=W)
        check(st == 404, "DELETE it again -> 404")

        st, _, js = call("GET", "/campaigns", token=R)
        names = {x["name"]: x for x in js["items"]}
        check(st == 200 and set(names) == {"sent", "later"},
              "GET /campaigns -> sent, later")
        cid, lid = names["sent"]["id"], names["later"]["id"]
        body = {"name": "api-made", "list": "news",
                "where": "city = 'Rome'",
                "template": "From: News <news@news.example>\nSubject: "
                            "Hi {{first}}\n\nBye: {{unsubscribe_url}}\n",
                "settings": {"from": "news@news.example",
                             "relay": "%s:%d" % (HOST, SINK_MD),
                             "tls": "none"}}
        st, _, js = call("POST", "/campaigns", body, token=W)
        check(st == 201 and js["name"] == "api-made" and
              js["status"] == "draft" and js["recipients"] == 2,
              "POST /campaigns: a draft of the 2 contacts still in Rome (%s)"
              % 
              (js or {}).get("recipients"))
        made = js["id"] if st == 201 else 0
        st, _, js = call("POST", "/campaigns", raw="[", token=W)
        check(st == 400, "POST /campaigns with broken JSON -> 400")
        r = mcrun("--json", "campaign", "show", str(made), ok=False)
        check(r.returncode == 0 and "Hi {{first}}" in r.stdout,
              "... `campaign show` has its template frozen in the store")
        for what, change, field in (
                ("no name", {"name": None}, "name"),
                ("a taken name", {}, "name"),
                ("an unknown list", {"name": "x1", "list": "nope"}, "list"),
                ("a bad where", {"name": "x2", "where": "city ="}, "where"),
                ("an unknown merge field", {"name": "x3", "template":
                                            "Subject: {{nope}}\n\nx\n"},
                 "template"),
                ("a server file", {"name": "x4", "settings": dict(
                    body["settings"], **{"ca-file": tmpl_file})},
                 "settings"),
                ("an unknown option", {"name": "x5", "settings": {
                    "frm": "a@b.example"}}, "settings")):
            b = {k: v for k, v in dict(body, **change).items()
                 if v is not None}
            st, _, js = call("POST", "/campaigns", b, token=W)
            check(st == 422 and js["error"].get("field") == field and
                  (what != "a server file" or
                   "server file" in js["error"]["message"]),
                  "POST /campaigns with %s -> 422 naming %s (%s %s)" %
                  (what, field, st, (js or {}).get("error")))
        st, _, js = call("GET", "/campaigns?limit=abc", token=R)
        check(st == 400, "campaigns limit=abc -> 400")
        st, _, js = call("GET", "/campaigns/%d" % cid, token=R)
        check(st == 200 and js["name"] == "sent", "GET /campaigns/ID")
        for sub in ("", "/status", "/report", "/who"):
            st, _, js = call("GET", "/campaigns/999%s" % sub, token=R)
            check(st == 404, "GET /campaigns/999%s -> 404" % sub)
        st, _, js = call("GET", "/campaigns/%d/status" % cid, token=R)
        check(st == 200 and js["status"] == "done" and
              js["states"]["sent"] == 7, "status: done, 7 sent")
        st, _, js = call("GET", "/campaigns/%d/report" % cid, token=R)
        check(st == 200 and js["total"] == 7, "report: 7 rows")
        st, _, js = call("GET", "/campaigns/%d/who?state=sent&limit=5" % cid,
                         token=R)
        check(st == 200 and len(js["items"]) == 5 and js["next_cursor"],
              "who?state=sent&limit=5 -> 5 and a cursor")
        st, _, js = call("GET", "/campaigns/%d/who?state=nope" % cid,
                         token=R)
        check(st == 400 and js["error"].get("field") == "state",
              "who?state=nope -> 400 naming state")
        st, _, js = call("GET", "/bounces", token=R)
        check(st == 200 and js["items"] == [], "GET /bounces: none")
        st, _, js = call("GET", "/bounces?campaign=%d" % cid, token=R)
        check(st == 200, "GET /bounces?campaign=ID")
        st, _, js = call("GET", "/bounces?campaign=x", token=R)
        check(st == 400, "bounces?campaign=x -> 400")
        st, _, js = call("GET", "/bounces?campaign=999", token=R)
        check(st == 404, "bounces of an unknown campaign -> 404")
        st, _, js = call("POST", "/campaigns/%d/schedule" % lid,
                         {"at": "2099-01-01T09:00:00Z"}, token=W)
        con = sqlite3.connect(db)
        at = con.execute("SELECT scheduled_at FROM campaigns WHERE id = ?",
                         (lid,)).fetchone()[0]
        con.close()
        check(st == 200 and at == 4070941200,
              "schedule: scheduled_at in the store (%s)" % at)
        st, _, js = call("POST", "/campaigns/%d/schedule" % lid,
                         {"at": "2001-01-01T00:00:00Z"}, token=W)
        check(st == 422, "schedule in the past -> 422")
        st, _, js = call("POST", "/campaigns/%d/schedule" % lid, {},
                         token=W)
        check(st == 422 and js["error"].get("field") == "at",
              "schedule without at -> 422 naming at")
        for sub, body in (("schedule", {"at": "none"}), ("start", None),
                          ("pause", None)):
            st, _, js = call("POST", "/campaigns/999/%s" % sub, body,
                             token=W)
            check(st == 404, "POST /campaigns/999/%s -> 404" % sub)
        st, _, js = call("POST", "/campaigns/%d/start" % cid, token=W)
        check(st == 422, "start a done campaign -> 422")
        t0 = int(time.time())
        st, _, js = call("POST", "/campaigns/%d/start" % lid, token=W)
        con = sqlite3.connect(db)
        at = con.execute("SELECT scheduled_at FROM campaigns WHERE id = ?",
                         (lid,)).fetchone()[0]
        con.close()
        check(st == 200 and at is not None and t0 <= at <= time.time(),
              "start: scheduled_at = now for serve's runner (%s)" % at)
        st, _, js = call("POST", "/campaigns/%d/pause" % lid, token=W)
        check(st == 200 and js["status"] == "paused", "pause -> paused")

        # 6. a campaign in the same store while the API writes
        wait_port(SINK_BIG, bg("sink", "--listen",
                               "%s:%d" % (HOST, SINK_BIG), "--discard",
                               "--quiet"))
        mcrun("campaign", "create", "--name", "big", "--list", "big",
              "--relay", "%s:%d" % (HOST, SINK_BIG), "--rate", "600",
              *common)
        camp = bg("--store", "sqlite:" + db, "campaign", "start", "big",
                  "--quiet")
        time.sleep(0.3)
        check(camp.poll() is None, "campaign big is running")
        codes, lock = {}, threading.Lock()

        def writer(k):
            for i in range(15):
                for method, path, body in (
                        ("PATCH", "/contacts/p%d@news.example" % (k % 6),
                         {"attributes": {"w%d" % k: str(i)}}),
                        ("POST", "/suppressions",
                         {"entry": "s%d-%d@busy.example" % (k, i)})):
                    for _ in range(10):
                        st, _, _ = call(method, path, body, token=W)
                        if st != 503:
                            break
                        time.sleep(0.2)
                    with lock:
                        codes[st] = codes.get(st, 0) + 1
        th = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
        for t in th:
            t.start()
        for t in th:
            t.join(120)
        running = camp.poll() is None
        rc = camp.wait(timeout=120)
        check(set(codes) <= {200, 201} and sum(codes.values()) == 120,
              "120 API writes beside the campaign, all 2xx (%s)" % codes)
        check(running, "... while the campaign was still sending")
        con = sqlite3.connect(db)
        n = con.execute("SELECT count(*) FROM suppressions WHERE entry "
                        "LIKE '%@busy.example'").fetchone()[0]
        check(n == 60, "every suppression written (%d of 60)" % n)
        ok = 0
        for k in range(4):
            st, _, js = call("GET", "/contacts/p%d@news.example" % (k % 6),
                             token=R)
            ok += js["attributes"].get("w%d" % k) == "14"
        check(ok == 4, "every contact holds its writer's last value")
        cid_big = con.execute("SELECT id FROM campaigns WHERE name = 'big'"
                              ).fetchone()[0]
        sent = con.execute("SELECT count(*) FROM deliveries WHERE "
                           "campaign_id = ? AND state = 'sent'",
                           (cid_big,)).fetchone()[0]
        con.close()
        check(rc == 0 and sent == NBIG, "the campaign sent all %d rows "
              "(%d, exit %d)" % (NBIG, sent, rc))

        # 5. the ledger of what the API wrote, with its actor
        con = sqlite3.connect(db)
        src_rows = con.execute(
            "SELECT count(*) FROM suppressions WHERE source = ?",
            ("api:token-%d" % w["id"],)).fetchone()[0]
        con.close()
        check(src_rows >= 1, "suppressions made by the API name the token "
              "(%d)" % src_rows)

        # 3b. every documented status was seen
        missing = sorted(spec.all_statuses() - seen)
        check(missing == [], "every documented path, method and status "
              "exercised (missing: %s)" % missing)
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("%d checks failed" % len(failures))
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
