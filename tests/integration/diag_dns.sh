#!/bin/bash
# diag_dns.sh MAILCAST -- `mailcast dns` and `mailcast doctor` DNS rules against
# made-up zones served by unbound on 127.0.0.1:23053 (tests/helpers/diag-dns.sh).
set -u
MC=${1:?usage: diag_dns.sh MAILCAST}
HERE=$(cd "$(dirname "$0")/.." && pwd)
PORT=${DIAG_DNS_PORT:-23053}
S=127.0.0.1:$PORT
D=$(mktemp -d /tmp/mcdiag-dns.XXXXXX)
cleanup() { "$HERE/helpers/diag-dns.sh" stop "$D"; rm -rf "$D"; }
trap cleanup EXIT
"$HERE/helpers/diag-dns.sh" start "$D" "$PORT"
for _ in $(seq 50); do # bounded wait for the server
	"$MC" dns good.test --dns-server "$S" --timeout 200 >/dev/null 2>&1 && break
	sleep 0.1
done
fail=0
check() { # check NAME FILE REGEX
	if grep -Eq -- "$3" "$2"; then echo "ok   $1"
	else echo "FAIL $1: no /$3/ in:"; sed 's/^/     /' "$2"; fail=1; fi
}
run() { local out=$1; shift; "$@" >"$D/$out" 2>&1; echo "rc=$?" >>"$D/$out"; }

run good "$MC" dns good.test --ip 192.0.2.2 --selector sel1 --dns-server "$S"
check "MX in preference order" "$D/good" 'backup\.good\.test'
python3 - "$D/good" >"$D/order" <<'PY'
import re, sys
prefs = [int(m.group(1)) for m in re.finditer(r"^ +(\d+) \S+ ->", open(sys.argv[1]).read(), re.M)]
print("sorted" if prefs == sorted(prefs) and len(prefs) == 3 else "unsorted %s" % prefs)
PY
check "MX sorted by preference" "$D/order" '^sorted$'
check "SPF authorises 192.0.2.2" "$D/good" 'result for 192\.0\.2\.2: pass'
check "PTR forward-confirmed" "$D/good" 'mail\.good\.test, forward-confirmed'
check "DKIM key type and size" "$D/good" 'rsa key, 2048 bits'
check "DMARC reject" "$D/good" 'policy p=reject'

run nospf "$MC" doctor --domain nospf.test --dns-server "$S"
check "missing SPF is the root cause" "$D/nospf" '^ROOT CAUSE: .*no SPF record \[spf-missing\]'
check "missing SPF exits 65 (dns-records)" "$D/nospf" '^rc=65$'

run many "$MC" dns manyspf.test --dns-server "$S"
check "SPF lookups counted over 10" "$D/many" '12 DNS lookups \(limit 10\) OVER THE LIMIT'
run manyd "$MC" doctor --domain manyspf.test --dns-server "$S" --json
check "doctor: spf-too-many-lookups" "$D/manyd" '"id": "spf-too-many-lookups"'

run dnone "$MC" doctor --domain dmarcnone.test --ip 192.0.2.2 --dns-server "$S"
check "DMARC p=none reported" "$D/dnone" '\[dmarc-none\]'
check "DMARC p=none is a warning (exit 0)" "$D/dnone" '^rc=0$'

run null "$MC" doctor --domain nullmx.test --dns-server "$S"
check "null MX is the root cause" "$D/null" '^ROOT CAUSE: nullmx\.test publishes a null MX.*\[null-mx\]'
run nullj "$MC" dns nullmx.test --dns-server "$S" --json
check "dns --json: null_mx true" "$D/nullj" '"null_mx": true'

run nomx "$MC" dns nomx.test --dns-server "$S"
check "no MX: implicit MX" "$D/nomx" 'no MX: implicit MX'
run nomxd "$MC" doctor --domain nomx.test --dns-server "$S"
check "doctor: no-mx" "$D/nomxd" '\[no-mx\]'

run bl "$MC" dns --ip 192.0.2.66 --dnsbl bl.test --dns-server "$S"
check "DNSBL listing with its reason" "$D/bl" 'bl\.test +listed 127\.0\.0\.2: listed for testing'
run bld "$MC" doctor --ip 192.0.2.66 --dnsbl bl.test --dns-server "$S"
check "doctor: dnsbl-listed, exit 77" "$D/bld" '\[dnsbl-listed\]'
check "doctor: dnsbl-listed exit code" "$D/bld" '^rc=77$'

run err "$MC" dns --ip 192.0.2.2 --dnsbl errbl.test --dnsbl bl.test --dns-server "$S"
check "127.255.255.x is a query error, not a listing" "$D/err" 'errbl\.test +error 127\.255\.255\.254'
check "the clean list stays clean" "$D/err" 'bl\.test +clean'

# nothing listens on PORT+1: the DNS server does not answer
run dead "$MC" doctor --domain good.test --dns-server 127.0.0.1:$((PORT + 1)) --timeout 400
check "dead DNS server is the root cause" "$D/dead" '\[dns-not-answering\]'
check "dead DNS server exits 75" "$D/dead" '^rc=75$'

exit $fail
