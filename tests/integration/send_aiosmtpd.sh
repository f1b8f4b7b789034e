#!/bin/bash
# send_aiosmtpd.sh MAILCAST — `mailcast send` against a scripted aiosmtpd:
# AUTH PLAIN and LOGIN (right and wrong password), STARTTLS, implicit TLS,
# scripted 4xx/5xx replies, timeouts, certificate checks.
. "$(dirname "$0")/../helpers/lib.sh"
MC=$1
H=$(dirname "$0")/../helpers
PORT=21030
SPORT=21465

"$H/certs.sh" "$T/c"
printf 'secret\n' >"$T/pw"
printf 'wrong\n' >"$T/badpw"
$PY "$H/aiosmtpd_server.py" --port $PORT --smtps-port $SPORT --cert "$T/c/cert.pem" \
    --key "$T/c/key.pem" --outdir "$T/out" --user alice:secret >"$T/server.log" 2>&1 &
on_exit "kill $!"
wait_port $PORT && wait_port $SPORT || exit 1
S="--server 127.0.0.1:$PORT --ca-file $T/c/cert.pem --from a@example.org"

run "AUTH PLAIN over STARTTLS" 0 "$MC" send $S --to b@example.net \
    --auth-user alice --auth-password-file "$T/pw" --transcript
has "PLAIN chosen" "C: AUTH PLAIN <redacted>"
lacks "password never shown" "c2VjcmV0"
lacks "password never shown (clear)" "secret"
has "result line" "b@example.net: 250 2.0.0 Ok: queued as Q"
OUT=$(cat "$T"/out/*.eml)
has "server saw TLS and the user" "tls=True auth=alice"

run "AUTH LOGIN over STARTTLS" 0 env MAILCAST_AUTH_PASSWORD=secret "$MC" send $S \
    --to c@example.net --auth-user alice --auth-mech LOGIN --transcript
has "LOGIN used" "C: AUTH LOGIN"
has "answers redacted" "C: <redacted>"

run "wrong password" 77 "$MC" send $S --to b@example.net --auth-user alice \
    --auth-password-file "$T/badpw"
has "535 shown" "authentication failed: 535 5.7.8"

run "implicit TLS" 0 "$MC" send --server 127.0.0.1:$SPORT --tls implicit \
    --ca-file "$T/c/cert.pem" --from a@example.org --to d@example.net \
    --auth-user alice --auth-password-file "$T/pw"

run "550 to one recipient, 250 to another" 69 "$MC" send $S --to ok@example.net \
    --to reject-x@example.net --auth-user alice --auth-password-file "$T/pw"
has "the 550 line" "reject-x@example.net: 550 5.1.1 <reject-x@example.net>: Recipient address rejected"
has "the 250 line" "ok@example.net: 250 2.0.0 Ok: queued as"

run "--json: one object per recipient" 69 "$MC" send $S --to ok@example.net \
    --to reject-x@example.net --auth-user alice --auth-password-file "$T/pw" --json
printf '%s\n' "$OUT" >"$T/json"
OUT=$($PY - "$T/json" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
for r in rows:
    print("%s %s %d %s %s" % (r["recipient"], r["delivered"], r["code"],
                              r["enhanced"], r.get("queue_id", "-")))
PY
)
has "delivered row" "ok@example.net True 250 2.0.0 Q"
has "refused row" "reject-x@example.net False 550 5.1.1 -"

run "451 is a deferral" 75 "$MC" send $S --to defer-y@example.net \
    --auth-user alice --auth-password-file "$T/pw"
has "the 451 line" "defer-y@example.net: 451 4.3.0"

run "slow RCPT times out" 75 "$MC" send $S --to slow-z@example.net \
    --auth-user alice --auth-password-file "$T/pw" --timeout 1
has "names the command" "timed out after 1 s waiting for the reply to RCPT TO"

run "self-signed certificate without --ca-file" 69 "$MC" send \
    --server 127.0.0.1:$PORT --from a@example.org --to b@example.net
has "clear message" "TLS certificate of 127.0.0.1:$PORT not trusted: self-signed certificate"

run "implicit TLS spoken to a plain port" 69 "$MC" send --server 127.0.0.1:$PORT \
    --tls implicit --tls-verify no --from a@example.org --to b@example.net --timeout 5
has "says the port is plain" "answered in plain text, not TLS"

run "plain spoken to an implicit-TLS port" 75 "$MC" send --server 127.0.0.1:$SPORT \
    --tls none --from a@example.org --to b@example.net --timeout 2
has "says TLS is expected from the first byte" "port $SPORT expects TLS from the first byte"

run "no AUTH without TLS" 77 "$MC" send --server 127.0.0.1:$PORT --tls none \
    --from a@example.org --to b@example.net --auth-user alice --auth-password-file "$T/pw"
has "says AUTH needs STARTTLS" "offers no AUTH before STARTTLS"

# Global -v and --log FILE (before the command): the file is created 0600
# and appended to, every line timestamped; -v -v adds the protocol states,
# -v -v -v the wire with AUTH redacted; errors still reach stderr.
run "-v -v -v --log FILE" 0 "$MC" -v -v -v --log "$T/run.log" send $S \
    --to b@example.net --auth-user alice --auth-password-file "$T/pw"
has "stdout unchanged" "b@example.net: 250 2.0.0 Ok: queued as Q"
lacks "the log is in the file, not on stderr" "EHLO -> STARTTLS"
run "--log appends" 77 "$MC" -v --log "$T/run.log" send $S --to b@example.net \
    --auth-user alice --auth-password-file "$T/badpw"
has "the error still on stderr" "authentication failed: 535"
lacks "info lines only in the file" "connected to"
OUT=$(stat -c %a "$T/run.log")
has "log file mode 0600" "600"
OUT=$(cat "$T/run.log")
has "state trace" "mailcast: debug: smtp 127.0.0.1:$PORT: EHLO -> STARTTLS"
has "state trace after TLS" "mailcast: debug: smtp 127.0.0.1:$PORT: TLS -> EHLO"
has "connection at info" "mailcast: info: smtp: connected to 127.0.0.1:$PORT"
has "wire at trace" "mailcast: trace: smtp 127.0.0.1:$PORT C: AUTH PLAIN <redacted>"
lacks "password never logged" "c2VjcmV0"
lacks "password never logged (clear)" "secret"
n=$(grep -c "mailcast: info: smtp: connected to" "$T/run.log")
[ "$n" = 2 ] && pass "the second run appended" ||
    fail "the second run appended" "$n connection lines, expected 2" "$OUT"
bad=$(grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z mailcast: ' "$T/run.log")
[ "$bad" = 0 ] && pass "every log line timestamped" ||
    fail "every log line timestamped" "$bad lines without" "$OUT"
run "--log to a missing directory" 73 "$MC" --log "$T/no/such/run.log" send $S \
    --to b@example.net
has "says which file" "cannot open the log file $T/no/such/run.log"

finish
