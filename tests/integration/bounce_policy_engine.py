#!/usr/bin/python3
"""bounce_policy_engine.py MAILCAST — the bounce policy on the ENGINE path:
a campaign through `mailcast sink` whose fault rules refuse some
recipients at RCPT with the codes the policy must tell apart; after the
run, `mailcast suppress check` and the bounces rows say what a user would
expect:
  550 5.1.1 user unknown          -> failed, suppressed (hard)
  550 5.1.1 mailbox full          -> failed, counted soft, not suppressed
  553 5.1.7 / 550 5.1.8 (sender)  -> failed, recorded, not suppressed
  550 5.7.1 policy rejection      -> failed, recorded, not suppressed
Port 26660.
"""
import os
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from engine_lib import Case, Fail, stop  # noqa: E402

PORT = 26660
CASES = [  # (local part prefix, fault reply, suppressed?, row kind)
    ("unknown", "550 5.1.1 <x>: Recipient address rejected: User unknown",
     True, "hard"),
    ("full", "550 5.1.1 mailbox full", False, "soft"),
    ("s517", "553 5.1.7 Sender address rejected: invalid sender address",
     False, "policy"),
    ("s518", "550 5.1.8 Sender address rejected: Domain not found",
     False, "policy"),
    ("policy", "550 5.7.1 Message rejected due to local policy",
     False, "policy"),
]
c = Case(sys.argv[1])
try:
    addrs = ["user%d@a.example" % i for i in range(20)]
    for prefix, _, _, _ in CASES:
        addrs += ["%s-%d@b.example" % (prefix, i) for i in range(2)]
    tpl = c.make_list(addrs)
    md = os.path.join(c.dir, "md")
    sink = c.sink(PORT, md, *["rcpt:%s-*=%s" % (p, r)
                              for p, r, _, _ in CASES])
    cid = c.mailcast("campaign", "create", "--name", "policy", "--list",
                     "l", "--template", tpl, "--from", "news@news.example",
                     "--relay", "127.0.0.1:%d" % PORT, "--tls", "none",
                     "--retry", "1", "--max-age", "60",
                     "--timeout", "5000").stdout.strip()
    run = c.mailcast("campaign", "start", cid, "--quiet", check=False)
    c.check("campaign ends with exit 0", run.returncode == 0,
            run.stdout + run.stderr)
    s = c.state_counts(cid)
    c.check("the refused recipients failed, the others were sent",
            s["failed"] == 2 * len(CASES) and s["sent"] == 20, s)
    con = sqlite3.connect(c.store[len("sqlite:"):])
    for prefix, reply, suppressed, kind in CASES:
        for i in range(2):
            a = "%s-%d@b.example" % (prefix, i)
            p = c.mailcast("suppress", "check", a, check=False)
            c.check("%s: suppress check exit %d" % (a, 0 if suppressed
                                                     else 1),
                    p.returncode == (0 if suppressed else 1),
                    p.stdout + p.stderr)
            if suppressed:
                c.check("%s: suppressed as hard-bounce" % a,
                        "hard-bounce" in p.stdout, p.stdout)
            rows = con.execute("SELECT kind, status_code FROM bounces "
                               "WHERE address = ?", (a,)).fetchall()
            c.check("%s: one %s row with %s" % (a, kind, reply[4:9]),
                    rows == [(kind, reply[4:9])], rows)
    n = con.execute("SELECT count(*) FROM suppressions").fetchone()[0]
    c.check("nothing else suppressed", n == 2, n)
    con.close()
    stop(sink)
except (Fail, subprocess.SubprocessError) as e:
    c.check("setup", False, e)
finally:
    c.cleanup()
c.finish()
