#!/bin/bash
# fleetlab.sh -- the fleet lab: hosts in network namespaces on one bridge.
#
#                         hub (bridge br0, no address)
#        +-------+-------+-------+-------+-------+-------+
#        db      w1      w2      w3      rx1     rx2
#   10.89.0.2  .11     .12     .13     .21     .22      (/24, MTU 1500)
#
#   db   a PostgreSQL cluster (fleet_db start): the fleet's one store
#   wN   a sending host: `mailcast worker` runs here
#   rxN  a receiving host: tests/lab/rx_count.py on port 25 counts the
#        connections it has open at once and the recipients it accepted
# Namespaces are mcfl-TAG-HOST; every host's link is eth0 (its peer
# v-HOST sits in the hub on br0).  Nothing is routed out of the lab.
#
# Usage (root):
#   fleetlab.sh up TAG            build it (an old one of TAG is removed first)
#   fleetlab.sh down TAG          kill what runs in it, delete the namespaces
#   fleetlab.sh exec TAG HOST CMD...   run CMD in HOST
#   fleetlab.sh cut TAG HOST      HOST's link down (its peers see silence)
#   fleetlab.sh heal TAG HOST     HOST's link up again
#   fleetlab.sh addr HOST         HOST's address
# "down" is safe to call when nothing, or half of it, exists.
set -euo pipefail

cmd=${1:-}
HOSTS="db w1 w2 w3 rx1 rx2"

addr() {
	case $1 in
	db) echo 10.89.0.2 ;;
	w1) echo 10.89.0.11 ;;
	w2) echo 10.89.0.12 ;;
	w3) echo 10.89.0.13 ;;
	rx1) echo 10.89.0.21 ;;
	rx2) echo 10.89.0.22 ;;
	*)
		echo "fleetlab: no host $1" >&2
		return 2
		;;
	esac
}

if [ "$cmd" = addr ]; then
	addr "${2:?host}"
	exit
fi
tag=${2:-}
[ -n "$cmd" ] && [ -n "$tag" ] || {
	echo "usage: $0 up|down|exec|cut|heal TAG ..." >&2
	exit 2
}
P=mcfl-$tag

down() {
	local n pid
	for n in $HOSTS hub; do
		if ip netns list | grep -qw "^$P-$n"; then
			for pid in $(ip netns pids "$P-$n" 2>/dev/null); do
				kill -9 "$pid" 2>/dev/null || true
			done
			ip netns del "$P-$n" 2>/dev/null || true
		fi
	done
}

up() {
	down
	trap 'echo "fleetlab: setup failed, removing it" >&2; down' ERR
	ip netns add "$P-hub"
	ip -n "$P-hub" link set lo up
	ip -n "$P-hub" link add br0 type bridge
	ip -n "$P-hub" link set br0 up
	for h in $HOSTS; do
		ip netns add "$P-$h"
		ip -n "$P-$h" link set lo up
		ip link add eth0 netns "$P-$h" type veth peer name "v-$h" \
		    netns "$P-hub"
		ip -n "$P-hub" link set "v-$h" master br0
		ip -n "$P-hub" link set "v-$h" up
		ip -n "$P-$h" addr add "$(addr "$h")/24" dev eth0
		ip -n "$P-$h" link set eth0 up
	done
	trap - ERR
	# bounded: every host reaches the db host
	for h in w1 w2 w3 rx1 rx2; do
		ok=0
		for _ in $(seq 1 50); do
			if ip netns exec "$P-$h" ping -c1 -W1 -q 10.89.0.2 \
			    >/dev/null 2>&1; then
				ok=1
				break
			fi
			sleep 0.1
		done
		[ $ok = 1 ] || {
			echo "fleetlab: $h cannot reach db" >&2
			down
			exit 1
		}
	done
}

case $cmd in
up) up ;;
down) down ;;
exec)
	h=${3:?host}
	shift 3
	exec ip netns exec "$P-$h" "$@"
	;;
cut) ip -n "$P-${3:?host}" link set eth0 down ;;
heal) ip -n "$P-${3:?host}" link set eth0 up ;;
*)
	echo "usage: $0 up|down|exec|cut|heal TAG ..." >&2
	exit 2
	;;
esac
