#!/bin/sh
# bounce_parse_cli.sh MAILCAST — `mailcast bounces parse` as a user runs it:
# the JSON lines a script would read (checked with Python's json module),
# and the exit codes and words of the errors.
set -eu
MC=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cat > "$T/dsn.eml" <<'MSG'
From: MAILER-DAEMON@mx.sender.example
To: bounces+c7.k42@sender.example
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

<ann@dest.example>: host mx.dest.example[192.0.2.7] said: 550 5.1.1 User unknown
--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.sender.example

Final-Recipient: rfc822; ann@dest.example
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.dest.example
Diagnostic-Code: smtp; 550 5.1.1 <ann@dest.example>: User unknown
--B--
MSG
printf 'From: Gus <gus@dest.example>\nSubject: Automatic reply: news\nAuto-Submitted: auto-replied\n\nAway.\n' > "$T/vacation.eml"
printf 'From: hal@dest.example\nSubject: hello\n\nJust mail.\n' > "$T/plain.eml"

"$MC" bounces parse --json "$T/dsn.eml" "$T/vacation.eml" "$T/plain.eml" > "$T/out.json" ||
	fail "parse exited $?"
/usr/bin/python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
rows = [json.loads(l) for l in open(t + "/out.json")]
assert len(rows) == 3, rows
d, v, p = rows
assert d["file"] == t + "/dsn.eml" and d["kind"] == "bounce", d
r = d["recipients"][0]
assert (r["address"], r["action"], r["status"], r["reply_code"], r["remote_mta"],
        r["class"]) == ("ann@dest.example", "failed", "5.1.1", 550,
                        "mx.dest.example", "hard"), r
assert "User unknown" in r["diagnostic"], r
assert d["token"] == "c7.k42", d
assert v["kind"] == "auto-reply" and v["recipients"][0]["address"] == "gus@dest.example", v
assert p["kind"] == "not-bounce" and p["recipients"] == [], p
PY

# A file that is not there: EX_NOINPUT, named on stderr.
set +e
"$MC" bounces parse "$T/nope.eml" 2> "$T/err"; rc=$?
set -e
[ $rc -eq 66 ] || fail "missing file exit $rc, want 66"
grep -q "nope.eml" "$T/err" || fail "missing file not named: $(cat "$T/err")"

# A 50 MB message: skipped with the limit named, EX_DATAERR.
truncate -s 50M "$T/big.eml"
set +e
"$MC" bounces parse --json "$T/big.eml" > "$T/big.json" 2> "$T/err"; rc=$?
set -e
[ $rc -eq 65 ] || fail "50 MB message exit $rc, want 65"
grep -q "over the .*limit" "$T/err" || fail "no limit named: $(cat "$T/err")"
grep -q '"skipped"' "$T/big.json" || fail "no skipped row: $(cat "$T/big.json")"

# Usage errors.
set +e
"$MC" bounces parse > /dev/null 2>&1; rc=$?
[ $rc -eq 64 ] || fail "no FILE exit $rc, want 64"
"$MC" bounces fetch > /dev/null 2>&1; rc=$?
[ $rc -eq 64 ] || fail "fetch without --mailbox exit $rc, want 64"
set -e
"$MC" bounces --help | grep -q "bounces parse" || fail "--help"
echo "bounce_parse_cli: ok"
