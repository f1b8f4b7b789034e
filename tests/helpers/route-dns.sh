#!/bin/bash
# route-dns.sh start|stop DIR [PORT] -- unbound on 127.0.0.1:PORT (27053)
# serving a generated zone for the direct-delivery tests; nothing is
# forwarded anywhere, every other name is refused.  State in DIR.
#
#   a01..a30.rt.test  MX 10 mx1.pa.test (127.0.0.2), MX 20 mx2.pa.test
#                     (127.0.0.3): one provider, 30 domains
#   b01..b20.rt.test  MX 10 mx1.pb.test (127.0.0.4), MX 10 mx2.pb.test
#                     (127.0.0.5), MX 50 backup.pb.test (127.0.0.6)
#   c1..c3.rt.test    MX 10 mx.pc.test: AAAA ::1 and A 127.0.0.7
#   nomx1..3.rt.test  no MX, A 127.0.0.8 (implicit MX)
#   null1..2.rt.test  MX 0 . (RFC 7505)
#   nx*.rt.test       anything else under rt.test: NXDOMAIN
#   lame.rt.test      MX 10 mx.sf.test: SERVFAIL for the host's address
#   x.sf.test         SERVFAIL for the MX query itself (sf.test is delegated
#                     to a responder on PORT+1 that answers SERVFAIL to all)
#   fb.rt.test        MX 10 refuse.pf.test (127.0.0.9), MX 20 take.pf.test
#                     (127.0.0.10): the end-to-end fallback test
# MXPORT_HOSTS (optional, "name=addr ..."): extra A records under pf.test.
set -euo pipefail
cmd=${1:-}; D=${2:-}; PORT=${3:-27053}
[ -n "$cmd" ] && [ -n "$D" ] || { echo "usage: $0 start|stop DIR [PORT]" >&2; exit 2; }
SFPORT=$((PORT + 1))
mkdir -p "$D"
case "$cmd" in
start)
	# The SERVFAIL responder: same id and question, QR and RA set, RCODE 2.
	cat >"$D/servfail.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    q, a = s.recvfrom(4096)
    if len(q) < 12:
        continue
    flags = 0x8000 | (q[2] << 8 & 0x7900) | 0x0080 | 2
    s.sendto(q[:2] + flags.to_bytes(2, "big") + q[4:6] + bytes(6) + q[12:], a)
PY
	python3 "$D/servfail.py" "$SFPORT" >"$D/servfail.out" 2>&1 &
	echo $! >"$D/servfail.bgpid"
	{
		cat <<CONF
server:
  interface: 127.0.0.1
  port: $PORT
  do-ip6: no
  username: ""
  chroot: ""
  directory: "$D"
  pidfile: "$D/unbound.pid"
  logfile: "$D/unbound.log"
  use-syslog: no
  verbosity: 1
  log-queries: yes
  module-config: "iterator"
  do-not-query-localhost: no
  access-control: 127.0.0.0/8 allow
  local-zone: "pa.test." static
  local-data: "mx1.pa.test. 300 IN A 127.0.0.2"
  local-data: "mx2.pa.test. 300 IN A 127.0.0.3"
  local-zone: "pb.test." static
  local-data: "mx1.pb.test. 300 IN A 127.0.0.4"
  local-data: "mx2.pb.test. 300 IN A 127.0.0.5"
  local-data: "backup.pb.test. 300 IN A 127.0.0.6"
  local-zone: "pc.test." static
  local-data: "mx.pc.test. 300 IN A 127.0.0.7"
  local-data: "mx.pc.test. 300 IN AAAA ::1"
  local-zone: "pf.test." static
  local-data: "refuse.pf.test. 300 IN A 127.0.0.9"
  local-data: "take.pf.test. 300 IN A 127.0.0.10"
  local-zone: "rt.test." static
CONF
		for i in $(seq -w 1 30); do
			echo "  local-data: \"a$i.rt.test. 300 IN MX 10 mx1.pa.test.\""
			echo "  local-data: \"a$i.rt.test. 300 IN MX 20 mx2.pa.test.\""
		done
		for i in $(seq -w 1 20); do
			echo "  local-data: \"b$i.rt.test. 300 IN MX 10 mx1.pb.test.\""
			echo "  local-data: \"b$i.rt.test. 300 IN MX 10 mx2.pb.test.\""
			echo "  local-data: \"b$i.rt.test. 300 IN MX 50 backup.pb.test.\""
		done
		for i in 1 2 3; do
			echo "  local-data: \"c$i.rt.test. 300 IN MX 10 mx.pc.test.\""
			echo "  local-data: \"nomx$i.rt.test. 300 IN A 127.0.0.8\""
		done
		for i in 1 2; do
			echo "  local-data: \"null$i.rt.test. 300 IN MX 0 .\""
		done
		echo '  local-data: "lame.rt.test. 300 IN MX 10 mx.sf.test."'
		echo '  local-data: "fb.rt.test. 300 IN MX 10 refuse.pf.test."'
		echo '  local-data: "fb.rt.test. 300 IN MX 20 take.pf.test."'
		for h in ${MXPORT_HOSTS:-}; do
			echo "  local-data: \"${h%%=*}.pf.test. 300 IN A ${h#*=}\""
		done
		# sf.test: delegated to a port where nothing answers.
		cat <<CONF
  local-zone: "sf.test." transparent
  local-zone: "." refuse
stub-zone:
  name: "sf.test."
  stub-addr: 127.0.0.1@$SFPORT
remote-control:
  control-enable: no
CONF
	} >"$D/unbound.conf"
	unbound-checkconf "$D/unbound.conf" >/dev/null
	unbound -d -c "$D/unbound.conf" >"$D/unbound.out" 2>&1 &
	echo $! >"$D/unbound.bgpid"
	;;
stop)
	for f in "$D/unbound.bgpid" "$D/servfail.bgpid"; do
		if [ -f "$f" ]; then
			kill "$(cat "$f")" 2>/dev/null || true
			rm -f "$f"
		fi
	done
	;;
*) echo "usage: $0 start|stop DIR [PORT]" >&2; exit 2 ;;
esac
