#!/bin/bash
# segment_pg.sh MAILCAST SEGMENT_CROSS — one --where, two dialects: the
# same contacts (imported by mailcast into SQLite, copied to a throwaway
# PostgreSQL cluster on 127.0.0.1:15497) selected by the SQLite and the
# PostgreSQL text of each expression, with bound parameters; every
# expression must pick the same addresses in both.
. "$(dirname "$0")/../helpers/lib.sh"
MC=$1
CROSS=$2
PORT=15497
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$BIN" ] || ! id postgres >/dev/null 2>&1; then
	echo "PostgreSQL is not installed: skipped"
	exit 0
fi
DB="$T/s.db"
cd "$T" || exit 1

cat >l.csv <<'CSV'
email,city,First Name,signup_date,rating,note,score
ann@a.example,Zürich,Ann,2026-02-01,5,100% sure,007
bob@b.example,Paris,Bob,2025-12-01 09:30,2,a_b,+5
cy@a.example,Zürich,,2026-03-01,n/a,,1.2.3
dee@c.example,zürich,Dee,2025-11-30,10,Ünïcode,0.1
eve@d.example,Bern,Eve,,4.5,"quote ""x""",5.
fay@a.example,Zürich,Fay,2026-01-01,-3,back\slash,-0
gus@e.example,Bern,Gus,31/12/2025,1e2,,1E2
CSV
run "import" 0 "$MC" --store "sqlite:$DB" list import l.csv --list news
grep -E '^(email|ann|eve)' l.csv >vip.csv
run "import vip" 0 "$MC" --store "sqlite:$DB" list import vip.csv --list vip
NOW=$(date +%s)
# a hard bounce 30 days ago, a delivery sent 10 days ago, one unsubscribe
sqlite3 "$DB" "INSERT INTO bounces(address, kind, received_at) VALUES
  ('dee@c.example', 'hard', $NOW - 30 * 86400),
  ('bob@b.example', 'policy', $NOW - 86400);
  INSERT INTO campaigns(name, created_at) VALUES ('c', $NOW);
  INSERT INTO deliveries(campaign_id, contact_id, state, created_at,
    updated_at, sent_at) SELECT 1, id, 'sent', $NOW, $NOW, $NOW - 10 * 86400
    FROM contacts WHERE address = 'eve@d.example';
  UPDATE contacts SET status = 'unsubscribed' WHERE address = 'cy@a.example';
  UPDATE contacts SET created_at = created_at - 400 * 86400
    WHERE address IN ('bob@b.example', 'gus@e.example');"

# the cluster, run as postgres (it refuses root)
mkdir -p "$T/pg" && chown postgres: "$T/pg"
RUN="runuser -u postgres --"
$RUN "$BIN/initdb" -D "$T/pg/data" -U postgres --auth=trust -E UTF8 \
	--locale=C.UTF-8 >"$T/pg/initdb.log" 2>&1 || fail "initdb"
$RUN "$BIN/pg_ctl" -D "$T/pg/data" -l "$T/pg/server.log" -w -o \
	"-p $PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$T/pg -c fsync=off" \
	start >/dev/null || fail "pg_ctl start" "$(cat "$T/pg/server.log")"
on_exit "$RUN $BIN/pg_ctl -D $T/pg/data -m immediate -w stop"
PSQL="psql -q -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $PORT -U postgres postgres"
# the tables and columns a segment reads, as the SQLite store has them
ok "schema" $PSQL -c "
CREATE TABLE contacts (id bigint PRIMARY KEY, address text NOT NULL UNIQUE,
  domain text NOT NULL, attrs text NOT NULL, status text NOT NULL,
  created_at bigint NOT NULL, updated_at bigint NOT NULL);
CREATE TABLE lists (id bigint PRIMARY KEY, name text NOT NULL UNIQUE);
CREATE TABLE list_members (list_id bigint, contact_id bigint);
CREATE TABLE bounces (address text, kind text, received_at bigint);
CREATE TABLE deliveries (contact_id bigint, sent_at bigint);"
copy() { # TABLE COLUMNS: SQLite rows into PostgreSQL
	sqlite3 -csv "$DB" "SELECT $2 FROM $1" |
		$PSQL -c "\\copy $1($2) FROM STDIN WITH (FORMAT csv)"
}
ok "copy contacts" copy contacts "id, address, domain, attrs, status, created_at, updated_at"
ok "copy lists" copy lists "id, name"
ok "copy members" copy list_members "list_id, contact_id"
ok "copy bounces" copy bounces "address, kind, received_at"
ok "copy deliveries" copy deliveries "contact_id, sent_at"

run "the same contacts in both dialects" 0 "$CROSS" "sqlite:$DB" \
	"host=127.0.0.1 port=$PORT user=postgres dbname=postgres" "$NOW" \
	'city = "Zürich"' \
	'city != "Zürich"' \
	'not city = "Zürich"' \
	'city > "P"' \
	'city <= "Paris"' \
	'"First Name" is set' \
	'"First Name" is not set' \
	'rating >= 5' \
	'rating < 4.5' \
	'rating = 100' \
	'rating != 5' \
	'score > -1' \
	'score = 0.1' \
	'score = 100' \
	'score != 0' \
	'score < 1000' \
	'signup_date >= 2026-01-01' \
	'signup_date <= 2025-12-01' \
	'signup_date = 2025-12-01' \
	'created >= 2026-01-01' \
	'created < 2026-01-01' \
	'created = 2020-01-01' \
	'updated > 2000-01-01' \
	'status = "active"' \
	'status != "active"' \
	'in_list("vip")' \
	'not in_list("vip")' \
	'bounced_within(90d)' \
	'bounced_within(2w)' \
	'sent_within(30d)' \
	'sent_within(1w)' \
	'email ends with "@a.example"' \
	'email starts with "ANN"' \
	'domain = "A.EXAMPLE"' \
	'city contains "RI"' \
	'city contains "ÜR"' \
	'city contains "zÜ"' \
	'note like "ü%"' \
	'note contains "NÏ"' \
	'note contains "%"' \
	'note contains "_"' \
	'note contains "\\"' \
	'note like "%\%%"' \
	'note like "a_b"' \
	'note like "a\_b"' \
	'note contains "\"x"' \
	'city in ("Bern", "Paris")' \
	'city not in ("Bern", "Paris")' \
	'city = "Zürich" and signup_date >= 2026-01-01 and not bounced_within(90d)' \
	'(city = "Bern" or in_list("vip")) and not rating > 4' \
	'not (not (rating > 1 or note is set))'
has "each expression the same" "same 3 city = \"Zürich\""
has "the issue's example" "same 3 city = \"Zürich\" and signup_date >= 2026-01-01 and not bounced_within(90d)"
lacks "none different" "DIFFERENT"
lacks "no errors" "ERROR"
finish
