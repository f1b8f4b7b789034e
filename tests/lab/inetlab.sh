#!/bin/bash
# inetlab.sh -- an internet-sized delivery lab in network namespaces.
#
#            +-- dns   10.91.0.2  unbound: the world's zone (inet_gen.py)
#            +-- r20   10.91.1.2  + 10.100.1.1..H   RTT  20 ms, 0.5% loss
#   snd -----+-- r80   10.91.2.2  + 10.100.2.1..H   RTT  80 ms, 0.5% loss
#  (sender)  +-- r150  10.91.3.2  + 10.100.3.1..H   RTT 150 ms, 0.5% loss
#            +-- r300  10.91.4.2  + 10.100.4.1..H   RTT 300 ms, 0.5% loss
#            +-- grey  10.91.5.2  + 10.100.5.*      RTT  80 ms, greylists
#            +-- slow  10.91.6.2  + 10.100.6.*      RTT  80 ms, 2 s per RCPT
#   10.100.99.* (dead MX hosts) is routed to r20, which does not own it:
#   the SYNs are dropped there, nobody answers.
# Each link is a veth pair snd:to-X <-> X:eth0 (10.91.K.1/24 <-> .2/24);
# the receiver drops 0.5% of its packets (nft numgen).
# The round-trip time: this kernel has no sch_netem (nor fq), so the
# latency is made by the receivers: `mailcast sink --latency RTT` holds
# each batch of replies until one RTT after the input that made it was
# read (the greeting two), while it goes on reading -- a delay line, as
# on a real link: a client pipelining several transactions overlaps
# their round trips, a client waiting for each reply pays one per wait.
# Receivers: `mailcast sink --discard --latency RTT` on 0.0.0.0:25
# (slow: and a --fault delay of 2 s, server time, on every RCPT); grey:
# tests/lab/inet_grey.py (no PIPELINING; one RTT before the greeting and
# the replies to MAIL and the dot).
# Namespaces are mcin-TAG-NAME; the sender resolves through the lab DNS
# (/etc/netns/mcin-TAG-snd/resolv.conf).  Nothing is routed out.
#
# Usage (root):
#   inetlab.sh up TAG DIR MAILCAST [HOSTS]   DIR holds zone.conf (inet_gen.py)
#   inetlab.sh down TAG [DIR]                kill everything, delete it all
#   inetlab.sh exec TAG NAME CMD...          run CMD in NAME
# "down" is safe to call when nothing, or half of it, exists.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
cmd=${1:-}
tag=${2:-}
[ -n "$cmd" ] && [ -n "$tag" ] || {
	echo "usage: $0 up|down|exec TAG ..." >&2
	exit 2
}
P=mcin-$tag
NAMES="dns r20 r80 r150 r300 grey slow"

num() {
	case $1 in
	dns) echo 0 ;; r20) echo 1 ;; r80) echo 2 ;; r150) echo 3 ;;
	r300) echo 4 ;; grey) echo 5 ;; slow) echo 6 ;;
	esac
}
rtt() {
	case $1 in
	dns) echo 0 ;; r20) echo 20 ;; r150) echo 150 ;; r300) echo 300 ;;
	*) echo 80 ;;
	esac
}

down() {
	local n pid
	for n in $NAMES snd; do
		if ip netns list | grep -qw "^$P-$n"; then
			for pid in $(ip netns pids "$P-$n" 2>/dev/null); do
				kill -9 "$pid" 2>/dev/null || true
			done
			ip netns del "$P-$n" 2>/dev/null || true
		fi
	done
	rm -rf "/etc/netns/$P-snd"
}

up() {
	local dir=${1:?dir} mc=${2:?mailcast} hosts=${3:-100} n k d h
	down
	trap 'echo "inetlab: setup failed, removing it" >&2; down' ERR
	ip netns add "$P-snd"
	ip -n "$P-snd" link set lo up
	for n in $NAMES; do
		k=$(num "$n")
		ip netns add "$P-$n"
		ip -n "$P-$n" link set lo up
		ip link add "to-$n" netns "$P-snd" type veth peer name eth0 \
		    netns "$P-$n"
		ip -n "$P-snd" addr add "10.91.$k.1/24" dev "to-$n"
		ip -n "$P-$n" addr add "10.91.$k.2/24" dev eth0
		ip -n "$P-snd" link set "to-$n" up
		ip -n "$P-$n" link set eth0 up
		if [ "$k" != 0 ]; then
			# 0.5% of the receiver's packets lost
			ip netns exec "$P-$n" nft -f - <<NFT
table inet loss {
	chain out {
		type filter hook output priority 0; policy accept;
		numgen random mod 200 0 drop
	}
}
NFT
		fi
		[ "$k" = 0 ] && continue
		ip -n "$P-snd" route add "10.100.$k.0/24" via "10.91.$k.2"
		for h in $(seq 1 "$hosts"); do
			echo "addr add 10.100.$k.$h/32 dev eth0"
		done | ip -n "$P-$n" -batch -
	done
	ip -n "$P-snd" route add 10.100.99.0/24 via 10.91.1.2
	# the DNS server: only the lab's zone, nothing forwarded
	cat >"$dir/unbound.conf" <<CONF
server:
  interface: 10.91.0.2
  port: 53
  do-ip6: no
  username: ""
  chroot: ""
  directory: "$dir"
  pidfile: "$dir/unbound.pid"
  logfile: "$dir/unbound.log"
  use-syslog: no
  verbosity: 0
  num-threads: 1
  access-control: 10.91.0.0/16 allow
  include: "$dir/zone.conf"
  local-zone: "." refuse
remote-control:
  control-enable: no
CONF
	unbound-checkconf "$dir/unbound.conf" >/dev/null
	ip netns exec "$P-dns" unbound -d -c "$dir/unbound.conf" \
	    >"$dir/unbound.out" 2>&1 &
	mkdir -p "/etc/netns/$P-snd"
	printf 'nameserver 10.91.0.2\noptions timeout:2 attempts:2\n' \
	    >"/etc/netns/$P-snd/resolv.conf"
	for n in r20 r80 r150 r300 slow; do
		d=$(rtt "$n")
		set -- --latency "$d"
		[ "$n" = slow ] && set -- "$@" --fault 'rcpt:*=delay 2000'
		ip netns exec "$P-$n" "$mc" sink --listen 0.0.0.0:25 --discard \
		    --quiet --max-rcpts 100 "$@" >"$dir/sink-$n.log" 2>&1 &
	done
	ip netns exec "$P-grey" /usr/bin/python3 "$HERE/inet_grey.py" 0.0.0.0 25 \
	    "$(rtt grey)" >"$dir/grey.log" 2>&1 &
	trap - ERR
	# bounded: the DNS answers and every receiver accepts, from snd
	ip netns exec "$P-snd" python3 - <<'PY' || { echo "inetlab: servers did not start" >&2; down; exit 1; }
import socket, sys, time
q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03mx1\x03d20\x03net\x04test\x00\x00\x01\x00\x01"
for _ in range(150):
    try:
        for k in (1, 2, 3, 4, 5, 6):
            socket.create_connection(("10.100.%d.1" % k, 25), 2).close()
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.settimeout(0.5)
        u.sendto(q, ("10.91.0.2", 53))
        u.recv(512)
        sys.exit(0)
    except OSError:
        time.sleep(0.2)
sys.exit(1)
PY
}

case $cmd in
up) up "${3:-}" "${4:-}" "${5:-100}" ;;
down) down ;;
exec)
	n=${3:?name}
	shift 3
	exec ip netns exec "$P-$n" "$@"
	;;
*)
	echo "usage: $0 up|down|exec TAG ..." >&2
	exit 2
	;;
esac
