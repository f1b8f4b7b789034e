#!/bin/bash
# send-vs-smtp-source.sh [MAILCAST] — `mailcast send --count --connections`
# beside Postfix's smtp-source, both into the same Postfix smtp-sink, in
# the same run: 1 KiB and 50 KiB messages, 1 and 100 connections (both
# reuse connections: smtp-source -d).  Prints messages/s and the ratio.
# Not a test: figures only.  Build first: cmake --preset release &&
# cmake --build --preset release.
set -eu
cd "$(dirname "$0")/.."
MC=${1:-build/release/src/cli/mailcast}
PORT=${PORT:-21526}
T=$(mktemp -d /tmp/mailcast-bench.XXXXXX)
trap 'kill $SINK 2>/dev/null; rm -rf "$T"' EXIT

/usr/sbin/smtp-sink -u nobody 127.0.0.1:$PORT 1024 >/dev/null 2>&1 &
SINK=$!
for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done

# A message of about $1 bytes: a few headers, then 76-column lines.
make_msg() {
	{
		printf 'From: <bench@example.org>\nTo: <sink@example.net>\nSubject: bench\n'
		printf 'Message-ID: <bench@example.org>\nMIME-Version: 1.0\n\n'
		head -c "$1" /dev/zero | tr '\0' 'x' | fold -w 76
		printf '\n'
	} >"$2"
}
make_msg 1024 "$T/1k.eml"
make_msg 51200 "$T/50k.eml"

now() { date +%s%N; }
rate() { awk -v n="$1" -v ns="$2" 'BEGIN { printf "%.0f", n / (ns / 1e9) }'; }

printf '%-8s %-6s %-8s %14s %14s %7s\n' size conns messages smtp-source mailcast ratio
for size in 1k 50k; do
	for conns in 1 100; do
		case $size-$conns in
		1k-1) n=4000 ;; 1k-100) n=20000 ;; 50k-1) n=1500 ;; 50k-100) n=5000 ;;
		esac
		t0=$(now)
		/usr/sbin/smtp-source -d -s $conns -m $n -F "$T/$size.eml" \
		    -f bench@example.org -t sink@example.net -M bench.example.org \
		    127.0.0.1:$PORT
		t1=$(now)
		"$MC" send --server 127.0.0.1:$PORT --tls none --helo bench.example.org \
		    --from bench@example.org --to sink@example.net \
		    --data "$T/$size.eml" --count $n --connections $conns >"$T/out" 2>&1 ||
		    { cat "$T/out"; exit 1; }
		t2=$(now)
		grep -q "sent $n of $n messages" "$T/out" || { cat "$T/out"; exit 1; }
		a=$(rate $n $((t1 - t0)))
		b=$(rate $n $((t2 - t1)))
		printf '%-8s %-6s %-8s %12s/s %12s/s %7s\n' $size $conns $n "$a" "$b" \
		    "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b / a }')"
	done
done
