#!/bin/bash
# bench/inet.sh [RCPTS] [DOMAINS] [HOSTS] [MODES] -- the internet-sized
# delivery test (issue 15): the same list delivered by Postfix, mailcast
# (one run, SQLite) and mailcast x3 (three workers, PostgreSQL) through the
# namespace lab of tests/lab/inetlab.sh; one table: the time to the last
# final state of each, the ratios and the recipients in a state their
# domain does not allow.  Defaults: 100000 recipients over 2000 domains,
# 100 receiver addresses per RTT class, MODES "postfix x1 x3".  Each mode
# gets a fresh lab (the greylisting receiver forgets), removed at exit.
# Root only.  MAILCAST=path (default build/release, else build/dev);
# INET_RUN_MAX bounds each mode (seconds, default 1800).  Exit 0 when
# every mode settled with 0 wrong states, 1 otherwise (the targets are
# printed, not enforced).  docs/fleet.md, "The internet-sized test".
set -u -o pipefail
N=${1:-100000}
D=${2:-2000}
H=${3:-100}
MODES=${4:-postfix x1 x3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LAB="$ROOT/tests/lab"
MC=${MAILCAST:-}
if [ -z "$MC" ]; then
	for b in release dev; do
		[ -x "$ROOT/build/$b/src/cli/mailcast" ] &&
		    { MC="$ROOT/build/$b/src/cli/mailcast"; break; }
	done
fi
[ -x "$MC" ] || { echo "inet.sh: no mailcast binary" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "inet.sh: needs root (network namespaces)" >&2; exit 77; }
T=$(mktemp -d /tmp/mcinet.XXXXXX)
TAG=b$$
trap '"$LAB/inetlab.sh" down "$TAG" >/dev/null 2>&1; rm -rf "$T"' EXIT
chmod 755 "$T" # postgres and postfix users reach their folders
mkdir -p "$T/world"
python3 "$LAB/inet_gen.py" "$T/world" "$D" "$N" "$H"
echo "inet.sh: $N recipients, $D domains, $H addresses per RTT class; $MC"
rc=0
declare -A SEC WRONG
for m in $MODES; do
	"$LAB/inetlab.sh" up "$TAG" "$T/world" "$MC" "$H" || { rc=1; break; }
	if line=$("$LAB/inet_run.sh" "$m" "$TAG" "$T/world" "$MC" "$T/$m" | tail -1); then
		echo "# $line"
		read -r _ s _ w _ <<<"$line"
		SEC[$m]=$s
		WRONG[$m]=$w
		[ "$w" = 0 ] || { rc=1; sed -n 2,11p "$T/$m/wrong" >&2; }
	else
		SEC[$m]=-
		WRONG[$m]=-
		rc=1
	fi
	"$LAB/inetlab.sh" down "$TAG"
done
python3 - "$N" "${SEC[postfix]:--}" "${SEC[x1]:--}" "${SEC[x3]:--}" \
    "${WRONG[postfix]:--}" "${WRONG[x1]:--}" "${WRONG[x3]:--}" <<'PY'
import sys
n, s, w = sys.argv[1], sys.argv[2:5], sys.argv[5:8]
names = ("Postfix", "mailcast x1", "mailcast x3")
print("%-12s %12s %8s" % ("sender", "last final", "wrong"))
for a, b, c in zip(names, s, w):
    print("%-12s %11ss %8s" % (a, b, c))
def ratio(x, y, target):
    try:
        r = float(x) / float(y)
        return "%.2f (target >= %.1f: %s)" % (r, target, "met" if r >= target else "NOT met")
    except ValueError:
        return "-"
print("Postfix / x1: " + ratio(s[0], s[1], 2.0))
print("x1 / x3:      " + ratio(s[1], s[2], 2.5))
PY
exit $rc
