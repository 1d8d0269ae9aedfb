#!/bin/sh
# tests/real-vs-model.sh - model vs kernel, side by side (issue 7 part 4;
# README "Model vs kernel").
#
#   sudo sh tests/real-vs-model.sh [-n CUTS] [-f FILES] [-j JOBS] [-k DIR]
#
# The workload of scenarios/real-vs-model.lua (an 8 KiB file created and
# fsync'ed in one of 4 folders, the file 64 operations back deleted) runs
#   1. in powercut's ext4 model:   powercut run scenarios/real-vs-model.lua
#   2. on the real ext4, barriers on and off (mount -o barrier=0), under
#      powercut capture, with `powercut mark --promise` after each fsync, then
#      powercut replay TRACE --scenario scenarios/real-vs-model.lua --case C
#      (the same drive: the scenario's device; e2fsck judges each crash image)
# and prints both outcome distributions side by side; then the kernel's
# barrier-off lost_fsync cuts by the role of the lost block replay names (a
# data-or-directory block when one was lost, the journal only when nothing
# else was), and the same trace replayed closed-loop (--ignore-times). -n:
# sampled cuts per replay (default 200), -f: files the real workload writes
# (default 200), -k DIR: keep the traces, JSON and per-cut CSV there. Run from the repository root with
# ./powercut built (or POWERCUT=...). Exit 0 done, 1 a step failed, 2 bad
# usage or not root / no FUSE / no loop device.

PC=${POWERCUT:-./powercut}
SC=${SCENARIO:-scenarios/real-vs-model.lua}
cuts=200 files=200 jobs=2 keep=""
while getopts n:f:j:k: o; do
    case $o in
    n) cuts=$OPTARG ;; f) files=$OPTARG ;; j) jobs=$OPTARG ;; k) keep=$OPTARG ;;
    *) echo "usage: $0 [-n CUTS] [-f FILES] [-j JOBS] [-k DIR]" >&2; exit 2 ;;
    esac
done
for v in "$cuts" "$files" "$jobs"; do
    case $v in ''|*[!0-9]*|0) echo "real-vs-model: -n, -f and -j take a positive number, not '$v'" >&2; exit 2 ;; esac
done
[ -x "$PC" ] || { echo "real-vs-model: $PC is not built (make, or set POWERCUT)" >&2; exit 2; }
[ -r "$SC" ] || { echo "real-vs-model: $SC not found (run from the repository root)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "real-vs-model: needs root (powercut capture mounts a real ext4)" >&2; exit 2; }
PC=$(cd "$(dirname "$PC")" && pwd)/$(basename "$PC")

T=$(mktemp -d "${TMPDIR:-/tmp}/real-vs-model.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM
if [ -n "$keep" ]; then mkdir -p "$keep" || exit 1; else keep=$T; fi

cat >"$T/work.sh" <<EOS
i=1
while [ \$i -le $files ]; do
    mkdir -p d\$((i % 4))
    dd if=/dev/urandom of=d\$((i % 4))/f\$i bs=8k count=1 conv=fsync status=none || exit 1
    "$PC" mark --promise f\$i
    [ \$i -gt 64 ] && rm -f d\$(((i - 64) % 4))/f\$((i - 64))
    i=\$((i + 1))
done
EOS

step() { echo "real-vs-model: $*" >&2; }
step "model: $PC run $SC"
"$PC" run "$SC" -j "$jobs" -q --json "$keep/model.json" || { step "the model run failed"; exit 1; }
for c in on off; do
    mo=""; [ $c = off ] && mo="--mount-opts barrier=0"
    step "kernel, barriers $c: capture of $files fsync'ed files"
    # shellcheck disable=SC2086
    "$PC" capture --size 64MiB $mo -o "$keep/$c.trace" -- sh "$T/work.sh" || { step "capture failed"; exit 1; }
    step "kernel, barriers $c: replay, $cuts cuts, on the scenario's drive"
    "$PC" replay "$keep/$c.trace" --scenario "$SC" --case barrier-$c -n "$cuts" -j "$jobs" -q \
        --json "$keep/real-$c.json" --trials-csv "$keep/real-$c.csv" || { step "replay failed"; exit 1; }
done
step "kernel, barriers off: replay closed-loop (--ignore-times), $cuts cuts"
"$PC" replay "$keep/off.trace" --scenario "$SC" --case barrier-off -n "$cuts" -j "$jobs" -q --ignore-times \
    --json "$keep/real-off-closed.json" --trials-csv "$keep/real-off-closed.csv" || { step "replay failed"; exit 1; }

# row SOURCE CASE JSON: the case's outcome counts as one table row
row() {
    awk -v src="$1" -v want="$2" '
        $1 == "\"name\":" { v = $2; gsub(/[",]/, "", v); on = (v == want) }
        on && $1 ~ /^"(trials|consistent|lost_fsync|stale_data|corrupt|unmountable|p_inc)":$/ && !($1 in got) {
            k = $1; gsub(/[":]/, "", k); v = $2; sub(/,$/, "", v); got[$1] = 1; x[k] = v }
        END { printf "%-7s %-11s %6s %10s %10s %6s %7s %11s %7s\n", src, want, x["trials"], x["consistent"],
              x["lost_fsync"], x["stale_data"], x["corrupt"], x["unmountable"], x["p_inc"] }' "$3"
}
pace() {   # files per second while the command ran (the capture's pace)
    "$PC" show-trace "$1" | awk -v n="$files" '$3 == "mark" && $4 == "command-start" { a = $2 }
        $3 == "mark" && $4 == "command-end" { b = $2 } END { if (b > a) printf "%.0f", n / (b - a) }'
}
echo
printf "%-7s %-11s %6s %10s %10s %6s %7s %11s %7s\n" source case trials consistent lost_fsync stale corrupt unmountable p_inc
for c in on off; do
    row model "barrier-$c" "$keep/model.json"
    row kernel "barrier-$c" "$keep/real-$c.json"
done
# roles CSV: the lost_fsync cuts of a replay's --trials-csv by the role of the block its reason names
roles() {
    n=$(awk 'NR > 1 { n++ } END { print n + 0 }' "$1")
    l=$(grep -c ',lost_fsync,' "$1")
    by=$(awk '/,lost_fsync,/ { r = "no role"
            if (match($0, /block [0-9]+ \([a-z ]+\)/)) { r = substr($0, RSTART, RLENGTH); sub(/^block [0-9]+ \(/, "", r); sub(/\)$/, "", r) }
            c[r]++ }
        END { for (r in c) print c[r] "\t" r }' "$1" | sort -k1,1nr -k2 | awk -F'\t' '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }')
    echo "$l of $n cuts lost_fsync${by:+: $by}"
}
echo
echo "kernel barrier-off, by the lost block replay names (data or directory when one was lost;"
echo "  a journal block only when nothing else covered was lost):"
echo "  as captured:                  $(roles "$keep/real-off.csv")"
echo "  closed loop (--ignore-times): $(roles "$keep/real-off-closed.csv")"
echo "kernel pace: $(pace "$keep/on.trace") files/s with barriers, $(pace "$keep/off.trace") without (capture's host, not the drive);"
echo "model: scenario's think_us; kernel: $files files, a promise mark after each fsync; stale_data is not judged in replay."
