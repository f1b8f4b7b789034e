#!/bin/sh
# segment.sh — `--where` on 1,000,000 contacts (issue 12, Must show 3):
# the time of `list count --where` for a few expressions (target: < 1 s
# each) and of `campaign create --where` for a segment of 100,000
# contacts (the ledger rows made in the creating transaction).  Prints
# its figures; never part of the test run.
#
# usage: bench/segment.sh [MAILCAST_BINARY] [ROWS]
# Default binary: build/release/src/cli/mailcast (the release preset:
#   cmake --preset release && cmake --build --preset release).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/build/release/src/cli/mailcast}
rows=${2:-1000000}
work=$(mktemp -d /tmp/mc-segment-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
S="--store sqlite:$work/bench.db"

# Ten cities (one in ten contacts in Zürich: the 100,000 segment), a
# signup date over 2024-2026, a rating 0-9, a name, over 5,000 domains.
awk -v n="$rows" 'BEGIN {
	split("Zürich Paris Bern Lyon Basel Genf Wien Graz Nantes Lille", c, " ");
	print "email,First Name,city,signup_date,rating";
	for (i = 0; i < n; i++)
		printf "user%d@d%d.example,Name%d,%s,%04d-%02d-%02d,%d\n",
		    i, i % 5000, i, c[i % 10 + 1], 2024 + i % 3, 1 + i % 12,
		    1 + i % 28, (i / 10) % 10;
}' >"$work/list.csv"
echo "$rows contacts; load average $(cut -d' ' -f1-3 /proc/loadavg) on" \
    "$(nproc) CPUs; $("$bin" --version 2>/dev/null | head -1)"

# timed CMD...: run it, its stdout to $work/out, "wall W s, cpu C s" (the
# CPU time is what the run itself costs on a busy machine)
timed() {
	/usr/bin/time -f '%e %U %S' -o "$work/time" "$@" >"$work/out"
	awk '{ printf "wall %6.3f s, cpu %6.3f s", $1, $2 + $3 }' "$work/time"
}
echo "import: $(timed "$bin" $S list import "$work/list.csv" --list all)"

count() {
	t=$(timed "$bin" $S list count $1 --where "$2")
	printf '  %s  %8s  %s\n' "$t" "$(cat "$work/out")" "$2"
}
for list in all ""; do
	echo "list count ${list:-(no list: every contact)} --where:"
	count "$list" 'city = "Zürich"'
	count "$list" 'city = "Zürich" and signup_date >= 2026-01-01 and not bounced_within(90d)'
	count "$list" '"First Name" starts with "Name99" or rating >= 9'
	count "$list" 'status = "active" and created >= 2026-01-01'
	count "$list" 'city in ("Bern", "Basel") and not in_list("nope")'
	count "$list" 'city = "Zürich" and signup_date >= 2026-01-01 and rating >= 5'
	count "$list" '(city = "Zürich" or city = "Genf") and (rating >= 5 or "First Name" ends with "7")'
	count "$list" 'in_list("all") and status = "active" and signup_date < 2025-06-01'
	count "$list" 'not (city = "Paris" or rating < 3) and "First Name" contains "99"'
	count "$list" 'city != "Zürich" and rating > 4.5 and rating <= 8'
done

printf 'From: news@news.example\nSubject: Hi {{city}}\n\nHello.\n' >"$work/t.txt"
echo "campaign create --where 'city = \"Zürich\"' (100,000 of the list):"
echo "  $(timed "$bin" $S campaign create --name zh --list all \
    --where 'city = "Zürich"' --template "$work/t.txt" \
    --from news@news.example --relay 127.0.0.1:2 --tls none)"
echo "campaign create of the whole list, for comparison:"
echo "  $(timed "$bin" $S campaign create --name every --list all \
    --template "$work/t.txt" --from news@news.example \
    --relay 127.0.0.1:2 --tls none)"
"$bin" $S campaign status zh | head -3
