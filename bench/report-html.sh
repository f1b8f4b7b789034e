#!/bin/bash
# report-html.sh [N] [DOMAINS] — issue 14's Must show 4: `campaign report
# ID --html FILE` of an N-recipient campaign (default 1,000,000 over
# 100,000 destinations) in < 2 s and < 2 MB.  The campaign is made
# straight in a SQLite store with sqlite3 (a bench fixture, not a run):
# 40% of the rows on 5 big destinations, the rest spread over DOMAINS;
# 90% sent, 5% deferred (retried later), 3% bounced, 1% failed, 1%
# suppressed, over one hour; bounces (hard, soft, complaints),
# unsubscribes, clicks and opens.  Then the report is timed (the release
# build: cmake --preset release && cmake --build --preset release).
# Prints the seconds and the file's size.  Not a test.
set -eu
N=${1:-1000000}
D=${2:-100000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MC=${MAILCAST:-$ROOT/build/release/src/cli/mailcast}
[ -x "$MC" ] || { echo "report-html.sh: build the release preset first ($MC)" >&2; exit 1; }
T=$(mktemp -d /tmp/mc-report-html.XXXXXX)
trap 'rm -rf "$T"' EXIT
DB=${STORE_FILE:-$T/store.db} # STORE_FILE: keep the store there
rm -f "$DB" "$DB-wal" "$DB-shm"
printf 'email\nseed@seed.example\n' >"$T/seed.csv"
"$MC" --store "sqlite:$DB" list import "$T/seed.csv" --list big >/dev/null
NOW=$(date +%s)
T0=$((NOW - 7200))
s0=$(date +%s.%N)
sqlite3 "$DB" <<SQL
PRAGMA synchronous = OFF;
PRAGMA journal_mode = WAL;
BEGIN;
DELETE FROM list_members;
DELETE FROM contacts;
CREATE TEMP TABLE i(x INTEGER PRIMARY KEY, dom INTEGER);
WITH RECURSIVE r(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM r WHERE x + 1 < $N)
INSERT INTO i SELECT x, CASE WHEN x % 10 < 4 THEN x % 5 ELSE x % $D END FROM r;
INSERT INTO contacts(id, address, domain, created_at, updated_at)
SELECT x + 1, 'user' || x || '@d' || dom || '.example', 'd' || dom || '.example',
       $T0, $T0 FROM i;
INSERT INTO list_members(list_id, contact_id, added_at)
SELECT (SELECT id FROM lists WHERE name = 'big'), x + 1, $T0 FROM i;
INSERT INTO campaigns(id, name, list_id, status, created_at)
VALUES (1, 'big', (SELECT id FROM lists WHERE name = 'big'), 'done', $T0);
INSERT INTO deliveries(campaign_id, contact_id, state, attempts, next_attempt,
  reply_code, enhanced_code, reply_text, relay, queue_id, created_at,
  updated_at, sent_at)
SELECT 1, x + 1,
  CASE WHEN x % 100 < 90 THEN 'sent' WHEN x % 100 < 95 THEN 'deferred'
       WHEN x % 100 < 98 THEN 'bounced' WHEN x % 100 < 99 THEN 'failed'
       ELSE 'suppressed' END,
  CASE WHEN x % 100 < 90 THEN 1 WHEN x % 100 < 95 THEN 3
       WHEN x % 100 < 99 THEN 1 ELSE 0 END,
  CASE WHEN x % 100 BETWEEN 90 AND 94 THEN $NOW + 1800 ELSE 0 END,
  CASE WHEN x % 100 < 90 THEN 250 WHEN x % 100 < 95 THEN 451
       WHEN x % 100 < 98 THEN 550 WHEN x % 100 < 99 THEN 554 END,
  CASE WHEN x % 100 < 90 THEN '2.0.0' WHEN x % 100 < 95 THEN '4.7.1'
       WHEN x % 100 < 98 THEN '5.1.1' WHEN x % 100 < 99 THEN '5.7.1' END,
  CASE WHEN x % 100 < 90 THEN 'ok' WHEN x % 100 < 95 THEN 'try later'
       WHEN x % 100 < 98 THEN 'no such user' WHEN x % 100 < 99 THEN 'refused'
       END,
  CASE WHEN x % 100 < 99 THEN 'mx.d' || dom || '.example' END,
  CASE WHEN x % 100 < 90 THEN 'Q' || x END,
  $T0,
  $T0 + 60 + x * 3600 / $N + CASE WHEN x % 100 BETWEEN 90 AND 94 THEN
       (x % 7) * 300 ELSE 0 END,
  CASE WHEN x % 100 < 90 THEN $T0 + 60 + x * 3600 / $N END
FROM i;
INSERT INTO events(at, campaign_id, contact_id, kind, detail)
VALUES ($T0 + 60, 1, NULL, 'run-start', 'bench'),
       ($T0 + 3660, 1, NULL, 'run-end', '{"seconds": 3600}');
INSERT INTO bounces(campaign_id, contact_id, address, kind, status_code,
  diagnostic, received_at)
SELECT 1, x + 1, 'user' || x || '@d' || dom || '.example',
  CASE WHEN x % 300 < 200 THEN 'hard' ELSE 'soft' END, '5.1.1', 'no such user',
  $T0 + 300 + x * 3600 / $N FROM i WHERE x % 100 BETWEEN 95 AND 97;
INSERT INTO bounces(campaign_id, contact_id, address, kind, received_at)
SELECT 1, x + 1, 'user' || x || '@d' || dom || '.example', 'complaint',
  $T0 + 600 + x * 5400 / $N FROM i WHERE x % 2000 = 7;
INSERT INTO events(at, campaign_id, contact_id, kind, detail)
SELECT $T0 + 400 + x * 5400 / $N, 1, x + 1, 'unsubscribe', 'bench'
FROM i WHERE x % 500 = 3;
INSERT INTO track_hits(campaign_id, idx, contact_id, at)
SELECT 1, CASE WHEN x % 20 = 1 THEN x % 3 ELSE -1 END, x + 1,
  $T0 + 120 + x * 6000 / $N FROM i WHERE x % 20 = 1 OR x % 10 = 2;
COMMIT;
SQL
s1=$(date +%s.%N)
echo "fixture: $N recipients, $D destinations, made in $(echo "$s1 - $s0" | bc) s"
# once to warm the page cache as a reader who just made it would have it
"$MC" --store "sqlite:$DB" campaign report 1 --html "$T/warm.html"
best=
for run in 1 2 3; do
	a=$(date +%s.%N)
	"$MC" --store "sqlite:$DB" campaign report 1 --html "$T/report.html"
	b=$(date +%s.%N)
	sec=$(echo "$b - $a" | bc)
	echo "run $run: $sec s"
	if [ -z "$best" ] || [ "$(echo "$sec < $best" | bc)" = 1 ]; then best=$sec; fi
done
size=$(stat -c %s "$T/report.html")
echo "campaign report --html: best $best s (target < 2), file $size bytes (target < 2,000,000)"
if [ -n "${KEEP:-}" ]; then cp "$T/report.html" "$KEEP"; echo "kept in $KEEP"; fi
