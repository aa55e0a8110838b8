#!/usr/bin/env bash
# run-bench.sh: heapblame measured side by side with heaptrack, in one
# interleaved run, as ratios.
#
# Why ratios in one run: this is a shared, noisy 2-core VM, so absolute times
# drift by 20% between runs. Every round runs bare, heapblame and heaptrack
# back to back on the same workload, every figure is paired with the same
# round's bare (or heaptrack) run, and the tables show medians over rounds of
# those pairs. The workloads and definitions are the kit's
# (shared/bench/README.md and RESULTS.md): allocbench W1 W2 W3 with -k 0.0005.
#
#   bench/run-bench.sh [alloc]     tracing cost: bare / heapblame run / heaptrack
#   bench/run-bench.sh report      offline analysis: `heapblame report` against
#                                  `heaptrack_print --print-leaks 1` on one
#                                  recording of each workload per tool
#   bench/run-bench.sh scan        the exit-time reachability scan: bench/scanheap
#                                  (1 M live blocks, ~100 MiB) bare, under heapblame
#                                  with and without the scan, and under
#                                  LeakSanitizer; median scan_ns against < 2 s
#   bench/run-bench.sh outlive     where blocks outlive a flush: W4 (allocbench
#                                  with 1 M live blocks), R2 (redis-server
#                                  populated with 2 M keys twice) and soak
#                                  (bench/soak, 60 s paced), interleaved round by
#                                  round; w4, r2 and soak run one of them
#
# Each run goes through bench's `treestat`, which measures the whole process
# tree (wall, CPU of every process, peak of the summed RSS): heaptrack's tree
# includes heaptrack_interpret and zstd, as in the kit's anchor run.
# heapblame's result is checked in every round against allocbench's own
# RESULT line (`heapblame dump`); a failed check voids that workload's figures
# and says so in the table.
#
# Environment knobs (defaults in brackets):
#   ROUNDS [5]             interleaved rounds
#   WORKLOADS [W1 W2 W3; report mode: W1]
#   OUT [build/bench-results/<UTC stamp>]   raw rows runs.tsv, summary.md, machine.txt, kit/
#                          (report mode: report-runs.tsv, report-summary.md)
#   HEAPBLAME [build/analyzer/heapblame]    the command under test
#   HEAPTRACK_RUN [1]      0 skips heaptrack (and heaptrack_print in report
#                          mode; no comparative verdicts then)
#   BUILD [build]          meson build dir: treestat is BUILD/bench/treestat
#   TREESTAT [BUILD/bench/treestat]
#   KIT [<project>/../shared/bench]         the read-only benchmark kit
#   LEAK [0.0005]          allocbench -k
#   EVENTS_SLACK [32]      events heapblame may record beyond allocbench's own
#                          count (the C library and ld.so allocate too: stdio
#                          buffers, thread stacks' TLS); 0 demands equality
#   KEEP_TRACES [0]        1 keeps round 1's traces (report mode: the
#                          recorded traces) in OUT/traces/
#   SNAPSHOT [1]           copy the command and its shim to OUT/tool/ first and
#                          measure the copies, so a rebuild during the run
#                          cannot mix two versions into one table
# Scan mode only (it never runs heaptrack or uses the kit):
#   SCAN_BLOCKS [1000000]  scanheap -n: live blocks at exit (~105 B each)
#   SCAN_LEAK_EVERY [100]  scanheap -l: one chain in N is leaked
#   SCAN_OFF_RUN [1]       0 skips the heapblame run with HEAPBLAME_LEAK_SCAN=0
#   LSAN_RUN [1]           0 skips LeakSanitizer (scanheap built with
#                          -fsanitize=leak, detect_leaks=1 and =0)
# Modes outlive, w4, r2, soak (rows outlive-runs.tsv, tables outlive-summary.md):
#   OUTLIVE [W4 R2 soak]   mode outlive: which workloads, in this order each round
#   W4_ARGS [-t 1 -n 6000000 -d 8 -l 1000000 -k LEAK]   W4's allocbench arguments
#   R2_POPULATE [2000000]  keys of each DEBUG POPULATE
#   R2_LIVE_SLACK [50000]  blocks of the server's own beyond 3 per key at exit
#   R2_START_S [60]        how long a starting redis-server may take to answer PING
#   REDIS_SERVER [redis-server], REDIS_CLI [redis-cli]
#   SOAK [BUILD/bench/soak]  SOAK_SECONDS [60]  SOAK_ARGS []  (more soak options)
#   SOAK_HEAPTRACK_S [5]   one heaptrack run of soak -d N after the rounds, its
#                          tree under prlimit --as=SOAK_HEAPTRACK_AS_MIB [4096]; 0 skips
#   LIVE_SLACK [32]        blocks the C library and the loader may still hold at exit
#   STACK_SLACK [32]       stacks beyond soak's sites (the loader's, libc's)
#   RUN_TIMEOUT [1800]     seconds one run may take (a soak run: plus its
#                          duration) before its whole tree is killed
# Exit status: 0 when the run completed (targets missed or not); 1 when
# heapblame's result check failed in some round; 2 on a usage or set-up error.
# Needs: bash, gcc, awk, coreutils; heaptrack (and zstd, heaptrack_print)
# unless HEAPTRACK_RUN=0; for R2 redis-server and redis-cli (Debian's
# redis-server and redis-tools); for the soak's heaptrack run prlimit.
#
# Adding a mode: write a function mode_NAME that uses build_kit, run_timed and
# the summary helpers, and add it to the `case` at the bottom (mode_report is
# an example).
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT_ROOT=$(dirname "$HERE")
MODE=${1:-alloc}

ROUNDS=${ROUNDS:-5}
[[ $MODE == report ]] && WORKLOADS=${WORKLOADS:-W1} # the workload the report targets are quoted on
[[ $MODE == scan ]] && HEAPTRACK_RUN=0                # scan mode compares with LeakSanitizer instead
case $MODE in w4) OUTLIVE=W4 ;; r2) OUTLIVE=R2 ;; soak) OUTLIVE=soak ;; esac
WORKLOADS=${WORKLOADS:-"W1 W2 W3"}
BUILD=${BUILD:-$PROJECT_ROOT/build}
HEAPBLAME=${HEAPBLAME:-$BUILD/analyzer/heapblame}
HEAPTRACK_RUN=${HEAPTRACK_RUN:-1}
TREESTAT=${TREESTAT:-$BUILD/bench/treestat}
KIT=${KIT:-$(dirname "$PROJECT_ROOT")/shared/bench}
LEAK=${LEAK:-0.0005}
EVENTS_SLACK=${EVENTS_SLACK:-32}
KEEP_TRACES=${KEEP_TRACES:-0}
SNAPSHOT=${SNAPSHOT:-1}
SCAN_BLOCKS=${SCAN_BLOCKS:-1000000}
SCAN_LEAK_EVERY=${SCAN_LEAK_EVERY:-100}
SCAN_OFF_RUN=${SCAN_OFF_RUN:-1}
LSAN_RUN=${LSAN_RUN:-1}
OUTLIVE=${OUTLIVE:-"W4 R2 soak"}
W4_ARGS=${W4_ARGS:-"-t 1 -n 6000000 -d 8 -l 1000000 -k $LEAK"}
R2_POPULATE=${R2_POPULATE:-2000000}
R2_LIVE_SLACK=${R2_LIVE_SLACK:-50000}
R2_START_S=${R2_START_S:-60}
REDIS_SERVER=${REDIS_SERVER:-redis-server}
REDIS_CLI=${REDIS_CLI:-redis-cli}
SOAK=${SOAK:-$BUILD/bench/soak}
SOAK_SECONDS=${SOAK_SECONDS:-60}
SOAK_ARGS=${SOAK_ARGS:-}
SOAK_HEAPTRACK_S=${SOAK_HEAPTRACK_S:-5}
SOAK_HEAPTRACK_AS_MIB=${SOAK_HEAPTRACK_AS_MIB:-4096}
LIVE_SLACK=${LIVE_SLACK:-32}
STACK_SLACK=${STACK_SLACK:-32}
RUN_TIMEOUT=${RUN_TIMEOUT:-1800}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-$BUILD/bench-results/$STAMP}

# Targets (heapblame against heaptrack, medians of paired rounds).
TARGET_SLOWDOWN_RATIO=0.6   # heapblame slowdown <= 0.6 x heaptrack's (wall and CPU)
TARGET_BYTES_PER_EVENT=1.5  # heapblame trace <= 1.5 B/event
TARGET_RSS_RATIO=0.5        # heapblame peak tree RSS <= 0.5 x heaptrack's
# Report mode: `heapblame report` against `heaptrack_print --print-leaks 1`.
TARGET_REPORT_WALL_DIV=3    # heapblame report wall <= heaptrack_print's / 3
TARGET_REPORT_RSS_RATIO=0.5 # heapblame report peak RSS <= 0.5 x heaptrack_print's
# Scan mode: the exit-time reachability scan of 1 M blocks / ~100 MiB.
TARGET_SCAN_S=2             # median scan_ns < 2 s
# Modes outlive, w4, r2, soak: where blocks outlive a flush.
TARGET_OL_SLOWDOWN_RATIO=0.6    # W4, R2: heapblame's slowdown <= 0.6 x heaptrack's (wall and CPU)
TARGET_OL_TRACE_RATIO=0.1       # W4, R2: heapblame's trace <= 0.1 x heaptrack's bytes
TARGET_OL_BYTES_PER_BLOCK=32    # W4, R2: (traced peak RSS - bare's) / peak live blocks <= 32 B
AIM_OL_BYTES_PER_BLOCK=24       #   ... aiming at 24
TARGET_OL_REPORT_WALL_RATIO=0.2 # W4, R2: heapblame report <= 0.2 x heaptrack_print's time
TARGET_OL_REPORT_RSS_RATIO=0.5  #   ... and <= 0.5 x its peak RSS
TARGET_R2_SHUTDOWN_S=2          # R2: SHUTDOWN NOSAVE to exit (exit scan included) <= 2 s
TARGET_SOAK_GROWTH_KBPS=14      # soak: trace bytes / run s <= 14 KB/s
TARGET_SOAK_CPU_RATIO=2.0       # soak: traced whole-tree CPU <= 2.0 x bare's

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/heapblame-bench.XXXXXX")
# At exit, and on a signal: end the runs still in flight (modes outlive, w4,
# r2, soak start them in the background, a redis-server among them), then
# remove the scratch folder.
cleanup() {
    if [[ -n ${OL_GROUPS// /} ]] && declare -F ol_stop_all > /dev/null; then ol_stop_all; fi
    rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'echo "run-bench.sh: interrupted" >&2; exit 130' INT
trap 'echo "run-bench.sh: terminated" >&2; exit 143' TERM
trap 'echo "run-bench.sh: hung up" >&2; exit 129' HUP

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
die() { echo "run-bench.sh: $*" >&2; exit 2; }

# ---------------------------------------------------------------- set-up

check_tools() {
    [[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
    [[ $EVENTS_SLACK =~ ^[0-9]+$ ]] || die "EVENTS_SLACK must be a non-negative integer"
    local wl
    for wl in $WORKLOADS; do wl_args "$wl" > /dev/null; done
    command -v gcc > /dev/null || die "gcc missing (apt-get install gcc)"
    command -v awk > /dev/null || die "awk missing"
    local outlive=0
    [[ $MODE == outlive || $MODE == w4 || $MODE == r2 || $MODE == soak ]] && outlive=1
    if ((outlive)); then
        check_outlive_tools
    else
        [[ $MODE == scan || -d $KIT/src ]] || die "benchmark kit not found at $KIT (set KIT)"
    fi
    if [[ $MODE == scan ]]; then
        if [[ ! $SCAN_BLOCKS =~ ^[0-9]+$ ]] || ((SCAN_BLOCKS < 8)); then die "SCAN_BLOCKS must be an integer >= 8"; fi
        [[ $SCAN_LEAK_EVERY =~ ^[1-9][0-9]*$ ]] || die "SCAN_LEAK_EVERY must be a positive integer"
    fi
    if [[ ! -x $TREESTAT ]]; then
        if [[ -f $BUILD/build.ninja ]]; then
            log "building treestat: ninja -C $BUILD bench/treestat"
            ninja -C "$BUILD" bench/treestat > /dev/null || die "could not build treestat"
        fi
        [[ -x $TREESTAT ]] || die "treestat not found at $TREESTAT (meson setup build && ninja -C build)"
    fi
    [[ -x $HEAPBLAME ]] || die "heapblame command not found at $HEAPBLAME (build it, or set HEAPBLAME)"
    if [[ $HEAPTRACK_RUN == 1 ]]; then
        command -v heaptrack > /dev/null || die "heaptrack missing (apt-get install heaptrack, or HEAPTRACK_RUN=0)"
        if [[ $MODE == report ]] || ((outlive)); then
            command -v heaptrack_print > /dev/null ||
                die "heaptrack_print missing (apt-get install heaptrack, or HEAPTRACK_RUN=0)"
        fi
    fi
}

# Modes outlive, w4, r2, soak: what their workloads need.
check_outlive_tools() {
    local wl
    for wl in $OUTLIVE; do
        case $wl in
            W4) [[ -d $KIT/src ]] || die "benchmark kit not found at $KIT (set KIT), needed for W4" ;;
            R2)
                if ! command -v "$REDIS_SERVER" > /dev/null || ! command -v "$REDIS_CLI" > /dev/null; then
                    die "R2 needs $REDIS_SERVER and $REDIS_CLI: apt-get install redis-server redis-tools (or leave R2 out: OUTLIVE='W4 soak')"
                fi
                [[ $R2_POPULATE =~ ^[1-9][0-9]*$ ]] || die "R2_POPULATE must be a positive integer"
                [[ $R2_LIVE_SLACK =~ ^[0-9]+$ ]] || die "R2_LIVE_SLACK must be a non-negative integer"
                [[ $R2_START_S =~ ^[1-9][0-9]*$ ]] || die "R2_START_S must be a positive integer"
                ;;
            soak)
                if [[ ! $SOAK_SECONDS =~ ^[0-9]+([.][0-9]+)?$ ]] || ! awk -v s="$SOAK_SECONDS" 'BEGIN { exit !(s > 0) }'; then
                    die "SOAK_SECONDS must be a positive number"
                fi
                [[ $SOAK_HEAPTRACK_S =~ ^[0-9]+([.][0-9]+)?$ ]] || die "SOAK_HEAPTRACK_S must be a number (0 skips)"
                [[ $SOAK_HEAPTRACK_AS_MIB =~ ^[1-9][0-9]*$ ]] || die "SOAK_HEAPTRACK_AS_MIB must be a positive integer"
                if [[ ! -x $SOAK ]]; then
                    if [[ -f $BUILD/build.ninja ]]; then
                        log "building soak: ninja -C $BUILD bench/soak"
                        ninja -C "$BUILD" bench/soak > /dev/null || die "could not build bench/soak"
                    fi
                    [[ -x $SOAK ]] || die "soak not found at $SOAK (meson setup build && ninja -C build)"
                fi
                if [[ $HEAPTRACK_RUN == 1 && $SOAK_HEAPTRACK_S != 0 ]]; then
                    command -v prlimit > /dev/null || die "prlimit missing (util-linux), or SOAK_HEAPTRACK_S=0"
                fi
                ;;
            *) die "unknown workload '$wl' in OUTLIVE (W4 R2 soak)" ;;
        esac
    done
    [[ $LIVE_SLACK =~ ^[0-9]+$ && $STACK_SLACK =~ ^[0-9]+$ ]] || die "LIVE_SLACK and STACK_SLACK must be non-negative integers"
    [[ $RUN_TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "RUN_TIMEOUT must be a positive integer (seconds)"
    command -v timeout > /dev/null || die "timeout missing (coreutils)"
    if [[ $HEAPTRACK_RUN == 1 ]]; then
        command -v zstd > /dev/null || die "zstd missing (heaptrack would write gzip; apt-get install zstd, or HEAPTRACK_RUN=0)"
    fi
}

# The kit's binaries for modes outlive and w4 (allocbench, if W4 runs) and
# the soak program (if soak runs), copied next to the figures they gave.
SOAKBIN=
build_outlive() {
    KITBIN=$OUT/kit
    mkdir -p "$KITBIN"
    [[ " $OUTLIVE " == *" W4 "* ]] && build_kit
    if [[ " $OUTLIVE " == *" soak "* ]]; then
        cp "$SOAK" "$KITBIN/soak" || die "could not copy $SOAK to $KITBIN"
        SOAKBIN=$KITBIN/soak
    fi
    return 0
}

# The kit's binaries, built with the kit Makefile's exact flags (frame
# pointers off, as distro code is) into OUT/kit, next to the figures they gave.
KITBIN=
build_kit() {
    KITBIN=$OUT/kit
    mkdir -p "$KITBIN"
    local cflags=(-O2 -g -fomit-frame-pointer -Wall -Wextra -Wno-unused-parameter) src=$KIT/src
    log "building allocbench, libalpha.so, libbeta.so -> $KITBIN"
    gcc "${cflags[@]}" -fPIC -shared -Wl,-soname,libalpha.so -o "$KITBIN/libalpha.so" "$src/alpha.c" ||
        die "kit build failed (libalpha.so)"
    gcc "${cflags[@]}" -fPIC -shared -Wl,-soname,libbeta.so -o "$KITBIN/libbeta.so" "$src/beta.c" ||
        die "kit build failed (libbeta.so)"
    # shellcheck disable=SC2016 # $ORIGIN is for the dynamic linker, not the shell
    gcc "${cflags[@]}" -o "$KITBIN/allocbench" "$src/allocbench.c" -L"$KITBIN" -lalpha -lbeta -pthread \
        -Wl,-rpath,'$ORIGIN' || die "kit build failed (allocbench)"
}

# Freeze what is measured: the command and its shim, copied in the build
# tree's layout (OUT/tool/analyzer/heapblame finds OUT/tool/shim/ itself), or
# HEAPBLAME_SHIM pointed at the copy when that variable chose the shim.
SHIM_USED=
snapshot_tools() {
    local shim
    if [[ -n ${HEAPBLAME_SHIM:-} ]]; then
        shim=$HEAPBLAME_SHIM
    else
        shim=$(dirname "$HEAPBLAME")/../shim/libheapblame.so
    fi
    if [[ $SNAPSHOT != 1 || ! -f $shim ]]; then
        SHIM_USED="(found by the command itself; not snapshotted)"
        return
    fi
    mkdir -p "$OUT/tool/analyzer" "$OUT/tool/shim"
    if ! cp "$HEAPBLAME" "$OUT/tool/analyzer/heapblame" || ! cp "$shim" "$OUT/tool/shim/libheapblame.so"; then
        die "could not snapshot $HEAPBLAME and $shim into $OUT/tool"
    fi
    [[ -n ${HEAPBLAME_SHIM:-} ]] && export HEAPBLAME_SHIM=$OUT/tool/shim/libheapblame.so
    log "measuring snapshots of $HEAPBLAME and $(cd "$(dirname "$shim")" && pwd)/libheapblame.so in $OUT/tool"
    HEAPBLAME=$OUT/tool/analyzer/heapblame
    SHIM_USED=$OUT/tool/shim/libheapblame.so
}

machine_notes() {
    {
        echo "date_utc: $(date -u '+%Y-%m-%d %H:%M:%S')"
        echo "kernel: $(uname -srm)"
        # shellcheck source=/dev/null
        echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
        echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-) x $(nproc)"
        echo "mem: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
        echo "gcc: $(gcc --version | head -1)"
        echo "heapblame: $HEAPBLAME ($("$HEAPBLAME" --version 2>&1 | head -1)) sha256 $(sha256sum < "$HEAPBLAME" | cut -c1-16)"
        echo "shim: $SHIM_USED${SHIM_USED:+ }$([[ -f $SHIM_USED ]] && echo "sha256 $(sha256sum < "$SHIM_USED" | cut -c1-16)")"
        [[ $HEAPTRACK_RUN == 1 ]] && echo "heaptrack: $(heaptrack --version 2>&1 | head -1)"
        [[ $HEAPTRACK_RUN == 1 && $MODE != alloc && $MODE != scan ]] &&
            echo "heaptrack_print: $(heaptrack_print --version 2>&1 | head -1)"
        echo "mode: $MODE"
        if [[ $MODE == scan ]]; then
            echo "rounds: $ROUNDS  scanheap: -n $SCAN_BLOCKS -l $SCAN_LEAK_EVERY  scan_off_run: $SCAN_OFF_RUN  lsan_run: $LSAN_RUN"
        elif [[ $MODE == outlive || $MODE == w4 || $MODE == r2 || $MODE == soak ]]; then
            echo "rounds: $ROUNDS  outlive: $OUTLIVE  live_slack: $LIVE_SLACK  stack_slack: $STACK_SLACK  run_timeout: $RUN_TIMEOUT"
            [[ " $OUTLIVE " == *" W4 "* ]] && echo "W4: allocbench $W4_ARGS"
            [[ " $OUTLIVE " == *" R2 "* ]] && echo "R2: $("$REDIS_SERVER" --version 2>&1 | head -1); populate $R2_POPULATE; live_slack $R2_LIVE_SLACK"
            [[ " $OUTLIVE " == *" soak "* ]] && echo "soak: -d $SOAK_SECONDS $SOAK_ARGS (sha256 $(sha256sum < "$SOAKBIN" | cut -c1-16)); heaptrack once: ${SOAK_HEAPTRACK_S} s, --as ${SOAK_HEAPTRACK_AS_MIB} MiB"
        else
            echo "rounds: $ROUNDS  workloads: $WORKLOADS  leak: $LEAK  events_slack: $EVENTS_SLACK"
        fi
        echo "loadavg at start: $(cat /proc/loadavg)"
    } > "$OUT/machine.txt"
}

# ---------------------------------------------------------------- helpers

wl_args() {
    case $1 in
        W1) echo "-t 1 -n 2000000 -d 8 -l 10000 -k $LEAK" ;;
        W2) echo "-t 2 -n 1000000 -d 16 -l 50000 -k $LEAK" ;;
        W3) echo "-t 1 -n 500000 -d 48 -l 10000 -k $LEAK" ;;
        *) die "unknown workload $1 (W1 W2 W3)" ;;
    esac
}

kv() { # FILE KEY -> value of KEY=value on the first line that has it
    awk -v k="$2" '{ for (i = 1; i <= NF; i++) { p = index($i, "=");
        if (p > 1 && substr($i, 1, p - 1) == k) { print substr($i, p + 1); exit } } }' "$1" 2> /dev/null
}

result_kv() { # STDOUT_FILE KEY -> value from allocbench's RESULT line
    grep -m1 '^RESULT ' "$1" 2> /dev/null | kv /dev/stdin "$2"
}

# allocbench's libbeta.so table row: malloc+calloc+memalign+realloc calls
beta_calls() {
    awk '$1 == "libbeta.so" && NF >= 6 { print $2 + $3 + $4 + $5; exit }' "$1" 2> /dev/null
}

run_timed() { # NAME DIR CMD... -> DIR/NAME.{out,err,ts}; returns the command's status
    local name=$1 d=$2
    shift 2
    "$TREESTAT" -o "$d/$name.ts" -- "$@" > "$d/$name.out" 2> "$d/$name.err"
}

file_bytes() { # FILES... -> total size in bytes (0 if none)
    local total=0 f
    for f in "$@"; do [[ -f $f ]] && total=$((total + $(stat -c %s "$f"))); done
    echo "$total"
}

# verify_heapblame DIR STDOUT -> prints "hb_events diff verdict"
# heapblame dump's totals (after "== totals ==": "key: value" lines and one
# "module PATH: k=v ..." line per module) against allocbench's truth:
#   events: N     must be >= RESULT events and exceed it by <= EVENTS_SLACK
#   lost_events   must be 0
#   libbeta.so    allocs = its malloc+calloc+memalign+realloc calls, and
#                 live_blocks / live_bytes = beta_leaked_blocks / _bytes
verify_heapblame() {
    local dir=$1 out=$2 f totals=$SCRATCH/totals.txt
    local truth ev=0 lost=0 ballocs=0 blive=0 bbytes=0 tb tby tcalls e l a b y
    truth=$(result_kv "$out" events)
    tb=$(result_kv "$out" beta_leaked_blocks)
    tby=$(result_kv "$out" beta_leaked_bytes)
    tcalls=$(beta_calls "$out")
    [[ -n $truth ]] || { echo "- - NO-RESULT-LINE"; return; }
    shopt -s nullglob
    local traces=("$dir"/*)
    shopt -u nullglob
    ((${#traces[@]})) || { echo "- - NO-TRACE"; return; }
    for f in "${traces[@]}"; do
        "$HEAPBLAME" dump "$f" 2> "$SCRATCH/dump.err" |
            awk '/^== totals ==/ { on = 1; next } on' > "$totals" ||
            { echo "- - DUMP-FAILED($(head -c 80 "$SCRATCH/dump.err" | tr -s ' \n\t' '___'))"; return; }
        read -r e l a b y < <(awk '
            $1 == "events:" { e = $2 } $1 == "lost_events:" { l = $2 }
            $1 == "module" && $2 ~ /libbeta\.so:$/ {
                for (i = 3; i <= NF; i++) { split($i, kv, "=");
                    if (kv[1] == "allocs") a = kv[2]; if (kv[1] == "live_blocks") b = kv[2];
                    if (kv[1] == "live_bytes") y = kv[2] } }
            END { printf "%s %s %d %d %d\n", e == "" ? "x" : e, l == "" ? 0 : l, a, b, y }' "$totals")
        [[ $e == x ]] && { echo "- - NO-EVENTS-TOTAL"; return; }
        ev=$((ev + e)); lost=$((lost + l)); ballocs=$((ballocs + a)); blive=$((blive + b)); bbytes=$((bbytes + y))
    done
    local diff=$((ev - truth)) bad=""
    ((diff < 0 || diff > EVENTS_SLACK)) && bad+="events${diff}vs${EVENTS_SLACK},"
    ((lost != 0)) && bad+="lost=$lost,"
    [[ -n $tcalls && $ballocs != "$tcalls" ]] && bad+="beta_allocs=$ballocs/$tcalls,"
    [[ $blive != "$tb" || $bbytes != "$tby" ]] && bad+="beta_leaks=$blive:$bbytes/$tb:$tby,"
    if [[ -n $bad ]]; then echo "$ev $diff MISMATCH(${bad%,})"; else echo "$ev $diff ok"; fi
}

TSV_HDR="round	workload	tool	params	threads	n	events	loop_s	ns_per_op	wall_s	cpu_s	user_s	sys_s	peak_tree_rss_kib	max_proc_rss_kib	exit	trace_bytes	hb_events	events_diff	verify	samples	self_cpu_s"

emit_row() { # ROUND WL TOOL DIR NAME TRACE_BYTES HB_EVENTS DIFF VERIFY
    local r=$1 wl=$2 tool=$3 d=$4 name=$5 tb=$6 hbe=$7 dif=$8 ver=$9 params
    params=$(wl_args "$wl")
    local o=$d/$name.out ts=$d/$name.ts
    local f v vals=()
    for f in threads n events loop_s ns_per_op; do
        v=$(result_kv "$o" "$f"); vals+=("${v:--}")
    done
    for f in wall_s cpu_s user_s sys_s peak_tree_rss_kib max_proc_rss_kib exit; do
        v=$(kv "$ts" "$f"); vals+=("${v:--}")
    done
    local smp slf
    smp=$(kv "$ts" samples); slf=$(kv "$ts" self_cpu_s)
    local IFS=$'\t'
    echo "$r	$wl	$tool	$params	${vals[*]}	$tb	$hbe	$dif	$ver	${smp:--}	${slf:--}" >> "$OUT/runs.tsv"
}

# ---------------------------------------------------------------- mode alloc

run_one() { # ROUND WL TOOL
    local r=$1 wl=$2 tool=$3 args rc d=$SCRATCH/$2.$1
    read -ra args <<< "$(wl_args "$wl")"
    mkdir -p "$d"
    case $tool in
        bare)
            run_timed bare "$d" "$KITBIN/allocbench" "${args[@]}"; rc=$?
            emit_row "$r" "$wl" bare "$d" bare - - - -
            ;;
        heapblame)
            rm -rf "$d/hb"; mkdir -p "$d/hb"
            run_timed heapblame "$d" "$HEAPBLAME" run -o "$d/hb" -- "$KITBIN/allocbench" "${args[@]}"; rc=$?
            local tb hbe dif ver
            tb=$(file_bytes "$d"/hb/*)
            if ((rc != 0)); then
                hbe=-; dif=-; ver="EXIT-$rc"
            else
                read -r hbe dif ver < <(verify_heapblame "$d/hb" "$d/heapblame.out")
            fi
            emit_row "$r" "$wl" heapblame "$d" heapblame "$tb" "$hbe" "$dif" "$ver"
            [[ $ver == ok ]] || log "  !! heapblame $wl round $r: $ver"
            if [[ $KEEP_TRACES == 1 && $r == 1 ]]; then
                mkdir -p "$OUT/traces/$wl"; cp "$d"/hb/* "$OUT/traces/$wl/" 2> /dev/null
            fi
            rm -rf "$d/hb"
            ;;
        heaptrack)
            rm -f "$d"/ht.*
            run_timed heaptrack "$d" heaptrack -o "$d/ht" "$KITBIN/allocbench" "${args[@]}"; rc=$?
            emit_row "$r" "$wl" heaptrack "$d" heaptrack "$(file_bytes "$d"/ht.*)" - - -
            if [[ $KEEP_TRACES == 1 && $r == 1 ]]; then
                mkdir -p "$OUT/traces/$wl"; cp "$d"/ht.* "$OUT/traces/$wl/" 2> /dev/null
            fi
            rm -f "$d"/ht.*
            ;;
    esac
    ((rc == 0)) || log "  !! $tool $wl round $r exited $rc (see $OUT/failed/)"
    if ((rc != 0)); then mkdir -p "$OUT/failed"; cp "$d/$tool.err" "$OUT/failed/$wl.$r.$tool.err"; fi
    return 0
}

# One untimed small run per tool: warms the page cache and fails early if a
# tool does not work at all.
warm_up() {
    local d=$SCRATCH/warm a=(-t 1 -n 20000 -d 8 -l 1000 -k "$LEAK")
    mkdir -p "$d/hb"
    log "warm-up"
    "$KITBIN/allocbench" "${a[@]}" > /dev/null 2>&1 || die "allocbench does not run"
    "$HEAPBLAME" run -o "$d/hb" -- "$KITBIN/allocbench" "${a[@]}" > "$d/out" 2> "$d/err" ||
        { cat "$d/err" >&2; die "heapblame run failed in the warm-up"; }
    if [[ $HEAPTRACK_RUN == 1 ]]; then
        heaptrack -o "$d/ht" "$KITBIN/allocbench" "${a[@]}" > "$d/out" 2> "$d/err" ||
            { cat "$d/err" >&2; die "heaptrack failed in the warm-up"; }
    fi
    rm -rf "$d"
}

mode_alloc() {
    local tools="bare heapblame" r wl tool
    [[ $HEAPTRACK_RUN == 1 ]] && tools+=" heaptrack"
    echo "$TSV_HDR" > "$OUT/runs.tsv"
    warm_up
    for ((r = 1; r <= ROUNDS; r++)); do
        for wl in $WORKLOADS; do
            for tool in $tools; do
                log "round $r/$ROUNDS $wl: $tool"
                run_one "$r" "$wl" "$tool"
            done
            rm -rf "${SCRATCH:?}/$wl.$r"
        done
    done
    {
        summarize_alloc "$OUT/runs.tsv"
        echo
        echo "Run $STAMP: $ROUNDS rounds, $("$HEAPBLAME" --version 2>&1 | head -1)," \
            "load average at start $(awk '/^loadavg/ {print $4, $5, $6}' "$OUT/machine.txt"), at end $(cut -d' ' -f1-3 /proc/loadavg)" \
            "on$(awk -F': ' '/^cpu:/ {print $2}' "$OUT/machine.txt"). Absolute times are for this machine only;" \
            "compare ratios. Raw rows: runs.tsv; machine and versions: machine.txt."
    } > "$OUT/summary.md"
    cat "$OUT/summary.md"
    log "raw rows: $OUT/runs.tsv   summary: $OUT/summary.md"
    if grep -q 'SOME FIGURES ARE VOID' "$OUT/summary.md"; then
        log "heapblame's result check failed: exit 1"
        return 1
    fi
}

# summarize_alloc RUNS.TSV -> markdown: one table per workload.
summarize_alloc() {
    awk -F'\t' -v sr="$TARGET_SLOWDOWN_RATIO" -v tbpe="$TARGET_BYTES_PER_EVENT" \
        -v trss="$TARGET_RSS_RATIO" -v slack="$EVENTS_SLACK" -v leak="$LEAK" '
    function med(s,    a, n, i, j, t) {
        n = split(s, a, " ")
        if (n == 0) return ""
        for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
        return n % 2 ? a[(n + 1) / 2] + 0 : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function lo(s,    a, n, i, m) { n = split(s, a, " "); m = a[1] + 0; for (i = 2; i <= n; i++) if (a[i] + 0 < m) m = a[i] + 0; return m }
    function hi(s,    a, n, i, m) { n = split(s, a, " "); m = a[1] + 0; for (i = 2; i <= n; i++) if (a[i] + 0 > m) m = a[i] + 0; return m }
    function f(x, fmt) { return x == "" ? "–" : sprintf(fmt, x) }
    function rng(s, fmt) { return s == "" ? "–" : sprintf(fmt " (" fmt "–" fmt ")", med(s), lo(s), hi(s)) }
    function num(x) { return x != "" && x != "-" }
    function add(k, v) { L[k] = (k in L) ? L[k] " " v : v }
    function tally(v) { if (v == "PASS") npass++; else if (v == "**VOID**") nvoid++; else if (v != "–") nmiss++ }
    function verdict(v, target, isvoid) { if (v == "") return "–"; if (isvoid) return "**VOID**"; return v <= target ? "PASS" : "**MISS**" }
    NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    {
        wl = $c["workload"]; r = $c["round"]; t = $c["tool"]
        if (!(wl in seenwl)) { seenwl[wl] = 1; wls[++nwl] = wl }
        if (!((wl, r) in seenr)) { seenr[wl, r] = 1; rounds[wl] = rounds[wl] " " r }
        has[wl, t] = 1
        for (k in c) V[wl, r, t, k] = $c[k]
    }
    END {
        print "# heapblame vs heaptrack on allocbench"
        print ""
        print "Medians over interleaved rounds; every ratio is paired within a round, then the median is taken"
        print "(the range over rounds follows in brackets). Slowdown = tool / bare. heapblame / heaptrack = the"
        print "ratio of the two slowdowns in the same round. Targets: slowdown <= " sr " x heaptrack'"'"'s (wall and"
        print "whole-tree CPU), trace <= " tbpe " B/event, peak tree RSS <= " trss " x heaptrack'"'"'s."
        npass = nmiss = nvoid = 0; anyvoid = 0
        for (w = 1; w <= nwl; w++) {
            wl = wls[w]; split("", L)
            nr = split(rounds[wl], R, " ")
            nver = nok = 0; bad = ""
            for (i = 1; i <= nr; i++) {
                r = R[i]
                if (has[wl, "heapblame"] && ((wl, r, "heapblame", "verify") in V)) {
                    nver++
                    if (V[wl, r, "heapblame", "verify"] == "ok") nok++
                    else bad = bad " round " r ": " V[wl, r, "heapblame", "verify"] ";"
                }
                split("bare heapblame heaptrack", T, " ")
                for (j = 1; j <= 3; j++) {
                    t = T[j]
                    if (!((wl, r, t, "wall_s") in V)) continue
                    ev = V[wl, r, t, "events"]; n = V[wl, r, t, "n"]; th = V[wl, r, t, "threads"]
                    if (num(ev)) add("ev", ev)
                    params[wl] = V[wl, r, t, "params"]
                    if (num(V[wl, r, t, "ns_per_op"])) add(t ",ns", V[wl, r, t, "ns_per_op"])
                    add(t ",wall", V[wl, r, t, "wall_s"]); add(t ",cpu", V[wl, r, t, "cpu_s"])
                    add(t ",rss", V[wl, r, t, "peak_tree_rss_kib"] / 1024)
                    add(t ",mrss", V[wl, r, t, "max_proc_rss_kib"] / 1024)
                    if (t != "bare" && num(ev) && ev > 0 && num(V[wl, r, t, "trace_bytes"]))
                        add(t ",bpe", V[wl, r, t, "trace_bytes"] / ev)
                    if (t != "bare" && ((wl, r, "bare", "wall_s") in V)) {
                        bl = V[wl, r, "bare", "loop_s"]; tl = V[wl, r, t, "loop_s"]
                        if (num(bl) && num(tl) && bl > 0) { add(t ",xloop", tl / bl); X[t, "loop", r] = tl / bl }
                        if (V[wl, r, "bare", "wall_s"] > 0) { add(t ",xwall", V[wl, r, t, "wall_s"] / V[wl, r, "bare", "wall_s"]); X[t, "wall", r] = V[wl, r, t, "wall_s"] / V[wl, r, "bare", "wall_s"] }
                        if (V[wl, r, "bare", "cpu_s"] > 0) { add(t ",xcpu", V[wl, r, t, "cpu_s"] / V[wl, r, "bare", "cpu_s"]); X[t, "cpu", r] = V[wl, r, t, "cpu_s"] / V[wl, r, "bare", "cpu_s"] }
                    }
                }
                split("loop wall cpu", M, " ")
                for (j = 1; j <= 3; j++)
                    if (((("heapblame", M[j], r) in X)) && (("heaptrack", M[j], r) in X) && X["heaptrack", M[j], r] > 0)
                        add("ratio," M[j], X["heapblame", M[j], r] / X["heaptrack", M[j], r])
                if (((wl, r, "heapblame", "peak_tree_rss_kib") in V) && ((wl, r, "heaptrack", "peak_tree_rss_kib") in V) && V[wl, r, "heaptrack", "peak_tree_rss_kib"] > 0)
                    add("ratio,rss", V[wl, r, "heapblame", "peak_tree_rss_kib"] / V[wl, r, "heaptrack", "peak_tree_rss_kib"])
                if (((wl, r, "heapblame", "trace_bytes") in V) && ((wl, r, "heaptrack", "trace_bytes") in V) && V[wl, r, "heaptrack", "trace_bytes"] > 0)
                    add("ratio,bpe", V[wl, r, "heapblame", "trace_bytes"] / V[wl, r, "heaptrack", "trace_bytes"])
            }
            void = (nver > 0 && nok < nver)
            if (void) anyvoid = 1
            print ""
            printf "## %s: `allocbench %s` (%d rounds, %.2f M events)\n\n", wl, params[wl], nr, med(L["ev"]) / 1e6
            if (void) {
                print "**!!! heapblame RESULT CHECK FAILED in " (nver - nok) " of " nver " rounds: the heapblame figures below are VOID !!!**"
                print "**" bad "**"
                print ""
            }
            print "| metric (median of rounds) | bare | heapblame | heaptrack | heapblame / heaptrack | target | verdict |"
            print "|---|---|---|---|---|---|---|"
            printf "| loop ns/op (allocbench'"'"'s own, per thread) | %s | %s | %s | | | |\n", f(med(L["bare,ns"]), "%.1f"), f(med(L["heapblame,ns"]), "%.1f"), f(med(L["heaptrack,ns"]), "%.1f")
            printf "| loop slowdown (x bare) | 1 | %s | %s | %s | | |\n", rng(L["heapblame,xloop"], "%.2f"), rng(L["heaptrack,xloop"], "%.2f"), rng(L["ratio,loop"], "%.2f")
            printf "| wall s (whole command) | %s | %s | %s | | | |\n", f(med(L["bare,wall"]), "%.3f"), f(med(L["heapblame,wall"]), "%.3f"), f(med(L["heaptrack,wall"]), "%.3f")
            v = verdict(med(L["ratio,wall"]), sr, void); tally(v)
            printf "| wall slowdown (x bare) | 1 | %s | %s | %s | <= %s | %s |\n", rng(L["heapblame,xwall"], "%.2f"), rng(L["heaptrack,xwall"], "%.2f"), rng(L["ratio,wall"], "%.2f"), sr, v
            printf "| whole-tree CPU s | %s | %s | %s | | | |\n", f(med(L["bare,cpu"]), "%.3f"), f(med(L["heapblame,cpu"]), "%.3f"), f(med(L["heaptrack,cpu"]), "%.3f")
            v = verdict(med(L["ratio,cpu"]), sr, void); tally(v)
            printf "| whole-tree CPU slowdown (x bare) | 1 | %s | %s | %s | <= %s | %s |\n", rng(L["heapblame,xcpu"], "%.2f"), rng(L["heaptrack,xcpu"], "%.2f"), rng(L["ratio,cpu"], "%.2f"), sr, v
            v = verdict(med(L["heapblame,bpe"]), tbpe, void); tally(v)
            printf "| trace bytes / event | – | %s | %s | %s | heapblame <= %s | %s |\n", f(med(L["heapblame,bpe"]), "%.3f"), f(med(L["heaptrack,bpe"]), "%.3f"), f(med(L["ratio,bpe"]), "%.3f"), tbpe, v
            v = verdict(med(L["ratio,rss"]), trss, void); tally(v)
            printf "| peak tree RSS MiB (sampled, 5 ms) | %s | %s | %s | %s | <= %s | %s |\n", f(med(L["bare,rss"]), "%.1f"), f(med(L["heapblame,rss"]), "%.1f"), f(med(L["heaptrack,rss"]), "%.1f"), rng(L["ratio,rss"], "%.2f"), trss, v
            printf "| largest single-process RSS MiB (ru_maxrss) | %s | %s | %s | | | |\n", f(med(L["bare,mrss"]), "%.1f"), f(med(L["heapblame,mrss"]), "%.1f"), f(med(L["heaptrack,mrss"]), "%.1f")
            if (nver > 0)
                printf "| heapblame result = allocbench RESULT (dump events, libbeta leaks) | | %d of %d rounds ok | | | every round | %s |\n", nok, nver, void ? "**MISMATCH**" : "PASS"
        }
        print ""
        printf "Targets: %d PASS, %d MISS, %d VOID%s.\n", npass, nmiss, nvoid, anyvoid ? "; SOME FIGURES ARE VOID (heapblame result check failed)" : ""
        print ""
        print "Result check: heapblame dump'"'"'s `events:` may exceed allocbench'"'"'s RESULT events by at most " slack " (allocations"
        print "the C library and ld.so make outside allocbench'"'"'s count); libbeta.so'"'"'s allocation calls and live blocks/bytes"
        print "must equal allocbench'"'"'s table and RESULT exactly; lost_events must be 0."
    }' "$1"
}

# ---------------------------------------------------------------- mode report
#
# Offline analysis: once per workload, record one heapblame trace and one
# heaptrack trace of the same allocbench run (untimed); then in every round
# time `heapblame report TRACE...` and `heaptrack_print -f FILE.zst
# --print-leaks 1` back to back under treestat, both with their output sent
# to /dev/null. The tool that goes first swaps every round (heapblame first in
# odd rounds), so neither always runs right after the other. After the timed
# pair, an untimed `heapblame report --format json` is checked against the
# recording's allocbench RESULT line.

REPORT_HDR="round	workload	tool	position	params	wall_s	cpu_s	user_s	sys_s	peak_tree_rss_kib	max_proc_rss_kib	procs	exit	trace_bytes	events	beta_blocks	beta_bytes	verify	samples	self_cpu_s"

# beta_from_json FILE -> "N BLOCKS BYTES": how many top-level modules[]
# entries are named libbeta.so, and their outstanding_blocks /
# outstanding_bytes summed. A small JSON scanner rather than a grep, because
# processes[].modules[] lists the module again per trace and the order of keys
# within an object is not part of the schema (docs/report-json.md).
beta_from_json() {
    awk '
    function inmod() { return d == 3 && stk[1] == "{" && stk[2] == "[" && kfor[2] == "modules" && stk[3] == "{" }
    function val(v) { if (inmod() && key != "") F[key] = v; key = "" }
    { s = s $0 "\n" }
    END {
        n = length(s); d = 0; key = ""; found = 0; blk = 0; byt = 0; bad = 0
        for (i = 1; i <= n; i++) {
            ch = substr(s, i, 1)
            if (ch == "\"") {
                for (j = i + 1; j <= n; j++) { c = substr(s, j, 1); if (c == "\\") j++; else if (c == "\"") break }
                str = substr(s, i + 1, j - i - 1)
                for (k = j + 1; k <= n && substr(s, k, 1) ~ /[ \t\r\n]/; k++) ;
                if (substr(s, k, 1) == ":") { key = str; i = k } else { val(str); i = j }
            } else if (ch == "{" || ch == "[") {
                stk[++d] = ch; kfor[d] = key; key = ""
                if (inmod()) split("", F)
            } else if (ch == "}" || ch == "]") {
                if (ch == "}" && inmod() && F["name"] == "libbeta.so") {
                    found++
                    if (F["outstanding_blocks"] ~ /^[0-9]+$/ && F["outstanding_bytes"] ~ /^[0-9]+$/) {
                        blk += F["outstanding_blocks"]; byt += F["outstanding_bytes"]
                    } else bad = 1
                }
                d--; key = ""
            } else if (ch ~ /[-0-9a-zA-Z]/) {
                for (j = i; j <= n && substr(s, j, 1) ~ /[-+0-9a-zA-Z.]/; j++) ;
                val(substr(s, i, j - i)); i = j - 1
            }
        }
        if (bad) print "bad - -"; else printf "%d %d %d\n", found, blk, byt
    }' "$1"
}

# verify_report_json TRUTH_OUT TRACES... -> prints "blocks bytes verdict":
# libbeta.so in `heapblame report --format json` against the recording's
# allocbench RESULT beta_leaked_blocks / beta_leaked_bytes.
verify_report_json() {
    local out=$1 json=$SCRATCH/report.json tb tby found blk byt rc
    shift
    tb=$(result_kv "$out" beta_leaked_blocks)
    tby=$(result_kv "$out" beta_leaked_bytes)
    [[ -n $tb && -n $tby ]] || { echo "- - NO-RESULT-LINE"; return; }
    "$HEAPBLAME" report --format json "$@" > "$json" 2> "$SCRATCH/json.err"; rc=$?
    ((rc == 0)) || { echo "- - JSON-EXIT-$rc($(head -c 80 "$SCRATCH/json.err" | tr -s ' \n\t' '___'))"; return; }
    read -r found blk byt < <(beta_from_json "$json")
    [[ $found == bad ]] && { echo "- - JSON-LIBBETA-FIELDS-MISSING"; return; }
    ((found > 0)) || { echo "0 0 NO-LIBBETA-MODULE(beta_leaks=0:0/$tb:$tby)"; return; }
    if [[ $blk == "$tb" && $byt == "$tby" ]]; then
        echo "$blk $byt ok"
    else
        echo "$blk $byt MISMATCH(beta_leaks=$blk:$byt/$tb:$tby)"
    fi
}

# record_traces WL: one heapblame and (unless HEAPTRACK_RUN=0) one heaptrack
# recording of WL, untimed, into SCRATCH/rec.WL/{hb/,ht.zst}, with
# allocbench's output next to them (hb.out is the truth the rounds check).
record_traces() {
    local wl=$1 d=$SCRATCH/rec.$1 args rc
    read -ra args <<< "$(wl_args "$wl")"
    rm -rf "$d"; mkdir -p "$d/hb"
    log "$wl: recording with heapblame run"
    "$HEAPBLAME" run -o "$d/hb" -- "$KITBIN/allocbench" "${args[@]}" > "$d/hb.out" 2> "$d/hb.err"; rc=$?
    ((rc == 0)) || { cat "$d/hb.err" >&2; die "heapblame run failed recording $wl (exit $rc)"; }
    [[ -n $(result_kv "$d/hb.out" events) ]] || die "no RESULT line from allocbench recording $wl under heapblame"
    shopt -s nullglob
    local traces=("$d"/hb/*)
    shopt -u nullglob
    ((${#traces[@]})) || die "heapblame run wrote no trace for $wl"
    if [[ $HEAPTRACK_RUN == 1 ]]; then
        log "$wl: recording with heaptrack"
        heaptrack -o "$d/ht" "$KITBIN/allocbench" "${args[@]}" > "$d/ht.out" 2> "$d/ht.err"; rc=$?
        ((rc == 0)) || { cat "$d/ht.err" >&2; die "heaptrack failed recording $wl (exit $rc)"; }
        [[ -f $d/ht.zst ]] || die "heaptrack wrote no $d/ht.zst for $wl (zstd missing?)"
        local f
        for f in events beta_leaked_blocks beta_leaked_bytes; do
            [[ $(result_kv "$d/hb.out" "$f") == "$(result_kv "$d/ht.out" "$f")" ]] ||
                log "  !! $wl: allocbench's $f differs between the two recordings"
        done
    fi
    if [[ $KEEP_TRACES == 1 ]]; then
        mkdir -p "$OUT/traces/$wl"
        cp "$d"/hb/* "$OUT/traces/$wl/"
        [[ $HEAPTRACK_RUN == 1 ]] && cp "$d/ht.zst" "$OUT/traces/$wl/"
    fi
    return 0
}

run_quiet_timed() { # NAME DIR CMD... -> DIR/NAME.{err,ts}, output to /dev/null
    local name=$1 d=$2
    shift 2
    "$TREESTAT" -o "$d/$name.ts" -- "$@" > /dev/null 2> "$d/$name.err"
}

emit_report_row() { # ROUND WL TOOL POSITION DIR TRACE_BYTES BETA_BLOCKS BETA_BYTES VERIFY
    local r=$1 wl=$2 tool=$3 pos=$4 d=$5 tb=$6 bb=$7 by=$8 ver=$9 ts=$5/$3.ts f v vals=()
    for f in wall_s cpu_s user_s sys_s peak_tree_rss_kib max_proc_rss_kib procs exit; do
        v=$(kv "$ts" "$f"); vals+=("${v:--}")
    done
    local ev smp slf
    ev=$(result_kv "$SCRATCH/rec.$wl/hb.out" events); smp=$(kv "$ts" samples); slf=$(kv "$ts" self_cpu_s)
    local IFS=$'\t'
    echo "$r	$wl	$tool	$pos	$(wl_args "$wl")	${vals[*]}	$tb	${ev:--}	$bb	$by	$ver	${smp:--}	${slf:--}" >> "$OUT/report-runs.tsv"
}

report_one() { # ROUND WL TOOL POSITION
    local r=$1 wl=$2 tool=$3 pos=$4 rec=$SCRATCH/rec.$2 d=$SCRATCH/$2.$1 rc traces
    mkdir -p "$d"
    traces=("$rec"/hb/*)
    case $tool in
        heapblame)
            run_quiet_timed "$tool" "$d" "$HEAPBLAME" report "${traces[@]}"; rc=$?
            local bb=- by=- ver
            if ((rc != 0)); then
                ver="EXIT-$rc"
            else
                read -r bb by ver < <(verify_report_json "$rec/hb.out" "${traces[@]}")
            fi
            emit_report_row "$r" "$wl" "$tool" "$pos" "$d" "$(file_bytes "${traces[@]}")" "$bb" "$by" "$ver"
            [[ $ver == ok ]] || log "  !! heapblame report $wl round $r: $ver"
            ;;
        heaptrack)
            run_quiet_timed "$tool" "$d" heaptrack_print -f "$rec/ht.zst" --print-leaks 1; rc=$?
            emit_report_row "$r" "$wl" "$tool" "$pos" "$d" "$(file_bytes "$rec/ht.zst")" - - -
            ;;
    esac
    if ((rc != 0)); then
        log "  !! $tool $wl round $r exited $rc (see $OUT/failed/)"
        mkdir -p "$OUT/failed"; cp "$d/$tool.err" "$OUT/failed/report.$wl.$r.$tool.err"
    fi
    return 0
}

mode_report() {
    local r wl tool pos order rec traces
    echo "$REPORT_HDR" > "$OUT/report-runs.tsv"
    for wl in $WORKLOADS; do record_traces "$wl"; done
    log "warm-up (one untimed analysis per tool and workload)"
    for wl in $WORKLOADS; do
        rec=$SCRATCH/rec.$wl
        traces=("$rec"/hb/*)
        "$HEAPBLAME" report "${traces[@]}" > /dev/null 2> "$SCRATCH/warm.err" ||
            { cat "$SCRATCH/warm.err" >&2; die "heapblame report failed in the warm-up ($wl)"; }
        if [[ $HEAPTRACK_RUN == 1 ]]; then
            heaptrack_print -f "$rec/ht.zst" --print-leaks 1 > /dev/null 2> "$SCRATCH/warm.err" ||
                { cat "$SCRATCH/warm.err" >&2; die "heaptrack_print failed in the warm-up ($wl)"; }
        fi
    done
    for ((r = 1; r <= ROUNDS; r++)); do
        order=heapblame
        if [[ $HEAPTRACK_RUN == 1 ]]; then
            if ((r % 2)); then order="heapblame heaptrack"; else order="heaptrack heapblame"; fi
        fi
        for wl in $WORKLOADS; do
            pos=0
            for tool in $order; do
                pos=$((pos + 1))
                log "round $r/$ROUNDS $wl: $tool"
                report_one "$r" "$wl" "$tool" "$pos"
            done
            rm -rf "${SCRATCH:?}/$wl.$r"
        done
    done
    {
        summarize_report "$OUT/report-runs.tsv"
        echo
        echo "Run $STAMP: $ROUNDS rounds, $("$HEAPBLAME" --version 2>&1 | head -1)," \
            "$(if [[ $HEAPTRACK_RUN == 1 ]]; then heaptrack_print --version 2>&1 | head -1; else echo "no heaptrack_print"; fi)," \
            "load average at start $(awk '/^loadavg/ {print $4, $5, $6}' "$OUT/machine.txt"), at end $(cut -d' ' -f1-3 /proc/loadavg)" \
            "on$(awk -F': ' '/^cpu:/ {print $2}' "$OUT/machine.txt"). Absolute times are for this machine only;" \
            "compare ratios. Raw rows: report-runs.tsv; machine and versions: machine.txt."
    } > "$OUT/report-summary.md"
    cat "$OUT/report-summary.md"
    log "raw rows: $OUT/report-runs.tsv   summary: $OUT/report-summary.md"
    if grep -q 'SOME FIGURES ARE VOID' "$OUT/report-summary.md"; then
        log "heapblame report's result check failed: exit 1"
        return 1
    fi
}

# summarize_report REPORT-RUNS.TSV -> markdown: one table per workload.
summarize_report() {
    awk -F'\t' -v wdiv="$TARGET_REPORT_WALL_DIV" -v trss="$TARGET_REPORT_RSS_RATIO" '
    function med(s,    a, n, i, j, t) {
        n = split(s, a, " ")
        if (n == 0) return ""
        for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
        return n % 2 ? a[(n + 1) / 2] + 0 : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function lo(s,    a, n, i, m) { n = split(s, a, " "); m = a[1] + 0; for (i = 2; i <= n; i++) if (a[i] + 0 < m) m = a[i] + 0; return m }
    function hi(s,    a, n, i, m) { n = split(s, a, " "); m = a[1] + 0; for (i = 2; i <= n; i++) if (a[i] + 0 > m) m = a[i] + 0; return m }
    function f(x, fmt) { return x == "" ? "–" : sprintf(fmt, x) }
    function rng(s, fmt) { return s == "" ? "–" : sprintf(fmt " (" fmt "–" fmt ")", med(s), lo(s), hi(s)) }
    function num(x) { return x != "" && x != "-" }
    function add(k, v) { L[k] = (k in L) ? L[k] " " v : v }
    function tally(v) { if (v == "PASS") npass++; else if (v == "**VOID**") nvoid++; else if (v != "–") nmiss++ }
    function verdict(v, target, isvoid) { if (v == "") return "–"; if (isvoid) return "**VOID**"; return v <= target ? "PASS" : "**MISS**" }
    NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    {
        wl = $c["workload"]; r = $c["round"]; t = $c["tool"]
        if (!(wl in seenwl)) { seenwl[wl] = 1; wls[++nwl] = wl }
        if (!((wl, r) in seenr)) { seenr[wl, r] = 1; rounds[wl] = rounds[wl] " " r }
        has[wl, t] = 1
        for (k in c) V[wl, r, t, k] = $c[k]
    }
    END {
        tw = 1 / wdiv
        print "# heapblame report vs heaptrack_print --print-leaks 1 (offline analysis)"
        print ""
        print "One recording per tool and workload; every round times `heapblame report TRACE` and"
        print "`heaptrack_print -f FILE.zst --print-leaks 1` back to back (output to /dev/null, first tool swapped"
        print "every round). Medians over rounds, range in brackets; each ratio is paired within a round. Both are"
        print "single processes, so peak RSS is ru_maxrss (treestat max_proc_rss_kib, exact); the 5 ms sampled"
        print "peak tree RSS is shown too. Targets: wall <= 1/" wdiv " of heaptrack_print'"'"'s, peak RSS <= " trss " x."
        npass = nmiss = nvoid = 0; anyvoid = 0
        for (w = 1; w <= nwl; w++) {
            wl = wls[w]; split("", L)
            nr = split(rounds[wl], R, " ")
            nver = nok = 0; bad = ""; split("", maxprocs)
            for (i = 1; i <= nr; i++) {
                r = R[i]
                if (((wl, r, "heapblame", "verify") in V)) {
                    nver++
                    if (V[wl, r, "heapblame", "verify"] == "ok") nok++
                    else bad = bad " round " r ": " V[wl, r, "heapblame", "verify"] ";"
                }
                for (j = 1; j <= 2; j++) {
                    t = j == 1 ? "heapblame" : "heaptrack"
                    if (!((wl, r, t, "wall_s") in V)) continue
                    params[wl] = V[wl, r, t, "params"]
                    if (num(V[wl, r, t, "events"])) ev[wl] = V[wl, r, t, "events"]
                    if (num(V[wl, r, t, "trace_bytes"])) tb[wl, t] = V[wl, r, t, "trace_bytes"]
                    if (V[wl, r, t, "exit"] != "0") continue
                    if (V[wl, r, t, "procs"] + 0 > maxprocs[t]) maxprocs[t] = V[wl, r, t, "procs"] + 0
                    add(t ",wall", V[wl, r, t, "wall_s"]); add(t ",cpu", V[wl, r, t, "cpu_s"])
                    add(t ",mrss", V[wl, r, t, "max_proc_rss_kib"] / 1024)
                    add(t ",rss", V[wl, r, t, "peak_tree_rss_kib"] / 1024)
                }
                if (V[wl, r, "heapblame", "exit"] == "0" && V[wl, r, "heaptrack", "exit"] == "0") {
                    split("wall_s cpu_s max_proc_rss_kib peak_tree_rss_kib", M, " ")
                    split("wall cpu mrss rss", N, " ")
                    for (j = 1; j <= 4; j++)
                        if (V[wl, r, "heaptrack", M[j]] > 0) add("ratio," N[j], V[wl, r, "heapblame", M[j]] / V[wl, r, "heaptrack", M[j]])
                }
            }
            void = (nver > 0 && nok < nver)
            if (void) anyvoid = 1
            print ""
            printf "## %s: `allocbench %s` (%d rounds, %.2f M events)\n\n", wl, params[wl], nr, ev[wl] / 1e6
            if (void) {
                print "**!!! heapblame report RESULT CHECK FAILED in " (nver - nok) " of " nver " rounds: the heapblame figures below are VOID !!!**"
                print "**" bad "**"
                print ""
            }
            print "| metric (median of rounds) | heapblame report | heaptrack_print | heapblame / heaptrack_print | target | verdict |"
            print "|---|---|---|---|---|---|"
            v = verdict(med(L["ratio,wall"]), tw, void); tally(v)
            printf "| wall s | %s | %s | %s | <= 1/%s (%.3f) | %s |\n", rng(L["heapblame,wall"], "%.3f"), rng(L["heaptrack,wall"], "%.3f"), rng(L["ratio,wall"], "%.3f"), wdiv, tw, v
            printf "| CPU s (user+sys) | %s | %s | %s | | |\n", f(med(L["heapblame,cpu"]), "%.3f"), f(med(L["heaptrack,cpu"]), "%.3f"), rng(L["ratio,cpu"], "%.3f")
            v = verdict(med(L["ratio,mrss"]), trss, void); tally(v)
            printf "| peak RSS MiB (ru_maxrss = max_proc_rss_kib) | %s | %s | %s | <= %s | %s |\n", f(med(L["heapblame,mrss"]), "%.1f"), f(med(L["heaptrack,mrss"]), "%.1f"), rng(L["ratio,mrss"], "%.3f"), trss, v
            printf "| peak tree RSS MiB (sampled, 5 ms) | %s | %s | %s | | |\n", f(med(L["heapblame,rss"]), "%.1f"), f(med(L["heaptrack,rss"]), "%.1f"), rng(L["ratio,rss"], "%.3f")
            printf "| trace size bytes (B/event) | %s | %s | %s | | |\n", \
                ((wl, "heapblame") in tb) ? sprintf("%d (%.3f)", tb[wl, "heapblame"], ev[wl] > 0 ? tb[wl, "heapblame"] / ev[wl] : 0) : "–", \
                ((wl, "heaptrack") in tb) ? sprintf("%d (%.3f)", tb[wl, "heaptrack"], ev[wl] > 0 ? tb[wl, "heaptrack"] / ev[wl] : 0) : "–", \
                (((wl, "heapblame") in tb) && tb[wl, "heaptrack"] > 0) ? sprintf("%.4f", tb[wl, "heapblame"] / tb[wl, "heaptrack"]) : "–"
            printf "| processes per run (treestat procs, max) | %s | %s | | | |\n", f(maxprocs["heapblame"], "%d"), f(maxprocs["heaptrack"], "%d")
            if (nver > 0)
                printf "| report --format json: libbeta.so outstanding = allocbench RESULT beta_leaked | %d of %d rounds ok | | | every round | %s |\n", nok, nver, void ? "**MISMATCH**" : "PASS"
        }
        print ""
        printf "Targets: %d PASS, %d MISS, %d VOID%s.\n", npass, nmiss, nvoid, anyvoid ? "; SOME FIGURES ARE VOID (heapblame report result check failed)" : ""
    }' "$1"
}

# ---------------------------------------------------------------- mode scan
#
# The exit-time reachability scan. bench/scanheap builds SCAN_BLOCKS live
# blocks (~105 B each, ~100 MiB for 1 M; a quarter of the words point to
# other blocks; chain heads in a global table; one chain in SCAN_LEAK_EVERY
# leaked) and returns from main. Every round runs, back to back under
# treestat, in an order rotated by one every round:
#   bare       scanheap
#   heapblame  heapblame run -o DIR -- scanheap          (the scan runs at exit)
#   hb-noscan  the same with HEAPBLAME_LEAK_SCAN=0       (SCAN_OFF_RUN=1)
#   lsan       scanheap built -fsanitize=leak, detect_leaks=1   (LSAN_RUN=1)
#   lsan-off   the same with detect_leaks=0
# The scan's own time is the `scan_ns` of `heapblame dump --totals-only`
# (the SCAN record: from stopping the threads to the last block classified);
# its whole cost at exit, REACH records included, is heapblame's wall minus
# hb-noscan's in the same round; LeakSanitizer's leak check, as an anchor,
# is lsan's wall minus lsan-off's (its report and symbolization included).
# Every heapblame run is checked against scanheap's RESULT line: scan done,
# definite and indirect blocks and bytes equal, reachable at least the
# program's, nothing unclassified, nothing lost. hb-noscan must say
# `scan: off`; lsan must report exactly definite + indirect bytes and blocks.

SCAN_HDR="round	tool	position	wall_s	cpu_s	user_s	sys_s	peak_tree_rss_kib	max_proc_rss_kib	exit	blocks	bytes	build_s	scan	scan_ns	live_bytes	definite_blocks	indirect_blocks	reachable_blocks	unclassified_blocks	trace_bytes	verify"

# The benchmark program, with the kit Makefile's optimization flags, and
# with LeakSanitizer if gcc can (LSAN_RUN is turned off otherwise).
build_scanheap() {
    local cflags=(-O2 -g -fomit-frame-pointer -Wall -Wextra)
    KITBIN=$OUT/kit
    mkdir -p "$KITBIN"
    log "building scanheap -> $KITBIN"
    gcc "${cflags[@]}" -o "$KITBIN/scanheap" "$HERE/scanheap.c" || die "could not build bench/scanheap.c"
    if [[ $LSAN_RUN == 1 ]] &&
        ! gcc "${cflags[@]}" -fsanitize=leak -o "$KITBIN/scanheap-lsan" "$HERE/scanheap.c" 2> "$SCRATCH/lsan-build.err"; then
        log "gcc -fsanitize=leak failed ($(head -c 120 "$SCRATCH/lsan-build.err" | tr '\n' ' ')): LSAN_RUN=0"
        LSAN_RUN=0
    fi
}

scan_args() { echo "-n $SCAN_BLOCKS -l $SCAN_LEAK_EVERY"; }

# verify_scan TOOL DIR STDOUT STDERR -> one line of 10 fields:
#   "scan scan_ns live_bytes definite indirect reachable unclassified
#    blocks bytes verdict"
# heapblame: `heapblame dump --totals-only` against scanheap's RESULT;
# hb-noscan: `scan: off`; lsan: LeakSanitizer's SUMMARY against definite +
# indirect. A dump without a `scan:` key (an analyzer older than the scan)
# gives NO-SCAN-KEY.
verify_scan() {
    local tool=$1 dir=$2 out=$3 err=$4 totals=$SCRATCH/scan-totals.txt
    local tb ty tdb tdy tib tiy trb f
    tb=$(result_kv "$out" blocks); ty=$(result_kv "$out" bytes)
    tdb=$(result_kv "$out" definite_blocks); tdy=$(result_kv "$out" definite_bytes)
    tib=$(result_kv "$out" indirect_blocks); tiy=$(result_kv "$out" indirect_bytes)
    trb=$(result_kv "$out" reachable_blocks)
    [[ -n $tb && -n $tdb && -n $tib && -n $trb ]] || { echo "- - - - - - - - - NO-RESULT-LINE"; return; }
    case $tool in
        lsan)
            local lb ly
            read -r ly lb < <(awk '/^SUMMARY: LeakSanitizer:/ { print $3, $7 }' "$err")
            if [[ $ly == "$((tdy + tiy))" && $lb == "$((tdb + tib))" ]]; then
                echo "- - - - - - - $tb $ty ok"
            else
                echo "- - - - - - - $tb $ty LSAN-MISMATCH(${lb:-none}:${ly:-none}/$((tdb + tib)):$((tdy + tiy)))"
            fi
            return
            ;;
        bare | lsan-off) echo "- - - - - - - $tb $ty ok"; return ;;
    esac
    shopt -s nullglob
    local traces=("$dir"/*)
    shopt -u nullglob
    ((${#traces[@]} == 1)) || { echo "- - - - - - - $tb $ty TRACES-${#traces[@]}"; return; }
    "$HEAPBLAME" dump --totals-only "${traces[0]}" > "$totals" 2> "$SCRATCH/scan-dump.err" ||
        { echo "- - - - - - - $tb $ty DUMP-FAILED($(head -c 80 "$SCRATCH/scan-dump.err" | tr -s ' \n\t' '___'))"; return; }
    local scan ns lb ly db dy ib iy rb ub lost
    read -r scan ns lb ly db dy ib iy rb _ ub lost < <(awk -F': ' '
        { v[$1] = $2 }
        END {
            n = split("scan scan_ns live_blocks live_bytes definite_blocks definite_bytes indirect_blocks indirect_bytes reachable_blocks reachable_bytes unclassified_blocks lost_events", k, " ")
            for (i = 1; i <= n; i++) printf "%s ", (k[i] in v) && v[k[i]] != "" ? v[k[i]] : "-"
            print ""
        }' "$totals")
    local fields="$scan $ns $ly $db $ib $rb $ub $tb $ty"
    if [[ $scan == - ]]; then
        echo "$fields NO-SCAN-KEY"
        return
    fi
    local bad=""
    if [[ $tool == hb-noscan ]]; then
        [[ $scan == off ]] || bad+="scan=$scan-not-off,"
        [[ $ub == "$lb" ]] || bad+="unclassified=$ub/$lb,"
    else
        [[ $scan == "done" ]] || bad+="scan=$scan,"
        [[ $db == "$tdb" && $dy == "$tdy" ]] || bad+="definite=$db:$dy/$tdb:$tdy,"
        [[ $ib == "$tib" && $iy == "$tiy" ]] || bad+="indirect=$ib:$iy/$tib:$tiy,"
        [[ $rb =~ ^[0-9]+$ ]] && ((rb >= trb)) || bad+="reachable=$rb<$trb,"
        [[ $ub == 0 ]] || bad+="unclassified=$ub,"
        [[ $ns =~ ^[0-9]+$ ]] && ((ns > 0)) || bad+="scan_ns=$ns,"
    fi
    [[ $lost == 0 ]] || bad+="lost=$lost,"
    if [[ -n $bad ]]; then echo "$fields MISMATCH(${bad%,})"; else echo "$fields ok"; fi
}

scan_one() { # ROUND TOOL POSITION
    local r=$1 tool=$2 pos=$3 d=$SCRATCH/scan.$1 rc args
    read -ra args <<< "$(scan_args)"
    mkdir -p "$d"
    rm -rf "$d/hb"; mkdir -p "$d/hb"
    case $tool in
        bare) run_timed "$tool" "$d" "$KITBIN/scanheap" "${args[@]}" ;;
        heapblame) run_timed "$tool" "$d" "$HEAPBLAME" run -q -o "$d/hb" -- "$KITBIN/scanheap" "${args[@]}" ;;
        hb-noscan)
            run_timed "$tool" "$d" env HEAPBLAME_LEAK_SCAN=0 "$HEAPBLAME" run -q -o "$d/hb" -- "$KITBIN/scanheap" "${args[@]}" ;;
        lsan) run_timed "$tool" "$d" env LSAN_OPTIONS=detect_leaks=1 "$KITBIN/scanheap-lsan" "${args[@]}" ;;
        lsan-off) run_timed "$tool" "$d" env LSAN_OPTIONS=detect_leaks=0 "$KITBIN/scanheap-lsan" "${args[@]}" ;;
    esac
    rc=$?
    local want=0 v
    [[ $tool == lsan ]] && want=23 # LeakSanitizer's exit status when it found leaks
    if ((rc != want)); then
        v="- - - - - - - - - EXIT-$rc"
        mkdir -p "$OUT/failed"; cp "$d/$tool.err" "$OUT/failed/scan.$r.$tool.err"
        log "  !! $tool round $r exited $rc, not $want (see $OUT/failed/)"
    else
        v=$(verify_scan "$tool" "$d/hb" "$d/$tool.out" "$d/$tool.err")
    fi
    local scan ns ly db ib rb ub tb ty ver
    read -r scan ns ly db ib rb ub tb ty ver <<< "$v"
    [[ $ver == ok ]] || log "  !! $tool round $r: $ver"
    local f vals=() ts=$d/$tool.ts
    for f in wall_s cpu_s user_s sys_s peak_tree_rss_kib max_proc_rss_kib exit; do
        v=$(kv "$ts" "$f"); vals+=("${v:--}")
    done
    local bs trace_bytes=-
    bs=$(result_kv "$d/$tool.out" build_s)
    [[ $tool == heapblame || $tool == hb-noscan ]] && trace_bytes=$(file_bytes "$d"/hb/*)
    if [[ $KEEP_TRACES == 1 && $r == 1 && $tool == heapblame ]]; then
        mkdir -p "$OUT/traces/scan"; cp "$d"/hb/* "$OUT/traces/scan/" 2> /dev/null
    fi
    rm -rf "$d/hb"
    local IFS=$'\t'
    echo "$r	$tool	$pos	${vals[*]}	$tb	$ty	${bs:--}	$scan	$ns	$ly	$db	$ib	$rb	$ub	$trace_bytes	$ver" >> "$OUT/scan-runs.tsv"
    return 0
}

mode_scan() {
    local tools=(bare heapblame) r i n pos tool args
    read -ra args <<< "$(scan_args)"
    [[ $SCAN_OFF_RUN == 1 ]] && tools+=(hb-noscan)
    [[ $LSAN_RUN == 1 ]] && tools+=(lsan lsan-off)
    n=${#tools[@]}
    echo "$SCAN_HDR" > "$OUT/scan-runs.tsv"
    log "warm-up: scanheap $(scan_args), bare and under heapblame"
    mkdir -p "$SCRATCH/warm/hb"
    "$KITBIN/scanheap" "${args[@]}" > /dev/null 2> "$SCRATCH/warm/err" ||
        { cat "$SCRATCH/warm/err" >&2; die "scanheap does not run"; }
    "$HEAPBLAME" run -q -o "$SCRATCH/warm/hb" -- "$KITBIN/scanheap" "${args[@]}" > /dev/null 2> "$SCRATCH/warm/err" ||
        { cat "$SCRATCH/warm/err" >&2; die "heapblame run failed in the warm-up"; }
    rm -rf "$SCRATCH/warm"
    for ((r = 1; r <= ROUNDS; r++)); do
        for ((i = 0; i < n; i++)); do
            tool=${tools[$(((i + r - 1) % n))]}
            pos=$((i + 1))
            log "round $r/$ROUNDS scan: $tool"
            scan_one "$r" "$tool" "$pos"
        done
        rm -rf "${SCRATCH:?}/scan.$r"
    done
    {
        summarize_scan "$OUT/scan-runs.tsv"
        echo
        echo "Run $STAMP: $ROUNDS rounds, $("$HEAPBLAME" --version 2>&1 | head -1), $(gcc --version | head -1)," \
            "load average at start $(awk '/^loadavg/ {print $4, $5, $6}' "$OUT/machine.txt"), at end $(cut -d' ' -f1-3 /proc/loadavg)" \
            "on$(awk -F': ' '/^cpu:/ {print $2}' "$OUT/machine.txt"). Absolute times are for this machine only." \
            "Raw rows: scan-runs.tsv; machine and versions: machine.txt."
    } > "$OUT/scan-summary.md"
    cat "$OUT/scan-summary.md"
    log "raw rows: $OUT/scan-runs.tsv   summary: $OUT/scan-summary.md"
    if grep -q 'SOME FIGURES ARE VOID' "$OUT/scan-summary.md"; then
        log "a result check failed: exit 1"
        return 1
    fi
}

# summarize_scan SCAN-RUNS.TSV -> markdown: one table.
summarize_scan() {
    awk -F'\t' -v target="$TARGET_SCAN_S" -v args="$(scan_args)" '
    function med(s,    a, n, i, j, t) {
        n = split(s, a, " ")
        if (n == 0) return ""
        for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
        return n % 2 ? a[(n + 1) / 2] + 0 : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function lo(s,    a, n, i, m) { n = split(s, a, " "); m = a[1] + 0; for (i = 2; i <= n; i++) if (a[i] + 0 < m) m = a[i] + 0; return m }
    function hi(s,    a, n, i, m) { n = split(s, a, " "); m = a[1] + 0; for (i = 2; i <= n; i++) if (a[i] + 0 > m) m = a[i] + 0; return m }
    function f(x, fmt) { return x == "" ? "–" : sprintf(fmt, x) }
    function rng(s, fmt) { return s == "" ? "–" : sprintf(fmt " (" fmt "–" fmt ")", med(s), lo(s), hi(s)) }
    function num(x) { return x != "" && x != "-" }
    function add(k, v) { L[k] = (k in L) ? L[k] " " v : v }
    NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    {
        r = $c["round"]; t = $c["tool"]
        if (!(r in seenr)) { seenr[r] = 1; nr++; R[nr] = r }
        has[t] = 1
        for (k in c) V[r, t, k] = $c[k]
    }
    END {
        nver = nok = 0; bad = ""; noscan = 0
        for (i = 1; i <= nr; i++) {
            r = R[i]
            split("bare heapblame hb-noscan lsan lsan-off", T, " ")
            for (j = 1; j <= 5; j++) {
                t = T[j]
                if (!((r, t, "wall_s") in V)) continue
                ver = V[r, t, "verify"]
                nver++
                if (ver == "ok") nok++
                else { bad = bad " round " r " " t ": " ver ";"; if (ver == "NO-SCAN-KEY") noscan = 1 }
                if (num(V[r, t, "blocks"])) { blocks = V[r, t, "blocks"]; bytes = V[r, t, "bytes"] }
                add(t ",wall", V[r, t, "wall_s"]); add(t ",cpu", V[r, t, "cpu_s"])
                add(t ",rss", V[r, t, "max_proc_rss_kib"] / 1024)
                if (num(V[r, t, "build_s"])) add(t ",build", V[r, t, "build_s"])
                if (t == "heapblame" && num(V[r, t, "scan_ns"]) && V[r, t, "scan"] == "done") {
                    add("scan_s", V[r, t, "scan_ns"] / 1e9)
                    if (V[r, t, "scan_ns"] > 0) add("rate", V[r, t, "live_bytes"] / 1048576 / (V[r, t, "scan_ns"] / 1e9))
                }
                if (t == "heapblame" && num(V[r, t, "trace_bytes"])) add("trace", V[r, t, "trace_bytes"] / 1048576)
            }
            if (((r, "bare", "wall_s") in V) && V[r, "bare", "wall_s"] > 0) {
                if ((r, "heapblame", "wall_s") in V) add("x,heapblame", V[r, "heapblame", "wall_s"] / V[r, "bare", "wall_s"])
                if ((r, "hb-noscan", "wall_s") in V) add("x,hb-noscan", V[r, "hb-noscan", "wall_s"] / V[r, "bare", "wall_s"])
            }
            if (((r, "heapblame", "wall_s") in V) && ((r, "hb-noscan", "wall_s") in V))
                add("exitcost", V[r, "heapblame", "wall_s"] - V[r, "hb-noscan", "wall_s"])
            if (((r, "lsan", "wall_s") in V) && ((r, "lsan-off", "wall_s") in V))
                add("lsancost", V[r, "lsan", "wall_s"] - V[r, "lsan-off", "wall_s"])
        }
        void = nok < nver
        print "# Exit-time reachability scan: `scanheap " args "`"
        print ""
        printf "%s live blocks, %.1f MiB, at exit; %d interleaved rounds (order rotated each round). Medians, range in\n", blocks, bytes / 1048576, nr
        print "brackets; differences and ratios are paired within a round. scan s = `scan_ns` of `heapblame dump`"
        print "(the SCAN record). Target: scan < " target " s."
        print ""
        if (noscan) {
            print "**!!! `heapblame dump` printed no `scan:` key: this build of heapblame has no exit-time scan (or its analyzer"
            print "cannot show it), so there is no scan figure and no result to check. !!!**"
            print ""
        }
        if (void) {
            print "**!!! RESULT CHECK FAILED in " (nver - nok) " of " nver " runs: the figures below are VOID !!!**"
            print "**" bad "**"
            print ""
        }
        print "| metric (median of rounds) | figure | target | verdict |"
        print "|---|---|---|---|"
        sv = med(L["scan_s"])
        verdict = sv == "" ? "–" : (void ? "**VOID**" : (sv < target ? "PASS" : "**MISS**"))
        printf "| heapblame scan s (scan_ns) | %s | < %s | %s |\n", rng(L["scan_s"], "%.3f"), target, verdict
        printf "| scan rate, live MiB / scan s | %s | | |\n", rng(L["rate"], "%.0f")
        printf "| wall s: bare | %s | | |\n", rng(L["bare,wall"], "%.3f")
        printf "| wall s: heapblame run (scan on) | %s | | |\n", rng(L["heapblame,wall"], "%.3f")
        printf "| wall slowdown: heapblame / bare | %s | | |\n", rng(L["x,heapblame"], "%.2f")
        if (has["hb-noscan"]) {
            printf "| wall s: heapblame run, HEAPBLAME_LEAK_SCAN=0 | %s | | |\n", rng(L["hb-noscan,wall"], "%.3f")
            printf "| wall slowdown: scan off / bare | %s | | |\n", rng(L["x,hb-noscan"], "%.2f")
            printf "| wall cost of the scan at exit (scan on - scan off) | %s | | |\n", rng(L["exitcost"], "%.3f")
        }
        if (has["lsan"]) {
            printf "| LeakSanitizer wall s, detect_leaks=1 / =0 | %s / %s | | |\n", f(med(L["lsan,wall"]), "%.3f"), f(med(L["lsan-off,wall"]), "%.3f")
            printf "| LeakSanitizer leak check (detect_leaks=1 - =0), for reference | %s | | |\n", rng(L["lsancost"], "%.3f")
        }
        printf "| scanheap build s (its own clock): bare / heapblame | %s / %s | | |\n", f(med(L["bare,build"]), "%.3f"), f(med(L["heapblame,build"]), "%.3f")
        printf "| whole-tree CPU s: bare / heapblame / scan off | %s / %s / %s | | |\n", f(med(L["bare,cpu"]), "%.3f"), f(med(L["heapblame,cpu"]), "%.3f"), f(med(L["hb-noscan,cpu"]), "%.3f")
        printf "| largest process RSS MiB: bare / heapblame / scan off | %s / %s / %s | | |\n", f(med(L["bare,rss"]), "%.1f"), f(med(L["heapblame,rss"]), "%.1f"), f(med(L["hb-noscan,rss"]), "%.1f")
        printf "| heapblame trace MiB | %s | | |\n", f(med(L["trace"]), "%.1f")
        printf "| result check (dump classes = scanheap RESULT; LSan summary) | %d of %d runs ok | every run | %s |\n", nok, nver, void ? "**MISMATCH**" : "PASS"
        print ""
        if (void) print "Targets: SOME FIGURES ARE VOID (a result check failed)."
        else printf "Targets: %s.\n", verdict == "PASS" ? "1 PASS" : (verdict == "–" ? "no scan figure" : "1 MISS")
    }' "$1"
}

# ---------------------------------------------------------------- modes w4, r2, soak, outlive
#
# The workloads where blocks outlive a flush (the kit's W4, R2 and soak rows):
# W1-W3 keep small live sets, so nearly every block dies before a flush;
# servers do not. Mode outlive runs OUTLIVE (default all three) interleaved,
# round by round; modes w4, r2 and soak run one of them. Every timed run goes
# through treestat, under `timeout` (RUN_TIMEOUT) and in the background, so
# that a signal to this script stops it at once: the trap kills the process
# group that `timeout` made for the run (the run's whole tree, a redis-server
# included), by its id.
#
#   W4    allocbench W4_ARGS, a live set of 1 M blocks. Each round: bare,
#         heapblame run, heaptrack (order rotated every round), then the
#         offline step on that round's two traces: `heapblame report DIR/*`
#         and `heaptrack_print -f FILE.zst --print-leaks 1` (the first of the
#         two swapped every round). heapblame's trace is checked against
#         allocbench's RESULT (dump --totals-only: live_blocks, definite and
#         indirect blocks, libbeta.so's module line), and its JSON report's
#         libbeta.so against beta_leaked_* (as in mode report).
#   R2    redis-server on 127.0.0.1 at a random free port, started bare /
#         under heapblame run / under heaptrack (rotated); redis-cli sends
#         DEBUG POPULATE R2_POPULATE, FLUSHALL, DEBUG POPULATE R2_POPULATE
#         (timed together), then SHUTDOWN NOSAVE (timed to the server's exit,
#         the shim's exit scan included, and to the tree's end); then the
#         offline step as for W4. heapblame's trace must end with a done scan,
#         no lost events and live_blocks within [3 x R2_POPULATE, 3 x
#         R2_POPULATE + R2_LIVE_SLACK]; every run must see DBSIZE =
#         R2_POPULATE after the second populate.
#   soak  bench/soak -d SOAK_SECONDS (built by meson), bare and under
#         heapblame run (rotated). The trace's size is also read at 1/3 and
#         5/6 of the run (the steady growth). Checked against soak's RESULT:
#         its module's allocs, frees, live blocks and bytes at exit, the
#         definite + indirect blocks = its leaks, and the number of STACK
#         records = the sites it used (+ STACK_SLACK). heaptrack, which
#         cannot keep up with this load, runs once after the rounds for
#         SOAK_HEAPTRACK_S seconds under `prlimit --as` (0 skips it); the
#         summary says what happened.
#
# Rows go to OUT/outlive-runs.tsv, tables to OUT/outlive-summary.md.

OUTLIVE_HDR="round	workload	tool	position	params	wall_s	cpu_s	user_s	sys_s	peak_tree_rss_kib	max_proc_rss_kib	procs	exit	trace_bytes	events	work_s	shutdown_s	tree_exit_s	live_blocks	stacks	growth_Bps	behind_ms	verify	samples	self_cpu_s"

outlive_params() { # WL -> what it runs, for the tables
    case $1 in
        W4) echo "allocbench $W4_ARGS" ;;
        R2) echo "redis-server; DEBUG POPULATE $R2_POPULATE, FLUSHALL, DEBUG POPULATE $R2_POPULATE, SHUTDOWN NOSAVE" ;;
        soak) echo "soak -d $SOAK_SECONDS${SOAK_ARGS:+ $SOAK_ARGS}" ;;
    esac
}

# emit_outlive_row ROUND WL TOOL POSITION TS_FILE then ten fields:
#   TRACE_BYTES EVENTS WORK_S SHUTDOWN_S TREE_EXIT_S LIVE_BLOCKS STACKS
#   GROWTH_BPS BEHIND_MS VERIFY        (empty means "-"); the params column
#   is OL_PARAMS when that is set
emit_outlive_row() {
    local r=$1 wl=$2 tool=$3 pos=$4 ts=$5 f v a vals=() rest=()
    shift 5
    for f in wall_s cpu_s user_s sys_s peak_tree_rss_kib max_proc_rss_kib procs exit; do
        v=$(kv "$ts" "$f"); vals+=("${v:--}")
    done
    for a in "$@"; do rest+=("${a:--}"); done
    local smp slf
    smp=$(kv "$ts" samples); slf=$(kv "$ts" self_cpu_s)
    local IFS=$'\t'
    echo "$r	$wl	$tool	$pos	${OL_PARAMS:-$(outlive_params "$wl")}	${vals[*]}	${rest[*]}	${smp:--}	${slf:--}" >> "$OUT/outlive-runs.tsv"
}

# --- running things so that they can always be stopped

OL_GROUPS=" " # process groups (made by `timeout`) of the runs in flight
OL_PID=
OL_LIMIT_EXTRA=0 # seconds added to RUN_TIMEOUT (a soak run: its duration)
OL_OUT=         # stdout of the next runs, instead of DIR/NAME.out

nap() { read -r -t "$1" -u "$NAP_FD" 2> /dev/null; return 0; } # sleep without a fork
NAP_FD=
exec {NAP_FD}<> <(:)

# ol_start NAME DIR CMD... : run CMD under treestat (DIR/NAME.ts) and timeout,
# in the background; OL_PID is timeout's pid, which is also the process group
# of the run's whole tree (timeout makes its own group).
ol_start() {
    local name=$1 d=$2
    shift 2
    timeout -k 10 "$((RUN_TIMEOUT + OL_LIMIT_EXTRA))" "$TREESTAT" -o "$d/$name.ts" -- "$@" < /dev/null \
        > "${OL_OUT:-$d/$name.out}" 2> "$d/$name.err" &
    OL_PID=$!
    OL_GROUPS+="$OL_PID "
}

ol_wait() { # -> the run's exit status (124: timed out and killed)
    local rc
    wait "$OL_PID"; rc=$?
    OL_GROUPS=${OL_GROUPS/ $OL_PID / }
    return "$rc"
}

ol_running() { kill -0 "$OL_PID" 2> /dev/null; }

# ol_stop_all: end every run still in flight, by its process group: TERM
# (redis shuts down, heapblame flushes), then KILL after 5 s (a redis-server
# in the middle of DEBUG POPULATE handles TERM only when it is done). Only
# groups this script made are signalled.
ol_stop_all() {
    local g i alive
    log "stopping the runs in flight (process groups$OL_GROUPS)"
    for g in $OL_GROUPS; do
        kill -TERM -- "-$g" 2> /dev/null || kill -TERM "$g" 2> /dev/null
    done
    for ((i = 0; i < 100; i++)); do
        alive=0
        for g in $OL_GROUPS; do kill -0 -- "-$g" 2> /dev/null && alive=1; done
        ((alive)) || break
        nap 0.05
    done
    for g in $OL_GROUPS; do kill -KILL -- "-$g" 2> /dev/null; done
    OL_GROUPS=" "
}

# rcli PORT ARGS... : redis-cli against the bench's server, bounded by
# RUN_TIMEOUT, in its own group (stopped with the rest); the reply in
# RCLI_REPLY. Never call it in $(...): the script waits for a command
# substitution before it runs a trap, so a signal would wait for a populate.
RCLI_REPLY=
rcli() {
    local port=$1 rc p
    shift
    timeout -k 5 "$RUN_TIMEOUT" "$REDIS_CLI" -h 127.0.0.1 -p "$port" "$@" < /dev/null > "$SCRATCH/rcli.out" 2>&1 &
    p=$!
    OL_GROUPS+="$p "
    wait "$p"; rc=$?
    OL_GROUPS=${OL_GROUPS/ $p / }
    RCLI_REPLY=$(tr -d '\r' < "$SCRATCH/rcli.out")
    return "$rc"
}

port_in_use() { (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; }

pick_port() { # a random port in 20000-59999 that nothing listens on
    local i p
    for ((i = 0; i < 50; i++)); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        port_in_use "$p" || { echo "$p"; return 0; }
    done
    return 1
}

# --- checks (dump --totals-only, as the other modes)

# read_totals DIR: `heapblame dump --totals-only` of every trace in DIR into
# the array T: every numeric key summed over the traces, other keys kept
# (joined with + when they differ), and each `module PATH: k=v ...` line as
# T[module:BASENAME:k]; T[traces] is the number of traces. With a second
# argument `stacks`, the whole dump is read instead and T[stacks] is the
# number of STACK records (of SITE records, for a format that has those
# instead). Returns 1, with the reason in TOTALS_WHY, when there is no trace
# or a dump fails.
TOTALS_WHY=
read_totals() {
    declare -gA T=()
    local f k v traces=() nst=0 c
    shopt -s nullglob
    traces=("$1"/*)
    shopt -u nullglob
    ((${#traces[@]})) || { TOTALS_WHY=NO-TRACE; return 1; }
    : > "$SCRATCH/ol-totals.txt"
    for f in "${traces[@]}"; do
        if [[ ${2:-} == stacks ]]; then
            "$HEAPBLAME" dump "$f" 2> "$SCRATCH/ol-dump.err" | awk -v tot="$SCRATCH/ol-totals.txt" '
                /^== totals ==/ { on = 1 }
                on { print >> tot; next }
                $1 == "STACK" { s++ } $1 == "SITE" { t++ }
                END { print s ? s : t + 0 }' > "$SCRATCH/ol-stacks.txt"
        else
            "$HEAPBLAME" dump --totals-only "$f" >> "$SCRATCH/ol-totals.txt" 2> "$SCRATCH/ol-dump.err"
        fi
        # shellcheck disable=SC2181 # the dump's status, through the pipe (pipefail)
        if (($? != 0)); then
            TOTALS_WHY="DUMP-FAILED($(head -c 80 "$SCRATCH/ol-dump.err" | tr -s ' \n\t' '___'))"
            return 1
        fi
        [[ ${2:-} == stacks ]] && { read -r c < "$SCRATCH/ol-stacks.txt"; nst=$((nst + c)); }
    done
    while read -r k v; do T[$k]=$v; done < <(awk '
        /^== totals ==/ { ntr++; next }
        $1 == "module" {
            m = $2; sub(/:$/, "", m); sub(/.*\//, "", m)
            for (i = 3; i <= NF; i++) { p = index($i, "="); if (p > 1) S["module:" m ":" substr($i, 1, p - 1)] += substr($i, p + 1) }
            next
        }
        {
            p = index($0, ": "); if (p < 2) next
            k = substr($0, 1, p - 1); v = substr($0, p + 2)
            if (v ~ /^[0-9]+$/) S[k] += v
            else if ((k in W) && W[k] != v) W[k] = W[k] "+" v
            else W[k] = v
        }
        END { for (k in S) printf "%s %.0f\n", k, S[k]; for (k in W) print k, W[k]; print "traces", ntr + 0 }' "$SCRATCH/ol-totals.txt")
    [[ ${2:-} == stacks ]] && T[stacks]=$nst
    return 0
}

# check_kinds LEAKED -> appends to `bad`: scan done, nothing lost, and
# definite + indirect = LEAKED (the program's dropped pointers).
check_kinds() {
    local leaked=$1
    [[ ${T[scan]:-} == "done" ]] || bad+="scan=${T[scan]:-no-key},"
    [[ ${T[lost_events]:-0} == 0 ]] || bad+="lost=${T[lost_events]},"
    if [[ ${T[definite_blocks]:-} =~ ^[0-9]+$ && ${T[indirect_blocks]:-} =~ ^[0-9]+$ ]]; then
        (( T[definite_blocks] + T[indirect_blocks] == leaked )) ||
            bad+="definite+indirect=${T[definite_blocks]}+${T[indirect_blocks]}/$leaked,"
    else
        bad+="no-definite-key,"
    fi
}

# verify_w4 DIR STDOUT -> "live_blocks verdict": the trace's blocks at exit
# against allocbench's RESULT: live_blocks = leaked_blocks + at most
# LIVE_SLACK of the C library's and the loader's; libbeta.so's live blocks
# and bytes = beta_leaked_*; definite + indirect = leaked_blocks.
verify_w4() {
    local dir=$1 out=$2 lb tb tby bad=""
    lb=$(result_kv "$out" leaked_blocks); tb=$(result_kv "$out" beta_leaked_blocks); tby=$(result_kv "$out" beta_leaked_bytes)
    [[ -n $lb && -n $tb ]] || { echo "- NO-RESULT-LINE"; return; }
    read_totals "$dir" || { echo "- $TOTALS_WHY"; return; }
    local live=${T[live_blocks]:-}
    [[ $live =~ ^[0-9]+$ ]] || { echo "- NO-LIVE-BLOCKS-KEY"; return; }
    ((live >= lb && live - lb <= LIVE_SLACK)) || bad+="live=$live/$lb+${LIVE_SLACK},"
    [[ ${T[module:libbeta.so:live_blocks]:-x} == "$tb" && ${T[module:libbeta.so:live_bytes]:-x} == "$tby" ]] ||
        bad+="beta_leaks=${T[module:libbeta.so:live_blocks]:-none}:${T[module:libbeta.so:live_bytes]:-none}/$tb:$tby,"
    check_kinds "$lb"
    if [[ -n $bad ]]; then echo "$live MISMATCH(${bad%,})"; else echo "$live ok"; fi
}

# verify_r2 DIR -> "live_blocks events verdict": a redis-server that was
# populated with N keys (3 blocks each in redis 7.0: the key's sds, the
# value's embstr object, the dict entry) and shut down without freeing them
# must end with live_blocks in [3N, 3N + R2_LIVE_SLACK] (the server's own
# blocks: shared integers, tables, buffers), a done scan, nothing lost.
verify_r2() {
    local dir=$1 n3=$((3 * R2_POPULATE)) bad=""
    read_totals "$dir" || { echo "- - $TOTALS_WHY"; return; }
    local live=${T[live_blocks]:-} ev=${T[events]:--}
    [[ $live =~ ^[0-9]+$ ]] || { echo "- $ev NO-LIVE-BLOCKS-KEY"; return; }
    ((live >= n3 && live - n3 <= R2_LIVE_SLACK)) || bad+="live=$live/$n3+$R2_LIVE_SLACK,"
    [[ ${T[scan]:-} == "done" ]] || bad+="scan=${T[scan]:-no-key},"
    [[ ${T[lost_events]:-0} == 0 ]] || bad+="lost=${T[lost_events]},"
    if [[ -n $bad ]]; then echo "$live $ev MISMATCH(${bad%,})"; else echo "$live $ev ok"; fi
}

# verify_soak DIR STDOUT -> "stacks verdict": soak's own module line
# (allocs, frees, live blocks and bytes at exit) equal to its RESULT, the
# trace's live_blocks = live_end_blocks + at most LIVE_SLACK, definite +
# indirect = leaked_blocks, and STACK records in [sites_used, sites_used +
# STACK_SLACK] (2048 distinct stacks of soak's, plus the loader's and libc's).
verify_soak() {
    local dir=$1 out=$2 bad="" k
    local allocs frees leaked le leb used
    allocs=$(result_kv "$out" allocs); frees=$(result_kv "$out" frees); leaked=$(result_kv "$out" leaked_blocks)
    le=$(result_kv "$out" live_end_blocks); leb=$(result_kv "$out" live_end_bytes); used=$(result_kv "$out" sites_used)
    [[ -n $allocs && -n $le && -n $used ]] || { echo "- NO-RESULT-LINE"; return; }
    read_totals "$dir" stacks || { echo "- $TOTALS_WHY"; return; }
    k=module:$(basename "$SOAKBIN")
    [[ ${T[$k:allocs]:-x} == "$allocs" ]] || bad+="allocs=${T[$k:allocs]:-none}/$allocs,"
    [[ ${T[$k:frees]:-x} == "$frees" ]] || bad+="frees=${T[$k:frees]:-none}/$frees,"
    [[ ${T[$k:live_blocks]:-x} == "$le" && ${T[$k:live_bytes]:-x} == "$leb" ]] ||
        bad+="live_end=${T[$k:live_blocks]:-none}:${T[$k:live_bytes]:-none}/$le:$leb,"
    local live=${T[live_blocks]:-x}
    [[ $live =~ ^[0-9]+$ ]] && ((live >= le && live - le <= LIVE_SLACK)) || bad+="live=$live/$le+$LIVE_SLACK,"
    check_kinds "$leaked"
    local stacks=${T[stacks]}
    ((stacks >= used && stacks <= used + STACK_SLACK)) || bad+="stacks=$stacks/$used+$STACK_SLACK,"
    if [[ -n $bad ]]; then echo "$stacks MISMATCH(${bad%,})"; else echo "$stacks ok"; fi
}

keep_traces() { # WL ROUND FILES... -> OUT/traces/WL/ (round 1, KEEP_TRACES=1)
    local wl=$1 r=$2
    shift 2
    [[ $KEEP_TRACES == 1 && $r == 1 ]] || return 0
    mkdir -p "$OUT/traces/$wl"
    cp -r "$@" "$OUT/traces/$wl/" 2> /dev/null
    return 0
}

ol_failed() { # WL ROUND TOOL DIR STATUS -> log, and keep its stderr
    log "  !! $3 $1 round $2: $5 (see $OUT/failed/)"
    mkdir -p "$OUT/failed"
    cp "$4/$3.err" "$OUT/failed/$1.$2.$3.err" 2> /dev/null
    return 0
}

# offline_pair WL ROUND DIR HB_TRACE_DIR HT_FILE [TRUTH_OUT]: the offline
# step on this round's two traces, heapblame report first in odd rounds;
# with TRUTH_OUT (W4), an untimed JSON report is checked too.
offline_pair() {
    local wl=$1 r=$2 d=$3 hbdir=$4 htf=$5 truth=${6:-} order tool pos=0 rc traces
    traces=("$hbdir"/*)
    order=hb-report
    if [[ $HEAPTRACK_RUN == 1 && -f $htf ]]; then
        if ((r % 2)); then order="hb-report ht-print"; else order="ht-print hb-report"; fi
    fi
    for tool in $order; do
        pos=$((pos + 1))
        log "round $r/$ROUNDS $wl: $tool"
        if [[ $tool == hb-report ]]; then
            if [[ ! -e ${traces[0]} ]]; then
                emit_outlive_row "$r" "$wl" "$tool" "$pos" /dev/null "" "" "" "" "" "" "" "" "" NO-TRACE
                continue
            fi
            OL_OUT=/dev/null ol_start "$tool" "$d" "$HEAPBLAME" report "${traces[@]}"
            ol_wait; rc=$?
            local ver=ok bb
            if ((rc != 0)); then
                ver="EXIT-$rc"; ol_failed "$wl" "$r" "$tool" "$d" "$ver"
            elif [[ -n $truth ]]; then
                read -r bb _ ver < <(verify_report_json "$truth" "${traces[@]}")
                [[ $ver == ok ]] || log "  !! heapblame report --format json $wl round $r: $ver"
            fi
            emit_outlive_row "$r" "$wl" "$tool" "$pos" "$d/$tool.ts" "$(file_bytes "${traces[@]}")" "" "" "" "" "" "" "" "" "$ver"
        else
            OL_OUT=/dev/null ol_start "$tool" "$d" heaptrack_print -f "$htf" --print-leaks 1
            ol_wait; rc=$?
            ((rc == 0)) || ol_failed "$wl" "$r" "$tool" "$d" "EXIT-$rc"
            emit_outlive_row "$r" "$wl" "$tool" "$pos" "$d/$tool.ts" "$(file_bytes "$htf")" "" "" "" "" "" "" "" "" \
                "$( ((rc == 0)) && echo - || echo "EXIT-$rc")"
        fi
    done
}

# Rotate TOOLS by ROUND: round 1 keeps the order, round 2 starts with the second...
rotated() { # ROUND TOOLS...
    local r=$1 i n
    shift
    local t=("$@")
    n=${#t[@]}
    for ((i = 0; i < n; i++)); do echo "${t[$(((i + r - 1) % n))]}"; done
}

ol_tools() { # WL -> the tracers compared in its rounds
    case $1 in
        soak) echo "bare heapblame" ;;
        *) if [[ $HEAPTRACK_RUN == 1 ]]; then echo "bare heapblame heaptrack"; else echo "bare heapblame"; fi ;;
    esac
}

# --- W4

w4_round() { # ROUND
    local r=$1 d=$SCRATCH/W4.$1 args tool pos=0 rc
    read -ra args <<< "$W4_ARGS"
    rm -rf "$d"; mkdir -p "$d/hb"
    # shellcheck disable=SC2046 # one tool name per word
    for tool in $(rotated "$r" $(ol_tools W4)); do
        pos=$((pos + 1))
        log "round $r/$ROUNDS W4: $tool"
        case $tool in
            bare) ol_start bare "$d" "$KITBIN/allocbench" "${args[@]}" ;;
            heapblame) ol_start heapblame "$d" "$HEAPBLAME" run -q -o "$d/hb/" -- "$KITBIN/allocbench" "${args[@]}" ;;
            heaptrack) ol_start heaptrack "$d" heaptrack -o "$d/ht" "$KITBIN/allocbench" "${args[@]}" ;;
        esac
        ol_wait; rc=$?
        local o=$d/$tool.out ev peak lb live ver=- tb=
        ev=$(result_kv "$o" events); lb=$(result_kv "$o" leaked_blocks)
        peak=$(awk -F': ' '/^peak live blocks/ { print $2; exit }' "$o" 2> /dev/null)
        live=$([[ -n $peak && -n $lb ]] && echo $((peak + lb)))
        if ((rc != 0)); then
            ver="EXIT-$rc"; ol_failed W4 "$r" "$tool" "$d" "$ver"
        elif [[ $tool == heapblame ]]; then
            read -r _ ver < <(verify_w4 "$d/hb" "$o")
            [[ $ver == ok ]] || log "  !! heapblame W4 round $r: $ver"
        elif [[ -z $ev ]]; then
            ver=NO-RESULT-LINE
        fi
        case $tool in heapblame) tb=$(file_bytes "$d"/hb/*) ;; heaptrack) tb=$(file_bytes "$d"/ht.*) ;; esac
        emit_outlive_row "$r" W4 "$tool" "$pos" "$d/$tool.ts" "$tb" "$ev" "$(result_kv "$o" loop_s)" "" "" "$live" "" "" "" "$ver"
    done
    offline_pair W4 "$r" "$d" "$d/hb" "$d/ht.zst" "$d/heapblame.out"
    keep_traces W4 "$r" "$d/hb" "$d"/ht.zst
    rm -rf "$d"
}

# --- R2

R2_PORT=
R2_SPID=

# r2_start TOOL DIR: start the server (under TOOL) and wait until it answers
# PING, at most R2_START_S seconds; a port that turned out to be taken is
# tried again with another (3 attempts). 0 with R2_PORT and R2_SPID (the
# redis-server's own pid, from INFO) set; 1 if it never came up.
r2_start() {
    local tool=$1 d=$2 attempt i port cmd
    for ((attempt = 1; attempt <= 3; attempt++)); do
        port=$(pick_port) || { log "  !! no free port found"; return 1; }
        mkdir -p "$d/redis-dir"
        local server=("$REDIS_SERVER" --port "$port" --bind 127.0.0.1 --save '' --appendonly no
            --enable-debug-command yes --daemonize no --dir "$d/redis-dir")
        case $tool in
            bare) cmd=("${server[@]}") ;;
            heapblame) cmd=("$HEAPBLAME" run -q -o "$d/hb/" -- "${server[@]}") ;;
            heaptrack) cmd=(heaptrack -o "$d/ht" "${server[@]}") ;;
        esac
        ol_start "$tool" "$d" "${cmd[@]}"
        for ((i = 0; i < R2_START_S * 20; i++)); do
            ol_running || break
            if rcli "$port" PING && [[ $RCLI_REPLY == PONG ]]; then
                R2_PORT=$port
                rcli "$port" INFO server
                R2_SPID=$(awk -F: '$1 == "process_id" { print $2 + 0 }' <<< "$RCLI_REPLY")
                [[ $R2_SPID =~ ^[1-9][0-9]*$ ]] && return 0
                log "  !! redis-server answered PING but INFO gave no process_id"
                ol_stop_all; ol_wait
                return 1
            fi
            nap 0.05
        done
        if ol_running; then
            log "  !! redis-server ($tool) did not answer PING within ${R2_START_S} s"
            ol_stop_all; ol_wait
            return 1
        fi
        ol_wait
        grep -q -i 'address already in use' "$d/$tool.out" "$d/$tool.err" 2> /dev/null || return 1
        log "  port $port was taken meanwhile: another one"
        rm -rf "$d/hb" "$d"/ht.*
    done
    return 1
}

server_gone() { # PID: exited (or a zombie: exited, not yet reaped)
    local st
    [[ -e /proc/$1 ]] || return 0
    { read -r st < "/proc/$1/stat"; } 2> /dev/null || return 0
    st=${st##*) }
    [[ ${st:0:1} == Z ]]
}

r2_round() { # ROUND
    local r=$1 d=$SCRATCH/R2.$1 tool pos=0
    rm -rf "$d"; mkdir -p "$d"
    # shellcheck disable=SC2046 # one tool name per word
    for tool in $(rotated "$r" $(ol_tools R2)); do
        pos=$((pos + 1))
        log "round $r/$ROUNDS R2: $tool"
        rm -rf "$d/hb" "$d"/ht.* "$d/redis-dir"
        mkdir -p "$d/hb"
        local ver=- work='' shut='' tree='' live='' ev='' tb='' rc t0 t1 t2 t3 t4 step i
        if ! r2_start "$tool" "$d"; then
            ol_failed R2 "$r" "$tool" "$d" NO-START
            emit_outlive_row "$r" R2 "$tool" "$pos" /dev/null "" "" "" "" "" "" "" "" "" NO-START
            continue
        fi
        t0=$EPOCHREALTIME
        for step in "DEBUG POPULATE $R2_POPULATE" FLUSHALL "DEBUG POPULATE $R2_POPULATE"; do
            # shellcheck disable=SC2086 # the command's words
            rcli "$R2_PORT" $step
            [[ $RCLI_REPLY == OK ]] || { ver="REDIS-FAILED(${step// /_})"; break; }
        done
        t1=$EPOCHREALTIME
        if [[ $ver == - ]]; then
            work=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
            rcli "$R2_PORT" DBSIZE
            i=$RCLI_REPLY
            [[ $i == "$R2_POPULATE" ]] || ver="DBSIZE-$i"
        fi
        # SHUTDOWN NOSAVE: from sending it to the server's exit (its atexit
        # work, the shim's final flush and exit scan, included), polled every
        # 5 ms; then to the end of the whole tree (heaptrack's interpreter).
        t2=$EPOCHREALTIME
        timeout -k 5 "$RUN_TIMEOUT" "$REDIS_CLI" -h 127.0.0.1 -p "$R2_PORT" SHUTDOWN NOSAVE < /dev/null > /dev/null 2>&1 &
        local cli=$!
        OL_GROUPS+="$cli "
        for ((i = 0; i < RUN_TIMEOUT * 200; i++)); do
            server_gone "$R2_SPID" && break
            nap 0.005
        done
        t3=$EPOCHREALTIME
        if ! server_gone "$R2_SPID"; then
            ver="SHUTDOWN-TIMEOUT"; ol_stop_all
        fi
        ol_wait; rc=$?
        t4=$EPOCHREALTIME
        wait "$cli" 2> /dev/null
        OL_GROUPS=${OL_GROUPS/ $cli / }
        if [[ $ver != SHUTDOWN-TIMEOUT ]]; then
            shut=$(awk -v a="$t2" -v b="$t3" 'BEGIN { printf "%.6f", b - a }')
            tree=$(awk -v a="$t2" -v b="$t4" 'BEGIN { printf "%.6f", b - a }')
        fi
        if ((rc != 0)) && [[ $ver == - ]]; then ver="EXIT-$rc"; fi
        if [[ $tool == heapblame && $ver == - ]]; then
            read -r live ev ver < <(verify_r2 "$d/hb")
        fi
        [[ $ver == - || $ver == ok ]] || ol_failed R2 "$r" "$tool" "$d" "$ver"
        case $tool in heapblame) tb=$(file_bytes "$d"/hb/*) ;; heaptrack) tb=$(file_bytes "$d"/ht.*) ;; esac
        emit_outlive_row "$r" R2 "$tool" "$pos" "$d/$tool.ts" "$tb" "$ev" "$work" "$shut" "$tree" "$live" "" "" "" "$ver"
        [[ $tool == bare ]] || keep_traces R2 "$r" "$d/hb" "$d"/ht.zst
        if [[ $tool == heapblame ]]; then mv "$d/hb" "$d/hb.keep"; fi
        if [[ $tool == heaptrack && -f $d/ht.zst ]]; then mv "$d/ht.zst" "$d/keep.zst"; fi
    done
    offline_pair R2 "$r" "$d" "$d/hb.keep" "$d/keep.zst"
    rm -rf "$d"
}

# --- soak

soak_events() { # STDOUT -> allocs + frees from soak's RESULT line
    local a f
    a=$(result_kv "$1" allocs); f=$(result_kv "$1" frees)
    [[ -n $a && -n $f ]] && echo $((a + f))
}

soak_round() { # ROUND
    local r=$1 d=$SCRATCH/soak.$1 args tool pos=0 rc ts0 b1 b2 t1 t2 i
    read -ra args <<< "-d $SOAK_SECONDS $SOAK_ARGS"
    rm -rf "$d"; mkdir -p "$d/hb"
    for tool in $(rotated "$r" bare heapblame); do
        pos=$((pos + 1))
        log "round $r/$ROUNDS soak: $tool"
        local growth='' ver=- stacks=
        ts0=$EPOCHREALTIME
        OL_LIMIT_EXTRA=${SOAK_SECONDS%.*}
        case $tool in
            bare) ol_start bare "$d" "$SOAKBIN" "${args[@]}" ;;
            heapblame) ol_start heapblame "$d" "$HEAPBLAME" run -q -o "$d/hb/" -- "$SOAKBIN" "${args[@]}" ;;
        esac
        OL_LIMIT_EXTRA=0
        if [[ $tool == heapblame ]]; then
            # the steady growth: the trace's size at 1/3 and 5/6 of the run
            # the steady growth: the trace's size at 1/3 and 5/6 of the run,
            # polled every 0.1 s without a fork (microseconds of EPOCHREALTIME;
            # %.0f, for mawk's %d stops at 2^31)
            local at1 at2 now
            read -r at1 at2 < <(awk -v a="${ts0/./}" -v s="$SOAK_SECONDS" 'BEGIN { printf "%.0f %.0f\n", a + s * 1e6 / 3, a + s * 1e6 * 5 / 6 }')
            b1='' b2=''
            for ((i = 0; i < (RUN_TIMEOUT + ${SOAK_SECONDS%.*}) * 10; i++)); do
                ol_running || break
                now=${EPOCHREALTIME/./}
                if [[ -z $b1 ]] && ((now >= at1)); then
                    t1=$EPOCHREALTIME; b1=$(file_bytes "$d"/hb/*)
                elif [[ -n $b1 ]] && ((now >= at2)); then
                    t2=$EPOCHREALTIME; b2=$(file_bytes "$d"/hb/*)
                    break
                fi
                nap 0.1
            done
            [[ -n $b2 ]] && growth=$(awk -v a="$b1" -v b="$b2" -v s="$t1" -v e="$t2" 'BEGIN { if (e > s) printf "%.1f", (b - a) / (e - s) }')
        fi
        ol_wait; rc=$?
        local o=$d/$tool.out ev
        ev=$(soak_events "$o")
        if ((rc != 0)); then
            ver="EXIT-$rc"; ol_failed soak "$r" "$tool" "$d" "$ver"
        elif [[ -z $ev ]]; then
            ver=NO-RESULT-LINE; ol_failed soak "$r" "$tool" "$d" "$ver"
        elif [[ $tool == heapblame ]]; then
            read -r stacks ver < <(verify_soak "$d/hb" "$o")
            [[ $ver == ok ]] || log "  !! heapblame soak round $r: $ver"
        fi
        emit_outlive_row "$r" soak "$tool" "$pos" "$d/$tool.ts" \
            "$([[ $tool == heapblame ]] && file_bytes "$d"/hb/*)" "$ev" "$(result_kv "$o" run_s)" "" "" \
            "$(result_kv "$o" peak_live)" "$stacks" "$growth" "$(result_kv "$o" behind_max_ms)" "$ver"
    done
    keep_traces soak "$r" "$d/hb"
    rm -rf "$d"
}

# soak_heaptrack_once: heaptrack's interpreter grows without bound on this
# load (it reached 18 GB and died on a 5 s run), so it is no anchor; it runs
# once, after the rounds, for SOAK_HEAPTRACK_S seconds with its whole tree
# (the soak included) under `prlimit --as=SOAK_HEAPTRACK_AS_MIB MiB`, and the
# row says what happened: exit status, whether soak finished (RESULT), the
# .zst's integrity (zstd -t) and the first telling line of its stderr.
soak_heaptrack_once() {
    local d=$SCRATCH/soak.ht s=$SOAK_HEAPTRACK_S lim=$((SOAK_HEAPTRACK_AS_MIB * 1048576)) args rc what
    read -ra args <<< "-d $s $SOAK_ARGS"
    rm -rf "$d"; mkdir -p "$d"
    log "soak under heaptrack, once: soak -d $s, address space limited to $SOAK_HEAPTRACK_AS_MIB MiB"
    OL_LIMIT_EXTRA=${s%.*}
    ol_start heaptrack "$d" prlimit --as="$lim" heaptrack -o "$d/ht" "$SOAKBIN" "${args[@]}"
    OL_LIMIT_EXTRA=0
    ol_wait; rc=$?
    what="exit=$rc"
    ((rc > 128 && rc < 160)) && what+="(SIG$(kill -l $((rc - 128)) 2> /dev/null))"
    if grep -q '^RESULT ' "$d/heaptrack.out"; then what+=",soak-finished"; else what+=",soak-did-not-finish"; fi
    if [[ ! -s $d/ht.zst ]]; then
        what+=",no-zst"
    elif zstd -q -t "$d/ht.zst" 2> /dev/null; then
        what+=",zstd-t-ok"
    else
        what+=",zstd-t-failed"
    fi
    local msg
    msg=$(grep -m1 -i -E "bad_alloc|terminate|cannot allocate|out of memory|killed|error" "$d/heaptrack.err" | tr -s ' \t' '__' | tr -cd '[:alnum:]_.:=/()-' | head -c 100)
    [[ -n $msg ]] && what+=",stderr:$msg"
    log "  heaptrack: $what"
    OL_PARAMS="prlimit --as=${SOAK_HEAPTRACK_AS_MIB}MiB heaptrack soak -d $s${SOAK_ARGS:+ $SOAK_ARGS}" \
        emit_outlive_row once soak heaptrack 1 "$d/heaptrack.ts" "$(file_bytes "$d/ht.zst")" \
        "$(soak_events "$d/heaptrack.out")" \
        "$(result_kv "$d/heaptrack.out" run_s)" "" "" "" "" "" "$(result_kv "$d/heaptrack.out" behind_max_ms)" "$what"
    cp "$d/heaptrack.err" "$OUT/soak-heaptrack.err" 2> /dev/null
    rm -rf "$d"
}

# --- warm-up, the rounds

outlive_warm_up() {
    local wl d=$SCRATCH/warm
    rm -rf "$d"; mkdir -p "$d"
    for wl in $OUTLIVE; do
        log "warm-up: $wl"
        case $wl in
            W4)
                local a=(-t 1 -n 20000 -d 8 -l 5000 -k "$LEAK")
                "$KITBIN/allocbench" "${a[@]}" > /dev/null 2>&1 || die "allocbench does not run"
                timeout 600 "$HEAPBLAME" run -q -o "$d/hb/" -- "$KITBIN/allocbench" "${a[@]}" > "$d/out" 2> "$d/err" < /dev/null ||
                    { cat "$d/err" >&2; die "heapblame run failed in the warm-up"; }
                if [[ $HEAPTRACK_RUN == 1 ]]; then
                    timeout 600 heaptrack -o "$d/ht" "$KITBIN/allocbench" "${a[@]}" > "$d/out" 2> "$d/err" < /dev/null ||
                        { cat "$d/err" >&2; die "heaptrack failed in the warm-up"; }
                    timeout 600 heaptrack_print -f "$d/ht.zst" --print-leaks 1 > /dev/null 2> "$d/err" ||
                        { cat "$d/err" >&2; die "heaptrack_print failed in the warm-up"; }
                fi
                ;;
            R2)
                local tool
                # shellcheck disable=SC2046
                for tool in $(ol_tools R2); do
                    rm -rf "$d/hb" "$d"/ht.*
                    r2_start "$tool" "$d" || { cat "$d/$tool.err" >&2; die "redis-server does not start ($tool) in the warm-up"; }
                    rcli "$R2_PORT" DEBUG POPULATE 1000
                    [[ $RCLI_REPLY == OK ]] ||
                        { ol_stop_all; die "DEBUG POPULATE fails in the warm-up ($tool); is --enable-debug-command supported?"; }
                    rcli "$R2_PORT" SHUTDOWN NOSAVE
                    ol_wait || { cat "$d/$tool.err" >&2; die "redis-server ($tool) failed in the warm-up"; }
                done
                ;;
            soak)
                "$SOAKBIN" -d 0.2 -l 1000 > /dev/null || die "soak does not run"
                timeout 600 "$HEAPBLAME" run -q -o "$d/hb/" -- "$SOAKBIN" -d 0.2 -l 1000 > "$d/out" 2> "$d/err" < /dev/null ||
                    { cat "$d/err" >&2; die "heapblame run failed on soak in the warm-up"; }
                ;;
        esac
        rm -rf "$d"; mkdir -p "$d"
    done
    rm -rf "$d"
}

mode_outlive() {
    local r wl
    echo "$OUTLIVE_HDR" > "$OUT/outlive-runs.tsv"
    outlive_warm_up
    for ((r = 1; r <= ROUNDS; r++)); do
        for wl in $OUTLIVE; do
            case $wl in
                W4) w4_round "$r" ;;
                R2) r2_round "$r" ;;
                soak) soak_round "$r" ;;
            esac
        done
    done
    if [[ " $OUTLIVE " == *" soak "* && $HEAPTRACK_RUN == 1 && $SOAK_HEAPTRACK_S != 0 ]]; then
        soak_heaptrack_once
    fi
    {
        summarize_outlive "$OUT/outlive-runs.tsv"
        echo
        echo "Run $STAMP: $ROUNDS rounds of $OUTLIVE, $("$HEAPBLAME" --version 2>&1 | head -1)," \
            "$(if [[ $HEAPTRACK_RUN == 1 ]]; then heaptrack --version 2>&1 | head -1; else echo "no heaptrack"; fi)," \
            "load average at start $(awk '/^loadavg/ {print $4, $5, $6}' "$OUT/machine.txt"), at end $(cut -d' ' -f1-3 /proc/loadavg)" \
            "on$(awk -F': ' '/^cpu:/ {print $2}' "$OUT/machine.txt"). Absolute times are for this machine only;" \
            "compare ratios. Raw rows: outlive-runs.tsv; machine and versions: machine.txt."
    } > "$OUT/outlive-summary.md"
    cat "$OUT/outlive-summary.md"
    log "raw rows: $OUT/outlive-runs.tsv   summary: $OUT/outlive-summary.md"
    if grep -q 'SOME FIGURES ARE VOID' "$OUT/outlive-summary.md"; then
        log "heapblame's result check failed: exit 1"
        return 1
    fi
}

# summarize_outlive OUTLIVE-RUNS.TSV -> markdown: one table per workload.
summarize_outlive() {
    awk -F'\t' -v sr="$TARGET_OL_SLOWDOWN_RATIO" -v tr="$TARGET_OL_TRACE_RATIO" \
        -v bpb="$TARGET_OL_BYTES_PER_BLOCK" -v bpbaim="$AIM_OL_BYTES_PER_BLOCK" \
        -v rw="$TARGET_OL_REPORT_WALL_RATIO" -v rr="$TARGET_OL_REPORT_RSS_RATIO" \
        -v shut="$TARGET_R2_SHUTDOWN_S" -v sg="$TARGET_SOAK_GROWTH_KBPS" -v sc="$TARGET_SOAK_CPU_RATIO" \
        -v pop="$R2_POPULATE" -v htas="$SOAK_HEAPTRACK_AS_MIB" -v hts="$SOAK_HEAPTRACK_S" '
    function med(s,    a, n, i, j, t) {
        n = split(s, a, " ")
        if (n == 0) return ""
        for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
        return n % 2 ? a[(n + 1) / 2] + 0 : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function lo(s,    a, n, i, m) { n = split(s, a, " "); m = a[1] + 0; for (i = 2; i <= n; i++) if (a[i] + 0 < m) m = a[i] + 0; return m }
    function hi(s,    a, n, i, m) { n = split(s, a, " "); m = a[1] + 0; for (i = 2; i <= n; i++) if (a[i] + 0 > m) m = a[i] + 0; return m }
    function f(x, fmt) { return x == "" ? "–" : sprintf(fmt, x) }
    function rng(s, fmt) { return s == "" ? "–" : sprintf(fmt " (" fmt "–" fmt ")", med(s), lo(s), hi(s)) }
    function num(x) { return x != "" && x != "-" }
    function add(k, v) { L[k] = (k in L) ? L[k] " " v : v }
    function tally(v) { if (v == "PASS") npass++; else if (v == "**VOID**") nvoid++; else if (v != "–") nmiss++ }
    function verdict(v, target, isvoid) { if (v == "") return "–"; if (isvoid) return "**VOID**"; return v <= target ? "PASS" : "**MISS**" }
    # a run whose figures count: it exited 0 and did its work (a heapblame run
    # whose result check failed counts too, and voids the verdicts)
    function good(wl, r, t,    v) {
        if (!(((wl, r, t, "exit") in V) && V[wl, r, t, "exit"] == "0")) return 0
        v = V[wl, r, t, "verify"]
        return v == "-" || v == "ok" || ((t == "heapblame" || t == "hb-report") && v ~ /^MISMATCH/)
    }
    function checked(wl, r, t) { return V[wl, r, t, "verify"] == "ok" }
    function g(wl, r, t, k) { return V[wl, r, t, k] }
    # ratio of key k between tools a and b in round r, when both are usable
    function pair(wl, r, a, b, k) { return good(wl, r, a) && good(wl, r, b) && num(g(wl, r, a, k)) && num(g(wl, r, b, k)) && g(wl, r, b, k) > 0 }
    NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    {
        wl = $c["workload"]; r = $c["round"]; t = $c["tool"]
        if (!(wl in seenwl)) { seenwl[wl] = 1; wls[++nwl] = wl }
        if (r != "once" && !((wl, r) in seenr)) { seenr[wl, r] = 1; rounds[wl] = rounds[wl] " " r }
        if (r != "once") params[wl] = $c["params"]
        for (k in c) V[wl, r, t, k] = $c[k]
    }
    # the runs that failed or were voided in workload wl: a banner
    function banner(wl, nr, R,    i, j, r, t, T, bad, left, nhb, nhbok) {
        split("bare heapblame heaptrack hb-report ht-print", T, " ")
        bad = left = ""; nhb = nhbok = 0
        for (i = 1; i <= nr; i++) {
            r = R[i]
            for (j = 1; j <= 5; j++) {
                t = T[j]
                if (!((wl, r, t, "verify") in V)) continue
                if (t == "heapblame" || t == "hb-report") { nhb++; if (checked(wl, r, t)) nhbok++ }
                if (!good(wl, r, t)) left = left " round " r " " t ": " (V[wl, r, t, "verify"] != "-" ? V[wl, r, t, "verify"] : "exit " V[wl, r, t, "exit"]) ";"
                else if ((t == "heapblame" || t == "hb-report") && !checked(wl, r, t)) bad = bad " round " r " " t ": " V[wl, r, t, "verify"] ";"
            }
        }
        VOID = nhbok < nhb; CHECKS = nhbok " of " nhb
        if (VOID) {
            print "**!!! heapblame RESULT CHECK FAILED in " (nhb - nhbok) " of " nhb " runs: the heapblame figures below are VOID !!!**"
            if (bad != "") print "**" bad "**"
            anyvoid = 1
        }
        if (left != "") print "**Runs left out of the figures (failed, or did not do the work):" left "**"
        if (VOID || left != "") print ""
    }
    function collect(wl, nr, R,    i, j, r, t, T) {
        split("bare heapblame heaptrack hb-report ht-print", T, " ")
        for (i = 1; i <= nr; i++) {
            r = R[i]
            for (j = 1; j <= 5; j++) {
                t = T[j]
                if (!good(wl, r, t)) continue
                add(t ",wall", g(wl, r, t, "wall_s")); add(t ",cpu", g(wl, r, t, "cpu_s"))
                add(t ",rss", g(wl, r, t, "peak_tree_rss_kib") / 1024); add(t ",mrss", g(wl, r, t, "max_proc_rss_kib") / 1024)
                if (num(g(wl, r, t, "trace_bytes"))) add(t ",trace", g(wl, r, t, "trace_bytes") / 1e6)
                if (num(g(wl, r, t, "work_s"))) add(t ",work", g(wl, r, t, "work_s"))
                if (num(g(wl, r, t, "shutdown_s"))) add(t ",shut", g(wl, r, t, "shutdown_s"))
                if (num(g(wl, r, t, "tree_exit_s"))) add(t ",tree", g(wl, r, t, "tree_exit_s"))
                if (num(g(wl, r, t, "live_blocks"))) { add(t ",live", g(wl, r, t, "live_blocks")); LIVE[r] = g(wl, r, t, "live_blocks") }
                if (num(g(wl, r, t, "events"))) add(t ",ev", g(wl, r, t, "events"))
                if (num(g(wl, r, t, "stacks"))) add(t ",stacks", g(wl, r, t, "stacks"))
                if (num(g(wl, r, t, "growth_Bps"))) add(t ",growth", g(wl, r, t, "growth_Bps") / 1000)
                if (num(g(wl, r, t, "behind_ms"))) add(t ",behind", g(wl, r, t, "behind_ms"))
                if (t == "heapblame" && num(g(wl, r, t, "trace_bytes")) && num(g(wl, r, t, "work_s")) && g(wl, r, t, "work_s") > 0)
                    add("hb,kbps", g(wl, r, t, "trace_bytes") / 1000 / g(wl, r, t, "work_s"))
            }
            for (j = 2; j <= 3; j++) {
                t = T[j]
                if (pair(wl, r, t, "bare", "wall_s")) add(t ",xwall", g(wl, r, t, "wall_s") / g(wl, r, "bare", "wall_s"))
                if (pair(wl, r, t, "bare", "cpu_s")) add(t ",xcpu", g(wl, r, t, "cpu_s") / g(wl, r, "bare", "cpu_s"))
                if (pair(wl, r, t, "bare", "work_s")) add(t ",xwork", g(wl, r, t, "work_s") / g(wl, r, "bare", "work_s"))
                # shim (and tracer) memory per live block: (traced RSS - bare RSS) / peak live blocks
                if (good(wl, r, t) && good(wl, r, "bare") && (r in LIVE) && LIVE[r] > 0) {
                    add(t ",bpb", (g(wl, r, t, "max_proc_rss_kib") - g(wl, r, "bare", "max_proc_rss_kib")) * 1024 / LIVE[r])
                    add(t ",bpbtree", (g(wl, r, t, "peak_tree_rss_kib") - g(wl, r, "bare", "peak_tree_rss_kib")) * 1024 / LIVE[r])
                }
            }
            if (pair(wl, r, "heapblame", "bare", "wall_s") && pair(wl, r, "heaptrack", "bare", "wall_s"))
                add("ratio,wall", (g(wl, r, "heapblame", "wall_s") / g(wl, r, "bare", "wall_s")) / (g(wl, r, "heaptrack", "wall_s") / g(wl, r, "bare", "wall_s")))
            if (pair(wl, r, "heapblame", "bare", "cpu_s") && pair(wl, r, "heaptrack", "bare", "cpu_s"))
                add("ratio,cpu", (g(wl, r, "heapblame", "cpu_s") / g(wl, r, "bare", "cpu_s")) / (g(wl, r, "heaptrack", "cpu_s") / g(wl, r, "bare", "cpu_s")))
            if (pair(wl, r, "heapblame", "bare", "work_s") && pair(wl, r, "heaptrack", "bare", "work_s"))
                add("ratio,work", (g(wl, r, "heapblame", "work_s") / g(wl, r, "bare", "work_s")) / (g(wl, r, "heaptrack", "work_s") / g(wl, r, "bare", "work_s")))
            if (pair(wl, r, "heapblame", "heaptrack", "trace_bytes")) add("ratio,trace", g(wl, r, "heapblame", "trace_bytes") / g(wl, r, "heaptrack", "trace_bytes"))
            if (pair(wl, r, "hb-report", "ht-print", "wall_s")) add("ratio,rwall", g(wl, r, "hb-report", "wall_s") / g(wl, r, "ht-print", "wall_s"))
            if (pair(wl, r, "hb-report", "ht-print", "cpu_s")) add("ratio,rcpu", g(wl, r, "hb-report", "cpu_s") / g(wl, r, "ht-print", "cpu_s"))
            if (pair(wl, r, "hb-report", "ht-print", "max_proc_rss_kib")) add("ratio,rrss", g(wl, r, "hb-report", "max_proc_rss_kib") / g(wl, r, "ht-print", "max_proc_rss_kib"))
        }
    }
    function common_rows(wl,    v) {
        printf "| whole-tree CPU s | %s | %s | %s | | | |\n", f(med(L["bare,cpu"]), "%.3f"), f(med(L["heapblame,cpu"]), "%.3f"), f(med(L["heaptrack,cpu"]), "%.3f")
        v = verdict(med(L["ratio,cpu"]), sr, VOID); tally(v)
        printf "| whole-tree CPU slowdown (x bare) | 1 | %s | %s | %s | <= %s | %s |\n", rng(L["heapblame,xcpu"], "%.2f"), rng(L["heaptrack,xcpu"], "%.2f"), rng(L["ratio,cpu"], "%.2f"), sr, v
        v = verdict(med(L["ratio,trace"]), tr, VOID); tally(v)
        printf "| trace MB (10^6 B) on disk | – | %s | %s | %s | <= %s | %s |\n", f(med(L["heapblame,trace"]), "%.3f"), f(med(L["heaptrack,trace"]), "%.3f"), rng(L["ratio,trace"], "%.3f"), tr, v
        printf "| largest single-process RSS MiB (ru_maxrss) | %s | %s | %s | | | |\n", f(med(L["bare,mrss"]), "%.1f"), f(med(L["heapblame,mrss"]), "%.1f"), f(med(L["heaptrack,mrss"]), "%.1f")
        printf "| peak tree RSS MiB (sampled, 5 ms) | %s | %s | %s | | | |\n", f(med(L["bare,rss"]), "%.1f"), f(med(L["heapblame,rss"]), "%.1f"), f(med(L["heaptrack,rss"]), "%.1f")
        v = verdict(med(L["heapblame,bpb"]), bpb, VOID); tally(v)
        printf "| memory per live block, B: (largest process RSS - bare'"'"'s) / peak live blocks | – | %s | %s | | heapblame <= %s (aim %s) | %s |\n", rng(L["heapblame,bpb"], "%.1f"), rng(L["heaptrack,bpb"], "%.1f"), bpb, bpbaim, v
        printf "| the same from the peak tree RSS (heaptrack'"'"'s interpreter included) | – | %s | %s | | | |\n", rng(L["heapblame,bpbtree"], "%.1f"), rng(L["heaptrack,bpbtree"], "%.1f")
        v = verdict(med(L["ratio,rwall"]), rw, VOID); tally(v)
        printf "| offline: wall s, `heapblame report` / `heaptrack_print --print-leaks 1` | | %s | %s | %s | <= %s | %s |\n", rng(L["hb-report,wall"], "%.3f"), rng(L["ht-print,wall"], "%.3f"), rng(L["ratio,rwall"], "%.3f"), rw, v
        printf "| offline: CPU s | | %s | %s | %s | | |\n", f(med(L["hb-report,cpu"]), "%.3f"), f(med(L["ht-print,cpu"]), "%.3f"), rng(L["ratio,rcpu"], "%.3f")
        v = verdict(med(L["ratio,rrss"]), rr, VOID); tally(v)
        printf "| offline: peak RSS MiB (ru_maxrss) | | %s | %s | %s | <= %s | %s |\n", f(med(L["hb-report,mrss"]), "%.1f"), f(med(L["ht-print,mrss"]), "%.1f"), rng(L["ratio,rrss"], "%.3f"), rr, v
    }
    END {
        print "# Where blocks outlive a flush: heapblame vs heaptrack (W4, R2) and the soak"
        print ""
        print "Medians over interleaved rounds (the order of the tools rotated every round); every ratio is paired"
        print "within a round, then the median is taken (range over rounds in brackets). Slowdown = tool / bare;"
        print "heapblame / heaptrack = the ratio of the two slowdowns in the same round. MB = 10^6 bytes, KB = 10^3."
        npass = nmiss = nvoid = 0; anyvoid = 0
        for (w = 1; w <= nwl; w++) {
            wl = wls[w]; split("", L); split("", LIVE)
            nr = split(rounds[wl], R, " ")
            print ""
            if (wl == "W4") {
                printf "## W4: `%s` (%d rounds)\n\n", params[wl], nr
                collect(wl, nr, R)
                printf "%.2f M events (allocbench RESULT); peak live blocks %s (allocbench'"'"'s live-set high-water mark + its leaked blocks).\n\n", med(L["bare,ev"]) / 1e6, f(med(L["bare,live"]), "%d")
                banner(wl, nr, R)
                print "| metric (median of rounds) | bare | heapblame | heaptrack | heapblame / heaptrack | target | verdict |"
                print "|---|---|---|---|---|---|---|"
                printf "| wall s (whole command) | %s | %s | %s | | | |\n", f(med(L["bare,wall"]), "%.3f"), f(med(L["heapblame,wall"]), "%.3f"), f(med(L["heaptrack,wall"]), "%.3f")
                v = verdict(med(L["ratio,wall"]), sr, VOID); tally(v)
                printf "| wall slowdown (x bare) | 1 | %s | %s | %s | <= %s | %s |\n", rng(L["heapblame,xwall"], "%.2f"), rng(L["heaptrack,xwall"], "%.2f"), rng(L["ratio,wall"], "%.2f"), sr, v
                printf "| loop s (allocbench'"'"'s own clock) | %s | %s | %s | | | |\n", f(med(L["bare,work"]), "%.3f"), f(med(L["heapblame,work"]), "%.3f"), f(med(L["heaptrack,work"]), "%.3f")
                common_rows(wl)
                ev = med(L["bare,ev"])
                if (ev > 0)
                    printf "| trace bytes / event | – | %s | %s | | | |\n", L["heapblame,trace"] != "" ? sprintf("%.3f", med(L["heapblame,trace"]) * 1e6 / ev) : "–", L["heaptrack,trace"] != "" ? sprintf("%.3f", med(L["heaptrack,trace"]) * 1e6 / ev) : "–"
                printf "| result check: dump live/definite/indirect blocks, libbeta.so = RESULT; JSON report | | %s runs ok | | | every run | %s |\n", CHECKS, VOID ? "**MISMATCH**" : "PASS"
            } else if (wl == "R2") {
                printf "## R2: %s (%d rounds)\n\n", params[wl], nr
                collect(wl, nr, R)
                printf "Live blocks at exit in heapblame'"'"'s trace (`live_blocks`; SHUTDOWN NOSAVE frees nothing, so this is the peak): %s, %.2f per key.\n\n", f(med(L["heapblame,live"]), "%d"), med(L["heapblame,live"]) / pop
                banner(wl, nr, R)
                print "| metric (median of rounds) | bare | heapblame | heaptrack | heapblame / heaptrack | target | verdict |"
                print "|---|---|---|---|---|---|---|"
                printf "| populate+flush+populate s | %s | %s | %s | | | |\n", f(med(L["bare,work"]), "%.3f"), f(med(L["heapblame,work"]), "%.3f"), f(med(L["heaptrack,work"]), "%.3f")
                v = verdict(med(L["ratio,work"]), sr, VOID); tally(v)
                printf "| populate+flush+populate slowdown (x bare) | 1 | %s | %s | %s | <= %s | %s |\n", rng(L["heapblame,xwork"], "%.2f"), rng(L["heaptrack,xwork"], "%.2f"), rng(L["ratio,work"], "%.2f"), sr, v
                v = verdict(med(L["heapblame,shut"]), shut, VOID); tally(v)
                printf "| shutdown s: SHUTDOWN NOSAVE sent -> redis-server exited (exit scan included) | %s | %s | %s | | heapblame <= %s | %s |\n", f(med(L["bare,shut"]), "%.3f"), rng(L["heapblame,shut"], "%.3f"), f(med(L["heaptrack,shut"]), "%.3f"), shut, v
                printf "| SHUTDOWN NOSAVE sent -> whole tree ended | %s | %s | %s | | | |\n", f(med(L["bare,tree"]), "%.3f"), f(med(L["heapblame,tree"]), "%.3f"), f(med(L["heaptrack,tree"]), "%.3f")
                printf "| wall s, whole run (start-up, the script'"'"'s redis-cli calls, shutdown) | %s | %s | %s | %s | | |\n", f(med(L["bare,wall"]), "%.3f"), f(med(L["heapblame,wall"]), "%.3f"), f(med(L["heaptrack,wall"]), "%.3f"), rng(L["ratio,wall"], "%.2f")
                common_rows(wl)
                printf "| result check: DBSIZE; heapblame live_blocks in [3N, 3N + slack], scan done, none lost | | %s runs ok | | | every run | %s |\n", CHECKS, VOID ? "**MISMATCH**" : "PASS"
            } else if (wl == "soak") {
                printf "## soak: `%s` (%d rounds)\n\n", params[wl], nr
                collect(wl, nr, R)
                printf "%.2f M events (allocations + frees, soak'"'"'s RESULT); peak live blocks %s.\n\n", med(L["bare,ev"]) / 1e6, f(med(L["bare,live"]), "%d")
                banner(wl, nr, R)
                for (i = 1; i <= nr; i++) if (pair(wl, R[i], "heapblame", "bare", "cpu_s")) add("ratio,scpu", g(wl, R[i], "heapblame", "cpu_s") / g(wl, R[i], "bare", "cpu_s"))
                print "| metric (median of rounds) | bare | heapblame | heapblame / bare | target | verdict |"
                print "|---|---|---|---|---|---|"
                printf "| run s (soak'"'"'s own clock around its paced loop) | %s | %s | | | |\n", f(med(L["bare,work"]), "%.3f"), f(med(L["heapblame,work"]), "%.3f")
                printf "| behind schedule, max ms (a period'"'"'s allocations ending past the next deadline) | %s | %s | | | |\n", f(med(L["bare,behind"]), "%.2f"), f(med(L["heapblame,behind"]), "%.2f")
                printf "| whole-tree CPU s | %s | %s | | | |\n", f(med(L["bare,cpu"]), "%.3f"), f(med(L["heapblame,cpu"]), "%.3f")
                v = verdict(med(L["ratio,scpu"]), sc, VOID); tally(v)
                printf "| whole-tree CPU: heapblame / bare | | | %s | <= %s | %s |\n", rng(L["ratio,scpu"], "%.2f"), sc, v
                printf "| trace MB (10^6 B) | – | %s | | | |\n", f(med(L["heapblame,trace"]), "%.3f")
                v = verdict(med(L["hb,kbps"]), sg, VOID); tally(v)
                printf "| trace growth KB per s of run (trace bytes / run s) | – | %s | | <= %s | %s |\n", rng(L["hb,kbps"], "%.2f"), sg, v
                printf "| steady growth KB/s (size read at 1/3 and 5/6 of the run) | – | %s | | | |\n", rng(L["heapblame,growth"], "%.2f")
                printf "| distinct stacks in the trace (STACK records) | – | %s | | | |\n", rng(L["heapblame,stacks"], "%d")
                printf "| largest single-process RSS MiB (ru_maxrss) | %s | %s | | | |\n", f(med(L["bare,mrss"]), "%.1f"), f(med(L["heapblame,mrss"]), "%.1f")
                printf "| result check: soak'"'"'s module allocs/frees/live = RESULT, definite+indirect = leaks, stacks = sites used | | %s runs ok | | every run | %s |\n", CHECKS, VOID ? "**MISMATCH**" : "PASS"
                if (("soak", "once", "heaptrack", "verify") in V) {
                    t = "heaptrack"
                    print ""
                    printf "heaptrack is no anchor for the soak (the issue saw its interpreter grow to 18 GB and die on a 5 s run). One\n"
                    printf "run, after the rounds, of `soak -d %s` under heaptrack with the whole tree under `prlimit --as=%d MiB`: %s; wall %s s,\n", hts, htas, g("soak", "once", t, "verify"), g("soak", "once", t, "wall_s")
                    printf "whole-tree CPU %s s, largest process %s MiB, peak tree RSS %s MiB, .zst %s bytes%s.\n", g("soak", "once", t, "cpu_s"), num(g("soak", "once", t, "max_proc_rss_kib")) ? sprintf("%.0f", g("soak", "once", t, "max_proc_rss_kib") / 1024) : "–", num(g("soak", "once", t, "peak_tree_rss_kib")) ? sprintf("%.0f", g("soak", "once", t, "peak_tree_rss_kib") / 1024) : "–", g("soak", "once", t, "trace_bytes"), num(g("soak", "once", t, "work_s")) ? sprintf(", soak'"'"'s run %.2f s, behind schedule at most %s ms", g("soak", "once", t, "work_s"), g("soak", "once", t, "behind_ms")) : ""
                }
            }
        }
        print ""
        printf "Targets: %d PASS, %d MISS, %d VOID%s.\n", npass, nmiss, nvoid, anyvoid ? "; SOME FIGURES ARE VOID (heapblame result check failed)" : ""
    }' "$1"
}

# ---------------------------------------------------------------- main

case $MODE in
    alloc)
        check_tools
        mkdir -p "$OUT" || die "cannot create $OUT"
        OUT=$(cd "$OUT" && pwd)
        build_kit
        snapshot_tools
        machine_notes
        log "results -> $OUT"
        mode_alloc || exit 1
        ;;
    report)
        check_tools
        mkdir -p "$OUT" || die "cannot create $OUT"
        OUT=$(cd "$OUT" && pwd)
        build_kit
        snapshot_tools
        machine_notes
        log "results -> $OUT"
        mode_report || exit 1
        ;;
    scan)
        check_tools
        mkdir -p "$OUT" || die "cannot create $OUT"
        OUT=$(cd "$OUT" && pwd)
        build_scanheap
        snapshot_tools
        machine_notes
        log "results -> $OUT"
        mode_scan || exit 1
        ;;
    outlive | w4 | r2 | soak)
        check_tools
        mkdir -p "$OUT" || die "cannot create $OUT"
        OUT=$(cd "$OUT" && pwd)
        build_outlive
        snapshot_tools
        machine_notes
        log "results -> $OUT"
        mode_outlive || exit 1
        ;;
    -h | --help | help)
        sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'
        ;;
    *) die "unknown mode '$MODE' (modes: alloc, report, scan, outlive, w4, r2, soak)" ;;
esac
