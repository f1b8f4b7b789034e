#!/bin/bash
# send_errors.sh MAILCAST — bad input gets a clear message and a sysexits
# code, never a crash or a hang: unknown host, refused port, silent server,
# garbage, a 10 MB line, a message over SIZE, bad arguments.
. "$(dirname "$0")/../helpers/lib.sh"
MC=$1
H=$(dirname "$0")/../helpers
M="--from a@example.org --to b@example.net --tls none"

# Unknown host, resolved from a hosts file only (never the machine's DNS).
printf 'hosts: files\n' >"$T/nsswitch.conf"
if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
	run "unknown host" 68 unshare -m sh -c \
	    "mount --bind '$T/nsswitch.conf' /etc/nsswitch.conf && exec '$MC' send --server no-such-host.invalid $M"
	has "names the host" 'cannot resolve host "no-such-host.invalid"'
	# A name with an IPv6 and an IPv4 address: every address is tried.
	printf '::1 dual.test\n127.0.0.1 dual.test\n' >"$T/hosts"
	private_hosts() {
		unshare -m sh -c "mount --bind '$T/nsswitch.conf' /etc/nsswitch.conf &&
		    mount --bind '$T/hosts' /etc/hosts && exec $*"
	}
	run "every address refused: both named" 69 private_hosts "'$MC' send --server dual.test:21099 $M"
	has "IPv6 tried" "[::1]:21099: connection refused"
	has "IPv4 tried" "127.0.0.1:21099: connection refused"
	"$MC" sink --listen 127.0.0.1:21049 --discard --quiet >/dev/null 2>&1 &
	on_exit "kill $!"
	wait_port 21049 || exit 1
	run "IPv6 refused, IPv4 answers: delivered" 0 private_hosts "'$MC' send --server dual.test:21049 $M"
	has "result line" "b@example.net: 250 2.0.0"
else
	echo "skip - unknown host and dual-stack names (need root for private /etc files)"
fi

run "refused port" 69 "$MC" send --server 127.0.0.1:21099 $M
has "says refused" "127.0.0.1:21099: connection refused"

for mode in silent garbage longline; do
	port=$((21040 + ${#mode}))
	$PY "$H/bad_server.py" --port $port --mode $mode &
	on_exit "kill $!"
	wait_port $port || exit 1
done
run "a server that never answers" 75 "$MC" send --server 127.0.0.1:21046 $M --timeout 2
has "says no greeting" "no greeting from the server within 2 s"
lacks "no TLS hint for a silent server" "expects TLS"
run "garbage instead of a greeting" 76 "$MC" send --server 127.0.0.1:21047 $M --timeout 5
has "shows the garbage" 'malformed reply line: "HTTP/1.1 400 Bad Request"'
run "a 10 MB line" 76 "$MC" send --server 127.0.0.1:21048 $M --timeout 5
has "says the line is too long" "reply line longer than 4096 bytes"

run "no --server" 64 "$MC" send --from a@example.org --to b@example.net
has "names the options" "--server, --from and --to are required"
run "bad port" 64 "$MC" send --server 127.0.0.1:99999 $M
run "bad --tls" 64 "$MC" send --server 127.0.0.1 $M --tls maybe
run "missing --data file" 66 "$MC" send --server 127.0.0.1:21099 $M --data "$T/nope.eml"
has "names the file" "nope.eml"
run "password file missing" 78 "$MC" send --server 127.0.0.1:21099 $M \
    --auth-user u --auth-password-file "$T/nope"
run "no password anywhere" 78 env -u MAILCAST_AUTH_PASSWORD "$MC" send \
    --server 127.0.0.1:21099 $M --auth-user u
has "names the variable" "MAILCAST_AUTH_PASSWORD"

finish
