#!/bin/bash
# engine_tls_auth.sh MAILCAST — a campaign through a relay that wants
# STARTTLS and AUTH (aiosmtpd): an untrusted certificate or a wrong password
# stops the run at once with the reason (retrying cannot help); with
# --ca-file and the right password every message goes, over TLS, as the
# user; the password is never stored with the campaign.  Ports 26310-26311.
. "$(dirname "$0")/../helpers/lib.sh"
MC=$1
H=$(dirname "$0")/../helpers
PORT=26310

"$H/certs.sh" "$T/c"
printf 'secret\n' >"$T/pw"
printf 'wrong\n' >"$T/bad"
$PY "$H/aiosmtpd_server.py" --port $PORT --cert "$T/c/cert.pem" --key "$T/c/key.pem" \
    --outdir "$T/out" --user alice:secret >"$T/server.log" 2>&1 &
on_exit "kill $!"
wait_port $PORT || exit 1

printf 'email,first_name\na@x.example,Ann\nb@y.example,Bob\nc@z.example,Cy\n' >"$T/l.csv"
printf 'From: News <news@example.org>\nSubject: Hi {{first_name}}\n\nHello {{first_name}}.\n' >"$T/t.txt"
S="--store sqlite:$T/db"
"$MC" $S list import "$T/l.csv" --list L >/dev/null
B="broadcast --list L --template $T/t.txt --from news@example.org --relay 127.0.0.1:$PORT --tls starttls --quiet"

run "untrusted certificate: the run stops" 69 timeout 60 "$MC" $S $B \
    --auth-user alice --auth-password-file "$T/pw"
has "says why" "not trusted: self-signed certificate"
run "wrong password: the run stops" 77 timeout 60 "$MC" $S $B --ca-file "$T/c/cert.pem" \
    --auth-user alice --auth-password-file "$T/bad"
has "the server's 535" "authentication failed: 535"
run "right password, trusted certificate: all sent" 0 timeout 60 env MAILCAST_AUTH_PASSWORD=secret \
    "$MC" $S $B --ca-file "$T/c/cert.pem" --auth-user alice
has "three sent" "sent         3"
OUT=$(cat "$T"/out/*.eml 2>/dev/null)
has "over TLS, as alice" "tls=True auth=alice"
n=$(ls "$T"/out/*.eml 2>/dev/null | wc -l)
[ "$n" -eq 3 ] && pass "three messages arrived" || fail "three messages arrived: $n"
OUT=$(sqlite3 "$T/db" "SELECT detail FROM events WHERE kind = 'settings'")
has "the user is kept with the campaign" '"auth_user":"alice"'
lacks "the password is not" "secret"
finish
