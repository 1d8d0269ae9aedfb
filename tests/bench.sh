#!/bin/sh
# tests/bench.sh - wall time of the shipped scenario through the command line,
# one worker vs two (make bench runs it after build/tests/bench).
# Run from the repository root with ./powercut built.
PC=${POWERCUT:-./powercut}
SC=${1:-scenarios/barriers.lua}
[ -x "$PC" ] || { echo "bench.sh: $PC not built" >&2; exit 1; }

# wall J: seconds of `powercut run SC -q -j J` (nanosecond clock when date has one)
now() { date +%s.%N 2>/dev/null | sed 's/\.N$/.0/'; }
wall() {
    t0=$(now)
    "$PC" run "$SC" -q -j "$1" || { echo "bench.sh: powercut run failed (status $?)" >&2; exit 1; }
    t1=$(now)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}

w1=$(wall 1) || exit 1
w2=$(wall 2) || exit 1
echo "cli:      $SC -q -j 1: $w1 s wall"
echo "cli:      $SC -q -j 2: $w2 s wall ($(awk -v a="$w1" -v b="$w2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')x speed-up; $(nproc 2>/dev/null || echo '?') cores)"
