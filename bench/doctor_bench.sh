#!/bin/bash
# doctor_bench.sh MAILCAST [RUNS] -- how long `mailcast doctor` takes in the
# diagnostics lab (tests/helpers/netlab.sh; needs root):
#   filtered:  default ports (25 dropped by the router), --timeout T
#              (target: <= T + 1 s)
#   reachable: only ports that answer (587, 993)  (target: <= 2 s)
# Prints min/median/max wall time in ms for each; not part of the test run.
set -u
MC=${1:?usage: doctor_bench.sh MAILCAST [RUNS]}
RUNS=${2:-5}
T=${DOCTOR_TIMEOUT:-3000}
HERE=$(cd "$(dirname "$0")/.." && pwd)
LAB=$HERE/tests/helpers/netlab.sh
[ "$(id -u)" -eq 0 ] || { echo "needs root (network namespaces)"; exit 77; }
TAG=b$$
W=$(mktemp -d /tmp/mcdiag-bench.XXXXXX)
trap '"$LAB" down "$TAG" >/dev/null 2>&1; rm -rf "$W"' EXIT
"$LAB" up "$TAG"
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=mx.lab.test -days 2 \
    -keyout "$W/key.pem" -out "$W/cert.pem" 2>/dev/null
"$LAB" exec "$TAG" server /usr/bin/python3 "$HERE/tests/helpers/diag_listeners.py" \
    "$W/cert.pem" "$W/key.pem" 587 993 >/dev/null 2>&1 &
sleep 1
measure() { # measure LABEL ARGS...
	local label=$1; shift
	local xs=()
	for _ in $(seq "$RUNS"); do
		local t0 t1
		t0=$(date +%s%N)
		"$LAB" exec "$TAG" client "$MC" doctor "$@" >/dev/null 2>&1
		t1=$(date +%s%N)
		xs+=($(( (t1 - t0) / 1000000 )))
	done
	printf '%s\n' "${xs[@]}" | sort -n | awk -v l="$label" '
	    { a[NR] = $1 } END { printf "%-44s min %5d  median %5d  max %5d ms (%d runs)\n",
	    l, a[1], a[int((NR + 1) / 2)], a[NR], NR }'
}
measure "filtered (25 dropped), --timeout $T" --relay 203.0.113.2:587 --timeout "$T"
measure "reachable (--ports 587,993), --timeout $T" --relay 203.0.113.2:587 \
    --ports 587,993 --timeout "$T"
