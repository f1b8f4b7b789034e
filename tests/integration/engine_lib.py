"""engine_lib.py — shared by the engine's integration tests (imported).

A campaign's inputs (a CSV list imported into a fresh store, a template),
`mailcast` runs, a mailcast sink child, a tiny recording SMTP server
(asyncio, PIPELINING) that notes when each message ended and how many
connections were open, the Maildir read back with Python's email parser.
"""
import asyncio
import collections
import email
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

TEMPLATE = """From: Test News <news@news.example>
Subject: Hello {{first_name|there}}
To: {{first_name}} <{{email}}>

Hello {{first_name|there}}, this is for {{email}}.
Unsubscribe: {{unsubscribe_url}}
"""


class Fail(Exception):
    pass


def pg_fresh():
    """A new database on the test server of tests/helpers/pg.sh."""
    port = os.environ["MC_TEST_PG_PORT"]
    name = "mc_case_%d_%d" % (os.getpid(), int(time.time() * 1000) % 10**9)
    subprocess.run([os.path.join(os.environ["MC_TEST_PG_BIN"], "createdb"),
                    "-h", "127.0.0.1", "-p", port, "-U", "postgres", name],
                   check=True)
    return "postgresql://postgres@127.0.0.1:%s/%s" % (port, name)


def store_sql(store, sql, *args):
    """Rows of a query on the store (sqlite:PATH or postgresql://...),
    ? placeholders filled with args, every value as text."""
    if store.startswith("sqlite:"):
        import sqlite3
        con = sqlite3.connect(store[len("sqlite:"):], timeout=10)
        try:
            return [tuple(r) for r in con.execute(sql, args).fetchall()]
        finally:
            con.close()
    parts = sql.split("?")
    if len(parts) != len(args) + 1:
        raise Fail("store_sql: %d placeholders, %d args" % (
            len(parts) - 1, len(args)))
    text = parts[0]
    for a, rest in zip(args, parts[1:]):
        text += (str(int(a)) if isinstance(a, int)
                 else "'" + str(a).replace("'", "''") + "'") + rest
    p = subprocess.run([os.path.join(os.environ["MC_TEST_PG_BIN"], "psql"),
                        "-X", "-A", "-t", "-F", "\t", "-v",
                        "ON_ERROR_STOP=1", store, "-c", text],
                       capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        raise Fail("psql: %s" % p.stderr)
    rows = []
    for line in p.stdout.splitlines():
        rows.append(tuple(int(v) if v.lstrip("-").isdigit() else v
                          for v in line.split("\t")))
    return rows


class Case:
    def __init__(self, mailcast):
        self.mc = mailcast
        self.dir = tempfile.mkdtemp(prefix="mc-engine.")
        # a run's thawed campaign files go in here, not in /tmp: a run
        # killed with SIGKILL cannot remove its folder, cleanup() does
        os.environ["TMPDIR"] = self.dir
        self.store = "sqlite:" + os.path.join(self.dir, "t.db")
        if os.environ.get("MC_TEST_BACKEND") == "postgresql":
            self.store = pg_fresh()
        self.procs = []
        self.passed = self.failed = 0

    def check(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            print("ok - " + name)
        else:
            self.failed += 1
            print("FAIL - " + name + ("\n  " + str(detail) if detail else ""))

    def mailcast(self, *args, timeout=300, check=True):
        p = subprocess.run([self.mc, "--store", self.store] + list(args),
                           capture_output=True, text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise Fail("mailcast %s: exit %d\n%s%s" % (
                " ".join(args), p.returncode, p.stdout, p.stderr))
        return p

    def make_list(self, addrs, name="l"):
        path = os.path.join(self.dir, name + ".csv")
        with open(path, "w") as f:
            f.write("email,first_name\n")
            for i, a in enumerate(addrs):
                f.write("%s,N%d\n" % (a, i))
        self.mailcast("list", "import", path, "--list", name)
        tpl = os.path.join(self.dir, "t.tmpl")
        with open(tpl, "w") as f:
            f.write(TEMPLATE)
        return tpl

    def sink(self, port, maildir, *faults):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            raise Fail("port %d is taken" % port)
        except OSError:
            pass
        args = [self.mc, "sink", "--listen", "127.0.0.1:%d" % port,
                "--maildir", maildir, "--quiet"]
        for f in faults:
            args += ["--fault", f]
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        self.procs.append(p)
        wait_port(port)
        return p

    def state_counts(self, cid):
        out = self.mailcast("--json", "campaign", "status", str(cid)).stdout
        return json.loads(out)["states"]

    def start(self, cid, timeout, *opts):
        """`mailcast OPTS --store S campaign start CID --quiet` until it
        ends, or timeout s (then killed).  Returns (ended, exit code,
        stdout and stderr)."""
        run = subprocess.Popen([self.mc, *opts, "--store", self.store,
                                "campaign", "start", str(cid), "--quiet"],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
        self.procs.append(run)
        try:
            out, _ = run.communicate(timeout=timeout)
            return True, run.returncode, out
        except subprocess.TimeoutExpired:
            run.kill()
            out, _ = run.communicate()
            return False, run.returncode, out

    def wait_arrivals(self, run, maildir, n, timeout=20):
        """Until the sink stored n messages; Fail if the run ends first."""
        end = time.time() + timeout
        while time.time() < end and len(maildir_rcpts(maildir)) < n:
            if run.poll() is not None:
                raise Fail("the run ended early: %s" % (
                    run.stdout or run.stderr).read())
            time.sleep(0.05)

    def held(self, addrs):
        """How many of addrs have a pending row leased to a run."""
        return store_sql(self.store, "SELECT count(*) FROM deliveries d "
                         "JOIN contacts k ON k.id = d.contact_id WHERE "
                         "d.lease_owner IS NOT NULL AND d.state = 'pending' "
                         "AND k.address IN (%s)" % ",".join(
                             "'%s'" % a for a in addrs))[0][0]

    def ledger(self):
        """address -> "state reply" of every delivery row."""
        return dict(store_sql(
            self.store, "SELECT k.address, d.state || ' ' || "
            "coalesce(d.reply_text, '') FROM deliveries d JOIN contacts k "
            "ON k.id = d.contact_id"))

    def check_spared(self, maildir, addrs, targets, what):
        """None of targets arrived (what: why they must not), every other
        of addrs exactly once.  Returns the others."""
        got = collections.Counter(maildir_rcpts(maildir))
        sent = sorted(a for a in targets if got[a])
        self.check("none of the %d %s was sent" % (len(targets), what),
                   not sent, sent)
        others = [a for a in addrs if a not in targets]
        wrong = [a for a in others if got[a] != 1]
        self.check("each of the other %d arrived exactly once" % len(others),
                   not wrong, [(a, got[a]) for a in wrong[:5]])
        return others

    def campaign(self, tag, n, domain, port, *args, faults=()):
        """A list tag of n addresses (tagI@domain), a sink on port (with
        faults: its --fault rules) and a campaign tag into it; args are
        more `campaign create` options.  Returns (addresses, maildir,
        sink, campaign id)."""
        addrs = ["%s%d@%s" % (tag, i, domain) for i in range(n)]
        tpl = self.make_list(addrs, name=tag)
        md = os.path.join(self.dir, "md-" + tag)
        sink = self.sink(port, md, *faults)
        cid = self.mailcast("campaign", "create", "--name", tag, "--list",
                            tag, "--template", tpl, "--from",
                            "news@news.example", "--relay",
                            "127.0.0.1:%d" % port, "--tls", "none",
                            *args).stdout.strip()
        return addrs, md, sink, cid

    def check_received(self, maildir, sink, addrs, bound, what, why):
        """Stops the sink, then: every one of addrs arrived, and the
        duplicates are at most bound (why: what bound counts).  Returns
        (Counter of arrivals, {address: count} of the duplicates)."""
        time.sleep(0.5)
        stop(sink)
        got = collections.Counter(maildir_rcpts(maildir))
        missing = [a for a in addrs if got[a] == 0]
        self.check("%s: the sink received every recipient" % what,
                   not missing, missing[:5])
        dups = {a: k for a, k in got.items() if k > 1}
        extra = sum(k - 1 for k in dups.values())
        self.check("%s: duplicates (%d) <= %s (%d)" % (what, extra, why,
                                                      bound), extra <= bound)
        return got, dups

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def finish(self):
        print("%d passed, %d failed" % (self.passed, self.failed))
        self.cleanup()
        sys.exit(1 if self.failed else 0)


def wait_port(port, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise Fail("nothing listens on port %d" % port)


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def maildir_rcpts(maildir):
    """Every X-Mailcast-Rcpt of every stored message, with repeats."""
    out = []
    new = os.path.join(maildir, "new")
    if not os.path.isdir(new):
        return out
    for fn in os.listdir(new):
        with open(os.path.join(new, fn), "rb") as f:
            m = email.message_from_binary_file(f)
        for r in m.get_all("X-Mailcast-Rcpt", []):
            out.append(r.strip().strip("<>"))
    return out


class Group:
    """Connections open at once over several Recorders (threads)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.open = 0
        self.max_open = 0

    def add(self, n):
        with self.lock:
            self.open += n
            self.max_open = max(self.max_open, self.open)


class Recorder:
    """A small SMTP server (asyncio, own thread) that accepts everything,
    offers PIPELINING and notes when each message ended and the most
    connections open at once.  Recorders given one group (a Group) also
    count the connections open at once at all of them together."""

    def __init__(self, port, group=None):
        self.port = port
        self.group = group
        self.times = []
        self.open = 0
        self.max_open = 0
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.th = threading.Thread(target=self._run, daemon=True)
        self.th.start()
        self.ready.wait(10)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        srv = self.loop.run_until_complete(asyncio.start_server(
            self._client, "127.0.0.1", self.port, reuse_address=True))
        self.srv = srv
        self.ready.set()
        self.loop.run_forever()

    def _gone(self, state):
        # once per connection: at QUIT, before the 221 is written (the
        # client opens its next connection only after reading the 221,
        # while this thread may not yet have seen the close), or when
        # the connection ends without QUIT
        if not state[0]:
            state[0] = True
            self.open -= 1
            if self.group:
                self.group.add(-1)

    async def _client(self, r, w):
        self.open += 1
        self.max_open = max(self.max_open, self.open)
        if self.group:
            self.group.add(1)
        gone = [False]
        try:
            w.write(b"220 rec.test ESMTP\r\n")
            data = False
            while True:
                line = await r.readline()
                if not line:
                    break
                if data:
                    if line in (b".\r\n", b".\n"):
                        data = False
                        self.times.append(time.monotonic())
                        w.write(b"250 2.0.0 ok\r\n")
                    continue
                cmd = line[:4].upper()
                if cmd == b"EHLO":
                    w.write(b"250-rec.test\r\n250-PIPELINING\r\n"
                            b"250 8BITMIME\r\n")
                elif cmd == b"DATA":
                    data = True
                    w.write(b"354 go\r\n")
                elif cmd == b"QUIT":
                    self._gone(gone)
                    w.write(b"221 bye\r\n")
                    await w.drain()
                    break
                else:
                    w.write(b"250 2.0.0 ok\r\n")
                await w.drain()
        finally:
            self._gone(gone)
            w.close()

    def close(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.th.join(5)
