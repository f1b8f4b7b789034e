#!/usr/bin/python3
"""engine_crash.py MAILCAST — 20 kill -9 at random moments of a campaign,
each followed by a resume.  The sink's Maildir must hold every recipient;
the recipients received twice are at most the rows in flight at the kills
(counted in the ledger right after each kill) and each of them is listed
by `campaign report` as resent.  Port 26200.
"""
import collections
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from engine_lib import Case, Fail, maildir_rcpts, stop  # noqa: E402

PORT = 26200
KILLS = 20
N = 5000
c = Case(sys.argv[1])
try:
    addrs = ["r%d@k.example" % i for i in range(N)]
    tpl = c.make_list(addrs)
    md = os.path.join(c.dir, "md")
    sink = c.sink(PORT, md)
    cid = c.mailcast("campaign", "create", "--name", "crash", "--list", "l",
                     "--template", tpl, "--from", "news@news.example",
                     "--relay", "127.0.0.1:%d" % PORT, "--tls", "none",
                     "--rate", "1500").stdout.strip()
    rng = random.Random(int(os.environ.get("SEED", "7")))
    inflight_total = 0
    inflight_max = 0
    kills = 0
    db = c.store[len("sqlite:"):]
    for i in range(KILLS):
        p = subprocess.Popen([c.mc, "--store", c.store, "campaign", "resume",
                              cid, "--quiet"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, 0.6))
        if p.poll() is not None:
            break  # finished before the kill
        p.send_signal(signal.SIGKILL)
        p.wait()
        kills += 1
        con = sqlite3.connect(db)
        n = con.execute("SELECT count(*) FROM deliveries WHERE state = "
                        "'inflight'").fetchone()[0]
        con.close()
        inflight_total += n
        inflight_max = max(inflight_max, n)
    # Rows are marked inflight only when handed to a connection: at a kill
    # they are the open transactions (4 connections x 8 pipelined) plus
    # the outcomes waiting for the next group commit (5 ms at 1500/s).
    c.check("rows in flight at any kill (%d) <= open transactions (32) + "
            "one group commit (16)" % inflight_max, inflight_max <= 48)
    c.check("at least 20 kills during the campaign", kills >= 20,
            "only %d kills before it finished" % kills)
    c.mailcast("campaign", "resume", cid, "--quiet", timeout=300)
    s = c.state_counts(cid)
    c.check("every row sent after the last resume", s["sent"] == N, s)
    time.sleep(0.5)
    stop(sink)
    got = collections.Counter(maildir_rcpts(md))
    missing = [a for a in addrs if got[a] == 0]
    c.check("the sink received every recipient", not missing, missing[:5])
    dups = {a: k - 1 for a, k in got.items() if k > 1}
    extra = sum(dups.values())
    c.check("duplicates (%d) <= rows in flight at the kills (%d)" %
            (extra, inflight_total), extra <= inflight_total)
    rep = json.loads(c.mailcast("--json", "campaign", "report",
                                cid).stdout)
    listed = set(rep["resent"])
    c.check("the report lists every duplicate as resent",
            set(dups) <= listed, sorted(set(dups) - listed)[:5])
    c.check("the report counts the resent rows",
            rep["resent_after_crash"] >= len(dups))
    print("# kills %d, in flight at the kills %d, duplicates %d, listed %d"
          % (kills, inflight_total, extra, rep["resent_after_crash"]))
except (Fail, subprocess.SubprocessError) as e:
    c.check("setup", False, e)
finally:
    c.cleanup()
c.finish()
