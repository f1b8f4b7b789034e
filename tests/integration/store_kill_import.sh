#!/bin/sh
# store_kill_import.sh MAILCAST — kill -9 an import half-way, then reopen:
# PRAGMA integrity_check is ok, nothing of the killed import is visible (an
# import is one transaction), and running the import again completes with
# every row.  Checked with python3's sqlite3, not with mailcast itself.
set -eu
bin=$1
rows=200000
work=$(mktemp -d /tmp/mc-kill-import.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

awk -v n="$rows" 'BEGIN { print "email,name";
	for (i = 1; i <= n; i++) printf "u%d@d%d.example,N %d\n", i, i % 100, i }' \
    > "$work/list.csv"
db="$work/t.db"
# A store with one contact from an earlier import.
printf 'email\nfirst@x.example\n' > "$work/one.csv"
"$bin" --store "sqlite:$db" list import "$work/one.csv" --list one >/dev/null

# Start the import and kill it once it has written a good part of the WAL.
"$bin" --store "sqlite:$db" list import "$work/list.csv" --list big \
    >"$work/out" 2>&1 &
pid=$!
i=0
while :; do
	size=$(stat -c %s "$db-wal" 2>/dev/null || echo 0)
	[ "$size" -gt 4000000 ] && break
	kill -0 "$pid" 2>/dev/null || fail "import ended before the kill: $(cat "$work/out")"
	i=$((i + 1))
	[ $i -lt 3000 ] || fail "the WAL never grew"
	sleep 0.01
done
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
pid=
echo "killed the import with a $(stat -c %s "$db-wal") byte WAL"

python3 - "$db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
ok = c.execute("PRAGMA integrity_check").fetchone()[0]
assert ok == "ok", ok
n = c.execute("SELECT count(*) FROM contacts").fetchone()[0]
assert n == 1, f"{n} contacts after the kill: the import was half-written"
assert c.execute("SELECT count(*) FROM lists WHERE name = 'big'").fetchone()[0] == 0
print("after kill -9: integrity ok, store as before the import")
PY

"$bin" --store "sqlite:$db" list import "$work/list.csv" --list big \
    > "$work/out" || fail "re-run failed: $(cat "$work/out")"
grep -q "$rows rows: $rows added" "$work/out" || fail "re-run: $(cat "$work/out")"
python3 - "$db" "$rows" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
n = c.execute("SELECT count(*) FROM list_members m JOIN lists l ON l.id = m.list_id WHERE l.name = 'big'").fetchone()[0]
assert n == int(sys.argv[2]), n
print(f"re-run: {n} members, integrity ok")
PY
echo PASS
