#!/bin/bash
# sink-bench.sh — `mailcast sink --discard` against Postfix's smtp-sink, both
# driven by Postfix's smtp-source in the same run, on loopback ports
# 20501/20502.  Prints messages/s for each and the ratio (mailcast/smtp-sink)
# for: 100 sessions reusing connections (-d), 1 session (-d), and 20
# sessions with a new connection per message.
#
# Usage: bench/sink-bench.sh [MESSAGES]     (default 20000; 1 KiB bodies)
# Builds the release preset into build/sink-release unless MAILCAST is set
# to a binary.  Not part of the test run: figures, not pass/fail.
set -euo pipefail

cd "$(dirname "$0")/.."
N=${1:-20000}
SIZE=1024
HOST=127.0.0.1
PORT_PF=20501
PORT_MC=20502
SRC=/usr/sbin/smtp-source
SINK=/usr/sbin/smtp-sink

if [ -z "${MAILCAST:-}" ]; then
	cmake --preset release -B build/sink-release >/dev/null
	cmake --build build/sink-release -j2 --target mailcast >/dev/null
	MAILCAST=build/sink-release/src/cli/mailcast
fi
for t in "$SRC" "$SINK" "$MAILCAST"; do
	[ -x "$t" ] || { echo "sink-bench: $t not found" >&2; exit 69; }
done

pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}
trap cleanup EXIT

# smtp-sink as root drops to the postfix user (-u); it must exist.
sink_user=postfix
id "$sink_user" >/dev/null 2>&1 || sink_user=nobody
"$SINK" -u "$sink_user" "$HOST:$PORT_PF" 1024 &
pids+=($!)
"$MAILCAST" sink --discard --quiet --listen "$HOST:$PORT_MC" >/dev/null &
pids+=($!)

wait_port() {
	for _ in $(seq 100); do
		if (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	echo "sink-bench: nothing listens on $1" >&2
	exit 69
}
wait_port "$PORT_PF"
wait_port "$PORT_MC"

# Messages per second for one smtp-source run: rate PORT ARGS...
rate() {
	local port=$1
	shift
	local t0 t1
	t0=$(date +%s.%N)
	timeout 300 "$SRC" "$@" -m "$N" -l "$SIZE" -f a@bench.test \
	    -t b@bench.test "$HOST:$port"
	t1=$(date +%s.%N)
	awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }'
}

printf "%-34s %12s %12s %7s\n" "smtp-source ($N x ${SIZE} B)" \
    "smtp-sink/s" "mailcast/s" "ratio"
run() {
	local label=$1
	shift
	local pf mc
	pf=$(rate "$PORT_PF" "$@")
	mc=$(rate "$PORT_MC" "$@")
	printf "%-34s %12s %12s %7s\n" "$label" "$pf" "$mc" \
	    "$(awk -v a="$mc" -v b="$pf" 'BEGIN { printf "%.2f", a / b }')"
}
run "-s 100 -d (reused connections)" -s 100 -d
run "-s 1 -d (one session)" -s 1 -d
# A connection per message: fewer, to stay clear of TIME_WAIT exhaustion.
N=$((N / 4))
run "-s 20 (a connection per message)" -s 20
