#!/bin/bash
# netlab.sh -- the diagnostics lab: client -- NAT router with a firewall -- server,
# built from network namespaces named mcdiag-<tag>-{client,router,server}.
#
#   client c0 10.77.1.2/24 --- r0 10.77.1.1 [router] r1 203.0.113.1 --- s0 203.0.113.2 server
#                      MTU 1500                                MTU 1400 (NETLAB_MTU)
#
# router: forwards, masquerades what leaves r1, and filters the forward path:
#   TCP 25  dropped                              -> "filtered" (a timeout)
#   TCP 110 rejected with a TCP reset            -> "closed"
#   TCP 143 rejected with ICMP admin-prohibited  -> "rejected" by 10.77.1.1
# server: no default route (replies come back only through the NAT).
# client: ping_group_range opened so unprivileged ping sockets work.
#
# Usage (root):  netlab.sh up TAG | down TAG | exec TAG HOST CMD...
# "down" kills what runs in the namespaces, then deletes them; the veths go with
# them.  It is safe to call when nothing (or half of it) exists.
set -euo pipefail

cmd=${1:-}; tag=${2:-}
[ -n "$cmd" ] && [ -n "$tag" ] || { echo "usage: $0 up|down|exec TAG ..." >&2; exit 2; }
P=mcdiag-$tag
C=$P-client R=$P-router S=$P-server
MTU=${NETLAB_MTU:-1400}

ns() { local n=$1; shift; ip netns exec "$n" "$@"; }

down() {
	local n pid
	for n in "$C" "$R" "$S"; do
		if ip netns list | grep -qw "^$n"; then
			for pid in $(ip netns pids "$n" 2>/dev/null); do
				kill "$pid" 2>/dev/null || true
			done
			ip netns del "$n" 2>/dev/null || true
		fi
	done
}

up() {
	trap 'echo "netlab: setup failed, removing it" >&2; down' ERR
	for n in "$C" "$R" "$S"; do
		ip netns add "$n"
		ns "$n" ip link set lo up
	done
	ip link add c0 netns "$C" type veth peer name r0 netns "$R"
	ip link add r1 netns "$R" mtu "$MTU" type veth peer name s0 netns "$S" mtu "$MTU"
	ns "$C" ip addr add 10.77.1.2/24 dev c0
	ns "$R" ip addr add 10.77.1.1/24 dev r0
	ns "$R" ip addr add 203.0.113.1/24 dev r1
	ns "$S" ip addr add 203.0.113.2/24 dev s0
	ns "$C" ip link set c0 up
	ns "$R" ip link set r0 up
	ns "$R" ip link set r1 up
	ns "$S" ip link set s0 up
	ns "$C" ip route add default via 10.77.1.1
	ns "$R" sysctl -qw net.ipv4.ip_forward=1
	ns "$C" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
	ns "$R" nft -f - <<NFT
table inet mcdiag {
	chain forward {
		type filter hook forward priority filter; policy accept;
		tcp dport 25 drop
		tcp dport 110 reject with tcp reset
		tcp dport 143 reject with icmp type admin-prohibited
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "r1" masquerade
	}
}
NFT
	trap - ERR
}

case "$cmd" in
up) up ;;
down) down ;;
exec) shift 2; h=$1; shift; ns "$P-$h" "$@" ;;
*) echo "usage: $0 up|down|exec TAG ..." >&2; exit 2 ;;
esac
