#!/bin/bash
# store_migrate.sh MAILCAST sqlite|postgresql — `mailcast store migrate` as
# a user sees it on one backend: a new store is migrated from 0 to the
# newest schema, a second run is "up to date", and a store whose schema is
# newer than this mailcast (an upgraded worker migrated it) is refused by
# `store migrate` and by every other command with the reason and exit 78
# (EX_CONFIG), its data untouched.  postgresql runs under
# tests/helpers/pg.sh (MC_TEST_PG_URL).
. "$(dirname "$0")/../helpers/lib.sh"
MC=$1
BE=$2
cd "$T" || exit 1
case $BE in
sqlite)
	URL="sqlite:$T/s.db"
	set_version() {
		/usr/bin/python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("UPDATE schema_version SET version = ?", (int(sys.argv[2]),))
c.commit()' "$T/s.db" "$1"
	}
	;;
postgresql)
	URL=${MC_TEST_PG_URL:?run under tests/helpers/pg.sh}
	set_version() {
		"$MC_TEST_PG_BIN/psql" -q -v ON_ERROR_STOP=1 "$URL" \
		    -c "UPDATE schema_version SET version = $1"
	}
	;;
*) echo "usage: store_migrate.sh MAILCAST sqlite|postgresql" >&2; exit 2 ;;
esac
S=(--store "$URL")
printf 'email\na@example.org\nb@example.org\n' >l.csv

N=20 # the newest schema
run "migrate a new store" 0 "$MC" "${S[@]}" store migrate
has "from 0 to $N" "store schema $N (migrated from 0)"
run "migrate again" 0 "$MC" "${S[@]}" store migrate
has "up to date" "store schema $N: up to date"
run "import" 0 "$MC" "${S[@]}" list import l.csv --list news
run "count" 0 "$MC" "${S[@]}" list count news
has "two contacts" "2"

ok "a newer mailcast's schema $((N + 1))" set_version $((N + 1))
run "migrate refuses a newer schema" 78 "$MC" "${S[@]}" store migrate
has "the reason" "the database has schema version $((N + 1)), newer than this mailcast knows ($N); upgrade mailcast"
run "every command refuses it" 78 "$MC" "${S[@]}" list count news
has "the same reason" "newer than this mailcast knows ($N)"
ok "back to schema $N" set_version $N
run "count after the refusals" 0 "$MC" "${S[@]}" list count news
has "nothing lost" "2"

# Four commands at once on a brand-new store (a worker and the CLI
# started together): each migrates or waits for the one that does, none
# runs a step twice ("table ... already exists"), and every write lands.
# Eight rounds: before each step re-read its version under the write lock,
# about half of such commands failed on SQLite.
race_round() {
	local r=$1 j pids=() bad=0
	for j in 1 2 3 4; do
		"$MC" --store "$2" suppress add "r$r-$j@race.example" \
		    >"race.$j.out" 2>&1 &
		pids+=($!)
	done
	for j in 1 2 3 4; do
		wait "${pids[$((j - 1))]}" || { bad=1; cat "race.$j.out"; }
	done
	return $bad
}
race_fresh() {
	case $BE in
	sqlite) rm -f "$T"/race.db "$T"/race.db-*; echo "sqlite:$T/race.db" ;;
	postgresql)
		"$MC_TEST_PG_BIN/psql" -q -v ON_ERROR_STOP=1 "$URL" -c \
		    "DROP DATABASE IF EXISTS race" -c "CREATE DATABASE race" >/dev/null
		echo "${URL%/*}/race" ;;
	esac
}
for r in 1 2 3 4 5 6 7 8; do
	RURL=$(race_fresh)
	ok "round $r: four commands migrate a new store at once" race_round "$r" "$RURL"
	run "round $r: all four entries" 0 "$MC" --store "$RURL" suppress list
	for j in 1 2 3 4; do has "round $r: entry $j" "r$r-$j@race.example"; done
done

run "store alone" 64 "$MC" "${S[@]}" store
has "usage" "usage: mailcast [--store URL] store migrate"
run "store --help" 0 "$MC" store --help
if [ "$BE" = postgresql ]; then
	run "no server" 74 "$MC" --store "postgresql://u:hunter2@127.0.0.1:1/x" store migrate
	has "names the server" "postgresql://u:***@127.0.0.1:1/x"
	lacks "never the password" "hunter2"
fi
finish
