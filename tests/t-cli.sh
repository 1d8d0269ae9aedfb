#!/bin/sh
# tests/t-cli.sh - the powercut command line against its contract (DESIGN §2, §3).
# POSIX sh, TAP output. Run from the repository root with ./powercut built:
#   prove -f --exec '' tests/t-cli.sh
# Every run is small (2-4 runs of 3 simulated seconds, 200 trials): the whole
# file takes a few seconds.

PC=${POWERCUT:-./powercut}
SC=scenarios/barriers.lua
SMALL=tests/data/cli-small.lua

T=$(mktemp -d "${TMPDIR:-/tmp}/t-cli.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM

n=0
nfail=0
ok() {   # ok DESC: pass
    n=$((n + 1)); echo "ok $n - $1"
}
nok() {  # nok DESC [DIAG...]: fail, each DIAG printed as a "# " line
    n=$((n + 1)); nfail=$((nfail + 1)); echo "not ok $n - $1"; shift
    for d in "$@"; do printf '%s\n' "$d" | sed 's/^/#   /'; done
}
check() { # check DESC CMD...: pass when CMD succeeds
    d=$1; shift
    if "$@"; then ok "$d"; else nok "$d" "failed: $*"; fi
}

# run CMD...: run it, stdout in $T/out, stderr in $T/err, status in $rc
run() {
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
}

# small run of the shipped scenario
R="$PC run $SC --set run.runs=2 --set run.duration_s=3 -n 200"

# expect_err DESC STATUS NEEDLE CMD...: CMD exits STATUS, prints nothing on
# stdout, exactly one line on stderr that starts "powercut: " and contains
# NEEDLE (fixed string).
expect_err() {
    d=$1 want=$2 needle=$3; shift 3
    run "$@"
    lines=$(wc -l <"$T/err" | tr -d ' ')
    first=$(head -n 1 "$T/err")
    why=""
    [ "$rc" = "$want" ] || why="exit status $rc, want $want"
    [ -z "$why" ] && [ "$lines" != 1 ] && why="$lines lines on stderr, want 1"
    [ -z "$why" ] && case $first in "powercut: "*) ;; *) why="stderr does not start with 'powercut: '";; esac
    [ -z "$why" ] && ! grep -qF -- "$needle" "$T/err" && why="stderr does not mention '$needle'"
    [ -z "$why" ] && [ -s "$T/out" ] && why="unexpected output on stdout"
    if [ -z "$why" ]; then ok "$d"; else nok "$d" "$why" "command: $*" "stderr: $(head -c 400 "$T/err")"; fi
}

# outcome_sums JSON: prints "bad" for each case whose outcome counts do not add
# up to its trials, "good" for each case that does (the JSON is the pretty
# form of DESIGN §3: "trials": N, then an "outcomes" object).
outcome_sums() {
    awk '
        /"trials":/ && !/"run\.trials"/ { v = $0; sub(/.*"trials":[ ]*/, "", v); sub(/[^0-9].*/, "", v); trials = v + 0 }
        /"outcomes":/ { inside = 1; sum = 0; buf = "" }
        inside { buf = buf $0; if ($0 ~ /}/) {
                    inside = 0
                    s = buf; sub(/.*"outcomes":[ ]*\{/, "", s); sub(/}.*/, "", s)
                    k = split(s, parts, ",")
                    for (i = 1; i <= k; i++) { p = parts[i]; sub(/.*:[ ]*/, "", p); sum += p + 0 }
                    print (sum == trials && trials > 0) ? "good" : "bad " sum " != " trials
                 } }
    ' "$1"
}

[ -x "$PC" ] || { echo "1..0 # SKIP $PC not built"; exit 0; }
# a private copy, so a concurrent rebuild cannot change the binary mid-test
cp "$PC" "$T/powercut" && PC=$T/powercut
R="$PC run $SC --set run.runs=2 --set run.duration_s=3 -n 200"

# ---- version, help, usage ----------------------------------------------------------

run $PC --version
if [ "$rc" = 0 ] && grep -Eq '^powercut [0-9]+\.[0-9]+\.[0-9]+$' "$T/out" && [ "$(wc -l <"$T/out" | tr -d ' ')" = 1 ]; then
    ok "--version prints 'powercut X.Y.Z'"
else nok "--version prints 'powercut X.Y.Z'" "rc=$rc" "$(cat "$T/out")"; fi

run $PC --help
if [ "$rc" = 0 ] && grep -Eq '^ +run ' "$T/out" && grep -Eq '^ +list ' "$T/out"; then
    ok "--help exits 0 and lists run and list"
else nok "--help exits 0 and lists run and list" "rc=$rc"; fi

run $PC help run
miss=""
for f in --trials --seed --jobs --set --case --json --csv --out --quiet; do
    grep -qe "$f" "$T/out" || miss="$miss $f"
done
if [ "$rc" = 0 ] && [ -z "$miss" ]; then ok "help run exits 0 and lists every run flag"
else nok "help run exits 0 and lists every run flag" "rc=$rc missing:$miss"; fi

run $PC
check "no arguments exits 2" [ "$rc" = 2 ]

# ---- outputs ---------------------------------------------------------------------

run $R -q --json "$T/a.json" --csv "$T/a.csv"
check "run --json FILE --csv FILE -q exits 0" [ "$rc" = 0 ]
check "-q prints nothing on stdout" [ ! -s "$T/out" ]
check "-q prints nothing on stderr (not a terminal: no progress bar)" [ ! -s "$T/err" ]
check "--json FILE written" [ -s "$T/a.json" ]

miss=""
for k in powercut scenario seed cases name params runs trials outcomes consistent lost_fsync stale_data \
         corrupt unmountable corruption_rate corruption_ci95 lost_fsync_rate lost_fsync_ci95 p_inc \
         throughput ops_per_s mb_per_s fsyncs_per_s latency_ms op_p50 op_p99 fsync_p50 fsync_p99 \
         device flushes fua_writes media_writes sim_seconds; do
    grep -q "\"$k\":" "$T/a.json" || miss="$miss $k"
done
check "JSON has every DESIGN §3 key${miss:+ (missing:$miss)}" [ -z "$miss" ]
check "JSON header: version, scenario path as given, seed 1" \
    sh -c "grep -q '\"powercut\": \"[0-9]*\.[0-9]*\.[0-9]*\"' '$T/a.json' &&
           grep -q '\"scenario\": \"$SC\"' '$T/a.json' && grep -q '\"seed\": 1,' '$T/a.json'"
check "JSON has no shard key when not sharded" sh -c "! grep -q '\"shard\"' '$T/a.json'"
check "JSON ci95 values are [lo, hi] pairs" \
    sh -c "[ \$(grep -Ec '\"(corruption|lost_fsync)_ci95\": \[[-0-9.e]+, [-0-9.e]+\]' '$T/a.json') = 4 ]"
check "JSON names both cases in scenario order" \
    sh -c "[ \"\$(grep -o '\"name\": \"[^\"]*\"' '$T/a.json' | tr '\n' ' ')\" = '\"name\": \"barrier-on\" \"name\": \"barrier-off\" ' ]"
check "JSON echoes --set and -n in params" \
    sh -c "grep -q '\"run.runs\": 2,' '$T/a.json' && grep -q '\"run.duration_s\": 3,' '$T/a.json' &&
           [ \$(grep -c '\"run.trials\": 200,' '$T/a.json') = 2 ] && [ \$(grep -c '\"trials\": 200,' '$T/a.json') = 2 ]"
sums=$(outcome_sums "$T/a.json")
if [ "$(echo $sums)" = "good good" ]; then ok "outcome counts add up to trials in every case"
else nok "outcome counts add up to trials in every case" "$sums"; fi
check "JSON contains no absolute path of the working directory" sh -c "! grep -qF '$(pwd)' '$T/a.json'"

# CSV: header + one row per case, same column count, counts add up
if head -n 1 "$T/a.csv" | grep -q '^scenario,seed,case,' && [ "$(wc -l <"$T/a.csv" | tr -d ' ')" = 3 ]; then
    ok "--csv FILE: header line and one row per case"
else nok "--csv FILE: header line and one row per case" "$(cut -c1-80 "$T/a.csv")"; fi
check "CSV rows have as many fields as the header" \
    sh -c "[ \$(awk -F, '{print NF}' '$T/a.csv' | sort -u | wc -l) = 1 ]"
csvsum=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    { s = $c["consistent"] + $c["lost_fsync"] + $c["stale_data"] + $c["corrupt"] + $c["unmountable"]
      print $c["case"] ":" (s == $c["trials"] && s > 0 ? "good" : "bad") }' "$T/a.csv" | tr '\n' ' ')
check "CSV outcome counts add up to trials (${csvsum% })" [ "$csvsum" = "barrier-on:good barrier-off:good " ]

run $R --json - --quiet
cp "$T/out" "$T/stdout.json"
check "--json - writes the same JSON to stdout" sh -c "[ $rc = 0 ] && cmp -s '$T/stdout.json' '$T/a.json'"
run $R --csv - -q
check "--csv - writes the same CSV to stdout" sh -c "[ $rc = 0 ] && cmp -s '$T/out' '$T/a.csv'"
run $R --json -
check "--json - without -q: stdout is only the JSON (no table)" sh -c "[ $rc = 0 ] && cmp -s '$T/out' '$T/a.json'"

run $R -q --out "$T/outdir/sub"
if [ "$rc" = 0 ] && cmp -s "$T/outdir/sub/results.json" "$T/a.json" && cmp -s "$T/outdir/sub/results.csv" "$T/a.csv"; then
    ok "--out DIR creates DIR and writes results.json and results.csv"
else nok "--out DIR creates DIR and writes results.json and results.csv" "rc=$rc" "$(ls -a "$T/outdir/sub" 2>&1)"; fi
check "--out DIR leaves no temporary files" \
    sh -c "! ls -A '$T/outdir/sub' | grep -q '^\\.'"
check "--out DIR writes the plots of the results (or says gnuplot is missing)" \
    sh -c "[ -s '$T/outdir/sub/rates.png' ] || ! command -v gnuplot >/dev/null"

# ---- the table -----------------------------------------------------------------------

run $R
hdr=$(head -n 1 "$T/out")
rows_on=$(grep -c '^barrier-on ' "$T/out")
rows_off=$(grep -c '^barrier-off ' "$T/out")
if [ "$rc" = 0 ] && head -n 2 "$T/out" | grep -q 'case' && head -n 2 "$T/out" | grep -q 'trials' &&
   [ "$rows_on" = 1 ] && [ "$rows_off" = 1 ]; then
    ok "without -q: table with a header and one row per case"
else nok "without -q: table with a header and one row per case" "rc=$rc on=$rows_on off=$rows_off" "$hdr"; fi
check "without -q and no terminal: nothing on stderr" [ ! -s "$T/err" ]
run $PC run $SMALL -j 2
rows=$(grep -Ec '^(on|off|nocache) ' "$T/out")
check "table of a 3-case scenario has 3 rows (got $rows)" sh -c "[ $rc = 0 ] && [ '$rows' = 3 ]"

# ---- --case ----------------------------------------------------------------------------

run $R -q --case barrier-off --json "$T/c.json" --csv "$T/c.csv"
if [ "$rc" = 0 ] && [ "$(grep -c '"name":' "$T/c.json")" = 1 ] && grep -q '"name": "barrier-off"' "$T/c.json" &&
   [ "$(wc -l <"$T/c.csv" | tr -d ' ')" = 2 ] && grep -q ',barrier-off,' "$T/c.csv"; then
    ok "--case selects one case (JSON and CSV)"
else nok "--case selects one case (JSON and CSV)" "rc=$rc"; fi
# the selected case is the same as in the full run
sed -n '/"name": "barrier-off"/,$p' "$T/a.json" >"$T/full-off"
sed -n '/"name": "barrier-off"/,$p' "$T/c.json" >"$T/only-off"
check "--case result equals that case in the full run" cmp -s "$T/full-off" "$T/only-off"
run $PC run $SMALL -q --case nocache --case on --csv -
check "--case repeated selects those cases, in scenario order" \
    sh -c "[ $rc = 0 ] && [ \"\$(cut -d, -f3 '$T/out' | tr '\n' ' ')\" = 'case on nocache ' ]"
expect_err "unknown --case exits 2" 2 "nope" $R -q --case nope
check "unknown --case names the available cases" sh -c "grep -q 'barrier-on' '$T/err' && grep -q 'barrier-off' '$T/err'"

# ---- --set ------------------------------------------------------------------------------

run $R -q --case barrier-on --set device.cache_mb=32 --set fs.commit_s=2 --json -
check "--set device.KEY / fs.KEY reach the case params" \
    sh -c "[ $rc = 0 ] && grep -q '\"device.cache_mb\": 32,' '$T/out' && grep -q '\"fs.commit_s\": 2,' '$T/out'"
run $R -q --case barrier-on --set cache_mb=16 --json -
check "--set of a declared parameter (cache_mb=16) reaches device.cache_mb" \
    sh -c "[ $rc = 0 ] && grep -q '\"device.cache_mb\": 16,' '$T/out'"
run $R -q -D device.cache_mb=16 --case barrier-on --json -
check "-D is --set" sh -c "[ $rc = 0 ] && grep -q '\"device.cache_mb\": 16,' '$T/out'"

# ---- determinism --------------------------------------------------------------------------

D="$PC run $SC --set run.runs=4 --set run.duration_s=3 -n 300 -q"
$D -j 1 --json "$T/d1.json" --csv "$T/d1.csv" 2>/dev/null
$D -j 1 --json "$T/d2.json" --csv "$T/d2.csv" 2>/dev/null
check "same scenario + seed twice: byte-identical JSON" cmp -s "$T/d1.json" "$T/d2.json"
check "same scenario + seed twice: byte-identical CSV" cmp -s "$T/d1.csv" "$T/d2.csv"
$D -j 2 --json "$T/d3.json" --csv "$T/d3.csv" 2>/dev/null
check "-j 1 vs -j 2: byte-identical JSON" cmp -s "$T/d1.json" "$T/d3.json"
check "-j 1 vs -j 2: byte-identical CSV" cmp -s "$T/d1.csv" "$T/d3.csv"
$D -j 4 --json "$T/d4.json" 2>/dev/null
check "-j 1 vs -j 4: byte-identical JSON" cmp -s "$T/d1.json" "$T/d4.json"
$D -j 2 --seed 2 --json "$T/s2.json" --csv "$T/s2.csv" 2>/dev/null
check "a different --seed gives different JSON" sh -c "[ -s '$T/s2.json' ] && ! cmp -s '$T/d1.json' '$T/s2.json'"
check "a different --seed gives different CSV" sh -c "[ -s '$T/s2.csv' ] && ! cmp -s '$T/d1.csv' '$T/s2.csv'"
check "--seed 2 is echoed in the JSON" grep -q '"seed": 2,' "$T/s2.json"
$D -j 2 -s 2 --json "$T/s2b.json" 2>/dev/null
check "-s is --seed" cmp -s "$T/s2.json" "$T/s2b.json"

# ---- bad input: exit 2, one line, names the culprit -----------------------------------------

expect_err "unknown parameter: exit 2, one line" 2 "device.cach_mb" $R -q --set device.cach_mb=1
check "unknown parameter suggests: did you mean device.cache_mb" \
    sh -c "grep -q 'did you mean' '$T/err' && grep -q 'device.cache_mb' '$T/err'"
expect_err "unknown declared-parameter-like name" 2 "cachemb" $R -q --set cachemb=1
expect_err "wrong type (fs.barrier=maybe)" 2 "fs.barrier" $R -q --set fs.barrier=maybe
check "wrong type message shows the value and what is allowed" \
    sh -c "grep -q 'maybe' '$T/err' && grep -q 'true' '$T/err' && grep -q 'false' '$T/err'"
expect_err "out of range (device.cache_mb=-1)" 2 "device.cache_mb" $R -q --set device.cache_mb=-1
check "out-of-range message says what is allowed" sh -c "grep -q -- '-1' '$T/err' && grep -q '4096' '$T/err'"
expect_err "bad enum value (device.policy=bogus) lists the allowed values" 2 "satf" $R -q --set device.policy=bogus
expect_err "--set without '='" 2 "nonsense" $R -q --set nonsense
expect_err "crash_from_s not below duration_s" 2 "crash_from_s" $R -q --set run.crash_from_s=3

printf 'return {\n  trials = 10,\n  runs = = 2,\n}\n' >"$T/syntax.lua"
expect_err "Lua syntax error: exit 2, FILE:LINE" 2 "$T/syntax.lua:3:" $PC run "$T/syntax.lua" -q
expect_err "Lua runtime error: exit 2, FILE:LINE" 2 "tests/data/cli-runtime.lua:4:" $PC run tests/data/cli-runtime.lua -q
expect_err "unknown key in a scenario table: exit 2, names it" 2 "fs.barier" $PC run tests/data/cli-unknown-key.lua -q
check "unknown key message names the file" grep -q 'tests/data/cli-unknown-key.lua' "$T/err"
printf 'return { trials = 10, runs = 2, duration_s = 3, bogus = 1 }\n' >"$T/topkey.lua"
expect_err "unknown top-level key: exit 2, names it" 2 "bogus" $PC run "$T/topkey.lua" -q
printf 'return { trials = 10, runs = 2, duration_s = 3, cases = { { name = "a" }, { name = "a" } } }\n' >"$T/dup.lua"
expect_err "duplicate case names: exit 2" 2 '"a"' $PC run "$T/dup.lua" -q
printf 'return 42\n' >"$T/ret.lua"
expect_err "scenario that does not return a table: exit 2" 2 "$T/ret.lua" $PC run "$T/ret.lua" -q
expect_err "missing scenario file: exit 2, names it" 2 "$T/missing.lua" $PC run "$T/missing.lua" -q
expect_err "a directory as scenario: exit 2, names it" 2 "$T" $PC run "$T" -q
expect_err "unknown command: exit 2, names it" 2 "frobnicate" $PC frobnicate
expect_err "run without a scenario: exit 2" 2 "SCENARIO" $PC run
expect_err "run with two scenarios: exit 2, names the extra one" 2 "extra.lua" $PC run $SC extra.lua -q
expect_err "--trials 0: exit 2" 2 "--trials" $R -q --trials 0
expect_err "--trials -1: exit 2" 2 "--trials" $R -q --trials -1
expect_err "--trials abc: exit 2" 2 "abc" $R -q --trials abc
expect_err "--jobs -1: exit 2" 2 "--jobs" $R -q --jobs -1
expect_err "--seed -1: exit 2" 2 "--seed" $R -q --seed -1
expect_err "unknown option: exit 2, names it" 2 "--bogus" $R -q --bogus
expect_err "list params without a scenario: exit 2" 2 "list params" $PC list params
expect_err "list params of a missing file: exit 2, names it" 2 "$T/missing.lua" $PC list params "$T/missing.lua"
expect_err "list of an unknown topic: exit 2, names it" 2 "frob" $PC list frob

# ---- outputs are written atomically --------------------------------------------------------

run $R -q --json "$T/nodir/x.json"
if [ "$rc" = 1 ] && [ "$(wc -l <"$T/err" | tr -d ' ')" = 1 ] && grep -q '^powercut: ' "$T/err" &&
   grep -qF "$T/nodir/x.json" "$T/err"; then
    ok "--json into a missing directory: exit 1, one line naming the file"
else nok "--json into a missing directory: exit 1, one line naming the file" "rc=$rc" "$(cat "$T/err")"; fi
check "--json into a missing directory leaves nothing behind" sh -c "[ ! -e '$T/nodir' ] && ! ls -A '$T' | grep -q 'x.json'"
run $R -q --csv "$T/nodir/x.csv"
check "--csv into a missing directory: exit 1 naming the file" sh -c "[ $rc = 1 ] && grep -qF '$T/nodir/x.csv' '$T/err'"

mkdir "$T/isdir" && : >"$T/isdir/keep"
run $R -q --json "$T/isdir"
check "--json onto a directory: exit 1" sh -c "[ $rc = 1 ] && grep -q '^powercut: ' '$T/err'"
check "--json onto a directory leaves no temporary file" \
    sh -c "[ \"\$(ls -A '$T' | grep -c isdir)\" = 1 ] && [ \"\$(ls -A '$T/isdir')\" = keep ]"

echo 'previous' >"$T/keep.json"
run $R -q --set device.cach_mb=1 --json "$T/keep.json"
check "bad input leaves an existing --json file untouched" sh -c "[ $rc = 2 ] && [ \"\$(cat '$T/keep.json')\" = previous ]"

: >"$T/afile"
run $R -q --out "$T/afile/sub"
check "--out under a regular file: exit 1 with a message" sh -c "[ $rc = 1 ] && grep -q '^powercut: ' '$T/err'"

# ---- list ---------------------------------------------------------------------------------

run $PC list
check "list shows scenarios/barriers.lua" sh -c "[ $rc = 0 ] && grep -q 'scenarios/barriers.lua' '$T/out'"
run $PC list scenarios
check "list scenarios shows scenarios/barriers.lua with its description" \
    sh -c "[ $rc = 0 ] && grep -q 'scenarios/barriers.lua  *Barriers' '$T/out'"
run $PC list params $SC
check "list params shows device.cache_mb and fs.barrier" \
    sh -c "[ $rc = 0 ] && grep -q 'device.cache_mb' '$T/out' && grep -q 'fs.barrier' '$T/out'"
check "list params shows declared parameters and the cases" \
    sh -c "grep -q '^  cache_mb ' '$T/out' && grep -q '^  policy ' '$T/out' && grep -q 'barrier-on' '$T/out'"

echo "1..$n"
[ "$nfail" = 0 ]
