#!/usr/bin/python3
"""engine_lease.py MAILCAST — two runs of one campaign into `mailcast sink`
(slowed by --rate so the signals land mid-run), lease timeout 3 s:

1. kill -9 of one run at a random moment: the other takes its rows over
   within the lease timeout + a few seconds and finishes the campaign; the
   sink's Maildir holds every recipient, the ones received twice are at most
   the killed run's inflight rows and each is listed by `campaign report`;
   `campaign status` lists no run afterwards and says done.
2. kill -STOP of one run for longer than the timeout: its rows move to the
   other run (its holder record is gone); after kill -CONT it sends none of
   the rows it had leased but not yet put on the wire (each of them is
   received exactly once), and duplicates are at most its inflight rows.

The store is SQLite, or with MC_TEST_BACKEND=postgresql (under
tests/helpers/pg.sh) a fresh PostgreSQL database: the same cases on the
shared backend.

3. One run killed alone: `campaign status` says paused (not running) and
   lists no run; the resume message counts the inflight rows it resends.

Ports 26250-26252 (MC_TEST_PORT_BASE moves them).
"""
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from engine_lib import Case, Fail, store_sql  # noqa: E402

N = 1200
# MC_TEST_PORT_BASE: another run (the PostgreSQL one) beside this one
PORT0 = int(os.environ.get("MC_TEST_PORT_BASE", "26250"))
TIMEOUT = 3
RATE = "120"  # each run: 1200 rows take ~5 s with two runs
# The frozen case runs slower, so that the rows the frozen run held are
# still pending when it wakes (else the other run sent them all already
# and a broken ownership check would go unseen).


def ledger(db, sql, *args):
    return store_sql(db, sql, *args)


def writable(db):
    """No transaction of a run is open (PostgreSQL: none idle in one)."""
    if not db.startswith("sqlite:"):
        return ledger(db, "SELECT count(*) FROM pg_stat_activity WHERE "
                      "state LIKE 'idle in transaction%' AND "
                      "datname = current_database()")[0][0] == 0
    con = sqlite3.connect(db[len("sqlite:"):], timeout=0.2,
                          isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        con.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        con.close()


def pg_ports(db, pid):
    """The local TCP ports of pid's connections to the PostgreSQL store
    (none for SQLite)."""
    if db.startswith("sqlite:"):
        return set()
    pgport = int(os.environ["MC_TEST_PG_PORT"])
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            t = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if t.startswith("socket:["):
            inodes.add(t[8:-1])
    ports = set()
    for name in ("tcp", "tcp6"):
        try:
            with open("/proc/%d/net/%s" % (pid, name)) as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if f[9] in inodes and int(f[2].rsplit(":", 1)[1], 16) == pgport:
                ports.add(int(f[1].rsplit(":", 1)[1], 16))
    return ports


def kill_settled(db, p):
    """kill -9 p and wait until it is gone, and on PostgreSQL until the
    server has ended its sessions too: a COMMIT the run sent just before
    it died is still carried out by its backend, so the rows in flight
    are counted only once that backend is gone."""
    ports = pg_ports(db, p.pid)
    p.send_signal(signal.SIGKILL)
    p.wait()
    if not ports:
        return 0
    q = ("SELECT count(*) FROM pg_stat_activity WHERE client_port IN (%s)"
         % ",".join(str(x) for x in sorted(ports)))
    end = time.time() + 10
    while time.time() < end:
        if ledger(db, q)[0][0] == 0:
            return len(ports)
        time.sleep(0.05)
    raise Fail("the killed run's PostgreSQL sessions never ended")


def holder_of(db, pid):
    rows = ledger(db, "SELECT owner FROM holders WHERE pid = ?", pid)
    return rows[0][0] if rows else None


def wait_holder(db, pid, limit=10):
    end = time.time() + limit
    while time.time() < end:
        h = holder_of(db, pid)
        if h:
            return h
        time.sleep(0.05)
    raise Fail("run %d never became a lease holder" % pid)


def run(c, cid):
    p = subprocess.Popen([c.mc, "--store", c.store, "campaign", "resume",
                          cid, "--quiet"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    c.procs.append(p)
    return p


def setup(c, port, tag, rate):
    return c.campaign(tag, N, "l.example", port, "--rate", rate,
                      "--lease-timeout", str(TIMEOUT))


def check_mail(c, cid, addrs, md, sink, bound, what):
    got, dups = c.check_received(md, sink, addrs, bound, what,
                                 "inflight rows of the run")
    rep = json.loads(c.mailcast("--json", "campaign", "report",
                                cid).stdout)
    listed = set(rep["resent"])
    c.check("%s: the report lists every duplicate as resent" % what,
            set(dups) <= listed, sorted(set(dups) - listed)[:5])
    return got, sum(k - 1 for k in dups.values())


def case_kill(c):
    db = c.store
    addrs, md, sink, cid = setup(c, PORT0, "k", RATE)
    rng = random.Random(int(os.environ.get("SEED", str(os.getpid()))))
    a = run(c, cid)
    wait_holder(db, a.pid)
    b = run(c, cid)
    owner_b = wait_holder(db, b.pid)
    time.sleep(rng.uniform(0.3, 2.5))
    victim, survivor = (a, b) if rng.random() < 0.5 else (b, a)
    if victim.poll() is not None or survivor.poll() is not None:
        raise Fail("a run ended before the kill")
    owner = holder_of(db, victim.pid)
    sessions = kill_settled(db, victim)
    t_kill = time.time()
    # the dead run's inflight rows: those still marked, and those the
    # survivor already took over (its heartbeat sees the dead process;
    # each left an inflight-unknown event naming the owner), in one
    # statement so that a takeover between two counts is not missed
    inflight = ledger(db, "SELECT (SELECT count(*) FROM deliveries WHERE "
                      "lease_owner = ? AND state = 'inflight') + (SELECT "
                      "count(*) FROM events WHERE kind = 'inflight-unknown' "
                      "AND detail = ?)", owner, owner)[0][0]
    held = ledger(db, "SELECT count(*) FROM deliveries WHERE "
                  "lease_owner = ?", owner)[0][0]
    # the takeover: nothing leased to the dead run any more
    moved = None
    while time.time() < t_kill + TIMEOUT + 5:
        if ledger(db, "SELECT count(*) FROM deliveries WHERE lease_owner "
                  "= ?", owner)[0][0] == 0:
            moved = time.time() - t_kill
            break
        time.sleep(0.1)
    c.check("kill: the dead run's %d rows were taken over within the "
            "timeout + 5 s (%s s)" % (held, moved and "%.1f" % moved),
            moved is not None)
    try:
        survivor.wait(TIMEOUT + 5 + N / float(RATE))
    except subprocess.TimeoutExpired:
        raise Fail("the surviving run never ended")
    t_end = time.time() - t_kill
    err = survivor.stderr.read()
    c.check("kill: the surviving run exits 0 (%.1f s after the kill)" %
            t_end, survivor.returncode == 0, err)
    st = json.loads(c.mailcast("--json", "campaign", "status",
                               cid).stdout)
    c.check("kill: every row sent", st["states"]["sent"] == N, st["states"])
    c.check("kill: status done, no live run listed",
            st["status"] == "done" and st["holders"] == [], st)
    c.check("kill: the resume message counts the rows really resent",
            "%d recipients were in flight" % inflight in err
            if inflight else "were in flight" not in err, err)
    check_mail(c, cid, addrs, md, sink, inflight, "kill")
    print("# kill: victim held %d rows (%d inflight), taken over after "
          "%.1f s; survivor (%s) ended %.1f s after the kill; %d "
          "PostgreSQL sessions of the victim waited for" %
          (held, inflight, moved or -1, "b" if survivor is b else "a",
           t_end, sessions))
    del owner_b


def case_stop(c):
    db = c.store
    addrs, md, sink, cid = setup(c, PORT0 + 1, "s", "60")
    a = run(c, cid)
    owner = wait_holder(db, a.pid)
    b = run(c, cid)
    wait_holder(db, b.pid)
    time.sleep(1.5)
    if a.poll() is not None or b.poll() is not None:
        raise Fail("a run ended before the stop")
    # SQLite: a process frozen inside a write transaction keeps the
    # database locked until it wakes (no run can beat or take over then);
    # freeze A between transactions: stop, see the database writable,
    # else let it go on a moment and stop again (bounded).
    for _ in range(50):
        a.send_signal(signal.SIGSTOP)
        time.sleep(0.05)
        if writable(db):
            break
        a.send_signal(signal.SIGCONT)
        time.sleep(0.02)
    else:
        raise Fail("never froze the run outside a write transaction")
    time.sleep(0.3)  # the ledger settles: A does nothing more now
    rows = ledger(db, "SELECT c.address, d.state FROM deliveries d JOIN "
                  "contacts c ON c.id = d.contact_id WHERE d.lease_owner "
                  "= ?", owner)
    inflight = sum(1 for r in rows if r[1] == "inflight")
    leased = [r[0] for r in rows if r[1] != "inflight"]
    st = json.loads(c.mailcast("--json", "campaign", "status",
                               cid).stdout)
    c.check("stop: status lists both runs while A is frozen",
            len(st["holders"]) == 2 and st["status"] == "running",
            st["holders"])
    time.sleep(TIMEOUT + 3)
    left = ledger(db, "SELECT count(*) FROM deliveries WHERE lease_owner "
                  "= ?", owner)[0][0]
    gone = holder_of(db, a.pid) is None
    c.check("stop: after the timeout the frozen run's %d rows moved and "
            "its holder record is gone" % len(rows), left == 0 and gone,
            "%d left, holder %s" % (left, holder_of(db, a.pid)))
    a.send_signal(signal.SIGCONT)
    for p in (a, b):
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            raise Fail("a run never ended after SIGCONT")
    st = json.loads(c.mailcast("--json", "campaign", "status",
                               cid).stdout)
    c.check("stop: every row sent", st["states"]["sent"] == N, st["states"])
    got, _ = check_mail(c, cid, addrs, md, sink, inflight, "stop")
    twice = [x for x in leased if got[x] != 1]
    c.check("stop: none of the %d rows the frozen run had leased (not on "
            "the wire) was sent twice" % len(leased), not twice,
            [(x, got[x]) for x in twice[:5]])
    err_a = a.stderr.read()
    c.check("stop: the woken run says it was taken over and exits 0",
            a.returncode == 0 and "taken over" in err_a,
            "exit %d: %s" % (a.returncode, err_a))
    print("# stop: frozen run held %d rows (%d inflight) at SIGSTOP" %
          (len(rows), inflight))


def case_orphan(c):
    """One run, killed: status must not say running; the resume counts
    what it really resends."""
    db = c.store
    addrs, md, sink, cid = setup(c, PORT0 + 2, "o", "100")
    a = run(c, cid)
    owner = wait_holder(db, a.pid)
    time.sleep(1.0)
    kill_settled(db, a)
    inflight = ledger(db, "SELECT count(*) FROM deliveries WHERE "
                      "lease_owner = ? AND state = 'inflight'", owner)[0][0]
    st = json.loads(c.mailcast("--json", "campaign", "status",
                               cid).stdout)
    txt = c.mailcast("campaign", "status", cid).stdout
    c.check("orphan: status paused, not running, no run listed",
            st["status"] == "paused" and st["holders"] == [] and
            "stopped without a word" in txt, txt)
    p = c.mailcast("campaign", "resume", cid, "--quiet")
    want = ("%d recipients were in flight" % inflight if inflight
            else None)
    c.check("orphan: the resume message counts the %d rows resent" %
            inflight, (want in p.stderr) if want
            else "were in flight" not in p.stderr, p.stderr)
    check_mail(c, cid, addrs, md, sink, inflight, "orphan")


c = Case(sys.argv[1])
try:
    case_kill(c)
    case_stop(c)
    case_orphan(c)
except (Fail, subprocess.SubprocessError) as e:
    c.check("setup", False, e)
finally:
    for p in c.procs:
        if p.poll() is None:
            p.send_signal(signal.SIGCONT)
    c.cleanup()
c.finish()
