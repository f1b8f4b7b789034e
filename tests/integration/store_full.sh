#!/bin/bash
# store_full.sh MAILCAST — a full disk, as a file size limit (ulimit -f):
# the write that does not fit is an error the store reports (exit 74,
# EX_IOERR, with the words), never a signal or an abort, and the store
# stays whole: an import that does not fit leaves nothing of itself, and a
# broadcast that cannot record its outcomes stops with every message the
# sink received in the ledger as sent or inflight (so a resume re-sends at
# most those in flight).  Checked with python3's sqlite3.
. "$(dirname "$0")/../helpers/lib.sh"
MC=$1
DB="$T/s.db"
S="sqlite:$DB"
PORT=26981

printf 'email\nfirst@x.example\n' >"$T/one.csv"
run "a first import" 0 "$MC" --store "$S" list import "$T/one.csv" --list one
awk 'BEGIN { print "email,first_name,last_name,city";
	for (i = 1; i <= 20000; i++)
		printf "u%d@d%d.example,F%d,L%d,C%d\n", i, i % 50, i, i, i % 7 }' \
	>"$T/big.csv"

# limited NAME EXIT BLOCKS CMD...: run with ulimit -f BLOCKS (KiB)
limited() {
	local name=$1 want=$2 blocks=$3
	shift 3
	run "$name" "$want" bash -c 'ulimit -f "$0" && exec "$@"' "$blocks" "$@"
}

# 1. An import that does not fit: exit 74, and none of it in the store.
limited "an import past the limit" 74 1024 "$MC" --store "$S" list import \
	"$T/big.csv" --list big
has "... names the file and says nothing was imported" \
	"big.csv: sqlite: commit: disk I/O error; nothing was imported"
lacks "... not a signal" "File size limit"
ok "... the store is whole and as before" "$PY" - "$DB" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
assert c.execute("SELECT count(*) FROM contacts").fetchone()[0] == 1
assert c.execute("SELECT count(*) FROM lists WHERE name = 'big'").fetchone()[0] == 0
PY

# 2. A broadcast that fills the disk while it sends.
run "the import, with room" 0 "$MC" --store "$S" list import "$T/big.csv" \
	--list big
printf 'From: News <news@news.example>\nSubject: Hi {{first_name}}\n\nHello {{first_name}} {{last_name}} of {{city}}.\n%0800d\n' 0 \
	>"$T/t.tmpl"
"$MC" sink --listen 127.0.0.1:$PORT --discard >"$T/sink.out" 2>&1 &
SINK=$!
on_exit "kill $SINK"
wait_port $PORT
size=$(stat -c %s "$DB")
wal=$(stat -c %s "$DB-wal" 2>/dev/null || echo 0)
# room for a part of the run's ledger: 3 MB past the files' sizes now
lim=$(( (size > wal ? size : wal) / 1024 + 3000 ))
limited "a broadcast past the limit" 74 $lim "$MC" --store "$S" broadcast \
	--list big --template "$T/t.tmpl" --from news@news.example --name full \
	--relay 127.0.0.1:$PORT --tls none
# where it is met: leasing rows or recording outcomes (both commit)
has "... says the ledger could not be written" \
	"sqlite: commit: disk I/O error"
lacks "... not an abort" "stopping before the commit"
kill $SINK; wait $SINK 2>/dev/null
got=$(sed -n 's/^sink: \([0-9]*\) messages.*/\1/p' "$T/sink.out")
ok "... the sink counted what it received ($got)" test -n "$got"
ok "... every message received is sent or inflight in the ledger" \
	"$PY" - "$DB" "$got" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
st = dict(c.execute("SELECT d.state, count(*) FROM deliveries d JOIN "
                    "campaigns c ON c.id = d.campaign_id WHERE c.name = "
                    "'full' GROUP BY 1"))
got = int(sys.argv[2])
sent, infl = st.get("sent", 0), st.get("inflight", 0)
assert 0 < sent <= got <= sent + infl, (st, got)
assert sum(st.values()) == 20000, st
PY
finish
