#!/bin/bash
# files_keys.sh MAILCAST — key and secret files (issue 11 item 9), through
# the CLI, with mailcast's own sink as the relay (port 26620):
#  - what mailcast writes that holds a secret is 0600 whatever the umask:
#    the store (and so its token keys), a DKIM key from `dkim keygen`, the
#    --log file;
#  - a key or secret file that group or others can read (a DKIM key, a
#    --token-key file, an --auth-password-file) draws a warning naming the
#    file and the fix (`chmod 600 FILE`) in every command that reads it
#    (dkim txt, preview, broadcast, bounces ingest, send); the command
#    still works; a 0600 file draws none.
. "$(dirname "$0")/../helpers/lib.sh"
MC=$(realpath "$1")
PORT=26620
S="sqlite:$T/k.db"
cd "$T" || exit 1

# --- written 0600 whatever the umask ---
printf 'email,name\nann@example.com,Ann\nbob@example.com,Bob\n' >"$T/l.csv"
(
	umask 000
	"$MC" --log "$T/run.log" --store "$S" list import "$T/l.csv" --list l \
		>/dev/null 2>&1
	"$MC" dkim keygen --domain news.example --selector s1 --type ed25519 \
		--out "$T/k.pem" >/dev/null 2>&1
)
ok "the store is 0600 under umask 000" test "$(stat -c %a "$T/k.db")" = 600
ok "a DKIM key from keygen is 0600 under umask 000" \
	test "$(stat -c %a "$T/k.pem")" = 600
ok "the --log file is 0600 under umask 000" test "$(stat -c %a "$T/run.log")" = 600

# --- a 0600 key draws no warning ---
run "dkim txt on a 0600 key" 0 "$MC" dkim txt --key "$T/k.pem" \
	--domain news.example --selector s1
lacks "no warning for a 0600 key" "warn"

# --- keys open to others: a warning with the file and the fix ---
chmod 640 "$T/k.pem"
run "dkim txt on a 0640 key still works" 0 "$MC" dkim txt --key "$T/k.pem" \
	--domain news.example --selector s1
has "dkim txt warns, naming the key and the fix" \
	"mailcast: warn: DKIM key $T/k.pem has mode 0640: its group can read it; run \`chmod 600 $T/k.pem\`"
has "and prints the record" "v=DKIM1"

openssl rand -hex 32 >"$T/token.key"
chmod 644 "$T/token.key"
printf 'From: News <news@news.example>\nSubject: Hi {{name}}\n\nHello {{name}}\n' \
	>"$T/t.tmpl"
run "preview with open keys still works" 0 "$MC" preview --template "$T/t.tmpl" \
	--set name=Ann --set email=ann@example.com --token-key "$T/token.key" --dkim-key "$T/k.pem" \
	--dkim-selector s1
has "preview warns about the token key" \
	"mailcast: warn: token key $T/token.key has mode 0644: group and others can read it; run \`chmod 600 $T/token.key\`"
has "preview warns about the DKIM key" "DKIM key $T/k.pem has mode 0640"
has "and signs" "DKIM-Signature:"

"$MC" sink --listen 127.0.0.1:$PORT --maildir "$T/md" --quiet \
	>"$T/sink.log" 2>&1 &
SINK=$!
on_exit "kill $SINK"
wait_port $PORT || fail "the sink did not start"

printf 'secret\n' >"$T/pw"
chmod 604 "$T/pw"
# the sink offers no AUTH without TLS (77): the password was read before
run "send with an open password file" 77 "$MC" send --server 127.0.0.1:$PORT \
	--tls none --from news@news.example --to ann@example.com \
	--auth-user news --auth-password-file "$T/pw" --data "$T/t.tmpl"
has "send warns about the password file" \
	"mailcast: warn: password file $T/pw has mode 0604: others can read it; run \`chmod 600 $T/pw\`"

run "broadcast with open keys" 0 "$MC" --store "$S" broadcast --list l \
	--template "$T/t.tmpl" --from news@news.example --relay 127.0.0.1:$PORT \
	--tls none --dkim-key "$T/k.pem" --dkim-selector s1 \
	--token-key "$T/token.key" --quiet
has "broadcast warns about the token key" "token key $T/token.key has mode 0644"
has "broadcast warns about the DKIM key" "DKIM key $T/k.pem has mode 0640"

chmod 620 "$T/token.key"
printf 'From: x@y.example\nTo: bounces@news.example\nSubject: hello\n\nnothing\n' \
	>"$T/msg"
# shellcheck disable=SC2016 # expanded by that sh
run "bounces ingest with an open token key" 0 sh -c '"$@" <"$0"' "$T/msg" \
	"$MC" --store "$S" bounces ingest --token-key "$T/token.key"
has "bounces ingest warns" \
	"token key $T/token.key has mode 0620: its group can change it; run \`chmod 600 $T/token.key\`"

finish
