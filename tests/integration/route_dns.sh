#!/bin/bash
# route_dns.sh ROUTE_PROBE -- the direct router (MX lookup through c-ares)
# against unbound on 127.0.0.1:27053 serving a generated zone
# (tests/helpers/route-dns.sh): 60 domains on several MX hosts at
# 127.0.0.x; preference order, equal preferences shuffled, shared keys,
# implicit MX, null MX, NXDOMAIN, SERVFAIL, IPv6 and IPv4, hosts asked once.
set -u
PROBE=${1:?usage: route_dns.sh ROUTE_PROBE}
HERE=$(cd "$(dirname "$0")/.." && pwd)
PORT=${ROUTE_DNS_PORT:-27053}
S=127.0.0.1:$PORT
D=$(mktemp -d /tmp/mcroute-dns.XXXXXX)
cleanup() { "$HERE/helpers/route-dns.sh" stop "$D"; rm -rf "$D"; }
trap cleanup EXIT
"$HERE/helpers/route-dns.sh" start "$D" "$PORT"
for _ in $(seq 50); do # bounded wait for the server
	"$PROBE" "$S" 25 a01.rt.test 2>/dev/null | grep -q "	OK	" && break
	sleep 0.1
done

domains=""
for i in $(seq -w 1 30); do domains="$domains a$i.rt.test"; done
for i in $(seq -w 1 20); do domains="$domains b$i.rt.test"; done
domains="$domains c1.rt.test c2.rt.test c3.rt.test nomx1.rt.test nomx2.rt.test"
domains="$domains nomx3.rt.test null1.rt.test null2.rt.test nx1.rt.test"
domains="$domains lame.rt.test x.sf.test a01.rt.test"
# The log from here on counts the queries of this run.
: >"$D/unbound.log"
# shellcheck disable=SC2086
"$PROBE" "$S" 2525 $domains >"$D/routes" 2>"$D/probe.err"
echo "probe exit $?" >>"$D/probe.err"
sleep 0.2 # let unbound flush its log line of the last query
python3 - "$D/routes" "$D/unbound.log" <<'PY'
import collections, re, sys
rows = {}
order = []
for line in open(sys.argv[1]):
    dom, st, key, hosts, why = line.rstrip("\n").split("\t")
    hl = []
    for h in hosts.split(" ") if hosts else []:
        name, addrs = h.split("=")
        hl.append((name, addrs.split(",")))
    rows[dom] = (st, key, hl, why)
    order.append(dom)
log = open(sys.argv[2]).read()
fails = 0
def check(name, cond, detail=""):
    global fails
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + str(detail)))
    fails += not cond

check("62 answers for 62 lookups (61 domains)", len(order) == 62 and len(rows) == 61, len(order))
if len(rows) != 61:
    sys.exit(1)
a = [rows["a%02d.rt.test" % i] for i in range(1, 31)]
check("30 provider-A domains routed", all(r[0] == "OK" for r in a), a[0])
check("preference order: mx1 (10) before mx2 (20)",
      all([h[0] for h in r[2]] == ["mx1.pa.test/10", "mx2.pa.test/20"] for r in a), a[0][2])
check("addresses at 127.0.0.x with the MX port",
      a[0][2][0][1] == ["127.0.0.2:2525"] and a[0][2][1][1] == ["127.0.0.3:2525"], a[0][2])
check("provider A's 30 domains share one key",
      {r[1] for r in a} == {"mx:mx1.pa.test;mx2.pa.test"}, {r[1] for r in a})
b = [rows["b%02d.rt.test" % i] for i in range(1, 21)]
check("provider B: equal preferences first, backup last",
      all(sorted(h[0] for h in r[2][:2]) == ["mx1.pb.test/10", "mx2.pb.test/10"]
          and r[2][2][0] == "backup.pb.test/50" for r in b), b[0][2])
firsts = collections.Counter(r[2][0][0] for r in b)
check("equal preferences shuffled (both orders among 20 domains)", len(firsts) == 2, firsts)
check("provider B's 20 domains share one key",
      {r[1] for r in b} == {"mx:mx1.pb.test,mx2.pb.test;backup.pb.test"}, {r[1] for r in b})
c = rows["c1.rt.test"]
check("IPv6 and IPv4 of an MX host", c[0] == "OK" and c[2][0][1] == ["[::1]:2525", "127.0.0.7:2525"], c)
n = rows["nomx2.rt.test"]
check("implicit MX: the domain itself", n[0] == "OK" and n[2] == [("nomx2.rt.test/0", ["127.0.0.8:2525"])], n)
check("implicit MX domains have keys of their own", n[1] == "mx:nomx2.rt.test", n[1])
nl = rows["null1.rt.test"]
check("null MX failed with the reason",
      nl[0] == "FAIL" and nl[3] == "null MX (RFC 7505): the domain accepts no mail", nl)
nx = rows["nx1.rt.test"]
check("NXDOMAIN failed", nx[0] == "FAIL" and "NXDOMAIN" in nx[3], nx)
lm = rows["lame.rt.test"]
check("SERVFAIL for the MX host's address deferred",
      lm[0] == "DEFER" and "SERVFAIL" in lm[3] and "mx.sf.test" in lm[3], lm)
sf = rows["x.sf.test"]
check("SERVFAIL for the MX query deferred", sf[0] == "DEFER" and "DNS_SERVFAIL" in sf[3], sf)
# Caching and merging, seen at the server: each host's A asked once for
# all the domains naming it, the domain given twice asked once.
def asked(name, t):
    return len(re.findall(r"info: 127\.0\.0\.1 %s\. %s IN" % (re.escape(name), t), log))
check("mx1.pa.test A asked once for 30 domains", asked("mx1.pa.test", "A") == 1, asked("mx1.pa.test", "A"))
check("backup.pb.test AAAA asked once for 20 domains", asked("backup.pb.test", "AAAA") == 1,
      asked("backup.pb.test", "AAAA"))
check("a01.rt.test MX asked once though looked up twice", asked("a01.rt.test", "MX") == 1,
      asked("a01.rt.test", "MX"))
check("nothing asked outside the test zones",
      not re.search(r"info: 127\.0\.0\.1 \S+(?<!\.test)\. ", log), "")
sys.exit(1 if fails else 0)
PY
rc=$?
if [ "$rc" -ne 0 ]; then
	echo "--- routes"; cat "$D/routes"; echo "--- probe stderr"; cat "$D/probe.err"
fi
exit "$rc"
