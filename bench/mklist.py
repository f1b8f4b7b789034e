#!/usr/bin/python3
"""mklist.py FILE COUNT — the benchmarks' contact list: COUNT rows of
user<i>@d<i%1000>.example with first_name, last_name and city (97 cities),
the attributes bench/letter.tmpl merges.  bench/mkstore.sh makes the same
contacts straight in a store for the big runs."""
import sys

with open(sys.argv[1], "w") as f:
    f.write("email,first_name,last_name,city\n")
    for i in range(int(sys.argv[2])):
        f.write("user%d@d%d.example,First%d,Last%d,City%d\n"
                % (i, i % 1000, i, i, i % 97))
