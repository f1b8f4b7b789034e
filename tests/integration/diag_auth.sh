#!/bin/bash
# diag_auth.sh MAILCAST — the doctor's "credentials rejected" rule against a
# scripted aiosmtpd (tests/helpers/aiosmtpd_server.py) that offers AUTH PLAIN
# and LOGIN only after STARTTLS on one port and speaks implicit TLS on
# another: the right password gives no auth cause (auth-ok); a wrong one is
# the ROOT CAUSE auth-rejected with the server's 535 as evidence and exit 77;
# AUTH offered only after STARTTLS is reported (auth-after-starttls).  The
# password comes from a file or MAILCAST_AUTH_PASSWORD and is never printed.
. "$(dirname "$0")/../helpers/lib.sh"
MC=${1:?usage: diag_auth.sh MAILCAST}
H=$(dirname "$0")/../helpers
PORT=23510
SPORT=23511

"$H/certs.sh" "$T/c"
printf 'secret\n' >"$T/pw"
printf 'wrong-pass\n' >"$T/badpw"
chmod 600 "$T/pw" "$T/badpw" # an open one draws a warning on stderr
# A server of an earlier run that is still going away must not answer.
for _ in $(seq 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null || break
	sleep 0.1
done
$PY "$H/aiosmtpd_server.py" --port $PORT --smtps-port $SPORT \
    --cert "$T/c/cert.pem" --key "$T/c/key.pem" --outdir "$T/out" \
    --user alice:secret >"$T/server.log" 2>&1 &
SRV=$!
on_exit "kill $SRV; wait $SRV"
wait_port $PORT && wait_port $SPORT || { cat "$T/server.log"; exit 1; }
D="doctor --relay 127.0.0.1:$PORT --ports $PORT --no-trace --no-ping
   --timeout 10000 --ca-file $T/c/cert.pem --auth-user alice"
DS="doctor --relay 127.0.0.1:$SPORT --ports $SPORT --tls implicit --no-trace
    --no-ping --timeout 10000 --ca-file $T/c/cert.pem --auth-user alice"

# shellcheck disable=SC2086
run "right password over STARTTLS: no root cause" 0 "$MC" $D \
    --auth-password-file "$T/pw"
lacks "no root cause" "ROOT CAUSE"
lacks "no auth-rejected" "auth-rejected"
has "auth-ok finding" "the relay accepts the credentials of alice [auth-ok]"
has "login line of the probe" "login: accepted (AUTH PLAIN)"
has "AUTH only after STARTTLS" "AUTH is offered only after STARTTLS [auth-after-starttls]"
has "no AUTH in clear, PLAIN over TLS" "AUTH in clear: -; AUTH over TLS: LOGIN PLAIN"
lacks "password never shown" "secret"
lacks "password never shown (base64)" "c2VjcmV0"

# shellcheck disable=SC2086
run "wrong password (environment): exit 77 (auth)" 77 \
    env MAILCAST_AUTH_PASSWORD=wrong-pass "$MC" $D
has "root cause auth-rejected" "ROOT CAUSE: the relay rejects the credentials of alice [auth-rejected]"
has "the server's 535 as evidence" "evidence: AUTH PLAIN on port $PORT: 535 5.7.8"
has "still: AUTH only after STARTTLS" "[auth-after-starttls]"
lacks "password never shown" "wrong-pass"

# shellcheck disable=SC2086
run "wrong password --json" 77 "$MC" --json $D --auth-password-file "$T/badpw"
printf '%s\n' "$OUT" >"$T/wrong.json"
OUT=$($PY - "$T/wrong.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rc = d["root_cause"]
port = d["facts"]["probe"]["ports"][0]
print("root=%s class=%s exit=%d" % (rc["id"], rc["class"], d["exit_code"]))
print("evidence=%s" % rc["evidence"])
print("login ok=%s code=%d mech=%s" % (port["login"]["ok"], port["login"]["code"],
                                       port["login"]["mechanism"]))
PY
)
has "json: id, class, exit" "root=auth-rejected class=auth exit=77"
has "json: evidence has 535" "evidence=AUTH PLAIN on port $PORT: 535"
has "json: probe login" "login ok=False code=535 mech=PLAIN"

# shellcheck disable=SC2086
run "implicit TLS, right password" 0 "$MC" $DS --auth-password-file "$T/pw"
has "implicit: auth-ok" "[auth-ok]"
has "implicit: tls-expected port" "tls-expected"
lacks "implicit: no root cause" "ROOT CAUSE"

# shellcheck disable=SC2086
run "implicit TLS, wrong password" 77 "$MC" $DS --auth-password-file "$T/badpw"
has "implicit: auth-rejected with 535" "[auth-rejected]"
has "implicit: 535 evidence" ": 535 5.7.8"

# shellcheck disable=SC2086
run "no password anywhere: config error" 78 env -u MAILCAST_AUTH_PASSWORD \
    "$MC" $D
has "names the variable" "MAILCAST_AUTH_PASSWORD"
run "password file without a user: usage" 64 "$MC" doctor \
    --relay 127.0.0.1:$PORT --auth-password-file "$T/pw"
has "says what is missing" "--auth-password-file needs --auth-user"
run "--auth-user with only --mailbox: usage" 64 env MAILCAST_AUTH_PASSWORD=x \
    "$MC" doctor --mailbox imap://127.0.0.1:23599 --auth-user alice
has "names --relay" "--auth-user needs --relay"

finish
