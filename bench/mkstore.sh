#!/bin/bash
# mkstore.sh MAILCAST STORE_FILE LIST N — a store with N contacts in LIST,
# fast: mailcast makes the schema (one imported contact), then SQL
# (WITH RECURSIVE) adds user0..user(N-1)@d(i%1000).example with the
# attributes of bench/campaign.sh's list, in one transaction.  For the
# benchmarks' big campaigns (10,000,000 contacts in a few minutes instead
# of a CSV import).  Not a test.
set -eu
MC=$1 DB=$2 LIST=$3 N=$4
T=$(mktemp -d /tmp/mc-mkstore.XXXXXX)
trap 'rm -rf "$T"' EXIT
printf 'email\nseed@seed.example\n' >"$T/seed.csv"
"$MC" --store "sqlite:$DB" list import "$T/seed.csv" --list "$LIST" >/dev/null
python3 - "$DB" "$LIST" "$N" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
lst, n = sys.argv[2], int(sys.argv[3])
now = int(time.time())
lid = db.execute("SELECT id FROM lists WHERE name = ?", (lst,)).fetchone()[0]
db.execute("PRAGMA synchronous = OFF")
db.execute("BEGIN")
db.execute("DELETE FROM list_members WHERE list_id = ?", (lid,))
db.execute("DELETE FROM contacts WHERE address = 'seed@seed.example'")
base = db.execute("SELECT coalesce(max(id), 0) FROM contacts").fetchone()[0]
db.execute("""
WITH RECURSIVE i(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM i WHERE x + 1 < ?1)
INSERT INTO contacts(id, address, domain, attrs, created_at, updated_at)
SELECT ?2 + x + 1, 'user' || x || '@d' || (x % 1000) || '.example',
       'd' || (x % 1000) || '.example',
       json_object('first_name', 'First' || x, 'last_name', 'Last' || x,
                   'city', 'City' || (x % 97)), ?3, ?3 FROM i""",
           (n, base, now))
db.execute("INSERT INTO list_members(list_id, contact_id, added_at) "
           "SELECT ?1, id, ?2 FROM contacts WHERE id > ?3", (lid, now, base))
db.execute("COMMIT")
PY
