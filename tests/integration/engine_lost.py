#!/usr/bin/python3
"""engine_lost.py MAILCAST — rows the run holds whose contacts are deleted
meanwhile are dropped without costing their connection a message.

A 40-recipient campaign into `mailcast sink`, one connection at a time
(--conns 1), four messages per connection (--per-conn 4), slowed by
--rate 5 (so every row is leased in the first batch and the last ones wait
in memory for seconds).  Once mail flows, with the rows of six recipients
near the end checked to be leased to the run, `contact delete` of each:
their inflight marks fail when they are handed to the connection ("lost"),
and they are never sent.  Checked: the run exits 0; none of the six
arrived; the other 34 arrived exactly once; the six rows say "skipped: the
contact was deleted"; and --per-conn holds for the messages sent: every
connection but the last carried 4 of them (in the transcript, -vvv).  Before
a lost job gave back its connection's count, a connection that was handed
deleted rows said QUIT after fewer messages (or none).  Port 26620.
"""
import collections
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from engine_lib import Case, Fail, stop  # noqa: E402

PORT = 26620
N = 40
PER = 4


def addr(i):
    return "u%02d@lost.example" % i


c = Case(os.path.abspath(sys.argv[1]))
try:
    addrs = [addr(i) for i in range(N)]
    targets = [addr(i) for i in range(26, 32)]
    tpl = c.make_list(addrs)
    md = os.path.join(c.dir, "md")
    sink = c.sink(PORT, md)
    cid = c.mailcast("campaign", "create", "--name", "lost", "--list", "l",
                     "--template", tpl, "--from", "news@news.example",
                     "--relay", "127.0.0.1:%d" % PORT, "--tls", "none",
                     "--rate", "5", "--conns", "1", "--per-conn", str(PER)
                     ).stdout.strip()
    log = os.path.join(c.dir, "run.log")
    run = subprocess.Popen([c.mc, "-vvv", "--log", log, "--store", c.store,
                            "campaign", "start", cid, "--quiet"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
    c.procs.append(run)
    c.wait_arrivals(run, md, 2)
    held = c.held(targets)
    c.check("the run holds the %d targets' rows before they are deleted "
            "(%d held)" % (len(targets), held), held == len(targets))
    for a in targets:
        c.mailcast("contact", "delete", a)
    try:
        out, _ = run.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        raise Fail("the run never ended")
    c.check("the run exits 0", run.returncode == 0, out)
    stop(sink)
    others = c.check_spared(md, addrs, targets, "deleted contacts")
    rows = c.ledger()
    bad = [a for a in targets
           if rows.get(a) != "suppressed skipped: the contact was deleted"]
    c.check("the deleted ones: skipped, the ledger says why", not bad,
            [(a, rows.get(a)) for a in bad[:3]])
    # the messages each connection carried, in the order they opened
    per = collections.OrderedDict()
    with open(log) as f:
        for ln in f:
            m = re.search(r"conn (\d+): (connecting|C: RCPT TO:<([^>]+)>)",
                          ln)
            if m is None:
                continue
            n = int(m.group(1))
            per.setdefault(n, 0)
            if m.group(3) and m.group(3) not in targets:
                per[n] += 1
    counts = list(per.values())
    c.check("--per-conn %d: every connection but the last carried %d "
            "messages" % (PER, PER),
            counts and all(n == PER for n in counts[:-1]) and
            0 < counts[-1] <= PER and sum(counts) == len(others), counts)
except (Fail, subprocess.SubprocessError) as e:
    c.check("setup", False, e)
c.finish()
