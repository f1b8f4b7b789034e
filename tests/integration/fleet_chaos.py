#!/usr/bin/python3
"""fleet_chaos.py MAILCAST — issue 15, Must show 2, in the fleet lab
(tests/lab/fleetlab.sh: a db host with PostgreSQL, three worker hosts, two
receiving hosts counting their connections; root only, else 77).

One campaign of N recipients (FLEET_N, default 5000; bench/fleet.sh runs
200,000) over two relays that are two destinations with connection caps
3 (rx1) and 2 (rx2) and a shared rate of RATE/s each (FLEET_RATE, default 40); three `mailcast
worker`s, one per worker host.  While it runs: a worker (w1 or w3, the
one holding the most connection slots) is killed with kill -9 three times
(started again each time), and w2's link is cut
(`ip link set eth0 down` in its namespace) for CUT_S seconds, longer than
the lease timeout, then brought back.  Then:
  - 0 lost: every recipient reached its receiver, every ledger row sent;
  - duplicates <= the rows whose fate was unknown: in flight on the lost
    workers (the store's "inflight-unknown" events, one per row taken
    over while inflight) or on a connection lost after the end of their
    data ("delivery-unknown" events), and every duplicate is listed by
    `campaign report` as resent (a duplicate that is not: its ledger row
    and events are printed);
  - no receiver ever had more connections open at once than its cap
    (counted by the receiver, across the whole fleet); the receivers
    answer each message 20 ms after its dot (50/s a connection), so rows are in flight;
  - no receiver got more than its rate (+20%) in any 5 s;
  - `campaign status` showed the workers and the slots each held.
"""
import collections
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from engine_lib import TEMPLATE  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
LAB = os.path.join(HERE, "..", "lab", "fleetlab.sh")
RX = os.path.join(HERE, "..", "lab", "rx_count.py")
N = int(os.environ.get("FLEET_N", "5000"))
RATE = int(os.environ.get("FLEET_RATE", "40"))  # per destination
DOT_MS = os.environ.get("FLEET_DOT_MS", "20")  # receivers' answer delay
CAPS = {"rx1": 3, "rx2": 2}
LEASE = 3  # lease timeout (s): slots live 4x this (12 s) after a renewal
WIN = 5  # seconds: the window the receivers' rate is measured over
CUT_S = 5  # > LEASE; with TCP's retransmission back-off w2 is
# frozen ~6.2 s, inside the slots' 12 s
TAG = "t%d" % (os.getpid() % 100000)
DB = "10.89.0.2"
URL = "postgresql://postgres@%s:5432/campaigns" % DB
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok - " + name)
    else:
        failed += 1
        print("FAIL - " + name + ("\n  " + str(detail) if detail else ""))
    sys.stdout.flush()


class Fail(Exception):
    pass


def lab(*args, check_rc=True):
    p = subprocess.run([LAB] + list(args), capture_output=True, text=True,
                       timeout=60)
    if check_rc and p.returncode != 0:
        raise Fail("fleetlab %s: %s" % (" ".join(args), p.stderr))
    return p


def in_ns(host, argv):
    return ["ip", "netns", "exec", "mcfl-%s-%s" % (TAG, host)] + argv


def pgbin():
    vs = sorted(d for d in os.listdir("/usr/lib/postgresql")
                if os.path.isfile("/usr/lib/postgresql/%s/bin/initdb" % d))
    if not vs:
        return None
    return "/usr/lib/postgresql/%s/bin" % vs[-1]


def db_start(tmp, bindir):
    run = os.path.join(tmp, "pg")
    os.makedirs(run)
    shutil.chown(run, "postgres")
    os.chmod(tmp, 0o755)
    data = os.path.join(run, "data")
    su = ["runuser", "-u", "postgres", "--"]
    subprocess.run(su + [bindir + "/initdb", "-D", data, "-U", "postgres",
                         "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
                   check=True, capture_output=True, timeout=120)
    with open(os.path.join(data, "pg_hba.conf"), "a") as f:
        f.write("host all all 10.89.0.0/24 trust\n")
    subprocess.run(in_ns("db", su + [
        bindir + "/pg_ctl", "-D", data, "-l", os.path.join(run, "pg.log"),
        "-w", "-t", "30", "-o",
        "-p 5432 -c listen_addresses=%s -c unix_socket_directories=%s "
        "-c fsync=off -c synchronous_commit=off -c max_connections=60" %
        (DB, run), "start"]), check=True, capture_output=True, timeout=60)
    subprocess.run(in_ns("db", [bindir + "/createdb", "-h", DB, "-U",
                                "postgres", "campaigns"]), check=True,
                   timeout=30)
    return data


def mc(mcbin, conf, *args, host="w3", timeout=300):
    p = subprocess.run(in_ns(host, [mcbin, "--config", conf, "--store", URL]
                             + list(args)),
                       capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise Fail("mailcast %s: exit %d\n%s%s" % (
            " ".join(args), p.returncode, p.stdout, p.stderr))
    return p.stdout


def psql(bindir, sql):
    p = subprocess.run(in_ns("w3", [bindir + "/psql", "-h", DB, "-U",
                                    "postgres", "-d", "campaigns", "-At",
                                    "-c", sql]),
                       capture_output=True, text=True, timeout=30)
    return p.stdout.strip()


def read_max(out):
    try:
        with open(os.path.join(out, "max")) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return -1


def main(mcbin, tmp, procs):
    bindir = pgbin()
    lab("up", TAG)
    db_start(tmp, bindir)
    rx_out = {}
    for h in CAPS:
        out = os.path.join(tmp, h)
        os.makedirs(out)
        rx_out[h] = out
        procs.append(subprocess.Popen(in_ns(h, ["/usr/bin/python3", RX,
                                                lab("addr", h).stdout.strip(),
                                                "25", out, DOT_MS])))
    conf = os.path.join(tmp, "mailcast.conf")
    with open(conf, "w") as f:
        f.write("[mailcast]\nlease_timeout = %d\n" % LEASE)
        for h, cap in CAPS.items():
            f.write("[relay %s]\nhost = %s:25\nconns = %d\nrate = %d\n"
                    "tls = none\n" % (h, lab("addr", h).stdout.strip(), cap,
                                      RATE))
    csv = os.path.join(tmp, "l.csv")
    addrs = ["u%d@d%d.example" % (i, i % 40) for i in range(N)]
    with open(csv, "w") as f:
        f.write("email,first_name\n")
        for i, a in enumerate(addrs):
            f.write("%s,N%d\n" % (a, i))
    tpl = os.path.join(tmp, "t.tmpl")
    with open(tpl, "w") as f:
        f.write(TEMPLATE)
    mc(mcbin, conf, "store", "migrate")
    mc(mcbin, conf, "list", "import", csv, "--list", "l")
    cid = mc(mcbin, conf, "campaign", "create", "--name", "f", "--list", "l",
             "--template", tpl, "--from", "news@news.example", "--tls",
             "none", "--lease-timeout", str(LEASE)).strip()
    psql(bindir, "UPDATE campaigns SET status = 'running' WHERE id = %s" %
         cid)
    logs = {}

    def worker(h):
        log = open(os.path.join(tmp, "%s.log" % h), "a")
        p = subprocess.Popen(in_ns(h, [mcbin, "--config", conf, "--store",
                                       URL, "worker", "--poll", "1"]),
                             stdout=log, stderr=log)
        procs.append(p)
        logs[h] = p
        return p

    for h in ("w1", "w2", "w3"):
        worker(h)

    def status():
        return json.loads(mc(mcbin, conf, "--json", "campaign", "status",
                             cid))

    def sent():
        return status()["states"]["sent"]

    def wait_sent(k, limit):
        end = time.time() + limit
        while time.time() < end:
            if sent() >= k:
                return
            time.sleep(0.5)
        raise Fail("never %d sent (now %d)" % (k, sent()))

    seen_slots = 0
    st_slots = None
    for i in range(3):
        wait_sent(N * (i + 1) // 8, max(120, N // 100))
        # the victim: the worker (w1 or w3) holding the most slots, so
        # it dies with messages in flight
        victim, most = "w1", -1
        for _ in range(40):
            st = status()
            n = sum(h.get("slots", 0) for h in st["holders"])
            if n > seen_slots:
                seen_slots, st_slots = n, st["holders"]
            for h in st["holders"]:
                for name in ("w1", "w3"):
                    if h["pid"] == logs[name].pid and h["slots"] > most:
                        victim, most = name, h["slots"]
            if most > 0:
                break
            time.sleep(0.1)
        w = logs[victim]
        w.send_signal(signal.SIGKILL)
        w.wait()
        print("# kill -9 %s (pid %d, %d slots) at %d sent" %
              (victim, w.pid, most, sent()))
        time.sleep(1)
        worker(victim)
    wait_sent(N // 2, max(120, N // 100))
    print("# cut w2 at %d sent" % sent())
    lab("cut", TAG, "w2")
    time.sleep(CUT_S)
    lab("heal", TAG, "w2")
    print("# healed w2 at %d sent" % sent())
    end = time.time() + max(300, N // 50)
    while time.time() < end and status()["status"] != "done":
        time.sleep(1)
    st = status()
    check("campaign done, every row sent (0 lost in the ledger)",
          st["status"] == "done" and st["states"]["sent"] == N, st)
    check("campaign status showed the workers' connection slots (%d at "
          "once)" % seen_slots,
          seen_slots > 0 and all("slot_list" in h for h in st_slots),
          st_slots)
    for p in list(logs.values()):
        p.send_signal(signal.SIGTERM)
    for p in list(logs.values()):
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()
    time.sleep(0.5)
    got = collections.Counter()
    for h, out in rx_out.items():
        times = []
        with open(os.path.join(out, "rcpts")) as f:
            for line in f:
                if line.strip():
                    a, t = line.split()
                    got[a] += 1
                    times.append(float(t))
        times.sort()
        peak, j = 0, 0
        for i in range(len(times)):
            while times[i] - times[j] >= WIN:
                j += 1
            peak = max(peak, i - j + 1)
        # the rate is the fleet's: WIN s hold WIN x the rate, the bucket's
        # burst and what a cut worker had on the wire (it arrives late,
        # at once), with 20% to spare; far from 3 x the rate
        lim = int(RATE * WIN * 1.2)
        print("# %s: at most %d messages in %d s (rate %d/s)" %
              (h, peak, WIN, RATE))
        check("%s got at most %d messages in any %d s (%d)" %
              (h, lim, WIN, peak), 0 < peak <= lim)
    missing = [a for a in addrs if got[a] == 0]
    check("every recipient reached a receiver (0 lost)", not missing,
          missing[:5])
    dups = {a for a, k in got.items() if k > 1}
    extra = sum(got[a] - 1 for a in dups)
    # the rows whose fate was unknown: in flight on a lost worker, or on
    # a connection lost after the end of their data
    kinds = dict((k, int(n)) for k, n in (
        ln.split("|") for ln in psql(
            bindir, "SELECT kind, count(*) FROM events WHERE campaign_id "
            "= %s AND kind IN ('inflight-unknown', 'delivery-unknown') "
            "GROUP BY kind" % cid).splitlines() if "|" in ln))
    inflight = kinds.get("inflight-unknown", 0)
    unknown = kinds.get("delivery-unknown", 0)
    print("# %d duplicates; %d rows were in flight on lost workers, %d "
          "lost their connection after the end of data" %
          (extra, inflight, unknown))
    check("duplicates (%d) <= rows in flight on the lost workers (%d) + "
          "rows whose connection was lost after their data (%d)" %
          (extra, inflight, unknown), extra <= inflight + unknown)
    rep = json.loads(mc(mcbin, conf, "--json", "campaign", "report", cid))
    unlisted = sorted(dups - set(rep["resent"]))
    check("campaign report lists every duplicate as resent", not unlisted,
          unlisted[:5])
    for a in unlisted[:3]:
        # what the store knows of it, for whoever looks at a failure
        print("# %s: %s" % (a, psql(
            bindir, "SELECT d.state, d.attempts, d.reply_text, "
            "d.lease_owner FROM deliveries d JOIN contacts k ON k.id = "
            "d.contact_id WHERE d.campaign_id = %s AND k.address = '%s'"
            % (cid, a)).strip()))
        print("#   events: %s" % psql(
            bindir, "SELECT e.kind, e.detail, e.at FROM events e JOIN "
            "contacts k ON k.id = e.contact_id WHERE e.campaign_id = %s "
            "AND k.address = '%s'" % (cid, a)).strip().replace("\n", "; "))
    for h, cap in CAPS.items():
        m = read_max(rx_out[h])
        print("# %s: at most %d connections at once (cap %d)" % (h, m, cap))
        check("%s never had more than %d connections open (%d)" %
              (h, cap, m), 0 < m <= cap)


def run():
    if os.geteuid() != 0:
        print("fleet_chaos: needs root (network namespaces): skipped")
        sys.exit(77)
    if pgbin() is None:
        print("fleet_chaos: PostgreSQL's server is not installed: skipped")
        sys.exit(77)
    mcbin = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="mc-fleet.")
    os.environ["TMPDIR"] = tmp  # workers killed with SIGKILL leave theirs
    procs = []
    try:
        main(mcbin, tmp, procs)
    except (Fail, subprocess.SubprocessError, ValueError, KeyError) as e:
        check("setup", False, e)
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        for h in ("w1", "w2", "w3"):
            lg = os.path.join(tmp, "%s.log" % h)
            if failed and os.path.exists(lg):
                print("# %s log (tail):" % h)
                with open(lg) as f:
                    for line in f.readlines()[-15:]:
                        print("#   " + line.rstrip())
        lab("down", TAG, check_rc=False)
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


run()
