#!/bin/sh
# import_bench.sh — import a generated 1,000,000-row CSV and print the
# figures (rows/s, peak RSS from /usr/bin/time -v), then import it again and
# show that nothing changed.  Targets (issue 4): >= 200,000 rows/s, peak RSS
# < 50 MB, re-import: 0 added, 0 updated, identical export.
#
# usage: bench/import_bench.sh [MAILCAST_BINARY] [ROWS]
# Default binary: build/store-release/src/cli/mailcast (release preset):
#   cmake --preset release -B build/store-release &&
#   cmake --build build/store-release -j2 --target mailcast
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/build/store-release/src/cli/mailcast}
rows=${2:-1000000}
work=$(mktemp -d /tmp/mc-import-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

# Addresses over 5,000 domains, three attribute columns, a quoted field.
awk -v n="$rows" 'BEGIN {
	print "email,first_name,last_name,city";
	for (i = 1; i <= n; i++)
		printf "user%d@d%d.example,First%d,Last%d,\"City %d, Land\"\n",
		    i, i % 5000, i, i % 977, i % 313;
}' > "$work/list.csv"
echo "generated $rows rows, $(du -m "$work/list.csv" | cut -f1) MB;" \
    "load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"

run() {
	/usr/bin/time -v "$bin" --store "sqlite:$work/bench.db" list import \
	    "$work/list.csv" --list bench 2> "$work/time.txt" > "$work/out.txt"
	cat "$work/out.txt"
	secs=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":");
		s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' \
	    "$work/time.txt")
	cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' \
	    "$work/time.txt")
	rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' \
	    "$work/time.txt")
	awk -v r="$rows" -v s="$secs" -v c="$cpu" -v k="$rss" -v what="$1" '
	    BEGIN { printf "%s: %.2f s wall (%d rows/s), %.2f s CPU " \
		"(%d rows/s), peak RSS %.1f MB\n", what, s, (s > 0 ? r / s : 0),
		c, (c > 0 ? r / c : 0), k / 1024 }'
}

run "first import"
"$bin" --store "sqlite:$work/bench.db" list export --list bench \
    | sha256sum > "$work/export1"
run "re-import"
"$bin" --store "sqlite:$work/bench.db" list export --list bench \
    | sha256sum > "$work/export2"
if cmp -s "$work/export1" "$work/export2"; then
	echo "re-import: export identical ($(cut -c1-16 "$work/export1"))"
else
	echo "re-import: EXPORT CHANGED" >&2
	exit 1
fi
echo "database: $(du -m "$work/bench.db" | cut -f1) MB"
