#!/usr/bin/python3
"""engine_hostile.py MAILCAST — a campaign through a hostile relay.

The relay (tests/helpers/hostile_relay.py --mode stray) adds one stray
line after its EHLO reply, so no session with it can work.  The run must
end by itself (exit 75, deferred rows left, well before the test's own
limit), every row deferred with the reason (the protocol error) shown by
`campaign who`, at the relay in `campaign report`, at least one attempt recorded each, and the relay must
count no more connections in any one second than the engine's bound
(CONN_PER_SEC, 10 per destination).  Port 26700.
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from engine_lib import Case, Fail, stop, wait_port  # noqa: E402

PORT = 26700
BOUND = 10  # connection attempts per destination in any second
HELPER = os.path.join(os.path.dirname(__file__), "..", "helpers",
                      "hostile_relay.py")
c = Case(sys.argv[1])
try:
    addrs = ["user%d@a.example" % i for i in range(30)]
    tpl = c.make_list(addrs)
    log = os.path.join(c.dir, "relay.json")
    relay = subprocess.Popen(["/usr/bin/python3", HELPER, "--port",
                              str(PORT), "--mode", "stray", "--log", log])
    c.procs.append(relay)
    wait_port(PORT)
    cid = c.mailcast("campaign", "create", "--name", "hostile", "--list",
                     "l", "--template", tpl, "--from", "news@news.example",
                     "--relay", "127.0.0.1:%d" % PORT, "--tls", "none",
                     "--retry", "600", "--linger", "30", "--timeout",
                     "2000", "--backoff-max", "2000").stdout.strip()
    t0 = time.time()
    ended, rc, out = c.start(cid, 60)
    took = time.time() - t0
    stop(relay)
    c.check("the run ends by itself", ended, "still running after 60 s")
    c.check("campaign start exits 75 (deferred rows left)",
            rc == 75 and "deferred recipients are left" in out,
            (rc, out[-2000:]))
    with open(log) as f:
        conns = json.load(f)["conns"]
    worst = 0
    for i, t in enumerate(conns):
        n = sum(1 for u in conns[i:] if u - t < 1.0)
        worst = max(worst, n)
    print("# %d connections in %.1f s, at most %d in one second"
          % (len(conns), took, worst))
    c.check("connections in any second <= %d" % BOUND, worst <= BOUND,
            worst)
    c.check("some connection was tried", len(conns) > 0)
    s = c.state_counts(cid)
    c.check("every row deferred, none in flight or pending",
            s["deferred"] == len(addrs) and s["inflight"] == 0 and
            s["pending"] == 0, s)
    who = c.mailcast("campaign", "who", cid, "--csv").stdout.splitlines()
    rows = {ln.split(",")[0]: ln for ln in who[1:]}
    bad = [rows.get(a) for a in addrs
           if ",deferred," not in rows.get(a, "") or
           "unexpected reply: 250 extra" not in rows.get(a, "")]
    c.check("who shows each row deferred with the protocol error", not bad,
            bad[:3])
    att = [rows[a] for a in addrs if a in rows and
           int(rows[a].split(",")[2]) < 1]
    c.check("each row has an attempt recorded", not att, att[:3])
    rep = c.mailcast("campaign", "report", cid, check=False).stdout
    c.check("report shows the rows deferred at the relay",
            "127.0.0.1" in rep and "deferred     30" in rep, rep[-1500:])
    with open(log) as f:
        lines = json.load(f)["lines"]
    c.check("nothing went past EHLO",
            not [ln for ln in lines if not ln.upper().startswith("EHLO")],
            lines[:5])
except Fail as e:
    c.check("no error", False, e)
c.finish()
