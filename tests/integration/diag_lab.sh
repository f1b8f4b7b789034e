#!/bin/bash
# diag_lab.sh MAILCAST -- the diagnostics in a client / NAT router / server lab
# (tests/helpers/netlab.sh): the router drops 25, resets 110 and answers 143
# with ICMP admin-prohibited; the server listens on 587 (SMTP + STARTTLS) and
# 993 (implicit TLS); the router-server link has MTU 1400.
# Needs root (network namespaces): exits 77 (skipped) otherwise.
set -u
MC=${1:?usage: diag_lab.sh MAILCAST}
HERE=$(cd "$(dirname "$0")/.." && pwd)
LAB=$HERE/helpers/netlab.sh
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: diag_lab needs root to build network namespaces"
	exit 77
fi
TAG=t$$
T=$(mktemp -d /tmp/mcdiag-lab.XXXXXX)
cleanup() {
	"$LAB" down "$TAG" >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
fail=0
check() { # check NAME FILE REGEX
	if grep -Eq -- "$3" "$2"; then echo "ok   $1"
	else echo "FAIL $1: no /$3/ in:"; sed 's/^/     /' "$2"; fail=1; fi
}
client() { "$LAB" exec "$TAG" client "$MC" "$@"; }

"$LAB" up "$TAG" || { echo "FAIL: lab setup"; exit 1; }
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=mx.lab.test -days 2 \
    -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
"$LAB" exec "$TAG" server /usr/bin/python3 "$HERE/helpers/diag_listeners.py" \
    "$T/cert.pem" "$T/key.pem" 587 993 >"$T/listen.log" 2>&1 &
for _ in $(seq 50); do # wait (bounded) until 587 listens
	"$LAB" exec "$TAG" server ss -ltn | grep -q ':587 ' && break
	sleep 0.1
done

client trace 203.0.113.2 >"$T/trace" 2>&1; echo "rc=$?" >>"$T/trace"
check "trace: hop 1 is the router" "$T/trace" '^ +1 +10\.77\.1\.1 .*time exceeded'
check "trace: hop 2 is the server" "$T/trace" '^ +2 +203\.0\.113\.2 .*port unreachable'
check "trace: path MTU 1400" "$T/trace" '^path MTU 1400'
check "trace: reached in 2 hops, exit 0" "$T/trace" 'reached 203.0.113.2 in 2 hops'

client trace --tcp --port 25 --timeout 500 203.0.113.2 >"$T/trace25" 2>&1
echo "rc=$?" >>"$T/trace25"
check "trace --tcp 25: dies after hop 1" "$T/trace25" 'TCP port 25 dies after hop 1 \(10\.77\.1\.1\)'
check "trace --tcp 25: exit 69" "$T/trace25" '^rc=69$'

client probe --timeout 1500 203.0.113.2 >"$T/probe" 2>&1; echo "rc=$?" >>"$T/probe"
check "probe: 25 filtered" "$T/probe" '^  25 +filtered'
check "probe: 587 open with banner" "$T/probe" '^  587 +open .*banner: 220 mx.lab.test'
check "probe: 110 closed (RST)" "$T/probe" '^  110 +closed .*reset'
check "probe: 143 rejected by the router" "$T/probe" '^  143 +rejected .*administratively prohibited.*from 10\.77\.1\.1'
check "probe: 993 tls-expected" "$T/probe" '^  993 +tls-expected'
check "probe: 465 closed" "$T/probe" '^  465 +closed'
check "probe: STARTTLS and AUTH after it" "$T/probe" 'STARTTLS offered; AUTH in clear: -; AUTH over TLS: PLAIN LOGIN'
check "probe: public address seen by the server" "$T/probe" 'sees you as 203\.0\.113\.1'
check "probe: mss checked against mtu-40" "$T/probe" 'mss 13[0-9][0-9], .*mss <= mtu-40: ok'

client probe --json --ports 143 --timeout 1500 203.0.113.2 >"$T/probe.json" 2>&1
python3 - "$T/probe.json" >"$T/probe.jcheck" 2>&1 <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))["ports"][0]
print("state=%s from=%s type=%d code=%d" % (p["state"], p["icmp"]["from"], p["icmp"]["type"], p["icmp"]["code"]))
PY
check "probe --json: rejection by the router's address" "$T/probe.jcheck" 'state=rejected from=10.77.1.1 type=3 code=13'

client netinfo >"$T/netinfo" 2>&1
gwmac=$("$LAB" exec "$TAG" router cat /sys/class/net/r0/address)
check "netinfo: private address" "$T/netinfo" '10\.77\.1\.2/24 +\(private\)'
check "netinfo: gateway and its MAC" "$T/netinfo" "10\.77\.1\.1 via c0, MAC $gwmac"

client ping --count 3 --interval 200 203.0.113.2 >"$T/ping" 2>&1
check "ping: no loss" "$T/ping" '3 sent, 3 received, 0% loss'
check "ping: reply TTL (64 - 1 hop)" "$T/ping" 'reply ttl=63'
client ping --count 2 --interval 200 --timeout 500 203.0.113.9 >"$T/ping2" 2>&1
echo "rc=$?" >>"$T/ping2"
check "ping: loss to an absent host, exit 69" "$T/ping2" '2 sent, 0 received, 100% loss'

client doctor --relay 203.0.113.2:587 --timeout 1500 >"$T/doctor" 2>&1
echo "rc=$?" >>"$T/doctor"
check "doctor: the root cause names port 25" "$T/doctor" '^ROOT CAUSE: outbound port 25 is blocked.*\[port25-blocked\]'
check "doctor: recommends 587" "$T/doctor" 'fix: .*port 587'
check "doctor: exit 69 (network)" "$T/doctor" '^rc=69$'
check "doctor: ICMP reject by the router" "$T/doctor" 'port 143 is refused by 10\.77\.1\.1'
check "doctor: NAT noticed" "$T/doctor" 'behind NAT \(private address 10\.77\.1\.2\)'

client doctor --json --relay 203.0.113.2:587 --timeout 1500 >"$T/doctor.json" 2>&1
python3 - "$T/doctor.json" >"$T/doctor.jcheck" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print("root=%s class=%s exit=%d" % (d["root_cause"]["id"], d["root_cause"]["class"], d["exit_code"]))
PY
check "doctor --json: stable id, class, exit" "$T/doctor.json" '"id": "port25-blocked"'
check "doctor --json: parsed" "$T/doctor.jcheck" 'root=port25-blocked class=network exit=69'

exit $fail
