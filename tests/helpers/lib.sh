# lib.sh — shared by the integration test scripts (sourced, not run).
#
#   run NAME EXPECTED_EXIT CMD...   run CMD, keep its stdout+stderr in $OUT,
#                                   check the exit code
#   has NAME TEXT                   $OUT contains TEXT
#   lacks NAME TEXT                 $OUT does not contain TEXT
#   ok NAME CMD...                  CMD succeeds
#   finish                          prints "N passed, N failed", sets the exit
#
# Each script makes its own temporary directory ($T) and registers cleanup
# with `on_exit CMD`; everything registered runs when the script ends,
# whatever happened.
PASS=0
FAIL=0
OUT=""
CLEANUP=""
T=$(mktemp -d /tmp/mailcast-test.XXXXXX)
# what mailcast makes in a temp folder (a run's thawed campaign files) goes
# in here too: a run that is killed cannot remove its own
export TMPDIR="$T"
chmod 755 "$T"

on_exit() { CLEANUP="$*; $CLEANUP"; }
_cleanup() { eval "$CLEANUP" >/dev/null 2>&1; rm -rf "$T"; }
trap _cleanup EXIT
trap 'exit 130' INT TERM

pass() { PASS=$((PASS + 1)); echo "ok - $1"; }
fail() { FAIL=$((FAIL + 1)); echo "FAIL - $1"; shift; [ $# -gt 0 ] && printf '  %s\n' "$@"; }

run() {
	name=$1 want=$2
	shift 2
	OUT=$("$@" 2>&1)
	got=$?
	if [ "$got" -eq "$want" ]; then
		pass "$name (exit $got)"
	else
		fail "$name: exit $got, expected $want" "command: $*" "output:" "$OUT"
	fi
}

has() {
	case $OUT in
	*"$2"*) pass "$1" ;;
	*) fail "$1: output lacks '$2'" "output:" "$OUT" ;;
	esac
}

lacks() {
	case $OUT in
	*"$2"*) fail "$1: output has '$2'" "output:" "$OUT" ;;
	*) pass "$1" ;;
	esac
}

ok() {
	name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name" "command: $*"; fi
}

# wait_port PORT [SECONDS]: until something listens on 127.0.0.1:PORT.
wait_port() {
	i=0
	while [ $i -lt $((${2:-10} * 10)) ]; do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "nothing listens on 127.0.0.1:$1" >&2
	return 1
}

# wait_file PATTERN [SECONDS]: until a file matches the glob.
wait_file() {
	i=0
	while [ $i -lt $((${2:-20} * 10)) ]; do
		# shellcheck disable=SC2086
		for f in $1; do [ -e "$f" ] && return 0; done
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
	exit $?
}

# Debian's python3 (aiosmtpd and python3-gi live there), never a pyenv one.
PY=/usr/bin/python3
