#!/bin/sh
# tests/real-vs-model-files.sh - replay's per-block lost_fsync against a
# per-file look at the same crash images (README "Model vs kernel").
#
#   sudo sh tests/real-vs-model-files.sh [-n CUTS] DIR
#
# DIR is what `tests/real-vs-model.sh -k DIR` kept (off.trace). The
# barrier=0 trace is replayed as real-vs-model.sh does (same scenario, case,
# cuts and seed: the same verdicts), one job so the cuts are judged in time
# order, with --check listing, on a read-only mount of each recovered image,
# every file f<i> with its size and blocks (filefrag). Each cut is then put
# in one class by
#   - the outcome, and for lost_fsync the role of the block replay names
#     (data or directory whenever one was lost; journal only when nothing
#     else covered was lost) and whether that block belongs to a file present
#     after recovery;
#   - the files: the promised ones at the cut are f(K-63)..fK, K the
#     promise marks recorded before the cut (the workload deletes f(i-64)
#     after promising fi); "missing" when one of them is absent or not 8 KiB.
# Run from the repository root with ./powercut built (or POWERCUT=...).
# Exit 0 done, 1 a step failed, 2 bad usage or not root.

PC=${POWERCUT:-./powercut}
SC=${SCENARIO:-scenarios/real-vs-model.lua}
cuts=200
while getopts n: o; do
    case $o in
    n) cuts=$OPTARG ;;
    *) echo "usage: $0 [-n CUTS] DIR" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
D=$1
[ $# = 1 ] && [ -r "$D/off.trace" ] || { echo "usage: $0 [-n CUTS] DIR (DIR/off.trace from real-vs-model.sh -k DIR)" >&2; exit 2; }
case $cuts in ''|*[!0-9]*|0) echo "real-vs-model-files: -n takes a positive number" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "real-vs-model-files: needs root (--check mounts each recovered image)" >&2; exit 2; }
D=$(cd "$D" && pwd)

cat >"$D/files.sh" <<'EOS'
for f in d*/f*; do
    [ -f "$f" ] || continue
    b=$(filefrag -v "$f" 2>/dev/null | awk '/^ *[0-9]+:/ { p = $4; sub(/\.\..*/, "", p); l = $6; sub(/:.*/, "", l)
                                                          for (i = 0; i < l; i++) printf "%d,", p + i }')
    printf '%s:%s:%s ' "${f#*/}" "$(stat -c %s "$f")" "$b"
done >>"$FILES_LOG"
echo >>"$FILES_LOG"
EOS
rm -f "$D/files.log"
"$PC" show-trace "$D/off.trace" | awk '$3 == "mark" && $4 ~ /^promise:/ { print $2 }' >"$D/promises.txt"
FILES_LOG=$D/files.log "$PC" replay "$D/off.trace" --scenario "$SC" --case barrier-off -n "$cuts" -j 1 -q \
    --trials-csv "$D/files.csv" --check "sh '$D/files.sh'" || { echo "real-vs-model-files: replay failed" >&2; exit 1; }
[ "$(wc -l <"$D/files.log")" = "$cuts" ] || { echo "real-vs-model-files: not one file list per cut (a cut unmountable?)" >&2; exit 1; }

awk -v P="$D/promises.txt" -v L="$D/files.log" '
    BEGIN { while ((getline t < P) > 0) pt[++np] = t + 0 }
    FNR == 1 { next }
    {   getline line < L
        split($0, a, ","); t = a[4] + 0; out = a[5]
        K = 0; while (K < np && pt[K + 1] <= t) K++
        delete size; delete owner
        n = split(line, ent, " ")
        for (i = 1; i <= n; i++) {
            split(ent[i], e, ":"); size[e[1]] = e[2]
            m = split(e[3], bl, ","); for (j = 1; j <= m; j++) if (bl[j] != "") owner[bl[j]] = e[1]
        }
        miss = ""
        for (i = (K > 63 ? K - 63 : 1); i <= K; i++) if (size["f" i] != 8192) miss = miss " f" i
        files = miss == "" ? "all promised files present" : miss == " f" K ? "latest promised file missing" : "older promised file(s) missing"
        if (out == "consistent") cls = "consistent"
        else if (match($0, /block [0-9]+ \([a-z ]+\)/)) {
            r = substr($0, RSTART, RLENGTH); split(r, w, " "); b = w[2]
            sub(/^block [0-9]+ \(/, "", r); sub(/\)$/, "", r)
            if (r ~ /^journal/) cls = "lost_fsync, journal only"
            else if (r == "data or directory") cls = "lost_fsync, data or dir block of " ((b in owner) ? "a present file" : "no present file")
            else cls = "lost_fsync, " r
        } else cls = out
        c[cls "\t" files]++
    }
    END { for (k in c) { split(k, x, "\t"); printf "%-50s %-32s %d\n", x[1], x[2], c[k] } }' "$D/files.csv" | sort
