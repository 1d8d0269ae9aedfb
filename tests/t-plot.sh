#!/bin/sh
# tests/t-plot.sh - sweeps, plots, --shard and merge through the command line
# (issue 5). POSIX sh, TAP output. Run from the repository root with ./powercut
# built:  prove -f --exec '' tests/t-plot.sh
# Every run is tiny (2-5 runs of 1.5-3 simulated seconds): a few seconds in all.
# Images are checked for what they are (PNG magic, "<svg"), never for pixels;
# the number of series is checked in the .dat files gnuplot drew them from.

PC=${POWERCUT:-./powercut}
SW=tests/data/sweep-12.lua
SC=scenarios/barriers.lua

T=$(mktemp -d "${TMPDIR:-/tmp}/t-plot.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM

n=0
nfail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() {
    n=$((n + 1)); nfail=$((nfail + 1)); echo "not ok $n - $1"; shift
    for d in "$@"; do printf '%s\n' "$d" | sed 's/^/#   /'; done
}
check() { d=$1; shift; if "$@"; then ok "$d"; else nok "$d" "failed: $*"; fi; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
run() { "$@" >"$T/out" 2>"$T/err"; rc=$?; }

# expect_err DESC STATUS NEEDLE CMD...: exit STATUS, one stderr line "powercut: ..." containing NEEDLE
expect_err() {
    d=$1 want=$2 needle=$3; shift 3
    run "$@"
    why=""
    [ "$rc" = "$want" ] || why="exit status $rc, want $want"
    [ -z "$why" ] && [ "$(wc -l <"$T/err" | tr -d ' ')" != 1 ] && why="$(wc -l <"$T/err" | tr -d ' ') lines on stderr, want 1"
    [ -z "$why" ] && ! head -n 1 "$T/err" | grep -q '^powercut: ' && why="stderr does not start with 'powercut: '"
    [ -z "$why" ] && ! grep -qF -- "$needle" "$T/err" && why="stderr does not mention '$needle'"
    if [ -z "$why" ]; then ok "$d"; else nok "$d" "$why" "command: $*" "stderr: $(head -c 400 "$T/err")"; fi
}

# blocks FILE: number of data blocks (groups of non-blank, non-comment lines)
blocks() { awk '/^#/ { next } NF == 0 { inb = 0; next } !inb { nb++; inb = 1 } END { print nb + 0 }' "$1"; }
# rows FILE: data lines that are not a block's first (title) line
rows() { awk '/^#/ { next } NF == 0 { inb = 0; next } !inb { inb = 1; next } { r++ } END { print r + 0 }' "$1"; }
# fields FILE: the distinct field counts of the data rows (title lines excluded)
fields() { awk '/^#/ { next } NF == 0 { inb = 0; next } !inb { inb = 1; next } { print NF }' "$1" | sort -u | tr '\n' ' '; }
is_png() { [ -s "$1" ] && [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }
is_svg() { [ -s "$1" ] && grep -q '<svg' "$1"; }

[ -x "$PC" ] || { echo "1..0 # SKIP $PC not built"; exit 0; }
cp "$PC" "$T/powercut" && PC=$T/powercut
HAVE_GP=1
command -v gnuplot >/dev/null 2>&1 || HAVE_GP=0

# ---- sweeps ---------------------------------------------------------------------------

run $PC run $SW -q --json "$T/sw.json" --csv "$T/sw.csv"
check "a 12-point sweep runs (exit 0)" [ "$rc" = 0 ]
check "a 12-point sweep yields 12 cases in the JSON" [ "$(grep -c '"name":' "$T/sw.json")" = 12 ]
check "a 12-point sweep yields 12 CSV rows" [ "$(($(wc -l <"$T/sw.csv") - 1))" = 12 ]
names=$(grep -o '"name": "[^"]*"' "$T/sw.json" | sed 's/"name": //; s/"//g' | tr '\n' ' ')
want="barrier=true,cache_mb=0 barrier=true,cache_mb=8 barrier=true,cache_mb=16 barrier=true,cache_mb=32 barrier=true,cache_mb=48 barrier=true,cache_mb=64 barrier=false,cache_mb=0 barrier=false,cache_mb=8 barrier=false,cache_mb=16 barrier=false,cache_mb=32 barrier=false,cache_mb=48 barrier=false,cache_mb=64 "
if [ "$names" = "$want" ]; then ok "sweep points named NAME=V,... in order (keys sorted, values as given)"
else nok "sweep points named NAME=V,... in order (keys sorted, values as given)" "got: $names"; fi
check "each point echoes its values: sweep object, declared params, device/fs keys" \
    sh -c "grep -q '\"sweep\": {\"barrier\": false, \"cache_mb\": 16}' '$T/sw.json' &&
           grep -q '^        \"cache_mb\": 16\$' '$T/sw.json' && [ \$(grep -c '\"device.cache_mb\": 48,' '$T/sw.json') = 2 ] &&
           [ \$(grep -c '\"fs.barrier\": false,' '$T/sw.json') = 6 ]"
check "the CSV has the swept declared parameters as columns" \
    sh -c "head -n 1 '$T/sw.csv' | grep -q ',barrier,cache_mb$'"

run $PC run $SW -q --sweep cache_mb=0,64 --csv -
check "--sweep replaces a scenario's dimension (2 x 2 = 4 cases)" sh -c "[ $rc = 0 ] && [ \$(wc -l <'$T/out') = 5 ]"
run $PC run $SW -q --sweep barrier=false --sweep fs.commit_s=1,2 --csv -
check "--sweep adds a dimension (1 x 6 x 2 = 12 cases, dotted key)" \
    sh -c "[ $rc = 0 ] && [ \$(wc -l <'$T/out') = 13 ] && grep -q 'barrier=false,cache_mb=8,fs.commit_s=2' '$T/out'"
run $PC run tests/data/sweep-cases.lua -q --csv -
check "named cases x sweep: CASE/NAME=V, case-major" \
    sh -c "[ $rc = 0 ] && [ \"\$(cut -d, -f3 '$T/out' | tr '\n' ' ')\" = 'case on/device.policy=fifo on/device.policy=satf off/device.policy=fifo off/device.policy=satf ' ]"
run $PC run tests/data/sweep-cases.lua -q --case off --csv -
check "--case NAME selects every point of that case" \
    sh -c "[ $rc = 0 ] && [ \"\$(cut -d, -f3 '$T/out' | tr '\n' ' ')\" = 'case off/device.policy=fifo off/device.policy=satf ' ]"
expect_err "--sweep of an unknown name: exit 2 with a hint" 2 "did you mean cache_mb" $PC run $SW -q --sweep cache_mbb=1,2
expect_err "--sweep without values: exit 2" 2 "NAME=V1,V2" $PC run $SW -q --sweep cache_mb
expect_err "--sweep with a bad value: exit 2 naming it" 2 "cache_mb=abc" $PC run $SW -q --sweep cache_mb=abc
expect_err "--set of a swept name: exit 2" 2 "swept" $PC run $SW -q --set cache_mb=8
printf 'return { trials = 10, runs = 2, duration_s = 2, sweep = { ["fs.barrier"] = {} } }\n' >"$T/empty.lua"
expect_err "an empty sweep dimension in a scenario: exit 2" 2 "fs.barrier" $PC run "$T/empty.lua" -q

$PC run $SW -q -j 1 --json "$T/j1.json" 2>/dev/null
$PC run $SW -q -j 2 --json "$T/j2.json" 2>/dev/null
check "sweep results identical for -j 1 and -j 2" cmp -s "$T/j1.json" "$T/j2.json"
check "sweep results identical run to run" cmp -s "$T/sw.json" "$T/j1.json"

# ---- plots --------------------------------------------------------------------------------

if [ "$HAVE_GP" = 1 ]; then
    run $PC run $SW -q --out "$T/o"
    check "run --out on a sweep: exit 0" [ "$rc" = 0 ]
    for k in rates throughput tradeoff sweep latency; do
        check "run --out wrote $k.png, a valid PNG" is_png "$T/o/$k.png"
    done
    check "rates.dat: one row per case (12), 8 columns" \
        sh -c "[ \$(grep -vc '^#' '$T/o/rates.dat') = 12 ] && [ \"\$(awk '!/^#/ { print NF }' '$T/o/rates.dat' | sort -u)\" = 8 ]"
    check "rates.dat and the others start with a '# col names' header" \
        sh -c "for f in '$T'/o/*.dat; do head -n 1 \"\$f\" | grep -q '^# [a-z]' || exit 1; done"
    check "throughput.dat: 12 rows, 4 columns" \
        sh -c "[ \$(grep -vc '^#' '$T/o/throughput.dat') = 12 ] && [ \"\$(awk '!/^#/ { print NF }' '$T/o/throughput.dat' | sort -u)\" = 4 ]"
    shape="$(blocks "$T/o/tradeoff.dat")/$(rows "$T/o/tradeoff.dat")/$(fields "$T/o/tradeoff.dat")"
    check "tradeoff.dat: 12 series (one per case) of one point, 5 columns ($shape)" [ "$shape" = "12/12/5 " ]
    shape="$(blocks "$T/o/sweep.dat")/$(rows "$T/o/sweep.dat")/$(fields "$T/o/sweep.dat")"
    check "sweep.dat: 2 series (barrier true/false) of 6 points against cache_mb, 11 columns ($shape)" \
        sh -c "[ '$shape' = '2/12/11 ' ] && grep -q '^\"barrier=true\"' '$T/o/sweep.dat' && grep -q '^\"barrier=false\"' '$T/o/sweep.dat'"
    check "sweep.dat: x values sorted within each series" \
        sh -c "[ \"\$(awk '!/^#/ && !/^\"/ && NF == 11 { printf \"%s \", \$1 }' '$T/o/sweep.dat')\" = '0 8 16 32 48 64 0 8 16 32 48 64 ' ]"
    shape="$(blocks "$T/o/latency.dat")/$(rows "$T/o/latency.dat")/$(fields "$T/o/latency.dat")"
    check "latency.dat: 12 CDFs of 23 quantiles, 2 columns ($shape)" [ "$shape" = "12/276/2 " ]
    check "the JSON carries fsync_cdf_ms pairs" grep -q '^        \[0.5, [0-9.e-]*\],$' "$T/o/results.json"

    run $PC plot "$T/o/results.json" -o "$T/svg" --format svg
    ok_svg=1
    for k in rates throughput tradeoff sweep latency; do is_svg "$T/svg/$k.svg" || ok_svg=0; done
    check "plot --format svg draws the 5 kinds as SVG" sh -c "[ $rc = 0 ] && [ $ok_svg = 1 ]"
    check "plot lists what it wrote" sh -c "[ \$(grep -c '^wrote ' '$T/out') = 5 ]"
    check "plot's .dat files equal run --out's" sh -c "cmp -s '$T/o/sweep.dat' '$T/svg/sweep.dat' && cmp -s '$T/o/rates.dat' '$T/svg/rates.dat'"

    run $PC run $SC --set run.runs=2 --set run.duration_s=3 -n 100 -q --out "$T/b"
    check "no sweep: run --out draws rates, throughput, tradeoff, latency and no sweep" \
        sh -c "[ $rc = 0 ] && [ -s '$T/b/rates.png' ] && [ -s '$T/b/throughput.png' ] &&
               [ -s '$T/b/tradeoff.png' ] && [ -s '$T/b/latency.png' ] && [ ! -e '$T/b/sweep.png' ]"
    run $PC plot "$T/b/results.json" --kind throughput -o "$T/k"
    check "plot --kind K draws only K" sh -c "[ $rc = 0 ] && [ \"\$(ls '$T/k' | tr '\n' ' ')\" = 'throughput.dat throughput.png ' ]"
    run $PC plot "$T/b/results.json" -o "$T/k2" -q
    check "plot -q prints nothing" sh -c "[ $rc = 0 ] && [ ! -s '$T/out' ] && [ -s '$T/k2/rates.png' ]"
    mkdir -p "$T/pl" && cp plots/*.gp "$T/pl/"
    (cd "$T" && POWERCUT_PLOTS_DIR="$T/pl" "$PC" plot "$T/b/results.json" --kind rates -o "$T/env" >/dev/null 2>&1)
    check "POWERCUT_PLOTS_DIR locates the scripts from another directory" is_png "$T/env/rates.png"
else
    skip "gnuplot not installed: image tests skipped"
fi

$PC run $SC --set run.runs=2 --set run.duration_s=3 -n 100 -q --json "$T/b.json"
expect_err "plot --kind sweep of results without a sweep: exit 2" 2 "did not sweep" $PC plot "$T/b.json" --kind sweep -o "$T/x"
expect_err "plot --kind timeline: exit 2, says it is not available" 2 "timeline" $PC plot "$T/b.json" --kind timeline
expect_err "plot --kind bogus: exit 2, lists the kinds" 2 "rates, throughput" $PC plot "$T/b.json" --kind bogus
expect_err "plot --format bmp: exit 2" 2 "png or svg" $PC plot "$T/b.json" --format bmp
head -c 600 "$T/b.json" >"$T/trunc.json"
expect_err "plot of a truncated JSON: exit 2, names the file and says so" 2 "$T/trunc.json:" $PC plot "$T/trunc.json"
check "the truncated-JSON message says invalid JSON" grep -q 'invalid JSON' "$T/err"
printf '{"powercut": "0.1.0", "cases": [ {"name": } ] }\n' >"$T/bad.json"
expect_err "plot of invalid JSON: exit 2 with FILE:LINE:COL" 2 "$T/bad.json:1:" $PC plot "$T/bad.json"
printf '{"results": []}\n' >"$T/other.json"
expect_err "plot of a JSON that is not a results document: exit 2" 2 "not a powercut results document" $PC plot "$T/other.json"
: >"$T/empty.json"
expect_err "plot of an empty file: exit 2" 2 "empty" $PC plot "$T/empty.json"
expect_err "plot of a missing file: exit 2" 2 "$T/missing.json" $PC plot "$T/missing.json"
expect_err "plot without a file: exit 2" 2 "RESULTS.json" $PC plot

mkdir -p "$T/nogp"
expect_err "plot without gnuplot on PATH: exit 1 naming gnuplot-nox" 1 "gnuplot-nox" env PATH="$T/nogp" $PC plot "$T/b.json" -o "$T/ng"
run env PATH="$T/nogp" $PC run $SC --set run.runs=2 --set run.duration_s=3 -n 100 -q --out "$T/ngrun"
check "run --out without gnuplot: exit 0, results written, a one-line note naming gnuplot-nox" \
    sh -c "[ $rc = 0 ] && [ -s '$T/ngrun/results.json' ] && [ \$(wc -l <'$T/err') = 1 ] && grep -q gnuplot-nox '$T/err'"

# ---- shards and merge ------------------------------------------------------------------------

S="$PC run $SC --set run.runs=5 --set run.duration_s=3 -n 300 -q"
$S -j 2 --json "$T/full.json" --csv "$T/full.csv"
for k in 1 2 3 4; do $S -j 1 --shard $k/4 --json "$T/s$k.json"; done
check "a shard's JSON says \"shard\": \"2/4\" and carries shard_data" \
    sh -c "grep -q '^  \"shard\": \"2/4\",' '$T/s2.json' && grep -q '\"shard_data\"' '$T/s2.json'"
check "unsharded JSON has no shard_data" sh -c "! grep -q shard_data '$T/full.json'"
check "shard 1/4 ran runs 0 and 4 of each case" \
    sh -c "[ \$(grep -c '\"runs\": 2,' '$T/s1.json') = 2 ] && [ \$(grep -c '\"runs\": 1,' '$T/s3.json') = 2 ]"
run $PC merge "$T/s1.json" "$T/s2.json" "$T/s3.json" "$T/s4.json" -o "$T/merged.json" --csv "$T/merged.csv"
check "merge of 4 shards: exit 0" [ "$rc" = 0 ]
check "merge of 4 shards equals the unsharded JSON byte for byte" cmp -s "$T/full.json" "$T/merged.json"
check "merge of 4 shards equals the unsharded CSV byte for byte" cmp -s "$T/full.csv" "$T/merged.csv"
run $PC merge "$T/s3.json" "$T/s1.json" "$T/s4.json" "$T/s2.json"
check "merge in any order, to stdout by default" sh -c "[ $rc = 0 ] && cmp -s '$T/full.json' '$T/out'"
$S -j 2 --shard 2/4 --json "$T/s2j2.json"
check "a shard is identical for -j 1 and -j 2" cmp -s "$T/s2.json" "$T/s2j2.json"

# the sweep, sharded in 3 (runs = 2: shard 3/3 holds no run of any case)
for k in 1 2 3; do $PC run $SW -q --shard $k/3 --json "$T/w$k.json"; done
run $PC merge "$T/w1.json" "$T/w2.json" "$T/w3.json" --json "$T/wm.json"
check "merge of a sharded 12-point sweep equals the unsharded sweep" sh -c "[ $rc = 0 ] && cmp -s '$T/sw.json' '$T/wm.json'"

expect_err "merge with a shard missing: exit 2, names it" 2 "3/4 is missing" \
    $PC merge "$T/s1.json" "$T/s2.json" "$T/s4.json"
expect_err "merge with a shard twice: exit 2" 2 "given twice" \
    $PC merge "$T/s1.json" "$T/s2.json" "$T/s2.json" "$T/s3.json" "$T/s4.json"
$S --seed 2 --shard 3/4 --json "$T/seed2.json"
expect_err "merge of shards of different seeds: exit 2" 2 "seed" \
    $PC merge "$T/s1.json" "$T/s2.json" "$T/seed2.json" "$T/s4.json"
$S --set device.cache_mb=32 --shard 3/4 --json "$T/p32.json"
expect_err "merge of shards with different parameters: exit 2" 2 "parameters differ" \
    $PC merge "$T/s1.json" "$T/s2.json" "$T/p32.json" "$T/s4.json"
expect_err "merge of an unsharded result: exit 2" 2 "not a shard" $PC merge "$T/full.json"
expect_err "merge of a truncated shard: exit 2" 2 "invalid JSON" $PC merge "$T/trunc.json"
expect_err "merge without files: exit 2" 2 "SHARD.json" $PC merge
expect_err "--shard 5/4: exit 2" 2 "--shard" $S --shard 5/4
expect_err "--shard 0/4: exit 2" 2 "--shard" $S --shard 0/4
expect_err "--shard 1: exit 2" 2 "K/N" $S --shard 1

# ---- GNU parallel: the documented multi-host recipe, on this host -----------------------------

if command -v parallel >/dev/null 2>&1; then
    parallel --will-cite -j 2 "$PC" run $SC --set run.runs=5 --set run.duration_s=3 -n 300 -q \
        --shard {}/4 --json "$T/p{}.json" ::: 1 2 3 4 >"$T/par.out" 2>&1
    prc=$?
    run $PC merge "$T/p1.json" "$T/p2.json" "$T/p3.json" "$T/p4.json" -o "$T/pm.json"
    check "GNU parallel: 4 shards, merged, equal the unsharded run" \
        sh -c "[ $prc = 0 ] && [ $rc = 0 ] && cmp -s '$T/full.json' '$T/pm.json'"
else
    skip "GNU parallel not installed (Debian package: parallel)"
fi

# ---- help ---------------------------------------------------------------------------------------

run $PC help run
check "help run mentions --sweep, --shard and the plots of --out" \
    sh -c "grep -q -- '--sweep' '$T/out' && grep -q -- '--shard' '$T/out' && grep -q 'plot' '$T/out'"
run $PC --help
check "--help lists plot and merge" sh -c "grep -Eq '^ +plot ' '$T/out' && grep -Eq '^ +merge ' '$T/out'"
run $PC help plot
check "help plot lists --kind, --format and every kind" \
    sh -c "[ $rc = 0 ] && grep -q -- '--kind' '$T/out' && grep -q -- '--format' '$T/out' &&
           grep -q tradeoff '$T/out' && grep -q latency '$T/out' && grep -q sweep '$T/out'"
run $PC help merge
check "help merge exits 0 and mentions --csv" sh -c "[ $rc = 0 ] && grep -q -- '--csv' '$T/out'"

echo "1..$n"
[ "$nfail" = 0 ]
