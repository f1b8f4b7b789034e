#!/bin/bash
# route_direct_e2e.sh MAILCAST -- a campaign in direct mode, end to end:
# unbound on 127.0.0.1:27063 serves the zone of tests/helpers/route-dns.sh,
# `mailcast sink` instances listen on 127.0.0.{2,3,4,5,6,7,8,10}:27025 as
# the MX hosts, nothing listens on 127.0.0.9 (fb.rt.test's first MX refuses
# the connection, so its mail must go to the second).  Checks each
# recipient's ledger row (`campaign who --json`: state, reply, the MX that
# took it) against what each sink's Maildir holds (X-Mailcast-Rcpt).
# --pipeline 1: one message in flight per connection, so a destination's
# queue opens several connections and the equal-preference hosts take
# turns (with BDAT pipelining one connection can drain the whole queue).
set -u
MC=${1:?usage: route_direct_e2e.sh MAILCAST}
HERE=$(cd "$(dirname "$0")/.." && pwd)
DNSPORT=${ROUTE_E2E_DNS_PORT:-27063}
MXPORT=${ROUTE_E2E_MX_PORT:-27025}
T=$(mktemp -d /tmp/mcroute-e2e.XXXXXX)
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	"$HERE/helpers/route-dns.sh" stop "$T/dns"
	rm -rf "$T"
}
trap cleanup EXIT
"$HERE/helpers/route-dns.sh" start "$T/dns" "$DNSPORT"
SINKS="2 3 4 5 6 7 8 10"
for n in $SINKS; do
	"$MC" sink --listen "127.0.0.$n:$MXPORT" --maildir "$T/mx$n" --quiet \
	    >"$T/sink$n.log" 2>&1 &
	PIDS="$PIDS $!"
done
# Bounded wait for the sinks and the DNS server.
python3 - "$MXPORT" "$DNSPORT" $SINKS <<'PY' || { echo "FAIL servers did not start"; exit 1; }
import socket, sys, time
port, dnsport, hosts = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03a01\x02rt\x04test\x00\x00\x0f\x00\x01"
for _ in range(100):
    try:
        for h in hosts:
            socket.create_connection(("127.0.0.%s" % h, port), 0.2).close()
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.settimeout(0.2)
        u.sendto(q, ("127.0.0.1", dnsport))
        u.recv(512)
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY

{
	echo "email,first_name"
	for i in $(seq -w 1 30); do echo "u$i@a$i.rt.test,A$i"; done
	for i in $(seq -w 1 20); do echo "u$i@b$i.rt.test,B$i"; done
	echo "u1@fb.rt.test,F1"
	echo "u2@fb.rt.test,F2"
	for i in 1 2 3; do echo "u1@nomx$i.rt.test,N$i"; done
	echo "u1@c1.rt.test,C"
	echo "u1@null1.rt.test,X"
	echo "u1@nx1.rt.test,X"
	echo "u1@x.sf.test,S"
} >"$T/list.csv"
printf 'From: News <news@sender.test>\nSubject: Hello {{first_name}}\n\nHello {{first_name}}.\n' >"$T/t.txt"
S="sqlite:$T/db"
"$MC" --store "$S" list import "$T/list.csv" --list L >"$T/import.out" 2>&1 ||
	{ echo "FAIL list import"; cat "$T/import.out"; exit 1; }
timeout 120 "$MC" --store "$S" broadcast --list L --template "$T/t.txt" \
    --from news@sender.test --direct --dns-server "127.0.0.1:$DNSPORT" \
    --mx-port "$MXPORT" --tls none --timeout 5000 --quiet --linger 5 \
    --pipeline 1 >"$T/broadcast.out" 2>&1
echo "exit $?" >>"$T/broadcast.out"
"$MC" --store "$S" campaign who 1 --json >"$T/who.json" 2>"$T/who.err"
python3 - "$T" "$MXPORT" $SINKS <<'PY'
import email, glob, json, os, re, sys
T, port, sinks = sys.argv[1], sys.argv[2], sys.argv[3:]
fails = 0
def check(name, cond, detail=""):
    global fails
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + str(detail)))
    fails += not cond
out = open(os.path.join(T, "broadcast.out")).read()
check("broadcast exits 75: a deferred row is left for later",
      out.rstrip().endswith("exit 75") and "deferred recipients are left" in out,
      out[-2000:])
try:
    rows = {r["address"]: r for r in json.load(open(os.path.join(T, "who.json")))}
except Exception as e:
    print("FAIL campaign who --json:", e, open(os.path.join(T, "who.err")).read())
    sys.exit(1)
check("59 ledger rows", len(rows) == 59, len(rows))
# What each sink received, by envelope recipient (parsed independently).
got = {}
for n in sinks:
    for f in glob.glob(os.path.join(T, "mx%s" % n, "new", "*")):
        m = email.message_from_binary_file(open(f, "rb"))
        rc = m["X-Mailcast-Rcpt"].strip("<>")
        got.setdefault(rc, []).append("127.0.0.%s" % n)
        if m["To"] != rc:
            check("To: of the message for %s" % rc, False, m["To"])
def relay_addr(r):
    m = re.search(r"(\d+\.\d+\.\d+\.\d+):(\d+)$", r.get("relay") or "")
    return m.group(1) if m and m.group(2) == port else None
def sent_at(addr, ip, name=None):
    r = rows.get(addr, {})
    ok = (r.get("state") == "sent" and r.get("reply_code") == 250
          and relay_addr(r) == ip and got.get(addr) == [ip])
    if name is not None:
        ok = ok and (r.get("relay") or "").startswith(name + " ")
    return ok, (r, got.get(addr))
a = ["u%02d@a%02d.rt.test" % (i, i) for i in range(1, 31)]
bad = [x for x in a if not sent_at(x, "127.0.0.2", "mx1.pa.test")[0]]
check("30 domains: preference 10 (mx1.pa.test, 127.0.0.2) took each, once", not bad,
      [sent_at(x, "127.0.0.2")[1] for x in bad[:3]])
check("nothing at the preference-20 host while the first answers",
      not os.listdir(os.path.join(T, "mx3", "new")), os.listdir(os.path.join(T, "mx3", "new")))
b = ["u%02d@b%02d.rt.test" % (i, i) for i in range(1, 21)]
bad = [x for x in b if not (sent_at(x, "127.0.0.4", "mx1.pb.test")[0] or
                           sent_at(x, "127.0.0.5", "mx2.pb.test")[0])]
check("20 domains: one of the two equal-preference hosts took each, once", not bad,
      [rows.get(x) for x in bad[:3]])
n4 = sum(1 for x in b if sent_at(x, "127.0.0.4")[0])
n5 = sum(1 for x in b if sent_at(x, "127.0.0.5")[0])
check("the two equal-preference hosts shared the load (%d + %d)" % (n4, n5),
      n4 > 0 and n5 > 0, (n4, n5))
check("nothing at the backup MX (preference 50)",
      not os.listdir(os.path.join(T, "mx6", "new")), "")
for x in ("u1@fb.rt.test", "u2@fb.rt.test"):
    ok, d = sent_at(x, "127.0.0.10")
    check("%s: first MX refused, the second (127.0.0.10) took it" % x, ok, d)
bad = [i for i in (1, 2, 3) if not sent_at("u1@nomx%d.rt.test" % i, "127.0.0.8",
                                            "nomx%d.rt.test" % i)[0]]
check("implicit MX: the domain's own address took it", not bad, bad)
ok, d = sent_at("u1@c1.rt.test", "127.0.0.7", "mx.pc.test")
check("IPv6 and IPv4 of the MX: nothing at [::1], 127.0.0.7 took it", ok, d)
r = rows.get("u1@null1.rt.test", {})
check("null MX: failed at once with the reason",
      r.get("state") == "failed" and r.get("attempts") == 1 and
      r.get("reply") == "null MX (RFC 7505): the domain accepts no mail", r)
r = rows.get("u1@nx1.rt.test", {})
check("NXDOMAIN: failed", r.get("state") == "failed" and "NXDOMAIN" in (r.get("reply") or ""), r)
r = rows.get("u1@x.sf.test", {})
check("SERVFAIL: deferred", r.get("state") == "deferred" and "SERVFAIL" in (r.get("reply") or ""), r)
check("no failed or deferred recipient reached a sink",
      not any(x in got for x in ("u1@null1.rt.test", "u1@nx1.rt.test", "u1@x.sf.test")), "")
check("every message that arrived is a sent row",
      all(rows.get(x, {}).get("state") == "sent" for x in got), "")
sys.exit(1 if fails else 0)
PY
rc=$?
[ "$rc" -ne 0 ] && { echo "--- broadcast"; cat "$T/broadcast.out"; }
exit "$rc"
