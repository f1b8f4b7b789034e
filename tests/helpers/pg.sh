#!/bin/bash
# pg.sh run CMD [ARG...] — run CMD against a throwaway PostgreSQL cluster.
#
# initdb in a new temporary directory, the server on 127.0.0.1 at the first
# port of 15440-15539 it can bind (starting at an offset from this
# process's id, so parallel runs rarely try the same port first), its unix
# socket in that directory, trust authentication for user postgres, no
# fsync (a test cluster, not a durable one).  When root, the cluster runs
# as the unprivileged user postgres (initdb and postgres refuse root).
# CMD sees:
#   MC_TEST_PG_URL   postgresql://postgres@127.0.0.1:PORT/campaigns
#   MC_TEST_PG_HOST  127.0.0.1     MC_TEST_PG_PORT  PORT
#   MC_TEST_PG_BIN   the server's bin directory (createdb, dropdb, psql)
# The cluster is stopped and its directory removed when CMD ends, whatever
# happened; pg.sh exits with CMD's status, or 77 (skipped) when PostgreSQL's
# server is not installed.  No system service is touched.
set -uo pipefail
[ "${1:-}" = run ] && [ $# -ge 2 ] || {
	echo "usage: pg.sh run CMD [ARG...]" >&2
	exit 2
}
shift
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
	echo "pg.sh: PostgreSQL's server is not installed: skipped" >&2
	exit 77
fi
D=$(mktemp -d /tmp/mailcast-pg.XXXXXX)
AS=()
if [ "$(id -u)" = 0 ]; then
	id postgres >/dev/null 2>&1 || {
		echo "pg.sh: running as root and there is no user postgres" >&2
		rm -rf "$D"
		exit 1
	}
	chown postgres: "$D"
	AS=(runuser -u postgres --)
fi
chmod 755 "$D"
started=0
cleanup() {
	if [ "$started" = 1 ]; then
		"${AS[@]}" "$BIN/pg_ctl" -D "$D/data" -m immediate -w stop \
		    >/dev/null 2>&1
	fi
	rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! "${AS[@]}" "$BIN/initdb" -D "$D/data" -U postgres --auth=trust \
    -E UTF8 --locale=C.UTF-8 >"$D/initdb.log" 2>&1; then
	echo "pg.sh: initdb failed:" >&2
	cat "$D/initdb.log" >&2
	exit 1
fi
off=$(($$ % 100))
for i in $(seq 0 99); do
	port=$((15440 + (off + i) % 100))
	# a port someone listens on already is not worth a server start
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		continue
	fi
	if "${AS[@]}" "$BIN/pg_ctl" -D "$D/data" -l "$D/server.log" -w -t 30 \
	    -o "-p $port -c listen_addresses=127.0.0.1 \
	        -c unix_socket_directories=$D -c fsync=off \
	        -c synchronous_commit=off -c full_page_writes=off \
	        -c max_connections=50" start >/dev/null 2>&1; then
		started=1
		break
	fi
done
if [ "$started" != 1 ]; then
	echo "pg.sh: the server did not start on any port of 15440-15539:" >&2
	tail -5 "$D/server.log" >&2
	exit 1
fi
"$BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres campaigns || exit 1
export MC_TEST_PG_URL="postgresql://postgres@127.0.0.1:$port/campaigns"
export MC_TEST_PG_HOST=127.0.0.1 MC_TEST_PG_PORT=$port MC_TEST_PG_BIN=$BIN
"$@"
