#!/usr/bin/python3
"""engine_worker.py MAILCAST — `mailcast worker` on a shared PostgreSQL store
(run under tests/helpers/pg.sh; with MC_TEST_BACKEND unset it runs on
SQLite, where the workers share one file):

1. With no running campaign (one draft, one paused), `worker --once`
   runs nothing and exits 0; a draft is never started by a worker.
2. A campaign started by `campaign resume` (run A), two workers started
   after it: both join as lease holders (three holders at once); A is
   killed with kill -9; the workers take its rows over at the lease
   timeout and finish the campaign; each worker exits 0 saying
   "campaign w: done"; the sink received every recipient, duplicates at
   most A's inflight rows, each listed by `campaign report`; the draft is
   still a draft.

Ports 26270-26271 (MC_TEST_PORT_BASE moves them).
"""
import collections
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from engine_lib import Case, Fail, maildir_rcpts, stop, store_sql  # noqa: E402

N = 1500
TIMEOUT = 3
RATE = "100"  # each run: the whole list takes three runs ~5 s
PORT0 = int(os.environ.get("MC_TEST_PORT_BASE", "26270"))


def holders(c):
    return store_sql(c.store, "SELECT owner, pid FROM holders")


def wait_for(what, cond, limit=15):
    end = time.time() + limit
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    raise Fail("never: " + what)


def spawn(c, *args):
    p = subprocess.Popen([c.mc, "--store", c.store] + list(args),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    c.procs.append(p)
    return p


def create(c, name, port, addrs):
    tpl = c.make_list(addrs, name=name)
    return c.mailcast("campaign", "create", "--name", name, "--list", name,
                      "--template", tpl, "--from", "news@news.example",
                      "--relay", "127.0.0.1:%d" % port, "--tls", "none",
                      "--rate", RATE, "--lease-timeout",
                      str(TIMEOUT)).stdout.strip()


def main(c):
    md = os.path.join(c.dir, "md")
    sink = c.sink(PORT0, md)
    draft = create(c, "draft", PORT0, ["d%d@l.example" % i for i in range(5)])
    addrs = ["w%d@l.example" % i for i in range(N)]
    cid = create(c, "w", PORT0, addrs)
    # nothing running: a worker's pass runs nothing
    p = c.mailcast("worker", "--once", timeout=30)
    c.check("idle: worker --once exits 0 and runs nothing",
            p.returncode == 0 and p.stdout == "", p.stdout + p.stderr)

    a = spawn(c, "campaign", "resume", cid, "--quiet")
    wait_for("run A holds", lambda: any(h[1] == a.pid for h in holders(c)))
    w1 = spawn(c, "worker", "--once", "--poll", "1")
    w2 = spawn(c, "worker", "--once", "--poll", "1")
    three = wait_for("three holders", lambda: len(holders(c)) >= 3 and
                     holders(c))
    pids = {h[1] for h in three}
    c.check("both workers joined run A as lease holders",
            {a.pid, w1.pid, w2.pid} <= pids, three)
    st = json.loads(c.mailcast("--json", "campaign", "status", cid).stdout)
    c.check("campaign status lists the three runs",
            len(st["holders"]) == 3, st["holders"])
    time.sleep(1.0)
    if a.poll() is not None:
        raise Fail("run A ended before the kill")
    owner = [h[0] for h in holders(c) if h[1] == a.pid][0]
    a.send_signal(signal.SIGKILL)
    a.wait()
    inflight = store_sql(c.store, "SELECT count(*) FROM deliveries WHERE "
                         "lease_owner = ? AND state = 'inflight'",
                         owner)[0][0]
    for name, w in (("1", w1), ("2", w2)):
        try:
            out, err = w.communicate(timeout=TIMEOUT + 10 + N / float(RATE))
        except subprocess.TimeoutExpired:
            raise Fail("worker %s never ended" % name)
        c.check("worker %s exits 0 and says the campaign is done" % name,
                w.returncode == 0 and "campaign w: done" in out, out + err)
    st = json.loads(c.mailcast("--json", "campaign", "status", cid).stdout)
    c.check("every row sent, status done, no run left",
            st["states"]["sent"] == N and st["status"] == "done" and
            st["holders"] == [], st)
    time.sleep(0.5)
    stop(sink)
    got = collections.Counter(maildir_rcpts(md))
    missing = [x for x in addrs if got[x] == 0]
    c.check("the sink received every recipient", not missing, missing[:5])
    dups = {x for x, k in got.items() if k > 1}
    extra = sum(got[x] - 1 for x in dups)
    c.check("duplicates (%d) <= inflight rows of the killed run (%d)" %
            (extra, inflight), extra <= inflight)
    rep = json.loads(c.mailcast("--json", "campaign", "report", cid).stdout)
    c.check("the report lists every duplicate as resent",
            dups <= set(rep["resent"]), sorted(dups - set(rep["resent"])))
    c.check("no draft recipient was sent",
            not any(x.startswith("d") for x in got), list(got)[:5])
    st = json.loads(c.mailcast("--json", "campaign", "status",
                               draft).stdout)
    c.check("the draft is still a draft", st["status"] == "draft", st)


c = Case(sys.argv[1])
try:
    main(c)
except (Fail, subprocess.SubprocessError, IndexError) as e:
    c.check("setup", False, e)
finally:
    for p in c.procs:
        if p.poll() is None:
            p.kill()
    c.cleanup()
c.finish()
