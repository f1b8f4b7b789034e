#!/bin/bash
# webhook_cost.sh [MAILCAST] — what webhooks cost the engine's hot path.
#
# One store of N (50,000) contacts, copied for each run; each run is one
# `mailcast broadcast` of N messages into `mailcast sink --discard` at
# full speed (WAL, group commits), timed wall-clock:
#   none      the store was never armed (no [webhook] section anywhere)
#   armed     the outbox triggers made (serve started once with a
#             [webhook] section, then stopped): each outcome also inserts
#             its event row; nobody sends
#   sending   armed, and `mailcast serve` running beside the campaign with
#             its sender POSTing every event to a local receiver (200)
#   disarmed  armed, then serve started without a [webhook] section (the
#             triggers dropped): should equal none
# REPEAT (3) runs each row that many times in turn; the median msg/s is
# printed, and the outbox rows each run left.  Ports 27650-27652.
# Use the release build.  Not a test: it prints figures.
set -eu
MC=$(realpath "${1:-build/release/src/cli/mailcast}")
N=${N:-50000}
REPEAT=${REPEAT:-3}
SINK_PORT=27650 HOOK_PORT=27651 SERVE_PORT=27652
T=$(mktemp -d /tmp/mc-whbench.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT

python3 - "$T/l.csv" "$N" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("email,first_name\n")
    for i in range(int(sys.argv[2])):
        f.write("user%d@d%d.example,First%d\n" % (i, i % 1000, i))
PY
printf 'From: News <news@bench.example>\nSubject: Hi {{first_name}}\n\nHello {{first_name}}, a short letter.\n' >"$T/t.tmpl"
printf '[mailcast]\n' >"$T/none.conf"
printf '[mailcast]\n[webhook bench]\nurl = http://127.0.0.1:%d/\nsecret_env = WH_SECRET\ntimeout = 5\n' \
	"$HOOK_PORT" >"$T/hook.conf"
export WH_SECRET=bench-secret
"$MC" --store "sqlite:$T/base.db" list import "$T/l.csv" --list l >/dev/null

"$MC" sink --listen 127.0.0.1:$SINK_PORT --discard --quiet &
PIDS+=($!)
python3 - "$HOOK_PORT" <<'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200); self.send_header("Content-Length", "0")
        self.end_headers()
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
PIDS+=($!)
sleep 1

serve_once() { # DB CONF: start serve (arms or disarms), stop it
	"$MC" --config "$2" --store "sqlite:$1" serve --listen 127.0.0.1:$SERVE_PORT 2>/dev/null &
	local p=$!
	sleep 1.5
	kill "$p"
	wait "$p" 2>/dev/null || true
}

run() { # MODE RUN: prints msg/s
	local db="$T/$1-$2.db" s=""
	cp "$T/base.db" "$db"
	case $1 in
	armed) serve_once "$db" "$T/hook.conf" ;;
	disarmed) serve_once "$db" "$T/hook.conf"; serve_once "$db" "$T/none.conf" ;;
	sending)
		"$MC" --config "$T/hook.conf" --store "sqlite:$db" serve --listen 127.0.0.1:$SERVE_PORT 2>/dev/null &
		s=$!
		sleep 1.5 ;;
	esac
	local t0 t1
	t0=$(date +%s.%N)
	"$MC" --config "$T/none.conf" --store "sqlite:$db" broadcast --name b \
		--list l --template "$T/t.tmpl" --from news@bench.example \
		--relay 127.0.0.1:$SINK_PORT --tls none --quiet >/dev/null 2>&1
	t1=$(date +%s.%N)
	[ -n "$s" ] && { kill "$s"; wait "$s" 2>/dev/null || true; }
	local rows
	rows=$(sqlite3 "$db" "SELECT sum(state = 'done') || '/' || count(*) FROM webhook_outbox")
	rm -f "$db" "$db-wal" "$db-shm"
	python3 -c "print('%.0f %s' % ($N / ($t1 - $t0), '$rows'))"
}

printf '%-10s %10s %8s   (runs: msg/s)\n' mode "msg/s" outbox
for mode in none armed sending disarmed; do
	rates=()
	rows=0
	for i in $(seq "$REPEAT"); do
		read -r r rows < <(run "$mode" "$i")
		rates+=("$r")
	done
	med=$(printf '%s\n' "${rates[@]}" | sort -n | sed -n "$(((REPEAT + 1) / 2))p")
	printf '%-10s %10s %8s   (%s)\n' "$mode" "$med" "$rows" "${rates[*]}"
done
