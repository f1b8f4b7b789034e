#!/usr/bin/env python3
"""report_html.py MAILCAST — `campaign report ID --html FILE` (issue 14
items 1 and 3): a campaign sent through mailcast's sink with faults
(rejected, deferred recipients), bounces and a complaint ingested, an
unsubscribe; the HTML file is parsed with Python's html.parser and its
numbers must equal `campaign report --json`: the states, by destination,
by reply, the timeline totals, bounces by class, the slowest
destinations.  No script and no external reference of any kind; an
empty campaign gets the empty state; a bad path fails with the path
named.  The sink listens on 127.0.0.1:27500."""
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "helpers"))
from checks import check, failures, wait_port  # noqa: E402

HOST, SINK_PORT = "127.0.0.1", 27500


class Report(HTMLParser):
    """The ids' texts, and every table by id as rows of cell texts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.tables = {}, {}
        self.stack = []      # (tag, id) open
        self.table = None    # the id of the table being read
        self.row = None
        self.cell = None
        self.tags = set()
        self.attrs_seen = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        self.attrs_seen.extend(k for k, _ in attrs)
        if tag == "table":
            self.table = a.get("id", "")
            self.tables[self.table] = []
        elif tag == "tr" and self.table is not None:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = ""
        if a.get("id"):
            self.ids[a["id"]] = ""
        self.stack.append((tag, a.get("id")))

    def handle_endtag(self, tag):
        while self.stack:
            t, i = self.stack.pop()
            if t == tag:
                break
        if tag in ("td", "th") and self.row is not None:
            self.row.append(self.cell.strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.tables[self.table].append(self.row)
            self.row = None
        elif tag == "table":
            self.table = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data
        for _, i in self.stack:
            if i:
                self.ids[i] += data


def num(text):
    """A grouped number ("12,345") as an int."""
    return int(text.replace(",", "").split()[0].split(".")[0])


def main():
    mc = os.path.realpath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="mailcast-report-html.")
    store = ["--store", "sqlite:" + os.path.join(tmp, "t.db")]
    sink = None

    def mcrun(*args, check_rc=True):
        r = subprocess.run([mc] + store + list(args), capture_output=True,
                           text=True, timeout=120)
        if check_rc and r.returncode not in (0, 75):
            raise SystemExit("mailcast %s: %s %s" % (args, r.returncode,
                                                     r.stderr))
        return r

    try:
        with open(os.path.join(tmp, "l.csv"), "w") as f:
            f.write("email\n")
            for i in range(60):
                who = ("reject" if i % 10 == 3 else
                       "defer" if i % 10 == 4 else "user")
                f.write("%s%d@d%d.example\n" % (who, i, i % 4))
        tmpl = os.path.join(tmp, "t.tmpl")
        with open(tmpl, "w") as f:
            f.write("From: News <news@news.example>\nSubject: Hi\n\n"
                    "Hello: {{unsubscribe_url}}\n")
        sink = subprocess.Popen(
            [mc, "sink", "--listen", "%s:%d" % (HOST, SINK_PORT),
             "--discard", "--quiet",
             "--fault", "rcpt:reject*=550 5.1.1 no such user",
             "--fault", "rcpt:defer*=451 4.7.1 try later"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(SINK_PORT, sink)
        mcrun("list", "import", os.path.join(tmp, "l.csv"), "--list", "l")
        send = ["--list", "l", "--template", tmpl, "--from",
                "news@news.example", "--relay", "%s:%d" % (HOST, SINK_PORT),
                "--tls", "none", "--unsubscribe-url",
                "https://lists.news.example/unsubscribe/", "--linger", "1"]
        mcrun("campaign", "create", "--name", "r1", *send)
        mcrun("campaign", "start", "1", "--quiet")
        # what arrives after a run, put straight into the store (as
        # bounces fetch, the one-click route and /c/ would): 3 hard
        # bounces, a soft one, a complaint, 2 unsubscribes, 4 clicks and
        # an open
        before = json.loads(mcrun("campaign", "report", "1",
                                  "--json").stdout)["bounces"]
        db = sqlite3.connect(os.path.join(tmp, "t.db"))
        now = int(time.time())
        for i, kind in enumerate(["hard"] * 3 + ["soft", "complaint"]):
            db.execute("INSERT INTO bounces(campaign_id, address, kind, "
                       "received_at) VALUES (1, ?, ?, ?)",
                       ("user%d@d0.example" % i, kind, now + 60 * i))
        for i in range(2):
            db.execute("INSERT INTO events(at, campaign_id, kind, detail) "
                       "VALUES (?, 1, 'unsubscribe', 'test')", (now + 90,))
        for i, idx in enumerate([0, 0, 1, 2, -1]):
            db.execute("INSERT INTO track_hits(campaign_id, idx, "
                       "contact_id, at) VALUES (1, ?, ?, ?)",
                       (idx, i + 1, now + 120))
        db.commit()
        db.close()
        mcrun("campaign", "create", "--name", "empty", *send,
              "--where", 'email = "nobody@nowhere.example"',
              check_rc=False)

        out = os.path.join(tmp, "r1.html")
        r = mcrun("campaign", "report", "1", "--html", out)
        check(r.returncode == 0 and os.path.getsize(out) > 0,
              "campaign report 1 --html FILE: exit 0, a file (%d)"
              % r.returncode)
        rep = json.loads(mcrun("campaign", "report", "1", "--json").stdout)
        text = open(out, encoding="utf-8").read()
        p = Report()
        p.feed(text)
        p.close()

        # self-contained: no script, nothing fetched, nothing linked
        low = text.lower()
        bad = [w for w in ("<script", "<link", "<img", "<iframe", "http:",
                           "https:", "url(", "@import", "src=", "href=",
                           "//")
               if w in low]
        check(not bad, "no script and no external reference (%s)" % bad)
        check("<style>" in text and "<svg" in text and
              'name="viewport"' in text,
              "inline style, SVG charts, a phone viewport")
        check(" UTC</time>" in text, "times say their zone (UTC)")

        # the summary equals the JSON's states
        same = num(p.ids["rp-total"]) == rep["total"] and all(
            num(p.ids["rp-" + k]) == v for k, v in rep["states"].items())
        check(same, "summary: total and every state equal --json (%s)"
              % rep["states"])
        check(rep["states"]["sent"] == 48 and
              rep["states"]["failed"] == 6 and
              rep["states"]["deferred"] == 6,
              "the run: 48 sent, 6 failed, 6 deferred (%s)"
              % rep["states"])
        check("," in p.ids["rp-seconds"] or
              num(p.ids["rp-seconds"]) < 1000, "seconds shown")

        # the tallies: every key and state as --json has them
        def tally_equal(tid, j):
            rows = p.tables.get(tid) or []
            if not rows:
                return False
            head = rows[0][1:-1]
            got = {}
            for row in rows[1:]:
                got[row[0]] = {head[i]: num(row[1 + i])
                               for i in range(len(head))
                               if num(row[1 + i])}
            want = {k: {s: n for s, n in v.items() if n}
                    for k, v in j.items()}
            return got == want
        check(tally_equal("by-destination-table", rep["by_destination"]),
              "by destination equals --json")
        check(tally_equal("by-reply-table", rep["by_reply"]),
              "by reply equals --json (%s)" % rep["by_reply"])

        # deliveries over time: the totals equal the states they count
        ot = rep["over_time"]
        for s in ("sent", "deferred", "failed", "bounced"):
            total = sum(b[s] for b in ot["buckets"])
            check(num(p.ids["over-time-total-" + s]) == total ==
                  rep["states"][s],
                  "over time: %s total %d equals the state" % (s, total))
        rows = p.tables["over-time-table"][1:-1]
        check(len(rows) == len(ot["buckets"]) and
              [num(r[1]) for r in rows] ==
              [b["sent"] for b in ot["buckets"]],
              "over time: each bucket's numbers as --json")

        # bounces by class, the activity, the slowest destinations
        got = {r[0]: num(r[1]) for r in p.tables["bounces-table"][1:]}
        check(got == rep["bounces"] and got["hard"] == before["hard"] + 3 and
              got["soft"] == 1 and got["complaint"] == 1,
              "bounces by class equal --json (%s)" % got)
        act = rep["activity_over_time"]["buckets"]
        want = {"complaint": 1, "unsubscribe": 2, "click": 4, "open": 1}
        for k, n in want.items():
            check(num(p.ids["activity-total-" + k]) ==
                  sum(b[k] for b in act) == n,
                  "activity: %d %s, as --json" % (n, k))
        slow = [(r[0], num(r[1]), num(r[2]))
                for r in p.tables["slowest-table"][1:]]
        check(slow == [(s["destination"], s["seconds"], s["rows"])
                       for s in rep["slowest"]] and slow,
              "slowest destinations equal --json (%s)" % slow)

        # the empty campaign: an empty state, no sections
        listed = json.loads(mcrun("campaign", "list", "--json").stdout)
        ids = [c["id"] for c in listed if c["name"] == "empty"]
        if ids:
            eo = os.path.join(tmp, "empty.html")
            mcrun("campaign", "report", str(ids[0]), "--html", eo)
            e = open(eo, encoding="utf-8").read()
            check('id="report-empty"' in e and "<section" not in e and
                  "campaign start" in e,
                  "an empty campaign: the empty state says what next")
        else:
            check(False, "the empty campaign was created")

        # errors: an unknown campaign, a folder that is not there
        r = mcrun("campaign", "report", "99", "--html",
                  os.path.join(tmp, "x.html"), check_rc=False)
        check(r.returncode != 0 and
              not os.path.exists(os.path.join(tmp, "x.html")),
              "an unknown campaign: an error, no file (%d)" % r.returncode)
        bad_path = os.path.join(tmp, "no", "such", "r.html")
        r = mcrun("campaign", "report", "1", "--html", bad_path,
                  check_rc=False)
        check(r.returncode != 0 and bad_path in r.stderr,
              "a path in no folder: an error naming it (%d %s)"
              % (r.returncode, r.stderr.strip()))
    finally:
        if sink:
            sink.terminate()
            sink.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
