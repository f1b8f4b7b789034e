#!/bin/bash
# consistency.sh MAILCAST — one vocabulary across the commands (issue 12,
# items 11-13): `help` and its topics, exit 64 naming any unknown flag,
# `send --timeout` durations and campaigns' --tls words, the cleartext-auth
# refusal naming --allow-cleartext-auth, and what -v shows.  Ports
# 29400-29499.
. "$(dirname "$0")/../helpers/lib.sh"
MC=$1
export MAILCAST_STORE="sqlite:$T/s.db" MAILCAST_CONFIG=/dev/null
unset MAILCAST_AUTH_PASSWORD

# 1. help: the topics, each from docs/, and an unknown one.
run "help lists its topics" 0 "$MC" help
for t in templates config store tokens exit-codes; do has "topic $t listed" "  $t "; done
run "help templates" 0 "$MC" help templates
has "the template page" "merge field"
run "help template (old spelling)" 0 "$MC" help template
has "the same page" "merge field"
run "help config" 0 "$MC" help config
has "conf keys" "auth_password_file"
run "help store" 0 "$MC" help store
has "where the store is" "XDG_DATA_HOME"
lacks "not the engine's part" "Ledger operations"
run "help tokens" 0 "$MC" help tokens
has "rotate" "mailcast token rotate"
lacks "only the tokens part" "Trying a template"
run "help exit-codes" 0 "$MC" help exit-codes
has "the table" "| 75 | EX_TEMPFAIL |"
run "help nosuch" 64 "$MC" help nosuch
has "names the topic" "no topic 'nosuch'"
has "lists the topics" "exit-codes"

# 4. Every command and subcommand: --nosuch is 64 and named.
for c in "demo" "broadcast" "bounces parse" "bounces fetch" "bounces ingest" \
    "doctor" "probe" "trace" "ping" "netinfo" "dns" "preview" "dkim keygen" \
    "dkim txt" "send" "sink" "version" "token rotate" "token list" \
    "token verify" "campaign create" "campaign start" "campaign resume" \
    "campaign pause" "campaign status" "campaign report" "campaign who" \
    "list import" "list export" "list show" "list count" \
    "suppress add" "suppress remove" "suppress list" "suppress check" \
    "suppress import" "bounces" "dkim" "token" "campaign" "list" "suppress"; do
	# shellcheck disable=SC2086
	run "$c --nosuch: usage error" 64 timeout 10 "$MC" $c --nosuch </dev/null
	has "$c --nosuch: named" "nosuch"
	case $c in
	*" "*) has "$c --nosuch: the whole command named" \
		"mailcast: $c: unrecognized option '--nosuch'" ;;
	esac
done
run "list remove --nosuch: usage error" 64 "$MC" list remove --nosuch
has "list remove --nosuch: named" \
    "mailcast: list remove: unrecognized option '--nosuch'"

# 2. send: durations for --timeout, campaigns' words for --tls.
"$MC" sink --listen 127.0.0.1:29401 --discard --quiet >/dev/null 2>&1 &
on_exit "kill $!"
wait_port 29401 || exit 1
M="--server 127.0.0.1:29401 --from a@example.org --to b@example.net"
for d in 30s 500ms 2m 5; do
	run "send --timeout $d" 0 "$MC" send $M --tls none --timeout $d
	has "send --timeout $d: delivered" "b@example.net: 250"
done
for d in 5x 50ms 2h -1 1.5s; do
	run "send --timeout $d: refused" 64 "$MC" send $M --tls none --timeout "$d"
	has "send --timeout $d: says what is taken" "--timeout: a duration from 100ms to 1h"
done
# ... and every other command's time options (a bare number keeps its
# old unit): probe's --timeout, worker's --poll, serve's --drain.
run "probe --timeout 2s" 69 "$MC" probe 127.0.0.1 --ports 1 --timeout 2s --no-talk
has "probe --timeout 2s: probed" "closed"
run "probe --timeout 5x: refused" 64 "$MC" probe 127.0.0.1 --timeout 5x
has "probe --timeout 5x: says what is taken" \
    "mailcast probe: --timeout must be a duration 1..600000ms (500ms, 2s)"
run "a store for the worker" 0 "$MC" --store "sqlite:$T/w.db" store migrate
run "worker --poll 1m --once" 0 "$MC" --store "sqlite:$T/w.db" worker --poll 1m --once
run "serve --drain 500ms: not whole seconds" 64 "$MC" serve --drain 500ms
has "serve --drain: says what is taken" \
    "mailcast serve: --drain must be a duration 1..3600s (30s, 5m)"
run "send --tls opportunistic (no STARTTLS offered: clear)" 0 "$MC" send $M --tls opportunistic
run "send --tls require, as campaigns say it" 69 "$MC" send $M --tls require
has "require means STARTTLS" "does not offer STARTTLS"
run "send --tls starttls, the same" 69 "$MC" send $M --tls starttls
has "starttls means STARTTLS" "does not offer STARTTLS"
run "send --tls bogus" 64 "$MC" send $M --tls bogus
has "campaigns' words" "--tls: none, opportunistic, require (starttls) or implicit"

# 5. -v: what is connected, what was sent, the store used.
run "-v send" 0 "$MC" -v send $M --tls none
has "-v send: what is sent" "info: send: one message to 1 recipient(s) through 127.0.0.1:29401, TLS none"
has "-v send: connected" "info: smtp: connected to 127.0.0.1:29401"
has "-v send: queue id" "info: queue id"
printf 'email\nx@example.net\n' >"$T/l.csv"
printf 'From: a@example.org\nSubject: hi\n\nhello\n' >"$T/t.txt"
run "list import" 0 "$MC" list import "$T/l.csv" --list l
run "campaign create" 0 "$MC" campaign create --name c --list l \
    --template "$T/t.txt" --from a@example.org --relay 127.0.0.1:29401 --tls none
run "-v campaign start" 0 "$MC" -v campaign start 1 --quiet
has "-v campaign: the store" "info: store: sqlite:$T/s.db (read-write)"
has "-v campaign: connected" "info: smtp: connected to 127.0.0.1:29401"
has "-v campaign: finished" "info: campaign: finished"

# 3. The cleartext-auth refusal names the flag; the flag lets AUTH go.
cat >"$T/auth_server.py" <<'PY'
import socketserver, sys
class H(socketserver.StreamRequestHandler):
    def handle(self):
        w = lambda s: self.wfile.write(s.encode() + b"\r\n")
        w("220 fake ESMTP")
        for line in self.rfile:
            cmd = line.decode(errors="replace").strip().upper()
            if cmd.startswith("EHLO"):
                w("250-fake"); w("250 AUTH PLAIN LOGIN")
            elif cmd.startswith("AUTH"):
                w("535 5.7.8 no such user")
            elif cmd.startswith("QUIT"):
                w("221 bye"); return
            else:
                w("503 5.5.1 no")
socketserver.TCPServer.allow_reuse_address = True
socketserver.TCPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
$PY "$T/auth_server.py" 29402 2>/dev/null &
on_exit "kill $!"
wait_port 29402 || exit 1
A="--server 127.0.0.1:29402 --from a@example.org --to b@example.net --tls none --auth-user u"
run "send: AUTH PLAIN without TLS refused" 77 env MAILCAST_AUTH_PASSWORD=pw "$MC" send $A
has "refusal names the flag" "--allow-cleartext-auth"
run "send --allow-cleartext-auth: AUTH tried" 77 env MAILCAST_AUTH_PASSWORD=pw "$MC" send $A --allow-cleartext-auth
has "the server's answer" "535"
lacks "no refusal" "refusing to send the password"

# bounces fetch (POP3): a server offering only USER/PASS without TLS, and
# keeping the connection open: the refusal ends the run at once.
cat >"$T/pop3_server.py" <<'PY'
import socketserver, sys
class H(socketserver.StreamRequestHandler):
    def handle(self):
        w = lambda s: self.wfile.write(s.encode() + b"\r\n")
        w("+OK ready")
        for line in self.rfile:
            cmd = line.decode(errors="replace").strip().upper()
            if cmd.startswith("CAPA"):
                w("+OK"); w("USER"); w(".")
            elif cmd.startswith("QUIT"):
                w("+OK bye"); return
            else:
                w("-ERR no")
socketserver.TCPServer.allow_reuse_address = True
socketserver.TCPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
$PY "$T/pop3_server.py" 29403 2>/dev/null &
on_exit "kill $!"
wait_port 29403 || exit 1
echo pw >"$T/pw"
chmod 600 "$T/pw"
run "bounces fetch: USER/PASS without TLS refused at once" 77 timeout 20 \
    "$MC" bounces fetch --mailbox "pop3://u@127.0.0.1:29403" --password-file "$T/pw"
has "refusal names the flag" "--allow-cleartext-auth"

finish
