#!/bin/bash
# review_cli.sh MAILCAST — findings of a hostile review of the CLI, each
# checked as a careless user meets it: the error names what is wrong, the
# exit code is the documented one, and nothing is left half made.
# No server is reached.
. "$(dirname "$0")/../helpers/lib.sh"
MC=$1
S="sqlite:$T/t.db"

printf 'email,name\na@example.net,A\n' >"$T/c.csv"
printf 'From: News <news@example.org>\nSubject: Hi {{name}}\n\nhi\n' \
	>"$T/t.tmpl"
run "import the list" 0 "$MC" --store "$S" list import "$T/c.csv" --list l

# An unsubscribe URL the first start would refuse (not https) is refused
# at create, and no campaign is made (it was made, then every start failed
# with exit 78 and left it paused).
run "campaign create --unsubscribe-url http://... refused" 65 "$MC" \
	--store "$S" campaign create --name c --list l --template "$T/t.tmpl" \
	--from news@example.org --relay 127.0.0.1:1 \
	--unsubscribe-url http://news.example.org/unsubscribe/
has "... naming the URL" "unsubscribe URL 'http://news.example.org/unsubscribe/' must start with https://"
run "... and no campaign made" 0 "$MC" --store "$S" campaign list --json
lacks "... (campaign list is empty)" '"name"'
run "an https one is taken" 0 "$MC" --store "$S" campaign create --name c2 \
	--list l --template "$T/t.tmpl" --from news@example.org \
	--relay 127.0.0.1:1 --unsubscribe-url https://news.example.org/u/

# A bad number for serve names the option (it said only "expected 1 to 64"
# or "expected 1 to 3600 seconds", with no command and no option).
# Durations (--header-timeout, --drain) take a unit: 10s is right, 10x not.
for o in "threads 0" "max-conns 0" "max-conns-per-ip -1" \
	"header-timeout 10x" "max-body 0" "drain 99999"; do
	set -- $o
	run "serve --$1 $2 refused" 64 "$MC" --store "$S" serve --listen \
		127.0.0.1:27899 --"$1" "$2"
	has "... naming serve and --$1" "mailcast serve: --$1 must be a "
done

# A --trusted-proxy that is not an address as the peer shows it would
# never match (every client would look like the proxy, and share one
# signup limit): refused at start (it was taken silently).
for p in proxy.example "10.0.0.1 " 0:0::1; do
	run "serve --trusted-proxy '$p' refused" 78 timeout 10 "$MC" \
		--store "$S" serve --listen 127.0.0.1:27898 --trusted-proxy "$p"
	has "... naming it" "mailcast serve: --trusted-proxy $p: expected an IP address"
done
has "... and the form it must take" "written ::1"

# serve on a store that is not there: one line, and the exit code every
# other command gives (it said it twice and exited 74).
run "serve on a missing store" 66 timeout 10 "$MC" --store "sqlite:$T/none.db" \
	serve --listen 127.0.0.1:27897
has "... saying so" "mailcast serve: cannot open the store: no store at $T/none.db"
ok "... once" test "$(printf '%s\n' "$OUT" | grep -c 'no store at')" -eq 1
mkdir "$T/dir"
run "serve on a store that is a directory" 78 timeout 10 "$MC" --store \
	"sqlite:$T/dir" serve --listen 127.0.0.1:27897

# A new user learns what serve does from its help (it named only the
# unsubscribe route and /healthz).
run "mailcast --help" 0 "$MC" --help
has "... serve's line names the dashboard" "serve      HTTP: unsubscribe, signup, REST API, tracking, dashboard"
run "serve --help" 0 "$MC" serve --help
for r in /subscribe/LIST /api/v1/ /c/ /dash/ "mailcast user add" "mailcast token create"; do
	has "... names $r" "$r"
done

finish
