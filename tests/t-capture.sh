#!/bin/sh
# tests/t-capture.sh - powercut capture / mark / show-trace against a real ext4
# (README "Capture and replay"). POSIX sh, TAP output. Run from the repository
# root with ./powercut built:  prove -f --exec '' tests/t-capture.sh
# The tests that need root, /dev/fuse, a loop device or mkfs.ext4 print a TAP
# skip with the reason where these are missing. Images are 32 MiB.

PC=${POWERCUT:-./powercut}
T=$(mktemp -d "${TMPDIR:-/tmp}/t-capture.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM
PATH=$PATH:/usr/sbin:/sbin

n=0
nfail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() {
    n=$((n + 1)); nfail=$((nfail + 1)); echo "not ok $n - $1"; shift
    for d in "$@"; do printf '%s\n' "$d" | sed 's/^/#   /'; done
}
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
check() { d=$1; shift; if "$@"; then ok "$d"; else nok "$d" "failed: $*"; fi; }
run() { "$@" >"$T/out" 2>"$T/err"; rc=$?; }

[ -x "$PC" ] || { echo "1..0 # SKIP $PC not built"; exit 0; }
cp "$PC" "$T/powercut" && PC=$T/powercut

# ---- usage (any user) ------------------------------------------------------------------
run $PC capture -- true
check "capture without -o: exit 2, one line" sh -c "[ $rc = 2 ] && [ \$(wc -l <'$T/err') = 1 ] && grep -q '^powercut: capture: missing -o' '$T/err'"
run $PC capture --fs zfs -o "$T/x" -- true
check "capture --fs zfs: exit 2 naming what is supported" sh -c "[ $rc = 2 ] && grep -q 'ext4' '$T/err'"
run env -u POWERCUT_MARK $PC mark foo
check "mark outside capture: exit 2, one line" sh -c "[ $rc = 2 ] && [ \$(wc -l <'$T/err') = 1 ] && grep -q 'POWERCUT_MARK' '$T/err'"
if [ "$(id -u)" != 0 ]; then
    run $PC capture -o "$T/x" -- true
    check "capture as a user: exit 2, 'needs root'" sh -c "[ $rc = 2 ] && [ \$(wc -l <'$T/err') = 1 ] && grep -q 'needs root' '$T/err'"
elif command -v setpriv >/dev/null 2>&1; then
    run setpriv --reuid=65534 --regid=65534 --clear-groups $PC capture -o "$T/x" -- true
    check "capture as a user: exit 2, 'needs root'" sh -c "[ $rc = 2 ] && [ \$(wc -l <'$T/err') = 1 ] && grep -q 'needs root' '$T/err'"
else
    skip "capture as a user: no setpriv to drop root"
fi

# ---- trace input errors (any user) -------------------------------------------------------
printf 'PCTRACE1' >"$T/short.trace"
run $PC replay "$T/short.trace"
check "replay of a truncated trace: exit 2, one line naming the file" sh -c "[ $rc = 2 ] && [ \$(wc -l <'$T/err') = 1 ] && grep -q 'short.trace' '$T/err'"
run $PC show-trace "$T/nonexistent.trace"
check "show-trace of a missing file: exit 1, one line" sh -c "[ $rc = 1 ] && [ \$(wc -l <'$T/err') = 1 ]"
run $PC replay
check "replay without TRACE: exit 2" sh -c "[ $rc = 2 ] && grep -q 'missing TRACE' '$T/err'"

# ---- what the rest needs -------------------------------------------------------------------
why=""
[ "$(id -u)" = 0 ] || why="not root"
[ -z "$why" ] && { [ -c /dev/fuse ] || why="no /dev/fuse"; }
[ -z "$why" ] && { [ -c /dev/loop-control ] || why="no /dev/loop-control"; }
[ -z "$why" ] && { command -v mkfs.ext4 >/dev/null && command -v losetup >/dev/null || why="no mkfs.ext4 or losetup"; }
if [ -n "$why" ]; then
    for t in "fsync'ed write: data, journal body, flush, commit, flush" "marks in order" \
             "command failure" "command crash" "SIGINT" "replay (needs a captured trace)"; do skip "$t: $why"; done
    echo "1..$n"; [ "$nfail" = 0 ]; exit
fi

# Nothing of a capture is left: no mount, loop device, recorder or folder under $TMPDIR.
W=$T/tmp
mkdir "$W"
leftovers() {
    l=""
    mount | grep -q "$W" && l="$l mount"
    losetup -a | grep -q "$W" && l="$l loop"
    ls -d "$W"/powercut-capture-* >/dev/null 2>&1 && l="$l folder"
    echo "$l"
}
cap() { TMPDIR=$W $PC capture --size 32MiB "$@"; }
export TMPDIR=$W

# The command records where the file's data and the journal are, so the trace
# can be read block by block: data sector, journal first and last sector.
cat >"$T/fsync.sh" <<EOS
set -e
dev=\$(findmnt -n -o SOURCE "\$POWERCUT_MNT")
sync
$PC mark before
printf 'hello' > f
python3 -c 'import os; fd = os.open("f", os.O_RDWR); os.fsync(fd)' 2>/dev/null || sync f
$PC mark after
d=\$(filefrag -v f | awk '/^ *0:/ { sub(/\\.\\..*/, "", \$4); print \$4 * 8 }')
j=\$(debugfs -R 'stat <8>' "\$dev" 2>/dev/null | awk '/^\\([0-9]/ { n = split(\$0, e, ", "); for (i = 1; i <= n; i++) { r = e[i]; sub(/.*:/, "", r); split(r, a, "-"); printf "%d %d ", a[1] * 8, a[2] * 8 + 7 } }')
echo "\$d \$j" > "$T/layout"
EOS
run cap -o "$T/fsync.trace" -- sh "$T/fsync.sh"
if [ "$rc" = 0 ] && [ -s "$T/fsync.trace" ]; then ok "capture of an fsync'ed write exits 0"
else nok "capture of an fsync'ed write exits 0" "rc=$rc" "$(cat "$T/err")"; fi
run $PC show-trace "$T/fsync.trace"
cp "$T/out" "$T/fsync.txt"
# between the marks: D (the file's data), J (journal), F (flush), collapsed
seq=$(awk -v lay="$(cat "$T/layout")" '
    BEGIN { k = split(lay, L, " "); d = L[1] }
    function injournal(x,   i) { for (i = 2; i < k; i += 2) if (x >= L[i] && x <= L[i + 1]) return 1; return 0 }
    $3 == "mark" && $4 == "before" { on = 1; next }
    $3 == "mark" && $4 == "after" { on = 0 }
    on && $3 == "flush" { s = s "F" }
    on && $3 == "write" { c = ($4 == d) ? "D" : injournal($4) ? "J" : "O"; s = s c }
    END { print s }' "$T/fsync.txt")
# ordered data, then journal (descriptor + body), flush, commit, flush
if echo "$seq" | grep -Eq '^O*DO*J+FJF$'; then ok "fsync'ed write: data, journal body, flush, commit, flush ($seq)"
else nok "fsync'ed write: data, journal body, flush, commit, flush" "sequence: $seq" "layout: $(cat "$T/layout")"; fi
marks=$(awk '$3 == "mark" { printf "%s ", $4 }' "$T/fsync.txt")
check "marks in order: command-start before after command-end ($marks)" [ "$marks" = "command-start before after command-end " ]
check "no leftovers after success" [ -z "$(leftovers)" ]

run cap -o "$T/fail.trace" -- sh -c 'echo x > a; exit 3'
check "command failure: exit 1, one line, trace written" sh -c "[ $rc = 1 ] && [ \$(wc -l <'$T/err') = 1 ] && grep -q 'status 3' '$T/err' && [ -s '$T/fail.trace' ]"
check "no leftovers after command failure$(leftovers)" [ -z "$(leftovers)" ]

run cap -o "$T/crash.trace" -- sh -c 'echo x > a; kill -SEGV $$'
check "command crash: exit 1, 'killed by signal 11'" sh -c "[ $rc = 1 ] && grep -q 'signal 11' '$T/err'"
check "no leftovers after a crash of the command$(leftovers)" [ -z "$(leftovers)" ]

TMPDIR=$W $PC capture --size 32MiB -o "$T/int.trace" -- sh -c 'sleep 60 & echo x > a; sleep 60' >"$T/out" 2>"$T/err" &
cp_pid=$!
i=0
while [ $i -lt 100 ] && ! mount | grep -q "$W.*/mnt"; do sleep 0.1; i=$((i + 1)); done
sleep 0.3
kill -INT $cp_pid
wait $cp_pid
rc=$?
check "SIGINT: exit 130, no trace, one line" sh -c "[ $rc = 130 ] && [ ! -e '$T/int.trace' ] && [ ! -e '$T/int.trace.partial' ] && grep -q 'interrupted' '$T/err'"
check "no leftovers after SIGINT$(leftovers)" [ -z "$(leftovers)" ]


# ---- replay ---------------------------------------------------------------------------
# outcome COUNT-NAME JSON: the count of the first case
outcome() { awk -v k="\"$1\":" '$1 == k { v = $2; sub(/,/, "", v); print v; exit }' "$2"; }

if command -v e2fsck >/dev/null && command -v e2undo >/dev/null; then
    run $PC replay "$T/fsync.trace" --every-change -j 2 --json "$T/on.json" -q
    c=$(outcome consistent "$T/on.json"); tr=$(awk '$1 == "\"trials\":" { v = $2; sub(/,/, "", v); print v; exit }' "$T/on.json")
    if [ "$rc" = 0 ] && [ -n "$c" ] && [ "$c" = "$tr" ] && [ "$tr" -gt 5 ]; then
        ok "barriers on, honest volatile cache: e2fsck finds every one of $tr durable states consistent"
    else nok "barriers on, honest volatile cache: every durable state consistent" "rc=$rc consistent=$c trials=$tr" "$(head -c 600 "$T/err")"; fi

    run $PC replay "$T/fsync.trace" --every-change -j 2 --set device.flush=ignore --json "$T/lie.json" -q
    l=$(outcome lost_fsync "$T/lie.json")
    check "a drive that ignores flushes loses the fsync'ed write (lost_fsync $l)" sh -c "[ $rc = 0 ] && [ '${l:-0}' -gt 0 ]"

    cat >"$T/many.sh" <<'EOS'
for i in $(seq 1 12); do
    mkdir -p d$((i % 3))
    dd if=/dev/zero of=d$((i % 3))/f$i bs=8k count=1 conv=fsync status=none
done
EOS
    run cap --mount-opts barrier=0 -o "$T/nobarrier.trace" -- sh "$T/many.sh"
    check "capture with barrier=0 exits 0" [ "$rc" = 0 ]
    nflush=$($PC show-trace "$T/nobarrier.trace" | awk '$3 == "flush" { n++ } END { print n + 0 }')
    check "barrier=0: the file system sends no flush while the command runs ($nflush in all)" [ "$nflush" -le 1 ]
    run $PC replay "$T/nobarrier.trace" --every-change -j 2 --set device.policy=random --json "$T/off.json" -q
    bad=$(( $(outcome corrupt "$T/off.json") + $(outcome unmountable "$T/off.json") ))
    if [ "$rc" = 0 ] && [ "$bad" -gt 0 ]; then ok "barrier=0 on a reordering cache: e2fsck finds errors ($bad states)"
    else nok "barrier=0 on a reordering cache: e2fsck finds errors" "rc=$rc corrupt+unmountable=$bad" "$(head -c 600 "$T/err")"; fi
    grep -q '"replay.checker": "e2fsck"' "$T/off.json"
    check "the JSON says the checker was e2fsck" [ $? = 0 ]

    run $PC replay "$T/nobarrier.trace" -n 12 -j 1 --set device.policy=random --json "$T/j1.json" -q
    run $PC replay "$T/nobarrier.trace" -n 12 -j 2 --set device.policy=random --json "$T/j2.json" -q
    check "replay JSON is identical for --jobs 1 and 2" cmp -s "$T/j1.json" "$T/j2.json"
    check "replay leaves no working folder" sh -c "! ls -d '$W'/powercut-replay-* >/dev/null 2>&1"
else
    for t in "replay barriers on" "replay lying drive" "capture barrier=0" "barrier=0 no flush" \
             "replay barrier=0" "checker named" "jobs" "no folder"; do skip "$t: no e2fsck/e2undo"; done
fi

echo "1..$n"
[ "$nfail" = 0 ]
