#!/bin/bash
# bench/fleet.sh [MAILCAST] — issue 15's Must show 2 at full size: the
# fleet_chaos test (tests/integration/fleet_chaos.py, in the namespace lab)
# with 200,000 recipients (FLEET_N) at FLEET_RATE messages/s per
# destination (default 1000; two destinations) with receivers that
# answer at once (FLEET_DOT_MS=0: the test's 20 ms would cap them at 50/s
# a connection).  Root only.  Prints the test's lines (kills, cut,
# duplicates, receivers' peak connections and messages/s) and the wall
# time.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
mc=${1:-$here/build/dev/src/cli/mailcast}
export FLEET_N=${FLEET_N:-200000} FLEET_RATE=${FLEET_RATE:-1000}
export FLEET_DOT_MS=${FLEET_DOT_MS:-0}
start=$(date +%s)
rc=0
/usr/bin/python3 "$here/tests/integration/fleet_chaos.py" "$mc" || rc=$?
echo "# N=$FLEET_N rate=$FLEET_RATE/s per destination: $(($(date +%s) - start)) s, exit $rc"
exit $rc
