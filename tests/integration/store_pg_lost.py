#!/usr/bin/python3
"""store_pg_lost.py MAILCAST — a campaign run whose PostgreSQL session the
server ends (pg_terminate_backend from psql), under tests/helpers/pg.sh.

The store's URL carries a password (the test cluster trusts everyone, so
libpq never sends it).  A run of 400 recipients into `mailcast sink`
(--rate 40: ten seconds) has its session terminated after a second and a
half, twice over:

- between transactions: terminated, and again every half second while
  the run goes on (a session lost between two transactions is reopened
  by the next single statement, and the run goes on; lost at a BEGIN or
  inside a transaction, the run ends);
- inside a transaction: psql holds a SHARE lock on deliveries, the run's
  next write (a lease or a group commit) waits for it, and its session
  is terminated while it waits (the ROLLBACK that follows runs on the
  dead connection).

What a user sees, each time:

1. the run ends with exit 74 (EX_IOERR) and says the connection to the
   store was lost, naming the store with its password as "***", never
   the password, and not what failed after it on the dead connection
   ("no transaction open", "no connection to the server");
2. `campaign start` again settles the rows the dead run had marked
   inflight as after a crash: it counts the inflight rows it resends,
   finishes every row (status done, no run listed), every address
   reaches the sink, and the only addresses received twice are rows that
   were inflight when the run died, one extra copy each at most
   (docs/engine.md, "Crash semantics").

A session reopened between two statements (`suppress add`'s status
change, its session terminated while it waits for a lock psql holds) is
told again what the lost one was: the contact's history keeps who and why
(the new session had no audit context).

And a store that cannot be reached, its password given as a URL query
parameter (`?password=`), is named with "***" for it too.

Ports 26650-26651 for the sinks.
"""
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from engine_lib import Case, Fail, store_sql  # noqa: E402

N = 400
RATE = "40"
PORT = 26650
SECRET = "Pw-lost-7f3a9c"


def sessions(store):
    """The backend pids of mailcast's sessions on the store's database."""
    return [r[0] for r in store_sql(
        store, "SELECT pid FROM pg_stat_activity WHERE datname = "
        "current_database() AND application_name = 'mailcast'")]


def terminate(store):
    """pg_terminate_backend of every mailcast session: how many."""
    return len(store_sql(
        store, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name = "
        "'mailcast'"))


def kill_between(c, run):
    """Terminate the run's session, again every half second while the
    run goes on (the next single statement may reopen it): how many."""
    kills = 0
    end = time.time() + 20
    while run.poll() is None and time.time() < end:
        if sessions(c.store):
            kills += terminate(c.store)
        try:
            run.wait(0.5)
        except subprocess.TimeoutExpired:
            pass
    return kills


def hold_lock(c, table, mode):
    """A psql session holding LOCK TABLE table IN mode MODE (the caller
    ends it with release())."""
    lock = subprocess.Popen(
        [os.path.join(os.environ["MC_TEST_PG_BIN"], "psql"), "-X", "-q",
         "-v", "ON_ERROR_STOP=1", c.store], stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    c.procs.append(lock)
    lock.stdin.write("BEGIN;\nLOCK TABLE %s IN %s MODE;\n" % (table, mode))
    lock.stdin.flush()
    return lock


def release(lock, how):
    lock.stdin.write(how + ";\n")
    lock.stdin.close()
    lock.wait(10)


def lock_waiter(c, proc, other_than=None):
    """The pid of a mailcast session waiting for a lock (not other_than),
    polled for up to 10 s while proc runs; None if none."""
    end = time.time() + 10
    while time.time() < end and proc.poll() is None:
        rows = store_sql(c.store, "SELECT pid FROM pg_stat_activity WHERE "
                         "datname = current_database() AND "
                         "application_name = 'mailcast' AND "
                         "wait_event_type = 'Lock' AND state = 'active'")
        for r in rows:
            if r[0] != other_than:
                return r[0]
        time.sleep(0.05)
    return None


def kill_inside(c, run):
    """Hold a SHARE lock on deliveries from psql, so that the run's next
    write waits inside its transaction (a lease or a group commit), and
    terminate its session there: 1."""
    lock = hold_lock(c, "deliveries", "SHARE")
    pid = lock_waiter(c, run)
    if pid is None:
        raise Fail("the run never waited for the lock inside a "
                   "transaction")
    store_sql(c.store, "SELECT pg_terminate_backend(?)", pid)
    release(lock, "ROLLBACK")
    try:
        run.wait(20)
    except subprocess.TimeoutExpired:
        raise Fail("the run outlived its terminated session")
    return 1


def case_lost(c, tag, port, kill, what):
    addrs, md, sink, cid = c.campaign(tag, N, "lost.example", port,
                                      "--rate", RATE)
    run = subprocess.Popen([c.mc, "--store", c.store, "campaign", "start",
                            cid], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    c.procs.append(run)
    time.sleep(1.5)
    if run.poll() is not None:
        raise Fail("the run ended before its session was terminated: "
                   "exit %d\n%s" % (run.returncode, run.stderr.read()))
    kills = kill(c, run)
    if run.poll() is None:
        raise Fail("the run outlived %d terminated sessions" % kills)
    out, err = run.communicate()
    said = out + err
    c.check("%s: the run exits 74 (EX_IOERR) after %d terminated "
            "session(s)" % (what, kills), run.returncode == 74,
            "exit %d: %s" % (run.returncode, said))
    c.check("%s: it says the connection to the store was lost" % what,
            re.search(r"the connection to postgresql://postgres:\*\*\*@"
                      r"127\.0\.0\.1:\d+/\w+ was lost: \S", err), said)
    c.check("%s: not the words of what failed after it on the dead "
            "connection" % what, "no transaction open" not in said and
            "no connection to the server" not in said, said)
    c.check("%s: the password is not in its output" % what,
            SECRET not in said, said)
    print("# " + err.strip().replace("\n", "\n# "))

    # what the dead run left: its inflight rows are the ones in doubt
    inflight = {r[0] for r in store_sql(
        c.store, "SELECT c.address FROM deliveries d JOIN contacts c ON "
        "c.id = d.contact_id WHERE d.campaign_id = ? AND d.state = "
        "'inflight'", int(cid))}
    sent_before = store_sql(
        c.store, "SELECT count(*) FROM deliveries WHERE campaign_id = ? "
        "AND state = 'sent'", int(cid))[0][0]

    again = c.mailcast("campaign", "start", cid, "--quiet", check=False)
    said = again.stdout + again.stderr
    c.check("%s: the second start exits 0" % what, again.returncode == 0,
            "exit %d: %s" % (again.returncode, said))
    c.check("%s: the second start counts the %d inflight rows it resends"
            % (what, len(inflight)),
            ("%d recipients were in flight" % len(inflight) in said)
            if inflight else "were in flight" not in said, said)
    c.check("%s: the password is not in the second start's output" % what,
            SECRET not in said, said)
    st = json.loads(c.mailcast("--json", "campaign", "status",
                               cid).stdout)
    c.check("%s: every row sent, status done, no run listed" % what,
            st["states"]["sent"] == N and st["status"] == "done" and
            st["holders"] == [], st)

    got, dups = c.check_received(md, sink, addrs, len(inflight), what,
                                 "rows inflight when the run died")
    c.check("%s: each address received twice was inflight, and none "
            "three times" % what, set(dups) <= inflight and
            all(k == 2 for k in dups.values()), sorted(dups.items())[:5])
    c.check("%s: no address outside the list was received" % what,
            set(got) <= set(addrs), sorted(set(got) - set(addrs))[:5])
    print("# %s: %d session(s) terminated; the dead run had sent %d, left "
          "%d inflight; %d received twice" % (what, kills, sent_before,
                                              len(inflight), len(dups)))


def case_audit(c):
    """A session reopened between two statements is told again what the
    lost one was: `suppress add` of a contact sets the audit context (who
    and why), then changes the contact's status in one statement.  psql
    holds an EXCLUSIVE lock on contacts, so that statement waits; its
    session is terminated there; the statement is tried again on a new
    session (and waits again until psql lets go).  The contact's history
    must still say who and why."""
    c.make_list(["audit@lost.example"], name="audit")
    lock = hold_lock(c, "contacts", "EXCLUSIVE")
    add = subprocess.Popen([c.mc, "--store", c.store, "suppress", "add",
                            "audit@lost.example"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    c.procs.append(add)
    pid = lock_waiter(c, add)
    if pid is None:
        raise Fail("suppress add never waited for the lock on contacts")
    store_sql(c.store, "SELECT pg_terminate_backend(?)", pid)
    # the statement again, on a new session, waiting for the lock again
    again = lock_waiter(c, add, other_than=pid)
    release(lock, "COMMIT")
    out, err = add.communicate(timeout=30)
    c.check("audit: suppress add goes on on a new session (exit 0)",
            add.returncode == 0 and again is not None,
            "exit %d, new session %s: %s" % (add.returncode, again,
                                             out + err))
    hist = c.mailcast("contact", "history", "audit@lost.example",
                      check=False)
    try:
        rows = json.loads(hist.stdout)
    except ValueError:
        rows = []
    status = [r for r in rows if r.get("action") == "status"]
    c.check("audit: the status change keeps who and why",
            len(status) == 1 and
            status[0].get("detail", "").endswith("(manual, cli)") and
            status[0].get("actor", "").startswith("user:"),
            hist.stdout + hist.stderr)


def case_query_password(c):
    """A password given as ?password= is hidden in the error too."""
    url = ("postgresql://postgres@127.0.0.1:1/nowhere?connect_timeout=2&"
           "password=" + SECRET)
    p = subprocess.run([c.mc, "--store", url, "campaign", "status", "1"],
                       capture_output=True, text=True, timeout=30)
    said = p.stdout + p.stderr
    c.check("unreachable: an error, naming the store with password=***",
            p.returncode != 0 and "password=***" in said, said)
    c.check("unreachable: the password is not in its output",
            SECRET not in said, said)
    # URLs libpq cannot parse: it quotes them back, or their bad token
    for url in ("postgresql://u:%s%%zz@127.0.0.1:1/db" % SECRET,
                "postgresql://127.0.0.1:1/db?password=%s%%zz" % SECRET,
                "postgresql://u:%s@[::1/db" % SECRET,
                "postgresql://u:pa/%s@127.0.0.1:1/db" % SECRET,
                "postgresql://u:pa@%s@127.0.0.1:1/db" % SECRET,
                "postgressql://u:%s@127.0.0.1:1/db" % SECRET):
        p = subprocess.run([c.mc, "--store", url, "campaign", "status",
                            "1"], capture_output=True, text=True,
                           timeout=30)
        said = p.stdout + p.stderr
        c.check("unparsable %s: an error without the password"
                % url.replace(SECRET, "SECRET"),
                p.returncode != 0 and SECRET not in said, said)


c = Case(sys.argv[1])
if not c.store.startswith("postgresql://postgres@"):
    print("store_pg_lost.py: run under tests/helpers/pg.sh with "
          "MC_TEST_BACKEND=postgresql", file=sys.stderr)
    sys.exit(2)
c.store = c.store.replace("postgres@", "postgres:%s@" % SECRET, 1)
try:
    case_lost(c, "b", PORT, kill_between, "between transactions")
    case_lost(c, "i", PORT + 1, kill_inside, "inside a transaction")
    case_audit(c)
    case_query_password(c)
except (Fail, subprocess.SubprocessError) as e:
    c.check("setup", False, e)
c.finish()
