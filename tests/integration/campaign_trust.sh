#!/bin/bash
# campaign_trust.sh MAILCAST — what a careless user or a later reader of
# the mail would check (issue 11, items 3, 4, 7, 10), end to end with
# mailcast's own sink as the relay (Maildir, port 26600):
#  - the store is created 0600; its token key is made on first use and
#    every token a campaign sends (VERP envelope, unsubscribe link) is
#    verified from the store alone, also after `token rotate` and for a
#    campaign that had its own --token-key;
#  - VERP by default: Return-Path bounces+TOKEN@<the From: domain>;
#    a --from at another domain is refused (65) unless --allow-unaligned;
#  - bad values refused at create, the field named (64); a relative
#    --ca-file saved absolute, missing at start from another folder: the
#    field and the file named (78), never "(null)"; a directory as the
#    template says so;
#  - a run killed with -9 after seconds of sending counts in the report's
#    sending time; mailcast.conf with a NUL byte names the line.
. "$(dirname "$0")/../helpers/lib.sh"
MC=$(realpath "$1")
PORT=26600
S="sqlite:$T/t.db"
M="$MC --store $S"

python3 - "$T/l.csv" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("email,first_name\n")
    for i in range(40):
        f.write("user%d@d%d.example,Name%d\n" % (i, i % 3, i))
PY
printf 'From: News <news@news.example>\nSubject: Hi {{first_name}}\n\nHello {{first_name}}: {{unsubscribe_url}}\n' >"$T/t.tmpl"
"$MC" sink --listen 127.0.0.1:$PORT --maildir "$T/md" --quiet \
	>"$T/sink.log" 2>&1 &
SINK=$!
on_exit "kill $SINK"
wait_port $PORT || fail "the sink did not start"

run "import" 0 $M list import "$T/l.csv" --list l
ok "the store is created 0600" test "$(stat -c %a "$T/t.db")" = 600

# every token of the maildir whose Return-Path is at the From: domain and
# that `token verify` maps to campaign $1; prints the count
verified() {
	n=0
	for f in "$T"/md/new/*; do
		rp=$(grep -m1 '^Return-Path:' "$f")
		case $rp in *"@news.example>"*) ;; *) continue ;; esac
		tok=$(printf '%s' "$rp" | sed 's/.*bounces+\([a-z0-9]*\)@.*/\1/')
		url=$(grep -m1 -o 'https://news.example/unsubscribe/[a-z0-9]*' "$f" |
			sed 's|.*/||')
		[ "$tok" = "$url" ] || continue
		$M token verify "$tok" 2>/dev/null | grep -q "^campaign $1 " &&
			n=$((n + 1))
	done
	echo $n
}

# --- item 4: alignment, VERP by default ---
run "--from at another domain is refused" 65 $M campaign create --name u \
	--list l --template "$T/t.tmpl" --from news@other.example \
	--relay 127.0.0.1:$PORT --tls none
has "... naming both domains and DMARC" \
	"--from news@other.example is at other.example but the template's From: is at news.example"
has "... and DMARC alignment" "DMARC alignment fails"
has "... and the way out" "--allow-unaligned"
run "... unless --allow-unaligned" 0 $M campaign create --name u \
	--list l --template "$T/t.tmpl" --from news@other.example \
	--relay 127.0.0.1:$PORT --tls none --allow-unaligned
run "broadcast refuses it too" 65 $M broadcast --list l \
	--template "$T/t.tmpl" --from news@other.example \
	--relay 127.0.0.1:$PORT --tls none
has "... with the same words" "DMARC alignment fails"

# unaligned on purpose: the envelope at --from's domain... and DKIM d=
# still at the visible From's (only --dkim-domain moves it)
"$MC" dkim keygen --domain news.example --selector s1 --type ed25519 \
	--out "$T/dk.pem" >/dev/null 2>&1
run "an unaligned broadcast with DKIM" 0 $M broadcast --name un --list l \
	--template "$T/t.tmpl" --from news@other.example --allow-unaligned \
	--relay 127.0.0.1:$PORT --tls none --rate 400 --dkim-key "$T/dk.pem" \
	--dkim-selector s1 --quiet
f=$(ls "$T"/md/new/* | head -1)
ok "... signs with d=news.example, the From: domain" \
	grep -q 'd=news.example;' "$f"
ok "... VERP still at the From: domain" \
	grep -q '^Return-Path: <bounces+[a-z0-9]*@news.example>' "$f"
rm -f "$T"/md/new/*

# --- item 7: validate at create ---
bad() { # NAME WORDS OPTION VALUE
	run "create refuses $1" 64 $M campaign create --name v --list l \
		--template "$T/t.tmpl" --from news@news.example \
		--relay 127.0.0.1:$PORT "$3" "$4"
	has "... naming the field ($2)" "$2"
}
bad "a@b@c as --from" "--from: not an address" --from 'a@b@c'
bad "CRLF in --helo" "--helo: a space or control character" --helo \
	$'x\r\nMAIL FROM:<evil@x>'
bad "CRLF in --bounce-domain" "--bounce-domain: a space or control" \
	--bounce-domain $'b.example\r\nX: y'
bad "an ftp unsubscribe URL" "--unsubscribe-url: not an http" \
	--unsubscribe-url ftp://news.example/u
bad "a URL without a host" "--unsubscribe-url: no host" \
	--unsubscribe-url 'https:///u'
bad "a bad --unsubscribe-mailto" "--unsubscribe-mailto: not an address" \
	--unsubscribe-mailto 'nobody'
run "create refuses a name with a control character" 64 $M campaign \
	create --name $'x\ry' --list l --template "$T/t.tmpl" \
	--from news@news.example --relay 127.0.0.1:$PORT
has "... naming the field" "--name: a control character"
mkdir "$T/adir"
run "a directory as the template" 65 $M campaign create --name v --list l \
	--template "$T/adir" --from news@news.example --relay 127.0.0.1:$PORT
has "... says so" "--template $T/adir is a directory"
run "no campaign v was made" 66 $M campaign status v

# --- item 3: the store's key, verifiable later ---
run "campaign 3 (aligned)" 0 $M campaign create --name a --list l \
	--template "$T/t.tmpl" --from news@news.example \
	--relay 127.0.0.1:$PORT --tls none --rate 400
run "it sends" 0 $M campaign start a --quiet
has "all 40 sent" "sent         40"
n=$(ls "$T"/md/new | wc -l)
ok "40 messages arrived ($n)" test "$n" -eq 40
v=$(verified 3)
ok "VERP at the From: domain and every token verified from the store ($v of 40)" \
	test "$v" -eq 40
run "preview" 0 $M preview --template "$T/t.tmpl" --set email=jo@d.example \
	--set first_name=Jo
pv=$(printf '%s\n' "$OUT" | grep -o 'MAIL FROM:<bounces+[a-z0-9]*@[^>]*>' |
	sed 's/.*@//; s/>//')
eng=$(grep -h -m1 '^Return-Path:' "$T"/md/new/* | head -1 |
	sed 's/.*@//; s/>.*//')
ok "preview and the engine agree on the VERP domain ($pv = $eng = news.example)" \
	test "$pv" = news.example -a "$eng" = news.example
run "resume with a --from at another domain is refused too" 65 $M \
	campaign resume a --from x@evil.example --quiet
has "... the same words" "DMARC alignment fails"
run "token list shows one signing key" 0 $M token list
has "... the current one" "1  "
has "... signs" "signs (current)"
run "a tampered token is refused" 65 $M token verify aaaqcarnjpmpnwc2gplha
has "... in words" "not signed by any key of this store"
run "rotate" 0 $M token rotate
has "key 2 signs" "token key 2 signs from now on"
rm -f "$T"/md/new/*
run "campaign 4 after the rotation" 0 $M campaign create --name b \
	--list l --template "$T/t.tmpl" --from news@news.example \
	--relay 127.0.0.1:$PORT --tls none --rate 400
run "it sends" 0 $M campaign start b --quiet
v=$(verified 4)
ok "campaign 4's tokens verify ($v of 40)" test "$v" -eq 40
tok=$($M token verify "$(grep -h -m1 -o 'bounces+[a-z0-9]*' "$T"/md/new/* |
	head -1 | sed 's/bounces+//')")
case $tok in *"(key 2)") pass "signed by the new key ($tok)" ;;
*) fail "signed by the new key: $tok" ;; esac

# a campaign with its own key file, relative, started from another folder
mkdir "$T/w"
(cd "$T/w" && openssl rand -hex 32 >own.key && chmod 600 own.key)
rm -f "$T"/md/new/*
(cd "$T/w" && $M campaign create --name own --list l \
	--template "$T/t.tmpl" --from news@news.example \
	--relay 127.0.0.1:$PORT --tls none --rate 400 --token-key own.key \
	--ca-file ca.pem >"$T/out" 2>&1)
OUT=$(cat "$T/out")
has "a missing --ca-file is refused at create, named" \
	"--ca-file $T/w/ca.pem: no such file"
touch "$T/w/ca.pem"
run "with the CA file" 0 bash -c "cd '$T/w' && $M campaign create \
	--name own --list l --template '$T/t.tmpl' --from news@news.example \
	--relay 127.0.0.1:$PORT --tls none --rate 400 --token-key own.key \
	--ca-file ca.pem"
run "started from / with its own key" 0 bash -c "cd / && $M campaign start own --quiet"
v=$(verified 5)
ok "its tokens verify from the store ($v of 40)" test "$v" -eq 40
run "token list: the campaign's key kept to verify" 0 $M token list
has "... so" "verifies (a campaign's --token-key)"
rm "$T/w/ca.pem"
run "resume from / with the CA file gone: 78" 78 bash -c "cd / && $M campaign resume own --quiet"
has "... names the field and the file" "--ca-file $T/w/ca.pem: no such file"
lacks "... never (null)" "(null)"

# --- item 10: a killed run's sending time ---
run "campaign 6, slow" 0 $M campaign create --name slow --list l \
	--template "$T/t.tmpl" --from news@news.example \
	--relay 127.0.0.1:$PORT --tls none --rate 4
$M campaign start slow --quiet >"$T/slow.out" 2>&1 &
RUN=$!
on_exit "kill -9 $RUN"
sleep 5
kill -9 $RUN
wait $RUN 2>/dev/null
run "report after kill -9" 0 $M campaign report slow --json
secs=$(printf '%s' "$OUT" | python3 -c \
	'import json,sys; print(json.load(sys.stdin)["seconds"])' 2>/dev/null)
sent=$(printf '%s' "$OUT" | python3 -c \
	'import json,sys; print(json.load(sys.stdin)["states"]["sent"])' 2>/dev/null)
ok "the killed run sent some ($sent) and counts ${secs:-?} s (>= 2)" \
	python3 -c "import sys; sys.exit(0 if float('${secs:-0}') >= 2 and 0 < int('${sent:-0}') < 40 else 1)"

# --- item 10: mailcast.conf that is not text ---
printf '[mailcast]\nrate = 1\nhelo = a\000b\n' >"$T/nul.conf"
run "a NUL in mailcast.conf" 78 $M --config "$T/nul.conf" campaign status a
has "... names the line" "nul.conf:3: a NUL byte"
finish
