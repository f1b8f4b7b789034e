#!/bin/sh
# msg_opendkim.sh MAILCAST — DKIM signatures of `mailcast preview` verified by
# opendkim-tools (opendkim-testmsg, libopendkim), rsa-sha256 and
# ed25519-sha256, alone and together, with non-ASCII headers, long lines and
# folded unsubscribe headers; a tampered copy must fail.
# opendkim-testmsg looks keys up in DNS and has no key-file option, so the
# test makes private mount and network namespaces in which /etc/resolv.conf
# points at a dnsmasq on 127.0.0.1:53 serving only the test's TXT records.
# Needs root (exit 77 = skipped otherwise).
set -eu
MC=$(readlink -f "$1")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for namespaces"; exit 77; }
command -v opendkim-testmsg >/dev/null || PATH=$PATH:/usr/sbin
tmp=$(mktemp -d /tmp/mc_opendkim.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

txt() { sed -n 's/^[^"]*//; s/" "//g; s/"//g; s/ )$//; p'; }
"$MC" dkim keygen --domain example.org --selector rsa1 --out rsa1.pem 2>/dev/null | txt > rsa1.txt
"$MC" dkim keygen --domain example.org --selector ed1 --type ed25519 --out ed1.pem 2>/dev/null | txt > ed1.txt
grep -q '^v=DKIM1; k=rsa; p=' rsa1.txt
grep -q '^v=DKIM1; k=ed25519; p=' ed1.txt
openssl rand -hex 32 > token.key

long=$(printf 'Een hele lange regel zonder einde %.0s' $(seq 40))
cat > t.tmpl <<EOT
From: Exämple Nieuwsbrief <news@example.org>
Subject: {{first_name|Hallo}}, het nieuws — ünïcödé in een lange onderwerpregel die gevouwen moet worden
To: {{first_name}} <{{email}}>

Beste {{first_name|lezer}},
$long
Uitschrijven: {{unsubscribe_url}}
%% html
<p>Beste {{first_name}}</p>
EOT
url="https://news.example.org/$(printf 'a%.0s' $(seq 60))/unsubscribe/"
pv() {
	"$MC" preview --template t.tmpl --token-key token.key --set email=jo@example.org \
	    --set first_name=Zoë --unsubscribe-url "$url" "$@" 2>/dev/null
}
pv --dkim-key rsa1.pem --dkim-selector rsa1 > rsa.eml
pv --dkim-key ed1.pem --dkim-selector ed1 > ed.eml
pv --dkim-key rsa1.pem --dkim-selector rsa1 --dkim-key ed1.pem --dkim-selector ed1 > both.eml
sed 's/Beste/Baste/' rsa.eml > tampered-rsa.eml
sed 's/Beste/Baste/' ed.eml > tampered-ed.eml
grep -q 'a=rsa-sha256' rsa.eml && grep -q 'a=ed25519-sha256' ed.eml

cat > inner.sh <<EOT
set -eu
ip link set lo up
echo 'nameserver 127.0.0.1' > resolv.conf
mount --bind resolv.conf /etc/resolv.conf
rsa=\$(cat rsa1.txt); ed=\$(cat ed1.txt)
# dnsmasq splits nothing itself: give the RSA value as strings of <= 255.
r1=\$(printf %s "\$rsa" | cut -c1-250); r2=\$(printf %s "\$rsa" | cut -c251-)
dnsmasq -k --port=53 --listen-address=127.0.0.1 --bind-interfaces --no-resolv \
    --no-hosts --pid-file=dnsmasq.pid \
    --txt-record="rsa1._domainkey.example.org,\$r1,\$r2" \
    --txt-record="ed1._domainkey.example.org,\$ed" 2>dnsmasq.log &
dpid=\$!
trap 'kill \$dpid 2>/dev/null; wait \$dpid 2>/dev/null || true' EXIT
i=0
until dig +short +time=1 +tries=1 @127.0.0.1 TXT ed1._domainkey.example.org | grep -q DKIM1; do
	i=\$((i + 1)); [ \$i -lt 50 ] || { echo "dnsmasq did not start"; cat dnsmasq.log; exit 1; }
	sleep 0.1
done
fail=0
for m in rsa ed both; do
	if out=\$(opendkim-testmsg < \$m.eml 2>&1) && [ -z "\$out" ]; then
		echo "ok: opendkim-testmsg verifies \$m.eml"
	else
		echo "FAIL: opendkim-testmsg \$m.eml: \$out"; fail=1
	fi
done
for m in tampered-rsa tampered-ed; do
	if opendkim-testmsg < \$m.eml >/dev/null 2>&1; then
		echo "FAIL: \$m.eml verified"; fail=1
	else
		echo "ok: \$m.eml rejected"
	fi
done
exit \$fail
EOT
unshare --mount --net --fork sh inner.sh
