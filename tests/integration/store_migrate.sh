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

run "store alone" 64 "$MC" "${S[@]}" store
has "usage" "usage: mailcast [--store URL] store migrate"
run "store --help" 0 "$MC" store --help
if [ "$BE" = postgresql ]; then
	run "no server" 74 "$MC" --store "postgresql://u:hunter2@127.0.0.1:1/x" store migrate
	has "names the server" "postgresql://u:***@127.0.0.1:1/x"
	lacks "never the password" "hunter2"
fi
finish
