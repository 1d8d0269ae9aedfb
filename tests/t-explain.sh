#!/bin/sh
# tests/t-explain.sh - `powercut explain` against `powercut run` (issue 6 part 1).
# POSIX sh, TAP output. Run from the repository root with ./powercut built:
#   prove -f --exec '' tests/t-explain.sh
#
# The runs are those of scenarios/barriers.lua reduced to its run 0: with
# -D run.runs=1 -n 100, run 0 samples the same first 100 cuts as run 0 of
# the full scenario (2000 trials over 20 runs: 100 per run; the cuts are the
# run's "cuts" stream, seeded from seed, run and name only - sim/core/sim.h),
# so trial numbers agree with the full scenario's. Each explain re-simulates
# 12 s of one run (well under a second).
#
# Claims checked:
#  - the outcome explain reports for (run, trial) is the one run reports in
#    --trials-csv for it, same seed (several trials, every outcome class seen);
#  - on the hand-chosen crash (barriers off, seed 1: the first corrupt trial of
#    run 0, trial 44, J4a: T9990's commit durable, its journal block at log
#    position 138 not), explain names the same home block, log position and
#    transaction as run's reason;
#  - barriers on: the trials explained are consistent (SEMANTICS J1/J2, E4);
#  - the trace's landings agree with the media at the cut
#    (POWERCUT_EXPLAIN_VERIFY: the last landing of every block is what the
#    media holds; a write said on media has its tokens there, one said lost
#    does not);
#  - --first finds the first trial of that class in run order; errors exit 2
#    with one line.

PC=${POWERCUT:-./powercut}
SC=scenarios/barriers.lua
R0="-D run.runs=1 -n 100"

T=$(mktemp -d "${TMPDIR:-/tmp}/t-explain.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM

n=0
nfail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() {
    n=$((n + 1)); nfail=$((nfail + 1)); echo "not ok $n - $1"; shift
    for d in "$@"; do printf '%s\n' "$d" | sed 's/^/#   /'; done
}
run() { "$@" >"$T/out" 2>"$T/err"; rc=$?; }

expect_err() {   # DESC STATUS NEEDLE CMD...
    d=$1 want=$2 needle=$3; shift 3
    run "$@"
    lines=$(wc -l <"$T/err" | tr -d ' ')
    why=""
    [ "$rc" = "$want" ] || why="exit status $rc, want $want"
    [ -z "$why" ] && [ "$lines" != 1 ] && why="$lines lines on stderr, want 1"
    [ -z "$why" ] && ! grep -qF -- "$needle" "$T/err" && why="stderr does not mention '$needle'"
    [ -z "$why" ] && [ -s "$T/out" ] && why="unexpected output on stdout"
    if [ -z "$why" ]; then ok "$d"; else nok "$d" "$why" "stderr: $(head -c 300 "$T/err")"; fi
}

# json_str FILE KEY: the first string value of "KEY" in a pretty JSON file
json_str() { sed -n "s/^ *\"$2\" : \"\\([^\"]*\\)\".*/\\1/p" "$1" | head -n 1; }

# ---- the trials run reports ------------------------------------------------------
for c in barrier-off barrier-on; do
    run $PC run $SC --case $c $R0 -q --trials-csv "$T/$c.csv"
    if [ "$rc" = 0 ] && [ "$(wc -l <"$T/$c.csv")" -eq 101 ]; then ok "run --trials-csv $c: 100 trials"
    else nok "run --trials-csv $c: 100 trials" "exit $rc" "$(head -c 300 "$T/err")"; fi
done

# csv_outcome CASE TRIAL
csv_outcome() { awk -F, -v t="$2" 'NR > 1 && $2 == 0 && $3 == t { print $5; exit }' "$T/$1.csv"; }

# ---- the hand-chosen corrupt crash -------------------------------------------------
K=$(awk -F, 'NR > 1 && $5 == "corrupt" { print $3; exit }' "$T/barrier-off.csv")
if [ "$K" = 44 ]; then ok "barriers off, seed 1: the first corrupt trial of run 0 is trial 44"
else nok "barriers off, seed 1: the first corrupt trial of run 0 is trial 44" "got '$K'"; fi
[ -n "$K" ] || K=44
reason=$(awk -F, -v t="$K" 'NR > 1 && $3 == t { sub(/^[^"]*"/, ""); print; exit }' "$T/barrier-off.csv")
home=$(printf '%s' "$reason" | sed -n 's/^[a-z ]*block \([0-9]*\) holds.*/\1/p')
pos=$(printf '%s' "$reason" | sed -n 's/.*replayed from log position \([0-9]*\) of T\([0-9]*\).*/\1/p')
tid=$(printf '%s' "$reason" | sed -n 's/.*replayed from log position \([0-9]*\) of T\([0-9]*\).*/\2/p')
if [ -n "$home" ] && [ -n "$pos" ] && [ -n "$tid" ]; then ok "run's reason names block $home, log position $pos of T$tid"
else nok "run's reason names a home block, log position and transaction" "reason: $reason"; fi

run env POWERCUT_EXPLAIN_VERIFY=1 $PC explain $SC --case barrier-off $R0 --trial "$K" --json
cp "$T/out" "$T/k.json"; cp "$T/err" "$T/k.err"
if [ "$rc" = 0 ] && [ "$(json_str "$T/k.json" outcome)" = corrupt ]; then ok "explain --trial $K --json: outcome corrupt, as run says"
else nok "explain --trial $K --json: outcome corrupt" "exit $rc, outcome '$(json_str "$T/k.json" outcome)'" "$(head -c 300 "$T/k.err")"; fi
# the stale replay entry of the recovery names the same block, position and transaction
if awk -v h="$home" -v p="$pos" -v t="$tid" '
    /"stale"/ { s = 1 } s && /"home" :/ { gsub(/[^0-9]/, ""); H = $0 }
    s && /"pos" :/ { gsub(/[^0-9]/, ""); P = $0 } s && /"tid" :/ { gsub(/[^0-9]/, ""); if (H == h && P == p && $0 == t) f = 1 }
    END { exit !f }' "$T/k.json"; then ok "explain's recovery: stale block $home <- log position $pos of T$tid"
else nok "explain's recovery names block $home, position $pos, T$tid" "$(grep -A8 '"stale"' "$T/k.json" | head -20)"; fi
grep -q "trace verified" "$T/k.err" && ok "trace agrees with the media at the cut ($(cat "$T/k.err"))" ||
    nok "trace agrees with the media" "$(cat "$T/k.err")"

run $PC explain $SC --case barrier-off $R0 --trial "$K"
cp "$T/out" "$T/k.txt"
why=$(grep '^Why:' "$T/k.txt")
case $why in
*"T$tid"*"log position $pos"*"block $home"*) ok "the causal sentence names T$tid, log position $pos and block $home" ;;
*) nok "the causal sentence names T$tid, log position $pos and block $home" "$why" ;;
esac
grep -q "^Verdict: CORRUPT" "$T/k.txt" && ok "text verdict CORRUPT" || nok "text verdict CORRUPT" "$(grep Verdict "$T/k.txt")"
for part in "Power cut at t = " "The last 20 block writes" "What the cut destroyed" "Recovery" "Checker:"; do
    grep -qF "$part" "$T/k.txt" && ok "text has '$part'" || nok "text has '$part'"
done
if grep -q "$(printf '\033')" "$T/k.txt"; then nok "no colour when stdout is not a terminal"
else ok "no colour when stdout is not a terminal"; fi

# ---- --first finds the same trial ---------------------------------------------------
run $PC explain $SC --case barrier-off $R0 --first corrupt --json
if [ "$rc" = 0 ] && grep -q "\"trial\" : $K," "$T/out" && grep -q '"run_outcome" : "corrupt"' "$T/out"; then
    ok "--first corrupt: trial $K, and run's record agrees"
else nok "--first corrupt: trial $K" "exit $rc" "$(grep '"trial"\|run_outcome' "$T/out")"; fi

# ---- outcome equality on more trials (barriers off: every class that occurs) ---------------
list=$(awk -F, 'NR > 1 && !seen[$5]++ { print $3 }' "$T/barrier-off.csv")
for k in $list 7 51 99; do
    want=$(csv_outcome barrier-off "$k")
    run env POWERCUT_EXPLAIN_VERIFY=1 $PC explain $SC --case barrier-off $R0 --trial "$k" --json
    got=$(json_str "$T/out" outcome)
    if [ "$rc" = 0 ] && [ "$got" = "$want" ] && grep -q "trace verified" "$T/err"; then
        ok "barriers off trial $k: explain says $got, run says $want; trace verified"
    else nok "barriers off trial $k: explain = run" "explain '$got' (exit $rc), run '$want'" "$(head -c 300 "$T/err")"; fi
done

# ---- barriers on: consistent ------------------------------------------------------------
for k in 0 3 42; do
    want=$(csv_outcome barrier-on "$k")
    run env POWERCUT_EXPLAIN_VERIFY=1 $PC explain $SC --case barrier-on $R0 --trial "$k"
    if [ "$rc" = 0 ] && [ "$want" = consistent ] && grep -q "^Verdict: CONSISTENT" "$T/out" &&
       grep -q "PREFLUSH+FUA" "$T/out" && grep -q "trace verified" "$T/err"; then
        ok "barriers on trial $k: consistent (run agrees), commits carry PREFLUSH+FUA"
    else nok "barriers on trial $k: consistent" "run '$want', exit $rc" "$(grep Verdict "$T/out")"; fi
done
run $PC explain $SC --case barrier-on $R0 --at 5.5 --json
if [ "$rc" = 0 ] && [ "$(json_str "$T/out" outcome)" = consistent ] && grep -q '"trial" : null' "$T/out"; then
    ok "--at 5.5 (barriers on): consistent, no trial number"
else nok "--at 5.5: consistent" "exit $rc"; fi

# ---- the timeline plot -------------------------------------------------------------------
if command -v gnuplot >/dev/null 2>&1; then
    run $PC explain $SC --case barrier-off $R0 --trial "$K" --plot "$T/tl.png"
    magic=$(od -An -tx1 -N8 "$T/tl.png" 2>/dev/null | tr -d ' \n')
    if [ "$rc" = 0 ] && [ "$magic" = 89504e470d0a1a0a ]; then ok "--plot tl.png: a PNG (magic bytes)"
    else nok "--plot tl.png: a PNG" "exit $rc, magic '$magic'" "$(head -c 300 "$T/err")"; fi
    # 7 series, named in this order, separated by two blank lines
    names=$(awk 'BEGIN { b = 1 } /^$/ { e++; next } { if (e >= 2 || NR == 2) b = 1; e = 0 }
                 b && /^"/ { print; b = 0 }' "$T/tl.dat" | tr '\n' '|')
    want='"file system: issued to completed"|"block layer: queued before the drive"|"drive: command in flight"|"drive cache: completed, not durable"|"media: durable"|"lost at the cut"|"flush: issued to completed"|'
    [ "$names" = "$want" ] && ok "tl.dat: the 7 series, in order" || nok "tl.dat: the 7 series" "got $names"
    # barriers off, trial K: 20 writes in the window, every one lost (an X each), no flush
    lost=$(awk '/^"lost at the cut"/ { s = 1; next } /^"/ { s = 0 } s && NF == 4 && $1 != "NaN" { n++ } END { print n + 0 }' "$T/tl.dat")
    fs=$(awk '/^"file system/ { s = 1; next } /^"/ { s = 0 } s && NF == 4 { n++ } END { print n + 0 }' "$T/tl.dat")
    lostj=$(grep -c '"lost" : true' "$T/k.json")
    [ "$fs" = 20 ] && [ "$lost" = "$lostj" ] && ok "tl.dat: 20 writes, $lost marked lost as in the JSON" ||
        nok "tl.dat: 20 writes and the lost ones" "fs rows $fs, lost rows $lost, JSON lost $lostj"
    run $PC explain $SC --case barrier-on $R0 --trial 3 --plot "$T/on.svg"
    if [ "$rc" = 0 ] && grep -q "<svg" "$T/on.svg" &&
       awk '/^"flush/ { s = 1; next } s && NF == 4 && $1 != "NaN" { n++ } END { exit !(n > 0) }' "$T/on.dat"; then
        ok "--plot on.svg (barriers on): an SVG, with flushes in its data"
    else nok "--plot on.svg" "exit $rc"; fi
    expect_err "--plot with another suffix: exit 2" 2 ".png or .svg" $PC explain $SC --case barrier-on --trial 0 --plot "$T/x.gif"
else
    echo "ok $((n + 1)) # skip gnuplot not installed"; n=$((n + 1))
fi

# ---- the tutorial (scenarios/tutorial, README "Teaching with powercut") -------------------
# Each runs (its own expectations hold: exit 0), and the explain command the
# README gives for it finds a cut with the outcome the lesson is about.
TU=scenarios/tutorial
for f in $TU/01-cache-reorders.lua $TU/02-journal.lua $TU/03-commit-first.lua $TU/04-barriers.lua $TU/05-lying-disk.lua; do
    run $PC run "$f" -q -j 2
    [ "$rc" = 0 ] && ok "tutorial $f runs, expectations hold" || nok "tutorial $f runs" "exit $rc" "$(head -c 300 "$T/err")"
done
while read -r f c sel verdict; do
    run $PC explain "$TU/$f" --case "$c" $sel
    if [ "$rc" = 0 ] && grep -q "^Verdict: $verdict" "$T/out"; then ok "explain $f --case $c $sel: $verdict"
    else nok "explain $f --case $c $sel: $verdict" "exit $rc" "$(grep Verdict "$T/out") $(head -c 200 "$T/err")"; fi
done <<EOF2
01-cache-reorders.lua in-order --trial=0 LOST_FSYNC
01-cache-reorders.lua reordered --first=stale_data STALE_DATA
02-journal.lua ordered --trial=0 CONSISTENT
02-journal.lua writeback --first=stale_data STALE_DATA
03-commit-first.lua no-checksum --first=corrupt CORRUPT
03-commit-first.lua checksum-v3 --first=unmountable UNMOUNTABLE
04-barriers.lua barrier-on --trial=0 CONSISTENT
05-lying-disk.lua lying-cache --first=lost_fsync LOST_FSYNC
05-lying-disk.lua write-through --trial=0 CONSISTENT
EOF2
run $PC explain $TU/03-commit-first.lua --case no-checksum --first corrupt
case $(grep '^Why:' "$T/out") in
*"The commit block of T"*"reached the platter"*"before journal block"*"replay copied"*) ok "tutorial 3: the causal sentence says the commit landed before its journal block" ;;
*) nok "tutorial 3: commit-first causal sentence" "$(grep '^Why:' "$T/out")" ;;
esac

# ---- --witness: every state an honest drive could have left at the cut ---------------------
# Hand-computed case (tutorial 1, reordered = barriers off, SATF, seed 1, run 0,
# trial 0): at the cut exactly 9 writes are at the drive and not durable, all
# of transaction T120: its descriptor (log 924), 7 body blocks (log 925-931)
# and its commit (log 932); none is covered by a completed flush (barriers
# off). Of the 2^9 = 512 subsets an honest drive may have made durable:
#  - descriptor and commit durable (2^7 = 128 subsets of the body): recovery
#    replays T120; if any body block is missing (127 subsets) it copies the
#    stale log slot home: corrupt (J4a); all 7 present (1 subset): consistent;
#  - descriptor or commit missing (512 - 128 = 384): T120 is not replayed and
#    the fsync that returned after its commit completed is lost: lost_fsync.
# So consistent 1, lost_fsync 384, stale_data 0, corrupt 127, unmountable 0,
# and a smallest corrupt state is {descriptor, commit} (2 blocks).
run $PC explain $TU/01-cache-reorders.lua --case reordered --trial 0 --witness --json
cs=$(tr -d ' \n' <"$T/out" | sed -n 's/.*"crash_states":{"pending":\([0-9]*\),"forced":\([0-9]*\),"free":\([0-9]*\),"sampled":\([a-z]*\),"states":\([0-9]*\),"outcomes":{"consistent":\([0-9]*\),"lost_fsync":\([0-9]*\),"stale_data":\([0-9]*\),"corrupt":\([0-9]*\),"unmountable":\([0-9]*\)}.*/\1 \2 \3 \4 \5 \6 \7 \8 \9/p')
unm=$(tr -d ' \n' <"$T/out" | sed -n 's/.*"unmountable":\([0-9]*\)},"witness".*/\1/p')
if [ "$rc" = 0 ] && [ "$cs" = "9 0 9 false 512 1 384 0 127" ] && [ "$unm" = 0 ]; then
    ok "--witness, hand-computed: 9 pending writes, 512 states: 1 consistent, 384 lost_fsync, 127 corrupt"
else nok "--witness, hand-computed counts" "exit $rc, got '$cs' unmountable '$unm'"; fi
wb=$(tr -d ' \n' <"$T/out" | sed -n 's/.*"durable_blocks":\[\([0-9,]*\)\].*/\1/p')
[ "$wb" = "131996,132004" ] && ok "--witness: a smallest corrupt state is T120's descriptor and commit (blocks $wb)" ||
    nok "--witness: smallest corrupt state" "got '$wb'"
for k in 0 3 42; do
    run $PC explain $SC --case barrier-on $R0 --trial "$k" --witness
    if [ "$rc" = 0 ] && grep -q "no state is corrupt or unmountable" "$T/out" &&
       grep -q "corrupt 0, unmountable 0" "$T/out"; then ok "barriers on trial $k --witness: no reachable state is corrupt"
    else nok "barriers on trial $k --witness: no corrupt state" "$(sed -n '/^Every crash/,$p' "$T/out" | head -8)"; fi
done
run $PC explain $TU/03-commit-first.lua --case no-checksum --first corrupt --witness
if [ "$rc" = 0 ] && grep -q "sampled states" "$T/out" && grep -q "corrupt state: only these" "$T/out"; then
    ok "--witness beyond --max-pending says it samples, and finds a corrupt state (barriers off)"
else nok "--witness sampled" "$(sed -n '/^Every crash/,$p' "$T/out" | head -6)"; fi
expect_err "--max-pending out of range: exit 2" 2 "--max-pending" $PC explain $SC --case barrier-on --trial 0 --witness --max-pending 40

# ---- run --crash-states exhaustive ----------------------------------------------------------
# Barriers on, honest drive: no state any honest drive could leave is corrupt
# (J1, E1); barriers off: corrupt states, and a witness that explain shows.
run $PC run $TU/04-barriers.lua -n 12 -j 2 --crash-states exhaustive --json "$T/x.json"
on=$(tr -d ' \n' <"$T/x.json" | sed -n 's/.*"name":"barrier-on".*"crash_states":{"mode":"exhaustive","max_pending":20,[^}]*"outcomes":{"consistent":\([0-9]*\),"lost_fsync":\([0-9]*\),"stale_data":\([0-9]*\),"corrupt":\([0-9]*\),"unmountable":\([0-9]*\)}.*"name":"barrier-off".*/\2 \3 \4 \5/p')
offc=$(tr -d ' \n' <"$T/x.json" | sed -n 's/.*"name":"barrier-off".*"crash_states":{[^}]*"cuts":\([0-9]*\),[^}]*"corrupt":\([0-9]*\),.*/\1 \2/p')
if [ "$rc" = 0 ] && [ "$on" = "0 0 0 0" ]; then ok "exhaustive: barriers on, no corrupt, stale or lost state"
else nok "exhaustive: barriers on" "exit $rc, got '$on'" "$(head -c 300 "$T/err")"; fi
set -- $offc
if [ "$rc" = 0 ] && [ "${1:-0}" = 12 ] && [ "${2:-0}" -gt 0 ]; then ok "exhaustive: barriers off, 12 cuts, $2 corrupt states"
else nok "exhaustive: barriers off finds corrupt states" "got '$offc'"; fi
run $PC run $TU/04-barriers.lua -n 12 -j 2 --crash-states exhaustive --case barrier-off
if grep -q "note: SAMPLED at" "$T/out" && grep -q "witness: run" "$T/out"; then
    ok "exhaustive: the table says which cuts were sampled and names a witness"
else nok "exhaustive: table note" "$(tail -4 "$T/out")"; fi
cmdline=$(sed -n 's/^ *\(powercut explain .*\)$/\1/p' "$T/out" | sed 's/^powercut //')
run $PC $cmdline
if [ "$rc" = 0 ] && grep -q "corrupt state: only these free writes durable" "$T/out"; then
    ok "exhaustive: the witness command explain prints a smallest corrupt state"
else nok "exhaustive: witness command" "$cmdline: exit $rc" "$(head -c 300 "$T/err")"; fi
# the hand-computed cut (above: 512 states, 127 corrupt, 384 lost_fsync, 1 consistent) through run
run $PC run $TU/01-cache-reorders.lua --case reordered -D run.runs=1 -n 1 --crash-states exhaustive --max-pending 12 --json -
cs=$(tr -d ' \n' <"$T/out" | sed -n 's/.*"crash_states":{[^}]*"states":\([0-9]*\),"sampled_cuts":\([0-9]*\),[^}]*"outcomes":{"consistent":\([0-9]*\),"lost_fsync":\([0-9]*\),"stale_data":\([0-9]*\),"corrupt":\([0-9]*\),.*/\1 \2 \3 \4 \5 \6/p')
[ "$rc" = 0 ] && [ "$cs" = "512 0 1 384 0 127" ] && ok "exhaustive: the hand-computed cut, through run: 512 states, 127 corrupt" ||
    nok "exhaustive: hand-computed cut through run" "exit $rc, got '$cs'"
run $PC run $TU/04-barriers.lua -n 6 -j 1 --crash-states exhaustive --json "$T/j1.json" -q
run $PC run $TU/04-barriers.lua -n 6 -j 2 --crash-states exhaustive --json "$T/j2.json" -q
cmp -s "$T/j1.json" "$T/j2.json" && ok "exhaustive: byte-identical JSON with --jobs 1 and 2" || nok "exhaustive: --jobs changes the JSON"
# the timed figures keep their meaning: the exhaustive JSON minus "crash_states" is the timed JSON
run $PC run $TU/04-barriers.lua -n 6 -j 2 --crash-states timed --json "$T/t.json" -q
tr -d ' \n' <"$T/t.json" >"$T/t1"
tr -d ' \n' <"$T/j2.json" | sed 's/,"crash_states":{"mode":"exhaustive"[^}]*"outcomes":{[^}]*},"witness":\(null\|{[^}]*}\)}//g' >"$T/t2"
if cmp -s "$T/t1" "$T/t2" && ! cmp -s "$T/t.json" "$T/j2.json"; then ok "exhaustive adds crash_states and changes nothing else in the JSON"
else nok "exhaustive changes the timed JSON" "$(cmp "$T/t1" "$T/t2")"; fi
expect_err "--crash-states foo: exit 2" 2 "allowed: timed, exhaustive" $PC run $SC --crash-states foo
for m in 0 -1 21 99999999999; do
    expect_err "--max-pending $m: exit 2" 2 "1 to 20" $PC run $SC --crash-states exhaustive --max-pending $m
done
expect_err "--max-pending without exhaustive: exit 2" 2 "only with" $PC run $SC --max-pending 5
# RAID: the volume is the honest device; a write in the battery-backed cache is on its durable image.
# R1 (battery, member caches off): the timed view loses nothing, and no state is bad either.
RB=scenarios/raid-bbu.lua
run $PC run $RB --case members-cache-off-nobarrier -D run.runs=2 -n 6 -j 2 --crash-states exhaustive --json -
cs=$(tr -d ' \n' <"$T/out" | sed -n 's/.*"crash_states":{"mode":"exhaustive"[^}]*"outcomes":{"consistent":\([0-9]*\),"lost_fsync":\([0-9]*\),"stale_data":\([0-9]*\),"corrupt":\([0-9]*\),"unmountable":\([0-9]*\)}.*/\2 \3 \4 \5/p')
[ "$rc" = 0 ] && [ "$cs" = "0 0 0 0" ] && ok "exhaustive on RAID (R1: battery, member caches off): no bad state" ||
    nok "exhaustive on RAID R1" "exit $rc, got '$cs'" "$(head -c 300 "$T/err")"
# R2 with barriers on (flush = ack, member caches on): the honest view has no bad state (the flushes
# would have covered them); the timed view (what this controller does) loses fsyncs.
run $PC run $RB --case members-cache-on-barrier -D run.runs=2 -n 6 -j 2 --crash-states exhaustive --json -
cs=$(tr -d ' \n' <"$T/out" | sed -n 's/.*"crash_states":{"mode":"exhaustive"[^}]*"outcomes":{"consistent":\([0-9]*\),"lost_fsync":\([0-9]*\),"stale_data":\([0-9]*\),"corrupt":\([0-9]*\),"unmountable":\([0-9]*\)}.*/\2 \3 \4 \5/p')
tl=$(tr -d ' \n' <"$T/out" | sed -n 's/.*"outcomes":{"consistent":[0-9]*,"lost_fsync":\([0-9]*\),.*"crash_states".*/\1/p')
[ "$rc" = 0 ] && [ "$cs" = "0 0 0 0" ] && [ "${tl:-0}" -gt 0 ] &&
    ok "exhaustive on RAID (R2, barriers on): honest view 0 bad states; timed view $tl lost fsyncs" ||
    nok "exhaustive on RAID R2 barriers on" "exit $rc, states '$cs', timed lost '$tl'"
# forced write-back without a battery, barriers off (R3): a volatile array cache, corrupt states exist
run $PC run $RB --case no-bbu-nobarrier -D run.runs=2 -n 6 -j 2 --crash-states exhaustive --json -
cc=$(tr -d ' \n' <"$T/out" | sed -n 's/.*"crash_states":{"mode":"exhaustive"[^}]*"corrupt":\([0-9]*\),.*/\1/p')
[ "$rc" = 0 ] && [ "${cc:-0}" -gt 0 ] && ok "exhaustive on RAID (R3, no battery, barriers off): $cc corrupt states" ||
    nok "exhaustive on RAID R3 finds corrupt states" "exit $rc, got '$cc'"
expect_err "exhaustive on a degraded RAID-5 (failed_member): exit 2" 2 "degraded RAID-5" \
    $PC run scenarios/raid5-write-hole.lua --crash-states exhaustive --case volatile-member-failure
expect_err "explain --witness on a degraded RAID-5: exit 2" 2 "degraded RAID-5" \
    $PC explain scenarios/raid5-write-hole.lua --case volatile-member-failure --trial 0 --witness
expect_err "exhaustive with --shard: exit 2" 2 "--shard" $PC run $SC --crash-states exhaustive --shard 1/2

# ---- quiz -----------------------------------------------------------------------------------
run $PC quiz --seed 7 --solve; cp "$T/out" "$T/q1"
run $PC quiz --seed 7 --solve
cmp -s "$T/out" "$T/q1" && grep -q "^Answers" "$T/out" && ok "quiz: same seed, byte-identical, with answers" ||
    nok "quiz: determinism"
run $PC quiz --seed 7
if [ "$rc" = 0 ] && ! grep -q "^Answers (" "$T/out" && grep -q "Questions:" "$T/out"; then ok "quiz without --solve: questions only"
else nok "quiz without --solve"; fi
expect_err "quiz --seed x: exit 2" 2 "--seed" $PC quiz --seed x
expect_err "quiz --seed -1: exit 2" 2 "--seed" $PC quiz --seed -1
expect_err "quiz extra argument: exit 2" 2 "unexpected" $PC quiz extra
run $PC help quiz
[ "$rc" = 0 ] && grep -q -- "--solve" "$T/out" && ok "help quiz" || nok "help quiz"

# ---- RAID and SSD stacks: outcome = run's, trace verified, locations per layer ----------------
# check_stack SCENARIO CASE TRIALS...: explain's outcome for each trial equals run --trials-csv's
check_stack() {
    sc=$1 c=$2; shift 2
    run $PC run "$sc" --case "$c" -D run.runs=1 -n 40 -q --trials-csv "$T/$c.csv"
    [ "$rc" = 0 ] || nok "run --trials-csv $c" "exit $rc" "$(head -c 300 "$T/err")"
    for k in "$@"; do
        want=$(csv_outcome "$c" "$k")
        run env POWERCUT_EXPLAIN_VERIFY=1 $PC explain "$sc" --case "$c" -D run.runs=1 -n 40 --trial "$k" --json
        got=$(json_str "$T/out" outcome)
        if [ "$rc" = 0 ] && [ -n "$want" ] && [ "$got" = "$want" ] && grep -q "trace verified" "$T/err"; then
            ok "$c trial $k: explain says $got, run says $want; trace verified"
        else nok "$c trial $k: explain = run" "explain '$got' (exit $rc), run '$want'" "$(head -c 300 "$T/err")"; fi
    done
}
check_stack $RB members-cache-on-nobarrier 0 5 23
check_stack $RB members-cache-off-nobarrier 3 17
check_stack scenarios/raid5-write-hole.lua volatile-member-failure 0 7 11
check_stack scenarios/ssd-plp.lua consumer-barrier-off 0 23 31
check_stack scenarios/ssd-plp.lua plp-barrier-off 3 9

# R2 (flush = ack, member caches on, barriers off): run loses the fsynced data at every cut; each
# of the last writes was acknowledged from NVRAM, then freed on the members' acks: where it sits
# at the cut is a member's volatile cache (the primary, member 0, of the RAID-1), not the media.
run $PC explain $RB --case members-cache-on-nobarrier -D run.runs=1 -n 40 --trial 5
grep -q "^stack: .*RAID-1 controller over 2 drives, 1024 MiB non-volatile cache.*member caches on" "$T/out" &&
    ok "RAID stack line: controller, members, cache" || nok "RAID stack line" "$(sed -n 2p "$T/out")"
nl=$(sed -n '/^The last/,/^$/p' "$T/out" | grep -c "LOST$")
nm=$(sed -n '/^The last/,/^$/p' "$T/out" | grep -c "in member 0's volatile cache.*LOST$")
[ "$nl" -gt 0 ] && [ "$nl" = "$nm" ] && ok "R2: the $nl lost recent writes are in member 0's volatile cache" ||
    nok "R2: lost writes in member 0's volatile cache" "lost $nl, in member 0's cache $nm"
run $PC explain $RB --case members-cache-on-nobarrier -D run.runs=1 -n 40 --trial 5 --json
grep -q '"device_where" : "member_cache"' "$T/out" && grep -q '"at_cut" : "member_cache"' "$T/out" &&
    ok "--json: the member_cache location key" || nok "--json member_cache key"
# R1 (battery, member caches off): nothing is lost; the newest writes are still in the battery-backed cache
run $PC explain $RB --case members-cache-off-nobarrier -D run.runs=1 -n 40 --trial 3
if ! sed -n '/^The last/,/^$/p' "$T/out" | grep -q "LOST" &&
   grep -q "in the battery-backed controller cache (survives)" "$T/out"; then
    ok "R1: no recent write lost, the newest in the battery-backed controller cache"
else nok "R1: battery-backed cache" "$(sed -n '/^The last/,/^$/p' "$T/out" | tail -3)"; fi
# R3 (no battery, forced write-back): the newest writes are lost in the controller's volatile cache
run $PC explain $RB --case no-bbu-nobarrier -D run.runs=1 -n 40 --trial 3
grep -q "in the controller's volatile cache  LOST" "$T/out" && ok "R3: writes lost in the controller's volatile cache" ||
    nok "R3: controller volatile cache" "$(sed -n '/^The last/,/^$/p' "$T/out" | tail -3)"
# R4 (the outage outlasts the battery): the cache the controller trusted is lost; same outcome as run
run $PC run $RB --case members-cache-off-nobarrier -D run.runs=1 -n 20 -D outage_h=100 -q --trials-csv "$T/r4.csv"
want=$(awk -F, 'NR > 1 && $3 == 3 { print $5; exit }' "$T/r4.csv")
run env POWERCUT_EXPLAIN_VERIFY=1 $PC explain $RB --case members-cache-off-nobarrier -D run.runs=1 -n 20 -D outage_h=100 --trial 3
got=$(sed -n 's/^Verdict: \([A-Z_]*\).*/\1/p' "$T/out" | tr 'A-Z' 'a-z')
if [ "$rc" = 0 ] && [ -n "$want" ] && [ "$got" = "$want" ] && grep -q "trace verified" "$T/err" &&
   grep -q "in the battery-backed controller cache, lost: the outage outlasts the battery  LOST" "$T/out"; then
    ok "R4: $got as run says; writes lost in the battery-backed cache the outage outlasts"
else nok "R4: explain = run, battery outlasted" "explain '$got', run '$want', exit $rc"; fi
# --at and --json on an SSD: the device's location keys
run $PC explain scenarios/ssd-plp.lua --case consumer-barrier-off --at 2.5 --json
if [ "$rc" = 0 ] && grep -q '"at_cut" : "dram_buffer"' "$T/out" && grep -q '"outcome" : "' "$T/out"; then
    ok "--at --json on an SSD: writes at_cut dram_buffer"
else nok "--at --json on an SSD" "exit $rc"; fi
# R5: the first corrupt trial replays a journal block that lay on the failed member, rebuilt as garbage
run $PC explain scenarios/raid5-write-hole.lua --case volatile-member-failure -D run.runs=1 -n 200 --first corrupt
# and the causal sentence blames the hole, not a write that never became durable
if [ "$rc" = 0 ] && grep -q "^Verdict: CORRUPT" "$T/out" && grep -q "rebuilt from parity as garbage" "$T/out" &&
   grep "^Why" "$T/out" | grep -q "write hole" && ! grep "^Why" "$T/out" | grep -q "not durable"; then
    ok "R5: corrupt, a write on the failed member rebuilt from parity as garbage"
else nok "R5: rebuilt garbage" "exit $rc" "$(grep '^Verdict\|^Why' "$T/out")"; fi
# SSD: a consumer drive's buffer is volatile; a PLP drive's is durable
run $PC explain scenarios/ssd-plp.lua --case consumer-barrier-off -D run.runs=1 -n 40 --trial 23
grep -q "^stack: .*SSD with a 64 MiB DRAM buffer (volatile)" "$T/out" && grep -q "in the DRAM buffer (volatile)  LOST" "$T/out" &&
    ok "SSD: stack line, writes lost in the volatile DRAM buffer" || nok "SSD volatile buffer" "$(sed -n 2p "$T/out")"
run $PC explain tests/data/ssd-rows.lua --case plp-cache-barrier-off -D run.runs=1 -n 10 --trial 2
if ! sed -n '/^The last/,/^$/p' "$T/out" | grep -q "LOST" && grep -q "in the PLP-protected buffer (durable)" "$T/out"; then
    ok "SSD with PLP: nothing lost, buffered writes durable"
else nok "SSD PLP buffer" "$(sed -n '/^The last/,/^$/p' "$T/out" | tail -3)"; fi
run $PC explain tests/data/ssd-rows.lua --case unserializable-barrier-on -D run.runs=1 -n 10 --trial 2
grep -q "mapping update was not persisted (unserializable write)" "$T/out" &&
    ok "SSD fault: unserializable writes named" || nok "SSD unserializable fault named"
if command -v gnuplot >/dev/null 2>&1; then
    run $PC explain $RB --case members-cache-on-nobarrier -D run.runs=1 -n 40 --trial 5 --plot "$T/raid.svg"
    [ "$rc" = 0 ] && grep -q "<svg" "$T/raid.svg" && ok "--plot on a RAID stack" || nok "--plot on RAID" "exit $rc"
fi
run $PC explain $RB --case members-cache-on-barrier -D run.runs=1 -n 10 --trial 2 --witness
[ "$rc" = 0 ] && grep -q "corrupt 0, unmountable 0" "$T/out" && ok "--witness on RAID (barriers on): no bad state" ||
    nok "--witness on RAID" "exit $rc"

# ---- errors ------------------------------------------------------------------------------
expect_err "unknown case: exit 2" 2 "no case named" $PC explain $SC --case nope --trial 0
expect_err "trial out of range: exit 2" 2 "out of range" $PC explain $SC --case barrier-on $R0 --trial 100
expect_err "run out of range: exit 2" 2 "out of range" $PC explain $SC --case barrier-on $R0 --trial 0 --run 1
expect_err "no trial with that outcome: exit 2" 2 "no trial" $PC explain $SC --case barrier-on -D run.runs=1 \
    -D run.duration_s=3 -n 20 --first corrupt
expect_err "bad --first: exit 2" 2 "--first" $PC explain $SC --case barrier-on --first broken
expect_err "no selector: exit 2" 2 "exactly one of" $PC explain $SC --case barrier-on
expect_err "two selectors: exit 2" 2 "exactly one of" $PC explain $SC --case barrier-on --trial 1 --at 3
expect_err "--at out of range: exit 2" 2 "--at" $PC explain $SC --case barrier-on --at 99

echo "1..$n"
[ "$nfail" = 0 ]
