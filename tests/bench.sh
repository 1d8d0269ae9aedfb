#!/bin/sh
# tests/bench.sh - wall time of the shipped scenario through the command line,
# one worker vs two (make bench runs it after build/tests/bench).
# Run from the repository root with ./powercut built. Besides wall seconds it
# prints the CPU seconds (user+sys) the run used: on a busy machine the wall
# figures mean little, the CPU figures show whether threads add overhead.
PC=${POWERCUT:-./powercut}
SC=${1:-scenarios/barriers.lua}
[ -x "$PC" ] || { echo "bench.sh: $PC not built" >&2; exit 1; }

now() { date +%s.%N 2>/dev/null | sed 's/\.N$/.0/'; }
# CPU seconds (user + sys) used so far by finished children: POSIX `times`,
# run in this shell (a command substitution would be a subshell without them)
TMPF=$(mktemp) || exit 1
trap 'rm -f "$TMPF"' EXIT
cpu() {
    times >"$TMPF"
    awk 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); sub(/s$/, "", p[2]); s += p[1] * 60 + p[2] }
                   printf "%.3f", s }' "$TMPF"
}

# bench J: "WALL CPU" seconds of `powercut run SC -q -j J`
bench() {
    t0=$(now); cpu >"$TMPF.0"
    "$PC" run "$SC" -q -j "$1" || { echo "bench.sh: powercut run $SC -q -j $1 failed (status $?)" >&2; exit 1; }
    t1=$(now); cpu >"$TMPF.1"
    awk -v a="$t0" -v b="$t1" -v c="$(cat "$TMPF.0")" -v d="$(cat "$TMPF.1")" 'BEGIN { printf "%.2f %.2f", b - a, d - c }'
    rm -f "$TMPF.0" "$TMPF.1"
}

cores=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')
r1=$(bench 1) || exit 1
r2=$(bench 2) || exit 1
set -- $r1 $r2
echo "cli:      $SC -q -j 1: $1 s wall, $2 s CPU"
echo "cli:      $SC -q -j 2: $3 s wall, $4 s CPU" \
     "($(awk -v a="$1" -v b="$3" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')x wall speed-up; $cores cores)"
