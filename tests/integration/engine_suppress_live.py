#!/usr/bin/python3
"""engine_suppress_live.py MAILCAST — a suppression made while a campaign
runs stops mail to the rows the run already holds.

A 240-recipient broadcast into `mailcast sink`, slowed by --rate 30 (so it
takes ~8 s and leases every row in its first batch).  Once mail flows, and
with the rows of the targets checked to be leased to the run, four
commands: `suppress add` of one address, `suppress add --reason
unsubscribed` of another, `contact erase` of a third, `contact delete` of
a fourth, `suppress add @late.example` for ten more.  Checked: the run
exits 0; the sink never received any of the fourteen; every other
recipient arrived exactly once; the targets' ledger rows say suppressed,
with the entry that matched (the erased one by its sha256: hash; the
deleted one "skipped: the contact was deleted"); `campaign status` counts
14 suppressed.

The store is SQLite, or with MC_TEST_BACKEND=postgresql (under
tests/helpers/pg.sh) a fresh PostgreSQL database, where the run learns of
the change by a notification instead of the version table.

Port 26460 (MC_TEST_PORT_BASE moves it).
"""
import collections
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from engine_lib import Case, Fail, maildir_rcpts, stop  # noqa: E402

PORT = int(os.environ.get("MC_TEST_PORT_BASE", "26460"))
N = 240


def addr(i):
    return "u%d@%s.example" % (i, "late" if 220 <= i < 230 else "a")


c = Case(os.path.abspath(sys.argv[1]))
try:
    addrs = [addr(i) for i in range(N)]
    one, unsub, erased, deleted = addr(200), addr(201), addr(202), addr(203)
    domain = [addr(i) for i in range(220, 230)]
    targets = [one, unsub, erased, deleted] + domain
    tpl = c.make_list(addrs)
    md = os.path.join(c.dir, "md")
    sink = c.sink(PORT, md)
    run = subprocess.Popen(
        [c.mc, "--store", c.store, "broadcast", "--name", "live", "--list",
         "l", "--template", tpl, "--from", "news@news.example", "--relay",
         "127.0.0.1:%d" % PORT, "--tls", "none", "--rate", "30", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    c.procs.append(run)
    c.wait_arrivals(run, md, 20)
    got = collections.Counter(maildir_rcpts(md))
    held = c.held(targets)
    c.check("the run holds the %d targets' rows before the commands "
            "(%d held; %d messages arrived)" % (len(targets), held,
                                               sum(got.values())),
            held == len(targets) and not set(targets) & set(got))
    c.mailcast("suppress", "add", one)
    c.mailcast("suppress", "add", "--reason", "unsubscribed", unsub)
    c.mailcast("contact", "erase", erased)
    c.mailcast("contact", "delete", deleted)
    c.mailcast("suppress", "add", "@late.example")
    try:
        out, err = run.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        raise Fail("the run never ended")
    c.check("the run exits 0", run.returncode == 0, err)
    time.sleep(0.3)
    stop(sink)
    others = c.check_spared(md, addrs, targets,
                            "suppressed while the run held them")
    rows = c.ledger()
    c.check("the address suppressed: ledger says so",
            rows.get(one, "").startswith("suppressed suppressed: " + one),
            rows.get(one))
    c.check("the unsubscribed one: ledger says so, with the reason",
            rows.get(unsub, "").startswith("suppressed suppressed: " +
                                           unsub + " (unsubscribed"),
            rows.get(unsub))
    er = [v for a, v in rows.items() if a.startswith("sha256:")]
    c.check("the erased one: suppressed by its hash, its address gone",
            len(er) == 1 and er[0].startswith("suppressed suppressed: "
                                              "sha256:")
            and erased not in rows, er)
    c.check("the deleted one: skipped, the ledger says why",
            rows.get(deleted) == "suppressed skipped: the contact was "
            "deleted", rows.get(deleted))
    bad = [a for a in domain if not rows.get(a, "").startswith(
        "suppressed suppressed: @late.example")]
    c.check("the @late.example ones: suppressed by the domain entry",
            not bad, [(a, rows.get(a)) for a in bad[:3]])
    st = json.loads(c.mailcast("--json", "campaign", "status",
                               "live").stdout)
    c.check("campaign status: %d suppressed, the rest sent" % len(targets),
            st["states"].get("suppressed") == len(targets) and
            st["states"].get("sent") == len(others), st["states"])
except (Fail, subprocess.SubprocessError) as e:
    c.check("setup", False, e)
c.finish()
